//! Turning an evaluation into what people and machines read. One file per format.

mod json;
mod table;

pub use json::{PolicyRef, REPORT_SCHEMA_VERSION, Report, SnapshotRef, ToolRef};
pub use table::render as render_table;

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of the exact bytes evaluated.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
