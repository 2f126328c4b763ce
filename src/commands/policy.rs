//! `flowaudit policy`: work with policy files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};

use flowaudit::{policy, rules};

use super::policy_source::{self, TEMPLATES};
use crate::exit;
use crate::output::write_output;

#[derive(Subcommand)]
pub(crate) enum PolicyCommand {
    /// Check policy files without scanning.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a commented starter policy, to standard output or a file.
    Init {
        /// `default` is the policy built into flowaudit; the others are the shipped ones.
        #[arg(long, value_enum, default_value_t = Template::Default)]
        template: Template,
        /// Write it here (refused if the file exists) instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Print the policy a scan here would use, with every profile's requirements resolved
    /// and every default filled in.
    Show {
        /// Policy file. Default: as for `scan` (flowaudit.yaml here or above, else the
        /// built-in policy).
        #[arg(long)]
        policy: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Template {
    Default,
    Baseline,
    Production,
    Regulated,
}

impl Template {
    fn text(self) -> &'static str {
        let name = match self {
            Template::Default => "default",
            Template::Baseline => "baseline",
            Template::Production => "production",
            Template::Regulated => "regulated",
        };
        TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(policy_source::BUILT_IN, |(_, text)| text)
    }
}

pub(crate) fn run(command: PolicyCommand) -> Result<ExitCode> {
    match command {
        PolicyCommand::Validate { files } => validate(&files),
        PolicyCommand::Init { template, output } => init(template, output.as_deref()),
        PolicyCommand::Show { policy } => show(policy.as_deref()),
    }
}

fn init(template: Template, output: Option<&Path>) -> Result<ExitCode> {
    if let Some(path) = output.filter(|p| *p != Path::new("-"))
        && path.exists()
    {
        bail!(
            "{} exists; flowaudit policy init does not overwrite a policy, choose another path or remove it",
            path.display()
        );
    }
    write_output(output, template.text())?;
    Ok(ExitCode::from(exit::OK))
}

fn show(given: Option<&Path>) -> Result<ExitCode> {
    let chosen = policy_source::choose(given)?;
    let yaml = serde_yaml::to_string(&chosen.policy.effective())?;
    print!(
        "# The effective policy `{}` from {} (sha256 {}): every profile in match order, each\n# with its requirements resolved against `default` and every default filled in.\n{yaml}",
        chosen.policy.name, chosen.origin, chosen.sha256
    );
    Ok(ExitCode::from(exit::OK))
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
