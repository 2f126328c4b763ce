//! A plan's facts applied to the findings: a verdict that rests on a value known only after
//! apply becomes `unknown`, never `pass`, and names the value; inferred references are
//! written into the evidence of the findings that rest on them; and a failure of a resource
//! the plan holds gets its fix in Terraform terms, naming the address to change.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::findings::{Category, Evidence, Finding, Status};
use crate::policy::Policy;
use crate::snapshot::{PlanFacts, PlanInference, PlanUnknown};

/// Resource types whose coverage any flow log of their account and region could decide.
const COVERED_TYPES: &[&str] = &["vpc", "transit-gateway"];

/// The rule that reports each unknown value itself.
const UNKNOWN_VALUE_RULE: &str = "COL004";

/// The attributes that say where a flow log delivers: they decide coverage only under a
/// profile that names the destinations it allows.
const DESTINATION_ATTRIBUTES: &[&str] = &["log_destination", "log_group_name"];

pub fn apply(facts: &PlanFacts, policy: &Policy, findings: &mut Vec<Finding>) {
    // Profiles under which where a flow log delivers decides whether it counts.
    let by_arn: std::collections::BTreeSet<&str> = policy
        .profiles
        .iter()
        .filter(|p| {
            p.requirements
                .destinations
                .as_ref()
                .is_some_and(|d| !d.allowed_arns.is_empty())
        })
        .map(|p| p.name.as_str())
        .collect();
    let decides_coverage_of = |u: &PlanUnknown, f: &Finding| {
        !DESTINATION_ATTRIBUTES.contains(&u.attribute.as_str())
            || f.profile
                .as_deref()
                .is_some_and(|names| names.split(',').any(|n| by_arn.contains(n)))
    };
    let mut on_resource: BTreeMap<&str, Vec<&PlanUnknown>> = BTreeMap::new();
    let mut on_coverage: BTreeMap<(&str, &str), Vec<&PlanUnknown>> = BTreeMap::new();
    for u in &facts.unknowns {
        on_resource.entry(&u.resource_id).or_default().push(u);
        if u.affects_coverage {
            on_coverage
                .entry((&u.account_id, &u.region))
                .or_default()
                .push(u);
        }
    }
    let mut inferred: BTreeMap<&str, Vec<&PlanInference>> = BTreeMap::new();
    for inference in &facts.inferences {
        for id in &inference.resource_ids {
            inferred.entry(id).or_default().push(inference);
        }
    }
    // The unknowns some verdict rests on. One that touches only categories no finding has
    // (a log format where the policy requires no fields) decides nothing and is not
    // reported.
    let mut used: std::collections::BTreeSet<(&str, &str, &str)> = Default::default();
    for f in findings.iter_mut() {
        let mut reasons: Vec<&PlanUnknown> = Vec::new();
        if matches!(f.status, Status::Pass | Status::Fail | Status::Error) {
            // The bucket's unknowns reach the findings on its prefixes.
            let bucket = Some(f.subject_id()).filter(|b| *b != f.resource_id);
            for id in std::iter::once(f.resource_id.as_str()).chain(bucket) {
                reasons.extend(
                    on_resource
                        .get(id)
                        .into_iter()
                        .flatten()
                        .filter(|u| u.affects.iter().any(|r| f.rule_id.starts_with(r.as_str()))),
                );
            }
            // A failure to cover could be mended by a flow log the plan cannot place (its
            // resource is unknown), anywhere in the place; a pass cannot be undone by one.
            // A gateway's evidence names no logs, so every such unknown of the place
            // reaches it.
            if f.status != Status::Pass && COVERED_TYPES.contains(&f.resource_type.as_str()) {
                let gateway = f.resource_type == "transit-gateway";
                reasons.extend(
                    on_coverage
                        .get(&(f.account_id.as_str(), f.region.as_str()))
                        .into_iter()
                        .flatten()
                        .filter(|u| u.standalone || gateway)
                        .filter(|u| decides_coverage_of(u, f)),
                );
            }
            // A placed flow log's unknown decides the coverage of its own VPC: a pass
            // through it could be undone, a failure it does not count toward mended.
            if f.category == Category::Coverage {
                let listed = match f.status {
                    Status::Pass => "qualifying_flow_logs",
                    _ => "flow_logs_not_counted",
                };
                reasons.extend(
                    listed_logs_unknown(f, listed, &on_resource)
                        .into_iter()
                        .filter(|u| decides_coverage_of(u, f)),
                );
            }
        }
        used.extend(reasons.iter().map(|u| {
            (
                u.resource_id.as_str(),
                u.address.as_str(),
                u.attribute.as_str(),
            )
        }));
        let inferences = inferred.get(f.resource_id.as_str());
        if reasons.is_empty() && inferences.is_none() {
            continue;
        }
        let mut evidence = f.evidence.to_value();
        if let Value::Object(map) = &mut evidence {
            if let Some(list) = inferences {
                map.insert(
                    "inferred".into(),
                    json!(
                        list.iter()
                            .map(|i| json!({ "address": i.address, "attribute": i.attribute, "chain": i.chain }))
                            .collect::<Vec<_>>()
                    ),
                );
            }
            if !reasons.is_empty() {
                map.insert(
                    "unknown_until_apply".into(),
                    json!(
                        reasons
                            .iter()
                            .map(|u| json!({ "address": u.address, "attribute": u.attribute, "reason": u.reason }))
                            .collect::<Vec<_>>()
                    ),
                );
            }
        }
        f.evidence = Evidence::new(evidence);
        if !reasons.is_empty() {
            let mut named: Vec<String> = reasons
                .iter()
                .map(|u| format!("`{}` of {}", u.attribute, u.address))
                .collect();
            named.sort();
            named.dedup();
            f.message = format!(
                "{} [was {}; unknown until apply: {}]",
                f.message,
                f.status,
                named.join(", ")
            );
            f.status = Status::Unknown;
        }
    }
    terraform_fixes(findings, &facts.addresses);
    drop_undeciding(facts, &used, findings);
}

/// A failure of a resource the plan holds gets the Terraform change that mends it first.
fn terraform_fixes(findings: &mut [Finding], addresses: &BTreeMap<String, String>) {
    for f in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        if let Some(fix) = terraform_fix(f, addresses) {
            // A resource that does not exist yet has no id an AWS CLI command could name.
            let planned_only = f.resource_id.ends_with(')') && f.resource_id.contains('(');
            f.remediation = if f.remediation.is_empty() || planned_only {
                fix
            } else {
                format!("{fix}. Outside Terraform: {}", f.remediation)
            };
        }
    }
}

/// Removes the COL004 findings of unknowns no verdict rests on. An unknown that stands
/// alone (what it decides is not in the planned estate) is always kept.
fn drop_undeciding(
    facts: &PlanFacts,
    used: &std::collections::BTreeSet<(&str, &str, &str)>,
    findings: &mut Vec<Finding>,
) {
    let decides_nothing: std::collections::BTreeSet<(&str, &str, &str)> = facts
        .unknowns
        .iter()
        .filter(|u| !u.standalone)
        .map(|u| {
            (
                u.resource_id.as_str(),
                u.address.as_str(),
                u.attribute.as_str(),
            )
        })
        .filter(|key| !used.contains(key))
        .collect();
    findings.retain(|f| {
        if f.rule_id != UNKNOWN_VALUE_RULE {
            return true;
        }
        let evidence = f.evidence.to_value();
        let field = |name: &str| evidence.get(name).and_then(Value::as_str).unwrap_or("");
        !decides_nothing.contains(&(f.resource_id.as_str(), field("address"), field("attribute")))
    });
}

/// The coverage unknowns of the flow logs a coverage finding's evidence lists under `key`
/// (those it counts, or those it does not).
fn listed_logs_unknown<'a>(
    f: &Finding,
    key: &str,
    on_resource: &BTreeMap<&str, Vec<&'a PlanUnknown>>,
) -> Vec<&'a PlanUnknown> {
    let evidence = f.evidence.to_value();
    let ids: Vec<&str> = evidence
        .get(key)
        .and_then(Value::as_array)
        .map(|logs| {
            logs.iter()
                .filter_map(|l| l.get("FlowLogId").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let mut found: Vec<&PlanUnknown> = ids
        .iter()
        .filter_map(|id| on_resource.get(id))
        .flatten()
        .filter(|u| u.affects_coverage)
        .copied()
        .collect();
    found.dedup();
    found
}

/// The change to the Terraform configuration that mends a failure of a resource the plan
/// holds; `None` for resources outside the plan.
fn terraform_fix(f: &Finding, addresses: &BTreeMap<String, String>) -> Option<String> {
    let id = f.subject_id();
    let address = addresses.get(id)?;
    let rule = f.rule_id.as_str();
    let fix = match rule.get(..3).unwrap_or(rule) {
        "COV" if f.resource_type == "transit-gateway" => {
            format!("In Terraform: add an aws_flow_log with transit_gateway_id = {address}.id")
        }
        "COV" => format!(
            "In Terraform: add an aws_flow_log with vpc_id = {address}.id and traffic_type = \"ALL\" (with terraform-aws-modules/vpc: enable_flow_log = true)"
        ),
        "DST" if rule == "DST003" => format!(
            "In Terraform: add an aws_flow_log for {address} whose log_destination_type is the required type"
        ),
        "DST" => format!(
            "In Terraform: point {address} (log_destination, log_destination_type) at an existing destination the policy allows"
        ),
        _ => match rule {
            "FLS001" | "FLS002" => return None,
            "FLS003" => format!("In Terraform: set traffic_type = \"ALL\" on {address}"),
            "FLS004" => format!("In Terraform: set max_aggregation_interval = 60 on {address}"),
            "FLS005" => format!(
                "In Terraform: set log_format on {address} to a format with the fields the policy requires"
            ),
            "CWL001" | "CWL002" | "CWL003" => format!(
                "In Terraform: set retention_in_days on {address} within the policy's range (0 means never expire)"
            ),
            "CWL004" => format!(
                "In Terraform: set log_group_class on {address} to a class the policy allows"
            ),
            "CWL005" => format!("In Terraform: turn on deletion protection for {address}"),
            "SEC001" => format!(
                "In Terraform: add an aws_s3_bucket_server_side_encryption_configuration for {address}"
            ),
            "SEC002" => format!(
                "In Terraform: add an aws_s3_bucket_public_access_block for {address} with all four settings true"
            ),
            "SEC003" => format!("In Terraform: set kms_key_id on {address}"),
            _ if rule.starts_with("S3L") => format!(
                "In Terraform: give {address} an aws_s3_bucket_lifecycle_configuration rule whose filter prefix covers the flow-log objects (AWSLogs/...)"
            ),
            _ => return None,
        },
    };
    Some(fix)
}
