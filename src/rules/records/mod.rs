//! Records: proof that logging operates. Judged from what `--observe` saw at the
//! destinations (dates in S3 key paths and file names, CloudWatch stream times), against
//! the time of that observation, never the machine's clock. No record is read.
//!
//! A snapshot without observations, a listing that failed, or a look-up cut short by its
//! bound is an error finding for exactly the flow logs and prefixes it concerns. A plan's
//! estate is not judged: it has no records until it is applied.

mod kept;
mod rows;
mod silence;

use chrono::{DateTime, Utc};

use super::{Family, Rule};
use crate::destination::Destination;
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, DestinationState, FastMap};
use crate::snapshot::{LogGroupObservation, ObservationError, Observations, S3PrefixObservation};

pub(crate) use rows::rows;

pub static STOPPED_ARRIVING: Rule = Rule {
    id: "REC001",
    name: "records-stopped-arriving",
    category: Category::Records,
    default_severity: Severity::High,
    summary: "An ACTIVE flow log has delivered no record for longer than the policy allows.",
    what: "When the policy sets `records.max_silence`, checks that each ACTIVE flow log \
           created longer ago than that has a record at its destination newer than \
           `max_silence` before the observation: in S3, the newest file whose name carries \
           the flow log's id (its time is in the name); in CloudWatch Logs, the newest event \
           of the streams of its interfaces (`eni-...-all`, `-accept`, `-reject`), allowing \
           the hour by which AWS says lastEventTimestamp may lag. A flow log that covers no \
           interface passes: it has nothing to record. Firehose delivery cannot be \
           observed and is `unknown`, never a pass.",
    why: "A flow log can be ACTIVE with delivery SUCCESS while nothing reaches the \
          destination: the key prefix moved, a KMS key policy changed, objects are written \
          elsewhere. Only the records show that logging operates, which is what SOC 2 \
          Type II and ISO 27001 A.8.15 ask. An interface with no traffic produces no \
          records either; waive such a flow log if that is expected.",
    fix: "Look at what the destination holds and why delivery stopped:\n  aws s3api \
          list-objects-v2 --bucket central-flow-logs --prefix \
          AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/11/30/ --max-keys 5\n  aws ec2 \
          describe-flow-logs --flow-log-ids fl-0123456789abcdef0\nThen repair the bucket \
          policy, KMS key policy or delivery role the error names, or recreate the flow log.",
};

pub static MISSING_BEFORE_MINIMUM: Rule = Rule {
    id: "REC002",
    name: "records-missing-before-minimum",
    category: Category::Records,
    default_severity: Severity::High,
    summary: "The oldest records kept in S3 are younger than the policy's minimum retention.",
    what: "When the policy sets `records.verify_retention` and `s3.expiration_days.min`, \
           checks the oldest date folder under each flow-log prefix: records must reach back \
           the minimum, or as far as the flow logs have delivered there (their earliest \
           CreationTime), whichever is shorter, with one day of tolerance. The message gives \
           the oldest date kept and the shortfall in days.",
    why: "A lifecycle that looks right proves nothing if the records are not there: another \
          rule, a manual clean-up or a replaced bucket removes evidence that an auditor \
          (PCI DSS 10.5.1: a year of history) expects.",
    fix: "Find what deleted the objects (CloudTrail data events, the bucket's other \
          lifecycle rules) and stop it:\n  aws s3api get-bucket-lifecycle-configuration \
          --bucket central-flow-logs\n  aws s3api list-objects-v2 --bucket \
          central-flow-logs --prefix AWSLogs/111122223333/vpcflowlogs/eu-west-1/ \
          --delimiter / --max-keys 5",
};

pub static KEPT_PAST_MAXIMUM: Rule = Rule {
    id: "REC003",
    name: "records-kept-past-maximum",
    category: Category::Records,
    default_severity: Severity::Medium,
    summary: "Records older than the policy's maximum retention are still in S3.",
    what: "When the policy sets `records.verify_retention` and `s3.expiration_days.max`, \
           checks that the oldest date folder under each flow-log prefix is no older than \
           the maximum plus two days: S3 runs lifecycle expiration asynchronously, and \
           objects usually go within a day or two of becoming eligible. Listing shows current \
           objects only; noncurrent versions are judged from the configuration by S3L003 and \
           S3L005.",
    why: "A lifecycle rule that looks right does not prove that data goes: Object Lock \
          retention, a rule whose prefix misses the flow-log keys, or a rule added last week \
          that S3 is still working through all keep records past the stated period, with the \
          cost and the personal data that brings.",
    fix: "Check for Object Lock and for the rule that should apply:\n  aws s3api \
          get-object-lock-configuration --bucket central-flow-logs\n  aws s3api \
          get-bucket-lifecycle-configuration --bucket central-flow-logs\nA rule added \
          recently needs a few days; otherwise fix its prefix, or remove the retention that \
          holds the objects.",
};

pub static NOT_IMMEDIATELY_AVAILABLE: Rule = Rule {
    id: "REC004",
    name: "records-not-immediately-available",
    category: Category::Records,
    default_severity: Severity::Medium,
    summary: "Records younger than the policy's immediately-available period need a restore.",
    what: "When the policy sets `s3.immediately_available_days`, checks that records younger \
           than that many days are not in a storage class that must be restored before it \
           can be read (GLACIER, i.e. Glacier Flexible Retrieval, or DEEP_ARCHIVE): the \
           applicable lifecycle must not move them there sooner, and the first object of the \
           oldest date seen, if younger, must not be there. Archive tiers inside \
           INTELLIGENT_TIERING are not visible from a listing.",
    why: "PCI DSS 10.5.1 asks for three months of logs immediately available for analysis. \
          Records that take hours to restore are not at hand during an incident.",
    fix: "Move the transition to an archive class past the period, or use GLACIER_IR, which \
          needs no restore:\n  \"Transitions\":[{\"Days\":90,\"StorageClass\":\"GLACIER\"}]\n  \
          aws s3api put-bucket-lifecycle-configuration --bucket central-flow-logs \
          --lifecycle-configuration file://lifecycle.json",
};

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[
        &STOPPED_ARRIVING,
        &MISSING_BEFORE_MINIMUM,
        &KEPT_PAST_MAXIMUM,
        &NOT_IMMEDIATELY_AVAILABLE,
    ],
    check,
};

/// The days AWS may take to expire an object after it becomes eligible. AWS documents that
/// expiration is asynchronous and that an eligible object is no longer billed; removal
/// usually follows within a day, so two is a safe bound.
pub const LIFECYCLE_LAG_DAYS: i64 = 2;

/// CloudWatch Logs' lastEventTimestamp "has an eventual consistency, typically within an
/// hour": a silence is counted only past that.
const STREAM_TIME_LAG_MINUTES: i64 = 60;

/// Storage classes whose objects must be restored before they can be read.
const NEEDS_RESTORE: [&str; 2] = ["GLACIER", "DEEP_ARCHIVE"];

const NOT_OBSERVED: &str = "the snapshot holds no observation of the records: collect or scan with --observe (flowaudit scan --observe ...)";

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn error_text(e: &ObservationError) -> String {
    format!("{} failed ({}: {})", e.operation, e.code, e.message)
}

/// "3 days 4 hours", for a silence.
fn span(minutes: i64) -> String {
    let (days, hours) = (minutes / (24 * 60), (minutes % (24 * 60)) / 60);
    match (days, hours) {
        (0, h) => format!("{h} hours"),
        (d, 0) => format!("{d} days"),
        (d, h) => format!("{d} days {h} hours"),
    }
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    if ctx.estate.snapshot.plan.is_some() {
        return; // A plan's estate has no records yet; `scan --observe` judges them.
    }
    let observed = ctx.estate.snapshot.observations.as_ref().map(Observed::of);
    let observations = observed.as_ref();
    // Destinations that exist: a missing or unreadable one is DST002's or COL002's.
    let existing: std::collections::BTreeSet<String> = ctx
        .destinations
        .iter()
        .filter(|u| u.state.exists() == Some(true))
        .map(|u| u.destination.arn())
        .collect();
    for fl in &ctx.flow_logs {
        let exists = fl
            .destination
            .as_ref()
            .is_ok_and(|r| existing.contains(&r.destination.arn()));
        if exists {
            silence::check_silence(ctx, observations, fl, out);
        }
    }
    for usage in &ctx.destinations {
        let (Destination::Bucket { name: bucket }, DestinationState::Bucket(_)) =
            (&usage.destination, &usage.state)
        else {
            continue; // Not a bucket, or DST002 or COL002 reports it.
        };
        for tree in &usage.subtrees {
            kept::check_kept(ctx, observations, bucket, tree, out);
        }
    }
}

/// The snapshot's observations by S3 prefix and by log group, built once per evaluation so
/// that a flow log's look-up is no scan of every observation.
pub(crate) struct Observed<'o> {
    prefixes: FastMap<(&'o str, &'o str), &'o S3PrefixObservation>,
    groups: FastMap<(&'o str, &'o str, &'o str), &'o LogGroupObservation>,
}

impl<'o> Observed<'o> {
    pub(crate) fn of(observations: &'o Observations) -> Observed<'o> {
        Observed {
            prefixes: observations
                .s3_prefixes
                .iter()
                .map(|o| ((o.bucket.as_str(), o.key_prefix.as_str()), o))
                .collect(),
            groups: observations
                .log_groups
                .iter()
                .map(|g| {
                    let place = (
                        g.account_id.as_str(),
                        g.region.as_str(),
                        g.log_group_name.as_str(),
                    );
                    (place, g)
                })
                .collect(),
        }
    }

    /// The observation of one S3 subtree.
    pub(crate) fn prefix(&self, bucket: &str, key_prefix: &str) -> Option<&'o S3PrefixObservation> {
        self.prefixes.get(&(bucket, key_prefix)).copied()
    }

    /// The observation of one log group, by (account, region, name).
    pub(crate) fn group(&self, place: (&str, &str, &str)) -> Option<&'o LogGroupObservation> {
        self.groups.get(&place).copied()
    }
}
