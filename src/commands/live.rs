//! Collecting a live estate: the SDK set-up, the accounts a run covers, and the collection
//! itself, shared by `scan`, `plan --live`, `collect` and `accounts`.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

use flowaudit::collect::{self, RetryMode, SdkClients, SdkOptions};
use flowaudit::snapshot::Snapshot;

use super::args::{LiveArgs, RetryModeArg, parse_account};
use crate::progress::Bar;

/// A live run's accounts, entered: the SDK's base clients, the regions, the caller, and the
/// targets to collect (less those `skip` names), with the log-archive account if any.
pub(crate) struct EnteredRun {
    pub(crate) base: std::sync::Arc<SdkClients>,
    pub(crate) regions: Vec<String>,
    pub(crate) caller: String,
    pub(crate) scanned: Vec<collect::AccountTarget>,
    pub(crate) archive: Option<collect::AccountTarget>,
    pub(crate) started: String,
}

/// Loads the SDK, finds the regions, the caller and the accounts, and enters each account
/// (AssumeRole) but those `skip` says (given the account and the regions) need no
/// collecting, which are not entered at all.
pub(crate) async fn enter(
    live: &LiveArgs,
    skip: &dyn Fn(&str, &[String]) -> bool,
) -> Result<EnteredRun> {
    let base = SdkClients::load(&sdk_options(live)).await;
    let regions = collect::regions(&base, &live.regions, live.all_regions).await?;
    let caller = collect::account_id(&base, &regions).await?;
    let mut accounts = accounts_to_scan(live, &base, &caller).await?;
    require_role_for_others(live, &accounts, &caller)?;
    accounts.retain(|a| !skip(a, &regions));
    tracing::info!(caller = %caller, accounts = ?accounts, regions = ?regions, "collecting");
    let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let role = live.role_name.as_ref().map(|name| collect::RoleEntry {
        role_name: name.clone(),
        external_id: live.external_id.clone(),
        session_name: live.role_session_name.clone(),
    });
    let base = std::sync::Arc::new(base);
    let archive = match &live.log_archive_account {
        Some(archive) => {
            require_role_for_others(live, std::slice::from_ref(archive), &caller)?;
            let role = role.as_ref().filter(|_| archive != &caller);
            Some(collect::enter_account(&base, &caller, archive, role, &regions[0]).await)
        }
        None => None,
    };
    let scanned = collect::enter_accounts(
        base.clone(),
        &caller,
        &accounts,
        role,
        &regions[0],
        live.concurrency,
    )
    .await;
    Ok(EnteredRun {
        base,
        regions,
        caller,
        scanned,
        archive,
        started,
    })
}

/// Collects the accounts and regions the options name.
/// `extra_destinations` are inspected as well, although no flow log delivers to them;
/// `needs` is what the policy needs read beyond what the flags ask for.
pub(crate) fn collect_live(
    live: &LiveArgs,
    extra_destinations: Vec<flowaudit::destination::Destination>,
    needs: collect::ExtraReads,
) -> Result<Snapshot> {
    let collected = runtime()?.block_on(async {
        let run = enter(live, &|_, _| false).await?;
        let targets = collect::Accounts {
            scanned: run.scanned,
            archive: run.archive,
            reads: live.reads(needs),
            extra_destinations,
        };
        let progress = std::sync::Arc::new(Bar::new());
        let mut collected = collect::collect_accounts(
            targets,
            &run.regions,
            live.concurrency,
            run.started,
            progress,
        )
        .await;
        if live.telemetry_rules && live.org {
            collect::add_organization_telemetry_rules(
                &mut collected,
                run.base.as_ref(),
                &run.caller,
                &run.regions[0],
            )
            .await;
        }
        Ok::<_, anyhow::Error>(collected)
    })?;
    tracing::info!(requests = collected.requests, "collection finished");
    Ok(collected.snapshot)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn sdk_options(live: &LiveArgs) -> SdkOptions {
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
pub(crate) async fn accounts_to_scan(
    live: &LiveArgs,
    base: &SdkClients,
    caller: &str,
) -> Result<Vec<String>> {
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
pub(crate) fn read_accounts_file(path: &Path) -> Result<Vec<String>> {
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
pub(crate) fn require_role_for_others(
    live: &LiveArgs,
    accounts: &[String],
    caller: &str,
) -> Result<()> {
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
