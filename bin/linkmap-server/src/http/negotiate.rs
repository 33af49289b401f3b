//! The media type of error bodies, negotiated.
//!
//! Error bodies are RFC 9457 problem details, served as `application/problem+json` by default (the API's contract,
//! docs/API.md). Forge's bridge rejects the frontend's promise when a non-2xx, non-401 answer is not
//! `application/json` (FORGE-CONTRACT.md §1.2), so a client whose `Accept` header admits JSON but not
//! `application/problem+json` gets the same body as `application/json`. forge-remote-auth's own rejections follow
//! the contract on their own (problem+json on 401, application/json otherwise); this layer makes every error of this
//! server follow one rule.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use super::problem::PROBLEM_JSON;

/// The middleware function (wrap with `actix_web::middleware::from_fn`).
pub async fn error_media_type(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let plain_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(prefers_plain_json);
    let mut res = next.call(req).await?;
    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        let is_problem = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct == PROBLEM_JSON || ct == "application/json");
        if is_problem {
            let media_type = if plain_json {
                "application/json"
            } else {
                PROBLEM_JSON
            };
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
        }
    }
    Ok(res)
}

/// Whether an `Accept` header admits JSON but not problem details (`application/json` alone, say).
fn prefers_plain_json(accept: &str) -> bool {
    let ranges: Vec<String> = accept
        .split(',')
        .map(|r| {
            r.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|r| !r.is_empty())
        .collect();
    let admits = |t: &str| ranges.iter().any(|r| r == t);
    let admits_problem = admits(PROBLEM_JSON) || admits("application/*") || admits("*/*");
    !admits_problem && admits("application/json")
}

#[cfg(test)]
mod tests {
    use super::prefers_plain_json;

    #[test]
    fn only_clients_that_admit_json_but_not_problem_details_get_plain_json() {
        assert!(prefers_plain_json("application/json"));
        assert!(prefers_plain_json("text/plain, application/json;q=0.9"));
        assert!(!prefers_plain_json("*/*"));
        assert!(!prefers_plain_json("application/json, */*;q=0.1"));
        assert!(!prefers_plain_json(
            "application/problem+json, application/json"
        ));
        assert!(!prefers_plain_json("application/*"));
        assert!(!prefers_plain_json("text/html"));
    }
}
