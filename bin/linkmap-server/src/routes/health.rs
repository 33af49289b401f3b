//! Health checks: the only routes served without a token (policy U1).

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::http::problem::ApiError;
use crate::state::AppState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let client = state
        .pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    client
        .simple_query("SELECT 1")
        .await
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}
