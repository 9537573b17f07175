//! The `dg-import` binary: parse the command line, set up logs, call the
//! library, turn the outcome into an exit code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;

/// The static Linux build allocates through mimalloc: musl's own allocator
/// costs 1.5 times the CPU on the importer's busiest paths.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// With glibc, every allocation of a megabyte or more (a million fields'
/// nodes, their indexes) is a mapping of its own: growing one moves its
/// pages rather than copying them, and one freed goes back to the system.
/// Left to itself glibc raises that threshold to 32 MB as large blocks are
/// freed, and each growth past it then leaves a freed copy resident (the
/// bench's nightly sync of 1,000,000 fields: 262 MB at peak, 236 MB so).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn large_blocks_mapped() {
    // SAFETY: mallopt with a parameter glibc documents, first thing in
    // main, before any other thread allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    large_blocks_mapped();
    let args = match dg_import::cli::job::expand(std::env::args_os().collect(), |name| {
        std::env::var(name).ok()
    }) {
        Ok(args) => args,
        Err(e) => {
            dg_import::voice::error(&e);
            return ExitCode::from(dg_import::exit::USAGE);
        }
    };
    let cli = dg_import::cli::Cli::parse_from(args);
    dg_import::cli::logs::init(cli.log_format, cli.verbose);
    let runtime = tokio::runtime::Runtime::new().expect("starting the async runtime");
    let result = runtime.block_on(dg_import::execute(cli.command));
    if let Err(e) = &result {
        dg_import::voice::error(e);
    }
    ExitCode::from(dg_import::exit::code_of(&result))
}
