//! Header mapping: which column holds which field. A header matches a field
//! by any of its aliases, ignoring case, spaces, `_`, `-` and a trailing `s`
//! ("Owner emails" is owners); `--map "Header=field"` names any other. A column
//! that maps to nothing stops the command before any request (exit 2) with
//! every such header named and its closest field suggested, unless
//! `--extra-columns` says to ignore them or send them as custom attributes.

use serde::{Deserialize, Serialize};

use crate::exit::usage;
use crate::source::fold;
use crate::suggest;

/// A field of a source row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Type,
    Status,
    Owners,
    Stewards,
    Tags,
    Summary,
    Description,
    TechnicalName,
    Upsert,
}

/// What to do with columns that are no field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtraColumns {
    /// Stop before any request, naming them (the default).
    #[default]
    Error,
    /// Leave them out (they stay in the report).
    Ignore,
    /// Send each as a custom attribute named by its header.
    Attributes,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Name,
        Field::Type,
        Field::Status,
        Field::Owners,
        Field::Stewards,
        Field::Tags,
        Field::Summary,
        Field::Description,
        Field::TechnicalName,
        Field::Upsert,
    ];

    /// The canonical column name.
    pub fn name(self) -> &'static str {
        self.aliases()[0]
    }

    /// The names a header may use for the field (the first is canonical).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Name => &["name", "source name"],
            Field::Type => &["type", "source type"],
            Field::Status => &["status"],
            Field::Owners => &["owners", "owner email"],
            Field::Stewards => &["stewards", "steward email"],
            Field::Tags => &["tags"],
            Field::Summary => &["summary", "short description"],
            Field::Description => &["description"],
            Field::TechnicalName => &["technicalName"],
            Field::Upsert => &["upsert"],
        }
    }

    /// A header's field, by its aliases.
    pub fn from_header(header: &str) -> Option<Field> {
        let key = match_key(header);
        Field::ALL
            .into_iter()
            .find(|f| f.aliases().iter().any(|a| match_key(a) == key))
    }

    /// The closest field to an unknown header, for "did you mean".
    fn closest(header: &str) -> Option<Field> {
        let key = match_key(header);
        let keys: Vec<(String, Field)> = Field::ALL
            .iter()
            .flat_map(|f| f.aliases().iter().map(move |a| (match_key(a), *f)))
            .collect();
        let best = suggest::closest(&key, keys.iter().map(|(k, _)| k.as_str()))?;
        keys.iter().find(|(k, _)| k == best).map(|(_, f)| *f)
    }
}

/// Case, spaces, `_`, `-` and one trailing `s` do not matter.
fn match_key(header: &str) -> String {
    let mut key = fold(header);
    if key.ends_with('s') {
        key.pop();
    }
    key
}

/// How headers are read: `--map` pairs and the extra-columns policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HeaderOptions {
    /// (header as in the file, field name) from `--map`.
    pub map: Vec<(String, String)>,
    pub extra: ExtraColumns,
}

impl HeaderOptions {
    /// Parses `--map "Header in file=field"` values.
    pub fn parse_map(values: &[String]) -> anyhow::Result<Vec<(String, String)>> {
        values
            .iter()
            .map(|v| {
                let (header, field) = v.rsplit_once('=').ok_or_else(|| {
                    usage(format!("--map {v:?}: expected \"Header in file=field\""))
                })?;
                if Field::from_header(field).is_none() {
                    let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                    return Err(usage(format!(
                        "--map {v:?}: '{field}' is no field; fields: {}",
                        known.join(", ")
                    )));
                }
                Ok((header.trim().to_owned(), field.trim().to_owned()))
            })
            .collect()
    }
}

/// The file's header row and what each column means.
#[derive(Clone, Debug)]
pub struct HeaderMap {
    headers: Vec<String>,
    /// For each field, the index of its column.
    columns: Vec<(Field, usize)>,
    /// Columns sent as custom attributes under their header.
    attributes: Vec<usize>,
}

impl HeaderMap {
    pub fn new(headers: Vec<String>, options: &HeaderOptions) -> anyhow::Result<HeaderMap> {
        let mut columns: Vec<(Field, usize)> = Vec::new();
        let mut attributes = Vec::new();
        let mut unknown = Vec::new();
        for (i, header) in headers.iter().enumerate() {
            let mapped = options
                .map
                .iter()
                .find(|(h, _)| match_key(h) == match_key(header))
                .and_then(|(_, field)| Field::from_header(field));
            match mapped.or_else(|| Field::from_header(header)) {
                Some(field) => {
                    if let Some((_, first)) = columns.iter().find(|(f, _)| *f == field) {
                        return Err(usage(format!(
                            "columns '{}' and '{header}' both mean {}: keep one, or --map one elsewhere",
                            headers[*first],
                            field.name()
                        )));
                    }
                    columns.push((field, i));
                }
                None if header.trim().is_empty() && options.extra != ExtraColumns::Error => {}
                None if header.trim().is_empty() => {
                    unknown.push(format!("(empty header in column {})", i + 1))
                }
                None => match options.extra {
                    ExtraColumns::Error => unknown.push(match Field::closest(header) {
                        Some(f) => format!("'{header}' — did you mean {}?", f.name()),
                        None => format!("'{header}'"),
                    }),
                    ExtraColumns::Ignore => {}
                    ExtraColumns::Attributes => attributes.push(i),
                },
            }
        }
        if !unknown.is_empty() {
            let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
            return Err(usage(format!(
                "unknown column(s): {}. Known columns: {}. Use --map \"Header=field\", or \
                 --extra-columns ignore|attributes",
                unknown.join("; "),
                known.join(", ")
            )));
        }
        for required in [Field::Name, Field::Type] {
            if !columns.iter().any(|(f, _)| *f == required) {
                return Err(usage(format!(
                    "the file has no '{}' column",
                    required.name()
                )));
            }
        }
        Ok(HeaderMap {
            headers,
            columns,
            attributes,
        })
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The column index of a field, if the file has it.
    pub fn index(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| *i)
    }

    /// The header the user wrote for a field (for messages), else its name.
    pub fn label(&self, field: Field) -> &str {
        self.index(field)
            .map_or(field.name(), |i| self.headers[i].as_str())
    }

    /// A field's trimmed cell; `None` when absent or empty ("not set").
    pub fn cell<'r>(&self, cells: &'r [String], field: Field) -> Option<&'r str> {
        let value = cells.get(self.index(field)?)?.trim();
        (!value.is_empty()).then_some(value)
    }

    /// A list field's items, trimmed, empty items dropped.
    pub fn list<'r>(&self, cells: &'r [String], field: Field, separator: char) -> Vec<&'r str> {
        self.cell(cells, field)
            .map(|v| {
                v.split(separator)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The custom attributes of a row: (header, trimmed value) of the
    /// attribute columns that are not empty.
    /// The headers of the attribute columns whose cell is empty.
    pub fn empty_attributes<'r>(&'r self, cells: &'r [String]) -> impl Iterator<Item = &'r str> {
        self.attributes
            .iter()
            .filter(|i| cells.get(**i).is_none_or(|c| c.trim().is_empty()))
            .map(|i| self.headers[*i].as_str())
    }

    pub fn attributes<'r>(
        &'r self,
        cells: &'r [String],
    ) -> impl Iterator<Item = (&'r str, &'r str)> {
        self.attributes.iter().filter_map(|i| {
            let value = cells.get(*i)?.trim();
            (!value.is_empty()).then(|| (self.headers[*i].as_str(), value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_with(headers: &[&str], options: &HeaderOptions) -> anyhow::Result<HeaderMap> {
        HeaderMap::new(headers.iter().map(|h| h.to_string()).collect(), options)
    }

    fn map(headers: &[&str]) -> anyhow::Result<HeaderMap> {
        map_with(headers, &HeaderOptions::default())
    }

    #[test]
    fn headers_match_ignoring_case_spaces_underscores_dashes_and_a_trailing_s() {
        let m = map(&[
            "Name",
            "TYPE",
            "Technical_Name",
            "owner",
            "Steward",
            "tag",
            "up-sert",
        ])
        .unwrap();
        assert_eq!(m.index(Field::TechnicalName), Some(2));
        assert_eq!(m.index(Field::Owners), Some(3));
        assert_eq!(m.index(Field::Stewards), Some(4));
        assert_eq!(m.index(Field::Tags), Some(5));
        assert_eq!(m.index(Field::Upsert), Some(6));
        assert_eq!(m.label(Field::Owners), "owner");
    }

    #[test]
    fn the_aliases_people_write_are_understood() {
        let m = map(&[
            "Source Name",
            "Source type",
            "Owner Emails",
            "Steward email",
            "Technical Name",
            "Short description",
        ])
        .unwrap();
        let fields = [
            Field::Name,
            Field::Type,
            Field::Owners,
            Field::Stewards,
            Field::TechnicalName,
            Field::Summary,
        ];
        for (i, f) in fields.into_iter().enumerate() {
            assert_eq!(m.index(f), Some(i), "{f:?}");
        }
    }

    #[test]
    fn unknown_columns_are_all_named_with_a_suggestion_before_any_request() {
        let err = map(&["name", "type", "Owner mail", "colour"]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("'Owner mail' — did you mean owners?; 'colour'"),
            "{text}"
        );
        assert_eq!(crate::exit::code_of(&Err(err)), crate::exit::USAGE);
    }

    #[test]
    fn map_names_a_column_and_extra_columns_can_be_ignored_or_sent_as_attributes() {
        let map_opt = HeaderOptions {
            map: vec![("Resp.".into(), "owners".into())],
            extra: ExtraColumns::Attributes,
        };
        let m = map_with(
            &["name", "type", "Resp.", "Data Domain", "Region"],
            &map_opt,
        )
        .unwrap();
        assert_eq!(m.index(Field::Owners), Some(2));
        let cells: Vec<String> = ["a", "NoSql", "x@y.z", " Finance ", ""]
            .map(String::from)
            .to_vec();
        assert_eq!(
            m.attributes(&cells).collect::<Vec<_>>(),
            [("Data Domain", "Finance")]
        );
        let ignore = HeaderOptions {
            extra: ExtraColumns::Ignore,
            ..Default::default()
        };
        let m = map_with(&["name", "type", "Data Domain"], &ignore).unwrap();
        assert_eq!(m.attributes(&cells).count(), 0);
        assert!(HeaderOptions::parse_map(&["X=colour".into()]).is_err());
        assert_eq!(
            HeaderOptions::parse_map(&["A=B=tags".into()]).unwrap(),
            [("A=B".to_owned(), "tags".to_owned())]
        );
    }

    #[test]
    fn two_columns_for_one_field_are_refused() {
        let err = map(&["name", "type", "owner", "Owners"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("'owner' and 'Owners' both mean owners"),
            "{err}"
        );
    }

    #[test]
    fn lists_split_on_their_separator_and_empty_cells_are_not_set() {
        let m = map(&["name", "type", "tags"]).unwrap();
        let cells = vec![
            "  a ".to_string(),
            "".to_string(),
            " GDPR ; ;PII".to_string(),
        ];
        assert_eq!(m.cell(&cells, Field::Name), Some("a"));
        assert_eq!(m.cell(&cells, Field::Type), None);
        assert_eq!(m.list(&cells, Field::Tags, ';'), vec!["GDPR", "PII"]);
        let cells = vec!["a".to_string(), "".to_string(), "GDPR, PII".to_string()];
        assert_eq!(m.list(&cells, Field::Tags, ','), vec!["GDPR", "PII"]);
    }
}
