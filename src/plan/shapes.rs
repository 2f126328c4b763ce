//! Terraform's attribute and nested-block shapes, as the AWS provider plans them, turned
//! into the shapes of the AWS API the snapshot model keeps: tags, lifecycle rules (split
//! `rule` blocks and legacy inline `lifecycle_rule` blocks) and encryption rules. Nested
//! blocks are lists; the provider writes empty strings and zeros for unset values.

use serde_json::Value;

use super::references::Instance;
use crate::snapshot::{
    EncryptionRule, LifecycleExpiration, LifecycleFilter, LifecycleFilterAnd, LifecycleRule,
    NoncurrentVersionExpiration, Tag, Transition,
};

/// The first block of a nested-block list.
pub(super) fn first(v: &Value) -> Option<&Value> {
    v.as_array().and_then(|a| a.first())
}

/// `tags_all` (with the provider's default tags) when known, else `tags`.
pub(super) fn tags(inst: &Instance) -> Vec<Tag> {
    tag_list(inst.after("tags_all").or_else(|| inst.after("tags")))
}

/// A Terraform tags map as the API's list of tags.
fn tag_list(map: Option<&Value>) -> Vec<Tag> {
    map.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A whole number; the provider writes some as strings (newer_noncurrent_versions, the
/// filter's object sizes).
fn number(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// A count of days. The provider writes 0 for "unset" in a block that has other fields,
/// and "0" for an unset string-typed count.
fn days(v: Option<&Value>) -> Option<i32> {
    let n = number(v)?;
    let written_as_number = v.is_some_and(Value::is_number);
    i32::try_from(n)
        .ok()
        .filter(|n| *n > 0 || written_as_number)
}

/// An object size limit; 0 means none.
fn size(v: Option<&Value>) -> Option<i64> {
    number(v).filter(|n| *n > 0)
}

/// A string, with the provider's empty string for "unset" as `None`.
fn string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn expiration(block: Option<&Value>) -> Option<LifecycleExpiration> {
    let e = block.and_then(first)?;
    let days = days(e.get("days")).filter(|d| *d > 0);
    let date = string(e.get("date"));
    let marker = e
        .get("expired_object_delete_marker")
        .and_then(Value::as_bool)
        .filter(|m| *m);
    (days.is_some() || date.is_some() || marker.is_some()).then_some(LifecycleExpiration {
        days,
        date,
        expired_object_delete_marker: marker,
    })
}

fn transitions(block: Option<&Value>) -> Vec<Transition> {
    block
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|t| Transition {
                    days: days(t.get("days")),
                    date: string(t.get("date")),
                    storage_class: string(t.get("storage_class")).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A rule's noncurrent_version_expiration block; the split resource calls its days
/// `noncurrent_days`, the legacy inline block `days` (and has no newer_noncurrent_versions).
fn noncurrent_expiration(rule: &Value, days_field: &str) -> Option<NoncurrentVersionExpiration> {
    let block = rule.get("noncurrent_version_expiration").and_then(first)?;
    Some(NoncurrentVersionExpiration {
        noncurrent_days: days(block.get(days_field)).filter(|d| *d > 0),
        newer_noncurrent_versions: days(block.get("newer_noncurrent_versions")).filter(|d| *d > 0),
    })
}

/// One `rule` block of aws_s3_bucket_lifecycle_configuration, in the API's shape.
pub(super) fn split_lifecycle_rule(rule: &Value) -> LifecycleRule {
    let filter = rule.get("filter").and_then(first).map(|f| {
        let and = f.get("and").and_then(first).map(|a| LifecycleFilterAnd {
            prefix: string(a.get("prefix")),
            tags: tag_list(a.get("tags")),
            object_size_greater_than: size(a.get("object_size_greater_than")),
            object_size_less_than: size(a.get("object_size_less_than")),
        });
        LifecycleFilter {
            // The provider writes an empty prefix for "no prefix".
            prefix: f
                .get("prefix")
                .and_then(Value::as_str)
                .map(str::to_string)
                .filter(|_| and.is_none()),
            tag: f.get("tag").and_then(first).map(|t| Tag {
                key: t
                    .get("key")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                value: t
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            }),
            object_size_greater_than: size(f.get("object_size_greater_than")),
            object_size_less_than: size(f.get("object_size_less_than")),
            and,
        }
    });
    LifecycleRule {
        id: string(rule.get("id")),
        status: string(rule.get("status")).unwrap_or_else(|| "Enabled".to_string()),
        prefix: if filter.is_none() {
            string(rule.get("prefix"))
        } else {
            None
        },
        filter,
        expiration: expiration(rule.get("expiration")),
        transitions: transitions(rule.get("transition")),
        noncurrent_version_expiration: noncurrent_expiration(rule, "noncurrent_days"),
    }
}

/// One legacy inline `lifecycle_rule` block of aws_s3_bucket.
pub(super) fn inline_lifecycle_rule(rule: &Value) -> LifecycleRule {
    let tags = tag_list(rule.get("tags"));
    let prefix = string(rule.get("prefix"));
    let filter = (!tags.is_empty()).then(|| LifecycleFilter {
        and: Some(LifecycleFilterAnd {
            prefix: prefix.clone(),
            tags,
            ..LifecycleFilterAnd::default()
        }),
        ..LifecycleFilter::default()
    });
    let enabled = rule
        .get("enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    LifecycleRule {
        id: string(rule.get("id")),
        status: if enabled { "Enabled" } else { "Disabled" }.to_string(),
        prefix: if filter.is_none() {
            Some(prefix.unwrap_or_default())
        } else {
            None
        },
        filter,
        expiration: expiration(rule.get("expiration")),
        transitions: transitions(rule.get("transition")),
        noncurrent_version_expiration: noncurrent_expiration(rule, "days"),
    }
}

/// `rule` blocks of an encryption configuration, split or inline.
pub(super) fn encryption_rules(rules: &Value) -> Vec<EncryptionRule> {
    rules
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|r| {
                    let default = r
                        .get("apply_server_side_encryption_by_default")
                        .and_then(first)?;
                    Some(EncryptionRule {
                        sse_algorithm: string(default.get("sse_algorithm")).unwrap_or_default(),
                        kms_master_key_id: string(default.get("kms_master_key_id")),
                        bucket_key_enabled: r.get("bucket_key_enabled").and_then(Value::as_bool),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}
