//! The plan gate judges the change: problems are classed introduced, touched or
//! pre-existing against the existing estate, `--gate` picks what fails the run, every
//! Terraform plan format and encoding is read, and findings point at the `.tf` line.

mod common;

use common::*;
use std::path::Path;

use serde_json::{Value, json};

const POLICY: &str = "policies/production.yaml";

/// `plan` of a plan file under the production policy in a format, on the test date.
fn plan_in(file: &Path, format: &str, extra: &[&str]) -> Run {
    let (file, policy) = (file.to_string_lossy(), path(POLICY));
    let mut args = vec![
        "plan", &file, "--policy", &policy, "--format", format, "--date", DATE,
    ];
    args.extend(extra);
    run(&args)
}

/// `plan --format json` of a fixture in fixtures/plans.
fn plan(fixture: &str, extra: &[&str]) -> Run {
    plan_in(&fixture_path(fixture), "json", extra)
}

fn fixture_path(fixture: &str) -> std::path::PathBuf {
    root().join(format!("fixtures/plans/{fixture}.json"))
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

/// Every problem as "RULE resource class".
fn problems(report: &Value) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| matches!(f["status"].as_str(), Some("fail" | "error" | "unknown")))
        .map(|f| {
            format!(
                "{} {} {}",
                f["rule_id"].as_str().unwrap_or_default(),
                f["resource_id"].as_str().unwrap_or_default(),
                f["change"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn changes(report: &Value) -> Vec<String> {
    report["plan_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["change"].as_str().map(str::to_string))
        .collect()
}

const DEMO: &str = "fixtures/demo/estate.json";

#[test]
fn old_debt_is_reported_but_does_not_fail_the_default_gate() {
    let run = plan("root-compliant", &["--with-snapshot", &path(DEMO)]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    // The demo estate's 38 failures and 6 errors are all listed, and all pre-existing.
    assert_eq!(report["summary"]["fail"], 38, "{}", report["summary"]);
    let all = problems(&report);
    assert_eq!(all.len(), 44, "{all:#?}");
    assert!(all.iter().all(|p| p.ends_with(" pre-existing")), "{all:#?}");
    assert_eq!(
        report["gate"],
        json!({"mode": "touched", "introduced": 0, "touched": 0, "pre_existing": 44})
    );
    // --gate all is the old behaviour: the estate's debt fails the run.
    let all = plan(
        "root-compliant",
        &["--with-snapshot", &path(DEMO), "--gate", "all"],
    );
    assert_eq!(all.code, 1, "{}", all.stdout);
    // The table and the Markdown list them after the rest, under a heading that says so.
    for format in ["table", "markdown"] {
        let out = plan_in(
            &fixture_path("root-compliant"),
            format,
            &["--with-snapshot", &path(DEMO)],
        );
        assert_eq!(out.code, 0);
        assert!(
            out.stdout.contains(
                "Not counted by this gate (--gate touched): 44 pre-existing problems, which do not fail it"
            ),
            "{format}: {}",
            out.stdout
        );
        assert!(out.stdout.contains("pre-existing"), "{format}");
    }
}

#[test]
fn a_plan_that_takes_coverage_away_introduces_the_failure() {
    let run = plan(
        "deletes-flow-log",
        &[
            "--with-snapshot",
            &path("fixtures/plans/existing-estate.json"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        problems(&report),
        ["COV003 vpc-0a1b2c3d4e5f60718 introduced"]
    );
    // Even the narrowest gate fails on it.
    let narrow = plan(
        "deletes-flow-log",
        &[
            "--with-snapshot",
            &path("fixtures/plans/existing-estate.json"),
            "--gate",
            "introduced",
        ],
    );
    assert_eq!(narrow.code, 1);
}

#[test]
fn updating_a_noncompliant_log_group_without_fixing_it_touches_it() {
    let run = plan("updates-log-group-tags", &["--with-snapshot", &path(DEMO)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    let touched: Vec<String> = problems(&report)
        .into_iter()
        .filter(|p| !p.ends_with(" pre-existing"))
        .collect();
    assert_eq!(touched, ["CWL002 /vpc/prod-us touched"]);
    // Only problems the plan brings in count under --gate introduced.
    let narrow = plan(
        "updates-log-group-tags",
        &["--with-snapshot", &path(DEMO), "--gate", "introduced"],
    );
    assert_eq!(narrow.code, 0, "{}", narrow.stdout);
    assert_eq!(narrow.json()["gate"]["touched"], 1);
}

#[test]
fn a_plan_that_fixes_an_old_problem_says_so() {
    let run = plan(
        "fixes-log-group-retention",
        &["--with-snapshot", &path(DEMO)],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        status(&report, "CWL002", "/vpc/prod-us").as_deref(),
        Some("pass")
    );
    let said = changes(&report);
    assert!(
        said.iter().any(|c| c.starts_with(
            "resolves CWL002 of /vpc/prod-us: it was fail: log group /vpc/prod-us keeps events 3 days"
        )),
        "{said:#?}"
    );
}

#[test]
fn deleting_a_central_lifecycle_introduces_a_failure_in_every_subtree() {
    let estate = path("fixtures/plans/log-archive-estate.json");
    let run = plan("deletes-central-lifecycle", &["--with-snapshot", &estate]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    let found = problems(&report);
    for account in ["111122223333", "444455556666"] {
        let expected = format!(
            "S3L001 acme-central-flow-logs/AWSLogs/{account}/vpcflowlogs/eu-west-1/ introduced"
        );
        assert!(found.contains(&expected), "{expected} not in {found:#?}");
    }
    assert!(
        found.iter().all(|p| p.ends_with(" introduced")),
        "{found:#?}"
    );
    // The deleted configuration names its bucket in `before`: nothing is unknown.
    assert_eq!(
        report["summary"]["unknown"],
        Value::Null,
        "{}",
        report["summary"]
    );
    assert!(
        changes(&report).iter().any(|c| c
            .starts_with("deletes the lifecycle configuration of bucket acme-central-flow-logs")),
        "{:#?}",
        changes(&report)
    );
}

#[test]
fn without_an_existing_estate_every_problem_is_introduced() {
    let report = plan("lifecycle-prefix-miss", &[]).json();
    let found = problems(&report);
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|p| p.ends_with(" introduced")),
        "{found:#?}"
    );
    // A gate that is not a known one is bad input.
    let bad = plan("lifecycle-prefix-miss", &["--gate", "some"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("expected introduced, touched or all"),
        "{}",
        bad.stderr
    );
}

#[test]
fn sarif_and_junit_carry_the_class() {
    let sarif = |fixture: &str, estate: &str| -> Vec<(String, String)> {
        let run = plan_in(
            &fixture_path(fixture),
            "sarif",
            &["--with-snapshot", &path(estate)],
        );
        let doc: Value = serde_json::from_str(&run.stdout).expect("SARIF");
        doc["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["properties"]["status"] != "waived")
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap_or_default().to_string(),
                    r["baselineState"].as_str().unwrap_or("-").to_string(),
                )
            })
            .collect()
    };
    let old = sarif("root-compliant", DEMO);
    assert_eq!(old.len(), 44);
    assert!(old.iter().all(|(_, state)| state == "unchanged"), "{old:?}");
    assert_eq!(
        sarif("deletes-flow-log", "fixtures/plans/existing-estate.json"),
        [("COV003".to_string(), "new".to_string())]
    );
    let touched = sarif("updates-log-group-tags", DEMO);
    assert!(touched.contains(&("CWL002".to_string(), "updated".to_string())));
    // JUnit: an old problem the gate does not count is skipped, not failed.
    let junit = plan_in(
        &fixture_path("root-compliant"),
        "junit",
        &["--with-snapshot", &path(DEMO)],
    );
    assert!(!junit.stdout.contains("<failure"), "{}", junit.stdout);
    assert!(
        junit
            .stdout
            .contains("pre-existing, not counted by this gate")
    );
}

#[test]
fn plans_from_older_terraform_are_judged_like_their_twins() {
    let verdicts = |fixture: &str, extra: &[&str]| -> Vec<(String, String, String)> {
        let run = plan(fixture, extra);
        assert!(run.code <= 3, "{fixture}: {}", run.stderr);
        let mut found: Vec<(String, String, String)> = findings(&run.json())
            .iter()
            .map(|f| {
                let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                (text("rule_id"), text("resource_id"), text("status"))
            })
            .collect();
        found.sort();
        found
    };
    let existing = path("fixtures/plans/existing-estate.json");
    for (twin, original, extra) in [
        ("root-compliant.format-0.1", "root-compliant", vec![]),
        ("nested-modules.format-0.1", "nested-modules", vec![]),
        (
            "count-and-for-each.format-0.1",
            "count-and-for-each",
            vec![],
        ),
        (
            "terraform-aws-modules-vpc-flow-log-on.format-0.2",
            "terraform-aws-modules-vpc-flow-log-on",
            vec![],
        ),
        (
            "deletes-flow-log.format-0.2",
            "deletes-flow-log",
            vec!["--with-snapshot", existing.as_str()],
        ),
        ("root-compliant.utf16", "root-compliant", vec![]),
    ] {
        let judged = verdicts(twin, &extra);
        assert!(!judged.is_empty(), "{twin}");
        assert_eq!(
            judged,
            verdicts(original, &extra),
            "{twin} differs from {original}"
        );
    }
    // A 0.12-style reference names the resource alone, without `.id`.
    let old = std::fs::read_to_string(fixture_path("root-compliant.format-0.1")).expect("fixture");
    assert!(old.contains("\"format_version\": \"0.1\""));
    assert!(old.contains("\"aws_vpc.main\"") && !old.contains("\"aws_vpc.main.id\""));
}

#[test]
fn byte_order_marks_are_read_and_other_encodings_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(fixture_path("root-compliant")).expect("fixture");
    let expected = plan("root-compliant", &[]).json()["summary"].clone();
    let utf16 = |big_endian: bool| -> Vec<u8> {
        let mut bytes = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            bytes.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        bytes
    };
    let bom_utf8 = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    for (name, bytes) in [
        ("utf8-bom.json", bom_utf8),
        ("utf16-le.json", utf16(false)),
        ("utf16-be.json", utf16(true)),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).expect("write");
        let run = plan_in(&file, "json", &[]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(run.json()["summary"], expected, "{name}");
    }
    // UTF-16 without a byte-order mark, and Latin-1, are named, with the fix.
    let bare: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let latin1 = b"{\"format_version\": \"1.2\", \"caf\xE9\": 1}".to_vec();
    for (name, bytes, says) in [
        ("bare.json", bare, "UTF-16 without a byte-order mark"),
        ("latin1.json", latin1, "invalid byte 0xE9"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).expect("write");
        let run = plan_in(&file, "json", &[]);
        assert_eq!(run.code, 2, "{name}");
        assert!(run.stderr.contains(says), "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains("Out-File -Encoding utf8 plan.json"),
            "{name}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(&format!("{name}:1:")), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn a_local_that_reads_a_child_module_output_is_followed() {
    // aws-ia/vpc: local.log_destination = module.cloudwatch_log_group[0].log_group.arn.
    let run = plan("aws-ia-vpc-flow-logs", &[]);
    let report = run.json();
    assert_eq!(report["summary"]["unknown"], Value::Null, "{}", run.stdout);
    let group = finding(&report, "CWL002", "/aws/vpc-flow-logs/shop");
    assert_eq!(group["status"], "fail", "{group}");
    let cov = finding(&report, "COV003", "vpc-(aws_vpc.main[0])");
    assert_eq!(cov["status"], "pass", "{cov}");
    let fl = finding(
        &report,
        "DST001",
        "fl-(module.flow_logs[0].aws_flow_log.main)",
    );
    let chain = fl["evidence"]["inferred"]
        .as_array()
        .expect("inferred")
        .iter()
        .find(|i| i["attribute"] == "log_destination")
        .expect("log_destination inferred")["chain"]
        .to_string();
    assert!(
        chain.contains(
            "module.flow_logs[0].module.cloudwatch_log_group[0].aws_cloudwatch_log_group.flow_logs (the only aws_cloudwatch_log_group in module.flow_logs[0] and its child modules)"
        ),
        "{chain}"
    );
    // --strict-references infers nothing: the destination is unknown, never a pass.
    let strict = plan("aws-ia-vpc-flow-logs", &["--strict-references"]).json();
    assert_ne!(strict["summary"]["unknown"], Value::Null);
}

#[test]
fn findings_point_at_the_tf_line() {
    let tree = root().join("fixtures/terraform");
    let tree_arg = tree.to_string_lossy().to_string();
    let plan_file = tree.join("plan.json");
    let run = plan_in(&plan_file, "json", &["--terraform-dir", &tree_arg]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // A .tf file that does not parse is a warning with its place; it changes no verdict.
    assert!(
        run.stderr
            .contains("warning: fixtures/terraform/broken.tf:3:24: cannot parse"),
        "{}",
        run.stderr
    );
    let report = run.json();
    let at = |rule: &str, resource: &str| -> String {
        let f = finding(&report, rule, resource);
        format!(
            "{}:{}:{}",
            f["source"]["file"].as_str().unwrap_or("-"),
            f["source"]["line"],
            f["source"]["column"]
        )
    };
    assert_eq!(
        at("COV003", "vpc-(aws_vpc.main)"),
        "fixtures/terraform/main.tf:14:1"
    );
    assert_eq!(
        at("CWL002", "/vpc/main/flow-logs"),
        "fixtures/terraform/logging.tf:1:1"
    );
    // An indented block: its column counts.
    assert_eq!(
        at("FLS003", "fl-(aws_flow_log.main)"),
        "fixtures/terraform/logging.tf:7:3"
    );
    // A local module's resource, a registry module's through .terraform/modules, and a
    // module whose files are not in the tree (its call).
    assert_eq!(
        at("COV003", "vpc-(module.network.aws_vpc.this)"),
        "fixtures/terraform/modules/network/main.tf:1:1"
    );
    assert_eq!(
        at("COV003", "vpc-(module.vpc.aws_vpc.this[0])"),
        "fixtures/terraform/.terraform/modules/vpc/main.tf:6:1"
    );
    assert_eq!(
        at("COV003", "vpc-(module.edge.aws_vpc.edge)"),
        "fixtures/terraform/logging.tf:25:1"
    );
    // Without the tree the verdicts are the same, with no source.
    let bare = plan_in(&plan_file, "json", &[]).json();
    let strip = |r: &Value| -> Vec<Value> {
        findings(r)
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f.as_object_mut().map(|m| m.remove("source"));
                f
            })
            .collect()
    };
    assert_eq!(strip(&report), strip(&bare));
    assert!(findings(&bare).iter().all(|f| f["source"].is_null()));

    // SARIF: physical locations, still valid SARIF 2.1.0.
    let sarif_run = plan_in(&plan_file, "sarif", &["--terraform-dir", &tree_arg]);
    let sarif: Value = serde_json::from_str(&sarif_run.stdout).expect("SARIF");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json"))
            .expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let fls = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "FLS003")
        .expect("FLS003 result");
    assert_eq!(
        fls["locations"][0]["physicalLocation"],
        json!({
            "artifactLocation": {"uri": "fixtures/terraform/logging.tf", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 7, "startColumn": 3}
        })
    );
    assert_eq!(fls["baselineState"], "new");
    // GitHub annotations name the file and line.
    let github = plan_in(&plan_file, "github", &["--terraform-dir", &tree_arg]);
    assert!(
        github
            .stdout
            .contains("::warning file=fixtures/terraform/logging.tf,line=7,col=3,title=FLS003"),
        "{}",
        github.stdout
    );
    // A folder that is not one is bad input, before anything is read.
    let missing = plan_in(&plan_file, "json", &["--terraform-dir", "no/such/dir"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("--terraform-dir no/such/dir: not a folder")
    );
}

#[test]
fn a_plan_report_with_classes_and_sources_still_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let saved = dir.path().join("planned.json");
    let tree = root().join("fixtures/terraform");
    let planned = plan_in(
        &tree.join("plan.json"),
        "json",
        &[
            "--terraform-dir",
            &tree.to_string_lossy(),
            "--save-snapshot",
            &saved.to_string_lossy(),
            "-o",
            &report.to_string_lossy(),
        ],
    );
    assert_eq!(planned.code, 1, "{}", planned.stderr);
    let verified = run(&[
        "verify",
        &report.to_string_lossy(),
        "--snapshot",
        &saved.to_string_lossy(),
        "--policy",
        &path(POLICY),
    ]);
    assert_eq!(verified.code, 0, "{}", verified.stdout);
}

#[test]
fn every_unknown_names_what_it_affects_and_deletions_are_never_unknown() {
    let mut plans: Vec<std::path::PathBuf> = std::fs::read_dir(root().join("fixtures/plans"))
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !p.to_string_lossy().contains("estate"))
        .collect();
    plans.sort();
    assert!(plans.len() >= 20, "{plans:?}");
    for file in plans {
        let report = plan_in(&file, "json", &[]).json();
        for f in findings(&report) {
            if f["rule_id"] == "COL004" {
                let affects = f["evidence"]["affects"].as_array().map_or(0, Vec::len);
                assert!(affects > 0, "{}: {f}", file.display());
            }
        }
    }
    // The lifecycle configuration being deleted names its bucket in `before` only.
    let report = plan("deletes-central-lifecycle", &[]).json();
    let about_deleted: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["rule_id"] == "COL004")
        .filter(|f| f["evidence"]["address"] == "aws_s3_bucket_lifecycle_configuration.central")
        .collect();
    assert!(about_deleted.is_empty(), "{about_deleted:#?}");
}
