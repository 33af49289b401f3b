//! `HttpKeyStore` against a real local HTTP server (wiremock).

use std::sync::Arc;
use std::time::{Duration, Instant};

use forge_remote_auth::testing::{jwks_json, TestKey};
use forge_remote_auth::{Error, FitValidator, HttpKeyStore, HttpKeyStoreConfig, KeyStore};
use serde_json::json;
use tokio::task::JoinSet;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{fit, key, other_key, validation};

const JWKS_PATH: &str = "/.well-known/jwks.json";

fn jwks_response(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

async fn serve(server: &MockServer, body: String, expect: u64) {
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(jwks_response(body))
        .expect(expect)
        .mount(server)
        .await;
}

fn config(server: &MockServer) -> HttpKeyStoreConfig {
    HttpKeyStoreConfig::new(format!("{}{JWKS_PATH}", server.uri()))
}

fn validator_for(config: HttpKeyStoreConfig) -> (FitValidator, HttpKeyStore) {
    let store = HttpKeyStore::new(config).unwrap();
    (
        FitValidator::new(validation(), Arc::new(store.clone())),
        store,
    )
}

async fn jwks_requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

/// An address on which nothing listens.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}{JWKS_PATH}")
}

#[tokio::test]
async fn keys_are_fetched_once_and_served_from_the_cache() {
    let server = MockServer::start().await;
    serve(&server, key().jwks_json(), 1).await;
    let (v, _) = validator_for(config(&server));
    for _ in 0..20 {
        v.validate(&fit().sign(key())).await.unwrap();
    }
    // `expect(1)` is verified when the server drops.
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_by_an_unknown_kid_refetch() {
    let server = MockServer::start().await;
    let new_key = other_key();
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(jwks_response(key().jwks_json()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(jwks_response(jwks_json(&[key(), new_key])))
        .expect(1)
        .mount(&server)
        .await;
    let (v, _) = validator_for(config(&server).unknown_kid_cooldown(Duration::from_millis(100)));
    v.validate(&fit().sign(key())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    v.validate(&fit().sign(new_key)).await.unwrap();
    v.validate(&fit().sign(key())).await.unwrap();
    v.validate(&fit().sign(new_key)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_unknown_kids_causes_exactly_one_fetch() {
    let server = MockServer::start().await;
    // One fetch to warm the cache, exactly one more for the whole storm.
    serve(&server, key().jwks_json(), 2).await;
    // The cooldown must outlast the whole storm, or a slow (debug, loaded) run legitimately fetches again.
    let (v, _) = validator_for(config(&server).unknown_kid_cooldown(Duration::from_secs(3)));
    v.validate(&fit().sign(key())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3100)).await; // the cooldown has passed: a refetch is allowed

    let forged = fit().sign(&TestKey::fixed().with_kid("rotated-or-forged"));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..1000 {
        let (v, token) = (v.clone(), forged.clone());
        tasks.spawn(async move { v.validate(&token).await });
    }
    let mut unknown = 0;
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap_err(), Error::UnknownKid);
        unknown += 1;
    }
    assert_eq!(unknown, 1000);
    // Generous for a debug build on a busy machine; a fetch per request (3 s timeout each) would blow far past it.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(jwks_requests(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_storm_of_valid_tokens_shares_one_fetch() {
    let server = MockServer::start().await;
    serve(&server, key().jwks_json(), 1).await;
    let (v, _) = validator_for(config(&server));
    let token = fit().sign(key());
    let mut tasks = JoinSet::new();
    for _ in 0..1000 {
        let (v, token) = (v.clone(), token.clone());
        tasks.spawn(async move { v.validate(&token).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
}

#[tokio::test]
async fn cached_keys_keep_being_served_when_the_endpoint_fails() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(jwks_response(key().jwks_json()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let (v, _) = validator_for(
        config(&server)
            .refresh_interval(Duration::from_secs(1))
            .retry_after_failure(Duration::from_millis(100)),
    );
    v.validate(&fit().sign(key())).await.unwrap();
    assert_eq!(jwks_requests(&server).await, 1);

    // The set is now stale: the next request is still served from it and starts a background refresh, which fails.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    v.validate(&fit().sign(key())).await.unwrap();
    // The refresh runs in the background: wait for it (bounded) rather than guess how long a loaded CI takes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while jwks_requests(&server).await < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        jwks_requests(&server).await,
        2,
        "a background refresh was attempted"
    );
    v.validate(&fit().sign(key())).await.unwrap();

    // A kid we do not know cannot be told apart from a fresh rotation while the endpoint fails: unavailable.
    let e = v.validate(&fit().sign(other_key())).await.unwrap_err();
    assert!(e.is_unavailable(), "{e:?}");

    // And with the server gone entirely, cached keys still answer.
    drop(server);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    v.validate(&fit().sign(key())).await.unwrap();
}

#[tokio::test]
async fn a_slow_endpoint_times_out_quickly_and_fails_closed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(jwks_response(key().jwks_json()).set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let (v, _) = validator_for(config(&server).fetch_timeout(Duration::from_millis(300)));
    let started = Instant::now();
    let e = v.validate(&fit().sign(key())).await.unwrap_err();
    assert!(matches!(e, Error::JwksFetchFailed(_)), "{e:?}");
    assert!(e.is_unavailable());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_cold_start_with_the_endpoint_down_fails_closed() {
    let (v, store) = validator_for(HttpKeyStoreConfig::new(closed_port_url().await));
    let token = fit().sign(key());
    let first = v.validate(&token).await.unwrap_err();
    assert!(matches!(first, Error::JwksFetchFailed(_)), "{first:?}");
    // Right after a failure no new fetch is made: still no keys, still unavailable.
    let second = v.validate(&token).await.unwrap_err();
    assert_eq!(second, Error::NoKeysAvailable);
    assert!(first.is_unavailable() && second.is_unavailable());
    assert!(store.prefetch().await.is_err());
}

#[tokio::test]
async fn keys_with_the_wrong_kty_use_or_alg_are_ignored() {
    let server = MockServer::start().await;
    let good = key().public_jwk();
    let with = |kid: &str, field: &str, value: serde_json::Value| {
        let mut k = good.clone();
        k["kid"] = json!(kid);
        k[field] = value;
        k
    };
    let small = openssl::rsa::Rsa::generate(1024).unwrap();
    let small_jwk = json!({"kty": "RSA", "kid": "small", "n": crate::b64(small.n().to_vec()), "e": crate::b64(small.e().to_vec())});
    let jwks = json!({"keys": [
        good,
        with("enc", "use", json!("enc")),
        with("rs512", "alg", json!("RS512")),
        with("ps256", "alg", json!("PS256")),
        with("ec", "kty", json!("EC")),
        with("no-verify", "key_ops", json!(["encrypt"])),
        small_jwk,
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
    ]});
    // One cold fetch; the unknown-kid cooldown (30 s by default) holds back refetches for the bad kids.
    serve(&server, jwks.to_string(), 1).await;
    let (v, _) = validator_for(config(&server));
    v.validate(&fit().sign(key())).await.unwrap();
    for kid in [
        "enc",
        "rs512",
        "ps256",
        "ec",
        "no-verify",
        "small",
        "broken",
        "hmac",
    ] {
        let token = fit().sign(&TestKey::fixed().with_kid(kid));
        assert_eq!(
            v.validate(&token).await.unwrap_err(),
            Error::UnknownKid,
            "{kid}"
        );
    }
}

#[tokio::test]
async fn a_jwks_without_usable_keys_or_not_json_is_invalid_and_unavailable() {
    for body in [
        "not json".to_owned(),
        json!({"keys": []}).to_string(),
        json!({"nokeys": 1}).to_string(),
    ] {
        let server = MockServer::start().await;
        serve(&server, body, 1).await;
        let (v, _) = validator_for(config(&server));
        let e = v.validate(&fit().sign(key())).await.unwrap_err();
        assert!(
            matches!(e, Error::JwksInvalid(_)) && e.is_unavailable(),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_and_redirects_are_refused() {
    let server = MockServer::start().await;
    serve(
        &server,
        format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(70_000)),
        1,
    )
    .await;
    let (v, _) = validator_for(config(&server));
    assert!(matches!(
        v.validate(&fit().sign(key())).await.unwrap_err(),
        Error::JwksFetchFailed(_)
    ));

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "https://evil.example/jwks.json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (v, _) = validator_for(config(&server));
    let e = v.validate(&fit().sign(key())).await.unwrap_err();
    assert!(
        matches!(&e, Error::JwksFetchFailed(m) if m.contains("302")),
        "{e:?}"
    );
}

#[tokio::test]
async fn isolated_cloud_labels_select_the_templated_jwks() {
    let server = MockServer::start().await;
    serve(&server, other_key().jwks_json(), 1).await; // the ordinary cloud holds another key
    Mock::given(method("GET"))
        .and(path("/ic/orange/jwks.json"))
        .respond_with(jwks_response(key().jwks_json()))
        .expect(1)
        .mount(&server)
        .await;
    let cfg = config(&server)
        .isolated_cloud_template(format!("{}/ic/{{icLabel}}/jwks.json", server.uri()));
    let (v, _) = validator_for(cfg.clone());
    let c = v
        .validate(&fit().ic_label(Some("orange")).sign(key()))
        .await
        .unwrap();
    assert_eq!(c.ic_label.as_deref(), Some("orange"));
    // The Isolated Cloud key does not sign for the ordinary cloud.
    assert_eq!(
        v.validate(&fit().sign(key())).await.unwrap_err(),
        Error::UnknownKid
    );

    let (only_green, _) = validator_for(cfg.allowed_ic_labels(["green"]));
    assert_eq!(
        only_green
            .validate(&fit().ic_label(Some("orange")).sign(key()))
            .await
            .unwrap_err(),
        Error::BadIcLabel
    );

    let (none, store) = validator_for(config(&server));
    assert_eq!(
        none.validate(&fit().ic_label(Some("orange")).sign(key()))
            .await
            .unwrap_err(),
        Error::IsolatedCloudNotConfigured
    );
    // The store re-checks a label itself before putting it in a URL.
    assert_eq!(
        store.verifying_key("k", Some("../x")).await.unwrap_err(),
        Error::IsolatedCloudNotConfigured
    );
}

#[tokio::test]
async fn prefetch_warms_the_cache() {
    let server = MockServer::start().await;
    serve(&server, key().jwks_json(), 1).await;
    let (v, store) = validator_for(config(&server));
    store.prefetch().await.unwrap();
    assert_eq!(jwks_requests(&server).await, 1);
    v.validate(&fit().sign(key())).await.unwrap();
}

#[test]
fn bad_store_configurations_are_refused() {
    for url in [
        "http://example.com/jwks.json",
        "file:///etc/passwd",
        "https://user:pw@host/x",
    ] {
        assert!(
            HttpKeyStore::new(HttpKeyStoreConfig::new(url)).is_err(),
            "{url}"
        );
    }
    assert!(HttpKeyStore::new(HttpKeyStoreConfig::production()).is_ok());
    assert!(HttpKeyStore::new(HttpKeyStoreConfig::staging()).is_ok());
}
