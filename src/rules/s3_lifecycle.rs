//! S3 lifecycle: how long flow-log objects are really kept, judged only by the lifecycle
//! rules that apply to their key prefix (see `crate::lifecycle`).
//!
//! A bucket can hold several flow-log subtrees (one per source account and region, or per
//! destination prefix), and a rule can apply to some of them and not others. Each subtree
//! is therefore judged on its own: the finding's resource is the subtree's key prefix.

use serde_json::json;

use super::{Family, Rule, Subject, Verdict, judge_per_profile, with_fields};
use crate::destination::Destination;
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, DestinationState, Subtree, short_list};
use crate::lifecycle::{self, Effective};
use crate::snapshot::{Bucket, BucketLifecycle};

pub static NO_EXPIRATION: Rule = Rule {
    id: "S3L001",
    name: "flow-log-objects-never-expire",
    category: Category::S3Lifecycle,
    default_severity: Severity::Medium,
    summary: "No enabled lifecycle rule expires the flow-log objects under this prefix.",
    what: "When the policy sets `s3.expiration_days.max`, or a `min` with \
           `forbid_never_expire` (the default), checks that an Enabled lifecycle \
           rule whose filter matches every flow-log object under the prefix expires current \
           objects (by Days or Date). A minimum alone therefore requires expiry at or after \
           it; `forbid_never_expire: false` lets objects that never expire meet it. Disabled rules, rules for other prefixes, tag-filtered \
           rules and rules that match only some objects (a longer prefix, a size filter that \
           some flow-log objects miss) do not count. A size filter that every flow-log \
           object meets (`ObjectSizeGreaterThan` below 20 bytes, the smallest gzip file, or \
           `ObjectSizeLessThan` above 75 MB, the largest log file) applies to all of them. \
           The message names each rule and why it does not apply.",
    why: "Flow logs contain IP-level records of who talked to whom. Keeping them forever \
          costs money every month and keeps personal data past its purpose. A rule that \
          looks right but filters on the wrong prefix or on tags is the common way this \
          happens, and it passes tools that only check that a lifecycle exists.",
    fix: "Add a rule that matches the flow-log prefix:\n  aws s3api \
          put-bucket-lifecycle-configuration --bucket central-flow-logs \
          --lifecycle-configuration '{\"Rules\":[{\"ID\":\"flow-logs\",\"Status\":\"Enabled\",\
          \"Filter\":{\"Prefix\":\"AWSLogs/\"},\"Transitions\":[{\"Days\":30,\"StorageClass\":\"GLACIER\"}],\
          \"Expiration\":{\"Days\":180},\"NoncurrentVersionExpiration\":{\"NoncurrentDays\":30}}]}'",
};

pub static BELOW_MINIMUM: Rule = Rule {
    id: "S3L002",
    name: "flow-log-objects-expire-too-soon",
    category: Category::S3Lifecycle,
    default_severity: Severity::High,
    summary: "Flow-log objects expire before the policy's minimum retention.",
    what: "Checks the earliest expiration among the lifecycle rules that apply to every \
           flow-log object under the prefix against `s3.expiration_days.min`. An Expiration \
           Date counts as the days left until that date; a date in the past means objects \
           are deleted as soon as they are written.",
    why: "S3 is the audit copy. Evidence deleted before the retention an auditor or a \
          regulator expects is a finding in its own right, and lost for good.",
    fix: "Raise the expiration of the rule that applies (or remove the stricter rule):\n  \
          aws s3api get-bucket-lifecycle-configuration --bucket central-flow-logs\n  aws \
          s3api put-bucket-lifecycle-configuration --bucket central-flow-logs \
          --lifecycle-configuration file://lifecycle.json",
};

pub static ABOVE_MAXIMUM: Rule = Rule {
    id: "S3L003",
    name: "flow-log-objects-expire-too-late",
    category: Category::S3Lifecycle,
    default_severity: Severity::Medium,
    summary: "Flow-log objects are kept longer than the policy's maximum retention.",
    what: "Checks how long flow-log data really lives against `s3.expiration_days.max`: \
           the earliest applicable expiration, plus, on a bucket whose versioning is \
           Enabled or Suspended, the days until the noncurrent version that expiration \
           leaves behind is expired. A versioned bucket with no such expiration (or one \
           with NewerNoncurrentVersions of 1 or more) keeps the data forever. When the \
           versioning status could not be read, COL002 reports it instead.",
    why: "Retention beyond the stated period costs storage and keeps personal data longer \
          than the organisation has said it will.",
    fix: "Lower the expiration days of the rule that applies to AWSLogs/:\n  aws s3api \
          put-bucket-lifecycle-configuration --bucket central-flow-logs \
          --lifecycle-configuration file://lifecycle.json",
};

pub static TRANSITION_MISSING: Rule = Rule {
    id: "S3L004",
    name: "flow-log-objects-not-transitioned",
    category: Category::S3Lifecycle,
    default_severity: Severity::Low,
    summary: "Flow-log objects are not moved to the required storage class in time.",
    what: "When the policy sets `s3.transition`, checks that a lifecycle rule applying to \
           every flow-log object under the prefix transitions them to one of the storage \
           classes listed, within the number of days given. A transition on or after the \
           day the objects expire never happens and does not count. Objects under 128 KB \
           are not transitioned when the bucket's TransitionDefaultMinimumObjectSize is \
           `all_storage_classes_128K` (AWS's default since September 2024, assumed when \
           not recorded), or with `varies_by_storage_class` for classes other than \
           GLACIER and DEEP_ARCHIVE, unless the rule has its own ObjectSizeGreaterThan; \
           such a transition fails, because small flow-log objects are common.",
    why: "Flow logs are rarely read after the first weeks. Keeping months of them in S3 \
          Standard costs several times what an archive class does.",
    fix: "Add a transition to the rule that applies:\n  \
          \"Transitions\":[{\"Days\":30,\"StorageClass\":\"GLACIER\"}]\n  aws s3api \
          put-bucket-lifecycle-configuration --bucket central-flow-logs \
          --lifecycle-configuration file://lifecycle.json",
};

pub static NONCURRENT_VERSIONS_KEPT: Rule = Rule {
    id: "S3L005",
    name: "noncurrent-flow-log-versions-kept",
    category: Category::S3Lifecycle,
    default_severity: Severity::Medium,
    summary: "On a versioned bucket, expired flow-log objects live on as noncurrent versions.",
    what: "When the policy sets `s3.noncurrent_version_expiration`, checks that a bucket \
           whose versioning is Enabled or Suspended has a rule applying to the flow-log \
           prefix with NoncurrentVersionExpiration, within `max_days` if given. A rule \
           with NewerNoncurrentVersions of 1 or more does not count: S3 keeps that many \
           newer noncurrent versions before expiring one, and a flow-log key is written \
           once, so it never has more than one noncurrent version to expire.",
    why: "On a versioned bucket, expiring an object only adds a delete marker; the data \
          stays as a noncurrent version, billed and readable, forever. The retention the \
          current-object rule promises is then not the retention that happens.",
    fix: "Add NoncurrentVersionExpiration to the rule that applies:\n  \
          \"NoncurrentVersionExpiration\":{\"NoncurrentDays\":30}\n  aws s3api \
          put-bucket-lifecycle-configuration --bucket central-flow-logs \
          --lifecycle-configuration file://lifecycle.json",
};

/// How long flow-log data lives, all versions counted, and the words for it.
enum Lifetime {
    Days(i64, String),
    Forever(String),
}

fn put_lifecycle(bucket: &str) -> String {
    format!(
        "aws s3api put-bucket-lifecycle-configuration --bucket {bucket} --lifecycle-configuration file://lifecycle.json"
    )
}

fn expiration_text(effective: &Effective) -> String {
    match &effective.expiration {
        Some(a) => match &a.date {
            Some(date) => format!(
                "expire on {date} ({} days from the evaluation date, rule {})",
                a.days, a.rule
            ),
            None => format!("expire after {} days (rule {})", a.days, a.rule),
        },
        None => "never expire".to_string(),
    }
}

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[
        &NO_EXPIRATION,
        &BELOW_MINIMUM,
        &ABOVE_MAXIMUM,
        &TRANSITION_MISSING,
        &NONCURRENT_VERSIONS_KEPT,
    ],
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for usage in &ctx.destinations {
        let (Destination::Bucket { name: bucket }, DestinationState::Bucket(b)) =
            (&usage.destination, &usage.state)
        else {
            continue; // Not a bucket, or DST002 or COL002 reports it.
        };
        let Some(lifecycle_config) = &b.lifecycle else {
            continue; // COL002 reports it.
        };
        for tree in &usage.subtrees {
            check_subtree(ctx, bucket, b, lifecycle_config, tree, out);
        }
    }
}

/// Judges the lifecycle that applies to one flow-log subtree of a bucket.
fn check_subtree(
    ctx: &Context,
    bucket: &str,
    b: &Bucket,
    lifecycle_config: &BucketLifecycle,
    tree: &Subtree,
    out: &mut Vec<Finding>,
) {
    let Some(effective) = &tree.effective else {
        return;
    };
    {
        let profiles = &ctx.profiles_using(&tree.users);
        let path = format!("{}/{}", bucket, tree.key_prefix);
        let subject = Subject {
            resource_type: "s3-prefix",
            resource_id: path.clone(),
            resource_arn: Some(format!("arn:aws:s3:::{path}")),
            account_id: tree.account_id.clone(),
            region: tree.region.clone(),
            profile: Some(
                profiles
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        };
        // Built once: dependents and the effective lifecycle are shared by every check.
        let base = json!({
            "bucket": bucket,
            "key_prefix": tree.key_prefix,
            "effective": effective,
            "dependents": ctx.dependents(&tree.users),
        });
        let evidence = |extra: serde_json::Value| with_fields(&base, extra);
        let partial = effective.partial_rules();
        let partial_note = if partial.is_empty() {
            String::new()
        } else {
            format!(
                "; rules that match only some objects do not count: {}",
                short_list(&partial)
            )
        };
        let objects = format!("flow-log objects under s3://{path}");

        let never = judge_per_profile(profiles, |p| {
            let s3 = p.requirements.s3.as_ref()?;
            let range = s3.expiration_days;
            // Never expiring exceeds any maximum, and fails a minimum unless allowed.
            let judged = range.max.is_some() || (range.min.is_some() && s3.forbid_never_expire);
            if !judged {
                return None;
            }
            let extra = json!({ "min": range.min, "max": range.max });
            Some(match &effective.expiration {
                None => Verdict::fail(
                    format!(
                        "{objects} never expire: {}",
                        effective.why_no_expiration(&lifecycle_config.rules)
                    ),
                    evidence(extra),
                    put_lifecycle(bucket),
                ),
                Some(_) => Verdict::pass(
                    format!("{objects} {}", expiration_text(effective)),
                    evidence(extra),
                ),
            })
        });

        let below = judge_per_profile(profiles, |p| {
            let min = p.requirements.s3.as_ref()?.expiration_days.min?;
            let extra = json!({ "min": min });
            Some(match &effective.expiration {
                Some(a) if a.days < i64::from(min) => Verdict::fail(
                    format!(
                        "{objects} {}; the policy requires at least {min} days",
                        expiration_text(effective)
                    ),
                    evidence(extra),
                    put_lifecycle(bucket),
                ),
                _ => Verdict::pass(
                    format!("{objects} {} (min {min})", expiration_text(effective)),
                    evidence(extra),
                ),
            })
        });

        // How long the data really lives: on a versioned bucket, expiring an object leaves
        // a noncurrent version that lives until its own expiration, if any.
        let lifetime = |a: &lifecycle::Action| -> Option<Lifetime> {
            let versioning = b.versioning.as_ref()?; // COL002 reports it.
            Some(if !versioning.keeps_noncurrent_versions() {
                Lifetime::Days(a.days, expiration_text(effective))
            } else {
                match &effective.noncurrent_expiration {
                    Some(n) => Lifetime::Days(
                        a.days + n.days,
                        format!(
                            "{}, and their noncurrent versions {} days later (rule {}; the bucket is versioned)",
                            expiration_text(effective),
                            n.days,
                            n.rule
                        ),
                    ),
                    None => Lifetime::Forever(format!(
                        "{}, but the bucket is versioned and no rule expires their noncurrent versions, so the data is kept forever",
                        expiration_text(effective)
                    )),
                }
            })
        };

        let above = judge_per_profile(profiles, |p| {
            let max = p.requirements.s3.as_ref()?.expiration_days.max?;
            let a = effective.expiration.as_ref()?; // S3L001 reports "never".
            let extra = json!({ "max": max });
            Some(match lifetime(a)? {
                Lifetime::Days(days, text) if days > i64::from(max) => Verdict::fail(
                    format!(
                        "{objects} {text}: {days} days in all; the policy allows at most {max} days"
                    ),
                    evidence(extra),
                    put_lifecycle(bucket),
                ),
                Lifetime::Days(days, text) => Verdict::pass(
                    format!("{objects} {text}: {days} days in all (max {max})"),
                    evidence(extra),
                ),
                Lifetime::Forever(text) => Verdict::fail(
                    format!("{objects} {text}; the policy allows at most {max} days"),
                    evidence(extra),
                    put_lifecycle(bucket),
                ),
            })
        });

        let transition = judge_per_profile(profiles, |p| {
            let req = p.requirements.s3.as_ref()?.transition.as_ref()?;
            let extra = json!({ "required_transition": req });
            let good = effective.transitions.iter().find(|t| {
                t.days <= i64::from(req.within_days)
                    && t.storage_class
                        .as_ref()
                        .is_some_and(|c| req.storage_classes.contains(c))
            });
            Some(match good {
                Some(t) if t.min_object_bytes.is_some() => Verdict::fail(
                    format!(
                        "{objects} move to {} after {} days (rule {}), but objects under {} KB never move \
                         (TransitionDefaultMinimumObjectSize {}), and quiet VPCs write such small flow-log objects",
                        t.storage_class.as_deref().unwrap_or("?"),
                        t.days,
                        t.rule,
                        t.min_object_bytes.unwrap_or_default() / 1024,
                        lifecycle_config
                            .transition_default_minimum_object_size
                            .as_deref()
                            .unwrap_or(
                                "not recorded; AWS's default all_storage_classes_128K assumed"
                            )
                    ),
                    evidence(extra),
                    format!(
                        "add \"ObjectSizeGreaterThan\": 0 to the filter of rule {}, or transition to GLACIER or DEEP_ARCHIVE with TransitionDefaultMinimumObjectSize varies_by_storage_class: {}",
                        t.rule,
                        put_lifecycle(bucket)
                    ),
                ),
                Some(t) => Verdict::pass(
                    format!(
                        "{objects} move to {} after {} days (rule {})",
                        t.storage_class.as_deref().unwrap_or("?"),
                        t.days,
                        t.rule
                    ),
                    evidence(extra),
                ),
                None => Verdict::fail(
                    format!(
                        "{objects} are not moved to {} within {} days{partial_note}",
                        req.storage_classes.join(" or "),
                        req.within_days
                    ),
                    evidence(extra),
                    put_lifecycle(bucket),
                ),
            })
        });

        let noncurrent = judge_per_profile(profiles, |p| {
            let req = p
                .requirements
                .s3
                .as_ref()?
                .noncurrent_version_expiration
                .as_ref()?;
            if !req.required {
                return None;
            }
            let versioning = b.versioning.as_ref()?; // COL002 reports it.
            let status = versioning.status.as_deref().unwrap_or("Disabled");
            let extra = json!({ "VersioningStatus": status, "max_days": req.max_days });
            Some(if !versioning.keeps_noncurrent_versions() {
                Verdict::pass(
                    format!("bucket {} is not versioned", bucket),
                    evidence(extra),
                )
            } else {
                match (&effective.noncurrent_expiration, req.max_days) {
                    (None, _) => Verdict::fail(
                        format!(
                            "bucket {} is versioned ({status}) and no rule for {} expires noncurrent versions, so expired flow logs are kept forever{}",
                            bucket,
                            tree.key_prefix,
                            if effective.ineffective.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", effective.ineffective.join("; "))
                            }
                        ),
                        evidence(extra),
                        put_lifecycle(bucket),
                    ),
                    (Some(a), Some(max)) if a.days > i64::from(max) => Verdict::fail(
                        format!(
                            "noncurrent versions of {objects} are kept {} days (rule {}); the policy allows at most {max}",
                            a.days, a.rule
                        ),
                        evidence(extra),
                        put_lifecycle(bucket),
                    ),
                    (Some(a), _) => Verdict::pass(
                        format!(
                            "noncurrent versions of {objects} expire after {} days (rule {})",
                            a.days, a.rule
                        ),
                        evidence(extra),
                    ),
                }
            })
        });

        for (rule, outcome) in [
            (&NO_EXPIRATION, never),
            (&BELOW_MINIMUM, below),
            (&ABOVE_MAXIMUM, above),
            (&TRANSITION_MISSING, transition),
            (&NONCURRENT_VERSIONS_KEPT, noncurrent),
        ] {
            if let Some((verdict, _)) = outcome {
                out.push(rule.finding(&subject, verdict));
            }
        }
    }
}
