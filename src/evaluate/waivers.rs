//! Applying waivers: a failure an unexpired waiver covers becomes `waived`; one that only an
//! expired waiver covers stays a failure and says so.

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::findings::{Finding, Status, WaiverRef};
use crate::policy::{Policy, Waiver};

/// A waiver and what it did in this evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverUse {
    pub rules: Vec<String>,
    pub resources: Vec<String>,
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
    pub expired: bool,
    /// Failures it waived, or (expired) would have waived.
    pub matched: usize,
}

struct CompiledWaiver<'a> {
    waiver: &'a Waiver,
    patterns: Vec<GlobMatcher>,
    expired: bool,
}

impl CompiledWaiver<'_> {
    fn covers(&self, f: &Finding) -> bool {
        let rule_ok =
            self.waiver.rules.is_empty() || self.waiver.rules.iter().any(|r| r.0 == f.rule_id);
        let resource_ok = self.patterns.is_empty()
            || self.patterns.iter().any(|p| {
                p.is_match(&f.resource_id)
                    || f.resource_arn.as_deref().is_some_and(|arn| p.is_match(arn))
            });
        rule_ok && resource_ok
    }

    fn reference(&self) -> WaiverRef {
        WaiverRef {
            reason: self.waiver.reason.clone(),
            approved_by: self.waiver.approved_by.clone(),
            expires: self.waiver.expires.to_string(),
            expired: self.expired,
        }
    }
}

pub(super) fn apply(
    policy: &Policy,
    today: chrono::NaiveDate,
    findings: &mut [Finding],
) -> Vec<WaiverUse> {
    let compiled: Vec<CompiledWaiver> = policy
        .waivers
        .iter()
        .map(|w| CompiledWaiver {
            waiver: w,
            // Patterns were validated when the policy was loaded.
            patterns: w
                .resources
                .iter()
                .filter_map(|p| Glob::new(p).ok().map(|g| g.compile_matcher()))
                .collect(),
            expired: w.expires < today,
        })
        .collect();
    let mut matched = vec![0usize; compiled.len()];
    for f in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        // An active waiver wins over an expired one that also matches.
        let active = compiled.iter().position(|w| !w.expired && w.covers(f));
        let expired = compiled.iter().position(|w| w.expired && w.covers(f));
        if let Some(i) = active {
            matched[i] += 1;
            f.status = Status::Waived;
            f.waiver = Some(Box::new(compiled[i].reference()));
        } else if let Some(i) = expired {
            matched[i] += 1;
            let w = compiled[i].reference();
            f.message
                .push_str(&format!(" (a waiver for this expired on {})", w.expires));
            f.waiver = Some(Box::new(w));
        }
    }
    compiled
        .iter()
        .zip(matched)
        .map(|(w, matched)| WaiverUse {
            rules: w.waiver.rules.iter().map(|r| r.0.clone()).collect(),
            resources: w.waiver.resources.clone(),
            reason: w.waiver.reason.clone(),
            approved_by: w.waiver.approved_by.clone(),
            expires: w.waiver.expires.to_string(),
            expired: w.expired,
            matched,
        })
        .collect()
}
