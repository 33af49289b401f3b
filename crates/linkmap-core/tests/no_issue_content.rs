//! Policy N1: "No Jira issue content: no titles, descriptions, comments, attachments. The stored
//! schema cannot hold them and the API rejects payloads that carry them."
//!
//! Every request body is refused when it carries an issue-content field, at the top level or
//! nested in any object of the body, and the error names the field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use linkmap_core::{
    DisplaySettings, InputError, LayoutDraft, LayoutUpdate, QueryDraft, QueryUpdate,
};
use serde_json::{json, Value};

/// Issue content a client might try to store, under Jira's own field names.
const ISSUE_CONTENT_FIELDS: [&str; 8] = [
    "summary",
    "description",
    "comment",
    "comments",
    "attachment",
    "attachments",
    "title",
    "fields",
];

fn layout_body() -> Value {
    json!({
        "name": "Map",
        "source": {"type": "jql", "jql": "project = PRJ"},
        "nodes": [{"issueId": "10001", "x": 1, "y": 2, "pinned": false}],
        "viewport": {"x": 0, "y": 0, "zoom": 1},
        "display": {"theme": "dark"}
    })
}

/// Asserts `parse` refuses `body` with exactly one error: "unknown field" at `expected_field`.
fn assert_refused<T: std::fmt::Debug>(
    parse: impl Fn(&[u8]) -> Result<T, InputError>,
    body: &Value,
    expected_field: &str,
) {
    match parse(body.to_string().as_bytes()) {
        Err(InputError::Invalid(errors)) => {
            let e = &errors.errors()[0];
            assert_eq!(e.field, expected_field, "{body}");
            assert_eq!(e.message, "unknown field");
        }
        other => panic!("{body} was not refused: {other:?}"),
    }
}

fn insert(mut body: Value, pointer: &str, field: &str) -> Value {
    body.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap()
        .insert(field.to_owned(), json!("Secret issue text"));
    body
}

#[test]
fn the_clean_bodies_used_below_are_accepted() {
    assert!(LayoutDraft::from_json(layout_body().to_string().as_bytes()).is_ok());
}

#[test]
fn layout_bodies_carrying_issue_content_anywhere_are_refused() {
    for field in ISSUE_CONTENT_FIELDS {
        for (pointer, path) in [
            ("", field.to_owned()),
            ("/nodes/0", format!("nodes[0].{field}")),
            ("/viewport", format!("viewport.{field}")),
            ("/source", format!("source.{field}")),
            ("/display", format!("display.{field}")),
        ] {
            let body = insert(layout_body(), pointer, field);
            assert_refused(LayoutDraft::from_json, &body, &path);
            let mut put = body.clone();
            put["version"] = json!(1);
            assert_refused(LayoutUpdate::from_json, &put, &path);
        }
    }
}

#[test]
fn issue_content_in_a_later_node_is_refused_too() {
    let mut body = layout_body();
    body["nodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"issueId": "10002", "x": 0, "y": 0, "summary": "x"}));
    assert_refused(LayoutDraft::from_json, &body, "nodes[1].summary");
}

#[test]
fn query_bodies_carrying_issue_content_are_refused() {
    for field in ISSUE_CONTENT_FIELDS {
        let body = insert(json!({"name": "q", "jql": "project = PRJ"}), "", field);
        assert_refused(QueryDraft::from_json, &body, field);
        let mut put = body.clone();
        put["version"] = json!(1);
        assert_refused(QueryUpdate::from_json, &put, field);
    }
}

#[test]
fn settings_bodies_carrying_issue_content_are_refused() {
    let settings = json!({
        "theme": "auto", "layoutAlgorithm": "force", "linkTypes": [], "issueTypes": [],
        "depth": 2, "showResolved": true
    });
    for field in ISSUE_CONTENT_FIELDS {
        assert_refused(
            DisplaySettings::from_json,
            &insert(settings.clone(), "", field),
            field,
        );
    }
}

#[test]
fn ids_and_owners_in_the_body_are_refused_not_trusted() {
    // Policy U2: owner and ids come from the verified token and the URL, never the body.
    for field in [
        "id",
        "accountId",
        "installationId",
        "createdAt",
        "updatedAt",
        "owner",
    ] {
        assert_refused(
            LayoutDraft::from_json,
            &insert(layout_body(), "", field),
            field,
        );
    }
}

#[test]
fn issue_content_cannot_hide_in_a_field_of_the_wrong_case_or_as_a_nested_object() {
    let body = insert(layout_body(), "", "Summary");
    assert_refused(LayoutDraft::from_json, &body, "Summary");
    let mut body = layout_body();
    body["nodes"][0]["issue"] = json!({"summary": "x", "description": "y"});
    assert_refused(LayoutDraft::from_json, &body, "nodes[0].issue");
}

#[test]
fn the_refusal_never_echoes_the_smuggled_text() {
    let body = insert(layout_body(), "/nodes/0", "description");
    let err = LayoutDraft::from_json(body.to_string().as_bytes()).unwrap_err();
    let printed = format!("{err} {err:?}");
    assert!(!printed.contains("Secret issue text"), "{printed}");
}
