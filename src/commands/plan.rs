//! `flowaudit plan`: judge the estate a Terraform or OpenTofu plan would leave, and class
//! every problem by what the change does to it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use flowaudit::evaluate::evaluate;
use flowaudit::plan::gate::{Gate, GateSummary};
use flowaudit::report::Report;
use flowaudit::snapshot;

use super::args::{LiveArgs, ReportArgs, parse_account, parse_gate};
use super::live::collect_live;
use super::report_output::emit;
use super::warn_undocumented;
use crate::exit::exit_code;
use crate::output::write_output;

#[derive(clap::Args)]
pub(crate) struct PlanArgs {
    /// The plan as JSON: `terraform show -json plan.tfplan > plan.json` (or `tofu show
    /// -json`).
    #[arg(value_name = "PLAN.json")]
    pub(crate) plan: PathBuf,
    /// The existing estate the plan changes: a snapshot written by `flowaudit collect`.
    /// Without it (or --live), whatever the plan refers to but does not hold is unknown.
    #[arg(long, value_name = "SNAPSHOT.json", conflicts_with = "live")]
    pub(crate) with_snapshot: Option<PathBuf>,
    /// Collect the existing estate live, with the usual credential, account and region
    /// options.
    #[arg(long)]
    pub(crate) live: bool,
    #[command(flatten)]
    pub(crate) live_args: LiveArgs,
    /// The account the plan's resources are in. Defaults to the existing estate's only
    /// account.
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    pub(crate) account: Option<String>,
    /// Infer nothing through local values or module variables the plan does not show:
    /// such references are unknown.
    #[arg(long)]
    pub(crate) strict_references: bool,
    /// Exit 1, not 3, when a value the rules need is unknown until apply.
    #[arg(long)]
    pub(crate) fail_on_unknown: bool,
    /// Also write the planned estate as a snapshot, for `flowaudit verify`.
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub(crate) save_snapshot: Option<PathBuf>,
    /// Which problems can fail the run: `introduced` (only those the plan brings in),
    /// `touched` (those, and old problems whose resources the plan changes) or `all`
    /// (every problem of the planned estate, old debt included). Without an existing estate
    /// every problem is introduced.
    #[arg(long, default_value = "touched", value_parser = parse_gate)]
    pub(crate) gate: Gate,
    /// The Terraform configuration whose `.tf` files findings point into (file and line of
    /// each resource block). Default: the current directory, when it holds `.tf` files.
    #[arg(long, value_name = "DIR")]
    pub(crate) terraform_dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

/// Judges the estate a Terraform plan would leave.
pub(crate) fn run(args: PlanArgs) -> Result<ExitCode> {
    let live = &args.live_args;
    let live_only = live.profile.is_some()
        || live.all_regions
        || !live.accounts.is_empty()
        || live.accounts_file.is_some()
        || live.org
        || live.role_name.is_some()
        || live.log_archive_account.is_some();
    if live_only && !args.live {
        bail!(
            "--profile, --all-regions and the account options collect the existing estate: add --live"
        );
    }
    let chosen = super::policy_source::choose(args.report.policy.as_deref())?;
    let (policy, policy_sha256) = (chosen.policy, chosen.sha256);
    let tf_dir = terraform_dir(args.terraform_dir.as_deref())?;
    let document = flowaudit::plan::load(&args.plan)?;
    let existing = match (&args.with_snapshot, args.live) {
        (Some(path), _) => {
            let (existing, _) = snapshot::load(path)?;
            warn_undocumented(&existing);
            Some(existing)
        }
        (None, true) => Some(collect_live(
            &args.live_args,
            document.named_destinations(),
            super::scan::policy_needs(&policy),
        )?),
        (None, false) => None,
    };
    let options = flowaudit::plan::PlanOptions {
        account_id: args.account.clone(),
        region: match args.live_args.regions.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        },
        strict_references: args.strict_references,
    };
    let planned = flowaudit::plan::apply(&document, existing.as_ref(), &options)
        .with_context(|| format!("plan {}", args.plan.display()))?;
    let json = snapshot::to_json(&planned.snapshot)?;
    let today = args.report.today();
    let mut evaluation = evaluate(&planned.snapshot, &policy, today);
    let before = existing.as_ref().map(|e| evaluate(e, &policy, today));
    let mut changes = planned.changes;
    if let Some(before) = &before {
        changes.extend(flowaudit::plan::compare(
            &before.findings,
            &evaluation.findings,
        ));
    }
    let compared = existing
        .as_ref()
        .zip(before.as_ref().map(|b| b.findings.as_slice()));
    changes.extend(flowaudit::plan::gate::classify(
        &mut evaluation.findings,
        &planned.snapshot,
        compared,
        &planned.changed,
    ));
    changes.sort();
    changes.dedup();
    let mut report = Report::new(
        evaluation,
        &policy,
        policy_sha256,
        &planned.snapshot,
        flowaudit::digest::sha256_hex(json.as_bytes()),
        today,
    );
    report.plan_changes = changes;
    report.gate = Some(GateSummary::of(args.gate, &report.findings));
    if let Some(dir) = &tf_dir {
        let files = flowaudit::plan::TerraformFiles::load(dir);
        for warning in &files.warnings {
            eprintln!("warning: {warning}; findings about its resources point at no line");
        }
        if let Some(facts) = &planned.snapshot.plan {
            flowaudit::plan::locate_findings(&mut report.findings, &facts.addresses, &files);
        }
    }
    if let Some(path) = &args.save_snapshot {
        write_output(Some(path), &json)?;
    }
    emit(&report, &args.report)?;
    Ok(ExitCode::from(exit_code(
        &report,
        args.report.fail_on,
        args.fail_on_unknown,
    )))
}

/// The Terraform configuration to locate a plan's findings in: the folder given, or the
/// current directory when it holds `.tf` files.
fn terraform_dir(given: Option<&Path>) -> Result<Option<PathBuf>> {
    if let Some(dir) = given {
        if !dir.is_dir() {
            bail!(
                "--terraform-dir {}: not a folder; expected the folder holding the configuration's .tf files",
                dir.display()
            );
        }
        return Ok(Some(dir.to_path_buf()));
    }
    let here = Path::new(".");
    let has_tf = std::fs::read_dir(here)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
        })
        .unwrap_or(false);
    Ok(has_tf.then(|| here.to_path_buf()))
}
