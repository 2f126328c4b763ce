//! GitHub Actions workflow commands: one annotation per failure and error. A plan's finding
//! whose resource is found in the `.tf` files is annotated on that file and line; a
//! problem the plan's gate does not count is a notice, marked as such.

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
        let command = match (report.counts(f), f.status, f.severity) {
            (false, _, _) => "notice",
            (_, Status::Error | Status::Unknown, _)
            | (_, _, Severity::Critical | Severity::High) => "error",
            (_, _, Severity::Medium) => "warning",
            _ => "notice",
        };
        let change = f.change.map(|c| format!(" [{c}]")).unwrap_or_default();
        let title = format!(
            "{} {} ({} {}){change}",
            f.rule_id, f.resource_id, f.account_id, f.region
        );
        let at = f
            .source
            .as_ref()
            .map(|at| {
                format!(
                    " file={},line={},col={},",
                    property(&at.file),
                    at.line,
                    at.column
                )
            })
            .unwrap_or_else(|| " ".to_string());
        let mut message = f.message.clone();
        if !f.remediation.is_empty() {
            message.push_str(&format!("\nFix: {}", f.remediation));
        }
        out.push_str(&format!(
            "::{command}{at}title={}::{}\n",
            property(&title),
            data(&message)
        ));
    }
    out.push_str(&format!("flowaudit: {}", super::summary_line(report)));
    out
}
