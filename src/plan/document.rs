//! The JSON that `terraform show -json PLANFILE` (or `tofu show -json`) writes, as far as
//! flowaudit reads it. Terraform documents the format in "JSON Output Format".
//!
//! Every `format_version` from 0.1 up to, not including, 2.0 is read, as HashiCorp's own
//! reader (terraform-json) does: 0.1 from Terraform 0.12 to 0.15, 0.2 from 1.0, and 1.0 to
//! 1.2 from 1.1 on. The versions only add fields (`relevant_attributes`, `checks`,
//! `timestamp`, the sensitivity maps), and flowaudit reads none that older plans lack.
//! References differ: up to Terraform 0.13 a reference names only the resource
//! (`aws_vpc.main`), later ones add the attribute (`aws_vpc.main.id`) beside it; both are
//! followed alike. Unknown fields are ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;

use crate::destination::Destination;

/// The `format_version`s this build reads: from 0.1 up to, not including, this major
/// version.
pub const FORMAT_MAJOR: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read plan {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "plan {path}:{line}:{column}: {message}. Expected the JSON of `terraform show -json \
         PLANFILE` or `tofu show -json PLANFILE` (format_version 0.1 to 1.x)"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub struct PlanDocument {
    #[serde(deserialize_with = "supported_format_version")]
    pub format_version: String,
    #[serde(default)]
    pub terraform_version: Option<String>,
    /// When the plan was made (Terraform 1.5 and later).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Required: a plan without it is not a plan (a state file, or `terraform show -json`
    /// of nothing).
    pub resource_changes: Vec<ResourceChange>,
    #[serde(default)]
    pub configuration: Configuration,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ResourceChange {
    pub address: String,
    /// The module instance, e.g. `module.vpc` or `module.net["a"].module.vpc`; absent in the
    /// root module.
    #[serde(default)]
    pub module_address: Option<String>,
    #[serde(default = "managed")]
    pub mode: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    /// The `count` index or `for_each` key, when the resource has one.
    #[serde(default)]
    pub index: Option<Value>,
    pub change: Change,
}

fn managed() -> String {
    "managed".to_string()
}

#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub actions: Vec<String>,
    #[serde(default)]
    pub before: Option<Value>,
    #[serde(default)]
    pub after: Option<Value>,
    /// The same shape as `after`, `true` where a value is known only after apply.
    #[serde(default)]
    pub after_unknown: Option<Value>,
}

impl PlanDocument {
    /// The destinations the plan's flow logs name by a literal ARN: buckets and log groups
    /// that exist already, for `--live` to inspect although no flow log delivers to them
    /// yet. Log groups the plan names by reference are in the plan; the others, in a
    /// scanned region, are listed anyway.
    pub fn named_destinations(&self) -> Vec<Destination> {
        let mut found: Vec<Destination> = self
            .resource_changes
            .iter()
            .filter(|rc| rc.resource_type == "aws_flow_log")
            .filter_map(|rc| rc.change.after.as_ref()?.get("log_destination")?.as_str())
            .filter_map(Destination::from_arn)
            .collect();
        found.sort_by_key(|d| d.arn());
        found.dedup();
        found
    }
}

impl Change {
    /// The resource no longer exists after apply.
    pub fn deletes(&self) -> bool {
        self.actions.iter().any(|a| a == "delete") && !self.actions.iter().any(|a| a == "create")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Configuration {
    #[serde(default)]
    pub provider_config: BTreeMap<String, ProviderConfig>,
    #[serde(default)]
    pub root_module: ModuleConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProviderConfig {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub expressions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ModuleConfig {
    #[serde(default)]
    pub resources: Vec<ResourceConfig>,
    #[serde(default)]
    pub module_calls: BTreeMap<String, ModuleCall>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputConfig>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ResourceConfig {
    pub address: String,
    #[serde(default = "managed")]
    pub mode: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    #[serde(default)]
    pub provider_config_key: Option<String>,
    /// Each attribute's expression: `constant_value`, `references`, or for a nested block
    /// a list of objects of expressions.
    #[serde(default)]
    pub expressions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModuleCall {
    #[serde(default)]
    pub source: String,
    /// The module's input variables as the call sets them.
    #[serde(default)]
    pub expressions: BTreeMap<String, Value>,
    #[serde(default)]
    pub module: ModuleConfig,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutputConfig {
    #[serde(default)]
    pub expression: Value,
}

/// The references of one expression (`expressions.ATTR.references`), empty when it has
/// none.
pub fn references(expression: Option<&Value>) -> Vec<&str> {
    expression
        .and_then(|e| e.get("references"))
        .and_then(Value::as_array)
        .map(|refs| refs.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Reads and parses a plan file. Every failure names the file, and for JSON errors the
/// line and column.
pub fn load(path: &Path) -> Result<PlanDocument, PlanError> {
    let bytes = std::fs::read(path).map_err(|source| PlanError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &bytes)
}

pub fn parse(path: &Path, bytes: &[u8]) -> Result<PlanDocument, PlanError> {
    let located = |line: usize, column: usize, message: String| PlanError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let text = crate::location::unicode_text(bytes).map_err(|(offset, message)| {
        let (line, column) = crate::location::line_column(bytes, offset);
        located(
            line,
            column,
            format!(
                "{message}. Write the plan as UTF-8, for example in PowerShell: `terraform \
                 show -json plan.tfplan | Out-File -Encoding utf8 plan.json`"
            ),
        )
    })?;
    let text: &str = &text;
    // One pass when the plan is good; the version is probed only to explain a failure, so
    // that a plan of another format gets that message rather than one about whatever field
    // it happens to lack.
    #[derive(Deserialize)]
    struct VersionProbe {
        #[serde(deserialize_with = "supported_format_version")]
        #[allow(dead_code)] // read only for its check
        format_version: String,
    }
    let to_error = |e: serde_json::Error| {
        let (line, column, message) = crate::location::json_error(&e);
        if message.starts_with("missing field `resource_changes`") {
            let message = "the document has no `resource_changes`: it is not a saved plan's \
                           JSON (a state file, or a plan with no resources, has none)";
            return located(line, column, message.to_string());
        }
        located(line, column, message)
    };
    serde_json::from_str::<PlanDocument>(text).map_err(|e| {
        match serde_json::from_str::<VersionProbe>(text) {
            Err(version) if version.classify() == serde_json::error::Category::Data => {
                to_error(version)
            }
            _ => to_error(e),
        }
    })
}

fn supported_format_version<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct VersionVisitor;
    impl Visitor<'_> for VersionVisitor {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a format_version string such as \"1.2\" or \"0.1\"")
        }
        // Raising the error inside the visitor lets serde_json attach this value's position.
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
            let (major, minor) = (parts.next().flatten(), parts.next().flatten());
            // From 0.1 up to, not including, FORMAT_MAJOR.0, as terraform-json accepts.
            match (major, minor) {
                (Some(0), Some(minor)) if minor >= 1 => Ok(v.to_string()),
                (Some(major), _) if (1..FORMAT_MAJOR).contains(&major) => Ok(v.to_string()),
                _ => Err(E::custom(format!(
                    "format_version \"{v}\" is not supported; this flowaudit reads format_version 0.1 up to, not including, {FORMAT_MAJOR}.0 (Terraform 0.12 and later, OpenTofu)"
                ))),
            }
        }
    }
    d.deserialize_str(VersionVisitor)
}
