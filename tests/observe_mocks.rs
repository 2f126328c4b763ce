//! Observation against mocked S3 and CloudWatch Logs answers (aws-smithy-mocks), for what a
//! local AWS server cannot show: CommonPrefixes over several pages, AccessDenied on a
//! listing and throttling that outlasts the retries. None of them may pass.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_cloudwatchlogs::operation::describe_log_streams::DescribeLogStreamsOutput;
use aws_sdk_s3::operation::list_objects_v2::{ListObjectsV2Input, ListObjectsV2Output};
use aws_sdk_s3::types::{CommonPrefix, Object, ObjectStorageClass};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use chrono::{DateTime, TimeZone, Utc};
use common::records::*;
use flowaudit::collect::{self, ClientSource, RegionClients};
use flowaudit::snapshot::Snapshot;

/// Mocked S3 and Logs; the other services are never called.
struct Mocked {
    s3: aws_sdk_s3::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

impl ClientSource for Mocked {
    fn region(&self, _region: &str) -> RegionClients {
        RegionClients {
            ec2: mock_client!(aws_sdk_ec2, RuleMode::MatchAny, Vec::<&Rule>::new()),
            logs: self.logs.clone(),
            firehose: mock_client!(aws_sdk_firehose, RuleMode::MatchAny, Vec::<&Rule>::new()),
            telemetry: mock_client!(
                aws_sdk_observabilityadmin,
                RuleMode::MatchAny,
                Vec::<&Rule>::new()
            ),
        }
    }
    fn s3(&self, _region: &str) -> aws_sdk_s3::Client {
        self.s3.clone()
    }
    fn sts(&self, _region: &str) -> aws_sdk_sts::Client {
        unreachable!("observation never asks who the caller is")
    }
    fn default_region(&self) -> Option<String> {
        None
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
        .single()
        .expect("a time")
}

/// One daily S3 flow log into the bucket's default subtree, and one CloudWatch flow log.
fn snapshot() -> Snapshot {
    let created = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("a time");
    let estate = estate(
        vec![
            flow_log("fl-s3", "vpc-1", s3("", false, false, false), created),
            flow_log("fl-cw", "eni-a", cloudwatch(), created),
        ],
        now(),
    );
    serde_json::from_value(estate).expect("a snapshot")
}

async fn observe_with(s3_rules: &[Rule], logs_rules: &[Rule]) -> collect::Observed {
    let mocked: Arc<dyn ClientSource> = Arc::new(Mocked {
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, s3_rules.iter()),
        logs: mock_client!(
            aws_sdk_cloudwatchlogs,
            RuleMode::MatchAny,
            logs_rules.iter()
        ),
    });
    let readers = BTreeMap::from([(ACCOUNT.to_string(), mocked)]);
    collect::observe(&snapshot(), &readers, 1, 2, now()).await
}

fn folders(names: &[&str]) -> Vec<CommonPrefix> {
    names
        .iter()
        .map(|n| CommonPrefix::builder().prefix(*n).build())
        .collect()
}

/// Folders under `parent`, answered to a listing of exactly that prefix and token.
fn listing(parent: String, token: Option<&'static str>, answer: ListObjectsV2Output) -> Rule {
    mock!(aws_sdk_s3::Client::list_objects_v2)
        .match_requests(move |r: &ListObjectsV2Input| {
            r.prefix() == Some(parent.as_str()) && r.continuation_token() == token
        })
        .then_output(move || answer.clone())
}

fn folders_answer(parent: &str, names: &[&str], next: Option<&str>) -> ListObjectsV2Output {
    let full: Vec<String> = names.iter().map(|n| format!("{parent}{n}")).collect();
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    ListObjectsV2Output::builder()
        .set_common_prefixes(Some(folders(&full)))
        .is_truncated(next.is_some())
        .set_next_continuation_token(next.map(str::to_string))
        .build()
}

fn stream_rules() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_streams)
            .then_output(stream_rules_output),
    ]
}

#[tokio::test]
async fn folders_over_several_pages_find_both_ends() {
    let p = default_prefix();
    let key =
        format!("{p}2026/11/30/{ACCOUNT}_vpcflowlogs_{REGION}_fl-s3_20261130T1105Z_ab12.log.gz");
    let oldest_key =
        format!("{p}2024/03/05/{ACCOUNT}_vpcflowlogs_{REGION}_fl-s3_20240305T0000Z_cd34.log.gz");
    let rules = vec![
        // The years come in two pages: the newest is only on the second.
        listing(
            p.clone(),
            None,
            folders_answer(&p, &["2024/", "2025/"], Some("page-2")),
        ),
        listing(
            p.clone(),
            Some("page-2"),
            folders_answer(&p, &["2026/"], None),
        ),
        listing(
            format!("{p}2026/"),
            None,
            folders_answer(&format!("{p}2026/"), &["10/", "11/"], None),
        ),
        listing(
            format!("{p}2026/11/"),
            None,
            folders_answer(&format!("{p}2026/11/"), &["29/", "30/"], None),
        ),
        listing(
            format!("{p}2024/"),
            None,
            folders_answer(&format!("{p}2024/"), &["03/"], None),
        ),
        listing(
            format!("{p}2024/03/"),
            None,
            folders_answer(&format!("{p}2024/03/"), &["05/"], None),
        ),
        listing(
            format!("{p}2024/03/05/"),
            None,
            ListObjectsV2Output::builder()
                .contents(
                    Object::builder()
                        .key(&oldest_key)
                        .storage_class(ObjectStorageClass::Glacier)
                        .build(),
                )
                .build(),
        ),
        listing(
            format!("{p}2026/11/30/{ACCOUNT}_vpcflowlogs_{REGION}_fl-s3_"),
            None,
            ListObjectsV2Output::builder()
                .contents(Object::builder().key(&key).build())
                .build(),
        ),
    ];
    let observed = observe_with(&rules, &stream_rules()).await;
    let o = &observed.observations;
    let tree = &o.s3_prefixes[0];
    assert_eq!(tree.error, None);
    assert_eq!(tree.newest_date.as_deref(), Some("2026-11-30"));
    assert_eq!(tree.oldest_date.as_deref(), Some("2024-03-05"));
    assert_eq!(tree.oldest_storage_class.as_deref(), Some("GLACIER"));
    assert_eq!(
        tree.flow_logs[0].newest_record.as_deref(),
        Some("2026-11-30T11:05:00Z")
    );
    assert!(
        rules.iter().all(|r| r.num_calls() == 1),
        "each listing once"
    );
    // Eight S3 listings and one DescribeLogStreams; the stream belongs to fl-cw's ENI, so
    // no per-interface look-up follows.
    assert_eq!(observed.requests, 9);
    let group = &o.log_groups[0];
    assert_eq!(
        group.flow_logs[0].newest_event.as_deref(),
        Some("2026-11-30T11:50:00Z")
    );
    assert!(group.flow_logs[0].complete);
}

const ACCESS_DENIED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

#[tokio::test]
async fn a_denied_listing_is_an_error_for_the_subtree_and_its_flow_logs() {
    let rules = vec![
        mock!(aws_sdk_s3::Client::list_objects_v2)
            .sequence()
            .http_status(403, Some(ACCESS_DENIED.to_string()))
            .repeatedly()
            .build(),
    ];
    let logs = vec![
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_streams)
            .sequence()
            .http_status(
                400,
                Some(
                    r#"{"__type":"AccessDeniedException","message":"User is not authorized"}"#
                        .to_string(),
                ),
            )
            .repeatedly()
            .build(),
    ];
    let observed = observe_with(&rules, &logs).await;
    let tree = &observed.observations.s3_prefixes[0];
    assert_eq!(
        tree.error.as_ref().map(|e| e.code.as_str()),
        Some("AccessDenied")
    );
    assert_eq!(
        (tree.newest_date.as_ref(), tree.oldest_date.as_ref()),
        (None, None)
    );
    assert_eq!(
        tree.flow_logs[0].error.as_ref().map(|e| e.code.as_str()),
        Some("AccessDenied")
    );
    let group = &observed.observations.log_groups[0];
    assert_eq!(
        group.flow_logs[0].error.as_ref().map(|e| e.code.as_str()),
        Some("AccessDeniedException")
    );
    assert!(!group.flow_logs[0].complete);
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_an_error() {
    let slow_down = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
    let rules = vec![
        mock!(aws_sdk_s3::Client::list_objects_v2)
            .sequence()
            .http_status(503, Some(slow_down.to_string()))
            .repeatedly()
            .build(),
    ];
    let observed = observe_with(&rules, &stream_rules()).await;
    let tree = &observed.observations.s3_prefixes[0];
    assert_eq!(
        tree.error.as_ref().map(|e| e.code.as_str()),
        Some("SlowDown")
    );
    assert!(
        rules[0].num_calls() > 1,
        "throttling is retried before it is given up"
    );
    assert!(
        tree.flow_logs
            .iter()
            .all(|f| f.error.is_some() && f.newest_record.is_none())
    );
}

#[tokio::test]
async fn a_group_past_its_look_up_bound_is_an_error_never_a_failure_or_a_pass() {
    // fl-many covers thirty interfaces of subnet-2; the group's freshest stream is eni-a's,
    // which is fl-cw's, so fl-many's interfaces are looked up, at most 25, each stale.
    let created = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("a time");
    let mut estate = estate(
        vec![
            flow_log("fl-cw", "eni-a", cloudwatch(), created),
            flow_log("fl-many", "subnet-2", cloudwatch(), created),
        ],
        now(),
    );
    let region = &mut estate["accounts"][0]["regions"][0];
    region["subnets"]
        .as_array_mut()
        .expect("subnets")
        .push(serde_json::json!({
            "SubnetId": "subnet-2", "VpcId": "vpc-1", "OwnerId": ACCOUNT, "Tags": []
        }));
    for i in 0..30 {
        region["network_interfaces"].as_array_mut().expect("enis").push(serde_json::json!({
            "NetworkInterfaceId": format!("eni-m{i:02}"), "SubnetId": "subnet-2", "VpcId": "vpc-1",
            "RequesterManaged": false
        }));
    }
    let snapshot: Snapshot = serde_json::from_value(estate).expect("a snapshot");
    let stale = now().timestamp_millis() - 3 * 86_400_000;
    let streams = [
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_streams)
            .match_requests(|r| r.log_stream_name_prefix().is_none())
            .then_output(stream_rules_output),
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_streams)
            .match_requests(|r| r.log_stream_name_prefix().is_some())
            .then_output(move || {
                DescribeLogStreamsOutput::builder()
                    .log_streams(
                        aws_sdk_cloudwatchlogs::types::LogStream::builder()
                            .log_stream_name("eni-mXX-all")
                            .last_event_timestamp(stale)
                            .build(),
                    )
                    .build()
            }),
    ];
    let mocked: Arc<dyn ClientSource> = Arc::new(Mocked {
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, Vec::<&Rule>::new()),
        logs: mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, streams.iter()),
    });
    let readers = BTreeMap::from([(ACCOUNT.to_string(), mocked)]);
    let observed = collect::observe(&snapshot, &readers, 1, 2, now()).await;
    let group = &observed.observations.log_groups[0];
    let many = group
        .flow_logs
        .iter()
        .find(|f| f.flow_log_id == "fl-many")
        .expect("fl-many observed");
    assert_eq!(
        (many.interfaces, many.looked_up, many.complete),
        (30, collect::STREAM_LOOKUPS_PER_GROUP, false)
    );
    assert_eq!(streams[1].num_calls(), collect::STREAM_LOOKUPS_PER_GROUP);

    let mut judged = snapshot.clone();
    judged.observations = Some(observed.observations);
    let (policy, _) = flowaudit::policy::load(
        &common::root().join("fixtures/policies/records.yaml"),
        flowaudit::rules::canonical_id,
    )
    .expect("the records policy");
    let findings = flowaudit::evaluate::evaluate(&judged, &policy, now().date_naive()).findings;
    let rec = |id: &str| {
        findings
            .iter()
            .find(|f| f.rule_id == "REC001" && f.resource_id == id)
            .unwrap_or_else(|| panic!("no REC001 for {id}"))
    };
    assert_eq!(rec("fl-cw").status, flowaudit::findings::Status::Pass);
    let many = rec("fl-many");
    assert_eq!(
        many.status,
        flowaudit::findings::Status::Error,
        "{}",
        many.message
    );
    assert!(
        many.message.contains("25 of its 30 interfaces"),
        "{}",
        many.message
    );
}

fn stream_rules_output() -> DescribeLogStreamsOutput {
    DescribeLogStreamsOutput::builder()
        .log_streams(
            aws_sdk_cloudwatchlogs::types::LogStream::builder()
                .log_stream_name("eni-a-all")
                .last_event_timestamp(now().timestamp_millis() - 600_000)
                .last_ingestion_time(now().timestamp_millis() - 300_000)
                .build(),
        )
        .build()
}
