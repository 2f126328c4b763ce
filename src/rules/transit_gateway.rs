//! Transit gateway coverage: is every transit gateway, or every attachment, recorded by a
//! flow log that counts? Judged only where a profile sets `transit_gateways.coverage`.
//!
//! In a hub-and-spoke network the transit gateway carries the traffic between VPCs and to
//! on-premises; its flow logs are the one record of it. An attachment is covered by a log
//! on itself or on its gateway. Only a gateway's owner can log it, so a gateway shared
//! through RAM is judged in its owner's account.

use serde_json::{Value, json};

use super::{Family, Rule, Subject, Verdict};
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, ScopedGateway, describe, short_list};
use crate::policy::TransitGatewayCoverage;

pub static GATEWAY_WITHOUT_FLOW_LOG: Rule = Rule {
    id: "COV004",
    name: "transit-gateway-without-flow-log",
    category: Category::Coverage,
    default_severity: Severity::High,
    summary: "The transit gateway has no qualifying flow log (policy `transit_gateways.coverage: gateway`).",
    what: "Under `transit_gateways.coverage: gateway`, checks that every transit gateway the \
           account owns has a flow log on itself that counts: ACTIVE and, when the policy \
           requires it, delivering. A gateway is judged under the first profile whose \
           accounts, regions and tags (`vpc_tags`, read on the gateway's tags) select it. \
           Where the gateways could not be listed, the finding is an error, never a pass.",
    why: "Traffic between VPCs, and to on-premises networks, crosses the transit gateway. \
          VPC flow logs on the spokes show it only in pieces; the gateway's own log is the \
          record of what crossed the hub.",
    fix: "Create a flow log on the gateway (transit gateway logs always aggregate over 60 \
          seconds and have no traffic type):\n  aws ec2 create-flow-logs --resource-type \
          TransitGateway --resource-ids tgw-0abc --log-destination-type s3 \
          --log-destination arn:aws:s3:::central-flow-logs",
};

pub static ATTACHMENT_WITHOUT_FLOW_LOG: Rule = Rule {
    id: "COV005",
    name: "transit-gateway-attachment-without-flow-log",
    category: Category::Coverage,
    default_severity: Severity::High,
    summary: "Some attachments of the transit gateway are covered by no qualifying flow log (policy `transit_gateways.coverage: attachment`).",
    what: "Under `transit_gateways.coverage: attachment`, checks that every live attachment \
           (not deleted, failed or rejected) of a transit gateway the account owns is \
           covered by a qualifying flow log on the attachment or on the gateway. The \
           finding names each uncovered attachment and what it attaches.",
    why: "Attachment-level logs are a valid way to log a hub, but an attachment added later \
          (a new VPC, VPN or peering) is covered by nothing until someone remembers it.",
    fix: "Create a flow log on the gateway (covers every attachment, now and later), or on \
          each uncovered attachment:\n  aws ec2 create-flow-logs --resource-type \
          TransitGatewayAttachment --resource-ids tgw-attach-0abc --log-destination-type s3 \
          --log-destination arn:aws:s3:::central-flow-logs",
};

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[&GATEWAY_WITHOUT_FLOW_LOG, &ATTACHMENT_WITHOUT_FLOW_LOG],
    check,
};

/// The EC2 listings a gateway's coverage depends on.
const LISTINGS: [&str; 3] = [
    "DescribeTransitGateways",
    "DescribeTransitGatewayAttachments",
    "DescribeFlowLogs",
];

fn subject(gateway: &ScopedGateway) -> Subject {
    Subject {
        resource_type: "transit-gateway",
        resource_id: gateway.id().to_string(),
        resource_arn: Some(gateway.arn()),
        account_id: gateway.account_id().to_string(),
        region: gateway.region().to_string(),
        profile: Some(gateway.profile.name.clone()),
    }
}

/// The qualifying flow logs on a resource of the gateway, and those that do not count
/// with why, as evidence.
fn logs_on(ctx: &Context, gateway: &ScopedGateway, resource: &str) -> (Vec<String>, Vec<Value>) {
    let mut counting = Vec::new();
    let mut not_counted = Vec::new();
    for &i in ctx.logs_on_gateway(gateway, resource) {
        let fl = &ctx.flow_logs[i];
        match &fl.qualification.disqualification {
            None => counting.push(fl.flow_log.flow_log_id.clone()),
            Some(reason) => not_counted.push(json!({
                "FlowLogId": fl.flow_log.flow_log_id,
                "ResourceId": resource,
                "reason": reason,
            })),
        }
    }
    (counting, not_counted)
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    unlisted(ctx, out);
    for gateway in &ctx.gateways {
        let rule = match gateway.coverage {
            TransitGatewayCoverage::Gateway => &GATEWAY_WITHOUT_FLOW_LOG,
            TransitGatewayCoverage::Attachment => &ATTACHMENT_WITHOUT_FLOW_LOG,
            TransitGatewayCoverage::Off => continue,
        };
        let id = gateway.id();
        let failures =
            ctx.estate
                .errors
                .listing(gateway.account_id(), gateway.region(), "ec2", &LISTINGS);
        if !failures.is_empty() {
            out.push(rule.finding(
                &subject(gateway),
                Verdict::error(
                    format!(
                        "coverage of {id} is unknown: {}",
                        describe(&failures)
                    ),
                    json!({ "failed_calls": failures.iter().map(|f| &f.operation).collect::<Vec<_>>() }),
                    "grant the read-only role ec2:DescribeTransitGateways, \
                     ec2:DescribeTransitGatewayAttachments and ec2:DescribeFlowLogs, then scan again",
                ),
            ));
            continue;
        }
        let (on_gateway, not_counted) = logs_on(ctx, gateway, id);
        let verdict = match gateway.coverage {
            TransitGatewayCoverage::Attachment => {
                attachment_verdict(ctx, gateway, &on_gateway, not_counted)
            }
            _ => {
                let evidence = json!({
                    "coverage": "gateway",
                    "qualifying_flow_logs": on_gateway,
                    "flow_logs_not_counted": not_counted,
                    "State": gateway.gateway.state,
                });
                if on_gateway.is_empty() {
                    let mut message = format!("{id} has no qualifying flow log");
                    if let Some(first) = not_counted.first() {
                        message.push_str(&format!(
                            "; {} does not count: {}",
                            first["FlowLogId"].as_str().unwrap_or("a flow log"),
                            first["reason"].as_str().unwrap_or("")
                        ));
                    }
                    Verdict::fail(
                        message,
                        evidence,
                        format!(
                            "aws ec2 create-flow-logs --region {} --resource-type TransitGateway --resource-ids {id} --log-destination-type s3 --log-destination arn:aws:s3:::BUCKET",
                            gateway.region()
                        ),
                    )
                } else {
                    Verdict::pass(
                        format!("{id} is logged by {}", short_list(&on_gateway)),
                        evidence,
                    )
                }
            }
        };
        out.push(rule.finding(&subject(gateway), verdict));
    }
}

/// Under `attachment`: every live attachment covered by a log on itself or the gateway.
fn attachment_verdict(
    ctx: &Context,
    gateway: &ScopedGateway,
    on_gateway: &[String],
    mut not_counted: Vec<Value>,
) -> Verdict {
    let id = gateway.id();
    let Some(attachments) = &gateway.attachments else {
        return Verdict::error(
            format!("the attachments of {id} were not listed, so their coverage is unknown"),
            json!({ "coverage": "attachment" }),
            "scan again with a flowaudit that lists transit gateway attachments",
        );
    };
    let mut uncovered = Vec::new();
    let mut covered = Vec::new();
    for a in attachments {
        let (own, not) = logs_on(ctx, gateway, &a.transit_gateway_attachment_id);
        not_counted.extend(not);
        if own.is_empty() && on_gateway.is_empty() {
            uncovered.push(a);
        } else {
            covered.push(json!({
                "TransitGatewayAttachmentId": a.transit_gateway_attachment_id,
                "flow_logs": if own.is_empty() { on_gateway.to_vec() } else { own },
            }));
        }
    }
    let uncovered_ids: Vec<&str> = uncovered
        .iter()
        .map(|a| a.transit_gateway_attachment_id.as_str())
        .collect();
    let evidence = json!({
        "coverage": "attachment",
        "attachments": attachments.len(),
        "covered": covered,
        "uncovered": uncovered.iter().map(|a| json!({
            "TransitGatewayAttachmentId": a.transit_gateway_attachment_id,
            "ResourceType": a.resource_type,
            "ResourceId": a.resource_id,
            "ResourceOwnerId": a.resource_owner_id,
        })).collect::<Vec<_>>(),
        "gateway_flow_logs": on_gateway,
        "flow_logs_not_counted": not_counted,
    });
    if uncovered.is_empty() {
        Verdict::pass(
            format!("{id}: all {} attachments are covered", attachments.len()),
            evidence,
        )
    } else {
        Verdict::fail(
            format!(
                "{id}: {} of {} attachments have no qualifying flow log: {}",
                uncovered.len(),
                attachments.len(),
                short_list(&uncovered_ids)
            ),
            evidence,
            format!(
                "aws ec2 create-flow-logs --region {} --resource-type TransitGateway --resource-ids {id} --log-destination-type s3 --log-destination arn:aws:s3:::BUCKET (covers every attachment)",
                gateway.region()
            ),
        )
    }
}

/// Where a profile asks for transit gateway coverage but the region's gateways were not
/// listed (the call failed, or the snapshot predates the listing): one error finding per
/// account and region, so that unseen gateways never pass by silence.
fn unlisted(ctx: &Context, out: &mut Vec<Finding>) {
    let scope = &ctx.estate.snapshot.scope;
    for view in ctx.estate.regions() {
        let region = view.data.region.as_str();
        // A region only looked into (a central log group's) was not scanned.
        if !scope.accounts.iter().any(|a| a == view.account_id)
            || !scope.regions.iter().any(|r| r == region)
        {
            continue;
        }
        let wanted = ctx.policy.profiles.iter().find(|p| {
            p.selector.matches_place(view.account_id, region)
                && p.requirements
                    .transit_gateways
                    .as_ref()
                    .is_some_and(|t| t.coverage != TransitGatewayCoverage::Off)
        });
        let Some(profile) = wanted else { continue };
        let failures =
            ctx.estate
                .errors
                .listing(view.account_id, region, "ec2", &["DescribeTransitGateways"]);
        if view.data.transit_gateways.is_some() && failures.is_empty() {
            continue;
        }
        let why = if failures.is_empty() {
            "the snapshot does not list them (it predates transit gateway listing)".to_string()
        } else {
            describe(&failures)
        };
        // Filed under the gateway rule whatever the mode: not even the gateways are known.
        out.push(GATEWAY_WITHOUT_FLOW_LOG.finding(
            &Subject {
                resource_type: "transit-gateway",
                resource_id: format!("transit-gateways:{}/{region}", view.account_id),
                resource_arn: None,
                account_id: view.account_id.to_string(),
                region: region.to_string(),
                profile: Some(profile.name.clone()),
            },
            Verdict::error(
                format!(
                    "the transit gateways of account {} in {region} could not be listed, so their coverage is unknown: {why}",
                    view.account_id
                ),
                json!({ "failed_calls": failures.iter().map(|f| &f.operation).collect::<Vec<_>>() }),
                "grant ec2:DescribeTransitGateways and ec2:DescribeTransitGatewayAttachments, then scan again",
            ),
        ));
    }
}
