//! `cargo bench --bench import`: the importer against its ceiling. Each
//! scenario starts a sandbox in this process, runs the real `dg-import`
//! binary as a child on generated rows, and prints one line: rows, requests,
//! wall seconds, rows/s, the pace (requests per second from the first request
//! to the last, as the server saw them) over `--rate`, the child's own CPU
//! seconds (user + sys, from wait4) and its peak RSS (VmHWM). Loopback only; every
//! scenario ends by itself. Export scenarios list the held sources (5,000 a
//! page: their "batch") and write them.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use dg_import::sandbox::{Sandbox, SandboxConfig, StoredSource, Variant};

struct Scenario {
    name: &'static str,
    rows: usize,
    /// The sandbox's throttle and latency.
    server_rate: u32,
    latency: Duration,
    fail_rate: f64,
    /// `run` or `check`.
    command: &'static str,
    /// The client's `--rate` (the ceiling the pace is compared to).
    rate: u32,
    /// Rows per request (`--batch-size`): the ceiling is `rate × batch` rows/s.
    batch: u32,
    extra: &'static [&'static str],
    /// A nightly re-import: the sandbox already holds every row's source,
    /// and the file changes the summary of one row in a hundred.
    nightly: bool,
    variants: &'static [Variant],
    /// A dictionary of 1,000,000 fields instead of sources (`rows` fields).
    dictionary: bool,
}

impl Scenario {
    /// The file is a dictionary (`write_dictionary`); nightly, the sandbox
    /// holds it first, as a first import wrote it.
    fn dictionary(self) -> Scenario {
        Scenario {
            dictionary: true,
            ..self
        }
    }

    fn nightly(self, variants: &'static [Variant]) -> Scenario {
        Scenario {
            nightly: true,
            variants,
            ..self
        }
    }
}

/// Row `i` as the sandbox holds it after the first import.
fn held(i: usize, version_id: &str) -> StoredSource {
    StoredSource {
        id: format!("bench-id-{i:07}"),
        version_id: version_id.to_owned(),
        name: format!("bench-{i:07}"),
        technical_name: format!("bench-{i:07}"),
        source_type: "Relational".into(),
        status: None,
        owners: vec!["john.doe@example.com".into()],
        stewards: vec!["jane.doe@example.com".into()],
        tags: vec!["GDPR".into(), "Finance".into()],
        summary: Some(format!("row {i}")),
        description: None,
        // Typed custom attributes of the built-in seed, as a tenant has them.
        attributes: serde_json::json!({
            "Data Domain": (["Finance", "Sales", "Operations"][i % 3]),
            "Contains PII": i.is_multiple_of(2),
            "Retention Years": i % 10,
            "Regions": ["EMEA", "APAC"],
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    }
}

struct Measured {
    requests: usize,
    wall: Duration,
    pace: f64,
    cpu: Duration,
    max_rss_kib: i64,
    code: i32,
}

fn write_rows(path: &Path, rows: usize, nightly: bool) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "name,type,owners,stewards,tags,summary").unwrap();
    for i in 0..rows {
        let changed = if nightly && i % 100 == 0 {
            " (changed)"
        } else {
            ""
        };
        writeln!(
            out,
            "bench-{i:07},Relational,john.doe@example.com,jane.doe@example.com,GDPR;Finance,row {i}{changed}"
        )
        .unwrap();
    }
}

/// The child's peak RSS in KiB, read from `/proc` while it runs. (wait4's
/// `ru_maxrss` will not do: it keeps the high-water mark of the memory the
/// child shared with this process before exec, and this process holds the
/// sandboxes of the scenarios before.)
#[cfg(unix)]
fn watch_peak_rss(pid: u32) -> std::thread::JoinHandle<i64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) else {
                break;
            };
            let kib = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak = peak.max(kib);
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    })
}

/// Waits for the child; its exit code, CPU time (user + sys) and peak RSS.
#[cfg(unix)]
fn wait_with_usage(child: std::process::Child) -> (i32, Duration, i64) {
    let peak = watch_peak_rss(child.id());
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid, with valid pointers to locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(pid > 0, "wait4 failed");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (
        code,
        tv(usage.ru_utime) + tv(usage.ru_stime),
        peak.join().unwrap(),
    )
}

/// Elsewhere the child's CPU time and memory are not read.
#[cfg(not(unix))]
fn wait_with_usage(mut child: std::process::Child) -> (i32, Duration, i64) {
    let code = child.wait().map_or(-1, |s| s.code().unwrap_or(-1));
    (code, Duration::ZERO, 0)
}

async fn measure(s: &Scenario) -> Measured {
    let sandbox = Sandbox::start(SandboxConfig {
        rate: s.server_rate,
        hourly_limit: u32::MAX,
        latency: s.latency,
        fail_rate: s.fail_rate,
        variants: s.variants.iter().copied().collect(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.csv");
    match (s.dictionary, s.nightly) {
        (true, nightly) => {
            if nightly {
                hold_dictionary(&sandbox, s.rows).await;
            }
            write_dictionary(&input, s.rows, nightly);
        }
        (false, nightly) => {
            if nightly {
                let version = sandbox.default_version_id();
                sandbox.add_sources((0..s.rows).map(|i| held(i, &version)));
            }
            write_rows(&input, s.rows, nightly);
        }
    }
    let log_before = sandbox.requests().len();
    let rate = s.rate.to_string();
    let started = Instant::now();
    // `export` reads no file and sends no batch: it writes `extra`'s --output.
    let exporting = s.command == "export";
    let input_args = if exporting {
        vec![]
    } else {
        vec![input.clone()]
    };
    // `check` sends nothing: it takes no --batch-size; a dictionary goes
    // in trees.
    let batch_args = if exporting || s.command == "check" || s.dictionary {
        vec![]
    } else {
        vec!["--batch-size".to_owned(), s.batch.to_string()]
    };
    let child = Command::new(env!("CARGO_BIN_EXE_dg-import"))
        .arg(s.command)
        .args(&input_args)
        .args([
            "--quiet",
            "--url",
            &sandbox.base_url(),
            "--rate",
            &rate,
            "--hourly-limit",
            "1000000000",
        ])
        .args(&batch_args)
        .args(s.extra)
        .env("DATAGALAXY_TOKEN", sandbox.token())
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (code, cpu, max_rss_kib) = tokio::task::spawn_blocking(move || wait_with_usage(child))
        .await
        .unwrap();
    let wall = started.elapsed();
    let log = sandbox.requests().split_off(log_before);
    let span = log.last().map_or(0.0, |l| (l.at - log[0].at).as_secs_f64());
    let pace = if span > 0.0 {
        (log.len() - 1) as f64 / span / f64::from(s.rate)
    } else {
        0.0
    };
    sandbox.shutdown().await.unwrap();
    Measured {
        requests: log.len(),
        wall,
        pace,
        cpu,
        max_rss_kib,
        code,
    }
}

/// One scenario, with the figures that do not vary.
#[allow(clippy::too_many_arguments)]
fn scenario(
    name: &'static str,
    rows: usize,
    server_rate: u32,
    latency_ms: u64,
    fail_rate: f64,
    command: &'static str,
    rate: u32,
    batch: u32,
    extra: &'static [&'static str],
) -> Scenario {
    let latency = Duration::from_millis(latency_ms);
    Scenario {
        name,
        rows,
        server_rate,
        latency,
        fail_rate,
        command,
        rate,
        batch,
        extra,
        nightly: false,
        variants: &[],
        dictionary: false,
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let max = 1_000_000;
    let scenarios = [
        scenario(
            "(a) one request per row, 100/s, 50 ms latency",
            3_000,
            100,
            50,
            0.0,
            "run",
            100,
            1,
            &[],
        ),
        scenario(
            "(b) as (a), 5% of requests failing",
            3_000,
            100,
            50,
            0.05,
            "run",
            100,
            1,
            &["--max-retries", "10"],
        ),
        scenario(
            "(c) bulk, 100 per request, 20/s, 50 ms latency",
            20_000,
            20,
            50,
            0.0,
            "run",
            20,
            100,
            &[],
        ),
        scenario(
            "(d) client cost: unthrottled, no latency",
            20_000,
            u32::MAX,
            0,
            0.0,
            "run",
            max,
            1,
            &["--concurrency", "32"],
        ),
        scenario(
            "(e) check of 1,000,000 rows",
            1_000_000,
            u32::MAX,
            0,
            0.0,
            "check",
            max,
            1,
            &[],
        ),
        scenario(
            "(f) nightly: 100,000 held, 1% changed, 8/s, 80 ms",
            100_000,
            8,
            80,
            0.0,
            "run",
            8,
            100,
            &["--if-exists", "update"],
        )
        .nightly(&[]),
        scenario(
            "(g) as (f), --batch-size 1",
            100_000,
            8,
            80,
            0.0,
            "run",
            8,
            1,
            &["--if-exists", "update"],
        )
        .nightly(&[]),
        scenario(
            "(h) as (f), listing without attributes",
            100_000,
            8,
            80,
            0.0,
            "run",
            8,
            100,
            &["--if-exists", "update"],
        )
        .nightly(&[Variant::NoAttributes]),
        scenario(
            "(i) export of 100,000 sources to CSV, 8/s, 80 ms",
            100_000,
            8,
            80,
            0.0,
            "export",
            8,
            5_000,
            &["--output", "catalog.csv"],
        )
        .nightly(&[]),
        scenario(
            "(j) as (i), to a workbook",
            100_000,
            8,
            80,
            0.0,
            "export",
            8,
            5_000,
            &["--output", "catalog.xlsx"],
        )
        .nightly(&[]),
        scenario(
            "(l) dictionary: first import of 1,000,000 fields",
            1_000_000,
            8,
            80,
            0.0,
            "run",
            8,
            5_000,
            &[],
        )
        .dictionary(),
        scenario(
            "(m) dictionary: nightly, 1% edited, 0.1% gone",
            1_000_000,
            8,
            80,
            0.0,
            "run",
            8,
            5_000,
            &[
                "--if-exists",
                "update",
                "--retire-missing",
                "technicalName:dwh*",
            ],
        )
        .dictionary()
        .nightly(&[]),
        scenario(
            "(n) dictionary: check of 1,000,000 fields",
            1_000_000,
            u32::MAX,
            0,
            0.0,
            "check",
            max,
            5_000,
            &[],
        )
        .dictionary(),
    ];
    let sandbox = "(k) the sandbox holding 1,000,000 sources";
    if only.as_ref().is_none_or(|o| sandbox.contains(o.as_str())) {
        runtime.block_on(sandbox_scale(sandbox));
    }
    let dictionary = "(k2) the sandbox holding 1,000,000 fields";
    if only
        .as_ref()
        .is_none_or(|o| dictionary.contains(o.as_str()))
    {
        runtime.block_on(sandbox_dictionary_scale(dictionary));
    }
    println!(
        "{:<48} {:>9} {:>9} {:>7} {:>8} {:>10} {:>9} {:>7} {:>10} {:>8}",
        "scenario",
        "rows",
        "requests",
        "wall s",
        "rows/s",
        "of ceiling",
        "pace/rate",
        "cpu s",
        "cpu µs/row",
        "peak RSS"
    );
    for s in scenarios
        .iter()
        .filter(|s| only.as_ref().is_none_or(|o| s.name.contains(o.as_str())))
    {
        let m = runtime.block_on(measure(s));
        let rows_per_sec = s.rows as f64 / m.wall.as_secs_f64();
        let throttled = s.rate < max;
        let percent = |x: f64| {
            if throttled {
                format!("{:.1}%", x * 100.0)
            } else {
                "-".to_owned()
            }
        };
        // The ceiling: every request allowed by --rate carrying a full batch.
        let ceiling = f64::from(s.rate) * f64::from(s.batch);
        println!(
            "{:<48} {:>9} {:>9} {:>7.1} {:>8.0} {:>10} {:>9} {:>7.2} {:>10.1} {:>5} MB{}",
            s.name,
            s.rows,
            m.requests,
            m.wall.as_secs_f64(),
            rows_per_sec,
            percent(rows_per_sec / ceiling),
            percent(m.pace),
            m.cpu.as_secs_f64(),
            m.cpu.as_secs_f64() * 1e6 / s.rows as f64,
            m.max_rss_kib / 1024,
            if m.code > 1 {
                format!("  (exit {})", m.code)
            } else {
                String::new()
            },
        );
    }
}

/// This process's resident memory now (VmRSS), in MiB.
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:"));
    let kib: u64 = line
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    kib / 1024
}

/// A sandbox with no throttle, and a client for it.
async fn unthrottled() -> (Sandbox, reqwest::Client) {
    let sandbox = Sandbox::start(SandboxConfig {
        rate: u32::MAX,
        hourly_limit: u32::MAX,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    (sandbox, reqwest::Client::new())
}

/// The time of page 150 of 5,000 `kind` with their attributes.
async fn page_of_5000(sandbox: &Sandbox, http: &reqwest::Client, kind: &str) {
    let version = sandbox.default_version_id();
    let page = format!(
        "{}/{kind}?versionId={version}&includeAttributes=true&page=150&limit=5000",
        sandbox.base_url()
    );
    let started = Instant::now();
    let listed = http
        .get(&page)
        .bearer_auth(sandbox.token())
        .send()
        .await
        .unwrap();
    let bytes = listed.bytes().await.unwrap().len();
    println!(
        "  a listing page of 5,000 {kind} at 1,000,000 held: {:.0} ms ({} KiB)",
        started.elapsed().as_secs_f64() * 1e3,
        bytes / 1024
    );
}

/// Field `i` of the bench's dictionary: 100 sources × 20 schemas × 50
/// tables × 10 columns, as (source, schema, table, column).
fn field(i: usize) -> (usize, usize, usize, usize) {
    (i / 10_000, i / 500 % 20, i / 10 % 50, i % 10)
}

/// The dictionary of `fields` fields, one row per field; nightly, one field
/// in a hundred has a new description and one in a thousand is gone.
fn write_dictionary(path: &Path, fields: usize, nightly: bool) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        "source,schema,table,column,data type,size,order,description"
    )
    .unwrap();
    for i in 0..fields {
        if nightly && i % 1000 == 500 {
            continue;
        }
        let edited = if nightly && i % 100 == 0 {
            "edited"
        } else {
            ""
        };
        let (s, m, t, c) = field(i);
        writeln!(
            out,
            "dwh{s:03},m{m:02},t{t:02},c{c:02},VariableString,40,{c},{edited}"
        )
        .unwrap();
    }
}

/// Source `s` of the bench's dictionary as one bulktree: 20 schemas of 50
/// tables of 10 columns, as `write_dictionary` writes them.
fn source_tree(s: usize) -> serde_json::Value {
    let column = |c: usize| {
        serde_json::json!({"name": format!("c{c:02}"), "type": "Column",
        "columnDataType": "VariableString", "size": 40, "order": c})
    };
    let table = |t: usize| {
        serde_json::json!({"name": format!("t{t:02}"), "type": "Table",
        "children": (0..10).map(column).collect::<Vec<_>>()})
    };
    let schema = |m: usize| {
        serde_json::json!({"name": format!("m{m:02}"), "type": "Model",
        "children": (0..50).map(table).collect::<Vec<_>>()})
    };
    serde_json::json!({"name": format!("dwh{s:03}"), "type": "Relational",
        "children": (0..20).map(schema).collect::<Vec<_>>()})
}

/// The sandbox given the bench's dictionary as a first import left it:
/// one bulktree a source, straight to its route.
async fn hold_dictionary(sandbox: &Sandbox, fields: usize) {
    use futures::StreamExt;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let version = sandbox.default_version_id();
    let url = format!("{}/sources/bulktree/{version}", sandbox.base_url());
    let tree = |s: usize| {
        let request = (http.post(&url).bearer_auth(sandbox.token())).json(&source_tree(s));
        async move { request.send().await.map(|r| r.status().as_u16()) }
    };
    let mut sent = futures::stream::iter(0..fields.div_ceil(10_000))
        .map(tree)
        .buffer_unordered(4);
    while let Some(status) = sent.next().await {
        assert_eq!(status.unwrap(), 200);
    }
}

/// (k): the sandbox's own speed as it fills: sources created 100 a request,
/// 8 requests at once, straight to its bulk route (no client pace); the
/// rate over the 10,000 sources before 10k, 100k and 1M, the process's
/// memory there, and the time of a listing page of 5,000 at the end.
async fn sandbox_scale(name: &str) {
    use futures::StreamExt;
    let (sandbox, http) = unthrottled().await;
    let version = sandbox.default_version_id();
    let url = format!("{}/sources/bulk/{version}", sandbox.base_url());
    let batch = |b: usize| {
        let items: Vec<serde_json::Value> = (b * 100..(b + 1) * 100)
            .map(|i| serde_json::json!({"name": format!("s{i:07}"), "type": "NoSql"}))
            .collect();
        let request = http.post(&url).bearer_auth(sandbox.token()).json(&items);
        async move { request.send().await.map(|r| r.status().as_u16()) }
    };
    println!("{name}");
    let mut made = 0;
    for goal in [10_000usize, 100_000, 1_000_000] {
        let before_window = goal - 10_000;
        let mut sent = futures::stream::iter(made / 100..before_window / 100)
            .map(batch)
            .buffer_unordered(8);
        while let Some(status) = sent.next().await {
            assert_eq!(status.unwrap(), 200);
        }
        let started = Instant::now();
        let mut sent = futures::stream::iter(before_window / 100..goal / 100)
            .map(batch)
            .buffer_unordered(8);
        while let Some(status) = sent.next().await {
            assert_eq!(status.unwrap(), 200);
        }
        let rate = 10_000.0 / started.elapsed().as_secs_f64();
        made = goal;
        println!(
            "  at {goal:>9} sources: {rate:>8.0} sources/s created, {:>5} MiB resident",
            rss_mib()
        );
    }
    page_of_5000(&sandbox, &http, "sources").await;
    sandbox.shutdown().await.unwrap();
}

/// (k2): the sandbox's dictionary at the scale of a warehouse: 100 sources
/// of 20 schemas of 50 tables of 10 columns (1,000,000 fields), one
/// bulktree a source, 4 at once; the time of each tenth of them, the
/// process's memory, and a listing page of 5,000 fields at the end.
async fn sandbox_dictionary_scale(name: &str) {
    use futures::StreamExt;
    let (sandbox, http) = unthrottled().await;
    let version = sandbox.default_version_id();
    let url = format!("{}/sources/bulktree/{version}", sandbox.base_url());
    let tree = |s: usize| {
        let request = (http.post(&url).bearer_auth(sandbox.token())).json(&source_tree(s));
        async move { request.send().await.map(|r| r.status().as_u16()) }
    };
    println!("{name}");
    for tenth in 0..10 {
        let started = Instant::now();
        let mut sent = futures::stream::iter(tenth * 10..(tenth + 1) * 10)
            .map(tree)
            .buffer_unordered(4);
        while let Some(status) = sent.next().await {
            assert_eq!(status.unwrap(), 200);
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  at {:>9} fields: {:>8.0} fields/s written, {:>5} MiB resident",
            (tenth + 1) * 100_000,
            100_000.0 / secs,
            rss_mib()
        );
    }
    page_of_5000(&sandbox, &http, "fields").await;
    sandbox.shutdown().await.unwrap();
}
