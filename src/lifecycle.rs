//! Which S3 lifecycle rules really apply to flow-log objects, and what they add up to.
//!
//! A rule applies to the objects under a flow-log key prefix only if it is Enabled and its
//! filter matches every key there: an empty filter or a prefix that is a prefix of the
//! flow-log path. A longer prefix that is consistent with the path (one that adds a year,
//! say) or an object-size filter matches only some objects; a tag filter matches none,
//! because flow-log objects are written without tags.

use chrono::NaiveDate;
use serde::Serialize;

use crate::snapshot::LifecycleRule;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicability {
    /// Matches every object under the prefix.
    Full,
    /// Matches some objects only; it cannot be relied on for all of them.
    Partial(String),
    NotApplicable(String),
}

/// How one rule relates to one flow-log key prefix, for evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleApplicability {
    pub rule: String,
    /// full, partial or none.
    pub applies: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A lifecycle action and the rule it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub rule: String,
    /// Days after creation (or after becoming noncurrent). A Date is turned into the days
    /// left from the evaluation date, never fewer than 0.
    pub days: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

/// The lifecycle that applies to every object under one flow-log key prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effective {
    /// The earliest expiration of current objects among the rules that fully apply.
    pub expiration: Option<Action>,
    pub transitions: Vec<Action>,
    /// The earliest expiration of noncurrent versions among the rules that fully apply.
    pub noncurrent_expiration: Option<Action>,
    pub rules: Vec<RuleApplicability>,
}

impl Effective {
    /// Rules that match only part of the objects, for messages.
    pub fn partial_rules(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter(|r| r.applies == "partial")
            .map(|r| format!("{} ({})", r.rule, r.reason.as_deref().unwrap_or("")))
            .collect()
    }
}

fn rule_name(rule: &LifecycleRule, index: usize) -> String {
    rule.id
        .clone()
        .unwrap_or_else(|| format!("rule #{}", index + 1))
}

pub fn applicability(rule: &LifecycleRule, key_prefix: &str) -> Applicability {
    if rule.status != "Enabled" {
        return Applicability::NotApplicable(format!("Status is {}", rule.status));
    }
    let (prefix, tagged, sized) = match &rule.filter {
        Some(filter) => match &filter.and {
            Some(and) => (
                and.prefix.as_deref(),
                !and.tags.is_empty(),
                and.object_size_greater_than.is_some() || and.object_size_less_than.is_some(),
            ),
            None => (
                filter.prefix.as_deref().or(rule.prefix.as_deref()),
                filter.tag.is_some(),
                filter.object_size_greater_than.is_some() || filter.object_size_less_than.is_some(),
            ),
        },
        None => (rule.prefix.as_deref(), false, false),
    };
    if tagged {
        return Applicability::NotApplicable(
            "filters on object tags, and flow-log objects carry none".to_string(),
        );
    }
    let prefix = prefix.unwrap_or("");
    let by_prefix = if key_prefix.starts_with(prefix) {
        Applicability::Full
    } else if prefix.starts_with(key_prefix) {
        Applicability::Partial(format!(
            "prefix `{prefix}` covers only part of `{key_prefix}`"
        ))
    } else {
        return Applicability::NotApplicable(format!(
            "prefix `{prefix}` does not match `{key_prefix}`"
        ));
    };
    match by_prefix {
        Applicability::Full if sized => Applicability::Partial(
            "filters on object size, so only some flow-log objects match".to_string(),
        ),
        other => other,
    }
}

/// Days from `today` until an ISO 8601 date (or date-time) in a lifecycle rule.
fn days_until(date: &str, today: NaiveDate) -> Option<i64> {
    let day = date.get(..10)?;
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some((date - today).num_days().max(0))
}

/// Folds the rules that fully apply to `key_prefix` into one effective lifecycle.
pub fn effective(rules: &[LifecycleRule], key_prefix: &str, today: NaiveDate) -> Effective {
    let mut result = Effective {
        expiration: None,
        transitions: Vec::new(),
        noncurrent_expiration: None,
        rules: Vec::new(),
    };
    let earliest = |slot: &mut Option<Action>, action: Action| {
        if slot.as_ref().is_none_or(|a| action.days < a.days) {
            *slot = Some(action);
        }
    };
    for (index, rule) in rules.iter().enumerate() {
        let name = rule_name(rule, index);
        let (applies, reason) = match applicability(rule, key_prefix) {
            Applicability::Full => ("full", None),
            Applicability::Partial(r) => ("partial", Some(r)),
            Applicability::NotApplicable(r) => ("none", Some(r)),
        };
        result.rules.push(RuleApplicability {
            rule: name.clone(),
            applies,
            reason,
        });
        if applies != "full" {
            continue;
        }
        if let Some(exp) = &rule.expiration {
            let by_days = exp.days.map(|d| (i64::from(d), None));
            let by_date = exp
                .date
                .as_deref()
                .and_then(|d| days_until(d, today).map(|days| (days, Some(d.to_string()))));
            if let Some((days, date)) = by_days.or(by_date) {
                earliest(
                    &mut result.expiration,
                    Action {
                        rule: name.clone(),
                        days,
                        date,
                        storage_class: None,
                    },
                );
            }
        }
        for t in &rule.transitions {
            let by_days = t.days.map(|d| (i64::from(d), None));
            let by_date = t
                .date
                .as_deref()
                .and_then(|d| days_until(d, today).map(|days| (days, Some(d.to_string()))));
            if let Some((days, date)) = by_days.or(by_date) {
                result.transitions.push(Action {
                    rule: name.clone(),
                    days,
                    date,
                    storage_class: Some(t.storage_class.clone()),
                });
            }
        }
        if let Some(days) = rule
            .noncurrent_version_expiration
            .as_ref()
            .and_then(|n| n.noncurrent_days)
        {
            earliest(
                &mut result.noncurrent_expiration,
                Action {
                    rule: name.clone(),
                    days: i64::from(days),
                    date: None,
                    storage_class: None,
                },
            );
        }
    }
    result
        .transitions
        .sort_by(|a, b| (a.days, &a.rule).cmp(&(b.days, &b.rule)));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{LifecycleExpiration, LifecycleFilter, LifecycleFilterAnd, Tag};

    const KEY: &str = "AWSLogs/111122223333/vpcflowlogs/eu-west-1/";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn expiring(prefix: Option<&str>, days: i32) -> LifecycleRule {
        LifecycleRule {
            id: Some(format!("expire-{days}")),
            status: "Enabled".into(),
            filter: Some(LifecycleFilter {
                prefix: prefix.map(str::to_string),
                ..Default::default()
            }),
            expiration: Some(LifecycleExpiration {
                days: Some(days),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn empty_filter_and_shorter_prefix_apply_fully() {
        assert_eq!(applicability(&expiring(None, 1), KEY), Applicability::Full);
        assert_eq!(
            applicability(&expiring(Some(""), 1), KEY),
            Applicability::Full
        );
        assert_eq!(
            applicability(&expiring(Some("AWSLogs/"), 1), KEY),
            Applicability::Full
        );
        assert_eq!(
            applicability(&expiring(Some(KEY), 1), KEY),
            Applicability::Full
        );
    }

    #[test]
    fn longer_consistent_prefix_is_partial_and_other_prefix_does_not_apply() {
        let longer = format!("{KEY}2026/");
        assert!(matches!(
            applicability(&expiring(Some(&longer), 1), KEY),
            Applicability::Partial(_)
        ));
        assert!(matches!(
            applicability(
                &expiring(Some("AWSLogs/111122223333/vpcflowlogs/us-east-1/"), 1),
                KEY
            ),
            Applicability::NotApplicable(_)
        ));
        assert!(matches!(
            applicability(&expiring(Some("logs/"), 1), KEY),
            Applicability::NotApplicable(_)
        ));
    }

    #[test]
    fn disabled_tagged_and_sized_rules() {
        let mut disabled = expiring(None, 1);
        disabled.status = "Disabled".into();
        assert!(matches!(
            applicability(&disabled, KEY),
            Applicability::NotApplicable(_)
        ));

        let mut tagged = expiring(None, 1);
        tagged.filter = Some(LifecycleFilter {
            tag: Some(Tag {
                key: "k".into(),
                value: "v".into(),
            }),
            ..Default::default()
        });
        assert!(matches!(
            applicability(&tagged, KEY),
            Applicability::NotApplicable(_)
        ));

        let mut and_tagged = expiring(None, 1);
        and_tagged.filter = Some(LifecycleFilter {
            and: Some(LifecycleFilterAnd {
                prefix: Some("AWSLogs/".into()),
                tags: vec![Tag {
                    key: "k".into(),
                    value: "v".into(),
                }],
                ..Default::default()
            }),
            ..Default::default()
        });
        assert!(matches!(
            applicability(&and_tagged, KEY),
            Applicability::NotApplicable(_)
        ));

        let mut sized = expiring(None, 1);
        sized.filter = Some(LifecycleFilter {
            object_size_greater_than: Some(1024),
            ..Default::default()
        });
        assert!(matches!(
            applicability(&sized, KEY),
            Applicability::Partial(_)
        ));
    }

    #[test]
    fn legacy_top_level_prefix_is_honoured() {
        let mut legacy = expiring(None, 1);
        legacy.filter = None;
        legacy.prefix = Some("AWSLogs/999999999999/".into());
        assert!(matches!(
            applicability(&legacy, KEY),
            Applicability::NotApplicable(_)
        ));
        legacy.prefix = Some("AWSLogs/".into());
        assert_eq!(applicability(&legacy, KEY), Applicability::Full);
    }

    #[test]
    fn earliest_expiration_wins_and_dates_count_from_today() {
        let rules = vec![expiring(None, 365), expiring(Some("AWSLogs/"), 180)];
        assert_eq!(
            effective(&rules, KEY, today()).expiration.unwrap().days,
            180
        );

        let mut dated = expiring(None, 1);
        dated.expiration = Some(LifecycleExpiration {
            date: Some("2026-12-02T00:00:00.000Z".into()),
            ..Default::default()
        });
        let e = effective(&[dated.clone(), expiring(None, 365)], KEY, today());
        assert_eq!(e.expiration.unwrap().days, 10);
        let past = effective(&[dated], KEY, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(past.expiration.unwrap().days, 0);
    }
}
