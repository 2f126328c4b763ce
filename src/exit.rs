//! Exit codes, documented in the README, and which one a report earns.

use flowaudit::findings::{Severity, Status};
use flowaudit::report::Report;

pub const OK: u8 = 0;
pub const VIOLATIONS: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const INCOMPLETE: u8 = 3;
/// `publish`: Security Hub did not take every finding (or could not be reached).
pub const PUBLISH_FAILED: u8 = 4;
/// SIGINT or SIGTERM stopped the run (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// 1 for a failure at or above `fail_on` (or, with `fail_on_unknown`, for a value unknown
/// until apply), else 3 if anything could not be evaluated, else 0. A plan's gate leaves
/// out the classes of problems it does not count.
pub fn exit_code(report: &Report, fail_on: Severity, fail_on_unknown: bool) -> u8 {
    let counted = || report.findings.iter().filter(|f| report.counts(f));
    let fails = counted().any(|f| {
        (f.status == Status::Fail && f.severity >= fail_on)
            || (fail_on_unknown && f.status == Status::Unknown)
    });
    if fails {
        VIOLATIONS
    } else if counted().any(|f| matches!(f.status, Status::Error | Status::Unknown)) {
        INCOMPLETE
    } else {
        OK
    }
}

/// With --fail-on-overdue: 1 for a problem past its deadline, else 3 if anything could not
/// be evaluated (unseen is never a pass), else 0.
pub fn overdue_exit_code(report: &Report) -> u8 {
    if flowaudit::history::any_overdue(&report.findings) {
        VIOLATIONS
    } else if report.summary.error > 0 {
        INCOMPLETE
    } else {
        OK
    }
}
