//! `dg-import run` against a sandbox that fails: retries without duplicates,
//! the 429 pause, the breaker, `--max-wait`, a refused token.

use std::time::Duration;

use dg_import::sandbox::Variant;

use crate::common::{
    assert_ids_are_the_servers, copies, import, import_with_token, posts, sandbox, valid_rows,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_and_writes_dropped_after_commit_are_retried_without_a_single_duplicate() {
    let sb = sandbox(|c| {
        c.fail_rate = 0.25;
        c.drop_after_commit_rate = 0.25;
    })
    .await;
    let out = import(
        &sb,
        &valid_rows(80),
        &["--rate", "1000", "--max-retries", "12", "--batch-size", "1"],
    )
    .await;
    assert_eq!(
        out.results().get("created"),
        Some(&80),
        "{:?}",
        out.report.iter().find(|r| r["result"] != "created")
    );
    assert_eq!(out.code, 0);
    let copies = copies(&sb);
    assert_eq!(copies.len(), 85);
    assert_eq!(copies.values().max(), Some(&1));
    // Every id in the report is the one the server holds.
    assert_ids_are_the_servers(&sb, &out.report);
    assert!(
        out.report
            .iter()
            .any(|r| r["attempts"].parse::<u32>().unwrap() > 1)
    );
    assert!(out.summary["retries"].as_u64().unwrap() > 0);
    assert!(sb.requests().iter().any(|r| r.committed_then_dropped));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_pauses_the_whole_run_until_retry_after_and_no_row_fails_for_it() {
    for variant in [Variant::NoRateLimitHeader, Variant::RetryAfterDate] {
        let sb = sandbox(|c| {
            c.hourly_limit = 12;
            c.block = Duration::from_secs(2);
            // Without the header the client cannot see the line coming.
            c.variants.extend([Variant::NoRateLimitHeader, variant]);
        })
        .await;
        let out = import(
            &sb,
            &valid_rows(20),
            &["--rate", "200", "--concurrency", "4", "--batch-size", "1"],
        )
        .await;
        assert_eq!(
            out.results().get("created"),
            Some(&20),
            "{variant:?}: {:?}",
            out.results()
        );
        assert!(out.summary["rate_limited"].as_u64().unwrap() >= 1);
        let log = sb.requests();
        let first_429 = log
            .iter()
            .find(|r| r.status == Some(429))
            .expect("a 429")
            .at;
        // Only requests already in flight may arrive after it; then silence until the block ends.
        let early: Vec<_> = log
            .iter()
            .filter(|r| {
                r.at > first_429 + Duration::from_millis(200)
                    && r.at < first_429 + Duration::from_millis(1900)
            })
            .collect();
        assert!(
            early.is_empty(),
            "{variant:?}: requests during the block: {early:?}"
        );
        assert_eq!(copies(&sb).values().max(), Some(&1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_longer_than_max_wait_stops_the_run_with_the_rest_skipped() {
    let sb = sandbox(|c| {
        c.hourly_limit = 8;
        c.block = Duration::from_secs(120);
        c.variants.insert(Variant::NoRateLimitHeader);
    })
    .await;
    let out = import(
        &sb,
        &valid_rows(30),
        &[
            "--rate",
            "200",
            "--concurrency",
            "2",
            "--max-wait",
            "1s",
            "--batch-size",
            "1",
        ],
    )
    .await;
    assert_eq!(out.code, 3);
    assert_eq!(out.report.len(), 30);
    let results = out.results();
    assert!(
        results.get("skipped").copied().unwrap_or(0) >= 20,
        "{results:?}"
    );
    assert_eq!(results.get("failed"), None, "{results:?}");
    assert!(
        out.summary["stopped"]
            .as_str()
            .unwrap()
            .contains("--max-wait")
    );
    let skipped = out
        .report
        .iter()
        .find(|r| r["result"] == "skipped")
        .unwrap();
    assert!(skipped["error"].contains("--max-wait"), "{skipped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_rows_in_a_row_failing_on_the_server_trip_the_breaker() {
    let sb = std::sync::Arc::new(sandbox(|_| {}).await);
    let watcher = tokio::spawn({
        let sb = sb.clone();
        async move {
            // The server falls ill once the first rows went through.
            crate::common::wait_for("5 writes", 60, || posts(&sb.requests()) >= 5).await;
            sb.set_faults(1.0, 0.0);
        }
    });
    let out = import(
        &sb,
        &valid_rows(300),
        &[
            "--rate",
            "100",
            "--concurrency",
            "2",
            "--max-retries",
            "0",
            "--batch-size",
            "1",
        ],
    )
    .await;
    watcher.await.unwrap();
    assert_eq!(out.code, 3);
    assert_eq!(out.report.len(), 300);
    let results = out.results();
    assert!(
        results["failed"] >= 20 && results["failed"] < 30,
        "{results:?}"
    );
    assert!(results["skipped"] > 200, "{results:?}");
    assert!(
        out.summary["stopped"]
            .as_str()
            .unwrap()
            .contains("20 rows in a row"),
        "{}",
        out.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_the_run_before_any_write_with_exit_3() {
    let sb = sandbox(|_| {}).await;
    let out = import_with_token(&sb, "not-the-token", &valid_rows(3), &[]).await;
    assert_eq!(out.code, 3);
    assert_eq!(posts(&sb.requests()), 0);
    assert_eq!(sb.requests().len(), 1, "a 401 is never retried");
}
