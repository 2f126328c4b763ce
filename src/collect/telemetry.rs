//! CloudWatch telemetry rules (Observability Admin) for VPC flow logs: the account's rules
//! in each region, and the organisation's from the management or delegated-admin account.
//! Read only with `--telemetry-rules`: the account must be onboarded to telemetry
//! configuration, and the calls need their own permissions.

use aws_sdk_observabilityadmin::types::{ResourceType, TelemetryRule as ApiRule};

use super::RegionOutcome;
use super::errors::Call;
use super::pace::Pacer;
use crate::snapshot::{CollectionError, TelemetryRule};

/// Observability Admin's read calls; AWS documents no lower limit for them.
const CALLS_PER_SECOND: u32 = 5;

fn rule(name: &str, arn: Option<&str>, home: Option<&str>, r: &ApiRule) -> TelemetryRule {
    let destination = r.destination_configuration();
    let flow_logs = destination.and_then(|d| d.vpc_flow_log_parameters());
    TelemetryRule {
        rule_name: name.to_string(),
        rule_arn: arn.map(str::to_string),
        resource_type: r.resource_type().map(|t| t.as_str().to_string()),
        destination_type: destination
            .and_then(|d| d.destination_type())
            .map(|t| t.as_str().to_string()),
        destination_pattern: destination
            .and_then(|d| d.destination_pattern())
            .map(str::to_string),
        retention_in_days: destination.and_then(|d| d.retention_in_days()),
        traffic_type: flow_logs.and_then(|p| p.traffic_type()).map(str::to_string),
        log_format: flow_logs.and_then(|p| p.log_format()).map(str::to_string),
        max_aggregation_interval: flow_logs.and_then(|p| p.max_aggregation_interval()),
        scope: r.scope().map(str::to_string),
        selection_criteria: r.selection_criteria().map(str::to_string),
        allow_field_updates: r.allow_field_updates().unwrap_or(false),
        home_region: home.map(str::to_string),
        regions: r.regions().to_vec(),
        all_regions: r.all_regions().unwrap_or(false),
    }
}

fn for_vpcs(resource_type: Option<&ResourceType>) -> bool {
    resource_type.is_some_and(|t| *t == ResourceType::AwsEc2Vpc)
}

/// Lists rule summaries page by page, keeps the VPC ones, and reads each rule; stops at the
/// first failure. Evaluates to (rules, or `None` on a failure; errors; requests made).
macro_rules! read_rules {
    ($call:expr, $pages:expr, $list_op:literal, |$id:ident| $get:expr, $get_op:literal) => {{
        let mut requests = 0;
        let mut errors = Vec::new();
        let pace = Pacer::per_second(CALLS_PER_SECOND);
        let mut names: Vec<(String, Option<String>)> = Vec::new();
        let mut pages = $pages.into_paginator().send();
        let mut failed = false;
        loop {
            pace.wait().await;
            let (page, attempts) = super::attempts::observed(pages.next()).await;
            let Some(page) = page else { break };
            requests += 1;
            match page {
                Ok(page) => names.extend(
                    page.telemetry_rule_summaries()
                        .iter()
                        .filter(|s| for_vpcs(s.resource_type()))
                        .filter_map(|s| {
                            Some((s.rule_name()?.to_string(), s.rule_arn().map(str::to_string)))
                        }),
                ),
                Err(e) => {
                    errors.push($call($list_op, None).failed(&e, &attempts));
                    failed = true;
                    break;
                }
            }
        }
        let mut rules = Vec::new();
        for (name, arn) in &names {
            if failed {
                break;
            }
            pace.wait().await;
            requests += 1;
            let $id = arn.as_deref().unwrap_or(name);
            let (answer, attempts) = super::attempts::observed($get.send()).await;
            match answer {
                Ok(got) => {
                    if let Some(r) = got.telemetry_rule() {
                        rules.push(rule(name, arn.as_deref(), got.home_region(), r));
                    }
                }
                Err(e) => {
                    errors.push($call($get_op, Some(name.as_str())).failed(&e, &attempts));
                    failed = true;
                }
            }
        }
        rules.sort_by(|a, b| a.rule_name.cmp(&b.rule_name));
        ((!failed).then_some(rules), errors, requests)
    }};
}

/// The account's VPC telemetry rules in one region, into `out.data.telemetry_rules`; left
/// absent when a call fails (the error says why). A failure here never marks the region
/// unreachable: the EC2 listings stand on their own.
pub async fn collect(
    client: &aws_sdk_observabilityadmin::Client,
    account_id: &str,
    region: &str,
    out: &mut RegionOutcome,
) {
    let (rules, errors, requests) = read_rules!(
        Call::recorder(account_id, region, "observabilityadmin"),
        client.list_telemetry_rules(),
        "ListTelemetryRules",
        |id| client.get_telemetry_rule().rule_identifier(id),
        "GetTelemetryRule"
    );
    out.data.telemetry_rules = rules;
    out.errors.extend(errors);
    out.requests += requests;
}

/// The organisation's VPC telemetry rules, read once from the caller's account (the
/// management or a delegated-admin account) in `region`: (rules, or `None` when they could
/// not be read; errors; requests made).
pub async fn organization(
    client: &aws_sdk_observabilityadmin::Client,
    account_id: &str,
    region: &str,
) -> (Option<Vec<TelemetryRule>>, Vec<CollectionError>, usize) {
    read_rules!(
        Call::recorder(account_id, region, "observabilityadmin"),
        client.list_telemetry_rules_for_organization(),
        "ListTelemetryRulesForOrganization",
        |id| client
            .get_telemetry_rule_for_organization()
            .rule_identifier(id),
        "GetTelemetryRuleForOrganization"
    )
}
