//! Publishing a report's findings to AWS Security Hub, and archiving exactly what the report
//! proves fixed or gone: never what it did not see.
//!
//! Planning is pure: given the report and what the hub holds in one account and region, it
//! says what to create, update and archive, and what to leave alone and why. The calls are
//! in `security_hub`.

pub mod security_hub;

use std::collections::{BTreeMap, BTreeSet};

use crate::findings::Status;
use crate::report::Report;
use crate::report::asff::{self, AsffFinding};

/// What a publish does beyond the defaults.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Publish every pass, not only those that update or archive a finding in the hub.
    pub include_passed: bool,
    /// RFC 3339 time of this publish: every import's `UpdatedAt`, and `CreatedAt` of a new
    /// finding.
    pub now: String,
}

/// One (account, region) of Security Hub.
pub type Place = (String, String);

/// What to do in one account and region.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlacePlan {
    pub create: Vec<AsffFinding>,
    pub update: Vec<AsffFinding>,
    pub archive: Vec<AsffFinding>,
    /// ACTIVE findings in the hub that this report neither confirms nor proves gone: the
    /// finding's Id and why it is left as it is.
    pub left_alone: Vec<(String, String)>,
}

impl PlacePlan {
    /// Everything to import, in order: creates, updates, archives.
    pub fn imports(&self) -> impl Iterator<Item = &AsffFinding> {
        self.create
            .iter()
            .chain(self.update.iter())
            .chain(self.archive.iter())
    }
}

/// What planning needs of a report, worked out once for every place: the rules it
/// evaluated, the places where something could not be evaluated, and its findings by place.
pub struct ReportIndex {
    rules: BTreeSet<String>,
    /// Places with `error` findings: a finding's absence there is no proof.
    incomplete: BTreeMap<Place, Vec<String>>,
    /// Indices into the report's findings, by the place they are published to.
    by_place: BTreeMap<Place, Vec<usize>>,
}

impl ReportIndex {
    pub fn of(report: &Report) -> ReportIndex {
        let mut index = ReportIndex {
            rules: BTreeSet::new(),
            incomplete: BTreeMap::new(),
            by_place: BTreeMap::new(),
        };
        for (i, f) in report.findings.iter().enumerate() {
            let place = (f.account_id.clone(), asff::region_of(report, f));
            index.rules.insert(f.rule_id.clone());
            if f.status == Status::Error {
                index
                    .incomplete
                    .entry(place.clone())
                    .or_default()
                    .push(format!("{} {}", f.rule_id, f.resource_id));
            }
            index.by_place.entry(place).or_default().push(i);
        }
        index
    }

    /// The places a report speaks for: its accounts times its regions and the regions of its
    /// buckets, and wherever it has a finding. A hub finding elsewhere is outside its scope.
    pub fn places(&self, report: &Report) -> Vec<Place> {
        let mut regions: BTreeSet<&str> =
            report.snapshot.regions.iter().map(String::as_str).collect();
        regions.extend(report.bucket_regions.values().map(String::as_str));
        let mut places: BTreeSet<Place> = self.by_place.keys().cloned().collect();
        for account in &report.snapshot.accounts {
            for region in &regions {
                places.insert((account.clone(), region.to_string()));
            }
        }
        places.into_iter().collect()
    }

    /// Why the report cannot speak for a hub finding it does not hold, if it cannot.
    fn unseen_reason(&self, report: &Report, hub: &AsffFinding) -> Option<String> {
        let place = (hub.aws_account_id.clone(), hub.region.clone());
        if !report.snapshot.accounts.contains(&hub.aws_account_id) {
            return Some(format!(
                "account {} is not in this report's scope",
                hub.aws_account_id
            ));
        }
        let in_regions = report.snapshot.regions.contains(&hub.region)
            || report.bucket_regions.values().any(|r| *r == hub.region);
        if !in_regions {
            return Some(format!(
                "region {} is not in this report's scope",
                hub.region
            ));
        }
        if let Some(errors) = self.incomplete.get(&place) {
            return Some(format!(
                "collection in {} {} was incomplete ({}), so its absence proves nothing",
                place.0,
                place.1,
                crate::index::short_list(errors)
            ));
        }
        let rule = hub.generator_id.trim_start_matches(asff::GENERATOR_PREFIX);
        if !self.rules.contains(rule) {
            return Some(format!(
                "rule {rule} was not evaluated by this report's policy"
            ));
        }
        None
    }
}

/// Plans one place. `hub` is what Security Hub holds there from flowaudit (any record state),
/// read before anything is written.
pub fn plan_place(
    report: &Report,
    index: &ReportIndex,
    place: &Place,
    hub: &[AsffFinding],
    options: &PublishOptions,
) -> PlacePlan {
    let by_id: BTreeMap<&str, &AsffFinding> = hub.iter().map(|h| (h.id.as_str(), h)).collect();
    let mut plan = PlacePlan::default();
    let mut reported = BTreeSet::new();
    let here = index
        .by_place
        .get(place)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for f in here.iter().map(|&i| &report.findings[i]) {
        let mut finding = asff::finding(report, f, &options.now, &options.now);
        reported.insert(finding.id.clone());
        let existing = by_id.get(finding.id.as_str()).copied();
        if let Some(old) = existing {
            // Keep when the hub first saw it (re-publishing must not reset it).
            finding.created_at = old.created_at.clone();
            if old.first_observed_at.is_some() {
                finding.first_observed_at = old.first_observed_at.clone();
            }
        }
        let active = existing.is_some_and(|old| old.record_state == "ACTIVE");
        match (f.status, existing) {
            (Status::Pass, _) if active => {
                resolve(&mut finding);
                plan.archive.push(finding);
            }
            (Status::Pass, _) if !options.include_passed => {}
            (_, Some(_)) => plan.update.push(finding),
            (_, None) => plan.create.push(finding),
        }
    }
    for old in hub {
        if old.record_state != "ACTIVE" || reported.contains(&old.id) {
            continue;
        }
        match index.unseen_reason(report, old) {
            Some(why) => plan.left_alone.push((old.id.clone(), why)),
            None => {
                // Gone from a complete run over its scope: fixed, or its resource deleted.
                let mut gone = old.clone();
                gone.updated_at = options.now.clone();
                resolve(&mut gone);
                plan.archive.push(gone);
            }
        }
    }
    plan
}

/// Marks a finding fixed: PASSED, RESOLVED and ARCHIVED.
fn resolve(finding: &mut AsffFinding) {
    finding.compliance.status = "PASSED".to_string();
    finding.workflow.status = "RESOLVED".to_string();
    finding.record_state = "ARCHIVED".to_string();
}
