//! The snapshot model and its file format.

mod checked;
pub mod consistency;
mod file;
pub mod merge;
mod model;

pub use checked::parse_lifecycle_date;
pub use file::{SnapshotError, load, parse, to_json};
pub use model::*;
