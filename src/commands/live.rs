//! Collecting a live estate: the SDK set-up, the accounts a run covers, and the collection
//! itself, shared by `scan`, `plan --live`, `collect` and `accounts`.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

use flowaudit::collect::{self, RetryMode, SdkClients, SdkOptions};
use flowaudit::snapshot::{self, Snapshot};

use super::args::{LiveArgs, RetryModeArg, parse_account};
use crate::progress::Bar;

/// Collects the accounts and regions the options name. Returns the snapshot and its JSON.
/// `extra_destinations` are inspected as well, although no flow log delivers to them;
/// `needs` is what the policy needs read beyond what the flags ask for.
pub(crate) fn collect_live(
    live: &LiveArgs,
    extra_destinations: Vec<flowaudit::destination::Destination>,
    needs: collect::ExtraReads,
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
            reads: live.reads(needs),
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
