//! Choosing the profile that applies to a VPC or a transit gateway.

use super::model::{Requirements, Selector};
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

impl super::Policy {
    /// The first profile that selects the VPC, if any.
    pub fn profile_for(&self, account_id: &str, region: &str, vpc: &Vpc) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.selector.matches(account_id, region, vpc))
    }

    /// The first profile that selects a transit gateway, by its place and its own tags.
    pub fn profile_for_gateway(
        &self,
        account_id: &str,
        region: &str,
        gateway: &TransitGateway,
    ) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.selector.matches_tagged(account_id, region, &gateway.tags))
    }
}
