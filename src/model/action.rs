//! What a planned write does to its object: create it, or update the one
//! that exists. One word for what travelled as booleans (`exists`,
//! `existed`) and as the bulk route's name.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
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
