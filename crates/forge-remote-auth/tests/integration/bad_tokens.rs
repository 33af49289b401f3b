//! The table of bad tokens: each breaks exactly one rule and must give exactly the expected `Error` variant.

use std::collections::HashSet;

use base64::Engine as _;
use forge_remote_auth::testing::TestKey;
use forge_remote_auth::{Error, TokenPart};
use serde_json::{json, Value};

use crate::{b64, fit, key, now, other_key, segments, validator, PRINCIPAL};

struct Case {
    name: &'static str,
    token: String,
    expected: &'static str,
    check: fn(&Error) -> bool,
}

macro_rules! case {
    ($name:expr, $token:expr, $pat:pat) => {
        Case {
            name: $name,
            token: $token,
            expected: stringify!($pat),
            check: |e| matches!(e, $pat),
        }
    };
}

const HDR: &str = r#"{"alg":"RS256","typ":"JWT","kid":"test-key-1"}"#;

/// Header and payload signed by the fixed key, exactly as given.
fn raw(header: &str, payload: &str) -> String {
    key().sign(header, payload)
}

/// A valid payload as JSON text (fresh times).
fn payload() -> String {
    fit().payload_json()
}

/// The valid payload with `extra` spliced in before its closing brace (for duplicates and raw JSON).
fn payload_with(extra: &str) -> String {
    let p = payload();
    format!("{},{extra}}}", p.strip_suffix('}').unwrap())
}

/// A token whose header segment is `header` (any bytes) and whose payload/signature come from a valid token;
/// header-level failures are found before the signature, so it need not verify.
fn with_header_bytes(header: &[u8]) -> String {
    let s = segments(&fit().sign(key()));
    format!("{}.{}.{}", b64(header), s[1], s[2])
}

fn with_header(header: Value) -> String {
    with_header_bytes(header.to_string().as_bytes())
}

/// Re-encodes the last base64url character of `segment` so the unused trailing bits are non-zero: the same
/// bytes for a lenient decoder, a different string.
fn non_canonical(segment: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert_ne!(segment.len() % 4, 0, "needs a segment with trailing bits");
    let last = *segment.as_bytes().last().unwrap();
    let v = ALPHABET.iter().position(|&c| c == last).unwrap();
    let flipped = ALPHABET[v | 1] as char;
    let out = format!("{}{flipped}", &segment[..segment.len() - 1]);
    assert_ne!(out, segment);
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
    );
    assert_eq!(
        lenient.decode(&out).unwrap(),
        lenient.decode(segment).unwrap(),
        "same bytes, other spelling"
    );
    out
}

/// A valid token re-signed with its signature bytes transformed.
fn with_signature(f: impl FnOnce(Vec<u8>) -> Vec<u8>) -> String {
    let s = segments(&fit().sign(key()));
    let sig = f(crate::B64.decode(&s[2]).unwrap());
    format!("{}.{}.{}", s[0], s[1], b64(sig))
}

fn cases() -> Vec<Case> {
    let t = now();
    let long_kid = "k".repeat(129);
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let good = fit().sign(key());
    let good_segments = segments(&good);

    // A payload whose length is 1 mod 3, so its base64url has 4 unused trailing bits.
    let mut b = fit().jti("j");
    let mut p = b.payload_json();
    let mut pad = String::new();
    while p.len() % 3 != 1 {
        pad.push('x');
        b = fit().jti("j").claim("pad", json!(pad));
        p = b.payload_json();
    }
    let padded_token = b.sign(key());
    let ps = segments(&padded_token);

    vec![
        // ----- framing and size -----
        case!("empty token", String::new(), Error::MalformedToken(_)),
        case!("one segment", "abc".into(), Error::MalformedToken(_)),
        case!(
            "two segments",
            format!("{}.{}", good_segments[0], good_segments[1]),
            Error::MalformedToken(_)
        ),
        case!(
            "four segments",
            format!("{good}.x"),
            Error::MalformedToken(_)
        ),
        case!(
            "empty payload segment",
            format!("{}..{}", good_segments[0], good_segments[2]),
            Error::MalformedToken(_)
        ),
        case!(
            "empty signature segment",
            format!("{}.{}.", good_segments[0], good_segments[1]),
            Error::MalformedToken(_)
        ),
        case!(
            "over the size cap",
            fit().claim("pad", json!("x".repeat(9000))).sign(key()),
            Error::TokenTooLarge { .. }
        ),
        // ----- base64url -----
        case!(
            "padding on the header",
            format!(
                "{}=.{}.{}",
                good_segments[0], good_segments[1], good_segments[2]
            ),
            Error::BadBase64(TokenPart::Header)
        ),
        case!(
            "standard alphabet in the payload",
            {
                let p = payload_with(r#""q":"???>>>""#);
                format!(
                    "{}.{}.{}",
                    good_segments[0],
                    base64::engine::general_purpose::STANDARD_NO_PAD.encode(p),
                    good_segments[2]
                )
            },
            Error::BadBase64(TokenPart::Payload)
        ),
        case!(
            "non-canonical trailing bits in the payload",
            format!("{}.{}.{}", ps[0], non_canonical(&ps[1]), ps[2]),
            Error::BadBase64(TokenPart::Payload)
        ),
        case!(
            "non-canonical trailing bits in the signature",
            format!("{}.{}.{}", ps[0], ps[1], non_canonical(&ps[2])),
            Error::BadBase64(TokenPart::Signature)
        ),
        case!(
            "whitespace inside the payload",
            format!(
                "{}.{} .{}",
                good_segments[0], good_segments[1], good_segments[2]
            ),
            Error::BadBase64(TokenPart::Payload)
        ),
        // ----- header -----
        case!(
            "header is not JSON",
            with_header_bytes(b"not json"),
            Error::InvalidJson(TokenPart::Header)
        ),
        case!(
            "header is invalid UTF-8",
            with_header_bytes(b"{\"alg\":\"RS256\xff\"}"),
            Error::InvalidJson(TokenPart::Header)
        ),
        case!(
            "header is an array",
            with_header(json!(["RS256"])),
            Error::MalformedToken(_)
        ),
        case!(
            "alg none",
            with_header(json!({"alg": "none", "kid": "test-key-1"})),
            Error::AlgorithmNotAllowed
        ),
        case!(
            "alg HS256",
            with_header(json!({"alg": "HS256", "kid": "test-key-1"})),
            Error::AlgorithmNotAllowed
        ),
        case!(
            "alg ES256",
            with_header(json!({"alg": "ES256", "kid": "test-key-1"})),
            Error::AlgorithmNotAllowed
        ),
        case!(
            "alg PS256",
            with_header(json!({"alg": "PS256", "kid": "test-key-1"})),
            Error::AlgorithmNotAllowed
        ),
        case!(
            "alg RS512",
            with_header(json!({"alg": "RS512", "kid": "test-key-1"})),
            Error::AlgorithmNotAllowed
        ),
        case!(
            "alg in lowercase",
            with_header(json!({"alg": "rs256", "kid": "test-key-1"})),
            Error::AlgorithmNotAllowed
        ),
        case!(
            "alg missing",
            with_header(json!({"kid": "test-key-1"})),
            Error::MalformedHeader("alg")
        ),
        case!(
            "alg not a string",
            with_header(json!({"alg": ["RS256"], "kid": "test-key-1"})),
            Error::MalformedHeader("alg")
        ),
        case!(
            "crit header",
            fit()
                .header("crit", json!(["exp"]))
                .header("exp", json!(1))
                .sign(key()),
            Error::CritHeader
        ),
        case!(
            "kid missing",
            fit().remove_header("kid").sign(key()),
            Error::MissingKid
        ),
        case!(
            "kid empty",
            fit().header("kid", json!("")).sign(key()),
            Error::MissingKid
        ),
        case!(
            "kid too long",
            fit().header("kid", json!(long_kid)).sign(key()),
            Error::KidTooLong { len: 129, .. }
        ),
        case!(
            "kid not a string",
            fit().header("kid", json!(1)).sign(key()),
            Error::MalformedHeader("kid")
        ),
        case!(
            "typ not a string",
            fit().header("typ", json!(1)).sign(key()),
            Error::MalformedHeader("typ")
        ),
        case!("kid unknown", fit().sign(other_key()), Error::UnknownKid),
        case!(
            "jwk header carrying the attacker's own key",
            fit()
                .header("jwk", other_key().public_jwk())
                .sign(other_key()),
            Error::UnknownKid
        ),
        case!(
            "jku header pointing at the attacker's JWKS, known kid",
            fit()
                .header("jku", json!("https://evil.example/jwks.json"))
                .header("kid", json!("test-key-1"))
                .sign(other_key()),
            Error::BadSignature
        ),
        case!(
            "duplicate alg",
            with_header_bytes(br#"{"alg":"RS256","alg":"RS256","kid":"test-key-1"}"#),
            Error::DuplicateJsonMember(TokenPart::Header)
        ),
        // ----- payload structure -----
        case!(
            "payload is not JSON",
            raw(HDR, "nope"),
            Error::InvalidJson(TokenPart::Payload)
        ),
        case!(
            "payload has trailing data",
            raw(HDR, &format!("{} {{}}", payload())),
            Error::InvalidJson(TokenPart::Payload)
        ),
        case!(
            "payload is an array",
            raw(HDR, "[]"),
            Error::MalformedToken(_)
        ),
        case!(
            "duplicate exp",
            raw(HDR, &payload_with(&format!(r#""exp":{}"#, t + 3600))),
            Error::DuplicateJsonMember(TokenPart::Payload)
        ),
        case!(
            "duplicate aud spelled with an escape",
            raw(HDR, &payload_with(r#""a\u0075d":"x""#)),
            Error::DuplicateJsonMember(TokenPart::Payload)
        ),
        case!(
            "duplicate unknown member",
            raw(HDR, &payload_with(r#""zz":1,"zz":1"#)),
            Error::DuplicateJsonMember(TokenPart::Payload)
        ),
        case!(
            "duplicate member deep in context.extension",
            raw(
                HDR,
                &payload().replacen(
                    r#""isNewToIssue":false"#,
                    r#""isNewToIssue":false,"issue":{}"#,
                    1
                )
            ),
            Error::DuplicateJsonMember(TokenPart::Payload)
        ),
        case!(
            "nesting too deep",
            raw(HDR, &payload_with(&format!(r#""deep":{deep}"#))),
            Error::JsonTooDeep(TokenPart::Payload)
        ),
        // ----- signature -----
        case!(
            "signed by another key under our kid",
            fit().header("kid", json!("test-key-1")).sign(other_key()),
            Error::BadSignature
        ),
        case!(
            "signature truncated",
            with_signature(|mut s| {
                s.truncate(253);
                s
            }),
            Error::BadSignature
        ),
        case!(
            "signature bit flipped",
            with_signature(|mut s| {
                s[100] ^= 1;
                s
            }),
            Error::BadSignature
        ),
        case!(
            "signature all zero",
            with_signature(|s| vec![0; s.len()]),
            Error::BadSignature
        ),
        case!(
            "signature above the modulus",
            with_signature(|s| vec![0xff; s.len()]),
            Error::BadSignature
        ),
        case!(
            "signature over 1 KiB",
            with_signature(|_| vec![1; 1100]),
            Error::BadSignature
        ),
        case!(
            "payload swapped after signing",
            format!(
                "{}.{}.{}",
                good_segments[0],
                b64(fit().principal(Some("557058:attacker")).payload_json()),
                good_segments[2]
            ),
            Error::BadSignature
        ),
        case!(
            "header changed after signing",
            format!(
                "{}.{}.{}",
                b64(r#"{"alg":"RS256","kid":"test-key-1"}"#),
                good_segments[1],
                good_segments[2]
            ),
            Error::BadSignature
        ),
        // ----- iss / aud / app.id -----
        case!(
            "wrong iss",
            fit().claim("iss", json!("forge/context-token")).sign(key()),
            Error::WrongIssuer
        ),
        case!(
            "iss missing",
            fit().remove_claim("iss").sign(key()),
            Error::MissingClaim("iss")
        ),
        case!(
            "iss not a string",
            fit().claim("iss", json!(1)).sign(key()),
            Error::ClaimWrongType("iss")
        ),
        case!(
            "aud of another app",
            fit()
                .claim(
                    "aud",
                    json!("ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000")
                )
                .sign(key()),
            Error::WrongAudience
        ),
        case!(
            "aud array without us",
            fit()
                .claim("aud", json!(["ari:cloud:ecosystem::app/x", "y"]))
                .sign(key()),
            Error::WrongAudience
        ),
        case!(
            "aud empty array",
            fit().claim("aud", json!([])).sign(key()),
            Error::WrongAudience
        ),
        case!(
            "aud as the bare UUID",
            fit()
                .claim("aud", json!("8db33809-1f32-48bb-8c52-5877dab48107"))
                .sign(key()),
            Error::WrongAudience
        ),
        case!(
            "aud a number",
            fit().claim("aud", json!(42)).sign(key()),
            Error::ClaimWrongType("aud")
        ),
        case!(
            "aud array with a number",
            fit()
                .claim("aud", json!([crate::validation().audience(), 1]))
                .sign(key()),
            Error::ClaimWrongType("aud")
        ),
        case!(
            "aud missing",
            fit().remove_claim("aud").sign(key()),
            Error::MissingClaim("aud")
        ),
        case!(
            "app.id of another app",
            fit()
                .claim(
                    "app.id",
                    json!("ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000")
                )
                .sign(key()),
            Error::AppIdMismatch
        ),
        case!(
            "app missing",
            fit().remove_claim("app").sign(key()),
            Error::MissingClaim("app")
        ),
        case!(
            "app not an object",
            fit().claim("app", json!("x")).sign(key()),
            Error::ClaimWrongType("app")
        ),
        case!(
            "app.installationId missing",
            fit().remove_claim("app.installationId").sign(key()),
            Error::MissingClaim("app.installationId")
        ),
        case!(
            "app.installationId a number",
            fit().claim("app.installationId", json!(7)).sign(key()),
            Error::ClaimWrongType("app.installationId")
        ),
        // ----- registered time claims and jti -----
        case!(
            "exp as a string",
            fit().claim("exp", json!((t + 20).to_string())).sign(key()),
            Error::ClaimWrongType("exp")
        ),
        case!(
            "exp as a float",
            fit().claim("exp", json!(t as f64 + 20.5)).sign(key()),
            Error::ClaimWrongType("exp")
        ),
        case!(
            "exp as a whole float",
            raw(
                HDR,
                &fit().remove_claim("exp").payload_json().replacen(
                    '{',
                    &format!(r#"{{"exp":{}.0,"#, t + 20),
                    1
                )
            ),
            Error::ClaimWrongType("exp")
        ),
        case!(
            "exp null",
            fit().claim("exp", Value::Null).sign(key()),
            Error::ClaimWrongType("exp")
        ),
        case!(
            "exp beyond i64",
            raw(
                HDR,
                &fit().remove_claim("exp").payload_json().replacen(
                    '{',
                    r#"{"exp":18446744073709551615,"#,
                    1
                )
            ),
            Error::ClaimWrongType("exp")
        ),
        case!(
            "exp missing",
            fit().remove_claim("exp").sign(key()),
            Error::MissingClaim("exp")
        ),
        case!(
            "iat missing",
            fit().remove_claim("iat").sign(key()),
            Error::MissingClaim("iat")
        ),
        case!(
            "nbf missing",
            fit().remove_claim("nbf").sign(key()),
            Error::MissingClaim("nbf")
        ),
        case!(
            "iat as a string",
            fit().claim("iat", json!(t.to_string())).sign(key()),
            Error::ClaimWrongType("iat")
        ),
        case!(
            "jti missing",
            fit().remove_claim("jti").sign(key()),
            Error::MissingClaim("jti")
        ),
        case!(
            "jti a number",
            fit().claim("jti", json!(1)).sign(key()),
            Error::ClaimWrongType("jti")
        ),
        case!(
            "jti empty",
            fit().jti("").sign(key()),
            Error::InvalidClaim("jti")
        ),
        case!(
            "jti too long",
            fit().jti(&"j".repeat(257)).sign(key()),
            Error::InvalidClaim("jti")
        ),
        case!(
            "expired beyond the leeway",
            fit().issued_at(t - 100).expires_at(t - 40).sign(key()),
            Error::Expired
        ),
        case!(
            "not valid yet beyond the leeway",
            fit().not_before(t + 60).expires_at(t + 90).sign(key()),
            Error::NotYetValid
        ),
        case!(
            "issued in the future beyond the leeway",
            fit().issued_at(t + 60).sign(key()),
            Error::IssuedInFuture
        ),
        case!(
            "lifetime over five minutes",
            fit().issued_at(t).expires_at(t + 301).sign(key()),
            Error::LifetimeTooLong {
                lifetime_secs: 301,
                max_secs: 300
            }
        ),
        case!(
            "exp before iat",
            fit().issued_at(t).expires_at(t - 1).sign(key()),
            Error::InvalidClaim("exp")
        ),
        // ----- apiBaseUrl -----
        case!(
            "apiBaseUrl over http",
            fit()
                .api_base_url("http://api.atlassian.com/ex/jira/x")
                .sign(key()),
            Error::BadApiBaseUrl("app.apiBaseUrl")
        ),
        case!(
            "apiBaseUrl on another host",
            fit()
                .api_base_url("https://evil.example/ex/jira/x")
                .sign(key()),
            Error::BadApiBaseUrl("app.apiBaseUrl")
        ),
        case!(
            "apiBaseUrl with userinfo",
            fit()
                .api_base_url("https://api.atlassian.com@evil.example/ex")
                .sign(key()),
            Error::BadApiBaseUrl("app.apiBaseUrl")
        ),
        case!(
            "apiBaseUrl with a port",
            fit()
                .api_base_url("https://api.atlassian.com:8443/ex")
                .sign(key()),
            Error::BadApiBaseUrl("app.apiBaseUrl")
        ),
        case!(
            "apiBaseUrl on a look-alike host",
            fit()
                .api_base_url("https://api.atlassian.com.evil.example/ex")
                .sign(key()),
            Error::BadApiBaseUrl("app.apiBaseUrl")
        ),
        case!(
            "apiBaseUrl with dot segments",
            fit()
                .api_base_url("https://api.atlassian.com/ex/../admin")
                .sign(key()),
            Error::BadApiBaseUrl("app.apiBaseUrl")
        ),
        case!(
            "apiBaseUrl on staging without opt-in",
            fit()
                .api_base_url("https://api.stg.atlassian.com/ex/jira/x")
                .sign(key()),
            Error::BadApiBaseUrl("app.apiBaseUrl")
        ),
        case!(
            "installation context apiBaseUrl on another host",
            fit()
                .claim(
                    "app.installation.contexts",
                    json!([{"name": "jira", "apiBaseUrl": "https://evil.example/"}])
                )
                .sign(key()),
            Error::BadApiBaseUrl("app.installation.contexts.apiBaseUrl")
        ),
        // ----- icLabel and other typed claims -----
        case!(
            "icLabel with a path",
            fit().ic_label(Some("../evil")).sign(key()),
            Error::BadIcLabel
        ),
        case!(
            "icLabel in uppercase",
            fit().ic_label(Some("Orange")).sign(key()),
            Error::BadIcLabel
        ),
        case!(
            "icLabel not a string",
            fit().claim("icLabel", json!(1)).sign(key()),
            Error::ClaimWrongType("icLabel")
        ),
        case!(
            "icLabel without Isolated Cloud configured",
            fit().ic_label(Some("orange")).sign(key()),
            Error::IsolatedCloudNotConfigured
        ),
        case!(
            "principal a number",
            fit().claim("principal", json!(1)).sign(key()),
            Error::ClaimWrongType("principal")
        ),
        case!(
            "context not an object",
            fit().claim("context", json!([])).sign(key()),
            Error::ClaimWrongType("context")
        ),
        case!(
            "context.cloudId a number",
            fit().claim("context.cloudId", json!(1)).sign(key()),
            Error::ClaimWrongType("context.cloudId")
        ),
        case!(
            "license.active a string",
            fit().claim("app.license.active", json!("true")).sign(key()),
            Error::ClaimWrongType("app.license.active")
        ),
        case!(
            "license.modes not an array",
            fit()
                .claim("app.license.modes", json!("USER_ACCESS"))
                .sign(key()),
            Error::ClaimWrongType("app.license.modes")
        ),
        case!(
            "environment.type missing",
            fit().remove_claim("app.environment.type").sign(key()),
            Error::MissingClaim("app.environment.type")
        ),
        case!(
            "installation contexts not an array",
            fit()
                .claim("app.installation.contexts", json!({}))
                .sign(key()),
            Error::ClaimWrongType("app.installation.contexts")
        ),
    ]
}

#[tokio::test]
async fn every_bad_token_is_refused_with_its_exact_error() {
    let validator = validator();
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "the issue asks for at least 40 distinct bad tokens"
    );
    let mut names = HashSet::new();
    let mut tokens = HashSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        assert!(names.insert(case.name), "duplicate case name {}", case.name);
        assert!(
            tokens.insert(case.token.clone()),
            "case {} repeats another case's token",
            case.name
        );
        match validator.validate(&case.token).await {
            Ok(_) => failures.push(format!("{}: accepted", case.name)),
            Err(e) => {
                if !(case.check)(&e) {
                    failures.push(format!(
                        "{}: expected {}, got {e:?}",
                        case.name, case.expected
                    ));
                }
                assert!(
                    e.is_invalid_token() && !e.is_unavailable(),
                    "{}: {e:?} must be a 401",
                    case.name
                );
                // No message may carry the principal or a piece of the token.
                for text in [e.to_string(), format!("{e:?}")] {
                    assert!(
                        !text.contains(PRINCIPAL),
                        "{}: message carries the principal",
                        case.name
                    );
                    for seg in case.token.split('.').filter(|s| s.len() >= 12) {
                        assert!(
                            !text.contains(&seg[..12]),
                            "{}: message carries the token",
                            case.name
                        );
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn the_authorization_header_must_be_exactly_bearer_space_token() {
    let v = validator();
    let token = fit().sign(key());
    for header in [
        String::new(),
        token.clone(),
        format!("Basic {token}"),
        format!("Bearer  {token}"),
        format!("Bearer {token} x"),
        format!("Bearer\t{token}"),
        "Bearer ".to_owned(),
        format!("Token {token}"),
    ] {
        assert_eq!(
            v.validate_authorization(&header).await.unwrap_err(),
            Error::MalformedAuthorization,
            "{header:.20}"
        );
    }
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        v.validate_authorization(&format!("{scheme} {token}"))
            .await
            .unwrap();
    }
}

#[test]
fn base64_engine_rejects_non_canonical_encodings() {
    // The property the whole crate leans on: base64 0.22's URL_SAFE_NO_PAD refuses every other spelling of the
    // same bytes, so a token has exactly one valid string form.
    let e = crate::B64;
    assert_eq!(e.decode("QQ").unwrap(), b"A");
    assert!(e.decode("QR").is_err(), "non-zero trailing bits");
    assert!(e.decode("QQ==").is_err(), "padding");
    assert!(e.decode("+/8").is_err(), "standard alphabet");
    assert!(e.decode("Q Q").is_err(), "whitespace");
    assert!(e.decode("Q").is_err(), "impossible length");
}

#[test]
fn the_fixed_key_and_a_generated_key_differ() {
    let a = TestKey::fixed();
    assert_eq!(a.kid(), "test-key-1");
    assert_ne!(a.public_jwk()["n"], other_key().public_jwk()["n"]);
}
