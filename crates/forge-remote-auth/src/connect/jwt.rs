//! Connect JWTs (HS256 with the installation's shared secret), the settings shared with signed install, and
//! the request a token is checked against.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::connect::qsh::{base_path_of, parse_query, query_string_hash, CONTEXT_QSH};
use crate::decode::{decode_header, decode_object};
use crate::error::{ConfigError, Error, TokenPart};
use crate::validation::{
    DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, MAX_LEEWAY, MAX_MAX_TOKEN_BYTES, MIN_MAX_TOKEN_BYTES,
};
use crate::validator::{scheme_token, split_token, unix_now};

/// Longest accepted encoded JOSE header of a Connect token.
const MAX_HEADER_B64: usize = 1024;

/// Which `qsh` values a route accepts. There is no "skip": every Connect JWT must carry a `qsh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum QshMode {
    /// Only the query string hash of this very request (server-to-server calls, webhooks, iframe loads,
    /// lifecycle callbacks). The default.
    #[default]
    Computed,
    /// Also the fixed value `context-qsh` of context JWTs (`AP.context.getToken()`) and session tokens: for routes
    /// called by the app's own front end. A computed `qsh` is still checked against the request.
    ContextAllowed,
}

/// The request a Connect token came with: method, path as received (percent-encoded), and the decoded query
/// pairs. The `qsh` is computed from it (see [`crate::connect::qsh`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    method: String,
    path: String,
    query: Vec<(String, String)>,
}

impl ConnectRequest {
    /// A request with already-decoded query pairs (a key without a value as `(key, "")`).
    pub fn new<K: Into<String>, V: Into<String>>(
        method: &str,
        path: &str,
        query: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        ConnectRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A request with a raw query string (what follows `?`, or `""`), decoded with
    /// [`parse_query`](crate::connect::qsh::parse_query) (`+` is a space).
    pub fn from_raw_query(method: &str, path: &str, raw_query: &str) -> Self {
        ConnectRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: parse_query(raw_query),
        }
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, as received.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The decoded query pairs.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The `qsh` of this request for an app whose base path is `base_path`.
    pub fn query_string_hash(&self, base_path: &str) -> String {
        query_string_hash(&self.method, &self.path, &self.query, base_path)
    }
}

/// What a Connect token (Connect JWT or signed install) must satisfy besides its signature: the app's base URL
/// (the `aud` of signed-install tokens, and the base path removed before computing `qsh`), the optional app key
/// (`iss` of ACE session tokens), clock leeway and size cap.
///
/// ```
/// use std::time::Duration;
/// use forge_remote_auth::connect::ConnectValidation;
///
/// let v = ConnectValidation::new("https://linkmap.example.com/jira-app/")?
///     .app_key("com.example.linkmap")
///     .leeway(Duration::from_secs(10))?;
/// assert_eq!(v.base_path(), "/jira-app");
/// # Ok::<(), forge_remote_auth::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectValidation {
    pub(crate) app_base_url: String,
    pub(crate) base_path: String,
    pub(crate) app_key: Option<String>,
    pub(crate) leeway_secs: i64,
    pub(crate) max_token_bytes: usize,
}

impl ConnectValidation {
    /// Settings for an app whose descriptor `baseUrl` is `app_base_url`: `https://…`, or `http://` to
    /// `127.0.0.1`, `localhost` or `[::1]`, with no query or fragment. A trailing `/` is ignored. Leeway
    /// [`DEFAULT_LEEWAY`], size cap [`DEFAULT_MAX_TOKEN_BYTES`], no app key.
    pub fn new(app_base_url: &str) -> Result<Self, ConfigError> {
        crate::http_store::check_jwks_url(app_base_url)
            .map_err(|_| ConfigError::InvalidAppBaseUrl(app_base_url.to_owned()))?;
        if app_base_url.contains('?') {
            return Err(ConfigError::InvalidAppBaseUrl(app_base_url.to_owned()));
        }
        let trimmed = app_base_url.trim_end_matches('/');
        Ok(ConnectValidation {
            app_base_url: trimmed.to_owned(),
            base_path: base_path_of(trimmed).to_owned(),
            app_key: None,
            leeway_secs: secs(DEFAULT_LEEWAY),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        })
    }

    /// The app key (descriptor `key`). Set it to accept ACE-style session tokens on HS256 routes: `iss` = app
    /// key, `aud` = `[client key]`. Without it, `iss` must be the client key.
    pub fn app_key(mut self, key: &str) -> Self {
        self.app_key = Some(key.to_owned());
        self
    }

    /// Clock-skew allowance for `exp`, `iat` and `nbf` (at most [`MAX_LEEWAY`]). Atlassian's `exp` is exact and
    /// ACE allows no leeway; the default matches the FIT validator.
    pub fn leeway(mut self, leeway: Duration) -> Result<Self, ConfigError> {
        if leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLarge {
                max_secs: MAX_LEEWAY.as_secs(),
            });
        }
        self.leeway_secs = secs(leeway);
        Ok(self)
    }

    /// Size cap for a token, checked before any decoding ([`MIN_MAX_TOKEN_BYTES`]..=[`MAX_MAX_TOKEN_BYTES`]).
    pub fn max_token_bytes(mut self, n: usize) -> Result<Self, ConfigError> {
        if !(MIN_MAX_TOKEN_BYTES..=MAX_MAX_TOKEN_BYTES).contains(&n) {
            return Err(ConfigError::InvalidMaxTokenBytes {
                min: MIN_MAX_TOKEN_BYTES,
                max: MAX_MAX_TOKEN_BYTES,
            });
        }
        self.max_token_bytes = n;
        Ok(self)
    }

    /// The app base URL without a trailing `/`.
    pub fn app_base_url(&self) -> &str {
        &self.app_base_url
    }

    /// The path of the app base URL (`""` at the root), removed from request paths before computing `qsh`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// An installation's shared secret. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret(Vec<u8>);

impl SharedSecret {
    /// Wraps the secret (the `sharedSecret` string of the `installed` payload, as bytes).
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        SharedSecret(secret.into())
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

/// Where [`ConnectJwtVerifier::verify_with_lookup`] finds an installation's shared secret.
///
/// `Ok(None)`: no installation with this client key (→ [`Error::UnknownClientKey`], 401). `Err(e)`: the store
/// could not answer; return [`Error::SharedSecretUnavailable`] (→ 503).
#[async_trait]
pub trait SharedSecretLookup: Send + Sync {
    /// The shared secret of the installation `client_key` (taken from the unverified token: treat it as
    /// untrusted input, e.g. bind it as a query parameter).
    async fn shared_secret(&self, client_key: &str) -> Result<Option<SharedSecret>, Error>;
}

/// The claims of a verified Connect JWT.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct ConnectClaims {
    /// The installation the token is for: `aud[0]` when `aud` is present, else `iss` (ACE's rule).
    pub client_key: String,
    /// `iss`: the client key, or the app key for a session token.
    pub iss: String,
    /// `aud` (a string is a one-element list; absent is empty).
    pub aud: Vec<String>,
    /// `sub`: the Atlassian account id of the user, when there is one.
    pub sub: Option<String>,
    /// `iat`, when present.
    pub iat: Option<i64>,
    /// `exp`.
    pub exp: i64,
    /// `qsh`: the computed hash, or `context-qsh`.
    pub qsh: String,
    /// `context` (product-defined; `context.user.accountId` is deprecated in favour of `sub`).
    pub context: Option<Value>,
}

impl ConnectClaims {
    /// `true` when the token carried `context-qsh` (only possible with [`QshMode::ContextAllowed`]).
    pub fn is_context_token(&self) -> bool {
        self.qsh == CONTEXT_QSH
    }

    /// The user's account id: `context.user.accountId` if present, else `sub` (ACE's order).
    pub fn user_account_id(&self) -> Option<&str> {
        self.context
            .as_ref()
            .and_then(|c| c.get("user"))
            .and_then(|u| u.get("accountId"))
            .and_then(Value::as_str)
            .or(self.sub.as_deref())
    }
}

impl fmt::Debug for ConnectClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectClaims")
            .field("client_key", &self.client_key)
            .field("iss", &self.iss)
            .field("aud", &self.aud)
            .field("sub", &self.sub.as_ref().map(|_| "<redacted>"))
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("qsh", &self.qsh)
            .finish_non_exhaustive()
    }
}

/// The token of an `Authorization: JWT <token>` header value (scheme in any case, exactly one space).
pub fn jwt_from_authorization(header_value: &str) -> Result<&str, Error> {
    scheme_token(header_value, "jwt").ok_or(Error::MalformedJwtAuthorization)
}

/// Verifies Connect JWTs (HS256, signed with an installation's shared secret).
///
/// # Order of the checks
/// 1. Size cap, three non-empty segments.
/// 2. Header: canonical base64url, strict JSON, `alg` exactly `HS256` (before anything else), no `crit`.
/// 3. Payload: canonical base64url, strict JSON object (duplicate members refused at any depth); `iss` (string),
///    `exp` (integer) and `qsh` (string) required; `aud` a string or array of strings; `iat`, `nbf` integers and
///    `sub` a string when present.
/// 4. Client key: `aud[0]` if `aud` is present, else `iss` (ACE); it must be the expected one, and when it came
///    from `aud`, `iss` must be it or the configured app key.
/// 5. HMAC-SHA256 with the shared secret, compared in constant time.
/// 6. `exp` (and `iat`/`nbf` when present) with the leeway.
/// 7. `qsh`: the request's computed hash, or `context-qsh` where [`QshMode::ContextAllowed`].
///
/// ```
/// use forge_remote_auth::connect::{ConnectJwtVerifier, ConnectRequest, ConnectValidation, QshMode, SharedSecret};
///
/// let verifier = ConnectJwtVerifier::new(ConnectValidation::new("https://linkmap.example.com")?);
/// let request = ConnectRequest::from_raw_query("GET", "/rest/maps", "projectKey=PROJ");
/// let secret = SharedSecret::new("the installation's sharedSecret");
/// let refused = verifier.verify("not.a.token", "client-key", &secret, &request, QshMode::Computed);
/// assert!(refused.unwrap_err().is_invalid_token());
/// # Ok::<(), forge_remote_auth::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConnectJwtVerifier {
    validation: ConnectValidation,
}

/// A Connect JWT after steps 1–3: nothing in it is trusted yet.
pub(crate) struct ParsedConnect<'t> {
    pub(crate) signing_input: &'t str,
    pub(crate) kid: Option<String>,
    pub(crate) alg: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) claims: RawClaims,
}

/// The typed claims shared by Connect JWTs and signed-install tokens.
pub(crate) struct RawClaims {
    pub(crate) iss: String,
    pub(crate) aud: Option<Vec<String>>,
    pub(crate) sub: Option<String>,
    pub(crate) iat: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) exp: i64,
    pub(crate) qsh: String,
    pub(crate) context: Option<Value>,
}

/// Steps 1–3 for any Connect token; `alg_ok` settles the algorithm before the payload is read.
pub(crate) fn parse_connect(
    token: &str,
    max_token_bytes: usize,
    alg_ok: impl FnOnce(&str) -> Result<(), Error>,
) -> Result<ParsedConnect<'_>, Error> {
    let (signing_input, header_b64, payload_b64, signature_b64) =
        split_token(token, max_token_bytes)?;
    if header_b64.len() > MAX_HEADER_B64 {
        return Err(Error::MalformedToken("header too large"));
    }
    let header_bytes =
        crate::b64::decode_to_vec(header_b64).ok_or(Error::BadBase64(TokenPart::Header))?;
    let header = decode_header(&header_bytes)?;
    let alg = header.alg.as_deref().ok_or(Error::MalformedHeader("alg"))?;
    alg_ok(alg)?;
    if header.has_crit {
        return Err(Error::CritHeader);
    }
    let (alg, kid) = (alg.to_owned(), header.kid.map(|k| k.into_owned()));
    let payload =
        crate::b64::decode_to_vec(payload_b64).ok_or(Error::BadBase64(TokenPart::Payload))?;
    let claims = typed_claims(decode_object(&payload, TokenPart::Payload)?)?;
    let signature =
        crate::b64::decode_to_vec(signature_b64).ok_or(Error::BadBase64(TokenPart::Signature))?;
    Ok(ParsedConnect {
        signing_input,
        kid,
        alg,
        signature,
        claims,
    })
}

fn typed_claims(mut m: Map<String, Value>) -> Result<RawClaims, Error> {
    // An optional claim that is `null` counts as absent, as for FITs.
    let mut take = |name: &str| m.remove(name).filter(|v| !v.is_null());
    let string = |v: Option<Value>, name: &'static str| match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::ClaimWrongType(name)),
    };
    let int = |v: Option<Value>, name: &'static str| match v {
        None => Ok(None),
        Some(Value::Number(n)) if !n.is_f64() => {
            n.as_i64().map(Some).ok_or(Error::ClaimWrongType(name))
        }
        Some(_) => Err(Error::ClaimWrongType(name)),
    };
    let iss = string(take("iss"), "iss")?.ok_or(Error::MissingClaim("iss"))?;
    let aud = match take("aud") {
        None => None,
        Some(Value::String(s)) => Some(vec![s]),
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(Error::ClaimWrongType("aud")),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(Error::ClaimWrongType("aud")),
    };
    let exp = int(take("exp"), "exp")?.ok_or(Error::MissingClaim("exp"))?;
    let qsh = string(take("qsh"), "qsh")?.ok_or(Error::MissingClaim("qsh"))?;
    let iat = int(take("iat"), "iat")?;
    let nbf = int(take("nbf"), "nbf")?;
    let sub = string(take("sub"), "sub")?;
    let context = match take("context") {
        None => None,
        Some(v @ Value::Object(_)) => Some(v),
        Some(_) => return Err(Error::ClaimWrongType("context")),
    };
    Ok(RawClaims {
        iss,
        aud,
        sub,
        iat,
        nbf,
        exp,
        qsh,
        context,
    })
}

/// `exp`, `iat`, `nbf` against `now` with `leeway` seconds.
pub(crate) fn check_times(c: &RawClaims, leeway: i64, now: i64) -> Result<(), Error> {
    if now >= c.exp.saturating_add(leeway) {
        return Err(Error::Expired);
    }
    if c.iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
        return Err(Error::IssuedInFuture);
    }
    if c.nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(Error::NotYetValid);
    }
    Ok(())
}

/// The `qsh` check shared by both token kinds.
pub(crate) fn check_qsh(
    qsh: &str,
    request: &ConnectRequest,
    base_path: &str,
    mode: QshMode,
) -> Result<(), Error> {
    if qsh == CONTEXT_QSH {
        return match mode {
            QshMode::ContextAllowed => Ok(()),
            QshMode::Computed => Err(Error::ContextQshNotAllowed),
        };
    }
    if qsh != request.query_string_hash(base_path) {
        return Err(Error::QshMismatch);
    }
    Ok(())
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let pkey = openssl::pkey::PKey::hmac(key).ok()?;
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey).ok()?;
    signer.sign_oneshot_to_vec(message).ok()
}

impl ConnectJwtVerifier {
    /// A verifier with these settings.
    pub fn new(validation: ConnectValidation) -> Self {
        ConnectJwtVerifier { validation }
    }

    /// The settings in use.
    pub fn validation(&self) -> &ConnectValidation {
        &self.validation
    }

    /// The client key a token names (`aud[0]` if present, else `iss`) after the structural checks (size,
    /// encoding, strict JSON, `alg` = HS256, claim types), **without verifying anything**: use it only to look up
    /// the shared secret, then call [`ConnectJwtVerifier::verify`].
    pub fn unverified_client_key(&self, token: &str) -> Result<String, Error> {
        let parsed = self.parse(token)?;
        Ok(client_key_of(&parsed.claims).to_owned())
    }

    /// Verifies `token` for the installation `expected_client_key` whose shared secret is `secret`, sent with
    /// `request`, accepting the `qsh` values of `mode`.
    pub fn verify(
        &self,
        token: &str,
        expected_client_key: &str,
        secret: &SharedSecret,
        request: &ConnectRequest,
        mode: QshMode,
    ) -> Result<ConnectClaims, Error> {
        self.verify_at(
            token,
            expected_client_key,
            secret,
            request,
            mode,
            unix_now(),
        )
    }

    /// [`ConnectJwtVerifier::verify`] for an `Authorization: JWT <token>` header value.
    pub fn verify_authorization(
        &self,
        header_value: &str,
        expected_client_key: &str,
        secret: &SharedSecret,
        request: &ConnectRequest,
        mode: QshMode,
    ) -> Result<ConnectClaims, Error> {
        let token = jwt_from_authorization(header_value)?;
        self.verify(token, expected_client_key, secret, request, mode)
    }

    /// Verifies `token`, finding the shared secret of the client key it names with `secrets`.
    pub async fn verify_with_lookup(
        &self,
        token: &str,
        secrets: &dyn SharedSecretLookup,
        request: &ConnectRequest,
        mode: QshMode,
    ) -> Result<ConnectClaims, Error> {
        let client_key = self.unverified_client_key(token)?;
        let secret = secrets
            .shared_secret(&client_key)
            .await?
            .ok_or(Error::UnknownClientKey)?;
        self.verify(token, &client_key, &secret, request, mode)
    }

    fn parse<'t>(&self, token: &'t str) -> Result<ParsedConnect<'t>, Error> {
        parse_connect(token, self.validation.max_token_bytes, |alg| {
            if alg == "HS256" {
                Ok(())
            } else {
                Err(Error::AlgorithmNotHs256)
            }
        })
    }

    pub(crate) fn verify_at(
        &self,
        token: &str,
        expected_client_key: &str,
        secret: &SharedSecret,
        request: &ConnectRequest,
        mode: QshMode,
        now: i64,
    ) -> Result<ConnectClaims, Error> {
        let v = &self.validation;
        let parsed = self.parse(token)?;
        let c = &parsed.claims;

        let client_key = client_key_of(c);
        if client_key != expected_client_key {
            return Err(Error::ClientKeyMismatch);
        }
        if c.iss != client_key && v.app_key.as_deref() != Some(c.iss.as_str()) {
            return Err(Error::ClientKeyMismatch);
        }
        if secret.expose().is_empty() {
            return Err(Error::UnknownClientKey);
        }

        let expected = hmac_sha256(secret.expose(), parsed.signing_input.as_bytes())
            .ok_or(Error::BadSignature)?;
        if parsed.signature.len() != expected.len()
            || !openssl::memcmp::eq(&parsed.signature, &expected)
        {
            return Err(Error::BadSignature);
        }

        check_times(c, v.leeway_secs, now)?;
        check_qsh(&c.qsh, request, &v.base_path, mode)?;

        let client_key = client_key.to_owned();
        let c = parsed.claims;
        Ok(ConnectClaims {
            client_key,
            iss: c.iss,
            aud: c.aud.unwrap_or_default(),
            sub: c.sub,
            iat: c.iat,
            exp: c.exp,
            qsh: c.qsh,
            context: c.context,
        })
    }
}

/// ACE: `aud[0]` when `aud` is a non-empty list, else `iss`.
fn client_key_of(c: &RawClaims) -> &str {
    c.aud
        .as_ref()
        .and_then(|a| a.first())
        .map_or(c.iss.as_str(), String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    fn sign(payload: &str, secret: &[u8]) -> String {
        let input = format!("{}.{}", b64(br#"{"alg":"HS256"}"#), b64(payload.as_bytes()));
        let sig = hmac_sha256(secret, input.as_bytes()).unwrap();
        format!("{input}.{}", b64(&sig))
    }

    #[test]
    fn leeway_applies_to_exp_iat_and_nbf() {
        let v = ConnectJwtVerifier::new(
            ConnectValidation::new("https://a.example.com")
                .unwrap()
                .leeway(Duration::from_secs(30))
                .unwrap(),
        );
        let req = ConnectRequest::new("GET", "/x", [("a", "1")]);
        let qsh = req.query_string_hash("");
        let secret = SharedSecret::new("s3cret");
        let token = |extra: &str| {
            sign(
                &format!(r#"{{"iss":"ck","exp":1000,"qsh":"{qsh}"{extra}}}"#),
                b"s3cret",
            )
        };
        let at = |t: &str, now| v.verify_at(t, "ck", &secret, &req, QshMode::Computed, now);
        assert!(at(&token(""), 1029).is_ok());
        assert_eq!(at(&token(""), 1030).unwrap_err(), Error::Expired);
        assert!(at(&token(r#","iat":1000"#), 970).is_ok());
        assert_eq!(
            at(&token(r#","iat":1000"#), 969).unwrap_err(),
            Error::IssuedInFuture
        );
        assert_eq!(
            at(&token(r#","nbf":1000"#), 969).unwrap_err(),
            Error::NotYetValid
        );
        assert_eq!(
            at(&token(r#","exp":2000"#), 0).unwrap_err(),
            Error::DuplicateJsonMember(TokenPart::Payload)
        );
    }

    #[test]
    fn settings_are_bounded() {
        assert!(ConnectValidation::new("http://evil.example.com").is_err());
        assert!(ConnectValidation::new("https://a.example.com/x?y").is_err());
        assert!(ConnectValidation::new("ftp://a").is_err());
        assert!(ConnectValidation::new("http://localhost:8080/app").is_ok());
        let v = ConnectValidation::new("https://a.example.com").unwrap();
        assert!(v.clone().leeway(Duration::from_secs(301)).is_err());
        assert!(v.clone().max_token_bytes(10).is_err());
        assert_eq!(v.base_path(), "");
        assert_eq!(
            format!("{:?}", SharedSecret::new("x")),
            "SharedSecret(<redacted>)"
        );
    }

    #[test]
    fn authorization_scheme() {
        assert_eq!(jwt_from_authorization("JWT a.b.c").unwrap(), "a.b.c");
        assert_eq!(jwt_from_authorization("jwt a.b.c").unwrap(), "a.b.c");
        for bad in ["Bearer a.b.c", "JWT", "JWT  a", "JWTa", "JWT a b"] {
            assert_eq!(
                jwt_from_authorization(bad),
                Err(Error::MalformedJwtAuthorization)
            );
        }
    }
}
