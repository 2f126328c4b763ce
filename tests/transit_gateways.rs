//! Transit gateway coverage and their flow logs' destinations, from a snapshot fixture and
//! from moto; and the CloudWatch Logs settings that change a retention verdict (log group
//! class, deletion protection), as variants of the compliant estate.

mod common;

use common::moto::Moto;
use common::*;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const POLICY: &str = "fixtures/policies/transit-gateway.yaml";

fn estate() -> std::path::PathBuf {
    root().join("fixtures/transit-gateway/estate.json")
}

fn out_of_scope(report: &Value) -> Vec<(String, String)> {
    report["out_of_scope"]
        .as_array()
        .expect("out_of_scope")
        .iter()
        .map(|o| {
            (
                o["resource_id"].as_str().unwrap_or_default().to_string(),
                o["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn gateways_and_attachments_are_judged_where_the_policy_asks() {
    let run = scan(&estate(), POLICY);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();

    // Gateway level: the hub has a working log on itself.
    let hub = finding(&report, "COV004", "tgw-0hub0000000000001");
    assert_eq!(hub["status"], "pass", "{hub}");
    assert_eq!(hub["account_id"], ACCOUNT);

    // Attachment level (the profile tagged Name=spare): the VPN attachment has no log on
    // itself or its gateway; the deleted attachment is not counted.
    let spare = finding(&report, "COV005", "tgw-0spare000000000001");
    assert_eq!(spare["status"], "fail", "{spare}");
    let message = spare["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("1 of 2 attachments") && message.contains("tgw-attach-0spare00000001"),
        "{message}"
    );
    assert_eq!(
        spare["evidence"]["uncovered"][0]["ResourceType"], "vpn",
        "{spare}"
    );
    assert_eq!(status(&report, "COV004", "tgw-0spare000000000001"), None);

    // The hub's log delivers to a group with 7 days against a minimum of 14.
    let short = finding(&report, "CWL002", "/tgw/hub");
    assert_eq!(short["status"], "fail");
    assert_eq!(
        short["evidence"]["dependents"]["transit_gateways"],
        json!([format!("{ACCOUNT}/eu-west-1/tgw-0hub0000000000001")])
    );
    // The attachment's log to S3 is judged by the lifecycle rules like any other.
    assert_eq!(
        status(
            &report,
            "S3L002",
            "acme-tgw-flow-logs/AWSLogs/111122223333/vpcflowlogs/eu-west-1/"
        )
        .as_deref(),
        Some("pass")
    );

    // No traffic type on a transit gateway log, so no traffic-type verdict; the required
    // fields are those its records can carry (interface-id is not one).
    assert_eq!(status(&report, "FLS003", "fl-0tgw00000000000001"), None);
    assert_eq!(
        status(&report, "FLS005", "fl-0tgw00000000000001").as_deref(),
        Some("pass")
    );

    // A gateway shared from another account is judged by its owner; a deleted one not at all.
    let skipped = out_of_scope(&report);
    assert!(
        skipped
            .iter()
            .any(|(id, why)| id == "tgw-0shared00000000001" && why.contains("999999999999")),
        "{skipped:?}"
    );
    assert!(skipped.iter().any(|(id, _)| id == "tgw-0old0000000000001"));

    // us-east-1's gateways are not in the snapshot: unknown, never a pass.
    let unlisted = finding(&report, "COV004", "transit-gateways:111122223333/us-east-1");
    assert_eq!(unlisted["status"], "error", "{unlisted}");
}

#[test]
fn without_transit_gateway_coverage_their_logs_stay_out_of_scope() {
    let run = scan(&estate(), "fixtures/policies/live.yaml");
    let report = run.json();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(
        !rules.iter().any(|r| *r == "COV004" || *r == "COV005"),
        "coverage off, yet: {rules:?}"
    );
    assert_eq!(status(&report, "CWL002", "/tgw/hub"), None);
    let skipped = out_of_scope(&report);
    assert!(
        skipped
            .iter()
            .any(|(id, why)| id == "fl-0tgw00000000000001" && why.contains("transit gateway")),
        "{skipped:?}"
    );
    assert_eq!(run.code, 0, "{}", non_passing(&report));
}

/// Scans a variant of the compliant estate whose log group is changed, under `policy`.
fn scan_group_variant(policy: &str, change: impl FnOnce(&mut Value)) -> (Run, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = variant(&compliant(), dir.path(), "group.json", |s| {
        change(&mut s["accounts"][0]["regions"][0]["log_groups"][0])
    });
    let run = scan(&file, policy);
    let report = run.json();
    (run, report)
}

/// The compliant estate's policy, with the class and protection requirements added.
fn strict_policy(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(root().join("policies/production.yaml")).expect("policy");
    let strict = text.replace(
        "        retention_days: { min: 14, max: 30 }\n        forbid_never_expire: true\n",
        "        retention_days: { min: 14, max: 30 }\n        forbid_never_expire: true\n        allowed_classes: [STANDARD, INFREQUENT_ACCESS]\n        require_deletion_protection: true\n",
    );
    assert_ne!(
        strict, text,
        "the production profile's cloudwatch section moved"
    );
    let path = dir.join("strict.yaml");
    std::fs::write(&path, strict).expect("written");
    path.to_string_lossy().into_owned()
}

#[test]
fn a_delivery_class_group_keeps_one_day_whatever_its_retention_says() {
    let (run, report) = scan_group_variant("policies/production.yaml", |g| {
        g["logGroupClass"] = json!("DELIVERY");
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    let short = finding(&report, "CWL002", "/vpc/shop");
    assert_eq!(short["status"], "fail", "{short}");
    assert_eq!(short["evidence"]["effectiveRetentionDays"], 1);
    assert_eq!(short["evidence"]["logGroupClass"], "DELIVERY");
    assert!(
        short["message"]
            .as_str()
            .unwrap_or_default()
            .contains("DELIVERY class"),
        "{short}"
    );
}

#[test]
fn class_and_deletion_protection_are_judged_where_the_policy_asks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let strict = strict_policy(dir.path());

    // Passing: a STANDARD group with protection on.
    let (run, report) = scan_group_variant(&strict, |g| {
        g["logGroupClass"] = json!("STANDARD");
        g["deletionProtectionEnabled"] = json!(true);
        g["dataProtectionStatus"] = json!("ACTIVATED");
    });
    assert_eq!(run.code, 0, "{}", non_passing(&report));
    let class = finding(&report, "CWL004", "/vpc/shop");
    assert_eq!(class["status"], "pass");
    assert_eq!(class["evidence"]["dataProtection"]["status"], "ACTIVATED");
    assert_eq!(
        status(&report, "CWL005", "/vpc/shop").as_deref(),
        Some("pass")
    );

    // Failing: a DELIVERY group, and no word on protection (taken as off).
    let (run, report) = scan_group_variant(&strict, |g| {
        g["logGroupClass"] = json!("DELIVERY");
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        status(&report, "CWL004", "/vpc/shop").as_deref(),
        Some("fail")
    );
    let protection = finding(&report, "CWL005", "/vpc/shop");
    assert_eq!(protection["status"], "fail");
    assert!(
        protection["message"]
            .as_str()
            .unwrap_or_default()
            .contains("taken as off"),
        "{protection}"
    );

    // The shipped policies: production does not ask, so neither rule runs there.
    let (_, report) = scan_group_variant("policies/production.yaml", |_| {});
    assert_eq!(status(&report, "CWL004", "/vpc/shop"), None);
    assert_eq!(status(&report, "CWL005", "/vpc/shop"), None);
}

/// A live scan of eu-west-1 through `endpoint` under the transit gateway policy.
fn scan_live(endpoint: &str, extra: &[&str]) -> Run {
    flowaudit_at_endpoint(endpoint, "test", "test")
        .current_dir(root())
        .args([
            "scan",
            "--policy",
            POLICY,
            "--format",
            "json",
            "--date",
            DATE,
            "--region",
            "eu-west-1",
        ])
        .args(extra)
        .output()
        .expect("flowaudit runs")
        .into()
}

/// A transit gateway in moto with an attachment to a VPC; its flow log (when `logged`)
/// delivers to `group`.
async fn seeded_gateway(
    ec2: &aws_sdk_ec2::Client,
    name: &str,
    group: Option<&str>,
) -> (String, String) {
    use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
    let gateway = ec2
        .create_transit_gateway()
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::TransitGateway)
                .tags(Tag::builder().key("Name").value(name).build())
                .build(),
        )
        .send()
        .await
        .expect("transit gateway")
        .transit_gateway
        .and_then(|g| g.transit_gateway_id)
        .expect("gateway id");
    let (vpc, subnet) = common::moto::vpc_with_subnet(ec2, 40).await;
    let attachment = ec2
        .create_transit_gateway_vpc_attachment()
        .transit_gateway_id(&gateway)
        .vpc_id(&vpc)
        .subnet_ids(&subnet)
        .send()
        .await
        .expect("attachment")
        .transit_gateway_vpc_attachment
        .and_then(|a| a.transit_gateway_attachment_id)
        .expect("attachment id");
    if let Some(group) = group {
        let out = ec2
            .create_flow_logs()
            .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::TransitGateway)
            .resource_ids(&gateway)
            .log_destination_type(aws_sdk_ec2::types::LogDestinationType::CloudWatchLogs)
            .log_group_name(group)
            .deliver_logs_permission_arn("arn:aws:iam::123456789012:role/flow-logs-delivery")
            .max_aggregation_interval(60)
            .send()
            .await
            .expect("flow log");
        assert!(out.unsuccessful().is_empty(), "{:?}", out.unsuccessful());
    }
    (gateway, attachment)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_scan_lists_transit_gateways_and_judges_their_logs() {
    let moto = Moto::start();
    let config = moto.sdk_config("eu-west-1", "test", "test").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    common::moto::log_group_keeping(&config, "/tgw/hub", 7).await;
    let (hub, _) = seeded_gateway(&ec2, "hub", Some("/tgw/hub")).await;
    let (spare, spare_attachment) = seeded_gateway(&ec2, "spare", None).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("snapshot.json");
    let saved_arg = saved.to_string_lossy().to_string();
    let run = scan_live(&moto.endpoint(), &["--save-snapshot", &saved_arg]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(status(&report, "COV004", &hub).as_deref(), Some("pass"));
    let uncovered = finding(&report, "COV005", &spare);
    assert_eq!(uncovered["status"], "fail", "{uncovered}");
    assert!(
        uncovered["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&spare_attachment),
        "{uncovered}"
    );
    assert_eq!(
        status(&report, "CWL002", "/tgw/hub").as_deref(),
        Some("fail")
    );
    // Recorded in the snapshot, with the attachments of the gateways the account owns.
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved")).expect("JSON");
    let region = &snapshot["accounts"][0]["regions"][0];
    assert_eq!(
        region["transit_gateways"].as_array().map(Vec::len),
        Some(2),
        "{region}"
    );
    assert_eq!(
        region["transit_gateway_attachments"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transit_gateways_that_cannot_be_listed_are_an_error_not_a_pass() {
    use common::fault_proxy::{Fault, FaultProxy, Rule, Target, Times};
    let moto = Moto::start();
    let config = moto.sdk_config("eu-west-1", "test", "test").await;
    let (hub, _) = seeded_gateway(&aws_sdk_ec2::Client::new(&config), "hub", None).await;
    let proxy = FaultProxy::start(
        moto.port,
        vec![Rule::new(
            Target::service("ec2").action("DescribeTransitGateways"),
            Fault::AccessDenied,
            Times::Always,
        )],
    );
    let run = scan_live(&proxy.endpoint(), &["--max-attempts", "1"]);
    let report = run.json();
    // The uncovered gateway is unseen: no verdict on it, one error for the region.
    assert_eq!(status(&report, "COV004", &hub), None);
    let unlisted = finding(&report, "COV004", "transit-gateways:123456789012/eu-west-1");
    assert_eq!(unlisted["status"], "error", "{unlisted}");
    assert!(
        unlisted["message"]
            .as_str()
            .unwrap_or_default()
            .contains("UnauthorizedOperation"),
        "{unlisted}"
    );
    assert_eq!(run.code, 3, "{}", non_passing(&report));
}
