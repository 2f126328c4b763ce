//! Drift between two JSON reports of scheduled runs: what is newly broken, what was fixed,
//! and what stays broken, matched by (rule, resource, account, region).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::findings::Finding;
use crate::report::Report;

/// A problem is a failure or something that could not be evaluated.
fn is_problem(f: &Finding) -> bool {
    f.status.is_problem()
}

#[derive(Debug, Clone, Serialize)]
pub struct Persisting {
    pub finding: Finding,
    /// The date it was first seen, when the newer report carries history; otherwise the
    /// earliest date the two reports show it open (the older one's evaluation date).
    pub open_since: String,
    pub days_open: i64,
    /// `open_since` is the first-seen date, not a lower bound.
    pub exact: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub old_evaluated_on: String,
    pub new_evaluated_on: String,
    /// Problems in the new report that the old one did not have.
    pub new: Vec<Finding>,
    /// Problems of the old report that are gone (passing, waived, or the resource is gone).
    pub resolved: Vec<Finding>,
    pub persisting: Vec<Persisting>,
}

pub fn diff(old: &Report, new: &Report) -> Drift {
    let old_problems: BTreeMap<_, &Finding> = old
        .findings
        .iter()
        .filter(|f| is_problem(f))
        .map(|f| (f.key(), f))
        .collect();
    let new_problems: BTreeMap<_, &Finding> = new
        .findings
        .iter()
        .filter(|f| is_problem(f))
        .map(|f| (f.key(), f))
        .collect();
    let days = match (
        NaiveDate::parse_from_str(&old.evaluated_on, "%Y-%m-%d"),
        NaiveDate::parse_from_str(&new.evaluated_on, "%Y-%m-%d"),
    ) {
        (Ok(a), Ok(b)) => (b - a).num_days(),
        _ => 0,
    };
    Drift {
        old_evaluated_on: old.evaluated_on.clone(),
        new_evaluated_on: new.evaluated_on.clone(),
        new: new_problems
            .iter()
            .filter(|(k, _)| !old_problems.contains_key(*k))
            .map(|(_, f)| (*f).clone())
            .collect(),
        resolved: old_problems
            .iter()
            .filter(|(k, _)| !new_problems.contains_key(*k))
            .map(|(_, f)| (*f).clone())
            .collect(),
        persisting: new_problems
            .iter()
            .filter(|(k, _)| old_problems.contains_key(*k))
            .map(|(_, f)| {
                // With a baseline the new report knows the true first-seen date.
                match &f.history {
                    Some(h) => Persisting {
                        finding: (*f).clone(),
                        open_since: h.first_seen.clone(),
                        days_open: h.age_days,
                        exact: true,
                    },
                    None => Persisting {
                        finding: (*f).clone(),
                        open_since: old.evaluated_on.clone(),
                        days_open: days,
                        exact: false,
                    },
                }
            })
            .collect(),
    }
}

impl Drift {
    pub fn has_new_failures(&self) -> bool {
        !self.new.is_empty()
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = serde_json::to_string_pretty(self)?;
        out.push('\n');
        Ok(out)
    }

    fn rows(&self) -> Vec<(&'static str, &Finding, String)> {
        let mut rows: Vec<(&'static str, &Finding, String)> = Vec::new();
        rows.extend(self.new.iter().map(|f| ("new", f, String::new())));
        rows.extend(self.persisting.iter().map(|p| {
            let days = match p.days_open {
                1 => "1 day".to_string(),
                n => format!("{n} days"),
            };
            (
                "persisting",
                &p.finding,
                if p.exact {
                    format!("open since {} ({days})", p.open_since)
                } else {
                    format!("open since {} or earlier ({days})", p.open_since)
                },
            )
        }));
        rows.extend(self.resolved.iter().map(|f| ("resolved", f, String::new())));
        rows
    }

    fn headline(&self) -> String {
        format!(
            "{} new, {} resolved, {} persisting (from {} to {})",
            self.new.len(),
            self.resolved.len(),
            self.persisting.len(),
            self.old_evaluated_on,
            self.new_evaluated_on
        )
    }

    /// The drift as a table, fitted to `width` columns when given.
    pub fn to_table(&self, width: Option<usize>) -> String {
        let mut b = tabled::builder::Builder::default();
        b.push_record([
            "change",
            "rule",
            "resource",
            "account / region",
            "problem",
            "open",
        ]);
        for (change, f, open) in self.rows() {
            b.push_record([
                change.to_string(),
                f.rule_id.clone(),
                f.resource_id.clone(),
                format!("{} {}", f.account_id, f.region),
                f.message.clone(),
                open,
            ]);
        }
        let mut t = b.build();
        t.with(tabled::settings::Style::sharp()).with(
            tabled::settings::Modify::new(tabled::settings::object::Columns::new(4..5))
                .with(tabled::settings::Width::wrap(60).keep_words(true)),
        );
        let table = t.to_string();
        match width {
            // Too wide for the terminal: one wrapped block per change instead.
            Some(w) if table.lines().any(|l| l.chars().count() > w) => {
                let mut out = String::new();
                for (change, f, open) in self.rows() {
                    out.push_str(&crate::report::wrap_indented(
                        &format!(
                            "{change} {} {} ({} {})",
                            f.rule_id, f.resource_id, f.account_id, f.region
                        ),
                        "",
                        w,
                    ));
                    out.push_str(&crate::report::wrap_indented(&f.message, "  ", w));
                    if !open.is_empty() {
                        out.push_str(&crate::report::wrap_indented(&open, "  ", w));
                    }
                    out.push('\n');
                }
                out.push_str(&crate::report::wrap_indented(&self.headline(), "", w));
                out
            }
            _ => format!("{table}\n{}\n", self.headline()),
        }
    }

    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "## flowaudit drift: {}\n\n| change | rule | resource | account / region | problem | open |\n|---|---|---|---|---|---|\n",
            self.headline()
        );
        for (change, f, open) in self.rows() {
            out.push_str(&format!(
                "| {change} | `{}` | `{}` | {} {} | {} | {open} |\n",
                f.rule_id,
                f.resource_id.replace('|', "\\|"),
                f.account_id,
                f.region,
                f.message.replace('|', "\\|")
            ));
        }
        out
    }
}
