//! A blocked tenant stops every request at once; a flaky start does not end
//! a run; a systemic refusal stops it. Servers here are sandboxes with short
//! windows (a "hour" of a few seconds). Where time is the subject (a block,
//! a probe's delay, the hour's budget, `--max-wait`), the test runs on
//! tokio's paused clock, which the sandbox's windows and the client's pace
//! both keep: a 6-second hour and a 15-second probe delay pass in
//! milliseconds, in the order they would in real time.

use std::time::Duration;

use dg_import::sandbox::{LoggedRequest, Variant};

use crate::common::{
    copies, dg, fall_ill_at_first_write, import, posts, read_report, rerun_until_clean, sandbox,
    valid_rows,
};

fn refused(log: &[LoggedRequest]) -> usize {
    log.iter().filter(|r| r.status == Some(429)).count()
}

fn writes(log: &[LoggedRequest]) -> usize {
    log.iter()
        .filter(|r| r.method == "POST" || r.method == "PUT")
        .count()
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_tenant_that_blocks_and_counts_refused_requests_meets_few_of_them_and_the_run_finishes() {
    // Blocked for 3 s whenever 60 requests fall within 6 s; the block is
    // announced by an HTTP date only, and knocking during it makes it worse.
    let sb = sandbox(|c| {
        c.hourly_limit = 60;
        c.hour = Duration::from_secs(6);
        c.block = Duration::from_secs(3);
        c.variants.extend([
            Variant::RetryAfterDate,
            Variant::NoRateLimitHeader,
            Variant::CountRefused,
        ]);
    })
    .await;
    let out = import(
        &sb,
        &valid_rows(150),
        &["--rate", "50", "--batch-size", "1", "--concurrency", "50"],
    )
    .await;
    assert_eq!(
        out.results().get("created"),
        Some(&150),
        "{:?}",
        out.results()
    );
    assert_eq!(out.code, 0);
    let log = sb.requests();
    assert!(refused(&log) < 20, "{} requests met a 429", refused(&log));
    assert!(out.summary["pauses"].as_u64().unwrap() >= 1);
    assert_eq!(
        out.summary["rate_limited"].as_u64(),
        Some(refused(&log) as u64)
    );
    assert_eq!(copies(&sb).values().max(), Some(&1));
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn without_retry_after_a_short_block_costs_one_probe_delay_and_no_refused_probe() {
    // Blocked for 2 s whenever 40 requests fall within 5 s, with no hint at all.
    let sb = sandbox(|c| {
        c.hourly_limit = 40;
        c.hour = Duration::from_secs(5);
        c.block = Duration::from_secs(2);
        c.variants
            .extend([Variant::NoRetryAfter, Variant::NoRateLimitHeader]);
    })
    .await;
    let out = import(&sb, &valid_rows(60), &["--rate", "60", "--batch-size", "1"]).await;
    assert_eq!(
        out.results().get("created"),
        Some(&60),
        "{:?}",
        out.results()
    );
    let log = sb.requests();
    // Each pause ends with one probe, 15 s after the block began; the block
    // is long over by then, so the probe is answered and the run goes on.
    let pauses = out.summary["pauses"].as_u64().unwrap() as usize;
    assert!(pauses >= 1);
    let probes: Vec<&LoggedRequest> = log
        .windows(2)
        .filter(|pair| pair[1].at - pair[0].at >= Duration::from_secs(10))
        .map(|pair| &pair[1])
        .collect();
    assert_eq!(probes.len(), pauses, "one probe per pause");
    assert!(
        probes.iter().all(|p| p.status != Some(429)),
        "a probe was refused: the schedule should not have moved on"
    );
    // The requests that met the block were those already on their way.
    assert!(refused(&log) <= pauses * 5, "{} refused", refused(&log));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_short_runs_with_no_retries_against_a_flaky_server_all_get_past_their_set_up() {
    let sb = sandbox(|c| c.fail_rate = 0.3).await;
    for attempt in 0..5 {
        let out = import(
            &sb,
            &valid_rows(30).replace("source-", &format!("run{attempt}-")),
            &["--rate", "1000", "--max-retries", "0"],
        )
        .await;
        assert!(out.code <= 1, "run {attempt}: {:?}", out.error);
        assert_eq!(out.report.len(), 30, "run {attempt}: a report of every row");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_retries_at_a_quarter_of_failures_then_reruns_until_clean_create_each_row_once() {
    let sb = sandbox(|c| c.fail_rate = 0.25).await;
    // Row by row, so that many rows fail and need a rerun.
    let first = import(
        &sb,
        &valid_rows(300),
        &["--rate", "2000", "--max-retries", "0", "--batch-size", "1"],
    )
    .await;
    assert!(first.code <= 1, "{:?}", first.error);
    let report = first.dir.path().join("in.report.csv");
    let extra = ["--rate", "2000", "--max-retries", "0"];
    rerun_until_clean(&report, &sb.base_url(), &extra, 15, |_| {}).await;
    let rows = read_report(&report).1;
    assert!(rows.iter().all(|r| r["result"] == "created"), "{rows:?}");
    let held = copies(&sb);
    for i in 1..=300 {
        assert_eq!(
            held.get(&format!("source-{i:04}")),
            Some(&1),
            "source-{i:04}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_failing_every_request_stops_with_exit_3_having_written_nothing() {
    let sb = sandbox(|c| c.fail_rate = 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let (input, report, summary, token) = (
        dir.path().join("in.csv"),
        dir.path().join("in.report.csv"),
        dir.path().join("summary.json"),
        dir.path().join("token"),
    );
    std::fs::write(&input, valid_rows(5)).unwrap();
    std::fs::write(&token, sb.token()).unwrap();
    std::fs::write(&report, "an earlier report\n").unwrap();
    let args: Vec<String> = [
        "run",
        &input.display().to_string(),
        "--url",
        &sb.base_url(),
        "--token-file",
        &token.display().to_string(),
        "--report",
        &report.display().to_string(),
        "--summary-json",
        &summary.display().to_string(),
        "--quiet",
    ]
    .map(String::from)
    .to_vec();
    let (code, error) = dg(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(code, 3, "{error:?}");
    let error = error.unwrap();
    assert!(
        error.starts_with("listing workspaces: ") && error.ends_with("nothing was written"),
        "{error}"
    );
    assert!(error.contains("after 10 attempts"), "{error}");
    assert_eq!(writes(&sb.requests()), 0);
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "an earlier report\n"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(summary["exit_code"], 3);
    assert!(
        summary["stopped"]
            .as_str()
            .unwrap()
            .contains("listing workspaces"),
        "{summary}"
    );
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_block_longer_than_max_wait_during_set_up_stops_with_exit_3() {
    // Without the header, the client cannot see the line coming.
    let sb = sandbox(|c| {
        c.hourly_limit = 1;
        c.block = Duration::from_secs(600);
        c.variants.insert(Variant::NoRateLimitHeader);
    })
    .await;
    let out = import(&sb, &valid_rows(3), &["--max-wait", "2s"]).await;
    assert_eq!(out.code, 3, "{:?}", out.error);
    let error = out.error.unwrap();
    assert!(
        error.contains("--max-wait") && error.ends_with("nothing was written"),
        "{error}"
    );
    assert_eq!(writes(&sb.requests()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_refusing_every_write_with_one_message_stops_the_run_within_25_writes() {
    for batch in ["1", "10"] {
        let sb = sandbox(|c| {
            c.variants.insert(Variant::ReadOnly);
        })
        .await;
        let out = import(
            &sb,
            &valid_rows(200),
            &["--rate", "50", "--batch-size", batch],
        )
        .await;
        assert_eq!(out.code, 3, "batch {batch}: {:?}", out.results());
        let sent = posts(&sb.requests());
        assert!(sent <= 25, "batch {batch}: {sent} writes");
        let stopped = out.summary["stopped"].as_str().unwrap();
        assert!(
            stopped.contains("This workspace version is read-only"),
            "{stopped}"
        );
        // The rows of refused requests failed; the others were not attempted.
        let results = out.results();
        let failed = results.get("failed").copied().unwrap_or(0);
        assert_eq!(failed + results.get("skipped").copied().unwrap_or(0), 200);
        assert!(
            failed <= sent * batch.parse::<usize>().unwrap(),
            "{results:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_id_listing_that_keeps_failing_leaves_ids_empty_and_the_exit_code_alone() {
    // Slow answers, so that the server falls ill while the one bulk create
    // it has already accepted is still being answered.
    let sb = std::sync::Arc::new(sandbox(|c| c.latency = Duration::from_millis(200)).await);
    let ill = fall_ill_at_first_write(&sb, 1.0, 0.0);
    let out = import(
        &sb,
        &valid_rows(10),
        &["--rate", "1000", "--batch-size", "10"],
    )
    .await;
    ill.await.unwrap();
    assert_eq!(out.code, 0, "{:?}", out.error);
    assert_eq!(out.results().get("created"), Some(&10));
    assert!(out.report.iter().all(|r| r["source_id"].is_empty()));
    assert_eq!(copies(&sb).len(), 15);
}

/// 150 rows, one request each at 50 a second, against 60 requests per 6 s:
/// `X-RateLimit-Remaining` is kept as a promise, so no request meets a 429,
/// whether the tenant's hour slides or restarts all at once (both at once).
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_hourly_budget_the_header_gives_is_never_overrun_on_a_sliding_or_a_fixed_hour() {
    tokio::join!(never_overrun(false), never_overrun(true));
}

async fn never_overrun(fixed: bool) {
    let sb = sandbox(|c| {
        c.hourly_limit = 60;
        c.hour = Duration::from_secs(6);
        c.block = Duration::from_secs(3);
        if fixed {
            c.variants.insert(Variant::FixedHour);
        }
    })
    .await;
    let pace = [
        "--rate",
        "50",
        "--batch-size",
        "1",
        "--hour-secs",
        "6",
        "--hourly-limit",
        "300",
    ];
    let out = import(&sb, &valid_rows(150), &pace).await;
    assert_eq!(out.code, 0, "fixed hour {fixed}: {:?}", out.error);
    assert_eq!(out.summary["rate_limited"], 0, "fixed hour {fixed}");
    assert_eq!(refused(&sb.requests()), 0, "fixed hour {fixed}");
    assert_eq!(out.results().get("created"), Some(&150));
}
