//! The options several commands share: where and how to collect live data, and which policy
//! and report a run uses.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::ValueEnum;

use flowaudit::findings::Severity;
use flowaudit::plan::gate::Gate;
use flowaudit::report::{Format, OutputSpec};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RetryModeArg {
    Standard,
    Adaptive,
}

/// Where and how to collect live data. Credentials come from aws-config's default chain.
#[derive(clap::Args)]
pub(crate) struct LiveArgs {
    /// AWS profile from ~/.aws/config.
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// Region to scan; repeat for several. Defaults to the configured region.
    #[arg(long = "region", value_name = "REGION")]
    pub(crate) regions: Vec<String>,
    /// Scan every region enabled for the account (DescribeRegions).
    #[arg(long, conflicts_with = "regions")]
    pub(crate) all_regions: bool,
    /// Accounts to scan, comma-separated. Accounts other than the caller's are entered
    /// with --role-name. Default: the caller's account.
    #[arg(long, value_delimiter = ',', value_name = "ID", value_parser = parse_account)]
    pub(crate) accounts: Vec<String>,
    /// Accounts to scan, from a file: one id per line; `#` starts a comment.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["accounts", "org"])]
    pub(crate) accounts_file: Option<PathBuf>,
    /// Scan every ACTIVE account of the AWS Organization (organizations:ListAccounts, from
    /// the management or a delegated-admin account).
    #[arg(long, conflicts_with = "accounts")]
    pub(crate) org: bool,
    /// With --org: only the accounts under this organisational unit, at any depth.
    /// Repeatable.
    #[arg(long, value_name = "OU_ID", requires = "org")]
    pub(crate) ou: Vec<String>,
    /// The account that owns the central flow-log buckets, entered (with --role-name) only
    /// to read them, even when it is not scanned.
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    pub(crate) log_archive_account: Option<String>,
    /// Accounts to leave out, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ID", value_parser = parse_account)]
    pub(crate) exclude_accounts: Vec<String>,
    /// Role to assume in each account: arn:aws:iam::{account}:role/{NAME}. Its
    /// credentials are refreshed before they expire.
    #[arg(long, value_name = "NAME")]
    pub(crate) role_name: Option<String>,
    /// External id the role's trust policy requires.
    #[arg(long, requires = "role_name")]
    pub(crate) external_id: Option<String>,
    /// Session name of the assumed roles, as CloudTrail records it.
    #[arg(long, default_value = "flowaudit", requires = "role_name")]
    pub(crate) role_session_name: String,
    /// (Account, region) pairs collected at the same time; buckets have a bound of the same
    /// size of their own. AWS's limits are per account and region, and each pair is paced
    /// to them (roles are assumed at STS's pace), so this bound only guards the machine: at
    /// 256 a 2-core machine scans 1,000 accounts x 17 regions in under a minute rather than
    /// waiting on the network (docs/benchmarks.md).
    #[arg(long, default_value_t = 256)]
    pub(crate) concurrency: usize,
    /// Attempts per AWS call, the first included; throttling is retried with backoff.
    #[arg(long, default_value_t = 5)]
    pub(crate) max_attempts: u32,
    /// How throttled calls are retried. `standard` (exponential backoff with jitter) is
    /// the default: measured with 20% of calls throttled, it finished a scan about 20
    /// times sooner than `adaptive`, whose client-side rate limiter can wait about 20 s
    /// before a retry (see docs/benchmarks.md).
    #[arg(long, value_enum, default_value_t = RetryModeArg::Standard)]
    pub(crate) retry_mode: RetryModeArg,
    /// Seconds one AWS call may take, retries included.
    #[arg(long, default_value_t = 60)]
    pub(crate) operation_timeout: u64,
    /// Also read the CloudWatch telemetry rules that create VPC flow logs: each account's
    /// (observabilityadmin:ListTelemetryRules, GetTelemetryRule) and, with --org, the
    /// organisation's. Findings then name the rules that manage a flow log.
    #[arg(long)]
    pub(crate) telemetry_rules: bool,
    /// Also list what connects each VPC outside itself (internet, egress-only internet, NAT
    /// and virtual private gateways, peering connections, transit gateway attachments): five
    /// or six more EC2 calls per account and region. A scan or plan whose policy selects VPCs
    /// by `connectivity` lists them without this flag.
    #[arg(long)]
    pub(crate) connectivity: bool,
    /// Also observe the records at the destinations, without reading any: the newest and
    /// oldest date under each S3 flow-log prefix and each flow log's newest file
    /// (s3:ListBucket), and each log group's freshest streams (logs:DescribeLogStreams).
    /// The `records` rules judge what was seen.
    #[arg(long)]
    pub(crate) observe: bool,
    /// With --observe: how many days back, today included, a flow log's newest S3 file is
    /// searched for. A scan raises it to cover its policy's longest `records.max_silence`.
    #[arg(long, value_name = "DAYS", default_value_t = flowaudit::collect::DEFAULT_LOOKBACK_DAYS, requires = "observe", value_parser = clap::value_parser!(u32).range(1..=31))]
    pub(crate) observe_days: u32,
}

impl LiveArgs {
    /// What to read beyond coverage: what the flags ask for, and what `needs` (from the
    /// policy) adds.
    pub(crate) fn reads(
        &self,
        needs: flowaudit::collect::ExtraReads,
    ) -> flowaudit::collect::ExtraReads {
        flowaudit::collect::ExtraReads {
            telemetry_rules: self.telemetry_rules || needs.telemetry_rules,
            connectivity: self.connectivity || needs.connectivity,
            observe_days: self
                .observe
                .then(|| self.observe_days.max(needs.observe_days.unwrap_or(0))),
        }
    }
}

/// How a command that is not a collection (`observe`, `publish`) calls AWS: the caller's
/// profile, and the standard retries within a time limit.
#[derive(clap::Args)]
pub(crate) struct CallArgs {
    /// AWS profile from ~/.aws/config.
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// Attempts per AWS call, the first included; throttling is retried with backoff.
    #[arg(long, default_value_t = 5)]
    pub(crate) max_attempts: u32,
    /// Seconds one AWS call may take, retries included.
    #[arg(long, default_value_t = 60)]
    pub(crate) operation_timeout: u64,
}

impl CallArgs {
    pub(crate) fn sdk_options(&self) -> flowaudit::collect::SdkOptions {
        flowaudit::collect::SdkOptions {
            profile: self.profile.clone(),
            retry_mode: flowaudit::collect::RetryMode::Standard,
            max_attempts: self.max_attempts,
            operation_timeout: std::time::Duration::from_secs(self.operation_timeout.max(1)),
        }
    }
}

/// What `scan` and `plan` share: the policy, the report and the exit code.
#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    /// Policy file (YAML). Default: a flowaudit.yaml in the current directory or the nearest
    /// of its parents, else the built-in default policy (`flowaudit policy show`).
    #[arg(long)]
    pub(crate) policy: Option<PathBuf>,
    /// Report format: table, json, csv, sarif, junit, markdown, html, ocsf, oscal, github
    /// or asff.
    /// Defaults to table, or github when GITHUB_ACTIONS=true.
    #[arg(long, value_parser = parse_format)]
    pub(crate) format: Option<Format>,
    /// Write the report to a file instead of standard output: FORMAT:PATH
    /// (json:out/report.json), or a PATH in the --format format or the one its extension
    /// names. Repeat for several formats in one run.
    #[arg(long = "output", short = 'o', value_name = "[FORMAT:]PATH", value_parser = parse_output)]
    pub(crate) outputs: Vec<OutputSpec>,
    /// Print only the summary line on standard output.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Exit 1 when a failure of this severity or above remains.
    #[arg(long, default_value = "low", value_parser = parse_severity)]
    pub(crate) fail_on: Severity,
    /// Evaluate as of this date (YYYY-MM-DD): waiver expiry and lifecycle dates depend on
    /// it. Defaults to today (UTC).
    #[arg(long, value_parser = parse_date)]
    pub(crate) date: Option<NaiveDate>,
}

impl ReportArgs {
    pub(crate) fn today(&self) -> NaiveDate {
        self.date.unwrap_or_else(|| chrono::Utc::now().date_naive())
    }
}

pub(crate) fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

pub(crate) fn parse_output(s: &str) -> Result<OutputSpec, String> {
    s.parse()
}

pub(crate) fn parse_account(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not an AWS account id; expected 12 digits"
        ))
    }
}

pub(crate) fn parse_gate(s: &str) -> Result<Gate, String> {
    s.parse()
}

pub(crate) fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; expected YYYY-MM-DD"))
}
