//! Typed settings, read from the environment only (12-factor; Heroku sets them).
//!
//! Every variable is parsed once at start. A missing or malformed one yields a [`SettingsError`] naming the variable
//! (never its value: `DATABASE_URL` may hold a password), and the binary exits with code 2.

use std::fmt;
use std::time::Duration;

/// Default listening port.
pub const DEFAULT_PORT: u16 = 8080;
/// Default pool size: enough to keep two cores and a local Postgres busy without queueing in Postgres itself.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// A secret string whose `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable, compact (local development).
    Pretty,
}

/// Everything `linkmap-server serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Postgres connection URL.
    pub database_url: Secret,
    /// Maximum pooled connections.
    pub database_pool_size: usize,
    /// Address to bind (`0.0.0.0` in containers, `127.0.0.1` locally).
    pub bind_address: String,
    /// Port to listen on; 0 picks a free one (tests).
    pub port: u16,
    /// The app ARI (or bare UUID) FITs must be addressed to.
    pub forge_app_id: String,
    /// Where Atlassian's (or the local stand-in's) FIT signing keys are published.
    pub forge_jwks_url: String,
    /// Allowed clock skew for token times.
    pub forge_leeway: Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// HTTP worker threads; `None` means one per CPU core.
    pub http_workers: Option<usize>,
    /// The daily account-closure reconciliation (policy D2).
    pub reporting: ReportingSettings,
    /// Atlassian Connect lifecycle callbacks; `None` (no `CONNECT_BASE_URL`) means they are not served.
    pub connect: Option<ConnectSettings>,
}

/// Default path of the Connect `installed` callback (relative to the app's base URL, as in the descriptor).
pub const DEFAULT_CONNECT_INSTALLED_PATH: &str = "/connect/installed";
/// Default path of the Connect `uninstalled` callback.
pub const DEFAULT_CONNECT_UNINSTALLED_PATH: &str = "/connect/uninstalled";
/// First path segments taken by the other routes: a Connect callback path may not start with one of them.
pub const RESERVED_FIRST_SEGMENTS: [&str; 7] = [
    "healthz", "readyz", "layouts", "queries", "me", "forge", "settings",
];

/// Settings of the Atlassian Connect lifecycle callbacks (policy A2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    /// `CONNECT_BASE_URL`: the descriptor's `baseUrl` (the `aud` of signed-install tokens; its path, if any, is
    /// the prefix of the callback routes and is stripped before computing `qsh`).
    pub base_url: String,
    /// `CONNECT_INSTALL_KEYS_URL`: where install public keys are fetched (`<url>/<kid>`).
    pub install_keys_url: String,
    /// `CONNECT_INSTALLED_PATH`: the descriptor's `lifecycle.installed` path.
    pub installed_path: String,
    /// `CONNECT_UNINSTALLED_PATH`: the descriptor's `lifecycle.uninstalled` path.
    pub uninstalled_path: String,
}

impl ConnectSettings {
    /// Settings for `base_url` with the default key host and paths (not validated: see [`Settings::from_lookup`]).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            install_keys_url: forge_remote_auth::connect::DEFAULT_INSTALL_KEYS_URL.to_owned(),
            installed_path: DEFAULT_CONNECT_INSTALLED_PATH.to_owned(),
            uninstalled_path: DEFAULT_CONNECT_UNINSTALLED_PATH.to_owned(),
        }
    }

    /// The path of the base URL (`""` at the root, never a trailing `/`).
    pub fn base_path(&self) -> &str {
        forge_remote_auth::connect::base_path_of(self.base_url.trim_end_matches('/'))
    }

    /// The route actually served for `installed`: base path + `CONNECT_INSTALLED_PATH` (descriptor paths are
    /// relative to `baseUrl`).
    pub fn installed_route(&self) -> String {
        format!("{}{}", self.base_path(), self.installed_path)
    }

    /// The route actually served for `uninstalled`.
    pub fn uninstalled_route(&self) -> String {
        format!("{}{}", self.base_path(), self.uninstalled_path)
    }

    fn from_lookup(
        get: impl Fn(&'static str) -> Option<String>,
    ) -> Result<Option<Self>, SettingsError> {
        // The other variables are checked even without a base URL: a typo should not wait for the day Connect
        // is switched on.
        let install_keys_url = get("CONNECT_INSTALL_KEYS_URL")
            .unwrap_or_else(|| forge_remote_auth::connect::DEFAULT_INSTALL_KEYS_URL.to_owned());
        if !(install_keys_url.starts_with("https://") || is_loopback_http(&install_keys_url))
            || install_keys_url.contains(['?', '#'])
        {
            return Err(SettingsError::Invalid {
                var: "CONNECT_INSTALL_KEYS_URL",
                why: "must be an https:// URL without query or fragment (plain http only on 127.0.0.1 or localhost)",
            });
        }
        let installed_path = get("CONNECT_INSTALLED_PATH")
            .unwrap_or_else(|| DEFAULT_CONNECT_INSTALLED_PATH.to_owned());
        let uninstalled_path = get("CONNECT_UNINSTALLED_PATH")
            .unwrap_or_else(|| DEFAULT_CONNECT_UNINSTALLED_PATH.to_owned());
        let Some(base_url) = get("CONNECT_BASE_URL") else {
            check_callback_path("CONNECT_INSTALLED_PATH", "", &installed_path)?;
            check_callback_path("CONNECT_UNINSTALLED_PATH", "", &uninstalled_path)?;
            return Ok(None);
        };
        let base_url = base_url.trim().to_owned();
        if base_url.contains('#')
            || forge_remote_auth::connect::ConnectValidation::new(&base_url).is_err()
        {
            return Err(SettingsError::Invalid {
                var: "CONNECT_BASE_URL",
                why: "must be the descriptor's baseUrl: an https:// URL without query or fragment (plain http only on 127.0.0.1 or localhost)",
            });
        }
        let connect = Self {
            base_url,
            install_keys_url,
            installed_path,
            uninstalled_path,
        };
        let base_path = connect.base_path().to_owned();
        let base_first = base_path.trim_start_matches('/').split('/').next();
        if (!base_path.is_empty() && !is_clean_path(&base_path))
            || base_first.is_some_and(|s| RESERVED_FIRST_SEGMENTS.contains(&s))
        {
            return Err(SettingsError::Invalid {
                var: "CONNECT_BASE_URL",
                why: "its path may hold only letters, digits and . _ ~ - between single slashes, and may not start with another route's first segment",
            });
        }
        check_callback_path(
            "CONNECT_INSTALLED_PATH",
            &base_path,
            &connect.installed_path,
        )?;
        check_callback_path(
            "CONNECT_UNINSTALLED_PATH",
            &base_path,
            &connect.uninstalled_path,
        )?;
        if connect.installed_path == connect.uninstalled_path {
            return Err(SettingsError::Invalid {
                var: "CONNECT_UNINSTALLED_PATH",
                why: "must differ from CONNECT_INSTALLED_PATH",
            });
        }
        Ok(Some(connect))
    }
}

/// `/a/b`: starts with `/`, segments of letters, digits and `. _ ~ -`, none empty, `.` or `..`, at most 200 bytes.
fn is_clean_path(path: &str) -> bool {
    path.len() <= 200
        && path.strip_prefix('/').is_some_and(|rest| {
            rest.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-')
                    })
            })
        })
}

/// A callback path must be clean and, once served under `base_path`, must not fall under another route.
fn check_callback_path(
    var: &'static str,
    base_path: &str,
    path: &str,
) -> Result<(), SettingsError> {
    if !is_clean_path(path) {
        return Err(SettingsError::Invalid {
            var,
            why: "must be an absolute path (/a/b) of letters, digits and . _ ~ - with no empty, . or .. segment",
        });
    }
    let full = format!("{base_path}{path}");
    let first = full.trim_start_matches('/').split('/').next().unwrap_or("");
    if RESERVED_FIRST_SEGMENTS.contains(&first) {
        return Err(SettingsError::Invalid {
            var,
            why: "collides with an existing route (/healthz, /readyz, /layouts, /queries, /me, /forge, /settings)",
        });
    }
    Ok(())
}

/// Atlassian's production Personal Data Reporting endpoint (FORGE-CONTRACT §5).
pub const DEFAULT_REPORTING_URL: &str = "https://api.atlassian.com/app/report-accounts/";
/// Longest wait honoured from a 429/503 `Retry-After` by default.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Reconciliation runs one instance works at once, by default.
pub const DEFAULT_RECONCILIATION_CONCURRENCY: usize = 2;

/// Settings of the reconciliation job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportingSettings {
    /// `PERSONAL_DATA_REPORTING_URL`: where account ids are reported (https; plain http only on loopback).
    pub url: String,
    /// `REPORTING_MAX_RETRY_AFTER_SECONDS`: the longest `Retry-After` honoured (0–600; tests use 0).
    pub max_retry_after: Duration,
    /// `RECONCILIATION_CONCURRENCY`: installations reconciled at once by this instance (1–64).
    pub concurrency: usize,
}

impl Default for ReportingSettings {
    fn default() -> Self {
        Self {
            url: DEFAULT_REPORTING_URL.to_owned(),
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            concurrency: DEFAULT_RECONCILIATION_CONCURRENCY,
        }
    }
}

/// What `linkmap-server admin …` needs: the database and the key of the audit hashes.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// Postgres connection URL.
    pub database_url: Secret,
    /// `AUDIT_HASH_KEY`: HMAC-SHA256 key for the account/installation hashes in audit records (≥ 32 bytes).
    pub audit_hash_key: Secret,
}

/// Minimum length of `AUDIT_HASH_KEY`.
pub const MIN_AUDIT_KEY_BYTES: usize = 32;

impl AdminSettings {
    /// Reads admin settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads admin settings through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |k: &'static str| lookup(k).filter(|v| !v.trim().is_empty());
        let database_url = get("DATABASE_URL").ok_or(SettingsError::Missing("DATABASE_URL"))?;
        check_database_url(&database_url)?;
        let key = get("AUDIT_HASH_KEY").ok_or(SettingsError::Missing("AUDIT_HASH_KEY"))?;
        if key.len() < MIN_AUDIT_KEY_BYTES {
            return Err(SettingsError::Invalid {
                var: "AUDIT_HASH_KEY",
                why: "must be at least 32 bytes (e.g. 64 hex characters from a random source)",
            });
        }
        Ok(Self {
            database_url: Secret::new(database_url),
            audit_hash_key: Secret::new(key),
        })
    }
}

fn check_database_url(url: &str) -> Result<(), SettingsError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(SettingsError::Invalid {
            var: "DATABASE_URL",
            why: "must start with postgres://",
        })
    }
}

/// A setting that is missing or malformed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// A required variable is not set (or empty).
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
    /// A variable is set but cannot be used.
    #[error("invalid environment variable {var}: {why}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong, without echoing the value.
        why: &'static str,
    },
}

impl Settings {
    /// Reads settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `lookup` (tests pass a map instead of mutating the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |k: &'static str| lookup(k).filter(|v| !v.trim().is_empty());
        let required = |k: &'static str| get(k).ok_or(SettingsError::Missing(k));

        let database_url = required("DATABASE_URL")?;
        check_database_url(&database_url)?;
        let database_pool_size = match get("DATABASE_POOL_SIZE") {
            None => DEFAULT_POOL_SIZE,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => {
                    return Err(SettingsError::Invalid {
                        var: "DATABASE_POOL_SIZE",
                        why: "must be a whole number from 1 to 1000",
                    })
                }
            },
        };
        let port = match get("PORT") {
            None => DEFAULT_PORT,
            Some(v) => v
                .trim()
                .parse::<u16>()
                .map_err(|_| SettingsError::Invalid {
                    var: "PORT",
                    why: "must be a port number from 0 to 65535",
                })?,
        };
        let bind_address = get("BIND_ADDRESS").unwrap_or_else(|| "0.0.0.0".to_owned());
        if bind_address.parse::<std::net::IpAddr>().is_err() {
            return Err(SettingsError::Invalid {
                var: "BIND_ADDRESS",
                why: "must be an IP address",
            });
        }
        let forge_app_id = required("FORGE_APP_ID")?;
        forge_remote_auth::Validation::new(&forge_app_id).map_err(|_| SettingsError::Invalid {
            var: "FORGE_APP_ID",
            why: "must be an app ARI (ari:cloud:ecosystem::app/<uuid>) or its UUID",
        })?;
        let forge_jwks_url =
            get("FORGE_JWKS_URL").unwrap_or_else(|| forge_remote_auth::PROD_JWKS_URL.to_owned());
        if !(forge_jwks_url.starts_with("https://") || is_loopback_http(&forge_jwks_url)) {
            return Err(SettingsError::Invalid {
                var: "FORGE_JWKS_URL",
                why: "must be an https:// URL (plain http only on 127.0.0.1 or localhost)",
            });
        }
        let forge_leeway = match get("FORGE_LEEWAY_SECONDS") {
            None => forge_remote_auth::DEFAULT_LEEWAY,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(s) if s <= 300 => Duration::from_secs(s),
                _ => {
                    return Err(SettingsError::Invalid {
                        var: "FORGE_LEEWAY_SECONDS",
                        why: "must be a whole number of seconds from 0 to 300",
                    })
                }
            },
        };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(_) => {
                return Err(SettingsError::Invalid {
                    var: "LOG_FORMAT",
                    why: "must be json or pretty",
                })
            }
        };
        let http_workers = match get("HTTP_WORKERS") {
            None => None,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if (1..=256).contains(&n) => Some(n),
                _ => {
                    return Err(SettingsError::Invalid {
                        var: "HTTP_WORKERS",
                        why: "must be a whole number from 1 to 256",
                    })
                }
            },
        };
        let reporting_url =
            get("PERSONAL_DATA_REPORTING_URL").unwrap_or_else(|| DEFAULT_REPORTING_URL.to_owned());
        if !(reporting_url.starts_with("https://") || is_loopback_http(&reporting_url)) {
            return Err(SettingsError::Invalid {
                var: "PERSONAL_DATA_REPORTING_URL",
                why: "must be an https:// URL (plain http only on 127.0.0.1 or localhost)",
            });
        }
        let max_retry_after = match get("REPORTING_MAX_RETRY_AFTER_SECONDS") {
            None => DEFAULT_MAX_RETRY_AFTER,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(s) if s <= 600 => Duration::from_secs(s),
                _ => {
                    return Err(SettingsError::Invalid {
                        var: "REPORTING_MAX_RETRY_AFTER_SECONDS",
                        why: "must be a whole number of seconds from 0 to 600",
                    })
                }
            },
        };
        let concurrency = match get("RECONCILIATION_CONCURRENCY") {
            None => DEFAULT_RECONCILIATION_CONCURRENCY,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if (1..=64).contains(&n) => n,
                _ => {
                    return Err(SettingsError::Invalid {
                        var: "RECONCILIATION_CONCURRENCY",
                        why: "must be a whole number from 1 to 64",
                    })
                }
            },
        };
        let connect = ConnectSettings::from_lookup(get)?;
        Ok(Self {
            connect,
            reporting: ReportingSettings {
                url: reporting_url,
                max_retry_after,
                concurrency,
            },
            http_workers,
            database_url: Secret::new(database_url),
            database_pool_size,
            bind_address,
            port,
            forge_app_id,
            forge_jwks_url,
            forge_leeway,
            log_format,
        })
    }
}

fn is_loopback_http(url: &str) -> bool {
    [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]:",
    ]
    .iter()
    .any(|p| url.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const APP: &str = "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107";

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", "postgres://u@localhost/db"),
            ("FORGE_APP_ID", APP),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            env.insert(k.to_string(), v.to_string());
        }
        Settings::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_apply_when_only_required_variables_are_set() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.port, DEFAULT_PORT);
        assert_eq!(s.database_pool_size, DEFAULT_POOL_SIZE);
        assert_eq!(s.forge_jwks_url, forge_remote_auth::PROD_JWKS_URL);
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.reporting, ReportingSettings::default());
        assert_eq!(
            s.reporting.url,
            "https://api.atlassian.com/app/report-accounts/"
        );
    }

    #[test]
    fn reporting_settings_are_read_and_loopback_http_is_allowed() {
        let s = settings(&[
            (
                "PERSONAL_DATA_REPORTING_URL",
                "http://127.0.0.1:9999/report",
            ),
            ("REPORTING_MAX_RETRY_AFTER_SECONDS", "0"),
            ("RECONCILIATION_CONCURRENCY", "4"),
        ])
        .unwrap();
        assert_eq!(s.reporting.url, "http://127.0.0.1:9999/report");
        assert_eq!(s.reporting.max_retry_after, Duration::ZERO);
        assert_eq!(s.reporting.concurrency, 4);
    }

    #[test]
    fn admin_settings_need_the_database_and_a_long_audit_key() {
        let env = |pairs: &[(&str, &str)]| {
            let map: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            AdminSettings::from_lookup(|k| map.get(k).cloned())
        };
        let key = "k".repeat(32);
        assert_eq!(
            env(&[("AUDIT_HASH_KEY", &key)]).unwrap_err(),
            SettingsError::Missing("DATABASE_URL")
        );
        assert_eq!(
            env(&[("DATABASE_URL", "postgres://u@h/d")]).unwrap_err(),
            SettingsError::Missing("AUDIT_HASH_KEY")
        );
        let short = env(&[
            ("DATABASE_URL", "postgres://u@h/d"),
            ("AUDIT_HASH_KEY", "tooshortsecret"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            short.contains("AUDIT_HASH_KEY") && !short.contains("tooshortsecret"),
            "{short}"
        );
        let ok = env(&[
            ("DATABASE_URL", "postgres://u@h/d"),
            ("AUDIT_HASH_KEY", &key),
        ])
        .unwrap();
        assert!(!format!("{ok:?}").contains(&key));
    }

    #[test]
    fn missing_required_variables_are_named() {
        assert_eq!(
            settings(&[("DATABASE_URL", "")]).unwrap_err(),
            SettingsError::Missing("DATABASE_URL")
        );
        assert_eq!(
            settings(&[("FORGE_APP_ID", " ")]).unwrap_err(),
            SettingsError::Missing("FORGE_APP_ID")
        );
    }

    #[test]
    fn malformed_variables_are_named_without_their_value() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://secret-password@x/y"),
            ("PORT", "80800"),
            ("PORT", "http"),
            ("DATABASE_POOL_SIZE", "-3"),
            ("DATABASE_POOL_SIZE", "many"),
            ("FORGE_APP_ID", "not-an-ari"),
            ("FORGE_JWKS_URL", "http://evil.example/jwks.json"),
            ("FORGE_LEEWAY_SECONDS", "3600"),
            ("LOG_FORMAT", "xml"),
            ("BIND_ADDRESS", "everywhere"),
            ("HTTP_WORKERS", "-2"),
            (
                "PERSONAL_DATA_REPORTING_URL",
                "http://tracker.example/report",
            ),
            ("REPORTING_MAX_RETRY_AFTER_SECONDS", "86400"),
            ("RECONCILIATION_CONCURRENCY", "0"),
        ] {
            let err = settings(&[(var, value)]).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(var), "{text}");
            assert!(!text.contains(value), "the value leaked: {text}");
        }
    }

    #[test]
    fn connect_is_off_without_a_base_url_and_defaults_apply_with_one() {
        assert_eq!(settings(&[]).unwrap().connect, None);
        let c = settings(&[("CONNECT_BASE_URL", "https://linkmap.example.com/")])
            .unwrap()
            .connect
            .unwrap();
        assert_eq!(
            c.install_keys_url,
            "https://connect-install-keys.atlassian.com/"
        );
        assert_eq!(c.installed_route(), "/connect/installed");
        assert_eq!(c.uninstalled_route(), "/connect/uninstalled");
        let c = settings(&[
            ("CONNECT_BASE_URL", "https://linkmap.example.com/jira-app"),
            ("CONNECT_INSTALL_KEYS_URL", "http://127.0.0.1:9999/keys"),
            ("CONNECT_INSTALLED_PATH", "/lifecycle/installed"),
            ("CONNECT_UNINSTALLED_PATH", "/lifecycle/uninstalled"),
        ])
        .unwrap()
        .connect
        .unwrap();
        assert_eq!(c.install_keys_url, "http://127.0.0.1:9999/keys");
        assert_eq!(c.installed_route(), "/jira-app/lifecycle/installed");
        assert_eq!(c.uninstalled_route(), "/jira-app/lifecycle/uninstalled");
    }

    #[test]
    fn bad_connect_settings_are_named_without_their_value() {
        let base = ("CONNECT_BASE_URL", "https://linkmap.example.com");
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "CONNECT_BASE_URL",
                &[("CONNECT_BASE_URL", "http://linkmap.example.com")],
            ),
            (
                "CONNECT_BASE_URL",
                &[("CONNECT_BASE_URL", "ftp://linkmap.example.com")],
            ),
            (
                "CONNECT_BASE_URL",
                &[("CONNECT_BASE_URL", "https://linkmap.example.com/?x=1")],
            ),
            (
                "CONNECT_BASE_URL",
                &[("CONNECT_BASE_URL", "https://linkmap.example.com/#frag")],
            ),
            (
                "CONNECT_BASE_URL",
                &[("CONNECT_BASE_URL", "linkmap.example.com")],
            ),
            (
                "CONNECT_BASE_URL",
                &[("CONNECT_BASE_URL", "https://linkmap.example.com/a%20b")],
            ),
            (
                "CONNECT_BASE_URL",
                &[("CONNECT_BASE_URL", "https://linkmap.example.com/forge")],
            ),
            (
                "CONNECT_INSTALL_KEYS_URL",
                &[
                    base,
                    ("CONNECT_INSTALL_KEYS_URL", "http://keys.example.com/"),
                ],
            ),
            (
                "CONNECT_INSTALL_KEYS_URL",
                &[("CONNECT_INSTALL_KEYS_URL", "http://keys.example.com/")],
            ),
            (
                "CONNECT_INSTALL_KEYS_URL",
                &[
                    base,
                    ("CONNECT_INSTALL_KEYS_URL", "https://keys.example.com/?k="),
                ],
            ),
            (
                "CONNECT_INSTALL_KEYS_URL",
                &[base, ("CONNECT_INSTALL_KEYS_URL", "keys.example.com")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "connect/installed")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "/connect//installed")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "/connect/../layouts")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "/connect/installed/")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "/connect/installed?x")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "https://evil.example/i")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "/")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "/layouts")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[base, ("CONNECT_INSTALLED_PATH", "/forge/pre-uninstall")],
            ),
            (
                "CONNECT_INSTALLED_PATH",
                &[("CONNECT_INSTALLED_PATH", "/healthz")],
            ),
            (
                "CONNECT_UNINSTALLED_PATH",
                &[base, ("CONNECT_UNINSTALLED_PATH", "/queries/x")],
            ),
            (
                "CONNECT_UNINSTALLED_PATH",
                &[base, ("CONNECT_UNINSTALLED_PATH", "/me/data")],
            ),
            (
                "CONNECT_UNINSTALLED_PATH",
                &[base, ("CONNECT_UNINSTALLED_PATH", "/connect/installed")],
            ),
            (
                "CONNECT_UNINSTALLED_PATH",
                &[base, ("CONNECT_UNINSTALLED_PATH", "/settings")],
            ),
        ];
        for (var, pairs) in cases {
            let err = settings(pairs).expect_err(&format!("{pairs:?}"));
            let text = err.to_string();
            assert!(text.contains(var), "{pairs:?}: {text}");
            // Paths are not secret and some are quoted in the message (the reserved routes); URLs never are.
            let (_, value) = pairs.last().unwrap();
            assert!(
                !var.ends_with("_URL") || !text.contains(value),
                "the value leaked: {text}"
            );
        }
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = settings(&[("DATABASE_URL", "postgres://u:hunter2@localhost/db")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
