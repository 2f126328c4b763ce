//! Lookups over a snapshot, built once so that rules never scan lists per resource.

use std::collections::BTreeMap;

use super::{FastMap, FastSet};

use super::errors::ErrorIndex;
use crate::snapshot::{
    Bucket, CollectionError, DeliveryStream, FlowLog, LogGroup, NetworkInterface, RegionSnapshot,
    Snapshot, Subnet,
};

/// One account's view of one region.
pub struct RegionView<'a> {
    pub account_id: &'a str,
    pub data: &'a RegionSnapshot,
    pub subnets_by_vpc: FastMap<&'a str, Vec<&'a Subnet>>,
    pub enis_by_vpc: FastMap<&'a str, Vec<&'a NetworkInterface>>,
    pub flow_logs_by_resource: FastMap<&'a str, Vec<&'a FlowLog>>,
    pub log_groups: BTreeMap<&'a str, &'a LogGroup>,
    pub delivery_streams: FastMap<&'a str, &'a DeliveryStream>,
    /// Every VPC, subnet and ENI id seen in this account and region. (Lookups only; these
    /// indexes are hash maps because nothing iterates them in an order a user sees.)
    pub resource_ids: FastSet<&'a str>,
}

pub struct Estate<'a> {
    pub snapshot: &'a Snapshot,
    /// account id -> region -> view.
    regions: BTreeMap<&'a str, BTreeMap<&'a str, RegionView<'a>>>,
    buckets: FastMap<&'a str, &'a Bucket>,
    /// The snapshot's collection errors and the gaps between its listings.
    pub errors: ErrorIndex<'a>,
}

impl<'a> Estate<'a> {
    /// `errors` is every collection error of the snapshot (see `errors::all_errors`).
    pub fn new(snapshot: &'a Snapshot, errors: &'a [CollectionError]) -> Estate<'a> {
        let mut regions: BTreeMap<&'a str, BTreeMap<&'a str, RegionView<'a>>> = BTreeMap::new();
        for account in &snapshot.accounts {
            for data in &account.regions {
                let mut view = RegionView {
                    account_id: &account.account_id,
                    data,
                    subnets_by_vpc: FastMap::default(),
                    enis_by_vpc: FastMap::default(),
                    flow_logs_by_resource: FastMap::default(),
                    log_groups: BTreeMap::new(),
                    delivery_streams: FastMap::default(),
                    resource_ids: FastSet::default(),
                };
                view.resource_ids
                    .extend(data.vpcs.iter().map(|v| v.vpc_id.as_str()));
                for s in &data.subnets {
                    view.subnets_by_vpc
                        .entry(s.vpc_id.as_str())
                        .or_default()
                        .push(s);
                    view.resource_ids.insert(s.subnet_id.as_str());
                }
                for e in &data.network_interfaces {
                    view.enis_by_vpc
                        .entry(e.vpc_id.as_str())
                        .or_default()
                        .push(e);
                    view.resource_ids.insert(e.network_interface_id.as_str());
                }
                for f in &data.flow_logs {
                    view.flow_logs_by_resource
                        .entry(f.resource_id.as_str())
                        .or_default()
                        .push(f);
                }
                for g in &data.log_groups {
                    view.log_groups.insert(g.log_group_name.as_str(), g);
                }
                for s in &data.delivery_streams {
                    view.delivery_streams
                        .insert(s.delivery_stream_name.as_str(), s);
                }
                for list in view.subnets_by_vpc.values_mut() {
                    list.sort_by(|a, b| a.subnet_id.cmp(&b.subnet_id));
                }
                for list in view.enis_by_vpc.values_mut() {
                    list.sort_by(|a, b| a.network_interface_id.cmp(&b.network_interface_id));
                }
                for list in view.flow_logs_by_resource.values_mut() {
                    list.sort_by(|a, b| a.flow_log_id.cmp(&b.flow_log_id));
                }
                regions
                    .entry(account.account_id.as_str())
                    .or_default()
                    .insert(data.region.as_str(), view);
            }
        }
        let buckets = snapshot
            .buckets
            .iter()
            .map(|b| (b.name.as_str(), b))
            .collect();
        Estate {
            snapshot,
            regions,
            buckets,
            errors: ErrorIndex::new(errors),
        }
    }

    /// Every account/region view, in account then region order.
    pub fn regions(&self) -> impl Iterator<Item = &RegionView<'a>> {
        self.regions.values().flat_map(BTreeMap::values)
    }

    pub fn region(&self, account_id: &str, region: &str) -> Option<&RegionView<'a>> {
        self.regions.get(account_id)?.get(region)
    }

    pub fn bucket(&self, name: &str) -> Option<&'a Bucket> {
        self.buckets.get(name).copied()
    }
}
