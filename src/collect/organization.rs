//! The accounts of an AWS Organization, from its management or a delegated-admin account.
//!
//! ListAccounts returns at most 20 accounts a page, so every NextToken is followed. Accounts
//! are selected by `State` = ACTIVE: the older `Status` field is being retired. Under
//! `--ou`, the accounts directly in each organisational unit and in every unit below it.

use std::collections::BTreeSet;

use aws_sdk_organizations::types::{Account, AccountState};

use super::CollectError;
use super::attempts::observed;
use super::errors::describe;

/// The largest page these calls return.
const PAGE: i32 = 20;

fn active_id(account: &Account) -> Option<String> {
    (account.state() == Some(&AccountState::Active))
        .then(|| account.id().map(str::to_string))
        .flatten()
}

fn failed<E, R>(
    operation: &str,
    e: &aws_sdk_organizations::error::SdkError<E, R>,
    attempts: &super::attempts::Attempts,
) -> CollectError
where
    E: aws_sdk_organizations::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let (code, message) = describe(e, attempts);
    CollectError::Organization(format!(
        "organizations:{operation} failed: {code}: {message}"
    ))
}

/// Runs a paginated Organizations request to its last page, handing each page to `$take`;
/// a failed page ends the listing with an error naming the operation.
macro_rules! each_page {
    ($request:expr, $operation:literal, |$page:ident| $take:expr) => {{
        let mut pages = $request.max_results(PAGE).into_paginator().send();
        loop {
            let (page, attempts) = observed(pages.next()).await;
            let Some(page) = page else { break };
            let $page = page.map_err(|e| failed($operation, &e, &attempts))?;
            $take;
        }
    }};
}

/// The ACTIVE accounts of the organisation, or of the given units and those below them.
pub async fn active_accounts(
    client: &aws_sdk_organizations::Client,
    units: &[String],
) -> Result<Vec<String>, CollectError> {
    let mut ids = BTreeSet::new();
    if units.is_empty() {
        each_page!(client.list_accounts(), "ListAccounts", |page| ids
            .extend(page.accounts().iter().filter_map(active_id)));
        return Ok(ids.into_iter().collect());
    }
    let mut pending: Vec<String> = units.to_vec();
    let mut seen = BTreeSet::new();
    while let Some(unit) = pending.pop() {
        if !seen.insert(unit.clone()) {
            continue;
        }
        each_page!(
            client.list_accounts_for_parent().parent_id(&unit),
            "ListAccountsForParent",
            |page| ids.extend(page.accounts().iter().filter_map(active_id))
        );
        each_page!(
            client
                .list_organizational_units_for_parent()
                .parent_id(&unit),
            "ListOrganizationalUnitsForParent",
            |page| pending.extend(
                page.organizational_units()
                    .iter()
                    .filter_map(|u| u.id().map(str::to_string))
            )
        );
    }
    Ok(ids.into_iter().collect())
}
