//! What was observed at each destination, as rows for the reports' Records section.

use chrono::NaiveDate;

use super::{Observed, error_text, parse_time};
use crate::destination::Destination;
use crate::findings::RecordsRow;
use crate::index::{Context, DestinationState};

/// The strictest range among profiles: the highest minimum and the lowest maximum.
fn strictest(
    ranges: impl Iterator<Item = (Option<u32>, Option<u32>)>,
) -> (Option<u32>, Option<u32>) {
    ranges.fold((None, None), |(lo, hi), (min, max)| {
        (
            lo.max(min),
            match (hi, max) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        )
    })
}

/// What was observed at each destination of a judged flow log, for the reports: S3
/// subtrees in bucket and prefix order, then log groups. Empty when nothing was observed.
pub(crate) fn rows(ctx: &Context) -> Vec<RecordsRow> {
    let Some(observations) = ctx.estate.snapshot.observations.as_ref().map(Observed::of) else {
        return Vec::new();
    };
    let ids = |users: &[usize]| -> Vec<String> {
        let mut ids: Vec<String> = users
            .iter()
            .map(|&u| ctx.flow_logs[u].flow_log.flow_log_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let mut s3_rows = Vec::new();
    let mut group_rows = Vec::new();
    for usage in &ctx.destinations {
        let profiles = &usage.profiles;
        match (&usage.destination, &usage.state) {
            (Destination::Bucket { name }, DestinationState::Bucket(_)) => {
                for tree in &usage.subtrees {
                    let Some(seen) = observations.prefix(name, &tree.key_prefix) else {
                        continue;
                    };
                    let (min_days, max_days) = strictest(
                        ctx.profiles_using(&tree.users)
                            .iter()
                            .filter_map(|p| p.requirements.s3.as_ref())
                            .map(|s| (s.expiration_days.min, s.expiration_days.max)),
                    );
                    let observed = parse_time(&seen.observed_at).map(|t| t.date_naive());
                    let oldest = seen
                        .oldest_date
                        .as_deref()
                        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                    s3_rows.push(RecordsRow {
                        destination: format!("s3://{name}/{}", tree.key_prefix),
                        resource_id: format!("{name}/{}", tree.key_prefix),
                        account_id: tree.account_id.clone(),
                        region: tree.region.clone(),
                        observed_at: seen.observed_at.clone(),
                        newest: seen.newest_date.clone(),
                        oldest: seen.oldest_date.clone(),
                        kept_days: observed.zip(oldest).map(|(o, d)| (o - d).num_days()),
                        min_days,
                        max_days,
                        flow_logs: ids(&tree.users),
                        error: seen.error.as_ref().map(error_text),
                    });
                }
            }
            (
                Destination::LogGroup {
                    account_id,
                    region,
                    name,
                },
                DestinationState::LogGroup(_),
            ) if !usage.users.is_empty() => {
                let Some(seen) = observations.group((account_id, region, name)) else {
                    continue;
                };
                let (min_days, max_days) = strictest(
                    profiles
                        .iter()
                        .filter_map(|p| p.requirements.cloudwatch.as_ref())
                        .map(|c| (c.retention_days.0.min, c.retention_days.0.max)),
                );
                group_rows.push(RecordsRow {
                    destination: format!("log group {name}"),
                    resource_id: name.clone(),
                    account_id: account_id.clone(),
                    region: region.clone(),
                    observed_at: seen.observed_at.clone(),
                    newest: seen.newest_event.clone(),
                    oldest: None,
                    kept_days: None,
                    min_days,
                    max_days,
                    flow_logs: ids(&usage.users),
                    error: seen.error.as_ref().map(error_text),
                });
            }
            _ => {}
        }
    }
    s3_rows.sort();
    group_rows.sort();
    s3_rows.extend(group_rows);
    s3_rows
}
