//! Live collection: AWS SDK -> snapshot. No SDK type leaves this module.
//!
//! Each region is listed once per resource type, page by page, concurrently under a bound;
//! buckets and delivery streams that flow logs deliver to are inspected once each. Nothing
//! is fetched per VPC, subnet or ENI. Every failed call is recorded in the snapshot's
//! `collection_errors`; the evaluation turns each into an `error` finding.

mod accounts;
pub(crate) mod attempts;
pub mod clients;
mod connectivity;
mod ec2;
pub(crate) mod errors;
mod firehose;
mod logs;
mod observe;
pub mod organization;
pub(crate) mod pace;
mod s3;
pub mod shards;
mod telemetry;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use accounts::{AccountTarget, RoleEntry, enter_account, enter_accounts};
pub use clients::{ClientSource, RegionClients, RetryMode, SdkClients, SdkOptions};
pub use observe::{
    DEFAULT_LOOKBACK_DAYS, HOUR_LOOKUPS_PER_FLOW_LOG, Observed, STREAM_LOOKUPS_PER_GROUP, observe,
};

use crate::destination::{self, Destination};
use crate::snapshot::{
    AccountSnapshot, CollectionError, CollectionScope, ENDPOINT_UNREACHABLE, RegionSnapshot,
    Snapshot, consistency,
};

/// Failures that stop a collection before it starts.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(
        "no AWS credentials were found. Set AWS_PROFILE or pass --profile, log in with `aws sso login`, \
         or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials,
    #[error(
        "no region to scan: pass --region REGION (repeatable) or --all-regions, or set AWS_REGION or a region in your profile"
    )]
    NoRegion,
    #[error(
        "cannot identify the account, so nothing was scanned: sts:GetCallerIdentity failed in every region tried ({tried}): {failures}"
    )]
    Identity { tried: String, failures: String },
    #[error("cannot list the account's regions, so nothing was scanned: {0}")]
    Regions(String),
    #[error("cannot list the organisation's accounts, so nothing was scanned: {0}")]
    Organization(String),
}

impl CollectError {
    /// Whether the failure means AWS could not be seen (exit 3), rather than that the
    /// input or configuration is wrong (exit 2).
    pub fn is_unseen(&self) -> bool {
        matches!(
            self,
            CollectError::Identity { .. } | CollectError::Regions(_)
        )
    }
}

/// Reports collection progress, for a progress bar.
pub trait Progress: Send + Sync {
    /// `pairs` (account, region) pairs are about to be collected.
    fn start(&self, _pairs: usize) {}
    fn region_done(&self, _account: &str, _region: &str, _resources: usize, _errors: usize) {}
    fn buckets(&self, _count: usize) {}
    fn bucket_done(&self, _name: &str) {}
    fn finish(&self) {}
}

/// Progress that is not shown.
pub struct Quiet;
impl Progress for Quiet {}

/// What one region produced.
pub struct RegionOutcome {
    pub data: RegionSnapshot,
    pub errors: Vec<CollectionError>,
    /// Calls made (pages included, retries not).
    pub requests: usize,
    /// The region's endpoint could not be reached: no further call is made there, since
    /// each would only wait through its own retries to fail the same way.
    pub unreachable: bool,
}

impl RegionOutcome {
    /// An outcome with nothing collected yet.
    fn new(region: &str) -> RegionOutcome {
        RegionOutcome {
            data: RegionSnapshot::new(region),
            errors: vec![],
            requests: 0,
            unreachable: false,
        }
    }

    /// Marks the region unreachable, recording `error` as the one error that stands for
    /// every call of the region (see `snapshot::ENDPOINT_UNREACHABLE`).
    fn mark_unreachable(&mut self, error: &mut CollectionError) {
        self.unreachable = true;
        error.message = format!(
            "{} failed ({}: {}); the region's endpoint did not answer, so no other call was made in {}",
            error.operation, error.code, error.message, error.region
        );
        error.code = ENDPOINT_UNREACHABLE.to_string();
    }
}

pub struct Collected {
    pub snapshot: Snapshot,
    /// Calls `collect` made, one per page (retries not counted). The account and region
    /// look-ups before it (GetCallerIdentity, DescribeRegions) are not included.
    pub requests: usize,
}

/// Whether a failed call failed for want of credentials, not for what AWS answered.
fn lacks_credentials(code: Option<&str>, message: &str) -> bool {
    code.is_none()
        && (message.contains("CredentialsNotLoaded") || message.contains("no providers in chain"))
}

/// The account the credentials belong to (sts:GetCallerIdentity). Asked in each scanned
/// region in turn, then in us-east-1 (the global endpoint's region), until one answers, so
/// that one unreachable or throttled region does not stop the scan.
pub async fn account_id(
    clients: &dyn ClientSource,
    regions: &[String],
) -> Result<String, CollectError> {
    let mut tried: Vec<&str> = regions.iter().map(String::as_str).collect();
    if !tried.contains(&"us-east-1") {
        tried.push("us-east-1");
    }
    let mut failures = Vec::new();
    for region in &tried {
        let (answer, attempts) =
            attempts::observed(clients.sts(region).get_caller_identity().send()).await;
        match answer {
            Ok(id) => match id.account() {
                Some(account) => return Ok(account.to_string()),
                None => failures.push(format!("{region}: GetCallerIdentity returned no account")),
            },
            Err(e) => {
                let (code, message) = errors::describe(&e, &attempts);
                if lacks_credentials(errors::code(&e), &message) {
                    tracing::debug!("credentials: {message}");
                    return Err(CollectError::NoCredentials);
                }
                tracing::warn!(region, code = %code, "GetCallerIdentity failed: {message}");
                failures.push(format!("{region}: {code}: {message}"));
            }
        }
    }
    Err(CollectError::Identity {
        tried: tried.join(", "),
        failures: failures.join("; "),
    })
}

/// The regions to scan: those given, all enabled ones, or the configured default.
pub async fn regions(
    clients: &dyn ClientSource,
    given: &[String],
    all: bool,
) -> Result<Vec<String>, CollectError> {
    let mut regions: Vec<String> = if all {
        let home = clients
            .default_region()
            .unwrap_or_else(|| "us-east-1".to_string());
        ec2::enabled_regions(&clients.region(&home).ec2)
            .await
            .map_err(|message| {
                if lacks_credentials(None, &message) {
                    CollectError::NoCredentials
                } else {
                    CollectError::Regions(message)
                }
            })?
    } else if given.is_empty() {
        clients.default_region().into_iter().collect()
    } else {
        given.to_vec()
    };
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Err(CollectError::NoRegion);
    }
    Ok(regions)
}

/// What a run reads in every (account, region) beyond what coverage always needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtraReads {
    /// The CloudWatch telemetry rules that create VPC flow logs.
    pub telemetry_rules: bool,
    /// What connects each VPC outside itself, for profiles that select VPCs by it.
    pub connectivity: bool,
    /// Observe the records at the destinations (`--observe`), searching each flow log's
    /// newest file back this many days.
    pub observe_days: Option<u32>,
}

async fn collect_region(
    clients: Arc<dyn ClientSource>,
    account_id: String,
    region: String,
    reads: ExtraReads,
) -> RegionOutcome {
    let mut out = RegionOutcome::new(&region);
    let c = clients.region(&region);
    ec2::collect(&c.ec2, &account_id, &region, reads.connectivity, &mut out).await;
    if out.unreachable {
        return out;
    }
    logs::collect(&c.logs, &account_id, &region, &mut out).await;

    // Only the streams this region's flow logs use, and only those this account can describe.
    let streams: BTreeSet<String> = out
        .data
        .flow_logs
        .iter()
        .filter_map(|fl| match destination::resolve(fl, &account_id, &region) {
            Ok(r) => match r.destination {
                Destination::DeliveryStream {
                    account_id: a,
                    region: r,
                    name,
                } if a == account_id && r == region => Some(name),
                _ => None,
            },
            Err(_) => None,
        })
        .collect();
    let streams: Vec<String> = streams.into_iter().collect();
    firehose::collect(&c.firehose, &account_id, &region, &streams, &mut out).await;
    if reads.telemetry_rules {
        telemetry::collect(&c.telemetry, &account_id, &region, &mut out).await;
    }

    let d = &mut out.data;
    d.vpcs.sort_by(|a, b| a.vpc_id.cmp(&b.vpc_id));
    d.subnets.sort_by(|a, b| a.subnet_id.cmp(&b.subnet_id));
    d.network_interfaces
        .sort_by(|a, b| a.network_interface_id.cmp(&b.network_interface_id));
    d.flow_logs
        .sort_by(|a, b| a.flow_log_id.cmp(&b.flow_log_id));
    d.log_groups
        .sort_by(|a, b| a.log_group_name.cmp(&b.log_group_name));
    d.delivery_streams
        .sort_by(|a, b| a.delivery_stream_name.cmp(&b.delivery_stream_name));
    // Listings that disagree were cut short somewhere; say so in the snapshot itself.
    let gaps = consistency::listing_gaps(&account_id, &out.data);
    out.errors.extend(gaps);
    out
}

/// A collection task that failed inside flowaudit: recorded like any failed call.
fn internal_error(
    account_id: &str,
    region: &str,
    operation: &str,
    e: &tokio::task::JoinError,
) -> CollectionError {
    CollectionError {
        account_id: account_id.to_string(),
        region: region.to_string(),
        service: "flowaudit".to_string(),
        operation: operation.to_string(),
        code: "InternalError".to_string(),
        message: e.to_string(),
        resource_id: None,
    }
}

/// Collects one account in the given regions, at most `concurrency` at a time.
pub async fn collect(
    clients: Arc<dyn ClientSource>,
    account_id: &str,
    regions: &[String],
    concurrency: usize,
    collected_at: String,
    progress: Arc<dyn Progress>,
) -> Collected {
    let target = AccountTarget {
        account_id: account_id.to_string(),
        clients: Ok(clients),
    };
    let accounts = Accounts {
        scanned: vec![target],
        archive: None,
        reads: ExtraReads::default(),
        extra_destinations: Vec::new(),
    };
    collect_accounts(accounts, regions, concurrency, collected_at, progress).await
}

/// Reads the organisation's CloudWatch telemetry rules for VPC flow logs into the snapshot,
/// through the caller (the management or a delegated-admin account) in `region`. A failure
/// is recorded as a collection error and leaves the rules absent.
pub async fn add_organization_telemetry_rules(
    collected: &mut Collected,
    caller: &dyn ClientSource,
    account_id: &str,
    region: &str,
) {
    let client = caller.region(region).telemetry;
    let (rules, errors, requests) = telemetry::organization(&client, account_id, region).await;
    let snapshot = &mut collected.snapshot;
    snapshot.organization_telemetry_rules = rules;
    snapshot.collection_errors.extend(errors);
    snapshot.collection_errors.sort();
    collected.requests += requests;
}

/// The accounts of a run: those scanned, and a log-archive account entered only to read
/// the buckets it owns.
pub struct Accounts {
    pub scanned: Vec<AccountTarget>,
    pub archive: Option<AccountTarget>,
    /// What else to read in every scanned account and region.
    pub reads: ExtraReads,
    /// Destinations to inspect although no flow log delivers to them yet: those a
    /// Terraform plan's new flow logs name (`flowaudit plan --live`). Buckets are read, and
    /// log groups outside the collected places looked up, as for any flow log's.
    pub extra_destinations: Vec<Destination>,
}

/// Collects several accounts in the given regions. Every (account, region) is collected
/// under one bound of `concurrency` at a time; buckets are inspected afterwards under a
/// bound of their own, each once per run however many accounts deliver to it, through the
/// first account (by id) that delivers to it and can read it. Log groups that flow logs
/// deliver to in another account are looked up, by name, in the account that holds them.
/// An account that could not be entered is recorded as its own collection error; the
/// others go on.
pub async fn collect_accounts(
    accounts: Accounts,
    regions: &[String],
    concurrency: usize,
    collected_at: String,
    progress: Arc<dyn Progress>,
) -> Collected {
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut errors = Vec::new();
    let mut entered: BTreeMap<String, Arc<dyn ClientSource>> = BTreeMap::new();
    let mut scope_accounts = Vec::new();
    // The archive account reads buckets and log groups; it is not scanned unless named.
    let mut readers_only: BTreeMap<String, Arc<dyn ClientSource>> = BTreeMap::new();
    if let Some(archive) = accounts.archive {
        match archive.clients {
            Ok(clients) => {
                readers_only.insert(archive.account_id, clients);
            }
            Err(e) => errors.push(e),
        }
    }
    for target in accounts.scanned {
        scope_accounts.push(target.account_id.clone());
        match target.clients {
            Ok(clients) => {
                entered.insert(target.account_id, clients);
            }
            Err(e) => errors.push(e),
        }
    }
    progress.start(entered.len() * regions.len());
    let reads = accounts.reads;
    let extra_destinations = accounts.extra_destinations;
    let mut tasks = JoinSet::new();
    for (account, clients) in &entered {
        for region in regions {
            let (clients, limit, account, region) = (
                clients.clone(),
                limit.clone(),
                account.clone(),
                region.clone(),
            );
            let progress = progress.clone();
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail.
                let _permit = limit.acquire_owned().await.ok();
                // A task's future is allocated when it is spawned, and an SDK call's future
                // is large: unboxed, 17,000 waiting pairs held about 330 MB before any ran.
                // Boxed here, only the pairs running hold theirs.
                let out = Box::pin(collect_region(
                    clients,
                    account.clone(),
                    region.clone(),
                    reads,
                ))
                .await;
                let d = &out.data;
                progress.region_done(
                    &account,
                    &region,
                    d.vpcs.len() + d.subnets.len() + d.network_interfaces.len() + d.flow_logs.len(),
                    out.errors.len(),
                );
                (account, out)
            });
        }
    }
    let mut outcomes: BTreeMap<String, Vec<RegionOutcome>> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((account, outcome)) => outcomes.entry(account).or_default().push(outcome),
            // A region task that panicked must still be visible as missing data.
            Err(e) => errors.push(internal_error("unknown", "unknown", "CollectRegion", &e)),
        }
    }

    // Log groups that flow logs deliver to in another account (or a region not scanned) are
    // looked up where they are, through that account's role, when it was entered.
    let lookups = foreign_log_groups(&outcomes, &extra_destinations);
    let mut tasks = JoinSet::new();
    for ((account, region), names) in lookups {
        let Some(clients) = entered
            .get(&account)
            .or_else(|| readers_only.get(&account))
            .cloned()
        else {
            continue;
        };
        let limit = limit.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            let mut out = RegionOutcome::new(&region);
            let c = clients.region(&region);
            Box::pin(logs::look_up(&c.logs, &account, &region, &names, &mut out)).await;
            out.data
                .log_groups
                .sort_by(|a, b| a.log_group_name.cmp(&b.log_group_name));
            (account, out)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((account, outcome)) => outcomes.entry(account).or_default().push(outcome),
            Err(e) => errors.push(internal_error("unknown", "unknown", "LookUpLogGroups", &e)),
        }
    }

    let mut requests = 0;
    // Which accounts deliver to each bucket, in account order.
    let mut bucket_users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (account, regions) in &outcomes {
        for o in regions {
            for fl in &o.data.flow_logs {
                if let Ok(r) = destination::resolve(fl, account, &o.data.region)
                    && let Destination::Bucket { name } = r.destination
                {
                    bucket_users
                        .entry(name)
                        .or_default()
                        .insert(account.clone());
                }
            }
        }
    }
    // Read through every scanned account, the owner first as for any bucket.
    for destination in &extra_destinations {
        if let Destination::Bucket { name } = destination {
            bucket_users
                .entry(name.clone())
                .or_default()
                .extend(outcomes.keys().cloned());
        }
    }
    progress.buckets(bucket_users.len());
    let home = regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".to_string());
    // Who owns each bucket: one ListBuckets per entered account (its own buckets). A
    // listing that fails only leaves owners unknown; the buckets are still read.
    let mut listing = JoinSet::new();
    for (account, clients) in entered.iter().chain(readers_only.iter()) {
        let (account, clients, home, limit) = (
            account.clone(),
            clients.clone(),
            home.clone(),
            limit.clone(),
        );
        listing.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            let owned = Box::pin(s3::owned_buckets(clients.as_ref(), &home, &account)).await;
            (account, owned)
        });
    }
    let mut owned: Vec<(String, Vec<String>)> = Vec::new();
    while let Some(joined) = listing.join_next().await {
        requests += 1;
        match joined {
            Ok(found) => owned.push(found),
            Err(e) => tracing::warn!("listing an account's buckets failed inside flowaudit: {e}"),
        }
    }
    owned.sort();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for (account, names) in owned {
        for name in names {
            owners.entry(name).or_insert_with(|| account.clone());
        }
    }
    let bucket_limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (name, users) in bucket_users {
        // The owner reads its bucket first, if it was entered; then the delivering accounts.
        let owner = owners.get(&name).cloned();
        let mut order: Vec<String> = owner.iter().cloned().collect();
        order.extend(users.into_iter().filter(|a| Some(a) != owner.as_ref()));
        let readers: Vec<(String, Arc<dyn ClientSource>)> = order
            .into_iter()
            .filter_map(|a| {
                let clients = entered.get(&a).or_else(|| readers_only.get(&a))?;
                Some((a, clients.clone()))
            })
            .collect();
        let (limit, home) = (bucket_limit.clone(), home.clone());
        let progress = progress.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            let mut out = Box::pin(inspect_bucket_once(&readers, &home, &name)).await;
            out.bucket.owner_account_id = owner;
            progress.bucket_done(&name);
            out
        });
    }
    let mut buckets = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(o) => {
                requests += o.requests;
                errors.extend(o.errors);
                buckets.push(o.bucket);
            }
            Err(e) => errors.push(internal_error("unknown", "global", "InspectBucket", &e)),
        }
    }
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    progress.finish();

    let mut accounts = Vec::new();
    for (account_id, mut regions) in outcomes {
        regions.sort_by(|a, b| a.data.region.cmp(&b.data.region));
        let mut region_data = Vec::new();
        for o in regions {
            requests += o.requests;
            errors.extend(o.errors);
            region_data.push(o.data);
        }
        accounts.push(AccountSnapshot {
            account_id,
            regions: region_data,
        });
    }
    scope_accounts.sort();
    scope_accounts.dedup();
    errors.sort();
    let mut snapshot = Snapshot {
        scope: CollectionScope {
            accounts: scope_accounts,
            regions: regions.to_vec(),
        },
        accounts,
        buckets,
        collection_errors: errors,
        ..Snapshot::empty(collected_at)
    };
    if let Some(days) = reads.observe_days {
        entered.extend(readers_only);
        let observed = observe(&snapshot, &entered, concurrency, days, chrono::Utc::now()).await;
        requests += observed.requests;
        snapshot.observations = Some(observed.observations);
    }
    Collected { snapshot, requests }
}

/// The log groups, by (account, region), that collected flow logs (or `extra` destinations)
/// deliver to where no region was collected: cross-account delivery, or a group in a region
/// not scanned.
fn foreign_log_groups(
    outcomes: &BTreeMap<String, Vec<RegionOutcome>>,
    extra: &[Destination],
) -> BTreeMap<(String, String), Vec<String>> {
    let collected: BTreeSet<(&str, &str)> = outcomes
        .iter()
        .flat_map(|(account, regions)| {
            regions
                .iter()
                .map(move |o| (account.as_str(), o.data.region.as_str()))
        })
        .collect();
    let resolved = outcomes.iter().flat_map(|(account, regions)| {
        regions.iter().flat_map(move |o| {
            o.data
                .flow_logs
                .iter()
                .filter_map(move |fl| destination::resolve(fl, account, &o.data.region).ok())
                .map(|r| r.destination)
        })
    });
    let mut wanted: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for destination in resolved.chain(extra.iter().cloned()) {
        if let Destination::LogGroup {
            account_id,
            region,
            name,
        } = destination
            && !collected.contains(&(account_id.as_str(), region.as_str()))
        {
            wanted.entry((account_id, region)).or_default().insert(name);
        }
    }
    wanted
        .into_iter()
        .map(|(place, names)| (place, names.into_iter().collect()))
        .collect()
}

/// Inspects a bucket through the first reader that gets any answer from it; when none
/// does, every reader's failures are kept.
async fn inspect_bucket_once(
    readers: &[(String, Arc<dyn ClientSource>)],
    home: &str,
    name: &str,
) -> s3::BucketOutcome {
    let mut failed = Vec::new();
    let mut requests = 0;
    for (account, clients) in readers {
        let mut out = s3::inspect(clients.as_ref(), home, account, name).await;
        requests += out.requests;
        if out.bucket.exists.is_some() || readers.len() == 1 {
            out.requests = requests;
            if out.bucket.exists.is_none() {
                out.errors.extend(failed);
            }
            return out;
        }
        tracing::info!(bucket = name, account = %account, "bucket not readable from this account; trying the next that delivers to it");
        failed.extend(out.errors);
    }
    s3::BucketOutcome {
        bucket: s3::unread(name),
        errors: failed,
        requests,
    }
}
