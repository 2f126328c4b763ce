//! The pre-deploy gate: a Terraform or OpenTofu plan (`terraform show -json PLANFILE`)
//! turned into the estate it would leave, so that the same rules judge it before apply.

mod addresses;
mod apply;
mod changes;
mod document;
pub mod gate;
mod references;
mod shapes;
mod tf_files;

pub use apply::{ChangedResources, PlacementError, PlanOptions, PlannedEstate, apply};
pub use changes::compare;
pub use document::{FORMAT_MAJOR, PlanDocument, PlanError, load, parse};
pub use tf_files::{TerraformFiles, locate_findings};
