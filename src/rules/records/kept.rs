//! REC002 to REC004: whether the records kept under each S3 flow-log prefix agree with the
//! retention the policy asks, and are at hand for as long as it asks.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{
    KEPT_PAST_MAXIMUM, LIFECYCLE_LAG_DAYS, MISSING_BEFORE_MINIMUM, NEEDS_RESTORE,
    NOT_IMMEDIATELY_AVAILABLE, NOT_OBSERVED, Observed, error_text, parse_time,
};
use crate::findings::Finding;
use crate::index::{Context, Subtree};
use crate::policy::Profile;
use crate::rules::{Subject, Verdict, judge_per_profile, with_fields};
use crate::snapshot::S3PrefixObservation;

/// The earliest CreationTime among a subtree's flow logs, as a date.
fn first_delivery(ctx: &Context, tree: &Subtree) -> Option<NaiveDate> {
    tree.users
        .iter()
        .filter_map(|&u| ctx.flow_logs[u].flow_log.creation_time.as_deref())
        .filter_map(parse_time)
        .map(|t| t.date_naive())
        .min()
}

/// REC002 to REC004 for one subtree of a bucket.
pub(super) fn check_kept(
    ctx: &Context,
    observations: Option<&Observed>,
    bucket: &str,
    tree: &Subtree,
    out: &mut Vec<Finding>,
) {
    let profiles = ctx.profiles_using(&tree.users);
    let path = format!("{bucket}/{}", tree.key_prefix);
    let subject = |profile: String| Subject {
        resource_type: "s3-prefix",
        resource_id: path.clone(),
        resource_arn: Some(format!("arn:aws:s3:::{path}")),
        account_id: tree.account_id.clone(),
        region: tree.region.clone(),
        profile: Some(profile),
    };
    let seen = observations.map(|o| o.prefix(bucket, &tree.key_prefix));
    // The observation, or the error verdict each check gives without one.
    let observed =
        |extra: Value| -> Result<(&S3PrefixObservation, NaiveDate, Value), Box<Verdict>> {
            let tree_seen = match seen {
                None => {
                    return Err(Box::new(Verdict::error(
                        format!("records under s3://{path} not judged: {NOT_OBSERVED}"),
                        extra,
                        NOT_OBSERVED,
                    )));
                }
                Some(None) => {
                    return Err(Box::new(Verdict::error(
                        format!(
                            "records under s3://{path} not judged: the prefix was not observed"
                        ),
                        extra,
                        NOT_OBSERVED,
                    )));
                }
                Some(Some(t)) => t,
            };
            if let Some(e) = &tree_seen.error {
                return Err(Box::new(Verdict::error(
                    format!(
                        "records under s3://{path} could not be observed: {}",
                        error_text(e)
                    ),
                    with_fields(&extra, json!({ "error": e })),
                    format!(
                        "Grant s3:ListBucket on {bucket} to the identity flowaudit runs as, and observe again: aws s3api list-objects-v2 --bucket {bucket} --prefix {} --delimiter / --max-keys 5",
                        tree.key_prefix
                    ),
                )));
            }
            let Some(at) = parse_time(&tree_seen.observed_at) else {
                return Err(Box::new(Verdict::error(
                    format!(
                        "records under s3://{path} not judged: observed_at `{}` is not a time",
                        tree_seen.observed_at
                    ),
                    extra,
                    NOT_OBSERVED,
                )));
            };
            let evidence = with_fields(
                &extra,
                json!({
                    "observed_at": tree_seen.observed_at,
                    "newest_date": tree_seen.newest_date,
                    "oldest_date": tree_seen.oldest_date,
                    "oldest_storage_class": tree_seen.oldest_storage_class,
                }),
            );
            Ok((tree_seen, at.date_naive(), evidence))
        };
    let oldest_of = |t: &S3PrefixObservation| {
        t.oldest_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let list = format!(
        "aws s3api list-objects-v2 --bucket {bucket} --prefix {} --delimiter / --max-keys 5",
        tree.key_prefix
    );
    let lifecycle = format!("aws s3api get-bucket-lifecycle-configuration --bucket {bucket}");
    let missing_fix = format!(
        "Find what deleted the objects (CloudTrail data events, the bucket's other lifecycle rules, a replaced bucket) and stop it:\n  {lifecycle}\n  {list}"
    );
    let kept_fix = format!(
        "Check for Object Lock and for the rule that should expire these objects:\n  aws s3api get-object-lock-configuration --bucket {bucket}\n  {lifecycle}\nA rule added recently needs a few days; otherwise fix its prefix, or remove the retention that holds the objects."
    );
    let at_hand_fix = format!(
        "Move the transition to an archive class past the period, or use GLACIER_IR, which needs no restore:\n  {lifecycle}\n  aws s3api put-bucket-lifecycle-configuration --bucket {bucket} --lifecycle-configuration file://lifecycle.json"
    );
    let verify = |p: &Profile| {
        p.requirements
            .records
            .as_ref()
            .is_some_and(|r| r.verify_retention)
    };

    let missing = judge_per_profile(&profiles, |p| {
        if !verify(p) {
            return None;
        }
        let min = p.requirements.s3.as_ref()?.expiration_days.min?;
        let (t, today, evidence) = match observed(json!({ "min": min })) {
            Ok(o) => o,
            Err(v) => return Some(*v),
        };
        // As far back as records can be expected: the minimum, or since delivery began.
        let delivering = first_delivery(ctx, tree).map(|d| (today - d).num_days());
        let expected = delivering.map_or(i64::from(min), |d| d.min(i64::from(min)));
        let evidence = with_fields(
            &evidence,
            json!({ "expected_days": expected, "first_delivery_days": delivering }),
        );
        Some(match oldest_of(t) {
            None if expected > 1 => Verdict::fail(
                format!(
                    "s3://{path} holds no records at all, though flow logs have delivered there for {expected} days or more; the policy keeps them {min} days"
                ),
                evidence,
                missing_fix.clone(),
            ),
            None => Verdict::pass(
                format!("s3://{path} holds no records yet; its flow logs are new"),
                evidence,
            ),
            Some(oldest) => {
                let kept = (today - oldest).num_days();
                let shortfall = expected - kept;
                if shortfall > 1 {
                    Verdict::fail(
                        format!(
                            "the oldest records under s3://{path} are from {oldest}, {kept} days before the observation: {shortfall} days short of the {expected} days expected (policy minimum {min})"
                        ),
                        evidence,
                        missing_fix.clone(),
                    )
                } else {
                    Verdict::pass(
                        format!(
                            "the oldest records under s3://{path} are from {oldest} ({kept} days kept, {expected} expected)"
                        ),
                        evidence,
                    )
                }
            }
        })
    });
    if let Some((v, profile)) = missing {
        out.push(MISSING_BEFORE_MINIMUM.finding(&subject(profile), v));
    }

    let kept_past = judge_per_profile(&profiles, |p| {
        if !verify(p) {
            return None;
        }
        let max = p.requirements.s3.as_ref()?.expiration_days.max?;
        let (t, today, evidence) =
            match observed(json!({ "max": max, "lifecycle_lag_days": LIFECYCLE_LAG_DAYS })) {
                Ok(o) => o,
                Err(v) => return Some(*v),
            };
        let Some(oldest) = oldest_of(t) else {
            return Some(Verdict::pass(
                format!("s3://{path} holds no records"),
                evidence,
            ));
        };
        let kept = (today - oldest).num_days();
        let allowed = i64::from(max) + LIFECYCLE_LAG_DAYS;
        Some(if kept > allowed {
            Verdict::fail(
                format!(
                    "records from {oldest} are still under s3://{path}, {kept} days before the observation: {} days past the maximum of {max} (plus {LIFECYCLE_LAG_DAYS} days for lifecycle to act)",
                    kept - allowed
                ),
                evidence,
                kept_fix.clone(),
            )
        } else {
            Verdict::pass(
                format!(
                    "the oldest records under s3://{path} are from {oldest}, {kept} days old (max {max})"
                ),
                evidence,
            )
        })
    });
    if let Some((v, profile)) = kept_past {
        out.push(KEPT_PAST_MAXIMUM.finding(&subject(profile), v));
    }

    let at_hand = judge_per_profile(&profiles, |p| {
        let days = p.requirements.s3.as_ref()?.immediately_available_days?;
        let (t, today, evidence) = match observed(json!({ "immediately_available_days": days })) {
            Ok(o) => o,
            Err(v) => return Some(*v),
        };
        // The configuration first: a transition that moves records too soon.
        let early = tree.effective.as_ref().and_then(|e| {
            e.transitions.iter().find(|a| {
                a.days < i64::from(days)
                    && a.storage_class
                        .as_deref()
                        .is_some_and(|c| NEEDS_RESTORE.contains(&c))
            })
        });
        if let Some(a) = early {
            return Some(Verdict::fail(
                format!(
                    "lifecycle rule {} moves records under s3://{path} to {} after {} days, before the {days} days they must stay immediately available",
                    a.rule,
                    a.storage_class.as_deref().unwrap_or_default(),
                    a.days
                ),
                evidence,
                at_hand_fix.clone(),
            ));
        }
        let oldest = oldest_of(t);
        let class = t.oldest_storage_class.as_deref().unwrap_or("STANDARD");
        Some(match oldest {
            Some(o)
                if (today - o).num_days() < i64::from(days) && NEEDS_RESTORE.contains(&class) =>
            {
                Verdict::fail(
                    format!(
                        "records from {o} under s3://{path}, {} days old, are in {class} and need a restore; the policy wants {days} days immediately available",
                        (today - o).num_days()
                    ),
                    evidence,
                    at_hand_fix.clone(),
                )
            }
            _ => Verdict::pass(
                format!(
                    "no lifecycle rule moves records under s3://{path} to an archive class within {days} days, and the oldest seen are in {class}"
                ),
                evidence,
            ),
        })
    });
    if let Some((v, profile)) = at_hand {
        out.push(NOT_IMMEDIATELY_AVAILABLE.finding(&subject(profile), v));
    }
}
