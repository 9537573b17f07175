//! What a row does when a source with its technical name already exists:
//! the user's choice (`--if-exists`), kept in the run record so that a
//! rerun or a resume makes the same one.

/// What to do with a row whose source (same technical name) already exists.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum IfExists {
    /// The row fails as already existing, without being sent.
    Fail,
    /// The row is `unchanged`, not sent.
    Skip,
    /// The row is sent with `upsert: true` and ends `updated`.
    Update,
}
