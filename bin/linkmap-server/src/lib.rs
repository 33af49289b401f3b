//! LinkMap's backend as a library; `main.rs` only parses the command line.
//!
//! # Layout
//! - [`configuration`]: typed settings from the environment.
//! - [`telemetry`]: log output.
//! - [`startup`]: builds and runs the actix-web server ([`startup::Application`]).
//! - [`routes`]: one module per resource; handlers are thin: extract, call linkmap-core, map errors.
//! - [`http`]: bodies, problem+json errors (the one place errors become HTTP), security headers, request logs.
//! - [`db`]: the Postgres pool, migrations, and the stores behind linkmap-core's traits.
//! - [`pg_cluster`]: a private PostgreSQL from the installed binaries (the `dev` command and the tests).
//! - [`privacy`]: the reporting API client and the daily reconciliation job (policy D2).
//! - [`admin`]: the audited operator commands (`linkmap-server admin …`, policy D3, U4).
//! - [`dev`]: the one-command local run.

pub mod admin;
pub mod configuration;
pub mod db;
pub mod dev;
pub mod http;
pub mod pg_cluster;
pub mod privacy;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;

/// Applies migrations and returns (the `migrate` command).
pub async fn migrate_only(settings: &configuration::Settings) -> Result<(), db::DbSetupError> {
    let pool = db::build_pool(settings.database_url.expose(), 1)?;
    db::migrate(&pool).await
}
