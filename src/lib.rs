//! dg-import: bulk import of data sources into DataGalaxy, and a local
//! DataGalaxy-compatible sandbox. The commands are functions here, so tests
//! call them in-process exactly as the binary does.
//!
//! A row's trip: `input` (read, map headers to fields and custom
//! attributes) → `directory` (validate and resolve against cached lookups,
//! type attribute cells with `attributes`) → `plan` (duplicates, what
//! exists, what was done before, what an update changes: `compare`) →
//! `batch` (units of work) → `send` or `bulk` (through `pace` and `api`,
//! with `retry`, counted by `breaker`) → `journal` and `report` (CSV, or a
//! `workbook`); `retire` after the rows. `import` joins them, `run` is the
//! command, `export` the way back (the catalog as a file `run` reads),
//! `session` opens the API or an in-process sandbox for either, `job` reads
//! job files, `signals` stops runs; `sandbox` is the server; `exit` holds the
//! one exit-code table; `contain` keeps a library's panic on damaged bytes
//! an error.

pub mod api;
pub mod atomic;
pub mod attributes;
pub mod batch;
pub mod breaker;
pub mod bulk;
pub mod cli;
pub mod compare;
pub mod config;
pub mod contain;
pub mod directory;
pub mod exit;
pub mod export;
pub mod import;
pub mod input;
pub mod job;
pub mod journal;
pub mod lock;
pub mod logs;
pub mod pace;
pub mod plan;
pub mod progress;
pub mod record;
pub mod report;
pub mod retire;
pub mod retry;
pub mod run;
pub mod sandbox;
pub mod send;
pub mod session;
pub mod signals;
pub mod source;
pub mod suggest;
pub mod summary;
pub mod workbook;

use cli::{Command, SandboxArgs};
use signals::Interrupt;

/// Runs one command; `Ok` carries its exit code.
pub async fn execute(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Run(args) => {
            let config = config::ImportConfig::from_run(args, env)?;
            run::execute(config, Interrupt::listen()).await
        }
        Command::Rerun(args) => {
            let config = config::ImportConfig::from_rerun(args, env)?;
            run::execute(config, Interrupt::listen()).await
        }
        Command::Check(args) => {
            let config = config::ImportConfig::from_check(args, env)?;
            run::execute(config, Interrupt::listen()).await
        }

        Command::Export(args) => {
            let config = config::ExportConfig::resolve(args, env)?;
            export::execute(config, Interrupt::listen()).await
        }
        Command::Sandbox(args) => serve_sandbox(args).await,
        Command::Completions { shell } => {
            print!("{}", shell.script());
            Ok(exit::SUCCESS)
        }
    }
}

/// `dg-import sandbox`: serve until Ctrl-C.
async fn serve_sandbox(args: SandboxArgs) -> anyhow::Result<u8> {
    let config = args.into_config()?;
    let flags = config.client_flags();
    let sandbox = sandbox::Sandbox::start(config).await?;
    eprintln!("DataGalaxy sandbox listening");
    eprintln!("  DATAGALAXY_URL={}", sandbox.base_url());
    eprintln!("  DATAGALAXY_TOKEN={}", sandbox.token());
    if !flags.is_empty() {
        eprintln!("Its limits are not a tenant's: give the runs that rehearse on it");
        eprintln!("  {flags}");
    }
    eprintln!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await?;
    Ok(exit::SUCCESS)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
