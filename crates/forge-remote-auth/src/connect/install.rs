//! Signed install: the RS256 tokens of the `installed` / `uninstalled` lifecycle callbacks, and the install
//! public keys they are checked with.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::connect::jwt::{
    check_qsh, check_times, jwt_from_authorization, parse_connect, ConnectRequest,
    ConnectValidation, QshMode,
};
use crate::error::{ConfigError, Error};
use crate::http_store::{build_client, check_jwks_url, get_capped, FetchFailure};
use crate::keys::VerifyingKey;
use crate::validator::unix_now;

/// Atlassian's Connect install-key host: the key of a signed-install token is `GET <this><kid>` (PEM).
pub const DEFAULT_INSTALL_KEYS_URL: &str = "https://connect-install-keys.atlassian.com/";

/// Longest accepted signed-install `kid`, in bytes.
pub const MAX_INSTALL_KID_LEN: usize = 200;

/// Whether `kid` may name an install key: `^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$`, with no empty, `.` or `..`
/// path segment (so no `//`, no trailing `/`). A URL (`:`), a query (`?`), a fragment (`#`), an escape (`%`), a
/// backslash, a leading `/` or `.` and a dot segment are all refused, so `<base>/<kid>` stays under `<base>`.
///
/// ```
/// use forge_remote_auth::connect::is_valid_install_kid;
///
/// assert!(is_valid_install_kid("jira/5a0c1b2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b"));
/// for bad in ["https://evil.example.com/k", "../k", "/etc/passwd", "a//b", "a/../b", "a%2Fb", "k?x", "a\\b", ""] {
///     assert!(!is_valid_install_kid(bad), "{bad}");
/// }
/// ```
pub fn is_valid_install_kid(kid: &str) -> bool {
    let bytes = kid.as_bytes();
    (1..=MAX_INSTALL_KID_LEN).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
        && kid.split('/').all(|s| !matches!(s, "" | "." | ".."))
        && !kid.contains("..")
}

/// Where [`SignedInstallVerifier`] gets the public key named by a (validated) `kid`.
///
/// `Ok(None)`: no such key (→ [`Error::UnknownKid`], 401). `Err(e)`: could not answer; return a variant for which
/// [`Error::is_unavailable`] holds (e.g. [`Error::InstallKeyFetchFailed`]) so the caller answers 503.
#[async_trait]
pub trait InstallKeyStore: Send + Sync {
    /// The key for `kid`, which already matched [`is_valid_install_kid`].
    async fn install_key(&self, kid: &str) -> Result<Option<Arc<VerifyingKey>>, Error>;
}

/// A fixed set of install keys held in memory (tests, or keys distributed some other way).
#[derive(Debug, Clone, Default)]
pub struct StaticInstallKeyStore {
    keys: Vec<Arc<VerifyingKey>>,
}

impl StaticInstallKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the RSA public key `pem` under `kid` (which must match [`is_valid_install_kid`]).
    pub fn with_pem(mut self, kid: &str, pem: &str) -> Result<Self, ConfigError> {
        if !is_valid_install_kid(kid) {
            return Err(ConfigError::InvalidKey(format!(
                "`{kid}` is not a valid kid"
            )));
        }
        let key = VerifyingKey::from_public_key_pem(kid, pem.as_bytes())?;
        self.keys.retain(|k| k.kid() != kid);
        self.keys.push(Arc::new(key));
        Ok(self)
    }

    /// Adds `key` under its own `kid`.
    pub fn with_key(mut self, key: VerifyingKey) -> Self {
        self.keys.retain(|k| k.kid() != key.kid());
        self.keys.push(Arc::new(key));
        self
    }
}

#[async_trait]
impl InstallKeyStore for StaticInstallKeyStore {
    async fn install_key(&self, kid: &str) -> Result<Option<Arc<VerifyingKey>>, Error> {
        Ok(self.keys.iter().find(|k| k.kid() == kid).cloned())
    }
}

/// Configuration of an [`HttpInstallKeyStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpInstallKeyStoreConfig {
    base_url: String,
    fetch_timeout: Duration,
    max_cached_keys: usize,
    negative_ttl: Duration,
    retry_after_failure: Duration,
    max_key_bytes: usize,
}

impl HttpInstallKeyStoreConfig {
    /// Default time limit for one key fetch (the install callback waits for it).
    pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(3);
    /// Default number of keys kept (and, separately, of `kid`s remembered as missing).
    pub const DEFAULT_MAX_CACHED_KEYS: usize = 64;
    /// Default time a `kid` answered 404 is remembered as missing.
    pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(60);
    /// Default time a failed fetch of a `kid` is answered from memory before it is tried again.
    pub const DEFAULT_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
    /// Default size cap of a PEM body.
    pub const DEFAULT_MAX_KEY_BYTES: usize = 16 * 1024;

    /// Keys fetched from `base_url` (`https://…`, or `http://` to a loopback address for tests): the key of
    /// `kid` is `<base_url>/<kid>` (one `/` between them whether or not `base_url` ends with one).
    pub fn new(base_url: impl Into<String>) -> Self {
        HttpInstallKeyStoreConfig {
            base_url: base_url.into(),
            fetch_timeout: Self::DEFAULT_FETCH_TIMEOUT,
            max_cached_keys: Self::DEFAULT_MAX_CACHED_KEYS,
            negative_ttl: Self::DEFAULT_NEGATIVE_TTL,
            retry_after_failure: Self::DEFAULT_RETRY_AFTER_FAILURE,
            max_key_bytes: Self::DEFAULT_MAX_KEY_BYTES,
        }
    }

    /// [`DEFAULT_INSTALL_KEYS_URL`] with the defaults.
    pub fn production() -> Self {
        Self::new(DEFAULT_INSTALL_KEYS_URL)
    }

    /// Sets the time limit of one fetch (10 ms to 60 s).
    pub fn fetch_timeout(mut self, d: Duration) -> Self {
        self.fetch_timeout = d;
        self
    }

    /// Sets how many keys are kept (1 to 4096; the oldest goes first). Keys never expire: Atlassian rotates by
    /// publishing a new `kid`.
    pub fn max_cached_keys(mut self, n: usize) -> Self {
        self.max_cached_keys = n;
        self
    }

    /// Sets how long a `kid` answered 404 is remembered (at most 1 hour).
    pub fn negative_ttl(mut self, d: Duration) -> Self {
        self.negative_ttl = d;
        self
    }

    /// Sets how long a failed fetch is answered from memory (at most 1 hour).
    pub fn retry_after_failure(mut self, d: Duration) -> Self {
        self.retry_after_failure = d;
        self
    }

    /// Sets the size cap of a PEM body (1 KiB to 64 KiB).
    pub fn max_key_bytes(mut self, n: usize) -> Self {
        self.max_key_bytes = n;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn check(&self) -> Result<(), ConfigError> {
        check_jwks_url(&self.base_url)?;
        if self.base_url.contains('?') {
            return Err(ConfigError::InvalidJwksUrl(format!(
                "{}: no query allowed",
                self.base_url
            )));
        }
        let hour = Duration::from_secs(3600);
        let ranges: [(&'static str, bool); 5] = [
            (
                "fetch_timeout must be 10 ms to 60 s",
                (Duration::from_millis(10)..=Duration::from_secs(60)).contains(&self.fetch_timeout),
            ),
            (
                "max_cached_keys must be 1 to 4096",
                (1..=4096).contains(&self.max_cached_keys),
            ),
            (
                "negative_ttl must be at most 1 hour",
                self.negative_ttl <= hour,
            ),
            (
                "retry_after_failure must be at most 1 hour",
                self.retry_after_failure <= hour,
            ),
            (
                "max_key_bytes must be 1 KiB to 64 KiB",
                (1024..=64 * 1024).contains(&self.max_key_bytes),
            ),
        ];
        match ranges.iter().find(|(_, ok)| !ok) {
            Some((why, _)) => Err(ConfigError::InvalidKeyStoreSetting(why)),
            None => Ok(()),
        }
    }
}

/// Install keys fetched over HTTPS as `<base>/<kid>` and cached by `kid`.
///
/// - A key, once fetched, is never fetched again (bounded cache, oldest out first).
/// - Concurrent requests for one unknown `kid` share one fetch (single-flight per `kid`).
/// - 404, 410 and other 4xx answers except 408/429: the `kid` does not exist (→ [`Error::UnknownKid`], 401),
///   remembered for `negative_ttl`. Network errors, timeouts, 5xx/408/429 and oversized bodies:
///   [`Error::InstallKeyFetchFailed`] (503); a 200 that is not an RSA public key PEM:
///   [`Error::InstallKeyInvalid`] (503); both remembered for `retry_after_failure`.
/// - rustls, no redirects, a 3 s timeout by default.
///
/// Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct HttpInstallKeyStore {
    inner: Arc<HttpInner>,
}

struct HttpInner {
    client: reqwest::Client,
    config: HttpInstallKeyStoreConfig,
    /// The base URL ending with exactly one `/`.
    base: String,
    state: Mutex<CacheState>,
}

struct CacheState {
    keys: Bounded<String, Arc<VerifyingKey>>,
    /// `kid`s answered "does not exist", or whose fetch failed, with when and (for failures) the error.
    misses: Bounded<String, (Instant, Option<Error>)>,
    inflight: HashMap<String, Arc<tokio::sync::Mutex<()>>>,
}

/// A map keeping at most `max` entries, dropping the oldest inserted first.
struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    max: usize,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    fn new(max: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            max,
        }
    }

    fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }

    fn insert(&mut self, k: K, v: V) {
        if self.map.insert(k.clone(), v).is_none() {
            self.order.push_back(k);
            while self.map.len() > self.max {
                match self.order.pop_front() {
                    Some(old) => {
                        self.map.remove(&old);
                    }
                    None => break,
                }
            }
        }
    }

    fn remove(&mut self, k: &K) {
        if self.map.remove(k).is_some() {
            self.order.retain(|o| o != k);
        }
    }
}

impl fmt::Debug for HttpInstallKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpInstallKeyStore")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

enum Cached {
    Key(Arc<VerifyingKey>),
    Missing,
    Failed(Error),
}

impl HttpInstallKeyStore {
    /// Checks the configuration and builds the HTTP client. No request is made until a token needs a key.
    pub fn new(config: HttpInstallKeyStoreConfig) -> Result<Self, ConfigError> {
        config.check()?;
        let client = build_client(config.fetch_timeout)?;
        let base = format!("{}/", config.base_url.trim_end_matches('/'));
        let max = config.max_cached_keys;
        Ok(HttpInstallKeyStore {
            inner: Arc::new(HttpInner {
                client,
                config,
                base,
                state: Mutex::new(CacheState {
                    keys: Bounded::new(max),
                    misses: Bounded::new(max),
                    inflight: HashMap::new(),
                }),
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &HttpInstallKeyStoreConfig {
        &self.inner.config
    }

    /// The URL the key of `kid` is fetched from (`kid` must match [`is_valid_install_kid`]).
    pub fn key_url(&self, kid: &str) -> Result<String, Error> {
        if !is_valid_install_kid(kid) {
            return Err(Error::InvalidKid);
        }
        Ok(format!("{}{kid}", self.inner.base))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // Every critical section leaves the maps consistent, so a poisoned lock is still usable.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What memory says about `kid`: a failure counts if it happened after `arrived` (a fetch this request
    /// waited for) or within `retry_after_failure`.
    fn cached(&self, kid: &str, arrived: Option<Instant>) -> Option<Cached> {
        let state = self.state();
        if let Some(key) = state.keys.get(&kid.to_owned()) {
            return Some(Cached::Key(key.clone()));
        }
        let (at, failure) = state.misses.get(&kid.to_owned())?;
        let config = &self.inner.config;
        match failure {
            None if at.elapsed() < config.negative_ttl => Some(Cached::Missing),
            Some(e)
                if at.elapsed() < config.retry_after_failure
                    || arrived.is_some_and(|a| *at >= a) =>
            {
                Some(Cached::Failed(e.clone()))
            }
            _ => None,
        }
    }

    async fn fetch(&self, kid: &str) -> Result<Option<Arc<VerifyingKey>>, Error> {
        let url = self.key_url(kid)?;
        let config = &self.inner.config;
        let outcome = match get_capped(
            &self.inner.client,
            &url,
            "application/x-pem-file, text/plain;q=0.9, */*;q=0.1",
            config.max_key_bytes,
        )
        .await
        {
            Ok(body) => VerifyingKey::from_public_key_pem(kid, &body)
                .map(|k| Some(Arc::new(k)))
                .map_err(|e| Error::InstallKeyInvalid(format!("{url}: {e}"))),
            Err(FetchFailure::Status(status))
                if status.is_client_error()
                    && status != reqwest::StatusCode::REQUEST_TIMEOUT
                    && status != reqwest::StatusCode::TOO_MANY_REQUESTS =>
            {
                tracing::info!(%url, %status, "no Connect install key for this kid");
                Ok(None)
            }
            Err(e) => Err(Error::InstallKeyFetchFailed(format!("{url}: {e}"))),
        };
        let mut state = self.state();
        match &outcome {
            Ok(Some(key)) => {
                tracing::info!(%url, "fetched a Connect install key");
                state.misses.remove(&kid.to_owned());
                state.keys.insert(kid.to_owned(), key.clone());
            }
            Ok(None) => state.misses.insert(kid.to_owned(), (Instant::now(), None)),
            Err(e) => {
                tracing::warn!(%url, error = %e, "fetching a Connect install key failed");
                state
                    .misses
                    .insert(kid.to_owned(), (Instant::now(), Some(e.clone())));
            }
        }
        outcome
    }
}

#[async_trait]
impl InstallKeyStore for HttpInstallKeyStore {
    async fn install_key(&self, kid: &str) -> Result<Option<Arc<VerifyingKey>>, Error> {
        if !is_valid_install_kid(kid) {
            return Err(Error::InvalidKid);
        }
        let answer = |c: Cached| match c {
            Cached::Key(k) => Ok(Some(k)),
            Cached::Missing => Ok(None),
            Cached::Failed(e) => Err(e),
        };
        if let Some(c) = self.cached(kid, None) {
            return answer(c);
        }
        let arrived = Instant::now();
        let slot = self
            .state()
            .inflight
            .entry(kid.to_owned())
            .or_default()
            .clone();
        let outcome = {
            let _flight = slot.lock().await;
            match self.cached(kid, Some(arrived)) {
                Some(c) => answer(c),
                None => self.fetch(kid).await,
            }
        };
        let mut state = self.state();
        if state
            .inflight
            .get(kid)
            .is_some_and(|s| Arc::ptr_eq(s, &slot))
            && Arc::strong_count(&slot) <= 2
        {
            state.inflight.remove(kid);
        }
        outcome
    }
}

/// The claims of a verified signed-install token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallClaims {
    /// `iss`: the installation's client key (equal to the body's `clientKey`).
    pub client_key: String,
    /// `aud` (its first entry is the app base URL).
    pub aud: Vec<String>,
    /// `sub`, when present.
    pub sub: Option<String>,
    /// `iat`, when present.
    pub iat: Option<i64>,
    /// `exp`.
    pub exp: i64,
    /// `qsh` (always the computed hash of the callback request).
    pub qsh: String,
    /// The `kid` of the key that verified the token.
    pub kid: String,
}

/// Verifies the RS256 "signed install" token of an `installed` / `uninstalled` lifecycle callback.
///
/// # Order of the checks
/// 1. Size cap, three non-empty segments; header: strict JSON, `alg` exactly `RS256` (`HS*` →
///    [`Error::SymmetricLifecycleToken`], no downgrade to the shared secret; others →
///    [`Error::AlgorithmNotAllowed`]), no `crit`.
/// 2. `kid` present ([`Error::MissingKid`]) and matching [`is_valid_install_kid`] ([`Error::InvalidKid`]).
/// 3. Payload: strict JSON; `iss`, `aud`, `exp`, `qsh` required with their types.
/// 4. Cheap claim checks, **before any key is fetched**, so a forged token cannot make us fetch: `iss` equals the
///    body's `clientKey` ([`Error::ClientKeyMismatch`]); `aud[0]` (or the `aud` string) equals the app base URL,
///    trailing `/` ignored ([`Error::WrongAudience`]); `exp`/`iat`/`nbf` with the leeway; `qsh` is the computed
///    hash of this request, `context-qsh` refused ([`Error::ContextQshNotAllowed`]).
/// 5. The key of `kid` from the [`InstallKeyStore`], and the RS256 signature.
///
/// ```no_run
/// use std::sync::Arc;
/// use forge_remote_auth::connect::{
///     ConnectRequest, ConnectValidation, HttpInstallKeyStore, HttpInstallKeyStoreConfig, SignedInstallVerifier,
/// };
///
/// # async fn run(authorization: &str, body_client_key: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let keys = HttpInstallKeyStore::new(HttpInstallKeyStoreConfig::production())?;
/// let verifier = SignedInstallVerifier::new(ConnectValidation::new("https://linkmap.example.com")?, Arc::new(keys));
/// let request = ConnectRequest::from_raw_query("POST", "/connect/installed", "");
/// match verifier.verify_authorization(authorization, body_client_key, &request).await {
///     Ok(claims) => println!("installed by {}", claims.client_key),
///     Err(e) if e.is_unavailable() => println!("503: {e}"),
///     Err(e) => println!("401: {e}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SignedInstallVerifier {
    validation: ConnectValidation,
    keys: Arc<dyn InstallKeyStore>,
}

impl fmt::Debug for SignedInstallVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedInstallVerifier")
            .field("validation", &self.validation)
            .finish_non_exhaustive()
    }
}

impl SignedInstallVerifier {
    /// A verifier for the app configured in `validation`, with keys from `keys`.
    pub fn new(validation: ConnectValidation, keys: Arc<dyn InstallKeyStore>) -> Self {
        SignedInstallVerifier { validation, keys }
    }

    /// The settings in use.
    pub fn validation(&self) -> &ConnectValidation {
        &self.validation
    }

    /// [`SignedInstallVerifier::verify`] for an `Authorization: JWT <token>` header value.
    pub async fn verify_authorization(
        &self,
        header_value: &str,
        body_client_key: &str,
        request: &ConnectRequest,
    ) -> Result<InstallClaims, Error> {
        let token = jwt_from_authorization(header_value)?;
        self.verify(token, body_client_key, request).await
    }

    /// Verifies a signed-install `token` that came with `request`, whose JSON body has `clientKey` =
    /// `body_client_key`. Only after this succeeds may the body (its `sharedSecret` above all) be trusted.
    pub async fn verify(
        &self,
        token: &str,
        body_client_key: &str,
        request: &ConnectRequest,
    ) -> Result<InstallClaims, Error> {
        self.verify_at(token, body_client_key, request, unix_now())
            .await
    }

    pub(crate) async fn verify_at(
        &self,
        token: &str,
        body_client_key: &str,
        request: &ConnectRequest,
        now: i64,
    ) -> Result<InstallClaims, Error> {
        let v = &self.validation;
        let parsed = parse_connect(token, v.max_token_bytes, |alg| match alg {
            "RS256" => Ok(()),
            a if a.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("hs")) => {
                Err(Error::SymmetricLifecycleToken)
            }
            _ => Err(Error::AlgorithmNotAllowed),
        })?;
        debug_assert_eq!(parsed.alg, "RS256");
        let kid = match parsed.kid.as_deref() {
            None | Some("") => return Err(Error::MissingKid),
            Some(k) if !is_valid_install_kid(k) => return Err(Error::InvalidKid),
            Some(k) => k,
        };
        let c = &parsed.claims;
        let aud = c.aud.as_ref().ok_or(Error::MissingClaim("aud"))?;

        if body_client_key.is_empty() || c.iss != body_client_key {
            return Err(Error::ClientKeyMismatch);
        }
        let expected_aud = v.app_base_url.trim_end_matches('/');
        if aud.first().map(|a| a.trim_end_matches('/')) != Some(expected_aud) {
            return Err(Error::WrongAudience);
        }
        check_times(c, v.leeway_secs, now)?;
        check_qsh(&c.qsh, request, &v.base_path, QshMode::Computed)?;

        let key = self.keys.install_key(kid).await?.ok_or(Error::UnknownKid)?;
        if !key.verify_rs256(parsed.signing_input.as_bytes(), &parsed.signature) {
            return Err(Error::BadSignature);
        }
        let kid = kid.to_owned();
        let c = parsed.claims;
        Ok(InstallClaims {
            client_key: c.iss,
            aud: c.aud.unwrap_or_default(),
            sub: c.sub,
            iat: c.iat,
            exp: c.exp,
            qsh: c.qsh,
            kid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kids() {
        for ok in [
            "a",
            "k1",
            "jira/5a0c1b2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b",
            "connect-vectors/test-install-key-1",
            "a.b_c-d",
            &"x".repeat(200),
        ] {
            assert!(is_valid_install_kid(ok), "{ok}");
        }
        for bad in [
            "",
            "https://evil.example.com/k",
            "//evil.example.com/k",
            "/etc/passwd",
            "../k",
            "a/../b",
            "a/./b",
            "a/.",
            "a..b",
            "a//b",
            "a/",
            ".hidden",
            "-x",
            "a%2Fb",
            "a?b",
            "a#b",
            "a:b",
            "a\\b",
            "a b",
            "é",
            &"x".repeat(201),
        ] {
            assert!(!is_valid_install_kid(bad), "{bad}");
        }
    }

    #[test]
    fn config_is_checked_and_urls_are_built_under_the_base() {
        assert!(HttpInstallKeyStoreConfig::production().check().is_ok());
        assert!(HttpInstallKeyStoreConfig::new("http://evil.example.com/")
            .check()
            .is_err());
        assert!(HttpInstallKeyStoreConfig::new("https://x/?a")
            .check()
            .is_err());
        assert!(HttpInstallKeyStoreConfig::production()
            .max_cached_keys(0)
            .check()
            .is_err());
        let store = HttpInstallKeyStore::new(HttpInstallKeyStoreConfig::new(
            "https://keys.example.com/base",
        ))
        .unwrap();
        assert_eq!(
            store.key_url("a/b").unwrap(),
            "https://keys.example.com/base/a/b"
        );
        assert_eq!(store.key_url("../x"), Err(Error::InvalidKid));
        let store = HttpInstallKeyStore::new(HttpInstallKeyStoreConfig::production()).unwrap();
        assert_eq!(
            store.key_url("k").unwrap(),
            "https://connect-install-keys.atlassian.com/k"
        );
    }

    #[test]
    fn bounded_map_drops_the_oldest() {
        let mut b = Bounded::new(2);
        b.insert(1, 'a');
        b.insert(2, 'b');
        b.insert(1, 'c');
        b.insert(3, 'd');
        assert_eq!(b.get(&1), None);
        assert_eq!(b.get(&2), Some(&'b'));
        assert_eq!(b.get(&3), Some(&'d'));
        b.remove(&2);
        assert_eq!(b.order.len(), 1);
    }
}
