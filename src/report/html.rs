//! The audit evidence report: one self-contained HTML file with no scripts, fonts or other
//! fetches, readable on screen and on paper.

use std::collections::BTreeMap;

use quick_xml::escape::escape;

use super::Report;
use super::coverage_map::{Map, anchor, records_state};
use crate::evaluate::WaiverUse;
use crate::findings::{Category, Finding, Status, Summary};
use crate::rules::RULES;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { border-bottom: 2px solid #d0d7de; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; } th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; } pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; white-space: pre-wrap; margin: .3rem 0; }
.fail { color: #b42318; font-weight: 600; } .error { color: #9a6700; font-weight: 600; } .waived { color: #57606a; } .pass { color: #1a7f37; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem 1rem; min-width: 8rem; }
.card .v { font-size: 1.8rem; font-weight: 700; } dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { font-weight: 600; }
.map td { text-align: center; } .map a { color: inherit; text-decoration: none; display: block; } .map-ok { background: #dafbe1; } .map-fail { background: #ffebe9; } .map-error { background: #fff8c5; }
.finding { border: 1px solid #d0d7de; border-left: 4px solid #b42318; border-radius: 4px; padding: .5rem .8rem; margin: .6rem 0; break-inside: avoid; }
@media print { body { margin: 0; max-width: none; font-size: 11px; } h2 { break-after: avoid; } .finding, tr { break-inside: avoid; } pre { white-space: pre-wrap; } }
"#;

fn e(text: &str) -> String {
    escape(text).into_owned()
}

/// Pass, fail, waived and error counts, in the chart's order. A plan's unknowns count as
/// errors: neither could be judged.
fn status_counts<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> [usize; 4] {
    let s = Summary::of(findings);
    [s.pass, s.fail, s.waived, s.error + s.unknown]
}

/// A horizontal stacked bar per category: pass, fail, waived, error.
fn chart(report: &Report) -> String {
    let colours = ["#1a7f37", "#b42318", "#8c959f", "#bf8700"];
    let rows: Vec<(Category, [usize; 4])> = Category::ALL
        .iter()
        .map(|c| {
            (
                *c,
                status_counts(report.findings.iter().filter(|f| f.category == *c)),
            )
        })
        .filter(|(_, n)| n.iter().sum::<usize>() > 0)
        .collect();
    let max = rows
        .iter()
        .map(|(_, n)| n.iter().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (170.0, 520.0, 24.0);
    let height = rows.len() as f64 * row_h + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Findings by category and status\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\" font-size=\"12\">",
        label_w + bar_w + 60.0,
        label_w + bar_w + 60.0
    );
    for (i, (category, counts)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}</text>",
            y + 13.0,
            category.as_str()
        ));
        let mut x = label_w;
        for (n, colour) in counts.iter().zip(colours) {
            let w = *n as f64 / max as f64 * bar_w;
            if *n > 0 {
                svg.push_str(&format!("<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"{colour}\"><title>{n}</title></rect>"));
            }
            x += w;
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\">{}</text>",
            x + 6.0,
            y + 13.0,
            counts.iter().sum::<usize>()
        ));
    }
    let legend_y = rows.len() as f64 * row_h + 18.0;
    for (i, (name, colour)) in ["pass", "fail", "waived", "error"]
        .iter()
        .zip(colours)
        .enumerate()
    {
        let x = label_w + i as f64 * 90.0;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{name}</text>",
            legend_y - 9.0,
            x + 14.0,
            legend_y
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Accounts x regions: the share of ENIs covered, coloured by compliance, each cell linked
/// to its problems listed below the map.
fn coverage_map(report: &Report) -> String {
    let map = Map::of(report);
    if map.is_empty() {
        return String::new();
    }
    let mut h = String::from(
        "<h2>Coverage map</h2><p>Share of network interfaces a qualifying flow log reaches, per account and region. Green: nothing failed; red: something failed; yellow: something could not be evaluated. A cell links to its problems.</p><table class=\"map\" id=\"coverage-map\"><thead><tr><th>account</th>",
    );
    for region in &map.regions {
        h.push_str(&format!("<th>{}</th>", e(region)));
    }
    h.push_str("</tr></thead><tbody>");
    for account in &map.accounts {
        h.push_str(&format!("<tr><th>{}</th>", e(account)));
        for region in &map.regions {
            match map.cell(account, region) {
                Some((cell, state, problems)) => {
                    let share = cell
                        .percent()
                        .map_or_else(|| "no ENIs".to_string(), |p| format!("{p:.1}%"));
                    let body = format!(
                        "{share}<br><small>{} of {} ENIs</small>",
                        cell.covered, cell.network_interfaces
                    );
                    let linked = if problems.is_empty() {
                        body
                    } else {
                        format!("<a href=\"#{}\">{body}</a>", anchor(account, region))
                    };
                    h.push_str(&format!(
                        "<td class=\"{}\" title=\"{}\">{linked}</td>",
                        state.class(),
                        state.mark()
                    ));
                }
                None => h.push_str("<td></td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    for account in &map.accounts {
        for region in &map.regions {
            let Some((_, _, problems)) = map.cell(account, region) else {
                continue;
            };
            if problems.is_empty() {
                continue;
            }
            h.push_str(&format!(
                "<h3 id=\"{}\">{} {} ({} problems)</h3><table><thead><tr><th>status</th><th>rule</th><th>resource</th><th>problem</th></tr></thead><tbody>",
                anchor(account, region),
                e(account),
                e(region),
                problems.len()
            ));
            for f in problems {
                h.push_str(&format!(
                    "<tr><td class=\"{}\">{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                    f.status.as_str(),
                    f.status.as_str(),
                    e(&f.rule_id),
                    e(&f.resource_id),
                    e(&f.message)
                ));
            }
            h.push_str("</tbody></table>");
        }
    }
    h
}

/// What `--observe` saw at each destination: the newest record, the oldest kept and the
/// retention that shows, beside the policy's range, coloured like the coverage map.
fn records_section(report: &Report) -> String {
    if report.records.is_empty() {
        return String::new();
    }
    let mut h = String::from(
        "<h2>Records</h2><p>What the destinations hold, read from key names and stream times (<code>--observe</code>), never from a record. Green: the records checks passed; red: one failed; yellow: something could not be observed.</p><table class=\"map\" id=\"records\"><thead><tr><th>destination</th><th>account</th><th>region</th><th>newest record</th><th>oldest kept</th><th>kept</th><th>policy</th><th>flow logs</th><th>observed</th></tr></thead><tbody>",
    );
    let or_dash = |v: Option<&str>| v.map_or_else(|| "-".to_string(), e);
    for row in &report.records {
        let state = records_state(report, row);
        let kept = row
            .kept_days
            .map_or_else(|| "-".to_string(), |d| format!("{d} days"));
        let policy = match (row.min_days, row.max_days) {
            (None, None) => "-".to_string(),
            (min, max) => format!(
                "{} to {} days",
                min.map_or("0".to_string(), |d| d.to_string()),
                max.map_or("any".to_string(), |d| d.to_string())
            ),
        };
        let newest = match &row.error {
            Some(error) => format!("not observed: {}", e(error)),
            None => or_dash(row.newest.as_deref()),
        };
        h.push_str(&format!(
            "<tr><td class=\"{}\" title=\"{}\"><code>{}</code></td><td>{}</td><td>{}</td><td>{newest}</td><td>{}</td><td class=\"n\">{kept}</td><td>{policy}</td><td>{}</td><td>{}</td></tr>",
            state.class(),
            state.mark(),
            e(&row.destination),
            e(&row.account_id),
            e(&row.region),
            or_dash(row.oldest.as_deref()),
            e(&row.flow_logs.join(", ")),
            e(&row.observed_at),
        ));
    }
    h.push_str("</tbody></table>");
    h
}

fn waiver_table(waivers: &[&WaiverUse]) -> String {
    if waivers.is_empty() {
        return "<p>None.</p>".to_string();
    }
    let mut t = String::from(
        "<table><thead><tr><th>rules</th><th>resources</th><th>reason</th><th>approved by</th><th>expires</th><th>failures matched</th></tr></thead><tbody>",
    );
    for w in waivers {
        t.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            e(&w.rules.join(", ")),
            e(&w.resources.join(", ")),
            e(&w.reason),
            e(&w.approved_by),
            e(&w.expires),
            w.matched
        ));
    }
    t.push_str("</tbody></table>");
    t
}

fn finding_block(f: &Finding) -> String {
    let evidence = serde_json::to_string_pretty(&f.evidence.to_value()).unwrap_or_default();
    format!(
        "<div class=\"finding\"><div><span class=\"{status}\">{status_text}</span> · <b>{sev}</b> · <code>{rule}</code> · <code>{res}</code>{at} · {acct} {region}{change}</div><p>{msg}</p>{fix}<details open><summary>Evidence</summary><pre>{ev}</pre></details></div>",
        status = f.status.as_str(),
        status_text = f.status.as_str().to_uppercase(),
        sev = f.severity,
        rule = e(&f.rule_id),
        res = e(&f.resource_id),
        at = f
            .source
            .as_ref()
            .map(|at| format!(" at <code>{}</code>", e(&at.file_line())))
            .unwrap_or_default(),
        change = f
            .change
            .map(|c| format!(" · <i>{c}</i>"))
            .unwrap_or_default(),
        acct = e(&f.account_id),
        region = e(&f.region),
        msg = e(&f.message_with_age()),
        fix = if f.remediation.is_empty() {
            String::new()
        } else {
            format!("<p><b>Fix:</b> <code>{}</code></p>", e(&f.remediation))
        },
        ev = e(&evidence),
    )
}

pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.push_str(&format!(
        "<title>flowaudit evidence: {}</title><style>{STYLE}</style></head><body>",
        e(&report.policy.name)
    ));
    h.push_str(&format!(
        "<h1>VPC Flow Log audit evidence</h1><p>Policy <b>{}</b> evaluated on <b>{}</b> against a snapshot collected at <b>{}</b>.</p>",
        e(&report.policy.name),
        e(&report.evaluated_on),
        e(&report.snapshot.collected_at)
    ));

    h.push_str("<h2>Scope and provenance</h2><dl>");
    for (k, v) in [
        ("Accounts", report.snapshot.accounts.join(", ")),
        ("Regions", report.snapshot.regions.join(", ")),
        ("Collected at", report.snapshot.collected_at.clone()),
        ("Evaluated on", report.evaluated_on.clone()),
        (
            "Tool",
            format!("{} {}", report.tool.name, report.tool.version),
        ),
        ("Policy", report.policy.name.clone()),
        ("Policy SHA-256", report.policy.sha256.clone()),
        ("Snapshot SHA-256", report.snapshot.sha256.clone()),
    ] {
        h.push_str(&format!("<dt>{k}</dt><dd><code>{}</code></dd>", e(&v)));
    }
    h.push_str("</dl><p>Run <code>flowaudit verify REPORT.json --snapshot SNAPSHOT --policy POLICY</code> on the JSON report to confirm these digests and findings.</p>");

    h.push_str("<h2>Summary</h2><div class=\"cards\">");
    for (label, value, class) in [
        ("failed", s.fail, "fail"),
        ("errors", s.error + s.unknown, "error"),
        ("waived", s.waived, "waived"),
        ("passed", s.pass, "pass"),
    ] {
        h.push_str(&format!("<div class=\"card\"><div class=\"v {class}\" id=\"summary-{label}\">{value}</div>{label}</div>"));
    }
    h.push_str("</div>");
    h.push_str(&chart(report));
    h.push_str("<table><thead><tr><th>category</th><th>severity</th><th>failed</th><th>errors</th><th>waived</th><th>passed</th></tr></thead><tbody>");
    let mut by_cat_sev: BTreeMap<
        (Category, std::cmp::Reverse<crate::findings::Severity>),
        Vec<&Finding>,
    > = BTreeMap::new();
    for f in &report.findings {
        by_cat_sev
            .entry((f.category, std::cmp::Reverse(f.severity)))
            .or_default()
            .push(f);
    }
    for ((category, sev), findings) in &by_cat_sev {
        let [p, fl, w, er] = status_counts(findings.iter().copied());
        h.push_str(&format!("<tr><td>{category}</td><td>{}</td><td class=\"n\">{fl}</td><td class=\"n\">{er}</td><td class=\"n\">{w}</td><td class=\"n\">{p}</td></tr>", sev.0));
    }
    h.push_str("</tbody></table>");

    h.push_str(&coverage_map(report));
    h.push_str(&records_section(report));

    h.push_str("<h2>Controls</h2><table><thead><tr><th>rule</th><th>control</th><th>category</th><th>passed</th><th>failed</th><th>waived</th><th>errors</th></tr></thead><tbody>");
    for r in RULES.iter() {
        let [p, fl, w, er] = status_counts(report.findings.iter().filter(|f| f.rule_id == r.id));
        h.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{p}</td><td class=\"n\">{fl}</td><td class=\"n\">{w}</td><td class=\"n\">{er}</td></tr>",
            r.id,
            e(r.summary),
            r.category
        ));
    }
    h.push_str("</tbody></table>");

    let failures: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    h.push_str(&format!("<h2>Failures ({})</h2>", failures.len()));
    if failures.is_empty() {
        h.push_str("<p>None.</p>");
    }
    for f in failures {
        h.push_str(&finding_block(f));
    }

    let active: Vec<&WaiverUse> = report.waivers.iter().filter(|w| !w.expired).collect();
    let expired: Vec<&WaiverUse> = report.waivers.iter().filter(|w| w.expired).collect();
    h.push_str(&format!("<h2>Waivers in force ({})</h2>", active.len()));
    h.push_str(&waiver_table(&active));
    h.push_str(&format!("<h2>Expired waivers ({})</h2>", expired.len()));
    h.push_str(&waiver_table(&expired));

    h.push_str(&format!(
        "<h2>Out of scope ({})</h2>",
        report.out_of_scope.len()
    ));
    if !report.out_of_scope.is_empty() {
        h.push_str("<table><thead><tr><th>resource</th><th>account / region</th><th>reason</th></tr></thead><tbody>");
        for o in &report.out_of_scope {
            h.push_str(&format!(
                "<tr><td><code>{}</code> ({})</td><td>{} {}</td><td>{}</td></tr>",
                e(&o.resource_id),
                e(&o.resource_type),
                e(&o.account_id),
                e(&o.region),
                e(&o.reason)
            ));
        }
        h.push_str("</tbody></table>");
    }

    let errors: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .collect();
    h.push_str(&format!("<h2>Collection errors ({})</h2>", errors.len()));
    if errors.is_empty() {
        h.push_str("<p>Everything in scope was collected.</p>");
    } else {
        h.push_str("<p>These could not be evaluated. They are not passes.</p>");
    }
    for f in errors {
        h.push_str(&finding_block(f));
    }
    // A plan's report: what it cannot know before apply, and what it takes away.
    let unknown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Unknown)
        .collect();
    if !unknown.is_empty() {
        h.push_str(&format!("<h2>Unknown until apply ({})</h2><p>These depend on values the plan cannot show. They are not passes.</p>", unknown.len()));
        for f in unknown {
            h.push_str(&finding_block(f));
        }
    }
    if !report.plan_changes.is_empty() {
        h.push_str(&format!(
            "<h2>What this plan changes ({})</h2><ul>",
            report.plan_changes.len()
        ));
        for c in &report.plan_changes {
            h.push_str(&format!("<li>{}</li>", e(&c.change)));
        }
        h.push_str("</ul>");
    }
    h.push_str("</body></html>\n");
    h
}
