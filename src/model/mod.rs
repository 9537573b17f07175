//! The nouns every stage shares: a source as a row describes it, its
//! planned action (create or update),
//! fingerprint, what a row does when its source exists, what happened to
//! a row (its outcome), and the closest known value to an unknown one.

pub mod action;
pub mod if_exists;
pub mod outcome;
pub mod source;
pub mod suggest;
