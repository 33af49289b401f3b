//! Log output: JSON lines in production, compact text locally, filtered by `RUST_LOG` (default `info`).
//!
//! What may be logged is set in `docs/LOGGING.md`: never tokens, raw account ids, JQL text or Jira content.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry};

use crate::configuration::LogFormat;

/// Installs the global subscriber, writing to `sink`, filtered by `RUST_LOG` (default `info`).
/// A second call is a no-op.
pub fn init<W>(format: LogFormat, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::builder()
        .with_default_directive(tracing::level_filters::LevelFilter::INFO.into())
        .from_env_lossy();
    install(format, filter, sink);
}

/// Like [`init`] with explicit filter directives (tests capture debug output this way).
pub fn init_with_filter<W>(format: LogFormat, directives: &str, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    install(format, EnvFilter::new(directives), sink);
}

fn install<W>(format: LogFormat, filter: EnvFilter, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let result = match format {
        LogFormat::Json => {
            let layer = tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(sink);
            tracing::subscriber::set_global_default(Registry::default().with(filter).with(layer))
        }
        LogFormat::Pretty => {
            // Colours only on a terminal: escape codes in a redirected log file are noise.
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            let layer = tracing_subscriber::fmt::layer()
                .compact()
                .with_target(false)
                .with_ansi(ansi)
                .with_writer(sink);
            tracing::subscriber::set_global_default(Registry::default().with(filter).with(layer))
        }
    };
    // Already installed (a second test in the same process): keep the first.
    let _ = result;
}
