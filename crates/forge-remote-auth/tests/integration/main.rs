//! One integration-test binary (jsonwebtoken's layout): shared helpers here, one module per area.
//! Everything needs the `test-helpers` feature (test keys and the FIT builder).
#![cfg(feature = "test-helpers")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accept;
#[cfg(feature = "actix")]
mod actix;
mod bad_tokens;
mod connect;
#[cfg(feature = "actix")]
mod connect_actix;
mod jwks_http;
mod props;

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use forge_remote_auth::testing::{FitBuilder, TestKey, DOCS_EXAMPLE_APP_ID};
use forge_remote_auth::{FitValidator, StaticKeyStore, Validation};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The principal of the docs example; no error message may contain it.
pub const PRINCIPAL: &str = "655362:312d3308-8954-42b0-aa38-771a10c88656";

/// The committed test key (parsing a PEM is cheap, but share it anyway).
pub fn key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(TestKey::fixed)
}

/// A second key, unknown to the default validator. Generated once: RSA key generation is slow in a loop.
pub fn other_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(TestKey::generate)
}

pub fn validation() -> Validation {
    Validation::new(DOCS_EXAMPLE_APP_ID).unwrap()
}

/// The docs app, the fixed key in a static store.
pub fn validator() -> FitValidator {
    validator_with(validation())
}

pub fn validator_with(validation: Validation) -> FitValidator {
    FitValidator::new(validation, Arc::new(StaticKeyStore::from_test_key(key())))
}

pub fn fit() -> FitBuilder {
    FitBuilder::docs_example()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    B64.encode(bytes)
}

/// The three segments of a token.
pub fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}
