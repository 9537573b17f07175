//! What the tenant answers, read only: the workspace and its version, who
//! may own and steward, the tags, the attribute definitions, how sources
//! are listed, the `technicalName` filter, the hourly budget and the shape
//! of an error; and what `check` would make of a file's header.

use std::path::Path;

use serde_json::Value;

use super::verdict::Check;
use super::{Doctor, Found, Line};
use crate::client::api::wire::UserItem;
use crate::client::shapes;
use crate::pipeline::attributes::Definitions;
use crate::pipeline::directory;
use crate::pipeline::input::{Field, Input, InputOptions, Layout, sheet};

/// Every check of this room, in order, for when none can be made.
pub(super) const NAMES: [&str; 11] = [
    "workspace",
    "owners and stewards",
    "tags",
    "attributes",
    "sources",
    "listed attributes",
    "technicalName filter",
    "hourly budget",
    "error body",
    "dictionary types",
    "dictionary listing",
];

/// Sources read at once to learn how they are listed.
const SAMPLE: u64 = 100;

/// 5: the workspace and version resolve; may entities be created there?
pub(super) async fn workspace(
    doctor: &mut Doctor<'_>,
    line: &Line,
    found: &mut Found,
) -> Vec<Check> {
    const NAME: &str = "workspace";
    let config = doctor.config;
    let (ws, version) = (config.workspace.as_deref(), config.version.as_deref());
    let target = match directory::locate(&line.client, ws, version).await {
        Ok(target) => target,
        Err(e) => {
            let fix = "pass --workspace NAME|ID (and --version NAME) as listed above";
            return vec![Check::fail(NAME, format!("{e:#}"), fix)];
        }
    };
    let listed = doctor.get(line, line.client.url("/workspaces", &[])).await;
    let listed: Value = listed.ok().and_then(|a| a.json().ok()).unwrap_or_default();
    let project = shapes::items(listed.get("projects").unwrap_or(&Value::Null))
        .iter()
        .find(|p| p.get("id").and_then(Value::as_str) == Some(&target.workspace_id));
    let can_create = project
        .and_then(|p| p.get("canCreateEntities"))
        .and_then(Value::as_bool);
    let said = format!(
        "'{}' ({}), version '{}' ({})",
        target.workspace_name, target.workspace_id, target.version_name, target.version_id
    );
    found.target = Some(target);
    vec![match can_create {
        Some(false) => Check::warn(
            NAME,
            format!("{said}: the token may not create entities in it"),
            "ask a DataGalaxy admin for the right to create in this workspace",
        ),
        Some(true) => Check::pass(NAME, format!("{said}; entities may be created")),
        None => Check::pass(
            NAME,
            format!("{said} (whether entities may be created is not said)"),
        ),
    }]
}

/// The version of the target found by `workspace`.
fn version_of(found: &Found) -> &str {
    found.target.as_ref().map_or("", |t| t.version_id.as_str())
}

/// 6: the users who may own or steward sources.
pub(super) async fn people(_: &mut Doctor<'_>, line: &Line, found: &mut Found) -> Vec<Check> {
    const NAME: &str = "owners and stewards";
    let path = format!("/users/{}", version_of(found));
    match line
        .client
        .get_all::<UserItem>(&path, &[("module", "catalog")])
        .await
    {
        Ok(users) if users.is_empty() => vec![Check::warn(
            NAME,
            "no user may own or steward sources in this version",
            "rows with owners or stewards will be invalid: ask an admin which users are eligible",
        )],
        Ok(users) => vec![Check::pass(
            NAME,
            format!("{} users may own or steward sources", users.len()),
        )],
        Err(e) => vec![Check::fail(
            NAME,
            format!("GET {path}: {e}"),
            "the token needs the right to read users",
        )],
    }
}

/// 6: the tags, and the field that carries their text.
pub(super) async fn tags(doctor: &mut Doctor<'_>, line: &Line) -> Vec<Check> {
    const NAME: &str = "tags";
    match line.client.get_all::<Value>("/tags", &[]).await {
        Ok(tags) => {
            doctor.facts.tags_field = shapes::tags_field(&tags);
            let field = doctor.facts.tags_field.map_or_else(
                || "none yet to tell the field of their text".to_owned(),
                |f| format!("their text in `{f}`"),
            );
            vec![Check::pass(NAME, format!("{} tags, {field}", tags.len()))]
        }
        Err(e) => vec![Check::fail(
            NAME,
            format!("GET /tags: {e}"),
            "the token needs the right to read tags",
        )],
    }
}

/// 6: the attribute definitions: the custom ones, and which are mandatory.
pub(super) async fn attributes(
    doctor: &mut Doctor<'_>,
    line: &Line,
    found: &mut Found,
) -> Vec<Check> {
    const NAME: &str = "attributes";
    // The listing itself, not `load_definitions`: doctor says it, no log line.
    let definitions = match directory::attribute_listing(&line.client, "source").await {
        Ok(Some(listing)) => Definitions::from_listing(&listing),
        Ok(None) => {
            return vec![Check::warn(
                NAME,
                "the tenant does not list the attributes of sources (403 or 404)",
                "custom attribute columns cannot be checked before sending; --extra-columns \
                 attributes sends them as text",
            )];
        }
        Err(e) => {
            let said = format!("GET /attributes: {e}");
            return vec![Check::fail(NAME, said, "try again later")];
        }
    };
    let custom = definitions.iter().count();
    let mandatory: Vec<String> = (definitions.iter())
        .filter(|d| d.mandatory)
        .map(|d| d.name.clone())
        .collect();
    let said = format!("{custom} custom attributes of sources");
    let check = match mandatory.is_empty() {
        true => Check::pass(NAME, format!("{said}, none mandatory")),
        false => Check::warn(
            NAME,
            format!("{said}; mandatory: {}", mandatory.join(", ")),
            "every new source must carry them: give the file a column for each",
        ),
    };
    doctor.facts.custom_attributes = Some(custom as u64);
    doctor.facts.mandatory_attributes = Some(mandatory);
    found.definitions = Some(definitions);
    vec![check]
}

/// 7: how many sources, how the listing pages, whether it carries their
/// attributes (`includeAttributes`) and how it lists owners and stewards.
pub(super) async fn sources(doctor: &mut Doctor<'_>, line: &Line, found: &mut Found) -> Vec<Check> {
    let version = version_of(found).to_owned();
    let page = |n: u64| {
        let (n, limit) = (n.to_string(), SAMPLE.to_string());
        let query = [
            ("versionId", version.as_str()),
            ("includeAttributes", "true"),
            ("page", n.as_str()),
            ("limit", limit.as_str()),
        ];
        line.client
            .url(crate::client::routes::Kind::Source.listing(), &query)
    };
    let first: Value =
        match doctor
            .get(line, page(1))
            .await
            .and_then(|a| match a.status.is_success() {
                true => a.json(),
                false => Err(a.error()),
            }) {
            Ok(first) => first,
            Err(e) => {
                let fail = Check::fail(
                    "sources",
                    format!("GET /sources: {e}"),
                    "the token needs the right to read sources",
                );
                return vec![
                    fail,
                    Check::skip("listed attributes", "skipped: 'sources' failed"),
                ];
            }
        };
    let items = shapes::items(&first).to_vec();
    let pages = first.get("pages").and_then(Value::as_u64).unwrap_or(1);
    let count = match first.get("total_sum").and_then(Value::as_u64) {
        Some(all) => all,
        None if pages <= 1 => items.len() as u64,
        None => {
            let last = doctor
                .get(line, page(pages))
                .await
                .ok()
                .and_then(|a| a.json::<Value>().ok());
            (pages - 1) * SAMPLE + last.map_or(0, |l| shapes::items(&l).len() as u64)
        }
    };
    doctor.facts.sources = Some(count);
    doctor.facts.list_paging = shapes::paging(&first);
    found.sample = items.iter().find_map(|s| {
        let key = s.get("technicalName").or_else(|| s.get("name"))?.as_str()?;
        (key.chars().count() >= 2).then(|| key.to_owned())
    });
    let paging = doctor.facts.list_paging.map_or_else(
        || "(neither `next_page` nor `pages`)".to_owned(),
        |p| format!("by `{p}`"),
    );
    let sources = Check::pass(
        "sources",
        format!("{count} sources in this version; the listing pages {paging}"),
    );
    vec![sources, listed_attributes(doctor, &items)]
}

/// 7: whether the listed sources carry their attributes, and their people.
fn listed_attributes(doctor: &mut Doctor<'_>, items: &[Value]) -> Check {
    const NAME: &str = "listed attributes";
    if items.is_empty() {
        let probe = "; --write-probe settles it with its scratch source";
        return Check::skip(
            NAME,
            format!("no source in this version to read them from{probe}"),
        );
    }
    let carried = shapes::carry_attributes(items);
    doctor.facts.include_attributes = carried;
    doctor.facts.owners_listed_as = shapes::people_listed_as(items);
    if carried == Some(false) {
        return Check::warn(
            NAME,
            "the listing ignores includeAttributes: sources come without their attributes",
            "re-imports cannot compare; `--if-exists update` will send every row",
        );
    }
    let people = match doctor.facts.owners_listed_as {
        Some(way) => format!("owners and stewards listed as {way}"),
        None => format!(
            "no owner or steward set in the first {} to tell how they are listed",
            items.len()
        ),
    };
    Check::pass(
        NAME,
        format!(
            "the listed sources come with their attributes (includeAttributes honoured); {people}"
        ),
    )
}

/// 8: whether the `technicalName` filter is exact or partial: asked for an
/// existing technical name less its last character.
pub(super) async fn filter(doctor: &mut Doctor<'_>, line: &Line, found: &mut Found) -> Vec<Check> {
    const NAME: &str = "technicalName filter";
    let Some(sample) = found.sample.clone() else {
        return vec![Check::skip(NAME, "no source in this version to ask for")];
    };
    let mut asked = sample.clone();
    asked.pop();
    let query = [
        ("versionId", version_of(found)),
        ("technicalName", asked.as_str()),
        ("limit", "100"),
    ];
    let answer = doctor
        .get(
            line,
            line.client
                .url(crate::client::routes::Kind::Source.listing(), &query),
        )
        .await;
    let listed: Value = match answer.and_then(|a| a.json()) {
        Ok(listed) => listed,
        Err(e) => {
            return vec![Check::fail(
                NAME,
                format!("GET /sources?technicalName=: {e}"),
                "try again later",
            )];
        }
    };
    let other = shapes::items(&listed).iter().find_map(|s| {
        let key = s.get("technicalName").or_else(|| s.get("name"))?.as_str()?;
        (key != asked).then(|| key.to_owned())
    });
    doctor.facts.technical_name_filter = Some(match other {
        Some(_) => shapes::NameFilter::Partial,
        None => shapes::NameFilter::Exact,
    });
    vec![match other {
        Some(other) => Check::pass(
            NAME,
            format!(
                "partial: asking for '{asked}' found '{other}' (the importer compares exactly itself)"
            ),
        ),
        None => Check::pass(
            NAME,
            format!("exact: asking for '{asked}' (from '{sample}') found no other"),
        ),
    }]
}

/// 9: whether answers say what remains of the hour, and the hourly budget
/// it implies at the least (what remains, plus the requests sent by then).
pub(super) fn budget(doctor: &mut Doctor<'_>) -> Check {
    const NAME: &str = "hourly budget";
    doctor.facts.rate_limit_remaining = Some(doctor.remaining.is_some());
    let Some((remaining, sent)) = doctor.remaining else {
        return Check::warn(
            NAME,
            "answers carry no X-RateLimit-Remaining: the run cannot learn the tenant's limit",
            "set --hourly-limit to your tenant's (28800 now; 14400 or 7200 on older tenants)",
        );
    };
    let at_least = remaining + sent;
    doctor.facts.hourly_limit = Some(at_least);
    Check::pass(
        NAME,
        format!(
            "{remaining} requests left this hour: the tenant allows at least {at_least} an hour"
        ),
    )
}

/// 10: the shape of an error body, from a read that must fail (a
/// workspace that does not exist).
pub(super) async fn error_body(doctor: &mut Doctor<'_>, line: &Line) -> Vec<Check> {
    const NAME: &str = "error body";
    let path = format!("/workspaces/{}/versions", uuid::Uuid::new_v4());
    let answer = match doctor.get(line, line.client.url(&path, &[])).await {
        Ok(answer) => answer,
        Err(e) => {
            return vec![Check::fail(
                NAME,
                format!("GET {path}: {e}"),
                "try again later",
            )];
        }
    };
    let status = answer.status.as_u16();
    if answer.status.is_success() {
        let said = format!("a workspace that does not exist answered {status}");
        return vec![Check::warn(
            NAME,
            said,
            "tell DataGalaxy's support: errors cannot be read",
        )];
    }
    let shape = shapes::error_body(answer.content_type.as_deref(), &answer.body);
    doctor.facts.error_body = Some(shape);
    vec![Check::pass(
        NAME,
        format!("a workspace that does not exist answered {status}; its body is `{shape}`"),
    )]
}

/// 11: what `check` would make of the file's header: its encoding and
/// delimiter, the column each field and attribute comes from, and the
/// columns it would refuse (with the closest name).
pub(super) fn input(
    path: &Path,
    options: &InputOptions,
    definitions: Option<&Definitions>,
) -> Check {
    const NAME: &str = "input";
    let fix = "rename the column, map it (--map 'Header=field'), or leave it out (--extra-columns ignore)";
    let mut input = match Input::open(Some(path), Layout::Plain, options) {
        Ok(input) => input,
        Err(e) => {
            return Check::fail(
                NAME,
                format!("{e:#}"),
                "give the path of a CSV file or a spreadsheet",
            );
        }
    };
    if let Err(e) = input.bind(definitions, options.headers.extra) {
        return Check::fail(NAME, format!("{e:#}"), fix);
    }
    let dialect = input.dialect();
    let encoding = match (&options.encoding, dialect.detected) {
        (Some(label), _) => label.clone(),
        (None, Some(detected)) => format!("{} (detected)", detected.name()),
        (None, None) => "UTF-8".to_owned(),
    };
    let header = input.header();
    let mut columns: Vec<String> = (Field::ALL.into_iter())
        .filter_map(|f| {
            Some(format!(
                "{} <- '{}'",
                f.name(),
                header.header(header.index(f)?)
            ))
        })
        .collect();
    columns.extend(
        header
            .attribute_columns()
            .iter()
            .map(|a| format!("attribute '{}' <- '{}'", a.name, header.header(a.index))),
    );
    let kind = match (sheet::is_spreadsheet(path), dialect.delimiter) {
        (true, _) => "a spreadsheet".to_owned(),
        (false, b'\t') => format!("CSV in {encoding}, delimiter tab"),
        (false, d) => format!("CSV in {encoding}, delimiter '{}'", d as char),
    };
    let said = format!("{}: {kind}; {}", path.display(), columns.join(", "));
    match definitions {
        Some(_) => Check::pass(NAME, said),
        None => Check::pass(
            NAME,
            format!(
                "{said} (custom attribute columns not checked: the tenant's definitions are not known)"
            ),
        ),
    }
}
