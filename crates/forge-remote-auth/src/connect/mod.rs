//! Atlassian Connect, framework-free: the query string hash ([`qsh`]), Connect JWTs (HS256 with an
//! installation's shared secret, [`ConnectJwtVerifier`]) and the signed-install tokens of the `installed` /
//! `uninstalled` lifecycle callbacks (RS256 with Atlassian's install keys, [`SignedInstallVerifier`]).
//! With the `actix` feature, `ConnectJwt` / `ConnectContextJwt` extract a verified Connect JWT in a handler.
//!
//! Every failure is an [`Error`](crate::Error) with the same 401-vs-503 split as FITs
//! ([`Error::is_invalid_token`](crate::Error::is_invalid_token) / [`Error::is_unavailable`](crate::Error::is_unavailable)).
//!
//! ```
//! use forge_remote_auth::connect::{ConnectJwtVerifier, ConnectRequest, ConnectValidation, QshMode, SharedSecret};
//!
//! # fn demo(authorization: &str, client_key: &str, secret: SharedSecret) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = ConnectJwtVerifier::new(ConnectValidation::new("https://linkmap.example.com/jira-app")?);
//! let request = ConnectRequest::from_raw_query("GET", "/jira-app/rest/maps", "projectKey=PROJ");
//! let claims = verifier.verify_authorization(authorization, client_key, &secret, &request, QshMode::Computed)?;
//! println!("call from installation {} for user {:?}", claims.client_key, claims.user_account_id());
//! # Ok(()) }
//! ```

mod install;
mod jwt;
pub mod qsh;

pub use install::{
    is_valid_install_kid, HttpInstallKeyStore, HttpInstallKeyStoreConfig, InstallClaims,
    InstallKeyStore, SignedInstallVerifier, StaticInstallKeyStore, DEFAULT_INSTALL_KEYS_URL,
    MAX_INSTALL_KID_LEN,
};
pub use jwt::{
    jwt_from_authorization, ConnectClaims, ConnectJwtVerifier, ConnectRequest, ConnectValidation,
    QshMode, SharedSecret, SharedSecretLookup,
};
pub use qsh::{
    base_path_of, canonical_request, canonical_request_raw, encode_rfc3986, parse_query,
    query_string_hash, query_string_hash_raw, CONTEXT_QSH, JWT_QUERY_PARAM,
};
