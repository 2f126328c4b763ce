//! The policy file's schema. Every type rejects unknown keys, and every value that can be
//! wrong on its own is checked where it is parsed (see `checked`).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::checked::{checked_map, checked_str, checked_u32};
pub use super::records::{RecordsRequirement, Silence};
pub use super::waiver::{RuleId, Waiver};
pub use crate::aws::{
    CLOUDWATCH_RETENTION_DAYS, DEFAULT_LOG_FIELDS, DestinationType, LOG_FIELDS, TrafficType,
};
use crate::findings::Severity;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Applies to VPCs that no profile matches. Without it such VPCs are out of scope.
    #[serde(default)]
    pub default: Option<Requirements>,
    /// Tried in order; the first whose `match` selects a VPC applies to it.
    #[serde(default)]
    pub profiles: Vec<ProfileFile>,
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// Per-rule severity overrides.
    #[serde(default)]
    pub severity: BTreeMap<RuleId, Severity>,
    /// Remediation deadlines per severity (`high: 7d`): a problem open longer is overdue.
    #[serde(default)]
    pub deadlines: BTreeMap<Severity, Deadline>,
}

/// A remediation deadline in days, written `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Deadline(pub u32);

impl<'de> Deserialize<'de> for Deadline {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(d, "a number of days such as 7d", |v| {
            v.strip_suffix('d')
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| *n >= 1)
                .map(Deadline)
                .ok_or_else(|| {
                    format!(
                        "deadline `{v}` is not a number of days; expected for example 1d, 7d or 30d"
                    )
                })
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub name: String,
    #[serde(rename = "match", default)]
    pub selector: Selector,
    /// Sections given here replace the default's section of the same name; sections left
    /// out come from `default`.
    #[serde(default)]
    pub requirements: Requirements,
}

/// Which VPCs a profile applies to. Every criterion given must hold; an empty selector
/// matches every VPC.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    #[serde(default)]
    pub accounts: Vec<AccountId>,
    #[serde(default)]
    pub regions: Vec<String>,
    /// Tag key to accepted values. The VPC must carry every key with one of its values.
    #[serde(default)]
    pub vpc_tags: BTreeMap<String, Vec<String>>,
    /// The VPC has any of these connections outside itself. Needs the snapshot's
    /// connectivity listings (`--connectivity`); without them, or when one failed, the VPC
    /// is an error under this profile, never judged by a later one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connectivity: Vec<Connectivity>,
}

/// How a VPC reaches outside itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    /// An internet gateway or an egress-only internet gateway is attached.
    Internet,
    /// A NAT gateway is in the VPC.
    Nat,
    /// A virtual private gateway is attached.
    Vpn,
    /// A transit gateway attachment.
    TransitGateway,
    /// An active VPC peering connection.
    Peering,
}

impl Connectivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Connectivity::Internet => "internet",
            Connectivity::Nat => "nat",
            Connectivity::Vpn => "vpn",
            Connectivity::TransitGateway => "transit_gateway",
            Connectivity::Peering => "peering",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AccountId(pub String);

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A 12-digit id is often written unquoted in YAML, so numbers are accepted too.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = AccountId;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a 12-digit AWS account id")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AccountId, E> {
                self.visit_str(&format!("{v:012}"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AccountId, E> {
                if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(AccountId(v.to_string()))
                } else {
                    Err(E::custom(format!(
                        "`{v}` is not an AWS account id; expected 12 digits"
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// What a VPC in scope must satisfy. A section that is absent is not checked.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_logs: Option<FlowLogRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<DestinationRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch: Option<CloudWatchRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Requirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_gateways: Option<TransitGatewayRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordsRequirement>,
}

impl Requirements {
    /// Section-wise fallback: each section this set lacks is taken from `fallback`.
    pub fn or(&self, fallback: &Requirements) -> Requirements {
        Requirements {
            coverage: self.coverage.clone().or_else(|| fallback.coverage.clone()),
            flow_logs: self
                .flow_logs
                .clone()
                .or_else(|| fallback.flow_logs.clone()),
            destinations: self
                .destinations
                .clone()
                .or_else(|| fallback.destinations.clone()),
            cloudwatch: self
                .cloudwatch
                .clone()
                .or_else(|| fallback.cloudwatch.clone()),
            s3: self.s3.clone().or_else(|| fallback.s3.clone()),
            transit_gateways: self
                .transit_gateways
                .clone()
                .or_else(|| fallback.transit_gateways.clone()),
            records: self.records.clone().or_else(|| fallback.records.clone()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageLevel {
    /// Every ENI is covered by a log on itself, its subnet or its VPC.
    Eni,
    /// Every subnet is covered by a log on itself or its VPC.
    Subnet,
    /// The VPC itself has a log.
    Vpc,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageRequirement {
    pub level: CoverageLevel,
    /// A VPC with no ENIs is still judged (its subnets must be covered, so that the next
    /// ENI created there is recorded) unless this is false.
    #[serde(default = "yes")]
    pub include_empty_vpcs: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowLogRequirement {
    /// Traffic types a flow log may capture to count. Empty accepts any.
    #[serde(default)]
    pub traffic_types: Vec<TrafficType>,
    /// 60 or 600 seconds.
    #[serde(
        default,
        deserialize_with = "aggregation_interval",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_aggregation_interval: Option<u32>,
    /// Fields the log format must include, by their `${name}`.
    #[serde(default)]
    pub required_fields: Vec<LogField>,
    /// A flow log whose delivery FAILED does not count toward coverage.
    #[serde(default)]
    pub require_delivery_success: bool,
}

fn aggregation_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    checked_u32(d, "60 or 600", |v| match v {
        60 | 600 => Ok(()),
        _ => Err(format!(
            "max_aggregation_interval {v} is not one AWS offers; expected 60 or 600 (seconds)"
        )),
    })
    .map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LogField(pub String);

impl<'de> Deserialize<'de> for LogField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(d, "a flow log field name", |v| {
            let name = v.trim_start_matches("${").trim_end_matches('}');
            if LOG_FIELDS.contains(&name) {
                Ok(LogField(name.to_string()))
            } else {
                Err(format!(
                    "`{v}` is not a flow log field; expected one of {}",
                    LOG_FIELDS.join(", ")
                ))
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DestinationRequirement {
    /// Destination types a flow log may use. Empty allows any.
    pub allowed: Vec<DestinationType>,
    /// Every covered resource must reach each of these types through a qualifying log.
    pub required: Vec<DestinationType>,
    /// The destinations a flow log may deliver to, by ARN glob; a log to any other does
    /// not count toward coverage. Empty allows any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_arns: Vec<ArnPattern>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDestinationRequirement {
    #[serde(default)]
    allowed: Vec<DestinationType>,
    #[serde(default)]
    required: Vec<DestinationType>,
    #[serde(default)]
    allowed_arns: Vec<ArnPattern>,
}

/// A glob over destination ARNs (`*` any run of characters, `/` and `:` included; `?` one
/// character), checked where it is written.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct ArnPattern {
    pub pattern: String,
    #[serde(skip)]
    matcher: globset::GlobMatcher,
}

impl PartialEq for ArnPattern {
    fn eq(&self, other: &ArnPattern) -> bool {
        self.pattern == other.pattern
    }
}

impl ArnPattern {
    pub fn matches(&self, arn: &str) -> bool {
        self.matcher.is_match(arn)
    }
}

impl<'de> Deserialize<'de> for ArnPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(
            d,
            "an ARN pattern such as arn:aws:s3:::org-flow-logs/*",
            |v| {
                if !v.starts_with("arn:") {
                    return Err(format!(
                        "`{v}` is not an ARN pattern; expected one starting with arn:, such as arn:aws:s3:::org-flow-logs or arn:aws:logs:*:*:log-group:/org/vpc-flow-logs*"
                    ));
                }
                globset::GlobBuilder::new(v)
                    .literal_separator(false)
                    .build()
                    .map(|g| ArnPattern {
                        pattern: v.to_string(),
                        matcher: g.compile_matcher(),
                    })
                    .map_err(|e| format!("ARN pattern `{v}`: {e}"))
            },
        )
    }
}

impl TryFrom<RawDestinationRequirement> for DestinationRequirement {
    type Error = String;
    fn try_from(raw: RawDestinationRequirement) -> Result<Self, String> {
        if !raw.allowed.is_empty()
            && let Some(t) = raw.required.iter().find(|t| !raw.allowed.contains(t))
        {
            return Err(format!(
                "destination type `{}` is required but not in `allowed`; a policy cannot require what it forbids",
                t.as_str()
            ));
        }
        Ok(DestinationRequirement {
            allowed: raw.allowed,
            required: raw.required,
            allowed_arns: raw.allowed_arns,
        })
    }
}

impl<'de> Deserialize<'de> for DestinationRequirement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map::<_, RawDestinationRequirement, _>(d)
    }
}

/// A `{min, max}` range of days. `min` above `max` is rejected where it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DayRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

impl DayRange {
    fn checked(min: Option<u32>, max: Option<u32>) -> Result<DayRange, String> {
        match (min, max) {
            (Some(min), Some(max)) if min > max => Err(format!(
                "min ({min} days) is above max ({max} days); no value can satisfy both"
            )),
            _ => Ok(DayRange { min, max }),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDayRange {
    #[serde(default, deserialize_with = "positive_days")]
    min: Option<u32>,
    #[serde(default, deserialize_with = "positive_days")]
    max: Option<u32>,
}

fn positive_days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    checked_u32(d, "a number of days", |v| {
        if v == 0 {
            Err("0 days is not a retention; expected at least 1".to_string())
        } else {
            Ok(())
        }
    })
    .map(Some)
}

impl TryFrom<RawDayRange> for DayRange {
    type Error = String;
    fn try_from(raw: RawDayRange) -> Result<Self, String> {
        DayRange::checked(raw.min, raw.max)
    }
}

/// A range of CloudWatch retention values: each bound must be one AWS accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct RetentionRange(pub DayRange);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetentionRange {
    #[serde(default, deserialize_with = "cloudwatch_retention")]
    min: Option<u32>,
    #[serde(default, deserialize_with = "cloudwatch_retention")]
    max: Option<u32>,
}

fn cloudwatch_retention<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    checked_u32(d, "a CloudWatch Logs retention in days", |v| {
        if CLOUDWATCH_RETENTION_DAYS.contains(&v) {
            Ok(())
        } else {
            let list: Vec<String> = CLOUDWATCH_RETENTION_DAYS
                .iter()
                .map(u32::to_string)
                .collect();
            Err(format!(
                "{v} days is not a retention CloudWatch Logs accepts; expected one of {}",
                list.join(", ")
            ))
        }
    })
    .map(Some)
}

impl TryFrom<RawRetentionRange> for RetentionRange {
    type Error = String;
    fn try_from(raw: RawRetentionRange) -> Result<Self, String> {
        DayRange::checked(raw.min, raw.max).map(RetentionRange)
    }
}

impl<'de> Deserialize<'de> for DayRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map::<_, RawDayRange, _>(d)
    }
}

impl<'de> Deserialize<'de> for RetentionRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map::<_, RawRetentionRange, _>(d)
    }
}

/// Which transit gateway resources must have a flow log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitGatewayCoverage {
    /// Every transit gateway has a flow log on itself.
    Gateway,
    /// Every attachment is covered, by a flow log on itself or on its gateway.
    Attachment,
    /// Transit gateways are not judged (their flow logs are out of scope).
    #[default]
    Off,
}

/// What transit gateways must satisfy. A gateway is judged under the first profile whose
/// accounts, regions and tags (the `vpc_tags` criterion, read on the gateway's own tags)
/// select it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransitGatewayRequirement {
    #[serde(default)]
    pub coverage: TransitGatewayCoverage,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchRequirement {
    #[serde(default)]
    pub retention_days: RetentionRange,
    /// A group without retention keeps events forever.
    #[serde(default = "yes")]
    pub forbid_never_expire: bool,
    /// The group must be encrypted with a customer-managed KMS key.
    #[serde(default)]
    pub require_kms: bool,
    /// Log groups whose names match one of these globs (`/aws/vpc/flow*`) hold flow-log
    /// data and are judged for retention even when no flow log writes to them any more:
    /// old data is kept as long as the group says, whoever wrote it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_group_patterns: Vec<LogGroupPattern>,
    /// The log group classes flow-log groups may have (STANDARD, INFREQUENT_ACCESS,
    /// DELIVERY); empty allows any. A DELIVERY-class group keeps events one day whatever
    /// its retention says, and the retention rules judge it so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_classes: Vec<crate::aws::LogGroupClass>,
    /// Flow-log groups must have deletion protection on.
    #[serde(default)]
    pub require_deletion_protection: bool,
}

/// A glob over log group names, checked where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct LogGroupPattern(pub String);

impl LogGroupPattern {
    pub fn matcher(&self) -> Option<globset::GlobMatcher> {
        globset::Glob::new(&self.0)
            .ok()
            .map(|g| g.compile_matcher())
    }
}

impl<'de> Deserialize<'de> for LogGroupPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(d, "a log group name pattern such as /aws/vpc/flow*", |v| {
            globset::Glob::new(v)
                .map(|_| LogGroupPattern(v.to_string()))
                .map_err(|e| format!("log group pattern `{v}`: {e}"))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct S3Requirement {
    /// When flow-log objects must expire: at least `min` days (evidence), at most `max`
    /// (cost and privacy).
    pub expiration_days: DayRange,
    /// Objects that never expire fail a range with a minimum (true, the default, as for
    /// CloudWatch); false lets "never" meet a minimum-only range. A maximum always
    /// forbids it.
    pub forbid_never_expire: bool,
    pub transition: Option<TransitionRequirement>,
    pub noncurrent_version_expiration: Option<NoncurrentRequirement>,
    pub require_encryption: bool,
    pub require_kms: bool,
    pub require_public_access_block: bool,
    /// Records younger than this many days must sit in a storage class that needs no
    /// restore (PCI DSS 10.5.1: the last three months at hand). Judged from what
    /// `--observe` saw (REC004).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immediately_available_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawS3Requirement {
    #[serde(default)]
    expiration_days: DayRange,
    #[serde(default = "yes")]
    forbid_never_expire: bool,
    #[serde(default)]
    transition: Option<TransitionRequirement>,
    #[serde(default)]
    noncurrent_version_expiration: Option<NoncurrentRequirement>,
    #[serde(default)]
    require_encryption: bool,
    #[serde(default)]
    require_kms: bool,
    #[serde(default)]
    require_public_access_block: bool,
    #[serde(default, deserialize_with = "positive_days")]
    immediately_available_days: Option<u32>,
}

impl TryFrom<RawS3Requirement> for S3Requirement {
    type Error = String;
    fn try_from(raw: RawS3Requirement) -> Result<Self, String> {
        if let (Some(t), Some(max)) = (&raw.transition, raw.expiration_days.max)
            && t.within_days >= max
        {
            return Err(format!(
                "transition.within_days ({}) is not below expiration_days.max ({max}); objects would expire before they must move",
                t.within_days
            ));
        }
        Ok(S3Requirement {
            expiration_days: raw.expiration_days,
            forbid_never_expire: raw.forbid_never_expire,
            transition: raw.transition,
            noncurrent_version_expiration: raw.noncurrent_version_expiration,
            require_encryption: raw.require_encryption || raw.require_kms,
            require_kms: raw.require_kms,
            require_public_access_block: raw.require_public_access_block,
            immediately_available_days: raw.immediately_available_days,
        })
    }
}

impl<'de> Deserialize<'de> for S3Requirement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map::<_, RawS3Requirement, _>(d)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequirement {
    /// Any of these storage classes satisfies the requirement.
    pub storage_classes: Vec<String>,
    #[serde(deserialize_with = "positive_days_required")]
    pub within_days: u32,
}

fn positive_days_required<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    checked_u32(d, "a number of days", |_| Ok(()))
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NoncurrentRequirement {
    /// On a versioned bucket, a rule must expire noncurrent versions.
    #[serde(default = "yes")]
    pub required: bool,
    /// ... within this many days of becoming noncurrent.
    #[serde(
        default,
        deserialize_with = "positive_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_days: Option<u32>,
}
