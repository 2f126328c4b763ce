//! SARIF 2.1.0, for code-scanning dashboards. Each rule is a reportingDescriptor with its
//! documentation; each failure, waiver and error is a result whose logical location is the
//! resource's ARN. Passing checks are left out: SARIF lists problems.
//!
//! For a plan, a result whose resource is found in the `.tf` files also has a physical
//! location (the file relative to the repository root, and the line of its block), which
//! code scanning puts on the pull request's diff, and a `baselineState`: `new` for a
//! problem the plan introduces, `updated` for an old one it touches, `unchanged` for one
//! it leaves alone.

use serde_json::{Value, json};

use super::Report;
use crate::findings::{ChangeClass, Severity, Status};
use crate::rules::RULES;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning ranks security results by this 0-10 score.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.what },
                "help": {
                    "text": format!("{}\n\nWhy it matters: {}\n\nHow to fix it: {}", r.what, r.why, r.fix),
                    "markdown": format!("{}\n\n**Why it matters.** {}\n\n**How to fix it.**\n\n```\n{}\n```", r.what, r.why, r.fix),
                },
                "defaultConfiguration": { "level": level(r.default_severity) },
                "properties": {
                    "category": r.category.as_str(),
                    "tags": ["security", "aws", "vpc-flow-logs", r.category.as_str()],
                    "security-severity": security_severity(r.default_severity),
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| f.status != Status::Pass)
        .map(|f| {
            let rule_index = RULES.iter().position(|r| r.id == f.rule_id);
            let name = f.resource_arn.clone().unwrap_or_else(|| format!("{}/{}/{}", f.account_id, f.region, f.resource_id));
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": if judged(f.status) { level(f.severity) } else { "error" },
                "kind": if judged(f.status) { "fail" } else { "review" },
                "message": { "text": if f.remediation.is_empty() { f.message.clone() } else { format!("{} Fix: {}", f.message, f.remediation) } },
                "locations": [{
                    "logicalLocations": [{
                        "name": f.resource_id,
                        "fullyQualifiedName": name,
                        "kind": f.resource_type,
                    }]
                }],
                "partialFingerprints": {
                    "flowaudit/v1": format!("{}|{}|{}|{}", f.rule_id, f.account_id, f.region, f.resource_id),
                },
                "properties": {
                    "status": f.status.as_str(),
                    "severity": f.severity.as_str(),
                    "category": f.category.as_str(),
                    "account_id": f.account_id,
                    "region": f.region,
                    "evidence": f.evidence.to_value(),
                },
            });
            if let (Some(index), Value::Object(map)) = (rule_index, &mut result) {
                map.insert("ruleIndex".into(), json!(index));
            }
            if let (Some(class), Value::Object(map)) = (f.change, &mut result) {
                map.insert("baselineState".into(), json!(baseline_state(class)));
            }
            if let (Some(at), Some(location)) = (&f.source, result.pointer_mut("/locations/0")) {
                location["physicalLocation"] = json!({
                    "artifactLocation": { "uri": at.file, "uriBaseId": "%SRCROOT%" },
                    "region": { "startLine": at.line, "startColumn": at.column },
                });
            }
            if let (Status::Waived, Some(w), Value::Object(map)) = (f.status, &f.waiver, &mut result) {
                map.insert(
                    "suppressions".into(),
                    json!([{ "kind": "external", "status": "accepted", "justification": format!("{} (approved by {}, expires {})", w.reason, w.approved_by, w.expires) }]),
                );
            }
            result
        })
        .collect();
    let sarif = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "flowaudit",
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": report.summary.error == 0 && report.summary.unknown == 0,
                "properties": {
                    "policy": report.policy,
                    "snapshot": report.snapshot,
                    "evaluated_on": report.evaluated_on,
                },
            }],
            "results": results,
        }]
    });
    super::canonical_json(sarif)
}

/// How a plan's problem compares with the existing estate, in SARIF's words.
fn baseline_state(class: ChangeClass) -> &'static str {
    match class {
        ChangeClass::Introduced => "new",
        ChangeClass::Touched => "updated",
        ChangeClass::PreExisting => "unchanged",
    }
}

/// Whether a finding was judged, rather than left open for want of data (an error) or for
/// a value known only after apply (unknown): those need a person to review them.
fn judged(status: Status) -> bool {
    !matches!(status, Status::Error | Status::Unknown)
}
