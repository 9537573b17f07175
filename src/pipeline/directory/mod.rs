//! The cached lookups, fetched once per run before any write: where to
//! import (workspace and version), the eligible users and the tags (matched
//! case-insensitively, sent as the API lists them), and the version's
//! existing sources by key. Resolving a row against them (`resolve`) turns
//! it into a `SourceDraft` or into the list of what is wrong with it.

mod resolve;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::client::api::wire::{Project, SourceItem, TagItem, UserItem, VersionItem, Workspaces};
use crate::client::api::{ApiError, Client};
use crate::client::routes;
use crate::exit::{Stop, usage};
use crate::model::key::{Key, Print};
use crate::model::outcome::Outcome;
use crate::pipeline::attributes::{Definition, Definitions};
use crate::pipeline::compare::{Current, Interner};
use crate::pipeline::input::Field;
use crate::pipeline::progress::Progress;

pub(crate) use resolve::Rules;

/// Where the rows go.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Target {
    pub(crate) workspace_id: String,
    pub(crate) workspace_name: String,
    pub(crate) version_id: String,
    pub(crate) version_name: String,
}

/// Turns an API failure during set-up into the run's error. The server
/// failing (5xx, no answer after the read retries, or a 429 pause past
/// `--max-wait`) stops the run (exit 3); a 401 keeps its own stop; anything
/// else (403, 404, a refused certificate, an answer we cannot read) is for
/// the user to fix (exit 2).
pub(crate) fn setup_error(what: &str, e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Stopped(stop @ (Stop::MaxWait(_) | Stop::HourlyBudget { .. })) => {
            Stop::SetupFailed {
                what: what.to_owned(),
                error: stop.to_string(),
            }
            .into()
        }
        ApiError::Stopped(stop) => stop.into(),
        e if e.is_transient() => Stop::SetupFailed {
            what: what.to_owned(),
            error: e.to_string(),
        }
        .into(),
        other => usage(format!("{what}: {other}")),
    }
}

/// The first request failed: a 404 at a URL without `/v2` is the URL to
/// fix (said with the one that has it); the rest as every set-up read.
fn first_answer_error(client: &Client, e: ApiError) -> anyhow::Error {
    if e.status() != Some(404) || client.base().path().ends_with("/v2") {
        return setup_error("listing workspaces", e);
    }
    let fixed = crate::client::base_url::with_v2(client.base().clone());
    usage(format!(
        "listing workspaces: {e}: the API's URL ends in /v2; try --url {fixed} \
         (or DATAGALAXY_URL={fixed})"
    ))
}

/// Finds the workspace (by name, any case, or id; the only one when not
/// named) and its version (by name; the default when not named).
pub(crate) async fn locate(
    client: &Client,
    workspace: Option<&str>,
    version: Option<&str>,
) -> anyhow::Result<Target> {
    let listed: Workspaces = (client.get_json(client.url("/workspaces", &[])).await)
        .map_err(|e| first_answer_error(client, e))?;
    let names = |ps: &[Project]| {
        ps.iter()
            .map(|p| format!("'{}'", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let project = match workspace {
        Some(wanted) => listed
            .projects
            .iter()
            .find(|p| p.id == wanted || p.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                usage(format!(
                    "no workspace '{wanted}'; there are: {}",
                    names(&listed.projects)
                ))
            })?,
        None => match listed.projects.as_slice() {
            [only] => only,
            [] => return Err(usage("the token sees no workspace")),
            several => {
                return Err(usage(format!(
                    "several workspaces: pick one with --workspace: {}",
                    names(several)
                )));
            }
        },
    }
    .clone();
    let (version_id, version_name) = match version.filter(|_| project.is_versioning_enabled) {
        None => {
            if let Some(v) = version
                && project.default_version_name.as_deref() != Some(v)
            {
                return Err(usage(format!(
                    "workspace '{}' is not versioned: no version '{v}'",
                    project.name
                )));
            }
            let id = project.default_version_id.clone().ok_or_else(|| {
                anyhow::anyhow!("workspace '{}' has no default version id", project.name)
            })?;
            (id, project.default_version_name.clone().unwrap_or_default())
        }
        Some(wanted) => {
            let versions: Vec<VersionItem> = client
                .get_all(&format!("/workspaces/{}/versions", project.id), &[])
                .await
                .map_err(|e| setup_error("listing versions", e))?;
            let found = versions
                .iter()
                .find(|v| v.version_name.eq_ignore_ascii_case(wanted))
                .ok_or_else(|| {
                    let all: Vec<&str> = versions.iter().map(|v| v.version_name.as_str()).collect();
                    usage(format!(
                        "workspace '{}' has no version '{wanted}'; it has: {}",
                        project.name,
                        all.join(", ")
                    ))
                })?;
            (found.version_id.clone(), found.version_name.clone())
        }
    };
    Ok(Target {
        workspace_id: project.id,
        workspace_name: project.name,
        version_id,
        version_name,
    })
}

/// An existing source.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Existing {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) location: Option<String>,
    /// What it holds now, when the listing said (`includeAttributes`).
    pub(crate) current: Option<Box<Current>>,
}

impl From<SourceItem> for Existing {
    fn from(s: SourceItem) -> Existing {
        Existing::listed(s, &Interner::default())
    }
}

/// `o`, naming the source it is about.
pub(crate) fn with_source(mut o: Outcome, existing: &Existing) -> Outcome {
    o.source_id = Some(existing.id.clone());
    o.location = existing.location.clone();
    o
}

impl Existing {
    /// A listed source; values many share are kept once, in `pool`.
    pub(crate) fn listed(s: SourceItem, pool: &Interner) -> Existing {
        Existing {
            current: Current::from_listed(&s, pool).map(Box::new),
            id: s.id,
            name: s.name,
            location: s.location,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Directory {
    /// lower-case email → as listed
    users: HashMap<String, String>,
    /// lower-case tag → as listed
    tags: HashMap<String, String>,
    /// key → source
    existing: HashMap<Key, Existing>,
    /// Prints of the existing sources' names, in lower case: a row that
    /// creates a source under a name already taken is told so.
    names: std::collections::HashSet<Print>,
    /// The existing keys, by the print of their folded form: a row's key
    /// that differs only in case or Unicode form is told which source it
    /// nearly names.
    folded: HashMap<Print, Key>,
    /// The listing carried the sources' attributes (it was asked to, and the
    /// tenant honoured it): rows can be compared with what the server holds.
    pub(crate) attributes_known: bool,
    /// The custom attributes of sources; `None` when the tenant would not
    /// list them (403 or 404).
    pub(crate) definitions: Option<Definitions>,
    /// Did-you-mean, computed once per distinct unknown value.
    suggestions: Mutex<HashMap<(Field, String), Option<String>>>,
    /// Tags to create (`--create-missing-tags`), lower case → the spelling
    /// of the first row that named it: every row sends that one.
    new_tags: Mutex<HashMap<String, String>>,
}

impl Directory {
    #[cfg(test)]
    pub(crate) fn new(
        users: Vec<String>,
        tags: Vec<String>,
        existing: Vec<SourceItem>,
    ) -> Directory {
        let existing = existing
            .into_iter()
            .map(|s| (Key::source(s.technical_key()), Existing::from(s)))
            .collect();
        Directory::with_existing(users, tags, existing)
    }

    /// `existing`: key and source, as listed.
    fn with_existing(
        users: Vec<String>,
        tags: Vec<String>,
        existing: Vec<(Key, Existing)>,
    ) -> Directory {
        Directory {
            users: users.into_iter().map(|e| (e.to_lowercase(), e)).collect(),
            tags: tags.into_iter().map(|t| (t.to_lowercase(), t)).collect(),
            attributes_known: !existing.is_empty()
                && existing.iter().all(|(_, e)| e.current.is_some()),
            names: (existing.iter())
                .map(|(_, e)| Print::of(&e.name.to_lowercase()))
                .collect(),
            folded: (existing.iter())
                .map(|(key, _)| (key.folded().print(), key.clone()))
                .collect(),
            existing: existing.into_iter().collect(),
            definitions: None,
            suggestions: Mutex::default(),
            new_tags: Mutex::default(),
        }
    }

    /// Users, tags, the existing sources of the version (every page) and the
    /// attribute definitions of sources; the four reads go at once (they are
    /// independent), under the limiter. With `attributes`, the listing asks
    /// for what each source holds, so that rows can be compared with it (or
    /// exported). `progress` counts the sources as they are listed.
    pub(crate) async fn load(
        client: &Client,
        target: &Target,
        attributes: bool,
        progress: Option<&Progress>,
    ) -> anyhow::Result<Directory> {
        let version = target.version_id.as_str();
        let users_path = format!("/users/{version}");
        let mut in_version = vec![("versionId", version)];
        if attributes {
            in_version.push(("includeAttributes", "true"));
        }
        let listing = |what: &'static str| move |e| setup_error(what, e);
        let (users, tags, sources, definitions) = tokio::try_join!(
            async {
                (client
                    .get_all::<UserItem>(&users_path, &[("module", "catalog")])
                    .await)
                    .map_err(listing("listing users"))
            },
            async {
                (client.get_all::<TagItem>("/tags", &[]).await).map_err(listing("listing tags"))
            },
            async {
                let pool = Interner::default();
                let existing = |s: SourceItem| {
                    if let Some(p) = progress {
                        p.row_done(true);
                    }
                    (Key::source(s.technical_key()), Existing::listed(s, &pool))
                };
                (client
                    .get_all_as(routes::Kind::Source.listing(), &in_version, existing)
                    .await)
                    .map_err(listing("listing the existing sources"))
            },
            load_definitions(client),
        )?;
        let tags = tags.into_iter().filter_map(TagItem::text).collect();
        let mut directory =
            Directory::with_existing(users.into_iter().map(|u| u.email).collect(), tags, sources);
        directory.definitions = definitions;
        Ok(directory)
    }

    /// Whether the tenant lists this email among the users (any case).
    pub(crate) fn knows_user(&self, email: &str) -> bool {
        self.users.contains_key(&email.to_lowercase())
    }

    /// Whether the tenant lists this tag (any case).
    pub(crate) fn knows_tag(&self, tag: &str) -> bool {
        self.tags.contains_key(&tag.to_lowercase())
    }

    /// The tags the tenant lists, as listed.
    pub(crate) fn tag_names(&self) -> impl Iterator<Item = &str> {
        self.tags.values().map(String::as_str)
    }

    /// The definition of a custom attribute, by display name.
    pub(crate) fn definition(&self, name: &str) -> Option<&Definition> {
        self.definitions.as_ref()?.get(name)
    }

    /// Whether an existing source bears this name (any case).
    pub(crate) fn name_taken(&self, name: &str) -> bool {
        self.names.contains(&Print::of(&name.to_lowercase()))
    }

    /// The existing key that `key` matches but for case or Unicode form,
    /// when it matches none exactly.
    pub(crate) fn nearly(&self, key: &Key) -> Option<&Key> {
        let folded = key.folded();
        let found = self.folded.get(&folded.print())?;
        let differs = found != key && !self.existing.contains_key(key);
        // A print is a hash: the two keys must fold alike indeed.
        (differs && found.folded() == folded).then_some(found)
    }

    pub(crate) fn existing(&self, key: &Key) -> Option<&Existing> {
        self.existing.get(key)
    }

    /// Every existing source, by key.
    pub(crate) fn sources(&self) -> impl Iterator<Item = (&Key, &Existing)> {
        self.existing.iter()
    }

    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        (self.users.len(), self.tags.len(), self.existing.len())
    }
}

/// `GET /attributes?dataType=source`, once; a tenant that answers 403 or
/// 404 lists none (said once), and custom attribute columns go unchecked.
async fn load_definitions(client: &Client) -> anyhow::Result<Option<Definitions>> {
    match attribute_listing(client, "source").await {
        Ok(Some(listing)) => Ok(Some(Definitions::from_listing(&listing))),
        Ok(None) => {
            tracing::warn!(
                "the API would not list the attributes of sources: custom attribute \
                 columns cannot be checked; --extra-columns attributes sends unknown columns as text"
            );
            Ok(None)
        }
        Err(e) => Err(setup_error("listing the attribute definitions", e)),
    }
}

/// The attribute definitions of one kind (`source`, `container`,
/// `structure`, `field`) as listed, every page in one listing; `None` when
/// the tenant will not list them (403, or the route missing: 404, 405, 501).
pub(crate) async fn attribute_listing(
    client: &Client,
    data_type: &str,
) -> Result<Option<serde_json::Value>, ApiError> {
    let query = [("dataType", data_type)];
    let first = match client
        .get_json::<serde_json::Value>(client.url("/attributes", &query))
        .await
    {
        Ok(listing) => listing,
        // Refused to this token, or a route the tenant lacks.
        Err(e)
            if e.status()
                .is_some_and(|s| s == 403 || routes::is_missing(s)) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    // A paged answer: the other pages, by number, as every listing.
    let pages = first
        .get("pages")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(1);
    let mut listing = first;
    for page in 2..=pages {
        let page = page.to_string();
        let url = client.url("/attributes", &[query[0], ("page", page.as_str())]);
        let more: serde_json::Value = client.get_json(url).await?;
        let items = more.get("results").and_then(|r| r.as_array()).cloned();
        if let Some(all) = listing.get_mut("results").and_then(|r| r.as_array_mut()) {
            all.extend(items.unwrap_or_default());
        }
    }
    Ok(Some(listing))
}
