//! dg-import: bulk import of data sources into DataGalaxy, and a local
//! DataGalaxy-compatible sandbox. The commands are functions here, so tests
//! call them in-process exactly as the binary does.
//!
//! The house, from the top floor down (each folder imports only below it):
//! - `commands/`: `run` (with `rerun` and `check`), `export` (of sources,
//!   or of the dictionary), `doctor`
//!   (first contact with a tenant), the `mirror` and the `sandbox` it
//!   serves, the `signals` that stop them, and `resume`: what an earlier
//!   run into a report left (its journal, its record) for either kind;
//! - `cli/`: what was typed (clap), `job` files, and `config`, which
//!   resolves flags, job file, environment and run record before any request;
//! - `pipeline/`: a row's trip, in order: `input` (read, map headers to
//!   fields and custom attributes; `survey`, the first pass) → `directory`
//!   (cached look-ups; `directory::resolve` validates a row against them,
//!   typing attribute cells with `attributes`) → `plan` (duplicates, what
//!   exists, what was done before, what an update changes: `compare`) →
//!   `batch` (units of work) → `send` or `bulk` → `journal` and `report`;
//!   `retire` after the rows, in its `scope`; `ids` fills in the ids of rows
//!   created in bulk; `import` drives it; `summary` says what happened;
//!   `dictionary`: the dictionary's own rooms (its columns, rows, tree and
//!   its nodes' attributes and `ids`, the `custom` attributes of each kind, the type
//!   table, the tenant's types and listing, the check, the `plan` of
//!   bulktrees a run sends, their `write`, `retire` and the export), for `check`,
//!   `run` and `export` (`commands::dictionary` runs the first two, its
//!   `write` the trees under the journal);
//! - `client/`: the API (`api`: the wire and one attempt), its `pace` and
//!   hourly `budget`, the run's stop (`halt`), the `exchange` that decides
//!   what an answer means and what follows it (with `retry` and the
//!   `breaker`), `listing`s, the `routes` table (a kind and a way of writing
//!   it to a method and a path), `base_url`, the `shapes` answers take, and
//!   the `session` that opens the API or an in-process sandbox;
//! - `sandbox/`: the local server (its `store`: data, seed, checks, writes);
//! - `files/`: every output checked first (`output`), the files `beside` a
//!   report named once, every `table` written through one seam, atomic
//!   replacement through links, the report lock, workbooks, contained calls
//!   into libraries;
//! - `model/`: the nouns every stage shares (an object's `key`, a row's
//!   `action`: create or update, its `outcome`, a file's `outcomes` held
//!   compactly); `exit`: the one exit-code table;
//!   `voice`: what is said on stderr beside the logs (text, or JSON lines).

pub mod cli;
pub mod client;
pub mod commands;
pub mod exit;
pub mod files;
pub mod model;
pub mod pipeline;
pub mod sandbox;
pub mod voice;

use cli::Command;
use commands::signals::Interrupt;

/// Runs one command; `Ok` carries its exit code.
pub async fn execute(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Run(args) => {
            let config = cli::config::ImportConfig::from_run(args, env)?;
            commands::run::execute(config, Interrupt::listen()).await
        }
        Command::Rerun(args) => {
            let config = cli::config::ImportConfig::from_rerun(args, env)?;
            commands::run::execute(config, Interrupt::listen()).await
        }
        Command::Check(args) => {
            let config = cli::config::ImportConfig::from_check(args, env)?;
            commands::run::execute(config, Interrupt::listen()).await
        }

        Command::Export(args) => {
            let config = cli::config::ExportConfig::resolve(args, env)?;
            commands::export::execute(config, Interrupt::listen()).await
        }
        Command::Doctor(args) => {
            let config = cli::doctor::DoctorConfig::resolve(args, env)?;
            commands::doctor::execute(config).await
        }
        Command::Sandbox(args) => {
            let mirror = cli::doctor::MirrorConfig::resolve(&args.mirror, env)?;
            commands::sandbox::serve(args.into_config()?, mirror).await
        }
        Command::Completions { shell } => {
            print!("{}", shell.script());
            Ok(exit::SUCCESS)
        }
        Command::Manpage => {
            print!("{}", cli::manpage()?);
            Ok(exit::SUCCESS)
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
