//! Saved layouts: the user-editable part ([`LayoutDraft`]), the stored record ([`Layout`]),
//! the list entry ([`LayoutSummary`]), and request bodies ([`LayoutInput`], [`LayoutUpdate`]).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::geometry::{check_nodes, NodeInput, Nodes, Viewport, ViewportInput};
use crate::ids::LayoutId;
use crate::input::{parse_json, InputError};
use crate::settings::{DisplayOverrides, DisplayOverridesInput};
use crate::source::{LayoutSource, SourceInput};
use crate::text::LayoutName;
use crate::validation::{check_version, Collector, ValidationErrors};

/// The part of a layout the user edits; every field already validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutDraft {
    /// Display name.
    pub name: LayoutName,
    /// Which issues are mapped.
    pub source: LayoutSource,
    /// Where issues sit.
    pub nodes: Nodes,
    /// What part of the map is visible.
    pub viewport: Viewport,
    /// Display settings this layout overrides (`null` = none).
    pub display: Option<DisplayOverrides>,
}

impl LayoutDraft {
    /// Parses a `POST /layouts` body. A `version` in it is refused: a new layout has none.
    pub fn from_json(body: &[u8]) -> Result<Self, InputError> {
        let input: LayoutInput = parse_json(body)?;
        Self::try_from(input).map_err(InputError::Invalid)
    }

    /// Rebuilds a draft from the columns a store keeps, re-checking every rule (a row that
    /// breaks one is [`StoreError::Corrupt`]). `nodes`, `viewport` and `display` are the JSON
    /// written from the draft's fields with `serde_json::to_value`.
    pub fn from_stored(
        name: &str,
        source: &serde_json::Value,
        nodes: &serde_json::Value,
        viewport: &serde_json::Value,
        display: Option<&serde_json::Value>,
    ) -> Result<Self, StoreError> {
        fn corrupt(what: &str) -> StoreError {
            StoreError::Corrupt(format!("stored layout {what} breaks a rule"))
        }
        Ok(Self {
            name: LayoutName::parse(name).map_err(|_| corrupt("name"))?,
            source: LayoutSource::deserialize(source).map_err(|_| corrupt("source"))?,
            nodes: Nodes::deserialize(nodes).map_err(|_| corrupt("nodes"))?,
            viewport: Viewport::deserialize(viewport).map_err(|_| corrupt("viewport"))?,
            display: match display {
                None | Some(serde_json::Value::Null) => None,
                Some(d) => Some(DisplayOverrides::deserialize(d).map_err(|_| corrupt("display"))?),
            },
        })
    }
}

/// Raw layout body of `POST /layouts` and `PUT /layouts/{id}`. Unknown fields are refused at
/// every level (policy N1).
///
/// `name`, `source`, `nodes` and `viewport` are required; `display` may be absent or `null`.
/// `version` must be absent on POST and present on PUT.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayoutInput {
    /// Display name.
    pub name: String,
    /// Which issues are mapped.
    pub source: SourceInput,
    /// Where issues sit.
    pub nodes: Vec<NodeInput>,
    /// What part of the map is visible.
    pub viewport: ViewportInput,
    /// Display overrides.
    pub display: Option<DisplayOverridesInput>,
    /// The version the client last read (PUT only).
    pub version: Option<i64>,
}

impl LayoutInput {
    fn check_draft(self, c: &mut Collector) -> Option<LayoutDraft> {
        let name = c.check(|| "name".into(), LayoutName::parse(&self.name));
        let source = self.source.check(c);
        let nodes = check_nodes(c, self.nodes);
        let viewport = self.viewport.check(c);
        let display = match self.display {
            None => Some(None),
            Some(d) => d.check(c, "display").map(Some),
        };
        Some(LayoutDraft {
            name: name?,
            source: source?,
            nodes: nodes?,
            viewport: viewport?,
            display: display?,
        })
    }
}

impl TryFrom<LayoutInput> for LayoutDraft {
    type Error = ValidationErrors;

    /// The POST rules: a `version` is refused.
    fn try_from(input: LayoutInput) -> Result<Self, Self::Error> {
        let mut c = Collector::new();
        check_version(&mut c, input.version, true);
        let draft = input.check_draft(&mut c);
        c.finish(|| draft)
    }
}

/// A validated `PUT /layouts/{id}` body: the new content and the version it was based on.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutUpdate {
    /// The new content.
    pub draft: LayoutDraft,
    /// The version the client last read; a stale one is a conflict.
    pub version: i64,
}

impl LayoutUpdate {
    /// Parses a `PUT /layouts/{id}` body, which must carry a non-negative integer `version`.
    pub fn from_json(body: &[u8]) -> Result<Self, InputError> {
        let input: LayoutInput = parse_json(body)?;
        Self::try_from(input).map_err(InputError::Invalid)
    }
}

impl TryFrom<LayoutInput> for LayoutUpdate {
    type Error = ValidationErrors;

    fn try_from(mut input: LayoutInput) -> Result<Self, Self::Error> {
        let mut c = Collector::new();
        let version = check_version(&mut c, input.version.take(), false);
        let draft = input.check_draft(&mut c);
        c.finish(|| {
            Some(Self {
                draft: draft?,
                version: version?,
            })
        })
    }
}

/// A stored layout. JSON (response body):
/// `{"id":"…","name":"…","source":{…},"nodes":[…],"viewport":{…},"display":null,"version":1,
/// "createdAt":"2026-03-01T10:00:00Z","updatedAt":"2026-03-01T10:00:00Z"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// The layout's id.
    pub id: LayoutId,
    /// The user-editable content.
    #[serde(flatten)]
    pub draft: LayoutDraft,
    /// Optimistic-concurrency version: 1 on creation, +1 on every update.
    pub version: i64,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Layout {
    /// The list entry for this layout.
    pub fn summary(&self) -> LayoutSummary {
        LayoutSummary {
            id: self.id,
            name: self.draft.name.clone(),
            source: self.draft.source.clone(),
            node_count: self.draft.nodes.len(),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A layout in a list: no nodes, so a page of 100 stays small. JSON:
/// `{"id":"…","name":"…","source":{…},"nodeCount":12,"version":3,"createdAt":"…","updatedAt":"…"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutSummary {
    /// The layout's id.
    pub id: LayoutId,
    /// Display name.
    pub name: LayoutName,
    /// Which issues are mapped.
    pub source: LayoutSource,
    /// How many nodes the layout holds.
    pub node_count: usize,
    /// Current version.
    pub version: i64,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{MAX_JQL_BYTES, MAX_NODES};
    use serde_json::{json, Value};
    use time::macros::datetime;

    fn body() -> Value {
        json!({
            "name": "Release train",
            "source": {"type": "jql", "jql": "project = PRJ"},
            "nodes": [
                {"issueId": "10001", "x": 1.5, "y": -2, "pinned": true},
                {"issueId": "10002", "x": 0, "y": 0}
            ],
            "viewport": {"x": 0, "y": 0, "zoom": 1},
            "display": {"theme": "dark", "depth": 3}
        })
    }

    fn create(v: &Value) -> Result<LayoutDraft, InputError> {
        LayoutDraft::from_json(v.to_string().as_bytes())
    }

    fn update(v: &Value) -> Result<LayoutUpdate, InputError> {
        LayoutUpdate::from_json(v.to_string().as_bytes())
    }

    /// The `(field, message)` pairs of a refused body.
    fn errors<T: std::fmt::Debug>(r: Result<T, InputError>) -> Vec<(String, &'static str)> {
        match r {
            Err(InputError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn fields<T: std::fmt::Debug>(r: Result<T, InputError>) -> Vec<String> {
        errors(r).into_iter().map(|(f, _)| f).collect()
    }

    fn with(mut v: Value, pointer: &str, new: Value) -> Value {
        *v.pointer_mut(pointer).unwrap() = new;
        v
    }

    fn nodes(n: usize) -> Value {
        Value::Array(
            (1..=n)
                .map(|i| json!({"issueId": i.to_string(), "x": 0, "y": 0}))
                .collect(),
        )
    }

    #[test]
    fn a_valid_body_parses_into_a_draft() {
        let d = create(&body()).unwrap();
        assert_eq!(d.name.as_str(), "Release train");
        assert_eq!(d.nodes.len(), 2);
        assert!(d.nodes.as_slice()[0].pinned());
        assert!(!d.nodes.as_slice()[1].pinned());
        assert_eq!(d.display.unwrap().depth.unwrap().get(), 3);
    }

    #[test]
    fn each_source_type_parses() {
        for source in [
            json!({"type": "sprint", "sprintId": 123}),
            json!({"type": "issue", "issueKey": "PRJ-42"}),
        ] {
            let d = create(&with(body(), "/source", source.clone())).unwrap();
            assert_eq!(serde_json::to_value(&d.source).unwrap(), source);
        }
    }

    #[test]
    fn display_may_be_absent_or_null() {
        let mut b = body();
        b.as_object_mut().unwrap().remove("display");
        assert_eq!(create(&b).unwrap().display, None);
        assert_eq!(
            create(&with(body(), "/display", Value::Null))
                .unwrap()
                .display,
            None
        );
    }

    #[test]
    fn required_fields_are_named_when_missing() {
        for field in ["name", "source", "nodes", "viewport"] {
            let mut b = body();
            b.as_object_mut().unwrap().remove(field);
            assert_eq!(errors(create(&b)), [(field.to_owned(), "is required")]);
        }
        for (pointer, field) in [
            ("/nodes/1", "nodes[1].issueId"),
            ("/viewport", "viewport.zoom"),
        ] {
            let mut b = body();
            let obj = b.pointer_mut(pointer).unwrap().as_object_mut().unwrap();
            let last = field.rsplit('.').next().unwrap();
            obj.remove(last);
            assert_eq!(errors(create(&b)), [(field.to_owned(), "is required")]);
        }
    }

    #[test]
    fn wrong_types_are_named_by_path() {
        for (pointer, bad, field) in [
            ("/nodes/1/x", json!("12"), "nodes[1].x"),
            ("/nodes/0/issueId", json!(10001), "nodes[0].issueId"),
            ("/nodes/0/pinned", json!("yes"), "nodes[0].pinned"),
            ("/viewport/zoom", json!(null), "viewport.zoom"),
            ("/name", json!(["a"]), "name"),
            ("/nodes", json!({}), "nodes"),
        ] {
            assert_eq!(
                errors(create(&with(body(), pointer, bad))),
                [(field.to_owned(), "has the wrong type")],
                "{pointer}"
            );
        }
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let b = json!({
            "name": " ",
            "source": {"type": "sprint", "sprintId": 0},
            "nodes": [
                {"issueId": "007", "x": 2e6, "y": 0},
                {"issueId": "5", "x": 0, "y": -1000000.5}
            ],
            "viewport": {"x": 0, "y": 1e7, "zoom": 0.01},
            "display": {"theme": "neon", "depth": 0, "linkTypes": [""]}
        });
        assert_eq!(
            fields(create(&b)),
            [
                "name",
                "source.sprintId",
                "nodes[0].issueId",
                "nodes[0].x",
                "nodes[1].y",
                "viewport.y",
                "viewport.zoom",
                "display.theme",
                "display.linkTypes[0]",
                "display.depth",
            ]
        );
    }

    #[test]
    fn name_of_100_chars_is_accepted_and_101_refused() {
        assert!(create(&with(body(), "/name", json!("n".repeat(100)))).is_ok());
        assert_eq!(
            fields(create(&with(body(), "/name", json!("n".repeat(101))))),
            ["name"]
        );
    }

    #[test]
    fn jql_source_of_4096_bytes_is_accepted_and_4097_refused() {
        let jql = |n: usize| json!({"type": "jql", "jql": "a".repeat(n)});
        assert!(create(&with(body(), "/source", jql(MAX_JQL_BYTES))).is_ok());
        assert_eq!(
            errors(create(&with(body(), "/source", jql(MAX_JQL_BYTES + 1)))),
            [("source.jql".to_owned(), "must be at most 4096 bytes")]
        );
    }

    #[test]
    fn source_rules_are_enforced() {
        for (source, expected) in [
            (json!({"type": "board", "jql": "x"}), vec!["source.type"]),
            (json!({"type": "jql"}), vec!["source.jql"]),
            (json!({"type": "jql", "jql": ""}), vec!["source.jql"]),
            (
                json!({"type": "jql", "jql": "x", "sprintId": 5}),
                vec!["source.sprintId"],
            ),
            (
                json!({"type": "sprint", "sprintId": -3}),
                vec!["source.sprintId"],
            ),
            (
                json!({"type": "sprint", "issueKey": "A-1"}),
                vec!["source.issueKey", "source.sprintId"],
            ),
            (
                json!({"type": "issue", "issueKey": "prj-42"}),
                vec!["source.issueKey"],
            ),
            (
                json!({"type": "issue", "issueKey": "PRJ-42", "jql": "x"}),
                vec!["source.jql"],
            ),
        ] {
            assert_eq!(
                fields(create(&with(body(), "/source", source.clone()))),
                expected,
                "{source}"
            );
        }
        // A missing type is a shape error; a sprint id that is not an integer too.
        assert_eq!(
            fields(create(&with(body(), "/source", json!({"jql": "x"})))),
            ["source.type"]
        );
        assert_eq!(
            errors(create(&with(
                body(),
                "/source",
                json!({"type": "sprint", "sprintId": 1.5})
            ))),
            [("source.sprintId".to_owned(), "has the wrong type")]
        );
    }

    #[test]
    fn five_thousand_nodes_are_accepted_and_5001_refused() {
        assert_eq!(
            create(&with(body(), "/nodes", nodes(MAX_NODES)))
                .unwrap()
                .nodes
                .len(),
            MAX_NODES
        );
        assert_eq!(
            errors(create(&with(body(), "/nodes", nodes(MAX_NODES + 1)))),
            [("nodes".to_owned(), "must hold at most 5000 nodes")]
        );
    }

    #[test]
    fn an_issue_placed_twice_is_refused_at_the_second_node() {
        let b = with(body(), "/nodes/1/issueId", json!("10001"));
        assert_eq!(
            errors(create(&b)),
            [(
                "nodes[1].issueId".to_owned(),
                "must not place the same issue twice"
            )]
        );
    }

    #[test]
    fn coordinates_and_zoom_are_checked_at_their_bounds() {
        for (pointer, ok, bad) in [
            ("/nodes/0/x", json!(1e6), json!(1000000.1)),
            ("/nodes/0/y", json!(-1e6), json!(-1000000.1)),
            ("/viewport/x", json!(-1e6), json!(-1e6 - 1.0)),
            ("/viewport/zoom", json!(0.05), json!(0.0499)),
            ("/viewport/zoom", json!(20), json!(20.01)),
        ] {
            assert!(create(&with(body(), pointer, ok)).is_ok(), "{pointer}");
            assert_eq!(
                errors(create(&with(body(), pointer, bad))).len(),
                1,
                "{pointer}"
            );
        }
    }

    #[test]
    fn numbers_too_large_for_f64_are_malformed() {
        // serde_json refuses them while reading, before any field rule; the server answers 400.
        let text = body().to_string().replace("1.5", "1e400");
        assert_eq!(
            LayoutDraft::from_json(text.as_bytes()).unwrap_err(),
            InputError::Malformed
        );
    }

    #[test]
    fn post_refuses_a_version() {
        let b = with(body(), "/name", json!("x"));
        let mut b = b;
        b["version"] = json!(1);
        assert_eq!(
            errors(create(&b)),
            [("version".to_owned(), "must not be set when creating")]
        );
    }

    #[test]
    fn put_requires_a_non_negative_integer_version() {
        assert_eq!(
            errors(update(&body())),
            [("version".to_owned(), "is required")]
        );
        let mut b = body();
        b["version"] = json!(-1);
        assert_eq!(
            errors(update(&b)),
            [("version".to_owned(), "must be a non-negative integer")]
        );
        b["version"] = json!("3");
        assert_eq!(
            errors(update(&b)),
            [("version".to_owned(), "has the wrong type")]
        );
        b["version"] = json!(1.5);
        assert_eq!(
            errors(update(&b)),
            [("version".to_owned(), "has the wrong type")]
        );
        b["version"] = json!(0);
        assert_eq!(update(&b).unwrap().version, 0);
        b["version"] = json!(7);
        let u = update(&b).unwrap();
        assert_eq!((u.version, u.draft), (7, create(&body()).unwrap()));
    }

    #[test]
    fn put_reports_version_and_content_errors_together() {
        let b = with(body(), "/name", json!(""));
        assert_eq!(fields(update(&b)), ["version", "name"]);
    }

    fn layout() -> Layout {
        Layout {
            id: LayoutId(uuid::Uuid::nil()),
            draft: create(&body()).unwrap(),
            version: 3,
            created_at: datetime!(2026-03-01 10:00 UTC),
            updated_at: datetime!(2026-03-02 11:30:00.25 UTC),
        }
    }

    #[test]
    fn a_layout_serializes_flat_in_camel_case_with_rfc3339_times() {
        assert_eq!(
            serde_json::to_value(layout()).unwrap(),
            json!({
                "id": "00000000-0000-0000-0000-000000000000",
                "name": "Release train",
                "source": {"type": "jql", "jql": "project = PRJ"},
                "nodes": [
                    {"issueId": "10001", "x": 1.5, "y": -2.0, "pinned": true},
                    {"issueId": "10002", "x": 0.0, "y": 0.0, "pinned": false}
                ],
                "viewport": {"x": 0.0, "y": 0.0, "zoom": 1.0},
                "display": {"theme": "dark", "depth": 3},
                "version": 3,
                "createdAt": "2026-03-01T10:00:00Z",
                "updatedAt": "2026-03-02T11:30:00.25Z"
            })
        );
    }

    #[test]
    fn a_summary_carries_the_node_count_but_not_the_nodes() {
        let v = serde_json::to_value(layout().summary()).unwrap();
        assert_eq!(v["nodeCount"], 2);
        assert!(v.get("nodes").is_none());
        assert_eq!(v["createdAt"], "2026-03-01T10:00:00Z");
    }

    #[test]
    fn a_draft_rebuilds_from_its_stored_columns() {
        let d = layout().draft;
        let back = LayoutDraft::from_stored(
            d.name.as_str(),
            &serde_json::to_value(&d.source).unwrap(),
            &serde_json::to_value(&d.nodes).unwrap(),
            &serde_json::to_value(d.viewport).unwrap(),
            Some(&serde_json::to_value(&d.display).unwrap()),
        )
        .unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn stored_columns_that_break_a_rule_are_corrupt() {
        let d = layout().draft;
        let r = LayoutDraft::from_stored(
            d.name.as_str(),
            &serde_json::to_value(&d.source).unwrap(),
            &json!([{"issueId": "1", "x": 5e6, "y": 0}]),
            &serde_json::to_value(d.viewport).unwrap(),
            None,
        );
        assert!(matches!(r, Err(StoreError::Corrupt(_))));
    }
}
