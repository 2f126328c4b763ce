//! What the snapshot says about each destination, worked out once for every rule to read:
//! whether it exists, what it is, or why that could not be told; and for a bucket, the
//! flow-log subtrees in it with the lifecycle that applies to each.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::errors::describe;
use super::estate::{Estate, RegionView};
use crate::destination::Destination;
use crate::lifecycle::{self, Effective};
use crate::policy::{Policy, Profile};
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

/// Log groups that no judged flow log uses but a profile's `cloudwatch.log_group_patterns`
/// selects: flow-log data left behind is kept as long as its group says. The first profile
/// (in match order) whose accounts and regions include the group and whose pattern matches
/// its name judges it.
pub(super) fn pattern_selected_log_groups<'a>(
    estate: &Estate<'a>,
    policy: &'a Policy,
    judged: &[DestinationUse<'a>],
) -> Vec<DestinationUse<'a>> {
    let patterns: Vec<(&'a Profile, &'a str, globset::GlobMatcher)> = policy
        .profiles
        .iter()
        .flat_map(|p| {
            p.requirements
                .cloudwatch
                .iter()
                .flat_map(|c| &c.log_group_patterns)
                .filter_map(move |pattern| pattern.matcher().map(|m| (p, pattern.0.as_str(), m)))
        })
        .collect();
    if patterns.is_empty() {
        return Vec::new();
    }
    let already: BTreeSet<&Destination> = judged.iter().map(|d| &d.destination).collect();
    let mut selected = Vec::new();
    for view in estate.regions() {
        let region = view.data.region.as_str();
        for group in view.log_groups.values() {
            let destination = Destination::LogGroup {
                account_id: view.account_id.to_string(),
                region: region.to_string(),
                name: group.log_group_name.clone(),
            };
            if already.contains(&destination) {
                continue;
            }
            let chosen = patterns.iter().find(|(profile, _, matcher)| {
                profile.selector.matches_place(view.account_id, region)
                    && matcher.is_match(&group.log_group_name)
            });
            if let Some((profile, pattern, _)) = chosen {
                selected.push(DestinationUse {
                    destination,
                    users: Vec::new(),
                    profiles: vec![*profile],
                    selected_by: Some(pattern.to_string()),
                    state: DestinationState::LogGroup(group),
                    subtrees: Vec::new(),
                });
            }
        }
    }
    selected
}

/// A destination and the flow logs that deliver to it.
pub struct DestinationUse<'a> {
    pub destination: Destination,
    /// Indices into `Context::flow_logs`, sorted. Empty for a log group judged only
    /// because a `log_group_patterns` entry selects it.
    pub users: Vec<usize>,
    /// The profiles it is judged under, by name: those of its users' VPCs, or the one
    /// whose pattern selected it.
    pub profiles: Vec<&'a Profile>,
    /// For a group no judged flow log uses: the pattern that selected it.
    pub selected_by: Option<String>,
    /// Whether it exists, what it is, or why that could not be told.
    pub state: DestinationState<'a>,
    /// For a bucket: its flow-log subtrees, each with the lifecycle that applies to it.
    pub subtrees: Vec<Subtree>,
}
