//! `--write-probe`: the writes, tried on ONE scratch source of doctor's own
//! (`dg-import-doctor-<UTC time>`): a create, the same create as an upsert,
//! an edit through the bulk edit route, the bulk create route asked with
//! nothing in it (nothing can be created by it), a scratch tree under it
//! (`dictionary.rs`), then the tree and the scratch source set `Obsolete`.
//! Nothing is ever deleted, and no other source is touched.

use std::io::{BufRead, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::verdict::Check;
use super::{Doctor, Line};
use crate::client::api::wire::Created;
use crate::client::api::{Answer, ApiError};
use crate::client::retry::Policy;
use crate::client::routes::{self, Kind, Route, Way};
use crate::client::shapes;
use crate::model::action::Action;
use crate::pipeline::directory::Target;

/// The scratch source: its name (its technical name too) and id.
struct Scratch {
    name: String,
    id: Option<String>,
}

pub(super) async fn run(
    doctor: &mut Doctor<'_>,
    line: &Line,
    target: &Target,
) -> anyhow::Result<()> {
    let name = format!("dg-import-doctor-{}", utc_stamp());
    if !doctor.config.yes && !confirm(&name, target)? {
        doctor.add(Check::skip(
            "write probe",
            "not confirmed: nothing was written",
        ));
        return Ok(());
    }
    let mut scratch = Scratch { name, id: None };
    let create = create(doctor, line, target, &mut scratch).await;
    let created = create.status == super::verdict::Status::Pass;
    doctor.add(create);
    if !created {
        for name in [
            "probe upsert",
            "probe bulk edit",
            "probe bulk create",
            "probe tree",
            "probe retire",
        ] {
            doctor.skip(name);
        }
        return Ok(());
    }
    let upsert = upsert(doctor, line, target, &scratch).await;
    doctor.add(upsert);
    let edit = bulk(doctor, line, target, Action::Update, &scratch).await;
    doctor.add(edit);
    let create_route = bulk(doctor, line, target, Action::Create, &scratch).await;
    doctor.add(create_route);
    settle_attributes(doctor, line, target, &scratch).await;
    let tree = super::dictionary::probe(doctor, line, target, &scratch.name).await;
    let with_tree = tree.status == super::verdict::Status::Pass;
    doctor.add(tree);
    let retire = retire(line, target, &scratch, with_tree).await;
    doctor.add(retire);
    Ok(())
}

/// `20261130T021046Z`.
fn utc_stamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    chrono::DateTime::from_timestamp(now.as_secs() as i64, 0).map_or_else(
        || now.as_secs().to_string(),
        |t| t.format("%Y%m%dT%H%M%SZ").to_string(),
    )
}

/// Asks on the terminal before the first write.
fn confirm(name: &str, target: &Target) -> anyhow::Result<bool> {
    eprint!(
        "--write-probe creates one scratch source '{name}' in '{}' version '{}', edits it and \
         sets it Obsolete (nothing is deleted). Go on? [y/N] ",
        target.workspace_name, target.version_name
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// One write to `path`; `policy`: how often it may be sent again.
async fn write(
    line: &Line,
    route: Route,
    body: &Value,
    policy: Policy,
) -> Result<Answer, ApiError> {
    let url = line.client.url(&route.path, &[]);
    line.client
        .send_with_retries(route.method, url, Some(body), policy)
        .await
}

/// What an answer that is not a 2xx said.
fn refusal(answer: &Answer) -> String {
    let shape = shapes::error_body(answer.content_type.as_deref(), &answer.body);
    format!("{} ({shape} body)", answer.error())
}

/// The create, sent once (a create sent again could make a second source).
async fn create(
    doctor: &mut Doctor<'_>,
    line: &Line,
    target: &Target,
    scratch: &mut Scratch,
) -> Check {
    const NAME: &str = "probe create";
    let body = json!({"name": scratch.name, "technicalName": scratch.name,
                      "type": "Relational", "status": "Proposed"});
    let one = routes::route(Kind::Source, Way::One, &target.version_id);
    let fix = "the token needs the right to create sources in this version";
    match write(line, one, &body, Policy::writes(0)).await {
        Ok(a) if a.status.is_success() => {
            doctor.facts.create_status = Some(a.status.as_u16());
            scratch.id = a.json::<Created>().ok().map(|c| c.id);
            let id = scratch.id.as_deref().unwrap_or("(no id in the answer)");
            let said = format!(
                "POST /sources answered {}: scratch source '{}', id {id}",
                a.status.as_u16(),
                scratch.name
            );
            Check::pass(NAME, said)
        }
        Ok(a) => {
            let status = a.status.as_u16();
            let detail = format!("POST /sources answered {status}: {}", refusal(&a));
            let mandatory = doctor
                .facts
                .mandatory_attributes
                .as_deref()
                .unwrap_or_default();
            match status {
                400 if !mandatory.is_empty() => {
                    let what = super::dictionary::bare_scratch(
                        &mandatory.join(", "),
                        ("source", "source"),
                    );
                    Check::warn(NAME, detail, what)
                }
                _ => Check::fail(NAME, detail, fix),
            }
        }
        Err(e) => Check::fail(NAME, format!("POST /sources: {e}"), fix),
    }
}

/// The same create with `upsert: true`: 200 (or 201 on some tenants).
async fn upsert(doctor: &mut Doctor<'_>, line: &Line, target: &Target, scratch: &Scratch) -> Check {
    const NAME: &str = "probe upsert";
    let body = json!({"name": scratch.name, "technicalName": scratch.name,
                      "type": "Relational", "status": "Proposed", "upsert": true});
    let one = routes::route(Kind::Source, Way::One, &target.version_id);
    match write(line, one, &body, line.client.writes()).await {
        Ok(a) if a.status.is_success() => {
            let status = a.status.as_u16();
            doctor.facts.upsert_status = Some(status);
            let meaning = match status {
                201 => "201 for an update (the importer takes any 2xx)",
                _ => "as the contract says",
            };
            Check::pass(
                NAME,
                format!("the same create with upsert answered {status}: {meaning}"),
            )
        }
        Ok(a) => Check::fail(
            NAME,
            format!("the upsert answered {}: {}", a.status.as_u16(), refusal(&a)),
            "`--if-exists update` cannot work here: ask DataGalaxy's support",
        ),
        Err(e) => Check::fail(NAME, format!("the upsert: {e}"), "try again later"),
    }
}

/// A bulk route: `PUT` edits the scratch source's summary; `POST` is asked
/// with an empty array (a 2xx or a 400 means the route exists).
async fn bulk(
    doctor: &mut Doctor<'_>,
    line: &Line,
    target: &Target,
    action: Action,
    scratch: &Scratch,
) -> Check {
    let edit = action == Action::Update;
    let (name, body) = match edit {
        true => (
            "probe bulk edit",
            json!([{"technicalName": scratch.name, "summary": "dg-import doctor probe"}]),
        ),
        false => ("probe bulk create", json!([])),
    };
    let bulk = routes::route(Kind::Source, Way::Bulk(action), &target.version_id);
    let said = format!("{} {}", bulk.method, Kind::Source.listing()) + "/bulk";
    let answer = write(line, bulk, &body, line.client.writes()).await;
    let exists = match &answer {
        Ok(a) if a.status.is_success() || (!edit && a.status.as_u16() == 400) => Some(true),
        Ok(a) if routes::is_missing(a.status.as_u16()) => Some(false),
        _ => None,
    };
    match edit {
        true => doctor.facts.bulk_update = exists,
        false => doctor.facts.bulk_create = exists,
    }
    let route = said;
    match (exists, answer) {
        (Some(true), Ok(a)) => Check::pass(
            name,
            format!("{route} answered {}: the route exists", a.status.as_u16()),
        ),
        (Some(false), Ok(a)) => Check::warn(
            name,
            format!("{route} answered {}: no such route here", a.status.as_u16()),
            "nothing to do: the importer goes one request per row, which takes longer",
        ),
        (_, Ok(a)) => Check::fail(
            name,
            format!("{route} answered {}: {}", a.status.as_u16(), refusal(&a)),
            "try again later",
        ),
        (_, Err(e)) => Check::fail(name, format!("{route}: {e}"), "try again later"),
    }
}

/// With no source to read it from before, whether the listing carries
/// attributes is read from the scratch source.
async fn settle_attributes(
    doctor: &mut Doctor<'_>,
    line: &Line,
    target: &Target,
    scratch: &Scratch,
) {
    if doctor.facts.include_attributes.is_some() {
        return;
    }
    let query = [
        ("versionId", target.version_id.as_str()),
        ("technicalName", scratch.name.as_str()),
        ("includeAttributes", "true"),
    ];
    if let Ok(listed) = doctor
        .get(
            line,
            line.client
                .url(crate::client::routes::Kind::Source.listing(), &query),
        )
        .await
        .and_then(|a| a.json::<Value>())
    {
        doctor.facts.include_attributes = shapes::carry_attributes(shapes::items(&listed));
    }
}

/// The scratch source set `Obsolete` (by id; by the bulk edit when the
/// create did not say its id).
async fn retire(line: &Line, target: &Target, scratch: &Scratch, with_tree: bool) -> Check {
    const NAME: &str = "probe retire";
    let v = &target.version_id;
    if with_tree && let Err(e) = super::dictionary::retire(line, target, &scratch.name).await {
        let fix = format!("set the tree under '{}' Obsolete by hand", scratch.name);
        return Check::fail(NAME, format!("setting the scratch tree Obsolete: {e}"), fix);
    }
    let (way, body) = match &scratch.id {
        Some(id) => (Way::ById(id), json!({"status": "Obsolete"})),
        None => (
            Way::Bulk(Action::Update),
            json!([{"technicalName": scratch.name, "status": "Obsolete"}]),
        ),
    };
    let fix = format!("set the source '{}' Obsolete by hand", scratch.name);
    match write(
        line,
        routes::route(Kind::Source, way, v),
        &body,
        line.client.writes(),
    )
    .await
    {
        Ok(a) if a.status.is_success() => Check::pass(
            NAME,
            format!(
                "scratch source '{}'{} set Obsolete; nothing was deleted",
                scratch.name,
                if with_tree { " and its tree" } else { "" }
            ),
        ),
        Ok(a) => Check::fail(
            NAME,
            format!(
                "setting it Obsolete answered {}: {}",
                a.status.as_u16(),
                refusal(&a)
            ),
            fix,
        ),
        Err(e) => Check::fail(NAME, format!("setting it Obsolete: {e}"), fix),
    }
}
