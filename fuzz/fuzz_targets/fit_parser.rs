//! Fuzzes the FIT parser: the whole validator (static key store, so no I/O), the unverified decoder, the strict
//! JSON decoder fed raw bytes as a payload, and the app-token / trace-id header parsers. Any panic is a bug;
//! every input must come back as `Ok` or `Err`.
#![no_main]

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};

use base64::Engine as _;
use forge_remote_auth::testing::{TestKey, DOCS_EXAMPLE_APP_ID};
use forge_remote_auth::{
    dangerous, AppSystemToken, FitValidator, StaticKeyStore, TraceIds, Validation,
};
use libfuzzer_sys::fuzz_target;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn validator() -> &'static FitValidator {
    static V: OnceLock<FitValidator> = OnceLock::new();
    V.get_or_init(|| {
        let validation = Validation::new(DOCS_EXAMPLE_APP_ID).expect("the docs app id is valid");
        FitValidator::new(
            validation,
            Arc::new(StaticKeyStore::from_test_key(&TestKey::fixed())),
        )
    })
}

/// The static key store never waits, so one poll finishes the validation.
fn poll_once<F: Future>(f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let v = validator();
    assert!(poll_once(v.validate(&text)).is_some_and(|r| r.is_err()));
    let _ = poll_once(v.validate_authorization(&text));
    let _ = dangerous::insecure_decode_claims(&text);

    // The raw bytes as the payload (and as the header) of an otherwise well-formed token: this reaches the strict
    // JSON decoder with every byte the fuzzer chooses, not only those that survive UTF-8 and base64.
    let header = B64.encode(r#"{"alg":"RS256","kid":"test-key-1"}"#);
    let signature = B64.encode([0u8; 256]);
    let as_payload = format!("{header}.{}.{signature}", B64.encode(data));
    let _ = dangerous::insecure_decode_claims(&as_payload);
    assert!(poll_once(v.validate(&as_payload)).is_some_and(|r| r.is_err()));
    let as_header = format!("{}.{}.{signature}", B64.encode(data), B64.encode("{}"));
    let _ = dangerous::insecure_decode_claims(&as_header);

    let _ = AppSystemToken::from_header_value(&text).map(|t| t.expires_at());
    let _ = TraceIds::parse(Some(&text), Some(&text));
});
