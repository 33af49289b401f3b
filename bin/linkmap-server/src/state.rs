//! What every handler shares: the domain service over Postgres and the installation registry.

use std::sync::Arc;

use deadpool_postgres::Pool;
use linkmap_core::ConfigService;
use tokio::sync::Semaphore;

use crate::db::config_store::PgConfigStore;
use crate::db::installations::InstallationRegistry;
use crate::db::privacy_store::PgPrivacyStore;
use crate::privacy::reconcile::JobQueue;

/// Data exports (`GET /me/data`) one process runs at a time; more answer 503 with `Retry-After`.
pub const MAX_CONCURRENT_EXPORTS: usize = 2;

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
    /// Permits for running data exports ([`MAX_CONCURRENT_EXPORTS`]); an export holds one until its response ends.
    pub exports: Arc<Semaphore>,
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
            exports: Arc::new(Semaphore::new(MAX_CONCURRENT_EXPORTS)),
        }
    }
}
