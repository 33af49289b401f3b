//! [`HttpKeyStore`]: the JWKS fetched over HTTPS, cached, refreshed, and single-flighted.
//!
//! # Behaviour
//! - **Hot path**: a read lock, a linear scan of a handful of keys, an `Arc` clone. No I/O, no parsing: keys are
//!   parsed into OpenSSL key objects once per fetch.
//! - **TTL refresh**: once a key set is older than `refresh_interval`, the request that notices spawns one
//!   background refresh and is answered from the cached set.
//! - **Unknown `kid`**: the requests queue on one async mutex; the first one fetches (if the last fetch is older
//!   than `unknown_kid_cooldown`), the others find the fresh set or the cooldown when they get the lock. So 1,000
//!   concurrent tokens with an unknown `kid` cause at most one fetch.
//! - **Endpoint down**: the cached set keeps being served, however old; the failure is logged and retried at most
//!   every `retry_after_failure`.
//! - **Cold start**: with no key set at all, a failed fetch fails closed with an unavailable error (→ 503).
//! - **Isolated Cloud**: each valid `icLabel` gets its own cached set, fetched from the configured URL template.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{ConfigError, Error};
use crate::keys::{find_key, parse_jwks, KeyStore, VerifyingKey};
use crate::validation::{PROD_JWKS_URL, STAGING_JWKS_URL};

/// The placeholder an Isolated Cloud JWKS URL template must contain exactly once.
pub const IC_LABEL_PLACEHOLDER: &str = "{icLabel}";

/// Configuration of an [`HttpKeyStore`]. Start from [`HttpKeyStoreConfig::new`] (or `production`/`staging`) and
/// adjust with the setters; ranges are checked by [`HttpKeyStore::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpKeyStoreConfig {
    jwks_url: String,
    isolated_cloud_template: Option<String>,
    allowed_ic_labels: Option<Vec<String>>,
    refresh_interval: Duration,
    unknown_kid_cooldown: Duration,
    retry_after_failure: Duration,
    fetch_timeout: Duration,
    max_jwks_bytes: usize,
    max_isolated_clouds: usize,
}

impl HttpKeyStoreConfig {
    /// Default interval after which a cached key set is refreshed in the background.
    pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(600);
    /// Default minimum time between two fetches caused by unknown `kid`s (trustpub uses 60 s; a rotated key is
    /// picked up faster with 30 s, and the cost is at most two fetches a minute).
    pub const DEFAULT_UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(30);
    /// Default minimum time between two fetches after a failed one.
    pub const DEFAULT_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
    /// Default time limit for one fetch, connection and body included. Short, because requests wait for it on a
    /// cold start or an unknown `kid`, and Forge gives UI calls 25 s and events 5 s in all.
    pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(3);
    /// Default size cap for a JWKS response body.
    pub const DEFAULT_MAX_JWKS_BYTES: usize = 64 * 1024;
    /// Default number of distinct Isolated Cloud labels with their own cached key set.
    pub const DEFAULT_MAX_ISOLATED_CLOUDS: usize = 32;

    /// A store fetching `jwks_url`: `https://…`, or `http://` to `127.0.0.1`, `localhost` or `[::1]` (local
    /// development and tests).
    pub fn new(jwks_url: impl Into<String>) -> Self {
        HttpKeyStoreConfig {
            jwks_url: jwks_url.into(),
            isolated_cloud_template: None,
            allowed_ic_labels: None,
            refresh_interval: Self::DEFAULT_REFRESH_INTERVAL,
            unknown_kid_cooldown: Self::DEFAULT_UNKNOWN_KID_COOLDOWN,
            retry_after_failure: Self::DEFAULT_RETRY_AFTER_FAILURE,
            fetch_timeout: Self::DEFAULT_FETCH_TIMEOUT,
            max_jwks_bytes: Self::DEFAULT_MAX_JWKS_BYTES,
            max_isolated_clouds: Self::DEFAULT_MAX_ISOLATED_CLOUDS,
        }
    }

    /// [`PROD_JWKS_URL`] with the defaults.
    pub fn production() -> Self {
        Self::new(PROD_JWKS_URL)
    }

    /// [`STAGING_JWKS_URL`] with the defaults (pair with [`Validation::allow_staging`](crate::Validation)).
    pub fn staging() -> Self {
        Self::new(STAGING_JWKS_URL)
    }

    /// Enables Isolated Cloud: tokens with a valid `icLabel` get keys from `template` with
    /// [`IC_LABEL_PLACEHOLDER`] replaced by the label (Atlassian supplies the template at onboarding).
    pub fn isolated_cloud_template(mut self, template: impl Into<String>) -> Self {
        self.isolated_cloud_template = Some(template.into());
        self
    }

    /// Restricts Isolated Cloud to these labels; others are refused as [`Error::BadIcLabel`].
    pub fn allowed_ic_labels<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        labels: I,
    ) -> Self {
        self.allowed_ic_labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the background-refresh interval (1 s to 1 day).
    pub fn refresh_interval(mut self, d: Duration) -> Self {
        self.refresh_interval = d;
        self
    }

    /// Sets the minimum time between fetches caused by unknown `kid`s (at most 1 hour; zero disables the
    /// cooldown, but concurrent requests still share one fetch).
    pub fn unknown_kid_cooldown(mut self, d: Duration) -> Self {
        self.unknown_kid_cooldown = d;
        self
    }

    /// Sets the minimum time between fetches after a failed fetch (at most 1 hour).
    pub fn retry_after_failure(mut self, d: Duration) -> Self {
        self.retry_after_failure = d;
        self
    }

    /// Sets the time limit of one fetch (10 ms to 60 s).
    pub fn fetch_timeout(mut self, d: Duration) -> Self {
        self.fetch_timeout = d;
        self
    }

    /// Sets the size cap of a JWKS body (1 KiB to 1 MiB).
    pub fn max_jwks_bytes(mut self, n: usize) -> Self {
        self.max_jwks_bytes = n;
        self
    }

    /// Sets how many Isolated Cloud labels may have their own cached key set (1 to 1024). Past it, a new label
    /// is answered with [`Error::JwksFetchFailed`] (a forged label must not grow memory without bound).
    pub fn max_isolated_clouds(mut self, n: usize) -> Self {
        self.max_isolated_clouds = n;
        self
    }

    /// The time the caller should wait before retrying after an unavailable error (for `Retry-After`).
    pub fn retry_after(&self) -> Duration {
        self.retry_after_failure.max(Duration::from_secs(1))
    }

    fn check(&self) -> Result<(), ConfigError> {
        check_jwks_url(&self.jwks_url)?;
        if let Some(t) = &self.isolated_cloud_template {
            if t.matches(IC_LABEL_PLACEHOLDER).count() != 1 {
                return Err(ConfigError::InvalidJwksUrl(format!(
                    "the template must contain {IC_LABEL_PLACEHOLDER} once"
                )));
            }
            check_jwks_url(&t.replace(IC_LABEL_PLACEHOLDER, "label"))?;
        }
        if let Some(labels) = &self.allowed_ic_labels {
            if let Some(bad) = labels
                .iter()
                .find(|l| !crate::validator::is_valid_ic_label(l))
            {
                return Err(ConfigError::InvalidJwksUrl(format!(
                    "`{bad}` is not a valid icLabel"
                )));
            }
        }
        let hour = Duration::from_secs(3600);
        let ranges: [(&'static str, bool); 6] = [
            (
                "refresh_interval must be 1 s to 1 day",
                (Duration::from_secs(1)..=Duration::from_secs(86_400))
                    .contains(&self.refresh_interval),
            ),
            (
                "unknown_kid_cooldown must be at most 1 hour",
                self.unknown_kid_cooldown <= hour,
            ),
            (
                "retry_after_failure must be at most 1 hour",
                self.retry_after_failure <= hour,
            ),
            (
                "fetch_timeout must be 10 ms to 60 s",
                (Duration::from_millis(10)..=Duration::from_secs(60)).contains(&self.fetch_timeout),
            ),
            (
                "max_jwks_bytes must be 1 KiB to 1 MiB",
                (1024..=1 << 20).contains(&self.max_jwks_bytes),
            ),
            (
                "max_isolated_clouds must be 1 to 1024",
                (1..=1024).contains(&self.max_isolated_clouds),
            ),
        ];
        match ranges.iter().find(|(_, ok)| !ok) {
            Some((why, _)) => Err(ConfigError::InvalidKeyStoreSetting(why)),
            None => Ok(()),
        }
    }
}

/// `https://host…`, or `http://` to a loopback host; no userinfo, no fragment.
pub(crate) fn check_jwks_url(url: &str) -> Result<(), ConfigError> {
    let bad = |why: &str| ConfigError::InvalidJwksUrl(format!("{url}: {why}"));
    let (rest, loopback_only) = if let Some(rest) = url.strip_prefix("https://") {
        (rest, false)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, true)
    } else {
        return Err(bad(
            "must start with https:// (or http:// to a loopback address)",
        ));
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.is_empty()
        || authority.contains('@')
        || url.contains('#')
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad("needs a host and no userinfo, fragment or whitespace"));
    }
    if loopback_only {
        let host = if authority.starts_with('[') {
            authority
                .split(']')
                .next()
                .map(|h| format!("{h}]"))
                .unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or("").to_owned()
        };
        if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
            return Err(bad(
                "plain http is only allowed to 127.0.0.1, localhost or [::1]",
            ));
        }
    }
    Ok(())
}

/// A JWKS fetched over HTTP(S) and cached; see the module docs for refresh, cooldown and failure behaviour.
///
/// Cheap to clone (an `Arc` inside); clones share the cache.
#[derive(Clone)]
pub struct HttpKeyStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for HttpKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpKeyStore")
            .field("config", &self.inner.fetcher.config)
            .finish_non_exhaustive()
    }
}

struct Inner {
    fetcher: Arc<Fetcher>,
    default: Arc<Realm>,
    isolated: RwLock<HashMap<String, Arc<Realm>>>,
}

struct Fetcher {
    client: reqwest::Client,
    config: HttpKeyStoreConfig,
}

/// One key set (the default cloud, or one Isolated Cloud) and its fetch state.
struct Realm {
    url: String,
    fetcher: Arc<Fetcher>,
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    /// Held for the whole of a fetch: this is the single-flight.
    fetch: Arc<Mutex<FetchState>>,
}

struct Snapshot {
    keys: Vec<Arc<VerifyingKey>>,
    fetched_at: Instant,
}

#[derive(Default)]
struct FetchState {
    last_attempt: Option<Instant>,
    last_error: Option<Error>,
}

impl HttpKeyStore {
    /// Checks the configuration and builds the HTTP client (rustls, no redirects, the configured timeout). No
    /// request is made until the first token needs a key; call [`HttpKeyStore::prefetch`] to warm the cache at
    /// start-up.
    pub fn new(config: HttpKeyStoreConfig) -> Result<Self, ConfigError> {
        config.check()?;
        let client = build_client(config.fetch_timeout)?;
        let fetcher = Arc::new(Fetcher { client, config });
        let default = Arc::new(Realm::new(fetcher.config.jwks_url.clone(), fetcher.clone()));
        Ok(HttpKeyStore {
            inner: Arc::new(Inner {
                fetcher,
                default,
                isolated: RwLock::new(HashMap::new()),
            }),
        })
    }

    /// Fetches the default key set now (e.g. at start-up, so the first request does not wait). An error leaves
    /// the store usable: requests will retry the fetch.
    pub async fn prefetch(&self) -> Result<(), Error> {
        let mut state = self.inner.default.fetch.lock().await;
        self.inner.default.fetch_now(&mut state).await.map(|_| ())
    }

    /// The configuration in use.
    pub fn config(&self) -> &HttpKeyStoreConfig {
        &self.inner.fetcher.config
    }

    fn realm(&self, label: Option<&str>) -> Result<Arc<Realm>, Error> {
        let Some(label) = label else {
            return Ok(self.inner.default.clone());
        };
        let config = &self.inner.fetcher.config;
        let Some(template) = &config.isolated_cloud_template else {
            return Err(Error::IsolatedCloudNotConfigured);
        };
        // The validator checked the label already; it goes into a URL, so check again here.
        if !crate::validator::is_valid_ic_label(label) {
            return Err(Error::BadIcLabel);
        }
        if let Some(allowed) = &config.allowed_ic_labels {
            if !allowed.iter().any(|a| a == label) {
                return Err(Error::BadIcLabel);
            }
        }
        if let Some(realm) = read(&self.inner.isolated).get(label) {
            return Ok(realm.clone());
        }
        let mut map = self
            .inner
            .isolated
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(realm) = map.get(label) {
            return Ok(realm.clone());
        }
        if map.len() >= config.max_isolated_clouds {
            tracing::warn!(
                limit = config.max_isolated_clouds,
                "too many Isolated Cloud labels; refusing a new one"
            );
            return Err(Error::JwksFetchFailed(
                "too many Isolated Cloud labels".to_owned(),
            ));
        }
        let realm = Arc::new(Realm::new(
            template.replace(IC_LABEL_PLACEHOLDER, label),
            self.inner.fetcher.clone(),
        ));
        map.insert(label.to_owned(), realm.clone());
        Ok(realm)
    }
}

#[async_trait]
impl KeyStore for HttpKeyStore {
    async fn verifying_key(
        &self,
        kid: &str,
        ic_label: Option<&str>,
    ) -> Result<Option<Arc<VerifyingKey>>, Error> {
        self.realm(ic_label)?.key(kid).await
    }

    fn cached_key(&self, kid: &str, ic_label: Option<&str>) -> Option<Arc<VerifyingKey>> {
        match ic_label {
            None => self.inner.default.cached(kid),
            // Labels go through `realm`, which checks them against the configuration.
            Some(_) => self.realm(ic_label).ok()?.cached(kid),
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // A panic while holding the lock cannot leave a half-written value: writers only swap in a whole `Arc`.
    lock.read().unwrap_or_else(|p| p.into_inner())
}

impl Realm {
    fn new(url: String, fetcher: Arc<Fetcher>) -> Self {
        Realm {
            url,
            fetcher,
            snapshot: RwLock::new(None),
            fetch: Arc::new(Mutex::new(FetchState::default())),
        }
    }

    /// The cached key for `kid`, if any; a stale set still answers and starts one background refresh.
    fn cached(self: &Arc<Self>, kid: &str) -> Option<Arc<VerifyingKey>> {
        let snap = read(&self.snapshot);
        let s = snap.as_ref()?;
        let key = find_key(&s.keys, kid)?;
        let stale = s.fetched_at.elapsed() >= self.fetcher.config.refresh_interval;
        drop(snap);
        if stale {
            self.refresh_in_background();
        }
        Some(key)
    }

    fn current(&self) -> Option<Arc<Snapshot>> {
        read(&self.snapshot).clone()
    }

    async fn key(self: Arc<Self>, kid: &str) -> Result<Option<Arc<VerifyingKey>>, Error> {
        // Hot path: known kid in the cached set.
        if let Some(key) = self.cached(kid) {
            return Ok(Some(key));
        }

        // Slow path: unknown kid or cold start. Queue for the single fetch slot.
        let arrived = Instant::now();
        let mut state = self.fetch.lock().await;
        let snapshot = self.current();
        if let Some(key) = snapshot.as_ref().and_then(|s| find_key(&s.keys, kid)) {
            return Ok(Some(key)); // fetched by whoever held the lock before us
        }
        // A fetch that started while we queued is as fresh as one we could make: share its outcome.
        let shared = state.last_attempt.is_some_and(|t| t >= arrived);
        if shared || !self.may_fetch(&state, true) {
            return match (&snapshot, &state.last_error) {
                (None, _) => Err(Error::NoKeysAvailable),
                // The last fetch failed: we cannot tell whether this kid is a fresh rotation.
                (Some(_), Some(e)) => Err(e.clone()),
                (Some(_), None) => Ok(None),
            };
        }
        let snapshot = self.fetch_now(&mut state).await?;
        Ok(find_key(&snapshot.keys, kid))
    }

    /// Whether the fetch state allows a fetch now; `unknown_kid` applies the unknown-kid cooldown too.
    fn may_fetch(&self, state: &FetchState, unknown_kid: bool) -> bool {
        let Some(last) = state.last_attempt else {
            return true;
        };
        let config = &self.fetcher.config;
        let wait = if state.last_error.is_some() {
            config.retry_after_failure
        } else if unknown_kid {
            config.unknown_kid_cooldown
        } else {
            Duration::ZERO
        };
        last.elapsed() >= wait
    }

    /// Starts one background refresh unless one is running or a recent failure says to wait.
    fn refresh_in_background(self: &Arc<Self>) {
        let Ok(guard) = self.fetch.clone().try_lock_owned() else {
            return;
        };
        if !self.may_fetch(&guard, false) {
            return;
        }
        let realm = self.clone();
        let task = async move {
            let mut guard: OwnedMutexGuard<FetchState> = guard;
            // Someone may have refreshed between our staleness check and taking the lock.
            let fresh = realm
                .current()
                .is_some_and(|s| s.fetched_at.elapsed() < realm.fetcher.config.refresh_interval);
            if !fresh {
                let _ = realm.fetch_now(&mut guard).await;
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(task);
            }
            // Outside a Tokio runtime the HTTP client cannot run anyway; the next unknown kid will retry.
            Err(_) => tracing::debug!("no Tokio runtime: skipping the background JWKS refresh"),
        }
    }

    /// Fetches and installs a new key set. On failure the old set stays in place.
    async fn fetch_now(&self, state: &mut FetchState) -> Result<Arc<Snapshot>, Error> {
        state.last_attempt = Some(Instant::now());
        match self.fetcher.fetch(&self.url).await {
            Ok(keys) => {
                tracing::info!(url = %self.url, keys = keys.len(), "fetched the Forge JWKS");
                let snapshot = Arc::new(Snapshot {
                    keys,
                    fetched_at: Instant::now(),
                });
                *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Some(snapshot.clone());
                state.last_error = None;
                Ok(snapshot)
            }
            Err(e) => {
                let serving_cached = self.current().is_some();
                tracing::warn!(url = %self.url, error = %e, serving_cached, "fetching the Forge JWKS failed");
                state.last_error = Some(e.clone());
                Err(e)
            }
        }
    }
}

impl Fetcher {
    async fn fetch(&self, url: &str) -> Result<Vec<Arc<VerifyingKey>>, Error> {
        let failed = |why: String| Error::JwksFetchFailed(format!("{url}: {why}"));
        let body = get_capped(
            &self.client,
            url,
            "application/json",
            self.config.max_jwks_bytes,
        )
        .await
        .map_err(|e| failed(e.to_string()))?;
        parse_jwks(&body).map_err(|why| Error::JwksInvalid(format!("{url}: {why}")))
    }
}

/// The HTTP client for key fetching: rustls, the given timeout for connecting and for the whole request, no
/// redirects (a redirect could leave the configured origin; key URLs are configured exactly).
pub(crate) fn build_client(timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("forge-remote-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::HttpClient(e.to_string()))
}

/// Why [`get_capped`] failed.
#[derive(Debug)]
pub(crate) enum FetchFailure {
    /// Network error or timeout (the error chain).
    Transport(String),
    /// A status other than 200.
    Status(reqwest::StatusCode),
    /// The body is over the cap.
    TooLarge(usize),
}

impl fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchFailure::Transport(why) => f.write_str(why),
            FetchFailure::Status(status) => write!(f, "HTTP {status}"),
            FetchFailure::TooLarge(max) => write!(f, "body over {max} bytes"),
        }
    }
}

/// `GET url` with `Accept: accept`; the body of a 200 answer, at most `max` bytes (checked on `Content-Length`
/// and while streaming).
pub(crate) async fn get_capped(
    client: &reqwest::Client,
    url: &str,
    accept: &str,
    max: usize,
) -> Result<Vec<u8>, FetchFailure> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, accept)
        .send()
        .await
        .map_err(|e| FetchFailure::Transport(error_chain(&e)))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(FetchFailure::Status(response.status()));
    }
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Err(FetchFailure::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchFailure::Transport(error_chain(&e)))?
    {
        if body.len() + chunk.len() > max {
            return Err(FetchFailure::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `reqwest` puts the useful part (timeout, connection refused…) in the source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_urls_must_be_https_or_loopback_http() {
        for ok in [
            PROD_JWKS_URL,
            STAGING_JWKS_URL,
            "http://127.0.0.1:8080/jwks.json",
            "http://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert!(check_jwks_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/jwks.json",
            "ftp://x/y",
            "https://",
            "https://user@host/x",
            "http://127.0.0.1.evil.com/x",
            "http://localhost@evil.com/x",
            "https://host/x#frag",
            "https://ho st/x",
        ] {
            assert!(check_jwks_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_ranges_are_checked() {
        assert!(HttpKeyStoreConfig::production().check().is_ok());
        assert!(HttpKeyStoreConfig::production()
            .fetch_timeout(Duration::ZERO)
            .check()
            .is_err());
        assert!(HttpKeyStoreConfig::production()
            .refresh_interval(Duration::ZERO)
            .check()
            .is_err());
        assert!(HttpKeyStoreConfig::production()
            .max_jwks_bytes(10)
            .check()
            .is_err());
        assert!(HttpKeyStoreConfig::production()
            .isolated_cloud_template("https://x/jwks.json")
            .check()
            .is_err());
        assert!(HttpKeyStoreConfig::production()
            .isolated_cloud_template("https://x/{icLabel}/{icLabel}")
            .check()
            .is_err());
        assert!(HttpKeyStoreConfig::production()
            .isolated_cloud_template("https://{icLabel}.x/jwks.json")
            .check()
            .is_ok());
        assert!(HttpKeyStoreConfig::production()
            .allowed_ic_labels(["Bad"])
            .check()
            .is_err());
    }
}
