//! The API's routes in one table: for a kind of object and a way of writing
//! it (one object, one by id, in bulk, or a source's whole tree), the
//! method and the path; each kind's listing and the listing of its types.
//! No caller builds a path. What "this route is missing here"
//! means (404, 405, 501) is decided here, and what a run learned of it is
//! remembered here, for every stage that writes (rows, retirement).

use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Method;

use crate::model::action::Action;

/// The kinds of catalog objects: a source, and the dictionary under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Source,
    Container,
    Structure,
    Field,
}

impl Kind {
    /// The listing of the kind, in a version (`?versionId=`).
    pub(crate) fn listing(self) -> &'static str {
        match self {
            Kind::Source => "/sources",
            Kind::Container => "/containers",
            Kind::Structure => "/structures",
            Kind::Field => "/fields",
        }
    }

    /// The types the tenant lists for the kind, with the children each takes.
    pub(crate) fn types(self) -> &'static str {
        match self {
            Kind::Source => "/sources/types",
            Kind::Container => "/containers/types",
            Kind::Structure => "/structures/types",
            Kind::Field => "/fields/types",
        }
    }

    /// The kind in words, plural: `containers`.
    pub(crate) fn plural(self) -> &'static str {
        &self.listing()[1..]
    }
}

/// How an object is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Way<'a> {
    /// One object: a create (or an upsert, which may update).
    One,
    /// One existing object, by its id.
    ById(&'a str),
    /// Many at once: the bulk route of an action.
    Bulk(Action),
    /// A source and any part of its tree, each node created or updated.
    Tree,
}

/// A method and a path under the base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) method: Method,
    pub(crate) path: String,
}

/// The route that writes `kind` in `version_id` the `way` asked.
/// Containers, structures and fields are only ever written in the tree of
/// their source, whatever the way.
pub(crate) fn route(kind: Kind, way: Way<'_>, version_id: &str) -> Route {
    let base = Kind::Source.listing();
    let (method, path) = match (kind, way) {
        (Kind::Source, Way::One) => (Method::POST, format!("{base}/{version_id}")),
        (Kind::Source, Way::ById(id)) => (Method::PUT, format!("{base}/{version_id}/{id}")),
        (Kind::Source, Way::Bulk(action)) => {
            (action_method(action), format!("{base}/bulk/{version_id}"))
        }
        (_, Way::Tree) | (Kind::Container | Kind::Structure | Kind::Field, _) => {
            (Method::POST, format!("{base}/bulktree/{version_id}"))
        }
    };
    Route { method, path }
}

/// The bulk create route posts new objects; the bulk edit puts changes.
fn action_method(action: Action) -> Method {
    match action {
        Action::Create => Method::POST,
        Action::Update => Method::PUT,
    }
}

/// An answer that says the route does not exist on this tenant (rather
/// than refusing what was sent to it).
pub(crate) fn is_missing(status: u16) -> bool {
    matches!(status, 404 | 405 | 501)
}

/// What a run learned of the tenant's bulk routes: once one answered as
/// missing, every stage writes one object a request from then on.
#[derive(Debug, Default)]
pub(crate) struct Known {
    missing_bulk: [AtomicBool; 2],
}

impl Known {
    /// The tenant has the bulk route of `action`, as far as this run knows.
    pub(crate) fn bulk_works(&self, action: Action) -> bool {
        !self.missing_bulk[action as usize].load(Ordering::Relaxed)
    }

    /// Notes that the tenant lacks the bulk route of `action` (said once).
    pub(crate) fn bulk_missing(&self, action: Action) {
        if !self.missing_bulk[action as usize].swap(true, Ordering::Relaxed) {
            let which = match action {
                Action::Create => "create",
                Action::Update => "edit",
            };
            tracing::warn!("the API has no bulk {which} route here: going on one request each");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_of_writing_a_source_has_its_method_and_path() {
        let v = "ws:v1";
        let table = [
            (Way::One, Method::POST, "/sources/ws:v1"),
            (Way::ById("s1"), Method::PUT, "/sources/ws:v1/s1"),
            (
                Way::Bulk(Action::Create),
                Method::POST,
                "/sources/bulk/ws:v1",
            ),
            (
                Way::Bulk(Action::Update),
                Method::PUT,
                "/sources/bulk/ws:v1",
            ),
        ];
        for (way, method, path) in table {
            let r = route(Kind::Source, way, v);
            assert_eq!((r.method, r.path.as_str()), (method, path), "{way:?}");
        }
        for kind in [Kind::Source, Kind::Field] {
            let tree = route(kind, Way::Tree, v);
            assert_eq!(
                (tree.method, tree.path.as_str()),
                (Method::POST, "/sources/bulktree/ws:v1")
            );
        }
        assert_eq!(
            route(Kind::Container, Way::One, v).path,
            "/sources/bulktree/ws:v1"
        );
        assert_eq!(Kind::Structure.listing(), "/structures");
        assert_eq!(Kind::Field.types(), "/fields/types");
        assert_eq!(Kind::Container.plural(), "containers");
        assert!(is_missing(404) && is_missing(405) && is_missing(501));
        assert!(!is_missing(400) && !is_missing(403) && !is_missing(503));
    }

    #[test]
    fn a_missing_bulk_route_is_remembered_per_action() {
        let known = Known::default();
        assert!(known.bulk_works(Action::Update));
        known.bulk_missing(Action::Update);
        assert!(!known.bulk_works(Action::Update));
        assert!(known.bulk_works(Action::Create));
    }
}
