//! `/queries`: a user's saved JQL queries.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use linkmap_core::{QueryDraft, QueryId, QueryUpdate};

use super::caller::Caller;
use super::{page_request, PageQuery};
use crate::http::body::JsonBody;
use crate::http::problem::ApiError;
use crate::state::AppState;

/// `GET /queries?limit=&cursor=`: newest first.
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(&query)?;
    let page = state.config.list_queries(&caller.owner, page).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `POST /queries`.
pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let draft = QueryDraft::from_json(&body.0)?;
    state.registry.upsert(&caller.registration).await?;
    let query = state.config.create_query(&caller.owner, draft).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/queries/{}", query.id)))
        .json(query))
}

/// `GET /queries/{id}`.
pub async fn get(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    Ok(HttpResponse::Ok().json(state.config.get_query(&caller.owner, id).await?))
}

/// `PUT /queries/{id}`: a full replace that must carry the version the client read.
pub async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let update = QueryUpdate::from_json(&body.0)?;
    let query = state
        .config
        .update_query(&caller.owner, id, update.draft, update.version)
        .await?;
    Ok(HttpResponse::Ok().json(query))
}

/// `DELETE /queries/{id}`.
pub async fn delete(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    state.config.delete_query(&caller.owner, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn parse_id(raw: &str) -> Result<QueryId, ApiError> {
    QueryId::parse(raw).map_err(|_| ApiError::NotFound)
}
