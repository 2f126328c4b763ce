//! Coverage: is every VPC, subnet or ENI recorded by a flow log that meets the policy?
//!
//! A resource is covered by a log on itself or on anything that contains it: an ENI by a
//! log on the ENI, its subnet or its VPC; a subnet by a log on the subnet or its VPC. Tools
//! that only look for a VPC-level log get both directions wrong: they fail VPCs covered
//! entirely by subnet or ENI logs, and they cannot see a subnet that nothing covers.

use serde_json::{Value, json};

use super::{Family, Rule, Verdict, vpc_subject};
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, ScopedVpc, gap, short_list};
use crate::policy::{CoverageLevel, Profile};

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

/// Every flow log attached to the VPC or its parts, with whether it counts and why not.
fn flow_log_evidence(ctx: &Context, vpc: &ScopedVpc) -> (Vec<Value>, Vec<Value>) {
    let mut qualifying = Vec::new();
    let mut not_counted = Vec::new();
    for resource in vpc.covering_resource_ids() {
        for &i in ctx.logs_on(vpc, resource) {
            let scoped = &ctx.flow_logs[i];
            let fl = scoped.flow_log;
            match &scoped.qualification.disqualification {
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
        if !ctx.coverage_failures(vpc).is_empty() {
            continue; // COV-unverifiable: reported as an error by the collection rules.
        }
        let rule = match req.level {
            CoverageLevel::Vpc => &VPC_WITHOUT_FLOW_LOG,
            CoverageLevel::Subnet => &SUBNET_WITHOUT_FLOW_LOG,
            CoverageLevel::Eni => &ENI_WITHOUT_FLOW_LOG,
        };
        let gap = gap(ctx, vpc, req.level, &|f| f.qualification.counts());
        let (qualifying, not_counted) = flow_log_evidence(ctx, vpc);
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
