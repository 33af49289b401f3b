//! What every handler shares: the domain service over Postgres and the installation registry.

use std::sync::Arc;

use deadpool_postgres::Pool;
use linkmap_core::ConfigService;

use crate::db::config_store::PgConfigStore;
use crate::db::installations::InstallationRegistry;

/// Shared application state (one per process, behind `web::Data`).
#[derive(Debug)]
pub struct AppState {
    /// Users' layouts, queries and settings.
    pub config: ConfigService<PgConfigStore>,
    /// Installations seen by this instance.
    pub registry: InstallationRegistry,
    /// The pool, for readiness checks.
    pub pool: Pool,
}

impl AppState {
    /// State over `pool`.
    pub fn new(pool: Pool) -> Self {
        Self {
            config: ConfigService::new(Arc::new(PgConfigStore::new(pool.clone()))),
            registry: InstallationRegistry::new(pool.clone()),
            pool,
        }
    }
}
