//! Reading and writing snapshot files, with errors that point at the offending byte.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::model::{SCHEMA_VERSION, Snapshot};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "snapshot {path}:{line}:{column}: {message}. Expected a flowaudit snapshot \
         (schema_version {SCHEMA_VERSION}), as written by `flowaudit collect`"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The schema version, checked on its own first so that a file of another version gets
/// that message instead of whatever field it happens to lack.
#[derive(Deserialize)]
struct VersionProbe {
    #[serde(deserialize_with = "supported_schema_version")]
    #[allow(dead_code)] // read only for its check
    schema_version: u32,
}

fn supported_schema_version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    struct VersionVisitor;
    impl Visitor<'_> for VersionVisitor {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "schema_version {SCHEMA_VERSION}")
        }
        // Raising the error inside the visitor lets serde_json attach this value's position.
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
            if v == u64::from(SCHEMA_VERSION) {
                Ok(SCHEMA_VERSION)
            } else {
                Err(E::custom(format!(
                    "schema_version {v} is not supported; this flowaudit reads schema_version {SCHEMA_VERSION}"
                )))
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
            Err(E::custom(format!("schema_version {v} is not supported")))
        }
    }
    d.deserialize_u64(VersionVisitor)
}

/// Parses snapshot text; `path` is used only in messages.
pub fn parse(text: &str, path: &Path) -> Result<Snapshot, SnapshotError> {
    let to_error = |e: serde_json::Error| {
        // serde_json appends " at line L column C"; the location goes in front instead.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        SnapshotError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: describe_json_error(e.classify(), message),
        }
    };
    serde_json::from_str::<VersionProbe>(text).map_err(to_error)?;
    serde_json::from_str::<Snapshot>(text).map_err(to_error)
}

fn describe_json_error(category: serde_json::error::Category, message: String) -> String {
    match category {
        serde_json::error::Category::Eof => {
            format!("the file ends early, it is truncated ({message})")
        }
        serde_json::error::Category::Syntax => format!("invalid JSON: {message}"),
        _ => message,
    }
}

pub fn load(path: &Path) -> Result<(Snapshot, Vec<u8>), SnapshotError> {
    let bytes = std::fs::read(path).map_err(|source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let snapshot = parse(&text, path)?;
    Ok((snapshot, bytes))
}

/// Pretty JSON with a trailing newline; the model's field order makes it deterministic.
pub fn to_json(snapshot: &Snapshot) -> Result<String, serde_json::Error> {
    let mut out = serde_json::to_string_pretty(snapshot)?;
    out.push('\n');
    Ok(out)
}
