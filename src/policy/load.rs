//! Reading policy files, with errors that name the file, line and column.

use std::path::{Path, PathBuf};

use super::Policy;
use super::model::PolicyFile;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("policy {}: {message}", location(path, *line, *column))]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
}

fn location(path: &Path, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", path.display()),
        _ => path.display().to_string(),
    }
}

/// Parses policy text; `path` is used only in messages.
pub fn parse(text: &str, path: &Path) -> Result<Policy, PolicyError> {
    let file: PolicyFile = serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = match e.location() {
            Some(loc) => (Some(loc.line()), Some(loc.column())),
            None => (None, None),
        };
        let full = e.to_string();
        // serde_yaml appends " at line L column C"; the location is given up front instead.
        let message = match (line, column) {
            (Some(l), Some(c)) => full
                .strip_suffix(&format!(" at line {l} column {c}"))
                .unwrap_or(&full)
                .to_string(),
            _ => full,
        };
        PolicyError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: with_hint(message),
        }
    })?;
    Ok(Policy::from_file(file))
}

/// Adds what a user needs to know to the few serde messages that do not say it.
fn with_hint(message: String) -> String {
    if message.ends_with("missing field `expires`") {
        format!("{message}; every waiver must say the last day it applies, as YYYY-MM-DD")
    } else {
        message
    }
}

pub fn load(path: &Path) -> Result<(Policy, Vec<u8>), PolicyError> {
    let bytes = std::fs::read(path).map_err(|source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = crate::location::utf8(&bytes).map_err(|(offset, message)| {
        let (line, column) = crate::location::line_column(&bytes, offset);
        PolicyError::Invalid {
            path: path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message,
        }
    })?;
    let policy = parse(text, path)?;
    Ok((policy, bytes))
}
