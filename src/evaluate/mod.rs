//! Snapshot + policy + date -> findings. Pure: no I/O and no clock; the same inputs always
//! give the same findings in the same order.

mod context;
mod coverage;
mod destinations;
mod errors;
mod estate;
mod qualification;
mod waivers;

pub use context::{Context, DestinationUse, ScopedFlowLog, ScopedVpc, short_list};
pub use coverage::{Gap, gap};
pub use destinations::{DestinationState, Subtree};
pub use errors::{ErrorIndex, describe};
pub use estate::{Estate, RegionView};
pub use qualification::Qualification;
pub use waivers::WaiverUse;

use chrono::NaiveDate;

use crate::findings::{Finding, OutOfScope};
use crate::policy::Policy;
use crate::rules;
use crate::snapshot::Snapshot;

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Sorted by rule id, account, region and resource.
    pub findings: Vec<Finding>,
    pub out_of_scope: Vec<OutOfScope>,
    /// Every waiver of the policy, with what it matched.
    pub waivers: Vec<WaiverUse>,
}

pub fn evaluate(snapshot: &Snapshot, policy: &Policy, today: NaiveDate) -> Evaluation {
    let errors = errors::all_errors(snapshot);
    let estate = Estate::new(snapshot, &errors);
    let ctx = Context::new(&estate, policy, today);
    let mut findings = Vec::new();
    rules::check_all(&ctx, &mut findings);
    for f in &mut findings {
        if let Some(sev) = policy.severity_overrides.get(&f.rule_id) {
            f.severity = *sev;
        }
        // Key order must not depend on whether a build enables serde_json's preserve_order.
        f.evidence.sort_all_objects();
    }
    let waivers = waivers::apply(policy, today, &mut findings);
    findings.sort_by(|a, b| {
        (
            &a.rule_id,
            &a.account_id,
            &a.region,
            &a.resource_id,
            &a.message,
        )
            .cmp(&(
                &b.rule_id,
                &b.account_id,
                &b.region,
                &b.resource_id,
                &b.message,
            ))
    });
    Evaluation {
        findings,
        out_of_scope: ctx.out_of_scope,
        waivers,
    }
}
