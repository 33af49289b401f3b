//! `linkmap-server`: thin entry point. Parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use linkmap_server::configuration::{LogFormat, Settings};
use linkmap_server::{dev, startup::Application, telemetry};

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
