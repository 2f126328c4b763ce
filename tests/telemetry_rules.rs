//! CloudWatch telemetry rules (organisation and account level) named in the evidence of
//! the flow logs they manage, from variants of the compliant estate. Collection is tested
//! with mocks in tests/collect_mocks.rs: moto does not implement Observability Admin.

mod common;

use common::*;
use serde_json::{Value, json};

const CLOUDWATCH_LOG: &str = "fl-0c000000000000001";
const S3_LOG: &str = "fl-0c000000000000002";

fn rule(name: &str, destination: &str) -> Value {
    json!({
        "RuleName": name,
        "ResourceType": "AWS::EC2::VPC",
        "DestinationType": destination,
        "RetentionInDays": 30,
        "TrafficType": "ALL",
        "MaxAggregationInterval": 60,
        "AllowFieldUpdates": true,
        "HomeRegion": "eu-west-1",
    })
}

fn managed_by(report: &Value, flow_log: &str) -> Value {
    finding(report, "FLS001", flow_log)["evidence"]["managed_by_telemetry_rules"].clone()
}

#[test]
fn a_flow_log_carrying_a_rules_settings_is_named_as_managed_by_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = variant(&compliant(), dir.path(), "rules.json", |s| {
        s["accounts"][0]["regions"][0]["telemetry_rules"] =
            json!([rule("account-vpc-logs", "cloud-watch-logs")]);
        s["organization_telemetry_rules"] = json!([rule("org-vpc-logs", "s3")]);
    });
    let run = scan(&snapshot, "policies/production.yaml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let account = managed_by(&report, CLOUDWATCH_LOG);
    assert_eq!(account[0]["RuleName"], "account-vpc-logs", "{account}");
    assert_eq!(account[0]["level"], "account");
    assert_eq!(account[0]["corrects_drift"], true);
    let organization = managed_by(&report, S3_LOG);
    assert_eq!(
        organization[0]["RuleName"], "org-vpc-logs",
        "{organization}"
    );
    assert_eq!(organization[0]["level"], "organization");
    // Each log is attributed only to the rule whose destination type it has.
    assert_eq!(account.as_array().map(Vec::len), Some(1));

    // A rule for another region, or with other settings, manages nothing here.
    let snapshot = variant(&compliant(), dir.path(), "elsewhere.json", |s| {
        let mut elsewhere = rule("us-only", "s3");
        elsewhere["HomeRegion"] = json!("us-east-1");
        let mut rejects = rule("reject-only", "cloud-watch-logs");
        rejects["TrafficType"] = json!("REJECT");
        s["organization_telemetry_rules"] = json!([elsewhere, rejects]);
    });
    let report = scan(&snapshot, "policies/production.yaml").json();
    assert_eq!(managed_by(&report, S3_LOG), Value::Null);
    assert_eq!(managed_by(&report, CLOUDWATCH_LOG), Value::Null);
}

#[test]
fn rules_that_cannot_be_read_are_a_collection_error() {
    // moto does not implement Observability Admin: every region's ListTelemetryRules
    // fails, which must be reported, not read as "no rules".
    let moto = common::moto::Moto::start();
    let run: Run = flowaudit_at_endpoint(&moto.endpoint(), "test", "test")
        .current_dir(root())
        .args(live_scan_args())
        .args([
            "--region",
            "eu-west-1",
            "--telemetry-rules",
            "--max-attempts",
            "1",
        ])
        .output()
        .expect("flowaudit runs")
        .into();
    let report = run.json();
    let failed: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["rule_id"] == "COL001" && f["evidence"].to_string().contains("ListTelemetryRules")
        })
        .collect();
    assert_eq!(failed.len(), 1, "{}", non_passing(&report));
    assert_eq!(failed[0]["status"], "error");
    // moto's default VPC has no flow log, so there are violations too: exit 1.
    assert_eq!(run.code, 1, "{}", non_passing(&report));
}
