//! Policy C4: no account ids, tokens, JQL text or issue data in logs.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn logs_never_contain_tokens_account_ids_or_jql() {
    let app = spawn_app().await;
    let jql = "project = LOGLEAKCANARY ORDER BY rank";
    let token = token(A_ALICE);
    let mut layout = layout_body("canary map");
    layout["source"] = json!({"type": "jql", "jql": jql});
    let created = app
        .call("POST", "/layouts", Some(&token), Some(&layout))
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    app.post("/queries", A_BOB, &json!({"name": "q", "jql": jql}))
        .await;
    // Failures log too: a bad token, a broken body, someone else's record.
    app.call(
        "GET",
        "/layouts",
        Some("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"),
        None,
    )
    .await;
    app.call("GET", "/layouts", Some(&format!("{token}x")), None)
        .await;
    app.post(
        "/layouts",
        A_ALICE,
        &json!({"name": jql, "summary": "issue text LOGLEAKCANARY"}),
    )
    .await;
    let id = created.body["id"].as_str().unwrap();
    app.get(&format!("/layouts/{id}"), A_BOB).await;

    let logs = captured_logs();
    assert!(
        logs.contains("request served"),
        "the server logged nothing; the check below would be vacuous"
    );
    for secret in [
        ALICE,
        BOB,
        "LOGLEAKCANARY",
        &token[..40],
        &token[token.len() - 40..],
    ] {
        if let Some(at) = logs.find(secret) {
            let line_start = logs[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = logs[at..].find('\n').map_or(logs.len(), |i| at + i);
            panic!(
                "the logs contain `{secret}`: {}",
                &logs[line_start..line_end]
            );
        }
    }
}
