//! The estate a plan would leave: its resources' planned values laid over the existing
//! estate (a snapshot, or nothing), in the snapshot model every rule reads.
//!
//! A resource that does not exist yet is named by its address (`vpc-(aws_vpc.main)`), with
//! the AWS prefix kept so that rules can tell what it is. A value the plan cannot know, or
//! that lies outside both the plan and the existing estate, is recorded as a
//! [`PlanUnknown`]; evaluation turns every finding that depends on it into `unknown`.

mod buckets;
mod connectivity;
mod flow_logs;
mod gateways_and_streams;
mod log_groups;
mod network;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::document::PlanDocument;
use super::references::{Instance, PlanIndex, Resolution};
use super::shapes::{encryption_rules, first, inline_lifecycle_rule, split_lifecycle_rule, tags};
use crate::aws::FlowLogResource;
use crate::destination::Destination;
use crate::findings::PlanChange;
use crate::snapshot::{
    AccountSnapshot, Bucket, BucketEncryption, BucketLifecycle, BucketVersioning, DeliveryStream,
    DeliveryStreamDestination, DestinationOptions, EncryptionRule, FlowLog, LogGroup,
    NetworkInterface, PlanFacts, PlanInference, PlanUnknown, PublicAccessBlock, RegionSnapshot,
    Snapshot, Subnet, TransitGateway, TransitGatewayAttachment, Vpc,
};

/// Where the plan's resources are, when the plan does not say.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// Infer nothing through locals or variables: such references are unknown.
    pub strict_references: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PlacementError {
    #[error(
        "cannot tell which account the plan's resources are in: the existing estate has \
         accounts {0}; pass --account ID"
    )]
    Account(String),
    #[error(
        "cannot tell which region the plan's resources are in: the AWS provider's region is \
         not a constant in the plan, and the existing estate has regions {0}; pass --region"
    )]
    Region(String),
    #[error(
        "the existing estate was written by `flowaudit plan --save-snapshot`, so it is itself \
         a planned estate; give the snapshot `flowaudit collect` wrote"
    )]
    PlannedEstate,
}

/// The planned estate and what the plan itself changes.
#[derive(Debug, Clone)]
pub struct PlannedEstate {
    pub snapshot: Snapshot,
    /// Deletions and retention changes, read from the plan's before and after values.
    pub changes: Vec<PlanChange>,
    /// The resources the plan creates, updates, replaces or deletes, by id.
    pub changed: ChangedResources,
}

/// What a plan changes, named by the ids of the existing and the planned estate, for the
/// gate to tell an old problem the plan touches from one it leaves alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedResources {
    /// Every resource the plan creates, updates, replaces or deletes (its id before and
    /// after, or its placeholder), and every bucket whose versioning, lifecycle, encryption
    /// or public access block it changes.
    pub ids: BTreeSet<String>,
    /// Those it creates, a replacement included.
    pub created: BTreeSet<String>,
    /// The account and region of each change.
    pub places: BTreeSet<(String, String)>,
}

/// The rules a value depends on, by id or id prefix (see `PlanUnknown::affects`).
type Rules = &'static [&'static str];

/// How far an unknown value reaches beyond the findings of `affects` on its own resource.
#[derive(Debug, Clone, Copy)]
pub(super) enum Reach {
    /// Only those findings.
    Own,
    /// Also every coverage failure of its account and region (a flow log whose traffic
    /// type is unknown could mend one).
    CoverageFailures,
    /// What it decides is not in the planned estate, so no finding carries it: it is
    /// reported on its own, and with `coverage` it also reaches every coverage failure of
    /// its place.
    Unplaced { coverage: bool },
}

/// Every rule about a flow log: what a flow log the plan cannot place would be judged by.
const FLOW_LOG_RULES: Rules = &["COV", "FLS", "DST", "CWL", "S3L", "SEC"];

/// The resource types that become resources of the snapshot.
const PLACED_TYPES: &[&str] = &[
    "aws_vpc",
    "aws_default_vpc",
    "aws_subnet",
    "aws_network_interface",
    "aws_flow_log",
    "aws_ec2_transit_gateway",
    "aws_ec2_transit_gateway_vpc_attachment",
    "aws_cloudwatch_log_group",
    "aws_kinesis_firehose_delivery_stream",
    "aws_s3_bucket",
];

/// The nested blocks `value` reads.
const NESTED_BLOCKS: &[&str] = &["destination_options", "rule", "versioning_configuration"];

/// Where a flow log delivers decides every destination rule.
const DESTINATION_RULES: Rules = &["DST", "CWL", "S3L", "SEC", "COL002"];

/// Whether a destination exists decides these; which one it is (DST001, DST005) does not.
const EXISTENCE_RULES: Rules = &["DST002", "DST003", "DST004", "CWL", "S3L", "SEC", "COL002"];

/// Lays `plan` over `base` (the existing estate), or over nothing.
pub fn apply(
    plan: &PlanDocument,
    base: Option<&Snapshot>,
    options: &PlanOptions,
) -> Result<PlannedEstate, PlacementError> {
    if base.is_some_and(|b| b.plan.is_some()) {
        return Err(PlacementError::PlannedEstate);
    }
    let account = match (&options.account_id, provider_account(plan), base) {
        (Some(a), _, _) => a.clone(),
        (None, Some(a), _) => a,
        (None, None, Some(b)) if b.scope.accounts.len() == 1 => b.scope.accounts[0].clone(),
        (None, None, Some(b)) if !b.scope.accounts.is_empty() => {
            return Err(PlacementError::Account(b.scope.accounts.join(", ")));
        }
        (None, None, _) => "unknown-account".to_string(),
    };
    let provider_region = provider_region(plan, "aws");
    let default_region = match (&options.region, &provider_region, base) {
        (Some(r), _, _) => r.clone(),
        (None, Some(r), _) => r.clone(),
        (None, None, Some(b)) if b.scope.regions.len() == 1 => b.scope.regions[0].clone(),
        (None, None, Some(b)) if !b.scope.regions.is_empty() => {
            return Err(PlacementError::Region(b.scope.regions.join(", ")));
        }
        (None, None, _) => "unknown-region".to_string(),
    };
    let index = PlanIndex::new(plan, options.strict_references);
    let mut builder = Builder {
        plan,
        ids: Vec::new(),
        regions: Vec::new(),
        snapshot: base.cloned().unwrap_or_else(|| Snapshot::empty("")),
        has_base: base.is_some(),
        account,
        facts: PlanFacts {
            format_version: plan.format_version.clone(),
            terraform_version: plan.terraform_version.clone(),
            ..PlanFacts::default()
        },
        changes: Vec::new(),
        changed: ChangedResources::default(),
        destroyed: Default::default(),
        index,
    };
    builder.regions = (0..builder.index.instances.len())
        .map(|i| {
            builder
                .region_of(i)
                .unwrap_or_else(|| default_region.clone())
        })
        .collect();
    builder.ids = (0..builder.index.instances.len())
        .map(|i| builder.planned_id(i))
        .collect();
    builder.build();
    builder.record_addresses();
    builder.record_changed();
    let Builder {
        mut snapshot,
        mut facts,
        mut changes,
        changed,
        ..
    } = builder;
    facts.unknowns.sort();
    facts.unknowns.dedup();
    facts.inferences.sort();
    facts.inferences.dedup();
    changes.sort();
    changes.dedup();
    if let Some(t) = &plan.timestamp {
        snapshot.collected_at = t.clone();
    }
    snapshot.plan = Some(facts);
    Ok(PlannedEstate {
        snapshot,
        changes,
        changed,
    })
}

/// The account the default AWS provider is pinned to, when its configuration says so as a
/// constant: a single `allowed_account_ids` entry, or the account of its `assume_role`.
fn provider_account(plan: &PlanDocument) -> Option<String> {
    let expressions = &plan.configuration.provider_config.get("aws")?.expressions;
    let constant = |e: Option<&Value>| e?.get("constant_value").cloned();
    if let Some(Value::Array(ids)) = constant(expressions.get("allowed_account_ids"))
        && let [Value::String(only)] = ids.as_slice()
    {
        return Some(only.clone());
    }
    let role = expressions
        .get("assume_role")
        .and_then(|blocks| blocks.as_array()?.first()?.get("role_arn").cloned());
    let arn = constant(role.as_ref())?;
    // arn:aws:iam::ACCOUNT:role/NAME
    let account = arn.as_str()?.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

/// The region a provider configuration sets as a constant.
fn provider_region(plan: &PlanDocument, key: &str) -> Option<String> {
    let providers = &plan.configuration.provider_config;
    let config = providers
        .get(key)
        .or_else(|| key.rsplit_once(':').and_then(|(_, k)| providers.get(k)))?;
    config
        .expressions
        .get("region")?
        .get("constant_value")?
        .as_str()
        .map(str::to_string)
}

pub(super) struct Builder<'a> {
    plan: &'a PlanDocument,
    index: PlanIndex<'a>,
    /// Each instance's id after apply: its real id, or a placeholder naming its address.
    pub(super) ids: Vec<String>,
    pub(super) regions: Vec<String>,
    pub(super) snapshot: Snapshot,
    has_base: bool,
    pub(super) account: String,
    facts: PlanFacts,
    changes: Vec<PlanChange>,
    changed: ChangedResources,
    /// Ids of VPCs, subnets and interfaces the plan destroys.
    destroyed: std::collections::BTreeSet<String>,
}

/// An attribute that names another resource, once followed.
pub(super) enum Target {
    Unset,
    Id(String),
    /// Unknown, with the reason.
    Unknown(String),
}

impl<'a> Builder<'a> {
    pub(super) fn inst(&self, i: usize) -> &Instance<'a> {
        &self.index.instances[i]
    }

    fn region_of(&self, i: usize) -> Option<String> {
        let key = self.index.config(i)?.provider_config_key.as_deref()?;
        provider_region(self.plan, key)
    }

    fn planned_id(&self, i: usize) -> String {
        let inst = self.inst(i);
        let placeholder = |prefix: &str| format!("{prefix}({})", inst.address());
        let known_id = || inst.known_str("id").map(str::to_string);
        match inst.resource_type() {
            "aws_vpc" | "aws_default_vpc" => known_id().unwrap_or_else(|| placeholder("vpc-")),
            "aws_subnet" => known_id().unwrap_or_else(|| placeholder("subnet-")),
            "aws_network_interface" => known_id().unwrap_or_else(|| placeholder("eni-")),
            "aws_flow_log" => known_id().unwrap_or_else(|| placeholder("fl-")),
            "aws_ec2_transit_gateway" => known_id().unwrap_or_else(|| placeholder("tgw-")),
            "aws_ec2_transit_gateway_vpc_attachment" => {
                known_id().unwrap_or_else(|| placeholder("tgw-attach-"))
            }
            "aws_cloudwatch_log_group" | "aws_kinesis_firehose_delivery_stream" => inst
                .known_str("name")
                .map(str::to_string)
                .unwrap_or_else(|| placeholder("")),
            "aws_s3_bucket" => inst
                .known_str("bucket")
                .map(str::to_string)
                .unwrap_or_else(|| placeholder("")),
            _ => known_id().unwrap_or_else(|| placeholder("")),
        }
    }

    pub(super) fn of_type(&self, types: &[&str]) -> Vec<usize> {
        (0..self.index.instances.len())
            .filter(|&i| types.contains(&self.inst(i).resource_type()))
            .collect()
    }

    pub(super) fn unknown(
        &mut self,
        i: usize,
        resource_id: &str,
        attribute: &str,
        reason: String,
        affects: Rules,
        reach: Reach,
    ) {
        debug_assert!(!affects.is_empty(), "an unknown decides something");
        let (affects_coverage, standalone) = match reach {
            Reach::Own => (false, false),
            Reach::CoverageFailures => (true, false),
            Reach::Unplaced { coverage } => (coverage, true),
        };
        self.facts.unknowns.push(PlanUnknown {
            account_id: self.account.clone(),
            region: self.regions[i].clone(),
            resource_id: resource_id.to_string(),
            address: self.inst(i).address().to_string(),
            attribute: attribute.to_string(),
            reason,
            affects: affects.iter().map(|r| r.to_string()).collect(),
            affects_coverage,
            standalone,
        });
    }

    /// Follows an attribute that names a resource of a `wanted` type to that resource's id.
    pub(super) fn target(&mut self, i: usize, attribute: &str, wanted: &[&str]) -> Target {
        let inst = self.inst(i);
        if let Some(v) = inst.known_str(attribute) {
            return Target::Id(v.to_string());
        }
        // Unknown but not configured: the provider computes it from another attribute
        // (log_destination from log_group_name, say), which is read on its own.
        if !inst.unknown(attribute) || !self.configured(i, attribute) {
            return Target::Unset;
        }
        match self.index.resolve(i, attribute, wanted) {
            Resolution::Resource {
                instance,
                chain,
                inferred,
            } => {
                let id = self.ids[instance].clone();
                if inferred {
                    self.facts.inferences.push(PlanInference {
                        resource_ids: vec![self.ids[i].clone(), id.clone()],
                        address: self.inst(i).address().to_string(),
                        attribute: attribute.to_string(),
                        chain,
                    });
                }
                Target::Id(id)
            }
            Resolution::Unknown(reason) => Target::Unknown(reason),
        }
    }

    /// A plain (non-reference) attribute: its planned value, `None` when unset. A value
    /// known only after apply is recorded as unknown, unless the configuration does not set
    /// it at all: then AWS's default applies, which the snapshot model writes as absent.
    fn value(
        &mut self,
        i: usize,
        resource_id: &str,
        attribute: &str,
        affects: Rules,
        affects_coverage: bool,
    ) -> Option<Value> {
        let inst = self.inst(i);
        if let Some(v) = inst.after(attribute) {
            return Some(v.clone());
        }
        // An attribute the configuration leaves out takes the provider's default, even when
        // the provider computes it. A nested block has no default: unknown means a dynamic
        // block, or one built from values known only after apply.
        let block = NESTED_BLOCKS.contains(&attribute);
        if inst.unknown(attribute) && (block || self.configured(i, attribute)) {
            self.unknown(
                i,
                resource_id,
                attribute,
                format!(
                    "`{attribute}` of {} is known only after apply",
                    self.inst(i).address()
                ),
                affects,
                if affects_coverage {
                    Reach::CoverageFailures
                } else {
                    Reach::Own
                },
            );
        }
        None
    }

    /// The configuration sets the attribute (or the plan has no configuration to tell).
    fn configured(&self, i: usize, attribute: &str) -> bool {
        self.index
            .config(i)
            .is_none_or(|c| c.expressions.contains_key(attribute))
    }

    pub(super) fn region_mut(&mut self, region: &str) -> &mut RegionSnapshot {
        let account = self.account.clone();
        if !self.snapshot.scope.accounts.contains(&account) {
            self.snapshot.scope.accounts.push(account.clone());
            self.snapshot.scope.accounts.sort();
        }
        if !self.snapshot.scope.regions.iter().any(|r| r == region) {
            self.snapshot.scope.regions.push(region.to_string());
            self.snapshot.scope.regions.sort();
        }
        let accounts = &mut self.snapshot.accounts;
        let a = match accounts.iter().position(|a| a.account_id == account) {
            Some(p) => p,
            None => {
                accounts.push(AccountSnapshot {
                    account_id: account,
                    regions: vec![],
                });
                accounts.len() - 1
            }
        };
        let regions = &mut accounts[a].regions;
        let r = match regions.iter().position(|r| r.region == region) {
            Some(p) => p,
            None => {
                let mut fresh = RegionSnapshot::new(region);
                // The plan lays out the whole of a region it brings: every listing is
                // complete there.
                fresh.transit_gateways = Some(vec![]);
                fresh.transit_gateway_attachments = Some(vec![]);
                fresh.internet_gateways = Some(vec![]);
                fresh.egress_only_internet_gateways = Some(vec![]);
                fresh.nat_gateways = Some(vec![]);
                fresh.vpn_gateways = Some(vec![]);
                fresh.vpc_peering_connections = Some(vec![]);
                regions.push(fresh);
                regions.len() - 1
            }
        };
        &mut regions[r]
    }

    /// Each placed resource's address, by id.
    fn record_addresses(&mut self) {
        for i in self.of_type(PLACED_TYPES) {
            if !self.inst(i).deleted() {
                let address = self.inst(i).address().to_string();
                self.facts.addresses.insert(self.ids[i].clone(), address);
            }
        }
    }

    /// Whether the plan does anything to the instance (not `no-op`, not a data `read`).
    fn acts_on(&self, i: usize) -> bool {
        self.inst(i)
            .change
            .change
            .actions
            .iter()
            .any(|a| matches!(a.as_str(), "create" | "update" | "delete"))
    }

    /// Records that the plan changes `id` through instance `i`.
    pub(super) fn touch(&mut self, i: usize, id: &str) {
        if !self.acts_on(i) {
            return;
        }
        let actions = &self.inst(i).change.change.actions;
        if actions.iter().any(|a| a == "create") {
            self.changed.created.insert(id.to_string());
        }
        self.changed.ids.insert(id.to_string());
        let place = (self.account.clone(), self.regions[i].clone());
        self.changed.places.insert(place);
    }

    /// Each placed resource the plan acts on, by its id after apply and before.
    fn record_changed(&mut self) {
        for i in self.of_type(PLACED_TYPES) {
            let field = match self.inst(i).resource_type() {
                "aws_cloudwatch_log_group" | "aws_kinesis_firehose_delivery_stream" => "name",
                "aws_s3_bucket" => "bucket",
                _ => "id",
            };
            let id = self.ids[i].clone();
            self.touch(i, &id);
            if let Some(before) = self.before_id(i, field) {
                self.touch(i, &before);
            }
        }
    }

    fn build(&mut self) {
        self.vpcs();
        self.subnets();
        self.network_interfaces();
        self.transit_gateways();
        self.log_groups();
        self.delivery_streams();
        self.buckets();
        self.flow_logs();
        self.connectivity();
    }

    /// The id before apply of a resource the plan changes, if it existed.
    pub(super) fn before_id(&self, i: usize, field: &str) -> Option<String> {
        self.inst(i)
            .before(field)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The VPC, subnet or gateway a resource sits in after apply: `None` when the resource
    /// is deleted, or (recorded as unknown) when the plan cannot say which, or names one
    /// that neither the plan nor the existing estate holds.
    pub(super) fn container(
        &mut self,
        i: usize,
        attribute: &str,
        wanted: &[&str],
        what: &str,
    ) -> Option<String> {
        if self.inst(i).deleted() {
            return None;
        }
        let id = self.ids[i].clone();
        match self.target(i, attribute, wanted) {
            Target::Id(container) if self.resource_known(&self.regions[i], &container) => {
                Some(container)
            }
            Target::Id(container) => {
                let reason = self.outside(&container, "it cannot be judged");
                self.unknown(
                    i,
                    &id,
                    attribute,
                    reason,
                    &["COV"],
                    Reach::Unplaced { coverage: false },
                );
                None
            }
            Target::Unset | Target::Unknown(_) => {
                let reason = format!(
                    "the {what} of {} is not known before apply",
                    self.inst(i).address()
                );
                self.unknown(
                    i,
                    &id,
                    attribute,
                    reason,
                    &["COV"],
                    Reach::Unplaced { coverage: true },
                );
                None
            }
        }
    }

    /// Why something the plan refers to is unknown: "vpc-0abc is not in the plan, so ...".
    fn outside(&self, what: &str, consequence: &str) -> String {
        let place = if self.has_base {
            "the plan or the existing estate"
        } else {
            "the plan"
        };
        format!("{what} is not in {place}, so {consequence}; pass --with-snapshot or --live")
    }

    fn region_holds(
        &self,
        account: &str,
        region: &str,
        test: impl Fn(&RegionSnapshot) -> bool,
    ) -> bool {
        self.snapshot
            .accounts
            .iter()
            .filter(|a| a.account_id == account)
            .flat_map(|a| &a.regions)
            .filter(|r| r.region == region)
            .any(test)
    }

    /// Whether a VPC, subnet, ENI, gateway or attachment is in the planned estate.
    fn resource_known(&self, region: &str, id: &str) -> bool {
        // Only the listing of the id's kind is searched: an existing estate may hold a
        // million interfaces.
        self.region_holds(&self.account, region, |r| match FlowLogResource::of(id) {
            FlowLogResource::Vpc => r.vpcs.iter().any(|v| v.vpc_id == id),
            FlowLogResource::Subnet => r.subnets.iter().any(|s| s.subnet_id == id),
            FlowLogResource::NetworkInterface => r
                .network_interfaces
                .iter()
                .any(|e| e.network_interface_id == id),
            FlowLogResource::TransitGateway => r
                .transit_gateways
                .iter()
                .flatten()
                .any(|g| g.transit_gateway_id == id),
            FlowLogResource::TransitGatewayAttachment => r
                .transit_gateway_attachments
                .iter()
                .flatten()
                .any(|a| a.transit_gateway_attachment_id == id),
            FlowLogResource::Other => false,
        })
    }
}

/// Replaces the record whose id was `before` (or that has the new record's id) with
/// `record`, or removes it when `record` is `None`.
pub(super) fn upsert<T>(
    items: &mut Vec<T>,
    record: Option<T>,
    before: Option<&str>,
    id: impl Fn(&T) -> &str,
) {
    let new_id = record.as_ref().map(|r| id(r).to_string());
    items.retain(|item| {
        let item_id = id(item);
        Some(item_id) != before && Some(item_id) != new_id.as_deref()
    });
    items.extend(record);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with_provider(expressions: serde_json::Value) -> PlanDocument {
        let text = serde_json::json!({
            "format_version": "1.2",
            "resource_changes": [],
            "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": expressions}}}
        })
        .to_string();
        super::super::parse(std::path::Path::new("plan.json"), text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_account_comes_from_the_provider_when_it_is_pinned() {
        let allowed = plan_with_provider(
            serde_json::json!({"allowed_account_ids": {"constant_value": ["111122223333"]}}),
        );
        assert_eq!(provider_account(&allowed).as_deref(), Some("111122223333"));
        let role = plan_with_provider(serde_json::json!({"assume_role": [
            {"role_arn": {"constant_value": "arn:aws:iam::444455556666:role/deploy"}}
        ]}));
        assert_eq!(provider_account(&role).as_deref(), Some("444455556666"));
        // Two allowed accounts, or a role from a variable, name none.
        let two = plan_with_provider(serde_json::json!({"allowed_account_ids":
            {"constant_value": ["111122223333", "444455556666"]}}));
        assert_eq!(provider_account(&two), None);
        let variable = plan_with_provider(serde_json::json!({"assume_role": [
            {"role_arn": {"references": ["var.deploy_role"]}}
        ]}));
        assert_eq!(provider_account(&variable), None);
    }
}
