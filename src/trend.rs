//! The trend over a chain of scheduled runs' JSON reports: per run, findings by status,
//! failures by category, and ENI coverage; as a table, JSON, or an HTML page with a chart.

use std::collections::BTreeMap;

use quick_xml::escape::escape;
use serde::Serialize;

use crate::findings::{Category, Status, Summary};
use crate::report::Report;

/// One run of the chain.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub evaluated_on: String,
    pub policy: String,
    pub summary: Summary,
    /// Failures per category, every category listed.
    pub failed_by_category: BTreeMap<String, usize>,
    pub network_interfaces: usize,
    pub covered: usize,
    /// Covered ENIs in percent, one decimal; `None` when the run saw no ENIs (or its
    /// report predates coverage figures).
    pub coverage_percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// In evaluation-date order.
    pub runs: Vec<Run>,
}

fn run(report: &Report) -> Run {
    let mut failed_by_category: BTreeMap<String, usize> = Category::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), 0))
        .collect();
    for f in report.findings.iter().filter(|f| f.status == Status::Fail) {
        *failed_by_category
            .entry(f.category.as_str().to_string())
            .or_default() += 1;
    }
    let network_interfaces = report.coverage.iter().map(|c| c.network_interfaces).sum();
    let covered = report.coverage.iter().map(|c| c.covered).sum();
    Run {
        evaluated_on: report.evaluated_on.clone(),
        policy: report.policy.name.clone(),
        summary: report.summary,
        failed_by_category,
        network_interfaces,
        covered,
        coverage_percent: (network_interfaces > 0)
            .then(|| (1000.0 * covered as f64 / network_interfaces as f64).round() / 10.0),
    }
}

/// The trend of `reports`, put in evaluation-date order (reports of one day keep the order
/// given).
pub fn trend(reports: &[Report]) -> Trend {
    let mut runs: Vec<Run> = reports.iter().map(run).collect();
    runs.sort_by(|a, b| a.evaluated_on.cmp(&b.evaluated_on));
    Trend { runs }
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "-".to_string(), |p| format!("{p:.1}%"))
}

impl Trend {
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = serde_json::to_string_pretty(self)?;
        out.push('\n');
        Ok(out)
    }

    /// The trend as a table. When `width` is given and the per-category columns do not
    /// fit, they are left out (the JSON and HTML outputs keep them).
    pub fn to_table(&self, width: Option<usize>) -> String {
        let full = self.table(true);
        let fits = |text: &str| width.is_none_or(|w| text.lines().all(|l| l.chars().count() <= w));
        if fits(&full) {
            return format!(
                "{full}\nFailures per category: COV coverage, FLS flow-log settings, DST destination,\nCWL CloudWatch retention, S3L S3 lifecycle, SEC destination security, COL collection.\n"
            );
        }
        let compact = self.table(false);
        if fits(&compact) {
            return format!("{compact}\n");
        }
        let mut b = tabled::builder::Builder::default();
        b.push_record(["run", "problems", "covered"]);
        for r in &self.runs {
            b.push_record([
                r.evaluated_on.clone(),
                r.summary.problems().to_string(),
                percent(r.coverage_percent),
            ]);
        }
        let mut t = b.build();
        t.with(tabled::settings::Style::sharp());
        crate::report::fit_table(&mut t, width);
        format!("{t}\n")
    }

    fn table(&self, with_categories: bool) -> String {
        let mut b = tabled::builder::Builder::default();
        let mut header = vec![
            "run".to_string(),
            "failed".to_string(),
            "errors".to_string(),
            "waived".to_string(),
            "passed".to_string(),
            "ENIs covered".to_string(),
        ];
        if with_categories {
            // Failures per category, headed by the category's rule-id prefix.
            header.extend(Category::ALL.iter().map(|c| c.rule_prefix().to_string()));
        }
        b.push_record(header);
        for r in &self.runs {
            let mut row = vec![
                r.evaluated_on.clone(),
                r.summary.fail.to_string(),
                r.summary.error.to_string(),
                r.summary.waived.to_string(),
                r.summary.pass.to_string(),
                format!(
                    "{} ({} of {})",
                    percent(r.coverage_percent),
                    r.covered,
                    r.network_interfaces
                ),
            ];
            if with_categories {
                row.extend(
                    Category::ALL
                        .iter()
                        .map(|c| r.failed_by_category[c.as_str()].to_string()),
                );
            }
            b.push_record(row);
        }
        let mut t = b.build();
        t.with(tabled::settings::Style::sharp());
        t.to_string()
    }

    /// A self-contained page: the coverage line and the failure bars per run, then the table.
    pub fn to_html(&self) -> String {
        let e = |s: &str| escape(s).into_owned();
        let (width, height, left, bottom) = (720.0, 260.0, 50.0, 40.0);
        let plot_w = width - left - 20.0;
        let plot_h = height - bottom - 20.0;
        let n = self.runs.len().max(1);
        let step = plot_w / n as f64;
        let max_failed = self
            .runs
            .iter()
            .map(|r| r.summary.problems())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"ENI coverage and problems per run\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-size=\"11\">"
        );
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"20\" x2=\"{left}\" y2=\"{}\" stroke=\"#8c959f\"/><text x=\"4\" y=\"24\">100%</text><text x=\"4\" y=\"{}\">0%</text>",
            20.0 + plot_h,
            20.0 + plot_h
        ));
        let mut points = Vec::new();
        for (i, r) in self.runs.iter().enumerate() {
            let x = left + step * i as f64 + step / 2.0;
            let problems = r.summary.problems();
            let bar = plot_h * problems as f64 / max_failed as f64;
            svg.push_str(&format!(
                "<rect class=\"problems\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar:.1}\" fill=\"#f4c7c3\"><title>{} problems on {}</title></rect>",
                x - step / 4.0,
                20.0 + plot_h - bar,
                step / 2.0,
                problems,
                e(&r.evaluated_on)
            ));
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                height - 12.0,
                e(&r.evaluated_on)
            ));
            if let Some(p) = r.coverage_percent {
                let y = 20.0 + plot_h * (1.0 - p / 100.0);
                points.push(format!("{x:.1},{y:.1}"));
                svg.push_str(&format!(
                    "<circle class=\"coverage\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#1a7f37\"><title>{p:.1}% of ENIs covered on {}</title></circle>",
                    e(&r.evaluated_on)
                ));
            }
        }
        if points.len() > 1 {
            svg.push_str(&format!(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"#1a7f37\" stroke-width=\"2\"/>",
                points.join(" ")
            ));
        }
        svg.push_str("</svg>");
        let mut rows = String::new();
        for r in &self.runs {
            rows.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                e(&r.evaluated_on),
                r.summary.fail,
                r.summary.error,
                r.summary.waived,
                r.summary.pass,
                percent(r.coverage_percent)
            ));
        }
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>flowaudit trend</title><style>body {{ font: 14px system-ui, sans-serif; margin: 2rem auto; max-width: 800px; }} table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #d0d7de; padding: .3rem .5rem; }} td.n {{ text-align: right; }}</style></head><body><h1>VPC Flow Log audit trend</h1><p>Green: share of ENIs covered. Red bars: failed and unevaluated findings.</p>{svg}<table><thead><tr><th>run</th><th>failed</th><th>errors</th><th>waived</th><th>passed</th><th>ENIs covered</th></tr></thead><tbody>{rows}</tbody></table></body></html>\n"
        )
    }
}
