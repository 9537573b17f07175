//! The sandbox's dictionary endpoints, as the contract's section "The
//! dictionary" describes them: the types of each kind with the children
//! they accept, the listings of containers, structures and fields (by
//! version, by parent, with their paths and attributes), and the bulktree.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::answer::{body_json, error, paged_with, parse_query, refused};
use super::store::Store;
use super::store::dictionary::{NodeKind, StoredNode};
use super::store::types;
use super::{App, Variant};

/// The largest bulktree body, in bytes (beyond: 413).
const MAX_TREE_BYTES: usize = 100 * 1024 * 1024;

/// `GET /{sources|containers|structures|fields}/types`.
pub(crate) fn types_of(kind: Option<NodeKind>) -> Value {
    let items = types::of_kind(kind).map(|t| match kind {
        Some(NodeKind::Field) => json!({"type": t.name}),
        _ => json!({"type": t.name, "compatibleChildren": t.children}),
    });
    Value::Array(items.collect())
}

pub(crate) async fn source_types() -> Response {
    axum::Json(types_of(None)).into_response()
}

pub(crate) async fn container_types() -> Response {
    axum::Json(types_of(Some(NodeKind::Container))).into_response()
}

pub(crate) async fn structure_types() -> Response {
    axum::Json(types_of(Some(NodeKind::Structure))).into_response()
}

pub(crate) async fn field_types() -> Response {
    axum::Json(types_of(Some(NodeKind::Field))).into_response()
}

pub(crate) async fn containers(app: State<Arc<App>>, raw: RawQuery) -> Response {
    list(app, raw, NodeKind::Container)
}

pub(crate) async fn structures(app: State<Arc<App>>, raw: RawQuery) -> Response {
    list(app, raw, NodeKind::Structure)
}

pub(crate) async fn fields(app: State<Arc<App>>, raw: RawQuery) -> Response {
    list(app, raw, NodeKind::Field)
}

/// A listing of one kind: the version's, or a parent's direct children.
fn list(State(app): State<Arc<App>>, RawQuery(raw): RawQuery, kind: NodeKind) -> Response {
    let query = parse_query(raw);
    let Some(version_id) = query.get("versionId").cloned() else {
        return error(&app, StatusCode::BAD_REQUEST, "versionId: required");
    };
    let store = app.store();
    if !store.version_exists(&version_id) {
        let message = format!("version '{version_id}' not found");
        return error(&app, StatusCode::NOT_FOUND, &message);
    }
    let attributes = query.get("includeAttributes").is_some_and(|v| v == "true");
    let paths = !app.has(Variant::NoTypePaths);
    let dictionary = &store.dictionary;
    let nodes: Vec<&StoredNode> = match query.get("parentId") {
        Some(parent) => dictionary.children_of(parent),
        None => dictionary.nodes.iter().collect(),
    };
    let nodes: Vec<&StoredNode> = (nodes.into_iter())
        .filter(|n| n.kind == kind && n.version_id == version_id)
        .collect();
    let path = format!("/{}", kind.plural());
    paged_with(&app, &path, &query, nodes, |n| {
        item(&store, n, attributes, paths)
    })
}

/// One node as the listings show it.
fn item(store: &Store, node: &StoredNode, attributes: bool, paths: bool) -> Value {
    let chain = store.dictionary.chain(node);
    let source = store.source_by_id(&node.version_id, &node.source_id);
    let joined = |part: &dyn Fn(&StoredNode) -> &str, head: Option<&str>| {
        let mut path = format!("\\{}", head.unwrap_or_default());
        for n in &chain {
            path.push('\\');
            path.push_str(part(n));
        }
        path
    };
    let mut item = json!({
        "id": node.id, "name": node.name, "technicalName": node.technical_name,
        "type": node.node_type, "dataType": node.kind.data_type(), "versionId": node.version_id,
        "path": joined(&|n| &n.technical_name, source.map(|s| s.technical_name.as_str())),
        "location": format!("{}/{}/{}", node.kind.plural(), node.version_id, node.id),
    });
    if paths {
        item["typePath"] = json!(joined(
            &|n| &n.node_type,
            source.map(|s| s.source_type.as_str())
        ));
        item["functionalPath"] = json!(joined(&|n| &n.name, source.map(|s| s.name.as_str())));
    }
    if attributes {
        let mut held = node.attributes.clone();
        for (key, value) in [
            ("status", json!(node.status)),
            ("owners", json!(node.owners)),
            ("stewards", json!(node.stewards)),
            ("tags", json!(node.tags)),
            ("summary", json!(node.summary)),
            ("description", json!(node.description)),
        ] {
            held.insert(key.into(), value);
        }
        item["attributes"] = Value::Object(held);
    }
    item
}

/// `POST /sources/bulktree/{versionId}`.
pub(crate) async fn bulktree(
    State(app): State<Arc<App>>,
    Path(version_id): Path<String>,
    body: Bytes,
) -> Response {
    if body.len() > MAX_TREE_BYTES {
        let message = format!(
            "the body is {} bytes, more than {MAX_TREE_BYTES}",
            body.len()
        );
        return error(&app, StatusCode::PAYLOAD_TOO_LARGE, &message);
    }
    let body = match body_json(&app, &body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let mut store = app.store();
    if !store.version_exists(&version_id) {
        let message = format!("version '{version_id}' not found");
        return error(&app, StatusCode::NOT_FOUND, &message);
    }
    let atomic = !app.has(Variant::TreeNotAtomic);
    let refuse_node = app.refused_node.lock().expect("refused node lock").clone();
    let done = store.bulktree(
        &version_id,
        &body,
        (
            atomic,
            refuse_node.as_deref(),
            crate::sandbox::store::Mandatory::Checked,
        ),
    );
    drop(store);
    let status = match app.has(Variant::TreeCreated) {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    match done {
        Ok(counts) => (status, axum::Json(counts)).into_response(),
        Err(r) => refused(&app, r),
    }
}
