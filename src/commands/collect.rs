//! `flowaudit collect` and `flowaudit accounts`: a live estate as a snapshot, and the
//! accounts a live run would cover.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use flowaudit::collect::{self, SdkClients};

use super::args::LiveArgs;
use super::live::{accounts_to_scan, collect_live, runtime, sdk_options};
use crate::exit;
use crate::output::write_output;

pub(crate) fn collect(live: &LiveArgs, output: Option<&Path>) -> Result<ExitCode> {
    let (_, json) = collect_live(live, Vec::new(), collect::ExtraReads::default())?;
    write_output(output, &json)?;
    Ok(ExitCode::from(exit::OK))
}

/// What `flowaudit observe` needs: the snapshot, and how to call AWS.
#[derive(clap::Args)]
pub(crate) struct ObserveArgs {
    /// A snapshot written by `flowaudit collect`.
    pub(crate) snapshot: std::path::PathBuf,
    /// Write the observed snapshot here instead of standard output.
    #[arg(long, short = 'o')]
    pub(crate) output: Option<std::path::PathBuf>,
    /// AWS profile from ~/.aws/config.
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// How many days back, today included, a flow log's newest S3 file is searched for.
    #[arg(long, value_name = "DAYS", default_value_t = collect::DEFAULT_LOOKBACK_DAYS, value_parser = clap::value_parser!(u32).range(1..=31))]
    pub(crate) observe_days: u32,
    /// Subtrees and log groups observed at the same time.
    #[arg(long, default_value_t = 16)]
    pub(crate) concurrency: usize,
    /// Attempts per AWS call, the first included.
    #[arg(long, default_value_t = 5)]
    pub(crate) max_attempts: u32,
    /// Seconds one AWS call may take, retries included.
    #[arg(long, default_value_t = 60)]
    pub(crate) operation_timeout: u64,
}

/// Observes the records at the destinations of an existing snapshot's flow logs, through
/// the caller's credentials, and writes the snapshot with its observations.
pub(crate) fn observe(args: &ObserveArgs) -> Result<ExitCode> {
    let (mut snapshot, _) = flowaudit::snapshot::load(&args.snapshot)?;
    let options = collect::SdkOptions {
        profile: args.profile.clone(),
        retry_mode: collect::RetryMode::Standard,
        max_attempts: args.max_attempts,
        operation_timeout: std::time::Duration::from_secs(args.operation_timeout.max(1)),
    };
    let observed = runtime()?.block_on(async {
        let base = SdkClients::load(&options).await;
        let regions = collect::regions(&base, &snapshot.scope.regions, false).await?;
        let caller = collect::account_id(&base, &regions).await?;
        let mut readers: std::collections::BTreeMap<
            String,
            std::sync::Arc<dyn collect::ClientSource>,
        > = std::collections::BTreeMap::new();
        readers.insert(caller, std::sync::Arc::new(base));
        Ok::<_, anyhow::Error>(
            collect::observe(
                &snapshot,
                &readers,
                args.concurrency,
                args.observe_days,
                chrono::Utc::now(),
            )
            .await,
        )
    })?;
    tracing::info!(requests = observed.requests, "observation finished");
    snapshot.observations = Some(observed.observations);
    write_output(
        args.output.as_deref(),
        &flowaudit::snapshot::to_json(&snapshot)?,
    )?;
    Ok(ExitCode::from(exit::OK))
}

pub(crate) fn accounts(live: &LiveArgs) -> Result<ExitCode> {
    let accounts = runtime()?.block_on(async {
        let base = SdkClients::load(&sdk_options(live)).await;
        let regions = collect::regions(&base, &live.regions, live.all_regions).await?;
        let caller = collect::account_id(&base, &regions).await?;
        accounts_to_scan(live, &base, &caller).await
    })?;
    write_output(None, &(accounts.join("\n") + "\n"))?;
    Ok(ExitCode::from(exit::OK))
}
