//! An estate for observing records: flow logs into one bucket under every key layout, a
//! log group, and a Firehose stream, written as a snapshot whose flow logs are old enough
//! to be judged (moto stamps CreationTime with the current time, so age comes from here).

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use serde_json::{Value, json};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "eu-west-1";
pub const BUCKET: &str = "records-bucket";
pub const GROUP: &str = "/vpc/records";

/// The subtree of the default layout, of the Hive layout, and of the `team-a/` prefix.
pub fn default_prefix() -> String {
    format!("AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/")
}
pub fn hive_prefix() -> String {
    format!("AWSLogs/aws-account-id={ACCOUNT}/aws-service=vpcflowlogs/aws-region={REGION}/")
}
pub fn team_prefix() -> String {
    format!("team-a/{}", default_prefix())
}

/// A flow log as DescribeFlowLogs gives it.
pub fn flow_log(id: &str, resource: &str, destination: Value, created: DateTime<Utc>) -> Value {
    let mut fl = json!({
        "FlowLogId": id,
        "ResourceId": resource,
        "TrafficType": "ALL",
        "FlowLogStatus": "ACTIVE",
        "DeliverLogsStatus": "SUCCESS",
        "MaxAggregationInterval": 600,
        "Tags": [],
        "CreationTime": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if let (Value::Object(fl), Value::Object(d)) = (&mut fl, destination) {
        fl.extend(d);
    }
    fl
}

/// An S3 destination: the bucket ARN with `prefix`, the layout and the file format.
pub fn s3(prefix: &str, hive: bool, per_hour: bool, parquet: bool) -> Value {
    json!({
        "LogDestinationType": "s3",
        "LogDestination": format!("arn:aws:s3:::{BUCKET}{}", if prefix.is_empty() { String::new() } else { format!("/{prefix}") }),
        "DestinationOptions": {
            "FileFormat": if parquet { "parquet" } else { "plain-text" },
            "HiveCompatiblePartitions": hive,
            "PerHourPartition": per_hour,
        },
    })
}

pub fn cloudwatch() -> Value {
    json!({
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": GROUP,
        "LogDestination": format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}"),
        "DeliverLogsPermissionArn": format!("arn:aws:iam::{ACCOUNT}:role/flow-logs"),
    })
}

/// A snapshot of one VPC (vpc-1, subnet-1, ENIs eni-a to eni-c) with `flow_logs`, the
/// bucket (365-day expiration, GLACIER after 120 days), the group and a Firehose stream.
pub fn estate(flow_logs: Vec<Value>, collected_at: DateTime<Utc>) -> Value {
    let eni = |id: &str| {
        json!({ "NetworkInterfaceId": id, "SubnetId": "subnet-1", "VpcId": "vpc-1",
                "InterfaceType": "interface", "RequesterManaged": false, "Status": "in-use" })
    };
    json!({
        "schema_version": 1,
        "tool": { "name": "flowaudit", "version": "test" },
        "collected_at": collected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "scope": { "accounts": [ACCOUNT], "regions": [REGION] },
        "accounts": [{
            "account_id": ACCOUNT,
            "regions": [{
                "region": REGION,
                "vpcs": [{ "VpcId": "vpc-1", "CidrBlock": "10.1.0.0/16", "OwnerId": ACCOUNT,
                           "IsDefault": false, "State": "available", "Tags": [] }],
                "subnets": [{ "SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.1.1.0/24",
                              "OwnerId": ACCOUNT, "Tags": [] }],
                "network_interfaces": [eni("eni-a"), eni("eni-b"), eni("eni-c")],
                "flow_logs": flow_logs,
                "log_groups": [{ "logGroupName": GROUP, "retentionInDays": 30 }],
                "delivery_streams": [{
                    "DeliveryStreamName": "flows",
                    "DeliveryStreamARN": format!("arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/flows"),
                    "DeliveryStreamStatus": "ACTIVE",
                    "Destinations": [{ "DestinationId": "d-1", "Type": "s3",
                                       "BucketARN": "arn:aws:s3:::firehose-archive" }],
                }],
            }],
        }],
        "buckets": [{
            "Name": BUCKET,
            "Exists": true,
            "OwnerAccountId": ACCOUNT,
            "Region": REGION,
            "Versioning": {},
            "Lifecycle": { "Rules": [{
                "ID": "flow-logs",
                "Status": "Enabled",
                "Filter": { "Prefix": "" },
                "Transitions": [{ "Days": 120, "StorageClass": "GLACIER" }],
                "Expiration": { "Days": 365 },
            }]},
            "Encryption": { "Rules": [{ "SSEAlgorithm": "AES256" }] },
            "PublicAccessBlock": { "BlockPublicAcls": true, "IgnorePublicAcls": true,
                                   "BlockPublicPolicy": true, "RestrictPublicBuckets": true },
        }],
        "collection_errors": [],
    })
}

/// The key of a flow-log file written at `at` under `subtree`.
pub fn file_key(
    subtree: &str,
    flow_log: &str,
    at: DateTime<Utc>,
    hive: bool,
    per_hour: bool,
    extension: &str,
) -> String {
    let (y, m, d, h) = (at.year(), at.month(), at.day(), at.hour());
    let folders = match (hive, per_hour) {
        (false, false) => format!("{y:04}/{m:02}/{d:02}/"),
        (false, true) => format!("{y:04}/{m:02}/{d:02}/{h:02}/"),
        (true, false) => format!("year={y:04}/month={m:02}/day={d:02}/"),
        (true, true) => format!("year={y:04}/month={m:02}/day={d:02}/hour={h:02}/"),
    };
    format!(
        "{subtree}{folders}{ACCOUNT}_vpcflowlogs_{REGION}_{flow_log}_{}_{:08x}.{extension}",
        at.format("%Y%m%dT%H%MZ"),
        at.timestamp() as u32
    )
}

/// `now` less some days.
pub fn days_ago(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    now - Duration::days(days)
}
