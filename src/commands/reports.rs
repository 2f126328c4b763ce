//! The commands that read reports and snapshots already written: `merge`, `diff`,
//! `history`, `runbook` and `verify`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use clap::ValueEnum;

use flowaudit::evaluate::evaluate;
use flowaudit::{policy, rules, snapshot};

use super::report_output::{load_report, terminal_width};
use crate::exit;
use crate::output::write_output;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RunbookFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum HistoryFormat {
    Table,
    Json,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DiffFormat {
    Table,
    Json,
    Markdown,
}

/// Merges snapshot files, telling of the duplicates kept once on standard error. Returns the
/// merged snapshot and its JSON.
fn merge_files(snapshots: Vec<PathBuf>) -> Result<(snapshot::Snapshot, String)> {
    let mut shards = Vec::new();
    for path in snapshots {
        let (snapshot, _) = snapshot::load(&path)?;
        shards.push((path, snapshot));
    }
    let count = shards.len();
    let (merged, duplicates) = snapshot::merge::merge(shards)?;
    let json = snapshot::to_json(&merged)?;
    const LISTED: usize = 20;
    for d in duplicates.iter().take(LISTED) {
        eprintln!(
            "duplicate: {} {} ({}) is in {} and {}, the same in both; kept once",
            d.kind,
            d.id,
            d.place,
            d.first.display(),
            d.second.display()
        );
    }
    if duplicates.len() > LISTED {
        eprintln!("... and {} more duplicates", duplicates.len() - LISTED);
    }
    eprintln!(
        "merged {count} snapshots: {} accounts, {} regions, {} duplicates kept once",
        merged.scope.accounts.len(),
        merged.scope.regions.len(),
        duplicates.len()
    );
    Ok((merged, json))
}

pub(crate) fn merge(snapshots: Vec<PathBuf>, output: Option<&Path>) -> Result<ExitCode> {
    let (_, json) = merge_files(snapshots)?;
    write_output(output, &json)?;
    Ok(ExitCode::from(exit::OK))
}

/// The shards of `collect --shards-dir`, merged: every `*.json` in the folder (not the hidden
/// temporary files of a shard being written), in name order. Returns the snapshot and the
/// SHA-256 of its merged JSON, which a report names.
pub(crate) fn load_shards(dir: &Path) -> Result<(snapshot::Snapshot, String)> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the shards folder {}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!(
            "{} holds no shard (*.json); write them with `flowaudit collect --shards-dir {}`",
            dir.display(),
            dir.display()
        );
    }
    let (merged, json) = merge_files(files)?;
    Ok((merged, flowaudit::digest::sha256_hex(json.as_bytes())))
}

pub(crate) fn diff(
    old: &Path,
    new: &Path,
    format: DiffFormat,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let drift = flowaudit::drift::diff(&load_report(old)?, &load_report(new)?);
    let text = match format {
        DiffFormat::Table => drift.to_table(terminal_width(output)),
        DiffFormat::Json => drift.to_json()?,
        DiffFormat::Markdown => drift.to_markdown(),
    };
    write_output(output, &text)?;
    Ok(ExitCode::from(if drift.has_new_failures() {
        exit::VIOLATIONS
    } else {
        exit::OK
    }))
}

pub(crate) fn history(
    reports: &[PathBuf],
    format: HistoryFormat,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let loaded = reports
        .iter()
        .map(|path| load_report(path))
        .collect::<Result<Vec<_>>>()?;
    let trend = flowaudit::trend::trend(&loaded);
    let text = match format {
        HistoryFormat::Table => trend.to_table(terminal_width(output)),
        HistoryFormat::Json => trend.to_json()?,
        HistoryFormat::Html => trend.to_html(),
    };
    write_output(output, &text)?;
    Ok(ExitCode::from(exit::OK))
}

pub(crate) fn runbook(
    snapshot_path: &Path,
    policy_path: Option<&Path>,
    format: RunbookFormat,
    date: Option<NaiveDate>,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let (snapshot, _) = snapshot::load(snapshot_path)?;
    let today = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let evaluation = policy_path
        .map(|path| {
            policy::load(path, rules::canonical_id).map(|(p, _)| evaluate(&snapshot, &p, today))
        })
        .transpose()?;
    let runbook = flowaudit::runbook::build(
        &snapshot,
        evaluation.as_ref().map(|e| e.findings.as_slice()),
        today,
    );
    let text = match format {
        RunbookFormat::Markdown => runbook.to_markdown(),
        RunbookFormat::Json => runbook.to_json()?,
    };
    write_output(output, &text)?;
    Ok(ExitCode::from(exit::OK))
}

pub(crate) fn verify(
    report: &Path,
    snapshot_path: &Path,
    policy_path: Option<&Path>,
) -> Result<ExitCode> {
    let report = load_report(report)?;
    let (snapshot, snapshot_sha256) = snapshot::load(snapshot_path)?;
    let chosen = super::policy_source::choose(policy_path)?;
    let (policy, policy_sha256) = (chosen.policy, chosen.sha256);
    if report.tool.version != flowaudit::VERSION {
        eprintln!(
            "note: the report was made by flowaudit {}; this is {}",
            report.tool.version,
            flowaudit::VERSION
        );
    }
    let problems = flowaudit::verify::verify(
        &report,
        &snapshot,
        &snapshot_sha256,
        &policy,
        &policy_sha256,
    );
    if problems.is_empty() {
        println!(
            "verified: the report matches snapshot {} and policy {} ({} findings, evaluated on {})",
            report.snapshot.sha256,
            report.policy.sha256,
            report.findings.len(),
            report.evaluated_on
        );
        Ok(ExitCode::from(exit::OK))
    } else {
        for p in &problems {
            println!("mismatch: {p}");
        }
        Ok(ExitCode::from(exit::VIOLATIONS))
    }
}
