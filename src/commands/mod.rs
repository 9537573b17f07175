//! One room per command that talks to the API: `run` (with `rerun` and
//! `check`), `export`, and `doctor` (first contact with a tenant);
//! `signals` turns Ctrl-C, SIGTERM and SIGHUP into a stop they share.

pub mod doctor;
pub mod export;
pub mod run;
pub mod signals;
