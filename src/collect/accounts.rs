//! Entering the accounts of a run: the caller's own, or each through the role it names,
//! proven with sts:GetCallerIdentity.

use super::*;
use crate::collect::pace::{ASSUME_ROLE_PER_SECOND, Pacer};

/// How to enter accounts other than the caller's.
#[derive(Debug, Clone)]
pub struct RoleEntry {
    /// The role assumed in each account: `arn:aws:iam::{account}:role/{name}`.
    pub role_name: String,
    pub external_id: Option<String>,
    pub session_name: String,
}

/// The clients for one account: the caller's own, or those of the role assumed there,
/// proven with sts:GetCallerIdentity. A role that cannot be assumed (or that answers for
/// another account) is one collection error for that account, and the run goes on.
pub async fn enter_account(
    base: &SdkClients,
    caller: &str,
    account_id: &str,
    role: Option<&RoleEntry>,
    region: &str,
) -> AccountTarget {
    enter_account_paced(base, caller, account_id, role, region, None).await
}

/// [`enter_account`], waiting for a slot of `pace` before the role is assumed.
async fn enter_account_paced(
    base: &SdkClients,
    caller: &str,
    account_id: &str,
    role: Option<&RoleEntry>,
    region: &str,
    pace: Option<&Pacer>,
) -> AccountTarget {
    let failed = |message: String, arn: &str| AccountTarget {
        account_id: account_id.to_string(),
        clients: Err(CollectionError {
            account_id: account_id.to_string(),
            region: "global".to_string(),
            service: "sts".to_string(),
            operation: "AssumeRole".to_string(),
            code: "AssumeRoleFailed".to_string(),
            message,
            resource_id: Some(arn.to_string()),
        }),
    };
    let Some(role) = role else {
        return AccountTarget {
            account_id: account_id.to_string(),
            clients: Ok(Arc::new(SdkClients::from_config(base.config().clone()))),
        };
    };
    let arn = format!("arn:aws:iam::{account_id}:role/{}", role.role_name);
    let assumed = base
        .assume_role(&arn, &role.session_name, role.external_id.as_deref())
        .await;
    if let Some(pace) = pace {
        pace.wait().await;
    }
    // The role is assumed by this first call's credential fetch.
    let (answer, attempts) =
        attempts::observed(assumed.sts(region).get_caller_identity().send()).await;
    match answer {
        Ok(id) if id.account() == Some(account_id) => AccountTarget {
            account_id: account_id.to_string(),
            clients: Ok(Arc::new(assumed)),
        },
        Ok(id) => failed(
            format!(
                "{arn} answered for account {}, not {account_id}",
                id.account().unwrap_or("(none)")
            ),
            &arn,
        ),
        Err(e) => {
            let (code, message) = errors::describe(&e, &attempts);
            tracing::warn!(
                account = account_id,
                caller,
                "cannot assume {arn}: {code}: {message}"
            );
            failed(format!("cannot assume {arn}: {code}: {message}"), &arn)
        }
    }
}

/// Enters every account, at most `concurrency` at a time and the roles at STS's pace (see
/// `pace::ASSUME_ROLE_PER_SECOND`): unpaced, 512 accounts entered at once drew throttling
/// that outlasted the SDK's retry quota, and those accounts went unscanned. Returns them in
/// account order.
/// The caller's own account is read with the caller's own credentials: a management
/// account need not hold the member role.
pub async fn enter_accounts(
    base: Arc<SdkClients>,
    caller: &str,
    accounts: &[String],
    role: Option<RoleEntry>,
    region: &str,
    concurrency: usize,
) -> Vec<AccountTarget> {
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let pace = Arc::new(Pacer::per_second(ASSUME_ROLE_PER_SECOND));
    let mut tasks = JoinSet::new();
    let mut task_accounts = BTreeMap::new();
    for account in accounts {
        let role = role.clone().filter(|_| account != caller);
        let (base, limit, pace) = (base.clone(), limit.clone(), pace.clone());
        let (caller, id, region) = (caller.to_string(), account.clone(), region.to_string());
        let task = tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            // Boxed once running (see `collect_accounts`).
            Box::pin(enter_account_paced(
                &base,
                &caller,
                &id,
                role.as_ref(),
                &region,
                Some(&pace),
            ))
            .await
        });
        task_accounts.insert(task.id(), account.clone());
    }
    let mut targets = Vec::new();
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((_, target)) => targets.push(target),
            // An account whose entry failed inside flowaudit is still in scope, as an error.
            Err(e) => {
                let account = task_accounts.get(&e.id()).cloned().unwrap_or_default();
                targets.push(AccountTarget {
                    clients: Err(internal_error(&account, "global", "AssumeRole", &e)),
                    account_id: account,
                });
            }
        }
    }
    targets.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    targets
}

/// One account to collect: its id, and its clients or why it could not be entered.
#[derive(Clone)]
pub struct AccountTarget {
    pub account_id: String,
    pub clients: Result<Arc<dyn ClientSource>, CollectionError>,
}
