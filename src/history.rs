//! Finding history across scheduled runs: since when each problem has been open, and
//! whether it is past the policy's remediation deadline.
//!
//! A problem (a failure, or something that could not be evaluated) is matched to the
//! previous report's by its identity: rule, resource, account and region, never by its
//! message. It keeps the first-seen date the baseline gave it (or the baseline's evaluation
//! date, when the baseline predates history); a problem the baseline did not have is first
//! seen on this run's date. Pure: the baseline and the date are inputs.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use crate::findings::{Finding, History};
use crate::report::Report;

/// When each problem of a previous report was first seen, by identity.
pub struct Baseline {
    first_seen: BTreeMap<(String, String, String, String), NaiveDate>,
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn is_problem(f: &Finding) -> bool {
    f.status.is_problem()
}

fn identity(f: &Finding) -> (String, String, String, String) {
    let (rule, resource, account, region) = f.key();
    (
        rule.to_string(),
        resource.to_string(),
        account.to_string(),
        region.to_string(),
    )
}

impl Baseline {
    /// The problems of a previous report, each with the date it was first seen.
    pub fn from_report(report: &Report) -> Baseline {
        let evaluated_on = date(&report.evaluated_on);
        let first_seen = report
            .findings
            .iter()
            .filter(|f| is_problem(f))
            .filter_map(|f| {
                let seen = f
                    .history
                    .as_ref()
                    .and_then(|h| date(&h.first_seen))
                    .or(evaluated_on)?;
                Some((identity(f), seen))
            })
            .collect();
        Baseline { first_seen }
    }
}

/// Sets each problem's history: first seen (from the baseline, or today), age, due date and
/// whether it is overdue under `deadlines` (days per severity). Does nothing without a
/// baseline and deadlines, so that plain scans keep their output.
pub fn apply(
    findings: &mut [Finding],
    baseline: Option<&Baseline>,
    deadlines: &BTreeMap<crate::findings::Severity, u32>,
    today: NaiveDate,
) {
    if baseline.is_none() && deadlines.is_empty() {
        return;
    }
    for f in findings.iter_mut().filter(|f| is_problem(f)) {
        let first_seen = baseline
            .and_then(|b| b.first_seen.get(&identity(f)).copied())
            .filter(|seen| *seen <= today)
            .unwrap_or(today);
        let due = deadlines
            .get(&f.severity)
            .and_then(|days| first_seen.checked_add_days(Days::new(u64::from(*days))));
        f.history = Some(Box::new(History {
            first_seen: first_seen.format("%Y-%m-%d").to_string(),
            age_days: (today - first_seen).num_days(),
            due: due.map(|d| d.format("%Y-%m-%d").to_string()),
            overdue: due.is_some_and(|d| today > d),
        }));
    }
}

/// Whether any problem is overdue.
pub fn any_overdue(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.history.as_ref().is_some_and(|h| h.overdue))
}
