//! OCSF Compliance Finding events (class 2003, OCSF 1.1), one per finding, for SIEMs and
//! Amazon Security Lake.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::Report;
use crate::findings::{Finding, Severity, Status};
use crate::rules;

const OCSF_VERSION: &str = "1.1.0";

fn severity_id(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

/// compliance.status_id: 0 Unknown, 1 Pass, 3 Fail. An error, or a value unknown before
/// apply, could not be judged: Unknown.
fn compliance_status(s: Status) -> (u8, &'static str) {
    match s {
        Status::Pass => (1, "Pass"),
        Status::Fail | Status::Waived => (3, "Fail"),
        Status::Error | Status::Unknown => (0, "Unknown"),
    }
}

pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    // Events are stamped with the evaluation date (midnight UTC): the same inputs give the same events.
    let time = NaiveDate::parse_from_str(&report.evaluated_on, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or(0);
    let events: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut event = event(report, f, time);
            // A plan's gate class and `.tf` place, where it has them.
            if let Some(unmapped) = event.get_mut("unmapped").and_then(Value::as_object_mut) {
                if let Some(change) = f.change {
                    unmapped.insert("change".into(), json!(change));
                }
                if let Some(source) = &f.source {
                    unmapped.insert("source".into(), json!(source));
                }
            }
            event
        })
        .collect();
    super::canonical_json(Value::Array(events))
}

/// One finding as an OCSF Compliance Finding event.
fn event(report: &Report, f: &Finding, time: i64) -> Value {
    let (status_id, status) = compliance_status(f.status);
    let title = rules::find(&f.rule_id)
        .map(|r| r.summary)
        .unwrap_or_default();
    json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2003,
        "class_name": "Compliance Finding",
        "type_uid": 200301,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id(f.severity),
        "severity": match f.severity { Severity::Info => "Informational", s => capitalised(s.as_str()) },
        "status_id": if f.status == Status::Waived { 3 } else { 1 },
        "status": if f.status == Status::Waived { "Suppressed" } else { "New" },
        "time": time,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": { "name": "flowaudit", "vendor_name": "flowaudit", "version": report.tool.version },
        },
        "finding_info": {
            "uid": format!("{}:{}:{}:{}", f.rule_id, f.account_id, f.region, f.resource_id),
            "title": title,
            "desc": f.message,
            "types": [f.category.as_str()],
        },
        "compliance": {
            "control": f.rule_id,
            "standards": [format!("flowaudit policy {}", report.policy.name)],
            "status_id": status_id,
            "status": status,
            "status_detail": f.status.as_str(),
        },
        "resources": [{
            "uid": f.resource_arn.clone().unwrap_or_else(|| f.resource_id.clone()),
            "name": f.resource_id,
            "type": f.resource_type,
            "region": f.region,
            "data": f.evidence.to_value(),
        }],
        "cloud": {
            "provider": "AWS",
            "region": f.region,
            "account": { "uid": f.account_id, "type": "AWS Account", "type_id": 10 },
        },
        "remediation": { "desc": f.remediation },
        "unmapped": { "waiver": f.waiver, "profile": f.profile, "policy_sha256": report.policy.sha256, "snapshot_sha256": report.snapshot.sha256 },
    })
}

fn capitalised(s: &str) -> &'static str {
    match s {
        "low" => "Low",
        "medium" => "Medium",
        "high" => "High",
        "critical" => "Critical",
        _ => "Unknown",
    }
}
