//! Atlassian Connect lifecycle callbacks (policy A2, C2, D1, U1): signed-install verification against a local
//! install-key server, what `installed` records (never the shared secret), the link to the Forge installation,
//! uninstall in both orders with the Forge pre-uninstall, and ordering of reordered or duplicated callbacks.

use forge_remote_auth::connect::ConnectRequest;
use forge_remote_auth::testing::{ConnectTokenBuilder, TestKey};
use linkmap_server::configuration::ConnectSettings;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

const BASE: &str = "https://linkmap.example.com";
const INSTALLED: &str = "/connect/installed";
const UNINSTALLED: &str = "/connect/uninstalled";
const CLIENT_KEY: &str = "7b3f1c2e-connect-client-key-0001";
const SHARED_SECRET: &str = "s3cr3t-shared-secret-never-stored-0123456789";
/// The FIT docs example's `context.siteUrl`: the Forge side of the same site.
const SITE: &str = "https://example-site.atlassian.net";
const A_UUID: &str = "0a3a7799-53ae-4a5b-9e7e-03338980abb5";

fn install_key() -> TestKey {
    TestKey::fixed().with_kid("connect-e2e/install-key-1")
}

/// A local stand-in for connect-install-keys.atlassian.com serving the install key's PEM at `/<kid>`.
struct Keys {
    server: MockServer,
}

impl Keys {
    async fn start() -> Self {
        let server = MockServer::start().await;
        let key = install_key();
        Mock::given(method("GET"))
            .and(wiremock::matchers::path(format!("/{}", key.kid())))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/x-pem-file")
                    .set_body_string(key.public_key_pem()),
            )
            .mount(&server)
            .await;
        Keys { server }
    }

    async fn requests(&self) -> usize {
        self.server
            .received_requests()
            .await
            .map(|r| r.len())
            .unwrap_or(0)
    }
}

async fn connect_app(keys: &Keys) -> TestApp {
    let mut settings = ConnectSettings::new(BASE);
    settings.install_keys_url = keys.server.uri();
    spawn_connect_app(settings).await
}

fn token_at(client_key: &str, path: &str, iat: i64) -> String {
    ConnectTokenBuilder::signed_install(
        client_key,
        BASE,
        &ConnectRequest::from_raw_query("POST", path, ""),
    )
    .claim("iat", json!(iat))
    .sign_rs256(&install_key())
}

fn token(client_key: &str, path: &str) -> String {
    token_at(client_key, path, unix_now() - 5)
}

fn payload(event: &str, client_key: &str, installation: Option<&str>) -> Value {
    let mut p = json!({
        "key": "com.example.linkmap",
        "clientKey": client_key,
        "publicKey": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
        "serverVersion": "100258",
        "pluginsVersion": "1001.0.0-SNAPSHOT",
        "baseUrl": SITE,
        "displayUrl": "https://jira.example-site.com",
        "productType": "jira",
        "description": "Atlassian JIRA at https://example-site.atlassian.net",
        "eventType": event,
        "somethingNew": {"nested": true}
    });
    if event == "installed" {
        p["sharedSecret"] = json!(SHARED_SECRET);
    }
    if let Some(i) = installation {
        p["installationId"] = json!(i);
        p["cloudId"] = json!("d0d52620-3203-4cfa-8db5-f2587155f0dd");
    }
    p
}

impl TestApp {
    async fn connect_call(&self, path: &str, authorization: Option<String>, body: &Value) -> Reply {
        let mut req = self
            .http
            .post(format!("{}{path}", self.address))
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let raw = resp.text().await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_str(&raw).unwrap_or(Value::Null),
            raw,
        }
    }

    async fn installed(&self, client_key: &str, iat: i64, installation: Option<&str>) -> Reply {
        self.connect_call(
            INSTALLED,
            Some(format!("JWT {}", token_at(client_key, INSTALLED, iat))),
            &payload("installed", client_key, installation),
        )
        .await
    }

    async fn uninstalled(&self, client_key: &str, iat: i64, installation: Option<&str>) -> Reply {
        self.connect_call(
            UNINSTALLED,
            Some(format!("JWT {}", token_at(client_key, UNINSTALLED, iat))),
            &payload("uninstalled", client_key, installation),
        )
        .await
    }

    /// Every row of every table (migration history excluded), as text: "nothing was written" checks.
    async fn full_snapshot(&self) -> String {
        let db = self.db().await;
        let mut out = String::new();
        for t in self.tables().await {
            let row = db
                .query_one(
                    &format!("SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY to_jsonb(x)::text), '[]')::text FROM \"{t}\" x"),
                    &[],
                )
                .await
                .unwrap();
            out.push_str(&format!("{t}: {}\n", row.get::<_, String>(0)));
        }
        out
    }

    async fn connect_rows(&self) -> Vec<Value> {
        self.db()
            .await
            .query(
                "SELECT to_jsonb(c) FROM connect_instances c ORDER BY client_key",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    async fn assert_nothing_mentions(&self, needle: &str) {
        for (table, n) in self.rows_mentioning(needle).await {
            assert_eq!(
                n, 0,
                "table {table} still holds {n} row(s) mentioning {needle}"
            );
        }
    }
}

#[tokio::test]
async fn connect_routes_are_not_served_without_a_base_url() {
    let app = spawn_app().await;
    let r = app
        .connect_call(
            INSTALLED,
            Some(format!("JWT {}", token(CLIENT_KEY, INSTALLED))),
            &payload("installed", CLIENT_KEY, None),
        )
        .await;
    assert_problem(&r, 404);
}

#[tokio::test]
async fn installed_records_the_instance_but_never_the_shared_secret_and_a_repeat_changes_nothing() {
    let keys = Keys::start().await;
    let app = connect_app(&keys).await;
    let r = app
        .installed(CLIENT_KEY, unix_now() - 5, Some(INSTALLATION_A))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["status"], "installed");
    // Installation A is not registered here yet: the link waits for it.
    assert_eq!(r.body["linked"], false);
    let rows = app.connect_rows().await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["client_key"], CLIENT_KEY);
    assert_eq!(row["base_url"], SITE);
    assert_eq!(row["display_url"], "https://jira.example-site.com");
    assert_eq!(row["product_type"], "jira");
    assert_eq!(
        row["public_key"],
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
    );
    assert_eq!(row["payload_installation"], INSTALLATION_A);
    assert_eq!(row["cloud_id"], "d0d52620-3203-4cfa-8db5-f2587155f0dd");
    assert_eq!(row["installation_id"], Value::Null);

    // Policy C2: the shared secret is in no table and in no log line.
    app.assert_nothing_mentions(SHARED_SECRET).await;
    assert!(!captured_logs().contains(SHARED_SECRET));

    // A duplicate (same token time) is applied again to the same effect.
    let before = app.full_snapshot().await;
    let again = app
        .installed(CLIENT_KEY, unix_now() - 5, Some(INSTALLATION_A))
        .await;
    assert_eq!(again.status, 200, "{}", again.raw);
    let strip = |s: String| {
        s.lines()
            .map(|l| {
                if l.starts_with("connect_") {
                    "connect_*".to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(app.full_snapshot().await), strip(before));
    assert_eq!(app.connect_rows().await.len(), 1);
    // The key was fetched once and cached.
    assert_eq!(keys.requests().await, 1);
}

#[tokio::test]
async fn spoofed_callbacks_are_refused_and_write_nothing() {
    let keys = Keys::start().await;
    let app = connect_app(&keys).await;
    app.populate(A_ALICE, "AALICE").await;
    let body = payload("installed", CLIENT_KEY, Some(INSTALLATION_A));
    let request = ConnectRequest::from_raw_query("POST", INSTALLED, "");
    let valid = || ConnectTokenBuilder::signed_install(CLIENT_KEY, BASE, &request);
    let before = app.full_snapshot().await;

    let cases: Vec<(&str, Option<String>, Value)> = vec![
        ("no Authorization", None, body.clone()),
        (
            "Bearer instead of JWT",
            Some(format!("Bearer {}", valid().sign_rs256(&install_key()))),
            body.clone(),
        ),
        (
            "HS256 with a made-up secret",
            Some(format!(
                "JWT {}",
                valid().sign_hs256(b"made-up-secret-made-up-secret-123")
            )),
            body.clone(),
        ),
        (
            "RS256 with a wrong aud",
            Some(format!(
                "JWT {}",
                ConnectTokenBuilder::signed_install(
                    CLIENT_KEY,
                    "https://evil.example.com",
                    &request
                )
                .sign_rs256(&install_key())
            )),
            body.clone(),
        ),
        (
            "valid RS256 for another client key",
            Some(format!(
                "JWT {}",
                ConnectTokenBuilder::signed_install("another-client-key", BASE, &request)
                    .sign_rs256(&install_key())
            )),
            body.clone(),
        ),
        (
            "context qsh",
            Some(format!(
                "JWT {}",
                valid().context_qsh().sign_rs256(&install_key())
            )),
            body.clone(),
        ),
        (
            "qsh of another route",
            Some(format!("JWT {}", token(CLIENT_KEY, UNINSTALLED))),
            body.clone(),
        ),
        (
            "expired",
            Some(format!(
                "JWT {}",
                valid()
                    .claim("iat", json!(unix_now() - 600))
                    .expires_at(unix_now() - 300)
                    .sign_rs256(&install_key())
            )),
            body.clone(),
        ),
        (
            "no iat",
            Some(format!(
                "JWT {}",
                valid().remove_claim("iat").sign_rs256(&install_key())
            )),
            body.clone(),
        ),
        (
            "signed by another key under the served kid",
            Some(format!(
                "JWT {}",
                valid().sign_rs256(&TestKey::generate().with_kid(install_key().kid()))
            )),
            body.clone(),
        ),
    ];
    for (name, authorization, body) in cases {
        let r = app.connect_call(INSTALLED, authorization, &body).await;
        let problem = assert_problem(&r, 401);
        assert_eq!(
            problem["detail"], "The request could not be authenticated.",
            "{name}"
        );
        assert_eq!(
            r.headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("JWT"),
            "{name}"
        );
        assert_eq!(app.full_snapshot().await, before, "{name} wrote something");
    }
    // Only the last case needed the key.
    assert_eq!(keys.requests().await, 1);

    // A kid that is a URL or a path never reaches the key server.
    for kid in [
        "https://evil.example.com/key",
        "//evil.example.com/key",
        "../../etc/passwd",
        "/etc/passwd",
        "connect-e2e/../install-key-1",
        "a%2F..%2Fb",
    ] {
        let t = valid().header("kid", json!(kid)).sign_rs256(&install_key());
        let r = app
            .connect_call(INSTALLED, Some(format!("JWT {t}")), &body)
            .await;
        assert_problem(&r, 401);
        assert_eq!(
            app.full_snapshot().await,
            before,
            "kid {kid} wrote something"
        );
    }
    assert_eq!(keys.requests().await, 1, "a bad kid made a key request");

    // Malformed bodies are refused before any verification.
    for (bad, status) in [
        (json!([1, 2]), 400),
        (json!({"clientKey": 42, "baseUrl": SITE}), 422),
        (json!({"clientKey": "x".repeat(201), "baseUrl": SITE}), 422),
        (
            json!({"clientKey": CLIENT_KEY, "baseUrl": "http://plain.example.com"}),
            422,
        ),
        (
            json!({"clientKey": CLIENT_KEY, "baseUrl": SITE, "eventType": "uninstalled"}),
            422,
        ),
    ] {
        let r = app
            .connect_call(
                INSTALLED,
                Some(format!("JWT {}", token(CLIENT_KEY, INSTALLED))),
                &bad,
            )
            .await;
        assert_problem(&r, status);
    }
    let huge = json!({"clientKey": CLIENT_KEY, "baseUrl": SITE, "description": "x".repeat(40_000)});
    let r = app
        .connect_call(
            INSTALLED,
            Some(format!("JWT {}", token(CLIENT_KEY, INSTALLED))),
            &huge,
        )
        .await;
    assert_problem(&r, 413);
    assert_eq!(app.full_snapshot().await, before);

    // The same spoofs on the uninstall route delete nothing.
    let r = app
        .connect_call(
            UNINSTALLED,
            None,
            &payload("uninstalled", CLIENT_KEY, Some(INSTALLATION_A)),
        )
        .await;
    assert_problem(&r, 401);
    let r = app
        .connect_call(
            UNINSTALLED,
            Some(format!(
                "JWT {}",
                ConnectTokenBuilder::signed_install(
                    CLIENT_KEY,
                    BASE,
                    &ConnectRequest::from_raw_query("POST", UNINSTALLED, "")
                )
                .sign_hs256(b"made-up-secret-made-up-secret-123")
            )),
            &payload("uninstalled", CLIENT_KEY, Some(INSTALLATION_A)),
        )
        .await;
    assert_problem(&r, 401);
    assert_eq!(app.full_snapshot().await, before);
}

#[tokio::test]
async fn an_unreachable_key_server_is_a_503_and_writes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let mut settings = ConnectSettings::new(BASE);
    settings.install_keys_url = server.uri();
    let app = spawn_connect_app(settings).await;
    let before = app.full_snapshot().await;
    let r = app.installed(CLIENT_KEY, unix_now() - 5, None).await;
    assert_problem(&r, 503);
    assert!(r.headers.get("retry-after").is_some());
    assert_eq!(app.full_snapshot().await, before);
}

#[tokio::test]
async fn forge_pre_uninstall_first_then_connect_uninstalled_leaves_nothing() {
    let keys = Keys::start().await;
    let app = connect_app(&keys).await;
    app.populate(A_ALICE, "AALICE").await;
    app.populate(B_ALICE, "BALICE").await;
    let b_before = app
        .rows_mentioning("11111111-2222-4333-8444-555555555555")
        .await;
    let r = app
        .installed(CLIENT_KEY, unix_now() - 5, Some(INSTALLATION_A))
        .await;
    assert_eq!(
        (r.status, r.body["linked"].as_bool()),
        (200, Some(true)),
        "{}",
        r.raw
    );

    let r = app
        .call(
            "POST",
            "/forge/pre-uninstall",
            Some(&app_token(INSTALLATION_A)),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["deleted"]["installations"], 1);
    app.assert_nothing_mentions(A_UUID).await;
    app.assert_nothing_mentions(CLIENT_KEY).await;
    assert!(app.connect_rows().await.is_empty());

    let r = app
        .uninstalled(CLIENT_KEY, unix_now() - 4, Some(INSTALLATION_A))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["status"], "uninstalled");
    assert_eq!(r.body["deleted"]["installations"], 0);
    assert_eq!(r.body["deleted"]["accounts"], 0);
    assert_eq!(r.body["deleted"]["connectInstances"], 0);
    app.assert_nothing_mentions(A_UUID).await;
    app.assert_nothing_mentions(CLIENT_KEY).await;
    assert_eq!(
        app.rows_mentioning("11111111-2222-4333-8444-555555555555")
            .await,
        b_before
    );
}

#[tokio::test]
async fn connect_uninstalled_first_then_forge_pre_uninstall_leaves_nothing() {
    let keys = Keys::start().await;
    let app = connect_app(&keys).await;
    app.populate(A_ALICE, "AALICE").await;
    app.populate(A_BOB, "ABOB").await;
    app.populate(B_ALICE, "BALICE").await;
    crate::lifecycle::seed_reporting_rows(&app, INSTALLATION_A, ALICE).await;
    let b_before = app
        .rows_mentioning("11111111-2222-4333-8444-555555555555")
        .await;
    // No installationId in the payload: linked by site (Connect baseUrl = the FIT's context.siteUrl). Both
    // installations' FITs carry the docs example's site, so make B's another site first.
    app.db()
        .await
        .execute(
            "UPDATE installations SET site_url = 'https://other-site.atlassian.net' WHERE installation_id = $1",
            &[&INSTALLATION_B],
        )
        .await
        .unwrap();
    let r = app.installed(CLIENT_KEY, unix_now() - 5, None).await;
    assert_eq!(
        (r.status, r.body["linked"].as_bool()),
        (200, Some(true)),
        "{}",
        r.raw
    );

    let r = app.uninstalled(CLIENT_KEY, unix_now() - 4, None).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["deleted"]["installations"], 1);
    assert_eq!(r.body["deleted"]["accounts"], 2);
    assert_eq!(r.body["deleted"]["layouts"], 4);
    assert_eq!(r.body["deleted"]["connectInstances"], 1);
    app.assert_nothing_mentions(A_UUID).await;
    app.assert_nothing_mentions(CLIENT_KEY).await;
    app.assert_nothing_mentions(SITE).await;

    let r = app
        .call(
            "POST",
            "/forge/pre-uninstall",
            Some(&app_token(INSTALLATION_A)),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["deleted"]["installations"], 0);
    assert_eq!(r.body["deleted"]["accounts"], 0);
    app.assert_nothing_mentions(A_UUID).await;
    assert_eq!(
        app.rows_mentioning("11111111-2222-4333-8444-555555555555")
            .await,
        b_before
    );
    // The instance forgot the installation: a reinstall works.
    let r = app
        .post("/layouts", A_ALICE, &layout_body("after reinstall"))
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
}

#[tokio::test]
async fn a_connect_instance_installed_before_the_forge_installation_is_linked_when_it_registers() {
    let keys = Keys::start().await;
    let app = connect_app(&keys).await;
    let r = app.installed(CLIENT_KEY, unix_now() - 5, None).await;
    assert_eq!(r.body["linked"], false, "{}", r.raw);
    let r = app
        .installed("second-client-key", unix_now() - 5, Some(INSTALLATION_A))
        .await;
    assert_eq!(r.body["linked"], false, "{}", r.raw);
    // The Forge installation's first call records its site URL and links both (by site, by installationId).
    app.populate(A_ALICE, "AALICE").await;
    let site: Option<String> = app
        .db()
        .await
        .query_one("SELECT site_url FROM installations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(site.as_deref(), Some(SITE));
    let rows = app.connect_rows().await;
    assert!(
        rows.iter().all(|r| r["installation_id"] == INSTALLATION_A),
        "{rows:?}"
    );
    // The Forge pre-uninstall takes them with the installation.
    let r = app
        .call(
            "POST",
            "/forge/pre-uninstall",
            Some(&app_token(INSTALLATION_A)),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(app.connect_rows().await.is_empty());
    app.assert_nothing_mentions(CLIENT_KEY).await;
}

async fn instance_count(app: &TestApp) -> usize {
    app.connect_rows().await.len()
}

#[tokio::test]
async fn installed_then_uninstalled_5_ms_apart_ends_uninstalled_in_either_order_of_arrival() {
    let keys = Keys::start().await;
    let t = unix_now() - 5;
    // Same second (the usual case 5 ms apart: iat has one-second resolution) and one second apart.
    for (installed_iat, uninstalled_iat) in [(t, t), (t, t + 1)] {
        // In order.
        let app = connect_app(&keys).await;
        assert_eq!(
            app.installed(CLIENT_KEY, installed_iat, None).await.status,
            200
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let r = app.uninstalled(CLIENT_KEY, uninstalled_iat, None).await;
        assert_eq!(r.body["status"], "uninstalled", "{}", r.raw);
        assert_eq!(instance_count(&app).await, 0);

        // Reversed: the uninstall arrives first, the older install after it is ignored.
        let app = connect_app(&keys).await;
        let r = app.uninstalled(CLIENT_KEY, uninstalled_iat, None).await;
        assert_eq!(r.status, 200, "{}", r.raw);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let r = app.installed(CLIENT_KEY, installed_iat, None).await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("ignored")),
            "{}",
            r.raw
        );
        assert_eq!(instance_count(&app).await, 0);
        app.assert_nothing_mentions(CLIENT_KEY).await;

        // Concurrent.
        let app = connect_app(&keys).await;
        let (a, b) = tokio::join!(
            app.installed(CLIENT_KEY, installed_iat, None),
            app.uninstalled(CLIENT_KEY, uninstalled_iat, None)
        );
        assert_eq!((a.status, b.status), (200, 200), "{} {}", a.raw, b.raw);
        assert_eq!(instance_count(&app).await, 0);
    }
}

#[tokio::test]
async fn duplicated_callbacks_and_a_reinstall_end_in_the_state_of_the_last_real_event() {
    let keys = Keys::start().await;
    let app = connect_app(&keys).await;
    app.populate(A_ALICE, "AALICE").await;
    let t = unix_now() - 20;

    // Duplicated installed: one instance.
    let (a, b) = tokio::join!(
        app.installed(CLIENT_KEY, t, Some(INSTALLATION_A)),
        app.installed(CLIENT_KEY, t, Some(INSTALLATION_A))
    );
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(instance_count(&app).await, 1);

    // Duplicated uninstalled: the first deletes, the second is a no-op 2xx.
    let first = app
        .uninstalled(CLIENT_KEY, t + 1, Some(INSTALLATION_A))
        .await;
    assert_eq!(first.body["deleted"]["installations"], 1, "{}", first.raw);
    let second = app
        .uninstalled(CLIENT_KEY, t + 1, Some(INSTALLATION_A))
        .await;
    assert_eq!(second.status, 200, "{}", second.raw);
    assert_eq!(second.body["deleted"]["installations"], 0);
    assert_eq!(second.body["deleted"]["connectInstances"], 0);
    app.assert_nothing_mentions(A_UUID).await;
    // What remains for ordering is no instance data: a keyed hash and a time.
    app.assert_nothing_mentions(CLIENT_KEY).await;
    let lifecycle = app
        .db()
        .await
        .query(
            "SELECT last_event, octet_length(client_key_hash) FROM connect_lifecycle",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(lifecycle.len(), 1);
    assert_eq!(lifecycle[0].get::<_, String>(0), "uninstalled");
    assert_eq!(lifecycle[0].get::<_, i32>(1), 32);

    // A re-install after the uninstall is applied; a late copy of the old uninstall is then ignored.
    let r = app.installed(CLIENT_KEY, t + 2, Some(INSTALLATION_A)).await;
    assert_eq!(r.body["status"], "installed", "{}", r.raw);
    let late = app
        .uninstalled(CLIENT_KEY, t + 1, Some(INSTALLATION_A))
        .await;
    assert_eq!(late.body["status"], "ignored", "{}", late.raw);
    assert_eq!(instance_count(&app).await, 1);
    // And a late copy of the first install does not roll the instance back either.
    let old = app.installed(CLIENT_KEY, t, None).await;
    assert_eq!(old.body["status"], "ignored", "{}", old.raw);
    assert_eq!(app.connect_rows().await[0]["last_event_iat"], t + 2);
}

#[tokio::test]
async fn a_base_url_with_a_path_serves_the_callbacks_under_it() {
    let keys = Keys::start().await;
    let base = "https://linkmap.example.com/jira-app";
    let mut settings = ConnectSettings::new(base);
    settings.install_keys_url = keys.server.uri();
    let app = spawn_connect_app(settings).await;
    let path = "/jira-app/connect/installed";
    let t = ConnectTokenBuilder::signed_install(
        CLIENT_KEY,
        base,
        &ConnectRequest::from_raw_query("POST", path, ""),
    )
    .sign_rs256(&install_key());
    let r = app
        .connect_call(
            path,
            Some(format!("JWT {t}")),
            &payload("installed", CLIENT_KEY, None),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_problem(
        &app.connect_call(
            INSTALLED,
            Some(format!("JWT {t}")),
            &payload("installed", CLIENT_KEY, None),
        )
        .await,
        404,
    );
}
