//! [`FitValidator`]: the whole check of a Forge Invocation Token.
//!
//! # Order of the checks
//! 1. Size cap, then framing (three non-empty segments): no decoding before these.
//! 2. Header: canonical base64url, strict JSON, `alg == RS256`, no `crit`, a `kid` of bounded length.
//!    The algorithm is settled here, before any key is looked up.
//! 3. Payload: canonical base64url, strict JSON, every known claim of its documented type, required claims
//!    present, `icLabel` well-formed. Signature segment: canonical base64url of a plausible length.
//! 4. Key lookup by `kid` (and validated `icLabel`) in the key store's cache.
//! 5. RS256 signature over `header.payload`: the one expensive step, reached only by well-formed tokens.
//! 6. Claims, now trusted: `iss`, `aud`, `app.id`, lifetime, `iat`/`nbf`/`exp` with leeway, `apiBaseUrl`s.
//! 7. Replay guard (optional), last, so a token refused for any other reason never uses up its `jti`.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::claims::InvocationClaims;
use crate::decode::{decode_claims, decode_header};
use crate::error::{Error, TokenPart};
use crate::keys::KeyStore;
use crate::replay::ReplayGuard;
use crate::validation::{Validation, FIT_ISSUER, MAX_KID_LEN};

/// Longest accepted encoded header. A FIT header is about 60 characters; this leaves room for `typ` and
/// ignored members while letting the header decode into a stack buffer.
const MAX_HEADER_B64: usize = 1024;
/// Payloads of up to this many base64url characters are decoded into a stack buffer (the docs example has about
/// 2,500); longer ones into a vector.
const STACK_PAYLOAD_B64: usize = 4096;
/// Longest signature, in bytes: an RSA-8192 signature.
const MAX_SIGNATURE_BYTES: usize = 1024;
/// Longest accepted `icLabel`.
const MAX_IC_LABEL_LEN: usize = 50;

/// Validates Forge Invocation Tokens against a [`Validation`] and a [`KeyStore`].
///
/// Cheap to clone (one `Arc`), `Send + Sync`: build one at start-up and share it (e.g. as
/// `actix_web::web::Data<FitValidator>`).
#[derive(Clone)]
pub struct FitValidator {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    validation: Validation,
    keys: Arc<dyn KeyStore>,
    replay: Option<Arc<dyn ReplayGuard>>,
}

impl fmt::Debug for FitValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FitValidator")
            .field("validation", &self.inner.validation)
            .field("replay_guard", &self.inner.replay.is_some())
            .finish_non_exhaustive()
    }
}

/// A token that passed the structural checks (steps 1–3). Nothing in it is trusted yet.
struct Parsed<'t> {
    signing_input: &'t str,
    /// The `kid`, kept inline (it is at most [`MAX_KID_LEN`] bytes): no allocation per request.
    kid: [u8; MAX_KID_LEN],
    kid_len: usize,
    claims: InvocationClaims,
    signature: [u8; MAX_SIGNATURE_BYTES],
    signature_len: usize,
}

impl Parsed<'_> {
    fn kid(&self) -> &str {
        // Copied from a `str` at a char boundary, so this cannot fail; an empty kid would match no key anyway.
        self.kid
            .get(..self.kid_len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    fn signature(&self) -> &[u8] {
        self.signature.get(..self.signature_len).unwrap_or_default()
    }
}

impl FitValidator {
    /// A validator checking tokens against `validation`, with keys from `keys`.
    pub fn new(validation: Validation, keys: Arc<dyn KeyStore>) -> Self {
        FitValidator {
            inner: Arc::new(Inner {
                validation,
                keys,
                replay: None,
            }),
        }
    }

    /// Also refuses a `jti` seen before (see [`ReplayGuard`]).
    pub fn with_replay_guard(self, guard: Arc<dyn ReplayGuard>) -> Self {
        let mut inner = (*self.inner).clone();
        inner.replay = Some(guard);
        FitValidator {
            inner: Arc::new(inner),
        }
    }

    /// The validation settings in use.
    pub fn validation(&self) -> &Validation {
        &self.inner.validation
    }

    /// Validates the value of an `Authorization` header: `Bearer <token>`, the scheme in any case, exactly one
    /// space, one token.
    pub async fn validate_authorization(
        &self,
        header_value: &str,
    ) -> Result<InvocationClaims, Error> {
        self.validate(bearer_token(header_value)?).await
    }

    /// Validates a bare token and returns its claims.
    pub async fn validate(&self, token: &str) -> Result<InvocationClaims, Error> {
        let v = &self.inner.validation;
        let parsed = parse(token, v.max_token_bytes)?;

        let (kid, ic_label) = (parsed.kid(), parsed.claims.ic_label.as_deref());
        // A warm cache answers synchronously; only a miss pays for the boxed async call.
        let key = match self.inner.keys.cached_key(kid, ic_label) {
            Some(key) => key,
            None => self
                .inner
                .keys
                .verifying_key(kid, ic_label)
                .await?
                .ok_or(Error::UnknownKid)?,
        };
        if !key.verify_rs256(parsed.signing_input.as_bytes(), parsed.signature()) {
            return Err(Error::BadSignature);
        }

        let claims = parsed.claims;
        check_claims(&claims, v, unix_now())?;

        if let Some(guard) = &self.inner.replay {
            if !guard
                .check_and_remember(&claims.jti, claims.exp.saturating_add(v.leeway_secs))
                .await?
            {
                return Err(Error::ReplayedToken);
            }
        }
        Ok(claims)
    }
}

/// Extracts the token from `Bearer <token>`.
pub(crate) fn bearer_token(header_value: &str) -> Result<&str, Error> {
    scheme_token(header_value, "bearer").ok_or(Error::MalformedAuthorization)
}

/// The token of `<scheme> <token>`: the scheme in any case, exactly one space, one non-empty token.
pub(crate) fn scheme_token<'h>(header_value: &'h str, scheme: &str) -> Option<&'h str> {
    let (s, token) = header_value.split_once(' ')?;
    if !s.eq_ignore_ascii_case(scheme) || token.is_empty() || token.contains([' ', '\t']) {
        return None;
    }
    Some(token)
}

/// The compact JWS segments `(signing input, header, payload, signature)`, after the size cap: exactly three
/// non-empty dot-separated segments. Nothing is decoded.
pub(crate) fn split_token(
    token: &str,
    max_token_bytes: usize,
) -> Result<(&str, &str, &str, &str), Error> {
    if token.len() > max_token_bytes {
        return Err(Error::TokenTooLarge {
            len: token.len(),
            max: max_token_bytes,
        });
    }
    let (signing_input, signature_b64) = token
        .rsplit_once('.')
        .ok_or(Error::MalformedToken("not three segments"))?;
    let (header_b64, payload_b64) = signing_input
        .split_once('.')
        .ok_or(Error::MalformedToken("not three segments"))?;
    if payload_b64.contains('.') {
        return Err(Error::MalformedToken("not three segments"));
    }
    if header_b64.is_empty() || payload_b64.is_empty() || signature_b64.is_empty() {
        return Err(Error::MalformedToken("empty segment"));
    }
    Ok((signing_input, header_b64, payload_b64, signature_b64))
}

/// Steps 1–3: everything that needs neither a key nor trust.
fn parse(token: &str, max_token_bytes: usize) -> Result<Parsed<'_>, Error> {
    let (signing_input, header_b64, payload_b64, signature_b64) =
        split_token(token, max_token_bytes)?;

    // Header, decoded into a stack buffer: no allocation for the common case of a borrowed `kid`.
    if header_b64.len() > MAX_HEADER_B64 {
        return Err(Error::MalformedToken("header too large"));
    }
    let mut header_buf = [0u8; MAX_HEADER_B64];
    let header_bytes = crate::b64::decode_into(header_b64, &mut header_buf)
        .ok_or(Error::BadBase64(TokenPart::Header))?;
    let header = decode_header(header_bytes)?;
    match header.alg.as_deref() {
        None => return Err(Error::MalformedHeader("alg")),
        Some("RS256") => {}
        Some(_) => return Err(Error::AlgorithmNotAllowed),
    }
    if header.has_crit {
        return Err(Error::CritHeader);
    }
    let mut kid = [0u8; MAX_KID_LEN];
    let kid_len = match header.kid.as_deref() {
        None | Some("") => return Err(Error::MissingKid),
        Some(k) if k.len() > MAX_KID_LEN => {
            return Err(Error::KidTooLong {
                len: k.len(),
                max: MAX_KID_LEN,
            });
        }
        Some(k) => {
            kid.get_mut(..k.len())
                .unwrap_or_default()
                .copy_from_slice(k.as_bytes());
            k.len()
        }
    };

    // The payload is decoded on the stack when it is of usual size (the claims own copies of what they keep).
    let claims = if payload_b64.len() <= STACK_PAYLOAD_B64 {
        let mut buf = [0u8; STACK_PAYLOAD_B64 / 4 * 3];
        decode_claims(
            crate::b64::decode_into(payload_b64, &mut buf)
                .ok_or(Error::BadBase64(TokenPart::Payload))?,
        )?
    } else {
        let payload =
            crate::b64::decode_to_vec(payload_b64).ok_or(Error::BadBase64(TokenPart::Payload))?;
        decode_claims(&payload)?
    };
    if let Some(label) = &claims.ic_label {
        if !is_valid_ic_label(label) {
            return Err(Error::BadIcLabel);
        }
    }

    // Base64 of 1,024 bytes is 1,366 characters; anything longer cannot be a signature we would accept.
    if signature_b64.len() > (MAX_SIGNATURE_BYTES * 4).div_ceil(3) {
        return Err(Error::BadSignature);
    }
    let mut signature = [0u8; MAX_SIGNATURE_BYTES];
    let signature_len = crate::b64::decode_into(signature_b64, &mut signature)
        .ok_or(Error::BadBase64(TokenPart::Signature))?
        .len();
    Ok(Parsed {
        signing_input,
        kid,
        kid_len,
        claims,
        signature,
        signature_len,
    })
}

/// Step 6: the claims of a token whose signature verified.
fn check_claims(c: &InvocationClaims, v: &Validation, now: i64) -> Result<(), Error> {
    if c.iss != FIT_ISSUER {
        return Err(Error::WrongIssuer);
    }
    if !c.aud.contains(&v.audience) {
        return Err(Error::WrongAudience);
    }
    if c.app.id != v.audience {
        return Err(Error::AppIdMismatch);
    }
    if c.exp <= c.iat {
        return Err(Error::InvalidClaim("exp"));
    }
    let lifetime = c.exp.saturating_sub(c.iat);
    if lifetime > v.max_lifetime_secs {
        return Err(Error::LifetimeTooLong {
            lifetime_secs: lifetime,
            max_secs: v.max_lifetime_secs,
        });
    }
    let leeway = v.leeway_secs;
    if c.iat > now.saturating_add(leeway) {
        return Err(Error::IssuedInFuture);
    }
    if c.nbf > now.saturating_add(leeway) {
        return Err(Error::NotYetValid);
    }
    if now >= c.exp.saturating_add(leeway) {
        return Err(Error::Expired);
    }
    if !is_allowed_api_base_url(&c.app.api_base_url, &v.api_hosts) {
        return Err(Error::BadApiBaseUrl("app.apiBaseUrl"));
    }
    if let Some(installation) = &c.app.installation {
        if installation
            .contexts
            .iter()
            .any(|ctx| !is_allowed_api_base_url(&ctx.api_base_url, &v.api_hosts))
        {
            return Err(Error::BadApiBaseUrl("app.installation.contexts.apiBaseUrl"));
        }
    }
    Ok(())
}

/// `^[a-z0-9_-]{1,50}$`, the Isolated Cloud label syntax from the Forge docs.
pub(crate) fn is_valid_ic_label(label: &str) -> bool {
    (1..=MAX_IC_LABEL_LEN).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// `https://<host on the allowlist>` followed by nothing or by a plain absolute path.
///
/// The URL is the base for calls that carry the app's OAuth tokens, so it is held to a shape with no room for
/// parser disagreements: no userinfo (`@`), no port, no query or fragment, no backslash, no empty or dot segments,
/// percent-escapes only as `%XX` and never for `.`, `/` or `\`; path characters are RFC 3986 unreserved plus `/`,
/// `{`, `}`, `:` and `@`-free sub-delimiters `!$&'()*+,;=`. The host comparison is exact.
pub(crate) fn is_allowed_api_base_url(url: &str, hosts: &[String]) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !hosts.iter().any(|h| h == host) {
        return false;
    }
    if path.is_empty() {
        return true;
    }
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i).copied().unwrap_or(0) {
            b'%' => {
                let hex = path.get(i + 1..i + 3).unwrap_or("");
                if hex.len() != 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return false;
                }
                if matches!(hex.to_ascii_lowercase().as_str(), "2e" | "2f" | "5c") {
                    return false;
                }
                i += 3;
                continue;
            }
            b if b.is_ascii_alphanumeric() => {}
            b'-' | b'.' | b'_' | b'~' | b'/' | b'{' | b'}' | b':' | b'!' | b'$' | b'&' | b'\''
            | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => {}
            _ => return false,
        }
        i += 1;
    }
    // The path starts with '/'. Every segment after it must be real (not empty, `.` or `..`); a trailing slash
    // is tolerated.
    let mut segments = path.get(1..).unwrap_or("").split('/').peekable();
    while let Some(segment) = segments.next() {
        if segment == "." || segment == ".." || (segment.is_empty() && segments.peek().is_some()) {
            return false;
        }
    }
    true
}

/// Seconds since the Unix epoch (a clock before 1970 reads as 0, which makes every token look not-yet-valid
/// rather than valid).
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Decodes the claims of `token` structurally without checking the signature or any claim value; used by
/// [`crate::dangerous`].
pub(crate) fn decode_unverified(
    token: &str,
    max_token_bytes: usize,
) -> Result<InvocationClaims, Error> {
    parse(token, max_token_bytes).map(|p| p.claims)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_with_exactly_one_space() {
        assert_eq!(bearer_token("Bearer abc").unwrap(), "abc");
        assert_eq!(bearer_token("bEARER abc").unwrap(), "abc");
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer  abc",
            "Bearer abc def",
            "Basic abc",
            "Bearerabc",
            " Bearer abc",
            "Bearer\tabc",
        ] {
            assert_eq!(
                bearer_token(bad),
                Err(Error::MalformedAuthorization),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ic_labels() {
        for ok in ["orange", "a", "a_b-9", &"x".repeat(50)] {
            assert!(is_valid_ic_label(ok), "{ok}");
        }
        for bad in [
            "",
            "Orange",
            "a.b",
            "a/b",
            "../x",
            "a b",
            "é",
            &"x".repeat(51),
        ] {
            assert!(!is_valid_ic_label(bad), "{bad}");
        }
    }

    #[test]
    fn api_base_urls() {
        let hosts = vec!["api.atlassian.com".to_owned()];
        for ok in [
            "https://api.atlassian.com",
            "https://api.atlassian.com/",
            "https://api.atlassian.com/ex/jira/d0d52620-3203-4cfa-8db5-f2587155f0dd",
            "https://api.atlassian.com/ex/bitbucket/{a1b2}",
            "https://api.atlassian.com/ex/x/a%20b",
        ] {
            assert!(is_allowed_api_base_url(ok, &hosts), "{ok}");
        }
        for bad in [
            "http://api.atlassian.com/ex/jira/x",
            "https://api.atlassian.com.evil.com/ex/jira/x",
            "https://evil.com/api.atlassian.com",
            "https://api.atlassian.com@evil.com/",
            "https://user@api.atlassian.com/",
            "https://api.atlassian.com:443/ex",
            "https://API.atlassian.com/ex",
            "https://api.atlassian.com/ex/../admin",
            "https://api.atlassian.com/ex/%2e%2e/admin",
            "https://api.atlassian.com/ex//jira",
            "https://api.atlassian.com/ex?x=1",
            "https://api.atlassian.com/ex#x",
            "https://api.atlassian.com/ex\\jira",
            "https://api.atlassian.com/ex jira",
            "https://api.atlassian.com/ex/%zz",
            "HTTPS://api.atlassian.com/",
            "https:///api.atlassian.com",
            "",
        ] {
            assert!(!is_allowed_api_base_url(bad, &hosts), "{bad}");
        }
    }

    #[test]
    fn framing_errors_come_before_decoding() {
        assert!(matches!(parse("", 8192), Err(Error::MalformedToken(_))));
        assert!(matches!(parse("a.b", 8192), Err(Error::MalformedToken(_))));
        assert!(matches!(
            parse("a.b.c.d", 8192),
            Err(Error::MalformedToken(_))
        ));
        assert!(matches!(parse("a..c", 8192), Err(Error::MalformedToken(_))));
        assert!(matches!(
            parse(&"a".repeat(8193), 8192),
            Err(Error::TokenTooLarge {
                len: 8193,
                max: 8192
            })
        ));
        assert_eq!(
            parse("a=.b.c", 8192).err(),
            Some(Error::BadBase64(TokenPart::Header))
        );
    }
}
