//! HTTP: handlers, extractors, the route table and error rendering.
//! Handlers parse input into domain values, call a service inside
//! `web::block`, and render the result; they never build SQL.

mod appropriateness;
mod audit;
mod auth;
mod blocking;
pub mod body_deadline;
pub mod client_ip;
mod content;
mod documents;
pub mod extractors;
mod health;
mod idempotency;
mod json_int;
mod json_object;
mod language;
mod leads;
mod ledger;
mod material_changes;
mod me;
mod offerings;
mod openapi;
mod optional_json;
mod pagination;
pub mod problems;
mod profiles;
mod query;
mod questions;
mod reconciliation;
mod refusals;
pub mod request_id;
mod request_span;
mod routes;
mod rules;
pub mod security_headers;
mod settlement;
mod state;
mod statements;
mod streams;
mod subscriptions;
mod unallocated;
mod unreconciled;
mod updates;
mod users;
mod wallet;
mod webhooks;

pub use request_span::RequestSpan;
pub use routes::{configure, route_table};
pub use state::AppState;
