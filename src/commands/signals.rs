//! The signals that stop a run: Ctrl-C, SIGTERM (how systemd, CI time-outs
//! and Kubernetes stop jobs) and SIGHUP (unless it was ignored at start, as
//! under `nohup`). The first one drains: no new row starts, back-offs end,
//! answers in flight are awaited a grace period, the report is written with
//! the rest `skipped`, and the exit code says which signal (130, 143, 129).
//! A second one quits at once, leaving the journal for `--resume`.

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use crate::exit::Stop;

/// How long answers in flight are awaited after the first signal (Docker
/// waits 10 s before it kills).
pub(crate) const GRACE: std::time::Duration = std::time::Duration::from_secs(8);

/// Once interrupted, stops starting rows; answers in flight get a grace
/// period, then are cut off, their rows recorded as sent without an answer
/// (for `--resume` or `rerun`). Never resolves.
pub(crate) async fn drain_on(interrupt: &Interrupt, halt: &crate::client::halt::Halt) {
    interrupt.cancelled().await;
    halt.stop(interrupt.stop());
    tokio::time::sleep(GRACE).await;
    halt.cut_off();
    std::future::pending::<()>().await;
}

/// Set off by the first signal; says which.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interrupt {
    token: CancellationToken,
    why: Arc<OnceLock<Stop>>,
}

impl Interrupt {
    /// Listens for the signals for as long as the process runs.
    pub(crate) fn listen() -> Interrupt {
        let interrupt = Interrupt::default();
        tokio::spawn(watch(interrupt.clone(), Stop::Interrupted));
        #[cfg(unix)]
        {
            tokio::spawn(watch(interrupt.clone(), Stop::Terminated));
            // Registering a handler would undo `nohup`: leave an ignored SIGHUP ignored.
            if !hangup_ignored() {
                tokio::spawn(watch(interrupt.clone(), Stop::HungUp));
            }
        }
        interrupt
    }

    /// Stops the run for `why` (the first reason wins).
    pub(crate) fn trigger(&self, why: Stop) {
        let _ = self.why.set(why);
        self.token.cancel();
    }

    pub(crate) async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Why the run was stopped (Ctrl-C when not said).
    pub(crate) fn stop(&self) -> Stop {
        self.why.get().cloned().unwrap_or(Stop::Interrupted)
    }
}

/// Waits for the signal that `stop` stands for, twice.
async fn watch(interrupt: Interrupt, stop: Stop) {
    let mut signal = match Signal::new(&stop) {
        Ok(signal) => signal,
        Err(e) => {
            tracing::debug!("cannot listen for {stop}: {e}");
            return;
        }
    };
    signal.recv().await;
    crate::voice::say(
        "WARN",
        &format!("{stop}: finishing the rows in flight (send it again to quit at once)"),
        None,
    );
    interrupt.trigger(stop.clone());
    signal.recv().await;
    std::process::exit(stop.exit_code().into());
}

/// One kind of signal, as a stream.
enum Signal {
    CtrlC,
    #[cfg(unix)]
    Unix(tokio::signal::unix::Signal),
}

impl Signal {
    fn new(stop: &Stop) -> std::io::Result<Signal> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match stop {
                Stop::Terminated => return Ok(Signal::Unix(signal(SignalKind::terminate())?)),
                Stop::HungUp => return Ok(Signal::Unix(signal(SignalKind::hangup())?)),
                _ => {}
            }
        }
        let _ = stop;
        Ok(Signal::CtrlC)
    }

    async fn recv(&mut self) {
        match self {
            Signal::CtrlC => {
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            #[cfg(unix)]
            Signal::Unix(s) => {
                if s.recv().await.is_none() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

/// SIGHUP was ignored when the process started (`nohup`).
#[cfg(unix)]
fn hangup_ignored() -> bool {
    // SAFETY: sigaction with a null new action only reads the current one
    // into a zeroed struct that we own.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}
