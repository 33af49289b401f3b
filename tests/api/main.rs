//! End-to-end tests of the HTTP API: real server code, real PostgreSQL, real FITs signed by a local key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod auth;
mod connect;
mod fake_reporting;
mod health;
mod isolation;
mod layouts;
mod lifecycle;
mod logging;
mod manifest;
mod me_data;
mod queries;
mod reconciliation;
mod schema;
mod settings;
