//! Minting Atlassian Connect tokens for tests: Connect JWTs (HS256) and signed-install tokens (RS256).

use serde_json::{json, Map, Value};

use super::{random_hex, TestKey, B64};
use crate::connect::{ConnectRequest, StaticInstallKeyStore};
use base64::Engine as _;

/// A shared secret for tests only.
pub const TEST_SHARED_SECRET: &str = "test-shared-secret-0123456789abcdef0123456789";

/// A client key for tests only.
pub const TEST_CLIENT_KEY: &str = "00000000-test-client-key-0000000000";

/// Mints Connect tokens: [`ConnectTokenBuilder::connect_jwt`] for HS256 Connect JWTs,
/// [`ConnectTokenBuilder::signed_install`] for the RS256 tokens of lifecycle callbacks.
///
/// Defaults: `iat` = now, `exp` = now + 180 s (Atlassian's Connect JWTs live about 3 minutes), `qsh` = the
/// computed hash of the given request.
///
/// ```
/// use forge_remote_auth::connect::{ConnectJwtVerifier, ConnectRequest, ConnectValidation, QshMode, SharedSecret};
/// use forge_remote_auth::testing::{ConnectTokenBuilder, TEST_CLIENT_KEY, TEST_SHARED_SECRET};
///
/// let validation = ConnectValidation::new("https://app.example.com/jira-app")?;
/// let request = ConnectRequest::from_raw_query("GET", "/jira-app/rest/x", "a=1");
/// let token = ConnectTokenBuilder::connect_jwt(TEST_CLIENT_KEY, &request, validation.base_path())
///     .sign_hs256(TEST_SHARED_SECRET.as_bytes());
/// let claims = ConnectJwtVerifier::new(validation)
///     .verify(&token, TEST_CLIENT_KEY, &SharedSecret::new(TEST_SHARED_SECRET), &request, QshMode::Computed)
///     .unwrap();
/// assert_eq!(claims.client_key, TEST_CLIENT_KEY);
/// # Ok::<(), forge_remote_auth::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConnectTokenBuilder {
    claims: Map<String, Value>,
    header: Map<String, Value>,
}

fn now() -> i64 {
    crate::validator::unix_now()
}

impl ConnectTokenBuilder {
    /// A Connect JWT from installation `client_key` for `request` (app base path `base_path`).
    pub fn connect_jwt(client_key: &str, request: &ConnectRequest, base_path: &str) -> Self {
        let now = now();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(client_key));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 180));
        claims.insert("qsh".into(), json!(request.query_string_hash(base_path)));
        claims.insert("sub".into(), json!(format!("557058:{}", random_hex(8))));
        ConnectTokenBuilder {
            claims,
            header: Map::new(),
        }
    }

    /// A signed-install token for the `installed`/`uninstalled` callback `request` of installation
    /// `client_key`, to the app at `app_base_url` (its `aud`).
    pub fn signed_install(client_key: &str, app_base_url: &str, request: &ConnectRequest) -> Self {
        let base_path = crate::connect::base_path_of(app_base_url.trim_end_matches('/'));
        let mut b = Self::connect_jwt(client_key, request, base_path);
        b.claims.insert("aud".into(), json!(app_base_url));
        b.claims.insert("sub".into(), json!("connect-install"));
        b
    }

    /// Uses the fixed `context-qsh` instead of the computed hash.
    pub fn context_qsh(self) -> Self {
        self.claim("qsh", json!(crate::connect::CONTEXT_QSH))
    }

    /// Sets `exp`.
    pub fn expires_at(self, exp: i64) -> Self {
        self.claim("exp", json!(exp))
    }

    /// Sets or replaces a claim (any JSON, for crafting bad tokens).
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim.
    pub fn remove_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets or replaces a header member (`alg` is set by the `sign_*` methods unless given here).
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.to_owned(), value);
        self
    }

    /// The claims JSON.
    pub fn payload_json(&self) -> String {
        Value::Object(self.claims.clone()).to_string()
    }

    fn header_json(&self, alg: &str, kid: Option<&str>) -> String {
        let mut h = Map::new();
        h.insert("alg".into(), json!(alg));
        h.insert("typ".into(), json!("JWT"));
        if let Some(kid) = kid {
            h.insert("kid".into(), json!(kid));
        }
        for (k, v) in &self.header {
            h.insert(k.clone(), v.clone());
        }
        Value::Object(h).to_string()
    }

    /// Signs with HMAC-SHA256 and `secret` (header `{"alg":"HS256","typ":"JWT"}` plus any set members).
    pub fn sign_hs256(&self, secret: &[u8]) -> String {
        sign_hs256_raw(
            &self.header_json("HS256", None),
            &self.payload_json(),
            secret,
        )
    }

    /// Signs with RS256 and `key` (header `kid` = the key's `kid` unless set otherwise).
    pub fn sign_rs256(&self, key: &TestKey) -> String {
        key.sign(
            &self.header_json("RS256", Some(key.kid())),
            &self.payload_json(),
        )
    }
}

/// Signs exactly these header and payload texts with HMAC-SHA256 (for crafting bad tokens).
pub fn sign_hs256_raw(header_json: &str, payload_json: &str, secret: &[u8]) -> String {
    let input = format!("{}.{}", B64.encode(header_json), B64.encode(payload_json));
    let pkey = openssl::pkey::PKey::hmac(secret).expect("an HMAC key");
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey)
        .expect("an HMAC signer");
    let mac = signer
        .sign_oneshot_to_vec(input.as_bytes())
        .expect("HMAC-SHA256");
    format!("{input}.{}", B64.encode(mac))
}

impl TestKey {
    /// The public half as a PEM (`-----BEGIN PUBLIC KEY-----`), as Atlassian's install-key host serves it.
    pub fn public_key_pem(&self) -> String {
        String::from_utf8(
            self.private
                .public_key_to_pem()
                .expect("PEM encoding of the public key"),
        )
        .expect("PEM is ASCII")
    }
}

impl StaticInstallKeyStore {
    /// A store holding `key`'s public half under its `kid`.
    pub fn from_test_key(key: &TestKey) -> Self {
        StaticInstallKeyStore::new().with_key(key.verifying_key_any_kid())
    }
}

impl TestKey {
    fn verifying_key_any_kid(&self) -> crate::keys::VerifyingKey {
        crate::keys::VerifyingKey::from_public_key_pem(self.kid(), self.public_key_pem().as_bytes())
            .expect("a valid RSA-2048 public key")
    }
}
