//! One room per command that talks to the API: `run` (with `rerun` and
//! `check`; `dictionary` for a dictionary file), `export`, `doctor` (first contact with a tenant) and the
//! `mirror` that copies a tenant into a sandbox, and the `sandbox` it serves;
//! `signals` turns Ctrl-C, SIGTERM and SIGHUP into a stop they share, and
//! `resume` reads what an earlier run into the report left (journal, run
//! record) for a run of either kind.

pub mod dictionary;
pub mod doctor;
pub mod export;
pub mod mirror;
pub(crate) mod resume;
pub mod run;
pub mod sandbox;
pub mod signals;
