//! The dictionary's own rooms, beside the sources': what each column of a
//! dictionary file holds (`columns`), a row read as the path of the object
//! it describes and that object's attributes (`rows`), the tree the rows
//! describe, duplicates and near-duplicates found (`tree`), and the one table
//! from a database's data type to a field's `columnDataType` (`data_type`). Tested on the
//! exports real databases wrote (`tests/fixtures/dictionary`); `run`,
//! `check` and `export` do not read or write dictionaries yet.

pub mod columns;
pub mod data_type;
pub mod rows;
pub mod tree;
