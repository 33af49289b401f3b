//! The caller's own data rights: `GET /me/data` exports everything (R1), `DELETE /me/data` erases it (R3, D3).

use crate::helpers::*;

#[tokio::test]
async fn export_holds_everything_the_caller_created_and_nothing_of_anyone_else() {
    let app = spawn_app().await;
    let (layouts, queries) = app.populate(A_ALICE, "ALICEMINE").await;
    app.populate(A_BOB, "BOBSECRET").await;
    app.populate(B_ALICE, "OTHERINSTALL").await;

    let r = app.get("/me/data", A_ALICE).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let disposition = r.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"linkmap-data-")
            && disposition.ends_with(".json\""),
        "{disposition}"
    );
    assert!(!disposition.contains(ALICE));
    let doc = &r.body;
    assert_eq!(doc["accountId"], ALICE);
    assert_eq!(doc["installationId"], INSTALLATION_A);
    assert!(doc["firstStoredAt"].is_string() && doc["exportedAt"].is_string());
    let mut got: Vec<&str> = doc["layouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want: Vec<&str> = layouts.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(got, want);
    // Full layouts: every node, viewport, timestamps.
    for l in doc["layouts"].as_array().unwrap() {
        assert_eq!(l["nodes"].as_array().unwrap().len(), 2);
        assert!(l["viewport"].is_object() && l["createdAt"].is_string());
        // Each matches what the API serves.
        let served = app
            .get(&format!("/layouts/{}", l["id"].as_str().unwrap()), A_ALICE)
            .await;
        assert_eq!(&served.body, l);
    }
    assert_eq!(doc["queries"].as_array().unwrap().len(), 1);
    assert_eq!(doc["queries"][0]["id"], queries[0].as_str());
    assert_eq!(doc["queries"][0]["jql"], "project = ALICEMINE");
    assert_eq!(doc["settings"]["settings"]["theme"], "dark");
    assert!(doc["settings"]["updatedAt"].is_string());
    // Nothing of Bob, nothing of Alice's other installation.
    for foreign in [BOB, "BOBSECRET", "OTHERINSTALL", INSTALLATION_B] {
        assert!(!r.raw.contains(foreign), "the export contains {foreign}");
    }
}

#[tokio::test]
async fn export_of_a_user_without_data_is_an_empty_document() {
    let app = spawn_app().await;
    let r = app.get("/me/data", A_BOB).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["accountId"], BOB);
    assert!(r.body["firstStoredAt"].is_null());
    assert_eq!(r.body["layouts"].as_array().unwrap().len(), 0);
    assert!(r.body["settings"].is_null());
    // Reading stored nothing about Bob.
    let n: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM accounts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn erase_deletes_only_the_callers_data_answers_counts_and_a_repeat_answers_zeros() {
    let app = spawn_app().await;
    app.populate(A_ALICE, "ALICE").await;
    app.populate(A_BOB, "BOB").await;
    app.populate(B_ALICE, "BALICE").await;
    let others_before = (
        app.rows_mentioning(BOB).await,
        app.rows_mentioning(INSTALLATION_B).await,
    );

    let r = app.delete("/me/data", A_ALICE).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let d = &r.body["deleted"];
    assert_eq!(
        (
            d["accounts"].as_u64(),
            d["layouts"].as_u64(),
            d["queries"].as_u64(),
            d["settings"].as_u64()
        ),
        (Some(1), Some(2), Some(1), Some(1))
    );
    // Alice's data in A is gone from every table ...
    let db = app.db().await;
    let left: i64 = db
        .query_one(
            "SELECT (SELECT count(*) FROM accounts WHERE installation_id = $1 AND account_id = $2) \
             + (SELECT count(*) FROM layouts WHERE installation_id = $1 AND account_id = $2) \
             + (SELECT count(*) FROM saved_queries WHERE installation_id = $1 AND account_id = $2) \
             + (SELECT count(*) FROM display_settings WHERE installation_id = $1 AND account_id = $2)",
            &[&INSTALLATION_A, &ALICE],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    // ... and nobody else's changed.
    assert_eq!(
        (
            app.rows_mentioning(BOB).await,
            app.rows_mentioning(INSTALLATION_B).await
        ),
        others_before
    );
    assert_eq!(
        app.get("/layouts", A_ALICE).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let again = app.delete("/me/data", A_ALICE).await;
    assert_eq!(again.status, 200, "{}", again.raw);
    for k in [
        "installations",
        "accounts",
        "layouts",
        "queries",
        "settings",
    ] {
        assert_eq!(again.body["deleted"][k], 0, "{k}");
    }
}

#[tokio::test]
async fn me_data_needs_a_user() {
    let app = spawn_app().await;
    let fit = app_token(INSTALLATION_A);
    assert_problem(&app.call("GET", "/me/data", Some(&fit), None).await, 403);
    assert_problem(&app.call("DELETE", "/me/data", Some(&fit), None).await, 403);
    assert_eq!(app.call("GET", "/me/data", None, None).await.status, 401);
}

/// Gives `user` (who must already have a layout, for the account row and a template) `count` more layouts of
/// `nodes` nodes each, straight in SQL (the API would only slow the suite), ordered after their oldest one.
async fn add_big_layouts(app: &TestApp, user: User, count: u32, nodes: u32) {
    app.db()
        .await
        .execute(
            &format!(
                "INSERT INTO layouts (id, installation_id, account_id, name, source, body, node_count, version, \
                 created_at, updated_at) \
                 SELECT gen_random_uuid(), l.installation_id, l.account_id, 'big ' || g, l.source, \
                 jsonb_build_object('nodes', (SELECT jsonb_agg(jsonb_build_object('issueId', (10000 + n)::text, \
                 'x', n * 1.5, 'y', -n, 'pinned', n % 2 = 0) ORDER BY n) FROM generate_series(1, {nodes}) n), \
                 'viewport', l.body->'viewport'), {nodes}, 1, \
                 l.created_at + g * interval '1 second', l.created_at + g * interval '1 second' \
                 FROM (SELECT * FROM layouts WHERE installation_id = $1 AND account_id = $2 \
                       ORDER BY created_at LIMIT 1) l, generate_series(1, {count}) g"
            ),
            &[&user.installation, &user.account],
        )
        .await
        .unwrap();
}

/// `GET /me/data` on a fresh connection: after a slow bulk insert, a pooled keep-alive connection may be closed by
/// the server just as it is reused (hyper's `IncompleteMessage`), which has nothing to do with the export.
fn get_export(app: &TestApp, user: User) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .get(format!("{}/me/data", app.address))
        .header("Authorization", format!("Bearer {}", token(user)))
}

#[tokio::test]
async fn the_streamed_export_is_the_in_memory_document_compact() {
    let app = spawn_app().await;
    let (mut layouts, _) = app.populate(A_ALICE, "ALICE").await;
    for i in 0..4 {
        let mut body = layout_body(&format!("extra {i}"));
        body["display"] = serde_json::json!({"theme": "light"});
        let r = app.post("/layouts", A_ALICE, &body).await;
        assert_eq!(r.status, 201, "{}", r.raw);
        layouts.push(r.body["id"].as_str().unwrap().to_owned());
    }
    app.post("/queries", A_ALICE, &query_body("second query"))
        .await;
    app.populate(A_BOB, "BOB").await;

    let r = app.get("/me/data", A_ALICE).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.headers["content-type"].to_str().unwrap(),
        "application/json"
    );
    assert_eq!(r.headers["cache-control"].to_str().unwrap(), "no-store");

    // What the in-memory export (the operator CLI's, and formerly this route's) builds from the same rows.
    let pool = linkmap_server::db::build_pool(&app.database_url, 1).unwrap();
    let store = linkmap_server::db::privacy_store::PgPrivacyStore::new(pool.clone());
    let owner = linkmap_core::Owner::new(
        linkmap_core::InstallationId::parse(INSTALLATION_A).unwrap(),
        linkmap_core::AccountId::parse(ALICE).unwrap(),
    );
    let now = linkmap_core::to_storage_precision(std::time::SystemTime::now().into());
    let doc = linkmap_core::PrivacyStore::export(&store, &owner, now)
        .await
        .unwrap();
    pool.close();
    assert_eq!(doc.layouts.len(), 6);
    assert_eq!(doc.queries.len(), 2);

    // Same content, field by field (only the export time differs).
    let mut want = serde_json::to_value(&doc).unwrap();
    for key in [
        "accountId",
        "installationId",
        "firstStoredAt",
        "layouts",
        "queries",
        "settings",
    ] {
        assert_eq!(r.body[key], want[key], "{key}");
    }
    assert_eq!(r.body.as_object().unwrap().len(), 7);
    // Same bytes as the document serialized compactly, field order included.
    let exported_at = r.body["exportedAt"].as_str().unwrap();
    let want_raw = serde_json::to_string(&doc).unwrap().replacen(
        &format!("\"exportedAt\":{}", want["exportedAt"]),
        &format!("\"exportedAt\":\"{exported_at}\""),
        1,
    );
    assert_eq!(r.raw, want_raw);
    assert!(r.raw.starts_with("{\"accountId\":") && !r.raw.contains('\n'));
    want["exportedAt"] = r.body["exportedAt"].clone();
    assert_eq!(r.body, want);
}

#[tokio::test]
async fn a_large_export_is_complete_and_valid_json() {
    let app = spawn_app().await;
    let (first, _) = app.populate(A_ALICE, "ALICE").await;
    add_big_layouts(&app, A_ALICE, 50, 2_000).await;

    let resp = get_export(&app, A_ALICE).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-length").is_none(), "streamed");
    let raw = resp.bytes().await.expect("a complete transfer");
    assert!(raw.len() > 4_000_000, "{} bytes", raw.len());
    let doc: serde_json::Value = serde_json::from_slice(&raw).expect("valid JSON");
    let layouts = doc["layouts"].as_array().unwrap();
    assert_eq!(layouts.len(), 52);
    // Oldest first: the two small ones, then the big ones.
    assert_eq!(layouts[0]["id"], first[0].as_str());
    assert_eq!(layouts[1]["id"], first[1].as_str());
    for (i, l) in layouts[2..].iter().enumerate() {
        assert_eq!(l["name"], format!("big {}", i + 1));
        let nodes = l["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 2_000);
        assert_eq!(nodes[1999]["issueId"], "12000");
    }
    assert_eq!(doc["queries"].as_array().unwrap().len(), 1);
    assert_eq!(doc["settings"]["settings"]["theme"], "dark");
}

/// Opens `GET /me/data` on a socket with a tiny receive buffer, reads the response head and then nothing more: the
/// export stays in progress (its body is far larger than every buffer on the way) until the socket is dropped.
async fn held_export(app: &TestApp, user: User) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr: std::net::SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    let request = format!(
        "GET /me/data HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\r\n",
        token(user)
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before the response head");
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    stream
}

#[tokio::test]
async fn a_third_concurrent_export_is_refused_with_503_until_one_ends() {
    let app = spawn_app().await;
    app.populate(A_ALICE, "ALICE").await;
    // ~16 MB of layouts: far more than the socket buffers (4 MB send side here, 4 KiB receive side) and the
    // export's own few chunks, so an export whose client does not read cannot finish.
    add_big_layouts(&app, A_ALICE, 60, 5_000).await;

    let first = held_export(&app, A_ALICE).await;
    let second = held_export(&app, A_ALICE).await;
    // Any user: the bound is per process.
    let resp = get_export(&app, A_BOB).send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let raw = resp.text().await.unwrap();
    let third = Reply {
        status,
        headers,
        body: serde_json::from_str(&raw).unwrap_or_default(),
        raw,
    };
    assert_problem(&third, 503);
    assert_eq!(third.headers["retry-after"].to_str().unwrap(), "5");
    assert_eq!(
        third.body["type"],
        "https://linkmap.example/problems/unavailable"
    );
    // Other routes are unaffected.
    let layouts = reqwest::Client::new()
        .get(format!("{}/layouts", app.address))
        .header("Authorization", format!("Bearer {}", token(A_BOB)))
        .send()
        .await
        .unwrap();
    assert_eq!(layouts.status(), 200);

    // A client going away ends its export and frees its permit.
    drop(first);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let doc = loop {
        let resp = get_export(&app, A_ALICE).send().await.unwrap();
        if resp.status() == 200 {
            break serde_json::from_slice::<serde_json::Value>(&resp.bytes().await.unwrap())
                .unwrap();
        }
        assert_eq!(resp.status(), 503);
        assert!(
            std::time::Instant::now() < deadline,
            "the permit was never released"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(doc["layouts"].as_array().unwrap().len(), 62);
    drop(second);
}

#[tokio::test]
async fn a_failure_before_the_first_byte_is_a_problem_and_after_it_a_broken_transfer() {
    let app = spawn_app().await;
    let (layouts, _) = app.populate(A_ALICE, "ALICE").await;
    let db = app.db().await;
    // A stored layout that no longer passes validation (the database only checks its keys).
    let corrupt =
        "UPDATE layouts SET body = jsonb_set(body, '{nodes,0,x}', '\"oops\"') WHERE id = $1";
    db.execute(corrupt, &[&layouts[0].parse::<uuid::Uuid>().unwrap()])
        .await
        .unwrap();
    // The first layout is read before anything was sent: a plain 500.
    assert_problem(&app.get("/me/data", A_ALICE).await, 500);

    // Now the corrupt layout comes after more than a chunk of good ones: the transfer breaks off.
    db.execute(
        "UPDATE layouts SET created_at = created_at + interval '1 day' WHERE id = $1",
        &[&layouts[0].parse::<uuid::Uuid>().unwrap()],
    )
    .await
    .unwrap();
    add_big_layouts(&app, A_ALICE, 5, 2_000).await;
    let resp = get_export(&app, A_ALICE).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.bytes().await.is_err(),
        "a truncated export must not end cleanly"
    );
    assert!(captured_logs().contains("data export failed mid-stream"));
    // The permit came back: exports still work once the data is fixed.
    db.execute(
        "DELETE FROM layouts WHERE id = $1",
        &[&layouts[0].parse::<uuid::Uuid>().unwrap()],
    )
    .await
    .unwrap();
    let r = app.get("/me/data", A_ALICE).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["layouts"].as_array().unwrap().len(), 6);
}
