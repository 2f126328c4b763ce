//! The resolved index every rule reads: the estate's lookups, the collection errors and
//! listing gaps, which profile judges each VPC and gateway, each flow log's destination and
//! qualification, and each destination's state and S3 subtrees. Built once per evaluation
//! (`Context::new`); rules read it and never look anything up again.
//!
//! It sits below `rules`, which sits below `evaluate`: nothing here imports either.

mod connectivity;
mod context;
mod coverage;
mod destinations;
mod errors;
mod estate;
mod gateways;
mod qualification;
mod telemetry;

pub use connectivity::CONNECTIVITY_OPERATIONS;
pub use context::{
    Context, Holder, HolderView, ScopedFlowLog, ScopedVpc, UndecidedVpc, short_list,
};
pub use coverage::{Gap, cells as coverage_cells, gap};
pub use destinations::{DestinationState, DestinationUse, Subtree};
pub use errors::{ErrorIndex, all_errors, describe};
pub use estate::{Estate, RegionView};
pub use gateways::ScopedGateway;
pub use qualification::{Qualification, not_allowed};
pub use telemetry::managing as telemetry_rules_managing;

/// Hash maps and sets for evaluation's lookups: SipHash's resistance to chosen keys is not
/// needed for ids read from a snapshot, and it cost 7% of a 1M-ENI run. Nothing iterates
/// these in an order a user sees.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
