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

/// What a flow log's `DeliverLogsStatus` and `DeliverLogsErrorMessage` say together. AWS
/// returns four shapes: `SUCCESS`; `FAILED` with a message ("Access error", "Rate
/// limited", "Unknown error"); a message with no status at all (seen in recorded answers
/// and in the AWS Config rule's tests); and neither, for a log AWS has not reported on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// `SUCCESS`, and no error message.
    Succeeding,
    /// `FAILED`, or any error message whatever the status says: the text says which.
    Failing(String),
    /// A status AWS does not document: kept, and judged as not delivering.
    UnknownStatus(String),
    /// Neither a status nor an error message: delivery cannot be confirmed.
    Unconfirmed,
}

impl Delivery {
    pub fn of(status: Option<&str>, error_message: Option<&str>) -> Delivery {
        let message = error_message.map(str::trim).filter(|m| !m.is_empty());
        match (status, message) {
            (status, Some(message)) => Delivery::Failing(match status {
                Some("FAILED") => message.to_string(),
                Some(s) => format!("{message} (DeliverLogsStatus {s})"),
                None => format!("{message} (no DeliverLogsStatus)"),
            }),
            (Some("SUCCESS"), None) => Delivery::Succeeding,
            (Some("FAILED"), None) => Delivery::Failing("no error message".to_string()),
            (Some(other), None) => Delivery::UnknownStatus(other.to_string()),
            (None, None) => Delivery::Unconfirmed,
        }
    }

    /// Whether the log can be relied on to deliver: only a failure and an unknown status
    /// say it does not.
    pub fn is_failing(&self) -> bool {
        matches!(self, Delivery::Failing(_) | Delivery::UnknownStatus(_))
    }
}

/// The values of the flow-log fields flowaudit judges that AWS documents. Any other value is
/// kept in the snapshot and judged as not meeting the policy.
pub const FLOW_LOG_STATUSES: [&str; 1] = ["ACTIVE"];
pub const DELIVER_LOGS_STATUSES: [&str; 2] = ["SUCCESS", "FAILED"];
pub const TRAFFIC_TYPES: [&str; 3] = ["ALL", "ACCEPT", "REJECT"];

/// What a flow log is attached to. DescribeFlowLogs gives no resource type, so it is told
/// from the `ResourceId` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowLogResource {
    Vpc,
    Subnet,
    NetworkInterface,
    TransitGateway,
    TransitGatewayAttachment,
    Other,
}

impl FlowLogResource {
    pub fn of(resource_id: &str) -> FlowLogResource {
        // `tgw-attach-` first: it also starts with `tgw-`.
        if resource_id.starts_with("tgw-attach-") {
            FlowLogResource::TransitGatewayAttachment
        } else if resource_id.starts_with("tgw-") {
            FlowLogResource::TransitGateway
        } else if resource_id.starts_with("vpc-") {
            FlowLogResource::Vpc
        } else if resource_id.starts_with("subnet-") {
            FlowLogResource::Subnet
        } else if resource_id.starts_with("eni-") {
            FlowLogResource::NetworkInterface
        } else {
            FlowLogResource::Other
        }
    }

    /// Transit gateway logs have no traffic type and always aggregate over 60 seconds.
    pub fn is_transit_gateway(self) -> bool {
        matches!(
            self,
            FlowLogResource::TransitGateway | FlowLogResource::TransitGatewayAttachment
        )
    }
}

/// The fields a transit gateway flow log record can carry, in the order of its default
/// format (AWS: "Transit Gateway Flow Logs records").
pub const TRANSIT_GATEWAY_LOG_FIELDS: [&str; 36] = [
    "version",
    "resource-type",
    "account-id",
    "tgw-id",
    "tgw-attachment-id",
    "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id",
    "tgw-src-vpc-id",
    "tgw-dst-vpc-id",
    "tgw-src-subnet-id",
    "tgw-dst-subnet-id",
    "tgw-src-eni",
    "tgw-dst-eni",
    "tgw-src-az-id",
    "tgw-dst-az-id",
    "tgw-pair-attachment-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "log-status",
    "type",
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
    "tcp-flags",
    "region",
    "flow-direction",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
];

/// The fields a flow log's records carry: the `${field}` names of its LogFormat in order,
/// or, without one, the default format's (the transit gateway default for a log on a
/// gateway or attachment).
pub fn record_fields(log_format: Option<&str>, resource_id: &str) -> Vec<String> {
    match log_format {
        Some(f) if !f.trim().is_empty() => f
            .split("${")
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name.to_string()))
            .collect(),
        _ if FlowLogResource::of(resource_id).is_transit_gateway() => TRANSIT_GATEWAY_LOG_FIELDS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        _ => DEFAULT_LOG_FIELDS.iter().map(|s| s.to_string()).collect(),
    }
}

/// A CloudWatch Logs log group class (`logGroupClass`). A group created without one is
/// STANDARD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum LogGroupClass {
    #[serde(rename = "STANDARD")]
    Standard,
    #[serde(rename = "INFREQUENT_ACCESS")]
    InfrequentAccess,
    /// For delivering Lambda logs on to S3 or Firehose only: events stay in CloudWatch Logs
    /// for one day, whatever the group's retention says, and cannot be queried there.
    #[serde(rename = "DELIVERY")]
    Delivery,
}

impl LogGroupClass {
    pub fn as_str(self) -> &'static str {
        match self {
            LogGroupClass::Standard => "STANDARD",
            LogGroupClass::InfrequentAccess => "INFREQUENT_ACCESS",
            LogGroupClass::Delivery => "DELIVERY",
        }
    }

    /// The class a recorded value names; an absent value is STANDARD, and a class this
    /// build does not know is `None`.
    pub fn from_api(value: Option<&str>) -> Option<LogGroupClass> {
        match value {
            None | Some("STANDARD") => Some(LogGroupClass::Standard),
            Some("INFREQUENT_ACCESS") => Some(LogGroupClass::InfrequentAccess),
            Some("DELIVERY") => Some(LogGroupClass::Delivery),
            Some(_) => None,
        }
    }
}

/// How long a DELIVERY-class group keeps events, in days (AWS: "only one day").
pub const DELIVERY_CLASS_RETENTION_DAYS: i32 = 1;

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
