//! Saved JQL queries: the user-editable part ([`QueryDraft`]), the stored record
//! ([`SavedQuery`]) and request bodies ([`QueryInput`], [`QueryUpdate`]).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::QueryId;
use crate::input::{parse_json, InputError};
use crate::text::{Jql, QueryName};
use crate::validation::{check_version, Collector, ValidationErrors};

/// The part of a saved query the user edits; validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryDraft {
    /// Display name.
    pub name: QueryName,
    /// The query.
    pub jql: Jql,
}

impl QueryDraft {
    /// Parses a `POST /queries` body. A `version` in it is refused.
    pub fn from_json(body: &[u8]) -> Result<Self, InputError> {
        let input: QueryInput = parse_json(body)?;
        Self::try_from(input).map_err(InputError::Invalid)
    }
}

/// Raw body of `POST /queries` and `PUT /queries/{id}`: `{"name":"…","jql":"…"}` plus
/// `"version"` on PUT only. Unknown fields are refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryInput {
    /// Display name.
    pub name: String,
    /// The query.
    pub jql: String,
    /// The version the client last read (PUT only).
    pub version: Option<i64>,
}

impl QueryInput {
    fn check_draft(&self, c: &mut Collector) -> Option<QueryDraft> {
        let name = c.check(|| "name".into(), QueryName::parse(&self.name));
        let jql = c.check(|| "jql".into(), Jql::parse(&self.jql));
        Some(QueryDraft {
            name: name?,
            jql: jql?,
        })
    }
}

impl TryFrom<QueryInput> for QueryDraft {
    type Error = ValidationErrors;

    /// The POST rules: a `version` is refused.
    fn try_from(input: QueryInput) -> Result<Self, Self::Error> {
        let mut c = Collector::new();
        check_version(&mut c, input.version, true);
        let draft = input.check_draft(&mut c);
        c.finish(|| draft)
    }
}

/// A validated `PUT /queries/{id}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryUpdate {
    /// The new content.
    pub draft: QueryDraft,
    /// The version the client last read; a stale one is a conflict.
    pub version: i64,
}

impl QueryUpdate {
    /// Parses a `PUT /queries/{id}` body, which must carry a non-negative integer `version`.
    pub fn from_json(body: &[u8]) -> Result<Self, InputError> {
        let input: QueryInput = parse_json(body)?;
        Self::try_from(input).map_err(InputError::Invalid)
    }
}

impl TryFrom<QueryInput> for QueryUpdate {
    type Error = ValidationErrors;

    fn try_from(input: QueryInput) -> Result<Self, Self::Error> {
        let mut c = Collector::new();
        let version = check_version(&mut c, input.version, false);
        let draft = input.check_draft(&mut c);
        c.finish(|| {
            Some(Self {
                draft: draft?,
                version: version?,
            })
        })
    }
}

/// A stored query. JSON: `{"id":"…","name":"…","jql":"…","version":1,"createdAt":"…","updatedAt":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedQuery {
    /// The query's id.
    pub id: QueryId,
    /// Display name.
    pub name: QueryName,
    /// The query.
    pub jql: Jql,
    /// Optimistic-concurrency version: 1 on creation, +1 on every update.
    pub version: i64,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl SavedQuery {
    /// The user-editable part.
    pub fn draft(&self) -> QueryDraft {
        QueryDraft {
            name: self.name.clone(),
            jql: self.jql.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn fields<T: std::fmt::Debug>(r: Result<T, InputError>) -> Vec<(String, &'static str)> {
        match r {
            Err(InputError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn post(v: serde_json::Value) -> Result<QueryDraft, InputError> {
        QueryDraft::from_json(v.to_string().as_bytes())
    }

    fn put(v: serde_json::Value) -> Result<QueryUpdate, InputError> {
        QueryUpdate::from_json(v.to_string().as_bytes())
    }

    #[test]
    fn a_valid_query_parses_trimmed() {
        let q = post(json!({"name": " Open bugs ", "jql": " type = Bug\n"})).unwrap();
        assert_eq!(
            (q.name.as_str(), q.jql.as_str()),
            ("Open bugs", "type = Bug")
        );
    }

    #[test]
    fn name_and_jql_rules_are_reported_together() {
        assert_eq!(
            fields(post(json!({"name": "", "jql": "a\u{0}"}))),
            [
                ("name".to_owned(), "must not be empty"),
                (
                    "jql".to_owned(),
                    "must not contain control characters other than tab and newline"
                )
            ]
        );
    }

    #[test]
    fn name_and_jql_are_checked_at_their_limits() {
        let body =
            |name: usize, jql: usize| json!({"name": "n".repeat(name), "jql": "j".repeat(jql)});
        assert!(post(body(100, 4096)).is_ok());
        assert_eq!(
            fields(post(body(101, 4097))),
            [
                ("name".to_owned(), "must be at most 100 characters"),
                ("jql".to_owned(), "must be at most 4096 bytes")
            ]
        );
    }

    #[test]
    fn missing_fields_are_required() {
        assert_eq!(
            fields(post(json!({"name": "x"}))),
            [("jql".to_owned(), "is required")]
        );
        assert_eq!(
            fields(post(json!({"jql": "x"}))),
            [("name".to_owned(), "is required")]
        );
    }

    #[test]
    fn post_refuses_a_version_and_put_requires_one() {
        assert_eq!(
            fields(post(json!({"name": "x", "jql": "y", "version": 1}))),
            [("version".to_owned(), "must not be set when creating")]
        );
        assert_eq!(
            fields(put(json!({"name": "x", "jql": "y"}))),
            [("version".to_owned(), "is required")]
        );
        assert_eq!(
            fields(put(json!({"name": "x", "jql": "y", "version": -2}))),
            [("version".to_owned(), "must be a non-negative integer")]
        );
        assert_eq!(
            put(json!({"name": "x", "jql": "y", "version": 4}))
                .unwrap()
                .version,
            4
        );
    }

    #[test]
    fn a_saved_query_serializes_in_camel_case() {
        let q = SavedQuery {
            id: QueryId(uuid::Uuid::nil()),
            name: QueryName::parse("Open bugs").unwrap(),
            jql: Jql::parse("type = Bug").unwrap(),
            version: 2,
            created_at: datetime!(2026-03-01 10:00 UTC),
            updated_at: datetime!(2026-03-01 10:05 UTC),
        };
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            json!({
                "id": "00000000-0000-0000-0000-000000000000",
                "name": "Open bugs",
                "jql": "type = Bug",
                "version": 2,
                "createdAt": "2026-03-01T10:00:00Z",
                "updatedAt": "2026-03-01T10:05:00Z"
            })
        );
        assert_eq!(q.draft().name, q.name);
    }
}
