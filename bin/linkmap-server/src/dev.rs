//! `linkmap-server dev`: the whole backend on one machine, with nothing to set up.
//!
//! Starts a private PostgreSQL in `.dev/postgres` (kept between runs), generates a signing key standing in for
//! Atlassian's, publishes its JWKS and a token minter on a loopback port, starts the real server against both, and
//! prints ready-to-paste `curl` commands. Ctrl-C stops the server, the minter and Postgres.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use forge_remote_auth::testing::{FitBuilder, TestKey};
use serde::Deserialize;

use crate::configuration::{LogFormat, Secret, Settings};
use crate::pg_cluster::{Durability, PrivateCluster};
use crate::startup::Application;

/// The app id the local tokens are addressed to (the docs example's).
pub const DEV_APP_ID: &str = "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107";
/// Lifetime of minted tokens: the validator's default maximum, so a pasted token stays usable for a while.
const DEV_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// Options of the `dev` command.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Port of the API (the minter takes the next free one).
    pub port: u16,
    /// Where the private cluster keeps its files.
    pub data_dir: PathBuf,
}

/// Why `dev` could not run.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// The private cluster could not start.
    #[error("could not start the private PostgreSQL")]
    Cluster(#[from] crate::pg_cluster::ClusterError),
    /// The server could not start.
    #[error("could not start the server")]
    Startup(#[from] crate::startup::StartupError),
    /// Local I/O failed.
    #[error("local I/O failed")]
    Io(#[from] std::io::Error),
}

#[derive(Deserialize)]
struct TokenQuery {
    principal: Option<String>,
    installation: Option<String>,
}

/// Runs until Ctrl-C.
pub async fn run(opts: DevOptions) -> Result<(), DevError> {
    println!(
        "Starting a private PostgreSQL in {} …",
        opts.data_dir.display()
    );
    let data_dir = opts.data_dir.clone();
    let mut cluster = tokio::task::spawn_blocking(
        move || -> Result<PrivateCluster, crate::pg_cluster::ClusterError> {
            let cluster = PrivateCluster::start(&data_dir, Durability::Persistent)?;
            cluster.ensure_database("linkmap")?;
            Ok(cluster)
        },
    )
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))??;

    let key = Arc::new(TestKey::generate());
    let jwks = key.jwks_json();
    let minter_key = Arc::clone(&key);
    let minter = HttpServer::new(move || {
        let jwks = jwks.clone();
        let key = Arc::clone(&minter_key);
        App::new()
            .route(
                "/.well-known/jwks.json",
                web::get().to(move || {
                    let jwks = jwks.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(jwks)
                    }
                }),
            )
            .route(
                "/token",
                web::get().to(move |q: web::Query<TokenQuery>| {
                    let key = Arc::clone(&key);
                    async move {
                        HttpResponse::Ok()
                            .content_type("text/plain")
                            .body(mint(&key, &q))
                    }
                }),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))?;
    let minter_port = minter.addrs().first().map(|a| a.port()).unwrap_or_default();
    let minter = minter.run();
    let minter_handle = minter.handle();
    let minter_task = tokio::spawn(minter);

    let settings = Settings {
        database_url: Secret::new(cluster.url("linkmap")),
        database_pool_size: crate::configuration::DEFAULT_POOL_SIZE,
        bind_address: "127.0.0.1".into(),
        port: opts.port,
        forge_app_id: DEV_APP_ID.into(),
        forge_jwks_url: format!("http://127.0.0.1:{minter_port}/.well-known/jwks.json"),
        forge_leeway: forge_remote_auth::DEFAULT_LEEWAY,
        log_format: LogFormat::Pretty,
        http_workers: None,
        reporting: crate::configuration::ReportingSettings::default(),
        connect: None,
    };
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            minter_handle.stop(false).await;
            cluster.stop();
            return Err(e.into());
        }
    };
    let api = format!("http://127.0.0.1:{}", app.port());
    let minter_url = format!("http://127.0.0.1:{minter_port}");
    let fit = mint(
        &key,
        &TokenQuery {
            principal: None,
            installation: None,
        },
    );
    let expires = (time::OffsetDateTime::now_utc() + DEV_TOKEN_LIFETIME)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "in 5 minutes".to_owned());
    println!(
        r#"
LinkMap is running at {api} (PostgreSQL on 127.0.0.1:{pg}, database `linkmap`).
A local key stands in for Atlassian's; its JWKS is at {minter_url}/.well-known/jwks.json.

Paste these into another terminal. The first line mints a fresh token (valid 5 minutes) each time you run it;
add `?principal=<accountId>` to the URL to act as another user.

  FIT=$(curl -s {minter_url}/token)
  curl -s {api}/layouts -H "Authorization: Bearer $FIT"
  curl -s {api}/layouts -H "Authorization: Bearer $FIT" -H 'Content-Type: application/json' \
    -d '{{"name":"Sprint map","source":{{"type":"jql","jql":"project = PRJ"}},"nodes":[{{"issueId":"10042","x":10,"y":20,"pinned":true}}],"viewport":{{"x":0,"y":0,"zoom":1}}}}'
  curl -s {api}/layouts/<id from the answer above> -H "Authorization: Bearer $FIT"

A token minted just now, if you prefer to paste one (expires {expires}):
  FIT={fit}

Ctrl-C stops everything.
"#,
        pg = cluster.port()
    );
    let served = app.run_until_stopped().await;
    minter_handle.stop(true).await;
    let _ = minter_task.await;
    cluster.stop();
    println!("Stopped the server, the token minter and PostgreSQL.");
    Ok(served?)
}

fn mint(key: &TestKey, q: &TokenQuery) -> String {
    let mut builder = FitBuilder::docs_example()
        .app_id(DEV_APP_ID)
        .lifetime(DEV_TOKEN_LIFETIME);
    if let Some(p) = q.principal.as_deref() {
        builder = builder.principal(Some(p));
    }
    if let Some(i) = q.installation.as_deref() {
        builder = builder.installation_id(i);
    }
    builder.sign(key)
}
