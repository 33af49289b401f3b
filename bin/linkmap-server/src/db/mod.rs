//! PostgreSQL: the pool, embedded migrations and the stores behind linkmap-core's traits.
//!
//! Every statement is parameterised and names its columns; statements are prepared once per connection
//! (`prepare_cached`), so the hot path costs one round trip.

pub mod config_store;
pub mod connect;
pub mod installations;
pub mod privacy_store;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Why the database could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    /// `DATABASE_URL` does not parse as a Postgres URL.
    #[error("DATABASE_URL is not a valid PostgreSQL connection URL")]
    BadUrl,
    /// The pool could not be built.
    #[error("could not build the connection pool")]
    Pool(#[source] deadpool_postgres::BuildError),
    /// No connection could be made.
    #[error("could not connect to PostgreSQL")]
    Connect(#[source] deadpool_postgres::PoolError),
    /// A migration failed.
    #[error("database migration failed")]
    Migrate(#[source] refinery::Error),
}

/// Builds a pool of at most `size` connections. Connections open lazily.
pub fn build_pool(url: &str, size: usize) -> Result<Pool, DbSetupError> {
    let pg_config: tokio_postgres::Config = url.parse().map_err(|_| DbSetupError::BadUrl)?;
    // `Fast` recycling skips a test query per checkout: a broken connection surfaces as an error on its next
    // statement, and the pool drops it; that saves a round trip on every request.
    let manager = Manager::from_config(
        pg_config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(DbSetupError::Pool)
}

/// Key of the advisory lock that serialises migrations across instances starting at once.
const MIGRATION_LOCK: i64 = 0x4C4D_4D49_4752; // "LMMIGR"

/// Applies every embedded migration not yet applied. Safe when several instances start at once: they queue on a
/// session advisory lock, and the later ones find nothing left to do.
pub async fn migrate(pool: &Pool) -> Result<(), DbSetupError> {
    let mut client = pool.get().await.map_err(DbSetupError::Connect)?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| DbSetupError::Connect(e.into()))?;
    let result = embedded::migrations::runner()
        .run_async(&mut **client)
        .await;
    // Unlock even when the migration failed; the session ending would release it too.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    result.map_err(DbSetupError::Migrate)?;
    Ok(())
}
