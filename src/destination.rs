//! Where a flow log delivers, parsed from its LogDestination ARN, and the S3 key prefix its
//! objects are written under.

use crate::aws::DestinationType;
use crate::snapshot::FlowLog;

/// A destination, identified the way its service identifies it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Destination {
    LogGroup {
        account_id: String,
        region: String,
        name: String,
    },
    Bucket {
        name: String,
    },
    DeliveryStream {
        account_id: String,
        region: String,
        name: String,
    },
}

impl Destination {
    pub fn resource_type(&self) -> &'static str {
        match self {
            Destination::LogGroup { .. } => "log-group",
            Destination::Bucket { .. } => "s3-bucket",
            Destination::DeliveryStream { .. } => "delivery-stream",
        }
    }

    pub fn resource_id(&self) -> &str {
        match self {
            Destination::LogGroup { name, .. }
            | Destination::Bucket { name }
            | Destination::DeliveryStream { name, .. } => name,
        }
    }

    pub fn arn(&self) -> String {
        match self {
            Destination::LogGroup {
                account_id,
                region,
                name,
            } => format!("arn:aws:logs:{region}:{account_id}:log-group:{name}"),
            Destination::Bucket { name } => format!("arn:aws:s3:::{name}"),
            Destination::DeliveryStream {
                account_id,
                region,
                name,
            } => format!("arn:aws:firehose:{region}:{account_id}:deliverystream/{name}"),
        }
    }
}

/// A flow log's destination together with, for S3, the key prefix configured on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDestination {
    pub destination: Destination,
    /// For S3: the prefix after the bucket name in the ARN, normalised to end in `/`, or
    /// empty.
    pub key_prefix: String,
}

/// Works out where a flow log (in `account_id`/`region`) delivers.
pub fn resolve(
    flow_log: &FlowLog,
    account_id: &str,
    region: &str,
) -> Result<ResolvedDestination, String> {
    let kind = flow_log
        .log_destination_type
        .as_deref()
        .unwrap_or("cloud-watch-logs");
    let arn = flow_log.log_destination.as_deref().unwrap_or("");
    let whole = |destination| ResolvedDestination {
        destination,
        key_prefix: String::new(),
    };
    match DestinationType::from_api(kind) {
        Some(DestinationType::CloudWatchLogs) => {
            if arn.starts_with("arn:") {
                return log_group_arn(arn).map(whole).ok_or_else(|| {
                    format!("LogDestination `{arn}` is not a CloudWatch Logs log group ARN")
                });
            }
            match flow_log.log_group_name.as_deref() {
                Some(name) if !name.is_empty() => Ok(whole(Destination::LogGroup {
                    account_id: account_id.to_string(),
                    region: region.to_string(),
                    name: name.to_string(),
                })),
                _ => Err("the flow log names no log group".to_string()),
            }
        }
        Some(DestinationType::S3) => bucket_arn(arn),
        Some(DestinationType::KinesisDataFirehose) => stream_arn(arn)
            .map(whole)
            .ok_or_else(|| format!("LogDestination `{arn}` is not a Firehose delivery stream ARN")),
        None => Err(format!("unknown LogDestinationType `{kind}`")),
    }
}

/// The ARN `destinations.allowed_arns` matches a flow log by: its LogDestination as AWS
/// gives it (an S3 ARN with its key prefix), or, for a log that names only its group, the
/// group's ARN in the flow log's account and region.
pub fn matched_arn(flow_log: &FlowLog, account_id: &str, region: &str) -> Option<String> {
    if let Some(arn) = flow_log
        .log_destination
        .as_deref()
        .filter(|a| !a.is_empty())
    {
        return Some(arn.to_string());
    }
    let name = flow_log
        .log_group_name
        .as_deref()
        .filter(|n| !n.is_empty())?;
    Some(
        Destination::LogGroup {
            account_id: account_id.to_string(),
            region: region.to_string(),
            name: name.to_string(),
        }
        .arn(),
    )
}

impl Destination {
    /// The destination an ARN names, of whichever type.
    pub fn from_arn(arn: &str) -> Option<Destination> {
        log_group_arn(arn)
            .or_else(|| bucket_arn(arn).ok().map(|r| r.destination))
            .or_else(|| stream_arn(arn))
    }
}

/// arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]
fn log_group_arn(arn: &str) -> Option<Destination> {
    let parts: Vec<&str> = arn.strip_prefix("arn:")?.splitn(6, ':').collect();
    if parts.len() == 6 && parts[1] == "logs" && parts[4] == "log-group" {
        let name = parts[5].strip_suffix(":*").unwrap_or(parts[5]);
        return Some(Destination::LogGroup {
            account_id: parts[3].to_string(),
            region: parts[2].to_string(),
            name: name.to_string(),
        });
    }
    None
}

/// arn:aws:s3:::BUCKET[/PREFIX], with the prefix normalised to end in `/`.
fn bucket_arn(arn: &str) -> Result<ResolvedDestination, String> {
    let path = arn
        .strip_prefix("arn:aws:s3:::")
        .or_else(|| arn.strip_prefix("arn:aws-us-gov:s3:::"))
        .or_else(|| arn.strip_prefix("arn:aws-cn:s3:::"))
        .ok_or_else(|| format!("LogDestination `{arn}` is not an S3 bucket ARN"))?;
    let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
    if bucket.is_empty() {
        return Err(format!("LogDestination `{arn}` names no bucket"));
    }
    let prefix = prefix.trim_matches('/');
    Ok(ResolvedDestination {
        destination: Destination::Bucket {
            name: bucket.to_string(),
        },
        key_prefix: if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        },
    })
}

/// arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME
fn stream_arn(arn: &str) -> Option<Destination> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match (
        parts.as_slice(),
        parts.get(5).and_then(|r| r.strip_prefix("deliverystream/")),
    ) {
        ([_, _, "firehose", region, account, _], Some(name)) => Some(Destination::DeliveryStream {
            account_id: account.to_string(),
            region: region.to_string(),
            name: name.to_string(),
        }),
        _ => None,
    }
}

/// The key prefix under which a flow log writes its objects:
/// `{prefix/}AWSLogs/{account}/vpcflowlogs/{region}/`, or with Hive-compatible partitions
/// `{prefix/}AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/`.
pub fn flow_log_key_prefix(key_prefix: &str, account_id: &str, region: &str, hive: bool) -> String {
    if hive {
        format!(
            "{key_prefix}AWSLogs/aws-account-id={account_id}/aws-service=vpcflowlogs/aws-region={region}/"
        )
    } else {
        format!("{key_prefix}AWSLogs/{account_id}/vpcflowlogs/{region}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow_log(kind: &str, arn: &str) -> FlowLog {
        FlowLog {
            flow_log_id: "fl-1".into(),
            resource_id: "vpc-1".into(),
            traffic_type: Some("ALL".into()),
            log_destination_type: Some(kind.into()),
            log_destination: Some(arn.into()),
            log_group_name: None,
            deliver_logs_permission_arn: None,
            deliver_cross_account_role: None,
            flow_log_status: Some("ACTIVE".into()),
            deliver_logs_status: Some("SUCCESS".into()),
            deliver_logs_error_message: None,
            log_format: None,
            max_aggregation_interval: Some(600),
            destination_options: None,
            tags: vec![],
            creation_time: None,
        }
    }

    #[test]
    fn s3_arn_with_and_without_prefix() {
        let plain = resolve(&flow_log("s3", "arn:aws:s3:::logs"), "1", "r").unwrap();
        assert_eq!(
            plain.destination,
            Destination::Bucket {
                name: "logs".into()
            }
        );
        assert_eq!(plain.key_prefix, "");
        let prefixed = resolve(&flow_log("s3", "arn:aws:s3:::logs/vpc/prod/"), "1", "r").unwrap();
        assert_eq!(prefixed.key_prefix, "vpc/prod/");
        let no_slash = resolve(&flow_log("s3", "arn:aws:s3:::logs/vpc"), "1", "r").unwrap();
        assert_eq!(no_slash.key_prefix, "vpc/");
    }

    #[test]
    fn log_group_arn_with_star_suffix_and_other_account() {
        let r = resolve(
            &flow_log(
                "cloud-watch-logs",
                "arn:aws:logs:eu-west-1:222233334444:log-group:/vpc/flow:*",
            ),
            "111122223333",
            "us-east-1",
        )
        .unwrap();
        assert_eq!(
            r.destination,
            Destination::LogGroup {
                account_id: "222233334444".into(),
                region: "eu-west-1".into(),
                name: "/vpc/flow".into()
            }
        );
    }

    #[test]
    fn firehose_arn() {
        let r = resolve(
            &flow_log(
                "kinesis-data-firehose",
                "arn:aws:firehose:eu-west-1:111122223333:deliverystream/flows",
            ),
            "111122223333",
            "eu-west-1",
        )
        .unwrap();
        assert_eq!(r.destination.resource_id(), "flows");
        assert!(resolve(&flow_log("kinesis-data-firehose", "nonsense"), "1", "r").is_err());
    }

    #[test]
    fn key_prefixes() {
        assert_eq!(
            flow_log_key_prefix("p/", "111", "eu-west-1", false),
            "p/AWSLogs/111/vpcflowlogs/eu-west-1/"
        );
        assert_eq!(
            flow_log_key_prefix("", "111", "eu-west-1", true),
            "AWSLogs/aws-account-id=111/aws-service=vpcflowlogs/aws-region=eu-west-1/"
        );
    }
}
