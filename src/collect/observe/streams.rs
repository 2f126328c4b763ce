//! CloudWatch Logs: a log group's freshest stream, and the freshest event of each flow
//! log's interfaces in it (DescribeLogStreams; no event is read).
//!
//! Flow-log streams are named `{eni-id}-all`, `-accept` or `-reject`. The group's freshest
//! stream (ordered by LastEventTime) answers for the flow log whose interface it is; the
//! others' interfaces are looked up by name prefix, under a bound per group.

use chrono::{DateTime, Utc};

use super::super::attempts::observed;
use super::super::errors;
use crate::snapshot::{LogGroupFlowLogObservation, LogGroupObservation, ObservationError};

/// The most per-interface stream look-ups made in one log group.
pub const STREAM_LOOKUPS_PER_GROUP: usize = 25;

/// A flow log writing to the group, and the interfaces whose streams it writes.
pub struct GroupUser {
    pub flow_log_id: String,
    /// Sorted ENI ids; empty for a resource whose streams are not named by interface (a
    /// transit gateway).
    pub interfaces: Vec<String>,
}

/// A stream's name and times (epoch milliseconds).
struct Stream {
    name: String,
    last_event: Option<i64>,
    last_ingestion: Option<i64>,
}

fn rfc3339(millis: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn stream(s: &aws_sdk_cloudwatchlogs::types::LogStream) -> Stream {
    Stream {
        name: s.log_stream_name().unwrap_or_default().to_string(),
        last_event: s.last_event_timestamp(),
        last_ingestion: s.last_ingestion_time(),
    }
}

/// What was seen of a group before any answer: nothing.
fn unseen(place: (&str, &str, &str), now: DateTime<Utc>) -> LogGroupObservation {
    let (account_id, region, name) = place;
    LogGroupObservation {
        account_id: account_id.to_string(),
        region: region.to_string(),
        log_group_name: name.to_string(),
        observed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        newest_stream: None,
        newest_event: None,
        newest_ingestion: None,
        flow_logs: Vec::new(),
        error: None,
    }
}

/// What was seen of one flow log's streams before any look-up: nothing.
fn unseen_flow_log(user: &GroupUser) -> LogGroupFlowLogObservation {
    LogGroupFlowLogObservation {
        flow_log_id: user.flow_log_id.clone(),
        newest_event: None,
        newest_stream: None,
        interfaces: user.interfaces.len(),
        looked_up: 0,
        complete: false,
        error: None,
    }
}

/// A group that could not be observed: every flow log's look-up is unknown for `error`.
pub fn failed(
    place: (&str, &str, &str),
    users: &[GroupUser],
    now: DateTime<Utc>,
    error: ObservationError,
) -> LogGroupObservation {
    LogGroupObservation {
        flow_logs: users
            .iter()
            .map(|u| LogGroupFlowLogObservation {
                error: Some(error.clone()),
                ..unseen_flow_log(u)
            })
            .collect(),
        error: Some(error),
        ..unseen(place, now)
    }
}

/// Observes one group. `now` is the observation's time: an interface whose event is less
/// than an hour old ends the flow log's look-ups, since nothing fresher can be asked of it.
pub async fn observe_group(
    client: &aws_sdk_cloudwatchlogs::Client,
    place: (&str, &str, &str),
    users: &[GroupUser],
    now: DateTime<Utc>,
    requests: &mut usize,
) -> LogGroupObservation {
    let name = place.2;
    let mut seen = unseen(place, now);
    *requests += 1;
    let (answer, attempts) = observed(
        client
            .describe_log_streams()
            .log_group_name(name)
            .order_by(aws_sdk_cloudwatchlogs::types::OrderBy::LastEventTime)
            .descending(true)
            .limit(1)
            .send(),
    )
    .await;
    let newest = match answer {
        Ok(out) => out.log_streams().first().map(stream),
        Err(e) => {
            let (code, message) = errors::describe(&e, &attempts);
            let error = ObservationError {
                operation: "DescribeLogStreams".to_string(),
                code,
                message,
            };
            return failed(place, users, now, error);
        }
    };
    if let Some(s) = &newest {
        seen.newest_stream = Some(s.name.clone());
        seen.newest_event = s.last_event.and_then(rfc3339);
        seen.newest_ingestion = s.last_ingestion.and_then(rfc3339);
    }
    let fresh_after = (now - chrono::Duration::hours(1)).timestamp_millis();
    let mut budget = STREAM_LOOKUPS_PER_GROUP;
    for user in users {
        let mut flow_log = unseen_flow_log(user);
        let owns_newest = newest.as_ref().is_some_and(|s| {
            user.interfaces
                .iter()
                .any(|eni| s.name.starts_with(eni.as_str()))
                || (user.interfaces.is_empty() && users.len() == 1)
        });
        if let Some(s) = newest.as_ref().filter(|_| owns_newest) {
            flow_log.newest_event = s.last_event.and_then(rfc3339);
            flow_log.newest_stream = Some(s.name.clone());
            flow_log.complete = true;
        } else if newest.is_none() {
            // The group has no stream at all: nothing was ever delivered to it.
            flow_log.complete = true;
        } else {
            let mut best: Option<Stream> = None;
            for eni in &user.interfaces {
                if budget == 0 {
                    break;
                }
                budget -= 1;
                flow_log.looked_up += 1;
                *requests += 1;
                let (answer, attempts) = observed(
                    client
                        .describe_log_streams()
                        .log_group_name(name)
                        .log_stream_name_prefix(eni)
                        .send(),
                )
                .await;
                match answer {
                    Ok(out) => {
                        for s in out.log_streams().iter().map(stream) {
                            if s.last_event > best.as_ref().and_then(|b| b.last_event) {
                                best = Some(s);
                            }
                        }
                    }
                    Err(e) => {
                        let (code, message) = errors::describe(&e, &attempts);
                        flow_log.error = Some(ObservationError {
                            operation: "DescribeLogStreams".to_string(),
                            code,
                            message: format!("streams of {eni}: {message}"),
                        });
                        break;
                    }
                }
                if best
                    .as_ref()
                    .and_then(|b| b.last_event)
                    .is_some_and(|t| t >= fresh_after)
                {
                    break;
                }
            }
            // A flow log whose streams are not named by interface, in a group it shares,
            // cannot be told apart from the others.
            flow_log.complete = flow_log.error.is_none()
                && !user.interfaces.is_empty()
                && flow_log.looked_up == user.interfaces.len();
            if let Some(b) = best {
                flow_log.newest_event = b.last_event.and_then(rfc3339);
                flow_log.newest_stream = Some(b.name);
            }
        }
        seen.flow_logs.push(flow_log);
    }
    seen
}
