//! Destinations: does each flow log deliver somewhere that exists, is allowed, and together
//! with the VPC's other logs reaches every destination type the policy requires?

use serde_json::json;

use super::{Family, Rule, Verdict, destination_subject, flow_log_subject, vpc_subject};
use crate::aws::DestinationType;
use crate::destination::Destination;
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, DestinationState, gap, not_allowed, short_list};
use crate::snapshot::FlowLog;

pub static TYPE_NOT_ALLOWED: Rule = Rule {
    id: "DST001",
    name: "destination-type-not-allowed",
    category: Category::Destination,
    default_severity: Severity::Medium,
    summary: "The flow log delivers to a destination type the policy does not allow.",
    what: "Checks each flow log's LogDestinationType against `destinations.allowed`.",
    why: "Organisations send flow logs to the destinations whose retention, access control \
          and cost they manage. A log delivered elsewhere escapes those controls and this \
          audit's retention checks.",
    fix: "Create a flow log to an allowed destination and delete this one:\n  aws ec2 \
          create-flow-logs --resource-type VPC --resource-ids vpc-0abc --traffic-type ALL \
          --log-destination-type s3 --log-destination arn:aws:s3:::central-flow-logs\n  aws \
          ec2 delete-flow-logs --flow-log-ids fl-0abc",
};

pub static NOT_FOUND: Rule = Rule {
    id: "DST002",
    name: "destination-not-found",
    category: Category::Destination,
    default_severity: Severity::High,
    summary: "The log group, bucket or delivery stream a flow log names does not exist.",
    what: "Checks that every destination of a judged flow log exists: the CloudWatch Logs \
           group, the S3 bucket (NoSuchBucket) or the Firehose delivery stream. The finding \
           names the flow logs and VPCs that depend on it. A destination that could not be \
           inspected is not passed; it is reported by COL002.",
    why: "A flow log to a missing destination delivers nothing. For CloudWatch Logs the \
          delivery role can often create the group again, but with no retention (never \
          expire) and no encryption, so the gap is followed by a retention violation.",
    fix: "Create the destination with the settings the policy requires, or point the flow \
          log elsewhere:\n  aws logs create-log-group --log-group-name /vpc/flow-logs\n  aws \
          logs put-retention-policy --log-group-name /vpc/flow-logs --retention-in-days 14",
};

pub static REQUIRED_TYPE_MISSING: Rule = Rule {
    id: "DST003",
    name: "required-destination-type-missing",
    category: Category::Destination,
    default_severity: Severity::Medium,
    summary: "Part of the VPC is not recorded to a destination type the policy requires.",
    what: "For each type in `destinations.required` (for example CloudWatch Logs for triage \
           and S3 for audit), checks that every resource the coverage level judges is \
           covered by a qualifying flow log of that type.",
    why: "CloudWatch Logs keeps days of data for fast queries; S3 keeps months or years for \
          audits and late investigations. A VPC covered only by one of them loses either \
          the fast path or the long memory.",
    fix: "Add a second flow log of the missing type on the VPC:\n  aws ec2 create-flow-logs \
          --resource-type VPC --resource-ids vpc-0abc --traffic-type ALL \
          --log-destination-type s3 --log-destination arn:aws:s3:::central-flow-logs",
};

pub static STREAM_NOT_ACTIVE: Rule = Rule {
    id: "DST004",
    name: "delivery-stream-not-active",
    category: Category::Destination,
    default_severity: Severity::High,
    summary: "The Firehose delivery stream a flow log uses is not ACTIVE.",
    what: "Checks the DeliveryStreamStatus of every Firehose stream that flow logs deliver \
           to. Retention after the stream (in its S3 bucket, Splunk or HTTP endpoint) \
           cannot be seen from the stream and is not judged; the evidence lists where the \
           stream sends records.",
    why: "A stream that is CREATING_FAILED, DELETING or otherwise not ACTIVE drops the \
          records flow logs send it.",
    fix: "Inspect and recreate the stream:\n  aws firehose describe-delivery-stream \
          --delivery-stream-name flow-logs",
};

pub static ARN_NOT_ALLOWED: Rule = Rule {
    id: "DST005",
    name: "destination-not-allowed",
    category: Category::Destination,
    default_severity: Severity::High,
    summary: "The flow log delivers somewhere other than the destinations the policy names.",
    what: "When `destinations.allowed_arns` is set, checks each flow log's destination \
           against those ARN globs (`*` any run of characters, `?` one): its LogDestination \
           as AWS gives it (an S3 ARN with its key prefix), or for a log that names only its \
           log group, that group's ARN in the flow log's account and region. A log to any \
           other destination does not count toward coverage. In a Terraform plan, a \
           destination known only after apply is `unknown`, never a pass.",
    why: "Organisations keep flow logs in one central archive (a bucket in the log-archive \
          account, or a named log group per account) whose retention, access and integrity \
          they control. A log to a team's own bucket is a copy nobody audits, and it must \
          not make a VPC look recorded.",
    fix: "Create a flow log to the central destination and delete this one:\n  aws ec2 \
          create-flow-logs --resource-type VPC --resource-ids vpc-0abc --traffic-type ALL \
          --log-destination-type s3 --log-destination arn:aws:s3:::org-flow-logs\n  aws ec2 \
          delete-flow-logs --flow-log-ids fl-0abc",
};

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[
        &TYPE_NOT_ALLOWED,
        &NOT_FOUND,
        &REQUIRED_TYPE_MISSING,
        &STREAM_NOT_ACTIVE,
        &ARN_NOT_ALLOWED,
    ],
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    // DST001 and unresolvable destinations, per flow log.
    for sfl in &ctx.flow_logs {
        let fl = sfl.flow_log;
        let subject = flow_log_subject(ctx, sfl);
        let kind = fl
            .log_destination_type
            .as_deref()
            .unwrap_or("cloud-watch-logs");
        if let Err(why) = &sfl.destination {
            out.push(NOT_FOUND.finding(
                &subject,
                Verdict::fail(
                    format!("{} has no usable destination: {why}", fl.flow_log_id),
                    json!({ "LogDestinationType": kind, "LogDestination": fl.log_destination, "LogGroupName": fl.log_group_name }),
                    "recreate the flow log with a valid --log-destination",
                ),
            ));
        }
        let holder = ctx.holder(sfl);
        let profile = holder.profile;
        let Some(req) = &profile.requirements.destinations else {
            continue;
        };
        if !req.allowed_arns.is_empty() {
            let arn = crate::destination::matched_arn(fl, holder.account_id, holder.region);
            let patterns: Vec<&str> = req
                .allowed_arns
                .iter()
                .map(|p| p.pattern.as_str())
                .collect();
            let evidence = json!({ "destination_arn": arn, "allowed_arns": patterns });
            out.push(ARN_NOT_ALLOWED.finding(
                &subject,
                match not_allowed(arn.as_deref(), profile) {
                    None => Verdict::pass(
                        format!(
                            "{} delivers to {}, which the policy allows",
                            fl.flow_log_id,
                            arn.as_deref().unwrap_or_default()
                        ),
                        evidence,
                    ),
                    Some(why) => Verdict::fail(
                        format!(
                            "{} on {}: {why}; it does not count toward coverage",
                            fl.flow_log_id, fl.resource_id
                        ),
                        evidence,
                        format!(
                            "create a flow log on {} to a destination matching {}, then aws ec2 delete-flow-logs --flow-log-ids {}",
                            fl.resource_id, patterns[0], fl.flow_log_id
                        ),
                    ),
                },
            ));
        }
        if req.allowed.is_empty() {
            continue;
        }
        let allowed: Vec<&str> = req.allowed.iter().map(|t| t.as_str()).collect();
        let evidence = json!({ "LogDestinationType": kind, "allowed": allowed });
        out.push(TYPE_NOT_ALLOWED.finding(
            &subject,
            if allowed.contains(&kind) {
                Verdict::pass(format!("{} delivers to {kind}", fl.flow_log_id), evidence)
            } else {
                Verdict::fail(
                    format!(
                        "{} on {} delivers to {kind}; the policy allows {}",
                        fl.flow_log_id,
                        fl.resource_id,
                        allowed.join(", ")
                    ),
                    evidence,
                    format!(
                        "create a flow log to {} and delete {}",
                        allowed[0], fl.flow_log_id
                    ),
                )
            },
        ));
    }

    // DST002 and DST004, per destination a judged flow log uses.
    for usage in ctx.destinations.iter().filter(|u| !u.users.is_empty()) {
        let subject = destination_subject(ctx, usage);
        let dependents = ctx.dependents(&usage.users);
        let name = usage.destination.resource_id();
        let kind = usage.destination.resource_type();
        match usage.state.exists() {
            Some(true) => out.push(NOT_FOUND.finding(
                &subject,
                Verdict::pass(format!("{kind} {name} exists"), json!({ "dependents": dependents })),
            )),
            Some(false) => out.push(NOT_FOUND.finding(
                &subject,
                Verdict::fail(
                    format!("{kind} {name} does not exist; {}", ctx.dependents_text(&usage.users)),
                    json!({ "dependents": dependents, "arn": usage.destination.arn() }),
                    match &usage.destination {
                        Destination::LogGroup { name, .. } => format!(
                            "aws logs create-log-group --log-group-name {name} && aws logs put-retention-policy --log-group-name {name} --retention-in-days <days>"
                        ),
                        Destination::Bucket { name } => format!("aws s3api create-bucket --bucket {name}, with a lifecycle for AWSLogs/"),
                        Destination::DeliveryStream { name, .. } => format!("aws firehose create-delivery-stream --delivery-stream-name {name} ..."),
                    },
                ),
            )),
            None => {} // COL002 reports it.
        }
        if let DestinationState::Stream(stream) = &usage.state {
            let status = stream
                .delivery_stream_status
                .as_deref()
                .unwrap_or("unknown");
            let sends_to: Vec<String> = stream
                .destinations
                .iter()
                .map(|d| match &d.bucket_arn {
                    Some(arn) => format!("{} {arn}", d.destination_type),
                    None => d.destination_type.clone(),
                })
                .collect();
            let evidence = json!({
                "DeliveryStreamStatus": status,
                "Destinations": sends_to,
                "retention": "not visible: records are kept wherever the stream delivers them, which this audit does not judge",
                "dependents": dependents,
            });
            out.push(STREAM_NOT_ACTIVE.finding(
                &subject,
                if status == "ACTIVE" {
                    Verdict::pass(
                        format!(
                            "stream {name} is ACTIVE and sends to {}; retention beyond the stream is not visible here",
                            short_list(&sends_to)
                        ),
                        evidence,
                    )
                } else {
                    Verdict::fail(
                        format!("stream {name} is {status}; {}", ctx.dependents_text(&usage.users)),
                        evidence,
                        format!("aws firehose describe-delivery-stream --delivery-stream-name {name}, then fix or recreate it"),
                    )
                },
            ));
        }
    }

    // DST003, per VPC.
    for vpc in &ctx.vpcs {
        let profile = vpc.profile;
        let (Some(req), Some(cov)) = (
            &profile.requirements.destinations,
            &profile.requirements.coverage,
        ) else {
            continue;
        };
        if req.required.is_empty() || !ctx.coverage_failures(vpc).is_empty() {
            continue;
        }
        let mut missing = Vec::new();
        let mut per_type = serde_json::Map::new();
        for required in &req.required {
            let of_type = |fl: &FlowLog| {
                fl.log_destination_type
                    .as_deref()
                    .and_then(DestinationType::from_api)
                    == Some(*required)
            };
            // An ACCEPT/REJECT pair counts only when both halves reach this type.
            let gap = gap(ctx, vpc, cov.level, &|f| {
                of_type(f.flow_log) && f.qualification.counts_within_type()
            });
            per_type.insert(required.as_str().to_string(), gap.evidence());
            if !gap.is_covered() {
                missing.push((required.as_str(), gap.uncovered_ids()));
            }
        }
        let required: Vec<&str> = req.required.iter().map(|t| t.as_str()).collect();
        let evidence = json!({ "required": required, "by_type": per_type });
        let verdict = if missing.is_empty() {
            Verdict::pass(
                format!("{} reaches {}", vpc.id(), required.join(" and ")),
                evidence,
            )
        } else {
            let parts: Vec<String> = missing
                .iter()
                .map(|(t, ids)| format!("no qualifying {t} flow log for {}", short_list(ids)))
                .collect();
            Verdict::fail(
                format!("{}: {}", vpc.id(), parts.join("; ")),
                evidence,
                format!(
                    "aws ec2 create-flow-logs --region {} --resource-type VPC --resource-ids {} --log-destination-type {} ...",
                    vpc.region(),
                    vpc.id(),
                    missing[0].0
                ),
            )
        };
        out.push(REQUIRED_TYPE_MISSING.finding(&vpc_subject(vpc), verdict));
    }
}
