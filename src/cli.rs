//! Command-line arguments and exit codes. Everything else lives in the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use flowaudit::collect::{self, RetryMode, SdkClients, SdkOptions};
use flowaudit::evaluate::evaluate;
use flowaudit::findings::{Severity, Status};
use flowaudit::plan::gate::{Gate, GateSummary};
use flowaudit::report::{
    Format, OutputSpec, Report, TableStyle, fit_table, render, render_to, summary_line,
};
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
        #[arg(long)]
        policy: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RunbookFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum HistoryFormat {
    Table,
    Json,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Table,
    Json,
    Markdown,
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
    /// Accounts to scan, comma-separated. Accounts other than the caller's are entered
    /// with --role-name. Default: the caller's account.
    #[arg(long, value_delimiter = ',', value_name = "ID", value_parser = parse_account)]
    accounts: Vec<String>,
    /// Accounts to scan, from a file: one id per line; `#` starts a comment.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["accounts", "org"])]
    accounts_file: Option<PathBuf>,
    /// Scan every ACTIVE account of the AWS Organization (organizations:ListAccounts, from
    /// the management or a delegated-admin account).
    #[arg(long, conflicts_with = "accounts")]
    org: bool,
    /// With --org: only the accounts under this organisational unit, at any depth.
    /// Repeatable.
    #[arg(long, value_name = "OU_ID", requires = "org")]
    ou: Vec<String>,
    /// The account that owns the central flow-log buckets, entered (with --role-name) only
    /// to read them, even when it is not scanned.
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    log_archive_account: Option<String>,
    /// Accounts to leave out, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ID", value_parser = parse_account)]
    exclude_accounts: Vec<String>,
    /// Role to assume in each account: arn:aws:iam::{account}:role/{NAME}. Its
    /// credentials are refreshed before they expire.
    #[arg(long, value_name = "NAME")]
    role_name: Option<String>,
    /// External id the role's trust policy requires.
    #[arg(long, requires = "role_name")]
    external_id: Option<String>,
    /// Session name of the assumed roles, as CloudTrail records it.
    #[arg(long, default_value = "flowaudit", requires = "role_name")]
    role_session_name: String,
    /// (Account, region) pairs collected at the same time; buckets have a bound of the same
    /// size of their own.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Attempts per AWS call, the first included; throttling is retried with backoff.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// How throttled calls are retried. `standard` (exponential backoff with jitter) is
    /// the default: measured with 20% of calls throttled, it finished a scan about 20
    /// times sooner than `adaptive`, whose client-side rate limiter can wait about 20 s
    /// before a retry (see docs/benchmarks.md).
    #[arg(long, value_enum, default_value_t = RetryModeArg::Standard)]
    retry_mode: RetryModeArg,
    /// Seconds one AWS call may take, retries included.
    #[arg(long, default_value_t = 60)]
    operation_timeout: u64,
    /// Also read the CloudWatch telemetry rules that create VPC flow logs: each account's
    /// (observabilityadmin:ListTelemetryRules, GetTelemetryRule) and, with --org, the
    /// organisation's. Findings then name the rules that manage a flow log.
    #[arg(long)]
    telemetry_rules: bool,
    /// Also list what connects each VPC outside itself (internet, egress-only internet, NAT
    /// and virtual private gateways, peering connections, transit gateway attachments): five
    /// or six more EC2 calls per account and region. A scan or plan whose policy selects VPCs
    /// by `connectivity` lists them without this flag.
    #[arg(long)]
    connectivity: bool,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Snapshot file written by `flowaudit collect`. Without it, the account is scanned live.
    #[arg(long, conflicts_with_all = ["profile", "regions", "all_regions", "accounts", "accounts_file", "org", "role_name"])]
    snapshot: Option<PathBuf>,
    /// With a live scan: also write what was collected, as evidence.
    #[arg(long, conflicts_with = "snapshot")]
    save_snapshot: Option<PathBuf>,
    #[command(flatten)]
    live: LiveArgs,
    #[command(flatten)]
    report: ReportArgs,
    /// The previous run's JSON report: each problem still open keeps the date it was first
    /// seen, and new ones are first seen today.
    #[arg(long, value_name = "REPORT.json")]
    baseline: Option<PathBuf>,
    /// Exit 1 only for problems past the policy's remediation deadlines (`deadlines`);
    /// other failures are reported but do not fail the run.
    #[arg(long)]
    fail_on_overdue: bool,
}

#[derive(clap::Args)]
struct PlanArgs {
    /// The plan as JSON: `terraform show -json plan.tfplan > plan.json` (or `tofu show
    /// -json`).
    #[arg(value_name = "PLAN.json")]
    plan: PathBuf,
    /// The existing estate the plan changes: a snapshot written by `flowaudit collect`.
    /// Without it (or --live), whatever the plan refers to but does not hold is unknown.
    #[arg(long, value_name = "SNAPSHOT.json", conflicts_with = "live")]
    with_snapshot: Option<PathBuf>,
    /// Collect the existing estate live, with the usual credential, account and region
    /// options.
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    live_args: LiveArgs,
    /// The account the plan's resources are in. Defaults to the existing estate's only
    /// account.
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    account: Option<String>,
    /// Infer nothing through local values or module variables the plan does not show:
    /// such references are unknown.
    #[arg(long)]
    strict_references: bool,
    /// Exit 1, not 3, when a value the rules need is unknown until apply.
    #[arg(long)]
    fail_on_unknown: bool,
    /// Also write the planned estate as a snapshot, for `flowaudit verify`.
    #[arg(long, value_name = "SNAPSHOT.json")]
    save_snapshot: Option<PathBuf>,
    /// Which problems can fail the run: `introduced` (only those the plan brings in),
    /// `touched` (those, and old problems whose resources the plan changes) or `all`
    /// (every problem of the planned estate, old debt included). Without an existing estate
    /// every problem is introduced.
    #[arg(long, default_value = "touched", value_parser = parse_gate)]
    gate: Gate,
    /// The Terraform configuration whose `.tf` files findings point into (file and line of
    /// each resource block). Default: the current directory, when it holds `.tf` files.
    #[arg(long, value_name = "DIR")]
    terraform_dir: Option<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
}

/// What `scan` and `plan` share: the policy, the report and the exit code.
#[derive(clap::Args)]
struct ReportArgs {
    /// Policy file (YAML).
    #[arg(long)]
    policy: PathBuf,
    /// Report format: table, json, csv, sarif, junit, markdown, html, ocsf, oscal or github.
    /// Defaults to table, or github when GITHUB_ACTIONS=true.
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// Write the report to a file instead of standard output: FORMAT:PATH
    /// (json:out/report.json), or a PATH in the --format format or the one its extension
    /// names. Repeat for several formats in one run.
    #[arg(long = "output", short = 'o', value_name = "[FORMAT:]PATH", value_parser = parse_output)]
    outputs: Vec<OutputSpec>,
    /// Print only the summary line on standard output.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Exit 1 when a failure of this severity or above remains.
    #[arg(long, default_value = "low", value_parser = parse_severity)]
    fail_on: Severity,
    /// Evaluate as of this date (YYYY-MM-DD): waiver expiry and lifecycle dates depend on
    /// it. Defaults to today (UTC).
    #[arg(long, value_parser = parse_date)]
    date: Option<NaiveDate>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_output(s: &str) -> Result<OutputSpec, String> {
    s.parse()
}

fn parse_account(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not an AWS account id; expected 12 digits"
        ))
    }
}

fn parse_gate(s: &str) -> Result<Gate, String> {
    s.parse()
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
        Command::Plan(args) => plan(*args),
        Command::Accounts { live } => {
            let accounts = runtime()?.block_on(async {
                let base = SdkClients::load(&sdk_options(&live)).await;
                let regions = collect::regions(&base, &live.regions, live.all_regions).await?;
                let caller = collect::account_id(&base, &regions).await?;
                accounts_to_scan(&live, &base, &caller).await
            })?;
            write_output(None, &(accounts.join("\n") + "\n"))?;
            Ok(ExitCode::from(exit::OK))
        }
        Command::Collect { live, output } => {
            let (_, json) = collect_live(&live, Vec::new(), false)?;
            write_output(output.as_deref(), &json)?;
            Ok(ExitCode::from(exit::OK))
        }
        Command::Policy {
            command: PolicyCommand::Validate { files },
        } => validate(&files),
        Command::Rules { format } => {
            let text = match format {
                ListFormat::Json => serde_json::to_string_pretty(&*rules::RULES)? + "\n",
                ListFormat::Table => list_rules(),
            };
            print!("{text}");
            Ok(ExitCode::from(exit::OK))
        }
        Command::Merge { snapshots, output } => {
            let mut shards = Vec::new();
            for path in snapshots {
                let (snapshot, _) = snapshot::load(&path)?;
                shards.push((path, snapshot));
            }
            let count = shards.len();
            let (merged, duplicates) = snapshot::merge::merge(shards)?;
            let json = snapshot::to_json(&merged)?;
            write_output(output.as_deref(), &json)?;
            const LISTED: usize = 20;
            for d in duplicates.iter().take(LISTED) {
                eprintln!(
                    "duplicate: {} {} ({}) is in {} and {}, the same in both; kept once",
                    d.kind,
                    d.id,
                    d.place,
                    d.first.display(),
                    d.second.display()
                );
            }
            if duplicates.len() > LISTED {
                eprintln!("... and {} more duplicates", duplicates.len() - LISTED);
            }
            eprintln!(
                "merged {count} snapshots: {} accounts, {} regions, {} duplicates kept once",
                merged.scope.accounts.len(),
                merged.scope.regions.len(),
                duplicates.len()
            );
            Ok(ExitCode::from(exit::OK))
        }
        Command::Diff {
            old,
            new,
            format,
            output,
        } => {
            let drift = flowaudit::drift::diff(&load_report(&old)?, &load_report(&new)?);
            let text = match format {
                DiffFormat::Table => drift.to_table(terminal_width(output.as_deref())),
                DiffFormat::Json => drift.to_json()?,
                DiffFormat::Markdown => drift.to_markdown(),
            };
            write_output(output.as_deref(), &text)?;
            Ok(ExitCode::from(if drift.has_new_failures() {
                exit::VIOLATIONS
            } else {
                exit::OK
            }))
        }
        Command::History {
            reports,
            format,
            output,
        } => {
            let loaded = reports
                .iter()
                .map(|path| load_report(path))
                .collect::<Result<Vec<_>>>()?;
            let trend = flowaudit::trend::trend(&loaded);
            let text = match format {
                HistoryFormat::Table => trend.to_table(terminal_width(output.as_deref())),
                HistoryFormat::Json => trend.to_json()?,
                HistoryFormat::Html => trend.to_html(),
            };
            write_output(output.as_deref(), &text)?;
            Ok(ExitCode::from(exit::OK))
        }
        Command::Runbook {
            snapshot: snapshot_path,
            policy: policy_path,
            format,
            date,
            output,
        } => {
            let (snapshot, _) = snapshot::load(&snapshot_path)?;
            let today = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let evaluation = policy_path
                .as_deref()
                .map(|path| {
                    policy::load(path, rules::canonical_id)
                        .map(|(p, _)| evaluate(&snapshot, &p, today))
                })
                .transpose()?;
            let runbook = flowaudit::runbook::build(
                &snapshot,
                evaluation.as_ref().map(|e| e.findings.as_slice()),
                today,
            );
            let text = match format {
                RunbookFormat::Markdown => runbook.to_markdown(),
                RunbookFormat::Json => runbook.to_json()?,
            };
            write_output(output.as_deref(), &text)?;
            Ok(ExitCode::from(exit::OK))
        }
        Command::Verify {
            report,
            snapshot: snapshot_path,
            policy: policy_path,
        } => {
            let report = load_report(&report)?;
            let (snapshot, snapshot_sha256) = snapshot::load(&snapshot_path)?;
            let (policy, policy_sha256) = policy::load(&policy_path, rules::canonical_id)?;
            if report.tool.version != flowaudit::VERSION {
                eprintln!(
                    "note: the report was made by flowaudit {}; this is {}",
                    report.tool.version,
                    flowaudit::VERSION
                );
            }
            let problems = flowaudit::verify::verify(
                &report,
                &snapshot,
                &snapshot_sha256,
                &policy,
                &policy_sha256,
            );
            if problems.is_empty() {
                println!(
                    "verified: the report matches snapshot {} and policy {} ({} findings, evaluated on {})",
                    report.snapshot.sha256,
                    report.policy.sha256,
                    report.findings.len(),
                    report.evaluated_on
                );
                Ok(ExitCode::from(exit::OK))
            } else {
                for p in &problems {
                    println!("mismatch: {p}");
                }
                Ok(ExitCode::from(exit::VIOLATIONS))
            }
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
    for r in rules::RULES.iter() {
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
    fit_table(&mut t, stdout_table_style().width);
    t.to_string() + "\n"
}

fn validate(files: &[PathBuf]) -> Result<ExitCode> {
    let mut bad = 0;
    for file in files {
        match policy::load(file, rules::canonical_id) {
            Ok((p, _)) => {
                println!(
                    "{}: ok (policy `{}`, {}, {})",
                    file.display(),
                    p.name,
                    profiles_text(&p),
                    plural(p.waivers.len(), "waiver")
                );
                for note in p.notes() {
                    match note {
                        policy::PolicyNote::Warning(text) => {
                            eprintln!("warning: {}: {text}", file.display())
                        }
                        policy::PolicyNote::Note(text) => {
                            eprintln!("note: {}: {text}", file.display())
                        }
                    }
                }
            }
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

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// "2 profiles and a default", "a default only", "1 profile".
fn profiles_text(p: &policy::Policy) -> String {
    let has_default = p.profiles.last().is_some_and(|d| d.name == "default");
    let named = p.profiles.len() - usize::from(has_default);
    match (named, has_default) {
        (0, true) => "a default only".to_string(),
        (n, true) => format!("{} and a default", plural(n, "profile")),
        (n, false) => plural(n, "profile"),
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

/// Collects the accounts and regions the options name. Returns the snapshot and its JSON.
/// `extra_destinations` are inspected as well, although no flow log delivers to them.
fn collect_live(
    live: &LiveArgs,
    extra_destinations: Vec<flowaudit::destination::Destination>,
    needs_connectivity: bool,
) -> Result<(Snapshot, String)> {
    let options = sdk_options(live);
    let collected = runtime()?.block_on(async {
        let base = SdkClients::load(&options).await;
        let regions = collect::regions(&base, &live.regions, live.all_regions).await?;
        let caller = collect::account_id(&base, &regions).await?;
        let accounts = accounts_to_scan(live, &base, &caller).await?;
        require_role_for_others(live, &accounts, &caller)?;
        tracing::info!(caller = %caller, accounts = ?accounts, regions = ?regions, "collecting");
        let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let role = live.role_name.as_ref().map(|name| collect::RoleEntry {
            role_name: name.clone(),
            external_id: live.external_id.clone(),
            session_name: live.role_session_name.clone(),
        });
        let base = std::sync::Arc::new(base);
        let base_for_org = base.clone();
        let archive = match &live.log_archive_account {
            Some(archive) => {
                require_role_for_others(live, std::slice::from_ref(archive), &caller)?;
                let role = role.as_ref().filter(|_| archive != &caller);
                Some(collect::enter_account(&base, &caller, archive, role, &regions[0]).await)
            }
            None => None,
        };
        let scanned = collect::enter_accounts(
            base,
            &caller,
            &accounts,
            role,
            &regions[0],
            live.concurrency,
        )
        .await;
        let targets = collect::Accounts {
            scanned,
            archive,
            reads: collect::ExtraReads {
                telemetry_rules: live.telemetry_rules,
                connectivity: live.connectivity || needs_connectivity,
            },
            extra_destinations,
        };
        let progress = std::sync::Arc::new(Bar::new());
        let mut collected =
            collect::collect_accounts(targets, &regions, live.concurrency, started, progress).await;
        if live.telemetry_rules && live.org {
            collect::add_organization_telemetry_rules(
                &mut collected,
                base_for_org.as_ref(),
                &caller,
                &regions[0],
            )
            .await;
        }
        Ok::<_, anyhow::Error>(collected)
    })?;
    tracing::info!(requests = collected.requests, "collection finished");
    let json = snapshot::to_json(&collected.snapshot)?;
    Ok((collected.snapshot, json))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn sdk_options(live: &LiveArgs) -> SdkOptions {
    SdkOptions {
        profile: live.profile.clone(),
        retry_mode: match live.retry_mode {
            RetryModeArg::Standard => RetryMode::Standard,
            RetryModeArg::Adaptive => RetryMode::Adaptive,
        },
        max_attempts: live.max_attempts,
        operation_timeout: std::time::Duration::from_secs(live.operation_timeout.max(1)),
    }
}

/// The accounts a live scan covers: the organisation's (--org, --ou), those given, or the
/// caller's; less those excluded. Accounts other than the caller's need a role.
async fn accounts_to_scan(live: &LiveArgs, base: &SdkClients, caller: &str) -> Result<Vec<String>> {
    let mut accounts: Vec<String> = if live.org {
        collect::organization::active_accounts(&base.organizations(), &live.ou).await?
    } else if let Some(file) = &live.accounts_file {
        read_accounts_file(file)?
    } else if live.accounts.is_empty() {
        vec![caller.to_string()]
    } else {
        live.accounts.clone()
    };
    accounts.sort();
    accounts.dedup();
    accounts.retain(|a| !live.exclude_accounts.contains(a));
    if accounts.is_empty() {
        bail!("no account left to scan: --exclude-accounts removes every account named");
    }
    Ok(accounts)
}

/// The account ids of an accounts file: one per line, `#` comments and blank lines ignored.
fn read_accounts_file(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read accounts file {}", path.display()))?;
    let mut accounts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let id = line.split('#').next().unwrap_or_default().trim();
        if id.is_empty() {
            continue;
        }
        match parse_account(id) {
            Ok(id) => accounts.push(id),
            Err(e) => bail!("accounts file {}:{}:1: {e}", path.display(), i + 1),
        }
    }
    if accounts.is_empty() {
        bail!("accounts file {} names no account", path.display());
    }
    Ok(accounts)
}

/// Accounts other than the caller's can only be entered through a role.
fn require_role_for_others(live: &LiveArgs, accounts: &[String], caller: &str) -> Result<()> {
    let others: Vec<&str> = accounts
        .iter()
        .map(String::as_str)
        .filter(|a| *a != caller)
        .collect();
    if !others.is_empty() && live.role_name.is_none() {
        bail!(
            "the accounts to scan include accounts other than the caller's ({caller}): {}; pass --role-name to enter them",
            flowaudit::index::short_list(&others)
        );
    }
    Ok(())
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    let (policy, policy_sha256) = policy::load(&args.report.policy, rules::canonical_id)?;
    if args.fail_on_overdue && policy.deadlines.is_empty() {
        bail!(
            "--fail-on-overdue needs remediation deadlines, and policy {} sets none; add for example `deadlines: {{ high: 7d, medium: 30d }}`",
            args.report.policy.display()
        );
    }
    let (snapshot, snapshot_sha256) = match &args.snapshot {
        Some(path) => snapshot::load(path)?,
        None => {
            let (snapshot, json) =
                collect_live(&args.live, Vec::new(), policy.uses_connectivity())?;
            if let Some(path) = &args.save_snapshot {
                write_output(Some(path), &json)?;
            }
            (snapshot, flowaudit::digest::sha256_hex(json.as_bytes()))
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

/// Each flow-log field value AWS does not document, as a warning on standard error.
fn warn_undocumented(snapshot: &Snapshot) {
    for line in snapshot::undocumented_values(snapshot) {
        eprintln!("warning: {line}");
    }
}

/// Judges the estate a Terraform plan would leave.
fn plan(args: PlanArgs) -> Result<ExitCode> {
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
    let (policy, policy_sha256) = policy::load(&args.report.policy, rules::canonical_id)?;
    let tf_dir = terraform_dir(args.terraform_dir.as_deref())?;
    let document = flowaudit::plan::load(&args.plan)?;
    let existing = match (&args.with_snapshot, args.live) {
        (Some(path), _) => {
            let (existing, _) = snapshot::load(path)?;
            warn_undocumented(&existing);
            Some(existing)
        }
        (None, true) => Some(
            collect_live(
                &args.live_args,
                document.named_destinations(),
                policy.uses_connectivity(),
            )?
            .0,
        ),
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

impl ReportArgs {
    fn today(&self) -> NaiveDate {
        self.date.unwrap_or_else(|| chrono::Utc::now().date_naive())
    }
}

/// Writes the report to the outputs named, or else to standard output.
fn emit(report: &Report, args: &ReportArgs) -> Result<()> {
    // Render everything before any output appears, so a failure leaves no partial set:
    // a file is rendered into a temporary file beside it (streamed, for JSON) and renamed
    // into place only when every output has rendered.
    let mut staged = Vec::new();
    for spec in &args.outputs {
        let format = match spec.format.or(args.format) {
            Some(f) => f,
            None if spec.path == Path::new("-") => Format::Table,
            None => format_from_extension(&spec.path)?,
        };
        staged.push(stage(&spec.path, |w| {
            render_to(format, report, TableStyle::default(), w)
        })?);
    }
    let in_github = std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true");
    let stdout_format = match (args.outputs.is_empty(), args.format, in_github) {
        (false, _, _) => None,
        (true, Some(f), _) => Some(f),
        (true, None, true) => Some(Format::Github),
        (true, None, false) => Some(Format::Table),
    };
    let stdout_text = if args.quiet {
        Some(summary_line(report))
    } else {
        stdout_format
            .map(|f| render(f, report, stdout_table_style()))
            .transpose()?
    };
    for output in staged {
        output.commit()?;
    }
    if let Some(text) = stdout_text {
        write_output(None, &text)?;
    }
    Ok(())
}

/// The width a table written to `output` must fit: the terminal's (or `COLUMNS`) for
/// standard output, none for a file.
fn terminal_width(output: Option<&Path>) -> Option<usize> {
    match output {
        None => stdout_table_style().width,
        Some(_) => None,
    }
}

/// The table on standard output: in colour on a terminal without NO_COLOR, and fitted to
/// `COLUMNS` when set, or else to the terminal's width when standard output is one.
fn stdout_table_style() -> TableStyle {
    use std::io::IsTerminal;
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c >= 40);
    let terminal = || {
        std::io::stdout()
            .is_terminal()
            .then(|| console::Term::stdout().size_checked())
            .flatten()
            .map(|(_, cols)| usize::from(cols))
    };
    TableStyle {
        colour: colour_on_stdout(),
        width: columns.or_else(terminal),
    }
}

fn colour_on_stdout() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn format_from_extension(path: &Path) -> Result<Format> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    Ok(match ext {
        "json" => Format::Json,
        "csv" => Format::Csv,
        "sarif" => Format::Sarif,
        "xml" => Format::Junit,
        "md" => Format::Markdown,
        "html" | "htm" => Format::Html,
        _ => bail!(
            "cannot tell the format of {} from its extension; write FORMAT:PATH, for example json:{}",
            path.display(),
            path.display()
        ),
    })
}

fn load_report(path: &Path) -> Result<Report> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read report {}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "report {}:{}:{}: {e}. Expected a JSON report written by `flowaudit scan --format json`",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// 1 for a failure at or above `fail_on` (or, with `fail_on_unknown`, for a value unknown
/// until apply), else 3 if anything could not be evaluated, else 0. A plan's gate leaves
/// out the classes of problems it does not count.
fn exit_code(report: &Report, fail_on: Severity, fail_on_unknown: bool) -> u8 {
    let counted = || report.findings.iter().filter(|f| report.counts(f));
    let fails = counted().any(|f| {
        (f.status == Status::Fail && f.severity >= fail_on)
            || (fail_on_unknown && f.status == Status::Unknown)
    });
    if fails {
        exit::VIOLATIONS
    } else if counted().any(|f| matches!(f.status, Status::Error | Status::Unknown)) {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// With --fail-on-overdue: 1 for a problem past its deadline, else 3 if anything could not
/// be evaluated (unseen is never a pass), else 0.
fn overdue_exit_code(report: &Report) -> u8 {
    if flowaudit::history::any_overdue(&report.findings) {
        exit::VIOLATIONS
    } else if report.summary.error > 0 {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// Where an output goes, decided before anything is written.
enum Target {
    Stdout,
    /// A character device, FIFO or socket: written directly, never replaced.
    Special(PathBuf),
    /// A regular file, or one that does not exist yet (symlinks already followed).
    File(PathBuf),
}

fn target(path: Option<&Path>) -> Result<Target> {
    let Some(path) = path.filter(|p| *p != Path::new("-")) else {
        return Ok(Target::Stdout);
    };
    let resolved = follow_symlinks(path)?;
    match std::fs::metadata(&resolved) {
        Ok(meta) if meta.is_dir() => bail!("cannot write {}: it is a directory", path.display()),
        Ok(meta) if !meta.is_file() => Ok(Target::Special(resolved)),
        _ => Ok(Target::File(resolved)),
    }
}

/// Writes `text` to a special file or standard output; a reader that stopped early
/// (`| head`) is not an error worth reporting.
fn write_direct(target: &Target, text: &str) -> Result<()> {
    let result = match target {
        Target::Stdout => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
        }
        Target::Special(path) => std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes())),
        Target::File(_) => unreachable!("files are written atomically"),
    };
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context(match target {
            Target::Special(path) => format!("cannot write {}", path.display()),
            _ => "cannot write to standard output".to_string(),
        }),
    }
}

/// An output rendered but not yet visible.
enum Staged {
    /// A temporary file beside its target, renamed over it by `commit`.
    File(tempfile::NamedTempFile, PathBuf),
    /// Text for standard output or a special file.
    Direct(Target, String),
}

impl Staged {
    fn commit(self) -> Result<()> {
        match self {
            Staged::File(tmp, path) => {
                tmp.persist(&path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok(())
            }
            Staged::Direct(target, text) => write_direct(&target, &text),
        }
    }
}

/// Renders an output with `render` into a temporary file beside its target (or, for
/// standard output and special files, into memory), without making it visible yet.
fn stage(
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> Result<(), flowaudit::report::RenderError>,
) -> Result<Staged> {
    match target(Some(path))? {
        Target::File(resolved) => {
            let mut tmp = temp_file_beside(&resolved)
                .with_context(|| format!("cannot write {}", path.display()))?;
            {
                let mut writer = std::io::BufWriter::new(tmp.as_file_mut());
                render(&mut writer)?;
                writer
                    .flush()
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Ok(Staged::File(tmp, resolved))
        }
        other => {
            let mut buffer = Vec::new();
            render(&mut buffer)?;
            Ok(Staged::Direct(
                other,
                String::from_utf8(buffer).context("a report is UTF-8")?,
            ))
        }
    }
}

/// Writes a report or snapshot to `path`, or to standard output for `None` or `-`.
///
/// A regular file (or one that does not exist yet) is written to a temporary file beside
/// it and renamed into place, so a failed run never leaves a half-written report. A
/// symlink is followed and its target written, never replaced. A character device or a
/// FIFO (`/dev/null`, `/dev/stdout`, a pipe) is written directly: renaming over it would
/// replace the device with a regular file.
fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    let target = target(path)?;
    match &target {
        Target::File(resolved) => write_atomically(resolved, text)
            .with_context(|| format!("cannot write {}", resolved.display())),
        _ => write_direct(&target, text),
    }
}

/// The file a path names once every symlink on it is followed. A link whose target does
/// not exist yet resolves to that target, so the report is created where the link points.
fn follow_symlinks(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    // The same bound the kernel uses (ELOOP), so a cycle ends with an error.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)
                    .with_context(|| format!("cannot read symlink {}", current.display()))?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    bail!(
        "cannot write {}: too many levels of symlinks",
        path.display()
    )
}

/// A temporary file in the directory of `path`, so that renaming it over `path` is atomic.
fn temp_file_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates 0600 files; a report is an ordinary file (the umask still applies).
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(dir)
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = temp_file_beside(path)?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
