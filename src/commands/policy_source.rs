//! Which policy a run is judged by: `--policy FILE`; else a `flowaudit.yaml` in the current
//! directory or the nearest of its parents (as ruff and cargo-deny find their
//! configuration); else the policy built into the binary. The choice is said on standard
//! error, and every report names the policy and its digest, so that `verify` still works.

use std::path::{Path, PathBuf};

use anyhow::Result;

use flowaudit::policy::{self, Policy};
use flowaudit::rules;

/// The built-in policy: what a first run without a policy file is judged by.
pub(crate) const BUILT_IN: &str = include_str!("../../policies/default.yaml");

/// The starter policies `policy init` writes, by template name.
pub(crate) const TEMPLATES: [(&str, &str); 4] = [
    ("default", BUILT_IN),
    ("baseline", include_str!("../../policies/baseline.yaml")),
    ("production", include_str!("../../policies/production.yaml")),
    ("regulated", include_str!("../../policies/regulated.yaml")),
];

/// The file name looked for when `--policy` is absent.
pub(crate) const DISCOVERED: &str = "flowaudit.yaml";

pub(crate) struct ChosenPolicy {
    pub policy: Policy,
    /// SHA-256 of the policy's exact bytes.
    pub sha256: String,
    /// Where it came from, for messages: a path, or "the built-in default policy".
    pub origin: String,
}

/// The policy a run uses, said on standard error when it was not given.
pub(crate) fn choose(given: Option<&Path>) -> Result<ChosenPolicy> {
    if let Some(path) = given {
        return from_file(path);
    }
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Some(found) = discover(&here) {
        eprintln!(
            "flowaudit: policy {} (found from {}; --policy chooses another)",
            found.display(),
            here.display()
        );
        return from_file(&found);
    }
    let chosen = built_in()?;
    eprintln!(
        "flowaudit: no --policy, and no {DISCOVERED} in {} or above it: using the built-in policy `{}` (sha256 {}); `flowaudit policy init -o {DISCOVERED}` writes it to start from",
        here.display(),
        chosen.policy.name,
        &chosen.sha256[..12]
    );
    Ok(chosen)
}

fn from_file(path: &Path) -> Result<ChosenPolicy> {
    let (policy, sha256) = policy::load(path, rules::canonical_id)?;
    Ok(ChosenPolicy {
        policy,
        sha256,
        origin: path.display().to_string(),
    })
}

/// The built-in default policy, parsed as any file would be.
fn built_in() -> Result<ChosenPolicy> {
    let origin = "the built-in default policy";
    let policy = policy::parse(BUILT_IN, Path::new(origin), rules::canonical_id)?;
    Ok(ChosenPolicy {
        policy,
        sha256: flowaudit::digest::sha256_hex(BUILT_IN.as_bytes()),
        origin: origin.to_string(),
    })
}

/// The nearest `flowaudit.yaml` at or above `dir`.
fn discover(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(DISCOVERED))
        .find(|candidate| candidate.is_file())
}
