//! Verifying keys, the [`KeyStore`] trait, JWKS parsing and the in-memory [`StaticKeyStore`].

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use openssl::bn::BigNum;
use openssl::pkey::Public;
use openssl::rsa::{Padding, Rsa};

use crate::error::{ConfigError, Error};
use crate::validation::MAX_KID_LEN;

/// Smallest accepted RSA modulus, in bits (NIST SP 800-131A: RSA below 2048 bits is disallowed).
pub const MIN_RSA_BITS: u32 = 2048;
/// Largest accepted RSA modulus, in bits: bigger keys only make verification slow for no security gain here.
pub const MAX_RSA_BITS: u32 = 8192;
/// Most keys kept from one JWKS document (Atlassian publishes a handful; the bound limits a hostile document).
pub const MAX_JWKS_KEYS: usize = 64;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// DER of the `DigestInfo` prefix for SHA-256 (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// Largest modulus in bytes ([`MAX_RSA_BITS`] / 8).
const MAX_MODULUS_BYTES: usize = (MAX_RSA_BITS / 8) as usize;

/// An RSA public key that verifies RS256 signatures, parsed once from a JWK and shared behind an `Arc`.
pub struct VerifyingKey {
    kid: String,
    rsa: Rsa<Public>,
    modulus_len: usize,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("bits", &(self.modulus_len * 8))
            .finish()
    }
}

impl VerifyingKey {
    /// Builds a key from the big-endian modulus `n` and public exponent `e`.
    ///
    /// Refused: a `kid` that is empty or longer than [`MAX_KID_LEN`], a modulus outside
    /// [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`], an even exponent or one outside 3..2³².
    pub fn from_rsa_components(kid: &str, n: &[u8], e: &[u8]) -> Result<Self, ConfigError> {
        if kid.is_empty() || kid.len() > MAX_KID_LEN {
            return Err(ConfigError::InvalidKey(format!(
                "kid must be 1 to {MAX_KID_LEN} bytes"
            )));
        }
        Self::from_checked_kid(kid, n, e)
    }

    /// Builds a key from an RSA public key PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo), as served by
    /// Atlassian's Connect install-key endpoint. The same size and exponent bounds as
    /// [`VerifyingKey::from_rsa_components`] apply; `kid` may be up to
    /// [`MAX_INSTALL_KID_LEN`](crate::connect::MAX_INSTALL_KID_LEN) bytes.
    pub fn from_public_key_pem(kid: &str, pem: &[u8]) -> Result<Self, ConfigError> {
        if kid.is_empty() || kid.len() > crate::connect::MAX_INSTALL_KID_LEN {
            return Err(ConfigError::InvalidKey("kid has an invalid length".into()));
        }
        let pkey = openssl::pkey::PKey::public_key_from_pem(pem)
            .map_err(|_| ConfigError::InvalidKey("not a PEM public key".into()))?;
        let rsa = pkey
            .rsa()
            .map_err(|_| ConfigError::InvalidKey("not an RSA key".into()))?;
        Self::from_checked_kid(kid, &rsa.n().to_vec(), &rsa.e().to_vec())
    }

    fn from_checked_kid(kid: &str, n: &[u8], e: &[u8]) -> Result<Self, ConfigError> {
        let n = BigNum::from_slice(n).map_err(|e| ConfigError::InvalidKey(e.to_string()))?;
        let e = BigNum::from_slice(e).map_err(|e| ConfigError::InvalidKey(e.to_string()))?;
        let bits = u32::try_from(n.num_bits()).unwrap_or(0);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(ConfigError::InvalidKey(format!(
                "modulus of {bits} bits is outside 2048..=8192"
            )));
        }
        let e_bits = e.num_bits();
        if !(2..=32).contains(&e_bits) || !e.is_bit_set(0) {
            return Err(ConfigError::InvalidKey(
                "public exponent must be odd and between 3 and 2^32".into(),
            ));
        }
        let rsa = Rsa::from_public_components(n, e)
            .map_err(|e| ConfigError::InvalidKey(e.to_string()))?;
        let modulus_len = usize::try_from(rsa.size()).unwrap_or(0);
        Ok(VerifyingKey {
            kid: kid.to_owned(),
            rsa,
            modulus_len,
        })
    }

    /// Builds a key from one JWK object. Only `kty: "RSA"` with `use` absent or `"sig"`, `alg` absent or `"RS256"`,
    /// and `key_ops` (if present) containing `"verify"` is accepted; `n` and `e` must be canonical unpadded
    /// base64url.
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::InvalidKey(why.to_owned());
        let obj = jwk
            .as_object()
            .ok_or_else(|| bad("a JWK must be a JSON object"))?;
        let field = |name: &str| -> Result<Option<&str>, ConfigError> {
            match obj.get(name) {
                None => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(ConfigError::InvalidKey(format!(
                    "`{name}` must be a string"
                ))),
            }
        };
        if field("kty")? != Some("RSA") {
            return Err(bad("kty is not RSA"));
        }
        if !matches!(field("use")?, None | Some("sig")) {
            return Err(bad("use is not sig"));
        }
        if !matches!(field("alg")?, None | Some("RS256")) {
            return Err(bad("alg is not RS256"));
        }
        if let Some(ops) = obj.get("key_ops") {
            let verify = ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
            if !verify {
                return Err(bad("key_ops does not allow verify"));
            }
        }
        let kid = field("kid")?.ok_or_else(|| bad("kid is missing"))?;
        let n = B64
            .decode(field("n")?.ok_or_else(|| bad("n is missing"))?)
            .map_err(|_| bad("n is not base64url"))?;
        let e = B64
            .decode(field("e")?.ok_or_else(|| bad("e is missing"))?)
            .map_err(|_| bad("e is not base64url"))?;
        Self::from_rsa_components(kid, &n, &e)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The modulus size in bytes (also the length of every valid signature).
    pub fn modulus_len(&self) -> usize {
        self.modulus_len
    }

    /// Checks an RS256 (RSASSA-PKCS1-v1_5 with SHA-256) `signature` over `message`. A signature whose length is
    /// not the modulus length is refused without calling into OpenSSL.
    ///
    /// # Implementation notes
    /// This is RFC 8017 §8.2.2 verification by *encode and compare*: the public-key operation recovers the whole
    /// encoded block `EM = 0x00 0x01 FF…FF 0x00 ‖ DigestInfo(SHA-256) ‖ H(message)`, and every byte of it is
    /// compared with the block we expect. Nothing in `EM` is parsed, so the padding-parsing flaws of
    /// Bleichenbacher's 2006 signature forgery cannot arise. It uses OpenSSL's RSA primitive and SHA-256 directly
    /// rather than the `EVP_DigestVerify*` API, which in OpenSSL 3 fetches algorithm implementations and builds
    /// contexts on every call: the same maths, measurably less overhead per token (see the README's benchmark).
    /// The signature is not secret, so the comparison need not be constant-time.
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        let k = self.modulus_len;
        if signature.len() != k || k > MAX_MODULUS_BYTES {
            return false;
        }
        let hash = openssl::sha::sha256(message);
        let mut buf = [0u8; MAX_MODULUS_BYTES];
        let Some(em) = buf.get_mut(..k) else {
            return false;
        };
        // With no padding OpenSSL returns the full k-byte block (leading zeros kept) and refuses s >= n.
        match self.rsa.public_decrypt(signature, em, Padding::NONE) {
            Ok(len) if len == k => {}
            _ => return false,
        }
        let t_len = SHA256_DIGEST_INFO.len() + hash.len();
        // RFC 8017 requires at least 8 padding bytes; with k >= 256 (2048-bit minimum) this always holds.
        if k < t_len + 11 {
            return false;
        }
        let ps_len = k - t_len - 3;
        let (head, rest) = em.split_at(2);
        let (ps, rest) = rest.split_at(ps_len);
        let (sep, rest) = rest.split_at(1);
        let (digest_info, digest) = rest.split_at(SHA256_DIGEST_INFO.len());
        head == [0x00, 0x01]
            && ps.iter().all(|&b| b == 0xff)
            && sep == [0x00]
            && digest_info == SHA256_DIGEST_INFO
            && digest == hash
    }
}

/// Parses a JWKS document into usable keys: keys that are not RS256 signing keys are skipped (logged at debug),
/// a `kid` that appears twice is dropped altogether (which key it names would be ambiguous). Fails when the
/// document is not a JWKS or has no usable key.
pub(crate) fn parse_jwks(bytes: &[u8]) -> Result<Vec<Arc<VerifyingKey>>, String> {
    #[derive(serde::Deserialize)]
    struct Jwks {
        keys: Vec<serde_json::Value>,
    }
    let jwks: Jwks =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys: Vec<Arc<VerifyingKey>> = Vec::new();
    let mut ambiguous: Vec<String> = Vec::new();
    for jwk in &jwks.keys {
        match VerifyingKey::from_jwk(jwk) {
            Ok(key) => {
                if keys.iter().any(|k| k.kid == key.kid) {
                    ambiguous.push(key.kid);
                } else {
                    keys.push(Arc::new(key));
                }
            }
            Err(e) => {
                tracing::debug!(kid = jwk.get("kid").and_then(|k| k.as_str()), reason = %e, "skipped a JWKS key");
            }
        }
    }
    if !ambiguous.is_empty() {
        tracing::warn!(kids = ?ambiguous, "the JWKS names several keys with one kid; none of them is used");
        keys.retain(|k| !ambiguous.contains(&k.kid));
    }
    if keys.is_empty() {
        return Err("the JWKS has no usable RS256 signing key".to_owned());
    }
    keys.truncate(MAX_JWKS_KEYS);
    Ok(keys)
}

/// Finds a key by `kid` in a small key list (a linear scan beats hashing for a handful of keys).
pub(crate) fn find_key(keys: &[Arc<VerifyingKey>], kid: &str) -> Option<Arc<VerifyingKey>> {
    keys.iter().find(|k| k.kid == kid).cloned()
}

/// Where [`FitValidator`](crate::FitValidator) gets the key that verifies a token.
///
/// # Contract for implementations
/// - `Ok(Some(key))`: the key named `kid`.
/// - `Ok(None)`: the key set (fresh enough) has no such `kid`: the token is refused with [`Error::UnknownKid`].
/// - `Err(e)`: the store could not answer. Return a variant for which [`Error::is_unavailable`] is true
///   (e.g. [`Error::JwksFetchFailed`], [`Error::NoKeysAvailable`]) so the caller answers 503, or
///   [`Error::IsolatedCloudNotConfigured`] / [`Error::BadIcLabel`] for a label the store will not serve.
///
/// `ic_label` is the token's `icLabel`, already validated against `^[a-z0-9_-]{1,50}$`; `None` means the
/// ordinary (non-Isolated) cloud. Implementations must never build a URL or path from `kid`.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The verifying key for `kid` (see the trait docs for what each outcome means).
    async fn verifying_key(
        &self,
        kid: &str,
        ic_label: Option<&str>,
    ) -> Result<Option<Arc<VerifyingKey>>, Error>;

    /// The key for `kid` if it can be answered at once from memory, without I/O or waiting; `None` sends the
    /// validator to [`KeyStore::verifying_key`], which also reports errors. The default always says `None`.
    ///
    /// This is the hot path of every validation: it spares a warm cache the boxed future of an async trait call.
    fn cached_key(&self, kid: &str, ic_label: Option<&str>) -> Option<Arc<VerifyingKey>> {
        let _ = (kid, ic_label);
        None
    }
}

/// A fixed key set held in memory: for tests, and for embedding keys that are distributed some other way.
///
/// Tokens with an `icLabel` are refused with [`Error::IsolatedCloudNotConfigured`] unless
/// [`StaticKeyStore::serve_isolated_cloud`] is set.
#[derive(Debug, Clone)]
pub struct StaticKeyStore {
    keys: Vec<Arc<VerifyingKey>>,
    serve_isolated_cloud: bool,
}

impl StaticKeyStore {
    /// Parses a JWKS document (`{"keys":[…]}`), keeping the RS256 signing keys (see [`VerifyingKey::from_jwk`]).
    pub fn from_jwks_json(jwks: &str) -> Result<Self, ConfigError> {
        let keys = parse_jwks(jwks.as_bytes()).map_err(ConfigError::InvalidJwks)?;
        Ok(StaticKeyStore {
            keys,
            serve_isolated_cloud: false,
        })
    }

    /// A store holding exactly `keys` (a later duplicate `kid` is ignored).
    pub fn from_keys(keys: impl IntoIterator<Item = VerifyingKey>) -> Self {
        let mut out: Vec<Arc<VerifyingKey>> = Vec::new();
        for k in keys {
            if !out.iter().any(|o| o.kid == k.kid) {
                out.push(Arc::new(k));
            }
        }
        StaticKeyStore {
            keys: out,
            serve_isolated_cloud: false,
        }
    }

    /// Also serves these keys for tokens that carry an `icLabel` (default: refuse them).
    pub fn serve_isolated_cloud(mut self, serve: bool) -> Self {
        self.serve_isolated_cloud = serve;
        self
    }

    /// The keys held.
    pub fn keys(&self) -> &[Arc<VerifyingKey>] {
        &self.keys
    }
}

#[async_trait]
impl KeyStore for StaticKeyStore {
    async fn verifying_key(
        &self,
        kid: &str,
        ic_label: Option<&str>,
    ) -> Result<Option<Arc<VerifyingKey>>, Error> {
        if ic_label.is_some() && !self.serve_isolated_cloud {
            return Err(Error::IsolatedCloudNotConfigured);
        }
        Ok(find_key(&self.keys, kid))
    }

    fn cached_key(&self, kid: &str, ic_label: Option<&str>) -> Option<Arc<VerifyingKey>> {
        if ic_label.is_some() && !self.serve_isolated_cloud {
            return None;
        }
        find_key(&self.keys, kid)
    }
}
