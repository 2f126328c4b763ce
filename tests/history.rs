//! Finding history across scheduled runs: `--baseline` carries each open problem's
//! first-seen date from report to report, deadlines make problems overdue, and
//! `--fail-on-overdue` fails the gate only on those.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::{Value, json};

/// A scan of `snapshot` under `policy` on `date`, with `extra` options; the JSON report is
/// written to `out` as well as returned.
fn scan_on(snapshot: &Path, policy: &str, date: &str, out: &Path, extra: &[&str]) -> Run {
    let snapshot = snapshot.to_string_lossy();
    let out = format!("json:{}", out.display());
    let mut args = vec![
        "scan",
        "--snapshot",
        &snapshot,
        "--policy",
        policy,
        "--date",
        date,
        "-o",
        &out,
        "--quiet",
    ];
    args.extend(extra);
    run(&args)
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written")).expect("JSON")
}

fn history(report: &Value, rule: &str, resource: &str) -> Value {
    finding(report, rule, resource)["history"].clone()
}

/// The demo estate with one problem fixed (/vpc/prod-us keeps 14 days) and one new
/// (/vpc/prod-flow-logs keeps 3).
fn changed_demo(dir: &Path) -> PathBuf {
    variant(&demo(), dir, "changed.json", |s| {
        for account in s["accounts"].as_array_mut().expect("accounts") {
            for region in account["regions"].as_array_mut().expect("regions") {
                for group in region["log_groups"].as_array_mut().expect("groups") {
                    match group["logGroupName"].as_str() {
                        Some("/vpc/prod-us") => group["retentionInDays"] = json!(14),
                        Some("/vpc/prod-flow-logs") => group["retentionInDays"] = json!(3),
                        _ => {}
                    }
                }
            }
        }
    })
}

#[test]
fn first_seen_is_carried_across_three_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = path("policies/production.yaml");
    let (r1, r2, r3) = (
        dir.path().join("r1.json"),
        dir.path().join("r2.json"),
        dir.path().join("r3.json"),
    );
    let changed = changed_demo(dir.path());

    // Run 1: no baseline, no deadlines: no history, as before.
    scan_on(&demo(), &policy, "2026-11-01", &r1, &[]);
    let first = report(&r1);
    assert_eq!(
        history(&first, "CWL001", "/vpc/dev-never-expires"),
        Value::Null
    );

    // Run 2, a week later: the persisting problem was first seen in run 1, the new one today.
    let baseline = r1.to_string_lossy().to_string();
    scan_on(
        &changed,
        &policy,
        "2026-11-08",
        &r2,
        &["--baseline", &baseline],
    );
    let second = report(&r2);
    assert_eq!(
        history(&second, "CWL001", "/vpc/dev-never-expires"),
        json!({"first_seen": "2026-11-01", "age_days": 7, "overdue": false})
    );
    assert_eq!(
        history(&second, "CWL002", "/vpc/prod-flow-logs")["first_seen"],
        "2026-11-08"
    );
    // The fixed problem passes and has no history.
    assert_eq!(
        status(&second, "CWL002", "/vpc/prod-us").as_deref(),
        Some("pass")
    );
    assert_eq!(history(&second, "CWL002", "/vpc/prod-us"), Value::Null);

    // Run 3, from run 2: both keep their first-seen dates.
    let baseline = r2.to_string_lossy().to_string();
    scan_on(
        &changed,
        &policy,
        "2026-11-20",
        &r3,
        &["--baseline", &baseline],
    );
    let third = report(&r3);
    assert_eq!(
        history(&third, "CWL001", "/vpc/dev-never-expires")["first_seen"],
        "2026-11-01"
    );
    assert_eq!(
        history(&third, "CWL001", "/vpc/dev-never-expires")["age_days"],
        19
    );
    assert_eq!(
        history(&third, "CWL002", "/vpc/prod-flow-logs"),
        json!({"first_seen": "2026-11-08", "age_days": 12, "overdue": false})
    );

    // diff gives the true first-seen date, not "or earlier".
    let drift = run(&["diff", &r2.to_string_lossy(), &r3.to_string_lossy()]);
    assert!(
        drift.stdout.contains("open since 2026-11-01 (19 days)"),
        "{}",
        drift.stdout
    );
}

/// The compliant estate with its one log group at 3 days (CWL002, high), under the
/// production policy with deadlines.
fn overdue_setup(dir: &Path) -> (PathBuf, String) {
    let snapshot = variant(&compliant(), dir, "short.json", |s| {
        s["accounts"][0]["regions"][0]["log_groups"][0]["retentionInDays"] = json!(3);
    });
    let text = std::fs::read_to_string(root().join("policies/production.yaml")).expect("policy");
    let policy = dir.join("deadlines.yaml");
    std::fs::write(
        &policy,
        format!("{text}\ndeadlines: {{ critical: 1d, high: 7d, medium: 30d }}\n"),
    )
    .expect("written");
    (snapshot, policy.to_string_lossy().into_owned())
}

#[test]
fn only_problems_past_their_deadline_fail_the_overdue_gate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (snapshot, policy) = overdue_setup(dir.path());
    let r1 = dir.path().join("r1.json");
    let r2 = dir.path().join("r2.json");

    // First seen on 1 November: due on the 8th.
    let run1 = scan_on(&snapshot, &policy, "2026-11-01", &r1, &[]);
    assert_eq!(run1.code, 1, "{}", run1.stderr);
    assert_eq!(
        history(&report(&r1), "CWL002", "/vpc/shop"),
        json!({"first_seen": "2026-11-01", "age_days": 0, "due": "2026-11-08", "overdue": false})
    );
    let baseline = r1.to_string_lossy().to_string();

    // On the 5th it is not yet due: the overdue gate passes, the plain gate does not.
    let early = scan_on(
        &snapshot,
        &policy,
        "2026-11-05",
        &r2,
        &["--baseline", &baseline, "--fail-on-overdue"],
    );
    assert_eq!(early.code, 0, "{}", early.stderr);
    let plain = scan_on(
        &snapshot,
        &policy,
        "2026-11-05",
        &r2,
        &["--baseline", &baseline],
    );
    assert_eq!(plain.code, 1);

    // On the 20th it is 12 days past due.
    let late = scan_on(
        &snapshot,
        &policy,
        "2026-11-20",
        &r2,
        &["--baseline", &baseline, "--fail-on-overdue"],
    );
    assert_eq!(late.code, 1, "{}", late.stderr);
    let overdue = history(&report(&r2), "CWL002", "/vpc/shop");
    assert_eq!(overdue["overdue"], true);
    assert_eq!(overdue["due"], "2026-11-08");

    // The table shows the age and the deadline.
    let table = run(&[
        "scan",
        "--snapshot",
        &snapshot.to_string_lossy(),
        "--policy",
        &policy,
        "--date",
        "2026-11-20",
        "--baseline",
        &baseline,
    ]);
    let flat: String = table
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("overdue since"), "{}", table.stdout);
}

#[test]
fn the_overdue_gate_needs_deadlines_and_a_readable_baseline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("r.json");
    let no_deadlines = scan_on(
        &compliant(),
        &path("policies/production.yaml"),
        DATE,
        &out,
        &["--fail-on-overdue"],
    );
    assert_eq!(no_deadlines.code, 2, "{}", no_deadlines.stderr);
    assert!(
        no_deadlines.stderr.contains("deadlines"),
        "{}",
        no_deadlines.stderr
    );

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"findings\": [").expect("written");
    let bad = scan_on(
        &compliant(),
        &path("policies/production.yaml"),
        DATE,
        &out,
        &["--baseline", &broken.to_string_lossy()],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("broken.json:1:"), "{}", bad.stderr);
    assert!(!out.exists(), "nothing is written when the baseline is bad");
}

#[test]
fn the_trend_over_runs_is_a_table_json_and_a_chart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (short, policy) = overdue_setup(dir.path());
    let production = path("policies/production.yaml");
    let (r1, r2, r3) = (
        dir.path().join("r1.json"),
        dir.path().join("r2.json"),
        dir.path().join("r3.json"),
    );
    scan_on(&short, &policy, "2026-11-01", &r1, &[]);
    scan_on(&demo(), &production, "2026-11-10", &r2, &[]);
    scan_on(&compliant(), &production, "2026-11-20", &r3, &[]);
    // Given out of order, reported in date order.
    let reports: Vec<String> = [&r3, &r1, &r2]
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["history", "--format", "json"];
    args.extend(reports.iter().map(String::as_str));
    let trend = run(&args);
    assert_eq!(trend.code, 0, "{}", trend.stderr);
    let trend = trend.json();
    let runs = trend["runs"].as_array().expect("runs");
    let dates: Vec<&str> = runs
        .iter()
        .filter_map(|r| r["evaluated_on"].as_str())
        .collect();
    assert_eq!(dates, ["2026-11-01", "2026-11-10", "2026-11-20"]);
    // Counts and coverage come from each report itself.
    let demo_report = report(&r2);
    assert_eq!(runs[1]["summary"], demo_report["summary"]);
    let cells = demo_report["coverage"].as_array().expect("coverage cells");
    let enis: u64 = cells
        .iter()
        .filter_map(|c| c["network_interfaces"].as_u64())
        .sum();
    let covered: u64 = cells.iter().filter_map(|c| c["covered"].as_u64()).sum();
    assert_eq!(runs[1]["network_interfaces"], enis);
    assert!(covered < enis, "the demo estate has uncovered ENIs");
    let percent = runs[1]["coverage_percent"].as_f64().expect("percent");
    assert!((percent - 100.0 * covered as f64 / enis as f64).abs() < 0.05);
    assert_eq!(runs[2]["coverage_percent"], 100.0);
    assert_eq!(runs[0]["failed_by_category"]["cloudwatch_retention"], 1);

    // The table, and the chart rendered by a browser: one point per run.
    let mut args = vec!["history"];
    args.extend(reports.iter().map(String::as_str));
    let table = run(&args).stdout;
    assert!(table.contains("2026-11-10") && table.contains("ENIs covered"));
    let mut args = vec!["history", "--format", "html"];
    args.extend(reports.iter().map(String::as_str));
    let html = run(&args).stdout;
    let dom = render_in_chromium(&html);
    assert_eq!(dom.matches("class=\"coverage\"").count(), 3, "{dom}");
    assert_eq!(dom.matches("class=\"problems\"").count(), 3);
}

#[test]
fn history_diff_and_rules_fit_an_80_column_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let production = path("policies/production.yaml");
    let (r1, r2) = (dir.path().join("r1.json"), dir.path().join("r2.json"));
    scan_on(&compliant(), &production, "2026-11-01", &r1, &[]);
    scan_on(&demo(), &production, "2026-11-10", &r2, &[]);
    let (r1, r2) = (r1.to_string_lossy(), r2.to_string_lossy());
    for args in [
        vec!["history", &r1, &r2],
        vec!["diff", &r1, &r2],
        vec!["rules"],
    ] {
        let (out, widest) = run_at_width(80, &args);
        assert!(widest <= 80, "{args:?}: {widest} columns\n{}", out.stdout);
        assert!(!out.stdout.is_empty(), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn verify_confirms_a_report_with_history_and_catches_a_changed_deadline_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (snapshot, policy) = overdue_setup(dir.path());
    let (r1, r2) = (dir.path().join("r1.json"), dir.path().join("r2.json"));
    scan_on(&snapshot, &policy, "2026-11-01", &r1, &[]);
    let baseline = r1.to_string_lossy().to_string();
    scan_on(
        &snapshot,
        &policy,
        "2026-11-20",
        &r2,
        &["--baseline", &baseline],
    );
    let verify = |report: &Path| {
        run(&[
            "verify",
            &report.to_string_lossy(),
            "--snapshot",
            &snapshot.to_string_lossy(),
            "--policy",
            &policy,
        ])
    };
    let confirmed = verify(&r2);
    assert_eq!(
        confirmed.code, 0,
        "{}{}",
        confirmed.stdout, confirmed.stderr
    );

    // Ages, due dates and overdue flags are recomputed from first_seen and the deadlines.
    let mut tampered = report(&r2);
    for f in tampered["findings"].as_array_mut().expect("findings") {
        if f["history"].is_object() {
            f["history"]["overdue"] = json!(false);
        }
    }
    let changed = dir.path().join("changed.json");
    std::fs::write(&changed, tampered.to_string()).expect("written");
    assert_eq!(verify(&changed).code, 1);
}
