//! CloudWatch retention: is each flow-log group's retention set, and inside the policy's
//! range? Also the group settings that decide whether that retention holds: its class (a
//! DELIVERY-class group keeps events one day, whatever its retention says) and deletion
//! protection (a deleted group takes its events with it).

use serde_json::json;

use super::{Family, Rule, Verdict, destination_subject, judge_per_profile, with_fields};
use crate::aws::{DELIVERY_CLASS_RETENTION_DAYS, LogGroupClass};
use crate::destination::Destination;
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, DestinationState};

pub static NEVER_EXPIRES: Rule = Rule {
    id: "CWL001",
    name: "log-group-never-expires",
    category: Category::CloudwatchRetention,
    default_severity: Severity::Medium,
    summary: "The flow-log group has no retention: its events never expire.",
    what: "Checks that every CloudWatch Logs group a judged flow log delivers to has \
           retentionInDays set, when the policy forbids never-expire \
           (`cloudwatch.forbid_never_expire`, on by default). Groups whose names match \
           `cloudwatch.log_group_patterns` (for example `/aws/vpc/flow*`) are judged by \
           this rule and CWL002-CWL003 too, even when no flow log writes to them any more: \
           the flow-log data they hold is kept as long as they say.",
    why: "CloudWatch Logs is for immediate investigation. Keeping flow logs there forever \
          costs far more than S3 and keeps personal data (IP addresses) past any stated \
          purpose. A group the delivery role re-created after deletion also lands here.",
    fix: "Set a retention inside the policy's range:\n  aws logs put-retention-policy \
          --log-group-name /vpc/flow-logs --retention-in-days 14",
};

pub static BELOW_MINIMUM: Rule = Rule {
    id: "CWL002",
    name: "log-group-retention-below-minimum",
    category: Category::CloudwatchRetention,
    default_severity: Severity::High,
    summary: "The flow-log group keeps events for fewer days than the policy's minimum.",
    what: "Checks retentionInDays against `cloudwatch.retention_days.min`.",
    why: "Incidents are often found days after they start. Events deleted before the \
          investigation begins cannot be recovered.",
    fix: "Raise the retention:\n  aws logs put-retention-policy --log-group-name \
          /vpc/flow-logs --retention-in-days 14",
};

pub static ABOVE_MAXIMUM: Rule = Rule {
    id: "CWL003",
    name: "log-group-retention-above-maximum",
    category: Category::CloudwatchRetention,
    default_severity: Severity::Low,
    summary: "The flow-log group keeps events for more days than the policy's maximum.",
    what: "Checks retentionInDays against `cloudwatch.retention_days.max`. A group that \
           never expires also exceeds the maximum; it is reported here only when the policy \
           allows never-expire, because CWL001 reports it otherwise.",
    why: "Long retention in CloudWatch Logs is expensive, and keeping IP-level records \
          longer than the stated purpose needs is a privacy problem. Long-term evidence \
          belongs in S3 with a lifecycle.",
    fix: "Lower the retention and keep the long-term copy in S3:\n  aws logs \
          put-retention-policy --log-group-name /vpc/flow-logs --retention-in-days 30",
};

pub static CLASS_NOT_ALLOWED: Rule = Rule {
    id: "CWL004",
    name: "log-group-class-not-allowed",
    category: Category::CloudwatchRetention,
    default_severity: Severity::Medium,
    summary: "The flow-log group is of a log group class the policy does not allow.",
    what: "Checks the group's logGroupClass (STANDARD when the API gives none) against            `cloudwatch.allowed_classes`. Whatever the policy says, CWL002 judges a DELIVERY-class            group by the one day its events are kept, not by its retentionInDays.",
    why: "AWS documents the DELIVERY class for delivering Lambda logs on to S3 or Firehose           only: events stay one day and cannot be queried in CloudWatch Logs, so the group is           no record to investigate from. INFREQUENT_ACCESS groups cannot run metric filters           or subscriptions that alerting on flow logs may rely on.",
    fix: "The class cannot be changed on an existing group. Create a group of an allowed           class, point the flow log at it, and delete the old group once its events are no           longer needed:
  aws logs create-log-group --log-group-name /vpc/flow-logs-std           --log-group-class STANDARD",
};

pub static DELETION_NOT_PROTECTED: Rule = Rule {
    id: "CWL005",
    name: "log-group-deletion-protection-off",
    category: Category::CloudwatchRetention,
    default_severity: Severity::Medium,
    summary: "The flow-log group does not have deletion protection on.",
    what: "Checks deletionProtectionEnabled on every flow-log group when the policy sets            `cloudwatch.require_deletion_protection`. A group whose answer does not say is            taken as unprotected.",
    why: "Retention is only as long as the group lives: deleting it deletes every event at           once, and an intruder covering tracks or a clean-up script can do that with one           call. Deletion protection blocks every delete until it is turned off.",
    fix: "Turn it on:
  aws logs put-log-group-deletion-protection --log-group-identifier           /vpc/flow-logs --deletion-protection-enabled",
};

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[
        &NEVER_EXPIRES,
        &BELOW_MINIMUM,
        &ABOVE_MAXIMUM,
        &CLASS_NOT_ALLOWED,
        &DELETION_NOT_PROTECTED,
    ],
    check,
};

/// The data protection a group has, for evidence: its own policy, or its account's.
fn data_protection(group: &crate::snapshot::LogGroup) -> serde_json::Value {
    json!({
        "status": group.data_protection_status,
        "inherited_from_account": group
            .inherited_properties
            .iter()
            .any(|p| p == "ACCOUNT_DATA_PROTECTION"),
    })
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for usage in &ctx.destinations {
        let (Destination::LogGroup { region, name, .. }, DestinationState::LogGroup(group)) =
            (&usage.destination, &usage.state)
        else {
            continue; // Not a log group, or DST002 or COL002 reports it.
        };
        let subject = destination_subject(ctx, usage);
        let profiles = &usage.profiles;
        let class = LogGroupClass::from_api(group.log_group_class.as_deref());
        let class_name = group.log_group_class.as_deref().unwrap_or("STANDARD");
        let delivery_class = class == Some(LogGroupClass::Delivery);
        // A DELIVERY-class group keeps events one day, whatever its retention says.
        let retention = if delivery_class {
            Some(DELIVERY_CLASS_RETENTION_DAYS)
        } else {
            group.retention_in_days
        };
        let kept = |days: i32| {
            if delivery_class {
                format!(
                    "{days} day (it is of the DELIVERY class, which keeps events one day whatever its retention says)"
                )
            } else {
                format!("{days} days")
            }
        };
        let put = |days: u32| {
            format!(
                "aws logs put-retention-policy --region {region} --log-group-name {name} --retention-in-days {days}"
            )
        };
        // Built once: the dependents list is shared by every check of this group.
        let base = json!({
            "logGroupName": name,
            "retentionInDays": group.retention_in_days,
            "effectiveRetentionDays": retention,
            "logGroupClass": class_name,
            "deletionProtectionEnabled": group.deletion_protection_enabled,
            "dataProtection": data_protection(group),
            "dependents": ctx.dependents(&usage.users),
            "selected_by_pattern": usage.selected_by,
        });
        let evidence = |extra: serde_json::Value| with_fields(&base, extra);

        let never = judge_per_profile(profiles, |p| {
            let req = p.requirements.cloudwatch.as_ref()?;
            if !req.forbid_never_expire {
                return None;
            }
            Some(match retention {
                None => Verdict::fail(
                    format!(
                        "log group {name} never expires its events; {}",
                        ctx.dependents_text(&usage.users)
                    ),
                    evidence(json!({})),
                    put(req
                        .retention_days
                        .0
                        .min
                        .or(req.retention_days.0.max)
                        .unwrap_or(14)),
                ),
                Some(days) => Verdict::pass(
                    format!("log group {name} expires events after {}", kept(days)),
                    evidence(json!({})),
                ),
            })
        });

        let below = judge_per_profile(profiles, |p| {
            let req = p.requirements.cloudwatch.as_ref()?;
            let min = req.retention_days.0.min?;
            let extra = json!({ "min": min });
            Some(match retention {
                Some(days) if i64::from(days) < i64::from(min) => Verdict::fail(
                    format!(
                        "log group {name} keeps events {}; the policy requires at least {min}",
                        kept(days)
                    ),
                    evidence(extra),
                    if delivery_class {
                        format!(
                            "aws logs create-log-group --region {region} --log-group-name {name}-standard --log-group-class STANDARD, point the flow logs at it, then: {}",
                            put(min)
                        )
                    } else {
                        put(min)
                    },
                ),
                Some(days) => Verdict::pass(
                    format!("log group {name} keeps events {} (min {min})", kept(days)),
                    evidence(extra),
                ),
                None => Verdict::pass(
                    format!(
                        "log group {name} never expires, which meets the minimum of {min} days"
                    ),
                    evidence(extra),
                ),
            })
        });

        let above = judge_per_profile(profiles, |p| {
            let req = p.requirements.cloudwatch.as_ref()?;
            let max = req.retention_days.0.max?;
            let extra = json!({ "max": max });
            Some(match retention {
                Some(days) if i64::from(days) > i64::from(max) => Verdict::fail(
                    format!(
                        "log group {name} keeps events {days} days; the policy allows at most {max}"
                    ),
                    evidence(extra),
                    put(max),
                ),
                Some(days) => Verdict::pass(
                    format!("log group {name} keeps events {days} days (max {max})"),
                    evidence(extra),
                ),
                None if req.forbid_never_expire => return None, // CWL001 has it.
                None => Verdict::fail(
                    format!("log group {name} never expires; the policy allows at most {max} days"),
                    evidence(extra),
                    put(max),
                ),
            })
        });

        let class_allowed = judge_per_profile(profiles, |p| {
            let req = p.requirements.cloudwatch.as_ref()?;
            if req.allowed_classes.is_empty() {
                return None;
            }
            let allowed: Vec<&str> = req.allowed_classes.iter().map(|c| c.as_str()).collect();
            let extra = json!({ "allowed_classes": allowed });
            Some(match class {
                Some(c) if req.allowed_classes.contains(&c) => Verdict::pass(
                    format!(
                        "log group {name} is of the {class_name} class, which the policy allows"
                    ),
                    evidence(extra),
                ),
                _ => Verdict::fail(
                    format!(
                        "log group {name} is of the {class_name} class; the policy allows {}; {}",
                        allowed.join(", "),
                        ctx.dependents_text(&usage.users)
                    ),
                    evidence(extra),
                    format!(
                        "aws logs create-log-group --region {region} --log-group-name {name}-{} --log-group-class {}, then point the flow logs at it",
                        allowed[0].to_lowercase().replace('_', "-"),
                        allowed[0]
                    ),
                ),
            })
        });

        let protected = judge_per_profile(profiles, |p| {
            let req = p.requirements.cloudwatch.as_ref()?;
            if !req.require_deletion_protection {
                return None;
            }
            Some(match group.deletion_protection_enabled {
                Some(true) => Verdict::pass(
                    format!("log group {name} has deletion protection on"),
                    evidence(json!({})),
                ),
                state => Verdict::fail(
                    format!(
                        "log group {name} {}; the policy requires it",
                        if state.is_none() {
                            "does not report deletion protection, so it is taken as off"
                        } else {
                            "has deletion protection off"
                        }
                    ),
                    evidence(json!({})),
                    format!(
                        "aws logs put-log-group-deletion-protection --region {region} --log-group-identifier {name} --deletion-protection-enabled"
                    ),
                ),
            })
        });

        for (rule, outcome) in [
            (&NEVER_EXPIRES, never),
            (&BELOW_MINIMUM, below),
            (&ABOVE_MAXIMUM, above),
            (&CLASS_NOT_ALLOWED, class_allowed),
            (&DELETION_NOT_PROTECTED, protected),
        ] {
            if let Some((verdict, _profile)) = outcome {
                out.push(rule.finding(&subject, verdict));
            }
        }
    }
}
