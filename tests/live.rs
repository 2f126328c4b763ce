//! Live scans against a real local AWS API (moto): the estate is created with the Rust
//! SDK's own Create calls, then the real `flowaudit` binary scans it.

mod common;
#[path = "live/estate.rs"]
mod estate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::moto::Moto;
use common::*;
use estate::{REGIONS, Seeder};
use serde_json::Value;

/// The binary, pointed at moto.
fn flowaudit_at(moto: &Moto, key: &str, secret: &str) -> assert_cmd::Command {
    flowaudit_at_endpoint(&moto.endpoint(), key, secret)
}

fn live_scan(moto: &Moto, key: &str, secret: &str, extra: &[&str]) -> Run {
    let mut args = live_scan_args();
    for r in REGIONS {
        args.extend(["--region", r]);
    }
    args.extend(extra);
    let out = flowaudit_at(moto, key, secret)
        .current_dir(root())
        .args(&args)
        .output()
        .expect("flowaudit runs");
    Run::from(out)
}

async fn seeded_moto() -> (Moto, BTreeMap<String, String>) {
    let moto = Moto::start();
    let seeder = Seeder {
        config: moto.sdk_config("us-east-1", "test", "test").await,
    };
    let ids = estate::seed(&seeder).await;
    (moto, ids)
}

/// Readable names for the ids in a snapshot: "eu-west-1/partial" for a VPC, "fl:eu-west-1/partial"
/// for a flow log of that VPC, "eu-west-1/default" for the default VPC.
fn labels(snapshot: &Value) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for region in snapshot["accounts"][0]["regions"].as_array().unwrap() {
        let r = region["region"].as_str().unwrap();
        let mut vpc_of: BTreeMap<String, String> = BTreeMap::new();
        for vpc in region["vpcs"].as_array().unwrap() {
            let id = vpc["VpcId"].as_str().unwrap().to_string();
            let name = vpc["Tags"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["Key"] == "Name")
                .map(|t| t["Value"].as_str().unwrap().to_string())
                .unwrap_or_else(|| {
                    if vpc["IsDefault"] == true {
                        "default".into()
                    } else {
                        "unnamed".into()
                    }
                });
            labels.insert(id.clone(), format!("{r}/{name}"));
            vpc_of.insert(id.clone(), id);
        }
        for s in region["subnets"].as_array().unwrap() {
            vpc_of.insert(
                s["SubnetId"].as_str().unwrap().into(),
                s["VpcId"].as_str().unwrap().into(),
            );
        }
        for e in region["network_interfaces"].as_array().unwrap() {
            vpc_of.insert(
                e["NetworkInterfaceId"].as_str().unwrap().into(),
                e["VpcId"].as_str().unwrap().into(),
            );
        }
        for fl in region["flow_logs"].as_array().unwrap() {
            let vpc = &vpc_of[fl["ResourceId"].as_str().unwrap()];
            labels.insert(
                fl["FlowLogId"].as_str().unwrap().into(),
                format!("fl:{}", labels[vpc]),
            );
        }
    }
    labels
}

fn violations(
    report: &Value,
    labels: &BTreeMap<String, String>,
) -> BTreeSet<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "pass")
        .map(|f| {
            let id = f["resource_id"].as_str().unwrap();
            (
                f["status"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                labels.get(id).cloned().unwrap_or_else(|| id.to_string()),
            )
        })
        .collect()
}

fn expected() -> BTreeSet<(String, String, String)> {
    let prefix =
        |bucket: &str, region: &str| format!("{bucket}/AWSLogs/123456789012/vpcflowlogs/{region}/");
    [
        // eu-west-1
        ("COV003", "eu-west-1/partial".to_string()),
        ("COV003", "eu-west-1/reject-only".into()),
        ("FLS003", "fl:eu-west-1/reject-only".into()),
        ("COV003", "eu-west-1/missing-group".into()),
        ("FLS002", "fl:eu-west-1/missing-group".into()),
        ("DST002", "/fa/eu/missing".into()),
        ("CWL001", "/fa/eu/never".into()),
        ("CWL002", "/fa/eu/7".into()),
        ("CWL003", "/fa/eu/365".into()),
        ("COV003", "eu-west-1/no-logs".into()),
        ("COV003", "eu-west-1/default".into()),
        // us-east-1
        ("S3L001", prefix("fa-no-lifecycle", "us-east-1")),
        ("S3L001", prefix("fa-wrong-prefix", "us-east-1")),
        ("S3L001", prefix("fa-tagged", "us-east-1")),
        ("S3L001", prefix("fa-disabled", "us-east-1")),
        ("S3L005", prefix("fa-versioned", "us-east-1")),
        // Its noncurrent versions never expire, so the data outlives the policy's maximum.
        ("S3L003", prefix("fa-versioned", "us-east-1")),
        ("COV003", "us-east-1/default".into()),
        // ap-northeast-1
        ("COV003", "ap-northeast-1/subnets-partly".into()),
        ("COV003", "ap-northeast-1/enis-partly".into()),
        ("COV003", "ap-northeast-1/default".into()),
    ]
    .into_iter()
    .map(|(rule, label)| ("fail".to_string(), rule.to_string(), label))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn live_scan_reports_exactly_the_seeded_violations_and_matches_snapshot_scans() {
    let (moto, ids) = seeded_moto().await;
    assert!(ids.len() >= 30, "the estate has {} VPCs", ids.len());
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");

    let live = live_scan(
        &moto,
        "test",
        "test",
        &["--save-snapshot", &saved.to_string_lossy()],
    );
    assert_eq!(live.code, 1, "violations exit 1; stderr: {}", live.stderr);
    let report = live.json();
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(snapshot["collection_errors"], serde_json::json!([]));
    let vpcs: usize = snapshot["accounts"][0]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["vpcs"].as_array().unwrap().len())
        .sum();
    assert!(vpcs >= 33, "{vpcs} VPCs collected");

    let labels = labels(&snapshot);
    assert_eq!(violations(&report, &labels), expected());
    // The compliant arrangements pass, each under the check that matters for it.
    for (rule, vpc) in [
        ("COV003", "eu-west-1/vpc-level"),
        ("COV003", "eu-west-1/subnet-level"),
        ("COV003", "eu-west-1/eni-level"),
    ] {
        assert_eq!(
            status(&report, rule, &ids[vpc]).as_deref(),
            Some("pass"),
            "{vpc}"
        );
    }
    assert_eq!(
        status(&report, "DST004", "fa-stream").as_deref(),
        Some("pass")
    );
    assert_eq!(
        status(
            &report,
            "S3L005",
            "fa-versioned-ok/AWSLogs/123456789012/vpcflowlogs/us-east-1/"
        )
        .as_deref(),
        Some("pass")
    );
    assert_eq!(
        status(&report, "CWL002", "/fa/eu/14").as_deref(),
        Some("pass")
    );

    // Scanning the saved snapshot gives the same report, byte for byte.
    let from_snapshot = scan(Path::new(&saved), "fixtures/policies/live.yaml");
    assert_eq!(from_snapshot.stdout, live.stdout);

    // `collect` then `scan --snapshot` gives the same findings.
    let collected = dir.path().join("collected.json");
    let mut collect = flowaudit_at(&moto, "test", "test");
    collect.args(["collect", "--output", &collected.to_string_lossy()]);
    for r in REGIONS {
        collect.args(["--region", r]);
    }
    collect.assert().success();
    let rescanned = scan(Path::new(&collected), "fixtures/policies/live.yaml").json();
    assert_eq!(rescanned["findings"], report["findings"]);
}

fn is_read_only(method: &str, operation: &str) -> bool {
    if let Some(rest) = operation.strip_prefix("s3:") {
        return rest.starts_with("GET ") || rest.starts_with("HEAD ");
    }
    method == "POST"
        && ["Describe", "Get", "List"]
            .iter()
            .any(|p| operation.starts_with(p))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scan_only_reads_and_its_requests_do_not_grow_with_the_estate() {
    let (moto, _) = seeded_moto().await;
    // GetCallerIdentity, 4 EC2 lists and 1 log-group list per region (one page each
    // here: moto does not paginate), 1 DescribeDeliveryStream, 1 ListBuckets per account
    // (to tell the buckets' owners), 5 calls per bucket.
    let buckets = 7;
    let budget = 1 + REGIONS.len() * 6 + 1 + 1 + 5 * buckets;

    moto.api("POST", "/moto-api/recorder/reset-recording", "");
    moto.api("POST", "/moto-api/recorder/start-recording", "");
    assert_eq!(live_scan(&moto, "test", "test", &[]).code, 1);
    moto.api("POST", "/moto-api/recorder/stop-recording", "");
    let first = moto.recorded_operations();
    for (method, op) in &first {
        assert!(
            is_read_only(method, op),
            "a scan made a non-read call: {method} {op}"
        );
    }
    assert_eq!(first.len(), budget, "calls made: {first:?}");

    // Ten more VPCs with subnets, ENIs and flow logs: not one more call.
    let seeder = Seeder {
        config: moto.sdk_config("us-east-1", "test", "test").await,
    };
    let eu = seeder.region("eu-west-1");
    for i in 0..10u8 {
        let v = eu.vpc(&format!("extra-{i}"), 100 + i, &[2, 1]).await;
        eu.flow_log(
            aws_sdk_ec2::types::FlowLogsResourceType::Vpc,
            &v.vpc_id,
            aws_sdk_ec2::types::TrafficType::All,
            estate::To::Bucket("fa-good"),
        )
        .await;
    }
    moto.api("POST", "/moto-api/recorder/reset-recording", "");
    moto.api("POST", "/moto-api/recorder/start-recording", "");
    assert_eq!(live_scan(&moto, "test", "test", &[]).code, 1);
    let second = moto.recorded_operations();
    assert_eq!(
        second.len(),
        first.len(),
        "requests grew with the estate: {second:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shipped_iam_policy_is_all_a_scan_needs() {
    let (moto, _) = seeded_moto().await;
    let config = moto.sdk_config("us-east-1", "test", "test").await;
    let iam = aws_sdk_iam::Client::new(&config);
    let document = std::fs::read_to_string(root().join("docs/iam-read-only-policy.json")).unwrap();
    for action in [
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetLifecycleConfiguration",
        // --observe: key names and stream times, never an object or an event.
        "s3:ListBucket",
        "logs:DescribeLogStreams",
    ] {
        assert!(document.contains(action), "the policy must grant {action}");
    }
    let parsed: Value = serde_json::from_str(&document).expect("the IAM policy is JSON");
    for statement in parsed["Statement"].as_array().unwrap() {
        for action in statement["Action"].as_array().unwrap() {
            let action = action.as_str().unwrap();
            let verb = action.split(':').nth(1).unwrap();
            assert!(
                ["Describe", "Get", "List"]
                    .iter()
                    .any(|p| verb.starts_with(p)),
                "{action} is not read-only"
            );
        }
    }
    let policy = iam
        .create_policy()
        .policy_name("flowaudit-read-only")
        .policy_document(document)
        .send()
        .await
        .expect("create policy");
    let policy_arn = policy.policy().and_then(|p| p.arn()).unwrap().to_string();
    // moto (5.1.22, s3/responses.py) authorises GET ?encryption and GET ?publicAccessBlock
    // as s3:ListBucket, where AWS uses s3:GetEncryptionConfiguration and
    // s3:GetBucketPublicAccessBlock (both in the shipped document, asserted below). This
    // statement exists only so moto's naming does not hide a real gap in the document.
    let moto_shim = iam
        .create_policy()
        .policy_name("moto-s3-action-naming")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::*"}]}"#)
        .send()
        .await
        .expect("create shim policy");
    let shim_arn = moto_shim
        .policy()
        .and_then(|p| p.arn())
        .unwrap()
        .to_string();
    let mut keys = Vec::new();
    for (user, attach) in [("auditor", true), ("nobody", false)] {
        iam.create_user()
            .user_name(user)
            .send()
            .await
            .expect("create user");
        if attach {
            iam.attach_user_policy()
                .user_name(user)
                .policy_arn(&policy_arn)
                .send()
                .await
                .expect("attach");
            iam.attach_user_policy()
                .user_name(user)
                .policy_arn(&shim_arn)
                .send()
                .await
                .expect("attach shim");
        }
        let key = iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .expect("access key");
        let key = key.access_key().unwrap();
        keys.push((
            key.access_key_id().to_string(),
            key.secret_access_key().to_string(),
        ));
    }
    // From here on moto enforces IAM for every request.
    moto.api("POST", "/moto-api/reset-auth", "0");

    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("auditor.json");
    // --connectivity: the listings a connectivity profile needs are granted too.
    let auditor = live_scan(
        &moto,
        &keys[0].0,
        &keys[0].1,
        &[
            "--save-snapshot",
            &saved.to_string_lossy(),
            "--connectivity",
            "--observe",
        ],
    );
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(
        snapshot["collection_errors"],
        serde_json::json!([]),
        "denied with the shipped policy"
    );
    assert_eq!(auditor.code, 1, "{}", auditor.stderr);
    assert!(
        snapshot["accounts"][0]["regions"][0]["internet_gateways"].is_array(),
        "connectivity was listed"
    );
    // --observe: every listing was allowed. moto (5.1.22) with IAM enforcement on rejects
    // the SigV4 signature of any ListObjectsV2 with a prefix (SignatureDoesNotMatch, not an
    // access error), so for S3 this can only show that nothing was denied.
    let observations = &snapshot["observations"];
    let groups = observations["log_groups"]
        .as_array()
        .expect("log groups observed");
    assert!(!groups.is_empty(), "{observations}");
    for o in groups {
        assert!(
            o.get("error").is_none(),
            "denied with the shipped policy: {o}"
        );
    }
    for o in observations["s3_prefixes"]
        .as_array()
        .expect("prefixes observed")
    {
        let code = o["error"]["code"].as_str().unwrap_or("none");
        assert!(
            ["none", "SignatureDoesNotMatch"].contains(&code),
            "denied with the shipped policy: {o}"
        );
    }

    // Control: without the policy, every call is denied. The run says so and fails; it
    // never reads as compliant.
    let nobody = live_scan(&moto, &keys[1].0, &keys[1].1, &[]);
    assert_eq!(nobody.code, 3, "{}", nobody.stderr);
    let report = nobody.json();
    assert_eq!(report["summary"]["pass"], 0);
    for region in REGIONS {
        for service in ["ec2", "logs"] {
            let f = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| {
                    f["rule_id"] == "COL001" && f["region"] == region && f["resource_id"] == service
                })
                .unwrap_or_else(|| panic!("no COL001 for {service} in {region}"));
            assert_eq!(f["status"], "error");
        }
    }
}
