//! Bulk mode (`--batch-size`): rows that create go 1..100 per request; bad
//! rows are isolated by halving; ids come from one listing; no duplicate.

use std::sync::Arc;

use dg_import::sandbox::Sandbox;

use crate::common::{
    assert_ids_are_the_servers, copies, http, import, kill_after_writes, resumable, sandbox,
    valid_rows,
};

fn bulk_posts(sb: &Sandbox) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.contains("/sources/bulk/"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_create_every_row_once_with_its_id_in_a_handful_of_requests() {
    let sb = sandbox(|_| {}).await;
    let mut csv = valid_rows(250);
    csv.push_str("Customer 360,NoSql,,,,exists: fails without being sent\n");
    csv.push_str("late one,Relational,,,,after the existing one\n");
    let out = import(&sb, &csv, &["--batch-size", "50", "--rate", "1000"]).await;
    assert_eq!(
        out.results().get("created"),
        Some(&251),
        "{:?}",
        out.results()
    );
    assert_eq!(out.results().get("failed"), Some(&1));
    let exists = out.row(252);
    assert_eq!(
        (exists["attempts"].as_str(), exists["http_status"].as_str()),
        ("0", "")
    );
    assert!(exists["error"].starts_with("already exists"));
    // 251 creates in batches of 50: 5 full ones and the last row alone.
    assert_eq!(bulk_posts(&sb), 6);
    // 5 lookups, 6 batches, 1 listing for the ids.
    assert_eq!(
        sb.requests().len(),
        12,
        "{:?}",
        sb.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert_ids_are_the_servers(&sb, &out.report);
    assert_eq!(copies(&sb).values().max(), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_bad_rows_ends_with_exactly_those_rows_failed() {
    let sb = Arc::new(sandbox(|_| {}).await);
    // Sources made by someone else after the importer listed them: the
    // importer cannot know, and the server refuses each batch holding one.
    let conflicts = ["source-0010", "source-0120", "source-0121", "source-0200"];
    let meddler = tokio::spawn({
        let sb = sb.clone();
        async move {
            let listed = || {
                (sb.requests().iter())
                    .any(|r| r.path.starts_with("/v2/sources?") && r.status.is_some())
            };
            crate::common::wait_for("the importer's listing", 60, listed).await;
            let url = format!("{}/sources/{}", sb.base_url(), sb.default_version_id());
            for name in conflicts {
                let body = serde_json::json!({"name": name, "type": "NoSql"});
                let res = http()
                    .post(&url)
                    .bearer_auth(sb.token())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        }
    });
    let out = import(
        &sb,
        &valid_rows(200),
        &["--batch-size", "50", "--rate", "5"],
    )
    .await;
    meddler.await.unwrap();
    let failed: Vec<&str> = out
        .report
        .iter()
        .filter(|r| r["result"] == "failed")
        .map(|r| r["name"].as_str())
        .collect();
    assert_eq!(failed, conflicts);
    for name in conflicts {
        let row = out.report.iter().find(|r| r["name"] == name).unwrap();
        assert!(row["error"].contains("already exists"), "{row:?}");
        assert_eq!(row["http_status"], "400");
    }
    assert_eq!(out.results().get("created"), Some(&196));
    assert_ids_are_the_servers(&sb, &out.report);
    assert_eq!(copies(&sb).values().max(), Some(&1));
    // Stated bound: one request per batch, plus for each bad row at most two
    // requests per halving level (50 → 25 → 13 → 7 → 4 → 2 → 1: six levels).
    let bound = 4 + conflicts.len() * 2 * 6;
    assert!(
        bulk_posts(&sb) <= bound,
        "{} bulk requests, bound {bound}",
        bulk_posts(&sb)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_under_failures_and_lost_answers_make_no_duplicate() {
    let sb = sandbox(|c| {
        c.fail_rate = 0.2;
        c.drop_after_commit_rate = 0.2;
    })
    .await;
    let out = import(
        &sb,
        &valid_rows(300),
        &[
            "--batch-size",
            "25",
            "--rate",
            "1000",
            "--max-retries",
            "15",
        ],
    )
    .await;
    assert_eq!(
        out.results().get("created"),
        Some(&300),
        "{:?}",
        out.results()
    );
    assert_eq!(copies(&sb).values().max(), Some(&1));
    assert_eq!(copies(&sb).len(), 305);
    assert_ids_are_the_servers(&sb, &out.report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_import_killed_mid_batch_and_resumed_ends_complete_without_duplicates() {
    let sb = sandbox(|c| {
        c.fail_rate = 0.1;
        c.drop_after_commit_rate = 0.1;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), valid_rows(1000)).unwrap();
    let url = sb.base_url();
    let run = |resume: bool| {
        let args = [
            "run",
            "in.csv",
            "--batch-size",
            "20",
            "--rate",
            "10",
            "--max-retries",
            "20",
        ];
        resumable(dir.path(), (&url, sb.token()), &args, resume)
    };
    // Five kills at random moments, each at most 8 requests on: 50 batches
    // of 20 cannot all be written before the fifth.
    let mut kills = 0;
    let mut points = crate::common::kill_points();
    for n in 0..5 {
        if kill_after_writes(&sb, &mut run(n > 0), points.usize(2..8)).await {
            kills += 1;
        }
    }
    assert_eq!(kills, 5, "the import finished before its fifth kill");
    let mut last = run(true);
    let status = tokio::task::spawn_blocking(move || last.status().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let (_, report) = crate::common::read_report(&dir.path().join("in.report.csv"));
    assert_eq!(report.len(), 1000);
    assert!(report.iter().all(|r| r["result"] == "created"));
    assert_eq!(copies(&sb).len(), 1005);
    assert_eq!(copies(&sb).values().max(), Some(&1));
    assert_ids_are_the_servers(&sb, &report);
}
