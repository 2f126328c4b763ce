//! The collector against mocked AWS responses (aws-smithy-mocks), for what a local AWS
//! server cannot show: pagination, throttling answered by retries, AccessDenied in one
//! region, a bucket in another account, and a call that times out.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
use aws_sdk_cloudwatchlogs::types::LogGroup;
use aws_sdk_ec2::operation::describe_flow_logs::DescribeFlowLogsOutput;
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_transit_gateway_attachments::DescribeTransitGatewayAttachmentsOutput;
use aws_sdk_ec2::operation::describe_transit_gateways::DescribeTransitGatewaysOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::types::{FlowLog, LogDestinationType, TrafficType, Vpc};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use flowaudit::collect::{self, ClientSource, Quiet, RegionClients};
use flowaudit::snapshot::Snapshot;

const ACCOUNT: &str = "111122223333";

/// Mocked clients: each region gets its own EC2 and Logs rules; S3 is shared.
struct Mocked {
    regions: Vec<(
        &'static str,
        aws_sdk_ec2::Client,
        aws_sdk_cloudwatchlogs::Client,
        aws_sdk_observabilityadmin::Client,
    )>,
    s3: aws_sdk_s3::Client,
}

impl ClientSource for Mocked {
    fn region(&self, region: &str) -> RegionClients {
        let (_, ec2, logs, telemetry) = self
            .regions
            .iter()
            .find(|(r, ..)| *r == region)
            .unwrap_or_else(|| panic!("no mocks for {region}"));
        RegionClients {
            ec2: ec2.clone(),
            logs: logs.clone(),
            firehose: mock_client!(aws_sdk_firehose, RuleMode::MatchAny, Vec::<&Rule>::new()),
            telemetry: telemetry.clone(),
        }
    }
    fn s3(&self, _region: &str) -> aws_sdk_s3::Client {
        self.s3.clone()
    }
    fn sts(&self, _region: &str) -> aws_sdk_sts::Client {
        unreachable!("the account id is passed in")
    }
    fn default_region(&self) -> Option<String> {
        None
    }
}

async fn collect_with(source: Mocked, regions: &[&str]) -> Snapshot {
    let regions: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
    collect::collect(
        Arc::new(source),
        ACCOUNT,
        &regions,
        2,
        "2026-11-22T00:00:00Z".into(),
        Arc::new(Quiet),
    )
    .await
    .snapshot
}

fn vpc(id: &str) -> Vpc {
    Vpc::builder()
        .vpc_id(id)
        .owner_id(ACCOUNT)
        .cidr_block("10.0.0.0/16")
        .build()
}

fn flow_log(id: &str, resource: &str, bucket: &str) -> FlowLog {
    FlowLog::builder()
        .flow_log_id(id)
        .resource_id(resource)
        .traffic_type(TrafficType::All)
        .log_destination_type(LogDestinationType::S3)
        .log_destination(format!("arn:aws:s3:::{bucket}"))
        .flow_log_status("ACTIVE")
        .deliver_logs_status("SUCCESS")
        .build()
}

/// Rules for a region with one page of each list, optionally replaced.
struct RegionRules {
    vpcs: Vec<Rule>,
    subnets: Rule,
    enis: Rule,
    flow_logs: Vec<Rule>,
    log_groups: Vec<Rule>,
    /// DescribeTransitGateways and, when a gateway is owned, its attachments.
    transit_gateways: Vec<Rule>,
    /// Observability Admin, asked only with telemetry rules on.
    telemetry: Vec<Rule>,
}

impl RegionRules {
    fn simple(vpc_id: &str, bucket: &str) -> RegionRules {
        let (v, b) = (vpc_id.to_string(), bucket.to_string());
        let v2 = v.clone();
        RegionRules {
            vpcs: vec![
                mock!(aws_sdk_ec2::Client::describe_vpcs)
                    .then_output(move || DescribeVpcsOutput::builder().vpcs(vpc(&v)).build()),
            ],
            subnets: mock!(aws_sdk_ec2::Client::describe_subnets)
                .then_output(|| DescribeSubnetsOutput::builder().build()),
            enis: mock!(aws_sdk_ec2::Client::describe_network_interfaces)
                .then_output(|| DescribeNetworkInterfacesOutput::builder().build()),
            flow_logs: vec![mock!(aws_sdk_ec2::Client::describe_flow_logs).then_output(
                move || {
                    DescribeFlowLogsOutput::builder()
                        .flow_logs(flow_log("fl-1", &v2, &b))
                        .build()
                },
            )],
            log_groups: vec![
                mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
                    .then_output(|| DescribeLogGroupsOutput::builder().build()),
            ],
            transit_gateways: vec![
                mock!(aws_sdk_ec2::Client::describe_transit_gateways)
                    .then_output(|| DescribeTransitGatewaysOutput::builder().build()),
            ],
            telemetry: vec![],
        }
    }

    fn clients(
        &self,
        region: &'static str,
    ) -> (
        &'static str,
        aws_sdk_ec2::Client,
        aws_sdk_cloudwatchlogs::Client,
        aws_sdk_observabilityadmin::Client,
    ) {
        let mut ec2_rules: Vec<&Rule> = self.vpcs.iter().collect();
        ec2_rules.extend([&self.subnets, &self.enis]);
        ec2_rules.extend(self.flow_logs.iter());
        ec2_rules.extend(self.transit_gateways.iter());
        (
            region,
            mock_client!(aws_sdk_ec2, RuleMode::MatchAny, ec2_rules),
            mock_client!(
                aws_sdk_cloudwatchlogs,
                RuleMode::MatchAny,
                self.log_groups.iter()
            ),
            mock_client!(
                aws_sdk_observabilityadmin,
                RuleMode::MatchAny,
                self.telemetry.iter()
            ),
        )
    }
}

/// S3 mocks for a bucket that answers every call.
/// ListBuckets, which the collector asks once per account to tell buckets' owners: none
/// owned here.
fn list_buckets_rule() -> Rule {
    mock!(aws_sdk_s3::Client::list_buckets)
        .then_output(|| aws_sdk_s3::operation::list_buckets::ListBucketsOutput::builder().build())
}

fn healthy_bucket_rules() -> Vec<Rule> {
    use aws_sdk_s3::operation::{
        get_bucket_encryption::GetBucketEncryptionOutput,
        get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationOutput,
        get_bucket_location::GetBucketLocationOutput,
        get_bucket_versioning::GetBucketVersioningOutput,
        get_public_access_block::GetPublicAccessBlockOutput,
    };
    vec![
        mock!(aws_sdk_s3::Client::get_bucket_location)
            .then_output(|| GetBucketLocationOutput::builder().build()),
        mock!(aws_sdk_s3::Client::get_bucket_versioning)
            .then_output(|| GetBucketVersioningOutput::builder().build()),
        mock!(aws_sdk_s3::Client::get_bucket_lifecycle_configuration)
            .then_output(|| GetBucketLifecycleConfigurationOutput::builder().build()),
        mock!(aws_sdk_s3::Client::get_bucket_encryption)
            .then_output(|| GetBucketEncryptionOutput::builder().build()),
        mock!(aws_sdk_s3::Client::get_public_access_block)
            .then_output(|| GetPublicAccessBlockOutput::builder().build()),
    ]
}

const ACCESS_DENIED_S3: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

fn ec2_error(code: &str, message: &str) -> String {
    format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>"
    )
}

#[tokio::test]
async fn every_page_is_collected() {
    let mut rules = RegionRules::simple("vpc-1", "logs-bucket");
    rules.vpcs = vec![
        mock!(aws_sdk_ec2::Client::describe_vpcs)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                DescribeVpcsOutput::builder()
                    .vpcs(vpc("vpc-1"))
                    .vpcs(vpc("vpc-2"))
                    .next_token("page-2")
                    .build()
            }),
        mock!(aws_sdk_ec2::Client::describe_vpcs)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                DescribeVpcsOutput::builder()
                    .vpcs(vpc("vpc-3"))
                    .next_token("page-3")
                    .build()
            }),
        mock!(aws_sdk_ec2::Client::describe_vpcs)
            .match_requests(|r| r.next_token() == Some("page-3"))
            .then_output(|| DescribeVpcsOutput::builder().vpcs(vpc("vpc-4")).build()),
    ];
    rules.flow_logs = vec![
        mock!(aws_sdk_ec2::Client::describe_flow_logs)
            .match_requests(|r| r.next_token().is_none() && r.max_results() == Some(1000))
            .then_output(|| {
                DescribeFlowLogsOutput::builder()
                    .flow_logs(flow_log("fl-1", "vpc-1", "logs-bucket"))
                    .next_token("n")
                    .build()
            }),
        mock!(aws_sdk_ec2::Client::describe_flow_logs)
            .match_requests(|r| r.next_token() == Some("n"))
            .then_output(|| {
                DescribeFlowLogsOutput::builder()
                    .flow_logs(flow_log("fl-2", "vpc-4", "logs-bucket"))
                    .build()
            }),
    ];
    rules.log_groups = vec![
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .match_requests(|r| r.next_token().is_none() && r.limit() == Some(50))
            .then_output(|| {
                DescribeLogGroupsOutput::builder()
                    .log_groups(
                        LogGroup::builder()
                            .log_group_name("/a")
                            .retention_in_days(14)
                            .build(),
                    )
                    .next_token("lg")
                    .build()
            }),
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .match_requests(|r| r.next_token() == Some("lg"))
            .then_output(|| {
                DescribeLogGroupsOutput::builder()
                    .log_groups(LogGroup::builder().log_group_name("/b").build())
                    .build()
            }),
    ];
    let s3_rules = healthy_bucket_rules();
    let listing = list_buckets_rule();
    let source = Mocked {
        regions: vec![rules.clients("eu-west-1")],
        s3: mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            s3_rules.iter().chain(std::iter::once(&listing))
        ),
    };
    let snapshot = collect_with(source, &["eu-west-1"]).await;
    let region = &snapshot.accounts[0].regions[0];
    let ids: Vec<&str> = region.vpcs.iter().map(|v| v.vpc_id.as_str()).collect();
    assert_eq!(ids, ["vpc-1", "vpc-2", "vpc-3", "vpc-4"]);
    assert_eq!(region.flow_logs.len(), 2);
    assert_eq!(region.log_groups.len(), 2);
    assert_eq!(
        region.log_groups[1].retention_in_days, None,
        "never expire stays absent"
    );
    assert!(
        snapshot.collection_errors.is_empty(),
        "{:?}",
        snapshot.collection_errors
    );
    // The bucket was inspected once, however many flow logs use it; absent settings are data.
    assert_eq!(snapshot.buckets.len(), 1);
    let b = &snapshot.buckets[0];
    assert_eq!(
        (b.exists, b.region.as_deref()),
        (Some(true), Some("us-east-1"))
    );
    assert!(s3_rules.iter().all(|r| r.num_calls() == 1));
}

#[tokio::test]
async fn throttling_is_retried_until_it_succeeds() {
    let mut rules = RegionRules::simple("vpc-1", "logs-bucket");
    let throttled = mock!(aws_sdk_ec2::Client::describe_flow_logs)
        .sequence()
        .http_status(
            503,
            Some(ec2_error("RequestLimitExceeded", "Request limit exceeded.")),
        )
        .times(2)
        .output(|| {
            DescribeFlowLogsOutput::builder()
                .flow_logs(flow_log("fl-1", "vpc-1", "logs-bucket"))
                .build()
        })
        .build();
    rules.flow_logs = vec![throttled];
    let s3_rules = healthy_bucket_rules();
    let listing = list_buckets_rule();
    let source = Mocked {
        regions: vec![rules.clients("eu-west-1")],
        s3: mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            s3_rules.iter().chain(std::iter::once(&listing))
        ),
    };
    let snapshot = collect_with(source, &["eu-west-1"]).await;
    assert_eq!(
        rules.flow_logs[0].num_calls(),
        3,
        "two throttled attempts, then success"
    );
    assert_eq!(snapshot.accounts[0].regions[0].flow_logs.len(), 1);
    assert!(
        snapshot.collection_errors.is_empty(),
        "{:?}",
        snapshot.collection_errors
    );
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_recorded() {
    let mut rules = RegionRules::simple("vpc-1", "logs-bucket");
    rules.flow_logs = vec![
        mock!(aws_sdk_ec2::Client::describe_flow_logs)
            .sequence()
            .http_status(
                503,
                Some(ec2_error("RequestLimitExceeded", "Request limit exceeded.")),
            )
            .repeatedly()
            .build(),
    ];
    let listing = list_buckets_rule();
    let source = Mocked {
        regions: vec![rules.clients("eu-west-1")],
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, std::iter::once(&listing)),
    };
    let snapshot = collect_with(source, &["eu-west-1"]).await;
    let e = &snapshot.collection_errors;
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        (e[0].operation.as_str(), e[0].code.as_str()),
        ("DescribeFlowLogs", "RequestLimitExceeded")
    );
}

#[tokio::test]
async fn access_denied_in_one_region_leaves_the_others_reported() {
    let mut denied = RegionRules::simple("vpc-d", "logs-bucket");
    let forbid = |op: &str| {
        ec2_error(
            "UnauthorizedOperation",
            &format!("You are not authorized to perform this operation. ({op})"),
        )
    };
    let (a, b, c, d) = (
        forbid("vpcs"),
        forbid("subnets"),
        forbid("enis"),
        forbid("flow logs"),
    );
    denied.vpcs = vec![
        mock!(aws_sdk_ec2::Client::describe_vpcs)
            .sequence()
            .http_status(403, Some(a))
            .repeatedly()
            .build(),
    ];
    denied.subnets = mock!(aws_sdk_ec2::Client::describe_subnets)
        .sequence()
        .http_status(403, Some(b))
        .repeatedly()
        .build();
    denied.enis = mock!(aws_sdk_ec2::Client::describe_network_interfaces)
        .sequence()
        .http_status(403, Some(c))
        .repeatedly()
        .build();
    denied.flow_logs = vec![
        mock!(aws_sdk_ec2::Client::describe_flow_logs)
            .sequence()
            .http_status(403, Some(d))
            .repeatedly()
            .build(),
    ];
    let fine = RegionRules::simple("vpc-ok", "logs-bucket");
    let s3_rules = healthy_bucket_rules();
    let listing = list_buckets_rule();
    let source = Mocked {
        regions: vec![denied.clients("ap-south-1"), fine.clients("eu-west-1")],
        s3: mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            s3_rules.iter().chain(std::iter::once(&listing))
        ),
    };
    let snapshot = collect_with(source, &["ap-south-1", "eu-west-1"]).await;
    let ops: Vec<(&str, &str, &str)> = snapshot
        .collection_errors
        .iter()
        .map(|e| (e.region.as_str(), e.operation.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("ap-south-1", "DescribeFlowLogs", "UnauthorizedOperation"),
            (
                "ap-south-1",
                "DescribeNetworkInterfaces",
                "UnauthorizedOperation"
            ),
            ("ap-south-1", "DescribeSubnets", "UnauthorizedOperation"),
            ("ap-south-1", "DescribeVpcs", "UnauthorizedOperation"),
        ]
    );
    assert_eq!(snapshot.accounts[0].regions[1].vpcs[0].vpc_id, "vpc-ok");

    // Through the real binary: the denied region is an error, the other region is judged,
    // and with nothing failing the run exits 3, never 0.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("denied.json");
    std::fs::write(&path, flowaudit::snapshot::to_json(&snapshot).unwrap()).unwrap();
    let run = common::scan(&path, "fixtures/policies/vpc-level.yaml");
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        common::status(&report, "COL001", "ec2").as_deref(),
        Some("error")
    );
    assert_eq!(
        common::status(&report, "COV001", "vpc-ok").as_deref(),
        Some("pass")
    );
}

#[tokio::test]
async fn a_bucket_in_another_account_is_unverifiable_with_a_hint() {
    let rules = RegionRules::simple("vpc-1", "partner-archive");
    let denied: Vec<Rule> = vec![
        mock!(aws_sdk_s3::Client::get_bucket_location)
            .sequence()
            .http_status(403, Some(ACCESS_DENIED_S3.into()))
            .repeatedly()
            .build(),
        mock!(aws_sdk_s3::Client::get_bucket_versioning)
            .sequence()
            .http_status(403, Some(ACCESS_DENIED_S3.into()))
            .repeatedly()
            .build(),
        mock!(aws_sdk_s3::Client::get_bucket_lifecycle_configuration)
            .sequence()
            .http_status(403, Some(ACCESS_DENIED_S3.into()))
            .repeatedly()
            .build(),
        mock!(aws_sdk_s3::Client::get_bucket_encryption)
            .sequence()
            .http_status(403, Some(ACCESS_DENIED_S3.into()))
            .repeatedly()
            .build(),
        mock!(aws_sdk_s3::Client::get_public_access_block)
            .sequence()
            .http_status(403, Some(ACCESS_DENIED_S3.into()))
            .repeatedly()
            .build(),
    ];
    let listing = list_buckets_rule();
    let source = Mocked {
        regions: vec![rules.clients("eu-west-1")],
        s3: mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            denied.iter().chain(std::iter::once(&listing))
        ),
    };
    let snapshot = collect_with(source, &["eu-west-1"]).await;
    assert_eq!(
        snapshot.buckets[0].exists, None,
        "AccessDenied does not tell whether it exists"
    );
    assert_eq!(snapshot.collection_errors.len(), 5);
    assert!(
        snapshot.collection_errors.iter().all(
            |e| e.code == "AccessDenied" && e.resource_id.as_deref() == Some("partner-archive")
        )
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cross-account.json");
    std::fs::write(&path, flowaudit::snapshot::to_json(&snapshot).unwrap()).unwrap();
    let report = common::scan(&path, "policies/baseline.yaml").json();
    let f = common::finding(&report, "COL002", "partner-archive");
    assert_eq!(f["status"], "error");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("owned by another account"),
        "{f}"
    );
    assert!(
        f["remediation"]
            .as_str()
            .unwrap()
            .contains(&format!("account {ACCOUNT}")),
        "{f}"
    );
    assert!(
        f["remediation"]
            .as_str()
            .unwrap()
            .contains("s3:GetLifecycleConfiguration"),
        "{f}"
    );
}

#[tokio::test]
async fn a_call_that_times_out_is_recorded_not_swallowed() {
    // A loopback server that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten().take(64) {
            held.push(stream);
        }
    });
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "k", "s", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_millis(300))
                .build(),
        )
        .load()
        .await;
    let clients = Arc::new(flowaudit::collect::SdkClients::from_config(config));
    let collected = collect::collect(
        clients,
        ACCOUNT,
        &["eu-west-1".to_string()],
        1,
        "t".into(),
        Arc::new(Quiet),
    )
    .await;
    let errors = &collected.snapshot.collection_errors;
    let timed_out: Vec<&str> = errors
        .iter()
        .filter(|e| e.code == "TimeoutError")
        .map(|e| e.operation.as_str())
        .collect();
    assert_eq!(
        timed_out,
        // Sorted by service, then operation: ec2 first, then logs.
        [
            "DescribeFlowLogs",
            "DescribeNetworkInterfaces",
            "DescribeSubnets",
            "DescribeTransitGateways",
            "DescribeVpcs",
            "DescribeLogGroups"
        ],
        "{errors:?}"
    );
}

#[tokio::test]
async fn transit_gateways_are_listed_with_the_attachments_of_those_owned() {
    use aws_sdk_ec2::types::{
        TransitGateway, TransitGatewayAttachment, TransitGatewayAttachmentResourceType,
        TransitGatewayAttachmentState, TransitGatewayState,
    };
    let gateway = |id: &str, owner: &str| {
        TransitGateway::builder()
            .transit_gateway_id(id)
            .owner_id(owner)
            .state(TransitGatewayState::Available)
            .build()
    };
    // eu-west-1: one gateway of its own, one shared in; us-east-1: only a shared one, so
    // its attachments are not asked for (the mocks there have no attachment rule).
    let mut eu = RegionRules::simple("vpc-1", "logs-bucket");
    eu.transit_gateways = vec![
        mock!(aws_sdk_ec2::Client::describe_transit_gateways).then_output(move || {
            DescribeTransitGatewaysOutput::builder()
                .transit_gateways(gateway("tgw-own", ACCOUNT))
                .transit_gateways(gateway("tgw-shared", "999999999999"))
                .build()
        }),
        mock!(aws_sdk_ec2::Client::describe_transit_gateway_attachments).then_output(|| {
            DescribeTransitGatewayAttachmentsOutput::builder()
                .transit_gateway_attachments(
                    TransitGatewayAttachment::builder()
                        .transit_gateway_attachment_id("tgw-attach-1")
                        .transit_gateway_id("tgw-own")
                        .transit_gateway_owner_id(ACCOUNT)
                        .resource_type(TransitGatewayAttachmentResourceType::Vpc)
                        .resource_id("vpc-1")
                        .resource_owner_id(ACCOUNT)
                        .state(TransitGatewayAttachmentState::Available)
                        .build(),
                )
                .build()
        }),
    ];
    let mut us = RegionRules::simple("vpc-2", "logs-bucket");
    us.transit_gateways = vec![
        mock!(aws_sdk_ec2::Client::describe_transit_gateways).then_output(move || {
            DescribeTransitGatewaysOutput::builder()
                .transit_gateways(gateway("tgw-shared", "999999999999"))
                .build()
        }),
    ];
    let mut s3_rules = healthy_bucket_rules();
    s3_rules.push(list_buckets_rule());
    let source = Mocked {
        regions: vec![eu.clients("eu-west-1"), us.clients("us-east-1")],
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, s3_rules.iter()),
    };
    let snapshot = collect_with(source, &["eu-west-1", "us-east-1"]).await;
    assert_eq!(snapshot.collection_errors, vec![]);
    let regions = &snapshot.accounts[0].regions;
    let eu = regions
        .iter()
        .find(|r| r.region == "eu-west-1")
        .expect("eu");
    let gateways: Vec<&str> = eu
        .transit_gateways
        .as_ref()
        .expect("listed")
        .iter()
        .map(|g| g.transit_gateway_id.as_str())
        .collect();
    assert_eq!(gateways, ["tgw-own", "tgw-shared"]);
    let attachments = eu.transit_gateway_attachments.as_ref().expect("listed");
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].resource_type.as_deref(), Some("vpc"));
    let us = regions
        .iter()
        .find(|r| r.region == "us-east-1")
        .expect("us");
    assert_eq!(us.transit_gateway_attachments, Some(vec![]));
}

#[tokio::test]
async fn log_group_class_and_protection_are_recorded() {
    use aws_sdk_cloudwatchlogs::types::{DataProtectionStatus, InheritedProperty, LogGroupClass};
    let mut rules = RegionRules::simple("vpc-1", "logs-bucket");
    rules.log_groups = vec![
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups).then_output(|| {
            DescribeLogGroupsOutput::builder()
                .log_groups(
                    LogGroup::builder()
                        .log_group_name("/vpc/delivery")
                        .log_group_class(LogGroupClass::Delivery)
                        .deletion_protection_enabled(true)
                        .data_protection_status(DataProtectionStatus::Activated)
                        .inherited_properties(InheritedProperty::AccountDataProtection)
                        .build(),
                )
                .build()
        }),
    ];
    let mut s3_rules = healthy_bucket_rules();
    s3_rules.push(list_buckets_rule());
    let source = Mocked {
        regions: vec![rules.clients("eu-west-1")],
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, s3_rules.iter()),
    };
    let snapshot = collect_with(source, &["eu-west-1"]).await;
    let group = &snapshot.accounts[0].regions[0].log_groups[0];
    assert_eq!(group.log_group_class.as_deref(), Some("DELIVERY"));
    assert_eq!(group.deletion_protection_enabled, Some(true));
    assert_eq!(group.data_protection_status.as_deref(), Some("ACTIVATED"));
    assert_eq!(group.inherited_properties, ["ACCOUNT_DATA_PROTECTION"]);
}

#[tokio::test]
async fn telemetry_rules_for_vpcs_are_read_when_asked() {
    use aws_sdk_observabilityadmin::operation::get_telemetry_rule::GetTelemetryRuleOutput;
    use aws_sdk_observabilityadmin::operation::list_telemetry_rules::ListTelemetryRulesOutput;
    use aws_sdk_observabilityadmin::types::{
        DestinationType, ResourceType, TelemetryDestinationConfiguration, TelemetryRule,
        TelemetryRuleSummary, TelemetryType, VpcFlowLogParameters,
    };
    let mut rules = RegionRules::simple("vpc-1", "logs-bucket");
    rules.telemetry = vec![
        mock!(aws_sdk_observabilityadmin::Client::list_telemetry_rules).then_output(|| {
            ListTelemetryRulesOutput::builder()
                .telemetry_rule_summaries(
                    TelemetryRuleSummary::builder()
                        .rule_name("vpc-flow-logs")
                        .rule_arn("arn:aws:observabilityadmin:eu-west-1:111122223333:telemetry-rule/vpc-flow-logs")
                        .resource_type(ResourceType::AwsEc2Vpc)
                        .telemetry_type(TelemetryType::Logs)
                        .build(),
                )
                .telemetry_rule_summaries(
                    TelemetryRuleSummary::builder()
                        .rule_name("eks-audit")
                        .resource_type(ResourceType::AwsEksCluster)
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_observabilityadmin::Client::get_telemetry_rule)
            .match_requests(|r| r.rule_identifier().is_some_and(|id| id.ends_with("/vpc-flow-logs")))
            .then_output(|| {
                GetTelemetryRuleOutput::builder()
                    .rule_name("vpc-flow-logs")
                    .home_region("eu-west-1")
                    .telemetry_rule(
                        TelemetryRule::builder()
                            .resource_type(ResourceType::AwsEc2Vpc)
                            .telemetry_type(TelemetryType::Logs)
                            .allow_field_updates(true)
                            .destination_configuration(
                                TelemetryDestinationConfiguration::builder()
                                    .destination_type(DestinationType::CloudwatchLogs)
                                    .retention_in_days(30)
                                    .vpc_flow_log_parameters(
                                        VpcFlowLogParameters::builder()
                                            .traffic_type("ALL")
                                            .max_aggregation_interval(60)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build()
                            .expect("a telemetry type is set"),
                    )
                    .build()
            }),
    ];
    let mut s3_rules = healthy_bucket_rules();
    s3_rules.push(list_buckets_rule());
    let source: Arc<dyn ClientSource> = Arc::new(Mocked {
        regions: vec![rules.clients("eu-west-1")],
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, s3_rules.iter()),
    });
    let accounts = collect::Accounts {
        scanned: vec![collect::AccountTarget {
            account_id: ACCOUNT.to_string(),
            clients: Ok(source),
        }],
        archive: None,
        reads: flowaudit::collect::ExtraReads {
            telemetry_rules: true,
            ..Default::default()
        },
        extra_destinations: Vec::new(),
    };
    let collected = collect::collect_accounts(
        accounts,
        &["eu-west-1".to_string()],
        1,
        "2026-11-22T00:00:00Z".into(),
        Arc::new(Quiet),
    )
    .await;
    let snapshot = collected.snapshot;
    assert_eq!(snapshot.collection_errors, vec![]);
    let read = snapshot.accounts[0].regions[0]
        .telemetry_rules
        .as_ref()
        .expect("read");
    // Only the VPC rule, with the settings it imposes.
    assert_eq!(read.len(), 1);
    let rule = &read[0];
    assert_eq!(rule.rule_name, "vpc-flow-logs");
    assert_eq!(rule.destination_type.as_deref(), Some("cloud-watch-logs"));
    assert_eq!(rule.traffic_type.as_deref(), Some("ALL"));
    assert_eq!(rule.max_aggregation_interval, Some(60));
    assert_eq!(rule.retention_in_days, Some(30));
    assert_eq!(rule.home_region.as_deref(), Some("eu-west-1"));
    assert!(rule.allow_field_updates);
}

/// A pacing slot is taken only by a request: a region whose five EC2 listings and one log
/// group listing are one page each waits four EC2 intervals (4 x 50 ms). It was 650 ms: a
/// slot more after each last page, one of them CloudWatch Logs' 200 ms.
#[tokio::test(start_paused = true)]
async fn only_requests_take_pacing_slots() {
    let rules = RegionRules::simple("vpc-1", "logs-bucket");
    let mut s3_rules = healthy_bucket_rules();
    s3_rules.push(list_buckets_rule());
    let source = Mocked {
        regions: vec![rules.clients("eu-west-1")],
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, s3_rules.iter()),
    };
    let start = tokio::time::Instant::now();
    let snapshot = collect_with(source, &["eu-west-1"]).await;
    assert_eq!(snapshot.collection_errors, []);
    assert_eq!(start.elapsed(), Duration::from_millis(200));
}
