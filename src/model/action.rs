//! What a planned write does to its object: create it, or update the one
//! that exists; the route it takes, what the journal notes before it goes,
//! and what the row reports once done, all follow from it.

use serde::{Deserialize, Serialize};

use crate::model::outcome::RowResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create = 0,
    Update = 1,
}

impl Action {
    /// `Update` when the object exists (or an earlier row makes it).
    pub(crate) fn of(exists: bool) -> Action {
        match exists {
            true => Action::Update,
            false => Action::Create,
        }
    }
}

impl Action {
    /// What a row reports once its write is done.
    pub(crate) fn done(self) -> RowResult {
        match self {
            Action::Create => RowResult::Created,
            Action::Update => RowResult::Updated,
        }
    }

    /// What `check` reports of a row that would do it.
    pub(crate) fn would(self) -> RowResult {
        match self {
            Action::Create => RowResult::WouldCreate,
            Action::Update => RowResult::WouldUpdate,
        }
    }
}
