//! What each column of a dictionary file holds, by its header: the levels
//! of the tree (source, container, structure, field; their display names,
//! technical names and types), the attributes of the row's deepest object,
//! the field attributes, DataGalaxy's own `Path` and `Type`, and the
//! aliases under which databases export them (`information_schema.columns`
//! as PostgreSQL, MySQL/MariaDB, SQL Server and Snowflake write it). The
//! other columns such exports carry are known, to be passed over with one
//! warning; a header neither known nor passed over is the user's own.

use crate::model::source::fold;

/// A level of the tree, from the source down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Source,
    Container,
    Structure,
    Field,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Source,
        Level::Container,
        Level::Structure,
        Level::Field,
    ];

    /// `container`, as messages and headers say it.
    pub fn word(self) -> &'static str {
        match self {
            Level::Source => "source",
            Level::Container => "container",
            Level::Structure => "structure",
            Level::Field => "field",
        }
    }
}

/// What a column of a dictionary file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    /// A level's display name (its technical name too, when it has no column of its own).
    Name(Level),
    TechnicalName(Level),
    Type(Level),
    Status,
    Owners,
    Stewards,
    Tags,
    Summary,
    Description,
    /// The database's type of a field (`data_type`, `varchar(255)`).
    DataType,
    /// The whole type, arguments included (MySQL's `COLUMN_TYPE`).
    FullType,
    Length,
    Precision,
    Scale,
    /// `YES` or `NO`: whether a field may be empty (its `isMandatory` is the opposite).
    Nullable,
    Mandatory,
    /// A boolean, or MySQL's `COLUMN_KEY` (`PRI`).
    PrimaryKey,
    Order,
    TechnicalComments,
    /// DataGalaxy's format: the path of technical names, `\src\schema\table`.
    Path,
    /// DataGalaxy's format: the object's type, or one per element of the path.
    PathType,
    /// DataGalaxy's format: the object's display name.
    DisplayName,
}

/// The attributes of a dictionary object, by their API keys, and the header
/// a file of `export` writes each under (one of its aliases below).
pub(crate) static ATTRIBUTES: &[(&str, &str)] = &[
    ("status", "status"),
    ("owners", "owners"),
    ("stewards", "stewards"),
    ("tags", "tags"),
    ("summary", "summary"),
    ("description", "description"),
    ("columnDataType", "data type"),
    ("size", "size"),
    ("isMandatory", "mandatory"),
    ("isPrimaryKey", "primary key"),
    ("order", "order"),
    ("technicalComments", "technical comments"),
];

/// The headers each column goes by, compared folded (any case, spaces,
/// `_` and `-` aside).
const ALIASES: &[(Column, &[&str])] = &[
    (
        Column::Name(Level::Source),
        &[
            "source",
            "source name",
            "database",
            "table catalog",
            "catalog",
        ],
    ),
    (
        Column::TechnicalName(Level::Source),
        &["source technical name"],
    ),
    (Column::Type(Level::Source), &["source type"]),
    (
        Column::Name(Level::Container),
        &[
            "container",
            "container name",
            "schema",
            "schema name",
            "table schema",
            "model",
        ],
    ),
    (
        Column::TechnicalName(Level::Container),
        &["container technical name", "schema technical name"],
    ),
    (Column::Type(Level::Container), &["container type"]),
    (
        Column::Name(Level::Structure),
        &["structure", "structure name", "table", "table name"],
    ),
    (
        Column::TechnicalName(Level::Structure),
        &["structure technical name", "table technical name"],
    ),
    (
        Column::Type(Level::Structure),
        &["structure type", "table type"],
    ),
    (
        Column::Name(Level::Field),
        &["field", "field name", "column", "column name"],
    ),
    (
        Column::TechnicalName(Level::Field),
        &["field technical name", "column technical name"],
    ),
    (Column::Type(Level::Field), &["field type"]),
    (Column::Status, &["status"]),
    (Column::Owners, &["owners", "owner"]),
    (Column::Stewards, &["stewards", "steward"]),
    (Column::Tags, &["tags", "tag"]),
    (Column::Summary, &["summary"]),
    (
        Column::Description,
        &[
            "description",
            "comment",
            "comments",
            "column comment",
            "remarks",
        ],
    ),
    (
        Column::DataType,
        &[
            "data type",
            "column data type",
            "columndatatype",
            "datatype",
        ],
    ),
    (Column::FullType, &["column type"]),
    (
        Column::Length,
        &["character maximum length", "size", "length", "max length"],
    ),
    (Column::Precision, &["numeric precision", "precision"]),
    (Column::Scale, &["numeric scale", "scale"]),
    (Column::Nullable, &["is nullable", "nullable"]),
    (
        Column::Mandatory,
        &["is mandatory", "ismandatory", "mandatory", "required"],
    ),
    (
        Column::PrimaryKey,
        &[
            "is primary key",
            "isprimarykey",
            "primary key",
            "pk",
            "column key",
        ],
    ),
    (Column::Order, &["ordinal position", "order", "position"]),
    (
        Column::TechnicalComments,
        &["technical comments", "technicalcomments"],
    ),
    (Column::Path, &["path"]),
    (Column::PathType, &["type"]),
    (Column::DisplayName, &["name", "display name"]),
];

/// Columns `information_schema.columns` exports carry that say nothing a
/// dictionary holds: passed over, named once in a warning.
const PASSED_OVER: &[&str] = &[
    "column default",
    "character octet length",
    "numeric precision radix",
    "datetime precision",
    "interval type",
    "interval precision",
    "character set catalog",
    "character set schema",
    "character set name",
    "collation catalog",
    "collation schema",
    "collation name",
    "domain catalog",
    "domain schema",
    "domain name",
    "udt catalog",
    "udt schema",
    "udt name",
    "scope catalog",
    "scope schema",
    "scope name",
    "maximum cardinality",
    "dtd identifier",
    "is self referencing",
    "is identity",
    "identity generation",
    "identity start",
    "identity increment",
    "identity maximum",
    "identity minimum",
    "identity cycle",
    "is generated",
    "generation expression",
    "is updatable",
    "extra",
    "privileges",
    "srs id",
    "is hidden",
    "is system time period start",
    "is system time period end",
    "system time period timestamp generation",
    "auto increment",
    "auto increment start",
    "auto increment step",
    "identity ordered",
    "kind",
    "is autoincrement",
    "collation",
    "is invisible",
];

/// What a header names, folded.
pub fn column_of(header: &str) -> Option<Column> {
    let folded = fold(header);
    ALIASES
        .iter()
        .find(|(_, names)| names.iter().any(|n| fold(n) == folded))
        .map(|(column, _)| *column)
}

/// The known header closest to `header`, for a did-you-mean.
pub fn closest(header: &str) -> Option<&'static str> {
    let names = ALIASES.iter().flat_map(|(_, names)| names.iter().copied());
    crate::model::suggest::closest(header, names)
}

/// Whether a header is one an export carries that a dictionary passes over.
pub fn passed_over(header: &str) -> bool {
    let folded = fold(header);
    PASSED_OVER.iter().any(|n| fold(n) == folded)
}

/// The shape of a file, by its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A file of sources, as `run` has always read.
    Sources,
    /// One row per field (or per structure, container), with a column per level.
    PerField,
    /// DataGalaxy's own: `Path` and `Type`.
    PathAndType,
}

/// The shape a header says: a dictionary when it has a field's column, or
/// `Path` and `Type`; sources otherwise.
pub fn shape_of(headers: &[String]) -> Shape {
    let columns: Vec<Option<Column>> = headers.iter().map(|h| column_of(h)).collect();
    let has = |c: Column| columns.contains(&Some(c));
    if has(Column::Path) && has(Column::PathType) {
        return Shape::PathAndType;
    }
    if has(Column::Name(Level::Field)) || has(Column::TechnicalName(Level::Field)) {
        return Shape::PerField;
    }
    Shape::Sources
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(line: &str, delimiter: char) -> Vec<String> {
        line.split(delimiter).map(str::to_owned).collect()
    }

    fn first_line(fixture: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/dictionary/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        text.lines().next().unwrap().to_owned()
    }

    #[test]
    fn every_column_of_a_real_postgresql_and_mariadb_export_is_known_or_passed_over() {
        for (fixture, delimiter) in [
            ("postgresql-15-columns.csv", ','),
            ("postgresql-15-columns-with-keys.csv", ','),
            ("mariadb-10.11-columns.tsv", '\t'),
        ] {
            let headers = header(&first_line(fixture), delimiter);
            for h in &headers {
                assert!(column_of(h).is_some() || passed_over(h), "{fixture}: {h}");
            }
            assert_eq!(shape_of(&headers), Shape::PerField, "{fixture}");
        }
        let pg = header(&first_line("postgresql-15-columns-with-keys.csv"), ',');
        let of = |name: &str| column_of(name);
        assert!(pg.iter().any(|h| of(h) == Some(Column::PrimaryKey)));
        assert_eq!(of("table_schema"), Some(Column::Name(Level::Container)));
        assert_eq!(of("TABLE_NAME"), Some(Column::Name(Level::Structure)));
        assert_eq!(of("ordinal_position"), Some(Column::Order));
        assert_eq!(of("COLUMN_KEY"), Some(Column::PrimaryKey));
        assert_eq!(of("COLUMN_COMMENT"), Some(Column::Description));
    }

    #[test]
    fn every_header_an_export_writes_is_one_the_reader_knows() {
        for (key, header) in ATTRIBUTES {
            assert!(column_of(header).is_some(), "{key}: {header}");
        }
    }

    #[test]
    fn a_sources_file_reads_as_sources_and_path_and_type_as_datagalaxys_format() {
        let sources = header("name,type,status,owners,stewards,tags,summary", ',');
        assert_eq!(shape_of(&sources), Shape::Sources);
        let datagalaxy = header("Path,Type,Name,Description", ',');
        assert_eq!(shape_of(&datagalaxy), Shape::PathAndType);
        let sample = std::fs::read_to_string(format!(
            "{}/samples/sources.csv",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let first = sample
            .lines()
            .next()
            .unwrap()
            .trim_start_matches('\u{feff}');
        assert_eq!(shape_of(&header(first, ',')), Shape::Sources);
    }
}
