//! `dg-import sandbox`: the local DataGalaxy-compatible server, from a seed,
//! a saved state or a mirror of a tenant, served until Ctrl-C, saying how
//! to reach it and the flags that pace a run as its limits require.

use crate::cli::doctor::MirrorConfig;
use crate::commands::mirror;
use crate::exit;
use crate::files;
use crate::sandbox::{Sandbox, SandboxConfig};

/// Serves until Ctrl-C.
pub(crate) async fn serve(
    mut config: SandboxConfig,
    mirror: Option<MirrorConfig>,
) -> anyhow::Result<u8> {
    if let Some(mirror) = &mirror {
        let seed = mirror::copy(mirror).await?;
        if let Some(path) = &mirror.save_seed {
            files::atomic::write_json(path, &seed)?;
            eprintln!("seed written to {}", path.display());
        }
        eprintln!("mirrored {}", seed.summary());
        config.seed = serde_json::to_string(&seed)?;
    }
    let flags = config.client_flags();
    let faults = (config.fail_rate > 0.0 || config.drop_after_commit_rate > 0.0)
        .then_some(config.fault_seed);
    let sandbox = Sandbox::start(config).await?;
    eprintln!("DataGalaxy sandbox listening");
    eprintln!("  DATAGALAXY_URL={}", sandbox.base_url());
    eprintln!("  DATAGALAXY_TOKEN={}", sandbox.token());
    if !flags.is_empty() {
        eprintln!("Its limits are not a tenant's: give the runs that rehearse on it");
        eprintln!("  {flags}");
    }
    if let Some(seed) = faults {
        eprintln!("Faults drawn from --fault-seed {seed} (the same seed fails the same requests)");
    }
    // Listening before saying so: a Ctrl-C right after the line stops it cleanly.
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    eprintln!("Press Ctrl-C to stop.");
    #[cfg(unix)]
    interrupt.recv().await;
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await?;
    Ok(exit::SUCCESS)
}
