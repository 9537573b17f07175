//! dg-import: bulk import of data sources into DataGalaxy, and a local
//! DataGalaxy-compatible sandbox. The commands are functions here, so tests
//! call them in-process exactly as the binary does.
//!
//! A row's trip: `input` (read, map headers) → `directory` (validate and
//! resolve against cached lookups) → `pace` → `api` (send, with `retry`) →
//! `report` (journal and report). `import` joins the stages.

pub mod api;
pub mod cli;
pub mod config;
pub mod exit;
pub mod logs;
pub mod pace;
pub mod retry;
pub mod sandbox;
pub mod source;

use cli::{Command, SandboxArgs};

/// Runs one command; `Ok` carries its exit code.
pub async fn execute(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Run(_args) => todo!(),
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
