//! Coverage: is every VPC, subnet or ENI recorded by a flow log that meets the policy?
//!
//! A resource is covered by a log on itself or on anything that contains it: an ENI by a
//! log on the ENI, its subnet or its VPC; a subnet by a log on the subnet or its VPC. Tools
//! that only look for a VPC-level log get both directions wrong: they fail VPCs covered
//! entirely by subnet or ENI logs, and they cannot see a subnet that nothing covers.

use serde_json::{Value, json};

use super::{Family, Rule, Subject, Verdict, collection};
use crate::aws::TrafficType;
use crate::evaluate::{Context, ScopedVpc, short_list};
use crate::findings::{Category, Finding, Severity};
use crate::policy::{CoverageLevel, Profile};
use crate::snapshot::{FlowLog, NetworkInterface, Subnet};

pub static VPC_WITHOUT_FLOW_LOG: Rule = Rule {
    id: "COV001",
    name: "vpc-without-flow-log",
    category: Category::Coverage,
    default_severity: Severity::High,
    summary: "The VPC has no qualifying VPC-level flow log (policy level `vpc`).",
    what: "Under `coverage.level: vpc`, checks that the VPC itself has a flow log that \
           counts: ACTIVE, capturing an accepted traffic type and, when the policy requires \
           it, delivering successfully.",
    why: "A VPC-level log records every ENI in the VPC, including those created later by \
          Lambda, load balancers or NAT gateways. Without it, traffic in the VPC leaves no \
          record to investigate.",
    fix: "Create a VPC-level flow log:\n  aws ec2 create-flow-logs --resource-type VPC \
          --resource-ids vpc-0abc --traffic-type ALL --log-destination-type s3 \
          --log-destination arn:aws:s3:::central-flow-logs",
};

pub static SUBNET_WITHOUT_FLOW_LOG: Rule = Rule {
    id: "COV002",
    name: "subnet-without-flow-log",
    category: Category::Coverage,
    default_severity: Severity::High,
    summary: "Some subnets of the VPC are covered by no qualifying flow log (policy level `subnet`).",
    what: "Under `coverage.level: subnet`, checks that every subnet of the VPC is covered by \
           a qualifying flow log on the subnet or on the VPC. The finding names each \
           uncovered subnet. A VPC with no subnets needs a VPC-level log.",
    why: "Subnet-level logs are a valid way to cover a VPC, but a subnet added later is \
          covered by nothing until someone remembers it. Its traffic is then invisible.",
    fix: "Create a flow log on the VPC (covers every subnet, now and later), or on each \
          uncovered subnet:\n  aws ec2 create-flow-logs --resource-type Subnet \
          --resource-ids subnet-0abc --traffic-type ALL --log-destination-type s3 \
          --log-destination arn:aws:s3:::central-flow-logs",
};

pub static ENI_WITHOUT_FLOW_LOG: Rule = Rule {
    id: "COV003",
    name: "eni-without-flow-log",
    category: Category::Coverage,
    default_severity: Severity::High,
    summary: "Some network interfaces of the VPC are covered by no qualifying flow log (policy level `eni`).",
    what: "Under `coverage.level: eni`, checks that every ENI of the VPC is covered by a \
           qualifying flow log on the ENI, its subnet or its VPC. The finding names each \
           uncovered ENI and its subnet. A VPC with no ENIs is judged by its subnets, so \
           that the next ENI created there is recorded, unless the policy sets \
           `include_empty_vpcs: false`.",
    why: "Flow logs record only traffic that passes through an ENI. An ENI that no log \
          covers (a new instance, a Lambda or load-balancer interface in an unlogged \
          subnet) is a blind spot for incident response and for audit.",
    fix: "Create a flow log on the VPC, which covers every ENI, or on the uncovered \
          subnets:\n  aws ec2 create-flow-logs --resource-type VPC --resource-ids vpc-0abc \
          --traffic-type ALL --log-destination-type cloud-watch-logs --log-group-name \
          /vpc/flow-logs --deliver-logs-permission-arn arn:aws:iam::111122223333:role/flow-logs",
};

/// Why a flow log does not record anything, whatever its traffic type, if it does not.
fn inactive(flow_log: &FlowLog, profile: &Profile) -> Option<String> {
    let status = flow_log.flow_log_status.as_deref().unwrap_or("unknown");
    if status != "ACTIVE" {
        return Some(format!("FlowLogStatus is {status}, not ACTIVE"));
    }
    let require_delivery = profile
        .requirements
        .flow_logs
        .as_ref()
        .is_some_and(|r| r.require_delivery_success);
    if require_delivery && flow_log.deliver_logs_status.as_deref() == Some("FAILED") {
        return Some(format!(
            "delivery FAILED: {}",
            flow_log
                .deliver_logs_error_message
                .as_deref()
                .unwrap_or("no error message")
        ));
    }
    None
}

/// The log that completes `flow_log` to ALL traffic, where the policy accepts ALL but not
/// the log's own type: a working REJECT log on the same resource for an ACCEPT log, or the
/// other way round. Together the two record every accepted and every rejected flow, which
/// is what ALL records, so each of them counts (a decision documented in FLS003).
pub(crate) fn complement<'a>(
    flow_log: &FlowLog,
    siblings: &[&'a FlowLog],
    profile: &Profile,
) -> Option<&'a FlowLog> {
    let accepted = &profile.requirements.flow_logs.as_ref()?.traffic_types;
    if !accepted.contains(&TrafficType::All) {
        return None;
    }
    let other = match flow_log.traffic_type.as_deref()? {
        "ACCEPT" => "REJECT",
        "REJECT" => "ACCEPT",
        _ => return None,
    };
    siblings.iter().copied().find(|s| {
        s.flow_log_id != flow_log.flow_log_id
            && s.resource_id == flow_log.resource_id
            && s.traffic_type.as_deref() == Some(other)
            && inactive(s, profile).is_none()
    })
}

/// Why a flow log does not count toward coverage under a profile, if it does not.
/// `siblings` are the flow logs on the same resource (it may be among them).
pub(crate) fn disqualification(
    flow_log: &FlowLog,
    siblings: &[&FlowLog],
    profile: &Profile,
) -> Option<String> {
    if let Some(reason) = inactive(flow_log, profile) {
        return Some(reason);
    }
    let req = profile.requirements.flow_logs.as_ref()?;
    let traffic = flow_log.traffic_type.as_deref().unwrap_or("unknown");
    if req.traffic_types.is_empty()
        || req.traffic_types.iter().any(|t| t.as_str() == traffic)
        || complement(flow_log, siblings, profile).is_some()
    {
        return None;
    }
    let accepted: Vec<&str> = req.traffic_types.iter().map(|t| t.as_str()).collect();
    Some(format!(
        "TrafficType {traffic} is not accepted (policy accepts {})",
        accepted.join(", ")
    ))
}

/// What is left uncovered in a VPC at a coverage level, counting only logs that `counts`.
pub(crate) struct Gap<'a> {
    /// What the verdict was judged on: "vpc", "subnets" or "network interfaces".
    pub judged: &'static str,
    pub total: usize,
    pub uncovered_subnets: Vec<&'a Subnet>,
    pub uncovered_enis: Vec<&'a NetworkInterface>,
    pub vpc_uncovered: bool,
}

impl Gap<'_> {
    pub fn is_covered(&self) -> bool {
        !self.vpc_uncovered && self.uncovered_subnets.is_empty() && self.uncovered_enis.is_empty()
    }

    pub fn uncovered_ids(&self) -> Vec<String> {
        if self.vpc_uncovered {
            return vec!["the VPC itself".to_string()];
        }
        if !self.uncovered_enis.is_empty() {
            return self
                .uncovered_enis
                .iter()
                .map(|e| format!("{} ({})", e.network_interface_id, e.subnet_id))
                .collect();
        }
        self.uncovered_subnets
            .iter()
            .map(|s| s.subnet_id.clone())
            .collect()
    }

    pub fn evidence(&self) -> Value {
        json!({
            "judged": self.judged,
            "total": self.total,
            "vpc_uncovered": self.vpc_uncovered,
            "uncovered_subnets": self.uncovered_subnets.iter().map(|s| s.subnet_id.as_str()).collect::<Vec<_>>(),
            "uncovered_network_interfaces": self.uncovered_enis.iter().map(|e| json!({
                "NetworkInterfaceId": e.network_interface_id,
                "SubnetId": e.subnet_id,
                "InterfaceType": e.interface_type,
                "Description": e.description,
            })).collect::<Vec<_>>(),
        })
    }
}

/// `counts` says whether a flow log counts, given the logs on the same resource.
pub(crate) fn gap<'a>(
    vpc: &ScopedVpc<'a>,
    level: CoverageLevel,
    counts: &dyn Fn(&FlowLog, &[&FlowLog]) -> bool,
) -> Gap<'a> {
    let logged = |resource: &str| {
        let logs = vpc.flow_logs_on(resource);
        logs.iter().any(|fl| counts(fl, logs))
    };
    let vpc_logged = logged(vpc.id());
    let subnet_logged = |subnet_id: &str| vpc_logged || logged(subnet_id);
    let enis = vpc.network_interfaces();
    let subnets = vpc.subnets();
    let judge_vpc = Gap {
        judged: "vpc",
        total: 1,
        uncovered_subnets: vec![],
        uncovered_enis: vec![],
        vpc_uncovered: !vpc_logged,
    };
    let judge_subnets = || Gap {
        judged: "subnets",
        total: subnets.len(),
        uncovered_subnets: subnets
            .iter()
            .copied()
            .filter(|s| !subnet_logged(&s.subnet_id))
            .collect(),
        uncovered_enis: vec![],
        vpc_uncovered: false,
    };
    match level {
        CoverageLevel::Vpc => judge_vpc,
        CoverageLevel::Subnet | CoverageLevel::Eni if subnets.is_empty() && enis.is_empty() => {
            judge_vpc
        }
        CoverageLevel::Subnet => judge_subnets(),
        CoverageLevel::Eni if enis.is_empty() => judge_subnets(),
        CoverageLevel::Eni => Gap {
            judged: "network interfaces",
            total: enis.len(),
            uncovered_subnets: vec![],
            uncovered_enis: enis
                .iter()
                .copied()
                .filter(|e| !subnet_logged(&e.subnet_id) && !logged(&e.network_interface_id))
                .collect(),
            vpc_uncovered: false,
        },
    }
}

/// Every flow log attached to the VPC or its parts, with whether it counts and why not.
fn flow_log_evidence(vpc: &ScopedVpc, profile: &Profile) -> (Vec<Value>, Vec<Value>) {
    let mut qualifying = Vec::new();
    let mut not_counted = Vec::new();
    for resource in vpc.covering_resource_ids() {
        let siblings = vpc.flow_logs_on(resource);
        for fl in siblings {
            match disqualification(fl, siblings, profile) {
                None => qualifying.push(json!({
                    "FlowLogId": fl.flow_log_id,
                    "ResourceId": fl.resource_id,
                    "TrafficType": fl.traffic_type,
                    "LogDestinationType": fl.log_destination_type,
                })),
                Some(reason) => not_counted.push(json!({
                    "FlowLogId": fl.flow_log_id,
                    "ResourceId": fl.resource_id,
                    "reason": reason,
                })),
            }
        }
    }
    (qualifying, not_counted)
}

fn create_command(vpc: &ScopedVpc, profile: &Profile) -> String {
    let traffic = profile
        .requirements
        .flow_logs
        .as_ref()
        .and_then(|f| f.traffic_types.first())
        .map_or("ALL", |t| t.as_str());
    format!(
        "aws ec2 create-flow-logs --region {} --resource-type VPC --resource-ids {} --traffic-type {traffic} --log-destination-type s3 --log-destination arn:aws:s3:::<flow-log-bucket>",
        vpc.region(),
        vpc.id()
    )
}

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[
        &VPC_WITHOUT_FLOW_LOG,
        &SUBNET_WITHOUT_FLOW_LOG,
        &ENI_WITHOUT_FLOW_LOG,
    ],
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for vpc in &ctx.vpcs {
        let profile = vpc.profile;
        let Some(req) = &profile.requirements.coverage else {
            continue;
        };
        if !collection::ec2_failures(ctx, vpc).is_empty() {
            continue; // COV-unverifiable: reported as an error by the collection rules.
        }
        let rule = match req.level {
            CoverageLevel::Vpc => &VPC_WITHOUT_FLOW_LOG,
            CoverageLevel::Subnet => &SUBNET_WITHOUT_FLOW_LOG,
            CoverageLevel::Eni => &ENI_WITHOUT_FLOW_LOG,
        };
        let gap = gap(vpc, req.level, &|fl, siblings| {
            disqualification(fl, siblings, profile).is_none()
        });
        let (qualifying, not_counted) = flow_log_evidence(vpc, profile);
        let mut evidence = gap.evidence();
        if let Value::Object(map) = &mut evidence {
            map.insert("level".into(), json!(req.level));
            map.insert(
                "qualifying_flow_logs".into(),
                Value::Array(qualifying.clone()),
            );
            map.insert(
                "flow_logs_not_counted".into(),
                Value::Array(not_counted.clone()),
            );
        }
        let verdict = if gap.is_covered() {
            let via: Vec<&str> = qualifying
                .iter()
                .filter_map(|q| q.get("FlowLogId").and_then(Value::as_str))
                .collect();
            Verdict::pass(
                format!(
                    "{} covered ({} of {} {}) by {}",
                    vpc.id(),
                    gap.total,
                    gap.total,
                    gap.judged,
                    short_list(&via)
                ),
                evidence,
            )
        } else {
            let uncovered = gap.uncovered_ids();
            let mut message = if gap.vpc_uncovered {
                format!("{} has no qualifying VPC-level flow log", vpc.id())
            } else {
                format!(
                    "{}: {} of {} {} have no qualifying flow log: {}",
                    vpc.id(),
                    uncovered.len(),
                    gap.total,
                    gap.judged,
                    short_list(&uncovered)
                )
            };
            if gap.judged == "subnets" && req.level == CoverageLevel::Eni {
                message.push_str(" (the VPC has no ENIs yet, so its subnets are judged)");
            }
            if let Some(first) = not_counted.first() {
                message.push_str(&format!(
                    "; {} does not count: {}",
                    first
                        .get("FlowLogId")
                        .and_then(Value::as_str)
                        .unwrap_or("a flow log"),
                    first.get("reason").and_then(Value::as_str).unwrap_or("")
                ));
            }
            Verdict::fail(message, evidence, create_command(vpc, profile))
        };
        out.push(rule.finding(&vpc_subject(vpc), verdict));
    }
}

pub(crate) fn vpc_subject(vpc: &ScopedVpc) -> Subject {
    Subject {
        resource_type: "vpc",
        resource_id: vpc.id().to_string(),
        resource_arn: Some(vpc.arn()),
        account_id: vpc.account_id().to_string(),
        region: vpc.region().to_string(),
        profile: Some(vpc.profile.name.clone()),
    }
}
