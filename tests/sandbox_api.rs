//! The sandbox, spoken to over HTTP as any client would: every endpoint,
//! every knob, every variant.

use std::time::{Duration, Instant};

use dg_import::sandbox::{FOREIGN_ORIGIN, Sandbox, SandboxConfig, Variant};
use serde_json::{Value, json};

use crate::common::{http, sandbox};

pub struct Api {
    pub sandbox: Sandbox,
    client: reqwest::Client,
}

impl Api {
    pub async fn new(tune: impl FnOnce(&mut SandboxConfig)) -> Api {
        Api {
            sandbox: sandbox(tune).await,
            client: http(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth("sandbox-token")
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth("sandbox-token")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub fn version(&self) -> String {
        self.sandbox.default_version_id()
    }
}

pub async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_getting_started_flow_of_the_api_guide_works() {
    let api = Api::new(|_| {}).await;
    let (status, ws) = json_of(api.get("/workspaces").await).await;
    assert_eq!(status, 200);
    assert_eq!(ws["projects"][0]["name"], "My Workspace");
    let version = ws["projects"][0]["defaultVersionId"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, users) = json_of(api.get(&format!("/users/{version}?module=catalog")).await).await;
    assert_eq!(status, 200);
    assert_eq!(users["total"], 20, "{users}");
    assert!(users["pages"].as_u64().unwrap() >= 2);
    assert_eq!(users["results"][0]["email"], "john.doe@example.com");

    let (_, tags) = json_of(api.get("/tags").await).await;
    assert_eq!(tags["results"][0]["name"], "GDPR");

    let body = json!({"name": "My NoSQL source", "type": "NoSql", "tags": ["GDPR"],
                      "owners": ["john.doe@example.com"], "stewards": ["jane.doe@example.com"]});
    let (status, created) =
        json_of(api.post(&format!("/sources/{version}"), body.clone()).await).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["location"], format!("sources/{version}/{id}"));

    let (status, again) =
        json_of(api.post(&format!("/sources/{version}"), body.clone()).await).await;
    assert_eq!(status, 400);
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{again}"
    );

    let mut upsert = body;
    upsert["upsert"] = json!(true);
    upsert["summary"] = json!("now with a summary");
    let (status, updated) = json_of(api.post(&format!("/sources/{version}"), upsert).await).await;
    assert_eq!(status, 200);
    assert_eq!(updated["id"], id.as_str());

    let (status, source) = json_of(api.get(&format!("/sources/{version}/{id}")).await).await;
    assert_eq!(status, 200);
    assert_eq!(source["summary"], "now with a summary");
    assert_eq!(source["tags"], json!(["GDPR"]));
}

#[tokio::test]
async fn every_route_refuses_a_wrong_or_missing_token() {
    let api = Api::new(|_| {}).await;
    let wrong = api
        .client
        .get(api.url("/workspaces"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(wrong).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["status"], 401);
    let version = api.version();
    for path in [
        "/tags".to_owned(),
        format!("/users/{version}"),
        format!("/sources?versionId={version}"),
    ] {
        let res = api.client.get(api.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
    let res = api
        .client
        .post(api.url(&format!("/sources/{version}")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn pages_chain_by_absolute_next_page_until_the_last() {
    let api = Api::new(|_| {}).await;
    let version = api.version();
    let mut url = api.url(&format!("/users/{version}?module=catalog&limit=5"));
    let mut emails = vec![];
    let mut pages = 0;
    loop {
        let res = api
            .client
            .get(&url)
            .bearer_auth("sandbox-token")
            .send()
            .await
            .unwrap();
        let (_, page) = json_of(res).await;
        pages += 1;
        assert_eq!(page["total_sum"], 23);
        assert_eq!(page["pages"], 5);
        assert_eq!(
            page["total"].as_u64().unwrap() as usize,
            page["results"].as_array().unwrap().len()
        );
        emails.extend(
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        match page["next_page"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(emails.len(), 23);
    for bad in ["limit=0", "limit=5001", "limit=x", "page=0"] {
        let (status, body) = json_of(api.get(&format!("/tags?{bad}")).await).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
}

#[tokio::test]
async fn users_filter_by_email_in_any_case_and_by_role() {
    let api = Api::new(|_| {}).await;
    let version = api.version();
    let (_, one) = json_of(
        api.get(&format!("/users/{version}?email=MARC.fournier@example.com"))
            .await,
    )
    .await;
    assert_eq!(one["results"][0]["email"], "Marc.Fournier@Example.com");
    let (_, stewards) = json_of(
        api.get(&format!("/users/{version}?role=steward&limit=100"))
            .await,
    )
    .await;
    let (_, owners) = json_of(
        api.get(&format!("/users/{version}?role=owner&limit=100"))
            .await,
    )
    .await;
    assert!(stewards["total_sum"].as_u64() < Some(23) && owners["total_sum"].as_u64() < Some(23));
    let (status, _) = json_of(api.get("/users/no-such-version").await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn sources_list_filters_on_exact_technical_name_name_and_type() {
    let api = Api::new(|_| {}).await;
    let version = api.version();
    let (_, all) = json_of(
        api.get(&format!("/sources?versionId={version}&limit=100"))
            .await,
    )
    .await;
    assert_eq!(all["total_sum"], 5);
    assert_eq!(all["results"][3]["technicalName"], "hr_payroll_prod");
    assert_eq!(all["results"][0]["dataType"], "Source");
    let (_, exact) = json_of(
        api.get(&format!(
            "/sources?versionId={version}&technicalName=hr_payroll"
        ))
        .await,
    )
    .await;
    assert_eq!(exact["total_sum"], 0);
    let (_, by_type) = json_of(
        api.get(&format!("/sources?versionId={version}&type=NoSql"))
            .await,
    )
    .await;
    assert_eq!(by_type["results"][0]["name"], "Customer 360");
    let (status, _) = json_of(api.get("/sources").await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn tags_can_be_created_once() {
    let api = Api::new(|_| {}).await;
    let (status, _) = json_of(
        api.post("/tags", json!({"label": "Risk", "description": "d"}))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = json_of(api.post("/tags", json!({"label": "RISK"})).await).await;
    assert_eq!(status, 400, "{body}");
    let (_, tags) = json_of(api.get("/tags?limit=100").await).await;
    assert!(
        tags["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Risk")
    );
}

#[tokio::test]
async fn a_bulk_request_is_all_or_nothing_and_names_the_bad_item() {
    let api = Api::new(|_| {}).await;
    let version = api.version();
    let path = format!("/sources/bulk/{version}");
    let good = |n: usize| json!({"name": format!("bulk-{n}"), "type": "Relational"});
    let mut items: Vec<Value> = (0..10).map(good).collect();
    items[6] = json!({"name": "bad", "type": "Relational", "owners": ["nobody@example.com"]});
    let (status, body) = json_of(api.post(&path, Value::Array(items)).await).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("item 7: owners"),
        "{body}"
    );
    assert_eq!(api.sandbox.sources().len(), 5);

    let existing = vec![good(1), json!({"name": "Customer 360", "type": "NoSql"})];
    let (status, body) = json_of(api.post(&path, Value::Array(existing)).await).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("item 2"),
        "{body}"
    );

    let (status, _) = json_of(
        api.post(&path, Value::Array((0..101).map(good).collect()))
            .await,
    )
    .await;
    assert_eq!(status, 400);

    let (status, body) = json_of(
        api.post(&path, Value::Array((0..100).map(good).collect()))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"total": 100, "created": 100, "updated": 0, "deleted": 0, "unchanged": 0})
    );
    assert_eq!(api.sandbox.sources().len(), 105);
}

#[tokio::test]
async fn requests_above_the_rate_in_a_second_are_delayed_half_a_second() {
    let api = Api::new(|c| c.rate = 3).await;
    let started = Instant::now();
    let answers = futures::future::join_all((0..4).map(|_| async {
        api.get("/tags").await;
        started.elapsed()
    }))
    .await;
    // Which were held back is the sandbox's own account, whatever the
    // machine's speed: one of the four, by half a second.
    let log = api.sandbox.requests();
    let held: Vec<Duration> = log.iter().map(|r| r.delayed).collect();
    let half = Duration::from_millis(500);
    assert_eq!(held.iter().filter(|d| **d == half).count(), 1, "{log:?}");
    assert_eq!(held.iter().filter(|d| d.is_zero()).count(), 3, "{log:?}");
    // And it was held indeed: its answer came half a second later at least.
    let slow = answers.iter().filter(|d| **d >= half).count();
    assert!(slow >= 1, "{answers:?}");
}

#[tokio::test]
async fn crossing_the_hourly_limit_blocks_with_429_and_retry_after_until_the_block_ends() {
    let api = Api::new(|c| {
        c.hourly_limit = 3;
        c.block = Duration::from_secs(1);
    })
    .await;
    let mut remaining = vec![];
    for _ in 0..3 {
        let res = api.get("/tags").await;
        assert_eq!(res.status(), 200);
        remaining.push(
            res.headers()["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let blocked = api.get("/tags").await;
    let since = Instant::now();
    assert_eq!(blocked.status(), 429);
    assert_eq!(blocked.headers()["retry-after"], "1");
    assert_eq!(api.get("/workspaces").await.status(), 429);
    // Open again once the block is over (asked every 50 ms), never before.
    while api.get("/tags").await.status() == 429 {
        assert!(since.elapsed() < Duration::from_secs(10), "still blocked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        since.elapsed() >= Duration::from_millis(900),
        "{:?}",
        since.elapsed()
    );
}

#[tokio::test]
async fn retry_after_comes_as_an_http_date_or_not_at_all_under_those_variants() {
    for (variant, check) in [
        (Variant::RetryAfterDate, Some(true)),
        (Variant::NoRetryAfter, None),
    ] {
        let api = Api::new(|c| {
            c.hourly_limit = 1;
            c.variants.insert(variant);
        })
        .await;
        api.get("/tags").await;
        let blocked = api.get("/tags").await;
        assert_eq!(blocked.status(), 429);
        let header = blocked
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        match check {
            Some(_) => assert!(httpdate::parse_http_date(&header.unwrap()).is_ok()),
            None => assert_eq!(header, None),
        }
    }
}

#[tokio::test]
async fn injected_failures_are_503s_and_connections_closed_without_an_answer() {
    let api = Api::new(|c| c.fail_rate = 1.0).await;
    let (mut unavailable, mut dropped) = (0, 0);
    for _ in 0..30 {
        match api
            .client
            .get(api.url("/tags"))
            .bearer_auth("sandbox-token")
            .send()
            .await
        {
            Ok(res) => {
                assert_eq!(res.status(), 503);
                unavailable += 1;
            }
            Err(e) => {
                assert!(!e.is_connect() && !e.is_status(), "{e:?}");
                dropped += 1;
            }
        }
    }
    assert!(
        unavailable > 0 && dropped > 0,
        "{unavailable} 503s, {dropped} drops"
    );
    let log = api.sandbox.requests();
    assert_eq!(log.iter().filter(|r| r.status.is_none()).count(), dropped);
}

#[tokio::test]
async fn a_write_dropped_after_commit_is_applied_though_the_client_got_no_answer() {
    let api = Api::new(|c| c.drop_after_commit_rate = 1.0).await;
    let version = api.version();
    let res = api
        .client
        .post(api.url(&format!("/sources/{version}")))
        .bearer_auth("sandbox-token")
        .json(&json!({"name": "ghost", "type": "NoSql"}))
        .send()
        .await;
    assert!(res.is_err());
    assert!(api.sandbox.sources().iter().any(|s| s.name == "ghost"));
    let last = api.sandbox.requests().pop().unwrap();
    assert!(last.committed_then_dropped);
    // Reads are never dropped by this knob.
    assert_eq!(api.get("/tags").await.status(), 200);
}

#[tokio::test]
async fn latency_is_added_to_every_answer() {
    let api = Api::new(|c| c.latency = Duration::from_millis(200)).await;
    let started = Instant::now();
    api.get("/tags").await;
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn a_state_file_keeps_the_sources_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let api = Api::new(|c| c.state_file = Some(state.clone())).await;
    let version = api.version();
    let (_, created) = json_of(
        api.post(
            &format!("/sources/{version}"),
            json!({"name": "kept", "type": "NoSql"}),
        )
        .await,
    )
    .await;
    api.sandbox.shutdown().await.unwrap();
    let again = Api::new(|c| c.state_file = Some(state.clone())).await;
    assert_eq!(again.version(), version);
    let (status, source) = json_of(
        again
            .get(&format!(
                "/sources/{version}/{}",
                created["id"].as_str().unwrap()
            ))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(source["name"], "kept");
}

#[tokio::test]
async fn variants_change_the_shapes_the_contract_says_may_vary() {
    let api = Api::new(|c| {
        c.variants.extend([
            Variant::TagLabel,
            Variant::PlainErrors,
            Variant::UpsertCreated,
            Variant::PartialTechnicalName,
            Variant::NoRateLimitHeader,
        ])
    })
    .await;
    let version = api.version();
    let (_, tags) = json_of(api.get("/tags").await).await;
    assert_eq!(tags["results"][0]["label"], "GDPR");
    assert!(tags["results"][0].get("name").is_none());
    let (status, err) = json_of(
        api.post(&format!("/sources/{version}"), json!({"type": "NoSql"}))
            .await,
    )
    .await;
    assert_eq!((status, err), (400, json!({"error": "name: required"})));
    let res = api
        .post(
            &format!("/sources/{version}"),
            json!({"name": "Customer 360", "type": "NoSql", "upsert": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("x-ratelimit-remaining").is_none());
    let (_, partial) = json_of(
        api.get(&format!(
            "/sources?versionId={version}&technicalName=payroll"
        ))
        .await,
    )
    .await;
    assert_eq!(partial["results"][0]["technicalName"], "hr_payroll_prod");

    let paging = Api::new(|c| {
        c.variants.insert(Variant::NoNextPage);
    })
    .await;
    let (_, page) = json_of(paging.get("/tags?limit=2").await).await;
    assert!(page.get("next_page").is_none() && page.get("total_sum").is_none());
    assert_eq!(page["pages"], 5);

    let foreign = Api::new(|c| {
        c.variants.insert(Variant::ForeignNextPage);
    })
    .await;
    let (_, page) = json_of(foreign.get("/tags?limit=2").await).await;
    assert!(
        page["next_page"]
            .as_str()
            .unwrap()
            .starts_with(FOREIGN_ORIGIN)
    );

    let html = Api::new(|c| {
        c.variants.insert(Variant::HtmlErrors);
        c.fail_rate = 1.0;
    })
    .await;
    for _ in 0..20 {
        if let Ok(res) = html
            .client
            .get(html.url("/tags"))
            .bearer_auth("sandbox-token")
            .send()
            .await
        {
            assert_eq!(res.headers()["content-type"], "text/html");
            return;
        }
    }
    panic!("no 503 in 20 requests at fail rate 1");
}

#[tokio::test]
async fn attributes_are_listed_with_their_formats_and_values_and_writes_are_typed_by_them() {
    let api = Api::new(|_| {}).await;
    let (status, listed) = json_of(api.get("/attributes?dataType=source").await).await;
    assert_eq!(status, 200);
    let items = listed.as_array().expect("an array");
    let custom: Vec<(&str, &str)> = items
        .iter()
        .filter(|a| a["isCustom"] == true)
        .map(|a| (a["name"].as_str().unwrap(), a["format"].as_str().unwrap()))
        .collect();
    assert_eq!(custom.len(), 8);
    assert!(custom.contains(&("Data Domain", "ValueList")));
    assert!(
        items
            .iter()
            .any(|a| a["isCustom"] == false && a["attributeKey"] == "status")
    );
    let domain = items.iter().find(|a| a["name"] == "Data Domain").unwrap();
    assert_eq!(domain["values"][0], "Finance");
    let (_, other) = json_of(api.get("/attributes?dataType=table").await).await;
    assert_eq!(other, json!([]));

    let path = format!("/sources/{}", api.version());
    let body = json!({"name": "typed", "type": "NoSql", "Data Domain": "Finance",
                      "Contains PII": true, "Retention Years": 7, "Regions": ["EMEA"]});
    assert_eq!(api.post(&path, body).await.status().as_u16(), 201);
    let (status, refused) = json_of(
        api.post(
            &path,
            json!({"name": "b", "type": "NoSql", "Criticality": "High"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        refused
            .to_string()
            .contains("'Criticality': unknown attribute"),
        "{refused}"
    );
    let (status, refused) = json_of(
        api.post(
            &path,
            json!({"name": "c", "type": "NoSql", "Retention Years": "seven"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(refused.to_string().contains("is not a number"), "{refused}");
    let (_, listed) = json_of(
        api.get(&format!(
            "/sources?versionId={}&technicalName=typed&includeAttributes=true",
            api.version()
        ))
        .await,
    )
    .await;
    assert_eq!(listed["results"][0]["attributes"]["Retention Years"], 7);

    let hidden = Api::new(|c| {
        c.variants.insert(Variant::NoAttributeDefinitions);
    })
    .await;
    assert_eq!(
        hidden
            .get("/attributes?dataType=source")
            .await
            .status()
            .as_u16(),
        404
    );
}

/// What each of 40 listings met, asked in `order`: a status, or `None`
/// for a connection dropped unanswered.
async fn fates_of_listings(seed: u64, order: impl Iterator<Item = u32>) -> Vec<(u32, Option<u16>)> {
    let api = Api::new(|c| {
        c.fail_rate = 0.5;
        c.fault_seed = seed;
    })
    .await;
    let mut fates = Vec::new();
    for i in order {
        let sent = (api.client.get(api.url(&format!("/tags?page={i}"))))
            .bearer_auth("sandbox-token")
            .send()
            .await;
        fates.push((i, sent.ok().map(|r| r.status().as_u16())));
    }
    fates.sort();
    fates
}

#[tokio::test]
async fn one_fault_seed_fails_the_same_requests_whatever_their_order() {
    let forward = fates_of_listings(11, 1..=40).await;
    let backward = fates_of_listings(11, (1..=40).rev()).await;
    assert_eq!(forward, backward);
    let failed = forward.iter().filter(|(_, s)| *s != Some(200)).count();
    assert!((5..=35).contains(&failed), "about half fail: {forward:?}");
    assert!(forward.iter().any(|(_, s)| s.is_none()), "some dropped");
    assert!(
        forward.iter().any(|(_, s)| *s == Some(503)),
        "some answered 503"
    );
    let other = fates_of_listings(12, 1..=40).await;
    assert_ne!(forward, other, "another seed fails other requests");
}
