//! A plan's unknowns applied to the findings: a verdict that rests on a value known only
//! after apply becomes `unknown`, never `pass`, and names the value. Inferred references
//! are written into the evidence of the findings that rest on them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::findings::{Category, Evidence, Finding, Status};
use crate::snapshot::{PlanFacts, PlanInference, PlanUnknown};

/// Resource types whose coverage any flow log of their account and region could decide.
const COVERED_TYPES: &[&str] = &["vpc", "transit-gateway"];

/// The rule that reports each unknown value itself.
const UNKNOWN_VALUE_RULE: &str = "COL004";

pub fn apply(facts: &PlanFacts, findings: &mut Vec<Finding>) {
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
            // S3 lifecycle findings are about a prefix of a bucket: the bucket's unknowns
            // reach them.
            let bucket = (f.resource_type == "s3-prefix")
                .then(|| f.resource_id.split_once('/').map(|(b, _)| b))
                .flatten();
            for id in std::iter::once(f.resource_id.as_str()).chain(bucket) {
                reasons.extend(
                    on_resource
                        .get(id)
                        .into_iter()
                        .flatten()
                        .filter(|u| u.affects.iter().any(|r| f.rule_id.starts_with(r.as_str()))),
                );
            }
            // A failure to cover could be mended by a flow log whose resource or traffic
            // type is not known yet; a pass cannot be undone by one.
            if f.status != Status::Pass && COVERED_TYPES.contains(&f.resource_type.as_str()) {
                reasons.extend(
                    on_coverage
                        .get(&(f.account_id.as_str(), f.region.as_str()))
                        .into_iter()
                        .flatten(),
                );
            }
            if f.category == Category::Coverage && f.status == Status::Pass {
                reasons.extend(covering_logs_unknown(f, &on_resource));
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
    let decides_nothing: std::collections::BTreeSet<(&str, &str, &str)> = facts
        .unknowns
        .iter()
        .filter(|u| !u.affects.is_empty() && !u.affects_coverage)
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

/// The unknowns that touch the flow logs a coverage pass rests on.
fn covering_logs_unknown<'a>(
    f: &Finding,
    on_resource: &BTreeMap<&str, Vec<&'a PlanUnknown>>,
) -> Vec<&'a PlanUnknown> {
    let evidence = f.evidence.to_value();
    let ids: Vec<&str> = evidence
        .get("qualifying_flow_logs")
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
