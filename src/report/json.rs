//! The JSON report: a documented, versioned schema (README "JSON report").

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::evaluate::{Evaluation, WaiverUse};
use crate::findings::{Finding, OutOfScope, Summary};
use crate::policy::Policy;
use crate::snapshot::Snapshot;

/// Bumped on any change a consumer of the JSON could notice.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

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
    pub out_of_scope: Vec<OutOfScope>,
    pub waivers: Vec<WaiverUse>,
    pub findings: Vec<Finding>,
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
            out_of_scope: evaluation.out_of_scope,
            waivers: evaluation.waivers,
            findings: evaluation.findings,
        }
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = serde_json::to_string_pretty(self)?;
        out.push('\n');
        Ok(out)
    }
}
