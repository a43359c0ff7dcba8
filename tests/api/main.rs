//! One test binary: black-box tests over HTTP against the real server on a
//! random port and a fresh database (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
mod helpers;
mod private_postgres;
mod smtp_sink;
mod sse;

mod auth;
mod backstops;
mod bank_movements;
mod bank_returns;
mod books;
mod client_ip;
mod clock;
mod cn_private;
mod concurrency;
mod console;
mod contract;
mod deadlines;
mod documents;
mod ecsp;
mod errors;
mod fast_clock;
mod faults;
mod health;
mod jwt;
mod key_rotation;
mod leads;
mod ledger;
mod lifecycle;
mod locales;
mod lockout;
mod mail;
mod material_changes;
mod metrics;
mod names;
mod object_storage;
mod offerings;
mod openapi;
mod operator_queries;
mod optional_auth;
mod passwords;
mod pipeline;
mod portfolio;
mod profiles;
mod questions;
mod rate_limits;
mod request_id;
mod retention;
mod rule_profiles;
mod s3_server;
mod security_headers;
mod seed;
mod sessions;
mod settlement;
mod slow_clients;
mod streams;
mod subscriptions;
mod updates;
mod user_admin;
mod verification;
mod wallet;
mod world;
