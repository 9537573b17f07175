//! The dictionary's own rooms, beside the sources': what each column of a
//! dictionary file holds (`columns`), a row read as the path of the object
//! it describes and that object's attributes (`rows`), the tree the rows
//! describe, duplicates and near-duplicates found (`tree`), and the one table
//! from a database's data type to a field's `columnDataType` (`data_type`);
//! the tenant's dictionary listed into the same tree (`listing`) with its
//! types (`types`) and custom attributes per kind (`custom`), a file's rows
//! checked against them (`check`), and a tree
//! written as a table to edit and read back (`export`); what a run writes,
//! cut into bulktrees with their chains (`plan`), and those trees sent, each
//! row's result taken from the answers or the listing after (`write`);
//! what left the file set `Obsolete` under its guard (`retire`).
//! Tested on the exports real databases wrote (`tests/fixtures/dictionary`).

pub mod attributes;
pub(crate) mod check;
pub mod columns;
pub(crate) mod custom;
pub mod data_type;
pub mod export;
pub(crate) mod ids;
pub(crate) mod listing;
pub(crate) mod plan;
pub(crate) mod retire;
pub mod rows;
pub mod tree;
pub(crate) mod types;
pub(crate) mod write;
