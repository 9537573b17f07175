//! The nouns every stage shares: a source as a row describes it, the `key`
//! that names an object through a run, its planned `action` (create or
//! update), what a row does when its source exists, what happened to a row
//! (its outcome; a file's, held compact: `outcomes`), and the closest
//! known value to an unknown one.

pub mod action;
pub mod if_exists;
pub mod key;
pub mod outcome;
pub mod outcomes;
pub mod source;
pub mod suggest;
