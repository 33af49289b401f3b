//! Failures of the store ([`StoreError`]) and of the service ([`ServiceError`]), with the HTTP
//! status each one should get.

use std::error::Error as StdError;

/// A boxed error from a store's driver.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A store could not do what it was asked.
///
/// Texts and sources are for logs only, never for a response body; they must not contain
/// account ids, JQL or names (policy C4).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded (pool timeout, connection refused).
    /// Retrying later may succeed → `503` with `Retry-After`.
    #[error("the configuration store is unavailable")]
    Unavailable(#[source] BoxError),
    /// A stored record breaks a domain rule (e.g. a name of 101 characters) → `500`.
    #[error("the configuration store holds an invalid record: {0}")]
    Corrupt(String),
    /// Any other store failure → `500`.
    #[error("the configuration store failed")]
    Other(#[source] BoxError),
}

impl StoreError {
    /// Wraps a driver error as [`StoreError::Unavailable`].
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        Self::Unavailable(e.into())
    }

    /// Wraps a driver error as [`StoreError::Other`].
    pub fn other(e: impl Into<BoxError>) -> Self {
        Self::Other(e.into())
    }
}

/// Why a configuration operation failed.
///
/// Suggested HTTP mapping (the server owns it): `NotFound` → 404, `VersionConflict` → 409,
/// `QuotaExceeded` → 409 ("Quota exceeded": the request is well-formed, but conflicts with the
/// state of the user's data — deleting something resolves it), `Store(Unavailable)` → 503,
/// other `Store` → 500.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such record for this owner. Also returned for another user's record, so its
    /// existence is never confirmed.
    #[error("not found")]
    NotFound,
    /// The client's `version` is stale; nothing was changed.
    #[error("the record was changed by someone else (current version {current})")]
    VersionConflict {
        /// The stored version, for the client to re-read.
        current: i64,
    },
    /// The user already holds the maximum number of records of this kind; nothing was stored.
    #[error("the quota of {limit} records is reached")]
    QuotaExceeded {
        /// The quota.
        limit: u32,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
