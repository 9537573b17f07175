//! Where a command's requests go, and how fast: the API the config names,
//! or a sandbox started in-process for the length of the command; every
//! request through one limiter (`pace`) and one client (`api`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::client::api::{Client, ClientOptions, Token};
use crate::client::halt::Halt;
use crate::client::pace::{Pace, PaceConfig};
use crate::sandbox::{Sandbox, SandboxConfig};

/// Where requests go.
#[derive(Debug)]
pub(crate) enum Endpoint {
    Api {
        url: reqwest::Url,
        token: Token,
        ca_cert: Option<PathBuf>,
    },
    /// A sandbox started in-process, with this seed file (or the built-in one).
    Sandbox { seed: Option<PathBuf> },
}

/// The pace and patience of every request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reach {
    pub(crate) pace: PaceConfig,
    /// The client's hour (3600 s but in rehearsals).
    pub(crate) hour: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
}

/// An open destination.
pub(crate) struct Session {
    pub(crate) url: reqwest::Url,
    pub(crate) token: Token,
    pub(crate) ca_cert: Option<PathBuf>,
    /// The in-process sandbox, with the sources it held at start.
    sandbox: Option<(Sandbox, usize)>,
}

impl Session {
    /// The API, or a sandbox started now (its seed read first).
    pub(crate) async fn open(endpoint: &Endpoint) -> anyhow::Result<Session> {
        match endpoint {
            Endpoint::Api {
                url,
                token,
                ca_cert,
            } => Ok(Session {
                url: url.clone(),
                token: token.clone(),
                ca_cert: ca_cert.clone(),
                sandbox: None,
            }),
            Endpoint::Sandbox { seed } => {
                let config = SandboxConfig {
                    seed: crate::sandbox::store::Seed::text_of(seed.as_deref())?,
                    ..SandboxConfig::default()
                };
                let sandbox = Sandbox::start(config).await?;
                let said = format!("sandbox started at {} (in-process)", sandbox.base_url());
                crate::voice::say("INFO", &said, None);
                let before = sandbox.sources().len();
                Ok(Session {
                    url: reqwest::Url::parse(&sandbox.base_url())?,
                    token: Token::new(sandbox.token()),
                    ca_cert: None,
                    sandbox: Some((sandbox, before)),
                })
            }
        }
    }

    /// The limiter and the client every request goes through.
    pub(crate) fn connect(&self, reach: &Reach) -> anyhow::Result<(Arc<Pace>, Client)> {
        let halt = Arc::new(Halt::default());
        let pace = Arc::new(Pace::with_hour(reach.pace, reach.hour, halt.clone()));
        let options = ClientOptions {
            timeout: reach.timeout,
            ca_cert: self.ca_cert.as_deref(),
            max_retries: reach.max_retries,
        };
        let client = Client::new(
            self.url.clone(),
            self.token.clone(),
            (pace.clone(), halt),
            options,
        )?;
        Ok((pace, client))
    }

    /// Stops the in-process sandbox, saying what it holds.
    pub(crate) async fn close(self) -> anyhow::Result<()> {
        if let Some((sandbox, before)) = self.sandbox {
            let store = sandbox.store();
            let workspace = store.workspaces.first().map_or("", |w| w.name.as_str());
            let said = format!(
                "sandbox now holds {} sources in '{workspace}' ({before} before); it stops with this command",
                store.sources.len(),
            );
            crate::voice::say("INFO", &said, None);
            drop(store);
            sandbox.shutdown().await?;
        }
        Ok(())
    }
}
