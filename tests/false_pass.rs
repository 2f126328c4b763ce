//! The hard cases a hostile review found judged wrongly, each as a one-change variant of the
//! compliant estate, run through the real binary. Every test here failed before its fix.

mod common;

use common::*;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const VPC: &str = "vpc-0c00000000000001c";
const PREFIX: &str = "shop-flow-logs/vpc/AWSLogs/111122223333/vpcflowlogs/eu-west-1/";

fn region(snapshot: &mut Value) -> &mut Value {
    &mut snapshot["accounts"][0]["regions"][0]
}

fn bucket(snapshot: &mut Value) -> &mut Value {
    &mut snapshot["buckets"][0]
}

fn lifecycle_rule(snapshot: &mut Value) -> &mut Value {
    &mut bucket(snapshot)["Lifecycle"]["Rules"][0]
}

/// Scans a variant of the compliant estate under the production policy.
fn scan_variant(name: &str, change: impl FnOnce(&mut Value)) -> (Run, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = variant(&compliant(), dir.path(), name, change);
    let run = scan(&file, "policies/production.yaml");
    let report = run.json();
    (run, report)
}

fn message<'a>(report: &'a Value, rule: &str, resource: &str) -> &'a str {
    finding(report, rule, resource)["message"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn newer_noncurrent_versions_mean_noncurrent_flow_logs_are_never_expired() {
    let (run, report) = scan_variant("newer.json", |s| {
        lifecycle_rule(s)["NoncurrentVersionExpiration"] =
            json!({ "NoncurrentDays": 30, "NewerNoncurrentVersions": 1 });
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(status(&report, "S3L005", PREFIX).as_deref(), Some("fail"));
    assert!(message(&report, "S3L005", PREFIX).contains("NewerNoncurrentVersions"));
    // The data then lives forever, past the policy's maximum.
    assert_eq!(status(&report, "S3L003", PREFIX).as_deref(), Some("fail"));
}

#[test]
fn a_flow_log_that_counts_for_coverage_is_judged_and_a_listing_gap_is_an_error() {
    // The S3 log moves to a subnet that an ENI names but the subnet listing lacks, and
    // delivers to a bucket that does not exist.
    let (run, report) = scan_variant("gap.json", |s| {
        let r = region(s);
        let subnets = r["subnets"].as_array_mut().expect("subnets");
        subnets.retain(|x| x["SubnetId"] != "subnet-0c00000000000012c");
        r["flow_logs"][1]["ResourceId"] = json!("subnet-0c00000000000012c");
        r["flow_logs"][1]["LogDestination"] = json!("arn:aws:s3:::gone-flow-logs");
        s["buckets"]
            .as_array_mut()
            .expect("buckets")
            .push(json!({ "Name": "gone-flow-logs", "Exists": false }));
    });
    assert_ne!(run.code, 0, "a listing gap must never exit 0");
    // The listing gap is a collection error for the region, and coverage is not judged.
    let col = finding(&report, "COL001", "ec2");
    assert_eq!(col["status"], "error");
    assert!(
        col["message"]
            .as_str()
            .unwrap_or_default()
            .contains("IncompleteListing"),
        "{col}"
    );
    assert_eq!(status(&report, "COL003", VPC).as_deref(), Some("error"));
    assert_eq!(status(&report, "COV003", VPC), None);
    // The log that coverage would have counted is judged: its missing bucket fails.
    assert_eq!(
        status(&report, "FLS001", "fl-0c000000000000002").as_deref(),
        Some("pass")
    );
    assert_eq!(
        status(&report, "DST002", "gone-flow-logs").as_deref(),
        Some("fail")
    );
    let out_of_scope = report["out_of_scope"].to_string();
    assert!(
        !out_of_scope.contains("fl-0c000000000000002"),
        "{out_of_scope}"
    );
}

#[test]
fn a_flow_log_on_an_unlisted_eni_is_a_collection_error_not_out_of_scope() {
    let (run, report) = scan_variant("unlisted-eni.json", |s| {
        region(s)["flow_logs"][1]["ResourceId"] = json!("eni-0c0000000000099ff");
    });
    // Coverage and the S3 requirement cannot be judged, and nothing else fails: exit 3.
    assert_eq!(run.code, 3, "{}", run.stderr);
    let col = finding(&report, "COL001", "ec2");
    assert!(
        col["evidence"]
            .to_string()
            .contains("eni-0c0000000000099ff"),
        "{col}"
    );
    assert!(
        col["remediation"]
            .as_str()
            .unwrap_or_default()
            .contains("scan again")
    );
    assert_eq!(status(&report, "COL003", VPC).as_deref(), Some("error"));
    assert!(
        !report["out_of_scope"]
            .to_string()
            .contains("not found in the snapshot")
    );
}

#[test]
fn size_filters_that_every_flow_log_object_meets_apply_to_all_of_them() {
    for (filter, expected) in [
        (
            json!({ "And": { "Prefix": "vpc/AWSLogs/", "ObjectSizeGreaterThan": 0 } }),
            "pass",
        ),
        (json!({ "ObjectSizeGreaterThan": 0 }), "pass"),
        (json!({ "ObjectSizeLessThan": 104_857_600 }), "pass"),
        (json!({ "ObjectSizeLessThan": 1_048_576 }), "fail"),
        (json!({ "ObjectSizeGreaterThan": 131_072 }), "fail"),
    ] {
        let (_, report) = scan_variant("sized.json", |s| {
            lifecycle_rule(s)["Filter"] = filter.clone();
        });
        assert_eq!(
            status(&report, "S3L001", PREFIX).as_deref(),
            Some(expected),
            "filter {filter}: {}",
            message(&report, "S3L001", PREFIX)
        );
    }
}

#[test]
fn objects_under_the_default_minimum_size_never_transition() {
    for (setting, filter, expected) in [
        (None, None, "fail"),
        (Some("all_storage_classes_128K"), None, "fail"),
        (Some("varies_by_storage_class"), None, "pass"),
        (
            Some("all_storage_classes_128K"),
            Some(json!({ "And": { "Prefix": "vpc/AWSLogs/", "ObjectSizeGreaterThan": 0 } })),
            "pass",
        ),
    ] {
        let (_, report) = scan_variant("minimum.json", |s| {
            let lifecycle = &mut bucket(s)["Lifecycle"];
            match setting {
                Some(v) => lifecycle["TransitionDefaultMinimumObjectSize"] = json!(v),
                None => {
                    lifecycle
                        .as_object_mut()
                        .expect("lifecycle")
                        .remove("TransitionDefaultMinimumObjectSize");
                }
            }
            if let Some(f) = &filter {
                lifecycle["Rules"][0]["Filter"] = f.clone();
            }
        });
        assert_eq!(
            status(&report, "S3L004", PREFIX).as_deref(),
            Some(expected),
            "{setting:?} {filter:?}: {}",
            message(&report, "S3L004", PREFIX)
        );
    }
}

#[test]
fn a_transition_after_the_objects_expire_is_no_transition() {
    let (_, report) = scan_variant("late.json", |s| {
        lifecycle_rule(s)["Transitions"][0]["Days"] = json!(200);
    });
    assert_eq!(status(&report, "S3L004", PREFIX).as_deref(), Some("fail"));
    let evidence = finding(&report, "S3L004", PREFIX)["evidence"].to_string();
    assert!(evidence.contains("never happens"), "{evidence}");
}

#[test]
fn on_a_versioned_bucket_the_maximum_judges_expiration_plus_noncurrent_days() {
    // 180 + 200 = 380 days, above the production maximum of 365.
    let (_, report) = scan_variant("long.json", |s| {
        lifecycle_rule(s)["NoncurrentVersionExpiration"]["NoncurrentDays"] = json!(200);
    });
    assert_eq!(status(&report, "S3L003", PREFIX).as_deref(), Some("fail"));
    assert!(message(&report, "S3L003", PREFIX).contains("380 days"));
    // 180 + 30 is within it.
    let (_, report) = scan_variant("short.json", |_| {});
    assert_eq!(status(&report, "S3L003", PREFIX).as_deref(), Some("pass"));
    assert!(message(&report, "S3L003", PREFIX).contains("210 days"));
}

/// The compliant estate with each ALL log replaced by an ACCEPT and a REJECT log.
fn accept_reject_pairs(s: &mut Value) {
    let logs = region(s)["flow_logs"].as_array_mut().expect("flow logs");
    let mut pairs = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        for (n, traffic) in [(0, "ACCEPT"), (1, "REJECT")] {
            let mut half = log.clone();
            half["TrafficType"] = json!(traffic);
            half["FlowLogId"] = json!(format!("fl-0c0000000000001{i}{n}"));
            pairs.push(half);
        }
    }
    *logs = pairs;
}

#[test]
fn an_accept_log_and_a_reject_log_on_one_resource_record_all_traffic() {
    let (run, report) = scan_variant("pairs.json", accept_reject_pairs);
    assert_eq!(run.code, 0, "{}", non_passing(&report));
    assert_eq!(status(&report, "COV003", VPC).as_deref(), Some("pass"));
    assert_eq!(status(&report, "DST003", VPC).as_deref(), Some("pass"));
    assert!(message(&report, "FLS003", "fl-0c000000000000100").contains("records ALL traffic"));

    // When the S3 REJECT half fails to deliver, S3 no longer gets ALL traffic.
    let (run, report) = scan_variant("broken-pair.json", |s| {
        accept_reject_pairs(s);
        region(s)["flow_logs"][3]["DeliverLogsStatus"] = json!("FAILED");
    });
    assert_eq!(run.code, 1);
    assert_eq!(status(&report, "DST003", VPC).as_deref(), Some("fail"));
    // The S3 ACCEPT half still records ALL traffic together with the CloudWatch REJECT
    // log on the same VPC; what S3 lacks is DST003's finding.
    assert!(message(&report, "FLS003", "fl-0c000000000000110").contains("fl-0c000000000000101"));
    // The CloudWatch pair still covers every ENI.
    assert_eq!(status(&report, "COV003", VPC).as_deref(), Some("pass"));
}

#[test]
fn log_groups_selected_by_pattern_are_judged_even_without_a_flow_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = variant(&compliant(), dir.path(), "orphan.json", |s| {
        region(s)["log_groups"]
            .as_array_mut()
            .expect("log groups")
            .extend([
                json!({ "logGroupName": "/aws/vpc/flow-logs-2019" }),
                json!({ "logGroupName": "/aws/vpc/flow-logs-2024", "retentionInDays": 14 }),
                json!({ "logGroupName": "/app/orders" }),
            ]);
    });
    let policy_text = std::fs::read_to_string(path("policies/production.yaml"))
        .expect("policy")
        .replacen(
            "    forbid_never_expire: true\n",
            "    forbid_never_expire: true\n    log_group_patterns: [\"/aws/vpc/flow*\"]\n",
            1,
        );
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, policy_text).expect("policy written");
    let run = run(&[
        "scan",
        "--snapshot",
        &snapshot.to_string_lossy(),
        "--policy",
        &policy.to_string_lossy(),
        "--format",
        "json",
        "--date",
        DATE,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let old = finding(&report, "CWL001", "/aws/vpc/flow-logs-2019");
    assert_eq!(old["status"], "fail");
    assert!(
        old["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no judged flow log writes to it"),
        "{old}"
    );
    assert_eq!(old["evidence"]["selected_by_pattern"], "/aws/vpc/flow*");
    assert_eq!(
        status(&report, "CWL002", "/aws/vpc/flow-logs-2024").as_deref(),
        Some("pass")
    );
    assert_eq!(status(&report, "CWL001", "/app/orders"), None);
}

#[test]
fn a_failed_bucket_location_does_not_move_the_bucket_findings() {
    let (_, healthy) = scan_variant("healthy.json", |_| {});
    let (_, located) = scan_variant("no-location.json", |s| {
        bucket(s).as_object_mut().expect("bucket").remove("Region");
        s["collection_errors"] = json!([{
            "account_id": ACCOUNT, "region": "global", "service": "s3",
            "operation": "GetBucketLocation", "code": "SlowDown",
            "message": "Please reduce your request rate.", "resource_id": "shop-flow-logs"
        }]);
    });
    let identities = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["resource_id"] == "shop-flow-logs")
            .map(|f| format!("{} {} {}", f["rule_id"], f["account_id"], f["region"]))
            .collect()
    };
    let before = identities(&healthy);
    assert!(!before.is_empty());
    assert!(
        before.iter().all(|i| i.ends_with("\"global\"")),
        "{before:?}"
    );
    assert_eq!(before, identities(&located));
}

#[test]
fn a_prefix_mismatch_says_which_rules_exist_and_why_none_applies() {
    let (_, report) = scan_variant("other-prefix.json", |s| {
        lifecycle_rule(s)["ID"] = json!("other-prefix");
        lifecycle_rule(s)["Filter"] = json!({ "Prefix": "app-logs/" });
    });
    let text = message(&report, "S3L001", PREFIX);
    assert!(
        text.contains("1 lifecycle rule exists")
            && text.contains("rule other-prefix: prefix `app-logs/` does not match"),
        "{text}"
    );
    let (_, report) = scan_variant("no-rules.json", |s| {
        bucket(s)["Lifecycle"]["Rules"] = json!([]);
    });
    assert!(message(&report, "S3L001", PREFIX).contains("the bucket has no lifecycle rules"));
}

#[test]
fn policy_validate_counts_profiles_in_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let only_default = dir.path().join("only-default.yaml");
    std::fs::write(
        &only_default,
        "name: small\ndefault:\n  coverage:\n    level: vpc\n",
    )
    .expect("written");
    let out = run(&["policy", "validate", &only_default.to_string_lossy()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("(policy `small`, a default only, 0 waivers)"),
        "{}",
        out.stdout
    );
    let out = run(&["policy", "validate", &path("policies/production.yaml")]);
    assert!(
        out.stdout.contains("3 profiles and a default, 1 waiver)"),
        "{}",
        out.stdout
    );
}
