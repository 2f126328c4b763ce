//! The estate a plan would leave: its resources' planned values laid over the existing
//! estate (a snapshot, or nothing), in the snapshot model every rule reads.
//!
//! A resource that does not exist yet is named by its address (`vpc-(aws_vpc.main)`), with
//! the AWS prefix kept so that rules can tell what it is. A value the plan cannot know, or
//! that lies outside both the plan and the existing estate, is recorded as a
//! [`PlanUnknown`]; evaluation turns every finding that depends on it into `unknown`.

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

    /// After a VPC or subnet's record changed: when the one that was (`before`) is gone,
    /// its contents go with it.
    fn remove_if_gone(&mut self, region: &str, before: Option<String>, kept: Option<&str>) {
        if let Some(gone) = before.filter(|b| Some(b.as_str()) != kept) {
            remove_contents(self.region_mut(region), &gone);
            self.destroyed.insert(gone);
        }
    }

    fn vpcs(&mut self) {
        for i in self.of_type(&["aws_vpc", "aws_default_vpc"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let inst = self.inst(i);
            // Terraform forgets a default VPC it destroys, and leaves it in place, unless
            // force_destroy is set.
            let forgotten = inst.deleted()
                && inst.resource_type() == "aws_default_vpc"
                && inst.before("force_destroy").and_then(Value::as_bool) != Some(true);
            if forgotten {
                continue;
            }
            let record = (!inst.deleted()).then(|| Vpc {
                vpc_id: self.ids[i].clone(),
                cidr_block: inst.after_str("cidr_block").map(str::to_string),
                owner_id: self.account.clone(),
                is_default: inst.resource_type() == "aws_default_vpc",
                state: Some("available".to_string()),
                tags: tags(inst),
            });
            let kept = record.as_ref().map(|v| v.vpc_id.clone());
            let vpcs = &mut self.region_mut(&region).vpcs;
            upsert(vpcs, record, before.as_deref(), |v| &v.vpc_id);
            self.remove_if_gone(&region, before, kept.as_deref());
        }
    }

    fn subnets(&mut self) {
        for i in self.of_type(&["aws_subnet"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let id = self.ids[i].clone();
            let vpc = self.container(i, "vpc_id", &["aws_vpc", "aws_default_vpc"], "VPC");
            let record = vpc.map(|vpc_id| Subnet {
                subnet_id: id.clone(),
                vpc_id,
                availability_zone: self
                    .inst(i)
                    .after_str("availability_zone")
                    .map(str::to_string),
                cidr_block: self.inst(i).after_str("cidr_block").map(str::to_string),
                owner_id: Some(self.account.clone()),
                tags: tags(self.inst(i)),
            });
            let kept = record.as_ref().map(|s| s.subnet_id.clone());
            let subnets = &mut self.region_mut(&region).subnets;
            upsert(subnets, record, before.as_deref(), |s| &s.subnet_id);
            self.remove_if_gone(&region, before, kept.as_deref());
        }
    }

    fn network_interfaces(&mut self) {
        for i in self.of_type(&["aws_network_interface"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let id = self.ids[i].clone();
            let subnet = self.container(i, "subnet_id", &["aws_subnet"], "subnet");
            let record = subnet.map(|subnet_id| NetworkInterface {
                network_interface_id: id.clone(),
                vpc_id: self
                    .snapshot_subnet_vpc(&region, &subnet_id)
                    .unwrap_or_default(),
                subnet_id,
                interface_type: Some("interface".to_string()),
                requester_managed: false,
                status: Some("available".to_string()),
                description: None,
                owner_id: Some(self.account.clone()),
                attachment: None,
            });
            let enis = &mut self.region_mut(&region).network_interfaces;
            upsert(enis, record, before.as_deref(), |e| &e.network_interface_id);
        }
    }

    pub(super) fn snapshot_subnet_vpc(&mut self, region: &str, subnet_id: &str) -> Option<String> {
        self.region_mut(region)
            .subnets
            .iter()
            .find(|s| s.subnet_id == subnet_id)
            .map(|s| s.vpc_id.clone())
    }

    fn transit_gateways(&mut self) {
        for i in self.of_type(&["aws_ec2_transit_gateway"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let record = (!self.inst(i).deleted()).then(|| TransitGateway {
                transit_gateway_id: self.ids[i].clone(),
                transit_gateway_arn: None,
                owner_id: self.account.clone(),
                state: Some("available".to_string()),
                tags: tags(self.inst(i)),
            });
            let gateways = self
                .region_mut(&region)
                .transit_gateways
                .get_or_insert_default();
            upsert(gateways, record, before.as_deref(), |g| {
                &g.transit_gateway_id
            });
        }
        for i in self.of_type(&["aws_ec2_transit_gateway_vpc_attachment"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let id = self.ids[i].clone();
            let gateway = self.container(
                i,
                "transit_gateway_id",
                &["aws_ec2_transit_gateway"],
                "transit gateway",
            );
            let vpc = match self.target(i, "vpc_id", &["aws_vpc", "aws_default_vpc"]) {
                Target::Id(v) => Some(v),
                Target::Unset | Target::Unknown(_) => None,
            };
            let record = gateway.map(|transit_gateway_id| TransitGatewayAttachment {
                transit_gateway_attachment_id: id.clone(),
                transit_gateway_id,
                transit_gateway_owner_id: Some(self.account.clone()),
                resource_type: Some("vpc".to_string()),
                resource_id: vpc,
                resource_owner_id: Some(self.account.clone()),
                state: Some("available".to_string()),
                tags: tags(self.inst(i)),
            });
            let attachments = self
                .region_mut(&region)
                .transit_gateway_attachments
                .get_or_insert_default();
            upsert(attachments, record, before.as_deref(), |a| {
                &a.transit_gateway_attachment_id
            });
        }
    }

    fn delivery_streams(&mut self) {
        for i in self.of_type(&["aws_kinesis_firehose_delivery_stream"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "name");
            let name = self.ids[i].clone();
            let record = if self.inst(i).deleted() {
                None
            } else {
                // Where the stream writes matters only for reports: its bucket's ARN, when
                // the plan shows it.
                let bucket = self
                    .inst(i)
                    .after("extended_s3_configuration")
                    .and_then(first)
                    .and_then(|c| c.get("bucket_arn"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                Some(DeliveryStream {
                    delivery_stream_name: name.clone(),
                    delivery_stream_arn: None,
                    // A stream Terraform creates is ACTIVE once apply finishes.
                    delivery_stream_status: Some("ACTIVE".to_string()),
                    destinations: vec![DeliveryStreamDestination {
                        destination_id: "destinationId-000000000001".to_string(),
                        destination_type: self
                            .inst(i)
                            .after_str("destination")
                            .map(|d| if d == "extended_s3" { "ExtendedS3" } else { d }.to_string())
                            .unwrap_or_default(),
                        bucket_arn: bucket,
                    }],
                })
            };
            let streams = &mut self.region_mut(&region).delivery_streams;
            upsert(streams, record, before.as_deref(), |d| {
                &d.delivery_stream_name
            });
        }
    }

    fn log_groups(&mut self) {
        for i in self.of_type(&["aws_cloudwatch_log_group"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "name");
            let name = self.ids[i].clone();
            // A name chosen at apply (name_prefix, or one built from an id) decides no rule:
            // the group is known by its address until then.
            let record = if self.inst(i).deleted() {
                None
            } else {
                let retention = self.value(
                    i,
                    &name,
                    "retention_in_days",
                    &["CWL001", "CWL002", "CWL003"],
                    false,
                );
                let kms = self.value(i, &name, "kms_key_id", &["SEC003"], false);
                let kms_set = kms.is_some()
                    || self.inst(i).unknown("kms_key_id") && self.configured(i, "kms_key_id");
                let class = self.value(i, &name, "log_group_class", &["CWL"], false);
                let protection =
                    self.value(i, &name, "deletion_protection_enabled", &["CWL005"], false);
                Some(LogGroup {
                    log_group_name: name.clone(),
                    arn: Some(format!(
                        "arn:aws:logs:{region}:{}:log-group:{name}",
                        self.account
                    )),
                    // 0 means never expire: the API then has no retention at all.
                    retention_in_days: retention
                        .and_then(|v| v.as_i64())
                        .filter(|d| *d > 0)
                        .and_then(|d| i32::try_from(d).ok()),
                    kms_key_id: kms_set.then(|| {
                        kms.and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_else(|| "(known after apply)".to_string())
                    }),
                    stored_bytes: None,
                    creation_time: None,
                    log_group_class: class.and_then(|v| v.as_str().map(str::to_string)),
                    deletion_protection_enabled: protection.and_then(|v| v.as_bool()),
                    data_protection_status: None,
                    inherited_properties: vec![],
                })
            };
            self.retention_change(i, &name);
            let groups = &mut self.region_mut(&region).log_groups;
            upsert(groups, record, before.as_deref(), |g| &g.log_group_name);
        }
    }

    /// "shortens retention of X from 30 to 7 days", from the plan's own before and after.
    fn retention_change(&mut self, i: usize, name: &str) {
        let inst = self.inst(i);
        if inst.change.change.before.is_none()
            || inst.deleted()
            || inst.unknown("retention_in_days")
        {
            return;
        }
        let days = |v: Option<&Value>| v.and_then(Value::as_i64).filter(|d| *d > 0);
        let (old, new) = (
            days(inst.before("retention_in_days")),
            days(inst.after("retention_in_days")),
        );
        let text = |d: Option<i64>| d.map_or("never expire".to_string(), |d| format!("{d} days"));
        let verb = match (old, new) {
            (a, b) if a == b => return,
            (Some(a), Some(b)) if b < a => "shortens",
            (None, Some(_)) => "shortens",
            _ => "lengthens",
        };
        self.changes.push(PlanChange {
            resource_id: name.to_string(),
            address: inst.address().to_string(),
            change: format!(
                "{verb} retention of log group {name} from {} to {}",
                text(old),
                text(new)
            ),
        });
    }

    fn buckets(&mut self) {
        // Split resources first: each names its bucket.
        let mut split: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
        for (kind, resource_type) in [
            ("lifecycle", "aws_s3_bucket_lifecycle_configuration"),
            ("versioning", "aws_s3_bucket_versioning"),
            (
                "encryption",
                "aws_s3_bucket_server_side_encryption_configuration",
            ),
            ("public access block", "aws_s3_bucket_public_access_block"),
        ] {
            for i in self.of_type(&[resource_type]) {
                match self.target(i, "bucket", &["aws_s3_bucket"]) {
                    Target::Id(bucket) => {
                        self.touch(i, &bucket);
                        if self.inst(i).deleted() {
                            self.delete_bucket_setting(i, kind, &bucket);
                        } else {
                            split.insert((kind, bucket), i);
                        }
                    }
                    Target::Unset | Target::Unknown(_) => {
                        // It could be any bucket's: every bucket's setting is unknown.
                        let id = self.ids[i].clone();
                        let reason = format!(
                            "the bucket of {} is not known before apply, so any bucket's {kind} may be the one it sets",
                            self.inst(i).address()
                        );
                        self.unknown(
                            i,
                            &id,
                            "bucket",
                            reason,
                            &["S3L", "SEC"],
                            Reach::Unplaced { coverage: false },
                        );
                        let names: Vec<String> = self
                            .of_type(&["aws_s3_bucket"])
                            .into_iter()
                            .map(|b| self.ids[b].clone())
                            .collect();
                        for name in names {
                            self.unknown(
                                i,
                                &name,
                                kind,
                                format!(
                                    "{} may set it, and its bucket is not known before apply",
                                    self.inst(i).address()
                                ),
                                &["S3L", "SEC"],
                                Reach::Own,
                            );
                        }
                    }
                }
            }
        }
        for i in self.of_type(&["aws_s3_bucket"]) {
            let name = self.ids[i].clone();
            let before = self.before_id(i, "bucket");
            if self.inst(i).deleted() {
                self.snapshot
                    .buckets
                    .retain(|b| Some(&b.name) != before.as_ref());
                continue;
            }
            let existing = self
                .snapshot
                .buckets
                .iter()
                .find(|b| b.name == name)
                .cloned();
            let created = self.inst(i).change.change.before.is_none();
            let mut bucket = existing.unwrap_or_else(|| Bucket {
                name: name.clone(),
                exists: Some(true),
                owner_account_id: Some(self.account.clone()),
                region: Some(self.regions[i].clone()),
                versioning: None,
                lifecycle: None,
                encryption: None,
                public_access_block: None,
            });
            bucket.exists = Some(true);
            // Lifecycle: the split resource wins over the legacy inline blocks.
            if let Some(&l) = split.get(&("lifecycle", name.clone())) {
                bucket.lifecycle = self.split_lifecycle(l, &name);
            } else if let Some(rules) = self.inline(i, &name, "lifecycle_rule", created) {
                bucket.lifecycle = Some(BucketLifecycle {
                    rules: rules.iter().map(inline_lifecycle_rule).collect(),
                    transition_default_minimum_object_size: None,
                });
            }
            if let Some(&v) = split.get(&("versioning", name.clone())) {
                let status = self.value(
                    v,
                    &name,
                    "versioning_configuration",
                    &["S3L003", "S3L005"],
                    false,
                );
                bucket.versioning = status.map(|c| BucketVersioning {
                    status: first(&c)
                        .and_then(|c| c.get("status"))
                        .and_then(Value::as_str)
                        .filter(|s| *s != "Disabled")
                        .map(str::to_string),
                    mfa_delete: None,
                });
            } else if let Some(blocks) = self.inline(i, &name, "versioning", created) {
                let enabled = blocks
                    .first()
                    .and_then(|b| b.get("enabled"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                bucket.versioning = Some(BucketVersioning {
                    status: enabled.then(|| "Enabled".to_string()),
                    mfa_delete: None,
                });
            }
            if let Some(&e) = split.get(&("encryption", name.clone())) {
                let rules = self.value(e, &name, "rule", &["SEC001"], false);
                bucket.encryption = rules.map(|r| BucketEncryption {
                    rules: encryption_rules(&r),
                });
            } else if let Some(blocks) =
                self.inline(i, &name, "server_side_encryption_configuration", created)
            {
                let rules = blocks
                    .first()
                    .and_then(|b| b.get("rule"))
                    .cloned()
                    .unwrap_or(Value::Null);
                bucket.encryption = Some(BucketEncryption {
                    rules: encryption_rules(&rules),
                });
            }
            if let Some(&p) = split.get(&("public access block", name.clone())) {
                let flag = |field: &str| {
                    self.inst(p)
                        .after(field)
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                };
                bucket.public_access_block = Some(PublicAccessBlock {
                    block_public_acls: flag("block_public_acls"),
                    ignore_public_acls: flag("ignore_public_acls"),
                    block_public_policy: flag("block_public_policy"),
                    restrict_public_buckets: flag("restrict_public_buckets"),
                });
            }
            if created {
                // What S3 gives every new bucket: SSE-S3 encryption (since January 2023),
                // all four public access block settings (since April 2023), no
                // versioning and no lifecycle.
                bucket.encryption.get_or_insert_with(|| BucketEncryption {
                    rules: vec![EncryptionRule {
                        sse_algorithm: "AES256".to_string(),
                        kms_master_key_id: None,
                        bucket_key_enabled: None,
                    }],
                });
                bucket.public_access_block.get_or_insert(PublicAccessBlock {
                    block_public_acls: true,
                    ignore_public_acls: true,
                    block_public_policy: true,
                    restrict_public_buckets: true,
                });
                bucket.versioning.get_or_insert(BucketVersioning {
                    status: None,
                    mfa_delete: None,
                });
                bucket.lifecycle.get_or_insert(BucketLifecycle {
                    rules: vec![],
                    transition_default_minimum_object_size: None,
                });
            }
            for (setting, missing, affects) in [
                ("lifecycle", bucket.lifecycle.is_none(), "S3L"),
                ("versioning", bucket.versioning.is_none(), "S3L"),
                ("encryption", bucket.encryption.is_none(), "SEC001"),
                (
                    "public access block",
                    bucket.public_access_block.is_none(),
                    "SEC002",
                ),
            ] {
                if missing && !split.contains_key(&(setting, name.clone())) {
                    let reason = format!(
                        "bucket {name} exists already and the plan does not show its {setting}; pass --with-snapshot or --live"
                    );
                    let affects: Rules = match affects {
                        "S3L" => &["S3L", "COL002"],
                        "SEC001" => &["SEC001", "COL002"],
                        _ => &["SEC002", "COL002"],
                    };
                    self.unknown(i, &name, setting, reason, affects, Reach::Own);
                }
            }
            self.snapshot.buckets.retain(|b| b.name != name);
            self.snapshot.buckets.push(bucket);
        }
        self.snapshot.buckets.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// A legacy inline block list of a bucket, when the plan shows it: known, or unknown
    /// only because the provider computes it for a new bucket the configuration leaves it
    /// out of (then it is empty).
    fn inline(
        &mut self,
        i: usize,
        name: &str,
        attribute: &str,
        created: bool,
    ) -> Option<Vec<Value>> {
        let inst = self.inst(i);
        if let Some(v) = inst.after(attribute) {
            return Some(v.as_array().cloned().unwrap_or_default());
        }
        if !inst.unknown(attribute) {
            return None;
        }
        if self.configured(i, attribute) {
            let reason = format!(
                "`{attribute}` of {} is known only after apply",
                inst.address()
            );
            self.unknown(i, name, attribute, reason, &["S3L", "SEC"], Reach::Own);
            return None;
        }
        created.then(Vec::new)
    }

    fn split_lifecycle(&mut self, i: usize, bucket: &str) -> Option<BucketLifecycle> {
        let rules = self.value(i, bucket, "rule", &["S3L"], false)?;
        Some(BucketLifecycle {
            rules: rules
                .as_array()
                .map(|r| r.iter().map(split_lifecycle_rule).collect())
                .unwrap_or_default(),
            transition_default_minimum_object_size: self
                .inst(i)
                .after_str("transition_default_minimum_object_size")
                .map(str::to_string),
        })
    }

    fn delete_bucket_setting(&mut self, i: usize, kind: &str, bucket: &str) {
        let address = self.inst(i).address().to_string();
        if let Some(b) = self.snapshot.buckets.iter_mut().find(|b| b.name == bucket) {
            match kind {
                "lifecycle" => {
                    b.lifecycle = Some(BucketLifecycle {
                        rules: vec![],
                        transition_default_minimum_object_size: None,
                    })
                }
                "public access block" => b.public_access_block = Some(PublicAccessBlock::default()),
                _ => {}
            }
        }
        if kind == "lifecycle" {
            self.changes.push(PlanChange {
                resource_id: bucket.to_string(),
                address,
                change: format!("deletes the lifecycle configuration of bucket {bucket}: its rules no longer expire flow-log objects"),
            });
        }
    }

    fn flow_logs(&mut self) {
        for i in self.of_type(&["aws_flow_log"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let id = self.ids[i].clone();
            let base_record = before.as_ref().and_then(|b| {
                self.region_mut(&region)
                    .flow_logs
                    .iter()
                    .find(|f| &f.flow_log_id == b)
                    .cloned()
            });
            if self.inst(i).deleted() {
                let on = [
                    "vpc_id",
                    "subnet_id",
                    "eni_id",
                    "transit_gateway_id",
                    "transit_gateway_attachment_id",
                ]
                .iter()
                .find_map(|f| self.inst(i).before(f).and_then(Value::as_str))
                .unwrap_or("its resource")
                .to_string();
                let flow_log_id = before.clone().unwrap_or_else(|| id.clone());
                self.changes.push(PlanChange {
                    resource_id: on.clone(),
                    address: self.inst(i).address().to_string(),
                    change: format!(
                        "deletes flow log {flow_log_id} on {on}, taking away the coverage it gave"
                    ),
                });
                let flow_logs = &mut self.region_mut(&region).flow_logs;
                upsert(flow_logs, None, before.as_deref(), |f| &f.flow_log_id);
                if !self.resource_known(&region, &on) && !self.destroyed.contains(&on) {
                    let reason = format!(
                        "this plan deletes flow log {flow_log_id} on {}",
                        self.outside(&on, "what still covers it is unknown")
                    );
                    self.unknown(
                        i,
                        &on,
                        "coverage",
                        reason,
                        &["COV"],
                        Reach::Unplaced { coverage: false },
                    );
                }
                continue;
            }
            let Some(record) = self.flow_log(i, &id, &region, base_record) else {
                // Replaced by a log the plan cannot place: the one it replaces is gone all
                // the same.
                let flow_logs = &mut self.region_mut(&region).flow_logs;
                upsert(flow_logs, None, before.as_deref(), |f| &f.flow_log_id);
                continue;
            };
            self.check_destination(i, &record, &region);
            let flow_logs = &mut self.region_mut(&region).flow_logs;
            upsert(flow_logs, Some(record), before.as_deref(), |f| {
                &f.flow_log_id
            });
        }
    }

    /// The flow log's record, or `None` when the resource it is on cannot be placed.
    fn flow_log(
        &mut self,
        i: usize,
        id: &str,
        region: &str,
        base: Option<FlowLog>,
    ) -> Option<FlowLog> {
        let resource_fields: [(&str, &[&str]); 5] = [
            ("vpc_id", &["aws_vpc", "aws_default_vpc"]),
            ("subnet_id", &["aws_subnet"]),
            ("eni_id", &["aws_network_interface"]),
            ("transit_gateway_id", &["aws_ec2_transit_gateway"]),
            (
                "transit_gateway_attachment_id",
                &["aws_ec2_transit_gateway_vpc_attachment"],
            ),
        ];
        let mut resource = None;
        for (field, wanted) in resource_fields {
            match self.target(i, field, wanted) {
                Target::Unset => continue,
                Target::Id(r) => resource = Some(r),
                Target::Unknown(reason) => {
                    self.unknown(
                        i,
                        id,
                        field,
                        reason,
                        FLOW_LOG_RULES,
                        Reach::Unplaced { coverage: true },
                    );
                    return None;
                }
            }
            break;
        }
        let Some(resource_id) = resource else {
            let reason = format!(
                "{} names no VPC, subnet, ENI or transit gateway the plan shows",
                self.inst(i).address()
            );
            self.unknown(
                i,
                id,
                "vpc_id",
                reason,
                FLOW_LOG_RULES,
                Reach::Unplaced { coverage: true },
            );
            return None;
        };
        if !self.resource_known(region, &resource_id) {
            let reason = self.outside(&resource_id, "nothing about this flow log can be judged");
            self.unknown(
                i,
                id,
                "resource",
                reason,
                FLOW_LOG_RULES,
                Reach::Unplaced { coverage: false },
            );
            return None;
        }
        let traffic = self.value(i, id, "traffic_type", &["FLS003"], true);
        let destination_type = self
            .value(i, id, "log_destination_type", DESTINATION_RULES, true)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "cloud-watch-logs".to_string());
        let (log_destination, log_group_name) = self.destination(i, id, region, &destination_type);
        let format = self.value(i, id, "log_format", &["FLS005"], false);
        let interval = self.value(i, id, "max_aggregation_interval", &["FLS004"], false);
        // The partition layout decides where objects land, and so which lifecycle rules
        // reach them: it belongs to the bucket's lifecycle findings.
        let layout_owner = match log_destination.as_deref().and_then(Destination::from_arn) {
            Some(Destination::Bucket { name }) => name,
            _ => id.to_string(),
        };
        let options = self.value(i, &layout_owner, "destination_options", &["S3L"], false);
        let inst = self.inst(i);
        Some(FlowLog {
            flow_log_id: id.to_string(),
            resource_id,
            traffic_type: traffic.and_then(|v| v.as_str().map(str::to_string)),
            log_destination_type: Some(destination_type),
            log_destination,
            log_group_name,
            deliver_logs_permission_arn: inst.after_str("iam_role_arn").map(str::to_string),
            deliver_cross_account_role: inst
                .after_str("deliver_cross_account_role")
                .map(str::to_string),
            // A new flow log starts ACTIVE; whether it delivers is known only once it runs,
            // so an existing log keeps what the estate last showed.
            flow_log_status: Some(
                base.as_ref()
                    .and_then(|b| b.flow_log_status.clone())
                    .unwrap_or_else(|| "ACTIVE".to_string()),
            ),
            deliver_logs_status: base.as_ref().and_then(|b| b.deliver_logs_status.clone()),
            deliver_logs_error_message: base
                .as_ref()
                .and_then(|b| b.deliver_logs_error_message.clone()),
            log_format: format.and_then(|v| v.as_str().map(str::to_string)),
            max_aggregation_interval: interval
                .and_then(|v| v.as_i64())
                .and_then(|v| i32::try_from(v).ok()),
            destination_options: options
                .as_ref()
                .and_then(first)
                .map(|o| DestinationOptions {
                    file_format: o
                        .get("file_format")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    hive_compatible_partitions: o
                        .get("hive_compatible_partitions")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    per_hour_partition: o
                        .get("per_hour_partition")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                }),
            tags: tags(inst),
            creation_time: base.and_then(|b| b.creation_time),
        })
    }

    /// LogDestination and LogGroupName of a flow log.
    fn destination(
        &mut self,
        i: usize,
        id: &str,
        region: &str,
        destination_type: &str,
    ) -> (Option<String>, Option<String>) {
        let wanted: &[&str] = match destination_type {
            "s3" => &["aws_s3_bucket"],
            "kinesis-data-firehose" => &["aws_kinesis_firehose_delivery_stream"],
            _ => &["aws_cloudwatch_log_group"],
        };
        // The ARN a resource of the plan will have.
        let arn_of = |account: &str, name: &str| {
            let (account_id, region, name) =
                (account.to_string(), region.to_string(), name.to_string());
            match destination_type {
                "s3" => Destination::Bucket { name },
                "kinesis-data-firehose" => Destination::DeliveryStream {
                    account_id,
                    region,
                    name,
                },
                _ => Destination::LogGroup {
                    account_id,
                    region,
                    name,
                },
            }
            .arn()
        };
        let cloudwatch = wanted == ["aws_cloudwatch_log_group"];
        let mut attribute = "log_destination";
        let mut target = self.target(i, attribute, wanted);
        if cloudwatch && matches!(target, Target::Unset) {
            attribute = "log_group_name";
            target = self.target(i, attribute, wanted);
            if let Target::Id(name) = target {
                return (None, Some(name));
            }
        }
        match target {
            Target::Id(value) if value.starts_with("arn:") => (Some(value), None),
            Target::Id(name) => {
                // A reference to a resource: the ARN it will have. An S3 ARN may carry a
                // key prefix an expression adds, which the plan does not show.
                if destination_type == "s3" {
                    if self.index_strict() {
                        let reason = format!(
                            "`log_destination` of {} comes from bucket {name}, but the plan does not show whether the expression adds a key prefix to its ARN; --strict-references infers nothing",
                            self.inst(i).address()
                        );
                        self.unknown(i, &name, attribute, reason, &["S3L"], Reach::Own);
                    } else {
                        self.facts.inferences.push(PlanInference {
                            resource_ids: vec![id.to_string(), name.clone()],
                            address: self.inst(i).address().to_string(),
                            attribute: attribute.to_string(),
                            chain: vec![format!("{}.{attribute}", self.inst(i).address()), format!("arn:aws:s3:::{name} (no key prefix: an expression that adds one is not shown in the plan)")],
                        });
                    }
                }
                (
                    Some(arn_of(&self.account, &name)),
                    cloudwatch.then_some(name),
                )
            }
            Target::Unset => (None, None),
            Target::Unknown(reason) => {
                // Where it delivers can decide whether it counts for coverage
                // (`destinations.allowed_arns`).
                self.unknown(
                    i,
                    id,
                    attribute,
                    reason,
                    DESTINATION_RULES,
                    Reach::CoverageFailures,
                );
                (None, None)
            }
        }
    }

    fn index_strict(&self) -> bool {
        self.index.is_strict()
    }

    /// A destination neither the plan nor the existing estate holds is unknown.
    fn check_destination(&mut self, i: usize, flow_log: &FlowLog, region: &str) {
        let Ok(resolved) = crate::destination::resolve(flow_log, &self.account, region) else {
            return;
        };
        let destination = resolved.destination;
        let name = destination.resource_id().to_string();
        let (known, place_scanned) = match &destination {
            Destination::Bucket { name } => {
                (self.snapshot.buckets.iter().any(|b| &b.name == name), false)
            }
            Destination::LogGroup {
                account_id,
                region,
                name,
            } => (
                self.region_holds(account_id, region, |r| {
                    r.log_groups.iter().any(|g| &g.log_group_name == name)
                }),
                self.has_base
                    && self.snapshot.scope.accounts.contains(account_id)
                    && self.snapshot.scope.regions.contains(region),
            ),
            Destination::DeliveryStream {
                account_id,
                region,
                name,
            } => (
                self.region_holds(account_id, region, |r| {
                    r.delivery_streams
                        .iter()
                        .any(|s| &s.delivery_stream_name == name)
                }),
                false,
            ),
        };
        // A log group missing from a region the existing estate lists completely does not
        // exist: DST002 says so. Anything else missing is simply not shown.
        if known || place_scanned {
            return;
        }
        let reason = self.outside(
            &format!("{} {name}", destination.resource_type()),
            "it cannot be judged",
        );
        self.unknown(
            i,
            &name,
            "existence",
            reason.clone(),
            EXISTENCE_RULES,
            Reach::Own,
        );
        self.unknown(
            i,
            &flow_log.flow_log_id,
            "log_destination",
            reason,
            EXISTENCE_RULES,
            Reach::Own,
        );
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

/// A VPC or subnet that is gone takes what is in it along: subnets and interfaces, and the
/// flow logs on any of them, which AWS deletes with their resource.
fn remove_contents(region: &mut RegionSnapshot, container: &str) {
    let inside = |vpc: &str, subnet: &str| vpc == container || subnet == container;
    let mut gone: std::collections::BTreeSet<String> = [container.to_string()].into();
    gone.extend(
        region
            .subnets
            .iter()
            .filter(|s| s.vpc_id == container)
            .map(|s| s.subnet_id.clone()),
    );
    gone.extend(
        region
            .network_interfaces
            .iter()
            .filter(|e| inside(&e.vpc_id, &e.subnet_id))
            .map(|e| e.network_interface_id.clone()),
    );
    region.subnets.retain(|s| s.vpc_id != container);
    region
        .network_interfaces
        .retain(|e| !inside(&e.vpc_id, &e.subnet_id));
    region.flow_logs.retain(|f| !gone.contains(&f.resource_id));
}

/// Replaces the record whose id was `before` (or that has the new record's id) with
/// `record`, or removes it when `record` is `None`.
pub(super) fn upsert<T>(
    items: &mut Vec<T>,
    record: Option<T>,
    before: Option<&str>,
    id: impl Fn(&T) -> &String,
) {
    let new_id = record.as_ref().map(|r| id(r).clone());
    items.retain(|item| {
        let item_id = id(item);
        Some(item_id.as_str()) != before && Some(item_id) != new_id.as_ref()
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
