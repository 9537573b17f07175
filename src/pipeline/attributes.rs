//! Custom attributes: their definitions, as `GET /attributes?dataType=source`
//! lists them, and the typing of a cell by its attribute's format (what the
//! contract's table of formats says goes on the wire). Typed values compare
//! by value (`5` is `5.0`, `yes` is `true`, lists are sets ignoring case) and
//! print back the way the importer reads them, so that an export reads back
//! unchanged.
//!
//! User and tag references are resolved by `directory.rs`, which knows the
//! tenant's users and tags; everything else is typed here.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::model::source::fold;
use crate::model::suggest;

/// How an attribute's values are typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `Text`, `FormattedText`, `HtmlLink`, and any format this importer
    /// does not know: a string.
    Text,
    Boolean,
    Number,
    /// `"YYYY-MM-DD"`.
    Date,
    /// One of the listed values, in the listed spelling.
    ValueList,
    /// Several of the listed values.
    MultiValueList,
    /// `UserReference`, `PersonReference`: emails of users.
    Users,
    /// `ManagedTag`: tag texts.
    Tags,
}

impl Format {
    /// The format a definition names (in any case).
    pub(crate) fn from_api(text: &str) -> Format {
        match text.to_ascii_lowercase().as_str() {
            "boolean" => Format::Boolean,
            "number" => Format::Number,
            "date" => Format::Date,
            "valuelist" => Format::ValueList,
            "multivaluelist" => Format::MultiValueList,
            "userreference" | "personreference" => Format::Users,
            "managedtag" => Format::Tags,
            _ => Format::Text,
        }
    }

    /// A list on the wire (emptied by `[]`).
    pub(crate) fn is_list(self) -> bool {
        matches!(self, Format::MultiValueList | Format::Users | Format::Tags)
    }

    /// The value that empties an attribute of this format.
    pub(crate) fn empty(self) -> Value {
        if self.is_list() {
            Value::Array(vec![])
        } else {
            Value::String(String::new())
        }
    }
}

/// One custom attribute of a kind of object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Definition {
    /// The display name: the key in bodies and listings.
    pub(crate) name: String,
    pub(crate) format: Format,
    pub(crate) mandatory: bool,
    /// The allowed values of list formats.
    pub(crate) values: Vec<String>,
}

/// Why a cell does not fit its attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Misfit {
    pub(crate) value: String,
    /// "a number", "a date (expected YYYY-MM-DD)", "a value of the list".
    pub(crate) expected: &'static str,
    pub(crate) suggestion: Option<String>,
}

impl Definition {
    /// An attribute the tenant does not describe, sent as text
    /// (`--extra-columns attributes`).
    pub(crate) fn text(name: &str) -> Definition {
        Definition {
            name: name.trim().to_owned(),
            format: Format::Text,
            mandatory: false,
            values: vec![],
        }
    }

    /// A cell (trimmed, not empty) as its JSON value on the wire.
    /// `decimal_comma`: `2,5` is a number (the file's delimiter is `;`).
    /// User and tag references are not typed here (see `directory.rs`).
    pub(crate) fn read(
        &self,
        cell: &str,
        separator: char,
        decimal_comma: bool,
    ) -> Result<Value, Misfit> {
        let misfit = |value: &str, expected, suggestion| Misfit {
            value: value.to_owned(),
            expected,
            suggestion,
        };
        match self.format {
            Format::Text | Format::Users | Format::Tags => Ok(Value::String(cell.to_owned())),
            Format::Boolean => yes_no(cell)
                .map(Value::Bool)
                .ok_or_else(|| misfit(cell, "a yes/no value (true, false, yes, no, 1, 0)", None)),
            Format::Number => {
                number(cell, decimal_comma).ok_or_else(|| misfit(cell, "a number", None))
            }
            Format::Date => match date(cell) {
                Some(d) => Ok(Value::String(d.format("%Y-%m-%d").to_string())),
                None => Err(misfit(cell, "a date (expected YYYY-MM-DD)", None)),
            },
            Format::ValueList => self.listed(cell).map(Value::String),
            Format::MultiValueList => split(cell, separator)
                .map(|item| self.listed(item).map(Value::String))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }

    /// A value of the list in its listed spelling, matched in any case.
    fn listed(&self, item: &str) -> Result<String, Misfit> {
        let wanted = item.trim().to_lowercase();
        match (self.values.iter()).find(|v| v.trim().to_lowercase() == wanted) {
            Some(v) => Ok(v.clone()),
            None => Err(Misfit {
                value: item.to_owned(),
                expected: "a value of the list",
                suggestion: suggest::closest(item, self.values.iter().map(String::as_str))
                    .map(str::to_owned),
            }),
        }
    }
}

/// The items of a list cell, trimmed, empty ones dropped.
pub(crate) fn split(cell: &str, separator: char) -> impl Iterator<Item = &str> {
    cell.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `true/false/yes/no/1/0`, any case.
pub(crate) fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// `2.5`, and `2,5` when `decimal_comma`; never `inf` or `NaN`.
fn number(text: &str, decimal_comma: bool) -> Option<Value> {
    let text = text.trim();
    let text = match decimal_comma && !text.contains('.') {
        true => text.replacen(',', ".", 1),
        false => text.to_owned(),
    };
    let valid = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !valid {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    let f: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// `YYYY-MM-DD`, or a timestamp that starts with one (as a server may list it).
fn date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    let day = text.get(..10)?;
    let rest = &text[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// The custom attributes of one kind, in the order the tenant lists them.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Definitions(Vec<Definition>);

impl Definitions {
    /// From `GET /attributes?dataType=source`: an array, or the paging
    /// envelope of one. Only custom attributes are kept; an item without a
    /// name is skipped.
    pub(crate) fn from_listing(listing: &Value) -> Definitions {
        Definitions::of_kind(listing, "source")
    }

    /// The custom attributes of one kind (`source`, `container`,
    /// `structure`, `field`) in a listing of `GET /attributes?dataType=`.
    pub(crate) fn of_kind(listing: &Value, data_type: &str) -> Definitions {
        let items = match listing {
            Value::Array(items) => items.as_slice(),
            Value::Object(o) => o
                .get("results")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice),
            _ => &[],
        };
        let of_kind = |i: &Value| {
            (i.get("dataType").and_then(Value::as_str))
                .is_none_or(|t| t.eq_ignore_ascii_case(data_type))
        };
        let custom = items
            .iter()
            .filter(|i| i.get("isCustom").and_then(Value::as_bool) == Some(true))
            // A tenant that ignores `?dataType=` lists the other types too.
            .filter(|i| of_kind(i))
            .filter_map(|i| {
                let name = i.get("name").and_then(Value::as_str)?.trim();
                let values = i.get("values").and_then(Value::as_array);
                Some(Definition {
                    name: name.to_owned(),
                    // No format said: text, as any format this importer does not know.
                    format: Format::from_api(
                        i.get("format").and_then(Value::as_str).unwrap_or("Text"),
                    ),
                    mandatory: i.get("isMandatory").and_then(Value::as_bool) == Some(true),
                    values: values
                        .into_iter()
                        .flatten()
                        .filter_map(|v| match v {
                            Value::String(s) => Some(s.clone()),
                            // Tolerate `{"value"|"name"|"label": ...}` items.
                            other => ["value", "name", "label"]
                                .iter()
                                .find_map(|k| other.get(*k)?.as_str())
                                .map(str::to_owned),
                        })
                        .collect(),
                })
            })
            .filter(|d| !d.name.is_empty())
            .collect();
        Definitions(custom)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Definition> {
        self.0.iter()
    }

    /// The attribute a header names, ignoring case, spaces, `_` and `-`.
    pub(crate) fn find(&self, header: &str) -> Option<&Definition> {
        let key = fold(header);
        self.0.iter().find(|d| fold(&d.name) == key)
    }

    /// The attribute of this exact display name.
    pub(crate) fn get(&self, name: &str) -> Option<&Definition> {
        self.0.iter().find(|d| d.name == name)
    }

    /// The position of an attribute among the definitions (export order).
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|d| d.name == name)
    }
}

/// A value as compared: two values are the same when their canonical forms
/// are equal.
#[derive(Clone, Debug, PartialEq)]
enum Canon {
    Unset,
    Text(String),
    Bool(bool),
    Number(f64),
    Date(chrono::NaiveDate),
    Set(BTreeSet<String>),
}

/// Text as compared: trimmed, every line ending a `\n`.
pub(crate) fn normal(text: &str) -> String {
    text.trim().replace("\r\n", "\n").replace('\r', "\n")
}

/// The texts of a list value (emails of user objects included).
fn items(value: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(o) => o.get("email").and_then(Value::as_str).map(str::to_owned),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let all: Vec<String> = match value {
        Value::Array(list) => list.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    };
    all.into_iter().filter(|s| !s.is_empty()).collect()
}

fn canon(format: Option<Format>, value: &Value) -> Canon {
    let unset = match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(_) => items(value).is_empty(),
        _ => false,
    };
    if unset {
        return Canon::Unset;
    }
    let set = || Canon::Set(items(value).iter().map(|s| s.to_lowercase()).collect());
    let text = || match value {
        Value::String(s) => Canon::Text(normal(s)),
        Value::Array(_) => Canon::Text(items(value).join(";")),
        other => Canon::Text(other.to_string()),
    };
    match (format, value) {
        (Some(Format::Boolean) | None, Value::Bool(b)) => Canon::Bool(*b),
        (Some(Format::Boolean), Value::String(s)) => yes_no(s).map_or_else(text, Canon::Bool),
        (Some(Format::Number) | None, Value::Number(n)) => {
            n.as_f64().map_or_else(text, Canon::Number)
        }
        (Some(Format::Number), Value::String(s)) => match number(s, true) {
            Some(Value::Number(n)) => n.as_f64().map_or_else(text, Canon::Number),
            _ => text(),
        },
        (Some(Format::Date), Value::String(s)) => date(s).map_or_else(text, Canon::Date),
        (Some(f), _) if f.is_list() || f == Format::ValueList => set(),
        (None, Value::Array(_)) => set(),
        _ => text(),
    }
}

/// Whether a row's value and the server's are the same value of an
/// attribute of `format` (`None`: not known, compared by their JSON types).
pub(crate) fn same(format: Option<Format>, row: &Value, server: &Value) -> bool {
    let (a, b) = (canon(format, row), canon(format, server));
    match (&a, &b) {
        // A list written as text (a column sent unchecked): its items.
        (Canon::Text(x), Canon::Set(set)) | (Canon::Set(set), Canon::Text(x)) => {
            // Either list separator: `;`, or `,` in a file delimited by `;`.
            let items: BTreeSet<String> = (x.split([';', ',']).map(str::trim))
                .filter(|i| !i.is_empty())
                .map(str::to_lowercase)
                .collect();
            items == *set
        }
        (Canon::Text(x), other) | (other, Canon::Text(x)) if a != b => {
            // A value of one type against text of another: as written.
            *x == shown(other)
        }
        _ => a == b,
    }
}

fn shown(canon: &Canon) -> String {
    match canon {
        Canon::Unset => String::new(),
        Canon::Text(t) => t.clone(),
        Canon::Bool(b) => b.to_string(),
        Canon::Number(n) => shortest(*n),
        Canon::Date(d) => d.format("%Y-%m-%d").to_string(),
        Canon::Set(s) => s.iter().cloned().collect::<Vec<_>>().join(";"),
    }
}

/// A number in its shortest form: `5`, `2.5`.
pub(crate) fn shortest(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A value as the tenant listed it, in the shape a cell of `format` is
/// typed into (what `Definition::read` makes): a date without its time,
/// `"yes"` a boolean, `"5"` a number, list items as their texts (a user
/// object as its email). Unset values are `null`.
pub(crate) fn as_typed(format: Format, value: Value) -> Value {
    match canon(Some(format), &value) {
        Canon::Unset => Value::Null,
        Canon::Bool(b) => Value::Bool(b),
        Canon::Number(_) if value.is_number() => value,
        Canon::Number(n) => serde_json::Number::from_f64(n).map_or(value, Value::Number),
        Canon::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
        // One value of a list (a `ValueList` listed as `["Sales"]`) is the
        // text a cell of it is typed into.
        Canon::Set(_) => match items(&value) {
            one if one.len() == 1 && !format.is_list() => Value::String(one[0].clone()),
            all => Value::Array(all.into_iter().map(Value::String).collect()),
        },
        Canon::Text(_) => value,
    }
}

/// A value as a cell of the importer's own files: lists joined by
/// `separator`, booleans `true`/`false`, numbers in their shortest form,
/// dates `YYYY-MM-DD`. `None` when unset.
pub(crate) fn cell(format: Option<Format>, value: &Value, separator: char) -> Option<String> {
    match canon(format, value) {
        Canon::Unset => None,
        Canon::Set(_) => Some(items(value).join(&separator.to_string())),
        Canon::Text(_) => Some(match value {
            Value::String(s) => s.clone(),
            Value::Array(_) => items(value).join(&separator.to_string()),
            other => other.to_string(),
        }),
        other => Some(shown(&other)),
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_listed_value_takes_the_shape_its_cell_is_typed_into() {
        let cases = [
            (Format::ValueList, json!(["Sales"]), json!("Sales")),
            (Format::ValueList, json!("Sales"), json!("Sales")),
            (Format::MultiValueList, json!("emea"), json!(["emea"])),
            (
                Format::Users,
                json!([{"email": "a@x.io"}]),
                json!(["a@x.io"]),
            ),
            (Format::Boolean, json!("yes"), json!(true)),
            (Format::Number, json!("5"), json!(5.0)),
            (
                Format::Date,
                json!("2026-01-31T00:00:00Z"),
                json!("2026-01-31"),
            ),
            (Format::Text, json!("  "), Value::Null),
            (Format::ValueList, json!([]), Value::Null),
        ];
        for (format, listed, typed) in cases {
            assert_eq!(as_typed(format, listed.clone()), typed, "{format} {listed}");
        }
    }

    fn def(format: Format, values: &[&str]) -> Definition {
        Definition {
            name: "A".into(),
            format,
            mandatory: false,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn cells_are_typed_as_the_contracts_table_says() {
        let read = |f, values: &[&str], cell: &str, comma| def(f, values).read(cell, ';', comma);
        assert_eq!(read(Format::Boolean, &[], "Yes", false), Ok(json!(true)));
        assert_eq!(read(Format::Boolean, &[], "0", false), Ok(json!(false)));
        assert_eq!(read(Format::Number, &[], "2.5", false), Ok(json!(2.5)));
        assert_eq!(read(Format::Number, &[], "2,5", true), Ok(json!(2.5)));
        assert_eq!(read(Format::Number, &[], "7", false), Ok(json!(7)));
        assert_eq!(
            read(Format::Date, &[], "2026-03-01", false),
            Ok(json!("2026-03-01"))
        );
        assert_eq!(
            read(Format::ValueList, &["Finance", "Sales"], "finance", false),
            Ok(json!("Finance"))
        );
        assert_eq!(
            read(
                Format::MultiValueList,
                &["EMEA", "APAC"],
                "apac; emea",
                false
            ),
            Ok(json!(["APAC", "EMEA"]))
        );
        assert_eq!(read(Format::Text, &[], "free", false), Ok(json!("free")));
    }

    #[test]
    fn cells_that_do_not_fit_name_what_was_expected_and_the_closest_listed_value() {
        let read = |f, values: &[&str], cell: &str| def(f, values).read(cell, ';', false);
        let misfit = read(Format::ValueList, &["Finance", "Sales"], "Fnance").unwrap_err();
        assert_eq!(
            (misfit.expected, misfit.suggestion.as_deref()),
            ("a value of the list", Some("Finance"))
        );
        assert_eq!(
            read(Format::Boolean, &[], "maybe").unwrap_err().value,
            "maybe"
        );
        assert_eq!(
            read(Format::Date, &[], "03/01/2026").unwrap_err().expected,
            "a date (expected YYYY-MM-DD)"
        );
        assert!(
            read(Format::Number, &[], "2,5").is_err(),
            "`,` only with `;` files"
        );
        assert!(read(Format::Number, &[], "inf").is_err());
        assert!(read(Format::Date, &[], "2026-02-30").is_err());
    }

    #[test]
    fn typed_values_compare_by_value() {
        assert!(same(Some(Format::Number), &json!(5), &json!(5.0)));
        assert!(same(Some(Format::Number), &json!(5), &json!("5")));
        assert!(!same(Some(Format::Number), &json!(5), &json!(6)));
        assert!(same(Some(Format::Boolean), &json!(true), &json!("true")));
        assert!(same(
            Some(Format::Date),
            &json!("2026-03-01"),
            &json!("2026-03-01T00:00:00Z")
        ));
        assert!(same(
            Some(Format::MultiValueList),
            &json!(["EMEA", "APAC"]),
            &json!(["apac", "emea"])
        ));
        assert!(same(
            Some(Format::Users),
            &json!(["a@x.io"]),
            &json!([{"email": "A@x.io"}])
        ));
        assert!(same(
            Some(Format::ValueList),
            &json!("Finance"),
            &json!("FINANCE")
        ));
        assert!(!same(
            Some(Format::Text),
            &json!("Finance"),
            &json!("FINANCE")
        ));
        assert!(same(None, &json!("5"), &json!(5)));
        assert!(same(None, &json!("EMEA;amer"), &json!(["AMER", "EMEA"])));
        assert!(same(None, &json!("EMEA,amer"), &json!(["AMER", "EMEA"])));
        assert!(!same(None, &json!("EMEA"), &json!(["AMER", "EMEA"])));
        assert!(same(Some(Format::Text), &json!(""), &Value::Null));
    }

    #[test]
    fn values_print_back_as_cells_that_read_back_the_same() {
        let sep = ';';
        assert_eq!(cell(Some(Format::Number), &json!(5.0), sep).unwrap(), "5");
        assert_eq!(cell(Some(Format::Number), &json!(2.5), sep).unwrap(), "2.5");
        assert_eq!(
            cell(Some(Format::Boolean), &json!(true), sep).unwrap(),
            "true"
        );
        assert_eq!(
            cell(Some(Format::Date), &json!("2026-03-01T00:00:00Z"), sep).unwrap(),
            "2026-03-01"
        );
        assert_eq!(
            cell(Some(Format::MultiValueList), &json!(["EMEA", "APAC"]), sep).unwrap(),
            "EMEA;APAC"
        );
        assert_eq!(cell(Some(Format::Text), &json!([]), sep), None);
    }

    #[test]
    fn definitions_keep_the_custom_attributes_of_an_array_or_a_page() {
        let listing = json!([
            {"name": "status", "format": "ValueList", "isCustom": false},
            {"name": "Data Domain", "format": "ValueList", "isCustom": true,
             "isMandatory": true, "values": ["Finance", {"value": "Sales"}]},
            {"name": "Contains PII", "format": "Boolean", "isCustom": true},
            {"name": "Row Count", "format": "Number", "isCustom": true, "dataType": "Table"},
            {"name": "Notes", "isCustom": true, "dataType": "Source"}
        ]);
        let defs = Definitions::from_listing(&listing);
        assert_eq!(defs.iter().count(), 3, "not the attributes of tables");
        assert_eq!(defs.find("notes").unwrap().format, Format::Text);
        let domain = defs.find("data_domain").unwrap();
        assert_eq!(domain.values, ["Finance", "Sales"]);
        assert!(domain.mandatory);
        let paged = Definitions::from_listing(&json!({"pages": 1, "results": listing}));
        assert_eq!(paged, defs);
    }
}
