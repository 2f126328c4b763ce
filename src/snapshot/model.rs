//! The snapshot: everything a scan needs, as plain data.
//!
//! Resource fields keep the names and casing of the AWS API they come from (EC2 uses
//! `PascalCase`, CloudWatch Logs `camelCase`), so anyone who knows the API can read a
//! snapshot. The envelope around them (`schema_version`, `accounts`, `regions`, ...) is
//! flowaudit's own and uses `snake_case`.
//!
//! Absence has one meaning per field: an `Option` that is `None` on a bucket setting means
//! "could not be collected" (the reason is in `collection_errors`), never "not configured".
//! "Not configured" is an empty value, e.g. a lifecycle with no rules.

use std::collections::BTreeMap;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::checked;

/// The snapshot format this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    #[serde(deserialize_with = "super::file::supported_schema_version")]
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// RFC 3339 time at which collection started.
    pub collected_at: String,
    pub scope: CollectionScope,
    #[serde(default)]
    pub accounts: Vec<AccountSnapshot>,
    /// Buckets that flow logs deliver to. Bucket names are global, so they sit outside the
    /// account/region tree; each is inspected once however many flow logs use it.
    #[serde(default)]
    pub buckets: Vec<Bucket>,
    #[serde(default)]
    pub collection_errors: Vec<CollectionError>,
    /// The organisation's CloudWatch telemetry rules for VPC flow logs, read from the
    /// management or delegated-admin account with --org --telemetry-rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_telemetry_rules: Option<Vec<TelemetryRule>>,
    /// Present when the snapshot is the state a Terraform plan would leave (`flowaudit
    /// plan`): what the plan could not say, and what was inferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanFacts>,
    /// What `--observe` saw of the records at the destinations; absent when not observed,
    /// and then every `records` check is an error, never a pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observations: Option<super::Observations>,
}

impl Snapshot {
    /// A snapshot of nothing, written by this flowaudit, collected at `collected_at`.
    pub fn empty(collected_at: impl Into<String>) -> Snapshot {
        Snapshot {
            schema_version: SCHEMA_VERSION,
            tool: ToolInfo {
                name: "flowaudit".to_string(),
                version: crate::VERSION.to_string(),
            },
            collected_at: collected_at.into(),
            scope: CollectionScope {
                accounts: vec![],
                regions: vec![],
            },
            accounts: vec![],
            buckets: vec![],
            collection_errors: vec![],
            organization_telemetry_rules: None,
            plan: None,
            observations: None,
        }
    }
}

/// What a plan leaves open. Evaluation turns every finding these touch into `unknown`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFacts {
    /// The plan file's format_version and the Terraform version that wrote it.
    pub format_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform_version: Option<String>,
    #[serde(default)]
    pub unknowns: Vec<PlanUnknown>,
    #[serde(default)]
    pub inferences: Vec<PlanInference>,
    /// The Terraform address of each resource the plan holds, by its id (or placeholder),
    /// so that a failure's fix can name what to change in the configuration.
    #[serde(default)]
    pub addresses: BTreeMap<String, String>,
}

/// A value that is unknown until apply, or that comes from outside the plan and the
/// existing estate that was supplied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanUnknown {
    pub account_id: String,
    pub region: String,
    /// The id (or, until apply, the placeholder id) of the resource the value belongs to.
    pub resource_id: String,
    /// The Terraform address that sets the value, e.g. `module.vpc.aws_flow_log.this[0]`.
    pub address: String,
    /// The attribute, e.g. `vpc_id`, or what is missing, e.g. `lifecycle`.
    pub attribute: String,
    pub reason: String,
    /// The rules whose findings depend on the value: rule ids, or id prefixes such as `CWL`
    /// for a whole category. Never empty.
    pub affects: Vec<String>,
    /// The value could decide whether any VPC or gateway of its account and region is
    /// covered (a flow log whose resource or traffic type is unknown): their coverage
    /// failures are unknown too.
    #[serde(default)]
    pub affects_coverage: bool,
    /// What the value decides is not in the planned estate (a subnet whose VPC is unknown, a
    /// flow log on a resource outside the plan), so no finding can carry it: it is reported
    /// on its own. Otherwise it is reported only when a finding on `resource_id` rests on
    /// it.
    #[serde(default)]
    pub standalone: bool,
}

/// A reference followed through a local value or a variable the plan does not show, to the
/// one candidate of the right type in the same module instance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInference {
    /// The resources whose findings rest on it: the referring one and the one inferred.
    pub resource_ids: Vec<String>,
    pub address: String,
    pub attribute: String,
    /// Each step, from the attribute to the resource, e.g. `local.vpc_id`.
    pub chain: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// What the collector was asked to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionScope {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSnapshot {
    pub account_id: String,
    #[serde(default)]
    pub regions: Vec<RegionSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSnapshot {
    pub region: String,
    #[serde(default)]
    pub vpcs: Vec<Vpc>,
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterface>,
    #[serde(default)]
    pub flow_logs: Vec<FlowLog>,
    #[serde(default)]
    pub log_groups: Vec<LogGroup>,
    #[serde(default)]
    pub delivery_streams: Vec<DeliveryStream>,
    /// DescribeTransitGateways: every gateway the account sees, its own and those shared
    /// with it. Absent when the region's gateways were not listed (a snapshot from before
    /// flowaudit listed them): gateway coverage there is then unknown, never a pass.
    #[serde(
        rename = "transit_gateways",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transit_gateways: Option<Vec<TransitGateway>>,
    /// DescribeTransitGatewayAttachments, listed when the account owns a gateway in the
    /// region (only the owner can log them); absent when not listed.
    #[serde(
        rename = "transit_gateway_attachments",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transit_gateway_attachments: Option<Vec<TransitGatewayAttachment>>,
    /// The account's CloudWatch telemetry rules for VPC flow logs in this region
    /// (ListTelemetryRules, then GetTelemetryRule), when collected with --telemetry-rules.
    #[serde(
        rename = "telemetry_rules",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub telemetry_rules: Option<Vec<TelemetryRule>>,
    /// What connects the region's VPCs outside themselves, listed with `--connectivity`
    /// (or by a scan whose policy selects VPCs by connectivity). Each is absent when it was
    /// not listed; a profile that asks about connectivity then cannot select a VPC here,
    /// which is an error, never a laxer default. Collecting these also lists every transit
    /// gateway attachment the account sees, not only those of gateways it owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_gateways: Option<Vec<InternetGateway>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_only_internet_gateways: Option<Vec<EgressOnlyInternetGateway>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateways: Option<Vec<NatGateway>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpn_gateways: Option<Vec<VpnGateway>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connections: Option<Vec<VpcPeeringConnection>>,
}

/// A gateway's attachment to a VPC (internet, egress-only and virtual private gateways).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpcAttachment {
    #[serde(rename = "VpcId")]
    pub vpc_id: String,
    /// attaching, attached, detaching, detached (available for internet gateways).
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl VpcAttachment {
    /// Whether the attachment connects its VPC: anything but detaching or detached.
    pub fn is_live(&self) -> bool {
        !matches!(self.state.as_deref(), Some("detaching" | "detached"))
    }
}

/// DescribeInternetGateways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternetGateway {
    #[serde(rename = "InternetGatewayId")]
    pub internet_gateway_id: String,
    #[serde(rename = "Attachments", default)]
    pub attachments: Vec<VpcAttachment>,
}

/// DescribeEgressOnlyInternetGateways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressOnlyInternetGateway {
    #[serde(rename = "EgressOnlyInternetGatewayId")]
    pub egress_only_internet_gateway_id: String,
    #[serde(rename = "Attachments", default)]
    pub attachments: Vec<VpcAttachment>,
}

/// DescribeNatGateways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatGateway {
    #[serde(rename = "NatGatewayId")]
    pub nat_gateway_id: String,
    #[serde(rename = "VpcId")]
    pub vpc_id: String,
    #[serde(rename = "SubnetId", default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// pending, available, deleting, deleted, failed.
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// public or private.
    #[serde(
        rename = "ConnectivityType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub connectivity_type: Option<String>,
}

/// DescribeVpnGateways (virtual private gateways).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpnGateway {
    #[serde(rename = "VpnGatewayId")]
    pub vpn_gateway_id: String,
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(rename = "VpcAttachments", default)]
    pub vpc_attachments: Vec<VpcAttachment>,
}

/// DescribeVpcPeeringConnections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpcPeeringConnection {
    #[serde(rename = "VpcPeeringConnectionId")]
    pub vpc_peering_connection_id: String,
    #[serde(rename = "RequesterVpcInfo", default)]
    pub requester_vpc_info: PeeringVpcInfo,
    #[serde(rename = "AccepterVpcInfo", default)]
    pub accepter_vpc_info: PeeringVpcInfo,
    #[serde(rename = "Status", default)]
    pub status: PeeringStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeeringVpcInfo {
    #[serde(rename = "VpcId", default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(rename = "OwnerId", default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(rename = "Region", default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeeringStatus {
    /// initiating-request, pending-acceptance, active, deleted, rejected, failed, expired,
    /// provisioning, deleting.
    #[serde(rename = "Code", default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A CloudWatch telemetry rule (Observability Admin) that creates VPC flow logs on the
/// VPCs it selects, and with `AllowFieldUpdates` replaces those that drift from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryRule {
    #[serde(rename = "RuleName")]
    pub rule_name: String,
    #[serde(rename = "RuleArn", default, skip_serializing_if = "Option::is_none")]
    pub rule_arn: Option<String>,
    /// AWS::EC2::VPC for the rules flowaudit reads.
    #[serde(
        rename = "ResourceType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_type: Option<String>,
    #[serde(
        rename = "DestinationType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_type: Option<String>,
    #[serde(
        rename = "DestinationPattern",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_pattern: Option<String>,
    #[serde(
        rename = "RetentionInDays",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub retention_in_days: Option<i32>,
    #[serde(
        rename = "TrafficType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub traffic_type: Option<String>,
    #[serde(rename = "LogFormat", default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(
        rename = "MaxAggregationInterval",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_aggregation_interval: Option<i32>,
    /// The accounts or organisational units an organisation rule applies to, as AWS
    /// states it.
    #[serde(rename = "Scope", default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(
        rename = "SelectionCriteria",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub selection_criteria: Option<String>,
    /// The rule replaces managed flow logs whose format, traffic type or interval drift.
    #[serde(rename = "AllowFieldUpdates", default)]
    pub allow_field_updates: bool,
    /// Where the rule was created; it applies there, and in `Regions` (or every region
    /// with `AllRegions`).
    #[serde(
        rename = "HomeRegion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub home_region: Option<String>,
    #[serde(rename = "Regions", default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    #[serde(rename = "AllRegions", default)]
    pub all_regions: bool,
}

impl TelemetryRule {
    /// Whether the rule applies in `region`. A rule whose home region is unknown is taken
    /// to apply where it was listed.
    pub fn applies_in(&self, region: &str) -> bool {
        self.all_regions
            || self.regions.iter().any(|r| r == region)
            || self.home_region.as_deref().is_none_or(|h| h == region)
    }
}

impl RegionSnapshot {
    /// A region with nothing in it yet.
    pub fn new(region: impl Into<String>) -> RegionSnapshot {
        RegionSnapshot {
            region: region.into(),
            vpcs: vec![],
            subnets: vec![],
            network_interfaces: vec![],
            flow_logs: vec![],
            log_groups: vec![],
            delivery_streams: vec![],
            transit_gateways: None,
            transit_gateway_attachments: None,
            telemetry_rules: None,
            internet_gateways: None,
            egress_only_internet_gateways: None,
            nat_gateways: None,
            vpn_gateways: None,
            vpc_peering_connections: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    #[serde(rename = "VpcId")]
    pub vpc_id: String,
    #[serde(rename = "CidrBlock", default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    /// The account that owns the VPC. It differs from the scanned account for a VPC that
    /// another account shares into this one.
    #[serde(rename = "OwnerId")]
    pub owner_id: String,
    #[serde(rename = "IsDefault", default)]
    pub is_default: bool,
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    #[serde(rename = "SubnetId")]
    pub subnet_id: String,
    #[serde(rename = "VpcId")]
    pub vpc_id: String,
    #[serde(
        rename = "AvailabilityZone",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub availability_zone: Option<String>,
    #[serde(rename = "CidrBlock", default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    #[serde(rename = "OwnerId", default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
}

/// One DescribeNetworkInterfaces record. ENIs are most of an estate (510,000 of 714,000
/// resources in the 1,000-account benchmark), so their text is `CompactString`: ids, account
/// ids and states (up to 24 bytes) are held inline rather than as one allocation each,
/// about 150 MB less at that scale. It reads and writes as a JSON string like any other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkInterface {
    #[serde(rename = "NetworkInterfaceId")]
    pub network_interface_id: CompactString,
    #[serde(rename = "SubnetId")]
    pub subnet_id: CompactString,
    #[serde(rename = "VpcId")]
    pub vpc_id: CompactString,
    #[serde(
        rename = "InterfaceType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub interface_type: Option<CompactString>,
    #[serde(rename = "RequesterManaged", default)]
    pub requester_managed: bool,
    #[serde(rename = "Status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CompactString>,
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<CompactString>,
    #[serde(rename = "OwnerId", default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<CompactString>,
    #[serde(
        rename = "Attachment",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub attachment: Option<NetworkInterfaceAttachment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkInterfaceAttachment {
    #[serde(
        rename = "InstanceId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub instance_id: Option<CompactString>,
    #[serde(
        rename = "InstanceOwnerId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub instance_owner_id: Option<CompactString>,
    #[serde(rename = "Status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CompactString>,
}

/// One DescribeFlowLogs record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowLog {
    #[serde(rename = "FlowLogId")]
    pub flow_log_id: String,
    /// vpc-, subnet-, eni-, tgw- or tgw-attach- id.
    #[serde(rename = "ResourceId")]
    pub resource_id: String,
    /// ACCEPT, REJECT or ALL.
    #[serde(
        rename = "TrafficType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub traffic_type: Option<String>,
    /// cloud-watch-logs, s3 or kinesis-data-firehose.
    #[serde(
        rename = "LogDestinationType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_destination_type: Option<String>,
    #[serde(
        rename = "LogDestination",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_destination: Option<String>,
    #[serde(
        rename = "LogGroupName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_group_name: Option<String>,
    #[serde(
        rename = "DeliverLogsPermissionArn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deliver_logs_permission_arn: Option<String>,
    #[serde(
        rename = "DeliverCrossAccountRole",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deliver_cross_account_role: Option<String>,
    #[serde(
        rename = "FlowLogStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub flow_log_status: Option<String>,
    /// SUCCESS or FAILED.
    #[serde(
        rename = "DeliverLogsStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deliver_logs_status: Option<String>,
    #[serde(
        rename = "DeliverLogsErrorMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deliver_logs_error_message: Option<String>,
    /// Absent means the default (version 2) format.
    #[serde(rename = "LogFormat", default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(
        rename = "MaxAggregationInterval",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_aggregation_interval: Option<i32>,
    #[serde(
        rename = "DestinationOptions",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_options: Option<DestinationOptions>,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
    #[serde(
        rename = "CreationTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationOptions {
    /// plain-text or parquet.
    #[serde(
        rename = "FileFormat",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub file_format: Option<String>,
    #[serde(rename = "HiveCompatiblePartitions", default)]
    pub hive_compatible_partitions: bool,
    #[serde(rename = "PerHourPartition", default)]
    pub per_hour_partition: bool,
}

/// One DescribeTransitGateways record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitGateway {
    #[serde(rename = "TransitGatewayId")]
    pub transit_gateway_id: String,
    #[serde(
        rename = "TransitGatewayArn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transit_gateway_arn: Option<String>,
    /// The account that owns it; only the owner can create its flow logs. A gateway shared
    /// through RAM is judged in its owner's account.
    #[serde(rename = "OwnerId")]
    pub owner_id: String,
    /// pending, available, modifying, deleting, deleted.
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
}

/// One DescribeTransitGatewayAttachments record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitGatewayAttachment {
    #[serde(rename = "TransitGatewayAttachmentId")]
    pub transit_gateway_attachment_id: String,
    #[serde(rename = "TransitGatewayId")]
    pub transit_gateway_id: String,
    #[serde(
        rename = "TransitGatewayOwnerId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transit_gateway_owner_id: Option<String>,
    /// vpc, vpn, direct-connect-gateway, connect, peering, tgw-peering.
    #[serde(
        rename = "ResourceType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_type: Option<String>,
    #[serde(
        rename = "ResourceId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_id: Option<String>,
    #[serde(
        rename = "ResourceOwnerId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_owner_id: Option<String>,
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
}

/// One DescribeLogGroups record (CloudWatch Logs uses camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogGroup {
    #[serde(rename = "logGroupName")]
    pub log_group_name: String,
    #[serde(rename = "arn", default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Absent means the group never expires its events.
    #[serde(
        rename = "retentionInDays",
        default,
        deserialize_with = "checked::retention_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub retention_in_days: Option<i32>,
    /// Present when the group is encrypted with a customer-managed KMS key.
    #[serde(rename = "kmsKeyId", default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(
        rename = "storedBytes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stored_bytes: Option<i64>,
    #[serde(
        rename = "creationTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_time: Option<i64>,
    /// STANDARD, INFREQUENT_ACCESS or DELIVERY; absent on groups created before classes
    /// existed, which are STANDARD.
    #[serde(
        rename = "logGroupClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_group_class: Option<String>,
    /// Absent when the API did not say; deletion protection is then taken as off.
    #[serde(
        rename = "deletionProtectionEnabled",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deletion_protection_enabled: Option<bool>,
    /// ACTIVATED, DELETED, ARCHIVED or DISABLED: whether a data protection policy masks
    /// data in the group.
    #[serde(
        rename = "dataProtectionStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_protection_status: Option<String>,
    /// Settings the group takes from its account, such as ACCOUNT_DATA_PROTECTION.
    #[serde(
        rename = "inheritedProperties",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub inherited_properties: Vec<String>,
}

/// A Kinesis Data Firehose stream that a flow log delivers to (DescribeDeliveryStream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryStream {
    #[serde(rename = "DeliveryStreamName")]
    pub delivery_stream_name: String,
    #[serde(
        rename = "DeliveryStreamARN",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delivery_stream_arn: Option<String>,
    /// CREATING, ACTIVE, DELETING, CREATING_FAILED, DELETING_FAILED.
    #[serde(
        rename = "DeliveryStreamStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delivery_stream_status: Option<String>,
    /// Where the stream sends records. Flattened from the API's per-type descriptions.
    #[serde(rename = "Destinations", default)]
    pub destinations: Vec<DeliveryStreamDestination>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryStreamDestination {
    #[serde(rename = "DestinationId")]
    pub destination_id: String,
    /// ExtendedS3, S3, Redshift, Elasticsearch, AmazonOpenSearchService, Splunk, HttpEndpoint, ...
    #[serde(rename = "Type")]
    pub destination_type: String,
    #[serde(rename = "BucketARN", default, skip_serializing_if = "Option::is_none")]
    pub bucket_arn: Option<String>,
}

/// A bucket that flow logs deliver to, with the bucket-level settings retention depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    #[serde(rename = "Name")]
    pub name: String,
    /// `Some(false)` when S3 answered NoSuchBucket; `None` when that could not be told
    /// (for example AccessDenied on a bucket in another account).
    #[serde(rename = "Exists", default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    #[serde(
        rename = "OwnerAccountId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub owner_account_id: Option<String>,
    /// GetBucketLocation, with an empty LocationConstraint already turned into us-east-1.
    #[serde(rename = "Region", default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(
        rename = "Versioning",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub versioning: Option<BucketVersioning>,
    /// NoSuchLifecycleConfiguration is recorded as a lifecycle with no rules.
    #[serde(rename = "Lifecycle", default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<BucketLifecycle>,
    /// ServerSideEncryptionConfigurationNotFoundError is recorded as no rules.
    #[serde(
        rename = "Encryption",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption: Option<BucketEncryption>,
    /// NoSuchPublicAccessBlockConfiguration is recorded as all four settings false.
    #[serde(
        rename = "PublicAccessBlock",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub public_access_block: Option<PublicAccessBlock>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketVersioning {
    /// Enabled or Suspended; absent when versioning was never turned on.
    #[serde(rename = "Status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "MFADelete", default, skip_serializing_if = "Option::is_none")]
    pub mfa_delete: Option<String>,
}

impl BucketVersioning {
    /// A bucket that has ever had versioning on keeps noncurrent versions of overwritten
    /// or expired objects, Suspended included.
    pub fn keeps_noncurrent_versions(&self) -> bool {
        matches!(self.status.as_deref(), Some("Enabled") | Some("Suspended"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketLifecycle {
    #[serde(rename = "Rules", default)]
    pub rules: Vec<LifecycleRule>,
    /// `all_storage_classes_128K` or `varies_by_storage_class`. Absent when it was not
    /// recorded; AWS's default since September 2024, `all_storage_classes_128K`, is then
    /// assumed, because that is the one that can keep objects from moving.
    #[serde(
        rename = "TransitionDefaultMinimumObjectSize",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transition_default_minimum_object_size: Option<String>,
}

/// One lifecycle rule in the shape GetBucketLifecycleConfiguration returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRule {
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Enabled or Disabled.
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "Filter", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<LifecycleFilter>,
    /// The legacy top-level prefix some buckets still return instead of a Filter.
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(
        rename = "Expiration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration: Option<LifecycleExpiration>,
    #[serde(rename = "Transitions", default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
    #[serde(
        rename = "NoncurrentVersionExpiration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub noncurrent_version_expiration: Option<NoncurrentVersionExpiration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleFilter {
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(rename = "Tag", default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Tag>,
    #[serde(
        rename = "ObjectSizeGreaterThan",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub object_size_greater_than: Option<i64>,
    #[serde(
        rename = "ObjectSizeLessThan",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub object_size_less_than: Option<i64>,
    #[serde(rename = "And", default, skip_serializing_if = "Option::is_none")]
    pub and: Option<LifecycleFilterAnd>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleFilterAnd {
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(rename = "Tags", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(
        rename = "ObjectSizeGreaterThan",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub object_size_greater_than: Option<i64>,
    #[serde(
        rename = "ObjectSizeLessThan",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub object_size_less_than: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleExpiration {
    #[serde(
        rename = "Days",
        default,
        deserialize_with = "checked::positive_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub days: Option<i32>,
    /// ISO 8601 date (YYYY-MM-DD, optionally with a midnight UTC time).
    #[serde(
        rename = "Date",
        default,
        deserialize_with = "checked::lifecycle_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub date: Option<String>,
    #[serde(
        rename = "ExpiredObjectDeleteMarker",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expired_object_delete_marker: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// 0 is valid here: it moves objects on the day they are written.
    #[serde(
        rename = "Days",
        default,
        deserialize_with = "checked::non_negative_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub days: Option<i32>,
    #[serde(
        rename = "Date",
        default,
        deserialize_with = "checked::lifecycle_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub date: Option<String>,
    #[serde(rename = "StorageClass")]
    pub storage_class: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NoncurrentVersionExpiration {
    #[serde(
        rename = "NoncurrentDays",
        default,
        deserialize_with = "checked::positive_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub noncurrent_days: Option<i32>,
    /// How many newer noncurrent versions S3 keeps before expiring one (1 to 100).
    #[serde(
        rename = "NewerNoncurrentVersions",
        default,
        deserialize_with = "checked::newer_noncurrent_versions",
        skip_serializing_if = "Option::is_none"
    )]
    pub newer_noncurrent_versions: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketEncryption {
    #[serde(rename = "Rules", default)]
    pub rules: Vec<EncryptionRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionRule {
    /// AES256, aws:kms or aws:kms:dsse.
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
    #[serde(
        rename = "KMSMasterKeyID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kms_master_key_id: Option<String>,
    #[serde(
        rename = "BucketKeyEnabled",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub bucket_key_enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PublicAccessBlock {
    #[serde(rename = "BlockPublicAcls", default)]
    pub block_public_acls: bool,
    #[serde(rename = "IgnorePublicAcls", default)]
    pub ignore_public_acls: bool,
    #[serde(rename = "BlockPublicPolicy", default)]
    pub block_public_policy: bool,
    #[serde(rename = "RestrictPublicBuckets", default)]
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub fn fully_enabled(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }

    /// The settings that are off, by their API names, for messages.
    pub fn disabled_settings(&self) -> Vec<&'static str> {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(name, _)| name)
        .collect()
    }
}

/// The code of a collection error that stands for a whole account and region: its
/// endpoint did not answer, so nothing else was asked there. Every listing of that region
/// is unknown.
pub const ENDPOINT_UNREACHABLE: &str = "EndpointUnreachable";

/// A call that failed during collection. Each one becomes an `error` finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionError {
    pub account_id: String,
    /// The region the call was made in; `global` for calls that have none.
    pub region: String,
    /// ec2, logs, s3, firehose, sts.
    pub service: String,
    pub operation: String,
    /// The AWS error code (AccessDenied, Throttling, ...) or a transport error kind.
    pub code: String,
    pub message: String,
    /// The resource the call was about, when it was about one (a bucket name, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

/// Tags as a map, for matching policy selectors.
pub fn tag_map(tags: &[Tag]) -> BTreeMap<&str, &str> {
    tags.iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect()
}
