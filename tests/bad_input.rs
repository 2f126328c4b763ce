//! Bad policies, snapshots and arguments: exit 2, one paragraph naming the place and what
//! was expected, no panic, and no report written.

mod common;

use common::*;

/// Scans the demo with a policy written from `text`, into an output file that must not appear.
fn scan_with_policy(text: &str) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, text).unwrap();
    let output = dir.path().join("report.json");
    let run = run(&[
        "scan",
        "--snapshot",
        &demo().to_string_lossy(),
        "--policy",
        &policy.to_string_lossy(),
        "--format",
        "json",
        "--output",
        &output.to_string_lossy(),
        "--date",
        DATE,
    ]);
    assert!(!output.exists(), "a report was written despite bad input");
    (run, policy.to_string_lossy().into_owned())
}

fn assert_clean_error(run: &Run, location: &str, expected: &[&str]) {
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    let err = run.stderr.trim_end();
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one paragraph expected: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(location), "`{location}` not in: {err}");
    for e in expected {
        assert!(err.contains(e), "`{e}` not in: {err}");
    }
}

#[test]
fn unknown_key() {
    let (run, file) =
        scan_with_policy("name: x\ndefault:\n  coverage:\n    level: eni\n    colour: red\n");
    assert_clean_error(
        &run,
        &format!("{file}:5:5"),
        &[
            "unknown field `colour`",
            "expected `level` or `include_empty_vpcs`",
        ],
    );
}

#[test]
fn string_where_a_number_belongs() {
    let (run, file) =
        scan_with_policy("name: x\ndefault:\n  s3:\n    expiration_days:\n      min: fourteen\n");
    assert_clean_error(
        &run,
        &format!("{file}:5:12"),
        &[
            "default.s3.expiration_days.min",
            "invalid type: string \"fourteen\"",
            "number of days",
        ],
    );
}

#[test]
fn min_above_max() {
    let (run, file) = scan_with_policy(
        "name: x\ndefault:\n  cloudwatch:\n    retention_days: { min: 30, max: 14 }\n",
    );
    assert_clean_error(
        &run,
        &format!("{file}:4:21"),
        &["min (30 days) is above max (14 days)"],
    );
}

#[test]
fn retention_cloudwatch_does_not_accept() {
    let (run, file) =
        scan_with_policy("name: x\ndefault:\n  cloudwatch:\n    retention_days:\n      min: 15\n");
    assert_clean_error(
        &run,
        &format!("{file}:5:12"),
        &[
            "15 days is not a retention CloudWatch Logs accepts",
            "14, 30",
        ],
    );
}

#[test]
fn waiver_without_expiry() {
    let (run, file) = scan_with_policy(
        "name: x\nwaivers:\n  - rules: [CWL001]\n    reason: legacy\n    approved_by: someone\n",
    );
    assert_clean_error(
        &run,
        &format!("{file}:3:5"),
        &["waivers[0]", "missing field `expires`"],
    );
}

#[test]
fn unknown_rule_id() {
    let (run, file) = scan_with_policy("name: x\nseverity:\n  CWL999: high\n");
    assert_clean_error(&run, &format!("{file}:3:3"), &["unknown rule id `CWL999`"]);
}

#[test]
fn required_destination_that_is_not_allowed() {
    let (run, file) = scan_with_policy(
        "name: x\ndefault:\n  destinations:\n    allowed: [s3]\n    required: [cloud-watch-logs]\n",
    );
    assert_clean_error(
        &run,
        &format!("{file}:4:5"),
        &["`cloud-watch-logs` is required but not in `allowed`"],
    );
}

#[test]
fn misspelt_log_field() {
    let (run, file) =
        scan_with_policy("name: x\ndefault:\n  flow_logs:\n    required_fields: [tcp-flag]\n");
    assert_clean_error(
        &run,
        &format!("{file}:4:23"),
        &["`tcp-flag` is not a flow log field", "tcp-flags"],
    );
}

fn scan_with_snapshot(text: &str) -> (Run, String) {
    scan_with_snapshot_bytes(text.as_bytes())
}

fn scan_with_snapshot_bytes(text: &[u8]) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    std::fs::write(&snapshot, text).unwrap();
    let output = dir.path().join("report.json");
    let run = run(&[
        "scan",
        "--snapshot",
        &snapshot.to_string_lossy(),
        "--policy",
        &path("policies/production.yaml"),
        "--output",
        &output.to_string_lossy(),
        "--date",
        DATE,
    ]);
    assert!(!output.exists(), "a report was written despite bad input");
    (run, snapshot.to_string_lossy().into_owned())
}

#[test]
fn truncated_snapshot() {
    let full = std::fs::read_to_string(demo()).unwrap();
    let (run, file) = scan_with_snapshot(&full[..full.len() / 2]);
    assert_clean_error(
        &run,
        &format!("snapshot {file}:"),
        &["truncated", "schema_version 1"],
    );
}

#[test]
fn snapshot_of_another_schema_version() {
    let full = std::fs::read_to_string(demo()).unwrap();
    let (run, file) =
        scan_with_snapshot(&full.replacen("\"schema_version\": 1", "\"schema_version\": 2", 1));
    assert_clean_error(
        &run,
        &format!("{file}:2:21"),
        &[
            "schema_version 2 is not supported",
            "reads schema_version 1",
        ],
    );
}

#[test]
fn snapshot_with_a_wrong_field_type() {
    let full = std::fs::read_to_string(compliant()).unwrap();
    let (run, file) = scan_with_snapshot(&full.replacen(
        "\"retentionInDays\": 14",
        "\"retentionInDays\": \"14\"",
        1,
    ));
    assert_clean_error(
        &run,
        &format!("{file}:"),
        &["invalid type: string \"14\", expected a whole number"],
    );
}

#[test]
fn missing_files_are_named() {
    let run = run(&[
        "scan",
        "--snapshot",
        "/nonexistent/s.json",
        "--policy",
        &path("policies/production.yaml"),
    ]);
    assert_clean_error(&run, "/nonexistent/s.json", &["cannot read snapshot"]);
}

#[test]
fn bad_arguments_exit_2() {
    let run = run(&[
        "scan",
        "--snapshot",
        "x",
        "--policy",
        "y",
        "--fail-on",
        "severe",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown severity `severe`"),
        "{}",
        run.stderr
    );
    let run = common::run(&[
        "scan",
        "--snapshot",
        "x",
        "--policy",
        "y",
        "--date",
        "22/11/2026",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("expected YYYY-MM-DD"), "{}", run.stderr);
}

#[test]
fn policy_validate_reports_each_file() {
    let good = run(&[
        "policy",
        "validate",
        &path("policies/baseline.yaml"),
        &path("policies/production.yaml"),
        &path("policies/regulated.yaml"),
    ]);
    assert_eq!(good.code, 0, "{}", good.stderr);
    assert_eq!(good.stdout.lines().count(), 3);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: x\ndefault:\n  cloudwatch:\n    retention_days: { min: 15 }\n",
    )
    .unwrap();
    let run = run(&[
        "policy",
        "validate",
        &path("policies/baseline.yaml"),
        &bad.to_string_lossy(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!("{}:4:28", bad.display())),
        "{}",
        run.stderr
    );
}

/// The binary with no AWS configuration at all, and the instance metadata service off so
/// that nothing is asked of the network.
fn without_aws(args: &[&str]) -> Run {
    let out = flowaudit()
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(args)
        .output()
        .expect("flowaudit runs");
    Run::from(out)
}

#[test]
fn missing_region_is_one_sentence() {
    let run = without_aws(&["collect"]);
    assert_clean_error(&run, "no region to scan", &["--region", "AWS_REGION"]);
}

#[test]
fn missing_credentials_is_one_sentence() {
    let run = without_aws(&[
        "scan",
        "--policy",
        &path("policies/production.yaml"),
        "--region",
        "eu-west-1",
    ]);
    assert_clean_error(
        &run,
        "no AWS credentials were found",
        &["--profile", "AWS_ACCESS_KEY_ID"],
    );
    assert!(!run.stderr.contains("DispatchFailure"), "{}", run.stderr);
}

/// The compliant estate with `from` replaced by `to` once; returns the text and the line
/// the replacement is on.
fn compliant_with(from: &str, to: &str) -> (String, usize) {
    let text = std::fs::read_to_string(compliant()).unwrap();
    let at = text
        .find(from)
        .unwrap_or_else(|| panic!("`{from}` not in the fixture"));
    let line = text[..at].lines().count() + usize::from(text[..at].ends_with('\n'));
    (text.replacen(from, to, 1), line.max(1))
}

#[test]
fn snapshot_values_aws_never_returns_are_rejected_with_their_location() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "\"retentionInDays\": 14",
            "\"retentionInDays\": -1",
            "retentionInDays -1",
        ),
        (
            "\"retentionInDays\": 14",
            "\"retentionInDays\": 0",
            "retentionInDays 0",
        ),
        (
            "\"retentionInDays\": 14",
            "\"retentionInDays\": 2147483647",
            "retentionInDays 2147483647",
        ),
        ("\"Days\": 180", "\"Days\": 0", "Days 0"),
        ("\"Days\": 180", "\"Days\": -3", "Days -3"),
        (
            "\"Days\": 180",
            "\"Date\": \"not-a-date\"",
            "`not-a-date` is not a date",
        ),
        (
            "\"Days\": 180",
            "\"Date\": \"2027-02-30\"",
            "`2027-02-30` is not a date",
        ),
        (
            "\"NoncurrentDays\": 30",
            "\"NoncurrentDays\": 30, \"NewerNoncurrentVersions\": 0",
            "NewerNoncurrentVersions 0",
        ),
    ];
    for (from, to, expected) in cases {
        let (text, line) = compliant_with(from, to);
        let (run, file) = scan_with_snapshot(&text);
        assert_clean_error(&run, &format!("{file}:{line}:"), &[expected]);
    }
}

#[test]
fn a_byte_order_mark_or_a_non_utf8_byte_is_named() {
    let text = std::fs::read_to_string(compliant()).unwrap();
    let (bom, file) = scan_with_snapshot(&format!("\u{feff}{text}"));
    assert_clean_error(&bom, &format!("{file}:1:1"), &["byte-order mark"]);

    let mut bytes = text.into_bytes();
    let at = bytes.len() / 2;
    bytes[at] = 0xE9;
    let (latin1, file) = scan_with_snapshot_bytes(&bytes);
    assert_clean_error(
        &latin1,
        &file,
        &["not UTF-8", &format!("byte offset {at}"), "0xE9"],
    );
}
