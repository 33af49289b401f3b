//! Atlassian Connect lifecycle callbacks (FORGE-CONTRACT §4, policy A2, C2, D1, U1): `POST <installed path>` and
//! `POST <uninstalled path>` (settings `CONNECT_INSTALLED_PATH` / `CONNECT_UNINSTALLED_PATH` under the path of
//! `CONNECT_BASE_URL`). Served only when `CONNECT_BASE_URL` is set.
//!
//! Order of work, so that nothing is written unless the signed-install token is valid:
//! 1. `Authorization` present (else 401); body ≤ [`MAX_LIFECYCLE_BODY_BYTES`] (413), a JSON object (400) whose
//!    known fields have their types and bounds (422) — `clientKey` above all, which the token's `iss` must equal;
//! 2. [`SignedInstallVerifier`] with the request's actual method, path and query: RS256 only, install key by a
//!    strictly checked `kid`, `aud` = `CONNECT_BASE_URL`, `iss` = body `clientKey`, computed `qsh`, `exp`; a token
//!    without `iat` is refused too (callbacks are ordered by it). 401 (problem+json, `WWW-Authenticate: JWT`), or
//!    503 when the install key cannot be fetched;
//! 3. [`PgConnectStore::apply`]: ordered by `iat`, one transaction.
//!
//! `sharedSecret` is never read into a variable, stored or logged: no route of ours verifies Connect JWTs
//! (docs/PRIVACY.md, "Connect").

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use forge_remote_auth::connect::{ConnectRequest, SignedInstallVerifier};
use linkmap_core::{InstallationId, ValidationErrors};
use serde::Deserialize;
use serde_json::json;

use crate::db::connect::{
    origin_of, ConnectInstance, LifecycleEvent, LifecycleOutcome, PgConnectStore,
};
use crate::db::installations::normalize_site_url;
use crate::http::body::JsonBody;
use crate::http::problem::ApiError;
use crate::state::AppState;

/// The largest lifecycle body accepted. Atlassian's payloads are about 1 KiB (2 KiB with the deprecated
/// `publicKey`); the cap leaves room for fields added later.
pub const MAX_LIFECYCLE_BODY_BYTES: usize = 32 * 1024;
/// Longest accepted `clientKey`.
pub const MAX_CLIENT_KEY_BYTES: usize = 200;
/// Longest accepted `baseUrl` / `displayUrl`.
pub const MAX_URL_BYTES: usize = 300;
/// Longest accepted `publicKey` (an RSA-4096 public key PEM is about 800 bytes).
pub const MAX_PUBLIC_KEY_BYTES: usize = 4096;

/// The verifier of the Connect callbacks (one per process, behind `web::Data`).
#[derive(Debug, Clone)]
pub struct ConnectLifecycle {
    /// Checks signed-install tokens.
    pub verifier: SignedInstallVerifier,
    /// The instances and the ordering state.
    pub store: PgConnectStore,
}

/// The documented payload fields we use (FORGE-CONTRACT §4.1). Unknown fields (and the documented ones we do not
/// use, `sharedSecret` included) are skipped without being kept; a known field sent twice is refused.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    client_key: Option<serde_json::Value>,
    base_url: Option<String>,
    display_url: Option<String>,
    product_type: Option<String>,
    public_key: Option<String>,
    installation_id: Option<String>,
    cloud_id: Option<String>,
    event_type: Option<String>,
}

/// `POST <installed path>`: records (or refreshes) the instance. 200 `{"status":"installed","linked":bool}`, or
/// `{"status":"ignored"}` when a later lifecycle event of the instance was already applied.
pub async fn installed(
    req: HttpRequest,
    body: JsonBody,
    state: web::Data<AppState>,
    connect: web::Data<ConnectLifecycle>,
) -> Result<HttpResponse, ApiError> {
    let (event, iat) = verified_event(&req, &body, &connect, "installed").await?;
    respond(&state, connect.store.apply(&event, iat).await?)
}

/// `POST <uninstalled path>`: deletes the instance and everything of the Forge installation linked to it (the
/// same purge as `/forge/pre-uninstall`). 200 `{"status":"uninstalled","deleted":{…,"connectInstances":n}}`
/// (zeros on a repeat), or `{"status":"ignored"}` when a later event was already applied.
pub async fn uninstalled(
    req: HttpRequest,
    body: JsonBody,
    state: web::Data<AppState>,
    connect: web::Data<ConnectLifecycle>,
) -> Result<HttpResponse, ApiError> {
    let (event, iat) = verified_event(&req, &body, &connect, "uninstalled").await?;
    respond(&state, connect.store.apply(&event, iat).await?)
}

fn respond(state: &AppState, outcome: LifecycleOutcome) -> Result<HttpResponse, ApiError> {
    Ok(match outcome {
        LifecycleOutcome::Stale => {
            tracing::info!("Connect lifecycle callback older than the last applied one: ignored");
            HttpResponse::Ok().json(json!({"status": "ignored"}))
        }
        LifecycleOutcome::Installed { linked } => {
            tracing::info!(linked, "Connect instance installed");
            HttpResponse::Ok().json(json!({"status": "installed", "linked": linked}))
        }
        LifecycleOutcome::Uninstalled {
            instances,
            purged,
            installation,
        } => {
            if let Some(inst) = &installation {
                state.registry.forget(inst.as_str());
            }
            tracing::info!(
                connect_instances = instances,
                installations = purged.installations,
                accounts = purged.accounts,
                layouts = purged.layouts,
                queries = purged.queries,
                settings = purged.settings,
                "Connect instance uninstalled"
            );
            let mut deleted =
                serde_json::to_value(purged).map_err(|e| ApiError::Internal(Box::new(e)))?;
            deleted["connectInstances"] = json!(instances);
            HttpResponse::Ok().json(json!({"status": "uninstalled", "deleted": deleted}))
        }
    })
}

fn invalid(field: &str, message: &'static str) -> ApiError {
    ApiError::Invalid(ValidationErrors::single(field, message))
}

/// Steps 1 and 2 of the module docs: the event and its token's `iat`, or the refusal.
async fn verified_event(
    req: &HttpRequest,
    body: &JsonBody,
    connect: &ConnectLifecycle,
    route_event: &'static str,
) -> Result<(LifecycleEvent, i64), ApiError> {
    let authorization = match req.headers().get(header::AUTHORIZATION) {
        None => {
            return Err(ApiError::Unauthenticated(
                forge_remote_auth::Error::MalformedJwtAuthorization,
            ))
        }
        Some(v) => v.to_str().map_err(|_| {
            ApiError::Unauthenticated(forge_remote_auth::Error::MalformedJwtAuthorization)
        })?,
    };
    if body.0.len() > MAX_LIFECYCLE_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let event = parse_payload(&body.0, route_event)?;
    let client_key = match &event {
        LifecycleEvent::Installed(i) => i.client_key.as_str(),
        LifecycleEvent::Uninstalled { client_key, .. } => client_key.as_str(),
    };
    let request =
        ConnectRequest::from_raw_query(req.method().as_str(), req.uri().path(), req.query_string());
    let claims = connect
        .verifier
        .verify_authorization(authorization, client_key, &request)
        .await
        .map_err(ApiError::from_auth)?;
    let iat = claims.iat.ok_or(ApiError::Unauthenticated(
        forge_remote_auth::Error::MissingClaim("iat"),
    ))?;
    Ok((event, iat))
}

/// The body, strictly: a JSON object; `clientKey` 1–200 printable ASCII characters; `baseUrl` an `https://` URL;
/// the optional fields typed and bounded; `eventType`, when sent, naming this route's event.
fn parse_payload(body: &[u8], route_event: &'static str) -> Result<LifecycleEvent, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| ApiError::MalformedJson)?;
    if !value.is_object() {
        return Err(ApiError::MalformedJson);
    }
    // From the bytes again, not from `value`: a `Value` keeps the last of duplicate members, the derive refuses them.
    let p: Payload = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(
        body,
    ))
    .map_err(|e| {
        let field = e.path().to_string();
        invalid(&field, "has the wrong type")
    })?;
    let client_key = match p.client_key {
        Some(serde_json::Value::String(s))
            if (1..=MAX_CLIENT_KEY_BYTES).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            s
        }
        _ => {
            return Err(invalid(
                "clientKey",
                "must be 1 to 200 printable ASCII characters",
            ))
        }
    };
    if let Some(t) = p.event_type.as_deref() {
        if t != route_event {
            return Err(invalid("eventType", "does not match this callback"));
        }
    }
    let base_url = p
        .base_url
        .as_deref()
        .and_then(normalize_base_url)
        .ok_or_else(|| invalid("baseUrl", "must be an https:// URL of at most 300 bytes"))?;
    let installation = p
        .installation_id
        .as_deref()
        .map(InstallationId::parse)
        .transpose()
        .map_err(|_| invalid("installationId", "must be a Forge installation ARI"))?;
    if route_event == "uninstalled" {
        return Ok(LifecycleEvent::Uninstalled {
            client_key,
            base_url,
            installation,
        });
    }
    let display_url = p
        .display_url
        .map(|u| {
            (u.starts_with("https://")
                && u.len() <= MAX_URL_BYTES
                && u.bytes().all(|b| b.is_ascii_graphic()))
            .then_some(u)
            .ok_or_else(|| invalid("displayUrl", "must be an https:// URL of at most 300 bytes"))
        })
        .transpose()?;
    let product_type = p
        .product_type
        .map(|t| {
            let ok = (1..=40).contains(&t.len())
                && t.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && t.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            ok.then_some(t)
                .ok_or_else(|| invalid("productType", "must be a lower-case product name"))
        })
        .transpose()?;
    let public_key = p
        .public_key
        .map(|k| {
            let ok = k.len() <= MAX_PUBLIC_KEY_BYTES
                && !k.contains("PRIVATE")
                && k.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'+' | b'/' | b'=' | b'-' | b' ' | b'\n' | b'\r')
                });
            ok.then_some(k)
                .ok_or_else(|| invalid("publicKey", "must be a public key of at most 4096 bytes"))
        })
        .transpose()?;
    let cloud_id = p
        .cloud_id
        .map(|c| {
            let ok = (1..=100).contains(&c.len())
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            ok.then_some(c)
                .ok_or_else(|| invalid("cloudId", "must be a cloud id"))
        })
        .transpose()?;
    Ok(LifecycleEvent::Installed(ConnectInstance {
        client_key,
        base_url,
        display_url,
        product_type,
        public_key,
        installation,
        cloud_id,
    }))
}

/// `https://host[:port][/path]`: the origin normalised as a site URL, the path kept (printable ASCII, no query or
/// fragment), no trailing `/`, at most [`MAX_URL_BYTES`].
fn normalize_base_url(url: &str) -> Option<String> {
    let url = url.trim_end_matches('/');
    if url.len() > MAX_URL_BYTES || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let origin = origin_of(url);
    let path = &url[origin.len()..];
    if path.contains(['?', '#']) {
        return None;
    }
    Some(format!("{}{path}", normalize_site_url(origin)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        assert_eq!(
            normalize_base_url("https://X.atlassian.net/").as_deref(),
            Some("https://x.atlassian.net")
        );
        assert_eq!(
            normalize_base_url("https://x.atlassian.net/wiki").as_deref(),
            Some("https://x.atlassian.net/wiki")
        );
        for bad in [
            "http://x.atlassian.net",
            "https://x/y?z",
            "https://x y",
            "x",
        ] {
            assert_eq!(normalize_base_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_payload_is_strict_about_known_fields_and_ignores_the_secret() {
        let ok = br#"{"key":"k","clientKey":"ck-1","sharedSecret":{"not":"even a string"},
            "baseUrl":"https://x.atlassian.net","displayUrl":"https://x.example.com","productType":"jira",
            "eventType":"installed","futureField":[1],"installationId":null}"#;
        let LifecycleEvent::Installed(i) = parse_payload(ok, "installed").unwrap() else {
            panic!("an installed event")
        };
        assert_eq!(i.client_key, "ck-1");
        assert_eq!(i.installation, None);
        for bad in [
            &br#"[]"#[..],
            br#"{"clientKey":5,"baseUrl":"https://x.atlassian.net"}"#,
            br#"{"clientKey":"","baseUrl":"https://x.atlassian.net"}"#,
            br#"{"clientKey":"a b","baseUrl":"https://x.atlassian.net"}"#,
            br#"{"baseUrl":"https://x.atlassian.net"}"#,
            br#"{"clientKey":"c","baseUrl":"http://x.atlassian.net"}"#,
            br#"{"clientKey":"c","baseUrl":"https://x.atlassian.net","eventType":"uninstalled"}"#,
            br#"{"clientKey":"c","baseUrl":"https://x.atlassian.net","installationId":"nope"}"#,
            br#"{"clientKey":"c","baseUrl":"https://x.atlassian.net","productType":7}"#,
            br#"{"clientKey":"c","baseUrl":"https://x.atlassian.net","publicKey":"-----BEGIN PRIVATE KEY-----"}"#,
            br#"{"clientKey":"c","clientKey":"d","baseUrl":"https://x.atlassian.net"}"#,
        ] {
            assert!(
                parse_payload(bad, "installed").is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = format!(
            r#"{{"clientKey":"{}","baseUrl":"https://x.atlassian.net"}}"#,
            "k".repeat(201)
        );
        assert!(parse_payload(long.as_bytes(), "installed").is_err());
    }
}
