//! The real binary's operator commands (policy D3, U4): each leaves exactly one audit record, holding a keyed hash
//! and never a raw account id; the audit table refuses UPDATE, DELETE and TRUNCATE.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use linkmap_server::pg_cluster::PrivateCluster;

const APP_ID: &str = "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107";
const A_UUID: &str = "0a3a7799-53ae-4a5b-9e7e-03338980abb5";
const B_UUID: &str = "11111111-2222-4333-8444-555555555555";
const ALICE: &str = "655362:312d3308-8954-42b0-aa38-771a10c88656";
const BOB: &str = "5be24ad8b1653240376955d2";
const KEY: &str = "0123456789abcdef0123456789abcdef-test-only";

fn binary(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_linkmap-server"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

struct Db {
    cluster: PrivateCluster,
}

impl Db {
    fn sql(&self, sql: &str) -> Result<String, String> {
        self.cluster
            .run_tool(
                "psql",
                &["-d", "linkmap", "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            )
            .map(|s| s.trim().to_owned())
            .map_err(|e| e.to_string())
    }
    fn audit_count(&self) -> i64 {
        self.sql("SELECT count(*) FROM audit_log")
            .unwrap()
            .parse()
            .unwrap()
    }
}

fn seed(db: &Db) {
    let a = format!("ari:cloud:ecosystem::installation/{A_UUID}");
    let b = format!("ari:cloud:ecosystem::installation/{B_UUID}");
    let layout = |inst: &str, acct: &str, name: &str| {
        format!(
            "INSERT INTO layouts (id, installation_id, account_id, name, source, body, node_count, version, created_at, \
             updated_at) VALUES (gen_random_uuid(), '{inst}', '{acct}', '{name}', '{{\"type\":\"jql\",\"jql\":\"project = X\"}}', \
             '{{\"nodes\":[{{\"issueId\":\"10042\",\"x\":1,\"y\":2,\"pinned\":true}}],\"viewport\":{{\"x\":0,\"y\":0,\"zoom\":1}}}}', \
             1, 1, now(), now());"
        )
    };
    let sql = format!(
        "INSERT INTO installations (installation_id, api_base_url) VALUES ('{a}', 'https://api.atlassian.com/ex/jira/x'), \
         ('{b}', 'https://api.atlassian.com/ex/jira/y'); \
         INSERT INTO accounts (installation_id, account_id) VALUES ('{a}', '{ALICE}'), ('{b}', '{ALICE}'), ('{a}', '{BOB}'); \
         {} {} {} \
         INSERT INTO saved_queries (id, installation_id, account_id, name, jql, version, created_at, updated_at) \
         VALUES (gen_random_uuid(), '{a}', '{ALICE}', 'mine', 'project = ALICEQUERY', 1, now(), now()); \
         INSERT INTO display_settings (installation_id, account_id, settings, updated_at) \
         VALUES ('{a}', '{ALICE}', '{{\"theme\":\"dark\"}}', now());",
        layout(&a, ALICE, "alice in a"),
        layout(&b, ALICE, "alice in b"),
        layout(&a, BOB, "bob in a"),
    );
    db.sql(&sql).unwrap();
}

#[test]
fn each_admin_command_leaves_exactly_one_audit_record_and_no_raw_account_id() {
    let cluster = PrivateCluster::start_temporary().unwrap();
    cluster.ensure_database("linkmap").unwrap();
    let url = cluster.url("linkmap");
    let db = Db { cluster };
    let migrate = binary(
        &[("DATABASE_URL", &url), ("FORGE_APP_ID", APP_ID)],
        &["migrate"],
    );
    assert!(migrate.status.success(), "{migrate:?}");
    seed(&db);
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("AUDIT_HASH_KEY", KEY),
        ("USER", "ops-tester"),
    ];

    // Without the key nothing runs and nothing is recorded.
    let out = binary(&[("DATABASE_URL", &url), ("USER", "x")], &["admin", "jobs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AUDIT_HASH_KEY"));
    // A malformed account id is a usage error that does not echo it.
    let out = binary(
        &env,
        &["admin", "erase", "--account", "not an id!", "--reason", "x"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not an id!"));
    assert_eq!(db.audit_count(), 0);

    let a_ari = format!("ari:cloud:ecosystem::installation/{A_UUID}");
    let commands: Vec<Vec<&str>> = vec![
        vec!["admin", "export", "--account", ALICE],
        vec![
            "admin",
            "export",
            "--account",
            ALICE,
            "--installation",
            &a_ari,
        ],
        vec![
            "admin",
            "erase",
            "--account",
            BOB,
            "--reason",
            "ticket 1 by email",
        ],
        vec![
            "admin",
            "purge-installation",
            "--installation",
            B_UUID,
            "--reason",
            "ticket 2",
        ],
        vec!["admin", "jobs"],
        vec![
            "admin",
            "--operator",
            "named-operator",
            "audit",
            "--since",
            "2000-01-01",
        ],
    ];
    let mut outputs = Vec::new();
    for (i, args) in commands.iter().enumerate() {
        let out = binary(&env, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            db.audit_count(),
            i as i64 + 1,
            "{args:?} left not exactly one record"
        );
        outputs.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }

    // Export: everything of Alice, in both installations, then in one.
    let all: serde_json::Value = serde_json::from_str(&outputs[0]).unwrap();
    assert_eq!(all["exports"].as_array().unwrap().len(), 2);
    assert!(outputs[0].contains("ALICEQUERY") && outputs[0].contains("alice in b"));
    assert!(!outputs[0].contains(BOB) && !outputs[0].contains("bob in a"));
    let one: serde_json::Value = serde_json::from_str(&outputs[1]).unwrap();
    assert_eq!(one["exports"].as_array().unwrap().len(), 1);
    assert_eq!(one["exports"][0]["layouts"].as_array().unwrap().len(), 1);
    // Erase removed Bob everywhere; purge removed installation B.
    assert_eq!(
        db.sql(&format!(
            "SELECT count(*) FROM accounts WHERE account_id = '{BOB}'"
        ))
        .unwrap(),
        "0"
    );
    assert_eq!(
        db.sql(&format!(
            "SELECT count(*) FROM layouts WHERE installation_id LIKE '%{B_UUID}'"
        ))
        .unwrap(),
        "0"
    );
    assert_eq!(db.sql("SELECT count(*) FROM installations").unwrap(), "1");
    let erase: serde_json::Value = serde_json::from_str(outputs[2].trim()).unwrap();
    assert_eq!(erase["deleted"]["accounts"], 1);
    assert_eq!(erase["deleted"]["layouts"], 1);

    // The records: who, what, counts, a keyed hash, and no raw id anywhere.
    let records = db
        .sql("SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY id), '[]')::text FROM audit_log a")
        .unwrap();
    for raw in [ALICE, BOB, A_UUID, B_UUID] {
        assert!(
            !records.contains(raw),
            "an audit record holds {raw}: {records}"
        );
    }
    let records: serde_json::Value = serde_json::from_str(&records).unwrap();
    let actions: Vec<&str> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "export",
            "export",
            "erase",
            "purge-installation",
            "jobs",
            "audit"
        ]
    );
    assert_eq!(records[0]["operator"], "ops-tester");
    assert_eq!(records[5]["operator"], "named-operator");
    assert_eq!(records[2]["reason"], "ticket 1 by email");
    assert_eq!(records[2]["counts"]["layouts"], 1);
    assert_eq!(records[0]["account_hash"].as_str().unwrap().len(), 64);
    assert_eq!(records[0]["account_hash"], records[1]["account_hash"]);
    assert_ne!(records[0]["account_hash"], records[2]["account_hash"]);
    assert!(records[3]["installation_hash"].is_string());
    // `admin audit` printed the records (its own included), without raw ids.
    assert_eq!(outputs[5].lines().count(), 6);
    assert!(!outputs[5].contains(ALICE) && !outputs[5].contains(BOB));

    // Append-only, enforced by the database itself.
    for statement in [
        "UPDATE audit_log SET operator = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        assert!(db.sql(statement).is_err(), "{statement} was allowed");
    }
    assert_eq!(db.audit_count(), 6);
}
