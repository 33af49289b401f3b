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
