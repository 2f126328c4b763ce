//! flowaudit: audits AWS VPC Flow Log coverage, delivery and retention against policies.
//!
//! The pipeline is `collect` (AWS SDK -> [`snapshot::Snapshot`]), [`evaluate::evaluate`]
//! (snapshot + [`policy::Policy`] + date -> [`findings::Finding`]s, pure) and [`report`].

pub mod aws;
pub mod collect;
pub mod destination;
pub mod digest;
pub mod drift;
pub mod evaluate;
pub mod findings;
pub mod history;
pub mod index;
pub mod lifecycle;
pub mod location;
pub mod plan;
pub mod policy;
pub mod publish;
pub mod report;
pub mod rules;
pub mod runbook;
pub mod snapshot;
pub mod trend;
pub mod verify;

/// The version recorded in snapshots and reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
