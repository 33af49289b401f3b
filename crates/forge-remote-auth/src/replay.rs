//! The optional replay guard: refuse a `jti` seen before, until the token could no longer be accepted anyway.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::error::Error;

/// Remembers accepted token ids.
///
/// [`FitValidator`](crate::FitValidator) calls it last, after every other check passed, with
/// `expires_at = exp + leeway`: past that instant the token is refused as expired, so the id can be forgotten.
/// A deployment with several instances implements this over its shared database (e.g. an
/// `INSERT … ON CONFLICT DO NOTHING` on `(jti)` with the expiry, and a periodic delete of expired rows).
#[async_trait]
pub trait ReplayGuard: Send + Sync {
    /// Records `jti` until `expires_at` (seconds since the Unix epoch). Returns `Ok(true)` when it was not seen
    /// before (the token is fresh), `Ok(false)` when it was (a replay). Errors should be
    /// [`Error::ReplayStoreUnavailable`]: the validator then fails closed with a 503.
    async fn check_and_remember(&self, jti: &str, expires_at: i64) -> Result<bool, Error>;
}

/// A single-process [`ReplayGuard`]: a bounded map of ids to expiry, evicting expired ids as it goes.
///
/// When `capacity` live ids are held, a new id is refused with [`Error::ReplayStoreUnavailable`] (fail closed):
/// evicting a live id instead would reopen it to replay. Size it for the peak of valid tokens per
/// `max_lifetime + leeway` window.
#[derive(Debug)]
pub struct InMemoryReplayGuard {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    seen: HashMap<String, i64>,
    by_expiry: BinaryHeap<Reverse<(i64, String)>>,
}

impl InMemoryReplayGuard {
    /// Default capacity: 100,000 live ids (a few MiB).
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A guard holding at most `capacity` live ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        InMemoryReplayGuard {
            capacity: capacity.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// Number of ids currently remembered (expired ones may linger until the next call evicts them).
    pub fn len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every mutation below leaves the two collections consistent before it can panic, so a poisoned lock
        // still holds usable data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The check itself, with the clock passed in (tests use it directly).
    pub(crate) fn check_at(&self, jti: &str, expires_at: i64, now: i64) -> Result<bool, Error> {
        let mut state = self.lock();
        let State { seen, by_expiry } = &mut *state;
        while let Some(Reverse((exp, _))) = by_expiry.peek() {
            if *exp > now {
                break;
            }
            if let Some(Reverse((exp, id))) = by_expiry.pop() {
                // The id may have been re-remembered with a later expiry; only drop the matching entry.
                if seen.get(&id) == Some(&exp) {
                    seen.remove(&id);
                }
            }
        }
        if let Some(&until) = seen.get(jti) {
            if until > now {
                return Ok(false);
            }
        }
        if expires_at <= now {
            // Nothing to remember: the validator never accepts a token past this instant.
            return Ok(true);
        }
        if seen.len() >= self.capacity {
            return Err(Error::ReplayStoreUnavailable(
                "the in-memory replay guard is full".to_owned(),
            ));
        }
        seen.insert(jti.to_owned(), expires_at);
        by_expiry.push(Reverse((expires_at, jti.to_owned())));
        Ok(true)
    }
}

impl Default for InMemoryReplayGuard {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

#[async_trait]
impl ReplayGuard for InMemoryReplayGuard {
    async fn check_and_remember(&self, jti: &str, expires_at: i64) -> Result<bool, Error> {
        self.check_at(jti, expires_at, crate::validator::unix_now())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_jti_is_refused_until_it_expires_then_forgotten() {
        let g = InMemoryReplayGuard::new(10);
        assert!(g.check_at("a", 100, 50).unwrap());
        assert!(!g.check_at("a", 100, 99).unwrap());
        assert!(g.check_at("b", 200, 100).unwrap());
        assert_eq!(g.len(), 1, "a expired at 100 and was evicted");
        assert!(g.check_at("a", 300, 100).unwrap());
    }

    #[test]
    fn a_full_guard_fails_closed_but_frees_expired_slots() {
        let g = InMemoryReplayGuard::new(2);
        assert!(g.check_at("a", 100, 0).unwrap());
        assert!(g.check_at("b", 200, 0).unwrap());
        assert!(matches!(
            g.check_at("c", 200, 0),
            Err(Error::ReplayStoreUnavailable(_))
        ));
        assert!(
            g.check_at("c", 200, 100).unwrap(),
            "a expired, freeing a slot"
        );
        assert!(!g.check_at("b", 200, 150).unwrap());
    }
}
