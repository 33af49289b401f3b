//! `/me/data`: the caller's own data rights. `GET` exports everything held about the caller in this installation
//! (policy R1); `DELETE` erases it (R3, D3), which also stops its reporting (the reporting state cascades).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use linkmap_core::{to_storage_precision, PrivacyStore};
use serde_json::json;

use super::caller::Caller;
use crate::http::problem::ApiError;
use crate::state::AppState;

/// `GET /me/data`: one JSON document, as an attachment.
pub async fn export(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let now = to_storage_precision(time::OffsetDateTime::now_utc());
    let doc = state.privacy.export(&caller.owner, now).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", doc.file_name()),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// `DELETE /me/data`: erases the caller's data in this installation; answers what was deleted (zeros on repeat).
pub async fn erase(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let counts = state.privacy.erase_owner(&caller.owner).await?;
    tracing::info!(
        accounts = counts.accounts,
        layouts = counts.layouts,
        queries = counts.queries,
        settings = counts.settings,
        "user data erased on request"
    );
    Ok(HttpResponse::Ok().json(json!({"deleted": counts})))
}
