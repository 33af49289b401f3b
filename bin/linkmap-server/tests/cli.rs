//! The real `linkmap-server` binary: settings errors exit with code 2 and name the variable; `serve` serves.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use linkmap_server::pg_cluster::PrivateCluster;

const APP_ID: &str = "ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107";

fn server(env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_linkmap-server"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn serve_without_settings_exits_2_naming_the_first_missing_variable() {
    let out = server(&[], &["serve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(err.contains("DATABASE_URL"), "{err}");
}

#[test]
fn a_malformed_setting_exits_2_naming_it_without_its_value() {
    for (var, value) in [
        ("PORT", "eighty"),
        ("FORGE_APP_ID", "my-app"),
        ("DATABASE_POOL_SIZE", "-1"),
    ] {
        let mut env = vec![
            ("DATABASE_URL", "postgres://u:s3cret@127.0.0.1:1/db"),
            ("FORGE_APP_ID", APP_ID),
        ];
        env.retain(|(k, _)| *k != var);
        env.push((var, value));
        let out = server(&env, &["serve"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(var) && !err.contains(value) && !err.contains("s3cret"),
            "{err}"
        );
    }
}

#[test]
fn unknown_commands_are_refused() {
    let out = server(&[], &["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn serve_migrates_and_answers_health_checks_on_a_real_database() {
    let cluster = PrivateCluster::start_temporary().unwrap();
    cluster.ensure_database("linkmap").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let url = cluster.url("linkmap");
    let mut child = server(
        &[
            ("DATABASE_URL", &url),
            ("FORGE_APP_ID", APP_ID),
            ("PORT", &port),
            ("BIND_ADDRESS", "127.0.0.1"),
            ("HTTP_WORKERS", "1"),
        ],
        &["serve"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ready = None;
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(format!("127.0.0.1:{port}")) {
            use std::io::Write;
            s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).unwrap();
            ready = Some(reply);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let reply = ready.expect("the server never listened");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    // Production logs are JSON lines.
    let first = stdout.lines().next().expect("some log output");
    assert!(
        serde_json::from_str::<serde_json::Value>(first).is_ok(),
        "not JSON: {first}"
    );
    // Migrations ran.
    let tables = cluster
        .run_tool(
            "psql",
            &[
                "-d",
                "linkmap",
                "-tAc",
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'layouts'",
            ],
        )
        .unwrap();
    assert_eq!(tables.trim(), "1");
}
