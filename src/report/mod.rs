//! Turning an evaluation into what people and machines read. One file per format.

pub mod asff;
mod coverage_map;
mod csv;
mod format;
mod github;
mod html;
mod json;
mod junit;
mod markdown;
mod ocsf;
mod oscal;
mod sarif;
mod table;

pub use format::{Format, OutputSpec};
pub use json::{PolicyRef, REPORT_SCHEMA_VERSION, Report, SnapshotRef, ToolRef};
pub use table::{TableStyle, fit as fit_table, indented as wrap_indented};

use crate::findings::{Category, Finding};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot render JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot render CSV: {0}")]
    Csv(#[from] ::csv::Error),
    /// Writing the report (or the XML writer underneath JUnit) failed.
    #[error("cannot write the report: {0}")]
    Io(#[from] std::io::Error),
}

/// Renders a report. `style` applies to the terminal table only.
pub fn render(format: Format, report: &Report, style: TableStyle) -> Result<String, RenderError> {
    Ok(match format {
        Format::Table => table::render(report, style),
        Format::Json => report.to_json()?,
        Format::Csv => csv::render(report)?,
        Format::Sarif => sarif::render(report)?,
        Format::Junit => junit::render(report)?,
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
        Format::Ocsf => ocsf::render(report)?,
        Format::Oscal => oscal::render(report)?,
        Format::Github => github::render(report),
        Format::Asff => asff::render(report)?,
    })
}

/// Renders a report into `out`. JSON is streamed; the other formats are built whole first.
pub fn render_to(
    format: Format,
    report: &Report,
    style: TableStyle,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    match format {
        Format::Json => report.write_json(out)?,
        other => out.write_all(render(other, report, style)?.as_bytes())?,
    }
    Ok(())
}

/// Failures and errors per category, in category order, most severe first within each (and
/// otherwise in the report's own order). Categories without problems are left out.
/// `counted` picks the problems that can fail the run, or (false) those a plan's gate
/// leaves out, which reports list after the rest.
fn problems_by_category(report: &Report, counted: bool) -> Vec<(Category, Vec<&Finding>)> {
    Category::ALL
        .into_iter()
        .filter_map(|category| {
            let mut rows: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| f.category == category && f.status.is_problem())
                .filter(|f| report.counts(f) == counted)
                .collect();
            rows.sort_by_key(|f| std::cmp::Reverse(f.severity));
            (!rows.is_empty()).then_some((category, rows))
        })
        .collect()
}

/// Pretty JSON with every object's keys sorted. Formats built as `serde_json::Value` go
/// through here so that their bytes do not depend on whether a build enables serde_json's
/// `preserve_order` (a dev-dependency turns it on in test builds only).
fn canonical_json(mut value: serde_json::Value) -> Result<String, serde_json::Error> {
    value.sort_all_objects();
    let mut out = serde_json::to_string_pretty(&value)?;
    out.push('\n');
    Ok(out)
}

/// The one-line summary `--quiet` prints.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    // A plan's unknowns wait for apply; elsewhere (a Firehose flow log's records) they
    // cannot be seen from here at all.
    let unknown = match (s.unknown, report.gate.is_some()) {
        (0, _) => String::new(),
        (n, true) => format!(", {n} unknown until apply"),
        (n, false) => format!(", {n} unknown"),
    };
    let gate = match &report.gate {
        Some(g) => format!(
            "; gate `{}`: {} introduced, {} touched, {} pre-existing{}",
            g.mode.as_str(),
            g.introduced,
            g.touched,
            g.pre_existing,
            match g.not_counted() {
                0 => String::new(),
                n => format!(" ({n} not counted)"),
            }
        ),
        None => String::new(),
    };
    format!(
        "{} failed, {} errors{unknown}, {} waived, {} passed{gate}\n",
        s.fail, s.error, s.waived, s.pass
    )
}

/// The heading over the problems a plan's gate does not count.
fn not_counted_heading(report: &Report) -> Option<String> {
    let gate = report.gate.as_ref()?;
    let n = gate.not_counted();
    (n > 0).then(|| {
        let what = match gate.mode {
            crate::plan::gate::Gate::Introduced => "pre-existing or touched",
            _ => "pre-existing",
        };
        format!(
            "Not counted by this gate (--gate {}): {n} {what} problems, which do not fail it",
            gate.mode.as_str()
        )
    })
}

/// A finding's place in the Terraform configuration, `file:line`, when a plan knows it.
fn source_text(f: &Finding) -> Option<String> {
    f.source
        .as_deref()
        .map(crate::findings::SourceLocation::file_line)
}

pub use crate::digest::sha256_hex;
