//! The one table from a database's data type to a field's `columnDataType`
//! and `size`, for what PostgreSQL, MySQL/MariaDB, SQL Server, Oracle and
//! Snowflake write in their `information_schema` (the `data_type` column,
//! with its length, precision and scale beside it, or a whole type such as
//! MySQL's `COLUMN_TYPE`, `varchar(255)` or `NUMBER(10,2)`).
//!
//! Decided here, once:
//! - a character type with a length is `VariableString` (or `FixedString`
//!   for `char`) and the length is its `size`; one without a length, or
//!   `(max)`, is `String`, with no size; `text` and its kin are `LongText`;
//! - `numeric` and `number` are `Numeric`, `decimal`, `money` and floating
//!   point types `Decimal`, their precision the `size` (but for floating
//!   point, whose precision is in bits); a `number` with a
//!   scale of 0 (Oracle's and Snowflake's integers) is `Integer`;
//! - `timestamp…` is `TimeStamp`, `datetime…` `DateTime`; `tinyint(1)`
//!   (MySQL's `BOOLEAN`) and SQL Server's `bit` are `Boolean`, MySQL's
//!   `bit(n)` `Binary`; `enum` and `set` are `VariableString`;
//! - what has no counterpart (`time`, `interval`, `uuid`, `json`, `jsonb`,
//!   `xml`, arrays, user-defined and geometric types, PostgreSQL's internal
//!   ones) is unknown: `columnDataType` is left unset, never guessed.

use std::fmt;

/// The values of a field's `columnDataType`, as the API spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnDataType {
    VariableString,
    FixedString,
    String,
    LongText,
    Integer,
    Decimal,
    Numeric,
    Boolean,
    Date,
    DateTime,
    TimeStamp,
    Binary,
}

impl fmt::Display for ColumnDataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl ColumnDataType {
    pub const ALL: [ColumnDataType; 12] = [
        ColumnDataType::VariableString,
        ColumnDataType::FixedString,
        ColumnDataType::String,
        ColumnDataType::LongText,
        ColumnDataType::Integer,
        ColumnDataType::Decimal,
        ColumnDataType::Numeric,
        ColumnDataType::Boolean,
        ColumnDataType::Date,
        ColumnDataType::DateTime,
        ColumnDataType::TimeStamp,
        ColumnDataType::Binary,
    ];
}

/// Whether a type is written as the API spells `columnDataType` (any case),
/// as DataGalaxy's own exports write it.
pub fn is_api_spelling(text: &str) -> bool {
    let text = text.trim();
    ColumnDataType::ALL
        .iter()
        .any(|t| t.to_string().eq_ignore_ascii_case(text))
}

/// What a database's type says of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// `None`: a type the table does not know.
    pub column_data_type: Option<ColumnDataType>,
    pub size: Option<u64>,
}

/// The lengths an export gives beside its type, when it does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lengths {
    /// `character_maximum_length`.
    pub length: Option<u64>,
    /// `numeric_precision`.
    pub precision: Option<u64>,
    /// `numeric_scale`.
    pub scale: Option<u64>,
}

/// A type as written (`varchar(255)`, `character varying`, `NUMBER(10,2)`,
/// `int(10) unsigned`, `timestamp(3) with time zone`), with the lengths of
/// the export's other columns where the text carries none.
pub fn map(text: &str, given: Lengths) -> Mapped {
    let (name, args) = parse(text);
    let lengths = Lengths {
        length: args.first().copied().flatten().or(given.length),
        precision: args.first().copied().flatten().or(given.precision),
        scale: args.get(1).copied().flatten().or(given.scale),
    };
    // `(max)`: a length given, and it is none.
    let unbounded = args.first().is_some_and(Option::is_none);
    let column_data_type = classify(&name, &args, lengths, unbounded);
    let size = match column_data_type {
        Some(ColumnDataType::VariableString | ColumnDataType::FixedString) => lengths.length,
        Some(ColumnDataType::Binary) if !name.starts_with("bit") => lengths.length,
        // A floating point type's precision is in bits: no size.
        Some(ColumnDataType::Decimal | ColumnDataType::Numeric) if !floating(&name) => {
            lengths.precision
        }
        _ => None,
    };
    Mapped {
        column_data_type,
        size,
    }
}

fn floating(name: &str) -> bool {
    matches!(
        name,
        "float"
            | "float4"
            | "float8"
            | "real"
            | "double"
            | "double precision"
            | "binary_float"
            | "binary_double"
    )
}

/// The type's name in lower case, single-spaced, without its arguments and
/// modifiers (`unsigned`, `zerofill`, `with time zone` kept where it names
/// the type); its arguments, each a number or `None` (`max`).
fn parse(text: &str) -> (String, Vec<Option<u64>>) {
    let lower = text.trim().to_lowercase();
    let (before, args, after) = match (lower.find('('), lower.find(')')) {
        (Some(open), Some(close)) if open < close => {
            (&lower[..open], &lower[open + 1..close], &lower[close + 1..])
        }
        _ => (lower.as_str(), "", ""),
    };
    let args: Vec<Option<u64>> = match args.trim() {
        "" => vec![],
        args => args.split(',').map(|a| a.trim().parse().ok()).collect(),
    };
    let name = format!("{before} {after}");
    let words: Vec<&str> = (name.split_whitespace())
        .filter(|w| !matches!(*w, "unsigned" | "signed" | "zerofill"))
        .collect();
    (words.join(" "), args)
}

fn classify(
    name: &str,
    args: &[Option<u64>],
    lengths: Lengths,
    unbounded: bool,
) -> Option<ColumnDataType> {
    use ColumnDataType::*;
    let string = |fixed: bool| match (unbounded, lengths.length) {
        (false, Some(_)) if fixed => FixedString,
        (false, Some(_)) => VariableString,
        // A `char` without a length is one character.
        _ if fixed => FixedString,
        _ => String,
    };
    if name.ends_with("[]") {
        return None;
    }
    Some(match name {
        // The API's own spellings, as DataGalaxy's exports write them.
        "variablestring" => VariableString,
        "fixedstring" => FixedString,
        "varchar"
        | "character varying"
        | "nvarchar"
        | "varchar2"
        | "nvarchar2"
        | "national character varying"
        | "national varchar"
        | "varying character" => string(false),
        "char" | "character" | "nchar" | "bpchar" | "national character" | "national char" => {
            string(true)
        }
        "string" => string(false),
        "enum" | "set" => VariableString,
        "text" | "ntext" | "tinytext" | "mediumtext" | "longtext" | "clob" | "nclob" | "long" => {
            LongText
        }
        "tinyint" if args.first() == Some(&Some(1)) => Boolean,
        "smallint" | "integer" | "int" | "tinyint" | "mediumint" | "bigint" | "int2" | "int4"
        | "int8" | "serial" | "smallserial" | "bigserial" | "serial4" | "serial8" | "byteint" => {
            Integer
        }
        "number" if lengths.scale == Some(0) && lengths.precision.is_some() => Integer,
        "numeric" | "number" => Numeric,
        "decimal" | "dec" | "money" | "smallmoney" | "float" | "float4" | "float8" | "real"
        | "double" | "double precision" | "binary_float" | "binary_double" => Decimal,
        "bool" | "boolean" => Boolean,
        "bit" if args.is_empty() || args.first() == Some(&Some(1)) => Boolean,
        "bit" | "bit varying" | "varbit" => Binary,
        "date" | "year" => Date,
        "datetime" | "datetime2" | "smalldatetime" | "datetimeoffset" => DateTime,
        n if n.starts_with("timestamp") => TimeStamp,
        "binary" | "varbinary" | "blob" | "tinyblob" | "mediumblob" | "longblob" | "bytea"
        | "image" | "raw" | "long raw" => Binary,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnDataType::*;

    fn of(text: &str) -> (Option<ColumnDataType>, Option<u64>) {
        let m = map(text, Lengths::default());
        (m.column_data_type, m.size)
    }

    #[test]
    fn the_types_people_write_map_as_the_table_decides() {
        assert_eq!(of("varchar(255)"), (Some(VariableString), Some(255)));
        assert_eq!(of("VARCHAR(14)"), (Some(VariableString), Some(14)));
        assert_eq!(of("nvarchar(max)"), (Some(String), None));
        assert_eq!(of("character varying"), (Some(String), None));
        assert_eq!(of("char(2)"), (Some(FixedString), Some(2)));
        assert_eq!(of("NUMBER(10,2)"), (Some(Numeric), Some(10)));
        assert_eq!(of("NUMBER(38,0)"), (Some(Integer), None));
        assert_eq!(of("numeric"), (Some(Numeric), None));
        assert_eq!(of("decimal(12,2)"), (Some(Decimal), Some(12)));
        assert_eq!(of("int4"), (Some(Integer), None));
        assert_eq!(of("int(10) unsigned"), (Some(Integer), None));
        assert_eq!(of("bigint"), (Some(Integer), None));
        assert_eq!(of("tinyint(1)"), (Some(Boolean), None));
        assert_eq!(of("bool"), (Some(Boolean), None));
        assert_eq!(of("bit"), (Some(Boolean), None));
        assert_eq!(of("bit(8)"), (Some(Binary), None));
        assert_eq!(of("timestamp with time zone"), (Some(TimeStamp), None));
        assert_eq!(
            of("timestamp(3) without time zone"),
            (Some(TimeStamp), None)
        );
        assert_eq!(of("TIMESTAMP_NTZ"), (Some(TimeStamp), None));
        assert_eq!(of("datetime2"), (Some(DateTime), None));
        assert_eq!(of("text"), (Some(LongText), None));
        assert_eq!(of("bytea"), (Some(Binary), None));
        assert_eq!(of("enum('new','paid')"), (Some(VariableString), None));
        assert_eq!(of("VariableString"), (Some(VariableString), None));
        assert_eq!(of("FixedString"), (Some(FixedString), None));
        assert_eq!(of("LongText"), (Some(LongText), None));
        for unknown in [
            "uuid",
            "jsonb",
            "json",
            "text[]",
            "ARRAY",
            "USER-DEFINED",
            "time",
            "interval",
            "xml",
        ] {
            assert_eq!(of(unknown), (None, None), "{unknown}");
        }
    }

    #[test]
    fn the_lengths_of_an_export_count_where_the_type_text_has_none() {
        let given = Lengths {
            length: Some(320),
            ..Lengths::default()
        };
        assert_eq!(map("character varying", given).size, Some(320));
        assert_eq!(
            map("character varying", given).column_data_type,
            Some(VariableString)
        );
        let numeric = Lengths {
            precision: Some(12),
            scale: Some(2),
            ..Lengths::default()
        };
        assert_eq!(map("numeric", numeric).size, Some(12));
        let integer = Lengths {
            precision: Some(38),
            scale: Some(0),
            ..Lengths::default()
        };
        assert_eq!(map("NUMBER", integer).column_data_type, Some(Integer));
    }

    /// Every column of the user tables of the real exports, as the table maps it.
    #[test]
    fn every_column_of_the_real_postgresql_and_mariadb_exports_maps_as_expected() {
        let dir = format!("{}/tests/fixtures/dictionary", env!("CARGO_MANIFEST_DIR"));
        let number = |s: &str| s.parse::<u64>().ok();
        let mut seen = Vec::new();
        let pg = csv::Reader::from_path(format!("{dir}/postgresql-15-columns.csv")).unwrap();
        for r in pg.into_records().map(Result::unwrap) {
            if !matches!(&r[1], "sales" | "finance") {
                continue;
            }
            let given = Lengths {
                length: number(&r[8]),
                precision: number(&r[10]),
                scale: number(&r[12]),
            };
            let m = map(&r[7], given);
            seen.push((
                format!("{}.{}.{}", &r[1], &r[2], &r[3]),
                m.column_data_type,
                m.size,
            ));
        }
        let my = std::fs::read_to_string(format!("{dir}/mariadb-10.11-columns.tsv")).unwrap();
        for line in my.lines().skip(1) {
            let r: Vec<&str> = line.split('\t').collect();
            if !matches!(r[1], "shop" | "hr") {
                continue;
            }
            let given = Lengths {
                length: number(r[8]),
                precision: number(r[10]),
                scale: number(r[11]),
            };
            let m = map(r[15], given);
            seen.push((
                format!("{}.{}.{}", r[1], r[2], r[3]),
                m.column_data_type,
                m.size,
            ));
        }
        let expect = |name: &str, t: Option<ColumnDataType>, size: Option<u64>| {
            let found = seen.iter().find(|(n, ..)| n == name).expect(name);
            assert_eq!((found.1, found.2), (t, size), "{name}");
        };
        expect("sales.customers.email", Some(VariableString), Some(320));
        expect("sales.customers.country", Some(FixedString), Some(2));
        expect("sales.customers.signed_up", Some(TimeStamp), None);
        expect("sales.customers.is_active", Some(Boolean), None);
        expect("sales.customers.notes", Some(LongText), None);
        expect("sales.customers.external_ref", None, None);
        expect("sales.customers.preferences", None, None);
        expect("sales.products.unit_price", Some(Numeric), Some(10));
        expect("sales.products.weight_kg", Some(Decimal), None);
        expect("sales.products.tags", None, None);
        expect("finance.invoices.pdf", Some(Binary), None);
        expect("finance.invoices.issued_at", None, None);
        expect("finance.invoices.double_check", Some(Decimal), None);
        expect("finance.ledger.memo", Some(String), None);
        expect("sales.order_lines.line_no", Some(Integer), None);
        expect("hr.employees.first_name", Some(VariableString), Some(14));
        expect("hr.employees.flags", Some(Binary), None);
        expect("hr.employees.shift", None, None);
        expect("hr.employees.hired", Some(Date), None);
        expect("hr.employees.photo", Some(Binary), Some(16_777_215));
        expect("shop.order_items.sku", Some(FixedString), Some(12));
        expect("shop.order_items.price", Some(Decimal), None);
        expect("shop.customers.score", Some(Decimal), Some(5));
        expect("shop.customers.vip", Some(Boolean), None);
        expect("shop.customers.id", Some(Integer), None);
        expect("shop.customers.created", Some(DateTime), None);
        expect("shop.orders.status", Some(VariableString), Some(7));
        expect("shop.orders.placed_at", Some(TimeStamp), None);
        expect("shop.orders.weight", Some(Decimal), None);
        assert_eq!(seen.len(), 46 + 32, "every user column of both exports");
    }
}
