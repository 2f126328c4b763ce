//! GitHub Actions workflow commands: one annotation per failure and error.

use super::Report;
use crate::findings::{Severity, Status};

/// Escaping from GitHub's workflow-command rules: data escapes %, CR and LF; properties
/// also escape `:` and `,`.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in report.findings.iter().filter(|f| f.status.is_problem()) {
        let command = match (f.status, f.severity) {
            (Status::Error | Status::Unknown, _) | (_, Severity::Critical | Severity::High) => {
                "error"
            }
            (_, Severity::Medium) => "warning",
            _ => "notice",
        };
        let title = format!(
            "{} {} ({} {})",
            f.rule_id, f.resource_id, f.account_id, f.region
        );
        let mut message = f.message.clone();
        if !f.remediation.is_empty() {
            message.push_str(&format!("\nFix: {}", f.remediation));
        }
        out.push_str(&format!(
            "::{command} title={}::{}\n",
            property(&title),
            data(&message)
        ));
    }
    out.push_str(&format!("flowaudit: {}", super::summary_line(report)));
    out
}
