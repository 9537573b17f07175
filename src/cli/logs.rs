//! Log set-up: text or JSON lines on stderr, level from `-v` or RUST_LOG.
//! Nothing logged anywhere carries the token (see `api::Token`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

pub fn init(format: LogFormat, verbose: u8) {
    crate::voice::set_json(format == LogFormat::Json);
    let default = match verbose {
        0 => "dg_import=info",
        1 => "dg_import=debug",
        _ => "dg_import=trace,info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only for a person at a terminal, never in a file or a CI log.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none());
    let _ = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
