//! actix-web integration (feature `actix`): the [`ForgeInvocation`] extractor and its [`AuthRejection`] error.
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{web, App, HttpServer, Responder};
//! use forge_remote_auth::{FitValidator, ForgeInvocation, HttpKeyStore, HttpKeyStoreConfig, Validation};
//!
//! async fn handler(fit: ForgeInvocation) -> impl Responder {
//!     format!("hello from {}", fit.claims.app.installation_id)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = HttpKeyStore::new(HttpKeyStoreConfig::production())?;
//! let validator = FitValidator::new(Validation::new("8db33809-1f32-48bb-8c52-5877dab48107")?, Arc::new(keys));
//! let validator = web::Data::new(validator);
//! HttpServer::new(move || App::new().app_data(validator.clone()).route("/hello", web::post().to(handler)))
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::claims::InvocationClaims;
use crate::error::Error;
use crate::tokens::{
    AppSystemToken, AppUserToken, TraceIds, AUTHORIZATION_HEADER, SPAN_ID_HEADER,
    SYSTEM_TOKEN_HEADER, TRACE_ID_HEADER, USER_TOKEN_HEADER,
};
use crate::validator::FitValidator;

/// `Retry-After` (seconds) sent with a 503.
pub const RETRY_AFTER_SECS: u32 = 5;

/// A Forge request whose FIT was validated: the claims, the app tokens Forge attached, and the trace ids.
///
/// Extracting it needs a [`FitValidator`] in the app data, as `web::Data<FitValidator>` (or a plain
/// `FitValidator`). Failures answer 401 (`WWW-Authenticate: Bearer`, a problem body that does not say why; the
/// reason is logged), 503 with `Retry-After` when keys could not be fetched, and 500 when no validator is
/// registered.
///
/// An app token header that is present but malformed, or sent twice, refuses the request. Missing or malformed
/// trace headers only leave `trace` empty (logged at debug): local tools rarely send them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ForgeInvocation {
    /// The validated claims.
    pub claims: InvocationClaims,
    /// `x-forge-oauth-system`, when sent.
    pub system_token: Option<AppSystemToken>,
    /// `x-forge-oauth-user`, when sent.
    pub user_token: Option<AppUserToken>,
    /// `x-b3-traceid` / `x-b3-spanid`, when both are sent and well-formed.
    pub trace: Option<TraceIds>,
}

/// Why a request was refused by an extractor of this crate. As a [`ResponseError`] it renders the matching 401,
/// 503 or 500 response; `Display` and [`AuthRejection::reason`] carry the reason for logs (never a token or a
/// principal).
#[derive(Debug)]
pub struct AuthRejection {
    reason: Option<Error>,
}

impl AuthRejection {
    /// A rejection for `reason` (401, or 503 when [`Error::is_unavailable`]).
    pub fn new(reason: Error) -> Self {
        AuthRejection {
            reason: Some(reason),
        }
    }

    /// No [`FitValidator`] is registered in the app data: a server bug (500).
    pub fn missing_validator() -> Self {
        AuthRejection { reason: None }
    }

    /// The reason, or `None` for a missing validator.
    pub fn reason(&self) -> Option<&Error> {
        self.reason.as_ref()
    }
}

impl From<Error> for AuthRejection {
    fn from(e: Error) -> Self {
        AuthRejection::new(e)
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Some(e) => write!(f, "Forge request refused: {e}"),
            None => f.write_str("no FitValidator is registered in the actix-web app data"),
        }
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.reason.as_ref().map(|e| e as _)
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        match &self.reason {
            None => StatusCode::INTERNAL_SERVER_ERROR,
            Some(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Some(_) => StatusCode::UNAUTHORIZED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (title, detail) = match status {
            StatusCode::UNAUTHORIZED => ("Unauthorized", "The request could not be authenticated."),
            StatusCode::SERVICE_UNAVAILABLE => (
                "Service Unavailable",
                "The request could not be authenticated right now; retry later.",
            ),
            _ => (
                "Internal Server Error",
                "The server is not configured to authenticate Forge requests.",
            ),
        };
        let body = serde_json::json!({
            "type": "about:blank",
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        });
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if status == StatusCode::UNAUTHORIZED {
            // Forge reserves 401 for FIT failures and ignores its body, so RFC 9457's media type costs nothing.
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            response.content_type("application/problem+json");
        } else {
            // FORGE-CONTRACT §1.2: any other non-2xx answer must be `application/json` or the Forge frontend
            // promise rejects; the body keeps the problem-details shape.
            if status == StatusCode::SERVICE_UNAVAILABLE {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS)));
            }
            response.content_type("application/json");
        }
        response.body(body.to_string())
    }
}

/// The validator from the app data: `web::Data<FitValidator>` first, then a plain `FitValidator`.
fn validator(req: &HttpRequest) -> Option<FitValidator> {
    req.app_data::<web::Data<FitValidator>>()
        .map(|d| FitValidator::clone(d))
        .or_else(|| req.app_data::<FitValidator>().cloned())
}

/// The single value of `name`: `Ok(None)` when absent; `bad` when sent twice or not visible ASCII.
fn single_header(req: &HttpRequest, name: &str, bad: Error) -> Result<Option<String>, Error> {
    let mut values = req.headers().get_all(name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(bad);
    }
    first.to_str().map(|s| Some(s.to_owned())).map_err(|_| bad)
}

fn log_rejection(e: &Error) {
    if e.is_unavailable() {
        tracing::warn!(error = %e, "could not authenticate a Forge request");
    } else {
        tracing::info!(error = %e, "refused a Forge request");
    }
}

/// Everything read from the request before the async part (the request itself is not `Send`-free to hold).
struct Gathered {
    authorization: String,
    system_token: Option<AppSystemToken>,
    user_token: Option<AppUserToken>,
    trace: Option<TraceIds>,
}

fn gather(req: &HttpRequest) -> Result<Gathered, Error> {
    let authorization = single_header(req, AUTHORIZATION_HEADER, Error::MalformedAuthorization)?
        .ok_or(Error::MalformedAuthorization)?;
    let system_token = single_header(
        req,
        SYSTEM_TOKEN_HEADER,
        Error::InvalidAppToken(SYSTEM_TOKEN_HEADER),
    )?
    .map(|v| AppSystemToken::from_header_value(&v))
    .transpose()?;
    let user_token = single_header(
        req,
        USER_TOKEN_HEADER,
        Error::InvalidAppToken(USER_TOKEN_HEADER),
    )?
    .map(|v| AppUserToken::from_header_value(&v))
    .transpose()?;
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let trace = match TraceIds::parse(header(TRACE_ID_HEADER), header(SPAN_ID_HEADER)) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::debug!(error = %e, "Forge request without usable trace ids");
            None
        }
    };
    Ok(Gathered {
        authorization,
        system_token,
        user_token,
        trace,
    })
}

impl FromRequest for ForgeInvocation {
    type Error = AuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(validator) = validator(req) else {
            tracing::error!(
                "no FitValidator in the actix-web app data: register web::Data<FitValidator>"
            );
            return Box::pin(std::future::ready(Err(AuthRejection::missing_validator())));
        };
        let gathered = gather(req);
        Box::pin(async move {
            let result = match gathered {
                Ok(g) => validator
                    .validate_authorization(&g.authorization)
                    .await
                    .map(|claims| ForgeInvocation {
                        claims,
                        system_token: g.system_token,
                        user_token: g.user_token,
                        trace: g.trace,
                    }),
                Err(e) => Err(e),
            };
            result.map_err(|e| {
                log_rejection(&e);
                AuthRejection::new(e)
            })
        })
    }
}

macro_rules! app_token_extractor {
    ($ty:ident, $header:expr) => {
        /// Reads the header alone, **without validating the FIT**: take [`ForgeInvocation`] in the same handler
        /// (or use its token field). Missing → 401; use `Option<…>` for an optional header.
        impl FromRequest for $ty {
            type Error = AuthRejection;
            type Future = std::future::Ready<Result<Self, Self::Error>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let result = single_header(req, $header, Error::InvalidAppToken($header))
                    .and_then(|v| v.ok_or(Error::MissingAppToken($header)))
                    .and_then(|v| $ty::from_header_value(&v));
                std::future::ready(result.map_err(|e| {
                    tracing::debug!(error = %e, "no usable app token header");
                    AuthRejection::new(e)
                }))
            }
        }
    };
}

app_token_extractor!(AppUserToken, USER_TOKEN_HEADER);
app_token_extractor!(AppSystemToken, SYSTEM_TOKEN_HEADER);

// ---------------------------------------------------------------------------------------------------------------
// Atlassian Connect

/// What the Connect extractors need in the app data (`web::Data<ConnectJwtAuth>`): the verifier and where
/// shared secrets come from.
#[derive(Clone)]
pub struct ConnectJwtAuth {
    verifier: crate::connect::ConnectJwtVerifier,
    secrets: std::sync::Arc<dyn crate::connect::SharedSecretLookup>,
}

impl fmt::Debug for ConnectJwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectJwtAuth")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl ConnectJwtAuth {
    /// Connect JWT authentication with `verifier` and shared secrets from `secrets`.
    pub fn new(
        verifier: crate::connect::ConnectJwtVerifier,
        secrets: std::sync::Arc<dyn crate::connect::SharedSecretLookup>,
    ) -> Self {
        ConnectJwtAuth { verifier, secrets }
    }
}

/// A request whose Connect JWT verified with a **computed** `qsh` (see [`ConnectContextJwt`] for routes that
/// also take context tokens). Needs `web::Data<ConnectJwtAuth>` in the app data (500 without it); refusals
/// answer 401, an unavailable secret store 503, like [`ForgeInvocation`].
///
/// # Where the token is taken from
/// `Authorization: JWT <token>` (sent once). The `jwt` query parameter, which Atlassian uses for iframe loads, is
/// accepted only on `GET`/`HEAD` requests without an `Authorization` header; both at once are refused
/// ([`Error::MalformedJwtAuthorization`]). A `jwt` form field in a body is never read. The `qsh` binds a token to
/// its request, so a token leaked through a URL cannot be used for another one.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectJwt {
    /// The verified claims.
    pub claims: crate::connect::ConnectClaims,
}

/// Like [`ConnectJwt`], but also accepts `qsh = "context-qsh"`
/// ([`QshMode::ContextAllowed`](crate::connect::QshMode::ContextAllowed)): for routes called by the app's own
/// front end with `AP.context.getToken()`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectContextJwt {
    /// The verified claims.
    pub claims: crate::connect::ConnectClaims,
}

/// The Connect JWT of `req`: the `Authorization: JWT` header or (GET/HEAD only) the `jwt` query parameter.
fn connect_token(req: &HttpRequest) -> Result<String, Error> {
    let header = single_header(req, AUTHORIZATION_HEADER, Error::MalformedJwtAuthorization)?;
    let query = crate::connect::parse_query(req.query_string());
    let mut from_query = query
        .iter()
        .filter(|(k, _)| k == crate::connect::JWT_QUERY_PARAM);
    let query_token = from_query.next().map(|(_, v)| v.clone());
    if from_query.next().is_some() {
        return Err(Error::MalformedJwtAuthorization);
    }
    match (header, query_token) {
        (Some(h), None) => crate::connect::jwt_from_authorization(&h).map(str::to_owned),
        (None, Some(t))
            if matches!(
                *req.method(),
                actix_web::http::Method::GET | actix_web::http::Method::HEAD
            ) && !t.is_empty() =>
        {
            Ok(t)
        }
        _ => Err(Error::MalformedJwtAuthorization),
    }
}

fn connect_extract(
    req: &HttpRequest,
    mode: crate::connect::QshMode,
) -> Pin<Box<dyn Future<Output = Result<crate::connect::ConnectClaims, AuthRejection>>>> {
    let auth = req
        .app_data::<web::Data<ConnectJwtAuth>>()
        .map(|d| ConnectJwtAuth::clone(d))
        .or_else(|| req.app_data::<ConnectJwtAuth>().cloned());
    let Some(auth) = auth else {
        tracing::error!(
            "no ConnectJwtAuth in the actix-web app data: register web::Data<ConnectJwtAuth>"
        );
        return Box::pin(std::future::ready(Err(AuthRejection::missing_validator())));
    };
    let token = connect_token(req);
    let request = crate::connect::ConnectRequest::from_raw_query(
        req.method().as_str(),
        req.path(),
        req.query_string(),
    );
    Box::pin(async move {
        let result = match token {
            Ok(t) => {
                auth.verifier
                    .verify_with_lookup(&t, auth.secrets.as_ref(), &request, mode)
                    .await
            }
            Err(e) => Err(e),
        };
        result.map_err(|e| {
            log_rejection(&e);
            AuthRejection::new(e)
        })
    })
}

impl FromRequest for ConnectJwt {
    type Error = AuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let f = connect_extract(req, crate::connect::QshMode::Computed);
        Box::pin(async move { f.await.map(|claims| ConnectJwt { claims }) })
    }
}

impl FromRequest for ConnectContextJwt {
    type Error = AuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let f = connect_extract(req, crate::connect::QshMode::ContextAllowed);
        Box::pin(async move { f.await.map(|claims| ConnectContextJwt { claims }) })
    }
}
