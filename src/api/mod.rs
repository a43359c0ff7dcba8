//! HTTP: handlers, extractors, the route table and error rendering.
//! Handlers parse input into domain values, call a service inside
//! `web::block`, and render the result; they never build SQL.

mod auth;
mod blocking;
pub mod extractors;
mod health;
mod me;
mod openapi;
pub mod problems;
mod routes;
mod state;

pub use routes::{configure, route_table};
pub use state::AppState;
