//! Property tests: no mutation of a valid token validates; no input panics.

use std::sync::OnceLock;

use forge_remote_auth::{dangerous, AppSystemToken, FitValidator, TraceIds};
use proptest::prelude::*;

use crate::{fit, key, validator};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn shared_validator() -> &'static FitValidator {
    static V: OnceLock<FitValidator> = OnceLock::new();
    V.get_or_init(validator)
}

/// One valid token for the whole run (lifetime raised so a slow run does not see it expire).
fn valid_token() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        fit()
            .lifetime(std::time::Duration::from_secs(300))
            .sign(key())
    })
}

fn validate(token: &str) -> Result<forge_remote_auth::InvocationClaims, forge_remote_auth::Error> {
    runtime().block_on(shared_validator().validate(token))
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
    SwapAdjacent(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Characters a mutation may introduce: the base64url alphabet, the separator and typical near-misses.
    let ch = prop_oneof![
        proptest::char::range('A', 'Z'),
        proptest::char::range('a', 'z'),
        proptest::char::range('0', '9'),
        Just('-'),
        Just('_'),
        Just('.'),
        Just('='),
        Just('+'),
        Just('/'),
        Just(' '),
    ];
    prop_oneof![
        (any::<usize>(), ch.clone()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), ch).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::SwapAdjacent),
    ]
}

fn apply(token: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    for m in mutations {
        let len = chars.len().max(1);
        match *m {
            Mutation::Replace(i, c) if !chars.is_empty() => chars[i % len] = c,
            Mutation::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Mutation::Delete(i) if !chars.is_empty() => {
                chars.remove(i % len);
            }
            Mutation::Truncate(i) => chars.truncate(i % len),
            Mutation::SwapAdjacent(i) if chars.len() >= 2 => {
                chars.swap(i % (len - 1), i % (len - 1) + 1)
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_mutation_of_a_valid_token_validates(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let token = valid_token();
        prop_assert!(validate(token).is_ok());
        let mutated = apply(token, &mutations);
        prop_assume!(mutated != token);
        prop_assert!(validate(&mutated).is_err(), "mutation {:?} validated", mutations);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let s = String::from_utf8_lossy(&bytes);
        prop_assert!(validate(&s).is_err());
        let _ = dangerous::insecure_decode_claims(&s);
        let _ = AppSystemToken::from_header_value(&s).map(|t| t.expires_at());
        let _ = TraceIds::parse(Some(&s), Some(&s));
    }

    #[test]
    fn token_shaped_strings_never_panic(token in "[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,600}\\.[A-Za-z0-9_-]{0,400}") {
        prop_assert!(validate(&token).is_err());
    }

    #[test]
    fn arbitrary_json_payloads_signed_with_the_key_never_panic(payload in json_value(4)) {
        // Signed correctly, so every structural and claim rule is reached with odd shapes.
        let token = key().sign(r#"{"alg":"RS256","kid":"test-key-1"}"#, &payload.to_string());
        prop_assert!(validate(&token).is_err());
        let _ = dangerous::insecure_decode_claims(&token);
    }

    #[test]
    fn arbitrary_payload_bytes_never_panic_the_decoder(payload in proptest::collection::vec(any::<u8>(), 0..600)) {
        let token = format!("{}.{}.{}", crate::b64(r#"{"alg":"RS256","kid":"k"}"#), crate::b64(&payload), crate::b64([0u8; 256]));
        prop_assert!(dangerous::insecure_decode_claims(&token).is_err());
    }
}

/// Random JSON, biased towards the claim names the decoder knows.
fn json_value(depth: u32) -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z:/.]{0,12}".prop_map(Value::from),
    ];
    let names = prop_oneof![
        Just("app".to_owned()),
        Just("aud".to_owned()),
        Just("exp".to_owned()),
        Just("iat".to_owned()),
        Just("nbf".to_owned()),
        Just("jti".to_owned()),
        Just("iss".to_owned()),
        Just("context".to_owned()),
        Just("icLabel".to_owned()),
        Just("installation".to_owned()),
        Just("contexts".to_owned()),
        Just("apiBaseUrl".to_owned()),
        Just("license".to_owned()),
        "[a-z]{1,6}",
    ];
    leaf.prop_recursive(depth, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((names.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}
