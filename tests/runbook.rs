//! The incident runbook: golden outputs for every destination layout (default, Hive,
//! per-hour, Parquet, custom prefix, and CloudWatch Logs with the default and a custom
//! format), and destinations that fail a policy left out.

mod common;

use common::*;

fn runbook(snapshot: &std::path::Path, extra: &[&str]) -> Run {
    let snapshot = snapshot.to_string_lossy();
    let mut args = vec!["runbook", "--snapshot", &snapshot, "--date", DATE];
    args.extend(extra);
    run(&args)
}

fn layouts() -> std::path::PathBuf {
    root().join("fixtures/runbook/estate.json")
}

#[test]
fn every_layout_gets_a_table_or_queries_that_match_it() {
    let markdown = runbook(&layouts(), &[]);
    assert_eq!(markdown.code, 0, "{}", markdown.stderr);
    insta::assert_snapshot!("runbook_layouts", markdown.stdout);

    let json = runbook(&layouts(), &["--format", "json"]).json();
    let tables = json["s3"].as_array().expect("tables");
    // Default, Hive, per-hour, Parquet (Hive, per hour) and a custom prefix: five tables.
    assert_eq!(tables.len(), 5, "{json}");
    let by_flow_log = |id: &str| {
        tables
            .iter()
            .find(|t| t["flow_logs"][0] == id)
            .unwrap_or_else(|| panic!("no table for {id}"))
    };
    let ddl = |id: &str| {
        by_flow_log(id)["ddl"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // Plain text skips the header line; Parquet is stored as Parquet and skips nothing.
    assert!(ddl("fl-0r000000000000001").contains("'skip.header.line.count' = '1'"));
    assert!(ddl("fl-0r000000000000001").contains("ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '"));
    let parquet = ddl("fl-0r000000000000004");
    assert!(parquet.contains("STORED AS PARQUET") && !parquet.contains("skip.header"));
    // The columns are the flow log's own fields, in order, with their types.
    assert!(parquet.contains("  tcp_flags int,\n  flow_direction string,\n  pkt_srcaddr string,\n  reject_reason string\n"), "{parquet}");
    // Key layouts: daily, Hive, hourly, and the configured prefix.
    assert!(ddl("fl-0r000000000000001").contains("'projection.log_time.format' = 'yyyy/MM/dd'"));
    assert!(ddl("fl-0r000000000000002").contains(
        "aws-account-id=${aws_account}/aws-service=vpcflowlogs/aws-region=${aws_region}"
    ));
    assert!(ddl("fl-0r000000000000003").contains("'projection.log_time.interval.unit' = 'HOURS'"));
    assert!(
        ddl("fl-0r000000000000005").contains("LOCATION 's3://acme-runbook/team-a/flow/AWSLogs/'")
    );
    // The window comes from the lifecycle that applies to each subtree.
    assert!(
        by_flow_log("fl-0r000000000000003")["available"][0]
            .as_str()
            .unwrap_or_default()
            .contains("the last 30 days (rule hourly-30d")
    );

    let groups = json["cloudwatch"].as_array().expect("groups");
    let default = groups
        .iter()
        .find(|g| g["log_group"] == "/vpc/default")
        .expect("default");
    assert_eq!(default["custom_format"], false);
    assert!(
        default["queries"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("filter action = \"REJECT\" and interfaceId")
    );
    let custom = groups
        .iter()
        .find(|g| g["log_group"] == "/vpc/custom")
        .expect("custom");
    assert!(custom["queries"][0]["text"].as_str().unwrap_or_default().starts_with("parse @message \"* * * * * * * * * * * * * * * * * * *\" as version, account_id, interface_id"));
    assert_eq!(custom["available"], "the last 30 days (retentionInDays)");
}

#[test]
fn with_a_policy_failing_destinations_are_left_out() {
    let run = runbook(&demo(), &["--policy", &path("policies/production.yaml")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // /vpc/prod-us keeps 3 days against a minimum of 14: not a destination to rely on.
    assert!(
        !run.stdout.contains("## CloudWatch Logs: /vpc/prod-us"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("log group /vpc/prod-us (111122223333 us-east-1): a finding failed")
    );
    assert!(
        run.stdout
            .contains("## CloudWatch Logs: /vpc/prod-flow-logs")
    );
    // Without a policy every destination that exists is there.
    let all = runbook(&demo(), &[]);
    assert!(all.stdout.contains("## CloudWatch Logs: /vpc/prod-us"));
}

#[test]
fn days_available_come_from_the_observed_records_when_there_are_some() {
    let out = run(&[
        "runbook",
        "--snapshot",
        &path("fixtures/records/observed.json"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The default prefix keeps 365 days by its lifecycle, but holds only ten.
    assert!(
        out.stdout.contains(
            "(s3://records-bucket/AWSLogs/123456789012/vpcflowlogs/eu-west-1/): records from 2026-11-21 to 2026-12-01 (observed 2026-12-01T03:39:05Z); the last 365 days"
        ),
        "{}",
        out.stdout
    );
}
