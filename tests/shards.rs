//! A sharded collection (`collect --shards-dir`) against a real moto: killed mid-run with
//! SIGTERM, it leaves only whole shards and exits 130; resumed, it collects only what is
//! missing; and the scan of its shards finds exactly what an uninterrupted run finds.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::moto::Moto;
use common::*;
use serde_json::Value;

const REGION: &str = "eu-west-1";
/// Twelve accounts, collected one at a time: long enough to stop in the middle.
const ACCOUNTS: &str = "111100000001,111100000002,111100000003,111100000004,111100000005,111100000006,111100000007,111100000008,111100000009,111100000010,111100000011,111100000012";
const COUNT: usize = 12;

fn collect_args(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "collect",
        "--accounts",
        ACCOUNTS,
        "--role-name",
        "flowaudit-read",
        "--region",
        REGION,
        "--shards-dir",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(dir.to_string_lossy().into_owned());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn shards_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn findings_of(dir: &Path) -> Value {
    let run: Run = flowaudit()
        .current_dir(root())
        .args(live_scan_args())
        .args(["--shards-dir", &dir.to_string_lossy()])
        .output()
        .expect("flowaudit runs")
        .into();
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    run.json()["findings"].clone()
}

#[test]
fn a_killed_sharded_collection_resumes_to_the_same_findings() {
    let moto = Moto::start();
    let work = tempfile::tempdir().expect("temp dir");
    let reference = work.path().join("reference");
    let resumed = work.path().join("resumed");

    // The reference: one uninterrupted sharded collection.
    let run: Run = flowaudit_at_endpoint(&moto.endpoint(), "test", "test")
        .args(collect_args(&reference, &[]))
        .output()
        .expect("flowaudit runs")
        .into();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        shards_in(&reference).len(),
        COUNT,
        "{:?}",
        shards_in(&reference)
    );

    // Collect one account at a time, and stop the run with SIGTERM once the first shard is
    // written.
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("flowaudit"))
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .args(collect_args(&resumed, &["--concurrency", "1"]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("collect starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !shards_in(&resumed)
        .iter()
        .any(|n| n.ends_with(".json") && !n.starts_with('.'))
    {
        assert!(
            Instant::now() < deadline,
            "no shard was written within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("collect ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let written = shards_in(&resumed);
    assert!(
        written.iter().all(|n| !n.contains("partial")),
        "a half-written shard: {written:?}"
    );
    let kept = written.len();
    assert!((1..COUNT).contains(&kept), "stopped mid-run: {written:?}");
    for name in &written {
        let text = std::fs::read_to_string(resumed.join(name)).expect("shard");
        let shard: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not whole: {e}"));
        assert_eq!(shard["collection_errors"], serde_json::json!([]), "{name}");
    }

    // Resumed: only the missing accounts are collected.
    let run: Run = flowaudit_at_endpoint(&moto.endpoint(), "test", "test")
        .args(collect_args(&resumed, &["--resume"]))
        .output()
        .expect("flowaudit runs")
        .into();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("resuming: {kept} accounts already collected")),
        "{}",
        run.stderr
    );
    assert_eq!(shards_in(&resumed).len(), COUNT);
    assert_eq!(findings_of(&resumed), findings_of(&reference));
}
