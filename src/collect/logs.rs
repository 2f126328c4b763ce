//! CloudWatch Logs: every log group in a scanned region, page by page (50 per page), and
//! the named groups that flow logs deliver to in accounts or regions that are not scanned.

use super::RegionOutcome;
use super::ec2::list_pages;
use super::errors::Call;
use super::pace::{DESCRIBE_LOG_GROUPS_PER_SECOND, Pacer};
use crate::snapshot::LogGroup;

fn log_group(g: &aws_sdk_cloudwatchlogs::types::LogGroup) -> LogGroup {
    LogGroup {
        log_group_name: g.log_group_name().unwrap_or_default().to_string(),
        arn: g.arn().map(str::to_string),
        retention_in_days: g.retention_in_days(),
        kms_key_id: g.kms_key_id().map(str::to_string),
        #[allow(deprecated)] // still returned, and useful evidence of cost
        stored_bytes: g.stored_bytes(),
        creation_time: g.creation_time(),
        log_group_class: g.log_group_class().map(|c| c.as_str().to_string()),
        deletion_protection_enabled: g.deletion_protection_enabled(),
        data_protection_status: g.data_protection_status().map(|s| s.as_str().to_string()),
        inherited_properties: g
            .inherited_properties()
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
    }
}

pub async fn collect(
    client: &aws_sdk_cloudwatchlogs::Client,
    account_id: &str,
    region: &str,
    out: &mut RegionOutcome,
) {
    let call = Call::recorder(account_id, region, "logs")("DescribeLogGroups", None);
    let pace = Pacer::per_second(DESCRIBE_LOG_GROUPS_PER_SECOND);
    list_pages!(
        out,
        pace,
        call,
        client.describe_log_groups().limit(50),
        |page| {
            out.data
                .log_groups
                .extend(page.log_groups().iter().map(log_group))
        }
    );
}

/// Looks up named log groups in an (account, region) that is not scanned: the log groups
/// other accounts' flow logs deliver to across accounts (`DeliverCrossAccountRole`). Each is
/// found by its name as a prefix and kept only on an exact match, so no other group of the
/// account enters the snapshot. Stops at an endpoint that does not answer.
pub async fn look_up(
    client: &aws_sdk_cloudwatchlogs::Client,
    account_id: &str,
    region: &str,
    names: &[String],
    out: &mut RegionOutcome,
) {
    let pace = Pacer::per_second(DESCRIBE_LOG_GROUPS_PER_SECOND);
    let record = Call::recorder(account_id, region, "logs");
    for name in names {
        if out.unreachable {
            return;
        }
        let call = record("DescribeLogGroups", Some(name));
        list_pages!(
            out,
            pace,
            call,
            client
                .describe_log_groups()
                .log_group_name_prefix(name)
                .limit(50),
            |page| {
                out.data.log_groups.extend(
                    page.log_groups()
                        .iter()
                        .filter(|g| g.log_group_name() == Some(name.as_str()))
                        .map(log_group),
                )
            }
        );
    }
}
