//! The terminal table: failures and errors grouped by category and severity, one line of
//! fix per row, and a closing summary.

use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Modify, Style, Width};

use super::Report;
use crate::findings::{Finding, Severity, Status};

const RESOURCE_WIDTH: usize = 40;
const PROBLEM_WIDTH: usize = 60;
const FIX_WIDTH: usize = 45;

/// Severity in colour (ANSI), for terminals that want it.
fn severity_text(severity: Severity, colour: bool) -> String {
    if !colour {
        return severity.to_string();
    }
    let code = match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    format!("\x1b[{code}m{severity}\x1b[0m")
}

fn table(rows: &[&Finding], with_fix: bool, colour: bool) -> String {
    let mut b = Builder::default();
    let mut header = vec![
        "severity",
        "rule",
        "resource",
        "account / region",
        "problem",
    ];
    if with_fix {
        header.push("fix");
    }
    b.push_record(header);
    for f in rows {
        let mut record = vec![
            severity_text(f.severity, colour),
            f.rule_id.clone(),
            f.resource_id.clone(),
            format!("{} {}", f.account_id, f.region),
            f.message_with_age(),
        ];
        if with_fix {
            record.push(f.remediation.clone());
        }
        b.push_record(record);
    }
    let mut t = b.build();
    t.with(Style::sharp())
        .with(Modify::new(Columns::new(2..3)).with(Width::wrap(RESOURCE_WIDTH)))
        .with(Modify::new(Columns::new(4..5)).with(Width::wrap(PROBLEM_WIDTH).keep_words(true)));
    if with_fix {
        t.with(Modify::new(Columns::new(5..6)).with(Width::wrap(FIX_WIDTH).keep_words(true)));
    }
    t.to_string()
}

pub fn render(report: &Report, colour: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "flowaudit {}: policy `{}`, snapshot collected {}, evaluated on {}\n",
        report.tool.version, report.policy.name, report.snapshot.collected_at, report.evaluated_on
    ));
    for (category, rows) in super::problems_by_category(report) {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|sev| {
                let n = rows.iter().filter(|f| f.severity == *sev).count();
                (n > 0).then(|| format!("{n} {sev}"))
            })
            .collect();
        out.push_str(&format!("\n{category} ({})\n", counts.join(", ")));
        out.push_str(&table(&rows, true, colour));
        out.push('\n');
    }
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    if !waived.is_empty() {
        out.push_str(&format!("\nwaived ({})\n", waived.len()));
        let mut b = Builder::default();
        b.push_record(["rule", "resource", "reason", "approved by", "expires"]);
        for f in waived {
            let (reason, by, expires) = f
                .waiver
                .as_ref()
                .map(|w| (w.reason.clone(), w.approved_by.clone(), w.expires.clone()))
                .unwrap_or_default();
            b.push_record([
                f.rule_id.clone(),
                f.resource_id.clone(),
                reason,
                by,
                expires,
            ]);
        }
        let mut t = b.build();
        t.with(Style::sharp()).with(
            Modify::new(Columns::new(2..3)).with(Width::wrap(PROBLEM_WIDTH).keep_words(true)),
        );
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if !report.out_of_scope.is_empty() {
        out.push_str(&format!(
            "\n{} resources out of scope (listed in the JSON report under `out_of_scope`)\n",
            report.out_of_scope.len()
        ));
    }
    out.push('\n');
    out.push_str(&super::summary_line(report));
    out
}
