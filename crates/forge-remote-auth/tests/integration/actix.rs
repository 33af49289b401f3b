//! The actix-web extractor: success, 401 that does not say why, 503 with Retry-After, 500 without a validator.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{test, web, App, HttpResponse};
use forge_remote_auth::{
    AppUserToken, FitValidator, ForgeInvocation, HttpKeyStore, HttpKeyStoreConfig, RETRY_AFTER_SECS,
};
use serde_json::{json, Value};

use crate::{b64, fit, key, now, other_key, validation, validator, PRINCIPAL};

async fn handler(fit: ForgeInvocation) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "installation": fit.claims.app.installation_id,
        "system_token_expires": fit.system_token.as_ref().and_then(|t| t.expires_at()),
        "system_token_debug": format!("{:?}", fit.system_token),
        "user_token": fit.user_token.as_ref().map(|t| t.secret().to_owned()),
        "trace": fit.trace.as_ref().map(|t| t.trace_id.clone()),
    }))
}

async fn user_token_only(token: Option<AppUserToken>) -> HttpResponse {
    HttpResponse::Ok().body(token.map(|t| t.secret().to_owned()).unwrap_or_default())
}

macro_rules! app {
    ($validator:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($validator))
                .route("/", web::post().to(handler))
                .route("/user-token", web::get().to(user_token_only)),
        )
        .await
    };
}

fn system_token() -> String {
    format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"RS256"}"#),
        b64(json!({"exp": 1_900_000_000}).to_string())
    )
}

#[actix_web::test]
async fn a_valid_request_yields_claims_tokens_and_trace_ids() {
    let app = app!(validator());
    let req = test::TestRequest::post()
        .uri("/")
        .insert_header(("Authorization", format!("bearer {}", fit().sign(key()))))
        .insert_header(("x-forge-oauth-system", system_token()))
        .insert_header(("x-forge-oauth-user", "user-token"))
        .insert_header(("x-b3-traceid", "a523b7549f0b88c9"))
        .insert_header(("x-b3-spanid", "2a2436c64727923f"))
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(
        body["installation"],
        "ari:cloud:ecosystem::installation/0a3a7799-53ae-4a5b-9e7e-03338980abb5"
    );
    assert_eq!(body["system_token_expires"], 1_900_000_000);
    assert!(!body["system_token_debug"]
        .as_str()
        .unwrap()
        .contains("c2ln"));
    assert_eq!(body["user_token"], "user-token");
    assert_eq!(body["trace"], "a523b7549f0b88c9");
}

#[actix_web::test]
async fn missing_trace_headers_leave_trace_empty() {
    let app = app!(validator());
    let req = test::TestRequest::post()
        .uri("/")
        .insert_header(("Authorization", format!("Bearer {}", fit().sign(key()))))
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(body["trace"], Value::Null);
    assert_eq!(body["user_token"], Value::Null);
}

#[actix_web::test]
async fn every_refusal_is_the_same_opaque_401() {
    let app = app!(validator());
    let t = now();
    let expired = fit().issued_at(t - 500).expires_at(t - 400).sign(key());
    let unknown_kid = fit().sign(other_key());
    let good = fit().sign(key());
    let requests: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no Authorization header", vec![]),
        (
            "expired",
            vec![("Authorization", format!("Bearer {expired}"))],
        ),
        (
            "unknown kid",
            vec![("Authorization", format!("Bearer {unknown_kid}"))],
        ),
        (
            "garbage",
            vec![("Authorization", "Bearer a.b.c".to_owned())],
        ),
        (
            "wrong scheme",
            vec![("Authorization", format!("Basic {good}"))],
        ),
        (
            "malformed system token",
            vec![
                ("Authorization", format!("Bearer {good}")),
                ("x-forge-oauth-system", "a b".into()),
            ],
        ),
    ];
    let mut bodies = Vec::new();
    for (name, headers) in requests {
        let mut req = test::TestRequest::post().uri("/");
        for h in headers {
            req = req.insert_header(h);
        }
        let resp = test::call_service(&app, req.to_request()).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(
            resp.headers().get("www-authenticate").unwrap(),
            "Bearer",
            "{name}"
        );
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/problem+json",
            "{name}"
        );
        let body: Value = test::read_body_json(resp).await;
        for field in ["type", "title", "status", "detail"] {
            assert!(body.get(field).is_some(), "{name}: no {field}");
        }
        assert_eq!(body["status"], 401);
        let text = body.to_string().to_lowercase();
        for secret in [
            "expired",
            "kid",
            "signature",
            "scheme",
            "system",
            PRINCIPAL,
            &good[..20],
        ] {
            assert!(
                !text.contains(&secret.to_lowercase()),
                "{name}: body reveals {secret}"
            );
        }
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every refusal must look the same"
    );
}

#[actix_web::test]
async fn two_authorization_headers_are_refused() {
    let app = app!(validator());
    let token = fit().sign(key());
    let req = test::TestRequest::post()
        .uri("/")
        .append_header(("Authorization", format!("Bearer {token}")))
        .append_header(("Authorization", format!("Bearer {token}")))
        .to_request();
    assert_eq!(
        test::call_service(&app, req).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn keys_that_cannot_be_fetched_give_503_with_retry_after() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/jwks.json",
        listener.local_addr().unwrap().port()
    );
    drop(listener);
    let store = HttpKeyStore::new(HttpKeyStoreConfig::new(url)).unwrap();
    let app = app!(FitValidator::new(validation(), Arc::new(store)));
    let req = test::TestRequest::post()
        .uri("/")
        .insert_header(("Authorization", format!("Bearer {}", fit().sign(key()))))
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        resp.headers().get("retry-after").unwrap(),
        &RETRY_AFTER_SECS.to_string()
    );
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert!(resp.headers().get("www-authenticate").is_none());
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(body["status"], 503);
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "the body does not reveal the JWKS URL"
    );
}

#[actix_web::test]
async fn a_missing_validator_is_a_500() {
    let app = test::init_service(App::new().route("/", web::post().to(handler))).await;
    let req = test::TestRequest::post()
        .uri("/")
        .insert_header(("Authorization", format!("Bearer {}", fit().sign(key()))))
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[actix_web::test]
async fn a_plain_validator_in_app_data_is_found_too() {
    let app = test::init_service(
        App::new()
            .app_data(validator())
            .route("/", web::post().to(handler)),
    )
    .await;
    let req = test::TestRequest::post()
        .uri("/")
        .insert_header(("Authorization", format!("Bearer {}", fit().sign(key()))))
        .to_request();
    assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn the_user_token_extractor_reads_the_header_alone() {
    let app = app!(validator());
    let req = test::TestRequest::get()
        .uri("/user-token")
        .insert_header(("x-forge-oauth-user", "tok"))
        .to_request();
    assert_eq!(test::call_and_read_body(&app, req).await, "tok");
    let req = test::TestRequest::get().uri("/user-token").to_request();
    assert_eq!(test::call_and_read_body(&app, req).await, "");
}
