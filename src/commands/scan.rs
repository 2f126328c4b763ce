//! `flowaudit scan`: evaluate a live estate or a snapshot against a policy and report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

use flowaudit::evaluate::evaluate;
use flowaudit::report::Report;
use flowaudit::snapshot;

use super::args::{LiveArgs, ReportArgs};
use super::live::collect_live;
use super::policy_source;
use super::report_output::{emit, load_report};
use super::warn_undocumented;
use crate::exit::{exit_code, overdue_exit_code};
use crate::output::write_output;

#[derive(clap::Args)]
pub(crate) struct ScanArgs {
    /// Snapshot file written by `flowaudit collect`. Without it, the account is scanned live.
    #[arg(long, conflicts_with_all = ["profile", "regions", "all_regions", "accounts", "accounts_file", "org", "role_name"])]
    pub(crate) snapshot: Option<PathBuf>,
    /// A folder of shards written by `collect --shards-dir`: evaluated merged, as `merge`
    /// joins them (a resource that differs between two shards is an error).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["snapshot", "profile", "regions", "all_regions", "accounts", "accounts_file", "org", "role_name"])]
    pub(crate) shards_dir: Option<PathBuf>,
    /// With a live scan: also write what was collected, as evidence.
    #[arg(long, conflicts_with_all = ["snapshot", "shards_dir"])]
    pub(crate) save_snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) live: LiveArgs,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
    /// The previous run's JSON report: each problem still open keeps the date it was first
    /// seen, and new ones are first seen today.
    #[arg(long, value_name = "REPORT.json")]
    pub(crate) baseline: Option<PathBuf>,
    /// Exit 1 only for problems past the policy's remediation deadlines (`deadlines`);
    /// other failures are reported but do not fail the run.
    #[arg(long)]
    pub(crate) fail_on_overdue: bool,
}

/// What the policy needs read beyond coverage: connectivity when a profile selects by it,
/// and a search back far enough to see its longest `records.max_silence`.
pub(crate) fn policy_needs(policy: &flowaudit::policy::Policy) -> flowaudit::collect::ExtraReads {
    flowaudit::collect::ExtraReads {
        telemetry_rules: false,
        connectivity: policy.uses_connectivity(),
        observe_days: policy.longest_silence().map(|s| s.days_rounded_up() + 1),
    }
}

pub(crate) fn run(args: ScanArgs) -> Result<ExitCode> {
    let chosen = policy_source::choose(args.report.policy.as_deref())?;
    let (policy, policy_sha256) = (chosen.policy, chosen.sha256);
    if args.fail_on_overdue && policy.deadlines.is_empty() {
        bail!(
            "--fail-on-overdue needs remediation deadlines, and policy {} sets none; add for example `deadlines: {{ high: 7d, medium: 30d }}`",
            chosen.origin
        );
    }
    let (snapshot, snapshot_sha256) = match (&args.snapshot, &args.shards_dir) {
        (Some(path), _) => snapshot::load(path)?,
        (None, Some(dir)) => super::reports::load_shards(dir)?,
        (None, None) => {
            if policy.checks_records() && !args.live.observe {
                tracing::warn!(
                    "policy {} checks the records, but --observe was not given: each records check will be an error",
                    chosen.origin
                );
            }
            let snapshot = collect_live(&args.live, Vec::new(), policy_needs(&policy))?;
            let digest = match &args.save_snapshot {
                Some(path) => {
                    let json = snapshot::to_json(&snapshot)?;
                    write_output(Some(path), &json)?;
                    flowaudit::digest::sha256_hex(json.as_bytes())
                }
                // Digested as it is serialised, never held whole.
                None => snapshot::digest(&snapshot)?,
            };
            (snapshot, digest)
        }
    };
    warn_undocumented(&snapshot);
    let today = args.report.today();
    let baseline = args
        .baseline
        .as_deref()
        .map(|path| load_report(path).map(|r| flowaudit::history::Baseline::from_report(&r)))
        .transpose()?;
    let mut evaluation = evaluate(&snapshot, &policy, today);
    flowaudit::history::apply(
        &mut evaluation.findings,
        baseline.as_ref(),
        &policy.deadlines,
        today,
    );
    let report = Report::new(
        evaluation,
        &policy,
        policy_sha256,
        &snapshot,
        snapshot_sha256,
        today,
    );
    emit(&report, &args.report)?;
    let code = if args.fail_on_overdue {
        overdue_exit_code(&report)
    } else {
        exit_code(&report, args.report.fail_on, false)
    };
    // Freeing millions of small allocations at exit takes seconds on a large estate, and
    // the process is about to end: leave that to the operating system.
    std::mem::forget(report);
    std::mem::forget(snapshot);
    Ok(ExitCode::from(code))
}
