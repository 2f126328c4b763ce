//! The pre-deploy gate: `flowaudit plan` on Terraform plan fixtures (fixtures/plans, in the
//! shape `terraform show -json` writes; scripts/plan-fixtures.py makes them), with and
//! without the existing estate.

mod common;

use common::*;
use std::path::Path;

use serde_json::Value;

const POLICY: &str = "policies/production.yaml";

/// `plan --format json` of a fixture under the production policy, plus `extra`.
fn plan(fixture: &str, extra: &[&str]) -> Run {
    plan_in("json", fixture, extra)
}

/// `plan` of a fixture under the production policy in a report format, plus `extra`.
fn plan_in(format: &str, fixture: &str, extra: &[&str]) -> Run {
    let file = root().join(format!("fixtures/plans/{fixture}.json"));
    plan_file(&file, POLICY, format, extra)
}

/// `plan` of any plan file under a policy in a report format, on the test date.
fn plan_file(file: &Path, policy: &str, format: &str, extra: &[&str]) -> Run {
    let (file, policy) = (file.to_string_lossy(), path(policy));
    let mut args = vec![
        "plan", &file, "--policy", &policy, "--format", format, "--date", DATE,
    ];
    args.extend(extra);
    run(&args)
}

fn with_estate() -> String {
    path("fixtures/plans/existing-estate.json")
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

/// Every finding of one status, as "RULE resource".
fn with_status(report: &Value, status: &str) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| f["status"] == status)
        .map(|f| {
            format!(
                "{} {}",
                f["rule_id"].as_str().unwrap_or_default(),
                f["resource_id"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// The status of a rule's finding on the first resource under `prefix` (an S3 prefix's id
/// names its bucket and key prefix, which depends on the account).
fn status_under(report: &Value, rule: &str, prefix: &str) -> String {
    findings(report)
        .iter()
        .find(|f| {
            f["rule_id"] == rule
                && f["resource_id"]
                    .as_str()
                    .is_some_and(|r| r.starts_with(prefix))
        })
        .and_then(|f| f["status"].as_str())
        .unwrap_or_else(|| panic!("no {rule} finding under {prefix}"))
        .to_string()
}

/// Asserts that a finding's message says each of `needles`.
fn assert_message(report: &Value, rule: &str, resource: &str, needles: &[&str]) {
    let f = finding(report, rule, resource);
    let message = f["message"].as_str().unwrap_or_default();
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {f}");
    }
}

fn changes(report: &Value) -> Vec<String> {
    report["plan_changes"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| c["change"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_compliant_root_module_passes_on_cloudwatch_and_s3() {
    let run = plan("root-compliant", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(with_status(&report, "fail"), Vec::<String>::new());
    assert_eq!(with_status(&report, "unknown"), Vec::<String>::new());
    // The provider's allowed_account_ids names the account.
    assert_eq!(
        report["snapshot"]["accounts"],
        serde_json::json!(["111122223333"])
    );
    // The VPC does not exist yet: it is named by its address, covered by both logs.
    let cov = finding(&report, "COV003", "vpc-(aws_vpc.main)");
    assert_eq!(cov["status"], "pass", "{cov}");
    let qualifying: Vec<&str> = cov["evidence"]["qualifying_flow_logs"]
        .as_array()
        .expect("qualifying logs")
        .iter()
        .filter_map(|l| l["FlowLogId"].as_str())
        .collect();
    assert_eq!(
        qualifying,
        ["fl-(aws_flow_log.cloudwatch)", "fl-(aws_flow_log.s3)"]
    );
    // Retention is judged from the planned log group and the split lifecycle resource.
    assert_eq!(
        status(&report, "CWL002", "/vpc/main/flow-logs").as_deref(),
        Some("pass")
    );
    assert_eq!(
        status_under(&report, "S3L002", "acme-prod-flow-logs/AWSLogs/"),
        "pass"
    );
    // The S3 destination came through a reference, whose key prefix the plan cannot
    // show: the evidence says it was inferred.
    let fl = finding(&report, "DST001", "fl-(aws_flow_log.s3)");
    let inferred = &fl["evidence"]["inferred"][0];
    assert_eq!(inferred["attribute"], "log_destination", "{fl}");
}

#[test]
fn strict_references_turn_inferences_into_unknowns() {
    let run = plan("root-compliant", &["--strict-references"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    let unknown = with_status(&report, "unknown");
    assert!(
        unknown.contains(&"COL004 acme-prod-flow-logs".to_string()),
        "{unknown:?}"
    );
    assert!(
        unknown.iter().any(|u| u.starts_with("S3L002 ")),
        "{unknown:?}"
    );
    assert_eq!(with_status(&report, "fail"), Vec::<String>::new());
    // With --fail-on-unknown the gate fails instead of reporting incomplete.
    let run = plan(
        "root-compliant",
        &["--strict-references", "--fail-on-unknown"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn terraform_aws_modules_vpc_with_flow_log_on_passes_coverage() {
    let run = plan("terraform-aws-modules-vpc-flow-log-on", &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    let cov = finding(&report, "COV003", "vpc-(module.vpc.aws_vpc.this[0])");
    assert_eq!(cov["status"], "pass", "{cov}");
    // vpc_id = local.vpc_id: the one aws_vpc of module.vpc, inferred and said so.
    let chain: Vec<&str> = cov["evidence"]["inferred"]
        .as_array()
        .expect("inferred")
        .iter()
        .filter(|i| i["address"] == "module.vpc.aws_flow_log.this[0]")
        .flat_map(|i| i["chain"].as_array().expect("chain").iter())
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        chain,
        [
            "module.vpc.aws_flow_log.this[0].vpc_id",
            "local.vpc_id",
            "module.vpc.aws_vpc.this[0] (the only aws_vpc in module.vpc)"
        ]
    );
    // The log group the module creates holds the logs for 14 days.
    let group = findings(&report)
        .iter()
        .find(|f| f["rule_id"] == "CWL002")
        .expect("CWL002 judged");
    assert_eq!(group["status"], "pass", "{group}");
    assert_eq!(
        group["resource_id"],
        "(module.vpc.aws_cloudwatch_log_group.flow_log[0])"
    );
    // log_format is unknown (the provider computes it), but the policy requires no
    // fields, so it decides nothing and is not reported.
    assert_eq!(with_status(&report, "unknown"), Vec::<String>::new());
}

#[test]
fn terraform_aws_modules_vpc_with_flow_log_off_fails_coverage() {
    let run = plan("terraform-aws-modules-vpc-flow-log-off", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        with_status(&report, "fail"),
        ["COV003 vpc-(module.vpc.aws_vpc.this[0])"]
    );
    assert_message(
        &report,
        "COV003",
        "vpc-(module.vpc.aws_vpc.this[0])",
        &["2 of 2 subnets"],
    );
}

#[test]
fn nested_modules_outputs_and_variables_are_followed() {
    let run = plan("nested-modules", &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(with_status(&report, "unknown"), Vec::<String>::new());
    // module.network.module.logs gets the VPC id as var.vpc_id from module.vpc's output.
    let nested = finding(
        &report,
        "COV003",
        "vpc-(module.network.module.vpc.aws_vpc.this)",
    );
    assert_eq!(nested["status"], "pass", "{nested}");
    assert!(
        nested
            .to_string()
            .contains("fl-(module.network.module.logs.aws_flow_log.this)"),
        "{nested}"
    );
    // The root log delivers to a group in a nested module, through two outputs; the
    // resolution is exact, so nothing is marked inferred.
    let group = finding(&report, "DST002", "/network/prod/flow-logs");
    assert_eq!(group["status"], "pass", "{group}");
    assert!(
        group.to_string().contains("fl-(aws_flow_log.edge)"),
        "{group}"
    );
    let edge = finding(&report, "FLS001", "fl-(aws_flow_log.edge)");
    assert_eq!(edge["evidence"].get("inferred"), None, "{edge}");
    assert_eq!(
        status(&report, "CWL002", "/network/prod/flow-logs").as_deref(),
        Some("pass")
    );
}

#[test]
fn count_and_for_each_instances_are_matched_by_key() {
    let run = plan("count-and-for-each", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    // each.key: the dev log is REJECT-only, the staging one ALL.
    assert_eq!(
        with_status(&report, "fail"),
        [
            r#"COV003 vpc-(aws_vpc.env["dev"])"#,
            r#"FLS003 fl-(aws_flow_log.env["dev"])"#
        ]
    );
    assert_eq!(
        status(&report, "COV003", r#"vpc-(aws_vpc.env["staging"])"#).as_deref(),
        Some("pass")
    );
    // The fix names the Terraform address to change; the resource has no AWS id yet.
    let dev = finding(&report, "FLS003", r#"fl-(aws_flow_log.env["dev"])"#);
    assert_eq!(
        dev["remediation"],
        r#"In Terraform: set traffic_type = "ALL" on aws_flow_log.env["dev"]"#
    );
    // count.index: each subnet-level log covers its own subnet.
    let counted = finding(&report, "COV003", "vpc-(aws_vpc.counted)");
    assert_eq!(counted["status"], "pass", "{counted}");
    assert!(
        counted.to_string().contains("fl-(aws_flow_log.counted[1])"),
        "{counted}"
    );
}

#[test]
fn unknown_ids_are_unknown_never_pass() {
    let run = plan("unknown-ids", &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    assert_eq!(with_status(&report, "pass"), Vec::<String>::new());
    assert_eq!(with_status(&report, "fail"), Vec::<String>::new());
    assert_message(
        &report,
        "COL004",
        "fl-(aws_flow_log.shared)",
        &["`vpc_id`", "data.aws_vpc.shared"],
    );
    assert_message(
        &report,
        "COL004",
        "fl-(aws_flow_log.chosen)",
        &["local.vpc_id", "2 candidates"],
    );
    // Either log could cover either VPC: their coverage is unknown, not failed.
    for vpc in ["vpc-(aws_vpc.a)", "vpc-(aws_vpc.b)"] {
        let cov = finding(&report, "COV003", vpc);
        assert_eq!(cov["status"], "unknown", "{cov}");
        assert!(cov["evidence"]["unknown_until_apply"].is_array(), "{cov}");
    }
    assert_eq!(report["summary"]["unknown"], 6);
    let run = plan("unknown-ids", &["--fail-on-unknown"]);
    assert_eq!(run.code, 1);
    // The evidence report lists them apart from collection errors, and SARIF asks for a
    // review of each.
    let html = plan_in("html", "unknown-ids", &[]).stdout;
    assert!(html.contains("<h2>Unknown until apply (6)</h2>"), "{html}");
    assert!(html.contains("<h2>Collection errors (0)</h2>"), "{html}");
    let sarif: Value =
        serde_json::from_str(&plan_in("sarif", "unknown-ids", &[]).stdout).expect("SARIF");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 6);
    assert!(
        results
            .iter()
            .all(|r| r["kind"] == "review" && r["level"] == "error")
    );
}

#[test]
fn a_central_bucket_outside_the_plan_is_unknown_until_the_estate_is_given() {
    let run = plan("central-bucket", &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    assert_eq!(with_status(&report, "fail"), Vec::<String>::new());
    assert_message(
        &report,
        "COL004",
        "acme-central-flow-logs",
        &["not in the plan", "--with-snapshot"],
    );
    assert_eq!(
        status(&report, "COL002", "acme-central-flow-logs").as_deref(),
        Some("unknown")
    );
    // Nothing about the S3 copy passes unseen. DST001 reads only the log's destination
    // type, which the plan shows, not whether the bucket exists.
    for f in findings(&report) {
        let about_central = f["resource_id"]
            .as_str()
            .is_some_and(|r| r.contains("acme-central") || r == "fl-(aws_flow_log.central)");
        let type_only = f["rule_id"] == "DST001";
        if about_central && !type_only && f["category"] != "flow_log_settings" {
            assert_ne!(f["status"], "pass", "{f}");
        }
    }

    // With the existing estate, the central bucket is judged: compliant.
    let estate = with_estate();
    let run = plan("central-bucket", &["--with-snapshot", &estate]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(with_status(&report, "unknown"), Vec::<String>::new());
    assert_eq!(report["snapshot"]["accounts"][0], "111122223333");
    assert_eq!(
        status_under(
            &report,
            "S3L002",
            "acme-central-flow-logs/AWSLogs/111122223333/"
        ),
        "pass"
    );
}

#[test]
fn a_lifecycle_rule_that_misses_awslogs_fails() {
    let run = plan("lifecycle-prefix-miss", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        status_under(&report, "S3L001", "acme-prod-flow-logs/AWSLogs/"),
        "fail"
    );
}

#[test]
fn a_retention_of_zero_never_expires() {
    let run = plan("retention-zero", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(with_status(&report, "fail"), ["CWL001 /vpc/main/flow-logs"]);
    // The adopted default VPC keeps its id, and its log covers it.
    assert_eq!(
        status(&report, "COV003", "vpc-0de7a017de7a017de").as_deref(),
        Some("pass")
    );

    // Waivers apply to a plan as to a scan.
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("waived.yaml");
    let text = std::fs::read_to_string(root().join(POLICY))
        .expect("policy")
        .replacen(
            "waivers:\n",
            "waivers:\n  - rules: [CWL001]\n    resources: [\"/vpc/main/*\"]\n    reason: Archive group, retention set by the SIEM team (CHG-4711).\n    approved_by: security@example.com\n    expires: 2027-01-31\n",
            1,
        );
    std::fs::write(&policy, text).expect("policy written");
    let fixture = root().join("fixtures/plans/retention-zero.json");
    let run = plan_file(&fixture, &policy.to_string_lossy(), "json", &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        with_status(&run.json(), "waived"),
        ["CWL001 /vpc/main/flow-logs"]
    );
}

#[test]
fn legacy_inline_bucket_blocks_are_read() {
    let run = plan("legacy-inline-bucket", &[]);
    let report = run.json();
    let verdicts: Vec<(String, String)> = findings(&report)
        .iter()
        .filter(|f| {
            f["resource_id"]
                .as_str()
                .is_some_and(|r| r.starts_with("acme-legacy-flow-logs"))
        })
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("DST002", "pass"),
        ("S3L001", "pass"),
        ("S3L002", "pass"),
        ("S3L003", "pass"),
        // The inline blocks carry no TransitionDefaultMinimumObjectSize, so AWS's default
        // (objects under 128 KB never move) applies.
        ("S3L004", "fail"),
        ("S3L005", "pass"),
        ("SEC001", "pass"),
        ("SEC002", "pass"),
    ]
    .iter()
    .map(|(r, s)| (r.to_string(), s.to_string()))
    .collect();
    assert_eq!(verdicts, expected);
    assert_eq!(run.code, 1);
}

#[test]
fn deleting_a_flow_log_takes_its_coverage_away() {
    // The plan alone holds the VPC (no-op, its real id) and deletes its only log.
    let run = plan("deletes-flow-log", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        with_status(&report, "fail"),
        ["COV003 vpc-0a1b2c3d4e5f60718"]
    );
    // An existing VPC: the Terraform fix first, the AWS CLI one after.
    let cov = finding(&report, "COV003", "vpc-0a1b2c3d4e5f60718");
    let fix = cov["remediation"].as_str().unwrap_or_default();
    assert!(
        fix.starts_with("In Terraform: add an aws_flow_log with vpc_id = aws_vpc.main.id")
            && fix.contains("Outside Terraform: aws ec2 create-flow-logs"),
        "{fix}"
    );
    let alone = changes(&report);
    assert!(
        alone.contains(&"deletes flow log fl-0123456789abcdef0 on vpc-0a1b2c3d4e5f60718, taking away the coverage it gave".to_string()),
        "{alone:?}"
    );
    assert!(
        alone.contains(
            &"shortens retention of log group /vpc/main/flow-logs from 30 days to 7 days"
                .to_string()
        ),
        "{alone:?}"
    );

    // With the existing estate the report also says what the plan makes worse there.
    let estate = with_estate();
    let run = plan("deletes-flow-log", &["--with-snapshot", &estate]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["snapshot"]["accounts"][0], "111122223333");
    let with = changes(&report);
    assert!(
        with.iter()
            .any(|c| c.starts_with("removes coverage from vpc-0a1b2c3d4e5f60718")),
        "{with:?}"
    );
    // The table shows them too: docs/plan-gate.md quotes them, and tests/docs.rs runs it.
}

#[test]
fn bad_plans_exit_2_with_a_located_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "not-json.json",
            "{ \"format_version\": \"1.2\",\n  oops }\n",
            "not-json.json:2:3",
        ),
        (
            "no-changes.json",
            "{\n  \"format_version\": \"1.2\",\n  \"terraform_version\": \"1.9.8\"\n}\n",
            "has no `resource_changes`",
        ),
        (
            "future.json",
            "{\n  \"format_version\": \"2.0\",\n  \"resource_changes\": []\n}\n",
            "future.json:2:25: format_version \"2.0\" is not supported",
        ),
    ];
    let policy = path(POLICY);
    for (name, text, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, text).expect("written");
        let out = dir.path().join("report.json");
        let run = run(&[
            "plan",
            &file.to_string_lossy(),
            "--policy",
            &policy,
            "--output",
            &format!("json:{}", out.display()),
        ]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{name}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(!out.exists(), "{name}: nothing is written");
    }
}

#[test]
fn a_plan_report_verifies_against_the_snapshot_it_saved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = dir.path().join("planned.json");
    let report = dir.path().join("report.json");
    let run = plan(
        "terraform-aws-modules-vpc-flow-log-on",
        &[
            "--save-snapshot",
            &snapshot.to_string_lossy(),
            "--output",
            &format!("json:{}", report.display()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let verify = common::run(&[
        "verify",
        &report.to_string_lossy(),
        "--snapshot",
        &snapshot.to_string_lossy(),
        "--policy",
        &path(POLICY),
    ]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
}

#[test]
fn dynamic_blocks_are_unknown_not_defaults() {
    let run = plan("dynamic-blocks", &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    assert_eq!(with_status(&report, "fail"), Vec::<String>::new());
    let named: Vec<&str> = findings(&report)
        .iter()
        .filter(|f| f["rule_id"] == "COL004")
        .filter_map(|f| f["evidence"]["attribute"].as_str())
        .collect();
    assert_eq!(named, ["destination_options", "rule"]);
    // No lifecycle verdict on the bucket passes: its rules are not known yet.
    let lifecycle: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| {
            f["category"] == "s3_lifecycle"
                && f["resource_id"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("acme-dynamic-flow-logs/"))
        })
        .collect();
    assert!(!lifecycle.is_empty());
    for f in lifecycle {
        assert_eq!(f["status"], "unknown", "{f}");
    }
}

/// Across every fixture: a finding whose verdict rests on a value unknown until apply is
/// never a pass, and every unknown names the attribute it is about.
#[test]
fn unknown_is_never_reported_as_pass() {
    let dir = root().join("fixtures/plans");
    let mut fixtures: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/plans")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.ends_with("estate.json"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 11, "{fixtures:?}");
    for name in fixtures {
        let stem = name.trim_end_matches(".json");
        for extra in [&[][..], &["--strict-references"][..]] {
            let run = plan(stem, extra);
            let report = run.json();
            for f in findings(&report) {
                if f["evidence"].get("unknown_until_apply").is_some() {
                    assert_eq!(f["status"], "unknown", "{name}: {f}");
                }
                if f["status"] == "unknown" {
                    let text = f.to_string();
                    assert!(text.contains("attribute"), "{name}: {f}");
                }
            }
            let unknown = report["summary"]["unknown"].as_u64().unwrap_or(0);
            if unknown > 0 {
                assert_ne!(run.code, 0, "{name} {extra:?}: unknowns never exit 0");
            }
        }
    }
}

/// A plan against a live estate in moto: it replaces the existing VPC's CloudWatch log with
/// one to a central bucket that exists already and that no flow log uses yet. `--live`
/// reads the VPC, the log it deletes and the bucket; without it they are unknown.
#[tokio::test(flavor = "multi_thread")]
async fn a_plan_is_judged_against_the_live_estate() {
    use aws_sdk_ec2::types::{
        FlowLogsResourceType, LogDestinationType, ResourceType, Tag, TagSpecification, TrafficType,
    };
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
        LifecycleRuleFilter,
    };

    let moto = common::moto::Moto::start();
    let config = moto.sdk_config("eu-west-1", "test", "test").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let s3 = common::moto::s3_client(&config);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.9.0.0/16")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(Tag::builder().key("Environment").value("staging").build())
                .build(),
        )
        .send()
        .await
        .expect("vpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("vpc id");
    common::moto::log_group_keeping(&config, "/vpc/live", 14).await;
    let old = ec2
        .create_flow_logs()
        .resource_type(FlowLogsResourceType::Vpc)
        .resource_ids(&vpc)
        .traffic_type(TrafficType::All)
        .log_destination_type(LogDestinationType::CloudWatchLogs)
        .log_group_name("/vpc/live")
        .deliver_logs_permission_arn("arn:aws:iam::123456789012:role/flow-logs")
        .send()
        .await
        .expect("flow log")
        .flow_log_ids
        .and_then(|ids| ids.into_iter().next())
        .expect("flow log id");
    common::moto::create_eu_west_1_bucket(&s3, "acme-live-central").await;
    s3.put_bucket_lifecycle_configuration()
        .bucket("acme-live-central")
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("flow-logs")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("AWSLogs/").build())
                        .expiration(LifecycleExpiration::builder().days(120).build())
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await
        .expect("lifecycle put");

    let plan_json = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": [
            {
                "address": "aws_flow_log.audit", "mode": "managed", "type": "aws_flow_log", "name": "audit",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": ["create"], "before": null,
                    "after": {
                        "vpc_id": vpc, "traffic_type": "ALL", "log_destination_type": "s3",
                        "log_destination": "arn:aws:s3:::acme-live-central",
                        "max_aggregation_interval": 600, "destination_options": [], "tags": {}
                    },
                    "after_unknown": {"id": true, "arn": true, "log_format": true, "tags_all": true}
                }
            },
            {
                "address": "aws_flow_log.old", "mode": "managed", "type": "aws_flow_log", "name": "old",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": ["delete"],
                    "before": {"id": old, "vpc_id": vpc, "log_group_name": "/vpc/live"},
                    "after": null, "after_unknown": {}
                }
            }
        ],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}},
            "root_module": {"resources": [
                {"address": "aws_flow_log.audit", "mode": "managed", "type": "aws_flow_log", "name": "audit",
                 "provider_config_key": "aws",
                 "expressions": {"vpc_id": {"constant_value": vpc}, "traffic_type": {"constant_value": "ALL"},
                                 "log_destination_type": {"constant_value": "s3"},
                                 "log_destination": {"constant_value": "arn:aws:s3:::acme-live-central"}}}
            ]}
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let plan_file = dir.path().join("plan.json");
    std::fs::write(&plan_file, plan_json.to_string()).expect("plan written");
    let plan_arg = plan_file.to_string_lossy().to_string();
    let policy = path(POLICY);
    let gate = |extra: &[&str]| -> Run {
        flowaudit_at_endpoint(&moto.endpoint(), "test", "test")
            .args([
                "plan", &plan_arg, "--policy", &policy, "--format", "json", "--date", DATE,
            ])
            .args(extra)
            .output()
            .expect("flowaudit runs")
            .into()
    };

    let run = gate(&["--live", "--region", "eu-west-1"]);
    let report = run.json();
    assert_eq!(
        with_status(&report, "unknown"),
        Vec::<String>::new(),
        "{}",
        run.stderr
    );
    // The new log covers the VPC in place of the deleted one.
    let cov = finding(&report, "COV003", &vpc);
    assert_eq!(cov["status"], "pass", "{cov}");
    assert!(cov.to_string().contains("fl-(aws_flow_log.audit)"), "{cov}");
    assert!(
        !cov.to_string().contains(&old),
        "the deleted log is gone: {cov}"
    );
    // The central bucket was read although no flow log delivered to it before the plan.
    assert_eq!(
        status_under(&report, "S3L002", "acme-live-central/AWSLogs/123456789012/"),
        "pass"
    );
    assert!(
        changes(&report)
            .iter()
            .any(|c| c.starts_with(&format!("deletes flow log {old} on {vpc}"))),
        "{:?}",
        changes(&report)
    );

    // Without the live estate, the VPC and the bucket are not in the plan: unknown.
    let run = gate(&[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    assert_eq!(with_status(&report, "pass"), Vec::<String>::new());
    assert!(
        with_status(&report, "unknown").contains(&"COL004 fl-(aws_flow_log.audit)".to_string()),
        "{:?}",
        with_status(&report, "unknown")
    );
}

#[test]
fn a_deleted_vpc_takes_its_subnets_interfaces_and_logs_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let deleted = variant(
        &root().join("fixtures/plans/deletes-flow-log.json"),
        dir.path(),
        "deletes-vpc.json",
        |plan| {
            let vpc = plan["resource_changes"]
                .as_array_mut()
                .expect("changes")
                .iter_mut()
                .find(|c| c["type"] == "aws_vpc")
                .expect("the VPC");
            vpc["change"]["actions"] = serde_json::json!(["delete"]);
            vpc["change"]["after"] = Value::Null;
        },
    );
    let snapshot = dir.path().join("planned.json");
    let run = plan_file(
        &deleted,
        POLICY,
        "json",
        &[
            "--with-snapshot",
            &with_estate(),
            "--save-snapshot",
            &snapshot.to_string_lossy(),
        ],
    );
    let report = run.json();
    // Nothing is left dangling for the listings' consistency check to call incomplete.
    assert_eq!(with_status(&report, "error"), Vec::<String>::new());
    assert_eq!(with_status(&report, "fail"), Vec::<String>::new());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let planned: Value =
        serde_json::from_str(&std::fs::read_to_string(&snapshot).expect("saved")).expect("JSON");
    let region = &planned["accounts"][0]["regions"][0];
    for listing in ["vpcs", "subnets", "network_interfaces", "flow_logs"] {
        assert_eq!(
            region[listing],
            serde_json::json!([]),
            "{listing}: {region}"
        );
    }
}

/// One planned resource change, in the shape `terraform show -json` writes.
fn change(address: &str, kind: &str, after: Value, unknown: Value) -> Value {
    let name = address.rsplit('.').next().unwrap_or(address);
    serde_json::json!({
        "address": address, "mode": "managed", "type": kind, "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": { "actions": ["create"], "before": null, "after": after, "after_unknown": unknown }
    })
}

/// A transit gateway logged to a Firehose stream, both created by the plan: the gateway's
/// coverage and the stream's state are judged from the plan.
#[test]
fn transit_gateways_and_firehose_streams_in_a_plan() {
    let plan_json = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [
            change("aws_ec2_transit_gateway.hub", "aws_ec2_transit_gateway",
                   serde_json::json!({"tags": {"Name": "hub"}}), serde_json::json!({"id": true})),
            change("aws_kinesis_firehose_delivery_stream.lake", "aws_kinesis_firehose_delivery_stream",
                   serde_json::json!({"name": "flow-logs-to-lake", "destination": "extended_s3",
                                      "extended_s3_configuration": [{"bucket_arn": "arn:aws:s3:::acme-lake"}]}),
                   serde_json::json!({"arn": true, "id": true})),
            change("aws_flow_log.hub", "aws_flow_log",
                   serde_json::json!({"traffic_type": "ALL", "log_destination_type": "kinesis-data-firehose",
                                      "max_aggregation_interval": 60,
                                      "log_format": "${version} ${srcaddr} ${dstaddr} ${interface-id}"}),
                   serde_json::json!({"id": true, "transit_gateway_id": true, "log_destination": true}))
        ],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}},
            "root_module": {"resources": [
                {"address": "aws_flow_log.hub", "mode": "managed", "type": "aws_flow_log", "name": "hub",
                 "provider_config_key": "aws",
                 "expressions": {
                     "transit_gateway_id": {"references": ["aws_ec2_transit_gateway.hub.id", "aws_ec2_transit_gateway.hub"]},
                     "log_destination": {"references": ["aws_kinesis_firehose_delivery_stream.lake.arn", "aws_kinesis_firehose_delivery_stream.lake"]},
                     "traffic_type": {"constant_value": "ALL"}
                 }}
            ]}
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("plan.json");
    std::fs::write(&file, plan_json.to_string()).expect("written");
    let run = plan_file(&file, "fixtures/policies/transit-gateway.yaml", "json", &[]);
    let report = run.json();
    assert_eq!(
        status(&report, "COV004", "tgw-(aws_ec2_transit_gateway.hub)").as_deref(),
        Some("pass"),
        "{}",
        non_passing(&report)
    );
    assert_eq!(
        status(&report, "DST004", "flow-logs-to-lake").as_deref(),
        Some("pass"),
        "{}",
        non_passing(&report)
    );
    assert_eq!(with_status(&report, "unknown"), Vec::<String>::new());
    assert_eq!(run.code, 0, "{}", non_passing(&report));
}

#[test]
fn the_existing_estate_must_be_a_collected_one_and_live_options_need_live() {
    let dir = tempfile::tempdir().expect("temp dir");
    let planned = dir.path().join("planned.json");
    let run = plan(
        "retention-zero",
        &["--save-snapshot", &planned.to_string_lossy()],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let again = plan(
        "retention-zero",
        &["--with-snapshot", &planned.to_string_lossy()],
    );
    assert_eq!(again.code, 2);
    assert!(
        again
            .stderr
            .contains("written by `flowaudit plan --save-snapshot`"),
        "{}",
        again.stderr
    );
    let profile = plan("retention-zero", &["--profile", "prod"]);
    assert_eq!(profile.code, 2);
    assert!(profile.stderr.contains("add --live"), "{}", profile.stderr);
}

/// A subnet the plan adds to a VPC it does not hold: without the existing estate it is
/// unknown, and it does not make the region's listings look incomplete.
#[test]
fn a_subnet_in_a_vpc_outside_the_plan_is_unknown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = variant(
        &root().join("fixtures/plans/retention-zero.json"),
        dir.path(),
        "subnet.json",
        |plan| {
            let changes = plan["resource_changes"].as_array_mut().expect("changes");
            changes.push(serde_json::json!({
                "address": "aws_subnet.extra", "mode": "managed", "type": "aws_subnet", "name": "extra",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": null,
                           "after": {"vpc_id": "vpc-0e815e0e815e0e815", "cidr_block": "10.1.0.0/24"},
                           "after_unknown": {"id": true}}
            }));
        },
    );
    let run = plan_file(&file, POLICY, "json", &[]);
    let report = run.json();
    assert_eq!(with_status(&report, "error"), Vec::<String>::new());
    assert_message(
        &report,
        "COL004",
        "subnet-(aws_subnet.extra)",
        &["vpc-0e815e0e815e0e815 is not in the plan"],
    );
    // The VPCs the plan does hold are still judged.
    assert_eq!(
        status(&report, "COV003", "vpc-0de7a017de7a017de").as_deref(),
        Some("pass")
    );
}

/// `module "env" { for_each = ... }`: references and inferences stay inside their own
/// module instance, though the plan holds a VPC and a log group in each.
#[test]
fn module_instances_keep_their_references_apart() {
    let run = plan("module-for-each", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(with_status(&report, "fail"), ["CWL002 /vpc/prod/flow-logs"]);
    for env in ["dev", "prod"] {
        let vpc = format!(r#"vpc-(module.env["{env}"].aws_vpc.this)"#);
        let cov = finding(&report, "COV003", &vpc);
        assert_eq!(cov["status"], "pass", "{cov}");
        let last = cov["evidence"]["inferred"][0]["chain"][2]
            .as_str()
            .unwrap_or_default();
        assert_eq!(
            last,
            format!(
                r#"module.env["{env}"].aws_vpc.this (the only aws_vpc in module.env["{env}"])"#
            )
        );
        // Each instance's log delivers to its own instance's group.
        let group = finding(&report, "DST002", &format!("/vpc/{env}/flow-logs"));
        let users = group["evidence"]["dependents"]["flow_logs"].to_string();
        assert_eq!(
            users,
            format!(r#"["fl-(module.env[\"{env}\"].aws_flow_log.this)"]"#),
            "{group}"
        );
    }
}
