//! Turning an evaluation into what people and machines read. One file per format.

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
fn problems_by_category(report: &Report) -> Vec<(Category, Vec<&Finding>)> {
    Category::ALL
        .into_iter()
        .filter_map(|category| {
            let mut rows: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| f.category == category && f.status.is_problem())
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
    let unknown = if s.unknown > 0 {
        format!(", {} unknown until apply", s.unknown)
    } else {
        String::new()
    };
    format!(
        "{} failed, {} errors{unknown}, {} waived, {} passed\n",
        s.fail, s.error, s.waived, s.pass
    )
}

pub use crate::digest::sha256_hex;
