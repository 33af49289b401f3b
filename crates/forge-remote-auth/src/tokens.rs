//! The other Forge request headers: app OAuth tokens and B3 trace ids.

use std::fmt;

use base64::Engine as _;

use crate::error::Error;

/// `authorization`: `Bearer <FIT>`.
pub const AUTHORIZATION_HEADER: &str = "authorization";
/// `x-forge-oauth-system`: the app system token (only with `auth.appSystemToken.enabled: true`).
pub const SYSTEM_TOKEN_HEADER: &str = "x-forge-oauth-system";
/// `x-forge-oauth-user`: the app user token (only with a user in session and `auth.appUserToken.enabled: true`).
pub const USER_TOKEN_HEADER: &str = "x-forge-oauth-user";
/// `x-b3-traceid`: 64- or 128-bit trace id in hex.
pub const TRACE_ID_HEADER: &str = "x-b3-traceid";
/// `x-b3-spanid`: 64- or 128-bit span id in hex.
pub const SPAN_ID_HEADER: &str = "x-b3-spanid";

/// Longest accepted app token.
pub const MAX_APP_TOKEN_BYTES: usize = 16 * 1024;

/// Checks an app token header value: non-empty, bounded, visible ASCII only (no spaces or control characters).
fn check_app_token(value: &str, header: &'static str) -> Result<(), Error> {
    if value.is_empty()
        || value.len() > MAX_APP_TOKEN_BYTES
        || !value.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Error::InvalidAppToken(header));
    }
    Ok(())
}

/// Reads `exp` from the payload of a JWT-shaped token without verifying anything. Atlassian calls these tokens
/// opaque, so this is information (when to stop using the token), never a trust decision.
fn unverified_exp(token: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Exp {
        exp: Option<serde_json::Number>,
    }
    let mut parts = token.split('.');
    let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next()) else {
        return None;
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let exp = serde_json::from_slice::<Exp>(&bytes).ok()?.exp?;
    // Some issuers write `exp` as a float; take its whole seconds.
    exp.as_i64()
        .or_else(|| exp.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

macro_rules! app_token {
    ($(#[$doc:meta])* $name:ident, $header:expr, $label:literal) => {
        $(#[$doc])*
        ///
        /// `Debug` and `Display` never show the token; read it with [`Self::secret`] where it is sent on.
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name {
            secret: String,
        }

        impl $name {
            /// The header this token is read from.
            pub const HEADER: &'static str = $header;

            /// Reads the token from its header value (non-empty, at most [`MAX_APP_TOKEN_BYTES`], visible ASCII).
            pub fn from_header_value(value: &str) -> Result<Self, Error> {
                check_app_token(value, $header)?;
                Ok($name { secret: value.to_owned() })
            }

            /// The token itself, to put in an `Authorization: Bearer` header towards Atlassian. Never log it.
            pub fn secret(&self) -> &str {
                &self.secret
            }

            /// The token's `exp` (seconds since the Unix epoch), read *unverified* from its payload; `None` when
            /// the token is not a JWT or has no numeric `exp`.
            pub fn expires_at(&self) -> Option<i64> {
                unverified_exp(&self.secret)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("secret", &"<redacted>")
                    .field("expires_at", &self.expires_at())
                    .finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!("<redacted ", $label, ">"))
            }
        }
    };
}

app_token!(
    /// The app system token from `x-forge-oauth-system`: calls Atlassian APIs as the app ("guaranteed to be valid
    /// for a min TTL of 2 hours").
    AppSystemToken,
    SYSTEM_TOKEN_HEADER,
    "app system token"
);

app_token!(
    /// The app user token from `x-forge-oauth-user`: calls Atlassian APIs as the invoking user (at most 4 h).
    AppUserToken,
    USER_TOKEN_HEADER,
    "app user token"
);

/// The B3 trace context Forge sends with every request, for correlating logs with Atlassian support.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TraceIds {
    /// `x-b3-traceid`: 16 or 32 hex characters, lowercased.
    pub trace_id: String,
    /// `x-b3-spanid`: 16 or 32 hex characters, lowercased.
    pub span_id: String,
}

impl TraceIds {
    /// Reads both headers' values; the contract says both are required, so a missing one is
    /// [`Error::MissingTraceHeader`] and a malformed one [`Error::InvalidTraceHeader`]. The caller decides whether
    /// that refuses the request (the actix extractor only logs it).
    pub fn parse(trace_id: Option<&str>, span_id: Option<&str>) -> Result<Self, Error> {
        Ok(TraceIds {
            trace_id: parse_id(trace_id, TRACE_ID_HEADER)?,
            span_id: parse_id(span_id, SPAN_ID_HEADER)?,
        })
    }
}

fn parse_id(value: Option<&str>, header: &'static str) -> Result<String, Error> {
    let value = value.ok_or(Error::MissingTraceHeader(header))?;
    if !matches!(value.len(), 16 | 32) || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::InvalidTraceHeader(header));
    }
    Ok(value.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn jwt(payload: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b(r#"{"alg":"RS256"}"#), b(payload))
    }

    #[test]
    fn app_tokens_never_print_themselves() {
        let raw = jwt(r#"{"exp":1700000000,"sub":"x"}"#);
        let t = AppSystemToken::from_header_value(&raw).unwrap();
        assert_eq!(t.secret(), raw);
        assert_eq!(t.expires_at(), Some(1_700_000_000));
        assert!(!format!("{t:?}").contains(&raw[..20]));
        assert!(!format!("{t}").contains(&raw[..20]));
        assert_eq!(format!("{t}"), "<redacted app system token>");
        let u = AppUserToken::from_header_value("opaque-token").unwrap();
        assert_eq!(u.expires_at(), None);
        assert!(!format!("{u:?}").contains("opaque"));
    }

    #[test]
    fn exp_is_read_from_integer_or_float_and_ignored_otherwise() {
        let t = |p: &str| {
            AppUserToken::from_header_value(&jwt(p))
                .unwrap()
                .expires_at()
        };
        assert_eq!(t(r#"{"exp":12.7}"#), Some(12));
        assert_eq!(t(r#"{"exp":"12"}"#), None);
        assert_eq!(t(r#"{}"#), None);
        assert_eq!(
            AppUserToken::from_header_value("a.b.c.d")
                .unwrap()
                .expires_at(),
            None
        );
    }

    #[test]
    fn malformed_app_tokens_are_refused() {
        for bad in ["", "a b", "a\nb", "é", &"a".repeat(MAX_APP_TOKEN_BYTES + 1)] {
            assert_eq!(
                AppSystemToken::from_header_value(bad),
                Err(Error::InvalidAppToken(SYSTEM_TOKEN_HEADER))
            );
        }
    }

    #[test]
    fn trace_ids() {
        let t = TraceIds::parse(
            Some("A523B7549F0B88C9"),
            Some("2a2436c64727923f2a2436c64727923f"),
        )
        .unwrap();
        assert_eq!(t.trace_id, "a523b7549f0b88c9");
        assert_eq!(
            TraceIds::parse(None, Some("2a2436c64727923f")),
            Err(Error::MissingTraceHeader(TRACE_ID_HEADER))
        );
        assert_eq!(
            TraceIds::parse(Some("a523b7549f0b88c9"), None),
            Err(Error::MissingTraceHeader(SPAN_ID_HEADER))
        );
        assert_eq!(
            TraceIds::parse(Some("xyz"), Some("2a2436c64727923f")),
            Err(Error::InvalidTraceHeader(TRACE_ID_HEADER))
        );
        assert_eq!(
            TraceIds::parse(Some("a523b7549f0b88c9"), Some("2a2436c64727923")),
            Err(Error::InvalidTraceHeader(SPAN_ID_HEADER))
        );
    }
}
