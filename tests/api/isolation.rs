//! User B cannot read, change or delete A's records; installation X cannot see Y's (a 404, never a 403).

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn other_users_and_installations_cannot_touch_a_layout() {
    let app = spawn_app().await;
    let created = app
        .post("/layouts", A_ALICE, &layout_body("alice's map"))
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/layouts/{id}");
    let before = app.snapshot().await;
    let mut update = layout_body("hijacked");
    update["version"] = json!(1);
    for intruder in [A_BOB, B_ALICE] {
        assert_problem(&app.get(&path, intruder).await, 404);
        assert_problem(&app.put(&path, intruder, &update).await, 404);
        assert_problem(&app.delete(&path, intruder).await, 404);
        let list = app.get("/layouts", intruder).await;
        assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    }
    // Only the intruders' installations may have been registered; Alice's layout is untouched.
    let after = app.snapshot().await;
    let layouts_before = before.lines().nth(2).unwrap();
    assert_eq!(after.lines().nth(2).unwrap(), layouts_before);
    assert_eq!(app.get(&path, A_ALICE).await.body["name"], "alice's map");
}

#[tokio::test]
async fn other_users_and_installations_cannot_touch_a_query_or_settings() {
    let app = spawn_app().await;
    let created = app
        .post("/queries", A_ALICE, &query_body("alice's query"))
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/queries/{id}");
    let mut update = query_body("hijacked");
    update["version"] = json!(1);
    let settings = json!({"theme": "dark", "layoutAlgorithm": "radial", "linkTypes": [], "issueTypes": [], "depth": 5, "showResolved": true});
    assert_eq!(app.put("/settings", A_ALICE, &settings).await.status, 200);
    for intruder in [A_BOB, B_ALICE] {
        assert_problem(&app.get(&path, intruder).await, 404);
        assert_problem(&app.put(&path, intruder, &update).await, 404);
        assert_problem(&app.delete(&path, intruder).await, 404);
        assert_eq!(
            app.get("/queries", intruder).await.body["items"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        assert_eq!(app.get("/settings", intruder).await.body["theme"], "auto");
    }
    assert_eq!(app.get(&path, A_ALICE).await.body["name"], "alice's query");
    assert_eq!(app.get("/settings", A_ALICE).await.body["theme"], "dark");
}
