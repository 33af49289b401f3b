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
    cfg.service(
        resource("/healthz", "GET, HEAD")
            .route(web::get().to(health::healthz))
            .route(web::head().to(health::healthz)),
    )
    .service(
        resource("/readyz", "GET, HEAD")
            .route(web::get().to(health::readyz))
            .route(web::head().to(health::readyz)),
    )
    .service(
        resource("/layouts", "GET, POST")
            .route(web::get().to(layouts::list))
            .route(web::post().to(layouts::create)),
    )
    .service(
        resource("/layouts/{id}", "GET, PUT, DELETE")
            .route(web::get().to(layouts::get))
            .route(web::put().to(layouts::update))
            .route(web::delete().to(layouts::delete)),
    )
    .service(
        resource("/queries", "GET, POST")
            .route(web::get().to(queries::list))
            .route(web::post().to(queries::create)),
    )
    .service(
        resource("/queries/{id}", "GET, PUT, DELETE")
            .route(web::get().to(queries::get))
            .route(web::put().to(queries::update))
            .route(web::delete().to(queries::delete)),
    )
    .service(
        resource("/me/data", "GET, DELETE")
            .route(web::get().to(me_data::export))
            .route(web::delete().to(me_data::erase)),
    )
    .service(resource("/forge/events", "POST").route(web::post().to(lifecycle::events)))
    .service(
        resource("/forge/pre-uninstall", "POST").route(web::post().to(lifecycle::pre_uninstall)),
    )
    .service(
        resource("/forge/scheduled/daily", "POST")
            .route(web::post().to(lifecycle::scheduled_daily)),
    )
    .service(
        resource("/settings", "GET, PUT")
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
        resource(installed, "POST")
            .app_data(connect.clone())
            .route(web::post().to(connect::installed)),
    )
    .service(
        resource(uninstalled, "POST")
            .app_data(connect)
            .route(web::post().to(connect::uninstalled)),
    );
}

/// A resource whose unsupported methods get a problem+json 405 with the `Allow` header RFC 9110 requires.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move { method_not_allowed(allow) }))
}

fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut resp = plain_problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "This route does not support that method; see the Allow header.",
    );
    resp.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static(allow),
    );
    resp
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
