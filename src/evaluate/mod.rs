//! Snapshot + policy + date -> findings. Pure: no I/O and no clock; the same inputs always
//! give the same findings in the same order.
//!
//! The step above the rules: it builds the resolved index (`crate::index`), runs every rule
//! family over it, then applies severity overrides, a plan's unknowns and the waivers, and
//! sorts.

mod plan;
mod waivers;

pub use waivers::WaiverUse;

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::findings::{CoverageCell, Finding, OutOfScope, RecordsRow};
use crate::index::{Context, Estate, FastMap, FastSet};
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
    /// ENI coverage per scanned account and region, in account then region order.
    pub coverage: Vec<CoverageCell>,
    /// What `--observe` saw per destination; empty when nothing was observed.
    pub records: Vec<RecordsRow>,
}

pub fn evaluate(snapshot: &Snapshot, policy: &Policy, today: NaiveDate) -> Evaluation {
    let errors = crate::index::all_errors(snapshot);
    let estate = Estate::new(snapshot, &errors);
    let ctx = Context::new(&estate, policy, today);
    let mut findings = Vec::new();
    rules::check_all(&ctx, &mut findings);
    for f in &mut findings {
        if let Some(sev) = policy.severity_overrides.get(&f.rule_id) {
            f.severity = *sev;
        }
    }
    if let Some(facts) = &snapshot.plan {
        plan::apply(facts, policy, &mut findings);
    }
    let waivers = waivers::apply(policy, today, &mut findings);
    sort_findings(&mut findings);
    let coverage = crate::index::coverage_cells(&ctx);
    let records = rules::records::rows(&ctx);
    Evaluation {
        findings,
        out_of_scope: ctx.out_of_scope,
        waivers,
        coverage,
        records,
    }
}

/// Sorts findings by rule id, account, region, resource and message. The rule and the
/// (account, region) place are ranked once, so that most comparisons are of integers
/// rather than of the long strings that equal prefixes would make them compare.
fn sort_findings(findings: &mut [Finding]) {
    // Few distinct values: deduplicate by hash, then sort those.
    let rule_ids: FastSet<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    let rule_ids: BTreeSet<&str> = rule_ids.into_iter().collect();
    let rules: FastMap<String, u32> = rule_ids
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v.to_string(), i as u32))
        .collect();
    let places: FastSet<(&str, &str)> = findings
        .iter()
        .map(|f| (f.account_id.as_str(), f.region.as_str()))
        .collect();
    let places: BTreeSet<(&str, &str)> = places.into_iter().collect();
    let mut place_rank: FastMap<String, FastMap<String, u32>> = FastMap::default();
    for (i, (account, region)) in places.into_iter().enumerate() {
        place_rank
            .entry(account.to_string())
            .or_default()
            .insert(region.to_string(), i as u32);
    }
    let mut order: Vec<(u32, u32, usize)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                rules[f.rule_id.as_str()],
                place_rank[f.account_id.as_str()][f.region.as_str()],
                i,
            )
        })
        .collect();
    order.sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| {
            let (x, y) = (&findings[a.2], &findings[b.2]);
            (&x.resource_id, &x.message, a.2).cmp(&(&y.resource_id, &y.message, b.2))
        })
    });
    let order: Vec<usize> = order.into_iter().map(|(_, _, i)| i).collect();
    permute_in_place(findings, order);
}

/// Puts `items[order[k]]` at position `k` for every `k`, by swaps along the permutation's
/// cycles: a thousand accounts' findings are not held twice while they are reordered.
fn permute_in_place<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut k = start;
        while order[k] != DONE {
            let from = order[k];
            order[k] = DONE;
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
}

#[cfg(test)]
mod permutation_tests {
    use super::permute_in_place;

    #[test]
    fn every_item_lands_where_the_order_says() {
        let orders: [&[usize]; 5] = [&[], &[0], &[1, 0], &[2, 0, 1], &[3, 4, 0, 1, 2, 5]];
        for order in orders {
            let items: Vec<char> = ('a'..).take(order.len()).collect();
            let mut permuted = items.clone();
            permute_in_place(&mut permuted, order.to_vec());
            let expected: Vec<char> = order.iter().map(|&i| items[i]).collect();
            assert_eq!(permuted, expected, "order {order:?}");
        }
    }
}
