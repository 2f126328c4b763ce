//! The snapshot model and its file format.

mod file;
mod model;

pub use file::{SnapshotError, load, parse, to_json};
pub use model::*;
