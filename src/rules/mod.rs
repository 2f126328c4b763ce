//! The rules: one file per category, each rule with a stable id and its documentation.
//!
//! A rule's documentation lives next to its check, as three short texts: what it checks,
//! why that matters, and how to fix a violation (with an AWS CLI example). `flowaudit rules`
//! and `flowaudit explain ID` print the same text.

pub mod cloudwatch_retention;
pub mod collection;
pub mod coverage;
pub mod destination;
pub mod destination_security;
pub mod flow_log_settings;
pub mod records;
pub mod s3_lifecycle;
pub mod transit_gateway;

use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;

use crate::destination::Destination;
use crate::findings::{Category, Evidence, Finding, Severity, Status};
use crate::index::{Context, DestinationUse, ScopedFlowLog, ScopedVpc};

#[derive(Debug, Serialize)]
pub struct Rule {
    /// Stable; policies, waivers and reports refer to it.
    pub id: &'static str,
    /// A readable alias for the id.
    pub name: &'static str,
    pub category: Category,
    pub default_severity: Severity,
    pub summary: &'static str,
    pub what: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

/// A rule family: one category's rules and the check that emits their findings. Each
/// family file exports one, so adding a rule touches that file and nothing else.
pub struct Family {
    pub rules: &'static [&'static Rule],
    pub check: fn(&Context, &mut Vec<Finding>),
}

/// Every family, in report order. The rule list, `check_all`, `flowaudit rules`, the
/// README's rule table (tests/rules.rs holds it to this) and the id tests derive from it.
pub static FAMILIES: &[&Family] = &[
    &coverage::FAMILY,
    &transit_gateway::FAMILY,
    &flow_log_settings::FAMILY,
    &destination::FAMILY,
    &cloudwatch_retention::FAMILY,
    &s3_lifecycle::FAMILY,
    &destination_security::FAMILY,
    &records::FAMILY,
    &collection::FAMILY,
];

/// Every rule, family by family, each family in id order.
pub static RULES: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
    FAMILIES
        .iter()
        .flat_map(|f| f.rules.iter().copied())
        .collect()
});

/// A rule's id, for its id or name: the lookup policies are loaded with.
pub fn canonical_id(id_or_name: &str) -> Option<&'static str> {
    find(id_or_name).map(|r| r.id)
}

/// Looks a rule up by id or by name.
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name == id_or_name)
}

/// Runs every family's check over the scoped estate, the families in parallel: they only
/// read the context. Their findings are joined in family order, and evaluation sorts them,
/// so the result does not depend on scheduling.
pub(crate) fn check_all(ctx: &Context, out: &mut Vec<Finding>) {
    std::thread::scope(|scope| {
        let running: Vec<_> = FAMILIES
            .iter()
            .map(|family| {
                scope.spawn(move || {
                    let mut found = Vec::new();
                    (family.check)(ctx, &mut found);
                    // Without its growth slack, and `out` sized once below: at a thousand
                    // accounts the findings are then never held in more than two copies.
                    found.shrink_to_fit();
                    found
                })
            })
            .collect();
        let mut families = Vec::new();
        for family in running {
            match family.join() {
                Ok(found) => families.push(found),
                // A check that panicked is a bug; surface it as the panic it was.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out.reserve_exact(families.iter().map(Vec::len).sum());
        for found in families {
            out.extend(found);
        }
    });
}

/// The resource a finding is about.
pub(crate) struct Subject {
    pub resource_type: &'static str,
    pub resource_id: String,
    pub resource_arn: Option<String>,
    pub account_id: String,
    pub region: String,
    pub profile: Option<String>,
}

/// The subject of a VPC finding.
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

/// The subject of a flow-log finding.
pub(crate) fn flow_log_subject(ctx: &Context, fl: &ScopedFlowLog) -> Subject {
    let holder = ctx.holder(fl);
    Subject {
        resource_type: "flow-log",
        resource_id: fl.flow_log.flow_log_id.clone(),
        resource_arn: Some(format!(
            "arn:aws:ec2:{}:{}:vpc-flow-log/{}",
            holder.region, holder.account_id, fl.flow_log.flow_log_id
        )),
        account_id: holder.account_id.to_string(),
        region: holder.region.to_string(),
        profile: Some(holder.profile.name.clone()),
    }
}

/// The subject of a destination finding. A log group or stream is filed under its own
/// account and region. A bucket is global: it is filed under region `global` and its
/// owner's account, or its first user's, so that a finding's identity never depends on
/// whether an auxiliary call such as GetBucketLocation succeeded.
pub(crate) fn destination_subject(ctx: &Context, usage: &DestinationUse) -> Subject {
    let profiles: Vec<&str> = usage.profiles.iter().map(|p| p.name.as_str()).collect();
    let (account_id, region) = match &usage.destination {
        Destination::LogGroup {
            account_id, region, ..
        }
        | Destination::DeliveryStream {
            account_id, region, ..
        } => (account_id.clone(), region.clone()),
        Destination::Bucket { name } => (
            ctx.estate
                .bucket(name)
                .and_then(|b| b.owner_account_id.clone())
                .or_else(|| {
                    usage
                        .users
                        .first()
                        .map(|&u| ctx.holder(&ctx.flow_logs[u]).account_id.to_string())
                })
                .unwrap_or_default(),
            "global".to_string(),
        ),
    };
    Subject {
        resource_type: usage.destination.resource_type(),
        resource_id: usage.destination.resource_id().to_string(),
        resource_arn: Some(usage.destination.arn()),
        account_id,
        region,
        profile: Some(profiles.join(",")),
    }
}

/// The outcome of one check before it becomes a finding.
pub(crate) struct Verdict {
    pub status: Status,
    pub message: String,
    pub evidence: Value,
    pub remediation: String,
}

impl Verdict {
    pub fn pass(message: impl Into<String>, evidence: Value) -> Verdict {
        Verdict {
            status: Status::Pass,
            message: message.into(),
            evidence,
            remediation: String::new(),
        }
    }
    pub fn fail(
        message: impl Into<String>,
        evidence: Value,
        remediation: impl Into<String>,
    ) -> Verdict {
        Verdict {
            status: Status::Fail,
            message: message.into(),
            evidence,
            remediation: remediation.into(),
        }
    }
    pub fn error(
        message: impl Into<String>,
        evidence: Value,
        remediation: impl Into<String>,
    ) -> Verdict {
        Verdict {
            status: Status::Error,
            message: message.into(),
            evidence,
            remediation: remediation.into(),
        }
    }
    pub fn unknown(
        message: impl Into<String>,
        evidence: Value,
        remediation: impl Into<String>,
    ) -> Verdict {
        Verdict {
            status: Status::Unknown,
            message: message.into(),
            evidence,
            remediation: remediation.into(),
        }
    }
}

impl Rule {
    pub(crate) fn finding(&'static self, subject: &Subject, verdict: Verdict) -> Finding {
        Finding {
            rule_id: self.id.to_string(),
            category: self.category,
            severity: self.default_severity,
            status: verdict.status,
            resource_type: subject.resource_type.to_string(),
            resource_id: subject.resource_id.clone(),
            resource_arn: subject.resource_arn.clone(),
            account_id: subject.account_id.clone(),
            region: subject.region.clone(),
            profile: subject.profile.clone(),
            message: verdict.message,
            evidence: Evidence::new(verdict.evidence),
            remediation: verdict.remediation,
            waiver: None,
            history: None,
            change: None,
            source: None,
        }
    }
}

/// `base` with the fields of `extra` added: the evidence a destination's checks share, plus
/// what one check adds.
pub(crate) fn with_fields(base: &Value, extra: Value) -> Value {
    let mut evidence = base.clone();
    if let (Value::Object(e), Value::Object(extra)) = (&mut evidence, extra) {
        e.extend(extra);
    }
    evidence
}

/// Judges a shared destination under every profile that depends on it. A failure under
/// any profile fails the finding (the first failing profile by name is reported, and the
/// evidence lists every profile's outcome); `check` returns `None` for a profile that does
/// not ask for the check.
pub(crate) fn judge_per_profile<'p>(
    profiles: &[&'p crate::policy::Profile],
    check: impl Fn(&'p crate::policy::Profile) -> Option<Verdict>,
) -> Option<(Verdict, String)> {
    let mut outcomes: Vec<(String, Verdict)> = profiles
        .iter()
        .filter_map(|p| check(p).map(|v| (p.name.clone(), v)))
        .collect();
    if outcomes.is_empty() {
        return None;
    }
    let by_profile: serde_json::Map<String, Value> = outcomes
        .iter()
        .map(|(name, v)| (name.clone(), Value::String(v.status.as_str().to_string())))
        .collect();
    let chosen = outcomes
        .iter()
        .position(|(_, v)| v.status != Status::Pass)
        .unwrap_or(0);
    let (name, mut verdict) = outcomes.swap_remove(chosen);
    if by_profile.len() > 1
        && let Value::Object(map) = &mut verdict.evidence
    {
        map.insert("profiles".to_string(), Value::Object(by_profile));
    }
    Some((verdict, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_and_names_are_unique() {
        let ids: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        let names: BTreeSet<&str> = RULES.iter().map(|r| r.name).collect();
        assert_eq!(ids.len(), RULES.len(), "duplicate rule id");
        assert_eq!(names.len(), RULES.len(), "duplicate rule name");
    }

    #[test]
    fn every_rule_is_documented_and_in_id_order() {
        for pair in RULES.windows(2) {
            assert!(pair[0].id < pair[1].id || pair[0].category != pair[1].category);
        }
        for r in RULES.iter() {
            assert!(
                !r.summary.is_empty() && !r.what.is_empty() && !r.why.is_empty(),
                "{}",
                r.id
            );
            assert!(
                r.fix.contains("aws "),
                "{} needs an AWS CLI example in its fix",
                r.id
            );
        }
    }

    #[test]
    fn ids_carry_their_category_prefix() {
        for r in RULES.iter() {
            let prefix = r.category.rule_prefix();
            assert!(
                r.id.starts_with(prefix),
                "{} is not in category {}",
                r.id,
                r.category
            );
        }
    }
}
