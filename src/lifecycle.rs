//! Which S3 lifecycle rules really apply to flow-log objects, and what they add up to.
//!
//! A rule applies to the objects under a flow-log key prefix only if it is Enabled and its
//! filter matches every key there: an empty filter or a prefix that is a prefix of the
//! flow-log path. A longer prefix that is consistent with the path (one that adds a year,
//! say) matches only some objects; a tag filter matches none, because flow-log objects are
//! written without tags.
//!
//! Size filters are judged against what flow-log objects can be. Every object is a gzip
//! file or a Parquet file, so never smaller than [`MIN_OBJECT_BYTES`] (a gzip file has a
//! 10-byte header, an 8-byte trailer and at least 2 bytes of data), and AWS closes a log
//! file at [`MAX_OBJECT_BYTES`] (75 MB). A filter that every size in that range meets, such
//! as `ObjectSizeGreaterThan: 0`, applies to every object; any other size filter applies to
//! some objects only.
//!
//! Versioning: flow-log keys are written once, so each key has at most one noncurrent
//! version (the one its expiration leaves behind). `NewerNoncurrentVersions: N` keeps N
//! newer noncurrent versions before expiring one, so with N of 1 or more that single
//! version is never expired.
//!
//! Transitions: a transition on or after the day the objects expire never happens. Since
//! September 2024 `TransitionDefaultMinimumObjectSize` defaults to
//! `all_storage_classes_128K`: objects under 128 KB are never transitioned unless the rule
//! has its own `ObjectSizeGreaterThan`. With `varies_by_storage_class`, only GLACIER and
//! DEEP_ARCHIVE take objects under 128 KB.

use chrono::NaiveDate;
use serde::Serialize;

use crate::snapshot::{LifecycleRule, parse_lifecycle_date};

/// The smallest flow-log object: an empty gzip file.
pub const MIN_OBJECT_BYTES: i64 = 20;
/// The largest flow-log object: AWS starts a new log file at 75 MB.
pub const MAX_OBJECT_BYTES: i64 = 75 * 1024 * 1024;
/// The size below which S3 does not transition objects under the 128K default.
pub const SMALL_OBJECT_BYTES: i64 = 128 * 1024;

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
    /// For a transition: objects smaller than this many bytes are not moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_object_bytes: Option<i64>,
}

/// The lifecycle that applies to every object under one flow-log key prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effective {
    /// The earliest expiration of current objects among the rules that fully apply.
    pub expiration: Option<Action>,
    /// Transitions that happen before the objects expire.
    pub transitions: Vec<Action>,
    /// The earliest expiration of noncurrent versions among the rules that fully apply.
    pub noncurrent_expiration: Option<Action>,
    /// Actions of applying rules that never take effect on flow-log objects, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ineffective: Vec<String>,
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

    /// Why no rule expires these objects: each rule and what keeps it from doing so.
    pub fn why_no_expiration(&self, rules: &[LifecycleRule]) -> String {
        if rules.is_empty() {
            return "the bucket has no lifecycle rules".to_string();
        }
        let reasons: Vec<String> = self
            .rules
            .iter()
            .zip(rules)
            .map(|(applicability, rule)| match &applicability.reason {
                Some(reason) => format!("rule {}: {reason}", applicability.rule),
                None if rule.expiration.is_none() => {
                    format!("rule {}: has no Expiration", applicability.rule)
                }
                None => format!("rule {}: applies", applicability.rule),
            })
            .collect();
        format!(
            "{} lifecycle rule{} exist{}, none expires them ({})",
            rules.len(),
            if rules.len() == 1 { "" } else { "s" },
            if rules.len() == 1 { "s" } else { "" },
            reasons.join("; ")
        )
    }
}

fn rule_name(rule: &LifecycleRule, index: usize) -> String {
    rule.id
        .clone()
        .unwrap_or_else(|| format!("rule #{}", index + 1))
}

/// The size filter of a rule: (greater than, less than).
fn size_filter(rule: &LifecycleRule) -> (Option<i64>, Option<i64>) {
    match &rule.filter {
        Some(filter) => match &filter.and {
            Some(and) => (and.object_size_greater_than, and.object_size_less_than),
            None => (
                filter.object_size_greater_than,
                filter.object_size_less_than,
            ),
        },
        None => (None, None),
    }
}

/// Whether every flow-log object, whatever its size, meets a size filter.
fn every_size_matches(greater_than: Option<i64>, less_than: Option<i64>) -> bool {
    greater_than.is_none_or(|gt| gt < MIN_OBJECT_BYTES)
        && less_than.is_none_or(|lt| lt > MAX_OBJECT_BYTES)
}

pub fn applicability(rule: &LifecycleRule, key_prefix: &str) -> Applicability {
    if rule.status != "Enabled" {
        return Applicability::NotApplicable(format!("Status is {}", rule.status));
    }
    let (prefix, tagged) = match &rule.filter {
        Some(filter) => match &filter.and {
            Some(and) => (and.prefix.as_deref(), !and.tags.is_empty()),
            None => (
                filter.prefix.as_deref().or(rule.prefix.as_deref()),
                filter.tag.is_some(),
            ),
        },
        None => (rule.prefix.as_deref(), false),
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
    let (greater_than, less_than) = size_filter(rule);
    match by_prefix {
        Applicability::Full if !every_size_matches(greater_than, less_than) => {
            Applicability::Partial(format!(
                "filters on object size ({}), so only some flow-log objects ({MIN_OBJECT_BYTES} bytes to 75 MB) match",
                size_text(greater_than, less_than)
            ))
        }
        other => other,
    }
}

fn size_text(greater_than: Option<i64>, less_than: Option<i64>) -> String {
    let mut parts = Vec::new();
    if let Some(gt) = greater_than {
        parts.push(format!("ObjectSizeGreaterThan {gt}"));
    }
    if let Some(lt) = less_than {
        parts.push(format!("ObjectSizeLessThan {lt}"));
    }
    parts.join(", ")
}

/// Days from `today` until a lifecycle date. Loading rejects dates that do not parse.
fn days_until(date: &str, today: NaiveDate) -> Option<i64> {
    parse_lifecycle_date(date).map(|date| (date - today).num_days().max(0))
}

/// The smallest object a transition of `rule` to `storage_class` moves, if there is one.
fn transition_minimum(
    rule: &LifecycleRule,
    storage_class: &str,
    default_minimum: Option<&str>,
) -> Option<i64> {
    // A rule's own size filter replaces the bucket's default minimum.
    if size_filter(rule).0.is_some() {
        return None;
    }
    match default_minimum {
        Some("varies_by_storage_class") if matches!(storage_class, "GLACIER" | "DEEP_ARCHIVE") => {
            None
        }
        _ => Some(SMALL_OBJECT_BYTES),
    }
}

/// Folds the rules that fully apply to `key_prefix` into one effective lifecycle.
/// `default_minimum` is the bucket's TransitionDefaultMinimumObjectSize, if recorded.
pub fn effective(
    rules: &[LifecycleRule],
    default_minimum: Option<&str>,
    key_prefix: &str,
    today: NaiveDate,
) -> Effective {
    let mut result = Effective {
        expiration: None,
        transitions: Vec::new(),
        noncurrent_expiration: None,
        ineffective: Vec::new(),
        rules: Vec::new(),
    };
    let earliest = |slot: &mut Option<Action>, action: Action| {
        if slot.as_ref().is_none_or(|a| action.days < a.days) {
            *slot = Some(action);
        }
    };
    let scheduled = |days: Option<i32>, date: Option<&str>| {
        days.map(|d| (i64::from(d), None)).or_else(|| {
            date.and_then(|d| days_until(d, today).map(|days| (days, Some(d.to_string()))))
        })
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
        if let Some(exp) = &rule.expiration
            && let Some((days, date)) = scheduled(exp.days, exp.date.as_deref())
        {
            earliest(
                &mut result.expiration,
                Action {
                    rule: name.clone(),
                    days,
                    date,
                    storage_class: None,
                    min_object_bytes: None,
                },
            );
        }
        for t in &rule.transitions {
            if let Some((days, date)) = scheduled(t.days, t.date.as_deref()) {
                result.transitions.push(Action {
                    rule: name.clone(),
                    days,
                    date,
                    storage_class: Some(t.storage_class.clone()),
                    min_object_bytes: transition_minimum(rule, &t.storage_class, default_minimum),
                });
            }
        }
        if let Some(n) = &rule.noncurrent_version_expiration
            && let Some(days) = n.noncurrent_days
        {
            match n.newer_noncurrent_versions {
                Some(keep) if keep >= 1 => result.ineffective.push(format!(
                    "rule {name}: NewerNoncurrentVersions {keep} keeps that many newer noncurrent versions \
                     before expiring one, and a flow-log key never has more than one, so noncurrent flow logs are never expired"
                )),
                _ => earliest(
                    &mut result.noncurrent_expiration,
                    Action {
                        rule: name.clone(),
                        days: i64::from(days),
                        date: None,
                        storage_class: None,
                        min_object_bytes: None,
                    },
                ),
            }
        }
    }
    if let Some(expires) = result.expiration.as_ref().map(|a| a.days) {
        let (kept, late): (Vec<Action>, Vec<Action>) =
            result.transitions.drain(..).partition(|t| t.days < expires);
        result.transitions = kept;
        for t in late {
            result.ineffective.push(format!(
                "rule {}: the transition to {} after {} days never happens, because the objects expire after {expires}",
                t.rule,
                t.storage_class.as_deref().unwrap_or("?"),
                t.days
            ));
        }
    }
    result
        .transitions
        .sort_by(|a, b| (a.days, &a.rule).cmp(&(b.days, &b.rule)));
    result.ineffective.sort();
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
            effective(&rules, None, KEY, today())
                .expiration
                .unwrap()
                .days,
            180
        );

        let mut dated = expiring(None, 1);
        dated.expiration = Some(LifecycleExpiration {
            date: Some("2026-12-02T00:00:00.000Z".into()),
            ..Default::default()
        });
        let e = effective(&[dated.clone(), expiring(None, 365)], None, KEY, today());
        assert_eq!(e.expiration.unwrap().days, 10);
        let past = effective(
            &[dated],
            None,
            KEY,
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        );
        assert_eq!(past.expiration.unwrap().days, 0);
    }
}
