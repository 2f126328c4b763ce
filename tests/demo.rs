//! The bundled demo estate, scanned by the real binary: exact findings, exit codes, and
//! byte-identical output across runs.

mod common;

use common::*;

#[test]
fn demo_estate_findings_under_production() {
    let run = scan(&demo(), "policies/production.yaml");
    assert_eq!(run.code, 1, "violations exit 1; stderr: {}", run.stderr);
    let report = run.json();
    insta::assert_snapshot!("production_non_passing", non_passing(&report));
    // Sorted, so the snapshot does not depend on serde_json's preserve_order feature.
    let mut summary = serde_json::json!([report["summary"], report["out_of_scope"]]);
    summary.sort_all_objects();
    insta::assert_json_snapshot!("production_summary", summary);
}

#[test]
fn demo_scan_is_byte_identical_across_runs() {
    let first = scan(&demo(), "policies/production.yaml").stdout;
    let second = scan(&demo(), "policies/production.yaml").stdout;
    assert!(!first.is_empty());
    assert_eq!(first, second);
    let table_a = scan_demo(&[]).stdout;
    let table_b = scan_demo(&[]).stdout;
    assert_eq!(table_a, table_b);
}

#[test]
fn json_report_carries_digests_and_scope() {
    let report = scan(&demo(), "policies/production.yaml").json();
    assert_eq!(report["schema_version"], 5);
    assert_eq!(report["tool"]["name"], "flowaudit");
    assert_eq!(report["policy"]["name"], "production");
    assert_eq!(report["policy"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(report["snapshot"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(report["snapshot"]["collected_at"], "2026-11-20T03:00:00Z");
    assert_eq!(report["evaluated_on"], DATE);
    for f in report["findings"].as_array().unwrap() {
        for key in [
            "rule_id",
            "category",
            "severity",
            "status",
            "resource_type",
            "resource_id",
            "account_id",
            "region",
            "message",
            "evidence",
            "remediation",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        if f["status"] == "fail" {
            assert!(
                !f["remediation"].as_str().unwrap().is_empty(),
                "failure without a fix: {f}"
            );
        }
    }
}

#[test]
fn finding_keys_are_unique() {
    // Drift and waivers match findings by (rule, resource, account, region).
    for policy in [
        "policies/production.yaml",
        "policies/regulated.yaml",
        "policies/baseline.yaml",
    ] {
        let report = scan(&demo(), policy).json();
        let mut keys = std::collections::BTreeSet::new();
        for f in report["findings"].as_array().unwrap() {
            let key = (
                f["rule_id"].to_string(),
                f["resource_id"].to_string(),
                f["account_id"].to_string(),
                f["region"].to_string(),
            );
            assert!(
                keys.insert(key.clone()),
                "duplicate finding {key:?} under {policy}"
            );
        }
    }
}

#[test]
fn fail_on_sets_the_threshold_and_errors_exit_3() {
    // The demo has high-severity failures, so --fail-on high still exits 1...
    let high = scan_demo(&["--fail-on", "high"]);
    assert_eq!(high.code, 1);
    // ...but nothing critical, and it has collection errors: exit 3, never 0.
    let critical = scan_demo(&["--fail-on", "critical"]);
    assert_eq!(critical.code, 3);
}

#[test]
fn table_groups_failures_and_ends_with_a_summary() {
    let out = scan_demo(&[]).stdout;
    let summary = out.lines().last().unwrap();
    let report = scan(&demo(), "policies/production.yaml").json();
    let s = &report["summary"];
    assert_eq!(
        summary,
        format!(
            "{} failed, {} errors, {} waived, {} passed",
            s["fail"], s["error"], s["waived"], s["pass"]
        )
    );
    let headers: Vec<&str> = out
        .lines()
        .filter(|l| l.ends_with(')') && l.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect();
    assert_eq!(
        headers
            .iter()
            .map(|h| h.split(' ').next().unwrap())
            .collect::<Vec<_>>(),
        [
            "coverage",
            "flow_log_settings",
            "destination",
            "cloudwatch_retention",
            "s3_lifecycle",
            "destination_security",
            "collection",
            "waived"
        ]
    );
}

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let run = scan_demo(&["--format", "json", "--output", &out.to_string_lossy()]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o044,
            0o044,
            "reports are readable like any file ({mode:o})"
        );
    }
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(written["policy"]["name"], "production");
}

#[test]
fn rules_and_explain() {
    let rules = run(&["rules", "--format", "json"]).json();
    assert_eq!(rules.as_array().unwrap().len(), 37);
    let table = run(&["rules"]).stdout;
    assert!(table.contains("COV003") && table.contains("eni-without-flow-log"));
    let explained = run(&["explain", "S3L005"]);
    assert_eq!(explained.code, 0);
    for part in [
        "What it checks",
        "Why it matters",
        "How to fix it",
        "aws s3api",
    ] {
        assert!(explained.stdout.contains(part), "{part}");
    }
    assert_eq!(run(&["explain", "eni-without-flow-log"]).code, 0);
    let unknown = run(&["explain", "NOPE01"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unknown rule `NOPE01`"));
}

#[test]
fn readme_lists_every_rule_and_exit_code() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rules_page = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    for rule in run(&["rules", "--format", "json"])
        .json()
        .as_array()
        .unwrap()
    {
        let row = format!(
            "| `{}` | `{}` |",
            rule["id"].as_str().unwrap(),
            rule["name"].as_str().unwrap()
        );
        assert!(
            rules_page.contains(&row),
            "docs/rules.md lacks the rule row {row}"
        );
    }
    for code in ["| 0 |", "| 1 |", "| 2 |", "| 3 |"] {
        assert!(readme.contains(code), "README lacks exit code {code}");
    }
}
