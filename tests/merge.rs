//! `flowaudit merge`: shards collected apart join into the snapshot a single run would give.

mod common;

use common::*;
use serde_json::{Value, json};

/// The demo estate with only one account's resources and errors; buckets stay in every
/// shard, as each shard's collector inspects the buckets its flow logs use.
fn shard_of(account: &str) -> impl FnOnce(&mut Value) + '_ {
    move |s: &mut Value| {
        s["scope"]["accounts"] = json!([account]);
        s["accounts"]
            .as_array_mut()
            .expect("accounts")
            .retain(|a| a["account_id"] == account);
        s["collection_errors"]
            .as_array_mut()
            .expect("errors")
            .retain(|e| e["account_id"] == account);
    }
}

fn verdicts(report: &Value) -> (Value, Value, Value) {
    (
        report["findings"].clone(),
        report["out_of_scope"].clone(),
        report["summary"].clone(),
    )
}

#[test]
fn shards_merge_into_the_estate_they_were_split_from() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = variant(&demo(), dir.path(), "a.json", shard_of("111122223333"));
    let b = variant(&demo(), dir.path(), "b.json", shard_of("444455556666"));
    let merged = dir.path().join("merged.json");
    let run = run(&[
        "merge",
        &a.to_string_lossy(),
        &b.to_string_lossy(),
        "-o",
        &merged.to_string_lossy(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("merged 2 snapshots: 2 accounts"),
        "{}",
        run.stderr
    );
    // The buckets were in both shards: the same, so kept once and reported.
    assert!(run.stderr.contains("duplicate: bucket"), "{}", run.stderr);

    let whole = scan(&demo(), "policies/production.yaml").json();
    let joined = scan(&merged, "policies/production.yaml").json();
    assert_eq!(verdicts(&joined), verdicts(&whole));
}

#[test]
fn a_snapshot_merged_with_itself_is_itself() {
    let dir = tempfile::tempdir().expect("temp dir");
    let merged = dir.path().join("merged.json");
    let demo = demo();
    let run = run(&[
        "merge",
        &demo.to_string_lossy(),
        &demo.to_string_lossy(),
        "-o",
        &merged.to_string_lossy(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("more duplicates"),
        "the list is bounded: {}",
        run.stderr
    );
    let whole = scan(&demo, "policies/production.yaml").json();
    let joined = scan(&merged, "policies/production.yaml").json();
    assert_eq!(verdicts(&joined), verdicts(&whole));
}

#[test]
fn two_different_copies_of_one_resource_are_an_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let changed = variant(&demo(), dir.path(), "changed.json", |s| {
        s["accounts"][0]["regions"][0]["vpcs"][0]["Tags"] = json!([]);
    });
    let vpc = {
        let text = std::fs::read_to_string(&changed).expect("variant");
        let value: Value = serde_json::from_str(&text).expect("JSON");
        value["accounts"][0]["regions"][0]["vpcs"][0]["VpcId"]
            .as_str()
            .expect("a VPC id")
            .to_string()
    };
    let merged = dir.path().join("merged.json");
    let run = run(&[
        "merge",
        &demo().to_string_lossy(),
        &changed.to_string_lossy(),
        "-o",
        &merged.to_string_lossy(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("vpc {vpc}"))
            && run.stderr.contains("changed.json")
            && run.stderr.contains("estate.json"),
        "{}",
        run.stderr
    );
    assert!(
        !merged.exists(),
        "a merged snapshot was written despite the conflict"
    );
}
