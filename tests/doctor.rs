//! `dg-import doctor`, as a new user meets it: against a sandbox in each of
//! the API's variations, it says what the tenant does, never its token.

use std::process::Output;

use dg_import::sandbox::{Sandbox, SandboxConfig, Variant};
use serde_json::Value;

use crate::common::sandbox;

/// `dg-import doctor ARGS --url <sandbox>`, its token in the environment.
async fn doctor(sb: &Sandbox, args: &[&str]) -> Output {
    let mut cmd = crate::common::binary();
    cmd.arg("doctor")
        .args(args)
        .args(["--url", &sb.base_url()])
        .env("DATAGALAXY_TOKEN", sb.token())
        .stdin(std::process::Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Its `--json` finding, and its exit code.
async fn findings(sb: &Sandbox, args: &[&str]) -> (i32, Value) {
    let out = doctor(sb, &[&["--json"], args].concat()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

fn check<'a>(json: &'a Value, name: &str) -> &'a Value {
    let checks = json["checks"].as_array().unwrap();
    checks
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check '{name}' in {json}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_keeps_the_contract_passes_every_check_and_gives_every_fact() {
    let sb = sandbox(|_| {}).await;
    with_a_dictionary(&sb).await;
    let written = sb.requests().len();
    let (code, json) = findings(&sb, &[]).await;
    assert_eq!(code, 0, "{json:#}");
    let statuses: Vec<&str> = (json["checks"].as_array().unwrap().iter())
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(statuses.iter().all(|s| *s == "pass"), "{json:#}");
    let facts = &json["facts"];
    assert_eq!(facts["tags_field"], "name");
    assert_eq!(facts["list_paging"], "next_page");
    assert_eq!(facts["rate_limit_remaining"], true);
    assert_eq!(facts["include_attributes"], true);
    assert_eq!(facts["owners_listed_as"], "emails");
    assert_eq!(facts["technical_name_filter"], "exact");
    assert_eq!(facts["error_body"], "error-object");
    assert_eq!(facts["sources"], 5 + 1, "the seed's, and the dictionary's");
    assert_eq!(facts["custom_attributes"], 8);
    assert_eq!(facts["mandatory_attributes"], serde_json::json!([]));
    // The budget it implies at the least: the sandbox's hourly limit, less
    // the one request the set-up sent before doctor.
    assert_eq!(facts["hourly_limit"], 28_800 - 1);
    assert!(
        facts.get("create_status").is_none(),
        "no write without --write-probe"
    );
    assert_eq!(facts["dictionary_types"], true);
    assert_eq!(facts["type_paths"], true);
    let dictionary = check(&json, "dictionary listing");
    assert!(
        dictionary["detail"]
            .as_str()
            .unwrap()
            .contains("\\crm\\sales\\"),
        "{dictionary}"
    );
    let requests = sb.requests();
    let writes = (requests[written..].iter())
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(writes, 0, "doctor only reads");
}

/// One source with a schema, a table and a column, through the bulktree.
async fn with_a_dictionary(sb: &Sandbox) {
    let tree = serde_json::json!({"name": "crm", "type": "Relational", "children": [
        {"name": "sales", "type": "Model", "children": [
            {"name": "orders", "type": "Table", "children": [{"name": "id", "type": "Column"}]}]}]});
    crate::common::dictionary::post_tree(sb, &tree).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_lists_fields_without_their_type_paths_is_a_warning_and_a_fact() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::NoTypePaths);
    })
    .await;
    with_a_dictionary(&sb).await;
    let (code, json) = findings(&sb, &[]).await;
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(check(&json, "dictionary listing")["status"], "warn");
    assert_eq!(json["facts"]["type_paths"], false);
    let empty = sandbox(|_| {}).await;
    let (_, json) = findings(&empty, &[]).await;
    assert_eq!(
        check(&json, "dictionary listing")["status"],
        "skip",
        "no field to tell"
    );
    assert!(json["facts"]["type_paths"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_variation_of_the_api_is_named_by_its_fact() {
    let cases: [(Variant, &str, Value); 7] = [
        (Variant::TagLabel, "tags_field", "label".into()),
        (Variant::NoNextPage, "list_paging", "pages".into()),
        (
            Variant::NoRateLimitHeader,
            "rate_limit_remaining",
            false.into(),
        ),
        (Variant::NoAttributes, "include_attributes", false.into()),
        (Variant::UserObjects, "owners_listed_as", "objects".into()),
        (
            Variant::PartialTechnicalName,
            "technical_name_filter",
            "partial".into(),
        ),
        (Variant::PlainErrors, "error_body", "error-string".into()),
    ];
    for (variant, fact, expected) in cases {
        let sb = sandbox(|c| {
            c.variants.insert(variant);
        })
        .await;
        let (code, json) = findings(&sb, &[]).await;
        assert_eq!(code, 0, "{variant:?}: {json:#}");
        assert_eq!(json["facts"][fact], expected, "{variant:?}: {json:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_run_would_suffer_from_is_a_warning_with_its_fix() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::NoAttributes);
        c.variants.insert(Variant::NoRateLimitHeader);
    })
    .await;
    let (code, json) = findings(&sb, &[]).await;
    assert_eq!(code, 0, "warnings are no failure: {json:#}");
    let listed = check(&json, "listed attributes");
    assert_eq!(listed["status"], "warn");
    assert!(
        listed["fix"]
            .as_str()
            .unwrap()
            .contains("--if-exists update` will send every row")
    );
    let budget = check(&json, "hourly budget");
    assert_eq!(budget["status"], "warn");
    assert!(budget["fix"].as_str().unwrap().contains("--hourly-limit"));
    assert!(json["facts"]["hourly_limit"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_probe_tells_the_routes_and_leaves_its_one_scratch_source_obsolete() {
    let sb = sandbox(|_| {}).await;
    let before = sb.sources().len();
    let (code, json) = findings(&sb, &["--write-probe", "--yes"]).await;
    assert_eq!(code, 0, "{json:#}");
    let facts = &json["facts"];
    assert_eq!(facts["create_status"], 201);
    assert_eq!(facts["upsert_status"], 200);
    assert_eq!(facts["bulk_create"], true);
    assert_eq!(facts["bulk_update"], true);
    let held = sb.sources();
    assert_eq!(
        held.len(),
        before + 1,
        "one scratch source, nothing deleted"
    );
    let scratch: Vec<_> = (held.iter())
        .filter(|s| s.name.starts_with("dg-import-doctor-"))
        .collect();
    assert_eq!(scratch.len(), 1);
    assert_eq!(scratch[0].status.as_deref(), Some("Obsolete"));
    assert_eq!(
        scratch[0].summary.as_deref(),
        Some("dg-import doctor probe")
    );
    assert_eq!(facts["tree_status"], 200);
    let store = sb.store();
    let tree: Vec<_> = (store.dictionary.nodes.iter())
        .filter(|n| n.source_id == scratch[0].id)
        .collect();
    let types: Vec<&str> = tree.iter().map(|n| n.node_type.as_str()).collect();
    assert_eq!(types, ["Model", "Table", "Column"], "one scratch tree");
    assert!(tree.iter().all(|n| n.status.as_deref() == Some("Obsolete")));
}

/// A tenant that requires an attribute on every new source, or on every
/// new field: the probe's scratch objects carry none, and the refusal is
/// said as the tenant's rule naming the attribute, not as a broken route
/// or a token that may not write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_probe_refused_for_a_mandatory_attribute_names_it_rather_than_the_route() {
    let seed_with = |name: &str| {
        let mut seed: Value =
            serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
        let attribute = (seed["attributes"].as_array_mut().unwrap().iter_mut())
            .find(|a| a["name"] == name)
            .unwrap();
        attribute["isMandatory"] = serde_json::json!(true);
        seed.to_string()
    };
    let seed = seed_with("Data Domain");
    let sb = sandbox(|c| c.seed = seed).await;
    let (_, json) = findings(&sb, &["--write-probe", "--yes"]).await;
    let create = check(&json, "probe create");
    assert_eq!(create["status"], "warn", "{create}");
    let fix = create["fix"].as_str().unwrap();
    assert!(
        fix.contains("requires Data Domain on a new source")
            && fix.contains("rather than for the token"),
        "{fix}"
    );
    assert!(
        !sb.sources()
            .iter()
            .any(|s| s.name.starts_with("dg-import-doctor-"))
    );

    let seed = seed_with("Sensitivity");
    let sb = sandbox(|c| c.seed = seed).await;
    let (_, json) = findings(&sb, &["--write-probe", "--yes"]).await;
    assert_eq!(check(&json, "probe create")["status"], "pass");
    let tree = check(&json, "probe tree");
    assert_eq!(tree["status"], "warn", "{tree}");
    let fix = tree["fix"].as_str().unwrap();
    assert!(fix.contains("requires Sensitivity (field)"), "{fix}");
    assert!(
        tree["detail"].as_str().unwrap().contains("answered 400"),
        "{tree}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_probe_names_an_upsert_answering_201_and_a_tenant_without_bulk_routes() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::UpsertCreated);
        c.variants.insert(Variant::NoBulk);
    })
    .await;
    let (code, json) = findings(&sb, &["--write-probe", "--yes"]).await;
    assert_eq!(code, 0, "{json:#}");
    let facts = &json["facts"];
    assert_eq!(facts["upsert_status"], 201);
    assert_eq!(facts["bulk_create"], false);
    assert_eq!(facts["bulk_update"], false);
    assert_eq!(check(&json, "probe bulk edit")["status"], "warn");
    let scratch = sb
        .sources()
        .into_iter()
        .find(|s| s.name.starts_with("dg-import-doctor-"));
    assert_eq!(scratch.unwrap().status.as_deref(), Some("Obsolete"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_probe_without_a_terminal_needs_yes_and_writes_nothing() {
    let sb = sandbox(|_| {}).await;
    let out = doctor(&sb, &["--write-probe"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert!(sb.requests().is_empty(), "not even a read");
}

/// A JWT whose claims say it expires in `days` days and is for `api`.
fn jwt(api: &str, days: u64) -> String {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + days * 86_400;
    let claims = format!(r#"{{"exp":{exp},"pubapi":"{api}"}}"#);
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"HS256"}"#),
        b64(&claims),
        b64("signature")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_read_for_its_expiry_and_never_shown_in_any_form() {
    let token = jwt("https://acme.api.datagalaxy.com/v2", 3);
    let secret = token.clone();
    let sb = sandbox(move |c: &mut SandboxConfig| c.token = secret).await;
    let lines = doctor(&sb, &[]).await;
    let json = doctor(&sb, &["--json"]).await;
    for out in [&lines, &json] {
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let all = String::from_utf8_lossy(&all);
        for part in token.split('.') {
            assert!(!all.contains(part), "a part of the token was shown: {all}");
        }
    }
    let stdout = String::from_utf8_lossy(&lines.stdout);
    assert_eq!(lines.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("WARN  token: expires on"), "{stdout}");
    assert!(
        stdout.contains("in 2 days") || stdout.contains("in 3 days"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_fails_with_its_fix_and_skips_what_depends_on_it() {
    let sb = sandbox(|_| {}).await;
    let mut cmd = crate::common::binary();
    cmd.args(["doctor", "--url", &sb.base_url()])
        .env("DATAGALAXY_TOKEN", "not-the-token")
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  token accepted: token refused (401)"),
        "{stdout}"
    );
    assert!(stdout.contains("SKIP  workspace: skipped"), "{stdout}");
    assert!(stdout.contains("1 failed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_job_file_is_read_for_its_connection_and_its_input_and_the_rest_ignored() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), sb.token()).unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        "Source Name,type,Data Domian\nA,NoSql,x\n",
    )
    .unwrap();
    let job = format!(
        "input = \"in.csv\"\nurl = \"{}\"\ntoken-file = \"token\"\nif-exists = \"update\"\n\
         retire-missing = \"tag:PII\"\nbatch-size = 50\n",
        sb.base_url()
    );
    std::fs::write(dir.path().join("nightly.toml"), job).unwrap();
    let mut cmd = crate::common::binary();
    cmd.args(["doctor", "--config"])
        .arg(dir.path().join("nightly.toml"))
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("url from job file, token from job file"),
        "{stdout}"
    );
    // The file's header, as check would read it: an unknown column, with the closest name.
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  input:"), "{stdout}");
    assert!(
        stdout.contains("'Data Domian' — did you mean Data Domain?"),
        "{stdout}"
    );
    assert!(stdout.contains("--map"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_issued_for_another_api_than_the_url_is_a_warning_naming_it() {
    let token = jwt("https://acme.api.datagalaxy.com/v2", 90);
    let sb = sandbox(move |c: &mut SandboxConfig| c.token = token).await;
    let (code, json) = findings(&sb, &[]).await;
    assert_eq!(code, 0, "{json:#}");
    let check = check(&json, "token");
    assert_eq!(check["status"], "warn", "{json:#}");
    let detail = check["detail"].as_str().unwrap();
    assert!(
        detail.contains("issued for https://acme.api.datagalaxy.com/v2"),
        "{detail}"
    );
    let fix = check["fix"].as_str().unwrap();
    assert!(
        fix.contains("DATAGALAXY_URL=https://acme.api.datagalaxy.com/v2"),
        "{fix}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_passed_only_after_retries_is_a_warning_saying_what_failed() {
    let sb = sandbox(|c| {
        c.fail_rate = 0.5;
        c.fail_only = Some("/v2/tags".into());
        c.fault_seed = 1;
    })
    .await;
    let (code, json) = findings(&sb, &[]).await;
    assert_eq!(code, 0, "warnings only: {json:#}");
    let tags = check(&json, "tags");
    assert_eq!(tags["status"], "warn", "{json:#}");
    let detail = tags["detail"].as_str().unwrap();
    assert!(
        detail.contains("requests failed and were retried"),
        "{detail}"
    );
    assert!(
        detail.contains("HTTP 503") || detail.contains("no answer"),
        "{detail}"
    );
    assert!(tags["fix"].as_str().unwrap().contains("unsteady"), "{tags}");
    assert_eq!(
        check(&json, "workspace")["status"],
        "pass",
        "only where it failed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_loopback_is_said_as_such_and_no_tls_is_claimed() {
    let sb = sandbox(|_| {}).await;
    let (_, json) = findings(&sb, &[]).await;
    let url = check(&json, "url")["detail"].as_str().unwrap().to_owned();
    assert!(!url.contains("TLS"), "{url}");
    assert!(url.contains("plain http (loopback)"), "{url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_token_fails_its_check_naming_the_damage_and_never_the_token() {
    let sb = sandbox(|_| {}).await;
    let broken = format!("{}\n{}", &sb.token()[..4], &sb.token()[4..]);
    let mut cmd = crate::common::binary();
    cmd.args(["doctor", "--json", "--url", &sb.base_url()])
        .env("DATAGALAXY_TOKEN", &broken)
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = check(&json, "token");
    assert_eq!(token["status"], "fail");
    let detail = token["detail"].as_str().unwrap();
    assert!(detail.contains("a line break at character 5"), "{detail}");
    assert!(detail.contains("DATAGALAXY_TOKEN"), "{detail}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(&sb.token()[4..]), "never the token");
}
