//! `doctor`'s settings, resolved leniently: a missing URL or token is a
//! finding to report (FAIL, with its fix), not a usage error; and each
//! connection setting keeps where it came from (flag, job file, environment).
//! `sandbox --mirror` reads its tenant as doctor does, then copies it.

use std::path::PathBuf;

use crate::cli::config::{TOKEN_ENV, Task, URL_ENV, input_options, token_of};
use crate::cli::job;
use crate::cli::{DoctorArgs, MirrorArgs, PaceArgs};
use crate::client::api::Token;
use crate::client::session::Reach;
use crate::pipeline::input::InputOptions;

/// Where doctor's requests go.
#[derive(Debug)]
pub(crate) enum Connection {
    /// An in-process sandbox (`--sandbox`), with this seed.
    Sandbox { seed: Option<PathBuf> },
    Api {
        /// As given: doctor itself says what is wrong with it.
        url: Option<String>,
        /// The token, or why there is none.
        token: Result<Token, String>,
        ca_cert: Option<PathBuf>,
    },
}

#[derive(Debug)]
pub(crate) struct DoctorConfig {
    pub(crate) connection: Connection,
    pub(crate) workspace: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) reach: Reach,
    pub(crate) input: Option<PathBuf>,
    pub(crate) input_options: InputOptions,
    pub(crate) write_probe: bool,
    pub(crate) yes: bool,
    pub(crate) json: bool,
    /// Each setting that is set, and where it came from.
    pub(crate) origins: Vec<(&'static str, String)>,
}

impl DoctorConfig {
    pub(crate) fn resolve(
        args: DoctorArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<DoctorConfig> {
        let from_file = match &args.config {
            Some(path) => job::given("doctor", path, &env)?,
            None => Vec::new(),
        };
        let c = &args.connection;
        let origin = |key: &str, value: Option<&str>, env_name: Option<&str>| -> Option<String> {
            let in_file = from_file
                .iter()
                .any(|(k, v)| k == key && Some(v.as_str()) == value);
            match (value, env_name) {
                (Some(_), _) if in_file => Some("job file".to_owned()),
                (Some(_), _) => Some(format!("flag --{key}")),
                (None, Some(name)) if env(name).is_some() => Some(format!("environment {name}")),
                _ => None,
            }
        };
        let token_file = c.token_file.as_ref().map(|p| p.display().to_string());
        let settings = [
            ("url", origin("url", c.url.as_deref(), Some(URL_ENV))),
            (
                "token",
                origin("token-file", token_file.as_deref(), Some(TOKEN_ENV)),
            ),
            (
                "workspace",
                origin("workspace", c.workspace.as_deref(), None),
            ),
            ("version", origin("version", c.version.as_deref(), None)),
        ];
        let mut origins: Vec<(&'static str, String)> = (settings.into_iter())
            .filter_map(|(name, from)| Some((name, from?)))
            .collect();
        let connection = if c.sandbox {
            origins.retain(|(name, _)| *name != "url" && *name != "token");
            origins.insert(0, ("url", "the in-process sandbox (--sandbox)".to_owned()));
            Connection::Sandbox {
                seed: c.sandbox_seed.clone(),
            }
        } else {
            Connection::Api {
                url: c.url.clone().or_else(|| env(URL_ENV)),
                token: token_of(c.token_file.as_ref(), &env),
                ca_cert: c.ca_cert.clone(),
            }
        };
        let check = Task::Check {
            input: args.input.clone(),
        };
        Ok(DoctorConfig {
            connection,
            workspace: args.connection.workspace.clone(),
            version: args.connection.version.clone(),
            reach: args.pace.reach(),
            input: args.input,
            input_options: input_options(args.reading, &check, None)?,
            write_probe: args.write_probe,
            yes: args.yes,
            json: args.json,
            origins,
        })
    }
}

/// The pace flags of `run` as their defaults set them.
fn run_defaults() -> PaceArgs {
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        pace: PaceArgs,
    }
    <Defaults as clap::Parser>::parse_from(["dg-import"]).pace
}

/// `sandbox --mirror`: the tenant to read (as doctor reads it) and what to copy.
#[derive(Debug)]
pub(crate) struct MirrorConfig {
    pub(crate) tenant: DoctorConfig,
    pub(crate) with_sources: bool,
    /// Implies `with_sources`.
    pub(crate) with_dictionary: bool,
    pub(crate) save_seed: Option<PathBuf>,
}

impl MirrorConfig {
    /// `None` without `--mirror`.
    pub(crate) fn resolve(
        args: &MirrorArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<MirrorConfig>> {
        let args = args.clone();
        if !args.mirror {
            return Ok(None);
        }
        if let Some(path) = &args.save_seed {
            crate::files::output::check("--save-seed", path, crate::files::output::Allow::FILE)?;
        }
        // A run's pace, its defaults as `run` has them, at --mirror-rate.
        let mut reach = run_defaults().reach();
        reach.pace.rate = args.mirror_rate;
        let tenant = DoctorConfig {
            connection: Connection::Api {
                url: args.url.or_else(|| env(URL_ENV)),
                token: token_of(args.token_file.as_ref(), &env),
                ca_cert: args.ca_cert,
            },
            workspace: args.workspace,
            version: args.version,
            reach,
            input: None,
            input_options: InputOptions::default(),
            write_probe: false,
            yes: false,
            json: true,
            origins: Vec::new(),
        };
        Ok(Some(MirrorConfig {
            tenant,
            with_sources: args.with_sources || args.with_dictionary,
            with_dictionary: args.with_dictionary,
            save_seed: args.save_seed,
        }))
    }
}
