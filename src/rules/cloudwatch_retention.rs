//! CloudWatch retention: is each flow-log group's retention set, and inside the policy's range?

use serde_json::json;

use super::{Family, Rule, Verdict, destination_subject, judge_per_profile, with_fields};
use crate::destination::Destination;
use crate::evaluate::{Context, DestinationState};
use crate::findings::{Category, Finding, Severity};

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

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[&NEVER_EXPIRES, &BELOW_MINIMUM, &ABOVE_MAXIMUM],
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for usage in &ctx.destinations {
        let (Destination::LogGroup { region, name, .. }, DestinationState::LogGroup(group)) =
            (&usage.destination, &usage.state)
        else {
            continue; // Not a log group, or DST002 or COL002 reports it.
        };
        let subject = destination_subject(ctx, usage);
        let profiles = &usage.profiles;
        let retention = group.retention_in_days;
        let put = |days: u32| {
            format!(
                "aws logs put-retention-policy --region {region} --log-group-name {name} --retention-in-days {days}"
            )
        };
        // Built once: the dependents list is shared by every check of this group.
        let base = json!({
            "logGroupName": name,
            "retentionInDays": retention,
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
                    format!("log group {name} expires events after {days} days"),
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
                        "log group {name} keeps events {days} days; the policy requires at least {min}"
                    ),
                    evidence(extra),
                    put(min),
                ),
                Some(days) => Verdict::pass(
                    format!("log group {name} keeps events {days} days (min {min})"),
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

        for (rule, outcome) in [
            (&NEVER_EXPIRES, never),
            (&BELOW_MINIMUM, below),
            (&ABOVE_MAXIMUM, above),
        ] {
            if let Some((verdict, _profile)) = outcome {
                out.push(rule.finding(&subject, verdict));
            }
        }
    }
}
