//! Command-line arguments and dispatch. Each subcommand's body is in `commands`; exit codes
//! in `exit`; everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::commands::args::{LiveArgs, parse_date};
use crate::commands::plan::PlanArgs;
use crate::commands::policy::PolicyCommand;
use crate::commands::reports::{DiffFormat, HistoryFormat, RunbookFormat};
use crate::commands::rules::ListFormat;
use crate::commands::scan::ScanArgs;
use crate::commands::{collect, plan, policy, reports, rules, scan};

#[derive(Parser)]
#[command(
    name = "flowaudit",
    version,
    about = "Audits AWS VPC Flow Log coverage, delivery and retention against YAML policies"
)]
pub struct Cli {
    /// More logging on standard error (-v: info, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a live account, or a snapshot, against a policy and report the findings.
    Scan(ScanArgs),
    /// Judge a Terraform or OpenTofu plan (`terraform show -json PLANFILE`) before apply:
    /// the estate it would leave, by the same policy and rules as `scan`.
    Plan(Box<PlanArgs>),
    /// Print the accounts a live scan with these options would cover, one per line.
    Accounts {
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Collect a snapshot of a live account for `scan --snapshot`.
    Collect {
        #[command(flatten)]
        live: LiveArgs,
        /// Write the snapshot here instead of standard output.
        #[arg(long, short = 'o', conflicts_with = "shards_dir")]
        output: Option<PathBuf>,
        /// Write one snapshot per account into this folder, each as soon as its account is
        /// done (`scan --shards-dir` evaluates them together). SIGINT or SIGTERM discards
        /// the accounts in hand and exits 130.
        #[arg(long, value_name = "DIR")]
        shards_dir: Option<PathBuf>,
        /// With --shards-dir: skip the accounts whose shard is already there for the same
        /// regions, by this flowaudit, with nothing failed.
        #[arg(long, requires = "shards_dir")]
        resume: bool,
    },
    /// Observe the records at the destinations of a snapshot's flow logs, without reading
    /// any (as `collect --observe` does), and write the snapshot with what was seen. Reads
    /// through the caller's credentials only.
    Observe(crate::commands::collect::ObserveArgs),
    /// Publish a JSON report's findings to a findings service (AWS Security Hub).
    Publish {
        #[command(subcommand)]
        target: crate::commands::publish::PublishTarget,
    },
    /// Work with policy files.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Print one rule's documentation: what it checks, why, and how to fix it.
    Explain {
        /// Rule id (COV003) or name (eni-without-flow-log).
        rule: String,
    },
    /// Join the snapshots of shards (collected per OU or CI job) into one snapshot.
    /// Resources found in several shards are kept once if identical; copies that differ
    /// are an error.
    Merge {
        /// Snapshot files written by `flowaudit collect`.
        #[arg(required = true)]
        snapshots: Vec<PathBuf>,
        /// Write the merged snapshot here instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Compare two JSON reports: new, resolved and persisting problems. Exits 1 on new ones.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
        format: DiffFormat,
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// The trend over scheduled runs' JSON reports: per run, findings by status, failures
    /// by category and ENI coverage, in evaluation-date order.
    History {
        #[arg(required = true, value_name = "REPORT.json")]
        reports: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
        format: HistoryFormat,
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// The incident runbook: for each flow-log destination, an Athena table or Logs
    /// Insights queries matching the flow logs' format and layout, and the days available.
    Runbook {
        #[arg(long)]
        snapshot: PathBuf,
        /// Leave out the destinations that fail this policy (or could not be evaluated).
        #[arg(long)]
        policy: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = RunbookFormat::Markdown)]
        format: RunbookFormat,
        /// The date retention windows and sample queries count from (YYYY-MM-DD).
        /// Defaults to today (UTC).
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Confirm that a JSON report matches the exact snapshot and policy it names.
    Verify {
        report: PathBuf,
        #[arg(long)]
        snapshot: PathBuf,
        /// The policy file. Default: as for `scan` (flowaudit.yaml here or above, else the
        /// built-in policy).
        #[arg(long)]
        policy: Option<PathBuf>,
    },
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Plan(args) => plan::run(*args),
        Command::Accounts { live } => collect::accounts(&live),
        Command::Collect {
            live,
            shards_dir: Some(dir),
            resume,
            ..
        } => collect::collect_sharded(&live, &dir, resume),
        Command::Collect { live, output, .. } => collect::collect(&live, output.as_deref()),
        Command::Observe(args) => collect::observe(&args),
        Command::Publish { target } => crate::commands::publish::run(target),
        Command::Policy { command } => policy::run(command),
        Command::Rules { format } => rules::list(format),
        Command::Explain { rule } => rules::explain(&rule),
        Command::Merge { snapshots, output } => reports::merge(snapshots, output.as_deref()),
        Command::Diff {
            old,
            new,
            format,
            output,
        } => reports::diff(&old, &new, format, output.as_deref()),
        Command::History {
            reports: files,
            format,
            output,
        } => reports::history(&files, format, output.as_deref()),
        Command::Runbook {
            snapshot,
            policy,
            format,
            date,
            output,
        } => reports::runbook(
            &snapshot,
            policy.as_deref(),
            format,
            date,
            output.as_deref(),
        ),
        Command::Verify {
            report,
            snapshot,
            policy,
        } => reports::verify(&report, &snapshot, policy.as_deref()),
    }
}

/// Logs go to standard error, only with -v, and in colour only on a terminal without NO_COLOR.
fn init_logging(verbose: u8) {
    use std::io::IsTerminal;
    let level = match verbose {
        0 => return,
        1 => "flowaudit=info",
        _ => "flowaudit=debug,aws_config=info",
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
}
