//! REC001: whether each flow log's records are still arriving at its destination.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{
    NOT_OBSERVED, Observed, STOPPED_ARRIVING, STREAM_TIME_LAG_MINUTES, error_text, parse_time, span,
};
use crate::destination::Destination;
use crate::findings::Finding;
use crate::index::{Context, Holder, ScopedFlowLog};
use crate::rules::{Verdict, flow_log_subject, with_fields};

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
pub(super) fn check_silence(
    ctx: &Context,
    observations: Option<&Observed>,
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
    let evidence = |extra: Value| with_fields(&base, extra);
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
        // A stale event among the interfaces looked up says nothing of those that were not.
        (Some(t), NoneSince::Unknown(why)) => {
            out.push(STOPPED_ARRIVING.finding(
                &subject,
                Verdict::error(
                    format!(
                        "records of {id} not judged: the newest event found is from {}, but {why}",
                        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                    evidence,
                    seen.look.clone(),
                ),
            ));
            return;
        }
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
    observations: &Observed,
    bucket: &str,
    prefix: &str,
    id: &str,
) -> Result<Silence, Unseen> {
    let Some(tree) = observations.prefix(bucket, prefix) else {
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
    observations: &Observed,
    place: (&str, &str, &str),
    id: &str,
) -> Result<Silence, Unseen> {
    let (account_id, region, name) = place;
    let Some(group) = observations.group(place) else {
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
