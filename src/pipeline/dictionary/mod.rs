//! The dictionary's own rooms, beside the sources': what each column of a
//! dictionary file holds (`columns`), a row read as the path of the object
//! it describes and that object's attributes (`rows`), the tree the rows
//! describe, duplicates and near-duplicates found (`tree`), and the one table
//! from a database's data type to a field's `columnDataType` (`data_type`);
//! the tenant's dictionary listed into the same tree (`listing`) with its
//! types (`types`), a file's rows checked against both (`check`), and a tree
//! written as a table to edit and read back (`export`). Tested on the
//! exports real databases wrote (`tests/fixtures/dictionary`); `check` and
//! `export --kind dictionary` use them, `run` does not import one yet.

pub(crate) mod check;
pub mod columns;
pub mod data_type;
pub mod export;
pub(crate) mod listing;
pub mod rows;
pub mod tree;
pub(crate) mod types;
