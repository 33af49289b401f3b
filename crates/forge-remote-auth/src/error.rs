//! The crate's two error types: [`Error`] for anything that happens while checking a request, and
//! [`ConfigError`] for a configuration that cannot be used.
//!
//! # Invariant: messages never carry secrets
//! No variant holds the token, a part of it, or the `principal`. Variants carry only static names (claim names,
//! header names), sizes, and messages about our own key-fetching, so `Display` and `Debug` are safe to log.

use std::fmt;

/// Which of the three JWS segments a decoding error was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPart {
    /// The JOSE header (first segment).
    Header,
    /// The claims (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl fmt::Display for TokenPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenPart::Header => "header",
            TokenPart::Payload => "payload",
            TokenPart::Signature => "signature",
        })
    }
}

/// Everything that can go wrong while checking a Forge request.
///
/// The variants split into two families, told apart by [`Error::is_invalid_token`] (answer 401: the caller sent
/// something we refuse) and [`Error::is_unavailable`] (answer 503: we could not check, through no fault of the
/// caller). Exactly one of the two is true for every variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- framing and decoding (checked before anything else, without any allocation-heavy work) -----
    /// The `Authorization` header is not `Bearer <token>` (scheme compared case-insensitively, exactly one space,
    /// one non-empty token).
    #[error("the Authorization header is not `Bearer <token>`")]
    MalformedAuthorization,
    /// The token is longer than [`Validation::max_token_bytes`](crate::Validation::max_token_bytes); it is refused
    /// before any decoding.
    #[error("the token is {len} bytes long, over the {max}-byte limit")]
    TokenTooLarge {
        /// Length of the token that was received.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The token is not three non-empty dot-separated segments, or a segment is not a JSON object.
    #[error("the token is malformed: {0}")]
    MalformedToken(&'static str),
    /// A segment is not canonical base64url without padding (padding, `+`/`/`, whitespace, or non-zero trailing
    /// bits all count).
    #[error("the token {0} is not canonical unpadded base64url")]
    BadBase64(TokenPart),
    /// A segment decodes to bytes that are not one JSON value (syntax error, invalid UTF-8, trailing data).
    #[error("the token {0} is not valid JSON")]
    InvalidJson(TokenPart),
    /// A JSON object in the header or payload, at any depth, names the same member twice (after unescaping).
    /// Parsers disagree on which one wins, so such a token is refused.
    #[error("the token {0} has a duplicate JSON member name")]
    DuplicateJsonMember(TokenPart),
    /// The header or payload nests arrays/objects deeper than [`MAX_JSON_DEPTH`](crate::MAX_JSON_DEPTH).
    #[error("the token {0} nests JSON deeper than the limit")]
    JsonTooDeep(TokenPart),

    // ----- JOSE header -----
    /// A header member has the wrong JSON type, or `alg` is missing (the member's name is given).
    #[error("the token header member `{0}` is missing or has the wrong type")]
    MalformedHeader(&'static str),
    /// `alg` is not exactly `RS256` (`none`, `HS*`, `ES*`, `PS*`, `rs256`…). Checked before any key lookup.
    #[error("the token algorithm is not RS256")]
    AlgorithmNotAllowed,
    /// The header has a `crit` member. No extension is understood, so RFC 7515 §4.1.11 requires a refusal.
    #[error("the token header has a `crit` member")]
    CritHeader,
    /// The header has no `kid` (or an empty one).
    #[error("the token header has no `kid`")]
    MissingKid,
    /// The `kid` is longer than [`MAX_KID_LEN`](crate::MAX_KID_LEN).
    #[error("the token `kid` is {len} bytes long, over the {max}-byte limit")]
    KidTooLong {
        /// Length of the `kid` received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// No key in the (fresh enough) key set has this `kid`.
    #[error("no known signing key has the token's `kid`")]
    UnknownKid,
    /// The RS256 signature does not verify with the key named by `kid`.
    #[error("the token signature does not verify")]
    BadSignature,

    // ----- claims -----
    /// A required claim is absent (dotted path, e.g. `exp` or `app.installationId`).
    #[error("the required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// A known claim has the wrong JSON type, e.g. `exp` as a string, a float or `null` (dotted path).
    #[error("the claim `{0}` has the wrong JSON type")]
    ClaimWrongType(&'static str),
    /// A claim has the right type but a value that can never be valid (empty `jti`, `exp` not after `iat`…).
    #[error("the claim `{0}` has an invalid value")]
    InvalidClaim(&'static str),
    /// `iss` is not [`FIT_ISSUER`](crate::FIT_ISSUER).
    #[error("the token issuer is not `forge/invocation-token`")]
    WrongIssuer,
    /// No `aud` entry equals the configured app ARI.
    #[error("the token audience is not this app")]
    WrongAudience,
    /// `app.id` differs from the configured app ARI (the audience).
    #[error("the token `app.id` is not this app")]
    AppIdMismatch,
    /// `exp` (plus leeway) is in the past.
    #[error("the token has expired")]
    Expired,
    /// `nbf` (minus leeway) is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iat` (minus leeway) is in the future.
    #[error("the token was issued in the future")]
    IssuedInFuture,
    /// `exp - iat` is longer than [`Validation::max_lifetime`](crate::Validation::max_lifetime).
    #[error("the token lifetime of {lifetime_secs} s is over the {max_secs} s limit")]
    LifetimeTooLong {
        /// `exp - iat` of the token, in seconds.
        lifetime_secs: i64,
        /// The configured maximum, in seconds.
        max_secs: i64,
    },
    /// An `apiBaseUrl` (in `app` or an installation context) is not `https://<allowed host>/<plain path>`.
    #[error("the claim `{0}` is not an allowed https API base URL")]
    BadApiBaseUrl(&'static str),
    /// `icLabel` does not match `^[a-z0-9_-]{1,50}$`. Checked before it is used to pick a key set.
    #[error("the `icLabel` claim is not a valid Isolated Cloud label")]
    BadIcLabel,
    /// The token carries an `icLabel` but no Isolated Cloud key set is configured.
    #[error("the token is for an Isolated Cloud, which is not configured")]
    IsolatedCloudNotConfigured,
    /// The token's `jti` was already accepted once (replay guard).
    #[error("the token was already used (replayed `jti`)")]
    ReplayedToken,

    // ----- other request headers -----
    /// A required trace header (`x-b3-traceid` / `x-b3-spanid`) is absent.
    #[error("the `{0}` header is missing")]
    MissingTraceHeader(&'static str),
    /// A trace header is not 16 or 32 lowercase/uppercase hex characters.
    #[error("the `{0}` header is not 16 or 32 hex characters")]
    InvalidTraceHeader(&'static str),
    /// An app token header (`x-forge-oauth-system` / `x-forge-oauth-user`) is absent where it is required.
    #[error("the `{0}` header is missing")]
    MissingAppToken(&'static str),
    /// An app token header is empty, too long, or has characters a bearer token cannot have.
    #[error("the `{0}` header is not a well-formed bearer token")]
    InvalidAppToken(&'static str),

    // ----- Atlassian Connect (module `connect`) -----
    /// The `Authorization` header is not `JWT <token>` (scheme compared case-insensitively, exactly one space, one
    /// non-empty token), or a Connect JWT is missing or was sent twice (header and `jwt` query parameter).
    #[error("the request does not carry exactly one `Authorization: JWT <token>`")]
    MalformedJwtAuthorization,
    /// A Connect JWT's `alg` is not exactly `HS256` (`none`, `HS384`, `HS512`, `RS256`, `hs256`…). Checked before
    /// anything else is read from the token.
    #[error("the Connect JWT algorithm is not HS256")]
    AlgorithmNotHs256,
    /// A lifecycle callback (`installed` / `uninstalled`) carries a symmetric (`HS*`) token: those callbacks must
    /// be signed with Atlassian's install key (RS256), never with the shared secret (no downgrade).
    #[error(
        "a lifecycle callback carries a symmetric token instead of a signed-install (RS256) token"
    )]
    SymmetricLifecycleToken,
    /// The signed-install `kid` is not a plain key id (see `connect::is_valid_install_kid`): a URL, a path with
    /// `..` or `//`, or characters outside `[A-Za-z0-9._/-]`. Refused before any key is fetched.
    #[error("the token `kid` is not a plain key id")]
    InvalidKid,
    /// The Connect client key named by the token (`aud[0]` if present, else `iss`) is not the expected one, or
    /// `iss` is neither that client key nor the configured app key.
    #[error("the token is not for the expected Connect client key")]
    ClientKeyMismatch,
    /// No shared secret is known for the token's client key (not installed, or uninstalled).
    #[error("no shared secret is known for the token's client key")]
    UnknownClientKey,
    /// The token's `qsh` is not the query string hash of this request.
    #[error("the token `qsh` does not match the request")]
    QshMismatch,
    /// The token's `qsh` is `context-qsh` on a route that requires a computed query string hash.
    #[error("a context-qsh token was sent where a computed qsh is required")]
    ContextQshNotAllowed,

    // ----- we could not check (→ 503) -----
    /// Fetching the JWKS failed (network error, timeout, non-200 status, oversized body) and no cached key could
    /// answer.
    #[error("fetching the JWKS failed: {0}")]
    JwksFetchFailed(String),
    /// The JWKS endpoint answered, but with no usable RS256 signing key or with something that is not a JWKS.
    #[error("the JWKS is invalid: {0}")]
    JwksInvalid(String),
    /// Cold start: no key set has ever been fetched and a fetch is not allowed yet (a recent one failed).
    #[error("no signing keys are available yet")]
    NoKeysAvailable,
    /// The replay guard's store could not answer (database down, capacity exhausted…).
    #[error("the replay store is unavailable: {0}")]
    ReplayStoreUnavailable(String),
    /// Fetching a Connect install public key failed (network error, timeout, a 5xx/408/429 status, oversized
    /// body) and no cached key could answer.
    #[error("fetching the Connect install key failed: {0}")]
    InstallKeyFetchFailed(String),
    /// The Connect install key endpoint answered 200 with something that is not a usable RSA public key PEM.
    #[error("the Connect install key is invalid: {0}")]
    InstallKeyInvalid(String),
    /// The shared-secret lookup (database…) could not answer.
    #[error("the Connect shared secret store is unavailable: {0}")]
    SharedSecretUnavailable(String),
}

impl Error {
    /// `true` when the failure is ours, not the caller's: the request should get a 503 with `Retry-After`, and
    /// may succeed when retried.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Error::JwksFetchFailed(_)
                | Error::JwksInvalid(_)
                | Error::NoKeysAvailable
                | Error::ReplayStoreUnavailable(_)
                | Error::InstallKeyFetchFailed(_)
                | Error::InstallKeyInvalid(_)
                | Error::SharedSecretUnavailable(_)
        )
    }

    /// `true` when the request carries something we refuse: the request should get a 401 (Forge reserves 401
    /// for exactly this). Always the opposite of [`Error::is_unavailable`].
    pub fn is_invalid_token(&self) -> bool {
        !self.is_unavailable()
    }
}

/// A configuration value that cannot be used. Returned at start-up, never while validating a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The app id is neither `ari:cloud:ecosystem::app/<uuid>` nor a bare UUID.
    #[error("the app id is neither `ari:cloud:ecosystem::app/<uuid>` nor a bare UUID")]
    InvalidAppId,
    /// The leeway is over [`MAX_LEEWAY`](crate::MAX_LEEWAY).
    #[error("the leeway is over the {max_secs} s limit")]
    LeewayTooLarge {
        /// The upper bound, in seconds.
        max_secs: u64,
    },
    /// The maximum token lifetime is zero or over [`MAX_LIFETIME_LIMIT`](crate::MAX_LIFETIME_LIMIT).
    #[error("the maximum token lifetime must be between 1 s and {max_secs} s")]
    InvalidMaxLifetime {
        /// The upper bound, in seconds.
        max_secs: u64,
    },
    /// The maximum token size is outside the accepted range.
    #[error("the maximum token size must be between {min} and {max} bytes")]
    InvalidMaxTokenBytes {
        /// The lower bound.
        min: usize,
        /// The upper bound.
        max: usize,
    },
    /// An API host for the `apiBaseUrl` allowlist is not a plain lowercase DNS name.
    #[error("`{0}` is not a plain lowercase DNS host name")]
    InvalidApiHost(String),
    /// A JWKS URL (or Isolated Cloud template) is not `https://…` (or `http://` to a loopback address).
    #[error("invalid JWKS URL: {0}")]
    InvalidJwksUrl(String),
    /// A JWKS document given at start-up could not be used.
    #[error("invalid JWKS: {0}")]
    InvalidJwks(String),
    /// A Connect app base URL is not an absolute `https://` URL (or `http://` to a loopback address).
    #[error("invalid Connect app base URL: {0}")]
    InvalidAppBaseUrl(String),
    /// An RSA key could not be used (not RSA, too small or too large, bad encoding).
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A duration in the key-store configuration is zero or out of range.
    #[error("invalid key store setting: {0}")]
    InvalidKeyStoreSetting(&'static str),
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built: {0}")]
    HttpClient(String),
}
