//! `linkmap-server`: thin entry point. Parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use linkmap_server::configuration::{AdminSettings, LogFormat, Settings};
use linkmap_server::{admin, dev, startup::Application, telemetry};

#[derive(Parser)]
#[command(
    name = "linkmap-server",
    version,
    about = "LinkMap's backend for Forge Remote"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, configured from the environment (DATABASE_URL, FORGE_APP_ID, PORT, …).
    Serve,
    /// Run everything locally: a private PostgreSQL, a local signing key and the server.
    Dev {
        /// API port.
        #[arg(long, env = "PORT", default_value_t = 8080)]
        port: u16,
        /// Where the private PostgreSQL keeps its files.
        #[arg(long, default_value = ".dev/postgres")]
        data_dir: std::path::PathBuf,
    },
    /// Apply database migrations and exit (DATABASE_URL).
    Migrate,
    /// Operator commands for emailed privacy requests; each leaves one audit record (DATABASE_URL, AUDIT_HASH_KEY).
    Admin {
        /// Who runs the command (default: the OS user from $USER or $LOGNAME).
        #[arg(long, global = true)]
        operator: Option<String>,
        #[command(subcommand)]
        command: AdminCmd,
    },
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Print everything held about an account as JSON.
    Export {
        /// The Atlassian account id.
        #[arg(long)]
        account: String,
        /// Only this installation (ARI or UUID); default: every installation.
        #[arg(long)]
        installation: Option<String>,
    },
    /// Erase an account's data in every installation.
    Erase {
        /// The Atlassian account id.
        #[arg(long)]
        account: String,
        /// Why (e.g. the request's ticket).
        #[arg(long)]
        reason: String,
    },
    /// Delete everything of an installation.
    PurgeInstallation {
        /// The installation (ARI or UUID).
        #[arg(long)]
        installation: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Print the audit records (JSON lines), optionally since a date (YYYY-MM-DD or RFC 3339).
    Audit {
        /// Only records at or after this time.
        #[arg(long)]
        since: Option<String>,
    },
    /// Print the latest account-closure reconciliation runs (counts only).
    Jobs,
}

fn admin_command(cmd: AdminCmd) -> Result<admin::AdminCommand, admin::AdminError> {
    Ok(match cmd {
        AdminCmd::Export {
            account,
            installation,
        } => admin::AdminCommand::Export {
            account: admin::parse_account(&account)?,
            installation: installation
                .as_deref()
                .map(admin::parse_installation)
                .transpose()?,
        },
        AdminCmd::Erase { account, reason } => admin::AdminCommand::Erase {
            account: admin::parse_account(&account)?,
            reason: admin::parse_reason(&reason)?,
        },
        AdminCmd::PurgeInstallation {
            installation,
            reason,
        } => admin::AdminCommand::PurgeInstallation {
            installation: admin::parse_installation(&installation)?,
            reason: admin::parse_reason(&reason)?,
        },
        AdminCmd::Audit { since } => admin::AdminCommand::Audit {
            since: since.as_deref().map(admin::parse_since).transpose()?,
        },
        AdminCmd::Jobs => admin::AdminCommand::Jobs,
    })
}

fn run_admin(
    runtime: &tokio::runtime::Runtime,
    operator: Option<String>,
    cmd: AdminCmd,
) -> ExitCode {
    let settings = match AdminSettings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("linkmap-server: {e}");
            return ExitCode::from(EXIT_BAD_SETTINGS);
        }
    };
    let parsed = admin_command(cmd).and_then(|c| {
        admin::resolve_operator(operator.as_deref(), |k| std::env::var(k).ok()).map(|o| (o, c))
    });
    let (operator, command) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("linkmap-server: {e}");
            return ExitCode::from(EXIT_BAD_SETTINGS);
        }
    };
    let result = runtime.block_on(async {
        let mut out = std::io::stdout();
        admin::run(&settings, &operator, command, &mut out).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linkmap-server: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// Exit code for unusable settings, so deploy tooling can tell configuration errors from crashes.
const EXIT_BAD_SETTINGS: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("linkmap-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Admin { operator, command } => return run_admin(&runtime, operator, command),
        Command::Serve | Command::Migrate => {
            let settings = match Settings::from_env() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("linkmap-server: {e}");
                    return ExitCode::from(EXIT_BAD_SETTINGS);
                }
            };
            telemetry::init(settings.log_format, std::io::stdout);
            let migrate_only = matches!(cli.command, Command::Migrate);
            runtime.block_on(async move {
                if migrate_only {
                    return linkmap_server::migrate_only(&settings)
                        .await
                        .map_err(|e| e.to_string());
                }
                let app = Application::build(settings)
                    .await
                    .map_err(|e| error_chain(&e))?;
                tracing::info!(port = app.port(), "listening");
                app.run_until_stopped().await.map_err(|e| e.to_string())
            })
        }
        Command::Dev { port, data_dir } => {
            telemetry::init(LogFormat::Pretty, std::io::stdout);
            runtime.block_on(async move {
                dev::run(dev::DevOptions { port, data_dir })
                    .await
                    .map_err(|e| error_chain(&e))
            })
        }
    }
    .map_or_else(
        |e| {
            eprintln!("linkmap-server: {e}");
            ExitCode::FAILURE
        },
        |()| ExitCode::SUCCESS,
    )
}

/// The error and its causes on one line (no secrets: our errors never carry values).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
