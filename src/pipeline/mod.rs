//! A row's trip, in order: `input` (read, map the header; a first pass,
//! `survey`, counts the rows) → `directory`
//! (validate, resolve against the cached look-ups, type custom attributes
//! with `attributes`) → `plan` (duplicates, what exists, what was done
//! before, what an update changes: `compare`) → `batch` (units of work) →
//! `send` or `bulk` → `journal` and `report`; `retire` after the rows, in
//! its `scope` (which export also reads);
//! `record` beside the report; `progress` and `summary` for the user.
//! `import` drives the rows through it; `ids` fills in the ids of the
//! rows created in bulk.

pub mod attributes;
pub mod batch;
pub mod bulk;
pub mod compare;
pub mod dictionary;
pub mod directory;
pub mod ids;
pub mod import;
pub mod input;
pub mod journal;
pub mod plan;
pub mod progress;
pub mod record;
pub mod report;
pub mod retire;
pub mod scope;
pub mod send;
pub mod summary;
pub mod survey;
