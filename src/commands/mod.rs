//! One file per subcommand's body; `cli` parses the arguments and dispatches here.

pub(crate) mod args;
pub(crate) mod collect;
pub(crate) mod live;
pub(crate) mod plan;
pub(crate) mod policy;
pub(crate) mod policy_source;
pub(crate) mod publish;
pub(crate) mod report_output;
pub(crate) mod reports;
pub(crate) mod rules;
pub(crate) mod scan;

use flowaudit::snapshot::{self, Snapshot};

/// Each flow-log field value AWS does not document, as a warning on standard error.
pub(crate) fn warn_undocumented(snapshot: &Snapshot) {
    for line in snapshot::undocumented_values(snapshot) {
        eprintln!("warning: {line}");
    }
}
