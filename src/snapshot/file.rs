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

pub(super) fn supported_schema_version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
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
        let (line, column, message) = crate::location::json_error(&e);
        SnapshotError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    // One pass when the file is good; the version is probed only to explain a failure, so
    // that a file of another version gets that message instead of whatever field it lacks.
    serde_json::from_str::<Snapshot>(text).map_err(|e| {
        match serde_json::from_str::<VersionProbe>(text) {
            Err(version) if version.classify() == serde_json::error::Category::Data => {
                to_error(version)
            }
            _ => to_error(e),
        }
    })
}

/// Reads and parses a snapshot file; returns it with the SHA-256 of its bytes. The bytes
/// are hashed on a second thread while they are parsed, and dropped before this returns,
/// so that a large snapshot is not held twice while it is evaluated.
pub fn load(path: &Path) -> Result<(Snapshot, String), SnapshotError> {
    let bytes = std::fs::read(path).map_err(|source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = utf8(&bytes, path)?;
    std::thread::scope(|scope| {
        let digest = scope.spawn(|| crate::digest::sha256_hex(&bytes));
        let snapshot = parse(text, path)?;
        let digest = digest
            .join()
            .unwrap_or_else(|_| crate::digest::sha256_hex(&bytes));
        Ok((snapshot, digest))
    })
}

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// The file as UTF-8 text, or an error that names the offending byte's offset and place.
fn utf8<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, SnapshotError> {
    let error = |offset: usize, message: String| {
        let (line, column) = crate::location::line_column(bytes, offset);
        SnapshotError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    if bytes.starts_with(BYTE_ORDER_MARK) {
        return Err(error(
            0,
            "the file starts with a UTF-8 byte-order mark (EF BB BF), which JSON does not allow; \
             save it as UTF-8 without a BOM"
                .to_string(),
        ));
    }
    crate::location::utf8(bytes).map_err(|(offset, message)| error(offset, message))
}

/// Pretty JSON with a trailing newline; the model's field order makes it deterministic.
pub fn to_json(snapshot: &Snapshot) -> Result<String, serde_json::Error> {
    let mut out = serde_json::to_string_pretty(snapshot)?;
    out.push('\n');
    Ok(out)
}

/// The SHA-256 of [`to_json`]'s text, computed as it is serialised: a live scan's report
/// names the snapshot it judged without holding its JSON (hundreds of megabytes at a
/// thousand accounts) in memory.
pub fn digest(snapshot: &Snapshot) -> Result<String, serde_json::Error> {
    let mut hasher = crate::digest::Sha256Writer::default();
    serde_json::to_writer_pretty(&mut hasher, snapshot)?;
    std::io::Write::write_all(&mut hasher, b"\n").map_err(serde_json::Error::io)?;
    Ok(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streamed_digest_is_the_digest_of_the_saved_text() {
        let mut snapshot = Snapshot::empty("2026-12-01T00:00:00Z".to_string());
        snapshot.scope.regions = vec!["eu-west-1".to_string(), "us-east-1".to_string()];
        let json = to_json(&snapshot).unwrap();
        assert_eq!(
            digest(&snapshot).unwrap(),
            crate::digest::sha256_hex(json.as_bytes())
        );
    }
}
