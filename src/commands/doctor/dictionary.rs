//! The dictionary's checks: whether the tenant lists the types of each kind
//! (with the children each accepts), and how it lists fields (with their
//! paths of types and display names, or with `path` alone); with
//! `--write-probe`, one scratch tree under doctor's scratch source (a
//! container, a structure and a field), left `Obsolete` with it.

use serde_json::{Value, json};

use super::verdict::Check;
use super::{Doctor, Line};
use crate::client::routes::{self, Kind, Way};
use crate::client::shapes;
use crate::pipeline::dictionary::custom::Customs;
use crate::pipeline::directory::Target;

/// 12: the types of the four kinds.
pub(super) async fn types(doctor: &mut Doctor<'_>, line: &Line) -> Vec<Check> {
    const NAME: &str = "dictionary types";
    let mut said = Vec::new();
    for kind in [Kind::Source, Kind::Container, Kind::Structure, Kind::Field] {
        let url = line.client.url(kind.types(), &[]);
        let listed = doctor.get(line, url).await;
        match listed {
            Ok(a) if a.status.is_success() => {
                let body: Value = a.json().unwrap_or(Value::Null);
                let count = shapes::items(&body).len();
                let word = kind.plural().trim_end_matches('s');
                said.push(format!("{count} {word} types"));
            }
            Ok(a) if routes::is_missing(a.status.as_u16()) => {
                doctor.facts.dictionary_types = Some(false);
                return vec![Check::warn(
                    NAME,
                    format!("GET {} answered {}", kind.types(), a.status.as_u16()),
                    "dictionary files cannot be checked against the tenant's types here",
                )];
            }
            Ok(a) => return vec![failed(kind, &a.error().to_string())],
            Err(e) => return vec![failed(kind, &e.to_string())],
        }
    }
    doctor.facts.dictionary_types = Some(true);
    vec![Check::pass(
        NAME,
        format!("types listed: {}", said.join(", ")),
    )]
}

fn failed(kind: Kind, e: &str) -> Check {
    Check::fail(
        "dictionary types",
        format!("GET {}: {e}", kind.types()),
        "the token needs the right to read the dictionary",
    )
}

/// 13: one field as the tenant lists it, and the paths it carries.
pub(super) async fn listing(doctor: &mut Doctor<'_>, line: &Line, target: &Target) -> Vec<Check> {
    const NAME: &str = "dictionary listing";
    let query = [("versionId", target.version_id.as_str()), ("limit", "1")];
    let url = line.client.url(Kind::Field.listing(), &query);
    let body: Value = match doctor.get(line, url).await {
        Ok(a) if a.status.is_success() => a.json().unwrap_or(Value::Null),
        Ok(a) => {
            let detail = format!("GET /fields answered {}: {}", a.status.as_u16(), a.error());
            let fix = "the token needs the right to read the dictionary";
            return vec![Check::fail(NAME, detail, fix)];
        }
        Err(e) => {
            let fix = "the token needs the right to read the dictionary";
            return vec![Check::fail(NAME, format!("GET /fields: {e}"), fix)];
        }
    };
    let Some(first) = shapes::items(&body).first() else {
        let detail = "no field in this version to tell how fields are listed";
        return vec![Check::skip(NAME, detail)];
    };
    let paths = first.get("typePath").is_some() && first.get("functionalPath").is_some();
    doctor.facts.type_paths = Some(paths);
    match (paths, first.get("path").and_then(Value::as_str)) {
        (true, Some(path)) => vec![Check::pass(
            NAME,
            format!("the fields are listed with their paths (`{path}`)"),
        )],
        (false, Some(path)) => vec![Check::warn(
            NAME,
            format!(
                "the fields are listed with `path` (`{path}`) but no `typePath` or `functionalPath`"
            ),
            "a dictionary's tree is rebuilt from parentId listings: a few more reads a run",
        )],
        (_, None) => vec![Check::warn(
            NAME,
            "fields listed without a `path`",
            "ask DataGalaxy's support: dictionary objects cannot be matched by path here",
        )],
    }
}

/// The scratch tree under the scratch source: a container, a structure and
/// a field, each of the source type's usual kinds; `status`: `Obsolete` to
/// leave it so.
pub(super) fn scratch_tree(source: &str, status: Option<&str>) -> Value {
    let node = |name: &str, node_type: &str, children: Vec<Value>| {
        let mut node = json!({"name": name, "technicalName": name, "type": node_type});
        if let Some(status) = status {
            node["status"] = json!(status);
        }
        if !children.is_empty() {
            node["children"] = json!(children);
        }
        node
    };
    let field = node("probe_field", "Column", vec![]);
    let structure = node("probe_table", "Table", vec![field]);
    let container = node("probe_schema", "Model", vec![structure]);
    json!({"name": source, "technicalName": source, "type": "Relational",
           "children": [container]})
}

/// `--write-probe`: the scratch tree, sent once (a tree sent again changes
/// nothing: it is matched by name and type).
pub(super) async fn probe(
    doctor: &mut Doctor<'_>,
    line: &Line,
    target: &Target,
    source: &str,
) -> Check {
    const NAME: &str = "probe tree";
    let route = routes::route(Kind::Source, Way::Tree, &target.version_id);
    let body = scratch_tree(source, None);
    let url = line.client.url(&route.path, &[]);
    let sent = (line.client)
        .send_with_retries(route.method, url, Some(&body), line.client.writes())
        .await;
    let fix = "dictionaries cannot be written here: ask DataGalaxy's support";
    match sent {
        Ok(a) if a.status.is_success() => {
            doctor.facts.tree_status = Some(a.status.as_u16());
            let counts: Value = a.json().unwrap_or(Value::Null);
            Check::pass(
                NAME,
                format!(
                    "POST /sources/bulktree answered {} ({} nodes, {} created) for a container, a \
                     structure and a field under the scratch source",
                    a.status.as_u16(),
                    counts["total"],
                    counts["created"]
                ),
            )
        }
        Ok(a) => {
            doctor.facts.tree_status = Some(a.status.as_u16());
            let detail = format!(
                "POST /sources/bulktree answered {}: {}",
                a.status.as_u16(),
                a.error()
            );
            let customs = Customs::load(&line.client).await.unwrap_or_default();
            match (a.status.as_u16(), customs.mandatory()) {
                (400, mandatory) if !mandatory.is_empty() => Check::warn(
                    NAME,
                    detail,
                    bare_scratch(&mandatory.join(", "), ("object of its kind", "tree")),
                ),
                _ => Check::fail(NAME, detail, fix),
            }
        }
        Err(e) => Check::fail(NAME, format!("POST /sources/bulktree: {e}"), fix),
    }
}

/// What a probe refused for carrying none of the tenant's mandatory
/// attributes says: the route is there, the tenant's rule refused it.
pub(super) fn bare_scratch(mandatory: &str, (kind, what): (&str, &str)) -> String {
    format!(
        "the tenant requires {mandatory} on a new {kind}, which the probe's scratch {what} does \
         not carry: the route answered, and refused it for that rather than for the token; a \
         file that sets them imports (`dg-import check` says)"
    )
}

/// The scratch tree's nodes set `Obsolete`, before the scratch source is.
pub(super) async fn retire(line: &Line, target: &Target, source: &str) -> Result<(), String> {
    let route = routes::route(Kind::Source, Way::Tree, &target.version_id);
    let body = scratch_tree(source, Some("Obsolete"));
    let url = line.client.url(&route.path, &[]);
    match (line.client)
        .send_with_retries(route.method, url, Some(&body), line.client.writes())
        .await
    {
        Ok(a) if a.status.is_success() => Ok(()),
        Ok(a) => Err(format!("answered {}: {}", a.status.as_u16(), a.error())),
        Err(e) => Err(e.to_string()),
    }
}
