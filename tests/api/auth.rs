//! Every user route needs a valid FIT; who the caller is comes only from it (policy U1, U2).

use serde_json::json;

use crate::helpers::*;

const USER_ROUTES: &[(&str, &str)] = &[
    ("GET", "/layouts"),
    ("POST", "/layouts"),
    ("GET", "/layouts/00000000-0000-4000-8000-000000000000"),
    ("PUT", "/layouts/00000000-0000-4000-8000-000000000000"),
    ("DELETE", "/layouts/00000000-0000-4000-8000-000000000000"),
    ("GET", "/queries"),
    ("POST", "/queries"),
    ("PUT", "/queries/00000000-0000-4000-8000-000000000000"),
    ("DELETE", "/queries/00000000-0000-4000-8000-000000000000"),
    ("GET", "/settings"),
    ("PUT", "/settings"),
    ("GET", "/me/data"),
    ("DELETE", "/me/data"),
];

/// Lifecycle and trigger routes: a FIT without a principal is fine there, a missing or bad one is not.
const APP_ROUTES: &[(&str, &str)] = &[
    ("POST", "/forge/events"),
    ("POST", "/forge/pre-uninstall"),
    ("POST", "/forge/scheduled/daily"),
];

#[tokio::test]
async fn every_user_route_refuses_a_missing_or_bad_token_with_401() {
    let app = spawn_app().await;
    let wrong_app = sign(
        builder(A_ALICE).app_id("ari:cloud:ecosystem::app/00000000-1111-4222-8333-444444444444"),
    );
    let an_hour_ago = unix_now() - 3600;
    let expired = sign(builder(A_ALICE).issued_at(an_hour_ago));
    for (method, path) in USER_ROUTES.iter().chain(APP_ROUTES) {
        for token in [
            None,
            Some("not-a-jwt"),
            Some(wrong_app.as_str()),
            Some(expired.as_str()),
        ] {
            let r = app.call(method, path, token, Some(&layout_body("x"))).await;
            let body = assert_problem(&r, 401);
            assert!(
                r.headers
                    .get("www-authenticate")
                    .is_some_and(|v| v.to_str().unwrap().starts_with("Bearer")),
                "{method} {path}: no Bearer challenge"
            );
            // The body must not reveal why the token was refused.
            let text = body.to_string().to_lowercase();
            for leak in ["expired", "audience", "signature", "kid", "aud"] {
                assert!(
                    !text.contains(leak),
                    "{method} {path} leaks `{leak}`: {text}"
                );
            }
        }
    }
    assert_eq!(
        app.row_counts()
            .await
            .iter()
            // The migration's own key row is schema, not data.
            .filter(|(t, _)| t != "privacy_keys")
            .map(|(_, n)| n)
            .sum::<i64>(),
        0,
        "a refused call stored something"
    );
}

#[tokio::test]
async fn a_trigger_invocation_without_principal_gets_403_on_user_routes() {
    let app = spawn_app().await;
    let trigger = sign(builder(A_ALICE).principal(None).without_context());
    for (method, path) in USER_ROUTES {
        let r = app
            .call(method, path, Some(&trigger), Some(&layout_body("x")))
            .await;
        assert_problem(&r, 403);
    }
}

#[tokio::test]
async fn the_anonymous_principal_is_refused_and_never_stored() {
    let app = spawn_app().await;
    let anonymous = sign(builder(A_ALICE).principal(Some("unknown")));
    let r = app
        .call(
            "POST",
            "/layouts",
            Some(&anonymous),
            Some(&layout_body("x")),
        )
        .await;
    assert_problem(&r, 403);
    let db = app.db().await;
    let n: i64 = db
        .query_one("SELECT count(*) FROM accounts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn ids_in_the_body_or_query_are_never_trusted() {
    let app = spawn_app().await;
    // An owner smuggled into the body is refused as an unknown field...
    let mut body = layout_body("mine");
    body["accountId"] = json!(BOB);
    assert_problem(&app.post("/layouts", A_ALICE, &body).await, 422);
    // ...and one in the query string is ignored: Alice still sees only her own records.
    let created = app.post("/layouts", A_ALICE, &layout_body("alice's")).await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let r = app
        .get(
            &format!("/layouts?accountId={ALICE}&installationId={INSTALLATION_B}"),
            A_BOB,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_first_call_registers_the_installation_from_the_token() {
    let app = spawn_app().await;
    let r = app.get("/layouts", A_ALICE).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let db = app.db().await;
    let row = db
        .query_one(
            "SELECT installation_id, cloud_id, api_base_url FROM installations",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), INSTALLATION_A);
    assert_eq!(
        row.get::<_, Option<String>>(1).as_deref(),
        Some("d0d52620-3203-4cfa-8db5-f2587155f0dd")
    );
    assert_eq!(
        row.get::<_, String>(2),
        "https://api.atlassian.com/ex/jira/d0d52620-3203-4cfa-8db5-f2587155f0dd"
    );
    // A read stores no account id: only writes create user data.
    let n: i64 = db
        .query_one("SELECT count(*) FROM accounts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}
