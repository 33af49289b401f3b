//! Atlassian Connect: the bad-token table for Connect JWTs and signed installs, the spoofing cases of issue 5,
//! and `HttpInstallKeyStore` against a local HTTP server (wiremock).

use std::sync::Arc;
use std::time::Duration;

use forge_remote_auth::connect::{
    ConnectJwtVerifier, ConnectRequest, ConnectValidation, HttpInstallKeyStore,
    HttpInstallKeyStoreConfig, InstallKeyStore, QshMode, SharedSecret, SharedSecretLookup,
    SignedInstallVerifier, StaticInstallKeyStore,
};
use forge_remote_auth::testing::{
    sign_hs256_raw, ConnectTokenBuilder, TestKey, TEST_CLIENT_KEY, TEST_SHARED_SECRET,
};
use forge_remote_auth::{Error, TokenPart};
use serde_json::json;
use tokio::task::JoinSet;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{b64, now, segments};

const BASE_URL: &str = "https://linkmap.example.com/jira-app";
const BASE_PATH: &str = "/jira-app";

fn validation() -> ConnectValidation {
    ConnectValidation::new(BASE_URL).unwrap()
}

fn request() -> ConnectRequest {
    ConnectRequest::from_raw_query("GET", "/jira-app/rest/maps", "projectKey=PROJ&b=x+y")
}

fn installed() -> ConnectRequest {
    ConnectRequest::new(
        "POST",
        "/jira-app/connect/installed",
        [] as [(&str, &str); 0],
    )
}

fn jwt() -> ConnectTokenBuilder {
    ConnectTokenBuilder::connect_jwt(TEST_CLIENT_KEY, &request(), BASE_PATH)
}

fn install() -> ConnectTokenBuilder {
    ConnectTokenBuilder::signed_install(TEST_CLIENT_KEY, BASE_URL, &installed())
}

fn secret() -> SharedSecret {
    SharedSecret::new(TEST_SHARED_SECRET)
}

fn hs(b: ConnectTokenBuilder) -> String {
    b.sign_hs256(TEST_SHARED_SECRET.as_bytes())
}

fn verify_hs(token: &str, mode: QshMode) -> Result<(), Error> {
    ConnectJwtVerifier::new(validation().app_key("com.example.linkmap"))
        .verify(token, TEST_CLIENT_KEY, &secret(), &request(), mode)
        .map(|_| ())
}

fn install_key() -> &'static TestKey {
    static KEY: std::sync::OnceLock<TestKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| TestKey::fixed().with_kid("connect/test-install-1"))
}

async fn verify_install(token: &str, body_client_key: &str) -> Result<(), Error> {
    SignedInstallVerifier::new(
        validation(),
        Arc::new(StaticInstallKeyStore::from_test_key(install_key())),
    )
    .verify(token, body_client_key, &installed())
    .await
    .map(|_| ())
}

#[test]
fn good_connect_jwts_are_accepted() {
    verify_hs(&hs(jwt()), QshMode::Computed).unwrap();
    verify_hs(&hs(jwt()), QshMode::ContextAllowed).unwrap();
    verify_hs(&hs(jwt().context_qsh()), QshMode::ContextAllowed).unwrap();
    // ACE session token: iss = app key, aud = [client key].
    verify_hs(
        &hs(jwt()
            .claim("iss", json!("com.example.linkmap"))
            .claim("aud", json!([TEST_CLIENT_KEY]))),
        QshMode::Computed,
    )
    .unwrap();
    let claims = ConnectJwtVerifier::new(validation())
        .verify(
            &hs(jwt().claim("context", json!({"user": {"accountId": "acc-1"}}))),
            TEST_CLIENT_KEY,
            &secret(),
            &request(),
            QshMode::Computed,
        )
        .unwrap();
    assert_eq!(claims.user_account_id(), Some("acc-1"));
    assert!(!format!("{claims:?}").contains("557058"), "sub is redacted");
}

/// Each breaks one rule and must give exactly this error.
#[test]
fn every_bad_connect_jwt_is_refused_with_its_exact_error() {
    let good = hs(jwt());
    let s = segments(&good);
    let payload = jwt().payload_json();
    let raw = |header: &str, payload: &str| {
        sign_hs256_raw(header, payload, TEST_SHARED_SECRET.as_bytes())
    };
    let spliced = format!("{},\"exp\":1}}", payload.strip_suffix('}').unwrap());
    let cases: Vec<(&str, String, QshMode, Error)> = vec![
        (
            "too large",
            "a".repeat(9000),
            QshMode::Computed,
            Error::TokenTooLarge {
                len: 9000,
                max: 8192,
            },
        ),
        (
            "two segments",
            format!("{}.{}", s[0], s[1]),
            QshMode::Computed,
            Error::MalformedToken("not three segments"),
        ),
        (
            "empty signature",
            format!("{}.{}.", s[0], s[1]),
            QshMode::Computed,
            Error::MalformedToken("empty segment"),
        ),
        (
            "padded header",
            format!("{}=.{}.{}", s[0], s[1], s[2]),
            QshMode::Computed,
            Error::BadBase64(TokenPart::Header),
        ),
        (
            "standard-alphabet signature",
            format!(
                "{}.{}.{}",
                s[0],
                s[1],
                s[2].replace('-', "+").replace('_', "/") + "+"
            ),
            QshMode::Computed,
            Error::BadBase64(TokenPart::Signature),
        ),
        (
            "alg none",
            format!("{}.{}.{}", b64(r#"{"alg":"none"}"#), s[1], s[2]),
            QshMode::Computed,
            Error::AlgorithmNotHs256,
        ),
        (
            "alg RS256",
            raw(r#"{"alg":"RS256"}"#, &payload),
            QshMode::Computed,
            Error::AlgorithmNotHs256,
        ),
        (
            "alg HS512",
            raw(r#"{"alg":"HS512"}"#, &payload),
            QshMode::Computed,
            Error::AlgorithmNotHs256,
        ),
        (
            "alg missing",
            raw(r#"{"typ":"JWT"}"#, &payload),
            QshMode::Computed,
            Error::MalformedHeader("alg"),
        ),
        (
            "alg not a string",
            raw(r#"{"alg":1}"#, &payload),
            QshMode::Computed,
            Error::MalformedHeader("alg"),
        ),
        (
            "crit",
            raw(r#"{"alg":"HS256","crit":["x"]}"#, &payload),
            QshMode::Computed,
            Error::CritHeader,
        ),
        (
            "duplicate header member",
            raw(r#"{"alg":"HS256","alg":"HS256"}"#, &payload),
            QshMode::Computed,
            Error::DuplicateJsonMember(TokenPart::Header),
        ),
        (
            "duplicate claim",
            raw(r#"{"alg":"HS256"}"#, &spliced),
            QshMode::Computed,
            Error::DuplicateJsonMember(TokenPart::Payload),
        ),
        (
            "payload not JSON",
            raw(r#"{"alg":"HS256"}"#, "not json"),
            QshMode::Computed,
            Error::InvalidJson(TokenPart::Payload),
        ),
        (
            "payload an array",
            raw(r#"{"alg":"HS256"}"#, "[]"),
            QshMode::Computed,
            Error::MalformedToken("a segment is not a JSON object"),
        ),
        (
            "no iss",
            hs(jwt().remove_claim("iss")),
            QshMode::Computed,
            Error::MissingClaim("iss"),
        ),
        (
            "iss a number",
            hs(jwt().claim("iss", json!(1))),
            QshMode::Computed,
            Error::ClaimWrongType("iss"),
        ),
        (
            "no exp",
            hs(jwt().remove_claim("exp")),
            QshMode::Computed,
            Error::MissingClaim("exp"),
        ),
        (
            "exp a string",
            hs(jwt().claim("exp", json!("4102444800"))),
            QshMode::Computed,
            Error::ClaimWrongType("exp"),
        ),
        (
            "exp a float",
            hs(jwt().claim("exp", json!(4102444800.0))),
            QshMode::Computed,
            Error::ClaimWrongType("exp"),
        ),
        (
            "no qsh",
            hs(jwt().remove_claim("qsh")),
            QshMode::Computed,
            Error::MissingClaim("qsh"),
        ),
        (
            "aud an object",
            hs(jwt().claim("aud", json!({}))),
            QshMode::Computed,
            Error::ClaimWrongType("aud"),
        ),
        (
            "context a string",
            hs(jwt().claim("context", json!("x"))),
            QshMode::Computed,
            Error::ClaimWrongType("context"),
        ),
        (
            "iss another client key",
            hs(jwt().claim("iss", json!("other"))),
            QshMode::Computed,
            Error::ClientKeyMismatch,
        ),
        (
            "aud another client key",
            hs(jwt().claim("aud", json!(["other"]))),
            QshMode::Computed,
            Error::ClientKeyMismatch,
        ),
        (
            "aud ok, iss a stranger",
            hs(jwt()
                .claim("iss", json!("stranger"))
                .claim("aud", json!([TEST_CLIENT_KEY]))),
            QshMode::Computed,
            Error::ClientKeyMismatch,
        ),
        (
            "made-up secret",
            jwt().sign_hs256(b"made-up"),
            QshMode::Computed,
            Error::BadSignature,
        ),
        (
            "truncated signature",
            format!("{}.{}.{}", s[0], s[1], &s[2][..20]),
            QshMode::Computed,
            Error::BadSignature,
        ),
        (
            "expired",
            hs(jwt()
                .claim("iat", json!(now() - 600))
                .expires_at(now() - 60)),
            QshMode::Computed,
            Error::Expired,
        ),
        (
            "issued in the future",
            hs(jwt()
                .claim("iat", json!(now() + 600))
                .expires_at(now() + 900)),
            QshMode::Computed,
            Error::IssuedInFuture,
        ),
        (
            "not yet valid",
            hs(jwt().claim("nbf", json!(now() + 600))),
            QshMode::Computed,
            Error::NotYetValid,
        ),
        (
            "qsh of another request",
            hs(ConnectTokenBuilder::connect_jwt(
                TEST_CLIENT_KEY,
                &installed(),
                BASE_PATH,
            )),
            QshMode::Computed,
            Error::QshMismatch,
        ),
        (
            "qsh computed without the base path",
            hs(ConnectTokenBuilder::connect_jwt(
                TEST_CLIENT_KEY,
                &request(),
                "",
            )),
            QshMode::Computed,
            Error::QshMismatch,
        ),
        (
            "context-qsh on a computed route",
            hs(jwt().context_qsh()),
            QshMode::Computed,
            Error::ContextQshNotAllowed,
        ),
        (
            "garbage qsh on a context route",
            hs(jwt().claim("qsh", json!("x"))),
            QshMode::ContextAllowed,
            Error::QshMismatch,
        ),
    ];
    let mut failures = Vec::new();
    for (name, token, mode, want) in &cases {
        match verify_hs(token, *mode) {
            Err(got) if got == *want => assert!(got.is_invalid_token(), "{name}"),
            other => failures.push(format!("{name}: got {other:?}, want {want:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn spoofing_connect_jwts() {
    let v = ConnectJwtVerifier::new(validation());
    // No Authorization, or another scheme.
    for header in ["", "Bearer x.y.z", "JWT", "JWT  x"] {
        assert_eq!(
            v.verify_authorization(
                header,
                TEST_CLIENT_KEY,
                &secret(),
                &request(),
                QshMode::Computed
            )
            .unwrap_err(),
            Error::MalformedJwtAuthorization
        );
    }
    // HS256 signed with a made-up secret.
    assert_eq!(
        v.verify(
            &jwt().sign_hs256(b"guess"),
            TEST_CLIENT_KEY,
            &secret(),
            &request(),
            QshMode::Computed
        )
        .unwrap_err(),
        Error::BadSignature
    );
    // An empty stored secret verifies nothing.
    assert_eq!(
        v.verify(
            &jwt().sign_hs256(b"x"),
            TEST_CLIENT_KEY,
            &SharedSecret::new(""),
            &request(),
            QshMode::Computed
        )
        .unwrap_err(),
        Error::UnknownClientKey
    );
}

struct Secrets(Option<Result<SharedSecret, Error>>);

#[async_trait::async_trait]
impl SharedSecretLookup for Secrets {
    async fn shared_secret(&self, client_key: &str) -> Result<Option<SharedSecret>, Error> {
        assert_eq!(client_key, TEST_CLIENT_KEY);
        self.0.clone().transpose()
    }
}

#[tokio::test]
async fn secret_lookup_outcomes() {
    let v = ConnectJwtVerifier::new(validation());
    let token = hs(jwt());
    let found = Secrets(Some(Ok(secret())));
    v.verify_with_lookup(&token, &found, &request(), QshMode::Computed)
        .await
        .unwrap();
    let unknown = Secrets(None);
    assert_eq!(
        v.verify_with_lookup(&token, &unknown, &request(), QshMode::Computed)
            .await
            .unwrap_err(),
        Error::UnknownClientKey
    );
    let down = Secrets(Some(Err(Error::SharedSecretUnavailable("db down".into()))));
    let e = v
        .verify_with_lookup(&token, &down, &request(), QshMode::Computed)
        .await
        .unwrap_err();
    assert!(e.is_unavailable(), "{e:?}");
}

#[tokio::test]
async fn signed_installs() {
    let k = install_key();
    verify_install(&install().sign_rs256(k), TEST_CLIENT_KEY)
        .await
        .unwrap();
    verify_install(
        &install()
            .claim("aud", json!(format!("{BASE_URL}/")))
            .sign_rs256(k),
        TEST_CLIENT_KEY,
    )
    .await
    .unwrap();
    let cases: Vec<(&str, String, &str, Error)> = vec![
        (
            "HS256 with the shared secret",
            hs(install()),
            TEST_CLIENT_KEY,
            Error::SymmetricLifecycleToken,
        ),
        (
            "HS384",
            sign_hs256_raw(r#"{"alg":"HS384"}"#, &install().payload_json(), b"x"),
            TEST_CLIENT_KEY,
            Error::SymmetricLifecycleToken,
        ),
        (
            "RS512",
            install().header("alg", json!("RS512")).sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::AlgorithmNotAllowed,
        ),
        (
            "no kid",
            install().header("kid", json!(null)).sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::MalformedHeader("kid"),
        ),
        (
            "empty kid",
            install().header("kid", json!("")).sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::MissingKid,
        ),
        (
            "kid a URL",
            install()
                .header("kid", json!("https://evil.example.com/k.pem"))
                .sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::InvalidKid,
        ),
        (
            "kid a path",
            install().header("kid", json!("../../k")).sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::InvalidKid,
        ),
        (
            "unknown kid",
            install()
                .header("kid", json!("connect/unknown"))
                .sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::UnknownKid,
        ),
        (
            "wrong aud",
            install()
                .claim("aud", json!("https://evil.example.com"))
                .sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::WrongAudience,
        ),
        (
            "aud a prefix",
            install()
                .claim("aud", json!("https://linkmap.example.com"))
                .sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::WrongAudience,
        ),
        (
            "aud empty array",
            install().claim("aud", json!([])).sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::WrongAudience,
        ),
        (
            "no aud",
            install().remove_claim("aud").sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::MissingClaim("aud"),
        ),
        (
            "iss differs from the body clientKey",
            install().sign_rs256(k),
            "another-client",
            Error::ClientKeyMismatch,
        ),
        (
            "empty body clientKey",
            install().sign_rs256(k),
            "",
            Error::ClientKeyMismatch,
        ),
        (
            "no exp",
            install().remove_claim("exp").sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::MissingClaim("exp"),
        ),
        (
            "expired",
            install()
                .claim("iat", json!(now() - 600))
                .expires_at(now() - 60)
                .sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::Expired,
        ),
        (
            "no qsh",
            install().remove_claim("qsh").sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::MissingClaim("qsh"),
        ),
        (
            "context-qsh",
            install().context_qsh().sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::ContextQshNotAllowed,
        ),
        (
            "qsh of uninstalled",
            ConnectTokenBuilder::signed_install(
                TEST_CLIENT_KEY,
                BASE_URL,
                &ConnectRequest::new(
                    "POST",
                    "/jira-app/connect/uninstalled",
                    [] as [(&str, &str); 0],
                ),
            )
            .sign_rs256(k),
            TEST_CLIENT_KEY,
            Error::QshMismatch,
        ),
        (
            "signed by another key",
            install().sign_rs256(&crate::other_key().clone().with_kid(install_key().kid())),
            TEST_CLIENT_KEY,
            Error::BadSignature,
        ),
    ];
    let mut failures = Vec::new();
    for (name, token, body_client_key, want) in &cases {
        match verify_install(token, body_client_key).await {
            Err(got) if got == *want => {}
            other => failures.push(format!("{name}: got {other:?}, want {want:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------------------------
// HttpInstallKeyStore against wiremock

fn store(server: &MockServer) -> HttpInstallKeyStore {
    HttpInstallKeyStore::new(
        HttpInstallKeyStoreConfig::new(format!("{}/keys", server.uri()))
            .fetch_timeout(Duration::from_millis(300)),
    )
    .unwrap()
}

fn verifier(store: &HttpInstallKeyStore) -> SignedInstallVerifier {
    SignedInstallVerifier::new(validation(), Arc::new(store.clone()))
}

async fn serve_key(server: &MockServer, kid: &str, response: ResponseTemplate, expect: u64) {
    Mock::given(method("GET"))
        .and(path(format!("/keys/{kid}")))
        .respond_with(response)
        .expect(expect)
        .mount(server)
        .await;
}

fn pem_response() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(install_key().public_key_pem(), "application/x-pem-file")
}

#[tokio::test]
async fn install_keys_are_fetched_once_by_kid() {
    let server = MockServer::start().await;
    serve_key(&server, install_key().kid(), pem_response(), 1).await;
    let v = verifier(&store(&server));
    for _ in 0..5 {
        v.verify(
            &install().sign_rs256(install_key()),
            TEST_CLIENT_KEY,
            &installed(),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn concurrent_requests_for_one_kid_share_one_fetch() {
    let server = MockServer::start().await;
    serve_key(
        &server,
        install_key().kid(),
        pem_response().set_delay(Duration::from_millis(100)),
        1,
    )
    .await;
    let v = verifier(&store(&server));
    let mut set = JoinSet::new();
    for _ in 0..30 {
        let v = v.clone();
        let token = install().sign_rs256(install_key());
        set.spawn(async move { v.verify(&token, TEST_CLIENT_KEY, &installed()).await });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_missing_key_is_a_401_and_remembered() {
    let server = MockServer::start().await;
    serve_key(&server, install_key().kid(), ResponseTemplate::new(404), 1).await;
    let v = verifier(&store(&server));
    for _ in 0..3 {
        let e = v
            .verify(
                &install().sign_rs256(install_key()),
                TEST_CLIENT_KEY,
                &installed(),
            )
            .await
            .unwrap_err();
        assert_eq!(e, Error::UnknownKid);
        assert!(e.is_invalid_token());
    }
}

#[tokio::test]
async fn a_slow_or_failing_key_host_is_a_503() {
    let server = MockServer::start().await;
    serve_key(
        &server,
        install_key().kid(),
        pem_response().set_delay(Duration::from_secs(2)),
        1,
    )
    .await;
    let e = verifier(&store(&server))
        .verify(
            &install().sign_rs256(install_key()),
            TEST_CLIENT_KEY,
            &installed(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::InstallKeyFetchFailed(_)) && e.is_unavailable(),
        "{e:?}"
    );

    let server = MockServer::start().await;
    serve_key(&server, install_key().kid(), ResponseTemplate::new(503), 1).await;
    let s = store(&server);
    for _ in 0..3 {
        // Remembered for `retry_after_failure`: one fetch.
        let e = s.install_key(install_key().kid()).await.unwrap_err();
        assert!(e.is_unavailable(), "{e:?}");
    }

    let server = MockServer::start().await;
    serve_key(
        &server,
        install_key().kid(),
        ResponseTemplate::new(200).set_body_string("<html>"),
        1,
    )
    .await;
    let e = store(&server)
        .install_key(install_key().kid())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::InstallKeyInvalid(_)) && e.is_unavailable(),
        "{e:?}"
    );
}

#[tokio::test]
async fn no_fetch_for_a_token_refused_on_its_face() {
    let server = MockServer::start().await;
    // Any request to the key host fails the test.
    Mock::given(method("GET"))
        .respond_with(pem_response())
        .expect(0)
        .mount(&server)
        .await;
    let v = verifier(&store(&server));
    let k = install_key();
    let base = server.uri();
    let tokens = [
        install()
            .header("kid", json!(format!("{base}/keys/{}", k.kid())))
            .sign_rs256(k),
        install().header("kid", json!("../keys/x")).sign_rs256(k),
        install().header("kid", json!("/keys/x")).sign_rs256(k),
        install().header("kid", json!("a%2F..%2Fb")).sign_rs256(k),
        install()
            .header("kid", json!("//evil.example.com/x"))
            .sign_rs256(k),
        hs(install()),
        install()
            .claim("aud", json!("https://evil.example.com"))
            .sign_rs256(k),
        install().context_qsh().sign_rs256(k),
        install().expires_at(now() - 3600).sign_rs256(k),
    ];
    for token in &tokens {
        assert!(v
            .verify(token, TEST_CLIENT_KEY, &installed())
            .await
            .is_err());
    }
    // iss differs from the body's clientKey.
    assert_eq!(
        v.verify(&install().sign_rs256(k), "another-client", &installed())
            .await
            .unwrap_err(),
        Error::ClientKeyMismatch
    );
}
