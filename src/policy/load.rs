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

/// How a policy learns which rule ids exist (for waivers and severity overrides): the rule
/// registry sits above policies, since rules read them, so whoever loads a policy hands the
/// registry's lookup in (`flowaudit::rules::canonical_id`). It gives a rule's id for its id
/// or name.
pub type RuleLookup = fn(&str) -> Option<&'static str>;

thread_local! {
    /// The lookup of the parse in progress on this thread, for `RuleId`'s deserializer.
    static RULES: std::cell::Cell<Option<RuleLookup>> = const { std::cell::Cell::new(None) };
}

/// The rule lookup of the policy being parsed on this thread, if any.
pub(super) fn rule_lookup() -> Option<RuleLookup> {
    RULES.with(std::cell::Cell::get)
}

/// Parses policy text; `path` is used only in messages.
pub fn parse(text: &str, path: &Path, rules: RuleLookup) -> Result<Policy, PolicyError> {
    struct Reset(Option<RuleLookup>);
    impl Drop for Reset {
        fn drop(&mut self) {
            RULES.with(|r| r.set(self.0));
        }
    }
    let _reset = Reset(RULES.with(|r| r.replace(Some(rules))));
    let file: PolicyFile = serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = match e.location() {
            Some(loc) => (Some(loc.line()), Some(loc.column())),
            // serde_yaml gives no position for a second document; the separator is it.
            None => match second_document(text) {
                Some(line) => (Some(line), Some(1)),
                None => (None, None),
            },
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

/// The line of the `---` or `...` that ends the first YAML document, if content follows.
fn second_document(text: &str) -> Option<usize> {
    let mut content_seen = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        let separator = trimmed == "---" || trimmed.starts_with("--- ") || trimmed == "...";
        if separator && content_seen {
            return Some(i + 1);
        }
        let blank = trimmed.trim_start().is_empty() || trimmed.trim_start().starts_with('#');
        if !separator && !blank && !trimmed.starts_with('%') {
            content_seen = true;
        }
    }
    None
}

/// Adds what a user needs to know to the few serde messages that do not say it.
fn with_hint(message: String) -> String {
    if message.ends_with("missing field `expires`") {
        format!("{message}; every waiver must say the last day it applies, as YYYY-MM-DD")
    } else {
        message
    }
}

/// Reads and parses a policy file; returns it with the SHA-256 of its bytes.
pub fn load(path: &Path, rules: RuleLookup) -> Result<(Policy, String), PolicyError> {
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
    let policy = parse(text, path, rules)?;
    Ok((policy, crate::digest::sha256_hex(&bytes)))
}
