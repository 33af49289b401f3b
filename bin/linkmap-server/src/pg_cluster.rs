//! A private PostgreSQL cluster started from the installed binaries.
//!
//! Used by `linkmap-server dev` (a persistent cluster in `.dev/postgres`) and by the tests (a throwaway cluster in a
//! temporary folder). Nothing here depends on a server someone started by hand.
//!
//! # Implementation notes
//! - PostgreSQL refuses to run as root. When we are root (as CI is), the cluster folder is handed to the `postgres`
//!   system user and every Postgres binary runs through `runuser -u postgres --`.
//! - The server listens on 127.0.0.1 on a free port and on a Unix socket inside the cluster folder, so it never
//!   collides with a system-wide Postgres or its socket directory.
//! - A watchdog shell process stops the cluster when the process that started it disappears, even after `SIGKILL`,
//!   so a crashed test run leaves nothing running.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Why a private cluster could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No `initdb`/`pg_ctl` found in `PG_BIN`, `/usr/lib/postgresql/*/bin` or `PATH`.
    #[error("PostgreSQL binaries not found (set PG_BIN to the folder holding initdb and pg_ctl)")]
    BinariesNotFound,
    /// We run as root but the `postgres` system user does not exist.
    #[error("running as root needs the `postgres` system user to own the cluster, and it does not exist")]
    NoPostgresUser,
    /// A file-system step failed.
    #[error("cluster folder {path}: {source}")]
    Io {
        /// The folder or file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A Postgres tool exited with an error; its output is in the cluster log.
    #[error("`{tool}` failed ({status}); see {log}")]
    Tool {
        /// Which tool.
        tool: &'static str,
        /// Its exit status.
        status: String,
        /// Where its output went.
        log: PathBuf,
    },
}

/// A running private cluster. Stopped (and, if temporary, deleted) on drop.
#[derive(Debug)]
pub struct PrivateCluster {
    root: PathBuf,
    bin: PathBuf,
    port: u16,
    run_as_postgres: bool,
    temporary: bool,
    stopped: bool,
}

/// How a cluster should behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Keep data across restarts (the `dev` command).
    Persistent,
    /// Throwaway: `fsync=off`, deleted on drop (tests).
    Throwaway,
}

/// The role every private cluster is created with (trust auth on loopback only).
pub const SUPERUSER: &str = "linkmap";

impl PrivateCluster {
    /// Starts a throwaway cluster in a fresh temporary folder.
    pub fn start_temporary() -> Result<Self, ClusterError> {
        let root =
            std::env::temp_dir().join(format!("linkmap-pg-{}", uuid::Uuid::new_v4().simple()));
        Self::start(&root, Durability::Throwaway)
    }

    /// Starts (initialising if needed) a cluster whose files live in `root`.
    pub fn start(root: &Path, durability: Durability) -> Result<Self, ClusterError> {
        let bin = find_bin_dir().ok_or(ClusterError::BinariesNotFound)?;
        std::fs::create_dir_all(root).map_err(|source| io_err(root, source))?;
        let root = root.canonicalize().map_err(|source| io_err(root, source))?;
        let run_as_postgres = is_root(&root)?;
        if run_as_postgres {
            let (uid, gid) = postgres_user_ids().ok_or(ClusterError::NoPostgresUser)?;
            chown_recursive(&root, uid, gid)?;
            // The user must be able to reach the folder: make every ancestor traversable.
            let_ancestors_traverse(&root);
        }
        let mut cluster = Self {
            root,
            bin,
            port: 0,
            run_as_postgres,
            temporary: durability == Durability::Throwaway,
            stopped: true,
        };
        if !cluster.data_dir().join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        // A free port can be taken by someone else between our probe and Postgres' bind: retry a few times.
        let mut last = None;
        for _ in 0..5 {
            cluster.port = free_port().map_err(|source| io_err(&cluster.root, source))?;
            match cluster.pg_ctl_start(durability) {
                Ok(()) => {
                    cluster.stopped = false;
                    cluster.spawn_watchdog();
                    return Ok(cluster);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(ClusterError::BinariesNotFound))
    }

    /// The TCP port the cluster listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database` as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// The folder holding the cluster's data.
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Runs a Postgres client binary (`psql`, `createdb`, `pgbench`…) against this cluster and waits for it.
    pub fn run_tool(&self, tool: &'static str, args: &[&str]) -> Result<String, ClusterError> {
        let port = self.port.to_string();
        let mut full: Vec<&str> = vec!["-h", "127.0.0.1", "-p", &port, "-U", SUPERUSER];
        full.extend_from_slice(args);
        let out = self
            .command(tool, &full)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| io_err(&self.root, source))?;
        if !out.status.success() {
            let log = self.root.join(format!("{tool}.log"));
            // Best effort: the log only helps a human debug.
            let _ = std::fs::write(
                &log,
                [out.stdout.as_slice(), out.stderr.as_slice()].concat(),
            );
            return Err(ClusterError::Tool {
                tool,
                status: out.status.to_string(),
                log,
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Creates a database if it does not exist yet.
    pub fn ensure_database(&self, name: &str) -> Result<(), ClusterError> {
        let exists = self.run_tool(
            "psql",
            &[
                "-d",
                "postgres",
                "-tAc",
                &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
            ],
        )?;
        if exists.trim() != "1" {
            self.run_tool("createdb", &[name])?;
        }
        Ok(())
    }

    /// Stops the cluster now (fast shutdown). Idempotent.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        let data = self.data_dir();
        let mode = if self.temporary { "immediate" } else { "fast" };
        let _ = self
            .command(
                "pg_ctl",
                &["-D", &data.to_string_lossy(), "-m", mode, "-w", "stop"],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        self.stopped = true;
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn initdb(&self) -> Result<(), ClusterError> {
        let data = self.data_dir();
        let log = self.root.join("initdb.log");
        let out = self
            .command(
                "initdb",
                &[
                    "-D",
                    &data.to_string_lossy(),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
            )
            .stdin(Stdio::null())
            .output()
            .map_err(|source| io_err(&self.root, source))?;
        let _ = std::fs::write(
            &log,
            [out.stdout.as_slice(), out.stderr.as_slice()].concat(),
        );
        if !out.status.success() {
            return Err(ClusterError::Tool {
                tool: "initdb",
                status: out.status.to_string(),
                log,
            });
        }
        Ok(())
    }

    fn pg_ctl_start(&self, durability: Durability) -> Result<(), ClusterError> {
        let data = self.data_dir();
        let log = self.root.join("postgres.log");
        let mut opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections=200",
            self.port,
            self.root.display()
        );
        if durability == Durability::Throwaway {
            // Test data is worthless after the run: trade durability for speed.
            opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let status = self
            .command(
                "pg_ctl",
                &[
                    "-D",
                    &data.to_string_lossy(),
                    "-l",
                    &log.to_string_lossy(),
                    "-o",
                    &opts,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|source| io_err(&self.root, source))?;
        if status.success() {
            Ok(())
        } else {
            Err(ClusterError::Tool {
                tool: "pg_ctl start",
                status: status.to_string(),
                log,
            })
        }
    }

    /// Stops the cluster once our process is gone, however it ended.
    fn spawn_watchdog(&self) {
        let pid = std::process::id();
        let pg_ctl = self.bin.join("pg_ctl");
        let as_user = if self.run_as_postgres {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let cleanup = if self.temporary {
            format!("; rm -rf '{}'", self.root.display())
        } else {
            String::new()
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {as_user}'{}' -D '{}' -m fast stop >/dev/null 2>&1{cleanup}",
            pg_ctl.display(),
            self.data_dir().display()
        );
        // Detached: not waited for. If spawning fails, Drop still stops the cluster on a normal exit.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).current_dir(&self.root);
        cmd
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn io_err(path: &Path, source: std::io::Error) -> ClusterError {
    ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `PG_BIN`, then the newest `/usr/lib/postgresql/<v>/bin`, then whatever `initdb` is on `PATH`.
fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |p: &Path| p.join("initdb").is_file() && p.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from) {
        return has_tools(&dir).then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p)| has_tools(p))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|p| has_tools(p))
}

/// Whether we run as root, judged by who owns a folder we just created (no `unsafe` libc call needed).
fn is_root(created: &Path) -> Result<bool, ClusterError> {
    let probe = created.join(".owner-probe");
    std::fs::write(&probe, b"").map_err(|source| io_err(created, source))?;
    let uid = std::fs::metadata(&probe)
        .map_err(|source| io_err(&probe, source))?
        .uid();
    let _ = std::fs::remove_file(&probe);
    Ok(uid == 0)
}

fn postgres_user_ids() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        (f.next()? == "postgres").then_some(())?;
        let _ = f.next()?;
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
}

fn chown_recursive(path: &Path, uid: u32, gid: u32) -> Result<(), ClusterError> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|source| io_err(path, source))?;
    if path.is_dir() && !path.is_symlink() {
        for entry in std::fs::read_dir(path).map_err(|source| io_err(path, source))? {
            let entry = entry.map_err(|source| io_err(path, source))?;
            chown_recursive(&entry.path(), uid, gid)?;
        }
    }
    Ok(())
}

fn let_ancestors_traverse(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for dir in path.ancestors().skip(1) {
        if let Ok(meta) = std::fs::metadata(dir) {
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                let _ =
                    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o001));
            }
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `url` accepts connections or `timeout` passes (pg_ctl -w already waits; this guards the socket).
pub async fn wait_until_ready(url: &str, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .is_ok()
        {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
