//! `dg-import run`: from a resolved `RunConfig` to a written report, a
//! summary, and an exit code. Order matters: the input's header is checked
//! before any request, the lookups are done before any write, and the report
//! replaces its destination only once every row is in it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::api::{Client, ClientOptions, Token};
use crate::config::{RunConfig, Target as Destination};
use crate::directory::{self, Directory};
use crate::exit::{self, Stop, usage};
use crate::import::{self, Job, Sender};
use crate::input::{self, CsvInput};
use crate::journal::{self, Journal};
use crate::pace::Pace;
use crate::progress::Progress;
use crate::report::PendingReport;
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::summary::{Summary, Totals};

/// Runs an import; `interrupt` is cancelled on Ctrl-C. Returns the exit code.
pub async fn run(config: RunConfig, interrupt: CancellationToken) -> anyhow::Result<u8> {
    match &config.target {
        Destination::Api {
            url,
            token,
            ca_cert,
        } => {
            import_into(
                &config,
                url.clone(),
                token.clone(),
                ca_cert.as_deref(),
                interrupt,
            )
            .await
        }
        Destination::Sandbox { seed } => {
            let mut sandbox_config = SandboxConfig::default();
            if let Some(path) = seed {
                sandbox_config.seed = std::fs::read_to_string(path)
                    .map_err(|e| usage(format!("reading {}: {e}", path.display())))?;
            }
            let sandbox = Sandbox::start(sandbox_config).await?;
            eprintln!("sandbox started at {} (in-process)", sandbox.base_url());
            let url = reqwest::Url::parse(&sandbox.base_url())?;
            let token = Token::new(sandbox.token());
            let before = sandbox.sources().len();
            let code = import_into(&config, url, token, None, interrupt).await;
            let after = sandbox.sources().len();
            let store = sandbox.store();
            let ws = &store.workspaces[0];
            eprintln!(
                "sandbox now holds {after} sources in '{}' ({before} before the import); it stops with this command",
                ws.name
            );
            sandbox.shutdown().await?;
            code
        }
    }
}

async fn import_into(
    config: &RunConfig,
    url: reqwest::Url,
    token: Token,
    ca_cert: Option<&Path>,
    interrupt: CancellationToken,
) -> anyhow::Result<u8> {
    let started = Instant::now();
    let input_name = input::display_name(config.input.as_deref());
    // The header is checked before any request.
    let rows = CsvInput::open(config.input.as_deref())?;
    let total = config.input.as_deref().map(CsvInput::count).transpose()?;
    let journal_path = journal::path_for(&config.report);
    if journal_path.exists() && !config.force {
        return Err(usage(format!(
            "{} is left from an unfinished run into {}: pass --force to start over and replace it",
            journal_path.display(),
            config.report.display()
        )));
    }

    let pace = Arc::new(Pace::with_hour(config.pace, config.hour));
    let options = ClientOptions {
        timeout: config.timeout,
        ca_cert,
        max_retries: config.max_retries,
    };
    let client = Client::new(url, token, pace.clone(), options)?;
    // Ctrl-C during the lookups ends the run at once; later, it drains.
    let watcher = tokio::spawn({
        let (interrupt, pace) = (interrupt.clone(), pace.clone());
        async move {
            interrupt.cancelled().await;
            pace.halt();
        }
    });
    let setup = async {
        let target = directory::locate(
            &client,
            config.workspace.as_deref(),
            config.version.as_deref(),
        )
        .await?;
        let directory = Directory::load(&client, &target).await?;
        anyhow::Ok((target, directory))
    };
    let (target, directory) = match setup.await {
        Err(_) if interrupt.is_cancelled() => return Err(Stop::Interrupted.into()),
        other => other?,
    };
    watcher.abort();
    let (users, tags, sources) = directory.counts();
    tracing::info!(
        "importing into '{}' version '{}': {users} users, {tags} tags, {sources} sources already there",
        target.workspace_name,
        target.version_name
    );

    let mut report = PendingReport::create(&config.report, rows.header().headers())?;
    let journal = Journal::create(&journal_path)?;
    let sender = Sender::new(&client, &target, &journal);
    let progress = Progress::start(total, config.quiet, pace.clone());
    let header = rows.header().clone();
    let job = Job {
        sender: &sender,
        directory: &directory,
        header: &header,
        if_exists: config.if_exists,
        concurrency: config.concurrency.get(),
    };
    let watch_interrupt = async {
        interrupt.cancelled().await;
        sender.halt(Stop::Interrupted);
        std::future::pending::<()>().await;
    };
    let tally = tokio::select! {
        tally = import::import(job, rows, &mut report.writer, &progress) => tally?,
        _ = watch_interrupt => unreachable!("pending forever"),
    };
    progress.finish();
    let stopped = sender.stopped();
    drop(sender);
    report.persist()?;
    journal.remove()?;

    let code = match &stopped {
        Some(stop) => stop.exit_code(),
        None if tally.all_done() => exit::SUCCESS,
        None => exit::SOME_ROWS_NOT_DONE,
    };
    let summary = Summary::new(
        tally,
        Totals {
            input: input_name,
            report: config.report.display().to_string(),
            elapsed: started.elapsed(),
            requests: pace.counters.requests.load(Ordering::Relaxed),
            retries: pace.counters.retries.load(Ordering::Relaxed),
            rate_limited: pace.counters.rate_limited.load(Ordering::Relaxed),
            stopped: stopped.map(|s| s.to_string()),
            exit_code: code,
        },
    );
    eprintln!("{summary}");
    if let Some(path) = &config.summary_json {
        let json = serde_json::to_vec_pretty(&summary)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(code)
}
