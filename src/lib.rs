//! dg-import: bulk import of data sources into DataGalaxy, and a local
//! DataGalaxy-compatible sandbox. The commands are functions here, so tests
//! call them in-process exactly as the binary does.
//!
//! A row's trip: `input` (read, map headers) → `directory` (validate and
//! resolve against cached lookups) → `import` (plan: duplicates, what exists,
//! what was done before) → `send` or `bulk` (through `pace` and `api`, with
//! `retry`) → `journal` and `report`. `run` is the command that joins them;
//! `sandbox` is the server; `exit` holds the one exit-code table.

pub mod api;
pub mod atomic;
pub mod batch;
pub mod breaker;
pub mod bulk;
pub mod cli;
pub mod compare;
pub mod config;
pub mod directory;
pub mod exit;
pub mod import;
pub mod input;
pub mod journal;
pub mod lock;
pub mod logs;
pub mod pace;
pub mod plan;
pub mod progress;
pub mod record;
pub mod report;
pub mod retry;
pub mod run;
pub mod sandbox;
pub mod send;
pub mod source;
pub mod suggest;
pub mod summary;

use cli::{Command, SandboxArgs};
use tokio_util::sync::CancellationToken;

/// Runs one command; `Ok` carries its exit code.
pub async fn execute(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Run(args) => {
            let config = config::ImportConfig::from_run(args, env)?;
            run::execute(config, interrupt_on_ctrl_c()).await
        }
        Command::Rerun(args) => {
            let config = config::ImportConfig::from_rerun(args, env)?;
            run::execute(config, interrupt_on_ctrl_c()).await
        }
        Command::Check(args) => {
            let config = config::ImportConfig::from_check(args, env)?;
            run::execute(config, interrupt_on_ctrl_c()).await
        }

        Command::Sandbox(args) => serve_sandbox(args).await,
    }
}

/// `dg-import sandbox`: serve until Ctrl-C.
async fn serve_sandbox(args: SandboxArgs) -> anyhow::Result<u8> {
    let sandbox = sandbox::Sandbox::start(args.into_config()?).await?;
    eprintln!("DataGalaxy sandbox listening");
    eprintln!("  DATAGALAXY_URL={}", sandbox.base_url());
    eprintln!("  DATAGALAXY_TOKEN={}", sandbox.token());
    eprintln!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await?;
    Ok(exit::SUCCESS)
}

/// Cancelled on the first Ctrl-C (the run drains and writes its report); a
/// second Ctrl-C quits at once (the journal already holds every finished row).
fn interrupt_on_ctrl_c() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted: finishing the rows in flight (Ctrl-C again to quit at once)");
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(exit::INTERRUPTED.into());
            }
        }
    });
    token
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
