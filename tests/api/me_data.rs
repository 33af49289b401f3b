//! The caller's own data rights: `GET /me/data` exports everything (R1), `DELETE /me/data` erases it (R3, D3).

use crate::helpers::*;

#[tokio::test]
async fn export_holds_everything_the_caller_created_and_nothing_of_anyone_else() {
    let app = spawn_app().await;
    let (layouts, queries) = app.populate(A_ALICE, "ALICEMINE").await;
    app.populate(A_BOB, "BOBSECRET").await;
    app.populate(B_ALICE, "OTHERINSTALL").await;

    let r = app.get("/me/data", A_ALICE).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let disposition = r.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"linkmap-data-")
            && disposition.ends_with(".json\""),
        "{disposition}"
    );
    assert!(!disposition.contains(ALICE));
    let doc = &r.body;
    assert_eq!(doc["accountId"], ALICE);
    assert_eq!(doc["installationId"], INSTALLATION_A);
    assert!(doc["firstStoredAt"].is_string() && doc["exportedAt"].is_string());
    let mut got: Vec<&str> = doc["layouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want: Vec<&str> = layouts.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(got, want);
    // Full layouts: every node, viewport, timestamps.
    for l in doc["layouts"].as_array().unwrap() {
        assert_eq!(l["nodes"].as_array().unwrap().len(), 2);
        assert!(l["viewport"].is_object() && l["createdAt"].is_string());
        // Each matches what the API serves.
        let served = app
            .get(&format!("/layouts/{}", l["id"].as_str().unwrap()), A_ALICE)
            .await;
        assert_eq!(&served.body, l);
    }
    assert_eq!(doc["queries"].as_array().unwrap().len(), 1);
    assert_eq!(doc["queries"][0]["id"], queries[0].as_str());
    assert_eq!(doc["queries"][0]["jql"], "project = ALICEMINE");
    assert_eq!(doc["settings"]["settings"]["theme"], "dark");
    assert!(doc["settings"]["updatedAt"].is_string());
    // Nothing of Bob, nothing of Alice's other installation.
    for foreign in [BOB, "BOBSECRET", "OTHERINSTALL", INSTALLATION_B] {
        assert!(!r.raw.contains(foreign), "the export contains {foreign}");
    }
}

#[tokio::test]
async fn export_of_a_user_without_data_is_an_empty_document() {
    let app = spawn_app().await;
    let r = app.get("/me/data", A_BOB).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["accountId"], BOB);
    assert!(r.body["firstStoredAt"].is_null());
    assert_eq!(r.body["layouts"].as_array().unwrap().len(), 0);
    assert!(r.body["settings"].is_null());
    // Reading stored nothing about Bob.
    let n: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM accounts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn erase_deletes_only_the_callers_data_answers_counts_and_a_repeat_answers_zeros() {
    let app = spawn_app().await;
    app.populate(A_ALICE, "ALICE").await;
    app.populate(A_BOB, "BOB").await;
    app.populate(B_ALICE, "BALICE").await;
    let others_before = (
        app.rows_mentioning(BOB).await,
        app.rows_mentioning(INSTALLATION_B).await,
    );

    let r = app.delete("/me/data", A_ALICE).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let d = &r.body["deleted"];
    assert_eq!(
        (
            d["accounts"].as_u64(),
            d["layouts"].as_u64(),
            d["queries"].as_u64(),
            d["settings"].as_u64()
        ),
        (Some(1), Some(2), Some(1), Some(1))
    );
    // Alice's data in A is gone from every table ...
    let db = app.db().await;
    let left: i64 = db
        .query_one(
            "SELECT (SELECT count(*) FROM accounts WHERE installation_id = $1 AND account_id = $2) \
             + (SELECT count(*) FROM layouts WHERE installation_id = $1 AND account_id = $2) \
             + (SELECT count(*) FROM saved_queries WHERE installation_id = $1 AND account_id = $2) \
             + (SELECT count(*) FROM display_settings WHERE installation_id = $1 AND account_id = $2)",
            &[&INSTALLATION_A, &ALICE],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    // ... and nobody else's changed.
    assert_eq!(
        (
            app.rows_mentioning(BOB).await,
            app.rows_mentioning(INSTALLATION_B).await
        ),
        others_before
    );
    assert_eq!(
        app.get("/layouts", A_ALICE).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let again = app.delete("/me/data", A_ALICE).await;
    assert_eq!(again.status, 200, "{}", again.raw);
    for k in [
        "installations",
        "accounts",
        "layouts",
        "queries",
        "settings",
    ] {
        assert_eq!(again.body["deleted"][k], 0, "{k}");
    }
}

#[tokio::test]
async fn me_data_needs_a_user() {
    let app = spawn_app().await;
    let fit = app_token(INSTALLATION_A);
    assert_problem(&app.call("GET", "/me/data", Some(&fit), None).await, 403);
    assert_problem(&app.call("DELETE", "/me/data", Some(&fit), None).await, 403);
    assert_eq!(app.call("GET", "/me/data", None, None).await.status, 401);
}
