//! Pure types and rules of the Leqi approval workflow. No I/O lives here.

pub mod audit;
pub mod checks;
pub mod claim;
pub mod judge;
pub mod model;
pub mod outcome;
pub mod supervision;
pub mod templates;
pub mod text;
pub mod validate;
pub mod workflow;

pub use model::*;
pub use outcome::{Conflict, FailureKind, ItemOutcome, Precondition};
