//! Helpers shared by the integration tests.

pub mod dictionary;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use clap::Parser;
use dg_import::sandbox::{LoggedRequest, Sandbox, SandboxConfig};

/// A sandbox with no throttle to speak of, adjusted by `tune`.
///
/// Its faults are drawn from a seed, `DG_FAULT_SEED` when set: a failing
/// test prints the seed that replays it.
pub async fn sandbox(tune: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut config = SandboxConfig {
        rate: 10_000,
        ..SandboxConfig::default()
    };
    if let Some(seed) = std::env::var("DG_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        config.fault_seed = seed;
    }
    tune(&mut config);
    if config.fail_rate > 0.0 || config.drop_after_commit_rate > 0.0 {
        eprintln!(
            "sandbox faults: DG_FAULT_SEED={} replays them",
            config.fault_seed
        );
    }
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A plain HTTP client for talking to the sandbox directly.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .retry(reqwest::retry::never())
        .build()
        .unwrap()
}

/// `n` valid rows named `source-0001`... (owners and tags from the seed).
pub fn valid_rows(n: usize) -> String {
    let mut csv = String::from("name,type,owners,stewards,tags,summary\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "source-{i:04},Relational,john.doe@example.com,jane.doe@example.com,GDPR;Finance,Row {i}\n"
        ));
    }
    csv
}

pub struct Imported {
    pub code: u8,
    /// The message of the error that ended the command, if any.
    pub error: Option<String>,
    pub report: Vec<BTreeMap<String, String>>,
    pub report_headers: Vec<String>,
    pub summary: serde_json::Value,
    pub dir: tempfile::TempDir,
}

impl Imported {
    pub fn results(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for r in &self.report {
            *counts.entry(r["result"].clone()).or_default() += 1;
        }
        counts
    }

    pub fn row(&self, number: u64) -> &BTreeMap<String, String> {
        self.report
            .iter()
            .find(|r| r["row"] == number.to_string())
            .expect("row in report")
    }
}

/// Reads a report in whatever dialect it was written (BOM, `,` `;` tab `|`).
pub fn read_report(path: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let bytes = std::fs::read(path).expect("report readable");
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| first.iter().filter(|b| *b == d).count())
        .unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text);

    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (headers, rows)
}

/// Runs `dg-import run` in-process against `sandbox` on a CSV given as text.
pub async fn import(sandbox: &Sandbox, csv: &str, extra: &[&str]) -> Imported {
    import_with_token(sandbox, sandbox.token(), csv, extra).await
}

pub async fn import_with_token(
    sandbox: &Sandbox,
    token: &str,
    csv: &str,
    extra: &[&str],
) -> Imported {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    import_file(sandbox, &input, dir, extra).await
}

/// Imports `input`; the token is read from `dir/token`.
pub async fn import_file(
    sandbox: &Sandbox,
    input: &Path,
    dir: tempfile::TempDir,
    extra: &[&str],
) -> Imported {
    let token = dir.path().join("token");

    let report = dir.path().join("in.report.csv");
    let summary = dir.path().join("summary.json");
    let base = sandbox.base_url();
    let mut args: Vec<String> = ["dg-import", "run"].map(String::from).to_vec();
    args.push(input.display().to_string());
    for (flag, value) in [
        ("--url", base.as_str()),
        ("--token-file", &token.display().to_string()),
        ("--report", &report.display().to_string()),
        ("--summary-json", &summary.display().to_string()),
    ] {
        args.push(flag.into());
        args.push(value.into());
    }
    args.push("--quiet".into());
    args.extend(extra.iter().map(|s| s.to_string()));
    let cli = dg_import::cli::Cli::try_parse_from(&args).expect("arguments parse");
    let result = dg_import::execute(cli.command).await;
    let code = dg_import::exit::code_of(&result);
    let error = result.err().map(|e| format!("{e:#}"));
    let (report_headers, report) = if report.exists() {
        read_report(&report)
    } else {
        (vec![], vec![])
    };
    let summary = std::fs::read(&summary)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(serde_json::Value::Null);
    Imported {
        code,
        error,

        report,
        report_headers,
        summary,
        dir,
    }
}

/// The most requests that arrived within any one second.
pub fn max_in_any_second(log: &[LoggedRequest]) -> usize {
    let times: Vec<Duration> = log.iter().map(|r| r.at).collect();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// How many sources the sandbox holds per technical name.
pub fn copies(sandbox: &Sandbox) -> HashMap<String, usize> {
    let mut copies = HashMap::new();
    for s in sandbox.sources() {
        *copies.entry(s.technical_name).or_default() += 1;
    }
    copies
}

/// Sets the sandbox's faults as soon as the first write has arrived (so that
/// the set-up reads of a run go through): await the handle after the run.
pub fn fall_ill_at_first_write(
    sb: &std::sync::Arc<Sandbox>,
    fail_rate: f64,
    drop_after_commit_rate: f64,
) -> tokio::task::JoinHandle<()> {
    let sb = sb.clone();
    tokio::spawn(async move {
        wait_for("the first write", 60, || posts(&sb.requests()) > 0).await;
        sb.set_faults(fail_rate, drop_after_commit_rate);
    })
}

/// Waits until `done` (looked at every few milliseconds), at most `secs`:
/// past it the test fails naming `what` it waited for.
pub async fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {secs} s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Starts `cmd` and kills it (SIGKILL) once the sandbox has taken `writes`
/// more writes (POST or PUT) than when it started: a moment measured in the
/// run's progress, not in time, so that a fast machine meets it as a slow
/// one does. False when the command finished first.
pub async fn kill_after_writes(
    sb: &Sandbox,
    cmd: &mut std::process::Command,
    writes: usize,
) -> bool {
    let written = || {
        (sb.requests().iter())
            .filter(|r| r.method == "POST" || r.method == "PUT")
            .count()
    };
    let target = written() + writes;
    let mut child = cmd.spawn().unwrap();
    let mut finished = false;
    wait_for(&format!("{writes} more writes"), 120, || {
        finished = child.try_wait().unwrap().is_some();
        finished || written() >= target
    })
    .await;
    if finished {
        return false;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    true
}

pub fn posts(log: &[LoggedRequest]) -> usize {
    log.iter().filter(|r| r.method == "POST").count()
}

/// Every `created` row of a report carries the id and location the server
/// holds for a source of that name.
pub fn assert_ids_are_the_servers(sandbox: &Sandbox, report: &[BTreeMap<String, String>]) {
    let held: HashMap<String, dg_import::sandbox::StoredSource> = sandbox
        .sources()
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    for row in report.iter().filter(|r| r["result"] == "created") {
        let source = held
            .get(&row["name"])
            .unwrap_or_else(|| panic!("no source for {row:?}"));
        assert_eq!(row["source_id"], source.id, "{row:?}");
        assert_eq!(row["location"], source.location(), "{row:?}");
    }
}

/// Runs a command line in-process; its exit code and error message.
pub async fn dg(args: &[&str]) -> (u8, Option<String>) {
    let mut full = vec!["dg-import"];
    full.extend_from_slice(args);
    let full = full.into_iter().map(std::ffi::OsString::from).collect();
    let expanded = match dg_import::cli::job::expand(full, |n| std::env::var(n).ok()) {
        Ok(expanded) => expanded,
        Err(e) => return (dg_import::exit::code_of_error(&e), Some(format!("{e:#}"))),
    };
    let cli = dg_import::cli::Cli::try_parse_from(expanded).expect("arguments parse");
    let result = dg_import::execute(cli.command).await;
    (
        dg_import::exit::code_of(&result),
        result.err().map(|e| format!("{e:#}")),
    )
}

/// The arguments that reach `sb` quietly, its token in `dir/token`.
pub fn reach(sb: &Sandbox, dir: &Path) -> Vec<String> {
    let token = dir.join("token");
    std::fs::write(&token, sb.token()).unwrap();
    let token = token.display().to_string();
    ["--quiet", "--url", &sb.base_url(), "--token-file", &token]
        .map(String::from)
        .to_vec()
}

/// Runs `args` then the connection arguments (`reach`), in-process.
pub async fn dg_at(args: &[&str], connection: &[String]) -> (u8, Option<String>) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(connection.iter().map(String::as_str));
    dg(&all).await
}

/// The random kill points of a test, seeded: `DG_KILL_SEED` when set, else
/// drawn and printed, so that a failing test says the seed that replays it.
pub fn kill_points() -> fastrand::Rng {
    let seed = std::env::var("DG_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("kill points: DG_KILL_SEED={seed} replays them");
    fastrand::Rng::with_seed(seed)
}

/// The one way the tests start the binary: as a user's shell would, with
/// none of this machine's DataGalaxy settings or log level, and with the
/// default SIGHUP disposition even when the tests run under `nohup`.
pub fn binary() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dg-import"));
    cmd.env_remove("DATAGALAXY_URL")
        .env_remove("DATAGALAXY_TOKEN")
        .env_remove("RUST_LOG");
    // SAFETY: `signal` is async-signal-safe, as a `pre_exec` hook must be.
    #[cfg(unix)]
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_DFL);
            Ok(())
        });
    }
    cmd
}

/// The binary, run in `dir` against the API at `url` as a scheduler runs
/// it: quiet, the token from the environment, `--resume` when asked.
pub fn resumable(
    dir: &Path,
    (url, token): (&str, &str),
    args: &[&str],
    resume: bool,
) -> std::process::Command {
    let mut cmd = binary();
    cmd.args(args)
        .args(["--quiet", "--url", url])
        .env("DATAGALAXY_TOKEN", token)
        .current_dir(dir)
        .stderr(std::process::Stdio::null());
    if resume {
        cmd.arg("--resume");
    }
    cmd
}

/// The rows of a workbook's first sheet, as text.
pub fn sheet_rows(path: &Path) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// Ctrl-C, as a terminal sends it.
#[cfg(unix)]
pub fn interrupt(child: &std::process::Child) {
    send_signal(child, "INT");
}

#[cfg(unix)]
pub fn send_signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Reruns `report` (its token in `dir/token`) against `url` until no row is
/// left to do (`failed` or `skipped`), at most `max` times; after each
/// rerun, `each` gets how many rows it had to redo. Returns the reruns.
pub async fn rerun_until_clean(
    report: &Path,
    url: &str,
    extra: &[&str],
    max: usize,
    mut each: impl FnMut(usize),
) -> usize {
    let left = || {
        (read_report(report).1.iter())
            .filter(|r| r["result"] == "failed" || r["result"] == "skipped")
            .count()
    };
    let token = report.with_file_name("token").display().to_string();
    let report_arg = report.display().to_string();
    let mut reruns = 0;
    loop {
        let to_redo = left();
        if to_redo == 0 {
            return reruns;
        }
        reruns += 1;
        let counts: BTreeMap<String, usize> =
            (read_report(report).1.iter()).fold(BTreeMap::new(), |mut c, r| {
                *c.entry(r["result"].clone()).or_default() += 1;
                c
            });
        assert!(
            reruns <= max,
            "still {to_redo} rows to redo after {max} reruns: {counts:?}"
        );
        let mut args = vec!["rerun", &report_arg, "--token-file", &token, "--url", url];
        args.extend(["--quiet"]);
        args.extend_from_slice(extra);
        let (code, error) = dg(&args).await;
        assert!(code <= 1, "{error:?}");
        each(to_redo);
    }
}
