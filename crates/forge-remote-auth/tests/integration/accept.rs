//! Valid tokens: the docs example re-signed, the documented variations, leeway, replay guard, interoperability.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use forge_remote_auth::testing::{FitBuilder, DOCS_EXAMPLE_PAYLOAD};
use forge_remote_auth::{
    dangerous, Error, FitValidator, InMemoryReplayGuard, ReplayGuard, StaticKeyStore, Validation,
};
use serde_json::{json, Value};

use crate::{fit, key, now, validation, validator, validator_with, PRINCIPAL};

#[tokio::test]
async fn the_docs_example_payload_re_signed_is_accepted_with_every_documented_field() {
    let token = fit()
        .jti("d8a496253ec8c18a54631e4c82cbedd5d0ae8570")
        .sign(key());
    let c = validator().validate(&token).await.unwrap();
    let doc: Value = serde_json::from_str(DOCS_EXAMPLE_PAYLOAD).unwrap();

    assert_eq!(c.iss, "forge/invocation-token");
    assert_eq!(c.aud, [doc["aud"].as_str().unwrap()]);
    assert_eq!(c.jti, "d8a496253ec8c18a54631e4c82cbedd5d0ae8570");
    assert_eq!(c.exp - c.iat, 25);
    assert_eq!(c.principal.as_deref(), Some(PRINCIPAL));
    assert_eq!(c.ic_label, None);

    let app = &c.app;
    assert_eq!(app.id, doc["app"]["id"]);
    assert_eq!(app.installation_id, doc["app"]["installationId"]);
    assert_eq!(app.api_base_url, doc["app"]["apiBaseUrl"]);
    assert_eq!(app.version.as_deref(), Some("16"));
    assert_eq!(app.app_version.as_deref(), Some("16.0.1"));
    let env = app.environment.as_ref().unwrap();
    assert_eq!(
        (env.type_.as_str(), env.id.as_str()),
        (
            "DEVELOPMENT",
            doc["app"]["environment"]["id"].as_str().unwrap()
        )
    );
    let module = app.module.as_ref().unwrap();
    assert_eq!(
        (module.type_.as_str(), module.key.as_str()),
        ("jira:issuePanel", "linkmap-panel")
    );
    let inst = app.installation.as_ref().unwrap();
    assert_eq!(inst.id, doc["app"]["installation"]["id"]);
    assert_eq!(inst.contexts.len(), 1);
    assert_eq!(inst.contexts[0].name, "jira");
    assert_eq!(
        inst.contexts[0].cloud_id.as_deref(),
        Some("d0d52620-3203-4cfa-8db5-f2587155f0dd")
    );
    assert_eq!(inst.contexts[0].workspace_id, None);
    let lic = app.license.as_ref().unwrap();
    assert_eq!(
        (lic.active, lic.is_active, lic.is_evaluation),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(lic.billing_period.as_deref(), Some("MONTHLY"));
    assert_eq!(lic.capability_set.as_deref(), Some("capabilityStandard"));
    assert_eq!(lic.type_.as_deref(), Some("commercial"));
    assert_eq!(lic.modes.as_deref(), Some(&["USER_ACCESS".to_owned()][..]));
    assert_eq!(
        lic.support_entitlement_number, None,
        "null counts as absent"
    );

    let ctx = c.context.as_ref().unwrap();
    assert_eq!(
        ctx.cloud_id.as_deref(),
        Some("d0d52620-3203-4cfa-8db5-f2587155f0dd")
    );
    assert_eq!(
        ctx.site_url.as_deref(),
        Some("https://example-site.atlassian.net")
    );
    assert_eq!(
        ctx.local_id,
        doc["context"]["localId"].as_str().map(str::to_owned)
    );
    assert_eq!(ctx.module_key.as_deref(), Some("linkmap-panel"));
    let extension: serde_json::Value =
        serde_json::from_str(ctx.extension.as_ref().expect("extension").get()).unwrap();
    assert_eq!(extension, doc["context"]["extension"]);
    assert_eq!(c.cloud_id(), Some("d0d52620-3203-4cfa-8db5-f2587155f0dd"));
}

#[tokio::test]
async fn documented_variations_are_accepted() {
    let v = validator();
    let t = now();
    let ok = [
        ("a trigger: no principal, no context", fit().principal(None).without_context()),
        ("aud as an array holding us", fit().claim("aud", json!(["other", validation().audience()]))),
        ("no license (free app)", fit().remove_claim("app.license")),
        ("license with only the new active flag", fit().remove_claim("app.license.isActive")),
        ("unknown members anywhere", fit().claim("newClaim", json!({"a": [1, 2]})).claim("app.newField", json!(null)).claim("context.extension.x", json!(1))),
        ("null optional members", fit().claim("principal", Value::Null).claim("app.appVersion", Value::Null)),
        ("expired, but within the 30 s leeway", fit().issued_at(t - 40).expires_at(t - 20)),
        ("not before 20 s from now, within the leeway", fit().issued_at(t).not_before(t + 20).expires_at(t + 40)),
        ("issued 20 s in the future, within the leeway", fit().issued_at(t + 20)),
        ("lifetime of exactly five minutes", fit().issued_at(t).expires_at(t + 300)),
        ("Bitbucket-style context", fit().claim("app.installation.contexts", json!([{"name": "bitbucket", "apiBaseUrl": "https://api.atlassian.com/ex/bitbucket/{a1b2}", "workspaceId": "{a1b2}"}]))),
        ("an escaped, non-duplicate member name", fit().claim("x\u{e9}", json!(1))),
    ];
    for (name, builder) in ok {
        let token = builder.sign(key());
        if let Err(e) = v.validate(&token).await {
            panic!("{name}: refused with {e:?}");
        }
    }
}

#[tokio::test]
async fn the_configuration_is_honoured() {
    let t = now();
    let staging = fit()
        .api_base_url("https://api.stg.atlassian.com/ex/jira/x")
        .sign(key());
    assert!(validator().validate(&staging).await.is_err());
    validator_with(validation().allow_staging())
        .validate(&staging)
        .await
        .unwrap();

    let custom = fit().api_base_url("https://api.example.com/ex").sign(key());
    validator_with(validation().allow_api_host("api.example.com").unwrap())
        .validate(&custom)
        .await
        .unwrap();

    let late = fit().issued_at(t - 40).expires_at(t - 20).sign(key());
    let strict = validator_with(validation().leeway(Duration::from_secs(5)).unwrap());
    assert_eq!(strict.validate(&late).await.unwrap_err(), Error::Expired);

    let long = fit().lifetime(Duration::from_secs(120)).sign(key());
    let short = validator_with(validation().max_lifetime(Duration::from_secs(60)).unwrap());
    assert!(matches!(
        short.validate(&long).await.unwrap_err(),
        Error::LifetimeTooLong {
            lifetime_secs: 120,
            max_secs: 60
        }
    ));

    // A bare UUID in the configuration is the same audience as the ARI.
    let bare = validator_with(Validation::new("8db33809-1f32-48bb-8c52-5877dab48107").unwrap());
    bare.validate(&fit().sign(key())).await.unwrap();

    // Another app's validator refuses our tokens, whatever app.id the token claims.
    let other = validator_with(Validation::new("00000000-0000-0000-0000-000000000000").unwrap());
    assert_eq!(
        other.validate(&fit().sign(key())).await.unwrap_err(),
        Error::WrongAudience
    );

    let small = validator_with(validation().max_token_bytes(1024).unwrap());
    assert!(matches!(
        small.validate(&fit().sign(key())).await.unwrap_err(),
        Error::TokenTooLarge { max: 1024, .. }
    ));
}

#[tokio::test]
async fn isolated_cloud_tokens_need_a_store_that_serves_them() {
    let token = fit().ic_label(Some("orange")).sign(key());
    let store = StaticKeyStore::from_test_key(key()).serve_isolated_cloud(true);
    let v = FitValidator::new(validation(), Arc::new(store));
    assert_eq!(
        v.validate(&token).await.unwrap().ic_label.as_deref(),
        Some("orange")
    );
}

#[tokio::test]
async fn claims_debug_redacts_the_principal() {
    let c = validator().validate(&fit().sign(key())).await.unwrap();
    let debug = format!("{c:?}");
    assert!(!debug.contains(PRINCIPAL));
    assert!(debug.contains("<redacted>"));
    assert!(debug.contains("installation_id"));
}

#[tokio::test]
async fn the_replay_guard_refuses_a_second_use_and_only_accepted_tokens_use_up_a_jti() {
    let v = validator().with_replay_guard(Arc::new(InMemoryReplayGuard::default()));
    let t = now();
    // An expired token with jti "a" is refused for being expired and must not burn "a".
    let expired = fit()
        .jti("a")
        .issued_at(t - 200)
        .expires_at(t - 100)
        .sign(key());
    assert_eq!(v.validate(&expired).await.unwrap_err(), Error::Expired);
    let token = fit().jti("a").sign(key());
    v.validate(&token).await.unwrap();
    assert_eq!(v.validate(&token).await.unwrap_err(), Error::ReplayedToken);
    // Another token with the same jti is a replay too.
    assert_eq!(
        v.validate(&fit().jti("a").sign(key())).await.unwrap_err(),
        Error::ReplayedToken
    );
    // A clone shares the guard.
    assert_eq!(
        v.clone().validate(&token).await.unwrap_err(),
        Error::ReplayedToken
    );
    v.validate(&fit().jti("b").sign(key())).await.unwrap();
}

#[derive(Default)]
struct RecordingGuard {
    calls: Mutex<Vec<(String, i64)>>,
    fail: bool,
}

#[async_trait]
impl ReplayGuard for RecordingGuard {
    async fn check_and_remember(&self, jti: &str, expires_at: i64) -> Result<bool, Error> {
        self.calls
            .lock()
            .unwrap()
            .push((jti.to_owned(), expires_at));
        if self.fail {
            Err(Error::ReplayStoreUnavailable("database down".into()))
        } else {
            Ok(true)
        }
    }
}

#[tokio::test]
async fn the_replay_guard_remembers_until_exp_plus_leeway_and_its_failure_is_unavailable() {
    let guard = Arc::new(RecordingGuard::default());
    let v = validator().with_replay_guard(guard.clone());
    let t = now();
    v.validate(&fit().jti("x").issued_at(t).sign(key()))
        .await
        .unwrap();
    assert_eq!(
        *guard.calls.lock().unwrap(),
        [("x".to_owned(), t + 25 + 30)]
    );

    let failing = validator().with_replay_guard(Arc::new(RecordingGuard {
        fail: true,
        ..Default::default()
    }));
    let e = failing.validate(&fit().sign(key())).await.unwrap_err();
    assert!(
        matches!(e, Error::ReplayStoreUnavailable(_))
            && e.is_unavailable()
            && !e.is_invalid_token()
    );
}

#[tokio::test]
async fn dangerous_decode_reads_an_expired_unverifiable_token_but_keeps_structural_rules() {
    let t = now();
    let token = FitBuilder::docs_example()
        .issued_at(t - 1000)
        .sign(crate::other_key());
    let c = dangerous::insecure_decode_claims(&token).unwrap();
    assert_eq!(c.iat, t - 1000);
    assert_eq!(
        dangerous::insecure_decode_claims("a.b").unwrap_err(),
        Error::MalformedToken("not three segments")
    );
    let alg_none = format!(
        "{}.{}.x",
        crate::b64(r#"{"alg":"none","kid":"k"}"#),
        token.split('.').nth(1).unwrap()
    );
    assert_eq!(
        dangerous::insecure_decode_claims(&alg_none).unwrap_err(),
        Error::AlgorithmNotAllowed
    );
}

#[tokio::test]
async fn tokens_signed_by_josekit_validate_and_josekit_agrees_on_refusals() {
    use josekit::jws::{JwsHeader, JwsVerifier, RS256};
    use josekit::jwt::{self, JwtPayload};

    let jwk = josekit::jwk::Jwk::from_map(key().public_jwk().as_object().unwrap().clone()).unwrap();
    let pem = include_str!("../../src/testing/test-key-1.pem");
    let signer = RS256.signer_from_pem(pem.as_bytes()).unwrap();
    let verifier = RS256.verifier_from_jwk(&jwk).unwrap();

    // josekit encodes our payload (its own member order and encoding) and signs it.
    let payload = fit().payload();
    let mut header = JwsHeader::new();
    header.set_key_id("test-key-1");
    let token =
        jwt::encode_with_signer(&JwtPayload::from_map(payload).unwrap(), &header, &signer).unwrap();
    let claims = validator().validate(&token).await.unwrap();
    assert_eq!(claims.principal.as_deref(), Some(PRINCIPAL));

    // Our RS256 check and josekit's agree on the real signature and on corrupted ones.
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = crate::B64.decode(sig).unwrap();
    let ours = key().verifying_key();
    assert!(ours.verify_rs256(input.as_bytes(), &sig));
    assert!(verifier.verify(input.as_bytes(), &sig).is_ok());
    for i in [0, 1, 100, 255] {
        let mut bad = sig.clone();
        bad[i] ^= 0x80;
        assert!(!ours.verify_rs256(input.as_bytes(), &bad));
        assert!(verifier.verify(input.as_bytes(), &bad).is_err());
    }
    assert!(!ours.verify_rs256(b"other input", &sig));
}

use base64::Engine as _;
