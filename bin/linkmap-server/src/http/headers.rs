//! Security headers on every response (policy M1).

use actix_web::middleware::DefaultHeaders;

/// Headers set on every response, errors included. The API serves JSON only, so the CSP forbids everything.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .add((
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cache-Control", "no-store"))
}
