//! The sandbox: a local DataGalaxy-compatible API (see `datagalaxy-api.md`)
//! for rehearsals, demos and every test of this project. It is a product
//! feature, not a mock: it applies the contract's validation, paging, rate
//! limits and errors, and can inject the faults and variations that the
//! contract tells clients to tolerate.
//!
//! In-process use: `Sandbox::start(config).await?` binds (port 0 allowed),
//! serves in the background, and gives the base URL, the store, and the log of
//! every request with its arrival time; `shutdown()` stops it (and saves the
//! state when a state file is configured).

mod answer;
mod dictionary_routes;
mod faults;
mod index;
mod limits;
mod routes;
mod serve;
pub mod store;
mod variant;

pub use variant::Variant;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use std::time::Duration;

use tokio::time::Instant;

use anyhow::Context;
use axum::http::Method;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use store::{NodeKind, Seed, Store, StoredNode, StoredSource};

use limits::Limits;

/// The origin `next_page` points at under `--variant foreign-next-page`.
pub const FOREIGN_ORIGIN: &str = "http://foreign-origin.invalid";

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub token: String,
    /// The seed's JSON text (the built-in one by default).
    pub seed: String,
    /// Load at start (when it exists) and save on shutdown.
    pub state_file: Option<PathBuf>,
    pub rate: u32,
    pub hourly_limit: u32,
    pub hour: Duration,
    pub block: Duration,
    pub latency: Duration,
    pub fail_rate: f64,
    /// The injected failures hit only paths that start with this (e.g.
    /// `/v2/attributes`): one route down, the others up.
    pub fail_only: Option<String>,
    /// A bulktree carrying the node of this path (`\source\schema\table`)
    /// is refused with a 400 naming it, as a tenant refuses what no check
    /// can see.
    pub refuse_node: Option<String>,
    pub drop_after_commit_rate: f64,
    /// The faults are a function of this and of each request (`faults.rs`).
    pub fault_seed: u64,
    pub variants: BTreeSet<Variant>,
}

impl SandboxConfig {
    /// The flags that pace a run as this sandbox's limits require, where
    /// they differ from the defaults (the sandbox's and the client's are
    /// the same: a current tenant's). Empty when none do.
    pub fn client_flags(&self) -> String {
        let tenant = SandboxConfig::default();
        let mut flags = Vec::new();
        if self.rate != tenant.rate {
            flags.push(format!("--rate {}", self.rate));
        }
        if self.hourly_limit != tenant.hourly_limit {
            flags.push(format!("--hourly-limit {}", self.hourly_limit));
        }
        if self.hour != tenant.hour {
            flags.push(format!("--hour-secs {}", self.hour.as_secs()));
        }
        flags.join(" ")
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            token: "sandbox-token".into(),
            seed: store::BUILT_IN_SEED.into(),
            state_file: None,
            rate: 8,
            hourly_limit: 28_800,
            hour: Duration::from_secs(3600),
            block: Duration::from_secs(900),
            latency: Duration::ZERO,
            fail_rate: 0.0,
            fail_only: None,
            refuse_node: None,
            drop_after_commit_rate: 0.0,
            fault_seed: fastrand::u64(..),
            variants: BTreeSet::new(),
        }
    }
}

/// One request as the sandbox saw it.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    /// Arrival, stamped before any throttle delay, from the sandbox's start.
    pub at: Duration,
    pub method: Method,
    /// Path and query, as sent.
    pub path: String,
    /// The status answered; `None` when the connection was dropped unanswered.
    pub status: Option<u16>,
    /// The write was applied, then the connection dropped.
    pub committed_then_dropped: bool,
    /// What the throttle held it back (zero unless over the rate).
    pub delayed: Duration,
}

/// State shared by the routes and the connection layer.
pub(crate) struct App {
    config: SandboxConfig,
    store: Mutex<Store>,
    limits: Limits,
    log: Mutex<Vec<LoggedRequest>>,
    started: Instant,
    origin: OnceLock<String>,
    /// The fault rates (f64 bits), adjustable while serving.
    fail_rate: AtomicU64,
    drop_after_commit_rate: AtomicU64,
    faults: faults::Faults,
    /// The node a bulktree may not carry (`refuse_node`), adjustable too.
    refused_node: Mutex<Option<String>>,
}

impl App {
    fn fail_rate(&self) -> f64 {
        f64::from_bits(self.fail_rate.load(Ordering::Relaxed))
    }

    fn drop_after_commit_rate(&self) -> f64 {
        f64::from_bits(self.drop_after_commit_rate.load(Ordering::Relaxed))
    }

    fn has(&self, v: Variant) -> bool {
        self.config.variants.contains(&v)
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().expect("store lock")
    }

    fn origin(&self) -> String {
        self.origin.get().cloned().unwrap_or_default()
    }

    fn log_arrival(&self, at: Instant, method: &Method, path: &str) -> usize {
        let mut log = self.log.lock().expect("log lock");
        log.push(LoggedRequest {
            at: at.duration_since(self.started),
            method: method.clone(),
            path: path.to_owned(),
            status: None,
            committed_then_dropped: false,
            delayed: Duration::ZERO,
        });
        log.len() - 1
    }

    fn log_delay(&self, entry: usize, delay: Duration) {
        self.log.lock().expect("log lock")[entry].delayed = delay;
    }

    fn log_answer(&self, entry: usize, status: Option<u16>, committed_then_dropped: bool) {
        let mut log = self.log.lock().expect("log lock");
        log[entry].status = status;
        log[entry].committed_then_dropped = committed_then_dropped;
    }
}

/// A running sandbox.
pub struct Sandbox {
    app: Arc<App>,
    addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Sandbox {
    pub async fn start(mut config: SandboxConfig) -> anyhow::Result<Sandbox> {
        let mut seed = Seed::parse(&config.seed).context("parsing the sandbox seed")?;
        // The ways a mirrored tenant answers hold with a saved state too.
        config.variants.extend(std::mem::take(&mut seed.variants));
        let store = match &config.state_file {
            Some(path) if path.exists() => Store::load(path)?,
            _ => seed.into_store()?,
        };
        anyhow::ensure!(config.rate > 0, "the sandbox's rate must be at least 1");
        anyhow::ensure!(
            config.hourly_limit > 0,
            "the sandbox's hourly limit must be at least 1"
        );
        let listener = TcpListener::bind((config.host, config.port))
            .await
            .with_context(|| format!("binding the sandbox to {}:{}", config.host, config.port))?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App {
            limits: Limits::new(config.rate, config.hourly_limit, config.hour, config.block)
                .counting_refused(config.variants.contains(&Variant::CountRefused))
                .fixed_hour(config.variants.contains(&Variant::FixedHour)),
            fail_rate: AtomicU64::new(config.fail_rate.to_bits()),
            drop_after_commit_rate: AtomicU64::new(config.drop_after_commit_rate.to_bits()),
            refused_node: Mutex::new(config.refuse_node.clone()),
            faults: faults::Faults::new(config.fault_seed),
            config,
            store: Mutex::new(store),
            log: Mutex::default(),
            started: Instant::now(),
            origin: OnceLock::new(),
        });

        let _ = app.origin.set(format!("http://{addr}"));
        let stop = CancellationToken::new();
        let router = routes::router(app.clone());
        let task = tokio::spawn(serve::accept_loop(
            listener,
            app.clone(),
            router,
            stop.clone(),
        ));
        Ok(Sandbox {
            app,
            addr,
            stop,
            task,
        })
    }

    /// The base URL clients use: `http://127.0.0.1:PORT/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    pub fn token(&self) -> &str {
        &self.app.config.token
    }

    /// A snapshot of everything the sandbox holds.
    pub fn store(&self) -> Store {
        self.app.store().clone()
    }

    /// The sources of a version (all versions with `None`).
    pub fn sources(&self) -> Vec<StoredSource> {
        self.app.store().sources.clone()
    }

    /// The id of the first workspace's default version.
    pub fn default_version_id(&self) -> String {
        let store = self.app.store();
        let ws = &store.workspaces[0];
        ws.versions
            .iter()
            .find(|v| v.is_default)
            .unwrap_or(&ws.versions[0])
            .id
            .clone()
    }

    /// Adds sources as they are, unchecked: a large catalog in one step
    /// (a seed file checks each source, which is slow past thousands).
    pub fn add_sources(&self, sources: impl IntoIterator<Item = StoredSource>) {
        self.app.store().sources.extend(sources);
    }

    /// Changes the fault rates while serving (a server that falls ill mid-run).
    pub fn set_faults(&self, fail_rate: f64, drop_after_commit_rate: f64) {
        self.app
            .fail_rate
            .store(fail_rate.to_bits(), Ordering::Relaxed);
        self.app
            .drop_after_commit_rate
            .store(drop_after_commit_rate.to_bits(), Ordering::Relaxed);
    }

    /// Changes the node a bulktree is refused for carrying (`None`: none),
    /// while serving: a tenant that starts refusing what no check can see.
    pub fn refuse_node(&self, path: Option<&str>) {
        *self.app.refused_node.lock().expect("refused node lock") = path.map(str::to_owned);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.app.log.lock().expect("log lock").clone()
    }

    /// Stops serving, closes open connections, saves the state file if any.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop.cancel();
        let _ = self.task.await;
        if let Some(path) = &self.app.config.state_file {
            self.app.store().save(path)?;
        }
        Ok(())
    }
}
