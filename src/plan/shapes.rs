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

/// A count of days; the provider writes some as strings (newer_noncurrent_versions), and 0
/// for "unset" in a block that has other fields.
fn days(v: Option<&Value>) -> Option<i32> {
    let v = v?;
    let n = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))?;
    i32::try_from(n).ok().filter(|n| *n > 0 || v.is_number())
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

/// One `rule` block of aws_s3_bucket_lifecycle_configuration, in the API's shape.
pub(super) fn split_lifecycle_rule(rule: &Value) -> LifecycleRule {
    let filter = rule.get("filter").and_then(first).map(|f| {
        let and = f.get("and").and_then(first).map(|a| LifecycleFilterAnd {
            prefix: string(a.get("prefix")),
            tags: tag_list(a.get("tags")),
            object_size_greater_than: a
                .get("object_size_greater_than")
                .and_then(Value::as_i64)
                .filter(|n| *n > 0),
            object_size_less_than: a
                .get("object_size_less_than")
                .and_then(Value::as_i64)
                .filter(|n| *n > 0),
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
            object_size_greater_than: f
                .get("object_size_greater_than")
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                .filter(|n| *n > 0),
            object_size_less_than: f
                .get("object_size_less_than")
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                .filter(|n| *n > 0),
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
        noncurrent_version_expiration: rule
            .get("noncurrent_version_expiration")
            .and_then(first)
            .map(|n| NoncurrentVersionExpiration {
                noncurrent_days: days(n.get("noncurrent_days")).filter(|d| *d > 0),
                newer_noncurrent_versions: days(n.get("newer_noncurrent_versions"))
                    .filter(|d| *d > 0),
            }),
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
        noncurrent_version_expiration: rule
            .get("noncurrent_version_expiration")
            .and_then(first)
            .map(|n| NoncurrentVersionExpiration {
                noncurrent_days: days(n.get("days")).filter(|d| *d > 0),
                newer_noncurrent_versions: None,
            }),
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
