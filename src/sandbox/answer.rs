//! How the sandbox answers, whatever the route: errors in the shape the
//! variants ask for, queries and bodies read, and the paging envelope of
//! every listing.

// Early answers are whole `Response`s, as axum handlers return them.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::store::Refusal;
use super::{App, Variant};

pub(crate) type Query = BTreeMap<String, String>;

/// An error answer in the shape the variants ask for.
pub(crate) fn error(app: &App, status: StatusCode, message: &str) -> Response {
    if status.is_server_error() && app.has(Variant::HtmlErrors) {
        let html = format!(
            "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
        );
        return (status, [(header::CONTENT_TYPE, "text/html")], html).into_response();
    }
    let body = if app.has(Variant::PlainErrors) {
        json!({"error": message})
    } else {
        json!({"error": {"message": message, "status": status.as_u16()}})
    };
    (status, axum::Json(body)).into_response()
}

pub(crate) fn refused(app: &App, r: Refusal) -> Response {
    error(
        app,
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
        &r.message,
    )
}

pub(crate) fn parse_query(raw: Option<String>) -> Query {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

pub(crate) fn body_json(app: &App, body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            app,
            StatusCode::BAD_REQUEST,
            &format!("the body is not valid JSON: {e}"),
        )
    })
}

/// The paging envelope of every list endpoint, with an absolute `next_page`.
pub(crate) fn paged<T: Serialize>(app: &App, path: &str, query: &Query, items: Vec<T>) -> Response {
    paged_with(app, path, query, items, |i| i)
}

/// As `paged`, turning only the items of the page asked for into JSON.
pub(crate) fn paged_with<T, U: Serialize>(
    app: &App,
    path: &str,
    query: &Query,
    items: Vec<T>,
    show: impl Fn(T) -> U,
) -> Response {
    let number = |key: &str, default: usize| -> Result<usize, Response> {
        match query.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                error(
                    app,
                    StatusCode::BAD_REQUEST,
                    &format!("{key}: '{v}' is not a whole number"),
                )
            }),
        }
    };
    let (page, limit) = match (number("page", 1), number("limit", 20)) {
        (Ok(p), Ok(l)) => (p, l),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    if page < 1 {
        return error(app, StatusCode::BAD_REQUEST, "page: must be 1 or more");
    }
    if !(1..=5000).contains(&limit) {
        return error(
            app,
            StatusCode::BAD_REQUEST,
            &format!("limit: {limit} is outside 1..5000"),
        );
    }
    let total_sum = items.len();
    let pages = total_sum.div_ceil(limit).max(1);
    let results: Vec<U> = items
        .into_iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .map(show)
        .collect();
    let mut body = json!({"pages": pages, "total": results.len(), "results": results});
    if !app.has(Variant::NoNextPage) {
        let next = (page < pages).then(|| {
            let mut q = query.clone();
            q.insert("page".into(), (page + 1).to_string());
            let qs = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&q)
                .finish();
            let origin = if app.has(Variant::ForeignNextPage) {
                super::FOREIGN_ORIGIN.to_owned()
            } else {
                app.origin()
            };
            format!("{origin}/v2{path}?{qs}")
        });
        body["next_page"] = json!(next);
        body["total_sum"] = json!(total_sum);
    }
    axum::Json(body).into_response()
}
