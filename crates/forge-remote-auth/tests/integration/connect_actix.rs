//! The Connect extractors: header and `?jwt=` sources, computed vs context qsh per route, 401/503/500.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{test, web, App, HttpResponse};
use forge_remote_auth::connect::{
    ConnectJwtVerifier, ConnectRequest, ConnectValidation, SharedSecret, SharedSecretLookup,
};
use forge_remote_auth::testing::{ConnectTokenBuilder, TEST_CLIENT_KEY, TEST_SHARED_SECRET};
use forge_remote_auth::{ConnectContextJwt, ConnectJwt, ConnectJwtAuth, Error};

struct Secrets {
    down: bool,
}

#[async_trait::async_trait]
impl SharedSecretLookup for Secrets {
    async fn shared_secret(&self, client_key: &str) -> Result<Option<SharedSecret>, Error> {
        if self.down {
            return Err(Error::SharedSecretUnavailable("db down".into()));
        }
        Ok((client_key == TEST_CLIENT_KEY).then(|| SharedSecret::new(TEST_SHARED_SECRET)))
    }
}

async fn computed(jwt: ConnectJwt) -> HttpResponse {
    HttpResponse::Ok().body(jwt.claims.client_key)
}

async fn context(jwt: ConnectContextJwt) -> HttpResponse {
    HttpResponse::Ok().body(jwt.claims.client_key)
}

fn auth(down: bool) -> ConnectJwtAuth {
    ConnectJwtAuth::new(
        ConnectJwtVerifier::new(
            ConnectValidation::new("https://app.example.com/jira-app").unwrap(),
        ),
        Arc::new(Secrets { down }),
    )
}

macro_rules! app {
    ($auth:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($auth))
                .route("/jira-app/rest/x", web::get().to(computed))
                .route("/jira-app/rest/x", web::post().to(computed))
                .route("/jira-app/api/ctx", web::get().to(context)),
        )
        .await
    };
}

fn token(method: &str, path: &str, query: &str) -> ConnectTokenBuilder {
    ConnectTokenBuilder::connect_jwt(
        TEST_CLIENT_KEY,
        &ConnectRequest::from_raw_query(method, path, query),
        "/jira-app",
    )
}

fn sign(b: ConnectTokenBuilder) -> String {
    b.sign_hs256(TEST_SHARED_SECRET.as_bytes())
}

#[actix_web::test]
async fn header_and_query_sources() {
    let app = app!(auth(false));
    let t = sign(token("GET", "/jira-app/rest/x", "a=b+c"));
    let req = test::TestRequest::get()
        .uri("/jira-app/rest/x?a=b+c")
        .insert_header(("Authorization", format!("JWT {t}")))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, TEST_CLIENT_KEY);

    // `?jwt=` on a GET (iframe load): the parameter is left out of the qsh.
    let req = test::TestRequest::get()
        .uri(&format!("/jira-app/rest/x?a=b+c&jwt={t}"))
        .to_request();
    assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);

    let refused = [
        // No Authorization.
        test::TestRequest::get()
            .uri("/jira-app/rest/x?a=b+c")
            .to_request(),
        // Bearer is the FIT scheme, not Connect's.
        test::TestRequest::get()
            .uri("/jira-app/rest/x?a=b+c")
            .insert_header(("Authorization", format!("Bearer {t}")))
            .to_request(),
        // Header and query at once.
        test::TestRequest::get()
            .uri(&format!("/jira-app/rest/x?a=b+c&jwt={t}"))
            .insert_header(("Authorization", format!("JWT {t}")))
            .to_request(),
        // `?jwt=` on a POST.
        test::TestRequest::post()
            .uri(&format!("/jira-app/rest/x?a=b+c&jwt={t}"))
            .to_request(),
        // The token is for another query.
        test::TestRequest::get()
            .uri("/jira-app/rest/x?a=b+d")
            .insert_header(("Authorization", format!("JWT {t}")))
            .to_request(),
        // A made-up secret.
        test::TestRequest::get()
            .uri("/jira-app/rest/x?a=b+c")
            .insert_header((
                "Authorization",
                format!(
                    "JWT {}",
                    token("GET", "/jira-app/rest/x", "a=b+c").sign_hs256(b"guess")
                ),
            ))
            .to_request(),
        // An unknown client key.
        test::TestRequest::get()
            .uri("/jira-app/rest/x?a=b+c")
            .insert_header((
                "Authorization",
                format!(
                    "JWT {}",
                    sign(
                        token("GET", "/jira-app/rest/x", "a=b+c")
                            .claim("iss", serde_json::json!("other"))
                    )
                ),
            ))
            .to_request(),
    ];
    for req in refused {
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}

#[actix_web::test]
async fn context_qsh_only_where_the_route_allows_it() {
    let app = app!(auth(false));
    let ctx = sign(token("GET", "/", "").context_qsh());
    let on = |path: &str| {
        test::TestRequest::get()
            .uri(path)
            .insert_header(("Authorization", format!("JWT {ctx}")))
            .to_request()
    };
    assert_eq!(
        test::call_service(&app, on("/jira-app/api/ctx"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        test::call_service(&app, on("/jira-app/rest/x"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn secret_store_down_is_503_and_missing_config_is_500() {
    let app = app!(auth(true));
    let t = sign(token("GET", "/jira-app/rest/x", ""));
    let req = test::TestRequest::get()
        .uri("/jira-app/rest/x")
        .insert_header(("Authorization", format!("JWT {t}")))
        .to_request();
    assert_eq!(
        test::call_service(&app, req).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    let bare =
        test::init_service(App::new().route("/jira-app/rest/x", web::get().to(computed))).await;
    let req = test::TestRequest::get()
        .uri("/jira-app/rest/x")
        .insert_header(("Authorization", format!("JWT {t}")))
        .to_request();
    assert_eq!(
        test::call_service(&bare, req).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}
