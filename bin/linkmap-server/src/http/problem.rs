//! The one place where errors become HTTP responses: `application/problem+json` (RFC 9457).
//!
//! Bodies carry our own short texts only. Causes (SQL, driver, serde text) go to the log through `Debug`, never into
//! a body; Forge reserves 401 for FIT failures, and every non-2xx response has a JSON body as Forge requires.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use linkmap_core::{InputError, ServiceError, StoreError, ValidationErrors};
use serde::Serialize;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait after a 503.
const RETRY_AFTER_SECONDS: &str = "5";

/// Every way a request can fail, as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all (400).
    #[error("malformed JSON")]
    MalformedJson,
    /// The query string cannot be decoded (400).
    #[error("malformed query string")]
    MalformedQuery,
    /// A query parameter is malformed (422, with the parameter named).
    #[error("invalid request")]
    Invalid(ValidationErrors),
    /// A Connect lifecycle callback whose signed-install token is missing or refused (401, `WWW-Authenticate:
    /// JWT`; the reason is logged, not shown). Key-fetch failures are [`ApiError::Unavailable`]: see
    /// [`ApiError::from_auth`].
    #[error("unauthenticated: {0}")]
    Unauthenticated(forge_remote_auth::Error),
    /// The caller has no user identity (a trigger's FIT has no `principal`) or an unusable one (403).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// No such record for this caller (404; also another user's record, never a 403 that confirms it exists).
    #[error("not found")]
    NotFound,
    /// The record changed since the caller read it (409).
    #[error("version conflict")]
    VersionConflict {
        /// The version now stored.
        current: i64,
    },
    /// The caller's quota is full (409).
    #[error("quota exceeded")]
    QuotaExceeded {
        /// The quota.
        limit: u32,
    },
    /// The client did not finish sending its body in time (408).
    #[error("request body timeout")]
    BodyTimeout,
    /// The body is over the size cap (413).
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body is not `application/json` (415).
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A dependency (database, key store) is unavailable (503 with `Retry-After`).
    #[error("service unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or corrupt data (500). The cause is logged, not shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    type_: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldProblem<'a>>>,
}

#[derive(Serialize)]
struct FieldProblem<'a> {
    field: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A token verification failure: 503 when it could not be checked (keys unavailable), else 401.
    pub fn from_auth(e: forge_remote_auth::Error) -> Self {
        if e.is_unavailable() {
            Self::Unavailable(Box::new(e))
        } else {
            Self::Unauthenticated(e)
        }
    }

    fn parts(&self) -> (&'static str, &'static str, String) {
        match self {
            Self::MalformedJson => ("malformed-json", "Malformed JSON", "The request body is not valid JSON.".into()),
            Self::MalformedQuery => {
                ("malformed-query", "Malformed query string", "The query string cannot be decoded.".into())
            }
            Self::Invalid(errors) => {
                let first = errors.errors().first().map(|e| e.field.as_str()).unwrap_or("body");
                ("validation", "Invalid input", format!("`{first}` is invalid; see `errors` for every problem."))
            }
            Self::Unauthenticated(_) => (
                "unauthorized",
                "Unauthorized",
                "The request could not be authenticated.".into(),
            ),
            Self::Forbidden(why) => ("forbidden", "Forbidden", (*why).to_owned()),
            Self::NotFound => ("not-found", "Not found", "No such record for this user.".into()),
            Self::VersionConflict { current } => (
                "version-conflict",
                "Version conflict",
                format!("The record was changed by another request; the current version is {current}. Reload and retry."),
            ),
            Self::QuotaExceeded { limit } => {
                ("quota-exceeded", "Quota exceeded", format!("A user can keep at most {limit} of these; delete one first."))
            }
            Self::BodyTimeout => (
                "body-timeout",
                "Request timeout",
                "The request body did not arrive in time.".into(),
            ),
            Self::PayloadTooLarge => ("payload-too-large", "Payload too large", "The request body is too large.".into()),
            Self::UnsupportedMediaType => (
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as application/json.".into(),
            ),
            Self::Unavailable(_) => (
                "unavailable",
                "Service unavailable",
                "A dependency is unavailable; retry shortly.".into(),
            ),
            Self::Internal(_) => ("internal", "Internal error", "Something went wrong on our side.".into()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson | Self::MalformedQuery => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::VersionConflict { .. } | Self::QuotaExceeded { .. } => StatusCode::CONFLICT,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "dependency unavailable"),
            Self::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            Self::Unauthenticated(reason) => tracing::info!(reason = %reason, "token refused"),
            _ => {}
        }
        let (slug, title, detail) = self.parts();
        let type_ = format!("https://linkmap.example/problems/{slug}");
        let errors = match self {
            Self::Invalid(errors) => Some(
                errors
                    .errors()
                    .iter()
                    .map(|e| FieldProblem {
                        field: &e.field,
                        message: e.message,
                    })
                    .collect(),
            ),
            _ => None,
        };
        problem_response(
            status,
            &Problem {
                type_: &type_,
                title,
                status: status.as_u16(),
                detail,
                errors,
            },
        )
    }
}

fn problem_response(status: StatusCode, problem: &Problem<'_>) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    resp.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if status == StatusCode::UNAUTHORIZED {
        // Only Connect callbacks produce a 401 here (FIT failures are rendered by forge-remote-auth).
        resp.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("JWT")));
        resp.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        resp.insert_header((
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        ));
    }
    // Serialising this struct cannot fail (strings and numbers only); an empty body would still be a valid status.
    resp.body(serde_json::to_vec(problem).unwrap_or_default())
}

/// A problem+json response for statuses produced outside handlers (unknown route, wrong method).
pub fn plain_problem(status: StatusCode, slug: &str, title: &str, detail: &str) -> HttpResponse {
    let type_ = format!("https://linkmap.example/problems/{slug}");
    problem_response(
        status,
        &Problem {
            type_: &type_,
            title,
            status: status.as_u16(),
            detail: detail.to_owned(),
            errors: None,
        },
    )
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Malformed => Self::MalformedJson,
            InputError::Invalid(errors) => Self::Invalid(errors),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        Self::Invalid(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => Self::NotFound,
            ServiceError::VersionConflict { current } => Self::VersionConflict { current },
            ServiceError::QuotaExceeded { limit } => Self::QuotaExceeded { limit },
            ServiceError::Store(s) => s.into(),
        }
    }
}
