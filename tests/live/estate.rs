//! Seeds a multi-region estate into moto with the Rust SDK's own Create calls, and names
//! every resource so that tests can state expected findings by name.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{
    FlowLogsResourceType, LogDestinationType, ResourceType, Tag, TagSpecification, TrafficType,
};
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, NoncurrentVersionExpiration, PublicAccessBlockConfiguration, Tag as S3Tag,
    Transition, TransitionStorageClass, VersioningConfiguration,
};

pub const ACCOUNT: &str = "123456789012";
pub const REGIONS: [&str; 3] = ["ap-northeast-1", "eu-west-1", "us-east-1"];
const ROLE: &str = "arn:aws:iam::123456789012:role/flow-logs-delivery";

pub struct Seeder {
    pub config: SdkConfig,
}

/// One region's EC2 and CloudWatch Logs clients.
pub struct RegionSeeder {
    pub region: &'static str,
    ec2: aws_sdk_ec2::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

fn name_tag(resource: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .tags(Tag::builder().key("Name").value(name).build())
        .build()
}

impl Seeder {
    pub fn region(&self, region: &'static str) -> RegionSeeder {
        let r = aws_config::Region::new(region);
        RegionSeeder {
            region,
            ec2: aws_sdk_ec2::Client::from_conf(
                aws_sdk_ec2::config::Builder::from(&self.config)
                    .region(r.clone())
                    .build(),
            ),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::config::Builder::from(&self.config)
                    .region(r)
                    .build(),
            ),
        }
    }

    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.config)
                .region(aws_config::Region::new(region.to_string()))
                .force_path_style(true)
                .build(),
        )
    }

    pub fn firehose(&self, region: &'static str) -> aws_sdk_firehose::Client {
        aws_sdk_firehose::Client::from_conf(
            aws_sdk_firehose::config::Builder::from(&self.config)
                .region(aws_config::Region::new(region))
                .build(),
        )
    }

    /// A bucket in `region` with a public access block and the given lifecycle rules.
    pub async fn bucket(
        &self,
        region: &str,
        name: &str,
        rules: Vec<LifecycleRule>,
        versioned: bool,
    ) {
        let s3 = self.s3(region);
        let mut create = s3.create_bucket().bucket(name);
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        create.send().await.expect("create bucket");
        s3.put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .expect("put public access block");
        if versioned {
            s3.put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .expect("put versioning");
        }
        if !rules.is_empty() {
            s3.put_bucket_lifecycle_configuration()
                .bucket(name)
                .lifecycle_configuration(
                    BucketLifecycleConfiguration::builder()
                        .set_rules(Some(rules))
                        .build()
                        .expect("lifecycle"),
                )
                .send()
                .await
                .expect("put lifecycle");
        }
    }
}

/// A lifecycle rule expiring objects after `days`, with the given filter and status.
pub fn rule(
    id: &str,
    filter: LifecycleRuleFilter,
    enabled: bool,
    days: i32,
    noncurrent: Option<i32>,
) -> LifecycleRule {
    let mut b = LifecycleRule::builder()
        .id(id)
        .filter(filter)
        .status(if enabled {
            ExpirationStatus::Enabled
        } else {
            ExpirationStatus::Disabled
        })
        .expiration(LifecycleExpiration::builder().days(days).build())
        .transitions(
            Transition::builder()
                .days(30)
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        );
    if let Some(n) = noncurrent {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(n)
                .build(),
        );
    }
    b.build().expect("lifecycle rule")
}

pub fn prefix(p: &str) -> LifecycleRuleFilter {
    LifecycleRuleFilter::builder().prefix(p).build()
}

pub fn tag_filter() -> LifecycleRuleFilter {
    LifecycleRuleFilter::builder()
        .tag(
            S3Tag::builder()
                .key("retention")
                .value("short")
                .build()
                .expect("tag"),
        )
        .build()
}

/// Where a flow log delivers.
pub enum To<'a> {
    Group(&'a str),
    Bucket(&'a str),
    Stream(&'a str),
}

impl RegionSeeder {
    /// A VPC named `name` with `subnets` subnets holding `enis[i]` ENIs each.
    pub async fn vpc(&self, name: &str, cidr_second_octet: u8, enis: &[usize]) -> SeededVpc {
        let vpc = self
            .ec2
            .create_vpc()
            .cidr_block(format!("10.{cidr_second_octet}.0.0/16"))
            .tag_specifications(name_tag(ResourceType::Vpc, name))
            .send()
            .await
            .expect("create vpc");
        let vpc_id = vpc
            .vpc()
            .and_then(|v| v.vpc_id())
            .expect("vpc id")
            .to_string();
        let mut subnets = Vec::new();
        let mut eni_ids = Vec::new();
        for (i, count) in enis.iter().enumerate() {
            let subnet = self
                .ec2
                .create_subnet()
                .vpc_id(&vpc_id)
                .cidr_block(format!("10.{cidr_second_octet}.{i}.0/24"))
                .send()
                .await
                .expect("create subnet");
            let subnet_id = subnet
                .subnet()
                .and_then(|s| s.subnet_id())
                .expect("subnet id")
                .to_string();
            for _ in 0..*count {
                let eni = self
                    .ec2
                    .create_network_interface()
                    .subnet_id(&subnet_id)
                    .send()
                    .await
                    .expect("create eni");
                eni_ids.push(
                    eni.network_interface()
                        .and_then(|e| e.network_interface_id())
                        .expect("eni id")
                        .to_string(),
                );
            }
            subnets.push(subnet_id);
        }
        SeededVpc {
            name: name.to_string(),
            vpc_id,
            subnets,
            enis: eni_ids,
        }
    }

    pub async fn flow_log(
        &self,
        kind: FlowLogsResourceType,
        resource: &str,
        traffic: TrafficType,
        to: To<'_>,
    ) {
        let mut req = self
            .ec2
            .create_flow_logs()
            .resource_type(kind)
            .resource_ids(resource)
            .traffic_type(traffic);
        req = match to {
            // moto marks a log created from a LogDestination ARN alone as FAILED, so use the name.
            To::Group(group) => req
                .log_destination_type(LogDestinationType::CloudWatchLogs)
                .log_group_name(group)
                .deliver_logs_permission_arn(ROLE),
            To::Bucket(bucket) => req
                .log_destination_type(LogDestinationType::S3)
                .log_destination(format!("arn:aws:s3:::{bucket}")),
            To::Stream(stream) => req
                .log_destination_type(LogDestinationType::KinesisDataFirehose)
                .log_destination(format!(
                    "arn:aws:firehose:{}:{ACCOUNT}:deliverystream/{stream}",
                    self.region
                )),
        };
        let out = req.send().await.expect("create flow logs");
        assert!(
            out.unsuccessful().is_empty(),
            "moto refused a flow log: {:?}",
            out.unsuccessful()
        );
    }

    pub async fn log_group(&self, name: &str, retention: Option<i32>) {
        self.logs
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .expect("create log group");
        if let Some(days) = retention {
            self.logs
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .await
                .expect("put retention");
        }
    }
}

pub struct SeededVpc {
    pub name: String,
    pub vpc_id: String,
    pub subnets: Vec<String>,
    pub enis: Vec<String>,
}

/// Seeds the estate the live tests audit. Returns VPC ids by name ("eu-west-1/partial").
pub async fn seed(seeder: &Seeder) -> BTreeMap<String, String> {
    use FlowLogsResourceType as R;
    use TrafficType::{All, Reject};

    seeder
        .bucket(
            "eu-west-1",
            "fa-good",
            vec![rule("flow-logs", prefix("AWSLogs/"), true, 180, None)],
            false,
        )
        .await;
    seeder
        .bucket("us-east-1", "fa-no-lifecycle", vec![], false)
        .await;
    seeder
        .bucket(
            "us-east-1",
            "fa-wrong-prefix",
            vec![rule("logs", prefix("logs/AWSLogs/"), true, 180, None)],
            false,
        )
        .await;
    seeder
        .bucket(
            "us-east-1",
            "fa-tagged",
            vec![rule("tagged", tag_filter(), true, 180, None)],
            false,
        )
        .await;
    seeder
        .bucket(
            "us-east-1",
            "fa-disabled",
            vec![rule("off", prefix(""), false, 180, None)],
            false,
        )
        .await;
    seeder
        .bucket(
            "us-east-1",
            "fa-versioned",
            vec![rule("current-only", prefix("AWSLogs/"), true, 180, None)],
            true,
        )
        .await;
    seeder
        .bucket(
            "us-east-1",
            "fa-versioned-ok",
            vec![rule("both", prefix("AWSLogs/"), true, 180, Some(30))],
            true,
        )
        .await;
    seeder
        .bucket("us-east-1", "fa-firehose-target", vec![], false)
        .await;
    seeder
        .firehose("us-east-1")
        .create_delivery_stream()
        .delivery_stream_name("fa-stream")
        .extended_s3_destination_configuration(
            aws_sdk_firehose::types::ExtendedS3DestinationConfiguration::builder()
                .role_arn(ROLE)
                .bucket_arn("arn:aws:s3:::fa-firehose-target")
                .build()
                .expect("firehose destination"),
        )
        .send()
        .await
        .expect("create delivery stream");

    let mut ids = BTreeMap::new();
    let mut keep = |region: &str, v: &SeededVpc| {
        ids.insert(format!("{region}/{}", v.name), v.vpc_id.clone());
    };

    // eu-west-1: the three ways to be covered, partial coverage, and CloudWatch retention.
    let eu = seeder.region("eu-west-1");
    eu.log_group("/fa/eu/14", Some(14)).await;
    eu.log_group("/fa/eu/7", Some(7)).await;
    eu.log_group("/fa/eu/365", Some(365)).await;
    eu.log_group("/fa/eu/never", None).await;
    let v = eu.vpc("vpc-level", 1, &[1]).await;
    eu.flow_log(R::Vpc, &v.vpc_id, All, To::Group("/fa/eu/14"))
        .await;
    keep("eu-west-1", &v);
    let v = eu.vpc("subnet-level", 2, &[1, 1]).await;
    for s in &v.subnets {
        eu.flow_log(R::Subnet, s, All, To::Bucket("fa-good")).await;
    }
    keep("eu-west-1", &v);
    let v = eu.vpc("eni-level", 3, &[2]).await;
    for e in &v.enis {
        eu.flow_log(R::NetworkInterface, e, All, To::Bucket("fa-good"))
            .await;
    }
    keep("eu-west-1", &v);
    let v = eu.vpc("partial", 4, &[1, 1]).await;
    eu.flow_log(R::Subnet, &v.subnets[0], All, To::Bucket("fa-good"))
        .await;
    keep("eu-west-1", &v);
    let v = eu.vpc("reject-only", 5, &[1]).await;
    eu.flow_log(R::Vpc, &v.vpc_id, Reject, To::Bucket("fa-good"))
        .await;
    keep("eu-west-1", &v);
    let v = eu.vpc("missing-group", 6, &[1]).await;
    eu.flow_log(R::Vpc, &v.vpc_id, All, To::Group("/fa/eu/missing"))
        .await;
    keep("eu-west-1", &v);
    let v = eu.vpc("never-expires", 7, &[1]).await;
    eu.flow_log(R::Vpc, &v.vpc_id, All, To::Group("/fa/eu/never"))
        .await;
    keep("eu-west-1", &v);
    let v = eu.vpc("retention-7", 8, &[1]).await;
    eu.flow_log(R::Vpc, &v.vpc_id, All, To::Group("/fa/eu/7"))
        .await;
    keep("eu-west-1", &v);
    let v = eu.vpc("retention-365", 9, &[1]).await;
    eu.flow_log(R::Vpc, &v.vpc_id, All, To::Group("/fa/eu/365"))
        .await;
    keep("eu-west-1", &v);
    let v = eu.vpc("no-logs", 10, &[1]).await;
    keep("eu-west-1", &v);

    // us-east-1: S3 lifecycles that do and do not apply, and Firehose.
    let us = seeder.region("us-east-1");
    for (i, (name, bucket)) in [
        ("to-good-bucket", "fa-good"),
        ("to-no-lifecycle", "fa-no-lifecycle"),
        ("to-wrong-prefix", "fa-wrong-prefix"),
        ("to-tagged", "fa-tagged"),
        ("to-disabled", "fa-disabled"),
        ("to-versioned", "fa-versioned"),
        ("to-versioned-ok", "fa-versioned-ok"),
        ("ok-1", "fa-good"),
        ("ok-2", "fa-good"),
    ]
    .into_iter()
    .enumerate()
    {
        let v = us.vpc(name, 20 + i as u8, &[1]).await;
        us.flow_log(R::Vpc, &v.vpc_id, All, To::Bucket(bucket))
            .await;
        keep("us-east-1", &v);
    }
    let v = us.vpc("to-firehose", 40, &[1]).await;
    us.flow_log(R::Vpc, &v.vpc_id, All, To::Stream("fa-stream"))
        .await;
    keep("us-east-1", &v);

    // ap-northeast-1: partial coverage of an empty VPC's subnets and of one subnet's ENIs.
    let ap = seeder.region("ap-northeast-1");
    ap.log_group("/fa/ap/14", Some(14)).await;
    let v = ap.vpc("subnets-partly", 50, &[0, 0, 0]).await;
    ap.flow_log(R::Subnet, &v.subnets[0], All, To::Group("/fa/ap/14"))
        .await;
    ap.flow_log(R::Subnet, &v.subnets[1], All, To::Group("/fa/ap/14"))
        .await;
    keep("ap-northeast-1", &v);
    let v = ap.vpc("enis-partly", 51, &[2]).await;
    ap.flow_log(R::NetworkInterface, &v.enis[0], All, To::Group("/fa/ap/14"))
        .await;
    keep("ap-northeast-1", &v);
    for i in 0..8u8 {
        let v = ap.vpc(&format!("ok-{i}"), 60 + i, &[1]).await;
        ap.flow_log(R::Vpc, &v.vpc_id, All, To::Group("/fa/ap/14"))
            .await;
        keep("ap-northeast-1", &v);
    }
    ids
}
