//! Sharded collection (`collect --shards-dir DIR`): one snapshot per account, written
//! atomically as soon as that account is done, so that a run over a thousand accounts that
//! stops at 80% resumes where it stopped (`--resume`) instead of starting again.
//!
//! A shard is written to a hidden temporary file in the same folder and renamed into place:
//! a folder never holds a half-written shard, whatever stops the run. An interrupted run
//! (the `stop` future completes) abandons the accounts in hand; their shards are not written.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{AccountTarget, Accounts, ExtraReads, Quiet, collect_accounts};
use crate::destination::Destination;
use crate::snapshot::{self, Snapshot};

/// The shard file of an account.
pub fn shard_path(dir: &Path, account_id: &str) -> PathBuf {
    dir.join(format!("{account_id}.json"))
}

/// Whether a shard already in `dir` can stand for this run's collection of the account: it
/// reads as a snapshot of exactly that account, over the same regions, by this flowaudit,
/// and nothing failed in it (an account that could not be entered, or a region that did
/// not answer, is collected again).
pub fn reusable(dir: &Path, account_id: &str, regions: &[String]) -> bool {
    let Ok((shard, _)) = snapshot::load(&shard_path(dir, account_id)) else {
        return false;
    };
    let mut wanted = regions.to_vec();
    wanted.sort();
    let mut had = shard.scope.regions.clone();
    had.sort();
    shard.scope.accounts == [account_id.to_string()]
        && had == wanted
        && shard.tool.version == crate::VERSION
        && shard.plan.is_none()
        && shard.collection_errors.is_empty()
}

/// Writes a shard atomically: a hidden temporary file beside it, renamed into place.
fn write_shard(dir: &Path, account_id: &str, snapshot: &Snapshot) -> std::io::Result<()> {
    let json = snapshot::to_json(snapshot).map_err(std::io::Error::other)?;
    let target = shard_path(dir, account_id);
    let partial = dir.join(format!(".{account_id}.json.partial"));
    std::fs::write(&partial, json)?;
    std::fs::rename(&partial, &target)
}

/// What a sharded collection did.
#[derive(Debug, Default)]
pub struct ShardRun {
    /// Accounts whose shard this run wrote, in id order.
    pub written: Vec<String>,
    /// Calls made (see `Collected::requests`).
    pub requests: usize,
    /// `stop` completed before every account was done.
    pub interrupted: bool,
    /// Shards that could not be written, with why.
    pub failed: Vec<(String, String)>,
}

/// What a sharded collection collects besides the accounts themselves.
pub struct ShardOptions {
    pub reads: ExtraReads,
    pub extra_destinations: Vec<Destination>,
    /// (Account, region) pairs collected at the same time, across accounts.
    pub concurrency: usize,
    pub collected_at: String,
}

/// Collects each account on its own and writes its shard when it is done. Accounts run
/// side by side so that about `concurrency` (account, region) pairs are in flight; the
/// archive account, if any, reads its buckets for each. Stops starting accounts, and
/// abandons those in hand, when `stop` completes.
pub async fn collect_to_shards(
    targets: Vec<AccountTarget>,
    archive: Option<AccountTarget>,
    regions: &[String],
    options: ShardOptions,
    dir: &Path,
    stop: impl Future<Output = ()>,
) -> ShardRun {
    let per_account = options.concurrency.clamp(1, regions.len().max(1));
    let accounts_at_once = (options.concurrency / per_account).max(1);
    let limit = Arc::new(Semaphore::new(accounts_at_once));
    let regions: Arc<Vec<String>> = Arc::new(regions.to_vec());
    let mut tasks = JoinSet::new();
    for target in targets {
        let account = target.account_id.clone();
        let accounts = Accounts {
            scanned: vec![target],
            archive: archive.clone(),
            reads: options.reads,
            extra_destinations: options.extra_destinations.clone(),
        };
        let (limit, regions, at) = (limit.clone(), regions.clone(), options.collected_at.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            let collected = Box::pin(collect_accounts(
                accounts,
                &regions,
                per_account,
                at,
                Arc::new(Quiet),
            ))
            .await;
            (account, collected)
        });
    }
    let mut run = ShardRun::default();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            biased;
            () = &mut stop => {
                // The accounts in hand are abandoned: their shards are never written.
                tasks.abort_all();
                run.interrupted = true;
                break;
            }
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok((account, collected))) => {
                    run.requests += collected.requests;
                    match write_shard(dir, &account, &collected.snapshot) {
                        Ok(()) => run.written.push(account),
                        Err(e) => run.failed.push((account, e.to_string())),
                    }
                }
                Some(Err(e)) if e.is_cancelled() => {}
                // A task that panicked is a bug; surface it as the panic it was.
                Some(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            },
        }
    }
    run.written.sort();
    run
}
