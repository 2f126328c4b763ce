//! Every output format on the demo estate, through the real binary: golden files, schema
//! validation, parsing, a headless browser, drift and evidence verification.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::{Value, json};

fn render(format: &str) -> String {
    let run = scan_demo(&["--format", format]);
    assert_eq!(run.code, 1, "{format}: {}", run.stderr);
    run.stdout
}

#[test]
fn golden_outputs_for_every_format() {
    for format in [
        "csv", "sarif", "junit", "markdown", "html", "ocsf", "oscal", "github",
    ] {
        insta::assert_snapshot!(format!("demo_{format}"), render(format));
    }
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let sarif: Value = serde_json::from_str(&render("sarif")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator is not vacuous: a broken document fails it.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = json!("catastrophic");
    assert!(!validator.is_valid(&broken));

    let report = scan_demo(&["--format", "json"]).json();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let s = &report["summary"];
    assert_eq!(
        results.len() as u64,
        s["fail"].as_u64().unwrap() + s["waived"].as_u64().unwrap() + s["error"].as_u64().unwrap()
    );
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        37
    );
    let waived = results
        .iter()
        .find(|r| r["suppressions"].is_array())
        .expect("the waived finding is suppressed");
    assert_eq!(waived["ruleId"], "CWL003");
    let located = &results[0]["locations"][0]["logicalLocations"][0];
    assert!(
        located["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:")
            || located["kind"] == "api-call"
    );
}

#[test]
fn junit_parses_and_counts_match_the_json_report() {
    use quick_xml::events::Event;
    let xml = render("junit");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut failures, mut errors, mut skipped, mut cases, mut suites) = (0, 0, 0, 0, 0);
    let mut root_failures = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuites" => {
                    root_failures = e
                        .try_get_attribute("failures")
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().parse::<u64>().unwrap());
                }
                b"testsuite" => suites += 1,
                b"testcase" => cases += 1,
                b"failure" => failures += 1,
                b"error" => errors += 1,
                b"skipped" => skipped += 1,
                _ => {}
            },
            _ => {}
        }
    }
    let report = scan_demo(&["--format", "json"]).json();
    let s = &report["summary"];
    assert_eq!(failures, s["fail"].as_u64().unwrap());
    assert_eq!(root_failures, s["fail"].as_u64());
    assert_eq!(errors, s["error"].as_u64().unwrap());
    assert_eq!(skipped, s["waived"].as_u64().unwrap());
    assert_eq!(cases as usize, report["findings"].as_array().unwrap().len());
    let rules: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(suites, rules.len());
}

#[test]
fn several_formats_in_one_run_and_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("out/report.json");
    std::fs::create_dir_all(json_path.parent().unwrap()).unwrap();
    let html_path = dir.path().join("out/evidence.html");
    let sarif_path = dir.path().join("out/results.sarif");
    let run = scan_demo(&[
        "-o",
        &format!("json:{}", json_path.display()),
        "-o",
        &format!("html:{}", html_path.display()),
        "-o",
        &sarif_path.to_string_lossy(),
        "--quiet",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let s = &report["summary"];
    assert_eq!(
        run.stdout,
        format!(
            "{} failed, {} errors, {} waived, {} passed\n",
            s["fail"], s["error"], s["waived"], s["pass"]
        )
    );
    assert!(
        std::fs::read_to_string(&html_path)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    // A path whose format cannot be told is refused before anything is written.
    let unknown = dir.path().join("report.txt");
    let run = scan_demo(&[
        "-o",
        &json_path.to_string_lossy(),
        "-o",
        &unknown.to_string_lossy(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("write FORMAT:PATH"), "{}", run.stderr);
    assert!(!unknown.exists());
}

#[test]
fn github_annotations_by_default_in_github_actions() {
    let out = flowaudit()
        .current_dir(root())
        .env("GITHUB_ACTIONS", "true")
        .args([
            "scan",
            "--snapshot",
            &demo().to_string_lossy(),
            "--policy",
            "policies/production.yaml",
            "--date",
            DATE,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("::error title=COL001 "), "{first}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("::warning title=CWL001 /vpc/dev-never-expires")),
        "{text}"
    );
    // Newlines in messages are escaped so each annotation stays on one line.
    assert!(
        text.lines()
            .filter(|l| l.starts_with("::"))
            .all(|l| l.contains("%0AFix: ")),
        "{text}"
    );
}

#[test]
fn html_report_is_self_contained_and_renders_in_headless_chromium() {
    let html = render("html");
    for banned in [
        "<script", "<link", "@import", "url(", "https://", "<img", "<iframe",
    ] {
        assert!(
            !html.contains(banned),
            "the evidence report must fetch nothing: found {banned}"
        );
    }
    let dom = render_in_chromium(&html);
    let report = scan_demo(&["--format", "json"]).json();
    let s = &report["summary"];
    for (id, key) in [
        ("summary-failed", "fail"),
        ("summary-errors", "error"),
        ("summary-waived", "waived"),
        ("summary-passed", "pass"),
    ] {
        let expected = format!("id=\"{id}\">{}<", s[key]);
        assert!(
            dom.contains(&expected),
            "the rendered page lacks {expected}"
        );
    }
    assert!(dom.contains("<svg"), "the chart is inline SVG");
    // The coverage map: one cell per account and region, coloured, linked to its problems.
    assert!(dom.contains("id=\"coverage-map\""), "no coverage map");
    let cells = report["coverage"].as_array().expect("coverage cells");
    let coloured = ["map-ok", "map-fail", "map-error"]
        .iter()
        .map(|class| dom.matches(&format!("<td class=\"{class}\"")).count())
        .sum::<usize>();
    assert_eq!(coloured, cells.len());
    assert!(dom.contains("href=\"#cell-111122223333-eu-west-1\""));
    assert!(dom.contains("id=\"cell-111122223333-eu-west-1\""));
    assert!(dom.contains(report["policy"]["sha256"].as_str().unwrap()));
}

/// Writes the demo estate changed by `change`, scans it to JSON, and returns the report path.
fn report_of(dir: &Path, name: &str, date: &str, change: impl FnOnce(&mut Value)) -> PathBuf {
    let snap = variant(&demo(), dir, &format!("{name}.snapshot.json"), change);
    let out = dir.join(format!("{name}.report.json"));
    let run = run(&[
        "scan",
        "--snapshot",
        &snap.to_string_lossy(),
        "--policy",
        &path("policies/production.yaml"),
        "--date",
        date,
        "-o",
        &format!("json:{}", out.display()),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    out
}

fn log_group<'a>(
    snapshot: &'a mut Value,
    account: usize,
    region: usize,
    name: &str,
) -> &'a mut Value {
    snapshot["accounts"][account]["regions"][region]["log_groups"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|g| g["logGroupName"] == name)
        .unwrap()
}

#[test]
fn diff_lists_new_resolved_and_persisting_and_exits_1_on_new() {
    let dir = tempfile::tempdir().unwrap();
    let old = report_of(dir.path(), "old", "2026-11-01", |_| {});
    let new = report_of(dir.path(), "new", DATE, |s| {
        // Fixed: the 3-day group now keeps 14 days. New: the good group lost its retention.
        log_group(s, 0, 1, "/vpc/prod-us")["retentionInDays"] = json!(14);
        log_group(s, 0, 0, "/vpc/prod-flow-logs")
            .as_object_mut()
            .unwrap()
            .remove("retentionInDays");
    });
    let run = run(&[
        "diff",
        &old.to_string_lossy(),
        &new.to_string_lossy(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "new failures exit 1: {}", run.stderr);
    let drift = run.json();
    let keys = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let f = if f["finding"].is_object() {
                    &f["finding"]
                } else {
                    f
                };
                format!(
                    "{} {}",
                    f["rule_id"].as_str().unwrap(),
                    f["resource_id"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(keys(&drift["new"]), ["CWL001 /vpc/prod-flow-logs"]);
    assert_eq!(keys(&drift["resolved"]), ["CWL002 /vpc/prod-us"]);
    let persisting = keys(&drift["persisting"]);
    assert!(
        persisting.contains(&"CWL001 /vpc/dev-never-expires".to_string()),
        "{persisting:?}"
    );
    assert_eq!(drift["persisting"][0]["open_since"], "2026-11-01");
    assert_eq!(drift["persisting"][0]["days_open"], 21);

    let table = common::run(&["diff", &old.to_string_lossy(), &new.to_string_lossy()]);
    assert!(
        table.stdout.contains(&format!(
            "1 new, 1 resolved, {} persisting (from 2026-11-01 to {DATE})",
            persisting.len()
        )),
        "{}",
        table.stdout
    );
    let markdown = common::run(&[
        "diff",
        &old.to_string_lossy(),
        &new.to_string_lossy(),
        "--format",
        "markdown",
    ]);
    assert!(
        markdown
            .stdout
            .starts_with("## flowaudit drift: 1 new, 1 resolved")
    );

    // No new problems: exit 0.
    let same = common::run(&["diff", &old.to_string_lossy(), &old.to_string_lossy()]);
    assert_eq!(same.code, 0);
}

#[test]
fn verify_confirms_a_report_and_catches_each_tampered_input() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    std::fs::copy(demo(), &snapshot).unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::copy(root().join("policies/production.yaml"), &policy).unwrap();
    let report = dir.path().join("report.json");
    let run = run(&[
        "scan",
        "--snapshot",
        &snapshot.to_string_lossy(),
        "--policy",
        &policy.to_string_lossy(),
        "--date",
        DATE,
        "-o",
        &format!("json:{}", report.display()),
    ]);
    assert_eq!(run.code, 1);
    let verify = |report: &Path, snapshot: &Path, policy: &Path| {
        common::run(&[
            "verify",
            &report.to_string_lossy(),
            "--snapshot",
            &snapshot.to_string_lossy(),
            "--policy",
            &policy.to_string_lossy(),
        ])
    };
    let ok = verify(&report, &snapshot, &policy);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.starts_with("verified:"));

    // A snapshot changed by one value.
    let tampered_snapshot = dir.path().join("snapshot2.json");
    std::fs::write(
        &tampered_snapshot,
        std::fs::read_to_string(&snapshot).unwrap().replacen(
            "\"retentionInDays\": 3",
            "\"retentionInDays\": 14",
            1,
        ),
    )
    .unwrap();
    let bad = verify(&report, &tampered_snapshot, &policy);
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.contains("snapshot's SHA-256"), "{}", bad.stdout);

    // A policy with a comment added: same meaning, different bytes.
    let tampered_policy = dir.path().join("policy2.yaml");
    std::fs::write(
        &tampered_policy,
        format!("{}# edited\n", std::fs::read_to_string(&policy).unwrap()),
    )
    .unwrap();
    let bad = verify(&report, &snapshot, &tampered_policy);
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.contains("policy's SHA-256"), "{}", bad.stdout);

    // A report whose failure was turned into a pass.
    let mut edited: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let failing = edited["findings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["status"] == "fail")
        .unwrap();
    failing["status"] = json!("pass");
    let tampered_report = dir.path().join("report2.json");
    std::fs::write(
        &tampered_report,
        serde_json::to_string_pretty(&edited).unwrap(),
    )
    .unwrap();
    let bad = verify(&tampered_report, &snapshot, &policy);
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.contains("re-evaluation gives"), "{}", bad.stdout);
}

#[test]
fn value_built_formats_have_canonical_key_order() {
    // serde_json's preserve_order is on in test builds only; sorted keys are what keep the
    // bytes a user's build writes identical to the golden files above.
    for format in ["sarif", "ocsf"] {
        let text = render(format);
        let mut value: Value = serde_json::from_str(&text).unwrap();
        value.sort_all_objects();
        assert_eq!(
            serde_json::to_string_pretty(&value).unwrap() + "\n",
            text,
            "{format} keys are not sorted"
        );
    }
}

#[cfg(unix)]
#[test]
fn output_to_a_device_or_fifo_writes_through_and_never_replaces_it() {
    use std::os::unix::fs::FileTypeExt;
    // As root (CI containers often are), a rename over /dev/null would replace the device.
    let run = scan_demo(&["-o", "json:/dev/null"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let null = std::fs::metadata("/dev/null").expect("/dev/null exists");
    assert!(null.file_type().is_char_device(), "/dev/null was replaced");

    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("report.pipe");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("fifo readable"))
    };
    let run = scan_demo(&["-o", &format!("json:{}", fifo.display())]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = reader.join().expect("reader finished");
    let report: Value = serde_json::from_str(&text).expect("the FIFO carried the JSON report");
    assert_eq!(report["summary"]["waived"], 1);
    let meta = std::fs::symlink_metadata(&fifo).expect("fifo still there");
    assert!(meta.file_type().is_fifo(), "the FIFO was replaced");
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_writes_its_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("reports")).expect("dir");
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink("reports/2026-11-23.json", &link).expect("symlink");
    for _ in 0..2 {
        // First through a dangling link (the target is created), then over the target.
        let run = scan_demo(&["-o", &format!("json:{}", link.display())]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let meta = std::fs::symlink_metadata(&link).expect("link still there");
        assert!(
            meta.file_type().is_symlink(),
            "the symlink was replaced by a file"
        );
        let target = dir.path().join("reports/2026-11-23.json");
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(&target).expect("target written"))
                .expect("the target holds the report");
        assert_eq!(report["summary"]["waived"], 1);
    }
}

#[test]
fn a_dash_writes_to_standard_output() {
    let run = scan_demo(&["-o", "json:-"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(report["summary"]["waived"], 1);
}

#[test]
fn the_table_fits_the_terminal_width() {
    let demo = demo().to_string_lossy().into_owned();
    let policy = path("policies/production.yaml");
    let args = [
        "scan",
        "--snapshot",
        &demo,
        "--policy",
        &policy,
        "--date",
        DATE,
    ];
    for width in [80usize, 120] {
        let (out, widest) = run_at_width(width, &args);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            widest <= width,
            "{widest} columns at COLUMNS={width}:\n{}",
            out.stdout
        );
        // The coverage map fits, and every problem is still there with its fix.
        assert!(out.stdout.contains("│ 111122223333 │"), "{}", out.stdout);
        assert_eq!(out.stdout.matches("fix: ").count(), 44, "{}", out.stdout);
    }
    // Too narrow for the map: it says so instead of wrapping it.
    let (narrow, _) = run_at_width(50, &args);
    assert!(
        narrow.stdout.contains("more than this terminal"),
        "{}",
        narrow.stdout
    );
}

/// Validates an OSCAL assessment-results document with compliance-trestle's OSCAL 1.1
/// models (installed into .venv by scripts/test); returns whether it is valid, and what the
/// validator said.
fn trestle_validates(document: &str) -> (bool, String) {
    let python = std::env::var_os("FLOWAUDIT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assessment-results.json");
    std::fs::write(&file, document).unwrap();
    let out = Command::new(&python)
        .args([
            "-c",
            "import sys, pathlib\n\
             from trestle.oscal.assessment_results import AssessmentResults\n\
             AssessmentResults.oscal_read(pathlib.Path(sys.argv[1]))\n\
             print('valid')",
        ])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e}. ./scripts/test installs compliance-trestle into .venv",
                python.display()
            )
        });
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && said.contains("valid"), said)
}

#[test]
fn oscal_assessment_results_validate_with_an_independent_validator() {
    // The records' observations (--observe) are evidence too, and must validate.
    let records = scan_records("oscal").stdout;
    assert!(
        records.contains("Records at s3://records-bucket/"),
        "{records}"
    );
    let (valid, said) = trestle_validates(&records);
    assert!(valid, "{said}");
    let oscal = render("oscal");
    let (valid, said) = trestle_validates(&oscal);
    assert!(valid, "{said}");
    // The validator is not vacuous: a target of a type OSCAL does not have fails it.
    let broken = oscal.replacen("\"objective-id\"", "\"no-such-target-type\"", 1);
    assert_ne!(broken, oscal);
    assert!(
        !trestle_validates(&broken).0,
        "trestle accepted a broken document"
    );

    let doc: Value = serde_json::from_str(&oscal).unwrap();
    let report = scan_demo(&["--format", "json"]).json();
    let results = &doc["assessment-results"]["results"][0];
    // Every finding is an observation; every failure and unevaluated check a finding.
    assert_eq!(
        results["observations"].as_array().unwrap().len(),
        report["findings"].as_array().unwrap().len()
    );
    let s = &report["summary"];
    assert_eq!(
        results["findings"].as_array().unwrap().len() as u64,
        s["fail"].as_u64().unwrap() + s["error"].as_u64().unwrap()
    );
    // The rules are the reviewed controls, and each the activity of its observations.
    let rules = run(&["rules", "--format", "json"]).json();
    assert_eq!(
        results["reviewed-controls"]["control-selections"][0]["include-controls"]
            .as_array()
            .unwrap()
            .len(),
        rules.as_array().unwrap().len()
    );
    // The digests are back-matter resources.
    let hashes: Vec<&str> = doc["assessment-results"]["back-matter"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["rlinks"][0]["hashes"][0]["value"].as_str())
        .collect();
    assert!(hashes.contains(&report["policy"]["sha256"].as_str().unwrap()));
    assert!(hashes.contains(&report["snapshot"]["sha256"].as_str().unwrap()));
    // Every reference resolves within the document.
    let uuids = |list: &Value| -> std::collections::BTreeSet<String> {
        list.as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x["uuid"].as_str().map(str::to_string))
            .collect()
    };
    let tasks = uuids(&results["local-definitions"]["tasks"]);
    let components = uuids(&results["local-definitions"]["components"]);
    let observations = uuids(&results["observations"]);
    let activities = uuids(&doc["assessment-results"]["local-definitions"]["activities"]);
    for o in results["observations"].as_array().unwrap() {
        let origin = &o["origins"][0];
        assert!(tasks.contains(origin["related-tasks"][0]["task-uuid"].as_str().unwrap()));
        assert!(components.contains(origin["actors"][0]["actor-uuid"].as_str().unwrap()));
    }
    for f in results["findings"].as_array().unwrap() {
        let observation = f["related-observations"][0]["observation-uuid"]
            .as_str()
            .unwrap();
        assert!(observations.contains(observation));
    }
    for t in results["local-definitions"]["tasks"].as_array().unwrap() {
        let activity = t["associated-activities"][0]["activity-uuid"]
            .as_str()
            .unwrap();
        assert!(activities.contains(activity));
    }
    // Same inputs, same document: the UUIDs are derived, not random.
    assert_eq!(render("oscal"), oscal);
}

#[test]
fn the_records_section_shows_what_was_observed_per_destination() {
    let args = scan_records;
    let html = args("html").stdout;
    assert!(html.contains("<h2>Records</h2>"), "no Records section");
    // The default prefix kept 10 days against a minimum of 30: red, with the dates.
    let row = html
        .split("<tr>")
        .find(|r| {
            r.contains("map-fail")
                && r.contains(
                    "<code>s3://records-bucket/AWSLogs/123456789012/vpcflowlogs/eu-west-1/</code>",
                )
        })
        .expect("the default prefix's row");
    assert!(
        row.contains("map-fail") && row.contains("10 days") && row.contains("30 to 365 days"),
        "{row}"
    );
    let json = args("json").json();
    let rows = json["records"].as_array().expect("records rows in JSON");
    assert_eq!(rows.len(), 4, "three prefixes and one log group");
    assert_eq!(rows[3]["destination"], "log group /vpc/records");
    let table = args("table").stdout;
    assert!(table.contains("records (observed "), "{table}");
    // A report without observations has no records rows at all.
    assert!(
        scan_demo(&["--format", "json"])
            .json()
            .get("records")
            .is_none()
    );
}

/// The observed records fixture under the records policy, in `format`.
fn scan_records(format: &str) -> Run {
    run(&[
        "scan",
        "--snapshot",
        &path("fixtures/records/observed.json"),
        "--policy",
        &path("fixtures/policies/records.yaml"),
        "--format",
        format,
    ])
}
