//! What the program will do: the command line resolved against the
//! environment and files, with defaults applied and everything validated
//! before any request. Problems here are usage errors (exit 2).

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::Token;
use crate::cli::{IfExists, RunArgs, SandboxArgs};
use crate::exit::usage;
use crate::pace::PaceConfig;
use crate::sandbox::SandboxConfig;

pub const TOKEN_ENV: &str = "DATAGALAXY_TOKEN";

/// Where the rows go.
#[derive(Debug)]
pub enum Target {
    Api {
        url: reqwest::Url,
        token: Token,
        ca_cert: Option<PathBuf>,
    },
    /// A sandbox started in-process, with this seed file (or the built-in one).
    Sandbox { seed: Option<PathBuf> },
}

#[derive(Debug)]
pub struct RunConfig {
    /// `None` reads standard input.
    pub input: Option<PathBuf>,
    pub target: Target,
    pub workspace: Option<String>,
    pub version: Option<String>,
    pub report: PathBuf,
    pub summary_json: Option<PathBuf>,
    pub if_exists: IfExists,
    pub concurrency: NonZeroUsize,
    pub pace: PaceConfig,
    pub max_retries: u32,
    pub timeout: Duration,
    pub quiet: bool,
    pub force: bool,
    /// The client's hour (3600 s but in rehearsals).
    pub hour: Duration,
}

impl RunConfig {
    /// Resolves `run`'s arguments; `env` reads an environment variable.
    pub fn resolve(
        args: RunArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<RunConfig> {
        let input = (args.input.as_os_str() != "-").then(|| args.input.clone());
        let target = if args.sandbox {
            Target::Sandbox {
                seed: args.sandbox_seed,
            }
        } else {
            let url = args.url.ok_or_else(|| {
                usage("no API URL: set DATAGALAXY_URL or pass --url (or try --sandbox)")
            })?;
            let token = match &args.token_file {
                Some(path) => Token::read_file(path)?,
                None => env(TOKEN_ENV).map(Token::new).ok_or_else(|| {
                    usage(format!("no token: set {TOKEN_ENV} or pass --token-file"))
                })?,
            };
            if token.is_empty() {
                return Err(usage("the API token is empty"));
            }
            if let Some(ca) = &args.ca_cert
                && !ca.is_file()
            {
                return Err(usage(format!("--ca-cert {}: no such file", ca.display())));
            }
            Target::Api {
                url: parse_base_url(&url)?,
                token,
                ca_cert: args.ca_cert,
            }
        };
        let report = match args.report {
            Some(path) => path,
            None => default_report(input.as_deref()),
        };
        let concurrency = args.concurrency.unwrap_or_else(|| {
            NonZeroUsize::new(8.max(args.rate.get() as usize)).expect("non-zero")
        });
        Ok(RunConfig {
            input,
            target,
            workspace: args.workspace,
            version: args.version,
            report,
            summary_json: args.summary_json,
            if_exists: if args.upsert {
                IfExists::Update
            } else {
                args.if_exists
            },
            concurrency,
            pace: PaceConfig {
                rate: args.rate,
                hourly_limit: args.hourly_limit,
                max_wait: args.max_wait,
            },
            max_retries: args.max_retries,
            timeout: args.timeout,
            quiet: args.quiet,
            force: args.force,
            hour: Duration::from_secs(args.hour_secs.max(1)),
        })
    }
}

/// `<input stem>.report.csv` in the current directory (`stdin.report.csv` for `-`).
fn default_report(input: Option<&Path>) -> PathBuf {
    let stem = input
        .and_then(|p| p.file_stem())
        .map_or_else(|| "stdin".to_owned(), |s| s.to_string_lossy().into_owned());
    PathBuf::from(format!("{stem}.report.csv"))
}

/// A base URL the token may be sent to: https, or http on loopback only.
pub fn parse_base_url(text: &str) -> anyhow::Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(text.trim())
        .map_err(|e| usage(format!("--url {text:?} is not a URL: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(usage(format!(
                "--url {text}: refusing to send the token over plain http to a host that is not loopback; use https"
            )));
        }
        other => return Err(usage(format!("--url {text}: unsupported scheme {other:?}"))),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(usage(format!(
            "--url {text}: a base URL has no query or fragment"
        )));
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

impl SandboxArgs {
    pub fn into_config(self) -> anyhow::Result<SandboxConfig> {
        for (flag, value) in [
            ("--fail-rate", self.fail_rate),
            ("--drop-after-commit-rate", self.drop_after_commit_rate),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(usage(format!("{flag} {value}: must be between 0 and 1")));
            }
        }
        if self.rate == 0 || self.hourly_limit == 0 || self.hour_secs == 0 {
            return Err(usage(
                "--rate, --hourly-limit and --hour-secs must be at least 1",
            ));
        }
        let seed = match &self.seed {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| usage(format!("reading seed {}: {e}", path.display())))?,
            None => crate::sandbox::store::BUILT_IN_SEED.to_owned(),
        };
        Ok(SandboxConfig {
            host: self.host,
            port: self.port,
            token: self.token,
            seed,
            state_file: self.state,
            rate: self.rate,
            hourly_limit: self.hourly_limit,
            hour: Duration::from_secs(self.hour_secs),
            block: Duration::from_secs(self.block_secs),
            latency: Duration::from_millis(self.latency_ms),
            fail_rate: self.fail_rate,
            drop_after_commit_rate: self.drop_after_commit_rate,
            variants: self.variant.into_iter().collect::<BTreeSet<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_unless_the_host_is_loopback() {
        assert!(parse_base_url("https://acme.api.datagalaxy.com/v2").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080/v2/").is_ok());
        assert!(parse_base_url("http://localhost:8080/v2").is_ok());
        assert!(parse_base_url("http://[::1]:8080/v2").is_ok());
        let err = parse_base_url("http://acme.api.datagalaxy.com/v2").unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");
        assert_eq!(crate::exit::code_of(&Err(err)), crate::exit::USAGE);
    }

    #[test]
    fn a_trailing_slash_is_dropped_from_the_base_url() {
        let url = parse_base_url("https://acme.api.datagalaxy.com/v2/").unwrap();
        assert_eq!(url.as_str(), "https://acme.api.datagalaxy.com/v2");
    }

    #[test]
    fn the_default_report_sits_in_the_current_directory_named_after_the_input() {
        assert_eq!(
            default_report(Some(Path::new("/data/sources.csv"))),
            PathBuf::from("sources.report.csv")
        );
        assert_eq!(default_report(None), PathBuf::from("stdin.report.csv"));
    }
}
