//! Test helpers (feature `test-helpers`): RSA test keys, their JWKS, and a builder that mints FITs shaped like
//! Atlassian's documented example, so users of this crate can test their handlers end to end.
//!
//! ```
//! use std::sync::Arc;
//! use forge_remote_auth::{FitValidator, StaticKeyStore, Validation};
//! use forge_remote_auth::testing::{FitBuilder, TestKey, DOCS_EXAMPLE_APP_ID};
//!
//! let key = TestKey::fixed();
//! let validator = FitValidator::new(
//!     Validation::new(DOCS_EXAMPLE_APP_ID)?,
//!     Arc::new(StaticKeyStore::from_test_key(&key)),
//! );
//! let token = FitBuilder::docs_example().principal(None).sign(&key);
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let claims = rt.block_on(validator.validate(&token)).unwrap();
//! assert!(claims.principal.is_none());
//! # Ok::<(), forge_remote_auth::ConfigError>(())
//! ```
//!
//! These helpers panic on internal failures (key generation, signing): they are for tests only.

#![allow(clippy::expect_used)]

mod connect;
pub use connect::{sign_hs256_raw, ConnectTokenBuilder, TEST_CLIENT_KEY, TEST_SHARED_SECRET};

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use serde_json::{json, Map, Value};

use crate::keys::{StaticKeyStore, VerifyingKey};
use crate::validation::APP_ARI_PREFIX;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The decoded FIT from Atlassian's docs, completed with example site and ids (`apiBaseUrl` on
/// `api.atlassian.com`). The source of [`FitBuilder::docs_example`].
pub const DOCS_EXAMPLE_PAYLOAD: &str = include_str!("fit-payload-docs-example.json");

/// The app ARI of [`DOCS_EXAMPLE_PAYLOAD`]; use it for [`Validation::new`](crate::Validation::new) in tests.
pub const DOCS_EXAMPLE_APP_ID: &str =
    "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107";

/// The `kid` of [`TestKey::fixed`].
pub const FIXED_TEST_KID: &str = "test-key-1";

/// Lifetime of minted tokens unless set otherwise: 25 s, as in Atlassian's example.
pub const DEFAULT_TEST_LIFETIME: Duration = Duration::from_secs(25);

/// A committed RSA-2048 key for tests only. It is public: never trust it outside tests.
const FIXED_TEST_KEY_PEM: &str = include_str!("test-key-1.pem");

/// An RSA-2048 key pair that signs RS256 test tokens.
#[derive(Clone)]
pub struct TestKey {
    kid: String,
    private: PKey<Private>,
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TestKey {
    /// A fresh RSA-2048 key with a random `kid` (`test-<16 hex>`).
    pub fn generate() -> Self {
        let rsa = openssl::rsa::Rsa::generate(2048).expect("RSA key generation");
        let private = PKey::from_rsa(rsa).expect("RSA key wrapping");
        TestKey {
            kid: format!("test-{}", random_hex(8)),
            private,
        }
    }

    /// The committed test key, `kid` [`FIXED_TEST_KID`]: stable across runs, so fixtures can be recorded.
    pub fn fixed() -> Self {
        let private = PKey::private_key_from_pem(FIXED_TEST_KEY_PEM.as_bytes())
            .expect("the committed test key");
        TestKey {
            kid: FIXED_TEST_KID.to_owned(),
            private,
        }
    }

    /// The same key under another `kid`.
    pub fn with_kid(mut self, kid: &str) -> Self {
        self.kid = kid.to_owned();
        self
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn components(&self) -> (Vec<u8>, Vec<u8>) {
        let rsa = self.private.rsa().expect("an RSA key");
        (rsa.n().to_vec(), rsa.e().to_vec())
    }

    /// The public half as a JWK: `{"kty":"RSA","use":"sig","alg":"RS256","kid":…,"n":…,"e":…}`.
    pub fn public_jwk(&self) -> Value {
        let (n, e) = self.components();
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": B64.encode(n), "e": B64.encode(e)})
    }

    /// A JWKS holding this key only.
    pub fn jwks_json(&self) -> String {
        jwks_json(&[self])
    }

    /// The public half, as the validator uses it.
    pub fn verifying_key(&self) -> VerifyingKey {
        let (n, e) = self.components();
        VerifyingKey::from_rsa_components(&self.kid, &n, &e).expect("a valid RSA-2048 public key")
    }

    /// The raw RS256 signature of `message`.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        let mut signer =
            Signer::new(MessageDigest::sha256(), &self.private).expect("an RS256 signer");
        signer.sign_oneshot_to_vec(message).expect("RS256 signing")
    }

    /// Signs exactly these header and payload bytes: `b64(header).b64(payload).b64(sig)`. For crafting bad tokens
    /// (any JSON, or not JSON at all, is signed as given).
    pub fn sign(&self, header_json: &str, payload_json: &str) -> String {
        let signing_input = format!("{}.{}", B64.encode(header_json), B64.encode(payload_json));
        let signature = self.sign_bytes(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(signature))
    }
}

/// A JWKS holding several test keys.
pub fn jwks_json(keys: &[&TestKey]) -> String {
    json!({"keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>()}).to_string()
}

impl StaticKeyStore {
    /// A store holding `key`'s public half.
    pub fn from_test_key(key: &TestKey) -> Self {
        StaticKeyStore::from_keys([key.verifying_key()])
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    openssl::rand::rand_bytes(&mut buf).expect("OpenSSL random bytes");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Mints FITs, starting from Atlassian's documented example payload.
///
/// Unless set, `iat = nbf = now`, `exp = iat + 25 s`, and each [`FitBuilder::sign`] draws a fresh random `jti`
/// (so replay guards see distinct tokens). Claims edited with [`FitBuilder::claim`] or
/// [`FitBuilder::remove_claim`] are left exactly as edited.
#[derive(Debug, Clone)]
pub struct FitBuilder {
    payload: Map<String, Value>,
    header: Map<String, Value>,
    removed_header: Vec<String>,
    iat: Option<i64>,
    nbf: Option<i64>,
    exp: Option<i64>,
    lifetime: i64,
    jti: Option<String>,
    /// Top-level claims edited raw: the time and `jti` defaults leave them alone.
    raw: Vec<String>,
}

impl FitBuilder {
    /// The docs example payload ([`DOCS_EXAMPLE_PAYLOAD`]), header `{"alg":"RS256","typ":"JWT","kid":<key>}`.
    pub fn docs_example() -> Self {
        let payload =
            match serde_json::from_str(DOCS_EXAMPLE_PAYLOAD).expect("the docs example is JSON") {
                Value::Object(map) => map,
                _ => Map::new(),
            };
        let mut header = Map::new();
        header.insert("alg".into(), json!("RS256"));
        header.insert("typ".into(), json!("JWT"));
        FitBuilder {
            payload,
            header,
            removed_header: Vec::new(),
            iat: None,
            nbf: None,
            exp: None,
            lifetime: 25,
            jti: None,
            raw: Vec::new(),
        }
    }

    fn set_path(&mut self, path: &str, value: Option<Value>) {
        let top = path.split('.').next().unwrap_or(path).to_owned();
        if !self.raw.contains(&top) {
            self.raw.push(top);
        }
        let mut parts: Vec<&str> = path.split('.').collect();
        let last = parts.pop().unwrap_or(path);
        let mut obj = &mut self.payload;
        for p in parts {
            let entry = obj.entry(p.to_owned()).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            obj = entry.as_object_mut().expect("just made an object");
        }
        match value {
            Some(v) => {
                obj.insert(last.to_owned(), v);
            }
            None => {
                obj.remove(last);
            }
        }
    }

    fn app(&mut self) -> &mut Map<String, Value> {
        let app = self.payload.entry("app").or_insert_with(|| json!({}));
        if !app.is_object() {
            *app = json!({});
        }
        app.as_object_mut().expect("just made an object")
    }

    fn installation_contexts(&mut self) -> impl Iterator<Item = &mut Map<String, Value>> {
        self.app()
            .get_mut("installation")
            .and_then(|i| i.get_mut("contexts"))
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object_mut)
    }

    /// Sets `app.id` and `aud` (a bare UUID is turned into the app ARI).
    pub fn app_id(mut self, id: &str) -> Self {
        let ari = if id.starts_with(APP_ARI_PREFIX) {
            id.to_owned()
        } else {
            format!("{APP_ARI_PREFIX}{id}")
        };
        self.app().insert("id".into(), json!(ari));
        self.payload.insert("aud".into(), json!(ari));
        self
    }

    /// Sets `app.installationId` and `app.installation.id`.
    pub fn installation_id(mut self, id: &str) -> Self {
        self.app().insert("installationId".into(), json!(id));
        if let Some(inst) = self
            .app()
            .get_mut("installation")
            .and_then(Value::as_object_mut)
        {
            inst.insert("id".into(), json!(id));
        }
        self
    }

    /// Sets or removes `principal` (removed = a trigger or backend call without a user).
    pub fn principal(mut self, account_id: Option<&str>) -> Self {
        match account_id {
            Some(p) => self.payload.insert("principal".into(), json!(p)),
            None => self.payload.remove("principal"),
        };
        self
    }

    /// Sets `context.cloudId` and every installation context's `cloudId`.
    pub fn cloud_id(mut self, cloud_id: &str) -> Self {
        if let Some(ctx) = self
            .payload
            .get_mut("context")
            .and_then(Value::as_object_mut)
        {
            ctx.insert("cloudId".into(), json!(cloud_id));
        }
        for c in self.installation_contexts() {
            c.insert("cloudId".into(), json!(cloud_id));
        }
        self
    }

    /// Sets `app.apiBaseUrl` and every installation context's `apiBaseUrl`.
    pub fn api_base_url(mut self, url: &str) -> Self {
        self.app().insert("apiBaseUrl".into(), json!(url));
        for c in self.installation_contexts() {
            c.insert("apiBaseUrl".into(), json!(url));
        }
        self
    }

    /// Sets or removes `icLabel`.
    pub fn ic_label(mut self, label: Option<&str>) -> Self {
        match label {
            Some(l) => self.payload.insert("icLabel".into(), json!(l)),
            None => self.payload.remove("icLabel"),
        };
        self
    }

    /// Uses this `jti` instead of a random one.
    pub fn jti(mut self, jti: &str) -> Self {
        self.jti = Some(jti.to_owned());
        self
    }

    /// Sets `iat` (and, unless set, `nbf = iat` and `exp = iat + lifetime`).
    pub fn issued_at(mut self, iat: i64) -> Self {
        self.iat = Some(iat);
        self
    }

    /// Sets `nbf`.
    pub fn not_before(mut self, nbf: i64) -> Self {
        self.nbf = Some(nbf);
        self
    }

    /// Sets `exp` (otherwise `iat + lifetime`).
    pub fn expires_at(mut self, exp: i64) -> Self {
        self.exp = Some(exp);
        self
    }

    /// Sets the lifetime used for `exp` (whole seconds; default [`DEFAULT_TEST_LIFETIME`]).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// Removes `context`, as for backend invocations, events and triggers.
    pub fn without_context(mut self) -> Self {
        self.payload.remove("context");
        self
    }

    /// Sets a claim to any JSON value; a dotted name edits a nested member (`"app.license.active"`), creating
    /// objects on the way. The claim is then left exactly as set.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.set_path(name, Some(value));
        self
    }

    /// Removes a claim (dotted names reach nested members). The claim then stays absent.
    pub fn remove_claim(mut self, name: &str) -> Self {
        self.set_path(name, None);
        self
    }

    /// Sets a JOSE header member (e.g. `alg`, `crit`, or `kid` to override the key's).
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.removed_header.retain(|r| r != name);
        self.header.insert(name.to_owned(), value);
        self
    }

    /// Removes a JOSE header member (`kid` included: then no `kid` is sent).
    pub fn remove_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self.removed_header.push(name.to_owned());
        self
    }

    /// The payload as it would be signed now (times and `jti` filled in).
    pub fn payload(&self) -> Map<String, Value> {
        let mut p = self.payload.clone();
        let now = crate::validator::unix_now();
        let iat = self.iat.unwrap_or(now);
        let mut fill = |name: &str, v: Value| {
            if !self.raw.iter().any(|r| r == name) {
                p.insert(name.to_owned(), v);
            }
        };
        fill("iat", json!(iat));
        fill("nbf", json!(self.nbf.unwrap_or(iat)));
        fill(
            "exp",
            json!(self.exp.unwrap_or(iat.saturating_add(self.lifetime))),
        );
        fill(
            "jti",
            json!(self.jti.clone().unwrap_or_else(|| random_hex(20))),
        );
        p
    }

    /// The payload JSON as it would be signed now.
    pub fn payload_json(&self) -> String {
        Value::Object(self.payload()).to_string()
    }

    /// The header JSON for `key` (its `kid` unless overridden or removed).
    pub fn header_json(&self, key: &TestKey) -> String {
        let mut h = Map::new();
        h.insert("kid".into(), json!(key.kid()));
        for (k, v) in &self.header {
            h.insert(k.clone(), v.clone());
        }
        for k in &self.removed_header {
            h.remove(k);
        }
        Value::Object(h).to_string()
    }

    /// Signs the token with `key`.
    pub fn sign(&self, key: &TestKey) -> String {
        key.sign(&self.header_json(key), &self.payload_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_fixture_matches_the_shared_one_when_present() {
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/fit-payload-docs-example.json"
        );
        if let Ok(text) = std::fs::read_to_string(shared) {
            let a: Value = serde_json::from_str(&text).unwrap();
            let b: Value = serde_json::from_str(DOCS_EXAMPLE_PAYLOAD).unwrap();
            assert_eq!(
                a, b,
                "src/testing/fit-payload-docs-example.json drifted from shared/fixtures"
            );
        }
    }

    #[test]
    fn builder_defaults_and_raw_edits() {
        let b = FitBuilder::docs_example()
            .issued_at(1000)
            .claim("exp", json!("soon"))
            .remove_claim("app.license");
        let p = b.payload();
        assert_eq!(p["iat"], json!(1000));
        assert_eq!(p["nbf"], json!(1000));
        assert_eq!(p["exp"], json!("soon"));
        assert!(p["app"].get("license").is_none());
        assert_eq!(p["jti"].as_str().map(str::len), Some(40));
        let h: Value =
            serde_json::from_str(&b.remove_header("kid").header_json(&TestKey::fixed())).unwrap();
        assert_eq!(h, json!({"alg": "RS256", "typ": "JWT"}));
    }
}
