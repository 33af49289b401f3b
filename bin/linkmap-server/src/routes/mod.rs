//! Routes, one module per resource. Every route but the health checks sits behind a valid FIT, except the
//! Connect lifecycle callbacks, which sit behind a valid signed-install token (and exist only when configured).

pub mod caller;
pub mod connect;
pub mod health;
pub mod layouts;
pub mod lifecycle;
pub mod me_data;
pub mod queries;
pub mod settings;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::http::problem::plain_problem;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(web::get().to(health::healthz)))
        .service(resource("/readyz").route(web::get().to(health::readyz)))
        .service(
            resource("/layouts")
                .route(web::get().to(layouts::list))
                .route(web::post().to(layouts::create)),
        )
        .service(
            resource("/layouts/{id}")
                .route(web::get().to(layouts::get))
                .route(web::put().to(layouts::update))
                .route(web::delete().to(layouts::delete)),
        )
        .service(
            resource("/queries")
                .route(web::get().to(queries::list))
                .route(web::post().to(queries::create)),
        )
        .service(
            resource("/queries/{id}")
                .route(web::get().to(queries::get))
                .route(web::put().to(queries::update))
                .route(web::delete().to(queries::delete)),
        )
        .service(
            resource("/me/data")
                .route(web::get().to(me_data::export))
                .route(web::delete().to(me_data::erase)),
        )
        .service(resource("/forge/events").route(web::post().to(lifecycle::events)))
        .service(resource("/forge/pre-uninstall").route(web::post().to(lifecycle::pre_uninstall)))
        .service(
            resource("/forge/scheduled/daily").route(web::post().to(lifecycle::scheduled_daily)),
        )
        .service(
            resource("/settings")
                .route(web::get().to(settings::get))
                .route(web::put().to(settings::put)),
        );
}

/// Registers the Connect lifecycle callbacks at their configured routes (`CONNECT_BASE_URL` set).
pub fn configure_connect(
    cfg: &mut web::ServiceConfig,
    connect: web::Data<connect::ConnectLifecycle>,
    installed: &str,
    uninstalled: &str,
) {
    cfg.service(
        resource(installed)
            .app_data(connect.clone())
            .route(web::post().to(connect::installed)),
    )
    .service(
        resource(uninstalled)
            .app_data(connect)
            .route(web::post().to(connect::uninstalled)),
    );
}

/// A resource whose unsupported methods get a problem+json 405 instead of an empty body.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async { method_not_allowed() }))
}

fn method_not_allowed() -> HttpResponse {
    plain_problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "This route does not support that method.",
    )
}

/// Paging parameters of list routes, kept as text so a malformed value is a 422 naming it (not serde's 400).
#[derive(Debug, serde::Deserialize)]
pub struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

fn page_request(
    q: &PageQuery,
) -> Result<linkmap_core::PageRequest, crate::http::problem::ApiError> {
    Ok(linkmap_core::PageRequest::from_query(
        q.limit.as_deref(),
        q.cursor.as_deref(),
    )?)
}
