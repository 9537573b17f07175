//! Header mapping: which column holds which field. Names match ignoring
//! case, spaces, `_` and `-`; singular forms are accepted. A column that maps
//! to nothing, or two columns mapping to one field, stop the run before any
//! request (exit 2) with every offending header named.

use crate::exit::usage;
use crate::source::fold;

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
        match self {
            Field::Name => "name",
            Field::Type => "type",
            Field::Status => "status",
            Field::Owners => "owners",
            Field::Stewards => "stewards",
            Field::Tags => "tags",
            Field::Summary => "summary",
            Field::Description => "description",
            Field::TechnicalName => "technicalName",
            Field::Upsert => "upsert",
        }
    }

    /// Holds a `;`-separated list.
    pub fn is_list(self) -> bool {
        matches!(self, Field::Owners | Field::Stewards | Field::Tags)
    }

    fn from_header(header: &str) -> Option<Field> {
        let folded = fold(header);
        Field::ALL.into_iter().find(|f| {
            let canonical = fold(f.name());
            folded == canonical || (f.is_list() && folded == canonical.trim_end_matches('s'))
        })
    }
}

/// The file's header row and what each column means.
#[derive(Clone, Debug)]
pub struct HeaderMap {
    headers: Vec<String>,
    /// For each field, the index of its column.
    columns: Vec<(Field, usize)>,
}

impl HeaderMap {
    pub fn new(headers: Vec<String>) -> anyhow::Result<HeaderMap> {
        let mut columns: Vec<(Field, usize)> = Vec::new();
        let mut unknown = Vec::new();
        for (i, header) in headers.iter().enumerate() {
            match Field::from_header(header) {
                Some(field) => {
                    if let Some((_, first)) = columns.iter().find(|(f, _)| *f == field) {
                        return Err(usage(format!(
                            "columns '{}' and '{header}' both mean {}: keep one",
                            headers[*first],
                            field.name()
                        )));
                    }
                    columns.push((field, i));
                }
                None if header.trim().is_empty() => {
                    unknown.push(format!("(empty header in column {})", i + 1))
                }
                None => unknown.push(format!("'{header}'")),
            }
        }
        if !unknown.is_empty() {
            let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
            return Err(usage(format!(
                "unknown column(s): {}. Known columns: {}",
                unknown.join(", "),
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
        Ok(HeaderMap { headers, columns })
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
    pub fn list<'r>(&self, cells: &'r [String], field: Field) -> Vec<&'r str> {
        self.cell(cells, field)
            .map(|v| {
                v.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(headers: &[&str]) -> anyhow::Result<HeaderMap> {
        HeaderMap::new(headers.iter().map(|h| h.to_string()).collect())
    }

    #[test]
    fn headers_match_ignoring_case_spaces_underscores_dashes_and_plural() {
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
    fn unknown_columns_are_all_named_before_any_request() {
        let err = map(&["name", "type", "Owner mail", "colour"]).unwrap_err();
        assert!(err.to_string().contains("'Owner mail', 'colour'"), "{err}");
        assert_eq!(crate::exit::code_of(&Err(err)), crate::exit::USAGE);
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
    fn lists_split_on_semicolons_and_empty_cells_are_not_set() {
        let m = map(&["name", "type", "tags"]).unwrap();
        let cells = vec![
            "  a ".to_string(),
            "".to_string(),
            " GDPR ; ;PII".to_string(),
        ];
        assert_eq!(m.cell(&cells, Field::Name), Some("a"));
        assert_eq!(m.cell(&cells, Field::Type), None);
        assert_eq!(m.list(&cells, Field::Tags), vec!["GDPR", "PII"]);
    }
}
