//! Joining the snapshots of shards (one per CI job or OU, say) into one.
//!
//! Resources are joined by their ids within each account and region, buckets by name, and
//! collection errors by value. A resource found in two shards is kept once when both copies
//! are the same, and reported; copies that differ are an error, because no rule could tell
//! which one is true. The scope is the union of the shards' scopes, and `collected_at` the
//! earliest, so that the merged snapshot says when collection began.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{
    AccountSnapshot, Bucket, CollectionError, CollectionScope, DeliveryStream,
    EgressOnlyInternetGateway, FlowLog, InternetGateway, LogGroup, LogGroupObservation, NatGateway,
    NetworkInterface, Observations, RegionSnapshot, S3PrefixObservation, SCHEMA_VERSION, Snapshot,
    Subnet, TelemetryRule, ToolInfo, TransitGateway, TransitGatewayAttachment, Vpc,
    VpcPeeringConnection, VpnGateway,
};

/// A resource that two shards both hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    /// `vpc`, `subnet`, `network-interface`, `flow-log`, `log-group`, `delivery-stream`,
    /// `bucket` or `collection-error`.
    pub kind: &'static str,
    pub id: String,
    /// `account/region`, or `global` for buckets and errors.
    pub place: String,
    pub first: PathBuf,
    pub second: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(
        "{} {} ({}) differs between {} and {}; a merged snapshot cannot hold two versions of \
         one resource. Collect those shards again, or leave one of them out",
        .0.kind,
        .0.id,
        .0.place,
        .0.first.display(),
        .0.second.display()
    )]
    Conflict(Clash),
    #[error("nothing to merge: name at least one snapshot")]
    Empty,
    /// A plan's snapshot holds what a plan would leave, not what a shard collected; merging
    /// would drop what it marks unknown.
    #[error(
        "{} was written by `flowaudit plan`, not `flowaudit collect`; merge the collected \
         shards first and pass the result to `flowaudit plan --with-snapshot`",
        .0.display()
    )]
    PlanSnapshot(PathBuf),
}

/// Merges shards, given with the files they came from (for messages).
/// Returns the merged snapshot and the resources found, identical, in more than one shard.
pub fn merge(shards: Vec<(PathBuf, Snapshot)>) -> Result<(Snapshot, Vec<Clash>), MergeError> {
    if shards.is_empty() {
        return Err(MergeError::Empty);
    }
    let mut duplicates = Vec::new();
    let mut regions: BTreeMap<String, BTreeMap<String, RegionTables>> = BTreeMap::new();
    let mut buckets: Table<Bucket> = Table::default();
    let mut errors: Table<CollectionError> = Table::default();
    let mut organization_rules: Option<Table<TelemetryRule>> = None;
    let mut observed: Option<(Table<S3PrefixObservation>, Table<LogGroupObservation>)> = None;
    let mut accounts = Vec::new();
    let mut region_names = Vec::new();
    let mut collected_at: Option<String> = None;
    for (file, shard) in shards {
        if shard.plan.is_some() {
            return Err(MergeError::PlanSnapshot(file));
        }
        accounts.extend(shard.scope.accounts);
        region_names.extend(shard.scope.regions);
        if collected_at
            .as_ref()
            .is_none_or(|c| shard.collected_at < *c)
        {
            collected_at = Some(shard.collected_at);
        }
        for account in shard.accounts {
            let by_region = regions.entry(account.account_id.clone()).or_default();
            for region in account.regions {
                let place = format!("{}/{}", account.account_id, region.region);
                by_region.entry(region.region.clone()).or_default().add(
                    region,
                    &Origin {
                        file: &file,
                        place: &place,
                    },
                    &mut duplicates,
                )?;
            }
        }
        let global = Origin {
            file: &file,
            place: "global",
        };
        for bucket in shard.buckets {
            let id = bucket.name.clone();
            buckets.insert("bucket", id, bucket, &global, &mut duplicates)?;
        }
        if let Some(rules) = shard.organization_telemetry_rules {
            organization_rules.get_or_insert_default().insert_all(
                "organization-telemetry-rule",
                rules,
                |r| &r.rule_name,
                &global,
                &mut duplicates,
            )?;
        }
        if let Some(seen) = shard.observations {
            let (prefixes, groups) = observed.get_or_insert_default();
            for o in seen.s3_prefixes {
                let id = format!("{}/{}", o.bucket, o.key_prefix);
                prefixes.insert("s3-prefix-observation", id, o, &global, &mut duplicates)?;
            }
            for o in seen.log_groups {
                let id = format!("{}/{}/{}", o.account_id, o.region, o.log_group_name);
                groups.insert("log-group-observation", id, o, &global, &mut duplicates)?;
            }
        }
        for error in shard.collection_errors {
            // An error is its own identity: the same failure seen by two shards is one.
            let id = format!("{error:?}");
            errors.insert("collection-error", id, error, &global, &mut duplicates)?;
        }
    }
    accounts.sort();
    accounts.dedup();
    region_names.sort();
    region_names.dedup();
    let mut collection_errors = errors.into_values();
    collection_errors.sort();
    let snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "flowaudit".to_string(),
            version: crate::VERSION.to_string(),
        },
        collected_at: collected_at.unwrap_or_default(),
        scope: CollectionScope {
            accounts,
            regions: region_names,
        },
        accounts: regions
            .into_iter()
            .map(|(account_id, by_region)| AccountSnapshot {
                account_id,
                regions: by_region
                    .into_iter()
                    .map(|(region, tables)| tables.into_region(region))
                    .collect(),
            })
            .collect(),
        buckets: buckets.into_values(),
        collection_errors,
        organization_telemetry_rules: organization_rules.map(Table::into_values),
        plan: None,
        observations: observed.map(|(prefixes, groups)| Observations {
            s3_prefixes: prefixes.into_values(),
            log_groups: groups.into_values(),
        }),
    };
    Ok((snapshot, duplicates))
}

/// Where a resource being merged came from.
struct Origin<'o> {
    file: &'o Path,
    /// `account/region`, or `global`.
    place: &'o str,
}

/// Resources of one kind by id, each with the file it first came from. Sorted by id, as
/// the collector writes them.
struct Table<T> {
    by_id: BTreeMap<String, (T, PathBuf)>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            by_id: BTreeMap::new(),
        }
    }
}

/// Whether two shards' copies of a resource are the same resource in the same state.
trait SameState {
    fn same_state(&self, other: &Self) -> bool;
}

macro_rules! same_when_equal {
    ($($t:ty),*) => {$(
        impl SameState for $t {
            fn same_state(&self, other: &Self) -> bool {
                self == other
            }
        }
    )*};
}
same_when_equal!(
    Vpc,
    Subnet,
    NetworkInterface,
    FlowLog,
    DeliveryStream,
    Bucket,
    CollectionError,
    TransitGateway,
    TransitGatewayAttachment,
    TelemetryRule,
    InternetGateway,
    EgressOnlyInternetGateway,
    NatGateway,
    VpnGateway,
    VpcPeeringConnection
);

/// Two shards that observed the same subtree or group did so at different times; the
/// first shard's observation is kept.
impl SameState for S3PrefixObservation {
    fn same_state(&self, _other: &Self) -> bool {
        true
    }
}
impl SameState for LogGroupObservation {
    fn same_state(&self, _other: &Self) -> bool {
        true
    }
}

impl SameState for LogGroup {
    /// A group that several shards deliver to (a central one across accounts) is read by
    /// each, and its stored bytes grow in between; that is not a different configuration.
    fn same_state(&self, other: &Self) -> bool {
        LogGroup {
            stored_bytes: other.stored_bytes,
            ..self.clone()
        } == *other
    }
}

impl<T: SameState> Table<T> {
    fn insert(
        &mut self,
        kind: &'static str,
        id: String,
        value: T,
        origin: &Origin,
        duplicates: &mut Vec<Clash>,
    ) -> Result<(), MergeError> {
        let Some((kept, first)) = self.by_id.get(&id) else {
            self.by_id.insert(id, (value, origin.file.to_path_buf()));
            return Ok(());
        };
        let clash = Clash {
            kind,
            id,
            place: origin.place.to_string(),
            first: first.clone(),
            second: origin.file.to_path_buf(),
        };
        if kept.same_state(&value) {
            duplicates.push(clash);
            Ok(())
        } else {
            Err(MergeError::Conflict(clash))
        }
    }

    fn insert_all(
        &mut self,
        kind: &'static str,
        values: Vec<T>,
        id: impl Fn(&T) -> &str,
        origin: &Origin,
        duplicates: &mut Vec<Clash>,
    ) -> Result<(), MergeError> {
        for value in values {
            let key = id(&value).to_string();
            self.insert(kind, key, value, origin, duplicates)?;
        }
        Ok(())
    }

    fn into_values(self) -> Vec<T> {
        self.by_id.into_values().map(|(v, _)| v).collect()
    }
}

/// One account and region's resources, joined across shards.
#[derive(Default)]
struct RegionTables {
    vpcs: Table<Vpc>,
    subnets: Table<Subnet>,
    network_interfaces: Table<NetworkInterface>,
    flow_logs: Table<FlowLog>,
    log_groups: Table<LogGroup>,
    delivery_streams: Table<DeliveryStream>,
    /// `None` until a shard that listed them is added.
    transit_gateways: Option<Table<TransitGateway>>,
    transit_gateway_attachments: Option<Table<TransitGatewayAttachment>>,
    telemetry_rules: Option<Table<TelemetryRule>>,
    internet_gateways: Option<Table<InternetGateway>>,
    egress_only_internet_gateways: Option<Table<EgressOnlyInternetGateway>>,
    nat_gateways: Option<Table<NatGateway>>,
    vpn_gateways: Option<Table<VpnGateway>>,
    vpc_peering_connections: Option<Table<VpcPeeringConnection>>,
}

/// Adds a listing that a shard may or may not have made to the joined one.
fn add_listed<T: SameState>(
    table: &mut Option<Table<T>>,
    listed: Option<Vec<T>>,
    kind: &'static str,
    id: impl Fn(&T) -> &str,
    origin: &Origin,
    duplicates: &mut Vec<Clash>,
) -> Result<(), MergeError> {
    match listed {
        Some(listed) => table
            .get_or_insert_default()
            .insert_all(kind, listed, id, origin, duplicates),
        None => Ok(()),
    }
}

impl RegionTables {
    fn add(
        &mut self,
        region: RegionSnapshot,
        origin: &Origin,
        duplicates: &mut Vec<Clash>,
    ) -> Result<(), MergeError> {
        self.vpcs
            .insert_all("vpc", region.vpcs, |v| &v.vpc_id, origin, duplicates)?;
        self.subnets.insert_all(
            "subnet",
            region.subnets,
            |s| &s.subnet_id,
            origin,
            duplicates,
        )?;
        self.network_interfaces.insert_all(
            "network-interface",
            region.network_interfaces,
            |e| &e.network_interface_id,
            origin,
            duplicates,
        )?;
        self.flow_logs.insert_all(
            "flow-log",
            region.flow_logs,
            |f| &f.flow_log_id,
            origin,
            duplicates,
        )?;
        self.log_groups.insert_all(
            "log-group",
            region.log_groups,
            |g| &g.log_group_name,
            origin,
            duplicates,
        )?;
        self.delivery_streams.insert_all(
            "delivery-stream",
            region.delivery_streams,
            |d| &d.delivery_stream_name,
            origin,
            duplicates,
        )?;
        if let Some(listed) = region.transit_gateways {
            self.transit_gateways.get_or_insert_default().insert_all(
                "transit-gateway",
                listed,
                |g| &g.transit_gateway_id,
                origin,
                duplicates,
            )?;
        }
        if let Some(listed) = region.telemetry_rules {
            self.telemetry_rules.get_or_insert_default().insert_all(
                "telemetry-rule",
                listed,
                |r| &r.rule_name,
                origin,
                duplicates,
            )?;
        }
        if let Some(listed) = region.transit_gateway_attachments {
            self.transit_gateway_attachments
                .get_or_insert_default()
                .insert_all(
                    "transit-gateway-attachment",
                    listed,
                    |a| &a.transit_gateway_attachment_id,
                    origin,
                    duplicates,
                )?;
        }
        add_listed(
            &mut self.internet_gateways,
            region.internet_gateways,
            "internet-gateway",
            |g| &g.internet_gateway_id,
            origin,
            duplicates,
        )?;
        add_listed(
            &mut self.egress_only_internet_gateways,
            region.egress_only_internet_gateways,
            "egress-only-internet-gateway",
            |g| &g.egress_only_internet_gateway_id,
            origin,
            duplicates,
        )?;
        add_listed(
            &mut self.nat_gateways,
            region.nat_gateways,
            "nat-gateway",
            |g| &g.nat_gateway_id,
            origin,
            duplicates,
        )?;
        add_listed(
            &mut self.vpn_gateways,
            region.vpn_gateways,
            "vpn-gateway",
            |g| &g.vpn_gateway_id,
            origin,
            duplicates,
        )?;
        add_listed(
            &mut self.vpc_peering_connections,
            region.vpc_peering_connections,
            "vpc-peering-connection",
            |p| &p.vpc_peering_connection_id,
            origin,
            duplicates,
        )?;
        Ok(())
    }

    fn into_region(self, region: String) -> RegionSnapshot {
        RegionSnapshot {
            region,
            vpcs: self.vpcs.into_values(),
            subnets: self.subnets.into_values(),
            network_interfaces: self.network_interfaces.into_values(),
            flow_logs: self.flow_logs.into_values(),
            log_groups: self.log_groups.into_values(),
            delivery_streams: self.delivery_streams.into_values(),
            transit_gateways: self.transit_gateways.map(Table::into_values),
            transit_gateway_attachments: self.transit_gateway_attachments.map(Table::into_values),
            telemetry_rules: self.telemetry_rules.map(Table::into_values),
            internet_gateways: self.internet_gateways.map(Table::into_values),
            egress_only_internet_gateways: self
                .egress_only_internet_gateways
                .map(Table::into_values),
            nat_gateways: self.nat_gateways.map(Table::into_values),
            vpn_gateways: self.vpn_gateways.map(Table::into_values),
            vpc_peering_connections: self.vpc_peering_connections.map(Table::into_values),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(retention: Option<i32>, stored: Option<i64>) -> LogGroup {
        LogGroup {
            log_group_name: "/central/flow".into(),
            arn: None,
            retention_in_days: retention,
            kms_key_id: None,
            stored_bytes: stored,
            creation_time: Some(1),
            log_group_class: None,
            deletion_protection_enabled: None,
            data_protection_status: None,
            inherited_properties: vec![],
        }
    }

    #[test]
    fn a_log_group_read_twice_differs_only_in_what_it_stores() {
        assert!(group(Some(14), Some(10)).same_state(&group(Some(14), Some(99))));
        assert!(!group(Some(14), Some(10)).same_state(&group(Some(7), Some(10))));
    }
}
