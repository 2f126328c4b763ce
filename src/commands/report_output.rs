//! Where a run's report goes and in which format: files named with `-o`, or standard output,
//! as a table fitted to the terminal, or GitHub annotations inside GitHub Actions.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

use flowaudit::report::{Format, Report, TableStyle, render, render_to, summary_line};

use super::args::ReportArgs;
use crate::output::{stage, write_output};

/// Writes the report to the outputs named, or else to standard output.
pub(crate) fn emit(report: &Report, args: &ReportArgs) -> Result<()> {
    // Render everything before any output appears, so a failure leaves no partial set:
    // a file is rendered into a temporary file beside it (streamed, for JSON) and renamed
    // into place only when every output has rendered.
    let mut staged = Vec::new();
    for spec in &args.outputs {
        let format = match spec.format.or(args.format) {
            Some(f) => f,
            None if spec.path == Path::new("-") => Format::Table,
            None => format_from_extension(&spec.path)?,
        };
        staged.push(stage(&spec.path, |w| {
            render_to(format, report, TableStyle::default(), w)
        })?);
    }
    let in_github = std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true");
    let stdout_format = match (args.outputs.is_empty(), args.format, in_github) {
        (false, _, _) => None,
        (true, Some(f), _) => Some(f),
        (true, None, true) => Some(Format::Github),
        (true, None, false) => Some(Format::Table),
    };
    let stdout_text = if args.quiet {
        Some(summary_line(report))
    } else {
        stdout_format
            .map(|f| render(f, report, stdout_table_style()))
            .transpose()?
    };
    for output in staged {
        output.commit()?;
    }
    if let Some(text) = stdout_text {
        write_output(None, &text)?;
    }
    Ok(())
}

/// The width a table written to `output` must fit: the terminal's (or `COLUMNS`) for
/// standard output, none for a file.
pub(crate) fn terminal_width(output: Option<&Path>) -> Option<usize> {
    match output {
        None => stdout_table_style().width,
        Some(_) => None,
    }
}

/// The table on standard output: in colour on a terminal without NO_COLOR, and fitted to
/// `COLUMNS` when set, or else to the terminal's width when standard output is one.
pub(crate) fn stdout_table_style() -> TableStyle {
    use std::io::IsTerminal;
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c >= 40);
    let terminal = || {
        std::io::stdout()
            .is_terminal()
            .then(|| console::Term::stdout().size_checked())
            .flatten()
            .map(|(_, cols)| usize::from(cols))
    };
    TableStyle {
        colour: colour_on_stdout(),
        width: columns.or_else(terminal),
    }
}

pub(crate) fn colour_on_stdout() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub(crate) fn format_from_extension(path: &Path) -> Result<Format> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    Ok(match ext {
        "json" => Format::Json,
        "csv" => Format::Csv,
        "sarif" => Format::Sarif,
        "xml" => Format::Junit,
        "md" => Format::Markdown,
        "html" | "htm" => Format::Html,
        _ => bail!(
            "cannot tell the format of {} from its extension; write FORMAT:PATH, for example json:{}",
            path.display(),
            path.display()
        ),
    })
}

pub(crate) fn load_report(path: &Path) -> Result<Report> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read report {}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "report {}:{}:{}: {e}. Expected a JSON report written by `flowaudit scan --format json`",
            path.display(),
            e.line(),
            e.column()
        )
    })
}
