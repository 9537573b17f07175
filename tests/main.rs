//! The integration tests: one binary (link time), a module per subject.
//! Every server is a sandbox on 127.0.0.1:0; nothing passes or fails on speed.

mod attributes;
mod binary;
mod blocked_tenant;
mod bulk;
mod common;
mod dictionary;
mod dictionary_customs;
mod dictionary_rerun;
mod dictionary_resume;
mod dictionary_retire;
mod dictionary_run;
mod doctor;
mod export;
mod import_faults;
mod import_run;
mod migrations;
mod new_user;
// The mirror is stopped with Ctrl-C, as a user stops it.
#[cfg(unix)]
mod mirror;
mod properties;
mod rerun_resume;
mod sandbox_api;
mod sandbox_dictionary;
mod setup_tls;
mod spreadsheets;
mod user_files;
mod workbooks;
