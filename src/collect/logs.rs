//! CloudWatch Logs: every log group in the region, page by page (50 per page).

use super::RegionOutcome;
use super::errors::Call;
use crate::snapshot::LogGroup;

pub async fn collect(
    client: &aws_sdk_cloudwatchlogs::Client,
    account_id: &str,
    region: &str,
    out: &mut RegionOutcome,
) {
    let mut pages = client
        .describe_log_groups()
        .limit(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        out.requests += 1;
        match page {
            Ok(page) => out
                .data
                .log_groups
                .extend(page.log_groups().iter().map(|g| LogGroup {
                log_group_name: g.log_group_name().unwrap_or_default().to_string(),
                arn: g.arn().map(str::to_string),
                retention_in_days: g.retention_in_days(),
                kms_key_id: g.kms_key_id().map(str::to_string),
                #[allow(deprecated)] // still returned, and useful evidence of cost
                stored_bytes: g.stored_bytes(),
                creation_time: g.creation_time(),
            })),
            Err(e) => {
                out.errors.push(
                    Call {
                        account_id,
                        region,
                        service: "logs",
                        operation: "DescribeLogGroups",
                        resource_id: None,
                    }
                    .failed(&e),
                );
                break;
            }
        }
    }
}
