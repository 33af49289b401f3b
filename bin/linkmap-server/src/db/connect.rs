//! Atlassian Connect instances and the ordering of their lifecycle callbacks (policy A2, C2, D1).
//!
//! Every callback is applied in one transaction:
//! 1. a conditional upsert of `connect_lifecycle` (keyed hash of the client key → last applied event and its
//!    token `iat`) that succeeds only when this event is not older than the last applied one: `(iat, uninstalled)`
//!    compared as a pair, so at an equal `iat` (one-second resolution) `uninstalled` wins and a duplicate is
//!    re-applied idempotently. The upsert locks the row, so concurrent callbacks of one client key run one after
//!    the other;
//! 2. if it succeeded, the event itself: `installed` upserts the instance row (linked to its Forge installation
//!    when one is known), `uninstalled` purges the linked Forge installation with the one installation purge
//!    ([`purge_installation_in`]) and deletes the instance row.

use deadpool_postgres::{GenericClient, Pool};
use linkmap_core::{DeletionCounts, InstallationId, StoreError};

use super::config_store::store_error;
use super::privacy_store::purge_installation_in;

/// How long the ordering state of an uninstalled client key is kept. Signed-install tokens live minutes (their
/// `exp`), so an older callback can no longer arrive with a valid token after this.
pub const UNINSTALLED_ORDERING_KEPT: &str = "1 day";

/// What an `installed` callback records (all validated and normalised by the route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInstance {
    /// `clientKey`.
    pub client_key: String,
    /// `baseUrl`, host lower-cased, no trailing `/`.
    pub base_url: String,
    /// `displayUrl`, when sent.
    pub display_url: Option<String>,
    /// `productType`, when sent.
    pub product_type: Option<String>,
    /// `publicKey` (deprecated), when sent.
    pub public_key: Option<String>,
    /// `installationId` (the Forge installation ARI), when sent.
    pub installation: Option<InstallationId>,
    /// `cloudId`, when sent.
    pub cloud_id: Option<String>,
}

/// A verified lifecycle callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifecycleEvent {
    /// `installed`.
    Installed(ConnectInstance),
    /// `uninstalled`, with what its payload says about the site (used to find the Forge installation when the
    /// instance row is gone or was never linked).
    Uninstalled {
        /// `clientKey`.
        client_key: String,
        /// `baseUrl`, normalised.
        base_url: String,
        /// `installationId`, when sent.
        installation: Option<InstallationId>,
    },
}

impl LifecycleEvent {
    fn client_key(&self) -> &str {
        match self {
            Self::Installed(i) => &i.client_key,
            Self::Uninstalled { client_key, .. } => client_key,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Installed(_) => "installed",
            Self::Uninstalled { .. } => "uninstalled",
        }
    }
}

/// What applying a callback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifecycleOutcome {
    /// A later (or equal-time `uninstalled`) event was already applied: nothing changed.
    Stale,
    /// The instance is recorded; `linked` tells whether its Forge installation is known.
    Installed {
        /// Whether the instance is linked to a Forge installation.
        linked: bool,
    },
    /// The instance (0 or 1 row) and the linked Forge installation's data were deleted.
    Uninstalled {
        /// Connect instance rows deleted.
        instances: u64,
        /// What the installation purge deleted.
        purged: DeletionCounts,
        /// The Forge installation purged, if any (the caller's registry cache must forget it).
        installation: Option<InstallationId>,
    },
}

/// The origin (`https://host[:port]`) of a normalised base URL: what is matched to a FIT's `context.siteUrl`.
pub fn origin_of(base_url: &str) -> &str {
    let after_scheme = base_url.find("://").map(|i| i + 3).unwrap_or(0);
    match base_url[after_scheme..].find('/') {
        Some(i) => &base_url[..after_scheme + i],
        None => base_url,
    }
}

/// Connect instances in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgConnectStore {
    pool: Pool,
}

impl PgConnectStore {
    /// A store over `pool`.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Applies a verified callback whose token was issued at `iat` (see the module docs).
    pub async fn apply(
        &self,
        event: &LifecycleEvent,
        iat: i64,
    ) -> Result<LifecycleOutcome, StoreError> {
        let mut client = self.pool.get().await.map_err(store_error)?;
        let tx = client.transaction().await.map_err(store_error)?;
        tx.execute(
            &format!(
                "DELETE FROM connect_lifecycle WHERE last_event = 'uninstalled' \
                 AND updated_at < now() - interval '{UNINSTALLED_ORDERING_KEPT}'"
            ),
            &[],
        )
        .await
        .map_err(store_error)?;
        let applied = tx
            .query_opt(
                "INSERT INTO connect_lifecycle AS l (client_key_hash, last_event, last_event_iat) \
                 VALUES (connect_client_key_hash($1), $2, $3) \
                 ON CONFLICT (client_key_hash) DO UPDATE \
                 SET last_event = EXCLUDED.last_event, last_event_iat = EXCLUDED.last_event_iat, updated_at = now() \
                 WHERE (EXCLUDED.last_event_iat, EXCLUDED.last_event = 'uninstalled') \
                    >= (l.last_event_iat, l.last_event = 'uninstalled') \
                 RETURNING 1",
                &[&event.client_key(), &event.name(), &iat],
            )
            .await
            .map_err(store_error)?
            .is_some();
        if !applied {
            tx.commit().await.map_err(store_error)?;
            return Ok(LifecycleOutcome::Stale);
        }
        let outcome = match event {
            LifecycleEvent::Installed(instance) => install(&tx, instance, iat).await?,
            LifecycleEvent::Uninstalled {
                client_key,
                base_url,
                installation,
            } => uninstall(&tx, client_key, base_url, installation.as_ref()).await?,
        };
        tx.commit().await.map_err(store_error)?;
        Ok(outcome)
    }
}

/// The Forge installation a Connect instance belongs to: the payload's `installationId` when that installation is
/// registered, else the one registered installation whose site URL is the instance's origin (none when several
/// share it). The row is key-share locked, so a concurrent purge waits for this transaction.
async fn resolve_link(
    tx: &impl GenericClient,
    base_url: &str,
    installation: Option<&InstallationId>,
) -> Result<Option<String>, StoreError> {
    if let Some(inst) = installation {
        let row = tx
            .query_opt(
                "SELECT installation_id FROM installations WHERE installation_id = $1 FOR KEY SHARE",
                &[&inst.as_str()],
            )
            .await
            .map_err(store_error)?;
        return row.map(|r| r.try_get(0)).transpose().map_err(store_error);
    }
    let rows = tx
        .query(
            "SELECT installation_id FROM installations WHERE site_url = $1 LIMIT 2 FOR KEY SHARE",
            &[&origin_of(base_url)],
        )
        .await
        .map_err(store_error)?;
    if rows.len() == 1 {
        return rows[0].try_get(0).map(Some).map_err(store_error);
    }
    if rows.len() > 1 {
        tracing::warn!("several Forge installations share the Connect instance's site; not linked");
    }
    Ok(None)
}

async fn install(
    tx: &impl GenericClient,
    i: &ConnectInstance,
    iat: i64,
) -> Result<LifecycleOutcome, StoreError> {
    let link = resolve_link(tx, &i.base_url, i.installation.as_ref()).await?;
    let row = tx
        .query_one(
            "INSERT INTO connect_instances AS c (client_key, base_url, display_url, product_type, public_key, \
                 payload_installation, cloud_id, installation_id, last_event_iat) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (client_key) DO UPDATE SET base_url = EXCLUDED.base_url, \
                 display_url = EXCLUDED.display_url, product_type = EXCLUDED.product_type, \
                 public_key = EXCLUDED.public_key, payload_installation = EXCLUDED.payload_installation, \
                 cloud_id = EXCLUDED.cloud_id, \
                 installation_id = COALESCE(EXCLUDED.installation_id, c.installation_id), \
                 last_event_iat = EXCLUDED.last_event_iat, updated_at = now() \
             RETURNING installation_id IS NOT NULL",
            &[
                &i.client_key,
                &i.base_url,
                &i.display_url,
                &i.product_type,
                &i.public_key,
                &i.installation.as_ref().map(InstallationId::as_str),
                &i.cloud_id,
                &link,
                &iat,
            ],
        )
        .await
        .map_err(store_error)?;
    Ok(LifecycleOutcome::Installed {
        linked: row.try_get(0).map_err(store_error)?,
    })
}

async fn uninstall(
    tx: &impl GenericClient,
    client_key: &str,
    base_url: &str,
    installation: Option<&InstallationId>,
) -> Result<LifecycleOutcome, StoreError> {
    // The stored link first; else what the uninstalled payload says (the row may be gone or never linked).
    // Not locked here: locks are taken in the order of the Forge purge (installation, then instances), so the two
    // uninstall paths running at once wait for each other instead of deadlocking.
    let stored: Option<Option<String>> = tx
        .query_opt(
            "SELECT installation_id FROM connect_instances WHERE client_key = $1",
            &[&client_key],
        )
        .await
        .map_err(store_error)?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(store_error)?;
    let had_row = stored.is_some();
    let link = match stored.flatten() {
        Some(l) => Some(l),
        None => resolve_link(tx, base_url, installation).await?,
    };
    let (purged, installation) = match link {
        Some(raw) => {
            let inst = InstallationId::parse(&raw)
                .map_err(|_| StoreError::Corrupt("stored installation id".into()))?;
            (purge_installation_in(tx, &inst).await?, Some(inst))
        }
        None => (DeletionCounts::default(), None),
    };
    // The purge's cascade may already have taken the row.
    let deleted = tx
        .execute(
            "DELETE FROM connect_instances WHERE client_key = $1",
            &[&client_key],
        )
        .await
        .map_err(store_error)?;
    Ok(LifecycleOutcome::Uninstalled {
        instances: deleted.max(u64::from(had_row)),
        purged,
        installation,
    })
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(
            origin_of("https://x.atlassian.net"),
            "https://x.atlassian.net"
        );
        assert_eq!(
            origin_of("https://x.atlassian.net/wiki"),
            "https://x.atlassian.net"
        );
        assert_eq!(origin_of("https://h:8443/a/b"), "https://h:8443");
    }
}
