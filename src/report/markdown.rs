//! Markdown, for pull-request comments and wikis: a summary first, then failures by category.

use super::Report;
use crate::findings::{Category, Finding, Status, Summary};

/// Table cells cannot hold pipes or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// One table per category of the problems a gate counts (or, `counted` false, leaves out),
/// under headings of `level`.
fn problem_tables(report: &Report, counted: bool, level: &str) -> String {
    let mut out = String::new();
    let with_change = report.gate.is_some();
    for (category, rows) in super::problems_by_category(report, counted) {
        let (change_head, change_rule) = if with_change {
            (" change |", "---|")
        } else {
            ("", "")
        };
        out.push_str(&format!(
            "\n{level} {category}\n\n| severity | rule |{change_head} resource | account / region | problem | fix |\n|---|---|{change_rule}---|---|---|---|\n"
        ));
        for f in rows {
            let change = match (with_change, f.change) {
                (true, Some(c)) => format!(" {c} |"),
                (true, None) => " |".to_string(),
                (false, _) => String::new(),
            };
            let at = super::source_text(f)
                .map(|at| format!(" ({at})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "| {} | `{}` |{change} `{}`{at} | {} {} | {} | {} |\n",
                f.severity,
                f.rule_id,
                cell(&f.resource_id),
                f.account_id,
                f.region,
                cell(&f.message_with_age()),
                cell(&f.remediation)
            ));
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let mut out = format!(
        "## flowaudit: {}\nPolicy `{}` (sha256 `{}`), snapshot collected {} (sha256 `{}`), evaluated on {}, flowaudit {}.\n",
        super::summary_line(report),
        report.policy.name,
        &report.policy.sha256[..12.min(report.policy.sha256.len())],
        report.snapshot.collected_at,
        &report.snapshot.sha256[..12.min(report.snapshot.sha256.len())],
        report.evaluated_on,
        report.tool.version
    );
    out.push_str("\n| category | failed | errors | waived | passed |\n|---|---:|---:|---:|---:|\n");
    for category in Category::ALL {
        let n = Summary::of(report.findings.iter().filter(|f| f.category == category));
        if n.total() > 0 {
            out.push_str(&format!(
                "| {category} | {} | {} | {} | {} |\n",
                n.fail,
                n.error + n.unknown,
                n.waived,
                n.pass
            ));
        }
    }
    if !report.plan_changes.is_empty() {
        out.push_str("\n### What this plan changes\n\n");
        for c in &report.plan_changes {
            out.push_str(&format!("- {}\n", cell(&c.change)));
        }
    }
    out.push_str(&problem_tables(report, true, "###"));
    if let Some(heading) = super::not_counted_heading(report) {
        out.push_str(&format!("\n### {heading}\n"));
        out.push_str(&problem_tables(report, false, "####"));
    }
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    if !waived.is_empty() {
        out.push_str("\n### Waived\n\n| rule | resource | reason | approved by | expires |\n|---|---|---|---|---|\n");
        for f in waived {
            if let Some(w) = &f.waiver {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} | {} | {} |\n",
                    f.rule_id,
                    cell(&f.resource_id),
                    cell(&w.reason),
                    cell(&w.approved_by),
                    w.expires
                ));
            }
        }
    }
    out
}
