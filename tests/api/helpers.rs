//! Test harness: one private PostgreSQL cluster per test process, a migrated template database, and a fresh
//! database plus server per test, so tests never share state and can run in parallel and twice in a row.

use std::sync::{Arc, OnceLock};

use forge_remote_auth::testing::{FitBuilder, TestKey};
use forge_remote_auth::StaticKeyStore;
use linkmap_server::configuration::{
    ConnectSettings, LogFormat, ReportingSettings, Secret, Settings,
};
use linkmap_server::pg_cluster::PrivateCluster;
use linkmap_server::startup::Application;
use serde_json::Value;

pub const APP_ID: &str = "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107";
pub const INSTALLATION_A: &str =
    "ari:cloud:ecosystem::installation/0a3a7799-53ae-4a5b-9e7e-03338980abb5";
pub const INSTALLATION_B: &str =
    "ari:cloud:ecosystem::installation/11111111-2222-4333-8444-555555555555";
pub const ALICE: &str = "655362:312d3308-8954-42b0-aa38-771a10c88656";
pub const BOB: &str = "5be24ad8b1653240376955d2";
const TEMPLATE_DB: &str = "linkmap_template";

struct Shared {
    cluster: PrivateCluster,
    key: TestKey,
}

/// The process-wide cluster, started and migrated once. Its watchdog stops it when the test process exits.
fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Every test's server logs, at debug level and as in production (JSON), into one buffer that
        // `logging.rs` scans for personal data.
        linkmap_server::telemetry::init_with_filter(
            LogFormat::Json,
            "debug,h2=info,hyper=info,reqwest=info",
            || CapturedLogs,
        );
        let cluster = PrivateCluster::start_temporary()
            .expect("start a private PostgreSQL (see pg_cluster docs)");
        cluster
            .ensure_database(TEMPLATE_DB)
            .expect("create the template database");
        // Migrate the template once on a throwaway runtime; every test database is a copy of it.
        let url = cluster.url(TEMPLATE_DB);
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let pool = linkmap_server::db::build_pool(&url, 1).unwrap();
                    linkmap_server::db::migrate(&pool).await.unwrap();
                    pool.close();
                })
        })
        .join()
        .unwrap();
        Shared {
            cluster,
            key: TestKey::fixed(),
        }
    })
}

static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// A writer appending to the process-wide log buffer.
pub struct CapturedLogs;

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged so far by every test in this process.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// A running server on its own fresh database.
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub database_url: String,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends the command at once; its future only waits for completion, which the test need not do.
        drop(self.handle.stop(false));
    }
}

/// A user in an installation, for minting tokens.
#[derive(Clone, Copy)]
pub struct User {
    pub installation: &'static str,
    pub account: &'static str,
}

pub const A_ALICE: User = User {
    installation: INSTALLATION_A,
    account: ALICE,
};
pub const A_BOB: User = User {
    installation: INSTALLATION_A,
    account: BOB,
};
pub const B_ALICE: User = User {
    installation: INSTALLATION_B,
    account: ALICE,
};

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ReportingSettings::default(), None).await
}

/// A fresh database from the template; its URL.
pub fn fresh_database() -> String {
    let shared = shared();
    let db = format!("t_{}", uuid::Uuid::new_v4().simple());
    shared
        .cluster
        .run_tool("createdb", &["-T", TEMPLATE_DB, &db])
        .expect("create the test database from the template");
    shared.cluster.url(&db)
}

/// A server with the given reporting settings, on `database_url` (another server's database, to run several
/// instances at once) or on a fresh database.
pub async fn spawn_app_with(reporting: ReportingSettings, database_url: Option<String>) -> TestApp {
    spawn_app_full(reporting, database_url, None).await
}

/// A server with the Connect lifecycle callbacks configured by `connect`.
pub async fn spawn_connect_app(connect: ConnectSettings) -> TestApp {
    spawn_app_full(ReportingSettings::default(), None, Some(connect)).await
}

async fn spawn_app_full(
    reporting: ReportingSettings,
    database_url: Option<String>,
    connect: Option<ConnectSettings>,
) -> TestApp {
    let shared = shared();
    let database_url = database_url.unwrap_or_else(fresh_database);
    let settings = Settings {
        database_url: Secret::new(database_url.clone()),
        database_pool_size: 4,
        bind_address: "127.0.0.1".into(),
        port: 0,
        forge_app_id: APP_ID.into(),
        forge_jwks_url: "http://127.0.0.1:9/unused".into(),
        forge_leeway: forge_remote_auth::DEFAULT_LEEWAY,
        log_format: LogFormat::Pretty,
        http_workers: Some(1),
        reporting,
        connect,
    };
    let keys = Arc::new(StaticKeyStore::from_jwks_json(&shared.key.jwks_json()).unwrap());
    let app = Application::build_with_keys(settings, keys)
        .await
        .expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        http: reqwest::Client::new(),
        database_url,
        handle,
    }
}

/// A valid FIT for `user`.
pub fn token(user: User) -> String {
    FitBuilder::docs_example()
        .app_id(APP_ID)
        .installation_id(user.installation)
        .principal(Some(user.account))
        .sign(&shared().key)
}

/// A FIT-shaped builder signed by the test key, for tokens a test wants to bend.
pub fn builder(user: User) -> FitBuilder {
    FitBuilder::docs_example()
        .app_id(APP_ID)
        .installation_id(user.installation)
        .principal(Some(user.account))
}

pub fn sign(builder: FitBuilder) -> String {
    builder.sign(&shared().key)
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub raw: String,
}

impl TestApp {
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.address),
        );
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(b).unwrap());
        }
        Self::reply(req.send().await.expect("request")).await
    }

    /// Sends raw bytes with a given content type.
    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.address),
        );
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        Self::reply(req.body(body).send().await.expect("request")).await
    }

    async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let raw = resp.text().await.unwrap();
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            raw,
        }
    }

    pub async fn get(&self, path: &str, user: User) -> Reply {
        self.call("GET", path, Some(&token(user)), None).await
    }
    pub async fn post(&self, path: &str, user: User, body: &Value) -> Reply {
        self.call("POST", path, Some(&token(user)), Some(body))
            .await
    }
    pub async fn put(&self, path: &str, user: User, body: &Value) -> Reply {
        self.call("PUT", path, Some(&token(user)), Some(body)).await
    }
    pub async fn delete(&self, path: &str, user: User) -> Reply {
        self.call("DELETE", path, Some(&token(user)), None).await
    }

    /// A direct connection to this test's database, to check what was (not) stored.
    pub async fn db(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.database_url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
    }

    /// Row counts of every table in the public schema (migration history excluded), for "nothing changed" checks.
    pub async fn row_counts(&self) -> Vec<(String, i64)> {
        let db = self.db().await;
        let tables: Vec<String> = db
            .query(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
                 AND table_name <> 'refinery_schema_history' ORDER BY 1",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut counts = Vec::new();
        for t in tables {
            let n: i64 = db
                .query_one(&format!("SELECT count(*) FROM \"{t}\""), &[])
                .await
                .unwrap()
                .get(0);
            counts.push((t, n));
        }
        counts
    }

    /// A full snapshot of the user tables' contents, to prove a refused request changed nothing.
    pub async fn snapshot(&self) -> String {
        let db = self.db().await;
        let mut out = String::new();
        for t in [
            "installations",
            "accounts",
            "layouts",
            "saved_queries",
            "display_settings",
        ] {
            let rows = db
                .query(&format!("SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY to_jsonb(x)::text), '[]')::text FROM \"{t}\" x"), &[])
                .await
                .unwrap();
            out.push_str(&rows[0].get::<_, String>(0));
            out.push('\n');
        }
        out
    }
}

/// A valid layout body.
pub fn layout_body(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "source": {"type": "jql", "jql": "project = PRJ ORDER BY rank"},
        "nodes": [
            {"issueId": "10042", "x": 10.5, "y": -20.0, "pinned": true},
            {"issueId": "10043", "x": 100.0, "y": 40.0, "pinned": false}
        ],
        "viewport": {"x": 0.0, "y": 0.0, "zoom": 1.0}
    })
}

/// A valid saved-query body.
pub fn query_body(name: &str) -> Value {
    serde_json::json!({"name": name, "jql": "project = PRJ AND status != Done"})
}

/// Asserts a problem+json error with `status`, returning its body.
#[track_caller]
pub fn assert_problem(reply: &Reply, status: u16) -> &Value {
    assert_eq!(reply.status, status, "body: {}", reply.raw);
    let ct = reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert_eq!(ct, "application/problem+json", "body: {}", reply.raw);
    assert_eq!(reply.body["status"], status);
    assert!(
        reply.body["title"].is_string()
            && reply.body["type"].is_string()
            && reply.body["detail"].is_string()
    );
    &reply.body
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A valid FIT for `installation` without a principal, as lifecycle events and triggers carry.
pub fn app_token(installation: &'static str) -> String {
    sign(
        FitBuilder::docs_example()
            .app_id(APP_ID)
            .installation_id(installation)
            .principal(None),
    )
}

impl TestApp {
    /// Sends a request with extra headers (e.g. `x-forge-oauth-system`).
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self
            .http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", self.address),
            )
            .header("Authorization", format!("Bearer {token}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(b).unwrap());
        }
        Self::reply(req.send().await.expect("request")).await
    }

    /// Names of every table of the schema (migration history excluded).
    pub async fn tables(&self) -> Vec<String> {
        self.row_counts()
            .await
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    /// Per table, how many rows mention `needle` anywhere (any column, as text): for "nothing of X is left"
    /// checks that also cover tables added later.
    pub async fn rows_mentioning(&self, needle: &str) -> Vec<(String, i64)> {
        let db = self.db().await;
        let mut out = Vec::new();
        for t in self.tables().await {
            let n: i64 = db
                .query_one(
                    &format!(
                        "SELECT count(*) FROM \"{t}\" x WHERE strpos(to_jsonb(x)::text, $1) > 0"
                    ),
                    &[&needle],
                )
                .await
                .unwrap()
                .get(0);
            out.push((t, n));
        }
        out
    }

    /// Creates two layouts, a query and settings for `user`; returns the layout and query ids.
    pub async fn populate(&self, user: User, tag: &str) -> (Vec<String>, Vec<String>) {
        let mut layouts = Vec::new();
        for i in 0..2 {
            let r = self
                .post("/layouts", user, &layout_body(&format!("{tag} map {i}")))
                .await;
            assert_eq!(r.status, 201, "{}", r.raw);
            layouts.push(r.body["id"].as_str().unwrap().to_owned());
        }
        let r = self
            .post(
                "/queries",
                user,
                &serde_json::json!({"name": format!("{tag} query"), "jql": format!("project = {tag}")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        let queries = vec![r.body["id"].as_str().unwrap().to_owned()];
        let settings = serde_json::json!({"theme": "dark", "layoutAlgorithm": "radial", "linkTypes": ["blocks"],
            "issueTypes": [], "depth": 3, "showResolved": false});
        assert_eq!(self.put("/settings", user, &settings).await.status, 200);
        (layouts, queries)
    }
}
