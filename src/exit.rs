//! The one exit-code table (README "Exit codes" is the same table), and the
//! errors that end a whole run, each mapped to its code here and nowhere else.

/// Every row created, updated or unchanged.
pub(crate) const SUCCESS: u8 = 0;
/// The run finished, and some rows are invalid, failed or skipped.
pub(crate) const SOME_ROWS_NOT_DONE: u8 = 1;
/// `doctor`: a check failed (the host, the certificate or the token
/// included: reporting them is doctor's job).
pub const DOCTOR_FAILED: u8 = 1;
/// Usage or configuration error, before any write.
pub const USAGE: u8 = 2;
/// Stopped by the API: 401, the breaker, `--max-wait` exceeded, or the
/// set-up reads failing after their retries (nothing written then).
pub const STOPPED_BY_API: u8 = 3;
/// Stopped by a local error after writes had begun (the journal, the
/// report or the run record could not be written): fix it, then `--resume`.
pub(crate) const LOCAL_FAILURE: u8 = 4;
/// Hung up (SIGHUP), the report written.
pub(crate) const HUNG_UP: u8 = 129;
/// Interrupted (Ctrl-C), the report written.
pub(crate) const INTERRUPTED: u8 = 130;
/// Terminated (SIGTERM, as schedulers stop jobs), the report written.
pub(crate) const TERMINATED: u8 = 143;

/// A usage or configuration problem found before any write: exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub String);

pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// Why a run stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Stop {
    #[error("the API refused the token (401): check DATAGALAXY_TOKEN or --token-file")]
    Unauthorized,
    #[error("stopped after {count} rows in a row failed for the same reason: {reason}")]
    Breaker { count: usize, reason: String },
    #[error("rate limited for longer than --max-wait ({0})")]
    MaxWait(String),
    /// The hourly request budget stayed spent for longer than `--max-wait`.
    #[error(
        "waited longer than --max-wait ({max_wait}) for the hourly request budget \
         (the run's hour is {hour}; against a sandbox started with a shorter \
         --hour-secs, pass the same --hour-secs to the run)"
    )]
    HourlyBudget { max_wait: String, hour: String },
    /// A read before any write kept failing (5xx, no answer, or the pause).
    #[error("{what}: {error}; nothing was written")]
    SetupFailed { what: String, error: String },
    #[error("interrupted")]
    Interrupted,
    /// Signals are Unix's: elsewhere no one sends these two.
    #[cfg_attr(not(unix), allow(dead_code))]
    #[error("terminated (SIGTERM)")]
    Terminated,
    #[cfg_attr(not(unix), allow(dead_code))]
    #[error("hung up (SIGHUP)")]
    HungUp,
    /// Another of the reasons above stopped the run first.
    #[error("the run is stopping")]
    Halted,
    /// A local error (a file that cannot be written, a full disk) once
    /// writes had begun: what was recorded stays for `--resume`.
    #[error(
        "stopped by a local error after writes had begun; fix it, then run the same command with --resume"
    )]
    LocalFailure,
}

impl Stop {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Stop::Interrupted => INTERRUPTED,
            Stop::Terminated => TERMINATED,
            Stop::HungUp => HUNG_UP,
            Stop::Unauthorized
            | Stop::Breaker { .. }
            | Stop::MaxWait(_)
            | Stop::HourlyBudget { .. }
            | Stop::SetupFailed { .. }
            | Stop::Halted => STOPPED_BY_API,
            Stop::LocalFailure => LOCAL_FAILURE,
        }
    }
}

/// The exit code of a command: its own code when it ran, or the code of the
/// error that ended it. An error with no code of its own happened before any
/// write (unreadable input, a server that does not answer as the API,
/// unwritable report): 2; one after writes began carries `LocalFailure`.
pub fn code_of(result: &anyhow::Result<u8>) -> u8 {
    match result {
        Ok(code) => *code,
        Err(e) => code_of_error(e),
    }
}

/// The exit code of the error that ended a command.
pub fn code_of_error(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<Stop>() {
        Some(stop) => stop.exit_code(),
        None => USAGE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_documented_codes() {
        assert_eq!(code_of(&Ok(1)), 1);
        assert_eq!(code_of(&Err(usage("no token"))), 2);
        assert_eq!(code_of(&Err(anyhow::anyhow!("reading x.csv"))), 2);
        assert_eq!(code_of(&Err(Stop::Unauthorized.into())), 3);
        assert_eq!(code_of(&Err(Stop::MaxWait("20m".into()).into())), 3);
        let setup = Stop::SetupFailed {
            what: "listing workspaces".into(),
            error: "HTTP 503".into(),
        };
        assert_eq!(code_of(&Err(setup.into())), 3);
        assert_eq!(code_of(&Err(Stop::Interrupted.into())), 130);
        assert_eq!(code_of(&Err(Stop::Terminated.into())), 143);
        assert_eq!(code_of(&Err(Stop::HungUp.into())), 129);
    }
}
