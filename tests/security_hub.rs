//! Publishing to AWS Security Hub against a real moto: scans of a live (moto) estate, their
//! JSON reports published by the real binary, and the hub read back. moto ignores most
//! GetFindings filters, so flowaudit must filter on its side; these tests would catch it if
//! it did not.

mod common;

use aws_config::SdkConfig;
use common::fault_proxy::{Fault, FaultProxy, Rule, Target, Times};
use common::moto::{Moto, vpc_with_eni};
use common::*;
use serde_json::Value;

const REGION: &str = "eu-west-1";
const CALLER: &str = "123456789012";
const MEMBER: &str = "222233334444";

/// A VPC with one subnet and one ENI and no flow log; returns the VPC id.
async fn uncovered_vpc(config: &SdkConfig, cidr: u8) -> String {
    vpc_with_eni(&aws_sdk_ec2::Client::new(config), cidr)
        .await
        .0
}

/// Covers a VPC with a flow log to a 14-day group: its COV003 then passes.
async fn cover(config: &SdkConfig, vpc: &str) {
    let group = format!("/vpc/{vpc}");
    common::moto::log_group_keeping(config, &group, 14).await;
    aws_sdk_ec2::Client::new(config)
        .create_flow_logs()
        .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
        .resource_ids(vpc)
        .traffic_type(aws_sdk_ec2::types::TrafficType::All)
        .log_destination_type(aws_sdk_ec2::types::LogDestinationType::CloudWatchLogs)
        .log_group_name(&group)
        .deliver_logs_permission_arn(format!("arn:aws:iam::{CALLER}:role/flow-logs"))
        .send()
        .await
        .expect("flow log");
}

/// Deletes a VPC made by `uncovered_vpc`, with its ENI and subnet.
async fn delete_vpc(config: &SdkConfig, vpc: &str) {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let by_vpc = aws_sdk_ec2::types::Filter::builder()
        .name("vpc-id")
        .values(vpc)
        .build();
    let enis = ec2
        .describe_network_interfaces()
        .filters(by_vpc.clone())
        .send()
        .await
        .expect("enis");
    for eni in enis.network_interfaces() {
        ec2.delete_network_interface()
            .network_interface_id(eni.network_interface_id().unwrap_or_default())
            .send()
            .await
            .expect("eni deleted");
    }
    let subnets = ec2
        .describe_subnets()
        .filters(by_vpc)
        .send()
        .await
        .expect("subnets");
    for s in subnets.subnets() {
        ec2.delete_subnet()
            .subnet_id(s.subnet_id().unwrap_or_default())
            .send()
            .await
            .expect("subnet deleted");
    }
    ec2.delete_vpc()
        .vpc_id(vpc)
        .send()
        .await
        .expect("vpc deleted");
}

/// `scan` of the live estate as a JSON report in `dir`, with `extra` options.
fn scan_to(endpoint: &str, dir: &std::path::Path, name: &str, extra: &[&str]) -> String {
    let out = dir.join(name);
    let out_arg = format!("json:{}", out.display());
    let mut args = vec!["scan", "--region", REGION, "-o", &out_arg, "-q"];
    args.extend(
        live_scan_args()
            .into_iter()
            .skip(1)
            .filter(|a| *a != "json" && *a != "--format"),
    );
    args.extend(extra);
    let run: Run = flowaudit_at_endpoint(endpoint, "test", "test")
        .current_dir(root())
        .args(&args)
        .output()
        .expect("flowaudit runs")
        .into();
    assert!(out.exists(), "no report: {}", run.stderr);
    out.to_string_lossy().into_owned()
}

fn publish(endpoint: &str, report: &str, extra: &[&str]) -> Run {
    let mut args = vec!["publish", "security-hub", report];
    args.extend(extra);
    flowaudit_at_endpoint(endpoint, "test", "test")
        .env("AWS_REGION", REGION)
        .args(&args)
        .output()
        .expect("flowaudit runs")
        .into()
}

/// Every flowaudit finding the hub holds for `config`'s account in the region, by Id.
async fn hub(
    config: &SdkConfig,
) -> std::collections::BTreeMap<String, aws_sdk_securityhub::types::AwsSecurityFinding> {
    let client = aws_sdk_securityhub::Client::new(config);
    let mut found = std::collections::BTreeMap::new();
    let mut token = None;
    loop {
        let page = client
            .get_findings()
            .set_next_token(token)
            .send()
            .await
            .expect("GetFindings");
        for f in page.findings() {
            if f.generator_id()
                .is_some_and(|g| g.starts_with("flowaudit/"))
            {
                found.insert(f.id().unwrap_or_default().to_string(), f.clone());
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    found
}

fn cov003(vpc: &str) -> String {
    format!("flowaudit/COV003/{CALLER}/{REGION}/{vpc}")
}

fn state(f: &aws_sdk_securityhub::types::AwsSecurityFinding) -> (&str, &str) {
    (
        f.record_state().map(|s| s.as_str()).unwrap_or_default(),
        f.compliance()
            .and_then(|c| c.status())
            .map(|s| s.as_str())
            .unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_creates_archives_the_fixed_and_the_deleted_and_keeps_created_at() {
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let fixed = uncovered_vpc(&config, 51).await;
    let deleted = uncovered_vpc(&config, 52).await;
    let kept = uncovered_vpc(&config, 53).await;
    let dir = tempfile::tempdir().expect("temp dir");

    // --dry-run writes nothing.
    let first = scan_to(&moto.endpoint(), dir.path(), "first.json", &[]);
    let dry = publish(&moto.endpoint(), &first, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains(&format!("create {}", cov003(&fixed))),
        "{}",
        dry.stdout
    );
    assert!(
        Box::pin(hub(&config)).await.is_empty(),
        "a dry run wrote to the hub"
    );

    // The first publish creates every problem, and no pass.
    let run = publish(&moto.endpoint(), &first, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let held = Box::pin(hub(&config)).await;
    for vpc in [&fixed, &deleted, &kept] {
        let f = held
            .get(&cov003(vpc))
            .unwrap_or_else(|| panic!("{vpc} not published: {held:#?}"));
        assert_eq!(state(f), ("ACTIVE", "FAILED"));
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&first).expect("report")).expect("JSON");
    let problems = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] != "pass")
        .count();
    assert_eq!(held.len(), problems, "exactly the problems are published");
    assert!(
        run.stdout.contains(&format!(
            "security hub: {problems} created, 0 updated, 0 archived"
        )),
        "{}",
        run.stdout
    );
    let created_at = held[&cov003(&kept)]
        .created_at()
        .expect("CreatedAt")
        .to_string();

    // A fix and a deletion: the next run archives exactly those two, and keeps CreatedAt.
    cover(&config, &fixed).await;
    delete_vpc(&config, &deleted).await;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = scan_to(&moto.endpoint(), dir.path(), "second.json", &[]);
    let run = publish(&moto.endpoint(), &second, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let held = Box::pin(hub(&config)).await;
    assert_eq!(state(&held[&cov003(&fixed)]), ("ARCHIVED", "PASSED"));
    assert_eq!(state(&held[&cov003(&deleted)]), ("ARCHIVED", "PASSED"));
    let still = &held[&cov003(&kept)];
    assert_eq!(state(still), ("ACTIVE", "FAILED"));
    assert_eq!(
        still.created_at(),
        Some(created_at.as_str()),
        "CreatedAt was reset"
    );
    assert_ne!(still.updated_at(), Some(created_at.as_str()));
    let archived: Vec<&String> = held
        .iter()
        .filter(|(_, f)| state(f).0 == "ARCHIVED")
        .map(|(id, _)| id)
        .collect();
    assert!(
        archived
            .iter()
            .all(|id| id.contains(&fixed) || id.contains(&deleted)),
        "{archived:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unseen_region_or_account_archives_nothing() {
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let member = moto.account_config(MEMBER, "flowaudit-read", REGION).await;
    let vpc = uncovered_vpc(&config, 61).await;
    let member_vpc = uncovered_vpc(&member, 62).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let both = format!("{CALLER},{MEMBER}");
    let roles = ["--accounts", both.as_str(), "--role-name", "flowaudit-read"];
    let first = scan_to(&moto.endpoint(), dir.path(), "first.json", &roles);
    let run = publish(&moto.endpoint(), &first, &["--role-name", "flowaudit-read"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let member_id = format!("flowaudit/COV003/{MEMBER}/{REGION}/{member_vpc}");
    assert_eq!(
        state(&Box::pin(hub(&member)).await[&member_id]),
        ("ACTIVE", "FAILED"),
        "published in the member's own account"
    );

    // Fix both, then scan the caller's account only: the member's finding is outside the
    // report's scope and stays as it is.
    cover(&config, &vpc).await;
    let narrower = scan_to(&moto.endpoint(), dir.path(), "narrower.json", &[]);
    let run = publish(&moto.endpoint(), &narrower, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        state(&Box::pin(hub(&member)).await[&member_id]),
        ("ACTIVE", "FAILED")
    );
    assert_eq!(
        state(&Box::pin(hub(&config)).await[&cov003(&vpc)]),
        ("ARCHIVED", "PASSED")
    );

    // A region whose listings are denied: the member VPC is deleted, but the run that
    // should prove it gone could not list the member's VPCs, so nothing there is archived.
    delete_vpc(&member, &member_vpc).await;
    let proxy = FaultProxy::start(
        moto.port,
        vec![Rule::new(
            Target::service("ec2").action("DescribeVpcs"),
            Fault::AccessDenied,
            Times::Always,
        )],
    );
    let denied = scan_to(&proxy.endpoint(), dir.path(), "denied.json", &roles);
    let run = publish(
        &moto.endpoint(),
        &denied,
        &["--role-name", "flowaudit-read"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        state(&Box::pin(hub(&member)).await[&member_id]),
        ("ACTIVE", "FAILED"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("left alone because unseen"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "left alone {member_id}: collection in {MEMBER} {REGION} was incomplete"
        )),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_asff_finding_of_the_demo_passes_botocore_validation() {
    let asff = run(&[
        "scan",
        "--snapshot",
        &path("fixtures/demo/estate.json"),
        "--policy",
        &path("policies/production.yaml"),
        "--date",
        DATE,
        "--format",
        "asff",
    ])
    .stdout;
    let findings: Value = serde_json::from_str(&asff).expect("ASFF is JSON");
    assert_eq!(findings.as_array().map(Vec::len), Some(249));
    let (valid, said) = botocore_validates(&asff);
    assert!(valid, "{said}");
    // The validator is not vacuous: a finding without Resources, or with a wrong type, fails.
    let mut broken = findings.clone();
    broken[0]["Resources"] = Value::String("none".into());
    let (valid, _) = botocore_validates(&broken.to_string());
    assert!(!valid, "botocore accepted a broken finding");
}

/// Validates `{"Findings": ...}` against BatchImportFindings' input shape with botocore's
/// own parameter validation, offline, in batches of 100 as a publish sends them.
fn botocore_validates(findings: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("asff.json");
    std::fs::write(&file, findings).expect("written");
    let python = root().join(".venv/bin/python");
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(
            "import json, sys, botocore.session, botocore.validate\n\
             findings = json.load(open(sys.argv[1]))\n\
             model = botocore.session.get_session().get_service_model('securityhub')\n\
             shape = model.operation_model('BatchImportFindings').input_shape\n\
             v = botocore.validate.ParamValidator()\n\
             bad = []\n\
             for i in range(0, len(findings), 100):\n\
             \x20   report = v.validate({'Findings': findings[i:i+100]}, shape)\n\
             \x20   if report.has_errors(): bad.append(report.generate_report())\n\
             print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n",
        )
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e}. ./scripts/test installs moto (and botocore) into .venv",
                python.display()
            )
        });
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_plan_report_is_not_published() {
    let out = run(&[
        "publish",
        "security-hub",
        &path("fixtures/demo/report-after-fix.json"),
        "--dry-run",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("is a `flowaudit plan` report"),
        "{}",
        out.stderr
    );
}
