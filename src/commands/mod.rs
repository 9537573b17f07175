//! One room per command that talks to the API: `run` (with `rerun` and
//! `check`) and `export`; `signals` turns Ctrl-C, SIGTERM and SIGHUP into a
//! stop they share.

pub mod export;
pub mod run;
pub mod signals;
