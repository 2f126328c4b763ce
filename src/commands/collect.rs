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
