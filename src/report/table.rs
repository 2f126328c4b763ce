//! The terminal table: failures and errors grouped by category and severity, one line of
//! fix per row, and a closing summary.

use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::peaker::PriorityMax;
use tabled::settings::{Modify, Style, Width};

use super::Report;
use super::coverage_map::Map;
use crate::findings::{Finding, Severity, Status};

/// How the terminal table is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableStyle {
    /// ANSI colour for severities.
    pub colour: bool,
    /// Columns to fit every table into; `None` for no limit (a file or a pipe).
    pub width: Option<usize>,
}

/// Fits a built table into `width` columns, narrowing its widest columns first and
/// wrapping their words; `None` leaves it as built.
pub fn fit(table: &mut tabled::Table, width: Option<usize>) {
    if let Some(w) = width {
        table.with(
            Width::wrap(w)
                .priority(PriorityMax::right())
                .keep_words(true),
        );
    }
}

/// The widest line of a rendered text, in characters.
fn text_width(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// `text` word-wrapped to `width`, each line after `indent`.
pub fn indented(text: &str, indent: &str, width: usize) -> String {
    let wrapped = tabled::settings::width::Wrap::wrap(
        text,
        width.saturating_sub(indent.chars().count()).max(20),
        true,
    );
    wrapped
        .lines()
        .map(|l| format!("{indent}{}\n", l.trim()))
        .collect()
}

/// Problems one after another, for a terminal too narrow for the table: a heading line,
/// then the problem and the fix wrapped to the width.
fn stacked(rows: &[&Finding], style: TableStyle, width: usize) -> String {
    let mut out = String::new();
    for f in rows {
        let change = f.change.map(|c| format!(" [{c}]")).unwrap_or_default();
        let at = super::source_text(f)
            .map(|at| format!(" at {at}"))
            .unwrap_or_default();
        out.push_str(&indented(
            &format!(
                "{} {} {}{at} ({} {}){change}",
                severity_text(f.severity, style.colour),
                f.rule_id,
                f.resource_id,
                f.account_id,
                f.region
            ),
            "",
            width,
        ));
        out.push_str(&indented(&f.message_with_age(), "  ", width));
        if !f.remediation.is_empty() {
            out.push_str(&indented(&format!("fix: {}", f.remediation), "  ", width));
        }
        out.push('\n');
    }
    out
}

/// The coverage map as text, or a line saying it does not fit.
fn coverage_map(report: &Report, width: Option<usize>) -> String {
    let map = Map::of(report);
    if map.is_empty() {
        return String::new();
    }
    let mut b = Builder::default();
    let mut header = vec!["account".to_string()];
    header.extend(map.regions.iter().map(|r| r.to_string()));
    b.push_record(header);
    for account in &map.accounts {
        let mut row = vec![account.to_string()];
        row.extend(map.regions.iter().map(|r| map.cell_text(account, r)));
        b.push_record(row);
    }
    let mut t = b.build();
    t.with(Style::sharp());
    let text = t.to_string();
    let needed = text_width(&text);
    if width.is_some_and(|w| needed > w) {
        return format!(
            "\nCoverage map: {} accounts x {} regions is {needed} columns wide, more than this terminal; see the HTML or JSON report\n",
            map.accounts.len(),
            map.regions.len()
        );
    }
    let legend = "Coverage map: the share of ENIs a qualifying flow log reaches (✓ nothing failed, ✗ failures, ? not evaluated)";
    let legend = match width {
        Some(w) => indented(legend, "", w),
        None => format!("{legend}\n"),
    };
    format!("\n{legend}{text}\n")
}

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

fn table(rows: &[&Finding], with_fix: bool, style: TableStyle) -> String {
    let mut b = Builder::default();
    let with_change = rows.iter().any(|f| f.change.is_some());
    let mut header = vec![
        "severity",
        "rule",
        "resource",
        "account / region",
        "problem",
    ];
    if with_change {
        header.insert(2, "change");
    }
    if with_fix {
        header.push("fix");
    }
    b.push_record(header);
    for f in rows {
        let resource = match super::source_text(f) {
            Some(at) => format!("{}\n{at}", f.resource_id),
            None => f.resource_id.clone(),
        };
        let mut record = vec![
            severity_text(f.severity, style.colour),
            f.rule_id.clone(),
            resource,
            format!("{} {}", f.account_id, f.region),
            f.message_with_age(),
        ];
        if with_change {
            record.insert(2, f.change.map(|c| c.to_string()).unwrap_or_default());
        }
        if with_fix {
            record.push(f.remediation.clone());
        }
        b.push_record(record);
    }
    // The change column, when there is one, shifts the columns after it.
    let shift = usize::from(with_change);
    let mut t = b.build();
    t.with(Style::sharp())
        .with(Modify::new(Columns::new(2 + shift..3 + shift)).with(Width::wrap(RESOURCE_WIDTH)))
        .with(
            Modify::new(Columns::new(4 + shift..5 + shift))
                .with(Width::wrap(PROBLEM_WIDTH).keep_words(true)),
        );
    if with_fix {
        t.with(
            Modify::new(Columns::new(5 + shift..6 + shift))
                .with(Width::wrap(FIX_WIDTH).keep_words(true)),
        );
    }
    let text = t.to_string();
    match style.width {
        Some(w) if text_width(&text) > w => stacked(rows, style, w),
        _ => text,
    }
}

/// One table per category of the problems a gate counts (or, `counted` false, leaves out).
fn problem_tables(report: &Report, counted: bool, style: TableStyle) -> String {
    let mut out = String::new();
    for (category, rows) in super::problems_by_category(report, counted) {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|sev| {
                let n = rows.iter().filter(|f| f.severity == *sev).count();
                (n > 0).then(|| format!("{n} {sev}"))
            })
            .collect();
        out.push_str(&format!("\n{category} ({})\n", counts.join(", ")));
        out.push_str(&table(&rows, true, style));
        out.push('\n');
    }
    out
}

/// What `--observe` saw at each destination, when anything was observed.
fn records_table(report: &Report, style: TableStyle) -> String {
    if report.records.is_empty() {
        return String::new();
    }
    let mut b = Builder::default();
    b.push_record([
        "",
        "destination",
        "newest record",
        "oldest kept",
        "kept",
        "policy",
    ]);
    for row in &report.records {
        let state = super::coverage_map::records_state(report, row);
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
        b.push_record([
            state.mark().to_string(),
            row.destination.clone(),
            match &row.error {
                Some(_) => "not observed".to_string(),
                None => dash(&row.newest),
            },
            dash(&row.oldest),
            row.kept_days
                .map_or_else(|| "-".to_string(), |d| format!("{d} days")),
            match (row.min_days, row.max_days) {
                (None, None) => "-".to_string(),
                (min, max) => format!(
                    "{}-{} days",
                    min.unwrap_or(0),
                    max.map_or("any".to_string(), |d| d.to_string())
                ),
            },
        ]);
    }
    let mut t = b.build();
    // An S3 prefix can be a hundred characters; it wraps like a finding's resource.
    t.with(Style::sharp())
        .with(Modify::new(Columns::new(1..2)).with(Width::wrap(RESOURCE_WIDTH)));
    fit(&mut t, style.width);
    format!(
        "\nrecords (observed {})\n{t}\n",
        report.records[0].observed_at
    )
}

pub fn render(report: &Report, style: TableStyle) -> String {
    let mut out = String::new();
    let heading = format!(
        "flowaudit {}: policy `{}`, snapshot collected {}, evaluated on {}",
        report.tool.version, report.policy.name, report.snapshot.collected_at, report.evaluated_on
    );
    match style.width {
        Some(w) => out.push_str(&indented(&heading, "", w)),
        None => out.push_str(&format!("{heading}\n")),
    }
    out.push_str(&coverage_map(report, style.width));
    out.push_str(&records_table(report, style));
    if !report.plan_changes.is_empty() {
        out.push_str(&format!(
            "\nthis plan ({} changes)\n",
            report.plan_changes.len()
        ));
        for c in &report.plan_changes {
            let by = if c.address.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.address)
            };
            let line = format!("{}{by}", c.change);
            match style.width {
                Some(w) => out.push_str(&indented(&line, "  ", w)),
                None => out.push_str(&format!("  {line}\n")),
            }
        }
    }
    out.push_str(&problem_tables(report, true, style));
    if let Some(heading) = super::not_counted_heading(report) {
        let heading = match style.width {
            Some(w) => indented(&heading, "", w),
            None => format!("{heading}\n"),
        };
        out.push_str(&format!("\n{heading}"));
        out.push_str(&problem_tables(report, false, style));
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
        fit(&mut t, style.width);
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
