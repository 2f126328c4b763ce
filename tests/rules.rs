//! Every rule, shown passing and failing on real fixtures through the real binary.

mod common;

use common::*;
use serde_json::{Value, json};

/// (rule, policy, a resource where it passes, a resource where it fails), on the demo estate.
const DEMO_CASES: &[(&str, &str, &str, &str)] = &[
    // A VPC-level-only view fails a VPC covered entirely by subnet logs...
    (
        "COV001",
        "fixtures/policies/vpc-level.yaml",
        "vpc-0a00000000000001a",
        "vpc-0a00000000000002a",
    ),
    // ...which subnet level passes, while it fails a VPC covered only by ENI logs.
    (
        "COV002",
        "fixtures/policies/subnet-level.yaml",
        "vpc-0a00000000000002a",
        "vpc-0a00000000000003a",
    ),
    // ENI level passes ENI-only coverage and names the uncovered ENI of a partly covered VPC.
    (
        "COV003",
        "policies/production.yaml",
        "vpc-0a00000000000003a",
        "vpc-0a00000000000004a",
    ),
    (
        "FLS002",
        "policies/production.yaml",
        "fl-00000000000000001",
        "fl-00000000000000009",
    ),
    (
        "FLS003",
        "policies/production.yaml",
        "fl-00000000000000001",
        "fl-00000000000000008",
    ),
    (
        "FLS004",
        "policies/regulated.yaml",
        "fl-00000000000000001",
        "fl-00000000000000003",
    ),
    (
        "FLS005",
        "policies/regulated.yaml",
        "fl-00000000000000001",
        "fl-00000000000000003",
    ),
    // The regulated policy allows only STANDARD groups, with deletion protection on.
    (
        "CWL004",
        "policies/regulated.yaml",
        "/vpc/prod-flow-logs",
        "/aws/vpc/legacy-siem",
    ),
    (
        "CWL005",
        "policies/regulated.yaml",
        "/vpc/prod-flow-logs",
        "/vpc/staging",
    ),
    (
        "DST001",
        "policies/production.yaml",
        "fl-00000000000000001",
        "fl-00000000000000017",
    ),
    (
        "DST002",
        "policies/production.yaml",
        "/vpc/prod-flow-logs",
        "/vpc/reporting-deleted",
    ),
    (
        "DST002",
        "policies/production.yaml",
        "acme-flow-logs-central",
        "acme-flow-logs-retired",
    ),
    (
        "DST003",
        "policies/production.yaml",
        "vpc-0a00000000000002a",
        "vpc-0b00000000000003b",
    ),
    (
        "DST004",
        "policies/production.yaml",
        "flow-logs-to-splunk",
        "flow-logs-to-lake",
    ),
    (
        "CWL001",
        "policies/production.yaml",
        "/vpc/prod-flow-logs",
        "/vpc/dev-never-expires",
    ),
    (
        "CWL002",
        "policies/production.yaml",
        "/vpc/prod-flow-logs",
        "/vpc/prod-us",
    ),
    (
        "CWL003",
        "policies/production.yaml",
        "/vpc/prod-flow-logs",
        "/vpc/shared-network",
    ),
    (
        "S3L001",
        "policies/production.yaml",
        "acme-flow-logs-central/AWSLogs/111122223333/vpcflowlogs/eu-west-1/",
        "acme-flow-logs-wrong-prefix/AWSLogs/111122223333/vpcflowlogs/us-east-1/",
    ),
    (
        "S3L002",
        "policies/production.yaml",
        "acme-flow-logs-central/AWSLogs/111122223333/vpcflowlogs/eu-west-1/",
        "acme-flow-logs-short/AWSLogs/111122223333/vpcflowlogs/us-east-1/",
    ),
    (
        "S3L003",
        "policies/production.yaml",
        "acme-flow-logs-central/AWSLogs/111122223333/vpcflowlogs/eu-west-1/",
        "acme-flow-logs-central/AWSLogs/444455556666/vpcflowlogs/eu-west-1/",
    ),
    (
        "S3L004",
        "policies/production.yaml",
        "acme-flow-logs-central/AWSLogs/111122223333/vpcflowlogs/eu-west-1/",
        "acme-flow-logs-us/AWSLogs/111122223333/vpcflowlogs/us-east-1/",
    ),
    (
        "S3L005",
        "policies/production.yaml",
        "acme-flow-logs-central/AWSLogs/111122223333/vpcflowlogs/eu-west-1/",
        "acme-flow-logs-central/AWSLogs/444455556666/vpcflowlogs/eu-west-1/",
    ),
    (
        "SEC001",
        "policies/regulated.yaml",
        "acme-flow-logs-central",
        "acme-flow-logs-us",
    ),
    (
        "SEC002",
        "policies/production.yaml",
        "acme-flow-logs-central",
        "acme-flow-logs-short",
    ),
    (
        "SEC003",
        "policies/regulated.yaml",
        "/vpc/prod-flow-logs",
        "/vpc/staging",
    ),
];

#[test]
fn every_rule_passes_and_fails_where_the_demo_estate_says() {
    let mut reports = std::collections::BTreeMap::new();
    for (rule, policy, pass_on, fail_on) in DEMO_CASES {
        let report = reports
            .entry(*policy)
            .or_insert_with(|| scan(&demo(), policy).json());
        assert_eq!(
            status(report, rule, pass_on).as_deref(),
            Some("pass"),
            "{rule} should pass on {pass_on} under {policy}"
        );
        assert_eq!(
            status(report, rule, fail_on).as_deref(),
            Some("fail"),
            "{rule} should fail on {fail_on} under {policy}"
        );
    }
}

#[test]
fn every_rule_has_a_case() {
    let listed = run(&["rules", "--format", "json"]).json();
    for rule in listed.as_array().expect("rules is an array") {
        let id = rule["id"].as_str().unwrap_or_default();
        let covered = DEMO_CASES.iter().any(|c| c.0 == id)
            || ["FLS001", "COL001", "COL002", "COL003"].contains(&id) // covered below
            // Transit gateways have their own estate: tests/transit_gateways.rs.
            || ["COV004", "COV005"].contains(&id)
            // Plans have their own fixtures: tests/plan.rs.
            || id == "COL004"
            // Named destinations and connectivity: tests/policy_vocabulary.rs (moto) and
            // tests/policy_semantics.rs.
            || ["DST005", "COL005"].contains(&id)
            // Records: tests/records.rs (moto, every layout) and tests/observe_mocks.rs.
            || id.starts_with("REC");
        assert!(covered, "rule {id} has no pass/fail case");
    }
}

#[test]
fn compliant_estate_passes_every_check_and_exits_zero() {
    let run = scan(&compliant(), "policies/production.yaml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        report["summary"],
        json!({"pass": 24, "fail": 0, "waived": 0, "error": 0})
    );
    // Collection rules have nothing to report when everything was collected.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["category"] != "collection")
    );
    assert_eq!(
        status(&report, "FLS001", "fl-0c000000000000001").as_deref(),
        Some("pass")
    );
}

#[test]
fn inactive_flow_log_fails_fls001_and_stops_counting() {
    let dir = tempfile::tempdir().unwrap();
    let snap = variant(&compliant(), dir.path(), "inactive.json", |s| {
        s["accounts"][0]["regions"][0]["flow_logs"][0]["FlowLogStatus"] = json!("INACTIVE");
    });
    let report = scan(&snap, "policies/production.yaml").json();
    assert_eq!(
        status(&report, "FLS001", "fl-0c000000000000001").as_deref(),
        Some("fail")
    );
    // The S3 log still covers every ENI, so coverage holds.
    assert_eq!(
        status(&report, "COV003", "vpc-0c00000000000001c").as_deref(),
        Some("pass")
    );
}

#[test]
fn collection_errors_make_error_findings_and_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let snap = variant(&compliant(), dir.path(), "denied.json", |s| {
        let region = &mut s["accounts"][0]["regions"][0];
        region["log_groups"] = json!([]);
        region["flow_logs"][1]["LogDestination"] = json!("arn:aws:s3:::partner-archive");
        s["buckets"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "Name": "partner-archive" }));
        s["collection_errors"] = json!([
            {"account_id": "111122223333", "region": "eu-west-1", "service": "logs", "operation": "DescribeLogGroups", "code": "AccessDeniedException", "message": "not authorized"},
            {"account_id": "111122223333", "region": "eu-west-1", "service": "ec2", "operation": "DescribeFlowLogs", "code": "Throttling", "message": "Rate exceeded"},
            {"account_id": "111122223333", "region": "global", "service": "s3", "operation": "GetBucketLifecycleConfiguration", "code": "AccessDenied", "message": "Access Denied", "resource_id": "partner-archive"}
        ]);
    });
    let run = scan(&snap, "policies/production.yaml");
    let report = run.json();
    assert_eq!(run.code, 3, "errors without violations exit 3");
    assert_eq!(status(&report, "COL001", "logs").as_deref(), Some("error"));
    assert_eq!(status(&report, "COL001", "ec2").as_deref(), Some("error"));
    assert_eq!(
        status(&report, "COL001", "s3:partner-archive").as_deref(),
        Some("error")
    );
    // The log group could not be listed: unverifiable, not "not found" and not a pass.
    assert_eq!(
        status(&report, "COL002", "/vpc/shop").as_deref(),
        Some("error")
    );
    assert_eq!(status(&report, "DST002", "/vpc/shop"), None);
    let bucket = finding(&report, "COL002", "partner-archive");
    assert!(
        bucket["message"].as_str().unwrap().contains("AccessDenied"),
        "{bucket}"
    );
    assert!(
        bucket["remediation"]
            .as_str()
            .unwrap()
            .contains("111122223333"),
        "{bucket}"
    );
    // Coverage cannot be judged without the flow logs.
    assert_eq!(
        status(&report, "COL003", "vpc-0c00000000000001c").as_deref(),
        Some("error")
    );
    assert_eq!(status(&report, "COV003", "vpc-0c00000000000001c"), None);
    assert_eq!(report["summary"]["fail"], 0);
}

#[test]
fn failed_delivery_is_reported_with_its_message_and_does_not_cover() {
    let report = scan(&demo(), "policies/production.yaml").json();
    let f = finding(&report, "FLS002", "fl-00000000000000009");
    assert!(f["message"].as_str().unwrap().contains("Access error"));
    let cov = finding(&report, "COV003", "vpc-0a00000000000006a");
    assert_eq!(cov["status"], "fail");
    assert!(
        cov["message"]
            .as_str()
            .unwrap()
            .contains("delivery FAILED: Access error"),
        "{cov}"
    );
}

#[test]
fn destination_findings_name_the_flow_logs_and_vpcs_that_depend_on_them() {
    let report = scan(&demo(), "policies/production.yaml").json();
    let f = finding(&report, "DST002", "/vpc/reporting-deleted");
    assert_eq!(
        f["evidence"]["dependents"]["flow_logs"],
        json!(["fl-00000000000000009"])
    );
    assert_eq!(
        f["evidence"]["dependents"]["vpcs"],
        json!(["111122223333/eu-west-1/vpc-0a00000000000006a"])
    );
}

#[test]
fn lifecycle_is_judged_only_by_rules_matching_the_flow_log_prefix() {
    let report = scan(&demo(), "policies/production.yaml").json();
    let considered = |resource: &str| -> Vec<(String, String)> {
        finding(&report, "S3L001", resource)["evidence"]["effective"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["rule"].as_str().unwrap().to_string(),
                    r["applies"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Tag-filtered and Disabled rules do not count.
    assert_eq!(
        considered("acme-flow-logs-us/AWSLogs/111122223333/vpcflowlogs/us-east-1/"),
        [
            ("expire-tagged".into(), "none".into()),
            ("expire-all-disabled".into(), "none".into())
        ]
    );
    // A prefix with a year, and a size filter, match only some objects.
    let partial =
        considered("acme-flow-logs-partial/AWSLogs/111122223333/vpcflowlogs/ap-northeast-1/");
    assert!(partial.contains(&("only-2025".into(), "partial".into())));
    assert!(partial.contains(&("large-objects".into(), "partial".into())));
    // The central bucket: account A's subtree has its 180-day rule, account B's eu-west-1
    // subtree its own 730-day rule, and B's ap-northeast-1 subtree no rule at all.
    let central = "acme-flow-logs-central/AWSLogs/";
    assert_eq!(
        status(
            &report,
            "S3L003",
            &format!("{central}111122223333/vpcflowlogs/eu-west-1/")
        )
        .as_deref(),
        Some("pass")
    );
    assert_eq!(
        status(
            &report,
            "S3L003",
            &format!("{central}444455556666/vpcflowlogs/eu-west-1/")
        )
        .as_deref(),
        Some("fail")
    );
    assert_eq!(
        status(
            &report,
            "S3L001",
            &format!("{central}444455556666/vpcflowlogs/ap-northeast-1/")
        )
        .as_deref(),
        Some("fail")
    );
    // Hive-compatible keys are matched in their own form; the Date rule counts from the evaluation date.
    let hive = finding(
        &report,
        "S3L003",
        "acme-flow-logs-hive/AWSLogs/aws-account-id=444455556666/aws-service=vpcflowlogs/aws-region=eu-west-1/",
    );
    assert_eq!(hive["status"], "pass");
    assert_eq!(hive["evidence"]["effective"]["expiration"]["days"], 191);
}

#[test]
fn expiration_date_in_the_past_deletes_immediately() {
    let dir = tempfile::tempdir().unwrap();
    let snap = variant(&compliant(), dir.path(), "dated.json", |s| {
        s["buckets"][0]["Lifecycle"]["Rules"][0]["Expiration"] =
            json!({ "Date": "2026-01-01T00:00:00Z" });
    });
    let report = scan(&snap, "policies/production.yaml").json();
    let f = finding(
        &report,
        "S3L002",
        "shop-flow-logs/vpc/AWSLogs/111122223333/vpcflowlogs/eu-west-1/",
    );
    assert_eq!(f["status"], "fail");
    assert_eq!(f["evidence"]["effective"]["expiration"]["days"], 0);
}

#[test]
fn versioned_bucket_without_noncurrent_expiration_keeps_data_forever() {
    let dir = tempfile::tempdir().unwrap();
    let snap = variant(&compliant(), dir.path(), "versioned.json", |s| {
        s["buckets"][0]["Lifecycle"]["Rules"][0]
            .as_object_mut()
            .unwrap()
            .remove("NoncurrentVersionExpiration");
    });
    let report = scan(&snap, "policies/production.yaml").json();
    let f = finding(
        &report,
        "S3L005",
        "shop-flow-logs/vpc/AWSLogs/111122223333/vpcflowlogs/eu-west-1/",
    );
    assert_eq!(f["status"], "fail");
    assert!(f["message"].as_str().unwrap().contains("kept forever"));
}

#[test]
fn shared_vpcs_are_judged_in_the_owner_account_only() {
    let report = scan(&demo(), "policies/production.yaml").json();
    let out: Vec<&Value> = report["out_of_scope"].as_array().unwrap().iter().collect();
    assert!(out.iter().any(|o| {
        o["resource_id"] == "vpc-0b00000000000001b"
            && o["account_id"] == "111122223333"
            && o["reason"]
                .as_str()
                .unwrap()
                .contains("owned by account 444455556666")
    }));
    let judged: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "COV003" && f["resource_id"] == "vpc-0b00000000000001b")
        .collect();
    assert_eq!(judged.len(), 1);
    assert_eq!(judged[0]["account_id"], "444455556666");
}

#[test]
fn waivers_apply_until_they_expire_then_say_so() {
    let report = scan(&demo(), "policies/production.yaml").json();
    let f = finding(&report, "CWL003", "/aws/vpc/legacy-siem");
    assert_eq!(f["status"], "waived");
    assert_eq!(
        f["waiver"]["approved_by"],
        "security-architecture@example.com"
    );

    let later = run(&[
        "scan",
        "--snapshot",
        &demo().to_string_lossy(),
        "--policy",
        &path("policies/production.yaml"),
        "--format",
        "json",
        "--date",
        "2027-04-01",
    ])
    .json();
    let f = finding(&later, "CWL003", "/aws/vpc/legacy-siem");
    assert_eq!(f["status"], "fail");
    assert_eq!(f["waiver"]["expired"], true);
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("waiver for this expired on 2027-03-31")
    );
    assert_eq!(later["waivers"][0]["expired"], true);
}

#[test]
fn severity_overrides_apply() {
    let report = scan(&demo(), "policies/production.yaml").json();
    assert_eq!(
        finding(&report, "FLS004", "fl-00000000000000001")["severity"],
        "info"
    );
}

#[test]
fn profiles_are_chosen_by_tag_and_unmatched_vpcs_fall_to_default() {
    let report = scan(&demo(), "policies/production.yaml").json();
    assert_eq!(
        finding(&report, "COV003", "vpc-0a00000000000001a")["profile"],
        "production"
    );
    assert_eq!(
        finding(&report, "COV003", "vpc-0a00000000000007a")["profile"],
        "staging"
    );
    // The dev sandbox has an internet gateway: the internet-facing profile takes it.
    assert_eq!(
        finding(&report, "COV003", "vpc-0a00000000000009a")["profile"],
        "internet-facing"
    );
    // A VPC with no tags and no connection outside falls to the default; with no ENIs
    // it is judged by its subnets.
    let empty = finding(&report, "COV003", "vpc-0a00000000000008a");
    assert_eq!(empty["profile"], "default");
    assert_eq!(empty["evidence"]["judged"], "subnets");
}

#[test]
fn a_policy_without_default_lists_unselected_vpcs_as_out_of_scope() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("prod-only.yaml");
    std::fs::write(
        &policy,
        "name: prod-only\nprofiles:\n  - name: prod\n    match:\n      vpc_tags:\n        Environment: [nothing-has-this]\n    requirements:\n      coverage:\n        level: vpc\n",
    )
    .unwrap();
    let report = run(&[
        "scan",
        "--snapshot",
        &compliant().to_string_lossy(),
        "--policy",
        &policy.to_string_lossy(),
        "--format",
        "json",
        "--date",
        DATE,
    ])
    .json();
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    let vpc = report["out_of_scope"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["resource_id"] == "vpc-0c00000000000001c")
        .expect("the VPC is listed as out of scope");
    assert!(vpc["reason"].as_str().unwrap().contains("no profile"));
}

#[test]
fn every_rule_id_a_check_emits_is_registered() {
    let listed = run(&["rules", "--format", "json"]).json();
    let registered: std::collections::BTreeSet<String> = listed
        .as_array()
        .expect("rules is an array")
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let mut emitted = std::collections::BTreeSet::new();
    for policy in [
        "policies/baseline.yaml",
        "policies/production.yaml",
        "policies/regulated.yaml",
        "fixtures/policies/vpc-level.yaml",
        "fixtures/policies/subnet-level.yaml",
    ] {
        for estate in [demo(), compliant()] {
            for f in scan(&estate, policy).json()["findings"]
                .as_array()
                .expect("findings")
            {
                emitted.insert(f["rule_id"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    let gateways = root().join("fixtures/transit-gateway/estate.json");
    for f in scan(&gateways, "fixtures/policies/transit-gateway.yaml").json()["findings"]
        .as_array()
        .expect("findings")
    {
        emitted.insert(f["rule_id"].as_str().unwrap_or_default().to_string());
    }
    // Named destinations, and connectivity a snapshot lacks.
    for (snapshot, policy) in [
        (demo(), "fixtures/policies/central-archive.yaml"),
        (compliant(), "fixtures/policies/internet-facing.yaml"),
        (
            root().join("fixtures/records/observed.json"),
            "fixtures/policies/records.yaml",
        ),
    ] {
        for f in scan(&snapshot, policy).json()["findings"]
            .as_array()
            .expect("findings")
        {
            emitted.insert(f["rule_id"].as_str().unwrap_or_default().to_string());
        }
    }
    // A plan's unknowns: tests/plan.rs.
    let unknowns = path("fixtures/plans/unknown-ids.json");
    for f in run(&[
        "plan",
        &unknowns,
        "--policy",
        &path("policies/production.yaml"),
        "--format",
        "json",
    ])
    .json()["findings"]
        .as_array()
        .expect("findings")
    {
        emitted.insert(f["rule_id"].as_str().unwrap_or_default().to_string());
    }
    let unregistered: Vec<&String> = emitted.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "emitted but not registered: {unregistered:?}"
    );
    // Every registered rule is emitted somewhere, so this test sees them all.
    let unseen: Vec<&String> = registered.difference(&emitted).collect();
    assert!(
        unseen.is_empty(),
        "registered but never emitted: {unseen:?}"
    );
}

#[test]
fn the_docs_rule_table_is_the_registry() {
    let readme = std::fs::read_to_string(root().join("docs/rules.md")).expect("docs/rules.md");
    let table: Vec<String> = readme
        .lines()
        .filter(|l| l.starts_with("| `") && l.matches(" | ").count() == 4)
        .map(str::to_string)
        .collect();
    let listed = run(&["rules", "--format", "json"]).json();
    let expected: Vec<String> = listed
        .as_array()
        .expect("rules is an array")
        .iter()
        .map(|r| {
            format!(
                "| `{}` | `{}` | {} | {} | {} |",
                r["id"].as_str().unwrap_or_default(),
                r["name"].as_str().unwrap_or_default(),
                r["category"].as_str().unwrap_or_default(),
                r["default_severity"].as_str().unwrap_or_default(),
                r["summary"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        table, expected,
        "docs/rules.md's rule table differs from `flowaudit rules`"
    );
}

#[test]
fn a_destination_with_many_users_gives_counts_and_a_bounded_sample() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = variant(&compliant(), dir.path(), "many.json", |s| {
        let logs = s["accounts"][0]["regions"][0]["flow_logs"]
            .as_array_mut()
            .expect("flow logs");
        let template = logs[1].clone();
        for i in 0..25 {
            let mut copy = template.clone();
            copy["FlowLogId"] = json!(format!("fl-0c00000000000a{i:03}"));
            logs.push(copy);
        }
    });
    let report = scan(&file, "policies/production.yaml").json();
    let dependents = &finding(&report, "DST002", "shop-flow-logs")["evidence"]["dependents"];
    assert_eq!(dependents["flow_log_count"], 26);
    assert_eq!(dependents["flow_logs"].as_array().map(Vec::len), Some(10));
    assert_eq!(dependents["flow_logs"][0], "fl-0c000000000000002");
    assert_eq!(dependents["vpc_count"], 1);
}
