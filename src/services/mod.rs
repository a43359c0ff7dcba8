//! Use cases. Each public function is one unit of work over one connection
//! (usually one transaction); none knows about HTTP.

pub mod accounts;
pub mod appropriateness;
pub mod bank;
pub mod deadlines;
pub mod documents;
pub mod error;
pub mod leads;
pub mod material_changes;
pub mod offerings;
pub mod profiles;
pub mod progress;
pub mod questions;
pub mod rate_limits;
pub mod receivables;
pub mod sessions;
pub mod sign_in;
pub mod subscriptions;
pub mod user_admin;
pub mod views;
pub mod wallet;

pub use error::{Refusal, RefusalKind, ServiceError, ServiceResult};
pub mod holdings;
pub mod reconciliation;
pub mod settlement;
pub mod statements;
pub mod unallocated;
pub mod unreconciled;
pub mod updates;
