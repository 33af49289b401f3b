//! What a layout maps: the issues of a JQL query, of a sprint, or around one issue
//! ([`LayoutSource`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_ISSUE_ID_DIGITS, MAX_ISSUE_KEY_BYTES, MAX_PROJECT_KEY_CHARS};
use crate::text::Jql;
use crate::validation::{Collector, ParseError};

/// A Jira Software sprint id: a positive integer (fits Postgres `bigint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct SprintId(i64);

impl SprintId {
    /// Checks `id > 0`.
    pub fn parse(id: i64) -> Result<Self, ParseError> {
        if id > 0 {
            Ok(Self(id))
        } else {
            Err(ParseError::new("must be a positive integer"))
        }
    }

    /// The id.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for SprintId {
    type Error = ParseError;

    fn try_from(id: i64) -> Result<Self, Self::Error> {
        Self::parse(id)
    }
}

impl From<SprintId> for i64 {
    fn from(id: SprintId) -> i64 {
        id.0
    }
}

/// A Jira issue key such as `PRJ-42`: a project key (`[A-Z][A-Z0-9_]{0,254}`), `-`, and a
/// positive number without leading zeros (at most 18 digits).
///
/// A key is an identifier, not issue content: it names the issue, as the id does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IssueKey(String);

impl IssueKey {
    /// Parses an issue key. Lowercase is refused rather than uppercased: Jira keys are
    /// uppercase, and one spelling per key keeps stored data comparable.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        const SHAPE: &str = "must be a Jira issue key such as PRJ-42";
        if s.len() > MAX_ISSUE_KEY_BYTES {
            return Err(ParseError::new(SHAPE));
        }
        let (project, number) = s.rsplit_once('-').ok_or(ParseError::new(SHAPE))?;
        let mut p = project.bytes();
        let first_ok = p.next().is_some_and(|b| b.is_ascii_uppercase());
        let rest_ok = p.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !first_ok || !rest_ok || project.len() > MAX_PROJECT_KEY_CHARS {
            return Err(ParseError::new(SHAPE));
        }
        let number_ok = !number.is_empty()
            && number.len() <= MAX_ISSUE_ID_DIGITS
            && number.bytes().all(|b| b.is_ascii_digit())
            && !number.starts_with('0');
        if !number_ok {
            return Err(ParseError::new(SHAPE));
        }
        Ok(Self(s.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IssueKey {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<IssueKey> for String {
    fn from(k: IssueKey) -> String {
        k.0
    }
}

impl fmt::Display for IssueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which issues a layout maps.
///
/// JSON: `{"type":"jql","jql":"project = PRJ"}` | `{"type":"sprint","sprintId":123}` |
/// `{"type":"issue","issueKey":"PRJ-42"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum LayoutSource {
    /// The issues a JQL query returns.
    Jql {
        /// The query.
        jql: Jql,
    },
    /// The issues of a sprint.
    Sprint {
        /// The sprint.
        sprint_id: SprintId,
    },
    /// One issue and what it links to.
    Issue {
        /// The starting issue.
        issue_key: IssueKey,
    },
}

impl LayoutSource {
    /// The `type` tag: `jql`, `sprint` or `issue`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Jql { .. } => "jql",
            Self::Sprint { .. } => "sprint",
            Self::Issue { .. } => "issue",
        }
    }
}

/// Raw `source` of a layout body. A flat struct rather than a tagged enum, so that every
/// problem gets a precise message (a field that belongs to another type is named as such);
/// unknown fields are refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceInput {
    /// `jql` | `sprint` | `issue`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `jql`.
    pub jql: Option<String>,
    /// For `sprint`.
    pub sprint_id: Option<i64>,
    /// For `issue`.
    pub issue_key: Option<String>,
}

impl SourceInput {
    pub(crate) fn check(self, c: &mut Collector) -> Option<LayoutSource> {
        // Which field each type needs; the others must be absent.
        let (needed, kind) = match self.kind.as_str() {
            "jql" => ("source.jql", 0),
            "sprint" => ("source.sprintId", 1),
            "issue" => ("source.issueKey", 2),
            _ => {
                c.push("source.type", "must be one of jql, sprint, issue");
                return None;
            }
        };
        let present = [
            self.jql.is_some(),
            self.sprint_id.is_some(),
            self.issue_key.is_some(),
        ];
        let names = ["source.jql", "source.sprintId", "source.issueKey"];
        for (i, name) in names.iter().enumerate() {
            if i != kind && present[i] {
                c.push(*name, "is not allowed for this source type");
            }
        }
        if !present[kind] {
            c.push(needed, "is required");
            return None;
        }
        match kind {
            0 => self
                .jql
                .and_then(|j| c.check(|| needed.into(), Jql::parse(&j)))
                .map(|jql| LayoutSource::Jql { jql }),
            1 => self
                .sprint_id
                .and_then(|s| c.check(|| needed.into(), SprintId::parse(s)))
                .map(|sprint_id| LayoutSource::Sprint { sprint_id }),
            _ => self
                .issue_key
                .and_then(|k| c.check(|| needed.into(), IssueKey::parse(&k)))
                .map(|issue_key| LayoutSource::Issue { issue_key }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_keys_of_the_usual_shapes_are_accepted() {
        for ok in ["PRJ-42", "A-1", "AB_1-9", "X2-100000000000000000"] {
            assert!(IssueKey::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_issue_keys_are_refused() {
        for bad in [
            "",
            "PRJ",
            "PRJ-",
            "-42",
            "prj-42",
            "Prj-42",
            "1PRJ-42",
            "_PRJ-42",
            "PRJ-042",
            "PRJ-0",
            "PRJ--42",
            "PRJ-4a",
            "PRJ-42 ",
            " PRJ-42",
            "PRJ-1000000000000000000",
            "PR J-1",
            "PRJ-42\n",
            "ÄB-1",
        ] {
            assert!(IssueKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn project_key_of_255_chars_is_accepted_and_256_refused() {
        let key = |n: usize| format!("{}-1", "A".repeat(n));
        assert!(IssueKey::parse(&key(MAX_PROJECT_KEY_CHARS)).is_ok());
        assert!(IssueKey::parse(&key(MAX_PROJECT_KEY_CHARS + 1)).is_err());
        let longest = format!("{}-{}", "A".repeat(MAX_PROJECT_KEY_CHARS), "9".repeat(18));
        assert_eq!(longest.len(), MAX_ISSUE_KEY_BYTES);
        assert!(IssueKey::parse(&longest).is_ok());
    }

    #[test]
    fn sprint_ids_must_be_positive() {
        assert!(SprintId::parse(1).is_ok());
        assert!(SprintId::parse(i64::MAX).is_ok());
        assert!(SprintId::parse(0).is_err());
        assert!(SprintId::parse(-5).is_err());
    }

    #[test]
    fn sources_serialize_with_a_type_tag_in_camel_case() {
        let s = LayoutSource::Sprint {
            sprint_id: SprintId::parse(123).unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"type":"sprint","sprintId":123})
        );
        let back: LayoutSource =
            serde_json::from_str(r#"{"type":"issue","issueKey":"PRJ-42"}"#).unwrap();
        assert_eq!(back.kind(), "issue");
    }
}
