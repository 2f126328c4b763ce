//! Evidence integrity: does a JSON report match the exact snapshot and policy it names?
//! Re-evaluates them on the report's own date and compares everything.

use chrono::NaiveDate;

use crate::evaluate::evaluate;
use crate::policy::Policy;
use crate::report::Report;
use crate::snapshot::Snapshot;

/// Every way the report disagrees with the inputs; empty when it is confirmed.
pub fn verify(
    report: &Report,
    snapshot: &Snapshot,
    snapshot_sha256: &str,
    policy: &Policy,
    policy_sha256: &str,
) -> Vec<String> {
    let Ok(date) = NaiveDate::parse_from_str(&report.evaluated_on, "%Y-%m-%d") else {
        return vec![format!(
            "the report's evaluated_on `{}` is not a date",
            report.evaluated_on
        )];
    };
    let mut evaluation = evaluate(snapshot, policy, date);
    // First-seen dates came from a baseline report that is not here: take them from the
    // report itself, so that ages, due dates and overdue flags are still recomputed and
    // checked against the policy's deadlines.
    let carried = report
        .findings
        .iter()
        .any(|f| f.history.is_some())
        .then(|| crate::history::Baseline::from_report(report));
    crate::history::apply(
        &mut evaluation.findings,
        carried.as_ref(),
        &policy.deadlines,
        date,
    );
    let again = Report::new(
        evaluation,
        policy,
        policy_sha256.to_string(),
        snapshot,
        snapshot_sha256.to_string(),
        date,
    );
    let mut problems = Vec::new();
    if again.snapshot.sha256 != report.snapshot.sha256 {
        problems.push(format!(
            "the snapshot's SHA-256 is {}, the report names {}",
            again.snapshot.sha256, report.snapshot.sha256
        ));
    }
    if again.policy.sha256 != report.policy.sha256 {
        problems.push(format!(
            "the policy's SHA-256 is {}, the report names {}",
            again.policy.sha256, report.policy.sha256
        ));
    }
    // A plan's classes come from comparing it with the existing estate, and its source
    // locations from the `.tf` files: neither is in the planned snapshot, so neither can
    // be recomputed here; everything else is.
    let judged = |findings: &[crate::findings::Finding]| {
        let mut findings = findings.to_vec();
        for f in &mut findings {
            f.change = None;
            f.source = None;
        }
        findings
    };
    let (recomputed, reported) = (judged(&again.findings), judged(&report.findings));
    if recomputed != reported {
        let differing = recomputed
            .iter()
            .zip(&reported)
            .filter(|(a, b)| a != b)
            .count()
            + again.findings.len().abs_diff(report.findings.len());
        problems.push(format!(
            "re-evaluation gives {} findings, the report has {}; {differing} differ",
            again.findings.len(),
            report.findings.len()
        ));
    }
    if again.summary != report.summary {
        problems.push("the summary does not match the findings re-evaluated".to_string());
    }
    if again.out_of_scope != report.out_of_scope || again.waivers != report.waivers {
        problems.push("the out-of-scope list or the waivers do not match".to_string());
    }
    problems
}
