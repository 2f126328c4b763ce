//! What evaluation produces: findings, and the vocabulary they are described in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a failure is. Ordered from least to most severe, so `>=` reads naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity `{s}`; expected critical, high, medium, low or info")
            })
    }
}

/// The fixed rule categories. Reports and downstream tooling read these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Coverage,
    FlowLogSettings,
    Destination,
    CloudwatchRetention,
    S3Lifecycle,
    DestinationSecurity,
    Records,
    Collection,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Coverage,
        Category::FlowLogSettings,
        Category::Destination,
        Category::CloudwatchRetention,
        Category::S3Lifecycle,
        Category::DestinationSecurity,
        Category::Records,
        Category::Collection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Coverage => "coverage",
            Category::FlowLogSettings => "flow_log_settings",
            Category::Destination => "destination",
            Category::CloudwatchRetention => "cloudwatch_retention",
            Category::S3Lifecycle => "s3_lifecycle",
            Category::DestinationSecurity => "destination_security",
            Category::Records => "records",
            Category::Collection => "collection",
        }
    }

    /// The prefix of the category's rule ids (COV001, FLS002, ...): a short column name.
    pub fn rule_prefix(self) -> &'static str {
        match self {
            Category::Coverage => "COV",
            Category::FlowLogSettings => "FLS",
            Category::Destination => "DST",
            Category::CloudwatchRetention => "CWL",
            Category::S3Lifecycle => "S3L",
            Category::DestinationSecurity => "SEC",
            Category::Records => "REC",
            Category::Collection => "COL",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict of one check on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Checked and compliant. Kept in reports as evidence.
    Pass,
    /// Checked and not compliant.
    Fail,
    /// Not compliant, but an unexpired waiver covers it.
    Waived,
    /// Could not be judged because data was missing. Never counts as compliant.
    Error,
    /// Could not be judged because a value is unknown until a Terraform plan is applied
    /// (`flowaudit plan`). Never counts as compliant.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Waived => "waived",
            Status::Error => "error",
            Status::Unknown => "unknown",
        }
    }

    /// A failure, or something that could not be judged: what a reader must act on.
    pub fn is_problem(self) -> bool {
        matches!(self, Status::Fail | Status::Error | Status::Unknown)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The waiver a finding met: the one that waived it, or an expired one that no longer does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverRef {
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
    pub expired: bool,
}

/// One check of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub category: Category,
    pub severity: Severity,
    pub status: Status,
    pub resource_type: String,
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_arn: Option<String>,
    pub account_id: String,
    pub region: String,
    /// The policy profile the resource was judged under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub message: String,
    /// The values that decided the verdict.
    pub evidence: Evidence,
    pub remediation: String,
    // The three fields below are rare, and boxed: a finding is then about 250 bytes rather
    // than 450, which at a thousand accounts (239,000 findings) is 48 MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<WaiverRef>>,
    /// For a problem, when it was first seen and whether it is overdue; present when the
    /// scan had a baseline or the policy sets deadlines (see `crate::history`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Box<History>>,
    /// For a problem in a plan report: whether the plan brings it in, touches what it rests
    /// on, or leaves it as it was (the plan gate's classes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeClass>,
    /// For a plan report: where the resource is written in the Terraform configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Box<SourceLocation>>,
}

/// How a problem in a planned estate relates to the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ChangeClass {
    /// It did not exist before the plan: a check went from pass to a problem, or it is
    /// about a resource the plan creates.
    #[serde(rename = "introduced")]
    Introduced,
    /// It existed before, and the plan changes the resource or something its verdict rests
    /// on (its flow logs, log group, bucket or lifecycle configuration).
    #[serde(rename = "touched")]
    Touched,
    /// It existed before, and the plan touches nothing it rests on.
    #[serde(rename = "pre-existing")]
    PreExisting,
}

impl ChangeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Introduced => "introduced",
            ChangeClass::Touched => "touched",
            ChangeClass::PreExisting => "pre-existing",
        }
    }
}

impl fmt::Display for ChangeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a Terraform configuration's `.tf` files: the `resource` block, or the
/// `module` call of a module whose files are not in the tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceLocation {
    /// Relative to the repository root (the folder holding `.git`), with `/` separators.
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The Terraform address the finding is about.
    pub address: String,
}

impl SourceLocation {
    /// `file:line`, as editors and reviewers read it.
    pub fn file_line(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// How long a problem has been open, carried from run to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The evaluation date of the first run that reported it (YYYY-MM-DD).
    pub first_seen: String,
    /// Days from `first_seen` to this run's evaluation date.
    pub age_days: i64,
    /// The day its deadline ends, when the policy sets one for its severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// Open past its deadline.
    #[serde(default)]
    pub overdue: bool,
}

impl Finding {
    /// The message, followed by the problem's age and deadline when it has a history:
    /// "... [open 12 days, since 2026-11-10; overdue since 2026-11-17]".
    pub fn message_with_age(&self) -> String {
        let Some(h) = &self.history else {
            return self.message.clone();
        };
        let days = if h.age_days == 1 { "day" } else { "days" };
        let deadline = match (&h.due, h.overdue) {
            (Some(due), true) => format!("; overdue since {due}"),
            (Some(due), false) => format!("; due {due}"),
            (None, _) => String::new(),
        };
        format!(
            "{} [open {} {days}, since {}{deadline}]",
            self.message, h.age_days, h.first_seen
        )
    }

    /// The resource whose settings the finding rests on: the bucket of an S3 prefix (whose
    /// id is `bucket/key-prefix`), else the resource itself.
    pub fn subject_id(&self) -> &str {
        match self.resource_type.as_str() {
            "s3-prefix" => self
                .resource_id
                .split('/')
                .next()
                .unwrap_or(&self.resource_id),
            _ => &self.resource_id,
        }
    }

    /// The identity of a finding across runs: drift and waivers match on it.
    pub fn key(&self) -> (&str, &str, &str, &str) {
        (
            &self.rule_id,
            &self.resource_id,
            &self.account_id,
            &self.region,
        )
    }
}

/// A finding's evidence: a JSON object kept as compact text with its keys sorted, built once
/// when the finding is made. A large estate has hundreds of thousands of findings; as
/// `serde_json::Value` trees their evidence took more memory than the snapshot itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Evidence(Box<serde_json::value::RawValue>);

impl Evidence {
    pub fn new(mut value: serde_json::Value) -> Evidence {
        // Key order must not depend on whether a build enables serde_json's preserve_order.
        value.sort_all_objects();
        let text = serde_json::to_string(&value).unwrap_or_else(|_| "{}".to_string());
        match serde_json::value::RawValue::from_string(text) {
            Ok(raw) => Evidence(raw),
            Err(_) => Evidence::default(),
        }
    }

    /// The evidence as a JSON value, for formats that embed it in their own documents.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }
}

impl Default for Evidence {
    fn default() -> Evidence {
        Evidence(
            serde_json::value::to_raw_value(&serde_json::Map::new()).unwrap_or_else(|_| {
                // An empty map always serialises; this arm is never taken.
                serde_json::value::RawValue::NULL.to_owned()
            }),
        )
    }
}

/// Evidence is equal when it says the same, whatever the whitespace of the text it was
/// read from (a report written pretty, or compact).
impl PartialEq for Evidence {
    fn eq(&self, other: &Evidence) -> bool {
        self.0.get() == other.0.get() || self.to_value() == other.to_value()
    }
}

/// How many network interfaces of the judged VPCs in one account and region a qualifying
/// flow log reaches (on the ENI, its subnet or its VPC), whatever level the policy asks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CoverageCell {
    pub account_id: String,
    pub region: String,
    pub network_interfaces: usize,
    pub covered: usize,
}

impl CoverageCell {
    /// The covered share in percent; `None` when there is nothing to cover.
    pub fn percent(&self) -> Option<f64> {
        (self.network_interfaces > 0)
            .then(|| 100.0 * self.covered as f64 / self.network_interfaces as f64)
    }
}

/// What `--observe` saw at one destination, for the reports' Records section: the newest
/// record, the oldest kept and the retention that shows, beside the policy's range.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordsRow {
    /// `s3://bucket/prefix/` or `log group NAME`.
    pub destination: String,
    /// The resource id of the destination's `records` findings (`bucket/prefix/` for S3,
    /// the group's name for CloudWatch Logs).
    pub resource_id: String,
    pub account_id: String,
    pub region: String,
    pub observed_at: String,
    /// The newest record: a date for an S3 prefix, a time for a log group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
    /// The oldest date kept (S3 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest: Option<String>,
    /// Days from the oldest date kept to the observation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_days: Option<i64>,
    /// The policy's retention range for this destination, strictest of its profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u32>,
    /// The flow logs that deliver there.
    pub flow_logs: Vec<String>,
    /// Why the destination could not be observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Something a Terraform plan changes that bears on coverage or retention: "deletes flow
/// log fl-0abc on vpc-0abc", "shortens retention of log group X from 30 to 7 days".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PlanChange {
    pub resource_id: String,
    /// The Terraform address that makes the change, when one resource does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    pub change: String,
}

/// A resource that was seen but deliberately not judged, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutOfScope {
    pub resource_type: String,
    pub resource_id: String,
    pub account_id: String,
    pub region: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub waived: usize,
    pub error: usize,
    /// Findings a plan cannot decide before apply; absent from scan reports.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unknown: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            match f.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Waived => s.waived += 1,
                Status::Error => s.error += 1,
                Status::Unknown => s.unknown += 1,
            }
        }
        s
    }

    /// Failures and findings that could not be judged: what a reader must act on.
    pub fn problems(&self) -> usize {
        self.fail + self.error + self.unknown
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.waived + self.error + self.unknown
    }
}
