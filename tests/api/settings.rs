use serde_json::json;

use crate::helpers::*;
use crate::layouts::assert_field_error;

fn settings_body() -> serde_json::Value {
    json!({
        "theme": "dark",
        "layoutAlgorithm": "hierarchical",
        "linkTypes": ["blocks", "relates to"],
        "issueTypes": ["Bug", "Story"],
        "depth": 3,
        "showResolved": false
    })
}

#[tokio::test]
async fn settings_default_until_saved_then_round_trip() {
    let app = spawn_app().await;
    let defaults = app.get("/settings", A_ALICE).await;
    assert_eq!(defaults.status, 200, "{}", defaults.raw);
    assert_eq!(defaults.body["theme"], "auto");
    assert_eq!(defaults.body["layoutAlgorithm"], "force");
    assert_eq!(defaults.body["depth"], 2);

    let saved = app.put("/settings", A_ALICE, &settings_body()).await;
    assert_eq!(saved.status, 200, "{}", saved.raw);
    let got = app.get("/settings", A_ALICE).await;
    for (k, v) in settings_body().as_object().unwrap() {
        assert_eq!(&got.body[k], v, "field {k}");
    }
    // Another user still sees defaults.
    assert_eq!(app.get("/settings", A_BOB).await.body["theme"], "auto");
}

#[tokio::test]
async fn every_settings_rule_refuses_a_breaking_input_and_stores_nothing() {
    let app = spawn_app().await;
    assert_eq!(
        app.put("/settings", A_ALICE, &settings_body()).await.status,
        200
    );
    let before = app.snapshot().await;
    let with = |k: &str, v: serde_json::Value| {
        let mut b = settings_body();
        b[k] = v;
        b
    };
    let too_many: Vec<String> = (0..51).map(|i| format!("type {i}")).collect();
    let cases = [
        (with("theme", json!("neon")), "theme"),
        (with("layoutAlgorithm", json!("random")), "layoutAlgorithm"),
        (with("depth", json!(0)), "depth"),
        (with("depth", json!(6)), "depth"),
        (with("depth", json!(2.5)), "depth"),
        (with("showResolved", json!("no")), "showResolved"),
        (with("linkTypes", json!(too_many)), "linkTypes"),
        (with("linkTypes", json!(["x".repeat(61)])), "linkTypes[0]"),
        (with("linkTypes", json!([""])), "linkTypes[0]"),
        (with("issueTypes", json!(["Bug", "Bug"])), "issueTypes"),
        (with("summary", json!("issue text")), "summary"),
    ];
    for (body, field) in cases {
        assert_field_error(&app.put("/settings", A_ALICE, &body).await, field);
    }
    assert_eq!(app.snapshot().await, before);
}
