//! Stopping a run: the run's decision, kept apart from the pace. The first
//! reason given (a signal, the breaker, a 401, `--max-wait`, a spent
//! budget, a local failure) is kept; from then on no request is sent, every
//! wait gives up, and back-offs end. Later, answers still in flight may be
//! cut off too (after a signal's grace period).

use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use crate::exit::Stop;

#[derive(Debug, Default)]
pub(crate) struct Halt {
    /// Cancelled when the run stops.
    token: CancellationToken,
    /// Why the run stopped: the first reason given.
    why: Mutex<Option<Stop>>,
    /// Cancelled when answers in flight are no longer awaited.
    cut: CancellationToken,
}

impl Halt {
    /// Stops the run for `why` (the first reason wins).
    pub(crate) fn stop(&self, why: Stop) {
        let mut first = self.why.lock().expect("stop lock");
        if first.is_none() && why != Stop::Halted {
            tracing::warn!("stopping: {why}");
            *first = Some(why);
        }
        drop(first);
        self.token.cancel();
    }

    /// Why the run stopped, once it has.
    pub(crate) fn stopped(&self) -> Option<Stop> {
        self.why.lock().expect("stop lock").clone()
    }

    /// Resolves once the run stops.
    pub(crate) async fn halted(&self) {
        self.token.cancelled().await;
    }

    /// Answers still in flight are no longer awaited.
    pub(crate) fn cut_off(&self) {
        self.cut.cancel();
    }

    /// Resolves once answers in flight are no longer awaited.
    pub(crate) async fn cut(&self) {
        self.cut.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_to_stop_is_the_one_kept_and_every_waiter_wakes() {
        let halt = std::sync::Arc::new(Halt::default());
        assert_eq!(halt.stopped(), None);
        let waiter = tokio::spawn({
            let halt = halt.clone();
            async move { halt.halted().await }
        });
        halt.stop(Stop::Halted);
        assert_eq!(halt.stopped(), None, "halted says no reason of its own");
        halt.stop(Stop::Unauthorized);
        halt.stop(Stop::Interrupted);
        assert_eq!(halt.stopped(), Some(Stop::Unauthorized));
        waiter.await.unwrap();
    }
}
