//! What the snapshot says about each destination, worked out once for every rule to read:
//! whether it exists, what it is, or why that could not be told; and for a bucket, the
//! flow-log subtrees in it with the lifecycle that applies to each.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::errors::describe;
use super::estate::{Estate, RegionView};
use crate::destination::Destination;
use crate::lifecycle::{self, Effective};
use crate::snapshot::{Bucket, DeliveryStream, LogGroup};

/// The state of one destination.
pub enum DestinationState<'a> {
    LogGroup(&'a LogGroup),
    Bucket(&'a Bucket),
    Stream(&'a DeliveryStream),
    /// The service said it does not exist (NoSuchBucket, no such group or stream listed).
    Missing,
    /// Could not be told; the text says what was missing.
    Unknown(String),
}

impl DestinationState<'_> {
    pub fn exists(&self) -> Option<bool> {
        match self {
            DestinationState::Missing => Some(false),
            DestinationState::Unknown(_) => None,
            _ => Some(true),
        }
    }
}

/// The snapshot's view of an account and region, or why a destination there is unknown.
fn listed<'e, 'a>(
    estate: &'e Estate<'a>,
    account_id: &str,
    region: &str,
    consequence: &str,
) -> Result<&'e RegionView<'a>, DestinationState<'a>> {
    estate.region(account_id, region).ok_or_else(|| {
        DestinationState::Unknown(format!(
            "account {account_id} region {region} is not in the snapshot, so {consequence}"
        ))
    })
}

/// Resolves a destination against the snapshot.
pub fn state<'a>(estate: &Estate<'a>, destination: &Destination) -> DestinationState<'a> {
    match destination {
        Destination::LogGroup {
            account_id,
            region,
            name,
        } => {
            let view = match listed(estate, account_id, region, "its log groups were not listed") {
                Ok(view) => view,
                Err(unknown) => return unknown,
            };
            if let Some(group) = view.log_groups.get(name.as_str()) {
                return DestinationState::LogGroup(group);
            }
            let failures =
                estate
                    .errors
                    .listing(account_id, region, "logs", &["DescribeLogGroups"]);
            if failures.is_empty() {
                DestinationState::Missing
            } else {
                DestinationState::Unknown(format!(
                    "log groups could not be listed: {}",
                    describe(&failures)
                ))
            }
        }
        Destination::Bucket { name } => match estate.bucket(name) {
            None => DestinationState::Unknown(format!("bucket {name} was not inspected")),
            Some(b) => match b.exists {
                Some(true) => DestinationState::Bucket(b),
                Some(false) => DestinationState::Missing,
                None => {
                    let failures = estate.errors.about("s3", name);
                    DestinationState::Unknown(format!(
                        "could not tell whether bucket {name} exists ({})",
                        if failures.is_empty() {
                            "no call succeeded".to_string()
                        } else {
                            describe(&failures)
                        }
                    ))
                }
            },
        },
        Destination::DeliveryStream {
            account_id,
            region,
            name,
        } => {
            let view = match listed(estate, account_id, region, "its streams were not described") {
                Ok(view) => view,
                Err(unknown) => return unknown,
            };
            if let Some(stream) = view.delivery_streams.get(name.as_str()) {
                return DestinationState::Stream(stream);
            }
            let failures: Vec<_> = estate
                .errors
                .about("firehose", name)
                .into_iter()
                .filter(|e| e.account_id == *account_id && e.region == *region)
                .collect();
            if failures.is_empty() {
                DestinationState::Missing
            } else {
                DestinationState::Unknown(format!(
                    "stream {name} could not be described: {}",
                    describe(&failures)
                ))
            }
        }
    }
}

/// One flow-log subtree of a bucket (`{prefix/}AWSLogs/{account}/vpcflowlogs/{region}/`, or
/// its Hive-compatible form) and the flow logs writing to it.
pub struct Subtree {
    pub key_prefix: String,
    pub account_id: String,
    pub region: String,
    /// Indices into `Context::flow_logs`, sorted.
    pub users: Vec<usize>,
    /// The lifecycle that applies to every object under the prefix; `None` when the
    /// bucket's lifecycle could not be read.
    pub effective: Option<Effective>,
}

/// Groups a bucket's users by subtree and folds the bucket's lifecycle for each, once.
pub fn subtrees(
    bucket: Option<&Bucket>,
    users: impl IntoIterator<Item = (usize, String, String, String)>,
    today: NaiveDate,
) -> Vec<Subtree> {
    let mut by_prefix: BTreeMap<String, Subtree> = BTreeMap::new();
    for (index, key_prefix, account_id, region) in users {
        by_prefix
            .entry(key_prefix.clone())
            .or_insert_with(|| Subtree {
                key_prefix,
                account_id,
                region,
                users: Vec::new(),
                effective: None,
            })
            .users
            .push(index);
    }
    let lifecycle = bucket.and_then(|b| b.lifecycle.as_ref());
    by_prefix
        .into_values()
        .map(|mut tree| {
            tree.effective = lifecycle.map(|l| {
                lifecycle::effective(
                    &l.rules,
                    l.transition_default_minimum_object_size.as_deref(),
                    &tree.key_prefix,
                    today,
                )
            });
            tree
        })
        .collect()
}
