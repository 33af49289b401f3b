//! `/settings`: one display-settings document per user per installation.

use actix_web::{web, HttpResponse};
use linkmap_core::DisplaySettings;

use super::caller::Caller;
use crate::http::body::JsonBody;
use crate::http::problem::ApiError;
use crate::state::AppState;

/// `GET /settings`: the saved settings, or the defaults when none are saved (nothing is stored by reading).
pub async fn get(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.config.get_settings(&caller.owner).await?))
}

/// `PUT /settings`: a full replace.
pub async fn put(
    caller: Caller,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let settings = DisplaySettings::from_json(&body.0)?;
    state.registry.upsert(&caller.registration).await?;
    Ok(HttpResponse::Ok().json(state.config.put_settings(&caller.owner, settings).await?))
}
