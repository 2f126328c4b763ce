//! What `--observe` saw of the flow-log records at their destinations: dates and times from
//! S3 key paths and file names, and CloudWatch Logs stream times. No record is ever read.
//!
//! Every observation carries the time it was made; the `records` rules judge against that
//! time, never the machine's clock. A listing that failed leaves the value unknown and the
//! failure in `error`, which the rules turn into an error finding.

use serde::{Deserialize, Serialize};

/// The records' metadata, present when the snapshot was collected with `--observe`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observations {
    /// One per flow-log subtree of a bucket (`{prefix/}AWSLogs/{account}/vpcflowlogs/{region}/`
    /// or its Hive form), in bucket and prefix order.
    #[serde(default)]
    pub s3_prefixes: Vec<S3PrefixObservation>,
    /// One per log group that flow logs deliver to, in account, region and name order.
    #[serde(default)]
    pub log_groups: Vec<LogGroupObservation>,
}

/// A failed or cut-short listing: the value it would have given is unknown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationError {
    pub operation: String,
    pub code: String,
    pub message: String,
}

/// The dates present under one flow-log subtree of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3PrefixObservation {
    pub bucket: String,
    pub key_prefix: String,
    /// The source account and region in the key path.
    pub account_id: String,
    pub region: String,
    /// RFC 3339 time the listing was made.
    pub observed_at: String,
    /// The newest date folder (`YYYY-MM-DD`); absent when the subtree is empty or the
    /// listing failed (see `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_date: Option<String>,
    /// The oldest date folder (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_date: Option<String>,
    /// The storage class of the first object of the oldest date folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_storage_class: Option<String>,
    #[serde(default)]
    pub flow_logs: Vec<S3FlowLogObservation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ObservationError>,
}

/// The newest file one flow log wrote under its subtree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3FlowLogObservation {
    pub flow_log_id: String,
    /// The newest file's time, from its name (`..._20261130T1305Z_...`), as RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_key: Option<String>,
    /// The oldest date folder looked in (`YYYY-MM-DD`): when no file was found, the flow
    /// log wrote nothing from this date on.
    pub searched_since: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ObservationError>,
}

/// The freshest events of a log group, and of each flow log's interfaces in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogGroupObservation {
    pub account_id: String,
    pub region: String,
    pub log_group_name: String,
    pub observed_at: String,
    /// The stream with the latest event (DescribeLogStreams by LastEventTime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_stream: Option<String>,
    /// RFC 3339 times of that stream's last event and last ingestion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_ingestion: Option<String>,
    #[serde(default)]
    pub flow_logs: Vec<LogGroupFlowLogObservation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ObservationError>,
}

/// The freshest event among the streams of one flow log's interfaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogGroupFlowLogObservation {
    pub flow_log_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_stream: Option<String>,
    /// The interfaces the flow log covers, and how many of their streams were looked up.
    pub interfaces: usize,
    pub looked_up: usize,
    /// Whether `newest_event` is the flow log's newest: the group's freshest stream is one
    /// of its interfaces', or every interface was looked up. False when the per-group bound
    /// on look-ups was reached: an interface not looked up may hold a newer event.
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ObservationError>,
}
