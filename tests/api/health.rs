use crate::helpers::*;

#[tokio::test]
async fn healthz_answers_without_a_token() {
    let app = spawn_app().await;
    let r = app.call("GET", "/healthz", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
}

#[tokio::test]
async fn health_checks_answer_head_too() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let r = app
            .http
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn readyz_reports_the_database_reachable() {
    let app = spawn_app().await;
    let r = app.call("GET", "/readyz", None, None).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["status"], "ready");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for r in [
        app.call("GET", "/healthz", None, None).await,
        app.call("GET", "/layouts", None, None).await,
        app.call("GET", "/no-such-route", None, None).await,
        app.get("/layouts", A_ALICE).await,
    ] {
        for h in [
            "content-security-policy",
            "strict-transport-security",
            "x-frame-options",
            "x-content-type-options",
            "referrer-policy",
        ] {
            assert!(
                r.headers.contains_key(h),
                "missing {h} on a {} response",
                r.status
            );
        }
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_problem_json() {
    let app = spawn_app().await;
    assert_problem(&app.call("GET", "/no-such-route", None, None).await, 404);
    assert_problem(
        &app.call("PATCH", "/layouts", Some(&token(A_ALICE)), None)
            .await,
        405,
    );
}

#[tokio::test]
async fn a_client_accepting_only_json_gets_problem_details_as_application_json() {
    // Forge's bridge rejects non-2xx answers that are not application/json (FORGE-CONTRACT.md §1.2).
    let app = spawn_app().await;
    for (token, status) in [(Some(token(A_ALICE)), 404), (None, 401)] {
        let mut req = app.http.get(format!(
            "{}/layouts/00000000-0000-4000-8000-000000000000",
            app.address
        ));
        req = req.header("Accept", "application/json");
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["status"], status);
        assert!(body["title"].is_string() && body["detail"].is_string());
    }
    // Without such an Accept header the same errors are application/problem+json.
    assert_problem(
        &app.get("/layouts/00000000-0000-4000-8000-000000000000", A_ALICE)
            .await,
        404,
    );
}
