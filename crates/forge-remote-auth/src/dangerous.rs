//! Reading a token **without** verifying it. Nothing returned here may be trusted.
//!
//! Use it to route or to log the shape of a token you are about to refuse, for tooling and fuzzing: never to
//! authorise anything. [`FitValidator`](crate::FitValidator) is the only way to get trusted claims.

use crate::claims::InvocationClaims;
use crate::error::Error;
use crate::validation::DEFAULT_MAX_TOKEN_BYTES;

/// Decodes a FIT's claims with all the structural checks (size cap of
/// [`DEFAULT_MAX_TOKEN_BYTES`], framing, canonical base64url, strict JSON, the
/// `alg`/`crit`/`kid` header rules, claim types, `icLabel` syntax) but **without checking the signature or any
/// claim value** (issuer, audience, times, `apiBaseUrl`).
pub fn insecure_decode_claims(token: &str) -> Result<InvocationClaims, Error> {
    crate::validator::decode_unverified(token, DEFAULT_MAX_TOKEN_BYTES)
}
