//! What the policy's words mean, on snapshot and plan fixtures: delivery shapes that never
//! pass, a one-sided expiry range, `policy validate`'s warnings, and the plan gate's reading
//! of named destinations and internet gateways.

mod common;

use common::*;
use serde_json::Value;

fn scan_delivery() -> Run {
    scan(
        &root().join("fixtures/delivery/estate.json"),
        "fixtures/policies/live.yaml",
    )
}

fn by_resource<'a>(report: &'a Value, rule: &str) -> Vec<(&'a str, &'a str, &'a str)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| {
            (
                f["resource_id"].as_str().unwrap_or_default(),
                f["status"].as_str().unwrap_or_default(),
                f["severity"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_delivery_error_or_an_undocumented_value_never_passes() {
    let run = scan_delivery();
    let report = run.json();
    // fl-..1: an error message without a status; ..2: neither; ..3: status PENDING;
    // ..4: SUCCESS; ..5: SUCCESS with an undocumented traffic type.
    assert_eq!(
        by_resource(&report, "FLS002"),
        [
            ("fl-0d000000000000001", "fail", "high"),
            ("fl-0d000000000000002", "fail", "medium"),
            ("fl-0d000000000000003", "fail", "high"),
            ("fl-0d000000000000004", "pass", "high"),
            ("fl-0d000000000000005", "pass", "high"),
        ]
    );
    assert_eq!(
        by_resource(&report, "COV003")
            .iter()
            .map(|(vpc, status, _)| format!("{vpc} {status}"))
            .collect::<Vec<_>>(),
        [
            "vpc-0d000000000000001 fail",
            // Unconfirmed delivery still counts toward coverage.
            "vpc-0d000000000000002 pass",
            "vpc-0d000000000000003 fail",
            "vpc-0d000000000000004 pass",
            "vpc-0d000000000000005 fail",
        ]
    );
    let message = |rule: &str, id: &str| -> String {
        finding(&report, rule, id)["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        message("FLS002", "fl-0d000000000000001").contains("Access error (no DeliverLogsStatus)")
    );
    assert!(message("FLS002", "fl-0d000000000000002").contains("delivery could not be confirmed"));
    assert!(
        message("FLS002", "fl-0d000000000000003").contains("PENDING, which AWS does not document")
    );
    assert!(message("FLS003", "fl-0d000000000000005").contains("ALL_AND_MORE"));
    // Each undocumented value is named on standard error.
    for line in [
        "warning: fl-0d000000000000003 in 111122223333/eu-west-1: DeliverLogsStatus `PENDING` is not one AWS documents",
        "warning: fl-0d000000000000005 in 111122223333/eu-west-1: TrafficType `ALL_AND_MORE` is not one AWS documents",
    ] {
        assert!(run.stderr.contains(line), "{line} not in {}", run.stderr);
    }
    assert_eq!(run.code, 1);
}

#[test]
fn a_minimum_alone_requires_expiry_unless_never_is_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The compliant estate's bucket, with no lifecycle at all.
    let estate = variant(&compliant(), dir.path(), "no-lifecycle.json", |s| {
        s["buckets"][0]["Lifecycle"] = serde_json::json!({"Rules": []});
    });
    let policy = |name: &str, s3: &str| -> String {
        let file = dir.path().join(name);
        std::fs::write(
            &file,
            format!("name: {name}\ndefault:\n  s3:\n    expiration_days: {{ min: 90 }}\n{s3}"),
        )
        .expect("policy");
        file.to_string_lossy().to_string()
    };
    let never = |policy: &str| -> Vec<String> {
        by_resource(&scan(&estate, policy).json(), "S3L001")
            .iter()
            .map(|(_, status, _)| status.to_string())
            .collect()
    };
    assert_eq!(never(&policy("min-only.yaml", "")), ["fail"]);
    assert_eq!(
        never(&policy(
            "min-never-ok.yaml",
            "    forbid_never_expire: false\n"
        )),
        Vec::<String>::new()
    );
    // policy validate explains both readings, and warns about a section that cannot fail.
    let validated = run(&["policy", "validate", &policy("min-only-again.yaml", "")]);
    assert_eq!(validated.code, 0);
    assert!(
        validated.stderr.contains("note: ")
            && validated
                .stderr
                .contains("only `min: 90`: data must be kept at least 90 days and must expire"),
        "{}",
        validated.stderr
    );
    let empty = dir.path().join("empty-s3.yaml");
    std::fs::write(
        &empty,
        "name: empty\ndefault:\n  s3: {}\n  destinations: {}\n",
    )
    .expect("policy");
    let validated = run(&["policy", "validate", &empty.to_string_lossy()]);
    assert_eq!(validated.code, 0);
    for key in [
        "s3: sets no expiration range",
        "destinations: allows any destination",
    ] {
        assert!(
            validated.stderr.contains("warning: ") && validated.stderr.contains(key),
            "{key}: {}",
            validated.stderr
        );
    }
    // The shipped policies carry no warning.
    for shipped in [
        "policies/baseline.yaml",
        "policies/production.yaml",
        "policies/regulated.yaml",
    ] {
        let validated = run(&["policy", "validate", &path(shipped)]);
        assert!(
            !validated.stderr.contains("warning:"),
            "{shipped}: {}",
            validated.stderr
        );
    }
}

#[test]
fn allowed_arns_are_checked_where_they_are_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "name: bad\ndefault:\n  destinations:\n    allowed_arns: [\"org-flow-logs\"]\n",
    )
    .expect("policy");
    let validated = run(&["policy", "validate", &file.to_string_lossy()]);
    assert_eq!(validated.code, 2);
    assert!(
        validated.stderr.contains("bad.yaml:4:")
            && validated.stderr.contains("is not an ARN pattern"),
        "{}",
        validated.stderr
    );
}

fn plan(fixture: &str, policy: &str) -> Run {
    run(&[
        "plan",
        &path(&format!("fixtures/plans/{fixture}.json")),
        "--policy",
        &path(policy),
        "--format",
        "json",
        "--date",
        DATE,
    ])
}

#[test]
fn the_plan_gate_matches_planned_destinations_and_reads_internet_gateways() {
    let report = plan(
        "flow-logs-to-named-buckets",
        "fixtures/policies/central-archive.yaml",
    )
    .json();
    let statuses = |rule: &str| -> Vec<(String, String)> {
        by_resource(&report, rule)
            .iter()
            .map(|(r, s, _)| (r.to_string(), s.to_string()))
            .collect()
    };
    let pair = |r: &str, s: &str| (r.to_string(), s.to_string());
    assert_eq!(
        statuses("DST005"),
        [
            pair("fl-(aws_flow_log.central)", "pass"),
            // From a data source: unknown until apply, never a pass.
            pair("fl-(aws_flow_log.looked_up)", "unknown"),
            pair("fl-(aws_flow_log.team)", "fail"),
        ]
    );
    assert_eq!(
        statuses("COV003"),
        [
            pair("vpc-(aws_vpc.central)", "pass"),
            pair("vpc-(aws_vpc.looked_up)", "unknown"),
            pair("vpc-(aws_vpc.team)", "fail"),
        ]
    );

    let report = plan(
        "new-internet-gateway",
        "fixtures/policies/internet-facing.yaml",
    )
    .json();
    let cov = finding(&report, "COV003", "vpc-(aws_vpc.public)");
    assert_eq!(
        (cov["status"].as_str(), cov["profile"].as_str()),
        (Some("fail"), Some("internet-facing")),
        "{cov}"
    );
    assert_eq!(status(&report, "COV003", "vpc-(aws_vpc.isolated)"), None);
    assert!(by_resource(&report, "COL005").is_empty());
}
