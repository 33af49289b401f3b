//! Installation registry: the first call of an installation records it (installation id, cloud id, API base URL).
//!
//! Reads must not pay a query per request for this, so each instance remembers which installations it has
//! already recorded. Writes always upsert (one cheap statement), because another instance may have purged the
//! installation since (pre-uninstall), and a write needs the row for its foreign key.

use std::collections::HashMap;
use std::sync::RwLock;

use deadpool_postgres::Pool;
use linkmap_core::StoreError;

use super::config_store::store_error;

/// Above this many remembered installations the cache starts over; it only saves queries, so forgetting is safe.
const MAX_REMEMBERED: usize = 100_000;

/// What we keep about an installation (policy C2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The Forge installation ARI.
    pub installation_id: String,
    /// The site's cloud id, when the token carries one.
    pub cloud_id: Option<String>,
    /// The validated `app.apiBaseUrl` from the token.
    pub api_base_url: String,
}

/// Records installations, at most once per instance unless asked to refresh.
#[derive(Debug)]
pub struct InstallationRegistry {
    pool: Pool,
    known: RwLock<HashMap<String, (Option<String>, String)>>,
}

impl InstallationRegistry {
    /// A registry writing through `pool`.
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            known: RwLock::new(HashMap::new()),
        }
    }

    /// Records the installation unless this instance already did so with the same data (no query then).
    pub async fn ensure(&self, reg: &Registration) -> Result<(), StoreError> {
        if self.is_known(reg) {
            return Ok(());
        }
        self.upsert(reg).await
    }

    /// Records the installation now, whatever the cache says (before writes).
    pub async fn upsert(&self, reg: &Registration) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(store_error)?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO installations (installation_id, cloud_id, api_base_url) VALUES ($1, $2, $3) \
                 ON CONFLICT (installation_id) DO UPDATE \
                 SET cloud_id = EXCLUDED.cloud_id, api_base_url = EXCLUDED.api_base_url, updated_at = now() \
                 WHERE installations.cloud_id IS DISTINCT FROM EXCLUDED.cloud_id \
                    OR installations.api_base_url IS DISTINCT FROM EXCLUDED.api_base_url",
            )
            .await
            .map_err(store_error)?;
        client
            .execute(
                &stmt,
                &[&reg.installation_id, &reg.cloud_id, &reg.api_base_url],
            )
            .await
            .map_err(store_error)?;
        self.remember(reg);
        Ok(())
    }

    /// Forgets an installation (after it was purged), so its next call records it again.
    pub fn forget(&self, installation_id: &str) {
        if let Ok(mut known) = self.known.write() {
            known.remove(installation_id);
        }
    }

    fn is_known(&self, reg: &Registration) -> bool {
        self.known.read().is_ok_and(|known| {
            known
                .get(&reg.installation_id)
                .is_some_and(|(cloud, base)| *cloud == reg.cloud_id && *base == reg.api_base_url)
        })
    }

    fn remember(&self, reg: &Registration) {
        if let Ok(mut known) = self.known.write() {
            if known.len() >= MAX_REMEMBERED {
                known.clear();
            }
            known.insert(
                reg.installation_id.clone(),
                (reg.cloud_id.clone(), reg.api_base_url.clone()),
            );
        }
    }
}
