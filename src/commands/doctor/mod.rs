//! `dg-import doctor`: first contact with a tenant. Each link of the chain
//! is checked in order (the program and its settings, the token, the URL,
//! the token accepted, the workspace, what can be read, how the listing
//! answers, the `technicalName` filter, the hourly budget, the shape of an
//! error, the dictionary's types and listing, the file's header), each said PASS, WARN, FAIL or SKIP with a
//! one-line fix; a link that fails skips what depends on it. It only reads,
//! at the run's pace, unless `--write-probe` (`probe.rs`).
//!
//! `links.rs` checks the way to the tenant, `reads.rs` what it answers,
//! `dictionary.rs` the dictionary's reads and its probe,
//! `client::shapes` names the variations, `token.rs` reads a token's claims and
//! `verdict.rs` says it all.

mod dictionary;
mod links;
mod probe;
mod reads;
mod token;
pub(crate) mod verdict;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use reqwest::{Method, Url};

use crate::cli::doctor::DoctorConfig;
use crate::client::api::{Answer, ApiError, Client};
use crate::client::pace::Pace;
use crate::client::retry::Policy;
use crate::client::session::Session;
use crate::exit::{self, usage};
use crate::pipeline::attributes::Definitions;
use crate::pipeline::directory::Target;
use verdict::{Check, Facts, Findings, Status};

/// The checks, in order, and what they learned.
struct Doctor<'a> {
    config: &'a DoctorConfig,
    checks: Vec<Check>,
    facts: Facts,
    /// Why the way to the tenant is cut, once a link failed.
    cut: Option<String>,
    /// The last `X-RateLimit-Remaining` seen, and the requests sent by then.
    remaining: Option<(u64, u64)>,
    /// The limiter of the way to the tenant, once open: what failed and was
    /// retried, and how much of it the checks so far have said.
    pace: Option<Arc<Pace>>,
    failures_said: std::collections::BTreeMap<String, u64>,
}

/// An open way to the tenant.
struct Line {
    session: Session,
    pace: Arc<Pace>,
    client: Client,
}

/// What the reads found that later checks use.
#[derive(Default)]
struct Found {
    target: Option<Target>,
    definitions: Option<Definitions>,
    /// A technical name of an existing source.
    sample: Option<String>,
}

/// Every check, in order (each line said as it comes unless the output is
/// JSON): what the tenant does; what a mirror copies.
pub(crate) async fn learn(config: &DoctorConfig) -> anyhow::Result<(Vec<Check>, Facts)> {
    let mut doctor = Doctor {
        config,
        checks: Vec::new(),
        facts: Facts::default(),
        cut: None,
        remaining: None,
        pace: None,
        failures_said: Default::default(),
    };
    doctor.examine().await?;
    Ok((doctor.checks, doctor.facts))
}

/// Runs every check; exit 0 when none failed, 1 when one did.
pub(crate) async fn execute(config: DoctorConfig) -> anyhow::Result<u8> {
    if config.write_probe && !config.yes && !std::io::stdin().is_terminal() {
        return Err(usage(
            "--write-probe writes to the tenant: pass --yes to confirm it (there is no \
             terminal to ask on)",
        ));
    }
    // The lines are said as the checks go (`Doctor::add`); JSON at the end.
    let (checks, facts) = learn(&config).await?;
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    if config.json {
        let findings = Findings {
            checks: &checks,
            facts: &facts,
        };
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        println!("{}", verdict::verdict(&checks));
    }
    Ok(if failed {
        exit::DOCTOR_FAILED
    } else {
        exit::SUCCESS
    })
}

impl Doctor<'_> {
    /// Adds a check, printed at once unless the output is JSON. A check
    /// that passed only after requests failed and were retried is a WARN
    /// saying so: a tenant that answers that way is not healthy.
    fn add(&mut self, mut check: Check) {
        if let Some(pace) = &self.pace {
            let failures = pace.counters.failures();
            let new: Vec<String> = (failures.iter())
                .filter_map(|(why, n)| {
                    let before = self.failures_said.get(why).copied().unwrap_or(0);
                    (*n > before).then(|| format!("{} {why}", n - before))
                })
                .collect();
            self.failures_said = failures;
            if !new.is_empty() {
                check = check.unsteady(&new);
            }
        }
        if !self.config.json {
            println!("{check}");
            let _ = std::io::stdout().flush();
        }
        if check.status == Status::Fail && self.cut.is_none() {
            self.cut = Some(check.name.to_owned());
        }
        self.checks.push(check);
    }

    /// A check that cannot be made because `self.cut` failed.
    fn skip(&mut self, name: &'static str) {
        let because = self.cut.clone().unwrap_or_default();
        self.add(Check::skip(name, format!("skipped: '{because}' failed")));
    }

    async fn examine(&mut self) -> anyhow::Result<()> {
        self.add(links::settings(self.config));
        self.add(links::token(self.config));
        let line = self.open().await?;
        let mut found = Found::default();
        if let Some(line) = &line {
            self.read(line, &mut found).await;
        } else {
            for name in reads::NAMES {
                self.skip(name);
            }
        }
        let definitions = found.definitions.as_ref();
        if let Some(path) = &self.config.input {
            let check = reads::input(path, &self.config.input_options, definitions);
            self.add(check);
        }
        if let (true, Some(line), Some(target)) = (self.config.write_probe, &line, &found.target) {
            probe::run(self, line, target).await?;
        }
        if let Some(line) = line {
            line.session.close().await?;
        }
        Ok(())
    }

    /// The URL and the first request: the way to the tenant, if it is open.
    async fn open(&mut self) -> anyhow::Result<Option<Line>> {
        let (session, seen) = match links::session(self.config).await? {
            Ok(opened) => opened,
            Err(url) => {
                self.add(url);
                self.skip("token accepted");
                return Ok(None);
            }
        };
        let (pace, client) = session.connect(&self.config.reach)?;
        self.pace = Some(pace.clone());
        let line = Line {
            session,
            pace,
            client,
        };
        let first = self.get(&line, line.client.url("/workspaces", &[])).await;
        let (url, access) = links::first_answer(seen, &first, self.config);
        self.add(url);
        self.add(access);
        Ok(Some(line))
    }

    /// Whether the next check can be made; if not, it is said skipped.
    fn can(&mut self, name: &'static str) -> bool {
        if self.cut.is_some() {
            self.skip(name);
        }
        self.cut.is_none()
    }

    /// The reads, in order; after a failure, the rest are skipped.
    async fn read(&mut self, line: &Line, found: &mut Found) {
        if self.can("workspace") {
            let checks = reads::workspace(self, line, found).await;
            self.add_all(checks);
        }
        if self.can("owners and stewards") {
            let checks = reads::people(self, line, found).await;
            self.add_all(checks);
        }
        if self.can("tags") {
            let checks = reads::tags(self, line).await;
            self.add_all(checks);
        }
        if self.can("attributes") {
            let checks = reads::attributes(self, line, found).await;
            self.add_all(checks);
        }
        if self.can("sources") {
            let checks = reads::sources(self, line, found).await;
            self.add_all(checks);
        } else {
            self.skip("listed attributes");
        }
        if self.can("technicalName filter") {
            let checks = reads::filter(self, line, found).await;
            self.add_all(checks);
        }
        if self.can("hourly budget") {
            let check = reads::budget(self);
            self.add(check);
        }
        if self.can("error body") {
            let checks = reads::error_body(self, line).await;
            self.add_all(checks);
        }
        if self.can("dictionary types") {
            let checks = dictionary::types(self, line).await;
            self.add_all(checks);
        }
        match (&found.target, self.cut.is_none()) {
            (Some(target), true) => {
                let checks = dictionary::listing(self, line, target).await;
                self.add_all(checks);
            }
            _ => self.skip("dictionary listing"),
        }
    }

    fn add_all(&mut self, checks: Vec<Check>) {
        for check in checks {
            self.add(check);
        }
    }

    /// One GET, retried `--max-retries` times (doctor reports a host that
    /// does not answer rather than wait on it); notes the hourly budget it tells.
    async fn get(&mut self, line: &Line, url: Url) -> Result<Answer, ApiError> {
        let policy = Policy::writes(self.config.reach.max_retries);
        let answer = (line.client)
            .send_with_retries::<()>(Method::GET, url, None, policy)
            .await?;
        let sent = line.pace.counters.requests.load(Ordering::Relaxed);
        if let Some(remaining) = answer.remaining {
            self.remaining = Some((remaining, sent));
        }
        Ok(answer)
    }
}
