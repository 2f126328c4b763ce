//! Helpers shared by the integration tests: run the real binary and read its JSON report.
#![allow(dead_code)] // each test file uses a different subset

pub mod fault_proxy;
pub mod moto;
pub mod records;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub const DATE: &str = "2026-11-22";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn path(relative: &str) -> String {
    root().join(relative).to_string_lossy().into_owned()
}

pub fn flowaudit() -> Command {
    let mut cmd = Command::cargo_bin("flowaudit").expect("the flowaudit binary is built for tests");
    cmd.env("NO_COLOR", "1").env_remove("GITHUB_ACTIONS");
    cmd
}

/// The binary, pointed at a local AWS endpoint (moto, or the fault proxy in front of it)
/// with static credentials and nothing from this machine's AWS configuration (no profile
/// files, no instance metadata lookups).
pub fn flowaudit_at_endpoint(endpoint: &str, key: &str, secret: &str) -> Command {
    with_local_aws(flowaudit(), endpoint, key, secret)
}

/// `cmd` pointed at a local AWS endpoint, as `flowaudit_at_endpoint` does.
pub fn with_local_aws(mut cmd: Command, endpoint: &str, key: &str, secret: &str) -> Command {
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    cmd
}

/// `scan` of a live account under the live test policy, as JSON on the test date; callers
/// add the regions, accounts and options they test.
pub fn live_scan_args() -> Vec<&'static str> {
    vec![
        "scan",
        "--policy",
        "fixtures/policies/live.yaml",
        "--format",
        "json",
        "--date",
        DATE,
    ]
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", self.stderr))
    }
}

pub fn run(args: &[&str]) -> Run {
    flowaudit()
        .args(args)
        .output()
        .expect("flowaudit runs")
        .into()
}

/// `scan --format json` of a snapshot under a policy, on the fixed test date.
pub fn scan(snapshot: &Path, policy: &str) -> Run {
    run(&[
        "scan",
        "--snapshot",
        &snapshot.to_string_lossy(),
        "--policy",
        &path(policy),
        "--format",
        "json",
        "--date",
        DATE,
    ])
}

/// `scan` of the demo estate under the production policy on the test date, plus `extra`.
pub fn scan_demo(extra: &[&str]) -> Run {
    let demo = demo();
    let mut args = vec![
        "scan",
        "--snapshot",
        demo.to_str().expect("the checkout path is UTF-8"),
        "--policy",
        "policies/production.yaml",
        "--date",
        DATE,
    ];
    args.extend(extra);
    flowaudit()
        .current_dir(root())
        .args(&args)
        .output()
        .expect("flowaudit runs")
        .into()
}

pub fn demo() -> PathBuf {
    root().join("fixtures/demo/estate.json")
}

pub fn compliant() -> PathBuf {
    root().join("fixtures/compliant/estate.json")
}

/// The status of one rule on one resource, or None when there is no such finding.
pub fn status(report: &Value, rule: &str, resource: &str) -> Option<String> {
    let matches: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| f["rule_id"] == rule && f["resource_id"] == resource)
        .collect();
    assert!(
        matches.len() <= 1,
        "{rule} has {} findings for {resource}",
        matches.len()
    );
    matches
        .first()
        .map(|f| f["status"].as_str().unwrap_or_default().to_string())
}

/// The finding for one rule on one resource; panics when there is none.
pub fn finding<'a>(report: &'a Value, rule: &str, resource: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource_id"] == resource)
        .unwrap_or_else(|| panic!("no {rule} finding for {resource}"))
}

/// Every finding that is not a pass, one line each, for snapshot tests.
pub fn non_passing(report: &Value) -> String {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| f["status"] != "pass")
        .map(|f| {
            format!(
                "{} {} {} {} {}: {}",
                f["status"].as_str().unwrap_or_default(),
                f["rule_id"].as_str().unwrap_or_default(),
                f["account_id"].as_str().unwrap_or_default(),
                f["region"].as_str().unwrap_or_default(),
                f["resource_id"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads a fixture, lets the test change it, and writes the variant to a temp file.
pub fn variant(base: &Path, dir: &Path, name: &str, change: impl FnOnce(&mut Value)) -> PathBuf {
    let text = std::fs::read_to_string(base).expect("fixture readable");
    let mut json: Value = serde_json::from_str(&text).expect("fixture is JSON");
    change(&mut json);
    let out = dir.join(name);
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&json).expect("serialises"),
    )
    .expect("temp file written");
    out
}

fn chromium() -> PathBuf {
    let path = std::env::var_os("FLOWAUDIT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "Chromium not found at {}. ./scripts/test installs Debian's chromium package; or set FLOWAUDIT_CHROMIUM.",
        path.display()
    );
    path
}

/// Renders an HTML page in headless Chromium (no network, a throwaway profile) and returns
/// the DOM it built; fails on a console error.
pub fn render_in_chromium(html: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("page.html");
    std::fs::write(&page, html).expect("page written");
    let profile = dir.path().join("profile");
    let out = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stderr);
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console errors: {console_errors:#?}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The binary run with `COLUMNS` set, as a terminal of that width would have it, and the
/// widest line of what it printed.
pub fn run_at_width(width: usize, args: &[&str]) -> (Run, usize) {
    let out: Run = flowaudit()
        .env("COLUMNS", width.to_string())
        .args(args)
        .output()
        .expect("flowaudit runs")
        .into();
    let widest = out
        .stdout
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    (out, widest)
}
