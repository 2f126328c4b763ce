//! The live cost benchmark (issue 9): what a live scan asks of AWS, and how long it takes,
//! on a moto estate of 4 regions x 50 VPCs x 4 subnets x 5 ENIs with flow logs at all three
//! levels, 40 log groups and 20 buckets; and on a 3-account organisation of that estate
//! delivering to 20 central buckets in a log-archive account.
//!
//! Ignored by default: seeding takes minutes. Run it with `scripts/bench-live`, which builds
//! the release binary, runs this with `FLOWAUDIT_BENCH_BIN` pointing at it, and records the
//! results in docs/benchmarks.md. The request budgets are asserted (they are exact);
//! wall time is recorded, not asserted.

mod common;
#[allow(dead_code)] // the live tests' seeder; this benchmark uses part of it
#[path = "live/estate.rs"]
mod estate;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{FlowLogsResourceType, TrafficType};
use common::moto::Moto;
use common::*;
use estate::{Seeder, To, prefix, rule};

const REGIONS: [&str; 4] = ["ap-northeast-1", "eu-west-1", "us-east-1", "us-west-2"];
const VPCS_PER_REGION: usize = 50;
const SUBNETS_PER_VPC: usize = 4;
const ENIS_PER_SUBNET: usize = 5;
const LOG_GROUPS_PER_REGION: usize = 10;
const BUCKETS: usize = 20;
const ROLE: &str = "flowaudit-read";
const ARCHIVE: &str = "999999999999";
const MEMBERS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
/// Wall-time runs per scan; the minimum and median are reported.
const RUNS: usize = 3;

fn bucket_name(owner: &str, i: usize) -> String {
    format!("bench-{owner}-{i:02}")
}

/// Creates the 20 buckets in `owner`'s account, spread over the regions, each with a
/// lifecycle rule over every flow-log subtree and a public access block.
async fn seed_buckets(config: &SdkConfig, owner: &str) {
    let seeder = Seeder {
        config: config.clone(),
    };
    for i in 0..BUCKETS {
        let region = REGIONS[i % REGIONS.len()];
        seeder
            .bucket(
                region,
                &bucket_name(owner, i),
                vec![rule("flow-logs", prefix("AWSLogs/"), true, 180, None)],
                false,
            )
            .await;
    }
}

/// Seeds one account's estate in every region, the regions in parallel. Flow logs: each
/// VPC has one (to a log group for even VPCs, a bucket for odd ones), its first subnet one
/// to a bucket, and that subnet's first ENI one to a log group.
async fn seed_account(config: &SdkConfig, bucket_owner: &str) {
    let mut tasks = tokio::task::JoinSet::new();
    for (r, region) in REGIONS.iter().enumerate() {
        let (config, bucket_owner) = (config.clone(), bucket_owner.to_string());
        tasks.spawn(async move {
            let seeder = Seeder { config };
            let region_seeder = seeder.region(region);
            for g in 0..LOG_GROUPS_PER_REGION {
                region_seeder
                    .log_group(&format!("/bench/flow-{g}"), Some(14))
                    .await;
            }
            for v in 0..VPCS_PER_REGION {
                let vpc = region_seeder
                    .vpc(
                        &format!("bench-{v}"),
                        u8::try_from(v).expect("fewer than 256 VPCs"),
                        &[ENIS_PER_SUBNET; SUBNETS_PER_VPC],
                    )
                    .await;
                let group = format!("/bench/flow-{}", v % LOG_GROUPS_PER_REGION);
                let bucket = bucket_name(&bucket_owner, (r * 5 + v) % BUCKETS);
                let vpc_to = if v % 2 == 0 {
                    To::Group(&group)
                } else {
                    To::Bucket(&bucket)
                };
                let levels = [
                    (FlowLogsResourceType::Vpc, vpc.vpc_id.as_str(), vpc_to),
                    (
                        FlowLogsResourceType::Subnet,
                        vpc.subnets[0].as_str(),
                        To::Bucket(&bucket),
                    ),
                    (
                        FlowLogsResourceType::NetworkInterface,
                        vpc.enis[0].as_str(),
                        To::Group(&group),
                    ),
                ];
                for (kind, resource, to) in levels {
                    region_seeder
                        .flow_log(kind, resource, TrafficType::All, to)
                        .await;
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a region seeded");
    }
}

/// The binary measured: the release build named by FLOWAUDIT_BENCH_BIN, else the test build.
fn scan_command(moto: &Moto, extra: &[&str], report: &std::path::Path) -> assert_cmd::Command {
    let program = match std::env::var_os("FLOWAUDIT_BENCH_BIN") {
        Some(bin) => assert_cmd::Command::new(bin),
        None => flowaudit(),
    };
    let mut cmd = with_local_aws(program, &moto.endpoint(), "test", "test");
    let mut args = vec!["scan", "--policy", "fixtures/policies/live.yaml", "--quiet"];
    for region in REGIONS {
        args.extend(["--region", region]);
    }
    args.extend(extra);
    cmd.current_dir(root())
        .args(&args)
        .arg("-o")
        .arg(format!("json:{}", report.display()));
    cmd
}

struct Measured {
    requests: usize,
    by_operation: BTreeMap<String, usize>,
    wall: Vec<Duration>,
    /// CPU seconds per timed scan, of flowaudit and of moto, in run order.
    flowaudit_cpu: Vec<f64>,
    moto_cpu: Vec<f64>,
    findings: usize,
}

/// CPU seconds used by this process's finished children (flowaudit runs), from /proc.
fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // cutime and cstime are fields 16 and 17; after the name, 0-based 13 and 14.
    common::moto::proc_cpu_seconds(&stat, 13)
}

/// Scans once recording every request moto receives, then `RUNS` times unrecorded for
/// the wall time.
fn measure(moto: &Moto, extra: &[&str]) -> Measured {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    moto.api("POST", "/moto-api/recorder/reset-recording", "");
    moto.api("POST", "/moto-api/recorder/start-recording", "");
    let run: Run = scan_command(moto, extra, &report)
        .output()
        .expect("flowaudit runs")
        .into();
    moto.api("POST", "/moto-api/recorder/stop-recording", "");
    assert!(run.code <= 1, "exit {}: {}", run.code, run.stderr);
    let recorded = moto.recorded_operations();
    let mut by_operation = BTreeMap::new();
    for (_, op) in &recorded {
        *by_operation.entry(op.clone()).or_insert(0) += 1;
    }
    let text = std::fs::read_to_string(&report).expect("report written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON report");
    // Nothing may be unseen: a collection error would make the counts meaningless.
    let errors: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "error")
        .collect();
    assert!(errors.is_empty(), "collection errors: {errors:?}");
    let findings = json["findings"].as_array().map_or(0, Vec::len);

    let (mut wall, mut flowaudit_cpu, mut moto_cpu) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (ours, theirs) = (children_cpu_seconds(), moto.cpu_seconds());
        let started = Instant::now();
        let status = scan_command(moto, extra, &report)
            .output()
            .expect("flowaudit runs")
            .status;
        wall.push(started.elapsed());
        flowaudit_cpu.push(children_cpu_seconds() - ours);
        moto_cpu.push(moto.cpu_seconds() - theirs);
        assert!(status.code().is_some_and(|c| c <= 1), "{status}");
    }
    wall.sort();
    Measured {
        requests: recorded.len(),
        by_operation,
        wall,
        flowaudit_cpu,
        moto_cpu,
        findings,
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// One results row, the requests by operation, and whether the request budget holds.
/// The constant is what the scan asks once per run or once per account: its identity, the
/// roles, and each account's bucket list (ListBuckets, recorded as `s3:GET ?x-id`).
fn row(name: &str, m: &Measured, pairs: usize, buckets: usize, accounts: usize) -> Row {
    // The 3 s target is the single-account estate's.
    let wall_target = accounts == 1;
    let constant: usize = ["GetCallerIdentity", "AssumeRole", "s3:GET ?x-id"]
        .iter()
        .map(|op| m.by_operation.get(*op).copied().unwrap_or(0))
        .sum();
    let budget = 8 * pairs + 5 * buckets + constant;
    let within = m.requests <= budget;
    let ops: Vec<String> = m
        .by_operation
        .iter()
        .map(|(op, n)| format!("{op}: {n}"))
        .collect();
    let fast = m.wall[0] < Duration::from_secs(3);
    Row {
        line: format!(
            "| {name} | {accounts} | {pairs} | {buckets} | {} | {} | {budget} = 8 x {pairs} + 5 x {buckets} + {constant} | {} | {} / {} | {} | {} | {} |\n",
            m.findings,
            m.requests,
            if within { "met" } else { "**missed**" },
            seconds(m.wall[0]),
            seconds(m.wall[m.wall.len() / 2]),
            match (wall_target, fast) {
                (false, _) => "no target",
                (true, true) => "met",
                (true, false) => "**missed**",
            },
            cpu_list(&m.flowaudit_cpu),
            cpu_list(&m.moto_cpu),
        ),
        operations: format!("- {name}: {}\n", ops.join(", ")),
        within,
    }
}

fn cpu_list(seconds: &[f64]) -> String {
    seconds
        .iter()
        .map(|s| format!("{s:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Row {
    line: String,
    operations: String,
    within: bool,
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run scripts/bench-live"]
async fn live_scan_cost() {
    let mut rows = Vec::new();

    // One account: the estate, its log groups, and its own 20 buckets.
    let moto = Moto::start();
    let started = Instant::now();
    let config = moto.sdk_config("us-east-1", "test", "test").await;
    seed_buckets(&config, estate::ACCOUNT).await;
    seed_account(&config, estate::ACCOUNT).await;
    let seeding = started.elapsed();
    let single = measure(&moto, &[]);
    rows.push(row("single account", &single, REGIONS.len(), BUCKETS, 1));
    drop(moto);

    // Three member accounts entered by role, delivering to 20 central buckets owned by a
    // log-archive account that is read but not scanned.
    let moto = Moto::start();
    let archive = moto.account_config(ARCHIVE, ROLE, "us-east-1").await;
    seed_buckets(&archive, ARCHIVE).await;
    let mut members = tokio::task::JoinSet::new();
    for member in MEMBERS {
        let config = moto.account_config(member, ROLE, "us-east-1").await;
        members.spawn(async move { seed_account(&config, ARCHIVE).await });
    }
    while let Some(done) = members.join_next().await {
        done.expect("an account seeded");
    }
    let accounts = MEMBERS.join(",");
    let org = measure(
        &moto,
        &[
            "--accounts",
            &accounts,
            "--role-name",
            ROLE,
            "--log-archive-account",
            ARCHIVE,
        ],
    );
    rows.push(row(
        "3-account organisation",
        &org,
        MEMBERS.len() * REGIONS.len(),
        BUCKETS,
        MEMBERS.len(),
    ));

    let mut out = String::new();
    let _ = writeln!(
        out,
        "Estate per account: {} regions x {VPCS_PER_REGION} VPCs x {SUBNETS_PER_VPC} subnets x \
         {ENIS_PER_SUBNET} ENIs ({} ENIs), {} flow logs (VPC, subnet and ENI level), {} log \
         groups; {BUCKETS} buckets. Seeding the single-account estate took {}.\n",
        REGIONS.len(),
        REGIONS.len() * VPCS_PER_REGION * SUBNETS_PER_VPC * ENIS_PER_SUBNET,
        REGIONS.len() * VPCS_PER_REGION * 3,
        REGIONS.len() * LOG_GROUPS_PER_REGION,
        seconds(seeding),
    );
    let _ = writeln!(
        out,
        "| estate | accounts | (account, region) pairs | buckets | findings | requests | budget | within | scan wall min / median of {RUNS} | under 3 s | flowaudit CPU s per run | moto CPU s per run |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in &rows {
        out.push_str(&r.line);
    }
    out.push_str("\nRequests by operation (moto's request log):\n\n");
    for r in &rows {
        out.push_str(&r.operations);
    }
    let all_within = rows.iter().all(|r| r.within);
    println!("{out}");
    if let Some(file) = std::env::var_os("FLOWAUDIT_BENCH_OUT") {
        std::fs::write(file, &out).expect("results written");
    }
    assert!(all_within, "a request budget was exceeded:\n{out}");
}
