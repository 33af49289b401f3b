//! `/layouts`: a user's saved maps.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use linkmap_core::{LayoutDraft, LayoutId, LayoutUpdate};

use super::caller::Caller;
use super::{page_request, PageQuery};
use crate::http::body::JsonBody;
use crate::http::problem::ApiError;
use crate::state::AppState;

/// `GET /layouts?limit=&cursor=`: summaries, newest first.
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(&query)?;
    let page = state.config.list_layouts(&caller.owner, page).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `POST /layouts`.
pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let draft = LayoutDraft::from_json(&body.0)?;
    state.registry.upsert(&caller.registration).await?;
    let layout = state.config.create_layout(&caller.owner, draft).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/layouts/{}", layout.id)))
        .json(layout))
}

/// `GET /layouts/{id}`.
pub async fn get(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let layout = state.config.get_layout(&caller.owner, id).await?;
    Ok(HttpResponse::Ok().json(layout))
}

/// `PUT /layouts/{id}`: a full replace that must carry the version the client read.
pub async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let update = LayoutUpdate::from_json(&body.0)?;
    let layout = state
        .config
        .update_layout(&caller.owner, id, update.draft, update.version)
        .await?;
    Ok(HttpResponse::Ok().json(layout))
}

/// `DELETE /layouts/{id}`.
pub async fn delete(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    state.config.delete_layout(&caller.owner, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A malformed id names no record: 404, like any other id the caller does not own.
fn parse_id(raw: &str) -> Result<LayoutId, ApiError> {
    LayoutId::parse(raw).map_err(|_| ApiError::NotFound)
}
