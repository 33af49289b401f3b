//! Builds the application from settings and serves it (z2p's `Application`): binds its own listener so tests can
//! ask for port 0, connects the pool, runs migrations, and wires the routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use forge_remote_auth::connect::{
    ConnectValidation, HttpInstallKeyStore, HttpInstallKeyStoreConfig, InstallKeyStore,
    SignedInstallVerifier,
};
use forge_remote_auth::{FitValidator, HttpKeyStore, HttpKeyStoreConfig, KeyStore, Validation};

use crate::configuration::Settings;
use crate::db::connect::PgConnectStore;
use crate::db::{self, DbSetupError};
use crate::http::{headers, negotiate, problem, request_log};
use crate::privacy::client::HttpReportingClient;
use crate::privacy::reconcile::{JobQueue, Reconciler};
use crate::routes;
use crate::state::AppState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be set up.
    #[error(transparent)]
    Database(#[from] DbSetupError),
    /// The FIT validator configuration is invalid.
    #[error("invalid Forge authentication settings: {0}")]
    Auth(String),
    /// The reporting API client could not be built.
    #[error("invalid Personal Data Reporting settings: {0}")]
    Reporting(String),
    /// The listener could not be bound.
    #[error("could not listen on {address}")]
    Bind {
        /// The address.
        address: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Builds the server with Atlassian's (or the configured) JWKS endpoint as key store.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let keys = HttpKeyStore::new(HttpKeyStoreConfig::new(&settings.forge_jwks_url))
            .map_err(|e| StartupError::Auth(e.to_string()))?;
        Self::build_with_keys(settings, Arc::new(keys)).await
    }

    /// Builds the server with a given key store (tests and embedding).
    pub async fn build_with_keys(
        settings: Settings,
        keys: Arc<dyn KeyStore>,
    ) -> Result<Self, StartupError> {
        Self::build_with_stores(settings, keys, None).await
    }

    /// Builds the server with a given FIT key store and, for the Connect callbacks, a given install-key store
    /// (`None`: keys fetched from `CONNECT_INSTALL_KEYS_URL`). Without `settings.connect` no Connect route exists.
    pub async fn build_with_stores(
        settings: Settings,
        keys: Arc<dyn KeyStore>,
        install_keys: Option<Arc<dyn InstallKeyStore>>,
    ) -> Result<Self, StartupError> {
        let connect_verifier = match &settings.connect {
            None => None,
            Some(c) => {
                let validation = ConnectValidation::new(&c.base_url)
                    .and_then(|v| v.leeway(settings.forge_leeway))
                    .map_err(|e| StartupError::Auth(e.to_string()))?;
                let install_keys: Arc<dyn InstallKeyStore> = match install_keys {
                    Some(k) => k,
                    None => Arc::new(
                        HttpInstallKeyStore::new(HttpInstallKeyStoreConfig::new(
                            &c.install_keys_url,
                        ))
                        .map_err(|e| StartupError::Auth(e.to_string()))?,
                    ),
                };
                Some((
                    SignedInstallVerifier::new(validation, install_keys),
                    c.installed_route(),
                    c.uninstalled_route(),
                ))
            }
        };
        let validation = Validation::new(&settings.forge_app_id)
            .and_then(|v| v.leeway(settings.forge_leeway))
            .map_err(|e| StartupError::Auth(e.to_string()))?;
        let validator = FitValidator::new(validation, keys);

        let pool = db::build_pool(settings.database_url.expose(), settings.database_pool_size)?;
        db::migrate(&pool).await?;
        let client = HttpReportingClient::new(&settings.reporting.url)
            .map_err(|e| StartupError::Reporting(e.to_string()))?;
        let reconciler = Reconciler::new(
            pool.clone(),
            settings.database_url.clone(),
            Arc::new(client),
            settings.reporting.max_retry_after,
        );
        let jobs = JobQueue::start(Arc::new(reconciler), settings.reporting.concurrency);
        let state = web::Data::new(AppState::new(pool.clone(), jobs));
        let validator = web::Data::new(validator);
        let connect = connect_verifier.map(|(verifier, installed, uninstalled)| {
            (
                web::Data::new(routes::connect::ConnectLifecycle {
                    verifier,
                    store: PgConnectStore::new(pool.clone()),
                }),
                installed,
                uninstalled,
            )
        });

        let address = format!("{}:{}", settings.bind_address, settings.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?
            .port();

        let mut server = HttpServer::new(move || {
            App::new()
                // A query string that does not even decode (e.g. `?limit=1&limit=2` into one field) is a 400 in
                // problem+json like every other error; values that decode are checked by linkmap-core (422).
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|_, _| problem::ApiError::MalformedQuery.into()),
                )
                .app_data(state.clone())
                .app_data(validator.clone())
                .wrap(from_fn(negotiate::error_media_type))
                .wrap(from_fn(request_log::log_requests))
                .wrap(headers::security_headers())
                .configure(routes::configure)
                .configure(|cfg| {
                    if let Some((connect, installed, uninstalled)) = &connect {
                        routes::configure_connect(cfg, connect.clone(), installed, uninstalled);
                    }
                })
                .default_service(web::to(|| async {
                    problem::plain_problem(
                        StatusCode::NOT_FOUND,
                        "not-found",
                        "Not found",
                        "No such route.",
                    )
                }))
        })
        .shutdown_timeout(10);
        if let Some(n) = settings.http_workers {
            server = server.workers(n);
        }
        let server = server
            .listen(listener)
            .map_err(|source| StartupError::Bind {
                address: format!("port {port}"),
                source,
            })?
            .run();
        Ok(Self { port, server })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (Ctrl-C/SIGTERM, or through [`Application::handle`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
