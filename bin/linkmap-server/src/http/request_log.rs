//! One log line per request: request id, Forge's x-b3 trace ids, route pattern, status, latency.
//!
//! The route *pattern* (`/layouts/{id}`) is logged, never the raw path or query, and no header other than the trace
//! ids: tokens, account ids and JQL never reach the log (policy C4).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

/// Response header carrying the request id, for support requests.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware function (wrap with `actix_web::middleware::from_fn`).
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // Random, not a counter: unique across instances and restarts, and it reveals nothing about traffic volume.
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let trace_id = b3_id(&req, "x-b3-traceid");
    let span_id = b3_id(&req, "x-b3-spanid");
    let method = req.method().clone();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!(
        "request",
        request_id,
        trace_id = trace_id.as_deref(),
        span_id = span_id.as_deref()
    );
    let result = next.call(req).instrument(span.clone()).await;
    let _entered = span.enter();
    let latency_us = started.elapsed().as_micros() as u64;
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            if status >= 500 {
                tracing::warn!(%method, route, status, latency_us, "request failed");
            } else {
                tracing::info!(%method, route, status, latency_us, "request served");
            }
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                res.headers_mut().insert(REQUEST_ID_HEADER, v);
            }
            Ok(res)
        }
        Err(e) => {
            tracing::warn!(%method, route, latency_us, "request errored");
            Err(e)
        }
    }
}

/// A trace/span id only if it has the documented form (16 or 32 hex digits): header values are attacker-controlled.
fn b3_id(req: &ServiceRequest, name: &str) -> Option<String> {
    let v = req.headers().get(name)?.to_str().ok()?;
    ((v.len() == 16 || v.len() == 32) && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| v.to_owned())
}
