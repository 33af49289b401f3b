//! Policies N1 and N3: the stored schema has room for nothing but account ids, installation data and users'
//! configuration. Every column of every table is listed here; a new column fails this test until someone adds it
//! below and checks it against the policy.

use crate::helpers::*;

const ALLOWED: &[(&str, &str)] = &[
    ("account_reporting", "account_id"),
    ("account_reporting", "installation_id"),
    ("account_reporting", "last_reported_at"),
    ("account_reporting", "last_status"),
    ("account_reporting", "next_due_at"),
    ("accounts", "account_id"),
    ("accounts", "first_stored_at"),
    ("accounts", "installation_id"),
    ("audit_log", "account_hash"),
    ("audit_log", "action"),
    ("audit_log", "at"),
    ("audit_log", "counts"),
    ("audit_log", "id"),
    ("audit_log", "installation_hash"),
    ("audit_log", "operator"),
    ("audit_log", "reason"),
    ("closed_accounts", "account_hash"),
    ("closed_accounts", "closed_at"),
    // Policy A2/C2 (Connect instance authentication data): client key, base URL, public key (only if sent;
    // deprecated but listed by A2). display_url/product_type describe the same instance (no personal data);
    // payload_installation/cloud_id/installation_id are the Forge installation data C2 allows, used to link the
    // two sides for D1. last_event_iat orders lifecycle callbacks. No shared secret column (C2: not needed).
    ("connect_instances", "base_url"),
    ("connect_instances", "client_key"),
    ("connect_instances", "cloud_id"),
    ("connect_instances", "created_at"),
    ("connect_instances", "display_url"),
    ("connect_instances", "installation_id"),
    ("connect_instances", "last_event_iat"),
    ("connect_instances", "payload_installation"),
    ("connect_instances", "product_type"),
    ("connect_instances", "public_key"),
    ("connect_instances", "updated_at"),
    // Ordering state that outlives an uninstall: a keyed hash of the client key (not instance data), the last
    // event and its token time; pruned a day after an uninstall.
    ("connect_lifecycle", "client_key_hash"),
    ("connect_lifecycle", "last_event"),
    ("connect_lifecycle", "last_event_iat"),
    ("connect_lifecycle", "updated_at"),
    ("display_settings", "account_id"),
    ("display_settings", "installation_id"),
    ("display_settings", "settings"),
    ("display_settings", "updated_at"),
    ("installations", "api_base_url"),
    ("installations", "cloud_id"),
    ("installations", "created_at"),
    ("installations", "installation_id"),
    // The FIT's context.siteUrl (https://<site>): installation data (C2) that links a Connect instance by site.
    ("installations", "site_url"),
    ("installations", "updated_at"),
    ("layouts", "account_id"),
    ("layouts", "body"),
    ("layouts", "created_at"),
    ("layouts", "id"),
    ("layouts", "installation_id"),
    ("layouts", "name"),
    ("layouts", "node_count"),
    ("layouts", "source"),
    ("layouts", "updated_at"),
    ("layouts", "version"),
    ("privacy_keys", "id"),
    ("privacy_keys", "tombstone_key"),
    ("reconciliation_runs", "closed"),
    ("reconciliation_runs", "finished_at"),
    ("reconciliation_runs", "id"),
    ("reconciliation_runs", "installation_id"),
    ("reconciliation_runs", "reported"),
    ("reconciliation_runs", "requests"),
    ("reconciliation_runs", "started_at"),
    ("reconciliation_runs", "state"),
    ("reconciliation_runs", "stop_reason"),
    ("reconciliation_runs", "updated"),
    ("saved_queries", "account_id"),
    ("saved_queries", "created_at"),
    ("saved_queries", "id"),
    ("saved_queries", "installation_id"),
    ("saved_queries", "jql"),
    ("saved_queries", "name"),
    ("saved_queries", "updated_at"),
    ("saved_queries", "version"),
];

#[tokio::test]
async fn the_schema_holds_only_the_columns_the_policy_allows() {
    let app = spawn_app().await;
    let db = app.db().await;
    let rows = db
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> 'refinery_schema_history' ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap();
    let found: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let allowed: Vec<(String, String)> = ALLOWED
        .iter()
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .collect();
    assert_eq!(
        found, allowed,
        "the stored schema changed: review the new columns against POLICY.md (N1, N3, C1-C3)"
    );
}

#[tokio::test]
async fn a_layout_document_with_issue_content_is_refused_by_the_database_itself() {
    // Defence in depth: even a bug that skipped linkmap-core's validation cannot store issue text in a layout.
    let app = spawn_app().await;
    assert_eq!(
        app.post("/layouts", A_ALICE, &layout_body("x"))
            .await
            .status,
        201
    );
    let db = app.db().await;
    for body in [
        r#"{"nodes":[],"viewport":{"x":0,"y":0,"zoom":1},"summary":"issue text"}"#,
        r#"{"nodes":[{"issueId":"1","x":0,"y":0,"pinned":false,"summary":"issue text"}],"viewport":{"x":0,"y":0,"zoom":1}}"#,
    ] {
        let e = db
            .execute(&format!("UPDATE layouts SET body = '{body}'::jsonb"), &[])
            .await
            .unwrap_err();
        assert_eq!(
            e.code(),
            Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION),
            "{e}"
        );
    }
    let e = db
        .execute(r#"UPDATE layouts SET source = '{"type":"jql","jql":"x","description":"issue text"}'::jsonb"#, &[])
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION),
        "{e}"
    );
}
