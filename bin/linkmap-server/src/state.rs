//! What every handler shares: the domain service over Postgres and the installation registry.

use std::sync::Arc;

use deadpool_postgres::Pool;
use linkmap_core::ConfigService;

use crate::db::config_store::PgConfigStore;
use crate::db::installations::InstallationRegistry;
use crate::db::privacy_store::PgPrivacyStore;
use crate::privacy::reconcile::JobQueue;

/// Shared application state (one per process, behind `web::Data`).
#[derive(Debug)]
pub struct AppState {
    /// Users' layouts, queries and settings.
    pub config: ConfigService<PgConfigStore>,
    /// Installations seen by this instance.
    pub registry: InstallationRegistry,
    /// Export, erasure and purge (policy D1, D3, R1, R3).
    pub privacy: PgPrivacyStore,
    /// The reconciliation queue (policy D2).
    pub jobs: JobQueue,
    /// The pool, for readiness checks.
    pub pool: Pool,
}

impl AppState {
    /// State over `pool`.
    pub fn new(pool: Pool, jobs: JobQueue) -> Self {
        Self {
            privacy: PgPrivacyStore::new(pool.clone()),
            jobs,
            config: ConfigService::new(Arc::new(PgConfigStore::new(pool.clone()))),
            registry: InstallationRegistry::new(pool.clone()),
            pool,
        }
    }
}
