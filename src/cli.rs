//! Command-line arguments and exit codes. Everything else lives in the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use flowaudit::collect::{self, ClientSource, RetryMode, SdkClients, SdkOptions};
use flowaudit::evaluate::evaluate;
use flowaudit::findings::{Severity, Status};
use flowaudit::report::{Report, render_table};
use flowaudit::snapshot::Snapshot;
use flowaudit::{policy, rules, snapshot};

use crate::progress::Bar;

/// Exit codes, documented in the README.
pub mod exit {
    pub const OK: u8 = 0;
    pub const VIOLATIONS: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const INCOMPLETE: u8 = 3;
}

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
    /// Collect a snapshot of a live account for `scan --snapshot`.
    Collect {
        #[command(flatten)]
        live: LiveArgs,
        /// Write the snapshot here instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
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
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Check policy files without scanning.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum RetryModeArg {
    Standard,
    Adaptive,
}

/// Where and how to collect live data. Credentials come from aws-config's default chain.
#[derive(clap::Args)]
struct LiveArgs {
    /// AWS profile from ~/.aws/config.
    #[arg(long)]
    profile: Option<String>,
    /// Region to scan; repeat for several. Defaults to the configured region.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Scan every region enabled for the account (DescribeRegions).
    #[arg(long, conflicts_with = "regions")]
    all_regions: bool,
    /// Regions (and buckets) collected at the same time.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Attempts per AWS call, the first included; throttling is retried with backoff.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    #[arg(long, value_enum, default_value_t = RetryModeArg::Adaptive)]
    retry_mode: RetryModeArg,
    /// Seconds one AWS call may take, retries included.
    #[arg(long, default_value_t = 60)]
    operation_timeout: u64,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Snapshot file written by `flowaudit collect`. Without it, the account is scanned live.
    #[arg(long, conflicts_with_all = ["profile", "regions", "all_regions"])]
    snapshot: Option<PathBuf>,
    /// With a live scan: also write what was collected, as evidence.
    #[arg(long, conflicts_with = "snapshot")]
    save_snapshot: Option<PathBuf>,
    #[command(flatten)]
    live: LiveArgs,
    /// Policy file (YAML).
    #[arg(long)]
    policy: PathBuf,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Exit 1 when a failure of this severity or above remains.
    #[arg(long, default_value = "low", value_parser = parse_severity)]
    fail_on: Severity,
    /// Evaluate as of this date (YYYY-MM-DD): waiver expiry and lifecycle dates depend on
    /// it. Defaults to today (UTC).
    #[arg(long, value_parser = parse_date)]
    date: Option<NaiveDate>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; expected YYYY-MM-DD"))
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Collect { live, output } => {
            let (snapshot, _) = collect_live(&live)?;
            write_output(output.as_deref(), &snapshot::to_json(&snapshot)?)?;
            Ok(ExitCode::from(exit::OK))
        }
        Command::Policy {
            command: PolicyCommand::Validate { files },
        } => validate(&files),
        Command::Rules { format } => {
            let text = match format {
                ListFormat::Json => serde_json::to_string_pretty(rules::RULES)? + "\n",
                ListFormat::Table => list_rules(),
            };
            print!("{text}");
            Ok(ExitCode::from(exit::OK))
        }
        Command::Explain { rule } => {
            let Some(r) = rules::find(&rule) else {
                bail!("unknown rule `{rule}`; `flowaudit rules` lists them");
            };
            print!(
                "{} {} ({}, default severity {})\n\n{}\n\nWhat it checks\n  {}\n\nWhy it matters\n  {}\n\nHow to fix it\n  {}\n",
                r.id, r.name, r.category, r.default_severity, r.summary, r.what, r.why, r.fix
            );
            Ok(ExitCode::from(exit::OK))
        }
    }
}

fn list_rules() -> String {
    let mut b = tabled::builder::Builder::default();
    b.push_record(["id", "name", "category", "severity", "summary"]);
    for r in rules::RULES {
        b.push_record([
            r.id.to_string(),
            r.name.to_string(),
            r.category.to_string(),
            r.default_severity.to_string(),
            r.summary.to_string(),
        ]);
    }
    let mut t = b.build();
    t.with(tabled::settings::Style::sharp());
    t.to_string() + "\n"
}

fn validate(files: &[PathBuf]) -> Result<ExitCode> {
    let mut bad = 0;
    for file in files {
        match policy::load(file) {
            Ok((p, _)) => println!(
                "{}: ok (policy `{}`, {} profiles, {} waivers)",
                file.display(),
                p.name,
                p.profiles.len(),
                p.waivers.len()
            ),
            Err(e) => {
                eprintln!("error: {e}");
                bad += 1;
            }
        }
    }
    Ok(ExitCode::from(if bad == 0 {
        exit::OK
    } else {
        exit::BAD_INPUT
    }))
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

/// Collects the account the credentials belong to. Returns the snapshot and its JSON bytes.
fn collect_live(live: &LiveArgs) -> Result<(Snapshot, Vec<u8>)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let options = SdkOptions {
        profile: live.profile.clone(),
        retry_mode: match live.retry_mode {
            RetryModeArg::Standard => RetryMode::Standard,
            RetryModeArg::Adaptive => RetryMode::Adaptive,
        },
        max_attempts: live.max_attempts,
        operation_timeout: std::time::Duration::from_secs(live.operation_timeout.max(1)),
    };
    let collected = runtime.block_on(async {
        let clients: std::sync::Arc<dyn ClientSource> =
            std::sync::Arc::new(SdkClients::load(&options).await);
        let regions = collect::regions(clients.as_ref(), &live.regions, live.all_regions).await?;
        let account = collect::account_id(clients.as_ref(), &regions[0]).await?;
        tracing::info!(account = %account, regions = ?regions, "collecting");
        let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let progress = std::sync::Arc::new(Bar::new());
        Ok::<_, collect::CollectError>(
            collect::collect(
                clients,
                &account,
                &regions,
                live.concurrency,
                started,
                progress,
            )
            .await,
        )
    })?;
    tracing::info!(requests = collected.requests, "collection finished");
    let json = snapshot::to_json(&collected.snapshot)?;
    Ok((collected.snapshot, json.into_bytes()))
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    let (policy, policy_bytes) = policy::load(&args.policy)?;
    let (snapshot, snapshot_bytes) = match &args.snapshot {
        Some(path) => snapshot::load(path)?,
        None => {
            let (snapshot, bytes) = collect_live(&args.live)?;
            if let Some(path) = &args.save_snapshot {
                write_output(Some(path), &String::from_utf8_lossy(&bytes))?;
            }
            (snapshot, bytes)
        }
    };
    let today = args.date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let evaluation = evaluate(&snapshot, &policy, today);
    let report = Report::new(
        evaluation,
        &policy,
        &policy_bytes,
        &snapshot,
        &snapshot_bytes,
        today,
    );
    let text = match args.format {
        ReportFormat::Json => report.to_json()?,
        ReportFormat::Table => render_table(&report),
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(ExitCode::from(exit_code(&report, args.fail_on)))
}

/// 1 for a failure at or above `fail_on`, else 3 if anything could not be evaluated, else 0.
fn exit_code(report: &Report, fail_on: Severity) -> u8 {
    let fails = report
        .findings
        .iter()
        .any(|f| f.status == Status::Fail && f.severity >= fail_on);
    if fails {
        exit::VIOLATIONS
    } else if report.summary.error > 0 {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// Writes to a temporary file beside the target and renames it, so a failed run never
/// leaves a half-written report.
fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    let Some(path) = path else {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .context("cannot write to standard output")?;
        return Ok(());
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
