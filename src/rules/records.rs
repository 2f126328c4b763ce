//! Records: proof that logging operates. Judged from what `--observe` saw at the
//! destinations (dates in S3 key paths and file names, CloudWatch stream times), against
//! the time of that observation, never the machine's clock. No record is read.
//!
//! A snapshot without observations, a listing that failed, or a look-up cut short by its
//! bound is an error finding for exactly the flow logs and prefixes it concerns. A plan's
//! estate is not judged: it has no records until it is applied.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::{Family, Rule, Subject, Verdict, flow_log_subject, judge_per_profile};
use crate::destination::Destination;
use crate::findings::{Category, Finding, RecordsRow, Severity};
use crate::index::{Context, DestinationState, Holder, ScopedFlowLog, Subtree};
use crate::policy::Profile;
use crate::snapshot::{LogGroupObservation, ObservationError, Observations, S3PrefixObservation};

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
    let observations = ctx.estate.snapshot.observations.as_ref();
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
            check_silence(ctx, observations, fl, out);
        }
    }
    for usage in &ctx.destinations {
        let (Destination::Bucket { name: bucket }, DestinationState::Bucket(_)) =
            (&usage.destination, &usage.state)
        else {
            continue; // Not a bucket, or DST002 or COL002 reports it.
        };
        for tree in &usage.subtrees {
            check_kept(ctx, observations, bucket, tree, out);
        }
    }
}

/// The interfaces a flow log records, when its holder is a VPC; `None` for a gateway.
fn covered_interfaces(ctx: &Context, fl: &ScopedFlowLog) -> Option<usize> {
    let Holder::Vpc(i) = fl.holder else {
        return None;
    };
    let id = fl.flow_log.resource_id.as_str();
    Some(
        ctx.vpcs[i]
            .network_interfaces()
            .iter()
            .filter(|e| e.vpc_id == id || e.subnet_id == id || e.network_interface_id == id)
            .count(),
    )
}

/// REC001 for one flow log.
fn check_silence(
    ctx: &Context,
    observations: Option<&Observations>,
    fl: &ScopedFlowLog,
    out: &mut Vec<Finding>,
) {
    let holder = ctx.holder(fl);
    let Some(max) = holder
        .profile
        .requirements
        .records
        .as_ref()
        .and_then(|r| r.max_silence)
    else {
        return;
    };
    if fl.flow_log.flow_log_status.as_deref().unwrap_or("ACTIVE") != "ACTIVE" {
        return; // FLS001 reports it.
    }
    let Ok(resolved) = &fl.destination else {
        return; // DST001 reports it.
    };
    let subject = flow_log_subject(ctx, fl);
    let id = fl.flow_log.flow_log_id.as_str();
    let base = json!({
        "max_silence": max.to_string(),
        "destination": resolved.destination.arn(),
        "creation_time": fl.flow_log.creation_time,
    });
    let evidence = |extra: Value| super::with_fields(&base, extra);
    let max_minutes = i64::from(max.minutes);
    let Some(observations) = observations else {
        out.push(STOPPED_ARRIVING.finding(
            &subject,
            Verdict::error(
                format!("records of {id} not judged: {NOT_OBSERVED}"),
                evidence(json!({})),
                NOT_OBSERVED,
            ),
        ));
        return;
    };
    if covered_interfaces(ctx, fl) == Some(0) {
        out.push(STOPPED_ARRIVING.finding(
            &subject,
            Verdict::pass(
                format!("{id} covers no network interface, so no record is expected"),
                evidence(json!({ "interfaces": 0 })),
            ),
        ));
        return;
    }
    // What was seen: the newest record, the time it was seen, and what a record-free search
    // proves (the start of the searched span) or why nothing could be told.
    let seen = match &resolved.destination {
        Destination::DeliveryStream { name, .. } => {
            out.push(STOPPED_ARRIVING.finding(
                &subject,
                Verdict::unknown(
                    format!("records of {id} cannot be observed: Firehose stream {name} passes them on, and what its destination keeps is not visible from here"),
                    evidence(json!({})),
                    "Check the stream's destination for recent objects, for example with aws s3api list-objects-v2 on the bucket the stream writes to, or waive REC001 for this flow log with that evidence.",
                ),
            ));
            return;
        }
        Destination::Bucket { name } => {
            let prefix = crate::destination::flow_log_key_prefix(
                &resolved.key_prefix,
                holder.account_id,
                holder.region,
                fl.flow_log
                    .destination_options
                    .as_ref()
                    .is_some_and(|o| o.hive_compatible_partitions),
            );
            s3_silence(observations, name, &prefix, id)
        }
        Destination::LogGroup {
            account_id,
            region,
            name,
        } => group_silence(observations, (account_id, region, name), id),
    };
    let seen = match seen {
        Ok(seen) => seen,
        Err(Unseen::Because(why, extra)) => {
            out.push(STOPPED_ARRIVING.finding(
                &subject,
                Verdict::error(
                    format!("records of {id} could not be observed: {why}"),
                    evidence(extra),
                    "Grant s3:ListBucket on the destination bucket or logs:DescribeLogStreams on the log group to the identity flowaudit runs as, and observe again: aws s3api list-objects-v2 --bucket central-flow-logs --max-keys 1",
                ),
            ));
            return;
        }
    };
    let Some(observed_at) = parse_time(&seen.observed_at) else {
        return; // The snapshot check rejects an unreadable time; nothing to judge by.
    };
    let lag = seen.lag_minutes;
    let evidence = evidence(seen.evidence.clone());
    let created = fl.flow_log.creation_time.as_deref().and_then(parse_time);
    let newest = seen.newest.as_deref().and_then(parse_time);
    if let Some(t) = newest
        && (observed_at - t).num_minutes() <= max_minutes + lag
    {
        out.push(STOPPED_ARRIVING.finding(
            &subject,
            Verdict::pass(
                format!(
                    "{id}'s newest record at {} is {} older than the observation (max_silence {max})",
                    seen.where_, span((observed_at - t).num_minutes().max(0))
                ),
                evidence,
            ),
        ));
        return;
    }
    if let Some(c) = created
        && (observed_at - c).num_minutes() < max_minutes
    {
        out.push(STOPPED_ARRIVING.finding(
            &subject,
            Verdict::pass(
                format!("{id} was created {} before the observation, less than max_silence {max}: no record is due yet", span((observed_at - c).num_minutes().max(0))),
                evidence,
            ),
        ));
        return;
    }
    let last = match (newest, &seen.none_since) {
        (Some(t), _) => format!(
            "its newest record at {} is from {} ({} before the observation)",
            seen.where_,
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            span((observed_at - t).num_minutes())
        ),
        (None, NoneSince::Ever) => format!("{} holds none ever", seen.where_),
        (None, NoneSince::Date(since)) => {
            let start = since.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
            match start {
                Some(start) if (observed_at - start).num_minutes() >= max_minutes => format!(
                    "{} holds none since {since}, as far back as was searched",
                    seen.where_
                ),
                _ => {
                    out.push(STOPPED_ARRIVING.finding(
                        &subject,
                        Verdict::error(
                            format!("records of {id} not judged: the observation searched back only to {since}, less than max_silence {max}"),
                            evidence,
                            format!("Observe again with a longer search: flowaudit scan --observe --observe-days {}", max.days_rounded_up() + 1),
                        ),
                    ));
                    return;
                }
            }
        }
        (None, NoneSince::Unknown(why)) => {
            out.push(STOPPED_ARRIVING.finding(
                &subject,
                Verdict::error(
                    format!("records of {id} not judged: {why}"),
                    evidence,
                    "Observe again when fewer flow logs share the group, or look at the streams yourself: aws logs describe-log-streams --log-group-name /vpc/flow-logs --order-by LastEventTime --descending --max-items 5",
                ),
            ));
            return;
        }
    };
    out.push(STOPPED_ARRIVING.finding(
        &subject,
        Verdict::fail(
            format!(
                "records of {id} stopped arriving: {last}; the policy allows a silence of {max}"
            ),
            evidence,
            format!(
                "Look at what the destination holds and at the flow log's delivery status:\n  {}\n  aws ec2 describe-flow-logs --region {} --flow-log-ids {id}\nThen repair the bucket policy, KMS key policy or delivery role the error names, or recreate the flow log; an interface with no traffic writes nothing, so waive the finding if that is expected.",
                seen.look, holder.region
            ),
        ),
    ));
}

/// What an observation says of one flow log's newest record.
struct Silence {
    /// The destination, for messages.
    where_: String,
    observed_at: String,
    newest: Option<String>,
    /// When `newest` is absent: what that proves.
    none_since: NoneSince,
    /// Minutes by which the newest time may lag behind the truth.
    lag_minutes: i64,
    /// The command that shows what the destination holds.
    look: String,
    evidence: Value,
}

enum NoneSince {
    /// The destination holds nothing from this flow log at all.
    Ever,
    /// Nothing from this date on (the search went no further back).
    Date(NaiveDate),
    /// Nothing among what was looked at, which was not everything.
    Unknown(String),
}

/// Not observed, and why, with evidence.
enum Unseen {
    Because(String, Value),
}

fn s3_silence(
    observations: &Observations,
    bucket: &str,
    prefix: &str,
    id: &str,
) -> Result<Silence, Unseen> {
    let Some(tree) = find_prefix(observations, bucket, prefix) else {
        return Err(Unseen::Because(
            format!(
                "s3://{bucket}/{prefix} was not observed (the snapshot's observations do not include it)"
            ),
            json!({}),
        ));
    };
    let files = tree.flow_logs.iter().find(|f| f.flow_log_id == id);
    let error = files.and_then(|f| f.error.as_ref()).or(tree.error.as_ref());
    if let Some(e) = error {
        return Err(Unseen::Because(error_text(e), json!({ "error": e })));
    }
    let Some(files) = files else {
        return Err(Unseen::Because(
            format!("its files under s3://{bucket}/{prefix} were not looked up"),
            json!({}),
        ));
    };
    let searched = NaiveDate::parse_from_str(&files.searched_since, "%Y-%m-%d").ok();
    let oldest = tree
        .oldest_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let none_since = match (oldest, searched) {
        // The search reached back past everything the prefix holds.
        (None, _) => NoneSince::Ever,
        (Some(o), Some(s)) if s <= o => NoneSince::Ever,
        (_, Some(s)) => NoneSince::Date(s),
        (_, None) => NoneSince::Unknown(format!(
            "searched_since `{}` is not a date",
            files.searched_since
        )),
    };
    Ok(Silence {
        where_: format!("s3://{bucket}/{prefix}"),
        look: format!(
            "aws s3api list-objects-v2 --bucket {bucket} --prefix {prefix} --delimiter / --max-keys 5"
        ),
        observed_at: tree.observed_at.clone(),
        newest: files.newest_record.clone(),
        none_since,
        lag_minutes: 0,
        evidence: json!({
            "observed_at": tree.observed_at,
            "newest_record": files.newest_record,
            "newest_key": files.newest_key,
            "searched_since": files.searched_since,
        }),
    })
}

fn group_silence(
    observations: &Observations,
    place: (&str, &str, &str),
    id: &str,
) -> Result<Silence, Unseen> {
    let (account_id, region, name) = place;
    let Some(group) = find_group(observations, place) else {
        return Err(Unseen::Because(
            format!("log group {name} ({account_id}, {region}) was not observed"),
            json!({}),
        ));
    };
    let seen = group.flow_logs.iter().find(|f| f.flow_log_id == id);
    let error = seen.and_then(|f| f.error.as_ref()).or(group.error.as_ref());
    if let Some(e) = error {
        return Err(Unseen::Because(error_text(e), json!({ "error": e })));
    }
    let Some(seen) = seen else {
        return Err(Unseen::Because(
            format!("its streams in {name} were not looked up"),
            json!({}),
        ));
    };
    let none_since = if seen.complete {
        NoneSince::Ever
    } else {
        NoneSince::Unknown(format!(
            "{} of its {} interfaces' streams were looked up before the bound on look-ups per group was reached, and none of them has a recent event",
            seen.looked_up, seen.interfaces
        ))
    };
    Ok(Silence {
        where_: format!("log group {name}"),
        look: format!(
            "aws logs describe-log-streams --region {region} --log-group-name {name} --order-by LastEventTime --descending --max-items 5"
        ),
        observed_at: group.observed_at.clone(),
        newest: seen.newest_event.clone(),
        none_since,
        lag_minutes: STREAM_TIME_LAG_MINUTES,
        evidence: json!({
            "observed_at": group.observed_at,
            "newest_event": seen.newest_event,
            "newest_stream": seen.newest_stream,
            "interfaces": seen.interfaces,
            "looked_up": seen.looked_up,
            "complete": seen.complete,
            "group_newest_event": group.newest_event,
            "group_newest_ingestion": group.newest_ingestion,
        }),
    })
}

/// The observation of one log group.
pub fn find_group<'o>(
    observations: &'o Observations,
    (account_id, region, name): (&str, &str, &str),
) -> Option<&'o LogGroupObservation> {
    observations
        .log_groups
        .iter()
        .find(|g| g.account_id == account_id && g.region == region && g.log_group_name == name)
}

/// The observation of one S3 subtree.
pub fn find_prefix<'o>(
    observations: &'o Observations,
    bucket: &str,
    key_prefix: &str,
) -> Option<&'o S3PrefixObservation> {
    observations
        .s3_prefixes
        .iter()
        .find(|o| o.bucket == bucket && o.key_prefix == key_prefix)
}

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
fn check_kept(
    ctx: &Context,
    observations: Option<&Observations>,
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
    let seen = observations.map(|o| find_prefix(o, bucket, &tree.key_prefix));
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
                    super::with_fields(&extra, json!({ "error": e })),
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
            let evidence = super::with_fields(
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
        let evidence = super::with_fields(
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

/// The strictest range among profiles: the highest minimum and the lowest maximum.
fn strictest(
    ranges: impl Iterator<Item = (Option<u32>, Option<u32>)>,
) -> (Option<u32>, Option<u32>) {
    ranges.fold((None, None), |(lo, hi), (min, max)| {
        (
            lo.max(min),
            match (hi, max) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        )
    })
}

/// What was observed at each destination of a judged flow log, for the reports: S3
/// subtrees in bucket and prefix order, then log groups. Empty when nothing was observed.
pub(crate) fn rows(ctx: &Context) -> Vec<RecordsRow> {
    let Some(observations) = ctx.estate.snapshot.observations.as_ref() else {
        return Vec::new();
    };
    let ids = |users: &[usize]| -> Vec<String> {
        let mut ids: Vec<String> = users
            .iter()
            .map(|&u| ctx.flow_logs[u].flow_log.flow_log_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let mut s3_rows = Vec::new();
    let mut group_rows = Vec::new();
    for usage in &ctx.destinations {
        let profiles = &usage.profiles;
        match (&usage.destination, &usage.state) {
            (Destination::Bucket { name }, DestinationState::Bucket(_)) => {
                for tree in &usage.subtrees {
                    let Some(seen) = find_prefix(observations, name, &tree.key_prefix) else {
                        continue;
                    };
                    let (min_days, max_days) = strictest(
                        ctx.profiles_using(&tree.users)
                            .iter()
                            .filter_map(|p| p.requirements.s3.as_ref())
                            .map(|s| (s.expiration_days.min, s.expiration_days.max)),
                    );
                    let observed = parse_time(&seen.observed_at).map(|t| t.date_naive());
                    let oldest = seen
                        .oldest_date
                        .as_deref()
                        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                    s3_rows.push(RecordsRow {
                        destination: format!("s3://{name}/{}", tree.key_prefix),
                        resource_id: format!("{name}/{}", tree.key_prefix),
                        account_id: tree.account_id.clone(),
                        region: tree.region.clone(),
                        observed_at: seen.observed_at.clone(),
                        newest: seen.newest_date.clone(),
                        oldest: seen.oldest_date.clone(),
                        kept_days: observed.zip(oldest).map(|(o, d)| (o - d).num_days()),
                        min_days,
                        max_days,
                        flow_logs: ids(&tree.users),
                        error: seen.error.as_ref().map(error_text),
                    });
                }
            }
            (
                Destination::LogGroup {
                    account_id,
                    region,
                    name,
                },
                DestinationState::LogGroup(_),
            ) if !usage.users.is_empty() => {
                let Some(seen) = find_group(observations, (account_id, region, name)) else {
                    continue;
                };
                let (min_days, max_days) = strictest(
                    profiles
                        .iter()
                        .filter_map(|p| p.requirements.cloudwatch.as_ref())
                        .map(|c| (c.retention_days.0.min, c.retention_days.0.max)),
                );
                group_rows.push(RecordsRow {
                    destination: format!("log group {name}"),
                    resource_id: name.clone(),
                    account_id: account_id.clone(),
                    region: region.clone(),
                    observed_at: seen.observed_at.clone(),
                    newest: seen.newest_event.clone(),
                    oldest: None,
                    kept_days: None,
                    min_days,
                    max_days,
                    flow_logs: ids(&usage.users),
                    error: seen.error.as_ref().map(error_text),
                });
            }
            _ => {}
        }
    }
    s3_rows.sort();
    group_rows.sort();
    s3_rows.extend(group_rows);
    s3_rows
}
