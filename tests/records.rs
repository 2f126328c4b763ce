//! Proof of operation against a real moto: objects seeded under every real key layout and
//! log streams with fresh and stale events, relative to the test's own time; the records
//! rules must pass and fail where they should.

mod common;

use std::path::Path;

use aws_config::SdkConfig;
use chrono::{DateTime, Duration, Utc};
use common::fault_proxy::{Fault, FaultProxy, Rule, Target, Times};
use common::moto::{Moto, create_eu_west_1_bucket, log_group_keeping, s3_client, vpc_with_eni};
use common::records::*;
use common::*;
use serde_json::Value;

const POLICY: &str = "fixtures/policies/records.yaml";

/// Writes empty objects under `keys`, eight at a time; a key given with a storage class is
/// written in it.
async fn put(s3: &aws_sdk_s3::Client, bucket: &str, keys: Vec<(String, Option<&'static str>)>) {
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let mut puts = tokio::task::JoinSet::new();
    for (key, class) in keys {
        let (s3, bucket, limit) = (s3.clone(), bucket.to_string(), limit.clone());
        puts.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore open");
            let mut request = s3
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(Vec::new().into());
            if let Some(class) = class {
                request = request.storage_class(class.into());
            }
            request
                .send()
                .await
                .unwrap_or_else(|e| panic!("put {key}: {e}"));
        });
    }
    while let Some(done) = puts.join_next().await {
        done.expect("put task");
    }
}

/// A log stream with one event at `at`.
async fn stream_with_event(logs: &aws_sdk_cloudwatchlogs::Client, stream: &str, at: DateTime<Utc>) {
    logs.create_log_stream()
        .log_group_name(GROUP)
        .log_stream_name(stream)
        .send()
        .await
        .expect("stream");
    logs.put_log_events()
        .log_group_name(GROUP)
        .log_stream_name(stream)
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(at.timestamp_millis())
                .message("2 123456789012 eni-a 10.0.0.1 10.0.0.2 443 50000 6 10 840 1 2 ACCEPT OK")
                .build()
                .expect("event"),
        )
        .send()
        .await
        .expect("event put");
}

fn write_json(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).expect("json")).expect("written");
    path.to_string_lossy().into_owned()
}

fn observe(endpoint: &str, snapshot: &str, out: &str) -> Run {
    flowaudit_at_endpoint(endpoint, "test", "test")
        .env("AWS_REGION", REGION)
        .args(["observe", snapshot, "-o", out])
        .output()
        .expect("flowaudit runs")
        .into()
}

fn scan_snapshot(snapshot: &str) -> Run {
    flowaudit()
        .current_dir(root())
        .args([
            "scan",
            "--snapshot",
            snapshot,
            "--policy",
            POLICY,
            "--format",
            "json",
        ])
        .output()
        .expect("flowaudit runs")
        .into()
}

fn message<'a>(report: &'a Value, rule: &str, resource: &str) -> &'a str {
    finding(report, rule, resource)["message"]
        .as_str()
        .unwrap_or_default()
}

/// The flow logs of the layout test: S3 in every layout, CloudWatch, and Firehose.
fn layout_flow_logs(created: DateTime<Utc>) -> Vec<Value> {
    vec![
        flow_log("fl-daily", "vpc-1", s3("", false, false, false), created),
        flow_log(
            "fl-silent",
            "subnet-1",
            s3("", false, false, false),
            created,
        ),
        flow_log("fl-hourly", "eni-a", s3("", false, true, false), created),
        flow_log("fl-hive", "eni-b", s3("", true, false, false), created),
        flow_log(
            "fl-hive-hourly",
            "eni-c",
            s3("", true, true, false),
            created,
        ),
        flow_log(
            "fl-prefix",
            "vpc-1",
            s3("team-a/", false, false, true),
            created,
        ),
        flow_log("fl-cw-fresh", "eni-a", cloudwatch(), created),
        flow_log("fl-cw-stale", "eni-b", cloudwatch(), created),
        flow_log(
            "fl-firehose",
            "vpc-1",
            serde_json::json!({
                "LogDestinationType": "kinesis-data-firehose",
                "LogDestination": format!("arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/flows"),
            }),
            created,
        ),
    ]
}

/// Seeds the bucket and the group for `layout_flow_logs`, relative to `now`.
async fn seed_layouts(config: &SdkConfig, now: DateTime<Utc>) {
    let s3 = s3_client(config);
    create_eu_west_1_bucket(&s3, BUCKET).await;
    let (default, hive, team) = (default_prefix(), hive_prefix(), team_prefix());
    let hour = Duration::hours(1);
    put(
        &s3,
        BUCKET,
        vec![
            // Default layout: fl-daily writes now and kept 10 days; fl-hourly writes into
            // hour folders of the same days; fl-silent writes nothing.
            (
                file_key(&default, "fl-daily", now - hour, false, false, "log.gz"),
                None,
            ),
            (
                file_key(
                    &default,
                    "fl-daily",
                    days_ago(now, 10),
                    false,
                    false,
                    "log.gz",
                ),
                None,
            ),
            (
                file_key(&default, "fl-hourly", now - hour * 2, false, true, "log.gz"),
                None,
            ),
            // Hive: fl-hive writes now and its oldest is 400 days old; fl-hive-hourly
            // stopped three days ago.
            (
                file_key(
                    &hive,
                    "fl-hive",
                    now - Duration::minutes(30),
                    true,
                    false,
                    "log.gz",
                ),
                None,
            ),
            (
                file_key(&hive, "fl-hive", days_ago(now, 400), true, false, "log.gz"),
                None,
            ),
            (
                file_key(
                    &hive,
                    "fl-hive-hourly",
                    days_ago(now, 3),
                    true,
                    true,
                    "log.gz",
                ),
                None,
            ),
            // A custom prefix and Parquet: kept 40 days, the oldest already in GLACIER.
            (
                file_key(&team, "fl-prefix", now - hour, false, false, "parquet"),
                None,
            ),
            (
                file_key(
                    &team,
                    "fl-prefix",
                    days_ago(now, 40),
                    false,
                    false,
                    "parquet",
                ),
                Some("GLACIER"),
            ),
        ],
    )
    .await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    log_group_keeping(config, GROUP, 30).await;
    stream_with_event(&logs, "eni-a-all", now - Duration::minutes(10)).await;
    stream_with_event(&logs, "eni-b-all", days_ago(now, 3)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_layout_passes_and_fails_where_it_should() {
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let now = Utc::now();
    seed_layouts(&config, now).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let estate = estate(layout_flow_logs(days_ago(now, 200)), now);
    let collected = write_json(dir.path(), "estate.json", &estate);
    let observed = dir.path().join("observed.json");
    let observed = observed.to_string_lossy();
    let run = observe(&moto.endpoint(), &collected, &observed);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let report = scan_snapshot(&observed).json();
    let rec = |rule: &str, resource: &str| status(&report, rule, resource).unwrap_or_default();
    // Records arriving, in every layout and destination.
    for fl in [
        "fl-daily",
        "fl-hourly",
        "fl-hive",
        "fl-prefix",
        "fl-cw-fresh",
    ] {
        assert_eq!(rec("REC001", fl), "pass", "{fl}: {}", non_passing(&report));
    }
    // Two flow logs into one subtree, one silent.
    assert_eq!(rec("REC001", "fl-silent"), "fail");
    assert!(
        message(&report, "REC001", "fl-silent").contains("holds none since"),
        "{}",
        message(&report, "REC001", "fl-silent")
    );
    // Stopped three days ago: the message gives the last record's time.
    assert_eq!(rec("REC001", "fl-hive-hourly"), "fail");
    let stale = days_ago(now, 3).format("%Y-%m-%dT%H:%M:00Z").to_string();
    assert!(
        message(&report, "REC001", "fl-hive-hourly").contains(&stale),
        "{} should name {stale}",
        message(&report, "REC001", "fl-hive-hourly")
    );
    assert_eq!(rec("REC001", "fl-cw-stale"), "fail");
    assert!(message(&report, "REC001", "fl-cw-stale").contains("log group /vpc/records"));
    // Firehose cannot be observed: unknown, never a pass.
    assert_eq!(rec("REC001", "fl-firehose"), "unknown");

    let default = format!("{BUCKET}/{}", default_prefix());
    let hive = format!("{BUCKET}/{}", hive_prefix());
    let team = format!("{BUCKET}/{}", team_prefix());
    // Kept 10 days of the 30 the policy wants, though delivering for 200.
    assert_eq!(rec("REC002", &default), "fail");
    let missing = message(&report, "REC002", &default);
    assert!(
        missing.contains(&days_ago(now, 10).date_naive().to_string()),
        "{missing}"
    );
    assert!(missing.contains("20 days short"), "{missing}");
    assert_eq!(rec("REC002", &hive), "pass");
    assert_eq!(rec("REC002", &team), "pass");
    // 400 days kept against a maximum of 365.
    assert_eq!(rec("REC003", &hive), "fail");
    assert!(message(&report, "REC003", &hive).contains("33 days past the maximum of 365"));
    assert_eq!(rec("REC003", &default), "pass");
    // 40-day-old records in GLACIER, with 90 days to stay at hand.
    assert_eq!(rec("REC004", &team), "fail");
    assert!(message(&report, "REC004", &team).contains("GLACIER"));
    assert_eq!(rec("REC004", &default), "pass");

    // The same snapshot without the observation: every records check is an error naming
    // --observe, never a pass.
    let unobserved = scan_snapshot(&collected);
    let report = unobserved.json();
    for f in report["findings"].as_array().expect("findings") {
        if f["rule_id"].as_str().is_some_and(|r| r.starts_with("REC"))
            && f["resource_id"] != "fl-firehose"
        {
            assert_eq!(f["status"], "error", "{f}");
            assert!(
                f["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("--observe"),
                "{f}"
            );
        }
    }
    assert_ne!(unobserved.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_listing_is_an_error_for_exactly_what_it_concerns() {
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let now = Utc::now();
    seed_layouts(&config, now).await;
    let proxy = FaultProxy::start(
        moto.port,
        vec![Rule::new(
            Target::service("s3").bucket(BUCKET),
            Fault::AccessDenied,
            Times::Always,
        )],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let collected = write_json(
        dir.path(),
        "estate.json",
        &estate(layout_flow_logs(days_ago(now, 200)), now),
    );
    let observed = dir.path().join("observed.json");
    let run = observe(&proxy.endpoint(), &collected, &observed.to_string_lossy());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = scan_snapshot(&observed.to_string_lossy());
    let report = run.json();
    for fl in ["fl-daily", "fl-silent", "fl-hive", "fl-prefix"] {
        let f = finding(&report, "REC001", fl);
        assert_eq!(f["status"], "error", "{f}");
        assert!(
            f["message"]
                .as_str()
                .unwrap_or_default()
                .contains("AccessDenied"),
            "{f}"
        );
    }
    assert_eq!(
        status(&report, "REC002", &format!("{BUCKET}/{}", default_prefix())).as_deref(),
        Some("error")
    );
    // The log group was read: its verdicts stand.
    assert_eq!(
        status(&report, "REC001", "fl-cw-fresh").as_deref(),
        Some("pass")
    );
    assert_eq!(
        status(&report, "REC001", "fl-cw-stale").as_deref(),
        Some("fail")
    );
    assert_eq!(run.code, 1, "the stale group's failure decides the exit");
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_observe_reads_a_live_account() {
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let s3 = s3_client(&config);
    create_eu_west_1_bucket(&s3, "live-records").await;
    // A VPC with one interface, so that the flow log has something to record.
    let (vpc, _) = vpc_with_eni(&ec2, 71).await;
    let created = ec2
        .create_flow_logs()
        .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
        .resource_ids(&vpc)
        .traffic_type(aws_sdk_ec2::types::TrafficType::All)
        .log_destination_type(aws_sdk_ec2::types::LogDestinationType::S3)
        .log_destination("arn:aws:s3:::live-records")
        .send()
        .await
        .expect("flow log");
    let id = created
        .flow_log_ids()
        .first()
        .cloned()
        .expect("flow log id");
    let now = Utc::now();
    let prefix = default_prefix();
    put(
        &s3,
        "live-records",
        vec![
            (
                file_key(
                    &prefix,
                    &id,
                    now - Duration::hours(1),
                    false,
                    false,
                    "log.gz",
                ),
                None,
            ),
            (
                file_key(&prefix, &id, days_ago(now, 400), false, false, "log.gz"),
                None,
            ),
        ],
    )
    .await;
    let run: Run = flowaudit_at_endpoint(&moto.endpoint(), "test", "test")
        .current_dir(root())
        .args([
            "scan",
            "--observe",
            "--region",
            REGION,
            "--policy",
            POLICY,
            "--format",
            "json",
        ])
        .output()
        .expect("flowaudit runs")
        .into();
    let report = run.json();
    assert_eq!(
        status(&report, "REC001", &id).as_deref(),
        Some("pass"),
        "{}",
        non_passing(&report)
    );
    assert!(message(&report, "REC001", &id).contains("newest record at s3://live-records/"));
    let subtree = format!("live-records/{prefix}");
    assert_eq!(status(&report, "REC003", &subtree).as_deref(), Some("fail"));
    let evidence = &finding(&report, "REC003", &subtree)["evidence"];
    assert_eq!(
        evidence["oldest_date"],
        days_ago(now, 400).date_naive().to_string()
    );
    assert_eq!(
        evidence["newest_date"],
        (now - Duration::hours(1)).date_naive().to_string()
    );
}

/// Writes fixtures/records/observed.json: the layout estate, observed through moto by the
/// real binary. Run with FLOWAUDIT_REGENERATE=1 to renew it; the docs and rule tests read it.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "writes a fixture; run with FLOWAUDIT_REGENERATE=1"]
async fn regenerate_the_observed_fixture() {
    if std::env::var_os("FLOWAUDIT_REGENERATE").is_none() {
        return;
    }
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let now = Utc::now();
    seed_layouts(&config, now).await;
    let dir = root().join("fixtures/records");
    std::fs::create_dir_all(&dir).expect("fixture dir");
    let collected = write_json(
        dir.as_path(),
        "estate.json",
        &estate(layout_flow_logs(days_ago(now, 200)), now),
    );
    let run = observe(
        &moto.endpoint(),
        &collected,
        &path("fixtures/records/observed.json"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The request budget docs/benchmarks.md gives: per S3 subtree at most seven listings (one
/// page each here), per daily S3 flow log one listing a day searched, and per log group
/// one DescribeLogStreams plus at most `STREAM_LOOKUPS_PER_GROUP`. Counted at the wire.
#[tokio::test(flavor = "multi_thread")]
async fn the_request_budget_holds_at_fifty_flow_logs_and_a_thousand_objects_a_day() {
    const FLOW_LOGS: usize = 50;
    const FILES_PER_DAY: usize = 20; // 50 x 20 = 1,000 objects a day
    let moto = Moto::start();
    let config = moto.sdk_config(REGION, "test", "test").await;
    let client = s3_client(&config);
    create_eu_west_1_bucket(&client, BUCKET).await;
    let now = Utc::now();
    let ids: Vec<String> = (0..FLOW_LOGS).map(|i| format!("fl-{i:03}")).collect();
    let prefix = default_prefix();
    let mut keys = Vec::new();
    for day in [days_ago(now, 1), now] {
        let midnight = day
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc();
        for id in &ids {
            for n in 0..FILES_PER_DAY {
                let at = midnight + Duration::minutes(5 * n as i64);
                keys.push((file_key(&prefix, id, at, false, false, "log.gz"), None));
            }
        }
    }
    put(&client, BUCKET, keys).await;
    let flow_logs = ids
        .iter()
        .map(|id| flow_log(id, "vpc-1", s3("", false, false, false), days_ago(now, 200)))
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let collected = write_json(dir.path(), "estate.json", &estate(flow_logs, now));
    let proxy = FaultProxy::start(moto.port, vec![]);
    let observed = dir.path().join("observed.json");
    let run = observe(&proxy.endpoint(), &collected, &observed.to_string_lossy());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listings = proxy
        .log()
        .iter()
        .filter(|l| l.request.service == "s3")
        .count();
    // Years, the newest year's months and days, the oldest year's months and days, the
    // first object of the oldest day; then one prefix listing per flow log, found today.
    assert_eq!(listings, 6 + FLOW_LOGS, "{:#?}", proxy.log());
    assert!(listings <= 7 + 2 * FLOW_LOGS, "over the documented budget");
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&observed).expect("observed")).expect("JSON");
    let files = snapshot["observations"]["s3_prefixes"][0]["flow_logs"]
        .as_array()
        .expect("flow logs observed");
    assert_eq!(files.len(), FLOW_LOGS);
    assert!(
        files.iter().all(|f| f["newest_record"].is_string()),
        "{files:#?}"
    );
}
