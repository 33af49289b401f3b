//! Forge lifecycle: installed/upgraded events register the installation (idempotently, from the FIT), and
//! pre-uninstall deletes everything of the installation in every table (policy D1).

use serde_json::json;

use crate::helpers::*;

const A_UUID: &str = "0a3a7799-53ae-4a5b-9e7e-03338980abb5";
const B_UUID: &str = "11111111-2222-4333-8444-555555555555";

async fn installation_rows(app: &TestApp) -> Vec<(String, String)> {
    app.db()
        .await
        .query(
            "SELECT installation_id, updated_at::text FROM installations ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn installed_event_registers_the_fit_installation_once_and_tolerates_both_body_forms() {
    let app = spawn_app().await;
    let fit = app_token(INSTALLATION_A);
    // The body names another installation and carries unknown fields: the FIT decides.
    let flat = json!({
        "eventType": "avi:forge:installed:app", "id": B_UUID, "installerAccountId": BOB,
        "app": {"id": "x", "version": "1.0.0", "somethingNew": true}, "context": "ari:cloud:jira::site/abc",
        "environment": {"id": "e"}, "futureField": [1, 2]
    });
    let r = app
        .call("POST", "/forge/events", Some(&fit), Some(&flat))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["status"], "registered");
    let first = installation_rows(&app).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].0, INSTALLATION_A);

    // Forge retries: the same event again has no further effect.
    let again = app
        .call("POST", "/forge/events", Some(&fit), Some(&flat))
        .await;
    assert_eq!(again.status, 200, "{}", again.raw);
    assert_eq!(installation_rows(&app).await, first);

    // Wrapped form, upgraded event, with a retry context.
    let wrapped = json!({"payload": {"eventType": "avi:forge:upgraded:app", "id": A_UUID, "app": {"version": "2"}},
                         "retryContext": {"retryCount": 1, "retryReason": "TIMEOUT_ERROR", "retryData": null}});
    let r = app
        .call("POST", "/forge/events", Some(&fit), Some(&wrapped))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["status"], "registered");
    assert_eq!(installation_rows(&app).await, first);

    // Other events are acknowledged and ignored; garbage is a 400; no token is a 401.
    let r = app
        .call(
            "POST",
            "/forge/events",
            Some(&fit),
            Some(&json!({"eventType": "avi:jira:created:issue"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("ignored"))
    );
    let r = app
        .call_raw(
            "POST",
            "/forge/events",
            Some(&fit),
            Some("application/json"),
            b"{not json".to_vec(),
        )
        .await;
    assert_problem(&r, 400);
    let r = app.call("POST", "/forge/events", None, Some(&flat)).await;
    assert_eq!(r.status, 401);
    assert_eq!(installation_rows(&app).await.len(), 1);
}

#[tokio::test]
async fn an_event_answers_well_within_forges_five_seconds() {
    let app = spawn_app().await;
    let started = std::time::Instant::now();
    let r = app
        .call(
            "POST",
            "/forge/events",
            Some(&app_token(INSTALLATION_A)),
            Some(&json!({"eventType": "avi:forge:installed:app"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

/// Seeds the reconciliation tables for an installation so the purge must reach them too.
pub async fn seed_reporting_rows(app: &TestApp, installation: &str, account: &str) {
    let db = app.db().await;
    db.execute(
        "INSERT INTO account_reporting (installation_id, account_id, last_reported_at, next_due_at, last_status) \
         VALUES ($1, $2, now(), now() + interval '7 days', 'reported')",
        &[&installation, &account],
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO reconciliation_runs (installation_id, state, finished_at) VALUES ($1, 'completed', now())",
        &[&installation],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn pre_uninstall_leaves_no_row_of_the_installation_in_any_table() {
    let app = spawn_app().await;
    app.populate(A_ALICE, "AALICE").await;
    app.populate(A_BOB, "ABOB").await;
    app.populate(B_ALICE, "BALICE").await;
    seed_reporting_rows(&app, INSTALLATION_A, ALICE).await;
    seed_reporting_rows(&app, INSTALLATION_B, ALICE).await;

    let before = app.rows_mentioning(A_UUID).await;
    // The check below is not vacuous: every table that can hold installation data holds some of A's now.
    for t in [
        "installations",
        "accounts",
        "layouts",
        "saved_queries",
        "display_settings",
        "account_reporting",
        "reconciliation_runs",
    ] {
        let n = before.iter().find(|(name, _)| name == t).map(|(_, n)| *n);
        assert!(
            n.unwrap_or(0) > 0,
            "{t} holds nothing of A before the purge"
        );
    }
    let b_before = app.rows_mentioning(B_UUID).await;

    let r = app
        .call(
            "POST",
            "/forge/pre-uninstall",
            Some(&app_token(INSTALLATION_A)),
            Some(&json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["deleted"]["installations"], 1);
    assert_eq!(r.body["deleted"]["accounts"], 2);
    assert_eq!(r.body["deleted"]["layouts"], 4);
    assert_eq!(r.body["deleted"]["queries"], 2);
    assert_eq!(r.body["deleted"]["settings"], 2);

    // Every table of the schema, including any added later: nothing mentions installation A any more.
    for (table, n) in app.rows_mentioning(A_UUID).await {
        assert_eq!(
            n, 0,
            "table {table} still holds {n} row(s) of the uninstalled installation"
        );
    }
    // Installation B is untouched.
    assert_eq!(app.rows_mentioning(B_UUID).await, b_before);

    // A repeat is a no-op 2xx.
    let again = app
        .call(
            "POST",
            "/forge/pre-uninstall",
            Some(&app_token(INSTALLATION_A)),
            None,
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.raw);
    assert_eq!(again.body["deleted"]["installations"], 0);
    assert_eq!(again.body["deleted"]["accounts"], 0);

    // The instance forgot the installation: a reinstall works (its registration is recorded again).
    let r = app
        .post("/layouts", A_ALICE, &layout_body("after reinstall"))
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
}

#[tokio::test]
async fn every_installation_table_cascades_from_installations() {
    // The schema rule behind a one-statement purge: each foreign key from a table with an installation column
    // leads (directly or through accounts) to installations, with ON DELETE CASCADE.
    let app = spawn_app().await;
    let db = app.db().await;
    let rows = db
        .query(
            "SELECT c.table_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema \
             WHERE c.table_schema = 'public' AND c.column_name = 'installation_id' AND t.table_type = 'BASE TABLE' \
             AND c.table_name <> 'installations' \
             AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                 JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name \
                 WHERE tc.table_name = c.table_name AND tc.constraint_type = 'FOREIGN KEY' \
                 AND rc.delete_rule = 'CASCADE')",
            &[],
        )
        .await
        .unwrap();
    let missing: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert!(
        missing.is_empty(),
        "tables without a cascading foreign key: {missing:?}"
    );
}
