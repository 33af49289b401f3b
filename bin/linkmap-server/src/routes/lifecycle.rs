//! Forge lifecycle and trigger endpoints (FORGE-CONTRACT §3.4): `POST /forge/events`, `POST /forge/pre-uninstall`,
//! `POST /forge/scheduled/daily`.
//!
//! They carry a FIT without a principal, so they use [`ForgeInvocation`] directly (not `Caller`); the installation
//! comes from the verified FIT only, never from the body (policy U2). Forge waits at most 5 s and retries a failure
//! up to 4 times, so every handler is idempotent and quick: the daily reconciliation is only queued here.

use actix_web::{web, HttpResponse};
use forge_remote_auth::ForgeInvocation;
use linkmap_core::PrivacyStore;
use serde_json::{json, Value};

use super::caller::installation_of;
use crate::http::body::JsonBody;
use crate::http::problem::ApiError;
use crate::privacy::reconcile::ReconcileRequest;
use crate::state::AppState;

/// Event types that (re)register the installation.
const REGISTERING_EVENTS: [&str; 2] = ["avi:forge:installed:app", "avi:forge:upgraded:app"];

/// The event type of a lifecycle body, flat (`{"eventType":…}`) or wrapped (`{"payload":{"eventType":…}}`).
/// Unknown fields are ignored; `None` when no event type is given.
pub fn event_type(body: &Value) -> Option<&str> {
    let flat = body.get("eventType").and_then(Value::as_str);
    let wrapped = body
        .get("payload")
        .and_then(|p| p.get("eventType"))
        .and_then(Value::as_str);
    wrapped.or(flat)
}

/// `POST /forge/events`: `avi:forge:installed:app` / `avi:forge:upgraded:app` register (or refresh) the
/// installation; a repeat has no further effect. Other event types are acknowledged and ignored.
pub async fn events(
    invocation: ForgeInvocation,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body: Value = serde_json::from_slice(&body.0).map_err(|_| ApiError::MalformedJson)?;
    if !body.is_object() {
        return Err(ApiError::MalformedJson);
    }
    let (_, registration) = installation_of(&invocation)?;
    match event_type(&body) {
        Some(t) if REGISTERING_EVENTS.contains(&t) => {
            state.registry.upsert(&registration).await?;
            tracing::info!(event = t, "installation registered");
            Ok(HttpResponse::Ok().json(json!({"status": "registered"})))
        }
        _ => Ok(HttpResponse::Ok().json(json!({"status": "ignored"}))),
    }
}

/// `POST /forge/pre-uninstall`: deletes everything of the FIT's installation in one transaction (policy D1) and
/// answers the counts; a repeat deletes nothing and answers zeros.
pub async fn pre_uninstall(
    invocation: ForgeInvocation,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (installation, _) = installation_of(&invocation)?;
    let counts = state.privacy.purge_installation(&installation).await?;
    state.registry.forget(installation.as_str());
    tracing::info!(
        accounts = counts.accounts,
        layouts = counts.layouts,
        queries = counts.queries,
        settings = counts.settings,
        "installation purged"
    );
    Ok(HttpResponse::Ok().json(json!({"deleted": counts})))
}

/// `POST /forge/scheduled/daily`: queues the installation's account-closure reconciliation (policy D2) with the
/// app system token (kept in memory only) and answers at once (202). Without a system token nothing can be
/// reported: answered 200 `skipped` (a retry would not help) and logged.
pub async fn scheduled_daily(
    invocation: ForgeInvocation,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (installation, registration) = installation_of(&invocation)?;
    let Some(token) = invocation.system_token.clone() else {
        tracing::warn!(
            "daily trigger without an app system token; enable auth.appSystemToken on its endpoint"
        );
        return Ok(HttpResponse::Ok().json(json!({"status": "skipped"})));
    };
    // The run's bookkeeping references the installation row.
    state.registry.upsert(&registration).await?;
    state
        .jobs
        .submit(ReconcileRequest {
            installation,
            token,
        })
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    Ok(HttpResponse::Accepted().json(json!({"status": "queued"})))
}

#[cfg(test)]
mod tests {
    use super::event_type;
    use serde_json::json;

    #[test]
    fn event_type_is_read_from_flat_and_wrapped_bodies() {
        assert_eq!(
            event_type(&json!({"eventType": "avi:forge:installed:app", "id": "x", "extra": 1})),
            Some("avi:forge:installed:app")
        );
        assert_eq!(
            event_type(
                &json!({"payload": {"eventType": "avi:forge:upgraded:app"}, "retryContext": {}})
            ),
            Some("avi:forge:upgraded:app")
        );
        assert_eq!(event_type(&json!({"eventType": 5})), None);
        assert_eq!(event_type(&json!({})), None);
    }
}
