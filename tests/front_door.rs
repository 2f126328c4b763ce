//! A first run needs no policy file: the built-in default judges it, a flowaudit.yaml in the
//! current directory or above is found, and `policy init`/`show` write and print policies.

mod common;

use common::*;
use std::path::Path;

/// flowaudit run in `dir`, as a newcomer would, with no --policy.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    flowaudit()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("flowaudit runs")
        .into()
}

fn scan_demo_in(dir: &Path) -> Run {
    let demo = demo();
    run_in(
        dir,
        &[
            "scan",
            "--snapshot",
            &demo.to_string_lossy(),
            "--format",
            "json",
            "--date",
            DATE,
        ],
    )
}

#[test]
fn a_scan_without_a_policy_file_is_judged_by_the_built_in_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = scan_demo_in(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("using the built-in policy `flowaudit-default`"),
        "{}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["policy"]["name"], "flowaudit-default");
    let shipped = std::fs::read(root().join("policies/default.yaml")).expect("default policy");
    assert_eq!(
        report["policy"]["sha256"],
        flowaudit::digest::sha256_hex(&shipped)
    );
    // The report verifies with the built-in policy too (no --policy here either).
    let report_file = dir.path().join("report.json");
    std::fs::write(&report_file, &run.stdout).expect("report");
    let verified = run_in(
        dir.path(),
        &[
            "verify",
            &report_file.to_string_lossy(),
            "--snapshot",
            &demo().to_string_lossy(),
        ],
    );
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
}

#[test]
fn a_flowaudit_yaml_here_or_above_is_used_instead() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        root().join("policies/production.yaml"),
        dir.path().join("flowaudit.yaml"),
    )
    .expect("copied");
    let nested = dir.path().join("infra/network");
    std::fs::create_dir_all(&nested).expect("nested");
    for cwd in [dir.path(), nested.as_path()] {
        let run = scan_demo_in(cwd);
        assert_eq!(run.json()["policy"]["name"], "production", "{}", run.stderr);
        assert!(
            run.stderr.contains("flowaudit.yaml (found from"),
            "{}",
            run.stderr
        );
    }
    // --policy still wins.
    let run = run_in(
        &nested,
        &[
            "scan",
            "--snapshot",
            &demo().to_string_lossy(),
            "--policy",
            &path("policies/baseline.yaml"),
            "-q",
        ],
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn policy_init_writes_starters_that_validate_and_show_prints_the_effective_policy() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (template, shipped) in [
        ("default", "policies/default.yaml"),
        ("baseline", "policies/baseline.yaml"),
        ("production", "policies/production.yaml"),
        ("regulated", "policies/regulated.yaml"),
    ] {
        let written = run_in(dir.path(), &["policy", "init", "--template", template]);
        assert_eq!(written.code, 0, "{}", written.stderr);
        let expected = std::fs::read_to_string(root().join(shipped)).expect("shipped");
        assert_eq!(written.stdout, expected, "{template}");
        let file = dir.path().join(format!("{template}.yaml"));
        std::fs::write(&file, &written.stdout).expect("written");
        let validated = run_in(dir.path(), &["policy", "validate", &file.to_string_lossy()]);
        assert_eq!(validated.code, 0, "{template}: {}", validated.stderr);
        assert!(
            !validated.stderr.contains("warning:"),
            "{}",
            validated.stderr
        );
    }
    // -o writes a file, and never over an existing one.
    let out = dir.path().join("flowaudit.yaml");
    let first = run_in(
        dir.path(),
        &["policy", "init", "-o", &out.to_string_lossy()],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let again = run_in(
        dir.path(),
        &["policy", "init", "-o", &out.to_string_lossy()],
    );
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("does not overwrite"),
        "{}",
        again.stderr
    );

    let shown = run_in(
        dir.path(),
        &[
            "policy",
            "show",
            "--policy",
            &path("policies/production.yaml"),
        ],
    );
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let yaml: serde_yaml::Value = serde_yaml::from_str(&shown.stdout).expect("YAML");
    let names: Vec<&str> = yaml["profiles"]
        .as_sequence()
        .expect("profiles")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["production", "staging", "internet-facing", "default"]
    );
    // Staging inherits coverage from the default, and shows it.
    assert_eq!(
        yaml["profiles"][1]["requirements"]["coverage"]["level"].as_str(),
        Some("eni")
    );
}
