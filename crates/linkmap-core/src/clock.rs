//! Time, behind a trait, so the domain never reads the system clock directly and tests can
//! control it.

use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time, in UTC.
    fn now(&self) -> OffsetDateTime;
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to; for tests.
#[cfg(any(test, feature = "test-support"))]
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<OffsetDateTime>);

#[cfg(any(test, feature = "test-support"))]
impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self(std::sync::Mutex::new(start))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A panicking test thread cannot leave a timestamp half-written; keep going.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: time::Duration) {
        let mut t = self.lock();
        *t += by;
    }

    /// Sets the time.
    pub fn set(&self, to: OffsetDateTime) {
        *self.lock() = to;
    }
}

#[cfg(any(test, feature = "test-support"))]
impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }
}

/// `t` truncated to whole microseconds: Postgres `timestamptz` keeps no more, so a record
/// returned by a write must carry what a later read will return.
pub fn to_storage_precision(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(datetime!(2026-01-01 0:00 UTC));
        assert_eq!(c.now(), datetime!(2026-01-01 0:00 UTC));
        c.advance(time::Duration::minutes(5));
        assert_eq!(c.now(), datetime!(2026-01-01 0:05 UTC));
    }

    #[test]
    fn storage_precision_drops_sub_microseconds() {
        let t = datetime!(2026-01-01 0:00:00.123456789 UTC);
        assert_eq!(
            to_storage_precision(t),
            datetime!(2026-01-01 0:00:00.123456 UTC)
        );
    }

    #[test]
    fn system_clock_is_utc() {
        assert!(SystemClock.now().offset().is_utc());
    }
}
