//! `flowaudit collect` and `flowaudit accounts`: a live estate as a snapshot, and the
//! accounts a live run would cover.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use flowaudit::collect::{self, SdkClients};

use super::args::LiveArgs;
use super::live::{accounts_to_scan, collect_live, enter, runtime, sdk_options};
use crate::exit;
use crate::output::write_output;

pub(crate) fn collect(live: &LiveArgs, output: Option<&Path>) -> Result<ExitCode> {
    let snapshot = collect_live(live, Vec::new(), collect::ExtraReads::default())?;
    write_output(output, &flowaudit::snapshot::to_json(&snapshot)?)?;
    Ok(ExitCode::from(exit::OK))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM; never, where neither can be watched.
async fn interrupted() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// `collect --shards-dir DIR`: one snapshot per account in DIR, each written as soon as its
/// account is done; with `--resume`, the accounts whose shard is already there (same
/// regions, this flowaudit, nothing failed) are not collected again.
pub(crate) fn collect_sharded(live: &LiveArgs, dir: &Path, resume: bool) -> Result<ExitCode> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the shards folder {}", dir.display()))?;
    let outcome = runtime()?.block_on(async {
        let skipped = std::sync::Mutex::new(Vec::new());
        let skip = |account: &str, regions: &[String]| {
            let reuse = resume && collect::shards::reusable(dir, account, regions);
            if reuse && let Ok(mut list) = skipped.lock() {
                list.push(account.to_string());
            }
            reuse
        };
        let run = enter(live, &skip).await?;
        let skipped = skipped.into_inner().unwrap_or_default();
        if resume {
            eprintln!(
                "resuming: {} accounts already collected in {} are skipped",
                skipped.len(),
                dir.display()
            );
        }
        let options = collect::shards::ShardOptions {
            reads: live.reads(collect::ExtraReads::default()),
            extra_destinations: Vec::new(),
            concurrency: live.concurrency,
            collected_at: run.started,
        };
        let shards = collect::shards::collect_to_shards(
            run.scanned,
            run.archive,
            &run.regions,
            options,
            dir,
            interrupted(),
        )
        .await;
        Ok::<_, anyhow::Error>((shards, skipped.len()))
    })?;
    let (shards, skipped) = outcome;
    for (account, why) in &shards.failed {
        eprintln!("error: the shard of account {account} could not be written: {why}");
    }
    eprintln!(
        "{} accounts written to {}{}{}",
        shards.written.len(),
        dir.display(),
        if skipped > 0 {
            format!(", {skipped} skipped as already collected")
        } else {
            String::new()
        },
        if shards.interrupted {
            "; interrupted: the accounts in hand were discarded, run again with --resume"
        } else {
            ""
        }
    );
    Ok(ExitCode::from(if shards.interrupted {
        exit::INTERRUPTED
    } else if !shards.failed.is_empty() {
        exit::BAD_INPUT
    } else {
        exit::OK
    }))
}

/// What `flowaudit observe` needs: the snapshot, and how to call AWS.
#[derive(clap::Args)]
pub(crate) struct ObserveArgs {
    /// A snapshot written by `flowaudit collect`.
    pub(crate) snapshot: std::path::PathBuf,
    /// Write the observed snapshot here instead of standard output.
    #[arg(long, short = 'o')]
    pub(crate) output: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub(crate) calls: super::args::CallArgs,
    /// How many days back, today included, a flow log's newest S3 file is searched for.
    #[arg(long, value_name = "DAYS", default_value_t = collect::DEFAULT_LOOKBACK_DAYS, value_parser = clap::value_parser!(u32).range(1..=31))]
    pub(crate) observe_days: u32,
    /// Subtrees and log groups observed at the same time.
    #[arg(long, default_value_t = 16)]
    pub(crate) concurrency: usize,
}

/// Observes the records at the destinations of an existing snapshot's flow logs, through
/// the caller's credentials, and writes the snapshot with its observations.
pub(crate) fn observe(args: &ObserveArgs) -> Result<ExitCode> {
    let (mut snapshot, _) = flowaudit::snapshot::load(&args.snapshot)?;
    let options = args.calls.sdk_options();
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
