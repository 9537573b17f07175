//! The sandbox's endpoints, as `datagalaxy-api.md` describes them, under
//! `/v2`. Auth, limits and faults are applied before a request gets here
//! (see `serve.rs`); these handlers only speak the API's data and errors.

// Early answers are whole `Response`s, as axum handlers return them; boxing
// them to shrink the `Err` side would buy nothing in a test server.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::answer::{body_json, error, paged, paged_with, parse_query, refused};
use super::dictionary_routes as tree;
use super::store::dictionary::NodeKind;
use super::store::{Refusal, StoredSource, Written};
use super::{App, Variant};
use crate::model::source::SourceType;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v2/workspaces", get(workspaces))
        .route("/v2/workspaces/{id}/versions", get(versions))
        .route("/v2/users/{version_id}", get(users))
        .route("/v2/tags", get(tags).post(create_tag))
        .route("/v2/attributes", get(attributes))
        .route("/v2/sources", get(list_sources))
        .route("/v2/sources/{version_id}", post(create_source))
        .route(
            "/v2/sources/{version_id}/{source_id}",
            get(get_source).put(edit_source),
        )
        .route(
            "/v2/sources/bulk/{version_id}",
            post(create_bulk).put(edit_bulk),
        )
        .route("/v2/sources/types", get(tree::source_types))
        .route("/v2/containers/types", get(tree::container_types))
        .route("/v2/structures/types", get(tree::structure_types))
        .route("/v2/fields/types", get(tree::field_types))
        .route("/v2/containers", get(tree::containers))
        .route("/v2/structures", get(tree::structures))
        .route("/v2/fields", get(tree::fields))
        .route(
            "/v2/sources/bulktree/{version_id}",
            post(tree::bulktree).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .fallback(not_found)
        .with_state(app)
}

async fn not_found(State(app): State<Arc<App>>) -> Response {
    error(&app, StatusCode::NOT_FOUND, "no such route")
}

fn version_missing(app: &App, version_id: &str) -> Response {
    error(
        app,
        StatusCode::NOT_FOUND,
        &format!("version '{version_id}' not found"),
    )
}

async fn workspaces(State(app): State<Arc<App>>) -> Response {
    let store = app.store();
    let projects: Vec<Value> = store
        .workspaces
        .iter()
        .map(|w| {
            let default = w
                .versions
                .iter()
                .find(|v| v.is_default)
                .unwrap_or(&w.versions[0]);
            json!({"id": w.id, "name": w.name, "description": w.description, "parentId": null,
                   "canCreateEntities": true, "isVersioningEnabled": w.versioning,
                   "defaultVersionId": default.id, "defaultVersionName": default.name})
        })
        .collect();
    axum::Json(json!({"organizations": [], "projects": projects})).into_response()
}

async fn versions(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let items: Option<Vec<Value>> = app.store().workspaces.iter().find(|w| w.id == id).map(|w| {
        w.versions
            .iter()
            .map(|v| json!({"versionId": v.id, "versionName": v.name, "isDefaultVersion": v.is_default}))
            .collect()
    });
    match items {
        Some(items) => paged(
            &app,
            &format!("/workspaces/{id}/versions"),
            &parse_query(raw),
            items,
        ),
        None => error(
            &app,
            StatusCode::NOT_FOUND,
            &format!("workspace '{id}' not found"),
        ),
    }
}

async fn users(
    State(app): State<Arc<App>>,
    Path(version_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = parse_query(raw);
    let store = app.store();
    if !store.version_exists(&version_id) {
        return version_missing(&app, &version_id);
    }
    let role = query.get("role").map(|r| r.to_lowercase());
    if let Some(r) = &role
        && r != "owner"
        && r != "steward"
    {
        return error(
            &app,
            StatusCode::BAD_REQUEST,
            &format!("role: '{r}' is not owner or steward"),
        );
    }
    let email = query.get("email").map(|e| e.to_lowercase());
    let items: Vec<Value> = store
        .users
        .iter()
        .filter(|u| role.as_ref().is_none_or(|r| u.roles.contains(r)))
        .filter(|u| email.as_ref().is_none_or(|e| u.email.to_lowercase() == *e))
        .map(|u| {
            json!({"userId": u.user_id, "licenseLevel": u.license_level, "firstName": u.first_name,
                   "lastName": u.last_name, "email": u.email, "licenseId": 3,
                   "title": null, "service": null, "role": null})
        })
        .collect();
    drop(store);
    paged(&app, &format!("/users/{version_id}"), &query, items)
}

async fn tags(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let key = if app.has(Variant::TagLabel) {
        "label"
    } else {
        "name"
    };
    let items: Vec<Value> = app
        .store()
        .tags
        .iter()
        .map(|t| json!({key: t.label, "description": t.description, "color": t.color, "isActive": t.is_active}))
        .collect();
    paged(&app, "/tags", &parse_query(raw), items)
}

/// The system attributes of sources, listed before the custom ones.
const SYSTEM_ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("name", "Name", "Text"),
    ("technicalName", "Technical name", "Text"),
    ("status", "Status", "ValueList"),
    ("summary", "Summary", "Text"),
    ("description", "Description", "FormattedText"),
    ("owners", "Owners", "UserReference"),
    ("stewards", "Stewards", "UserReference"),
    ("tags", "Tags", "ManagedTag"),
];

/// The system attributes only fields carry.
const FIELD_ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("columnDataType", "Data type", "ValueList"),
    ("size", "Size", "Number"),
    ("isMandatory", "Mandatory", "Boolean"),
    ("isPrimaryKey", "Primary key", "Boolean"),
    ("order", "Order", "Number"),
    ("technicalComments", "Technical comments", "Text"),
];

/// `GET /attributes?dataType=source|container|structure|field`: an array
/// of system and custom attribute definitions of that kind (404 under
/// `--variant no-attribute-definitions`).
async fn attributes(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    if app.has(Variant::NoAttributeDefinitions) {
        return error(&app, StatusCode::NOT_FOUND, "no route /attributes");
    }
    let query = parse_query(raw);
    let asked = query
        .get("dataType")
        .map(String::as_str)
        .unwrap_or_default();
    let kind = match asked.eq_ignore_ascii_case("source") {
        true => None,
        false => match NodeKind::of_data_type(asked) {
            Some(kind) => Some(kind),
            None => return axum::Json(json!([])).into_response(),
        },
    };
    let data_type = kind.map_or("Source", NodeKind::data_type);
    let own = match kind {
        Some(NodeKind::Field) => FIELD_ATTRIBUTES,
        _ => &[],
    };
    let system = SYSTEM_ATTRIBUTES
        .iter()
        .chain(own)
        .map(|(key, name, format)| {
            json!({"name": name, "attributeKey": key, "format": format, "dataType": data_type,
               "description": null, "defaultValue": null, "isCustom": false,
               "isMandatory": *key == "name", "isEditable": true})
        });
    let store = app.store();
    let defs = match kind {
        None => store.attributes.iter().collect::<Vec<_>>(),
        Some(kind) => (store.dictionary.attributes.iter())
            .filter(|a| a.kind == Some(kind))
            .collect(),
    };
    let custom = defs.into_iter().map(|a| {
        let mut item = json!({"name": a.name, "attributeKey": a.name.replace(' ', ""),
            "format": a.format, "dataType": data_type, "description": a.description,
            "defaultValue": null, "isCustom": true, "isMandatory": a.is_mandatory,
            "isEditable": true});
        if !a.values.is_empty() {
            item["values"] = json!(a.values);
        }
        item
    });
    let items: Vec<Value> = system.chain(custom).collect();
    drop(store);
    if app.has(Variant::PagedAttributes) {
        // The paging envelope, 5 a page unless asked otherwise.
        let mut query = query;
        query.entry("limit".into()).or_insert_with(|| "5".into());
        return paged(&app, "/attributes", &query, items);
    }
    axum::Json(Value::Array(items)).into_response()
}

async fn create_tag(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_json(&app, &body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let created = app.store().create_tag(&body);
    match created {
        Ok(tag) => (StatusCode::CREATED, axum::Json(tag)).into_response(),
        Err(r) => refused(&app, r),
    }
}

fn created_body(s: &StoredSource) -> Value {
    json!({"id": s.id, "location": s.location()})
}

async fn create_source(
    State(app): State<Arc<App>>,
    Path(version_id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match body_json(&app, &body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let mut store = app.store();
    if !store.version_exists(&version_id) {
        return version_missing(&app, &version_id);
    }
    let written = store.upsert_source(&version_id, &body);
    drop(store);
    match written {
        Ok(Written::Created(s)) => {
            (StatusCode::CREATED, axum::Json(created_body(&s))).into_response()
        }
        Ok(Written::Updated(s) | Written::Unchanged(s)) => {
            let status = if app.has(Variant::UpsertCreated) {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, axum::Json(created_body(&s))).into_response()
        }
        Err(r) => refused(&app, r),
    }
}

async fn create_bulk(
    State(app): State<Arc<App>>,
    Path(version_id): Path<String>,
    body: Bytes,
) -> Response {
    bulk(&app, &version_id, &body, |store, items| {
        let n = store.create_bulk(&version_id, items)?;
        Ok(json!({"total": n, "created": n, "updated": 0, "deleted": 0, "unchanged": 0}))
    })
}

/// A bulk route: an array of sources for a version, applied by `apply`,
/// whose counts are the answer.
fn bulk(
    app: &App,
    version_id: &str,
    body: &Bytes,
    apply: impl FnOnce(&mut super::Store, &[Value]) -> Result<Value, Refusal>,
) -> Response {
    let body = match body_json(app, body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let Some(items) = body.as_array() else {
        return error(
            app,
            StatusCode::BAD_REQUEST,
            "the body must be an array of sources",
        );
    };
    let mut store = app.store();
    if !store.version_exists(version_id) {
        return version_missing(app, version_id);
    }
    let applied = apply(&mut store, items);
    drop(store);
    match applied {
        Ok(counts) => axum::Json(counts).into_response(),
        Err(r) => refused(app, r),
    }
}

fn listed(s: &StoredSource) -> Value {
    json!({"id": s.id, "name": s.name, "technicalName": s.technical_name, "type": s.source_type,
           "dataType": "Source", "versionId": s.version_id, "path": format!("\\{}", s.name),
           "location": s.location()})
}

/// A listed source with its `attributes`, as `includeAttributes=true` asks:
/// unset fields left out or `null`, read-only ones beside them.
fn listed_with_attributes(app: &App, store: &super::Store, s: &StoredSource) -> Value {
    let mut item = listed(s);
    let people = |emails: &[String]| -> Value {
        if app.has(Variant::UserObjects) {
            emails
                .iter()
                .map(|e| {
                    let user = store.users.iter().find(|u| u.email.eq_ignore_ascii_case(e));
                    json!({"email": e, "userId": user.map(|u| u.user_id.clone()),
                           "firstName": user.map(|u| u.first_name.clone())})
                })
                .collect()
        } else {
            json!(emails)
        }
    };
    let mut attributes = s.attributes.clone();
    attributes.extend([
        ("status".to_owned(), json!(s.status)),
        ("summary".to_owned(), json!(s.summary)),
        ("description".to_owned(), json!(s.description)),
        ("owners".to_owned(), people(&s.owners)),
        ("stewards".to_owned(), people(&s.stewards)),
        ("tags".to_owned(), json!(s.tags)),
        ("creationTime".to_owned(), json!("2026-01-01T00:00:00Z")),
        ("technologyCode".to_owned(), Value::Null),
    ]);
    item["attributes"] = Value::Object(attributes);
    item
}

async fn list_sources(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let query = parse_query(raw);
    let large = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > 1000);
    if large && app.has(Variant::SlowLargePages) {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
    let Some(version_id) = query.get("versionId") else {
        return error(&app, StatusCode::BAD_REQUEST, "versionId: required");
    };
    if let Some(t) = query.get("type")
        && SourceType::from_api(t).is_none()
    {
        return error(
            &app,
            StatusCode::BAD_REQUEST,
            &format!("type: '{t}' is not a source type"),
        );
    }
    let store = app.store();
    if !store.version_exists(version_id) {
        return version_missing(&app, version_id);
    }
    let partial = app.has(Variant::PartialTechnicalName);
    let with_attributes = query.get("includeAttributes").map(String::as_str) == Some("true")
        && !app.has(Variant::NoAttributes);
    let technical = query.get("technicalName");
    let in_version = match technical {
        Some(t) if !partial => store.find_source(version_id, t).into_iter().collect(),
        _ => store.version_sources(version_id),
    };
    let items: Vec<&StoredSource> = in_version
        .into_iter()
        .filter(|s| match technical {
            Some(t) if partial => s.technical_name.to_lowercase().contains(&t.to_lowercase()),
            _ => true,
        })
        .filter(|s| query.get("name").is_none_or(|n| &s.name == n))
        .filter(|s| query.get("type").is_none_or(|t| &s.source_type == t))
        .collect();
    // Only the page asked for is turned into JSON: listings of large versions stay cheap.
    paged_with(&app, "/sources", &query, items, |s| {
        if with_attributes {
            listed_with_attributes(&app, &store, s)
        } else {
            listed(s)
        }
    })
}

async fn edit_source(
    State(app): State<Arc<App>>,
    Path((version_id, source_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match body_json(&app, &body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let edited = app.store().edit_source(&version_id, &source_id, &body);
    match edited {
        None => error(
            &app,
            StatusCode::NOT_FOUND,
            &format!("source '{source_id}' not found"),
        ),
        Some(Ok(Written::Updated(s) | Written::Unchanged(s) | Written::Created(s))) => {
            axum::Json(created_body(&s)).into_response()
        }
        Some(Err(r)) => refused(&app, r),
    }
}

async fn edit_bulk(
    State(app): State<Arc<App>>,
    Path(version_id): Path<String>,
    body: Bytes,
) -> Response {
    bulk(&app, &version_id, &body, |store, items| {
        let (updated, unchanged) = store.edit_bulk(&version_id, items)?;
        Ok(
            json!({"total": items.len(), "created": 0, "updated": updated, "deleted": 0,
                  "unchanged": unchanged}),
        )
    })
}

async fn get_source(
    State(app): State<Arc<App>>,
    Path((version_id, source_id)): Path<(String, String)>,
) -> Response {
    let found = app.store().source_by_id(&version_id, &source_id).cloned();
    match found {
        Some(s) => {
            let mut body = listed(&s);
            let extra = json!({"status": s.status, "owners": s.owners, "stewards": s.stewards,
                               "tags": s.tags, "summary": s.summary, "description": s.description,
                               "attributes": s.attributes});
            body.as_object_mut()
                .expect("object")
                .extend(extra.as_object().expect("object").clone());
            axum::Json(body).into_response()
        }
        None => error(
            &app,
            StatusCode::NOT_FOUND,
            &format!("source '{source_id}' not found"),
        ),
    }
}
