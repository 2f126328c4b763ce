//! The fault matrix: the real binary scans a moto estate through a fault-injecting proxy
//! (tests/common/fault_proxy.rs) that throttles, fails, resets, delays, denies, truncates
//! and garbles answers per service, action, region or bucket.
//!
//! Every scenario asserts what the README's "When something cannot be read" promises:
//! - the scan completes within a bound;
//! - a transient fault gives the same findings as a fault-free run, and exit 0;
//! - a persistent fault gives error findings naming the real cause, leaves the verdicts
//!   on unaffected resources unchanged, and exits 3;
//! - nothing unseen passes: every pass of a faulty run is a pass of the fault-free run.
//!
//! The estate is seeded once; scenarios run in parallel, each with its own proxy.

mod common;
#[path = "live/estate.rs"]
mod estate;

use std::time::{Duration, Instant};

use common::fault_proxy::{Fault, FaultProxy, Rule, Target, Times};
use common::moto::Moto;
use common::*;
use estate::{REGIONS, Seeder};
use serde_json::Value;

/// Attempts per call in the matrix: enough for a transient fault of two to be outlived.
const ATTEMPTS: &str = "3";

struct Outcome {
    run: Run,
    elapsed: Duration,
    proxy_log: Vec<common::fault_proxy::Logged>,
}

fn scan_through(moto: &Moto, rules: Vec<Rule>, extra: &[&str]) -> Outcome {
    let proxy = FaultProxy::start(moto.port, rules);
    let mut args = live_scan_args();
    // No rule of the live policy is critical: a clean run exits 0, an incomplete one 3.
    args.extend(["--fail-on", "critical"]);
    if !extra.contains(&"--max-attempts") {
        args.extend(["--max-attempts", ATTEMPTS]);
    }
    for r in REGIONS {
        args.extend(["--region", r]);
    }
    args.extend(extra);
    let started = Instant::now();
    let out = flowaudit_at_endpoint(&proxy.endpoint(), "test", "test")
        .current_dir(root())
        .args(&args)
        .output()
        .expect("flowaudit runs");
    Outcome {
        run: Run::from(out),
        elapsed: started.elapsed(),
        proxy_log: proxy.log(),
    }
}

/// A verdict without its evidence: what must not change where nothing changed. Evidence
/// may list fewer dependents when fewer flow logs could be seen; the verdict may not.
fn verdict(f: &Value) -> String {
    format!(
        "{} {} {} {} {} {}",
        f["status"], f["rule_id"], f["account_id"], f["region"], f["resource_id"], f["message"]
    )
}

fn findings(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .clone()
}

/// Every collection-error code in a report's COL001 findings.
fn error_codes(report: &Value) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| f["rule_id"] == "COL001")
        .flat_map(|f| {
            f["evidence"]["errors"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|e| e["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

enum Expect {
    /// The fault is outlived by retries (or by a fallback): same findings, exit 0.
    Unchanged,
    /// The fault persists: errors whose codes include `code`, exit 3, and the verdicts of
    /// every baseline finding `unaffected` selects are unchanged.
    Errors {
        code: &'static str,
        unaffected: fn(&Value) -> bool,
    },
}

/// A scenario's own check of its outcome: what went wrong, if anything.
type ExtraCheck = fn(&Outcome) -> Result<(), String>;

struct Scenario {
    name: &'static str,
    rules: fn() -> Vec<Rule>,
    extra: &'static [&'static str],
    expect: Expect,
    /// What else the scenario must show, given its outcome.
    also: Option<ExtraCheck>,
}

fn once(target: Target, fault: Fault) -> Vec<Rule> {
    vec![Rule::new(target, fault, Times::First(2))]
}

fn always(target: Target, fault: Fault) -> Vec<Rule> {
    vec![Rule::new(target, fault, Times::Always)]
}

fn outside_region(region: &'static str) -> impl Fn(&Value) -> bool {
    move |f: &Value| {
        f["region"] != region
            && f["region"] != "global"
            && f["resource_type"] != "s3-prefix"
            && f["resource_type"] != "log-group"
    }
}

fn not_bucket(bucket: &'static str) -> impl Fn(&Value) -> bool {
    move |f: &Value| {
        let resource = f["resource_id"].as_str().unwrap_or_default();
        !resource.starts_with(bucket) && !resource.contains(&format!(":{bucket}"))
    }
}

const SCENARIOS: &[Scenario] = &[
    // Transient: each fault hits the first two matching calls, then stops.
    Scenario {
        name: "ec2 throttling, transient",
        rules: || {
            once(
                Target::service("ec2").action("DescribeNetworkInterfaces"),
                Fault::Throttle,
            )
        },
        extra: &[],
        expect: Expect::Unchanged,
        also: None,
    },
    Scenario {
        name: "logs 503, transient",
        rules: || once(Target::service("logs"), Fault::Status(503)),
        extra: &[],
        expect: Expect::Unchanged,
        also: None,
    },
    Scenario {
        name: "s3 500, transient",
        rules: || {
            once(
                Target::service("s3").action("GetBucketLifecycleConfiguration"),
                Fault::Status(500),
            )
        },
        extra: &[],
        expect: Expect::Unchanged,
        also: None,
    },
    Scenario {
        name: "reset before the answer, transient",
        rules: || {
            once(
                Target::service("ec2").action("DescribeFlowLogs"),
                Fault::ResetBeforeResponse,
            )
        },
        extra: &[],
        expect: Expect::Unchanged,
        also: None,
    },
    Scenario {
        name: "reset in the middle of the answer, transient",
        rules: || {
            once(
                Target::service("ec2").action("DescribeSubnets"),
                Fault::ResetMidResponse,
            )
        },
        extra: &[],
        expect: Expect::Unchanged,
        also: None,
    },
    Scenario {
        name: "truncated XML, transient",
        rules: || {
            once(
                Target::service("ec2").action("DescribeNetworkInterfaces"),
                Fault::Truncate(0.5),
            )
        },
        extra: &[],
        expect: Expect::Unchanged,
        also: None,
    },
    Scenario {
        name: "non-XML answer, transient",
        rules: || {
            once(
                Target::service("ec2").action("DescribeVpcs"),
                Fault::Garbage,
            )
        },
        extra: &[],
        expect: Expect::Unchanged,
        also: None,
    },
    Scenario {
        name: "STS unreachable in the first region: another region answers",
        rules: || {
            always(
                Target::service("sts").region("ap-northeast-1"),
                Fault::ResetBeforeResponse,
            )
        },
        extra: &[],
        expect: Expect::Unchanged,
        also: None,
    },
    // Persistent.
    Scenario {
        name: "truncated ENI list, persistent",
        rules: || {
            always(
                Target::service("ec2")
                    .action("DescribeNetworkInterfaces")
                    .region("eu-west-1"),
                Fault::Truncate(0.4),
            )
        },
        extra: &[],
        expect: Expect::Errors {
            code: "TruncatedResponse",
            unaffected: |f| outside_region("eu-west-1")(f),
        },
        also: None,
    },
    Scenario {
        name: "truncated subnet list, persistent",
        rules: || {
            always(
                Target::service("ec2")
                    .action("DescribeSubnets")
                    .region("ap-northeast-1"),
                Fault::Truncate(0.5),
            )
        },
        extra: &[],
        expect: Expect::Errors {
            code: "TruncatedResponse",
            unaffected: |f| outside_region("ap-northeast-1")(f),
        },
        also: None,
    },
    Scenario {
        name: "non-XML answer, persistent",
        rules: || {
            always(
                Target::service("s3")
                    .action("GetBucketVersioning")
                    .bucket("fa-versioned"),
                Fault::Garbage,
            )
        },
        extra: &[],
        expect: Expect::Errors {
            code: "UnparseableResponse",
            unaffected: |f| not_bucket("fa-versioned")(f),
        },
        also: None,
    },
    Scenario {
        name: "log groups denied in one region",
        rules: || {
            always(
                Target::service("logs").region("eu-west-1"),
                Fault::AccessDenied,
            )
        },
        extra: &[],
        expect: Expect::Errors {
            code: "AccessDeniedException",
            unaffected: |f| outside_region("eu-west-1")(f),
        },
        also: None,
    },
    Scenario {
        name: "one bucket denied",
        rules: || {
            always(
                Target::service("s3").bucket("fa-versioned"),
                Fault::AccessDenied,
            )
        },
        extra: &[],
        expect: Expect::Errors {
            code: "AccessDenied",
            unaffected: |f| not_bucket("fa-versioned")(f),
        },
        also: None,
    },
    Scenario {
        name: "ec2 throttled for good in one region",
        rules: || always(Target::service("ec2").region("us-east-1"), Fault::Throttle),
        extra: &[],
        expect: Expect::Errors {
            code: "RequestLimitExceeded",
            unaffected: |f| outside_region("us-east-1")(f),
        },
        also: None,
    },
    Scenario {
        name: "throttled until the operation timeout: the cause is throttling, not the clock",
        rules: || {
            always(
                Target::service("ec2")
                    .action("DescribeVpcs")
                    .region("us-east-1"),
                Fault::Throttle,
            )
        },
        extra: &["--max-attempts", "10", "--operation-timeout", "4"],
        expect: Expect::Errors {
            code: "RequestLimitExceeded",
            unaffected: |f| outside_region("us-east-1")(f),
        },
        also: Some(|o| {
            let report = o.run.json();
            let text = report.to_string();
            if text.contains("operation timeout") {
                Ok(())
            } else {
                Err("the error does not say the operation timeout ended the retries".into())
            }
        }),
    },
    Scenario {
        name: "a call slower than the operation timeout",
        rules: || {
            always(
                Target::service("logs").region("ap-northeast-1"),
                Fault::Delay(Duration::from_secs(20)),
            )
        },
        extra: &["--operation-timeout", "3"],
        expect: Expect::Errors {
            code: "TimeoutError",
            unaffected: |f| outside_region("ap-northeast-1")(f),
        },
        also: None,
    },
    Scenario {
        name: "a dead region: one error and no further calls there",
        rules: || {
            always(
                Target::default().region("eu-west-1"),
                Fault::ResetBeforeResponse,
            )
        },
        extra: &[],
        expect: Expect::Errors {
            code: "EndpointUnreachable",
            unaffected: |f| outside_region("eu-west-1")(f),
        },
        also: Some(|o| {
            let calls: Vec<String> = o
                .proxy_log
                .iter()
                .filter(|l| l.request.region == "eu-west-1" && l.request.service != "s3")
                .map(|l| format!("{}:{}", l.request.service, l.request.action))
                .collect();
            let report = o.run.json();
            let unreachable = error_codes(&report)
                .iter()
                .filter(|c| *c == "EndpointUnreachable")
                .count();
            // A bucket in the region stops at its first unanswered call too.
            let bucket_calls = o
                .proxy_log
                .iter()
                .filter(|l| l.request.region == "eu-west-1" && l.request.service == "s3")
                .count();
            if calls.iter().all(|c| c == "ec2:DescribeVpcs")
                && calls.len() <= 3
                && bucket_calls <= 3
                && unreachable == 1
            {
                Ok(())
            } else {
                Err(format!(
                    "calls in the dead region: {calls:?} and {bucket_calls} to its buckets; EndpointUnreachable errors: {unreachable}"
                ))
            }
        }),
    },
];

/// Checks one scenario against the fault-free baseline; returns what went wrong.
fn check(scenario: &Scenario, baseline: &Value, outcome: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    // Generous for a debug build on 2 cores; the slowest scenario waits out a 4 s timeout.
    if outcome.elapsed > Duration::from_secs(60) {
        problems.push(format!("took {:?}", outcome.elapsed));
    }
    let Ok(report) = serde_json::from_str::<Value>(&outcome.run.stdout) else {
        problems.push(format!(
            "no JSON report (exit {}): {}",
            outcome.run.code, outcome.run.stderr
        ));
        return problems;
    };
    let before = findings(baseline);
    let after = findings(&report);
    let before_verdicts: std::collections::BTreeSet<String> = before.iter().map(verdict).collect();
    let after_verdicts: std::collections::BTreeSet<String> = after.iter().map(verdict).collect();
    // Nothing unseen passes.
    for f in after.iter().filter(|f| f["status"] == "pass") {
        if !before_verdicts.contains(&verdict(f)) {
            problems.push(format!(
                "passes only under the fault: {} {}: {}",
                f["rule_id"], f["resource_id"], f["message"]
            ));
        }
    }
    match &scenario.expect {
        Expect::Unchanged => {
            if outcome.run.code != 0 {
                problems.push(format!("exit {}, expected 0", outcome.run.code));
            }
            if after != before {
                let changed: Vec<String> = after
                    .iter()
                    .filter(|f| !before.contains(f))
                    .map(|f| format!("{} {} {}", f["status"], f["rule_id"], f["resource_id"]))
                    .collect();
                problems.push(format!(
                    "findings differ from the fault-free run: {changed:?}"
                ));
            }
        }
        Expect::Errors { code, unaffected } => {
            if outcome.run.code != 3 {
                problems.push(format!("exit {}, expected 3", outcome.run.code));
            }
            let codes = error_codes(&report);
            if !codes.iter().any(|c| c == code) {
                problems.push(format!("no {code} error; error codes: {codes:?}"));
            }
            for f in before.iter().filter(|f| unaffected(f)) {
                if !after_verdicts.contains(&verdict(f)) {
                    problems.push(format!(
                        "an unaffected verdict changed: {} {} {} {}",
                        f["status"], f["rule_id"], f["region"], f["resource_id"]
                    ));
                }
            }
            if !after.iter().any(|f| f["status"] == "error") {
                problems.push("no error finding".into());
            }
        }
    }
    if let Some(also) = scenario.also
        && let Err(e) = also(outcome)
    {
        problems.push(e);
    }
    problems
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_is_outlived_or_reported_and_nothing_unseen_passes() {
    let moto = Moto::start();
    let seeder = Seeder {
        config: moto.sdk_config("us-east-1", "test", "test").await,
    };
    estate::seed(&seeder).await;

    let baseline = scan_through(&moto, vec![], &[]);
    assert_eq!(baseline.run.code, 0, "{}", baseline.run.stderr);
    let baseline_report = baseline.run.json();
    assert!(error_codes(&baseline_report).is_empty());

    let results: Vec<(String, Duration, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = SCENARIOS
            .iter()
            .map(|s| {
                let (moto, baseline) = (&moto, &baseline_report);
                scope.spawn(move || {
                    let outcome = scan_through(moto, (s.rules)(), s.extra);
                    (
                        s.name.to_string(),
                        outcome.elapsed,
                        check(s, baseline, &outcome),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("scenario thread"))
            .collect()
    });
    let mut failed = Vec::new();
    for (name, elapsed, problems) in &results {
        eprintln!("{name}: {:.1} s", elapsed.as_secs_f64());
        if !problems.is_empty() {
            failed.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_nobody_can_identify_exits_3_and_says_so() {
    let moto = Moto::start();
    let outcome = scan_through(&moto, always(Target::service("sts"), Fault::Throttle), &[]);
    assert_eq!(outcome.run.code, 3, "{}", outcome.run.stderr);
    assert!(outcome.run.stdout.is_empty());
    assert!(
        outcome.run.stderr.contains("cannot identify the account")
            && outcome.run.stderr.contains("ThrottlingException")
            || outcome.run.stderr.contains("Throttling"),
        "{}",
        outcome.run.stderr
    );
    // Every scanned region, then us-east-1's global endpoint, was asked.
    let asked: std::collections::BTreeSet<String> = outcome
        .proxy_log
        .iter()
        .filter(|l| l.request.service == "sts")
        .map(|l| l.request.region.clone())
        .collect();
    assert_eq!(asked.len(), REGIONS.len(), "{asked:?}");
}

/// A benchmark, not a test (docs/benchmarks.md records its results):
/// `cargo test --test faults -- --ignored --nocapture retry_modes` (the time is spent
/// waiting out retries, so a debug build measures the same thing as a release build).
/// Every fifth call to every service is throttled; each retry mode scans three times.
#[ignore = "a benchmark; run it by name"]
#[tokio::test(flavor = "multi_thread")]
async fn retry_modes_under_20_percent_throttling() {
    let moto = Moto::start();
    let seeder = Seeder {
        config: moto.sdk_config("us-east-1", "test", "test").await,
    };
    estate::seed(&seeder).await;
    let baseline = scan_through(&moto, vec![], &["--max-attempts", "5"]);
    let baseline_report = baseline.run.json();
    for mode in ["standard", "adaptive"] {
        for _ in 0..3 {
            let throttled = vec![Rule::new(
                Target::default(),
                Fault::Throttle,
                Times::EveryNth(5),
            )];
            let outcome = scan_through(
                &moto,
                throttled,
                &["--max-attempts", "5", "--retry-mode", mode],
            );
            let report = outcome.run.json();
            let throttled_calls = outcome
                .proxy_log
                .iter()
                .filter(|l| l.fault.is_some())
                .count();
            eprintln!(
                "{mode}: {:.1} s, exit {}, {} requests ({throttled_calls} throttled), {} collection errors, findings {} the fault-free run's",
                outcome.elapsed.as_secs_f64(),
                outcome.run.code,
                outcome.proxy_log.len(),
                error_codes(&report).len(),
                if findings(&report) == findings(&baseline_report) {
                    "equal to"
                } else {
                    "differ from"
                }
            );
        }
    }
}
