//! Observation (`--observe`): what the destinations hold of the records, read from key
//! names and stream times, never from a record. Runs over a collected snapshot, so that the
//! same code observes a fresh collection and one made earlier (`flowaudit observe`).
//!
//! Requests stay bounded: at most seven per S3 subtree (pages aside), one or two per S3
//! flow log and day searched (plus hour folders in the per-hour layout, at most
//! `HOUR_LOOKUPS_PER_FLOW_LOG`), one per log group, plus at most
//! `STREAM_LOOKUPS_PER_GROUP` per group. docs/benchmarks.md has the budget.

mod s3_dates;
mod streams;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use s3_dates::HOUR_LOOKUPS_PER_FLOW_LOG;
pub use streams::STREAM_LOOKUPS_PER_GROUP;

use super::clients::ClientSource;
use crate::destination::{self, Destination};
use crate::index::FastMap;
use crate::snapshot::{
    ObservationError, Observations, RegionSnapshot, S3FlowLogObservation, S3PrefixObservation,
    Snapshot,
};

/// How far back a flow log's newest file is searched for, in days counted from the
/// observation's date (that day included). Two covers a `max_silence` of a day.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 2;

/// What an observation produced.
pub struct Observed {
    pub observations: Observations,
    /// ListObjectsV2 and DescribeLogStreams calls made, pages included.
    pub requests: usize,
}

/// A flow-log subtree to observe, and the flow logs that write to it.
struct SubtreeTarget {
    bucket: String,
    bucket_region: Option<String>,
    key_prefix: String,
    hive: bool,
    account_id: String,
    region: String,
    /// (flow-log id, per-hour partitions when recorded).
    flow_logs: Vec<(String, Option<bool>)>,
    /// Accounts to read through, in order: the bucket's owner, then the subtree's account,
    /// then the other accounts that deliver to the bucket.
    readers: Vec<String>,
}

/// The interfaces whose streams a flow log on each resource writes: per VPC, subnet and
/// ENI id, the ENIs it holds, sorted. Built once per region, not scanned per flow log.
fn interfaces_by_resource(data: &RegionSnapshot) -> FastMap<&str, Vec<String>> {
    let mut by_resource: FastMap<&str, Vec<String>> = FastMap::default();
    for e in &data.network_interfaces {
        for resource in [
            e.network_interface_id.as_str(),
            e.subnet_id.as_str(),
            e.vpc_id.as_str(),
        ] {
            by_resource
                .entry(resource)
                .or_default()
                .push(e.network_interface_id.to_string());
        }
    }
    for ids in by_resource.values_mut() {
        ids.sort();
    }
    by_resource
}

/// Observes the destinations of the snapshot's flow logs through `readers` (clients by
/// account id), at most `concurrency` subtrees and groups at a time. `now` is the time
/// recorded with each observation and the date a flow log's files are searched back from.
pub async fn observe(
    snapshot: &Snapshot,
    readers: &BTreeMap<String, Arc<dyn ClientSource>>,
    concurrency: usize,
    lookback_days: u32,
    now: DateTime<Utc>,
) -> Observed {
    let buckets: BTreeMap<&str, _> = snapshot
        .buckets
        .iter()
        .map(|b| (b.name.as_str(), b))
        .collect();
    let mut subtrees: BTreeMap<(String, String), SubtreeTarget> = BTreeMap::new();
    let mut groups: BTreeMap<(String, String, String), Vec<streams::GroupUser>> = BTreeMap::new();
    let mut bucket_users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Groups the snapshot holds; one it lacks is missing (DST002) or unread (COL001).
    let listed: BTreeSet<(&str, &str, &str)> = snapshot
        .accounts
        .iter()
        .flat_map(|a| {
            a.regions.iter().flat_map(move |r| {
                r.log_groups.iter().map(move |g| {
                    (
                        a.account_id.as_str(),
                        r.region.as_str(),
                        g.log_group_name.as_str(),
                    )
                })
            })
        })
        .collect();
    for account in &snapshot.accounts {
        for data in &account.regions {
            let interfaces = interfaces_by_resource(data);
            for fl in &data.flow_logs {
                let Ok(resolved) = destination::resolve(fl, &account.account_id, &data.region)
                else {
                    continue; // DST001 reports it.
                };
                match resolved.destination {
                    Destination::Bucket { name } => {
                        // A bucket that is missing or unread is reported by DST002 or COL002.
                        let Some(bucket) = buckets
                            .get(name.as_str())
                            .filter(|b| b.exists == Some(true))
                        else {
                            continue;
                        };
                        let options = fl.destination_options.as_ref();
                        let hive = options.is_some_and(|o| o.hive_compatible_partitions);
                        let key_prefix = destination::flow_log_key_prefix(
                            &resolved.key_prefix,
                            &account.account_id,
                            &data.region,
                            hive,
                        );
                        bucket_users
                            .entry(name.clone())
                            .or_default()
                            .insert(account.account_id.clone());
                        subtrees
                            .entry((name.clone(), key_prefix.clone()))
                            .or_insert_with(|| SubtreeTarget {
                                bucket: name.clone(),
                                bucket_region: bucket.region.clone(),
                                key_prefix,
                                hive,
                                account_id: account.account_id.clone(),
                                region: data.region.clone(),
                                flow_logs: Vec::new(),
                                readers: Vec::new(),
                            })
                            .flow_logs
                            .push((
                                fl.flow_log_id.clone(),
                                options.map(|o| o.per_hour_partition),
                            ));
                    }
                    Destination::LogGroup {
                        account_id,
                        region,
                        name,
                    } if listed.contains(&(
                        account_id.as_str(),
                        region.as_str(),
                        name.as_str(),
                    )) =>
                    {
                        groups.entry((account_id, region, name)).or_default().push(
                            streams::GroupUser {
                                flow_log_id: fl.flow_log_id.clone(),
                                interfaces: interfaces
                                    .get(fl.resource_id.as_str())
                                    .cloned()
                                    .unwrap_or_default(),
                            },
                        )
                    }
                    // Firehose keeps nothing to observe; the rules say so.
                    Destination::LogGroup { .. } | Destination::DeliveryStream { .. } => {}
                }
            }
        }
    }
    for tree in subtrees.values_mut() {
        let owner = buckets
            .get(tree.bucket.as_str())
            .and_then(|b| b.owner_account_id.clone());
        let mut order: Vec<String> = owner.into_iter().collect();
        order.push(tree.account_id.clone());
        order.extend(
            bucket_users
                .get(&tree.bucket)
                .into_iter()
                .flatten()
                .cloned(),
        );
        let mut seen = BTreeSet::new();
        order.retain(|a| readers.contains_key(a) && seen.insert(a.clone()));
        tree.readers = order;
        tree.flow_logs.sort();
    }

    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let home = snapshot
        .scope
        .regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".to_string());
    let mut s3_tasks = JoinSet::new();
    for tree in subtrees.into_values() {
        let (limit, home) = (limit.clone(), home.clone());
        let readers: Vec<(String, Arc<dyn ClientSource>)> = tree
            .readers
            .iter()
            .filter_map(|a| Some((a.clone(), readers.get(a)?.clone())))
            .collect();
        s3_tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            Box::pin(observe_subtree(&tree, &readers, &home, lookback_days, now)).await
        });
    }
    let mut group_tasks = JoinSet::new();
    for ((account_id, region, name), mut users) in groups {
        users.sort_by(|a, b| a.flow_log_id.cmp(&b.flow_log_id));
        let client = readers.get(&account_id).map(|c| c.region(&region).logs);
        let limit = limit.clone();
        group_tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            let mut requests = 0;
            let seen = match client {
                Some(client) => {
                    Box::pin(streams::observe_group(
                        &client,
                        (&account_id, &region, &name),
                        &users,
                        now,
                        &mut requests,
                    ))
                    .await
                }
                None => streams::failed(
                    (&account_id, &region, &name),
                    &users,
                    now,
                    not_entered(&account_id),
                ),
            };
            (seen, requests)
        });
    }
    let mut observed = Observed {
        observations: Observations::default(),
        requests: 0,
    };
    while let Some(joined) = s3_tasks.join_next().await {
        match joined {
            Ok((seen, requests)) => {
                observed.requests += requests;
                observed.observations.s3_prefixes.push(seen);
            }
            // A task that panicked is a bug; surface it as the panic it was.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    while let Some(joined) = group_tasks.join_next().await {
        match joined {
            Ok((seen, requests)) => {
                observed.requests += requests;
                observed.observations.log_groups.push(seen);
            }
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    let o = &mut observed.observations;
    o.s3_prefixes
        .sort_by(|a, b| (&a.bucket, &a.key_prefix).cmp(&(&b.bucket, &b.key_prefix)));
    o.log_groups.sort_by(|a, b| {
        (&a.account_id, &a.region, &a.log_group_name).cmp(&(
            &b.account_id,
            &b.region,
            &b.log_group_name,
        ))
    });
    observed
}

fn not_entered(account_id: &str) -> ObservationError {
    ObservationError {
        operation: "DescribeLogStreams".to_string(),
        code: "AccountNotEntered".to_string(),
        message: format!(
            "account {account_id} was not entered, so its log group could not be observed"
        ),
    }
}

/// Observes one subtree through the first reader whose listing of it succeeds.
async fn observe_subtree(
    tree: &SubtreeTarget,
    readers: &[(String, Arc<dyn ClientSource>)],
    home: &str,
    lookback_days: u32,
    now: DateTime<Utc>,
) -> (S3PrefixObservation, usize) {
    let mut seen = S3PrefixObservation {
        bucket: tree.bucket.clone(),
        key_prefix: tree.key_prefix.clone(),
        account_id: tree.account_id.clone(),
        region: tree.region.clone(),
        observed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        newest_date: None,
        oldest_date: None,
        oldest_storage_class: None,
        flow_logs: Vec::new(),
        error: Some(ObservationError {
            operation: "ListObjectsV2".to_string(),
            code: "AccountNotEntered".to_string(),
            message: format!(
                "no entered account delivers to or owns bucket {}, so it could not be listed",
                tree.bucket
            ),
        }),
    };
    let mut requests = 0;
    for (account, clients) in readers {
        let client = clients.s3(tree.bucket_region.as_deref().unwrap_or(home));
        let mut lister = s3_dates::Lister {
            client: &client,
            bucket: &tree.bucket,
            requests: 0,
        };
        let ends = s3_dates::ends(&mut lister, &tree.key_prefix, tree.hive).await;
        requests += lister.requests;
        match ends {
            Ok(ends) => {
                seen.error = None;
                seen.newest_date = ends.newest.map(|d| d.to_string());
                seen.oldest_date = ends.oldest.map(|d| d.to_string());
                seen.oldest_storage_class = ends.oldest_storage_class.clone();
                let mut lister = s3_dates::Lister {
                    client: &client,
                    bucket: &tree.bucket,
                    requests: 0,
                };
                for (id, per_hour) in &tree.flow_logs {
                    let files = s3_dates::FlowLogFiles {
                        flow_log_id: id,
                        account_id: &tree.account_id,
                        region: &tree.region,
                        per_hour: *per_hour,
                    };
                    seen.flow_logs.push(
                        s3_dates::newest_file(
                            &mut lister,
                            &tree.key_prefix,
                            tree.hive,
                            &files,
                            (now.date_naive(), lookback_days.max(1)),
                            ends.oldest,
                        )
                        .await,
                    );
                }
                requests += lister.requests;
                return (seen, requests);
            }
            Err(e) => {
                tracing::info!(bucket = %tree.bucket, account = %account, "cannot list the flow-log subtree through this account: {}", e.message);
                seen.error = Some(e);
            }
        }
    }
    // No reader could list the subtree: each flow log's files are unknown for that reason.
    let searched_since = now.date_naive().to_string();
    seen.flow_logs = tree
        .flow_logs
        .iter()
        .map(|(id, _)| S3FlowLogObservation {
            flow_log_id: id.clone(),
            newest_record: None,
            newest_key: None,
            searched_since: searched_since.clone(),
            error: seen.error.clone(),
        })
        .collect();
    (seen, requests)
}
