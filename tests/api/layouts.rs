use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_layout_can_be_created_read_listed_updated_and_deleted() {
    let app = spawn_app().await;
    let created = app
        .post("/layouts", A_ALICE, &layout_body("Sprint 12"))
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["name"], "Sprint 12");
    assert_eq!(created.body["nodes"].as_array().unwrap().len(), 2);
    assert!(created
        .headers
        .get("location")
        .is_some_and(|l| l.to_str().unwrap().ends_with(&id)));

    let got = app.get(&format!("/layouts/{id}"), A_ALICE).await;
    assert_eq!(got.status, 200, "{}", got.raw);
    assert_eq!(got.body, created.body);

    let list = app.get("/layouts", A_ALICE).await;
    assert_eq!(list.status, 200, "{}", list.raw);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["nodeCount"], 2);
    assert!(
        items[0].get("nodes").is_none(),
        "lists carry summaries, not node bodies"
    );

    let mut changed = layout_body("Sprint 12 (final)");
    changed["version"] = json!(1);
    changed["viewport"] = json!({"x": 5.0, "y": 6.0, "zoom": 2.5});
    let updated = app.put(&format!("/layouts/{id}"), A_ALICE, &changed).await;
    assert_eq!(updated.status, 200, "{}", updated.raw);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["name"], "Sprint 12 (final)");
    assert_eq!(updated.body["viewport"]["zoom"], 2.5);
    assert_eq!(updated.body["createdAt"], created.body["createdAt"]);

    let deleted = app.delete(&format!("/layouts/{id}"), A_ALICE).await;
    assert_eq!(deleted.status, 204, "{}", deleted.raw);
    assert_problem(&app.get(&format!("/layouts/{id}"), A_ALICE).await, 404);
    assert_problem(&app.delete(&format!("/layouts/{id}"), A_ALICE).await, 404);
}

#[tokio::test]
async fn every_source_kind_round_trips() {
    let app = spawn_app().await;
    for source in [
        json!({"type": "jql", "jql": "project = PRJ"}),
        json!({"type": "sprint", "sprintId": 37}),
        json!({"type": "issue", "issueKey": "PRJ-42"}),
    ] {
        let mut body = layout_body("s");
        body["source"] = source.clone();
        let r = app.post("/layouts", A_ALICE, &body).await;
        assert_eq!(r.status, 201, "{}", r.raw);
        assert_eq!(r.body["source"], source);
    }
}

#[tokio::test]
async fn a_stale_version_gets_409_and_changes_nothing() {
    let app = spawn_app().await;
    let created = app.post("/layouts", A_ALICE, &layout_body("v1")).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/layouts/{id}");

    // Two writers read version 1; the first wins, the second gets 409.
    let mut first = layout_body("first writer");
    first["version"] = json!(1);
    let mut second = layout_body("second writer");
    second["version"] = json!(1);
    let (a, b) = tokio::join!(
        app.put(&path, A_ALICE, &first),
        app.put(&path, A_ALICE, &second)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.raw, b.raw);
    let winner = if a.status == 200 { &a } else { &b };
    let loser = if a.status == 409 { &a } else { &b };
    assert_problem(loser, 409);
    let now = app.get(&path, A_ALICE).await;
    assert_eq!(now.body["name"], winner.body["name"]);
    assert_eq!(now.body["version"], 2);

    // A version from the future is stale too.
    let before = app.snapshot().await;
    let mut future = layout_body("future");
    future["version"] = json!(99);
    assert_problem(&app.put(&path, A_ALICE, &future).await, 409);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn put_without_version_is_422_and_post_with_version_is_422() {
    let app = spawn_app().await;
    let created = app.post("/layouts", A_ALICE, &layout_body("v1")).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let before = app.snapshot().await;
    let r = app
        .put(
            &format!("/layouts/{id}"),
            A_ALICE,
            &layout_body("no version"),
        )
        .await;
    assert_field_error(&r, "version");
    let mut with_version = layout_body("x");
    with_version["version"] = json!(3);
    assert_field_error(
        &app.post("/layouts", A_ALICE, &with_version).await,
        "version",
    );
    assert_eq!(app.snapshot().await, before);
}

#[track_caller]
pub fn assert_field_error(r: &Reply, field: &str) {
    let body = assert_problem(r, 422);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&field),
        "expected an error on `{field}`, got {fields:?}"
    );
    assert!(
        body["detail"].as_str().unwrap().contains('`'),
        "detail should name a field: {body}"
    );
}

/// Each case breaks exactly one rule; (mutation, field the error must name).
fn invalid_layouts() -> Vec<(Value, &'static str)> {
    let base = layout_body("ok");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = base.clone();
        f(&mut b);
        b
    };
    let many_nodes: Vec<Value> = (0..5001)
        .map(|i| json!({"issueId": (10000 + i).to_string(), "x": 0.0, "y": 0.0, "pinned": false}))
        .collect();
    vec![
        (with(&|b| b["name"] = json!("")), "name"),
        (with(&|b| b["name"] = json!("   ")), "name"),
        (with(&|b| b["name"] = json!("x".repeat(101))), "name"),
        (with(&|b| b["name"] = json!("bell\u{7}")), "name"),
        (with(&|b| b["name"] = json!(42)), "name"),
        (
            with(&|b| {
                b.as_object_mut()
                    .unwrap()
                    .remove("name")
                    .map(drop)
                    .unwrap_or(())
            }),
            "name",
        ),
        (
            with(&|b| b["source"] = json!({"type": "jql", "jql": ""})),
            "source.jql",
        ),
        (
            with(&|b| b["source"] = json!({"type": "jql", "jql": "x".repeat(4097)})),
            "source.jql",
        ),
        (
            with(&|b| b["source"] = json!({"type": "sprint", "sprintId": -1})),
            "source.sprintId",
        ),
        (
            with(&|b| b["source"] = json!({"type": "sprint", "sprintId": 0})),
            "source.sprintId",
        ),
        (
            with(&|b| b["source"] = json!({"type": "issue", "issueKey": "prj-42"})),
            "source.issueKey",
        ),
        (
            with(&|b| b["source"] = json!({"type": "issue", "issueKey": "PRJ-0"})),
            "source.issueKey",
        ),
        (
            with(&|b| b["source"] = json!({"type": "issue", "issueKey": "PRJ42"})),
            "source.issueKey",
        ),
        (
            with(&|b| b["source"] = json!({"type": "board", "jql": "x"})),
            "source.type",
        ),
        (
            with(&|b| b["nodes"][0]["issueId"] = json!("abc")),
            "nodes[0].issueId",
        ),
        (
            with(&|b| b["nodes"][0]["issueId"] = json!("")),
            "nodes[0].issueId",
        ),
        (
            with(&|b| b["nodes"][1]["issueId"] = json!("10042")),
            "nodes[1].issueId",
        ),
        (with(&|b| b["nodes"][0]["x"] = json!(1.0e7)), "nodes[0].x"),
        (
            with(&|b| b["nodes"][1]["y"] = json!(-1000001.0)),
            "nodes[1].y",
        ),
        (with(&|b| b["nodes"][0]["x"] = json!("1")), "nodes[0].x"),
        (
            with(&|b| b["nodes"][0]["pinned"] = json!("yes")),
            "nodes[0].pinned",
        ),
        (with(&|b| b["nodes"] = json!(many_nodes.clone())), "nodes"),
        (
            with(&|b| b["viewport"]["zoom"] = json!(0.04)),
            "viewport.zoom",
        ),
        (
            with(&|b| b["viewport"]["zoom"] = json!(20.5)),
            "viewport.zoom",
        ),
        (with(&|b| b["viewport"]["x"] = json!(2.0e6)), "viewport.x"),
        (
            with(&|b| {
                b.as_object_mut()
                    .unwrap()
                    .remove("viewport")
                    .map(drop)
                    .unwrap_or(())
            }),
            "viewport",
        ),
    ]
}

#[tokio::test]
async fn every_layout_rule_refuses_a_breaking_input_and_stores_nothing() {
    let app = spawn_app().await;
    let created = app.post("/layouts", A_ALICE, &layout_body("keep me")).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let before = app.snapshot().await;
    for (body, field) in invalid_layouts() {
        let r = app.post("/layouts", A_ALICE, &body).await;
        assert_field_error(&r, field);
        let mut update = body.clone();
        update["version"] = json!(1);
        let r = app.put(&format!("/layouts/{id}"), A_ALICE, &update).await;
        assert_field_error(&r, field);
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused request changed stored data"
    );
}

#[tokio::test]
async fn issue_content_is_refused_at_every_level_and_nothing_is_stored() {
    let app = spawn_app().await;
    for smuggled in ["summary", "description", "comment", "attachment", "title"] {
        let cases: Vec<(Value, String)> = vec![
            (
                {
                    let mut b = layout_body("x");
                    b[smuggled] = json!("secret issue text");
                    b
                },
                smuggled.to_string(),
            ),
            (
                {
                    let mut b = layout_body("x");
                    b["nodes"][0][smuggled] = json!("secret");
                    b
                },
                format!("nodes[0].{smuggled}"),
            ),
            (
                {
                    let mut b = layout_body("x");
                    b["viewport"][smuggled] = json!("secret");
                    b
                },
                format!("viewport.{smuggled}"),
            ),
            (
                {
                    let mut b = layout_body("x");
                    b["source"][smuggled] = json!("secret");
                    b
                },
                format!("source.{smuggled}"),
            ),
        ];
        for (body, field) in cases {
            let r = app.post("/layouts", A_ALICE, &body).await;
            assert_field_error(&r, &field);
            assert!(
                !r.raw.contains("secret"),
                "the refused value was echoed: {}",
                r.raw
            );
        }
    }
    let db = app.db().await;
    let n: i64 = db
        .query_one("SELECT count(*) FROM layouts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn malformed_json_is_400_wrong_type_415_oversize_413() {
    let app = spawn_app().await;
    let t = token(A_ALICE);
    assert_problem(
        &app.call_raw(
            "POST",
            "/layouts",
            Some(&t),
            Some("application/json"),
            b"{\"name\":".to_vec(),
        )
        .await,
        400,
    );
    assert_problem(
        &app.call_raw(
            "POST",
            "/layouts",
            Some(&t),
            Some("application/json"),
            b"".to_vec(),
        )
        .await,
        400,
    );
    assert_problem(
        &app.call_raw(
            "POST",
            "/layouts",
            Some(&t),
            Some("text/plain"),
            b"{}".to_vec(),
        )
        .await,
        415,
    );
    assert_problem(
        &app.call_raw(
            "POST",
            "/layouts",
            Some(&t),
            Some("application/x-www-form-urlencoded"),
            b"a=b".to_vec(),
        )
        .await,
        415,
    );
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(300 * 1024));
    assert_problem(
        &app.call_raw(
            "POST",
            "/layouts",
            Some(&t),
            Some("application/json"),
            big.into_bytes(),
        )
        .await,
        413,
    );
    // The error bodies never contain parser internals.
    let r = app
        .call_raw(
            "POST",
            "/layouts",
            Some(&t),
            Some("application/json"),
            b"[1,2".to_vec(),
        )
        .await;
    assert!(
        !r.raw.contains("EOF") && !r.raw.contains("line "),
        "{}",
        r.raw
    );
    assert_eq!(
        app.row_counts()
            .await
            .iter()
            .find(|(t, _)| t == "layouts")
            .unwrap()
            .1,
        0
    );
}

#[tokio::test]
async fn a_layout_with_5000_nodes_is_accepted() {
    let app = spawn_app().await;
    let mut body = layout_body("big");
    // `pinned` defaults to false, so a map with few pinned nodes stays well inside the 256 KiB body cap.
    body["nodes"] = json!((0..5000)
        .map(|i| {
            let mut n = json!({"issueId": (10000 + i).to_string(), "x": f64::from(i) * 1.5, "y": -f64::from(i)});
            if i % 50 == 0 {
                n["pinned"] = json!(true);
            }
            n
        })
        .collect::<Vec<_>>());
    let r = app.post("/layouts", A_ALICE, &body).await;
    assert_eq!(r.status, 201, "{}", &r.raw[..r.raw.len().min(500)]);
    let id = r.body["id"].as_str().unwrap();
    let got = app.get(&format!("/layouts/{id}"), A_ALICE).await;
    assert_eq!(got.body["nodes"].as_array().unwrap().len(), 5000);
}

#[tokio::test]
async fn malformed_ids_and_paging_parameters_are_refused_clearly() {
    let app = spawn_app().await;
    assert_problem(&app.get("/layouts/not-a-uuid", A_ALICE).await, 404);
    assert_field_error(&app.get("/layouts?limit=0", A_ALICE).await, "limit");
    assert_field_error(&app.get("/layouts?limit=101", A_ALICE).await, "limit");
    assert_field_error(&app.get("/layouts?limit=ten", A_ALICE).await, "limit");
    assert_field_error(
        &app.get("/layouts?cursor=%%%garbage", A_ALICE).await,
        "cursor",
    );
}

#[tokio::test]
async fn lists_are_newest_first_and_paginate_without_gaps_or_duplicates() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let r = app
            .post("/layouts", A_ALICE, &layout_body(&format!("layout {i}")))
            .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut path = "/layouts?limit=3".to_owned();
    loop {
        let page = app.get(&path, A_ALICE).await;
        assert_eq!(page.status, 200, "{}", page.raw);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match page.body["nextCursor"].as_str() {
            Some(c) => path = format!("/layouts?limit=3&cursor={c}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, every layout exactly once");
}

#[tokio::test]
async fn the_layout_quota_is_500_per_user() {
    let app = spawn_app().await;
    // Fill up to the quota directly (500 API calls would only slow the suite), then cross it through the API.
    let first = app.post("/layouts", A_ALICE, &layout_body("first")).await;
    assert_eq!(first.status, 201);
    let db = app.db().await;
    db.execute(
        "INSERT INTO layouts (id, installation_id, account_id, name, source, body, node_count, version, created_at, updated_at) \
         SELECT gen_random_uuid(), installation_id, account_id, name || g, source, body, node_count, 1, now(), now() \
         FROM layouts, generate_series(2, 500) g",
        &[],
    )
    .await
    .unwrap();
    let r = app.post("/layouts", A_ALICE, &layout_body("501st")).await;
    assert_problem(&r, 409);
    let n: i64 = db
        .query_one("SELECT count(*) FROM layouts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 500);
    // Another user is not affected by Alice's quota.
    assert_eq!(
        app.post("/layouts", A_BOB, &layout_body("bob's"))
            .await
            .status,
        201
    );
    // Deleting one makes room again.
    let id = first.body["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/layouts/{id}"), A_ALICE).await.status,
        204
    );
    assert_eq!(
        app.post("/layouts", A_ALICE, &layout_body("room again"))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn concurrent_creates_cannot_exceed_the_quota() {
    let app = spawn_app().await;
    let first = app.post("/layouts", A_ALICE, &layout_body("first")).await;
    assert_eq!(first.status, 201);
    let db = app.db().await;
    db.execute(
        "INSERT INTO layouts (id, installation_id, account_id, name, source, body, node_count, version, created_at, updated_at) \
         SELECT gen_random_uuid(), installation_id, account_id, name || g, source, body, node_count, 1, now(), now() \
         FROM layouts, generate_series(2, 498) g",
        &[],
    )
    .await
    .unwrap();
    let body = layout_body("racer");
    let calls = (0..8).map(|_| app.post("/layouts", A_ALICE, &body));
    let results = futures_util::future::join_all(calls).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 2, "exactly the two free slots are filled");
    let n: i64 = db
        .query_one("SELECT count(*) FROM layouts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 500);
}

#[tokio::test]
async fn bodies_in_another_encoding_or_charset_are_415() {
    let app = spawn_app().await;
    let t = token(A_ALICE);
    let body = serde_json::to_vec(&layout_body("x")).unwrap();
    for ct in [
        "application/json; charset=latin1",
        "application/json;charset=UTF-16",
    ] {
        assert_problem(
            &app.call_raw("POST", "/layouts", Some(&t), Some(ct), body.clone())
                .await,
            415,
        );
    }
    for encoding in ["gzip", "br", "x-bogus"] {
        let r = app
            .http
            .post(format!("{}/layouts", app.address))
            .bearer_auth(&t)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", encoding)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415, "{encoding}");
    }
    let ok = app
        .call_raw(
            "POST",
            "/layouts",
            Some(&t),
            Some("application/json; charset=utf-8"),
            body,
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.raw);
    assert_eq!(
        app.row_counts()
            .await
            .iter()
            .find(|(t, _)| t == "layouts")
            .unwrap()
            .1,
        1
    );
}

#[tokio::test]
async fn a_body_that_never_finishes_is_cut_off_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /layouts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{\"name\"",
        token(A_ALICE)
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut reply = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(40), s.read(&mut reply))
        .await
        .expect("the server held the connection open")
        .unwrap();
    let text = String::from_utf8_lossy(&reply[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}
