//! Flow log settings: is each flow log of a judged VPC running, delivering, and recording
//! what the policy needs?

use serde_json::json;

use super::{Family, Rule, Verdict, flow_log_subject};
use crate::aws::{Delivery, FlowLogResource, TRANSIT_GATEWAY_LOG_FIELDS, record_fields};
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, telemetry_rules_managing};

pub static NOT_ACTIVE: Rule = Rule {
    id: "FLS001",
    name: "flow-log-not-active",
    category: Category::FlowLogSettings,
    default_severity: Severity::High,
    summary: "The flow log's FlowLogStatus is not ACTIVE.",
    what: "Checks that every flow log attached to a judged VPC, subnet or ENI reports \
           FlowLogStatus ACTIVE. When the scan read CloudWatch telemetry rules \
           (--telemetry-rules), the evidence names the rules that manage the flow log: a \
           rule for VPCs in force in its account and region whose destination type, \
           traffic type, interval and format it carries.",
    why: "A flow log that is not ACTIVE records nothing, yet still shows up in the console \
          and in tools that only check that a log exists.",
    fix: "Delete the broken flow log and create it again:\n  aws ec2 delete-flow-logs \
          --flow-log-ids fl-0abc\n  aws ec2 create-flow-logs --resource-type VPC \
          --resource-ids vpc-0abc --traffic-type ALL --log-destination-type s3 \
          --log-destination arn:aws:s3:::central-flow-logs",
};

pub static DELIVERY_FAILED: Rule = Rule {
    id: "FLS002",
    name: "flow-log-delivery-failed",
    category: Category::FlowLogSettings,
    default_severity: Severity::High,
    summary: "The flow log's delivery is failing, or could not be confirmed.",
    what: "Checks DeliverLogsStatus and DeliverLogsErrorMessage of every flow log of a \
           judged VPC. AWS returns four shapes: SUCCESS; FAILED with a message (Access \
           error, Rate limited, Unknown error); a message with no status; and neither. A \
           log with an error message is failing whatever its status says or omits, and a \
           status AWS does not document is judged as failing: both fail, and with \
           `require_delivery_success` stop counting toward coverage. A log with neither, \
           under `require_delivery_success`, still counts, but fails at medium severity \
           because its delivery cannot be confirmed. A flow log a Terraform plan creates \
           has not run yet: its delivery is judged by later scans.",
    why: "A log that fails to deliver is ACTIVE on paper and empty in practice. Access \
          errors usually mean the delivery role or the bucket policy was changed, or the \
          log group or bucket was deleted.",
    fix: "For CloudWatch Logs, check that the role in DeliverLogsPermissionArn may \
          logs:CreateLogStream and logs:PutLogEvents on the group:\n  aws iam \
          simulate-principal-policy --policy-source-arn arn:aws:iam::111122223333:role/flow-logs \
          --action-names logs:PutLogEvents\nFor S3, check that the bucket policy allows \
          delivery.logs.amazonaws.com to s3:PutObject under AWSLogs/.",
};

pub static TRAFFIC_TYPE: Rule = Rule {
    id: "FLS003",
    name: "traffic-type-not-accepted",
    category: Category::FlowLogSettings,
    default_severity: Severity::Medium,
    summary: "The flow log captures a traffic type the policy does not accept.",
    what: "Checks the flow log's TrafficType (ACCEPT, REJECT or ALL) against the policy's \
           `flow_logs.traffic_types`. A log with another type does not count toward coverage. \
           One exception, decided on purpose: where the policy accepts ALL, an ACCEPT log \
           and a REJECT log on the same resource, both ACTIVE (and delivering, when the \
           policy requires it), together record every accepted and every rejected flow, \
           which is what ALL records. Each of the pair passes and counts toward coverage; \
           if either stops working, the other fails again. For `destinations.required`, \
           both logs of the pair must reach that destination type. Transit gateway flow \
           logs have no traffic type; this rule does not apply to them.",
    why: "A REJECT-only log shows blocked attempts but not the connections that succeeded, \
          which are what an investigation of exfiltration or lateral movement needs.",
    fix: "The traffic type cannot be changed in place. Create a replacement, then delete \
          the old log:\n  aws ec2 create-flow-logs --resource-type VPC --resource-ids vpc-0abc \
          --traffic-type ALL --log-destination-type s3 --log-destination \
          arn:aws:s3:::central-flow-logs\n  aws ec2 delete-flow-logs --flow-log-ids fl-0abc",
};

pub static AGGREGATION_INTERVAL: Rule = Rule {
    id: "FLS004",
    name: "aggregation-interval-too-long",
    category: Category::FlowLogSettings,
    default_severity: Severity::Low,
    summary: "The flow log aggregates over a longer interval than the policy allows.",
    what: "Checks MaxAggregationInterval (60 or 600 seconds) against the policy's \
           `flow_logs.max_aggregation_interval`.",
    why: "With 600-second aggregation a short connection can appear up to ten minutes \
          late and with coarse timing, which blurs incident timelines.",
    fix: "Recreate the flow log with a 60-second interval:\n  aws ec2 create-flow-logs \
          --resource-type VPC --resource-ids vpc-0abc --traffic-type ALL \
          --max-aggregation-interval 60 --log-destination-type s3 --log-destination \
          arn:aws:s3:::central-flow-logs",
};

pub static LOG_FIELDS: Rule = Rule {
    id: "FLS005",
    name: "log-format-missing-fields",
    category: Category::FlowLogSettings,
    default_severity: Severity::Medium,
    summary: "The flow log's format lacks fields the policy requires.",
    what: "Checks that the flow log's LogFormat (or the default version 2 format when it \
           has none) includes every field in `flow_logs.required_fields`. A transit gateway \
           flow log is held only to the required fields its records can carry (srcaddr, \
           tcp-flags, flow-direction, ...; not interface-id or instance-id), and its default \
           format has all of them.",
    why: "Fields such as tcp-flags, flow-direction or pkt-srcaddr are needed to tell \
          connection set-up from data, inbound from outbound, and the real peer behind a \
          NAT gateway. A record without them cannot answer those questions later.",
    fix: "Recreate the flow log with a custom format that includes the fields:\n  aws ec2 \
          create-flow-logs --resource-type VPC --resource-ids vpc-0abc --traffic-type ALL \
          --log-destination-type s3 --log-destination arn:aws:s3:::central-flow-logs \
          --log-format '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} \
          ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} \
          ${log-status} ${tcp-flags} ${flow-direction} ${pkt-srcaddr} ${pkt-dstaddr}'",
};

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[
        &NOT_ACTIVE,
        &DELIVERY_FAILED,
        &TRAFFIC_TYPE,
        &AGGREGATION_INTERVAL,
        &LOG_FIELDS,
    ],
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for sfl in &ctx.flow_logs {
        let fl = sfl.flow_log;
        let profile = ctx.holder(sfl).profile;
        let subject = flow_log_subject(ctx, sfl);
        let id = &fl.flow_log_id;
        let on = &fl.resource_id;

        let status = fl.flow_log_status.as_deref().unwrap_or("unknown");
        let mut evidence = json!({ "FlowLogStatus": status, "ResourceId": on });
        let holder = ctx.holder(sfl);
        if let Some(rules) =
            telemetry_rules_managing(ctx.estate, holder.account_id, holder.region, fl)
            && let serde_json::Value::Object(map) = &mut evidence
        {
            map.insert("managed_by_telemetry_rules".into(), rules);
        }
        out.push(NOT_ACTIVE.finding(
            &subject,
            if status == "ACTIVE" {
                Verdict::pass(format!("{id} on {on} is ACTIVE"), evidence)
            } else {
                Verdict::fail(
                    format!("{id} on {on} has FlowLogStatus {status}; it records nothing"),
                    evidence,
                    format!("aws ec2 delete-flow-logs --flow-log-ids {id}, then create it again"),
                )
            },
        ));

        let require_delivery = profile
            .requirements
            .flow_logs
            .as_ref()
            .is_some_and(|r| r.require_delivery_success);
        out.push(delivery_finding(
            fl,
            &subject,
            require_delivery,
            ctx.estate.snapshot.plan.is_some(),
        ));

        let Some(req) = &profile.requirements.flow_logs else {
            continue;
        };

        let on_gateway = FlowLogResource::of(on).is_transit_gateway();
        // Transit gateway logs have no traffic type: they record every flow.
        if !req.traffic_types.is_empty() && !on_gateway {
            let traffic = fl.traffic_type.as_deref().unwrap_or("unknown");
            let accepted: Vec<&str> = req.traffic_types.iter().map(|t| t.as_str()).collect();
            let evidence = json!({ "TrafficType": traffic, "accepted": accepted });
            let complement = sfl
                .qualification
                .complement
                .map(|i| ctx.flow_logs[i].flow_log);
            out.push(TRAFFIC_TYPE.finding(
                &subject,
                if accepted.contains(&traffic) {
                    Verdict::pass(format!("{id} captures {traffic} traffic"), evidence)
                } else if let Some(other) = complement {
                    Verdict::pass(
                        format!(
                            "{id} captures {traffic} traffic, and with {} ({}) on {on} records ALL traffic",
                            other.flow_log_id,
                            other.traffic_type.as_deref().unwrap_or("?")
                        ),
                        evidence,
                    )
                } else {
                    Verdict::fail(
                        format!(
                            "{id} on {on} captures {traffic} traffic; the policy accepts {}",
                            accepted.join(", ")
                        ),
                        evidence,
                        format!(
                            "create a replacement with --traffic-type {} on {on}, then aws ec2 delete-flow-logs --flow-log-ids {id}",
                            accepted[0]
                        ),
                    )
                },
            ));
        }

        if let Some(max) = req.max_aggregation_interval {
            // AWS reports 600 when the field is absent on older logs.
            let interval = fl.max_aggregation_interval.unwrap_or(600);
            let evidence = json!({ "MaxAggregationInterval": interval, "max": max });
            out.push(AGGREGATION_INTERVAL.finding(
                &subject,
                if i64::from(interval) <= i64::from(max) {
                    Verdict::pass(format!("{id} aggregates over {interval}s"), evidence)
                } else {
                    Verdict::fail(
                        format!("{id} on {on} aggregates over {interval}s; the policy allows at most {max}s"),
                        evidence,
                        format!("recreate the flow log on {on} with --max-aggregation-interval {max}"),
                    )
                },
            ));
        }

        let required: Vec<&str> = req
            .required_fields
            .iter()
            .map(|f| f.0.as_str())
            .filter(|f| !on_gateway || TRANSIT_GATEWAY_LOG_FIELDS.contains(f))
            .collect();
        if !required.is_empty() {
            let fields = record_fields(fl.log_format.as_deref(), on);
            let missing: Vec<&str> = required
                .iter()
                .copied()
                .filter(|f| !fields.iter().any(|have| have == f))
                .collect();
            let evidence = json!({
                "LogFormat": fl.log_format,
                "fields": fields,
                "missing": missing,
            });
            out.push(LOG_FIELDS.finding(
                &subject,
                if missing.is_empty() {
                    Verdict::pass(format!("{id} records every required field"), evidence)
                } else {
                    Verdict::fail(
                        format!("{id} on {on} does not record {}", missing.join(", ")),
                        evidence,
                        format!(
                            "recreate the flow log on {on} with a --log-format that adds {}",
                            missing
                                .iter()
                                .map(|m| format!("${{{m}}}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    )
                },
            ));
        }
    }
}

/// FLS002 for one flow log. `planned`: the estate is a Terraform plan's, whose new logs
/// have not run, so a missing status is no finding against them.
fn delivery_finding(
    fl: &crate::snapshot::FlowLog,
    subject: &super::Subject,
    require_delivery: bool,
    planned: bool,
) -> Finding {
    let (id, on) = (&fl.flow_log_id, &fl.resource_id);
    let evidence = json!({
        "DeliverLogsStatus": fl.deliver_logs_status,
        "DeliverLogsErrorMessage": fl.deliver_logs_error_message,
        "LogDestination": fl.log_destination,
        "DeliverLogsPermissionArn": fl.deliver_logs_permission_arn,
    });
    let message = fl.deliver_logs_error_message.as_deref().unwrap_or_default();
    let verdict = match Delivery::of(fl.deliver_logs_status.as_deref(), Some(message)) {
        Delivery::Failing(why) => {
            let hint = match message.trim() {
                "Access error" => {
                    "check the delivery role's permissions and that the destination still exists"
                }
                "Rate limited" => {
                    "CloudWatch Logs throttled delivery; raise the PutLogEvents quota or deliver to S3"
                }
                _ => "inspect the destination and the delivery role",
            };
            Verdict::fail(
                format!("{id} on {on} fails to deliver: {why}"),
                evidence,
                hint,
            )
        }
        Delivery::UnknownStatus(status) => Verdict::fail(
            format!(
                "{id} on {on} has DeliverLogsStatus {status}, which AWS does not document; it is judged as not delivering"
            ),
            evidence,
            format!(
                "aws ec2 describe-flow-logs --flow-log-ids {id}, and inspect the destination and the delivery role"
            ),
        ),
        Delivery::Unconfirmed if require_delivery && !planned => {
            let mut finding = DELIVERY_FAILED.finding(
                subject,
                Verdict::fail(
                    format!(
                        "{id} on {on}: delivery could not be confirmed; AWS gave neither a DeliverLogsStatus nor an error message (it still counts toward coverage)"
                    ),
                    evidence,
                    format!("aws ec2 describe-flow-logs --flow-log-ids {id}; scan again once AWS reports a DeliverLogsStatus"),
                ),
            );
            // A warning, not a failure of delivery.
            finding.severity = finding.severity.min(Severity::Medium);
            return finding;
        }
        Delivery::Unconfirmed if planned => Verdict::pass(
            format!("{id} on {on}: delivery is judged once the flow log runs"),
            evidence,
        ),
        Delivery::Unconfirmed => Verdict::pass(
            format!("{id} on {on}: no delivery status, and the policy does not require delivery"),
            evidence,
        ),
        Delivery::Succeeding => Verdict::pass(format!("{id} on {on} delivers (SUCCESS)"), evidence),
    };
    DELIVERY_FAILED.finding(subject, verdict)
}

#[cfg(test)]
mod tests {
    use crate::aws::record_fields;

    #[test]
    fn parses_custom_and_default_formats() {
        assert_eq!(
            record_fields(Some("${version} ${tcp-flags}"), "vpc-1"),
            ["version", "tcp-flags"]
        );
        assert_eq!(record_fields(None, "vpc-1").len(), 14);
        assert_eq!(record_fields(Some("  "), "eni-1").len(), 14);
        assert_eq!(record_fields(None, "tgw-attach-1").len(), 36);
    }
}
