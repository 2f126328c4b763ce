//! AWS's own vocabulary for flow logs and their destinations: the values the APIs accept
//! and return. Policies are checked against it when they are loaded; evaluation and the
//! snapshot reader judge against it. Nothing here is flowaudit's choice.

use serde::{Deserialize, Serialize};

/// The retention values CloudWatch Logs accepts in PutRetentionPolicy.
pub const CLOUDWATCH_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum TrafficType {
    #[serde(rename = "ALL")]
    All,
    #[serde(rename = "ACCEPT")]
    Accept,
    #[serde(rename = "REJECT")]
    Reject,
}

impl TrafficType {
    pub fn as_str(self) -> &'static str {
        match self {
            TrafficType::All => "ALL",
            TrafficType::Accept => "ACCEPT",
            TrafficType::Reject => "REJECT",
        }
    }
}

/// The fields a flow log record can carry (versions 2 to 5, and the ECS fields of version 7).
pub const LOG_FIELDS: [&str; 38] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
];

/// The default (version 2) format, used when a flow log has no custom LogFormat.
pub const DEFAULT_LOG_FIELDS: [&str; 14] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum DestinationType {
    #[serde(rename = "cloud-watch-logs")]
    CloudWatchLogs,
    #[serde(rename = "s3")]
    S3,
    #[serde(rename = "kinesis-data-firehose")]
    KinesisDataFirehose,
}

impl DestinationType {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationType::CloudWatchLogs => "cloud-watch-logs",
            DestinationType::S3 => "s3",
            DestinationType::KinesisDataFirehose => "kinesis-data-firehose",
        }
    }

    pub fn from_api(value: &str) -> Option<DestinationType> {
        match value {
            "cloud-watch-logs" => Some(DestinationType::CloudWatchLogs),
            "s3" => Some(DestinationType::S3),
            "kinesis-data-firehose" => Some(DestinationType::KinesisDataFirehose),
            _ => None,
        }
    }
}
