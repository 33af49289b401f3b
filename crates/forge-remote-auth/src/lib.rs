#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

// Layout (modules are private; everything public is re-exported here, jsonwebtoken style):
// - `b64`: strict base64url for the token segments;
// - `validation`: the `Validation` settings and the constants behind them;
// - `validator`: `FitValidator`, the order of the checks, claim and URL rules;
// - `decode`: the strict single-pass JSON decoder for the header and claims;
// - `claims`: the typed claims;
// - `keys`: `VerifyingKey`, the `KeyStore` trait, JWKS parsing, `StaticKeyStore`;
// - `http_store`: `HttpKeyStore` (cache, refresh, single-flight);
// - `replay`: `ReplayGuard` and `InMemoryReplayGuard`;
// - `tokens`: app tokens, trace ids, header names;
// - `error`: `Error` and `ConfigError`;
// - `connect` (public): Atlassian Connect qsh, Connect JWT (HS256) and signed install (RS256).

mod b64;
mod claims;
mod decode;
mod error;
mod http_store;
mod keys;
mod replay;
mod tokens;
mod validation;
mod validator;

pub mod connect;
pub mod dangerous;

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "actix")]
pub use actix::{
    AuthRejection, ConnectContextJwt, ConnectJwt, ConnectJwtAuth, ForgeInvocation, RETRY_AFTER_SECS,
};

#[cfg(feature = "test-helpers")]
pub mod testing;

pub use claims::{
    App, Environment, Installation, InstallationContext, InvocationClaims, InvocationContext,
    License, Module,
};
pub use error::{ConfigError, Error, TokenPart};
pub use http_store::{HttpKeyStore, HttpKeyStoreConfig, IC_LABEL_PLACEHOLDER};
pub use keys::{KeyStore, StaticKeyStore, VerifyingKey, MAX_JWKS_KEYS, MAX_RSA_BITS, MIN_RSA_BITS};
pub use replay::{InMemoryReplayGuard, ReplayGuard};
pub use tokens::{
    AppSystemToken, AppUserToken, TraceIds, AUTHORIZATION_HEADER, MAX_APP_TOKEN_BYTES,
    SPAN_ID_HEADER, SYSTEM_TOKEN_HEADER, TRACE_ID_HEADER, USER_TOKEN_HEADER,
};
pub use validation::{
    Validation, APP_ARI_PREFIX, DEFAULT_LEEWAY, DEFAULT_MAX_LIFETIME, DEFAULT_MAX_TOKEN_BYTES,
    FIT_ISSUER, MAX_JSON_DEPTH, MAX_KID_LEN, MAX_LEEWAY, MAX_LIFETIME_LIMIT, MAX_MAX_TOKEN_BYTES,
    MIN_MAX_TOKEN_BYTES, PROD_API_HOST, PROD_JWKS_URL, STAGING_API_HOST, STAGING_JWKS_URL,
};
pub use validator::FitValidator;
