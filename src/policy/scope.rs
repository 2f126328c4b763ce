//! Choosing the profile that applies to a VPC or a transit gateway.

use std::collections::BTreeSet;

use super::model::{Connectivity, Requirements, Selector};
use crate::snapshot::{Tag, TransitGateway, Vpc, tag_map};

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub selector: Selector,
    pub requirements: Requirements,
}

impl Selector {
    /// Whether a VPC seen in `account_id`/`region` is selected. Every criterion given
    /// must hold.
    pub fn matches(&self, account_id: &str, region: &str, vpc: &Vpc) -> bool {
        self.matches_tagged(account_id, region, &vpc.tags)
    }

    /// Whether a tagged resource in `account_id`/`region` is selected, reading the
    /// `vpc_tags` criterion on its own tags (a transit gateway's, say).
    pub fn matches_tagged(&self, account_id: &str, region: &str, tags: &[Tag]) -> bool {
        let tags = tag_map(tags);
        let tags_ok = self.vpc_tags.iter().all(|(key, accepted)| {
            tags.get(key.as_str())
                .is_some_and(|value| accepted.iter().any(|a| a == value))
        });
        self.matches_place(account_id, region) && tags_ok
    }
}

impl Selector {
    /// Whether a resource outside any VPC (a log group) in `account_id`/`region` is
    /// selected: the account and region criteria must hold; VPC tags cannot apply.
    pub fn matches_place(&self, account_id: &str, region: &str) -> bool {
        (self.accounts.is_empty() || self.accounts.iter().any(|a| a.0 == account_id))
            && (self.regions.is_empty() || self.regions.iter().any(|r| r == region))
    }
}

/// Which profile judges a VPC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProfileChoice<'p> {
    Selected(&'p Profile),
    /// This profile would select the VPC by every other criterion, but asks about
    /// connectivity that could not be read: the VPC is not judged by any later profile.
    Undecided(&'p Profile),
    /// No profile selects it and the policy has no default.
    None,
}

impl super::Policy {
    /// Whether any profile selects VPCs by connectivity (a live scan then lists it).
    pub fn uses_connectivity(&self) -> bool {
        self.profiles
            .iter()
            .any(|p| !p.selector.connectivity.is_empty())
    }

    /// Whether any profile checks the records themselves (the `records` section, or
    /// `s3.immediately_available_days`): only then does an observation decide a verdict.
    pub fn checks_records(&self) -> bool {
        self.profiles.iter().any(|p| {
            p.requirements.records.is_some()
                || p.requirements
                    .s3
                    .as_ref()
                    .is_some_and(|s| s.immediately_available_days.is_some())
        })
    }

    /// The longest `records.max_silence` of any profile.
    pub fn longest_silence(&self) -> Option<super::Silence> {
        self.profiles
            .iter()
            .filter_map(|p| p.requirements.records.as_ref()?.max_silence)
            .max()
    }

    /// The first profile that selects the VPC. `connectivity` is what connects the VPC, or
    /// `None` when it could not be read; only a profile that asks about it needs it.
    pub fn profile_for(
        &self,
        account_id: &str,
        region: &str,
        vpc: &Vpc,
        connectivity: Option<&BTreeSet<Connectivity>>,
    ) -> ProfileChoice<'_> {
        for p in &self.profiles {
            if !p.selector.matches(account_id, region, vpc) {
                continue;
            }
            if p.selector.connectivity.is_empty() {
                return ProfileChoice::Selected(p);
            }
            match connectivity {
                None => return ProfileChoice::Undecided(p),
                Some(has) if p.selector.connectivity.iter().any(|c| has.contains(c)) => {
                    return ProfileChoice::Selected(p);
                }
                Some(_) => {}
            }
        }
        ProfileChoice::None
    }

    /// The first profile that selects a transit gateway, by its place and its own tags.
    pub fn profile_for_gateway(
        &self,
        account_id: &str,
        region: &str,
        gateway: &TransitGateway,
    ) -> Option<&Profile> {
        // Connectivity is a VPC's: a profile that asks about it selects no gateway.
        self.profiles.iter().find(|p| {
            p.selector.connectivity.is_empty()
                && p.selector.matches_tagged(account_id, region, &gateway.tags)
        })
    }
}
