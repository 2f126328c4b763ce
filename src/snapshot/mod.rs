//! The snapshot model and its file format.

mod checked;
pub mod consistency;
mod file;
pub mod merge;
mod model;
mod observation;
mod undocumented;

pub use checked::parse_lifecycle_date;
pub use file::{SnapshotError, digest, load, parse, to_json};
pub use model::*;
pub use observation::*;
pub use undocumented::undocumented_values;
