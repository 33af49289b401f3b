//! Keyset pagination: [`PageRequest`] in, [`Page`] out, [`Cursor`] in between.
//!
//! # Order
//! Lists are ordered by `updated_at` descending (newest first), then by `id` descending. In SQL:
//!
//! ```sql
//! WHERE installation_id = $1 AND account_id = $2
//!   AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3, $4))
//! ORDER BY updated_at DESC, id DESC
//! LIMIT $5   -- PageRequest::fetch_limit(), i.e. limit + 1
//! ```
//!
//! Postgres compares `uuid` byte-wise, as [`uuid::Uuid`]'s `Ord` does, so the in-memory store
//! and SQL agree on ties. A record updated while a client pages moves to the front; it is not
//! seen twice on later pages, since they only go further back in time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::layout::LayoutSummary;
use crate::limits::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
use crate::query::SavedQuery;
use crate::validation::{Collector, ParseError, ValidationErrors};

/// Longest cursor text accepted; ours are about 70 characters.
const MAX_CURSOR_CHARS: usize = 128;

/// The position after which the next page starts: the last item's `(updated_at, id)`.
///
/// Opaque to clients: base64url (no padding) of `<unix-nanoseconds>.<uuid-hex>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    /// The last item's `updated_at`.
    pub updated_at: OffsetDateTime,
    /// The last item's id.
    pub id: Uuid,
}

impl Cursor {
    /// The cursor just past an item.
    pub fn new(updated_at: OffsetDateTime, id: Uuid) -> Self {
        Self { updated_at, id }
    }

    /// The opaque URL-safe text form.
    pub fn encode(&self) -> String {
        let raw = format!(
            "{}.{}",
            self.updated_at.unix_timestamp_nanos(),
            self.id.simple()
        );
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a cursor written by [`Cursor::encode`]; anything else is refused.
    pub fn decode(s: &str) -> Result<Self, ParseError> {
        let bad = ParseError::new("is not a valid cursor");
        if s.is_empty() || s.len() > MAX_CURSOR_CHARS {
            return Err(bad);
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| bad)?;
        let (nanos, id) = text.split_once('.').ok_or(bad)?;
        let nanos: i128 = nanos.parse().map_err(|_| bad)?;
        let updated_at = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| bad)?;
        if id.len() != 32 {
            return Err(bad);
        }
        let id = Uuid::try_parse(id).map_err(|_| bad)?;
        Ok(Self { updated_at, id })
    }

    /// Whether an item with this key belongs on a page that starts after the cursor
    /// (strictly older, or as old with a smaller id).
    pub fn is_before(&self, updated_at: OffsetDateTime, id: Uuid) -> bool {
        (updated_at, id) < (self.updated_at, self.id)
    }
}

/// Which page a client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    after: Option<Cursor>,
}

impl Default for PageRequest {
    /// The first page of 50.
    fn default() -> Self {
        Self {
            limit: DEFAULT_PAGE_LIMIT,
            after: None,
        }
    }
}

impl PageRequest {
    /// A request for `limit` items (1–100) after `after`.
    pub fn new(limit: u32, after: Option<Cursor>) -> Result<Self, ParseError> {
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(ParseError::new("must be between 1 and 100"));
        }
        Ok(Self { limit, after })
    }

    /// Reads the `limit` and `cursor` query parameters (each may be absent); errors name the
    /// parameter (`limit`, `cursor`).
    pub fn from_query(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, ValidationErrors> {
        let mut c = Collector::new();
        let limit = match limit {
            None => Some(DEFAULT_PAGE_LIMIT),
            Some(l) => c.check(
                || "limit".into(),
                l.parse::<u32>()
                    .map_err(|_| ParseError::new("must be between 1 and 100"))
                    .and_then(|l| Self::new(l, None).map(|_| l)),
            ),
        };
        let after = match cursor {
            None => Some(None),
            Some(s) => c.check(|| "cursor".into(), Cursor::decode(s)).map(Some),
        };
        c.finish(|| {
            Some(Self {
                limit: limit?,
                after: after?,
            })
        })
    }

    /// Items per page.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Where the page starts (`None` = the newest).
    pub fn after(&self) -> Option<&Cursor> {
        self.after.as_ref()
    }

    /// How many rows a store fetches: one more than the limit, so the service can tell whether
    /// another page follows without a second query.
    pub fn fetch_limit(&self) -> u32 {
        self.limit + 1
    }
}

/// Something listed in pages: it knows its sort key.
pub trait Paged {
    /// The cursor just past this item.
    fn cursor(&self) -> Cursor;
}

impl Paged for LayoutSummary {
    fn cursor(&self) -> Cursor {
        Cursor::new(self.updated_at, self.id.as_uuid())
    }
}

impl Paged for SavedQuery {
    fn cursor(&self) -> Cursor {
        Cursor::new(self.updated_at, self.id.as_uuid())
    }
}

/// One page of a list. JSON: `{"items":[…],"nextCursor":"…"}` (`nextCursor` is `null` on the
/// last page).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// At most `limit` items, newest first.
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: Paged> Page<T> {
    /// Builds a page from up to `request.fetch_limit()` rows in list order: the extra row, if
    /// there, only says that a next page exists.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest) -> Self {
        let limit = request.limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| last.cursor().encode())
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn cursors_round_trip() {
        let c = Cursor::new(datetime!(2026-03-01 10:00:00.123456 UTC), Uuid::new_v4());
        let text = c.encode();
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Cursor::decode(&text), Ok(c));
    }

    #[test]
    fn garbage_cursors_are_refused() {
        let long = "A".repeat(MAX_CURSOR_CHARS + 1);
        for bad in [
            "",
            "!!!",
            "abc",
            long.as_str(),
            &URL_SAFE_NO_PAD.encode("123"),
            &URL_SAFE_NO_PAD.encode("x.00000000000000000000000000000000"),
            &URL_SAFE_NO_PAD.encode("1.not-a-uuid"),
            &URL_SAFE_NO_PAD.encode(format!("{}.{}", i128::MAX, Uuid::nil().simple())),
            &URL_SAFE_NO_PAD.encode(format!("1.{}", Uuid::nil().hyphenated())),
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn limit_defaults_to_50_and_accepts_1_to_100() {
        assert_eq!(PageRequest::from_query(None, None).unwrap().limit(), 50);
        assert_eq!(PageRequest::from_query(Some("1"), None).unwrap().limit(), 1);
        assert_eq!(
            PageRequest::from_query(Some("100"), None).unwrap().limit(),
            100
        );
        for bad in ["0", "101", "-1", "", "ten", "1.5", "99999999999"] {
            let e = PageRequest::from_query(Some(bad), None).unwrap_err();
            assert!(e.has("limit"), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_cursor_is_reported_on_field_cursor() {
        let e = PageRequest::from_query(Some("0"), Some("garbage!")).unwrap_err();
        assert!(e.has("limit") && e.has("cursor"));
    }

    #[test]
    fn fetch_limit_is_one_more_than_the_limit() {
        assert_eq!(PageRequest::new(100, None).unwrap().fetch_limit(), 101);
        assert!(PageRequest::new(0, None).is_err());
        assert!(PageRequest::new(101, None).is_err());
    }

    #[test]
    fn is_before_orders_by_time_then_id() {
        let t = datetime!(2026-03-01 10:00 UTC);
        let c = Cursor::new(t, Uuid::from_u128(5));
        assert!(c.is_before(t - time::Duration::SECOND, Uuid::from_u128(9)));
        assert!(c.is_before(t, Uuid::from_u128(4)));
        assert!(!c.is_before(t, Uuid::from_u128(5)));
        assert!(!c.is_before(t + time::Duration::SECOND, Uuid::from_u128(1)));
    }

    #[test]
    fn a_page_serializes_items_and_next_cursor() {
        let page: Page<u8> = Page {
            items: vec![1, 2],
            next_cursor: None,
        };
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            serde_json::json!({"items": [1, 2], "nextCursor": null})
        );
    }
}
