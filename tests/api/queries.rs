use serde_json::json;

use crate::helpers::*;
use crate::layouts::assert_field_error;

#[tokio::test]
async fn a_saved_query_can_be_created_listed_updated_and_deleted() {
    let app = spawn_app().await;
    let created = app
        .post("/queries", A_ALICE, &query_body("Open bugs"))
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["jql"], "project = PRJ AND status != Done");
    assert_eq!(created.body["version"], 1);

    let list = app.get("/queries", A_ALICE).await;
    assert_eq!(list.status, 200, "{}", list.raw);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

    let got = app.get(&format!("/queries/{id}"), A_ALICE).await;
    assert_eq!(got.body, created.body);

    let mut changed = query_body("Open bugs (mine)");
    changed["jql"] = json!("assignee = currentUser()");
    changed["version"] = json!(1);
    let updated = app.put(&format!("/queries/{id}"), A_ALICE, &changed).await;
    assert_eq!(updated.status, 200, "{}", updated.raw);
    assert_eq!(updated.body["jql"], "assignee = currentUser()");
    assert_eq!(updated.body["version"], 2);

    let mut stale = query_body("stale");
    stale["version"] = json!(1);
    assert_problem(
        &app.put(&format!("/queries/{id}"), A_ALICE, &stale).await,
        409,
    );

    assert_eq!(
        app.delete(&format!("/queries/{id}"), A_ALICE).await.status,
        204
    );
    assert_problem(&app.get(&format!("/queries/{id}"), A_ALICE).await, 404);
}

#[tokio::test]
async fn every_query_rule_refuses_a_breaking_input_and_stores_nothing() {
    let app = spawn_app().await;
    // The first call registers the installation; after that a refused request must change nothing.
    assert_eq!(app.get("/queries", A_ALICE).await.status, 200);
    let before = app.snapshot().await;
    let cases = [
        (json!({"name": "", "jql": "a = b"}), "name"),
        (json!({"name": "x".repeat(101), "jql": "a = b"}), "name"),
        (json!({"name": "ok", "jql": ""}), "jql"),
        (json!({"name": "ok", "jql": "x".repeat(4097)}), "jql"),
        (json!({"name": "ok"}), "jql"),
        (json!({"name": "ok", "jql": 7}), "jql"),
        (
            json!({"name": "ok", "jql": "a = b", "summary": "issue text"}),
            "summary",
        ),
        (
            json!({"name": "ok", "jql": "a = b", "version": 1}),
            "version",
        ),
    ];
    for (body, field) in cases {
        assert_field_error(&app.post("/queries", A_ALICE, &body).await, field);
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_jql_of_exactly_4096_bytes_is_accepted() {
    let app = spawn_app().await;
    let jql = format!("text ~ \"{}\"", "é".repeat((4096 - 10) / 2));
    assert!(jql.len() <= 4096);
    let r = app
        .post("/queries", A_ALICE, &json!({"name": "long", "jql": jql}))
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
}

#[tokio::test]
async fn the_query_quota_is_500_per_user() {
    let app = spawn_app().await;
    assert_eq!(
        app.post("/queries", A_ALICE, &query_body("first"))
            .await
            .status,
        201
    );
    let db = app.db().await;
    db.execute(
        "INSERT INTO saved_queries (id, installation_id, account_id, name, jql, version, created_at, updated_at) \
         SELECT gen_random_uuid(), installation_id, account_id, name || g, jql, 1, now(), now() \
         FROM saved_queries, generate_series(2, 500) g",
        &[],
    )
    .await
    .unwrap();
    assert_problem(
        &app.post("/queries", A_ALICE, &query_body("501st")).await,
        409,
    );
    let n: i64 = db
        .query_one("SELECT count(*) FROM saved_queries", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 500);
}
