//! The output formats and how a command line names them.

use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Table,
    Json,
    Csv,
    Sarif,
    Junit,
    Markdown,
    Html,
    Ocsf,
    Oscal,
    Github,
    Asff,
}

impl Format {
    pub const ALL: [Format; 11] = [
        Format::Table,
        Format::Json,
        Format::Csv,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Html,
        Format::Ocsf,
        Format::Oscal,
        Format::Github,
        Format::Asff,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Ocsf => "ocsf",
            Format::Oscal => "oscal",
            Format::Github => "github",
            Format::Asff => "asff",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format `{s}`; expected one of {}", names.join(", "))
            })
    }
}

/// Where one report goes: `FORMAT:PATH`, or a bare `PATH` in the `--format` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Option<Format>,
    pub path: PathBuf,
}

impl FromStr for OutputSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((prefix, path)) = s.split_once(':')
            && let Ok(format) = prefix.parse::<Format>()
        {
            if path.is_empty() {
                return Err(format!("`{s}` names no file after `{prefix}:`"));
            }
            return Ok(OutputSpec {
                format: Some(format),
                path: PathBuf::from(path),
            });
        }
        Ok(OutputSpec {
            format: None,
            path: PathBuf::from(s),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_specs() {
        let o: OutputSpec = "html:out/evidence.html".parse().unwrap();
        assert_eq!(
            (o.format, o.path.to_str()),
            (Some(Format::Html), Some("out/evidence.html"))
        );
        let bare: OutputSpec = "report.json".parse().unwrap();
        assert_eq!(bare.format, None);
        assert!("json:".parse::<OutputSpec>().is_err());
        assert!("nope".parse::<Format>().unwrap_err().contains("sarif"));
    }
}
