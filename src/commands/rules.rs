//! `flowaudit rules` and `flowaudit explain`: the rule registry and each rule's documentation.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::ValueEnum;

use flowaudit::report::fit_table;
use flowaudit::rules;

use super::report_output::stdout_table_style;
use crate::exit;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ListFormat {
    Table,
    Json,
}

pub(crate) fn list(format: ListFormat) -> Result<ExitCode> {
    let text = match format {
        ListFormat::Json => serde_json::to_string_pretty(&*rules::RULES)? + "\n",
        ListFormat::Table => list_rules(),
    };
    print!("{text}");
    Ok(ExitCode::from(exit::OK))
}

pub(crate) fn explain(rule: &str) -> Result<ExitCode> {
    let Some(r) = rules::find(rule) else {
        bail!("unknown rule `{rule}`; `flowaudit rules` lists them");
    };
    print!(
        "{} {} ({}, default severity {})\n\n{}\n\nWhat it checks\n  {}\n\nWhy it matters\n  {}\n\nHow to fix it\n  {}\n",
        r.id, r.name, r.category, r.default_severity, r.summary, r.what, r.why, r.fix
    );
    Ok(ExitCode::from(exit::OK))
}

fn list_rules() -> String {
    let mut b = tabled::builder::Builder::default();
    b.push_record(["id", "name", "category", "severity", "summary"]);
    for r in rules::RULES.iter() {
        b.push_record([
            r.id.to_string(),
            r.name.to_string(),
            r.category.to_string(),
            r.default_severity.to_string(),
            r.summary.to_string(),
        ]);
    }
    let mut t = b.build();
    t.with(tabled::settings::Style::sharp());
    fit_table(&mut t, stdout_table_style().width);
    t.to_string() + "\n"
}
