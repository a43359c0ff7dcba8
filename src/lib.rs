//! crowdfund: an equity crowdfunding platform backend.
//!
//! Layout (dependencies point one way: `api` -> `services` -> {`domain`, `auth`,
//! `mail`, `db`}; `domain` depends on nothing of ours):
//! - `api`: HTTP only (handlers, extractors, route table, problem+json rendering);
//! - `services`: one use case per file, each one database transaction;
//! - `domain`: pure rules and validated newtypes;
//! - `auth`: password hashing, JWTs, opaque tokens;
//! - `ledger`: the double-entry ledger and its invariants;
//! - `mail`: the outbox, the relay and its transports, every email's words;
//! - `i18n`: locales, the Fluent texts, money and times as each reader reads them;
//! - `pipeline`: the group-committed write path (subscriptions);
//! - `db`: connections, pool, schema, migrations;
//! - `jobs`: background loops started by the server;
//! - `metrics`: Prometheus metrics and the server that exposes them;
//! - `console`: the operator console's files (a client of the API like any other);
//! - `backup`: copying a SQLite database out and back in, checked.

// Unit tests may unwrap: a panic there is a failed test. (The library itself
// is held to `unwrap_used`/`expect_used`/`panic`, see Cargo.toml.)
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod ledger;
pub mod mail;
pub mod metrics;
pub mod pipeline;
pub mod services;
pub mod storage;
pub mod stream;
pub mod telemetry;
