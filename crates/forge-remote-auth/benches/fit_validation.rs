//! Full FIT validation with a warm key cache, beside a bare RS256 check of the same token with the same key.
//!
//! Run: `cargo bench -p forge-remote-auth --bench fit_validation -- --warm-up-time 1 --measurement-time 5`
//!
//! The token is the docs example payload (about 2.5 KB signed), signed with a fresh RSA-2048 key.
//! - `bare_rs256_verify_josekit`: josekit's RS256 verifier (built once from the JWK), `verify(header.payload, sig)`
//!   with the signature already decoded: the baseline of the issue's 1.15x target.
//! - `bare_rs256_verify_openssl_evp`: the same check through OpenSSL's `EVP_DigestVerify` API directly.
//! - `rs256_verify_crate_primitive`: `VerifyingKey::verify_rs256`, the check the validator uses.
//! - `full_validation_static_store` / `full_validation_http_store_warm`: `FitValidator::validate`, everything
//!   included (size cap, base64url, strict JSON, typed claims, key lookup, signature, claim rules).
//! - `structural_decode_only`: `dangerous::insecure_decode_claims`, the non-crypto part alone.
//! - `component_*`: pieces of it (base64 of the payload with either engine, a plain `serde_json::Value` parse of
//!   the payload for scale, SHA-256 of the signing input) to show where the time goes.
//!
//! The validator's future is polled once with a no-op waker: with a warm cache it never waits, so this measures
//! validation itself rather than an executor.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use criterion::Criterion;
use forge_remote_auth::{
    dangerous, FitValidator, HttpKeyStore, HttpKeyStoreConfig, StaticKeyStore, Validation,
    VerifyingKey,
};
use josekit::jws::{JwsVerifier, RS256};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::{Signer, Verifier};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const DOCS_PAYLOAD: &str = include_str!("../src/testing/fit-payload-docs-example.json");
const APP_ID: &str = "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107";

struct Setup {
    token: String,
    signing_input: String,
    signature: Vec<u8>,
    jwks: String,
    pkey: PKey<openssl::pkey::Public>,
    key: VerifyingKey,
    josekit: Box<dyn JwsVerifier>,
    static_validator: FitValidator,
}

fn setup() -> Setup {
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let (n, e) = (rsa.n().to_vec(), rsa.e().to_vec());
    let private = PKey::from_rsa(rsa).unwrap();
    let jwk = serde_json::json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "bench-key", "n": B64.encode(&n), "e": B64.encode(&e)});
    let jwks = serde_json::json!({ "keys": [jwk.clone()] }).to_string();

    // The docs example with times that stay valid for the whole run.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut payload: serde_json::Value = serde_json::from_str(DOCS_PAYLOAD).unwrap();
    payload["iat"] = now.into();
    payload["nbf"] = now.into();
    payload["exp"] = (now + 3000).into();
    let header = r#"{"alg":"RS256","typ":"JWT","kid":"bench-key"}"#;
    let signing_input = format!("{}.{}", B64.encode(header), B64.encode(payload.to_string()));
    let mut signer = Signer::new(MessageDigest::sha256(), &private).unwrap();
    let signature = signer
        .sign_oneshot_to_vec(signing_input.as_bytes())
        .unwrap();
    let token = format!("{signing_input}.{}", B64.encode(&signature));

    let validation = Validation::new(APP_ID)
        .unwrap()
        .max_lifetime(Duration::from_secs(3600))
        .unwrap();
    let store = StaticKeyStore::from_jwks_json(&jwks).unwrap();
    let josekit = RS256
        .verifier_from_jwk(&josekit::jwk::Jwk::from_map(jwk.as_object().unwrap().clone()).unwrap())
        .unwrap();
    let pkey = PKey::public_key_from_der(&private.public_key_to_der().unwrap()).unwrap();
    Setup {
        key: VerifyingKey::from_rsa_components("bench-key", &n, &e).unwrap(),
        token,
        signing_input,
        signature,
        jwks,
        pkey,
        josekit: Box::new(josekit),
        static_validator: FitValidator::new(validation, Arc::new(store)),
    }
}

/// Polls a future that must complete without waiting (warm caches never wait).
fn now_or_never<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a warm validation waited"),
    }
}

fn evp_verify(s: &Setup) -> bool {
    let mut v = Verifier::new(MessageDigest::sha256(), &s.pkey).unwrap();
    v.verify_oneshot(&s.signature, s.signing_input.as_bytes())
        .unwrap()
}

fn main() {
    let s = setup();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let server = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(s.jwks.clone(), "application/json"),
            )
            .mount(&server),
    );
    let http_store = HttpKeyStore::new(HttpKeyStoreConfig::new(format!(
        "{}/jwks.json",
        server.uri()
    )))
    .unwrap();
    rt.block_on(http_store.prefetch()).unwrap();
    let http_validator = FitValidator::new(
        s.static_validator.validation().clone(),
        Arc::new(http_store),
    );

    // Everything agrees before anything is timed.
    assert!(s
        .josekit
        .verify(s.signing_input.as_bytes(), &s.signature)
        .is_ok());
    assert!(evp_verify(&s));
    assert!(s.key.verify_rs256(s.signing_input.as_bytes(), &s.signature));
    now_or_never(s.static_validator.validate(&s.token)).unwrap();
    now_or_never(http_validator.validate(&s.token)).unwrap();

    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("fit_validation");
        g.bench_function("bare_rs256_verify_josekit", |b| {
            b.iter(|| {
                s.josekit
                    .verify(
                        black_box(s.signing_input.as_bytes()),
                        black_box(&s.signature),
                    )
                    .is_ok()
            })
        });
        g.bench_function("bare_rs256_verify_openssl_evp", |b| {
            b.iter(|| evp_verify(black_box(&s)))
        });
        g.bench_function("rs256_verify_crate_primitive", |b| {
            b.iter(|| {
                s.key.verify_rs256(
                    black_box(s.signing_input.as_bytes()),
                    black_box(&s.signature),
                )
            })
        });
        g.bench_function("full_validation_static_store", |b| {
            b.iter(|| now_or_never(s.static_validator.validate(black_box(&s.token))).is_ok())
        });
        g.bench_function("full_validation_http_store_warm", |b| {
            b.iter(|| now_or_never(http_validator.validate(black_box(&s.token))).is_ok())
        });
        // Components, to show where the time beyond the RSA check goes.
        let payload_b64 = s.signing_input.split('.').nth(1).unwrap();
        let payload = B64.decode(payload_b64).unwrap();
        g.bench_function("component_base64_payload_base64_crate", |b| {
            b.iter(|| B64.decode(black_box(payload_b64)).unwrap())
        });
        g.bench_function("component_base64_payload_base64_simd", |b| {
            b.iter(|| {
                base64_simd::URL_SAFE_NO_PAD
                    .decode_to_vec(black_box(payload_b64))
                    .unwrap()
            })
        });
        g.bench_function("component_serde_json_value_parse_of_payload", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&payload)).unwrap())
        });
        g.bench_function("component_sha256_of_signing_input", |b| {
            b.iter(|| openssl::sha::sha256(black_box(s.signing_input.as_bytes())))
        });
        g.bench_function("structural_decode_only", |b| {
            b.iter(|| dangerous::insecure_decode_claims(black_box(&s.token)).is_ok())
        });
        g.finish();
    }
    c.final_summary();

    // Interleaved rounds give a ratio that shares the machine's load between both sides.
    let time = |f: &dyn Fn() -> bool| {
        let start = Instant::now();
        for _ in 0..2000 {
            black_box(f());
        }
        start.elapsed().as_secs_f64() / 2000.0 * 1e6
    };
    let (mut base, mut prim, mut full) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..5 {
        base = base.min(time(&|| {
            s.josekit
                .verify(s.signing_input.as_bytes(), &s.signature)
                .is_ok()
        }));
        prim = prim.min(time(&|| {
            s.key.verify_rs256(s.signing_input.as_bytes(), &s.signature)
        }));
        full = full.min(time(&|| {
            now_or_never(http_validator.validate(&s.token)).is_ok()
        }));
    }
    println!("\nsummary (best of 5 interleaved rounds of 2000):");
    println!("  bare RS256 verify (josekit):        {base:7.2} µs");
    println!("  RS256 verify (crate primitive):     {prim:7.2} µs");
    println!("  full validation (warm HTTP store):  {full:7.2} µs");
    println!(
        "  full / bare josekit verify:         {:7.3}x  (target <= 1.15x)",
        full / base
    );
    println!("  full / crate primitive verify:      {:7.3}x", full / prim);
}
