//! OSCAL 1.1 assessment results, for GRC tools: the policy's rules as the reviewed controls,
//! each rule as an assessment activity (the method of its observations, carried out by a
//! task of the result), each finding as an observation by the flowaudit component, each
//! failure or unevaluated check as a finding with its target, and the snapshot and policy
//! digests as back-matter resources.
//!
//! Every UUID is a version-5 UUID derived from what it names, so the same inputs give the
//! same document.

use chrono::NaiveDate;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Report;
use crate::findings::{Finding, Status};
use crate::rules::RULES;

const OSCAL_VERSION: &str = "1.1.2";

/// The namespace of flowaudit's OSCAL UUIDs (itself a v5 UUID of the tool's name).
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://flowaudit/oscal")
}

/// A stable UUID for `parts`, joined with a separator no id contains.
fn id(parts: &[&str]) -> String {
    Uuid::new_v5(&namespace(), parts.join("\u{1f}").as_bytes()).to_string()
}

/// An OSCAL control or objective id: a lower-case token.
fn control_id(rule_id: &str) -> String {
    rule_id.to_ascii_lowercase()
}

/// RFC 3339 at midnight UTC of the evaluation date: the document has no other clock.
fn timestamp(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| {
            t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "ns": "https://flowaudit/ns", "value": value })
}

fn finding_key(f: &Finding) -> [&str; 4] {
    [&f.rule_id, &f.account_id, &f.region, &f.resource_id]
}

fn observation(report: &Report, f: &Finding) -> Value {
    let [rule, account, region, resource] = finding_key(f);
    let props: Vec<Value> = [
        prop("rule-id", rule),
        prop("status", f.status.as_str()),
        prop("severity", f.severity.as_str()),
        prop("account-id", account),
        prop("region", region),
        prop("resource-type", &f.resource_type),
        prop("resource-id", resource),
    ]
    .into_iter()
    .chain(f.change.map(|c| prop("plan-change", c.as_str())))
    .chain(
        f.source
            .as_ref()
            .map(|at| prop("terraform-source", &at.file_line())),
    )
    .collect();
    json!({
        "uuid": id(&["observation", rule, account, region, resource]),
        "title": format!("{rule} {resource}"),
        "description": f.message,
        "props": props,
        "methods": ["TEST"],
        "types": ["finding"],
        "origins": [{
            "actors": [{ "type": "tool", "actor-uuid": id(&["tool", "flowaudit"]) }],
            "related-tasks": [{ "task-uuid": id(&["task", rule]) }],
        }],
        "relevant-evidence": [{
            "description": f.evidence.to_value().to_string(),
        }],
        "collected": timestamp(&report.evaluated_on),
    })
}

/// What `--observe` saw at one destination, as evidence that logging operated: examined
/// from key names and stream times, at the time of the observation.
fn records_observation(row: &crate::findings::RecordsRow) -> Value {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_string());
    let props: Vec<Value> = [
        prop("account-id", &row.account_id),
        prop("region", &row.region),
        prop("destination", &row.destination),
        prop("newest-record", &or_none(&row.newest)),
        prop("oldest-kept", &or_none(&row.oldest)),
    ]
    .into_iter()
    .chain(row.kept_days.map(|d| prop("kept-days", &d.to_string())))
    .collect();
    let kept = match (&row.oldest, row.kept_days) {
        (Some(oldest), Some(days)) => format!(", the oldest kept from {oldest} ({days} days)"),
        _ => String::new(),
    };
    let description = match &row.error {
        Some(error) => format!("{} could not be observed: {error}", row.destination),
        None => format!(
            "{}: newest record {}{kept}; delivered by {}.",
            row.destination,
            or_none(&row.newest),
            row.flow_logs.join(", ")
        ),
    };
    json!({
        "uuid": id(&["records", &row.account_id, &row.region, &row.destination]),
        "title": format!("Records at {}", row.destination),
        "description": description,
        "props": props,
        "methods": ["EXAMINE"],
        "types": ["historic"],
        "origins": [{
            "actors": [{ "type": "tool", "actor-uuid": id(&["tool", "flowaudit"]) }],
        }],
        "relevant-evidence": [{
            "description": serde_json::to_string(row).unwrap_or_default(),
        }],
        "collected": row.observed_at,
    })
}

fn finding(f: &Finding) -> Value {
    let [rule, account, region, resource] = finding_key(f);
    let (reason, remarks) = match f.status {
        Status::Error => (
            "other",
            "Could not be evaluated: the data it needs was not collected.",
        ),
        Status::Unknown => (
            "other",
            "Could not be evaluated: a value it needs is unknown until the plan is applied.",
        ),
        _ => ("fail", ""),
    };
    let mut target = json!({
        "type": "objective-id",
        "target-id": control_id(rule),
        "status": { "state": "not-satisfied", "reason": reason },
    });
    if !remarks.is_empty()
        && let Value::Object(map) = &mut target
    {
        map.insert("remarks".into(), json!(remarks));
    }
    json!({
        "uuid": id(&["finding", rule, account, region, resource]),
        "title": format!("{rule} {resource} ({account} {region})"),
        "description": format!("{}. Fix: {}", f.message, f.remediation),
        "target": target,
        "related-observations": [{
            "observation-uuid": id(&["observation", rule, account, region, resource]),
        }],
    })
}

pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    let time = timestamp(&report.evaluated_on);
    let policy_resource = id(&["policy", &report.policy.sha256]);
    let snapshot_resource = id(&["snapshot", &report.snapshot.sha256]);
    let activities: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "uuid": id(&["activity", r.id]),
                "title": format!("{} {}", r.id, r.name),
                "description": format!("{} Why: {}", r.what, r.why),
                "props": [prop("rule-id", r.id), prop("category", r.category.as_str())],
                "related-controls": {
                    "control-selections": [{ "include-controls": [{ "control-id": control_id(r.id) }] }],
                },
            })
        })
        .collect();
    // Within the result: flowaudit itself (the actor of every observation), and one task
    // per rule carrying out the rule's activity on the estate.
    let tool = json!({
        "uuid": id(&["tool", "flowaudit"]),
        "type": "software",
        "title": format!("{} {}", report.tool.name, report.tool.version),
        "description": "Audits AWS VPC Flow Log coverage, delivery and retention against a policy.",
        "status": { "state": "operational" },
    });
    let tasks: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "uuid": id(&["task", r.id]),
                "type": "action",
                "title": format!("Check {} on every resource in scope", r.id),
                "associated-activities": [{
                    "activity-uuid": id(&["activity", r.id]),
                    "subjects": [{ "type": "component", "include-all": {} }],
                }],
            })
        })
        .collect();
    let controls: Vec<Value> = RULES
        .iter()
        .map(|r| json!({ "control-id": control_id(r.id) }))
        .collect();
    let problems = report.findings.iter().filter(|f| f.status.is_problem());
    let document = json!({
        "assessment-results": {
            "uuid": id(&["assessment-results", &report.policy.sha256, &report.snapshot.sha256, &report.evaluated_on]),
            "metadata": {
                "title": format!("flowaudit: VPC Flow Log assessment under policy {}", report.policy.name),
                "last-modified": time,
                "version": report.tool.version,
                "oscal-version": OSCAL_VERSION,
                "props": [prop("tool", &format!("{} {}", report.tool.name, report.tool.version))],
            },
            "import-ap": { "href": format!("#{policy_resource}") },
            "local-definitions": { "activities": activities },
            "results": [{
                "uuid": id(&["result", &report.policy.sha256, &report.snapshot.sha256, &report.evaluated_on]),
                "title": format!("Policy {} on {}", report.policy.name, report.evaluated_on),
                "description": format!(
                    "Accounts {} in regions {}, collected at {}: {} failed, {} not evaluated, {} waived, {} passed.",
                    report.snapshot.accounts.join(", "),
                    report.snapshot.regions.join(", "),
                    report.snapshot.collected_at,
                    report.summary.fail,
                    report.summary.error,
                    report.summary.waived,
                    report.summary.pass
                ),
                "start": time,
                "end": time,
                "local-definitions": { "components": [tool], "tasks": tasks },
                "reviewed-controls": {
                    "control-selections": [{
                        "description": format!("The rules of flowaudit policy {}", report.policy.name),
                        "include-controls": controls,
                    }],
                },
                "observations": report
                    .findings
                    .iter()
                    .map(|f| observation(report, f))
                    .chain(report.records.iter().map(records_observation))
                    .collect::<Vec<_>>(),
                "findings": problems.map(finding).collect::<Vec<_>>(),
            }],
            "back-matter": {
                "resources": [
                    {
                        "uuid": policy_resource,
                        "title": format!("Policy {}", report.policy.name),
                        "description": "The flowaudit policy file the assessment applied, by the SHA-256 of its exact bytes.",
                        "rlinks": [{
                            "href": format!("policy:{}", report.policy.name),
                            "hashes": [{ "algorithm": "SHA-256", "value": report.policy.sha256 }],
                        }],
                    },
                    {
                        "uuid": snapshot_resource,
                        "title": format!("Snapshot collected at {}", report.snapshot.collected_at),
                        "description": "The flowaudit snapshot the assessment judged, by the SHA-256 of its exact bytes.",
                        "rlinks": [{
                            "href": "snapshot.json",
                            "hashes": [{ "algorithm": "SHA-256", "value": report.snapshot.sha256 }],
                        }],
                    },
                ],
            },
        }
    });
    super::canonical_json(document)
}
