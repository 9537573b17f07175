//! Feedback while rows are imported: an indicatif bar on stderr when it is a
//! terminal (rows done/total, rows per second, ETA, failures, and a visible
//! "rate limited, resuming in 42s" while paused); otherwise, or with
//! `--quiet`, a plain log line every 10 seconds.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::client::pace::Pace;

const LOG_EVERY: Duration = Duration::from_secs(10);

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    done: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    stop: CancellationToken,
}

impl Progress {
    /// `total`: the number of rows, when known before the run.
    pub(crate) fn start(total: Option<u64>, quiet: bool, pace: Arc<Pace>) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total.unwrap_or(0));
            let template = if total.is_some() {
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} rows {rate} ETA {eta} {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {pos} rows {rate} {msg}"
            };
            let style = ProgressStyle::with_template(template)
                .expect("valid template")
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1} rows/s", state.per_sec());
                    },
                );
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let progress = Progress {
            bar,
            done: Arc::default(),
            failed: Arc::default(),
            stop: CancellationToken::new(),
        };
        progress.spawn_ticker(total, pace);
        progress
    }

    fn spawn_ticker(&self, total: Option<u64>, pace: Arc<Pace>) {
        let (bar, done, failed, stop) = (
            self.bar.clone(),
            self.done.clone(),
            self.failed.clone(),
            self.stop.clone(),
        );
        let started = Instant::now();
        let tick = if bar.is_some() {
            Duration::from_millis(500)
        } else {
            LOG_EVERY
        };
        tokio::spawn(async move {
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + tick, tick);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = interval.tick() => {}
                }
                let paused = pace
                    .paused_until()
                    .map(|u| u.saturating_duration_since(tokio::time::Instant::now()));
                let failed = failed.load(Ordering::Relaxed);
                let mut msg = if failed > 0 {
                    format!("{failed} not done")
                } else {
                    String::new()
                };
                if let Some(wait) = paused {
                    msg.push_str(&format!("  rate limited, resuming in {}s", wait.as_secs()));
                }
                match &bar {
                    Some(bar) => bar.set_message(msg),
                    None => {
                        let done = done.load(Ordering::Relaxed);
                        let of = total.map(|t| format!("/{t}")).unwrap_or_default();
                        let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
                        tracing::info!("progress: {done}{of} rows, {rate:.1} rows/s {msg}");
                    }
                }
            }
        });
    }

    pub(crate) fn row_done(&self, is_done: bool) {
        self.done.fetch_add(1, Ordering::Relaxed);
        if !is_done {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub(crate) fn finish(self) {
        self.stop.cancel();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
