//! The policy's vocabulary against a real moto: destinations named by ARN
//! (`destinations.allowed_arns`) and VPCs selected by their connectivity
//! (`match.connectivity`), with a denied listing that never lets a VPC fall to a laxer
//! profile.

mod common;

use aws_config::SdkConfig;
use common::fault_proxy::{Fault, FaultProxy, Rule, Target, Times};
use common::moto::{Moto, create_eu_west_1_bucket, s3_client, vpc_with_eni};
use common::*;
use serde_json::Value;

const REGION: &str = "eu-west-1";

async fn s3_flow_log(config: &SdkConfig, vpc: &str, bucket: &str) {
    create_eu_west_1_bucket(&s3_client(config), bucket).await;
    let created = aws_sdk_ec2::Client::new(config)
        .create_flow_logs()
        .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
        .resource_ids(vpc)
        .traffic_type(aws_sdk_ec2::types::TrafficType::All)
        .log_destination_type(aws_sdk_ec2::types::LogDestinationType::S3)
        .log_destination(format!("arn:aws:s3:::{bucket}"))
        .send()
        .await
        .expect("flow log");
    assert!(created.unsuccessful().is_empty(), "{created:?}");
}

fn scan(endpoint: &str, policy: &str) -> Run {
    flowaudit_at_endpoint(endpoint, "test", "test")
        .current_dir(root())
        .args([
            "scan", "--policy", policy, "--format", "json", "--date", DATE, "--region", REGION,
        ])
        .output()
        .expect("flowaudit runs")
        .into()
}

fn findings_about<'a>(report: &'a Value, resource: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["resource_id"] == resource)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flow_log_to_a_bucket_the_policy_does_not_name_counts_for_nothing() {
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let (wrong, wrong_eni) = vpc_with_eni(&ec2, 31).await;
    let (right, _) = vpc_with_eni(&ec2, 32).await;
    s3_flow_log(&config, &wrong, "team-flow-logs").await;
    s3_flow_log(&config, &right, "org-flow-logs").await;

    let run = scan(&moto.endpoint(), "fixtures/policies/central-archive.yaml");
    let report = run.json();
    let cov = finding(&report, "COV003", &wrong);
    assert_eq!(cov["status"], "fail", "{cov}");
    let message = cov["message"].as_str().unwrap_or_default();
    assert!(message.contains(&wrong_eni), "{message}");
    assert!(
        message.contains(
            "destination arn:aws:s3:::team-flow-logs is not one destinations.allowed_arns allows (arn:aws:s3:::org-flow-logs, arn:aws:s3:::org-flow-logs/*)"
        ),
        "{message}"
    );
    assert_eq!(status(&report, "COV003", &right).as_deref(), Some("pass"));
    // DST005 names the allowed patterns, on the flow log.
    let dst: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "DST005")
        .collect();
    let failing: Vec<&str> = dst
        .iter()
        .filter(|f| f["status"] == "fail")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(failing.len(), 1, "{dst:#?}");
    assert!(failing[0].contains("team-flow-logs"), "{failing:?}");
    assert_eq!(dst.iter().filter(|f| f["status"] == "pass").count(), 1);
    assert_eq!(run.code, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_internet_facing_vpc_is_judged_by_its_profile_and_never_by_a_laxer_one() {
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let (facing, _) = vpc_with_eni(&ec2, 41).await;
    let (isolated, _) = vpc_with_eni(&ec2, 42).await;
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect("igw")
        .internet_gateway
        .and_then(|g| g.internet_gateway_id)
        .expect("igw id");
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&facing)
        .send()
        .await
        .expect("attached");

    let policy = "fixtures/policies/internet-facing.yaml";
    let report = scan(&moto.endpoint(), policy).json();
    // The VPC with an internet gateway and no flow log fails coverage under its profile.
    let cov = finding(&report, "COV003", &facing);
    assert_eq!(
        (cov["status"].as_str(), cov["profile"].as_str()),
        (Some("fail"), Some("internet-facing")),
        "{cov}"
    );
    // The isolated one falls to the default, which asks for no coverage.
    let isolated_findings = findings_about(&report, &isolated);
    assert!(
        isolated_findings.iter().all(|f| f["rule_id"] != "COV003"),
        "{isolated_findings:#?}"
    );
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["rule_id"] != "COL005"),
        "{}",
        non_passing(&report)
    );

    // DescribeInternetGateways denied: every VPC the profile could select is an error, and
    // none is judged by the default.
    let proxy = FaultProxy::start(
        moto.port,
        vec![Rule::new(
            Target::service("ec2").action("DescribeInternetGateways"),
            Fault::AccessDenied,
            Times::Always,
        )],
    );
    let denied = scan(&proxy.endpoint(), policy);
    let report = denied.json();
    for vpc in [&facing, &isolated] {
        let col = finding(&report, "COL005", vpc);
        assert_eq!(col["status"], "error", "{col}");
        let message = col["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("DescribeInternetGateways") && message.contains("internet-facing"),
            "{message}"
        );
        assert!(
            findings_about(&report, vpc)
                .iter()
                .all(|f| f["rule_id"] == "COL005"),
            "{vpc} judged all the same: {}",
            non_passing(&report)
        );
    }
    assert_eq!(denied.code, 3, "{}", non_passing(&report));

    // A snapshot collected without --connectivity cannot select by it either.
    let dir = tempfile::tempdir().expect("temp dir");
    // `collect` into a file (with `extra`), then `scan` of that snapshot under the policy.
    let offline = |name: &str, extra: &[&str]| -> Value {
        let file = dir.path().join(name);
        let mut args = vec!["collect", "--region", REGION, "-o"];
        let file_arg = file.to_string_lossy().to_string();
        args.push(&file_arg);
        args.extend(extra);
        let collected: Run = flowaudit_at_endpoint(&moto.endpoint(), "test", "test")
            .current_dir(root())
            .args(&args)
            .output()
            .expect("flowaudit runs")
            .into();
        assert_eq!(collected.code, 0, "{}", collected.stderr);
        common::scan(&file, policy).json()
    };
    let report = offline("plain.json", &[]);
    let col = finding(&report, "COL005", &facing);
    assert!(
        col["message"]
            .as_str()
            .unwrap_or_default()
            .contains("collect with --connectivity"),
        "{col}"
    );
    // With --connectivity the snapshot selects as the live scan does.
    let report = offline("full.json", &["--connectivity"]);
    assert_eq!(
        status(&report, "COV003", &facing).as_deref(),
        Some("fail"),
        "{}",
        non_passing(&report)
    );
}

/// The listings --connectivity adds: six per (account, region), one page each here (moto
/// does not paginate): the five gateway and peering listings, and the transit gateway
/// attachments, which are otherwise listed only by a gateway's owner.
const CONNECTIVITY_LISTINGS: [&str; 6] = flowaudit::index::CONNECTIVITY_OPERATIONS;

#[tokio::test(flavor = "multi_thread")]
async fn connectivity_costs_six_listings_per_region_and_only_when_asked() {
    let moto = Moto::start();
    let regions = ["eu-west-1", "us-east-1"];
    let collect = |extra: &[&str]| -> Vec<String> {
        moto.api("POST", "/moto-api/recorder/reset-recording", "");
        moto.api("POST", "/moto-api/recorder/start-recording", "");
        let mut args = vec!["collect", "-o", "/dev/null"];
        for r in regions {
            args.extend(["--region", r]);
        }
        args.extend(extra);
        let done: Run = flowaudit_at_endpoint(&moto.endpoint(), "test", "test")
            .current_dir(root())
            .args(&args)
            .output()
            .expect("flowaudit runs")
            .into();
        assert_eq!(done.code, 0, "{}", done.stderr);
        moto.api("POST", "/moto-api/recorder/stop-recording", "");
        moto.recorded_operations()
            .into_iter()
            .map(|(_, op)| op)
            .collect()
    };
    let count = |ops: &[String], name: &str| ops.iter().filter(|o| o.as_str() == name).count();
    let plain = collect(&[]);
    for name in CONNECTIVITY_LISTINGS {
        assert_eq!(
            count(&plain, name),
            0,
            "{name} without --connectivity: {plain:?}"
        );
    }
    let with = collect(&["--connectivity"]);
    for name in CONNECTIVITY_LISTINGS {
        assert_eq!(count(&with, name), regions.len(), "{name}: {with:?}");
    }
    assert_eq!(with.len(), plain.len() + 6 * regions.len(), "{with:?}");
}
