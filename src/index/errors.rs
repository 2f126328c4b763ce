//! The collection errors of a snapshot, indexed once, so that no rule scans the list.

use std::collections::BTreeSet;

use super::FastMap;

use crate::snapshot::{CollectionError, ENDPOINT_UNREACHABLE, Snapshot, consistency};

/// Every collection error: the snapshot's, and the gaps between its listings (the collector
/// records those too, but a snapshot from elsewhere may not), sorted and without repeats.
pub fn all_errors(snapshot: &Snapshot) -> Vec<CollectionError> {
    let mut all: BTreeSet<CollectionError> = snapshot.collection_errors.iter().cloned().collect();
    for account in &snapshot.accounts {
        for region in &account.regions {
            all.extend(consistency::listing_gaps(&account.account_id, region));
        }
    }
    all.into_iter().collect()
}

type Place<'a> = (&'a str, &'a str);

/// Collection errors by where the call was made and by what it was about.
pub struct ErrorIndex<'a> {
    all: &'a [CollectionError],
    /// (account, region, service) -> errors.
    by_service: FastMap<(&'a str, &'a str, &'a str), Vec<&'a CollectionError>>,
    /// (service, resource) -> errors.
    by_resource: FastMap<(&'a str, &'a str), Vec<&'a CollectionError>>,
    /// Places whose endpoint did not answer, with that error: every listing there is unknown.
    unreachable: FastMap<Place<'a>, Vec<&'a CollectionError>>,
}

impl<'a> ErrorIndex<'a> {
    pub fn new(all: &'a [CollectionError]) -> ErrorIndex<'a> {
        let mut index = ErrorIndex {
            all,
            by_service: FastMap::default(),
            by_resource: FastMap::default(),
            unreachable: FastMap::default(),
        };
        for e in all {
            let place = (e.account_id.as_str(), e.region.as_str());
            index
                .by_service
                .entry((place.0, place.1, e.service.as_str()))
                .or_default()
                .push(e);
            if let Some(resource) = &e.resource_id {
                index
                    .by_resource
                    .entry((e.service.as_str(), resource.as_str()))
                    .or_default()
                    .push(e);
            }
            if e.code == ENDPOINT_UNREACHABLE {
                index.unreachable.entry(place).or_default().push(e);
            }
        }
        index
    }

    /// Every collection error, sorted.
    pub fn all(&self) -> &'a [CollectionError] {
        self.all
    }

    /// The failures of some of one service's operations in one account and region; a
    /// region whose endpoint did not answer fails every operation.
    pub fn listing(
        &self,
        account_id: &str,
        region: &str,
        service: &str,
        operations: &[&str],
    ) -> Vec<&'a CollectionError> {
        let mut found: Vec<&'a CollectionError> = self
            .by_service
            .get(&(account_id, region, service))
            .into_iter()
            .flatten()
            .copied()
            .filter(|e| operations.contains(&e.operation.as_str()))
            .collect();
        if let Some(dead) = self.unreachable.get(&(account_id, region)) {
            found.extend(dead.iter().copied());
            found.sort();
            found.dedup();
        }
        found
    }

    /// The failures of calls about one resource (a bucket, a delivery stream).
    pub fn about(&self, service: &str, resource_id: &str) -> Vec<&'a CollectionError> {
        self.by_resource
            .get(&(service, resource_id))
            .cloned()
            .unwrap_or_default()
    }
}

/// "AccessDenied on GetBucketLocation, GetBucketVersioning": failures grouped by error code.
pub fn describe(errors: &[&CollectionError]) -> String {
    let mut by_code: std::collections::BTreeMap<&str, Vec<&str>> =
        std::collections::BTreeMap::new();
    for e in errors {
        by_code
            .entry(e.code.as_str())
            .or_default()
            .push(e.operation.as_str());
    }
    by_code
        .into_iter()
        .map(|(code, mut ops)| {
            ops.sort();
            ops.dedup();
            format!("{code} on {}", ops.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
