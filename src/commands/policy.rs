//! `flowaudit policy`: work with policy files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use flowaudit::{policy, rules};

use crate::exit;

#[derive(Subcommand)]
pub(crate) enum PolicyCommand {
    /// Check policy files without scanning.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub(crate) fn run(command: PolicyCommand) -> Result<ExitCode> {
    match command {
        PolicyCommand::Validate { files } => validate(&files),
    }
}

fn validate(files: &[PathBuf]) -> Result<ExitCode> {
    let mut bad = 0;
    for file in files {
        match policy::load(file, rules::canonical_id) {
            Ok((p, _)) => {
                println!(
                    "{}: ok (policy `{}`, {}, {})",
                    file.display(),
                    p.name,
                    profiles_text(&p),
                    plural(p.waivers.len(), "waiver")
                );
                for note in p.notes() {
                    match note {
                        policy::PolicyNote::Warning(text) => {
                            eprintln!("warning: {}: {text}", file.display())
                        }
                        policy::PolicyNote::Note(text) => {
                            eprintln!("note: {}: {text}", file.display())
                        }
                    }
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                bad += 1;
            }
        }
    }
    Ok(ExitCode::from(if bad == 0 {
        exit::OK
    } else {
        exit::BAD_INPUT
    }))
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// "2 profiles and a default", "a default only", "1 profile".
fn profiles_text(p: &policy::Policy) -> String {
    let has_default = p.profiles.last().is_some_and(|d| d.name == "default");
    let named = p.profiles.len() - usize::from(has_default);
    match (named, has_default) {
        (0, true) => "a default only".to_string(),
        (n, true) => format!("{} and a default", plural(n, "profile")),
        (n, false) => plural(n, "profile"),
    }
}
