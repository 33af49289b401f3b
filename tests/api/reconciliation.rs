//! The daily account-closure reconciliation (policy D2, R4) against the fake reporting API.

use std::sync::Arc;
use std::time::{Duration, Instant};

use forge_remote_auth::AppSystemToken;
use linkmap_core::InstallationId;
use linkmap_server::configuration::{ReportingSettings, Secret};
use linkmap_server::privacy::client::HttpReportingClient;
use linkmap_server::privacy::reconcile::{Reconciler, RunOutcome};

use crate::fake_reporting::{Answer, FakeReporting};
use crate::helpers::*;

const SYSTEM_TOKEN: &str = "fake-system-token-0123456789";

fn reporting(fake: &FakeReporting) -> ReportingSettings {
    ReportingSettings {
        url: fake.url.clone(),
        max_retry_after: Duration::from_secs(5),
        concurrency: 2,
    }
}

/// Stores `n` account ids (`acc-000`…) in the installation, each first stored a second after the previous.
async fn seed_accounts(app: &TestApp, installation: &str, n: i32) {
    let db = app.db().await;
    db.execute(
        "INSERT INTO installations (installation_id, api_base_url) VALUES ($1, 'https://api.atlassian.com/ex/jira/x') \
         ON CONFLICT DO NOTHING",
        &[&installation],
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO accounts (installation_id, account_id, first_stored_at) \
         SELECT $1, 'acc-' || lpad(i::text, 3, '0'), timestamptz '2026-01-01 00:00:00Z' + i * interval '1 second' \
         FROM generate_series(0, $2 - 1) AS i",
        &[&installation, &n],
    )
    .await
    .unwrap();
}

async fn trigger(app: &TestApp, installation: &'static str) -> Reply {
    app.call_with(
        "POST",
        "/forge/scheduled/daily",
        &app_token(installation),
        &[("x-forge-oauth-system", SYSTEM_TOKEN)],
        Some(&serde_json::json!({"context": {}})),
    )
    .await
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.db().await.query_one(sql, &[]).await.unwrap().get(0)
}

/// Waits until `finished` runs have ended.
async fn wait_for_runs(app: &TestApp, finished: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while scalar(
        app,
        "SELECT count(*) FROM reconciliation_runs WHERE state <> 'running'",
    )
    .await
        < finished
    {
        assert!(
            Instant::now() < deadline,
            "the reconciliation did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn two_hundred_stored_ids_are_reported_in_three_requests_of_90_90_20() {
    let fake = FakeReporting::start().await;
    fake.cycle_period("P14D");
    let app = spawn_app_with(reporting(&fake), None).await;
    seed_accounts(&app, INSTALLATION_A, 200).await;

    let started = Instant::now();
    let r = trigger(&app, INSTALLATION_A).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the trigger must answer within Forge's 5 s"
    );
    wait_for_runs(&app, 1).await;

    assert_eq!(fake.batch_sizes(), [90, 90, 20]);
    let mut ids = fake.reported_ids();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    let received = fake.received();
    assert!(received
        .iter()
        .all(|r| r.authorization == format!("Bearer {SYSTEM_TOKEN}")));
    // updatedAt = when the id was first stored, RFC 3339.
    let first = received[0]
        .accounts
        .iter()
        .find(|(id, _)| id == "acc-007")
        .unwrap();
    assert_eq!(first.1, "2026-01-01T00:00:07Z");
    // Progress and outcome: counts only.
    let row = app
        .db()
        .await
        .query_one(
            "SELECT state, requests, reported, closed FROM reconciliation_runs",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "completed");
    assert_eq!(
        (
            row.get::<_, i32>(1),
            row.get::<_, i32>(2),
            row.get::<_, i32>(3)
        ),
        (3, 200, 0)
    );
    // Cycle-Period honoured: due again in 14 days.
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM account_reporting WHERE next_due_at - last_reported_at = interval '14 days'"
        )
        .await,
        200
    );
    // Nothing is due, so the next day's trigger reports nothing.
    assert_eq!(trigger(&app, INSTALLATION_A).await.status, 202);
    wait_for_runs(&app, 2).await;
    assert_eq!(fake.received().len(), 3);
}

/// Rows per table that do not mention `needle`.
async fn rows_without(app: &TestApp, needle: &str) -> Vec<(String, i64)> {
    let all = app.row_counts().await;
    let with = app.rows_mentioning(needle).await;
    all.into_iter()
        .zip(with)
        .map(|((t, n), (_, m))| (t, n - m))
        .collect()
}

#[tokio::test]
async fn a_closed_account_is_erased_everywhere_and_nothing_else_changes() {
    let fake = FakeReporting::start().await;
    fake.close(ALICE);
    let app = spawn_app_with(reporting(&fake), None).await;
    app.populate(A_ALICE, "ALICEA").await;
    app.populate(B_ALICE, "ALICEB").await;
    app.populate(A_BOB, "BOBA").await;
    let others_before = rows_without(&app, ALICE).await;
    assert!(app.rows_mentioning(ALICE).await.iter().any(|(_, n)| *n > 0));

    assert_eq!(trigger(&app, INSTALLATION_A).await.status, 202);
    wait_for_runs(&app, 1).await;
    assert_eq!(fake.batch_sizes(), [2]);

    // Alice's rows are gone from every table, in both installations (the account is closed).
    for (table, n) in app.rows_mentioning(ALICE).await {
        assert_eq!(n, 0, "{table} still holds the closed account");
    }
    // Everything else is untouched, except the bookkeeping this run adds: Bob's reporting state, the run, the
    // tombstone (which holds no raw id).
    let others_after = rows_without(&app, ALICE).await;
    for ((table, before), (_, after)) in others_before.iter().zip(&others_after) {
        let expected = match table.as_str() {
            "account_reporting" | "reconciliation_runs" | "closed_accounts" => before + 1,
            _ => *before,
        };
        assert_eq!(after, &expected, "table {table}");
    }
    assert_eq!(
        scalar(&app, "SELECT closed::bigint FROM reconciliation_runs").await,
        1
    );

    // Never reported again: even if a request in flight stores the closed account again, the next run erases it
    // without reporting it.
    app.populate(A_ALICE, "ALICEAGAIN").await;
    app.db()
        .await
        .execute(
            "UPDATE account_reporting SET next_due_at = now() - interval '1 second'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(trigger(&app, INSTALLATION_A).await.status, 202);
    wait_for_runs(&app, 2).await;
    let second: Vec<String> = fake.received()[1]
        .accounts
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(second, [BOB]);
    for (table, n) in app.rows_mentioning(ALICE).await {
        assert_eq!(n, 0, "{table} holds the closed account again");
    }
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_the_same_batch_is_resent_then_erased_once() {
    let fake = FakeReporting::start().await;
    fake.script(&[
        Answer::Status(429, Some("1")),
        Answer::Status(503, Some("0")),
    ]);
    fake.close("acc-003");
    let app = spawn_app_with(reporting(&fake), None).await;
    seed_accounts(&app, INSTALLATION_A, 10).await;

    let started = Instant::now();
    assert_eq!(trigger(&app, INSTALLATION_A).await.status, 202);
    wait_for_runs(&app, 1).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );

    let received = fake.received();
    assert_eq!(received.len(), 3);
    assert_eq!(received[0].accounts, received[1].accounts);
    assert_eq!(received[1].accounts, received[2].accounts);
    assert_eq!(scalar(&app, "SELECT count(*) FROM accounts").await, 9);
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM closed_accounts").await,
        1
    );
    let row = app
        .db()
        .await
        .query_one(
            "SELECT state, requests, closed FROM reconciliation_runs",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "completed");
    assert_eq!((row.get::<_, i32>(1), row.get::<_, i32>(2)), (3, 1));
}

#[tokio::test]
async fn an_error_status_or_malformed_reply_stops_the_run_and_leaves_the_rest_due() {
    for (stop, code) in [
        (Answer::Status(400, None), "http-400"),
        (Answer::Status(401, None), "http-401"),
        (Answer::Status(403, None), "http-403"),
        (Answer::Status(500, None), "http-500"),
        (Answer::Raw("{\"accounts\": \"nope\"}"), "malformed-body"),
    ] {
        let fake = FakeReporting::start().await;
        fake.script(&[Answer::Auto, stop]);
        let app = spawn_app_with(reporting(&fake), None).await;
        seed_accounts(&app, INSTALLATION_A, 200).await;
        assert_eq!(trigger(&app, INSTALLATION_A).await.status, 202);
        wait_for_runs(&app, 1).await;
        assert_eq!(fake.batch_sizes(), [90, 90], "{code}");
        let row = app
            .db()
            .await
            .query_one(
                "SELECT state, stop_reason, reported FROM reconciliation_runs",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "stopped");
        assert_eq!(row.get::<_, String>(1), code);
        assert_eq!(row.get::<_, i32>(2), 90);
        assert_eq!(
            scalar(&app, "SELECT count(*) FROM account_reporting").await,
            90
        );
        // The next run picks up exactly the rest.
        assert_eq!(trigger(&app, INSTALLATION_A).await.status, 202);
        wait_for_runs(&app, 2).await;
        assert_eq!(fake.batch_sizes(), [90, 90, 90, 20], "{code}");
        assert_eq!(
            scalar(&app, "SELECT count(*) FROM account_reporting").await,
            200
        );
    }
}

#[tokio::test]
async fn a_trigger_without_system_token_is_acknowledged_and_reports_nothing() {
    let fake = FakeReporting::start().await;
    let app = spawn_app_with(reporting(&fake), None).await;
    seed_accounts(&app, INSTALLATION_A, 5).await;
    let r = app
        .call(
            "POST",
            "/forge/scheduled/daily",
            Some(&app_token(INSTALLATION_A)),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("skipped"))
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(fake.received().is_empty());
}

#[tokio::test]
async fn a_crash_mid_run_then_a_rerun_finishes_without_repeating_work() {
    let fake = FakeReporting::start().await;
    // Batch 1 is answered (acc-005 closed, erased); the job is killed while waiting for batch 2's answer.
    fake.script(&[Answer::Auto, Answer::Hang]);
    fake.close("acc-005");
    let app = spawn_app_with(reporting(&fake), None).await;
    seed_accounts(&app, INSTALLATION_A, 200).await;
    let pool = linkmap_server::db::build_pool(&app.database_url, 2).unwrap();
    let reconciler = Arc::new(Reconciler::new(
        pool,
        Secret::new(app.database_url.clone()),
        Arc::new(HttpReportingClient::new(&fake.url).unwrap()),
        Duration::from_secs(5),
    ));
    let installation = InstallationId::parse(INSTALLATION_A).unwrap();
    let token = AppSystemToken::from_header_value(SYSTEM_TOKEN).unwrap();

    let job = {
        let (r, i, t) = (Arc::clone(&reconciler), installation.clone(), token.clone());
        tokio::spawn(async move { r.run(&i, &t).await })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.received().len() < 2 {
        assert!(Instant::now() < deadline, "the job never sent batch 2");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    job.abort(); // the crash
    assert!(job.await.unwrap_err().is_cancelled());
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM closed_accounts").await,
        1
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM account_reporting").await,
        89
    );
    let first_batch: Vec<String> = fake.received()[0]
        .accounts
        .iter()
        .map(|(id, _)| id.clone())
        .collect();

    // Rerun (once the killed run's lock connection has closed).
    let deadline = Instant::now() + Duration::from_secs(10);
    let summary = loop {
        let s = reconciler.run(&installation, &token).await.unwrap();
        if s.outcome != RunOutcome::Busy {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the killed run's lock was never released"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(summary.outcome, RunOutcome::Completed);
    assert_eq!(
        (summary.requests, summary.reported, summary.closed),
        (2, 110, 0)
    );
    let rerun = &fake.received()[2..];
    assert_eq!(
        rerun.iter().map(|r| r.accounts.len()).collect::<Vec<_>>(),
        [90, 20]
    );
    for r in rerun {
        for (id, _) in &r.accounts {
            assert!(!first_batch.contains(id), "{id} was reported again");
        }
    }
    // No erasure repeated; every stored id reported exactly once in committed work; the dead run is marked.
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM closed_accounts").await,
        1
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM account_reporting").await,
        199
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM reconciliation_runs WHERE state = 'abandoned'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn two_server_instances_on_one_database_report_each_id_once() {
    let fake = FakeReporting::start().await;
    fake.delay(Duration::from_millis(150));
    let first = spawn_app_with(reporting(&fake), None).await;
    let second = spawn_app_with(reporting(&fake), Some(first.database_url.clone())).await;
    seed_accounts(&first, INSTALLATION_A, 200).await;

    let (a, b) = tokio::join!(
        trigger(&first, INSTALLATION_A),
        trigger(&second, INSTALLATION_A)
    );
    assert_eq!((a.status, b.status), (202, 202));
    let deadline = Instant::now() + Duration::from_secs(30);
    while scalar(&first, "SELECT count(*) FROM account_reporting").await < 200
        || scalar(
            &first,
            "SELECT count(*) FROM reconciliation_runs WHERE state = 'running'",
        )
        .await
            > 0
    {
        assert!(
            Instant::now() < deadline,
            "the reconciliation did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut ids = fake.reported_ids();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((total, ids.len()), (200, 200), "an id was reported twice");
    assert_eq!(fake.batch_sizes().len(), 3);
}
