//! The coverage map: accounts x regions, each cell the share of ENIs a qualifying flow log
//! reaches and whether anything there failed or could not be evaluated. The HTML report
//! shows it coloured with links to each cell's problems; the table prints it as text when
//! it fits.

use std::collections::{BTreeMap, BTreeSet};

use super::Report;
use crate::findings::{CoverageCell, Finding, Status};

/// The compliance of one cell, from its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    /// Something failed there.
    Failing,
    /// Nothing failed, but something could not be evaluated.
    Unknown,
    Compliant,
}

impl CellState {
    pub fn mark(self) -> &'static str {
        match self {
            CellState::Failing => "✗",
            CellState::Unknown => "?",
            CellState::Compliant => "✓",
        }
    }
    pub fn class(self) -> &'static str {
        match self {
            CellState::Failing => "map-fail",
            CellState::Unknown => "map-error",
            CellState::Compliant => "map-ok",
        }
    }
}

pub struct Map<'r> {
    pub accounts: Vec<&'r str>,
    pub regions: Vec<&'r str>,
    cells: BTreeMap<(String, String), (&'r CoverageCell, CellState, Vec<&'r Finding>)>,
}

impl<'r> Map<'r> {
    pub fn of(report: &'r Report) -> Map<'r> {
        let mut problems: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
        for f in &report.findings {
            if f.status.is_problem() {
                problems
                    .entry((f.account_id.as_str(), f.region.as_str()))
                    .or_default()
                    .push(f);
            }
        }
        let mut accounts = BTreeSet::new();
        let mut regions = BTreeSet::new();
        let mut cells = BTreeMap::new();
        for c in &report.coverage {
            let place = (c.account_id.as_str(), c.region.as_str());
            accounts.insert(place.0);
            regions.insert(place.1);
            let found = problems.remove(&place).unwrap_or_default();
            let state = if found.iter().any(|f| f.status == Status::Fail) {
                CellState::Failing
            } else if found.is_empty() {
                CellState::Compliant
            } else {
                CellState::Unknown
            };
            cells.insert(
                (place.0.to_string(), place.1.to_string()),
                (c, state, found),
            );
        }
        Map {
            accounts: accounts.into_iter().collect(),
            regions: regions.into_iter().collect(),
            cells,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// A cell's figures, state and problems, if the report has it.
    pub fn cell<'m>(
        &'m self,
        account: &str,
        region: &str,
    ) -> Option<(&'r CoverageCell, CellState, &'m [&'r Finding])> {
        self.cells
            .get(&(account.to_string(), region.to_string()))
            .map(|(c, s, f)| (*c, *s, f.as_slice()))
    }

    /// "82.9% ✗", or "- ✓" where there are no ENIs.
    pub fn cell_text(&self, account: &str, region: &str) -> String {
        match self.cell(account, region) {
            Some((c, state, _)) => match c.percent() {
                Some(p) => format!("{p:.1}% {}", state.mark()),
                None => format!("- {}", state.mark()),
            },
            None => String::new(),
        }
    }
}

/// The anchor of a cell's problems in the HTML report.
pub fn anchor(account: &str, region: &str) -> String {
    format!("cell-{account}-{region}")
}

/// The state of a Records row, from the `records` findings about it: those on its prefix
/// (or group), and those on the flow logs that deliver there (a flow log delivers to one
/// destination only).
pub fn records_state(report: &Report, row: &crate::findings::RecordsRow) -> CellState {
    let about = report.findings.iter().filter(|f| {
        f.category == crate::findings::Category::Records
            && (f.resource_id == row.resource_id || row.flow_logs.contains(&f.resource_id))
    });
    let mut state = if row.error.is_some() {
        CellState::Unknown
    } else {
        CellState::Compliant
    };
    for f in about {
        match f.status {
            Status::Fail => return CellState::Failing,
            s if s.is_problem() => state = CellState::Unknown,
            _ => {}
        }
    }
    state
}
