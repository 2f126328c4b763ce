//! The gate judges the change, not the estate's old debt. Every problem (fail, error or
//! unknown) of the planned estate is classed by comparing it with the existing estate's
//! evaluation under the same policy:
//!
//! - `introduced`: the existing estate did not have it (a check went from pass to a
//!   problem, or there was no such check), or it is about a resource the plan creates;
//! - `touched`: it existed, and the plan changes its resource or something its verdict rests
//!   on: a VPC's subnets, interfaces and flow logs and their destinations; a flow log's
//!   resource and destination; a destination's flow logs; a region's resources, for a
//!   failed listing there;
//! - `pre-existing`: it existed, and the plan touches nothing it rests on.
//!
//! Without an existing estate every problem is introduced. What rests on what is read from
//! both estates, by id alone: an id shared by two accounts counts as touched in both, so
//! the gate errs toward judging a problem, never toward leaving one out.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::ChangedResources;
use crate::findings::{ChangeClass, Finding, PlanChange, Status};
use crate::snapshot::Snapshot;

/// Which problems of a plan report can fail the run (`--gate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    /// Only problems the plan brings in.
    Introduced,
    /// Those, and old problems whose resources the plan changes.
    #[default]
    Touched,
    /// Every problem of the planned estate, old debt included.
    All,
}

impl Gate {
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Introduced => "introduced",
            Gate::Touched => "touched",
            Gate::All => "all",
        }
    }

    /// Whether a problem of this class can fail the run.
    pub fn counts(self, class: Option<ChangeClass>) -> bool {
        match (self, class) {
            (Gate::All, _) | (_, None) => true,
            (Gate::Touched, Some(c)) => c != ChangeClass::PreExisting,
            (Gate::Introduced, Some(c)) => c == ChangeClass::Introduced,
        }
    }
}

impl std::str::FromStr for Gate {
    type Err = String;
    fn from_str(s: &str) -> Result<Gate, String> {
        [Gate::Introduced, Gate::Touched, Gate::All]
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| format!("unknown gate `{s}`; expected introduced, touched or all"))
    }
}

/// The gate a plan report was judged by, and how many problems fell in each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateSummary {
    pub mode: Gate,
    pub introduced: usize,
    pub touched: usize,
    pub pre_existing: usize,
}

impl GateSummary {
    pub fn of(mode: Gate, findings: &[Finding]) -> GateSummary {
        let count = |class| findings.iter().filter(|f| f.change == Some(class)).count();
        GateSummary {
            mode,
            introduced: count(ChangeClass::Introduced),
            touched: count(ChangeClass::Touched),
            pre_existing: count(ChangeClass::PreExisting),
        }
    }

    /// Problems this gate does not count.
    pub fn not_counted(&self) -> usize {
        match self.mode {
            Gate::All => 0,
            Gate::Touched => self.pre_existing,
            Gate::Introduced => self.pre_existing + self.touched,
        }
    }
}

/// Classes every problem of `planned` and returns what the plan resolves: each problem of
/// the existing estate whose check passes after it, or whose resource it deletes.
/// `existing` is the existing estate with its evaluation; without one, every problem is
/// introduced and nothing is resolved.
pub fn classify(
    planned: &mut [Finding],
    planned_estate: &Snapshot,
    existing: Option<(&Snapshot, &[Finding])>,
    changed: &ChangedResources,
) -> Vec<PlanChange> {
    let Some((existing_estate, before)) = existing else {
        for f in planned.iter_mut().filter(|f| f.status.is_problem()) {
            f.change = Some(ChangeClass::Introduced);
        }
        return Vec::new();
    };
    let relations = Relations::of(&[existing_estate, planned_estate]);
    let old_problems: BTreeSet<_> = before
        .iter()
        .filter(|f| f.status.is_problem())
        .map(Finding::key)
        .collect();
    for f in planned.iter_mut().filter(|f| f.status.is_problem()) {
        let class = if !old_problems.contains(&f.key()) || changed.created.contains(f.subject_id())
        {
            ChangeClass::Introduced
        } else if relations.rests_on_change(f, changed) {
            ChangeClass::Touched
        } else {
            ChangeClass::PreExisting
        };
        f.change = Some(class);
    }
    resolved(before, planned, changed)
}

/// The old problems the plan fixes: their check passes after it, or their resource is gone.
fn resolved(
    before: &[Finding],
    planned: &[Finding],
    changed: &ChangedResources,
) -> Vec<PlanChange> {
    let after: BTreeMap<_, Status> = planned.iter().map(|f| (f.key(), f.status)).collect();
    let mut resolved: Vec<PlanChange> = before
        .iter()
        .filter(|f| f.status.is_problem())
        .filter_map(|f| {
            let change = match after.get(&f.key()) {
                Some(Status::Pass) => format!(
                    "resolves {} of {}: it was {}: {}",
                    f.rule_id, f.resource_id, f.status, f.message
                ),
                None if changed.ids.contains(f.subject_id()) => format!(
                    "resolves {} of {} by removing it: it was {}: {}",
                    f.rule_id, f.resource_id, f.status, f.message
                ),
                _ => return None,
            };
            Some(PlanChange {
                resource_id: f.resource_id.clone(),
                address: String::new(),
                change,
            })
        })
        .collect();
    resolved.sort();
    resolved.dedup();
    resolved
}

/// What rests on what in an estate, by id: containers and their contents, resources and
/// the flow logs on them, flow logs and their destinations.
#[derive(Default)]
struct Relations<'a> {
    /// VPC -> its subnets and interfaces; transit gateway -> its attachments.
    contents: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// Resource -> the flow logs on it.
    logs_on: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// Flow log -> its resource and its destination (log group, bucket or stream name).
    log_parts: BTreeMap<&'a str, BTreeSet<String>>,
    /// Destination name -> the flow logs that deliver to it.
    users: BTreeMap<String, BTreeSet<&'a str>>,
}

impl<'a> Relations<'a> {
    fn of(estates: &[&'a Snapshot]) -> Relations<'a> {
        let mut r = Relations::default();
        for estate in estates {
            for account in &estate.accounts {
                for region in &account.regions {
                    for s in &region.subnets {
                        r.contents
                            .entry(&s.vpc_id)
                            .or_default()
                            .insert(&s.subnet_id);
                    }
                    for e in &region.network_interfaces {
                        let eni = e.network_interface_id.as_str();
                        r.contents.entry(&e.vpc_id).or_default().insert(eni);
                        r.contents
                            .entry(&e.vpc_id)
                            .or_default()
                            .insert(&e.subnet_id);
                    }
                    for a in region.transit_gateway_attachments.iter().flatten() {
                        r.contents
                            .entry(&a.transit_gateway_id)
                            .or_default()
                            .insert(&a.transit_gateway_attachment_id);
                    }
                    for fl in &region.flow_logs {
                        let id = fl.flow_log_id.as_str();
                        r.logs_on.entry(&fl.resource_id).or_default().insert(id);
                        let parts = r.log_parts.entry(id).or_default();
                        parts.insert(fl.resource_id.clone());
                        if let Ok(resolved) =
                            crate::destination::resolve(fl, &account.account_id, &region.region)
                        {
                            let name = resolved.destination.resource_id().to_string();
                            parts.insert(name.clone());
                            r.users.entry(name).or_default().insert(id);
                        }
                    }
                }
            }
        }
        r
    }

    /// The ids a finding's verdict rests on, itself included.
    fn rested_on(&self, f: &Finding) -> BTreeSet<String> {
        let id = f.subject_id();
        let mut ids: BTreeSet<String> = [id.to_string()].into();
        match f.resource_type.as_str() {
            "vpc" | "transit-gateway" => {
                let mut resources: Vec<&str> = vec![id];
                resources.extend(self.contents.get(id).into_iter().flatten());
                for resource in resources {
                    ids.insert(resource.to_string());
                    for log in self.logs_on.get(resource).into_iter().flatten() {
                        ids.insert(log.to_string());
                        ids.extend(self.log_parts.get(log).into_iter().flatten().cloned());
                    }
                }
            }
            "flow-log" => ids.extend(self.log_parts.get(id).into_iter().flatten().cloned()),
            "log-group" | "s3-bucket" | "s3-prefix" | "delivery-stream" => {
                let users = self.users.get(id).into_iter().flatten();
                ids.extend(users.map(|u| u.to_string()));
            }
            // A failed call about one resource (`s3:bucket`) rests on that resource.
            "api-call" => {
                if let Some((_, resource)) = id.split_once(':') {
                    ids.insert(resource.to_string());
                }
            }
            _ => {}
        }
        ids
    }

    fn rests_on_change(&self, f: &Finding, changed: &ChangedResources) -> bool {
        // A listing that failed for a whole region rests on everything the plan does there.
        if f.resource_type == "api-call"
            && !f.resource_id.contains(':')
            && changed
                .places
                .contains(&(f.account_id.clone(), f.region.clone()))
        {
            return true;
        }
        self.rested_on(f).iter().any(|id| changed.ids.contains(id))
    }
}
