//! [`Validation`]: what a FIT must look like to be accepted, and the constants behind the defaults.

use std::time::Duration;

use crate::error::ConfigError;

/// The only accepted `iss`.
pub const FIT_ISSUER: &str = "forge/invocation-token";

/// The ARI prefix of a Forge app id; [`Validation::new`] adds it to a bare UUID.
pub const APP_ARI_PREFIX: &str = "ari:cloud:ecosystem::app/";

/// Clock-skew allowance applied to `exp`, `nbf` and `iat`.
///
/// # Invariant
/// A replay guard must remember a `jti` until `exp + leeway` (that is what [`FitValidator`](crate::FitValidator)
/// passes it): a shorter memory would let a token be replayed inside the leeway window. The leeway is bounded by
/// [`MAX_LEEWAY`] so that window stays short. 30 s covers ordinary NTP drift; FITs live 25 s in Atlassian's example.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Upper bound for [`Validation::leeway`]: more than this would make an expired token useful for minutes.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Default upper bound for a token's lifetime (`exp - iat`).
///
/// Atlassian's example FIT lives 25 s and UI invocations time out after 25 s; a token claiming to live longer than
/// five minutes points to a mis-signing and is refused.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(300);

/// Upper bound for [`Validation::max_lifetime`].
pub const MAX_LIFETIME_LIMIT: Duration = Duration::from_secs(3600);

/// Default size cap for a token, checked before any decoding. The docs example FIT is about 2.3 KiB signed.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Lower bound for [`Validation::max_token_bytes`] (a real FIT would not fit below it).
pub const MIN_MAX_TOKEN_BYTES: usize = 1024;

/// Upper bound for [`Validation::max_token_bytes`].
pub const MAX_MAX_TOKEN_BYTES: usize = 64 * 1024;

/// Longest accepted `kid`, in bytes. A `kid` is only compared with the cached key set, never put in a URL or
/// a path; the bound keeps hostile headers from costing memory or log space.
pub const MAX_KID_LEN: usize = 128;

/// Deepest accepted nesting of JSON arrays/objects in the header and payload (the top-level object is depth 1).
/// The documented FIT nests 4 deep; `context.extension` is product-defined, so there is room to spare.
pub const MAX_JSON_DEPTH: usize = 32;

/// Production Forge JWKS. Every vendor environment (DEVELOPMENT, STAGING, PRODUCTION) runs on the production
/// platform and is signed by these keys.
///
/// # Invariant
/// Must stay an `https://` URL on an Atlassian host: it is the root of trust for every FIT.
pub const PROD_JWKS_URL: &str = "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json";

/// Atlassian's internal staging platform JWKS; only for apps on `api.stg.atlassian.com`.
///
/// # Invariant
/// Use it only together with [`Validation::allow_staging`]: a staging-signed token must not be accepted by a
/// production deployment, so the two are opted into together and never by default.
pub const STAGING_JWKS_URL: &str = "https://forge.cdn.stg.atlassian-dev.net/.well-known/jwks.json";

/// The production API gateway: the only `apiBaseUrl` host accepted by default.
pub const PROD_API_HOST: &str = "api.atlassian.com";

/// The staging API gateway, accepted after [`Validation::allow_staging`].
pub const STAGING_API_HOST: &str = "api.stg.atlassian.com";

/// What a Forge Invocation Token must satisfy, beyond its signature.
///
/// The expected audience always comes from here, never from the token.
///
/// ```
/// use std::time::Duration;
/// use forge_remote_auth::Validation;
///
/// let validation = Validation::new("8db33809-1f32-48bb-8c52-5877dab48107")?
///     .leeway(Duration::from_secs(10))?;
/// assert_eq!(validation.audience(), "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107");
/// # Ok::<(), forge_remote_auth::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub(crate) audience: String,
    pub(crate) leeway_secs: i64,
    pub(crate) max_lifetime_secs: i64,
    pub(crate) max_token_bytes: usize,
    pub(crate) api_hosts: Vec<String>,
}

impl Validation {
    /// Expects tokens for the app `app_id`, given as `ari:cloud:ecosystem::app/<uuid>` or as the bare UUID
    /// (normalised to the ARI, lowercase). Defaults: [`DEFAULT_LEEWAY`], [`DEFAULT_MAX_LIFETIME`],
    /// [`DEFAULT_MAX_TOKEN_BYTES`], `apiBaseUrl` hosts `[`[`PROD_API_HOST`]`]`.
    pub fn new(app_id: &str) -> Result<Self, ConfigError> {
        let app_id = app_id.trim();
        let uuid = app_id.strip_prefix(APP_ARI_PREFIX).unwrap_or(app_id);
        if !is_uuid(uuid) {
            return Err(ConfigError::InvalidAppId);
        }
        Ok(Validation {
            audience: format!("{APP_ARI_PREFIX}{}", uuid.to_ascii_lowercase()),
            leeway_secs: secs(DEFAULT_LEEWAY),
            max_lifetime_secs: secs(DEFAULT_MAX_LIFETIME),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            api_hosts: vec![PROD_API_HOST.to_owned()],
        })
    }

    /// Sets the clock-skew allowance (whole seconds; sub-second parts are dropped). At most [`MAX_LEEWAY`].
    pub fn leeway(mut self, leeway: Duration) -> Result<Self, ConfigError> {
        if leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLarge {
                max_secs: MAX_LEEWAY.as_secs(),
            });
        }
        self.leeway_secs = secs(leeway);
        Ok(self)
    }

    /// Sets the longest accepted `exp - iat` (whole seconds). Between 1 s and [`MAX_LIFETIME_LIMIT`].
    pub fn max_lifetime(mut self, max_lifetime: Duration) -> Result<Self, ConfigError> {
        if max_lifetime < Duration::from_secs(1) || max_lifetime > MAX_LIFETIME_LIMIT {
            return Err(ConfigError::InvalidMaxLifetime {
                max_secs: MAX_LIFETIME_LIMIT.as_secs(),
            });
        }
        self.max_lifetime_secs = secs(max_lifetime);
        Ok(self)
    }

    /// Sets the size cap for a token. Between [`MIN_MAX_TOKEN_BYTES`] and [`MAX_MAX_TOKEN_BYTES`].
    pub fn max_token_bytes(mut self, max: usize) -> Result<Self, ConfigError> {
        if !(MIN_MAX_TOKEN_BYTES..=MAX_MAX_TOKEN_BYTES).contains(&max) {
            return Err(ConfigError::InvalidMaxTokenBytes {
                min: MIN_MAX_TOKEN_BYTES,
                max: MAX_MAX_TOKEN_BYTES,
            });
        }
        self.max_token_bytes = max;
        Ok(self)
    }

    /// Adds a host to the `apiBaseUrl` allowlist (a plain lowercase DNS name: no scheme, port or path).
    pub fn allow_api_host(mut self, host: &str) -> Result<Self, ConfigError> {
        if !is_dns_name(host) {
            return Err(ConfigError::InvalidApiHost(host.to_owned()));
        }
        if !self.api_hosts.iter().any(|h| h == host) {
            self.api_hosts.push(host.to_owned());
        }
        Ok(self)
    }

    /// Accepts Atlassian's staging gateway ([`STAGING_API_HOST`]) in `apiBaseUrl`. Pair it with a key store on
    /// [`STAGING_JWKS_URL`].
    pub fn allow_staging(mut self) -> Self {
        if !self.api_hosts.iter().any(|h| h == STAGING_API_HOST) {
            self.api_hosts.push(STAGING_API_HOST.to_owned());
        }
        self
    }

    /// The expected audience: `ari:cloud:ecosystem::app/<uuid>`.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The hosts accepted in `apiBaseUrl`.
    pub fn api_hosts(&self) -> &[String] {
        &self.api_hosts
    }

    /// The configured leeway.
    pub fn leeway_duration(&self) -> Duration {
        Duration::from_secs(self.leeway_secs.unsigned_abs())
    }

    /// The configured maximum lifetime.
    pub fn max_lifetime_duration(&self) -> Duration {
        Duration::from_secs(self.max_lifetime_secs.unsigned_abs())
    }

    /// The configured token size cap.
    pub fn max_token_bytes_limit(&self) -> usize {
        self.max_token_bytes
    }
}

/// Whole seconds of a bounded duration as `i64` (all callers pass durations ≤ one hour).
fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// `8-4-4-4-12` hex digits, either case.
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A lowercase DNS name with at least one dot: labels of `[a-z0-9-]`, not starting or ending with `-`.
fn is_dns_name(s: &str) -> bool {
    s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bare_uuid_is_normalised_to_the_app_ari() {
        let v = Validation::new("8DB33809-1f32-48bb-8c52-5877dab48107").unwrap();
        assert_eq!(
            v.audience(),
            "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107"
        );
        let v2 = Validation::new("ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107")
            .unwrap();
        assert_eq!(v, v2);
    }

    #[test]
    fn malformed_app_ids_are_refused() {
        for bad in [
            "",
            "ari:cloud:ecosystem::app/",
            "8db33809",
            "ari:cloud:ecosystem::installation/8db33809-1f32-48bb-8c52-5877dab48107",
            "8db33809-1f32-48bb-8c52-5877dab4810g",
        ] {
            assert_eq!(
                Validation::new(bad),
                Err(ConfigError::InvalidAppId),
                "{bad}"
            );
        }
    }

    #[test]
    fn leeway_and_lifetime_are_bounded() {
        let v = Validation::new("8db33809-1f32-48bb-8c52-5877dab48107").unwrap();
        assert!(v.clone().leeway(Duration::from_secs(301)).is_err());
        assert_eq!(
            v.clone()
                .leeway(Duration::from_secs(300))
                .unwrap()
                .leeway_secs,
            300
        );
        assert!(v.clone().max_lifetime(Duration::ZERO).is_err());
        assert!(v.clone().max_lifetime(Duration::from_secs(3601)).is_err());
        assert!(v.clone().max_token_bytes(100).is_err());
        assert!(v.clone().max_token_bytes(1 << 20).is_err());
    }

    #[test]
    fn api_hosts_must_be_plain_names() {
        let v = Validation::new("8db33809-1f32-48bb-8c52-5877dab48107").unwrap();
        for bad in [
            "https://x.com",
            "x.com:443",
            "X.com",
            "evil",
            "a..b",
            "-a.com",
            "a.com/",
        ] {
            assert!(v.clone().allow_api_host(bad).is_err(), "{bad}");
        }
        let v = v.allow_api_host("api.example.com").unwrap().allow_staging();
        assert_eq!(
            v.api_hosts(),
            [
                "api.atlassian.com",
                "api.example.com",
                "api.stg.atlassian.com"
            ]
        );
    }
}
