//! Which CloudWatch telemetry rules manage a flow log. AWS does not say which flow log a
//! rule created, so a VPC-level flow log is attributed to a rule that applies in its
//! account and region and whose settings it carries: destination type, and the traffic
//! type, aggregation interval and log format the rule sets. Evidence only: a rule creates
//! and corrects flow logs, but the flow log is judged by what it is.

use serde_json::{Value, json};

use super::estate::Estate;
use crate::aws::FlowLogResource;
use crate::snapshot::{FlowLog, TelemetryRule};

/// The VPC telemetry rules in force in an account and region: the account's own, then the
/// organisation's.
fn rules_in<'a>(
    estate: &Estate<'a>,
    account_id: &str,
    region: &str,
) -> Vec<(&'a TelemetryRule, &'static str)> {
    let own = estate
        .region(account_id, region)
        .and_then(|v| v.data.telemetry_rules.as_ref())
        .into_iter()
        .flatten()
        .map(|r| (r, "account"));
    let organization = estate
        .snapshot
        .organization_telemetry_rules
        .iter()
        .flatten()
        .map(|r| (r, "organization"));
    own.chain(organization)
        .filter(|(r, _)| r.applies_in(region))
        .collect()
}

/// Whether a flow log carries every setting the rule sets.
fn carries(rule: &TelemetryRule, flow_log: &FlowLog) -> bool {
    let same = |want: Option<&str>, have: Option<&str>| {
        want.is_none_or(|w| have.is_some_and(|h| h.trim().eq_ignore_ascii_case(w.trim())))
    };
    FlowLogResource::of(&flow_log.resource_id) == FlowLogResource::Vpc
        && same(
            rule.destination_type.as_deref(),
            flow_log.log_destination_type.as_deref(),
        )
        && same(
            rule.traffic_type.as_deref(),
            flow_log.traffic_type.as_deref(),
        )
        && same(rule.log_format.as_deref(), flow_log.log_format.as_deref())
        && rule
            .max_aggregation_interval
            .is_none_or(|i| flow_log.max_aggregation_interval == Some(i))
}

/// The telemetry rules that manage a flow log, as evidence; `None` when none does.
pub fn managing(
    estate: &Estate,
    account_id: &str,
    region: &str,
    flow_log: &FlowLog,
) -> Option<Value> {
    let rules: Vec<Value> = rules_in(estate, account_id, region)
        .into_iter()
        .filter(|(r, _)| carries(r, flow_log))
        .map(|(r, level)| {
            json!({
                "RuleName": r.rule_name,
                "RuleArn": r.rule_arn,
                "level": level,
                "corrects_drift": r.allow_field_updates,
                "RetentionInDays": r.retention_in_days,
                "SelectionCriteria": r.selection_criteria,
                "Scope": r.scope,
            })
        })
        .collect();
    (!rules.is_empty()).then(|| Value::Array(rules))
}
