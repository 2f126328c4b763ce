//! `flowaudit publish security-hub`: a JSON report's findings into AWS Security Hub, each in
//! its own account and region, and the archiving of exactly what the report proves fixed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;

use flowaudit::collect::{self, SdkClients};
use flowaudit::publish::PublishOptions;
use flowaudit::publish::security_hub::{self, HubClients, PlaceOutcome};

use super::live::runtime;
use super::report_output::load_report;
use crate::exit;

#[derive(clap::Subcommand)]
pub(crate) enum PublishTarget {
    /// Import the findings into AWS Security Hub (BatchImportFindings), in each finding's
    /// account and region, and archive the flowaudit findings this report proves fixed or
    /// gone. Needs securityhub:BatchImportFindings and securityhub:GetFindings
    /// (docs/iam-publish-security-hub.json), in each account.
    SecurityHub(SecurityHubArgs),
}

#[derive(clap::Args)]
pub(crate) struct SecurityHubArgs {
    /// A JSON report written by `flowaudit scan --format json`.
    report: PathBuf,
    /// Print what would be created, updated, archived and left alone, per account and
    /// region, and call no write API.
    #[arg(long)]
    dry_run: bool,
    /// Publish every passing check too; by default a pass is published only to update or
    /// archive a finding already in the hub.
    #[arg(long)]
    include_passed: bool,
    #[command(flatten)]
    calls: super::args::CallArgs,
    /// Role to assume in each account other than the caller's:
    /// arn:aws:iam::{account}:role/{NAME}. Security Hub takes a finding only from the
    /// account it is about.
    #[arg(long, value_name = "NAME")]
    role_name: Option<String>,
    /// External id the role's trust policy requires.
    #[arg(long, requires = "role_name")]
    external_id: Option<String>,
    /// Session name of the assumed roles, as CloudTrail records it.
    #[arg(long, default_value = "flowaudit-publish", requires = "role_name")]
    role_session_name: String,
    /// Accounts and regions published at the same time.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

/// Clients per account: the caller's own, or a role's.
struct Entered {
    accounts: BTreeMap<String, Result<SdkClients, String>>,
}

impl HubClients for Entered {
    fn client(
        &self,
        account_id: &str,
        region: &str,
    ) -> Result<aws_sdk_securityhub::Client, String> {
        match self.accounts.get(account_id) {
            Some(Ok(clients)) => Ok(clients.security_hub(region)),
            Some(Err(why)) => Err(why.clone()),
            None => Err(format!("account {account_id} was not entered")),
        }
    }
}

pub(crate) fn run(target: PublishTarget) -> Result<ExitCode> {
    let PublishTarget::SecurityHub(args) = target;
    let report = load_report(&args.report)?;
    if report.gate.is_some() {
        anyhow::bail!(
            "{} is a `flowaudit plan` report: it judges an estate that does not exist yet, so it is not published; publish a `flowaudit scan --format json` report",
            args.report.display()
        );
    }
    let options = args.calls.sdk_options();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let report = Arc::new(report);
    let outcomes = runtime()?.block_on(async {
        let base = SdkClients::load(&options).await;
        let regions = collect::regions(&base, &report.snapshot.regions, false).await?;
        let caller = collect::account_id(&base, &regions).await?;
        let mut accounts: BTreeMap<String, Result<SdkClients, String>> = BTreeMap::new();
        let mut wanted: Vec<String> = report.snapshot.accounts.clone();
        wanted.extend(report.findings.iter().map(|f| f.account_id.clone()));
        wanted.sort();
        wanted.dedup();
        for account in wanted {
            let entered = if account == caller {
                Ok(SdkClients::from_config(base.config().clone()))
            } else {
                match &args.role_name {
                    Some(role) => {
                        let arn = format!(
                            "arn:{}:iam::{account}:role/{role}",
                            flowaudit::report::asff::partition(&regions[0])
                        );
                        Ok(base
                            .assume_role(&arn, &args.role_session_name, args.external_id.as_deref())
                            .await)
                    }
                    None => Err(format!(
                        "account {account} is not the caller's ({caller}); pass --role-name to enter it"
                    )),
                }
            };
            accounts.insert(account, entered);
        }
        let hubs: Arc<dyn HubClients> = Arc::new(Entered { accounts });
        let publish = PublishOptions {
            include_passed: args.include_passed,
            now,
        };
        Ok::<_, anyhow::Error>(
            security_hub::publish(report.clone(), hubs, publish, args.dry_run, args.concurrency)
                .await,
        )
    })?;
    print!("{}", summary(&outcomes, args.dry_run));
    let failed = outcomes.iter().any(|o| !o.failed.is_empty());
    Ok(ExitCode::from(if failed {
        exit::PUBLISH_FAILED
    } else {
        exit::OK
    }))
}

/// Per account and region what was (or would be) done, the findings left alone and the
/// failures, then one summary line.
fn summary(outcomes: &[PlaceOutcome], dry_run: bool) -> String {
    let mut out = String::new();
    let verb = if dry_run { "would " } else { "" };
    let (mut created, mut updated, mut archived, mut unseen, mut failed) = (0, 0, 0, 0, 0);
    for o in outcomes {
        let p = &o.plan;
        let (account, region) = &o.place;
        created += p.create.len();
        updated += p.update.len();
        archived += p.archive.len();
        unseen += p.left_alone.len();
        failed += o.failed.len();
        let busy = p.imports().next().is_some() || !p.left_alone.is_empty() || !o.failed.is_empty();
        if !busy {
            continue;
        }
        out.push_str(&format!(
            "{account} {region}: {verb}create {}, {verb}update {}, {verb}archive {}, leave {} alone\n",
            p.create.len(),
            p.update.len(),
            p.archive.len(),
            p.left_alone.len()
        ));
        if dry_run {
            for (what, list) in [
                ("create", &p.create),
                ("update", &p.update),
                ("archive", &p.archive),
            ] {
                for f in list {
                    out.push_str(&format!("  {what} {} ({})\n", f.id, f.compliance.status));
                }
            }
        }
        for (id, why) in &p.left_alone {
            out.push_str(&format!("  left alone {id}: {why}\n"));
        }
        for f in &o.failed {
            out.push_str(&format!("  failed {}: {}: {}\n", f.id, f.code, f.message));
        }
    }
    let (a, b, c) = if dry_run {
        ("would be created", "would be updated", "would be archived")
    } else {
        ("created", "updated", "archived")
    };
    out.push_str(&format!(
        "security hub: {created} {a}, {updated} {b}, {archived} {c}, {unseen} left alone because unseen, {failed} failed\n"
    ));
    out
}
