//! The scoping stage: which VPCs and transit gateways are judged under which profile, which
//! flow logs belong to them, and which destinations those flow logs use. Rules read this;
//! they never re-derive it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::destinations::{self, DestinationState, DestinationUse};
use super::estate::{Estate, RegionView};
use super::gateways::{ScopedGateway, scoped_gateways};
use super::qualification::{self, Qualification};
use super::{FastMap, FastSet};
use crate::aws::FlowLogResource;
use crate::destination::{self, Destination, ResolvedDestination};
use crate::findings::OutOfScope;
use crate::policy::{Policy, Profile, ProfileChoice};
use crate::snapshot::{CollectionError, FlowLog, NetworkInterface, Subnet, Vpc};

/// A VPC that a profile would select by every other criterion, but by a connectivity that
/// could not be read: an error, never judged by a laxer profile.
pub struct UndecidedVpc<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    pub vpc: &'a Vpc,
    pub profile: &'a Profile,
    pub why: String,
}

impl UndecidedVpc<'_> {
    pub fn arn(&self) -> String {
        vpc_arn(self.region, self.account_id, &self.vpc.vpc_id)
    }
}

fn vpc_arn(region: &str, account_id: &str, vpc_id: &str) -> String {
    format!("arn:aws:ec2:{region}:{account_id}:vpc/{vpc_id}")
}

/// A VPC that a profile selected.
pub struct ScopedVpc<'a> {
    /// Its index in `Context::vpcs`.
    pub index: usize,
    pub view: &'a RegionView<'a>,
    pub vpc: &'a Vpc,
    pub profile: &'a Profile,
    /// See `covering_resource_ids`; worked out once.
    covering: Vec<&'a str>,
}

impl<'a> ScopedVpc<'a> {
    pub fn account_id(&self) -> &'a str {
        self.view.account_id
    }
    pub fn region(&self) -> &'a str {
        &self.view.data.region
    }
    pub fn id(&self) -> &'a str {
        &self.vpc.vpc_id
    }
    pub fn arn(&self) -> String {
        vpc_arn(self.region(), self.account_id(), self.id())
    }
    pub fn subnets(&self) -> &'a [&'a Subnet] {
        self.view
            .subnets_by_vpc
            .get(self.vpc.vpc_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    pub fn network_interfaces(&self) -> &'a [&'a NetworkInterface] {
        self.view
            .enis_by_vpc
            .get(self.vpc.vpc_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    /// Every resource whose flow logs count toward this VPC's coverage: the VPC, its
    /// subnets (those listed, and those its ENIs name), and its ENIs, without repeats.
    /// Coverage and the flow-log rules read this one list, so that whatever counts for
    /// coverage is also judged.
    pub fn covering_resource_ids(&self) -> &[&'a str] {
        &self.covering
    }

    fn find_covering_resource_ids(&self) -> Vec<&'a str> {
        let mut ids = vec![self.id()];
        ids.extend(self.subnets().iter().map(|s| s.subnet_id.as_str()));
        let enis = self.network_interfaces();
        ids.extend(enis.iter().map(|e| e.subnet_id.as_str()));
        ids.extend(enis.iter().map(|e| e.network_interface_id.as_str()));
        let mut seen = FastSet::with_capacity_and_hasher(ids.len(), Default::default());
        ids.retain(|id| !id.is_empty() && seen.insert(*id));
        ids
    }

    /// Flow logs attached to a resource id in this VPC's account and region.
    fn flow_logs_on(&self, resource_id: &str) -> &'a [&'a FlowLog] {
        self.view
            .flow_logs_by_resource
            .get(resource_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// What a scoped flow log is judged under: a VPC (for logs on it, its subnets or ENIs)
/// or a transit gateway (for logs on it or its attachments), by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Vpc(usize),
    Gateway(usize),
}

/// The place and profile of a flow log's holder.
pub struct HolderView<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    /// The VPC or transit gateway id.
    pub id: &'a str,
    pub profile: &'a Profile,
    pub is_gateway: bool,
}

fn holder_view<'a>(
    vpcs: &[ScopedVpc<'a>],
    gateways: &[ScopedGateway<'a>],
    holder: Holder,
) -> HolderView<'a> {
    match holder {
        Holder::Vpc(i) => {
            let v = &vpcs[i];
            HolderView {
                account_id: v.account_id(),
                region: v.region(),
                id: v.id(),
                profile: v.profile,
                is_gateway: false,
            }
        }
        Holder::Gateway(i) => {
            let g = &gateways[i];
            HolderView {
                account_id: g.account_id(),
                region: g.region(),
                id: g.id(),
                profile: g.profile,
                is_gateway: true,
            }
        }
    }
}

/// A flow log attached to a judged VPC (or its subnets or ENIs), or to a judged transit
/// gateway (or its attachments).
pub struct ScopedFlowLog<'a> {
    pub flow_log: &'a FlowLog,
    pub holder: Holder,
    pub destination: Result<ResolvedDestination, String>,
    /// Whether it counts toward coverage, judged once under its VPC's profile.
    pub qualification: Qualification,
}

pub struct Context<'a> {
    pub estate: &'a Estate<'a>,
    pub policy: &'a Policy,
    pub today: NaiveDate,
    pub vpcs: Vec<ScopedVpc<'a>>,
    pub gateways: Vec<ScopedGateway<'a>>,
    pub flow_logs: Vec<ScopedFlowLog<'a>>,
    pub destinations: Vec<DestinationUse<'a>>,
    pub out_of_scope: Vec<OutOfScope>,
    /// VPCs whose profile could not be chosen (see `UndecidedVpc`), in account, region and
    /// id order.
    pub undecided: Vec<UndecidedVpc<'a>>,
    /// Per holder slot (VPCs first, then gateways): resource id -> indices into
    /// `flow_logs` of the logs on it.
    logs_by_resource: Vec<FastMap<&'a str, Vec<usize>>>,
}

/// The slot of a holder in `Context::logs_by_resource`.
fn slot(vpc_count: usize, holder: Holder) -> usize {
    match holder {
        Holder::Vpc(i) => i,
        Holder::Gateway(i) => vpc_count + i,
    }
}

impl<'a> Context<'a> {
    pub fn new(estate: &'a Estate<'a>, policy: &'a Policy, today: NaiveDate) -> Context<'a> {
        let mut vpcs = Vec::new();
        let mut out_of_scope = Vec::new();
        let mut undecided = Vec::new();
        // (account, region) -> ids of the resources of judged VPCs.
        let mut attached: FastMap<(&str, &str), FastSet<&str>> = FastMap::default();
        for view in estate.regions() {
            let region = view.data.region.as_str();
            let mut region_vpcs: Vec<&Vpc> = view.data.vpcs.iter().collect();
            region_vpcs.sort_by(|a, b| a.vpc_id.cmp(&b.vpc_id));
            // Read only where a profile asks about it.
            let connectivity = policy
                .uses_connectivity()
                .then(|| super::connectivity::of_region(view, &estate.errors));
            let none = BTreeSet::new();
            for vpc in region_vpcs {
                let skip = |reason: String| OutOfScope {
                    resource_type: "vpc".to_string(),
                    resource_id: vpc.vpc_id.clone(),
                    account_id: view.account_id.to_string(),
                    region: region.to_string(),
                    reason,
                };
                if vpc.owner_id != view.account_id {
                    // The owner's flow logs are invisible from here; judging would give false failures.
                    out_of_scope.push(skip(format!(
                        "shared VPC owned by account {}; its coverage is judged in the owner's account",
                        vpc.owner_id
                    )));
                    continue;
                }
                let known = match &connectivity {
                    Some(Ok(by_vpc)) => Some(by_vpc.get(vpc.vpc_id.as_str()).unwrap_or(&none)),
                    _ => None,
                };
                let profile = match policy.profile_for(view.account_id, region, vpc, known) {
                    ProfileChoice::Selected(profile) => profile,
                    ProfileChoice::Undecided(profile) => {
                        let why = match &connectivity {
                            Some(Err(why)) => why.clone(),
                            _ => "its connectivity is unknown".to_string(),
                        };
                        undecided.push(UndecidedVpc {
                            account_id: view.account_id,
                            region,
                            vpc,
                            profile,
                            why,
                        });
                        continue;
                    }
                    ProfileChoice::None => {
                        out_of_scope.push(skip(format!(
                            "no profile of policy `{}` selects it and the policy has no default",
                            policy.name
                        )));
                        continue;
                    }
                };
                let mut scoped = ScopedVpc {
                    index: vpcs.len(),
                    view,
                    vpc,
                    profile,
                    covering: Vec::new(),
                };
                let empty = scoped.network_interfaces().is_empty();
                let includes_empty = profile
                    .requirements
                    .coverage
                    .as_ref()
                    .is_none_or(|c| c.include_empty_vpcs);
                if empty && !includes_empty {
                    out_of_scope.push(skip(format!(
                        "has no network interfaces and profile `{}` sets include_empty_vpcs: false",
                        profile.name
                    )));
                    continue;
                }
                scoped.covering = scoped.find_covering_resource_ids();
                attached
                    .entry((view.account_id, region))
                    .or_default()
                    .extend(scoped.covering.iter().copied());
                vpcs.push(scoped);
            }
        }

        let gateways = scoped_gateways(estate, policy, &mut out_of_scope);
        for g in &gateways {
            attached
                .entry((g.account_id(), g.region()))
                .or_default()
                .extend(g.covering_resource_ids());
        }

        let mut flow_logs = Vec::new();
        for (index, vpc) in vpcs.iter().enumerate() {
            for resource in vpc.covering_resource_ids() {
                for fl in vpc.flow_logs_on(resource) {
                    flow_logs.push(ScopedFlowLog {
                        flow_log: fl,
                        holder: Holder::Vpc(index),
                        destination: destination::resolve(fl, vpc.account_id(), vpc.region()),
                        qualification: Qualification::default(),
                    });
                }
            }
        }
        for (index, g) in gateways.iter().enumerate() {
            for resource in g.covering_resource_ids() {
                for fl in g
                    .view
                    .flow_logs_by_resource
                    .get(resource)
                    .into_iter()
                    .flatten()
                {
                    flow_logs.push(ScopedFlowLog {
                        flow_log: fl,
                        holder: Holder::Gateway(index),
                        destination: destination::resolve(fl, g.account_id(), g.region()),
                        qualification: Qualification::default(),
                    });
                }
            }
        }
        flow_logs.sort_by(|a, b| {
            let ha = holder_view(&vpcs, &gateways, a.holder);
            let hb = holder_view(&vpcs, &gateways, b.holder);
            (ha.account_id, ha.region, &a.flow_log.flow_log_id).cmp(&(
                hb.account_id,
                hb.region,
                &b.flow_log.flow_log_id,
            ))
        });

        let vpc_count = vpcs.len();
        let logs_by_resource = qualification::by_resource(
            vpc_count + gateways.len(),
            flow_logs.iter().enumerate().map(|(i, f)| {
                (
                    i,
                    slot(vpc_count, f.holder),
                    f.flow_log.resource_id.as_str(),
                )
            }),
        );
        let judged = {
            let logs: Vec<(&FlowLog, &Profile, Option<String>)> = flow_logs
                .iter()
                .map(|f| {
                    let holder = holder_view(&vpcs, &gateways, f.holder);
                    let arn =
                        destination::matched_arn(f.flow_log, holder.account_id, holder.region);
                    (f.flow_log, holder.profile, arn)
                })
                .collect();
            let siblings: Vec<&[usize]> = flow_logs
                .iter()
                .map(|f| {
                    logs_by_resource[slot(vpc_count, f.holder)][f.flow_log.resource_id.as_str()]
                        .as_slice()
                })
                .collect();
            qualification::judge(&logs, &siblings)
        };
        for (f, q) in flow_logs.iter_mut().zip(judged) {
            f.qualification = q;
        }

        // Flow logs on resources that are not judged VPC resources: say why they were skipped.
        for view in estate.regions() {
            let region = view.data.region.as_str();
            for fl in &view.data.flow_logs {
                if attached
                    .get(&(view.account_id, region))
                    .is_some_and(|ids| ids.contains(fl.resource_id.as_str()))
                {
                    continue;
                }
                let known = view.resource_ids.contains(fl.resource_id.as_str());
                let listed_kind = ["vpc-", "subnet-", "eni-"]
                    .iter()
                    .any(|p| fl.resource_id.starts_with(p));
                if !known && listed_kind {
                    // A listing lacks its resource: a collection error (see
                    // snapshot::consistency), never a reason to skip the log.
                    continue;
                }
                let reason = if FlowLogResource::of(&fl.resource_id).is_transit_gateway() {
                    "transit gateway flow log; its gateway is not judged here \
                     (`transit_gateways.coverage` is off for it, or it is shared, deleted or \
                     not listed)"
                        .to_string()
                } else if known {
                    "attached to a resource of a VPC that is out of scope".to_string()
                } else {
                    format!(
                        "attached to {}, which was not found in the snapshot",
                        fl.resource_id
                    )
                };
                out_of_scope.push(OutOfScope {
                    resource_type: "flow-log".to_string(),
                    resource_id: fl.flow_log_id.clone(),
                    account_id: view.account_id.to_string(),
                    region: region.to_string(),
                    reason,
                });
            }
        }
        out_of_scope.sort();

        let mut by_destination: BTreeMap<Destination, Vec<usize>> = BTreeMap::new();
        for (index, fl) in flow_logs.iter().enumerate() {
            if let Ok(resolved) = &fl.destination {
                by_destination
                    .entry(resolved.destination.clone())
                    .or_default()
                    .push(index);
            }
        }
        let mut destinations: Vec<DestinationUse<'a>> = by_destination
            .into_iter()
            .map(|(destination, users)| {
                let state = destinations::state(estate, &destination);
                let subtrees = match (&destination, &state) {
                    (Destination::Bucket { .. }, state) => {
                        let bucket = match state {
                            DestinationState::Bucket(b) => Some(*b),
                            _ => None,
                        };
                        destinations::subtrees(
                            bucket,
                            users.iter().map(|&u| {
                                let holder = holder_view(&vpcs, &gateways, flow_logs[u].holder);
                                subtree_of(&holder, &flow_logs[u], u)
                            }),
                            today,
                        )
                    }
                    _ => Vec::new(),
                };
                DestinationUse {
                    profiles: profiles_of(&vpcs, &gateways, &flow_logs, &users),
                    destination,
                    users,
                    selected_by: None,
                    state,
                    subtrees,
                }
            })
            .collect();
        destinations.extend(destinations::pattern_selected_log_groups(
            estate,
            policy,
            &destinations,
        ));

        Context {
            estate,
            policy,
            today,
            vpcs,
            gateways,
            flow_logs,
            destinations,
            out_of_scope,
            undecided,
            logs_by_resource,
        }
    }

    /// The scoped flow logs on one resource of a VPC (indices into `flow_logs`).
    pub fn logs_on(&self, vpc: &ScopedVpc, resource_id: &str) -> &[usize] {
        self.logs_in_slot(vpc.index, resource_id)
    }

    /// The scoped flow logs on a transit gateway or one of its attachments.
    pub fn logs_on_gateway(&self, gateway: &ScopedGateway, resource_id: &str) -> &[usize] {
        self.logs_in_slot(self.vpcs.len() + gateway.index, resource_id)
    }

    fn logs_in_slot(&self, slot: usize, resource_id: &str) -> &[usize] {
        self.logs_by_resource[slot]
            .get(resource_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The EC2 listing failures that make a VPC's coverage unknown: DescribeSubnets,
    /// DescribeNetworkInterfaces or DescribeFlowLogs failed, were cut short or disagree,
    /// or the region did not answer.
    pub fn coverage_failures(&self, vpc: &ScopedVpc) -> Vec<&'a CollectionError> {
        self.estate.errors.listing(
            vpc.account_id(),
            vpc.region(),
            "ec2",
            &[
                "DescribeSubnets",
                "DescribeNetworkInterfaces",
                "DescribeFlowLogs",
            ],
        )
    }

    /// The VPC or transit gateway a scoped flow log is judged under.
    pub fn holder(&self, flow_log: &ScopedFlowLog<'a>) -> HolderView<'a> {
        holder_view(&self.vpcs, &self.gateways, flow_log.holder)
    }

    /// The distinct profiles of the VPCs and gateways that deliver to a destination.
    pub fn profiles_using(&self, users: &[usize]) -> Vec<&'a Profile> {
        profiles_of(&self.vpcs, &self.gateways, &self.flow_logs, users)
    }

    /// The flow logs and holders (VPCs, then transit gateways) that depend on a
    /// destination, each sorted and de-duplicated. Holders are (account, region, id).
    #[allow(clippy::type_complexity)]
    fn dependent_ids(
        &self,
        users: &[usize],
    ) -> (
        Vec<&'a str>,
        Vec<(&'a str, &'a str, &'a str)>,
        Vec<(&'a str, &'a str, &'a str)>,
    ) {
        let mut flow_logs = Vec::new();
        let mut vpcs = Vec::new();
        let mut gateways = Vec::new();
        for &u in users {
            let fl = &self.flow_logs[u];
            let holder = self.holder(fl);
            flow_logs.push(fl.flow_log.flow_log_id.as_str());
            let place = (holder.account_id, holder.region, holder.id);
            if holder.is_gateway {
                gateways.push(place);
            } else {
                vpcs.push(place);
            }
        }
        for list in [&mut vpcs, &mut gateways] {
            list.sort_unstable();
            list.dedup();
        }
        flow_logs.sort_unstable();
        flow_logs.dedup();
        (flow_logs, vpcs, gateways)
    }

    /// Which flow logs and VPCs depend on a destination, for evidence: how many, and the
    /// first [`DEPENDENTS_SAMPLE`] of each in sorted order. A central bucket can have
    /// thousands of users; repeating all of them in each of its findings would make a
    /// report grow with resources times users. The snapshot keeps every one.
    pub fn dependents(&self, users: &[usize]) -> Value {
        let (flow_logs, vpcs, gateways) = self.dependent_ids(users);
        let sample = |places: &[(&str, &str, &str)]| -> Vec<String> {
            places
                .iter()
                .take(DEPENDENTS_SAMPLE)
                .map(|(a, r, id)| format!("{a}/{r}/{id}"))
                .collect()
        };
        let mut dependents = json!({
            "flow_log_count": flow_logs.len(),
            "flow_logs": &flow_logs[..flow_logs.len().min(DEPENDENTS_SAMPLE)],
            "vpc_count": vpcs.len(),
            "vpcs": sample(&vpcs),
        });
        if !gateways.is_empty()
            && let Value::Object(map) = &mut dependents
        {
            map.insert("transit_gateway_count".into(), json!(gateways.len()));
            map.insert("transit_gateways".into(), json!(sample(&gateways)));
        }
        dependents
    }

    /// "fl-1, fl-2 (vpc-a, vpc-b)": a short list of dependants for messages.
    pub fn dependents_text(&self, users: &[usize]) -> String {
        if users.is_empty() {
            return "no judged flow log writes to it".to_string();
        }
        let (flow_logs, vpcs, gateways) = self.dependent_ids(users);
        let mut vpc_ids: Vec<&str> = vpcs.iter().chain(&gateways).map(|(_, _, id)| *id).collect();
        vpc_ids.sort_unstable();
        vpc_ids.dedup();
        format!(
            "used by {} ({})",
            short_list(&flow_logs),
            short_list(&vpc_ids)
        )
    }
}

/// The S3 subtree a scoped flow log writes to: (its index, key prefix, account, region).
fn subtree_of(
    holder: &HolderView,
    flow_log: &ScopedFlowLog,
    index: usize,
) -> (usize, String, String, String) {
    let hive = flow_log
        .flow_log
        .destination_options
        .as_ref()
        .is_some_and(|o| o.hive_compatible_partitions);
    let prefix = flow_log
        .destination
        .as_ref()
        .map(|r| r.key_prefix.as_str())
        .unwrap_or_default();
    (
        index,
        destination::flow_log_key_prefix(prefix, holder.account_id, holder.region, hive),
        holder.account_id.to_string(),
        holder.region.to_string(),
    )
}

/// The distinct profiles of the holders of some scoped flow logs, by name.
fn profiles_of<'a>(
    vpcs: &[ScopedVpc<'a>],
    gateways: &[ScopedGateway<'a>],
    flow_logs: &[ScopedFlowLog<'a>],
    users: &[usize],
) -> Vec<&'a Profile> {
    let mut profiles: BTreeMap<&str, &'a Profile> = BTreeMap::new();
    for &u in users {
        let p = holder_view(vpcs, gateways, flow_logs[u].holder).profile;
        profiles.insert(p.name.as_str(), p);
    }
    profiles.into_values().collect()
}

/// How many dependent flow logs and VPCs a destination's evidence names.
pub const DEPENDENTS_SAMPLE: usize = 10;

/// Up to five items, then "and N more".
pub fn short_list<S: AsRef<str>>(items: &[S]) -> String {
    const SHOWN: usize = 5;
    let head: Vec<&str> = items.iter().take(SHOWN).map(AsRef::as_ref).collect();
    if items.len() > SHOWN {
        format!("{} and {} more", head.join(", "), items.len() - SHOWN)
    } else {
        head.join(", ")
    }
}
