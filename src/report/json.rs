//! The JSON report: a documented, versioned schema (README "JSON report").

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::evaluate::{Evaluation, WaiverUse};
use crate::findings::{CoverageCell, Finding, OutOfScope, PlanChange, RecordsRow, Summary};
use crate::plan::gate::GateSummary;
use crate::policy::Policy;
use crate::snapshot::Snapshot;

/// Bumped on any change a consumer of the JSON could notice.
pub const REPORT_SCHEMA_VERSION: u32 = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRef {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRef {
    pub name: String,
    /// SHA-256 of the policy file's bytes.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRef {
    /// SHA-256 of the snapshot file's bytes.
    pub sha256: String,
    pub collected_at: String,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolRef,
    pub policy: PolicyRef,
    pub snapshot: SnapshotRef,
    /// The date waivers and lifecycle dates were judged against (YYYY-MM-DD).
    pub evaluated_on: String,
    pub summary: Summary,
    /// ENI coverage per scanned account and region (absent in reports from before it).
    #[serde(default)]
    pub coverage: Vec<CoverageCell>,
    pub out_of_scope: Vec<OutOfScope>,
    pub waivers: Vec<WaiverUse>,
    /// For `flowaudit plan`: what the plan takes away (deletions, shorter retention, and
    /// with the existing estate every check it turns from pass to a problem).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan_changes: Vec<PlanChange>,
    /// For `flowaudit plan`: the gate the run was judged by, and its problems by class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateSummary>,
    /// What `--observe` saw per destination (absent when nothing was observed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<RecordsRow>,
    /// The region of each destination bucket whose region was read: bucket findings are
    /// filed under `global`, and Security Hub needs the bucket's own region.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bucket_regions: BTreeMap<String, String>,
    pub findings: Vec<Finding>,
}

/// Writes findings one per line, each after a comma unless it is the very first.
fn write_findings(
    out: &mut dyn std::io::Write,
    findings: &[Finding],
    starts_list: bool,
) -> Result<(), serde_json::Error> {
    for (i, finding) in findings.iter().enumerate() {
        let separator: &[u8] = if i == 0 && starts_list {
            b"\n    "
        } else {
            b",\n    "
        };
        out.write_all(separator).map_err(serde_json::Error::io)?;
        serde_json::to_writer(&mut *out, finding)?;
    }
    Ok(())
}

/// Every field of the report but the findings, in the report's field order.
#[derive(Serialize)]
struct ReportHead<'r> {
    schema_version: u32,
    tool: &'r ToolRef,
    policy: &'r PolicyRef,
    snapshot: &'r SnapshotRef,
    evaluated_on: &'r str,
    summary: &'r Summary,
    coverage: &'r [CoverageCell],
    out_of_scope: &'r [OutOfScope],
    waivers: &'r [WaiverUse],
    #[serde(skip_serializing_if = "<[PlanChange]>::is_empty")]
    plan_changes: &'r [PlanChange],
    #[serde(skip_serializing_if = "Option::is_none")]
    gate: Option<&'r GateSummary>,
    #[serde(skip_serializing_if = "<[RecordsRow]>::is_empty")]
    records: &'r [RecordsRow],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    bucket_regions: &'r BTreeMap<String, String>,
}

impl Report {
    /// `policy_sha256` and `snapshot_sha256` are the digests of the exact bytes loaded.
    pub fn new(
        evaluation: Evaluation,
        policy: &Policy,
        policy_sha256: String,
        snapshot: &Snapshot,
        snapshot_sha256: String,
        evaluated_on: NaiveDate,
    ) -> Report {
        let mut accounts = snapshot.scope.accounts.clone();
        accounts.sort();
        let mut regions = snapshot.scope.regions.clone();
        regions.sort();
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            tool: ToolRef {
                name: "flowaudit".to_string(),
                version: crate::VERSION.to_string(),
            },
            policy: PolicyRef {
                name: policy.name.clone(),
                sha256: policy_sha256,
            },
            snapshot: SnapshotRef {
                sha256: snapshot_sha256,
                collected_at: snapshot.collected_at.clone(),
                accounts,
                regions,
            },
            evaluated_on: evaluated_on.to_string(),
            summary: Summary::of(&evaluation.findings),
            coverage: evaluation.coverage,
            out_of_scope: evaluation.out_of_scope,
            waivers: evaluation.waivers,
            plan_changes: Vec::new(),
            gate: None,
            records: evaluation.records,
            bucket_regions: snapshot
                .buckets
                .iter()
                .filter_map(|b| Some((b.name.clone(), b.region.clone()?)))
                .collect(),
            findings: evaluation.findings,
        }
    }

    /// Whether a problem can fail the run: every one, unless a plan's gate leaves it out.
    pub fn counts(&self, finding: &Finding) -> bool {
        self.gate.is_none_or(|g| g.mode.counts(finding.change))
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = Vec::new();
        self.write_json(&mut out)?;
        String::from_utf8(out).map_err(|e| serde_json::Error::io(std::io::Error::other(e)))
    }

    /// Writes the report as JSON: the envelope pretty-printed, and each finding compact on
    /// a line of its own. A report of a large estate is then about a quarter smaller, and
    /// still diffs and greps one finding per line.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> Result<(), serde_json::Error> {
        let head = serde_json::to_vec_pretty(&ReportHead {
            schema_version: self.schema_version,
            tool: &self.tool,
            policy: &self.policy,
            snapshot: &self.snapshot,
            evaluated_on: &self.evaluated_on,
            summary: &self.summary,
            coverage: &self.coverage,
            out_of_scope: &self.out_of_scope,
            waivers: &self.waivers,
            plan_changes: &self.plan_changes,
            gate: self.gate.as_ref(),
            records: &self.records,
            bucket_regions: &self.bucket_regions,
        })?;
        // The head ends with "\n}"; the findings go in before that brace.
        let open = head.strip_suffix(b"\n}").unwrap_or(&head);
        let io = serde_json::Error::io;
        out.write_all(open).map_err(io)?;
        out.write_all(b",\n  \"findings\": [").map_err(io)?;
        // The second half is serialised on another core while the first is written.
        let (first, second) = self.findings.split_at(self.findings.len() / 2);
        std::thread::scope(|scope| {
            let later = scope.spawn(|| {
                let mut buffer = Vec::new();
                write_findings(&mut buffer, second, first.is_empty()).map(|()| buffer)
            });
            write_findings(out, first, true)?;
            match later.join() {
                Ok(buffer) => out.write_all(&buffer?).map_err(io),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })?;
        let close: &[u8] = if self.findings.is_empty() {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        };
        out.write_all(close).map_err(io)
    }
}
