//! What a plan makes worse: the existing estate and the planned one judged by the same
//! policy, and every check that passed before and does not after.

use std::collections::BTreeMap;

use crate::findings::{Category, Finding, PlanChange, Status};

/// Each finding that passes (or is waived) on the existing estate and is a problem on the
/// planned one, as a change the plan makes.
pub fn compare(existing: &[Finding], planned: &[Finding]) -> Vec<PlanChange> {
    let before: BTreeMap<_, Status> = existing.iter().map(|f| (f.key(), f.status)).collect();
    let mut changes: Vec<PlanChange> = planned
        .iter()
        .filter(|f| f.status.is_problem())
        .filter(|f| matches!(before.get(&f.key()), Some(Status::Pass | Status::Waived)))
        .map(|f| {
            let change = match (f.category, f.status) {
                (Category::Coverage, Status::Fail) => {
                    format!("removes coverage from {}: {}", f.resource_id, f.message)
                }
                (_, Status::Fail) => {
                    format!("makes {} fail {}: {}", f.resource_id, f.rule_id, f.message)
                }
                _ => format!(
                    "leaves {} of {} unknown until apply: {}",
                    f.rule_id, f.resource_id, f.message
                ),
            };
            PlanChange {
                resource_id: f.resource_id.clone(),
                address: String::new(),
                change,
            }
        })
        .collect();
    changes.sort();
    changes
}
