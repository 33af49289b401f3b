//! Installation registry: the first call of an installation records it (installation id, cloud id, API base URL,
//! site URL). Recording it also links any Connect instance of the same installation or site that arrived first
//! (docs/PRIVACY.md, "Connect").
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
    /// The FIT's `context.siteUrl`, normalised by [`normalize_site_url`]; `None` keeps what is stored.
    pub site_url: Option<String>,
}

/// `https://<host>[:port]` with the host lower-cased and no trailing `/`, or `None` for anything else (a path,
/// a query, credentials, odd characters, over 300 bytes). Used for the FIT's `context.siteUrl` and the origin
/// of a Connect `baseUrl`, which are matched to each other.
pub fn normalize_site_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match rest.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_ok = (1..=253).contains(&host.len())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then(|| format!("https://{}", rest.to_ascii_lowercase()))
}

type Known = (Option<String>, String, Option<String>);

/// Records installations, at most once per instance unless asked to refresh.
#[derive(Debug)]
pub struct InstallationRegistry {
    pool: Pool,
    known: RwLock<HashMap<String, Known>>,
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
        // One statement: record the installation, and link the Connect instances that named it in their
        // `installed` payload, or (naming none) came from its site, while it was not registered yet.
        let stmt = client
            .prepare_cached(
                "WITH up AS (\
                   INSERT INTO installations (installation_id, cloud_id, api_base_url, site_url) \
                   VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (installation_id) DO UPDATE \
                   SET cloud_id = EXCLUDED.cloud_id, api_base_url = EXCLUDED.api_base_url, \
                       site_url = COALESCE(EXCLUDED.site_url, installations.site_url), updated_at = now() \
                   WHERE installations.cloud_id IS DISTINCT FROM EXCLUDED.cloud_id \
                      OR installations.api_base_url IS DISTINCT FROM EXCLUDED.api_base_url \
                      OR (EXCLUDED.site_url IS NOT NULL AND installations.site_url IS DISTINCT FROM EXCLUDED.site_url) \
                   RETURNING 1) \
                 UPDATE connect_instances SET installation_id = $1, updated_at = now() \
                 WHERE installation_id IS NULL AND (payload_installation = $1 \
                    OR (payload_installation IS NULL AND $4::text IS NOT NULL \
                        AND (base_url = $4 OR base_url LIKE $4 || '/%')))",
            )
            .await
            .map_err(store_error)?;
        client
            .execute(
                &stmt,
                &[
                    &reg.installation_id,
                    &reg.cloud_id,
                    &reg.api_base_url,
                    &reg.site_url,
                ],
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
                .is_some_and(|(cloud, base, site)| {
                    *cloud == reg.cloud_id
                        && *base == reg.api_base_url
                        && (reg.site_url.is_none() || *site == reg.site_url)
                })
        })
    }

    fn remember(&self, reg: &Registration) {
        if let Ok(mut known) = self.known.write() {
            if known.len() >= MAX_REMEMBERED {
                known.clear();
            }
            known.insert(
                reg.installation_id.clone(),
                (
                    reg.cloud_id.clone(),
                    reg.api_base_url.clone(),
                    reg.site_url.clone(),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_site_url;

    #[test]
    fn site_urls_are_normalised_or_refused() {
        for (raw, want) in [
            (
                "https://Example-Site.atlassian.net",
                Some("https://example-site.atlassian.net"),
            ),
            ("https://x.atlassian.net/", Some("https://x.atlassian.net")),
            (
                "https://x.example.com:8443",
                Some("https://x.example.com:8443"),
            ),
            ("http://x.atlassian.net", None),
            ("https://x.atlassian.net/wiki", None),
            ("https://user@x.atlassian.net", None),
            ("https://x.atlassian.net?q", None),
            ("https://", None),
            ("https://x:", None),
            ("https://x:123456", None),
        ] {
            assert_eq!(normalize_site_url(raw).as_deref(), want, "{raw}");
        }
        assert_eq!(
            normalize_site_url(&format!("https://{}", "a".repeat(254))),
            None
        );
    }
}
