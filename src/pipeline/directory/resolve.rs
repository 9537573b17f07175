//! Resolving a row against the directory: every cell validated (type,
//! status, emails, tags, custom attributes typed by their definitions), the
//! values sent as the API lists them, and everything wrong with the row
//! named at once, with its column and value (did-you-mean included).

use std::collections::{BTreeMap, HashMap};

use crate::model::source::{RowError, SourceDraft, SourceType, Status};
use crate::model::suggest;
use crate::pipeline::attributes::{self, Definitions, Format};
use crate::pipeline::compare;
use crate::pipeline::input::{AttributeColumn, Field, HeaderMap, InputRow};

use super::Directory;

/// How cells turn into a source, beyond the header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    pub(crate) list_separator: char,
    /// Unknown tags that no known tag explains are to be created.
    pub(crate) create_missing_tags: bool,
    /// An empty cell empties its field (`--empty-cells clear`).
    pub(crate) clear_empty_cells: bool,
    /// `2,5` is a number (the file's delimiter is `;`).
    pub(crate) decimal_comma: bool,
}

/// A resolved row: its body, and the tags to create before sending it.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) draft: SourceDraft,
    pub(crate) new_tags: Vec<String>,
    /// The mandatory custom attributes the row leaves empty: it may update
    /// a source, but not create one.
    pub(crate) lacks: Vec<RowError>,
}

impl Directory {
    /// The closest known value of a field, once per distinct unknown value.
    pub(crate) fn suggest(&self, field: Field, value: &str) -> Option<String> {
        let key = (field, value.to_lowercase());
        let mut cache = self.suggestions.lock().expect("suggestions lock");
        cache
            .entry(key)
            .or_insert_with(|| {
                let types = SourceType::ALL.iter().map(|t| t.as_api());
                let statuses = Status::ALL.iter().map(|s| s.as_api());
                match field {
                    Field::Owners | Field::Stewards => {
                        let bare = bare_email(value);
                        (self.users.get(&bare.to_lowercase()).map(String::as_str)).or_else(|| {
                            suggest::closest(bare, self.users.values().map(String::as_str))
                        })
                    }
                    Field::Tags => suggest::closest(value, self.tags.values().map(String::as_str)),
                    Field::Type => suggest::closest(value, types),
                    Field::Status => suggest::closest(value, statuses),
                    _ => None,
                }
                .map(str::to_owned)
            })
            .clone()
    }

    /// Validates a row and resolves its emails and tags. All problems of the
    /// row are reported at once, so one fix-and-rerun is enough.
    pub(crate) fn resolve(
        &self,
        header: &HeaderMap,
        row: &InputRow,
        rules: Rules,
    ) -> Result<Resolved, Vec<RowError>> {
        let mut errors: Vec<RowError> = row.defect.iter().cloned().collect();
        let cells = &row.cells;
        let label = |f: Field| header.label(f).to_owned();
        let text = |f: Field| header.cell(cells, f).map(str::to_owned);

        let name = text(Field::Name);
        if name.is_none() {
            errors.push(RowError::Missing {
                column: label(Field::Name),
            });
        }
        let source_type = match header.cell(cells, Field::Type) {
            None => {
                errors.push(RowError::Missing {
                    column: label(Field::Type),
                });
                None
            }
            Some(v) => SourceType::parse_lenient(v).or_else(|| {
                let suggestion = self.suggest(Field::Type, v);
                errors.push(RowError::BadType {
                    column: label(Field::Type),
                    value: v.into(),
                    suggestion,
                });
                None
            }),
        };
        let status = header.cell(cells, Field::Status).and_then(|v| {
            Status::parse_lenient(v).or_else(|| {
                let suggestion = self.suggest(Field::Status, v);
                errors.push(RowError::BadStatus {
                    column: label(Field::Status),
                    value: v.into(),
                    suggestion,
                });
                None
            })
        });
        let upsert = upsert_of(header, cells, &mut errors);
        let owners = self.people(header, cells, Field::Owners, rules, &mut errors);
        let stewards = self.people(header, cells, Field::Stewards, rules, &mut errors);
        let (tags, new_tags) = self.tags(header, cells, rules, &mut errors);
        let (attributes, lacks) = self.attributes(header, cells, rules, &mut errors);
        let cleared = match rules.clear_empty_cells {
            true => emptied(header, cells),
            false => serde_json::Map::new(),
        };
        match (name, source_type, errors.is_empty()) {
            (Some(name), Some(source_type), true) => Ok(Resolved {
                draft: SourceDraft {
                    name,
                    source_type,
                    status,
                    owners,
                    stewards,
                    tags,
                    summary: text(Field::Summary),
                    description: text(Field::Description),
                    technical_name: text(Field::TechnicalName),
                    upsert,
                    attributes,
                    cleared,
                },
                new_tags,
                lacks,
            }),
            _ => Err(errors),
        }
    }

    /// A list of emails (owners, stewards) in the tenant's spelling, once
    /// each; the unknown ones are pushed to `errors`.
    fn people(
        &self,
        header: &HeaderMap,
        cells: &[String],
        field: Field,
        rules: Rules,
        errors: &mut Vec<RowError>,
    ) -> Vec<String> {
        let column = || header.label(field).to_owned();
        let mut people = Vec::new();
        for email in header.list(cells, field, rules.list_separator) {
            match self.users.get(&email.to_lowercase()) {
                Some(listed) => people.push(listed.clone()),
                None if other_separator(email, rules.list_separator).is_some() => {
                    errors.push(RowError::ListSeparator {
                        column: column(),
                        value: email.into(),
                        separator: rules.list_separator,
                    });
                }
                None => errors.push(RowError::UnknownUser {
                    column: column(),
                    value: email.into(),
                    suggestion: self.suggest(field, email),
                }),
            }
        }
        distinct(people)
    }

    /// The row's tags in the tenant's spelling, once each, and those to
    /// create (`--create-missing-tags`); the unknown ones go to `errors`.
    fn tags(
        &self,
        header: &HeaderMap,
        cells: &[String],
        rules: Rules,
        errors: &mut Vec<RowError>,
    ) -> (Vec<String>, Vec<String>) {
        let column = || header.label(Field::Tags).to_owned();
        let (mut tags, mut new_tags) = (Vec::new(), Vec::new());
        for tag in header.list(cells, Field::Tags, rules.list_separator) {
            match self.tags.get(&tag.to_lowercase()) {
                Some(listed) => tags.push(listed.clone()),
                None if (other_separator(tag, rules.list_separator))
                    .is_some_and(|sep| tag.split(sep).all(|t| self.knows_tag(t.trim()))) =>
                {
                    errors.push(RowError::ListSeparator {
                        column: column(),
                        value: tag.into(),
                        separator: rules.list_separator,
                    });
                }
                None => match self.suggest(Field::Tags, tag) {
                    // No known tag explains it: a new tag, when asked for.
                    None if rules.create_missing_tags => {
                        let spelling = self.new_tag(tag);
                        tags.push(spelling.clone());
                        new_tags.push(spelling);
                    }
                    suggestion => errors.push(RowError::UnknownTag {
                        column: column(),
                        value: tag.into(),
                        suggestion,
                    }),
                },
            }
        }
        (distinct(tags), distinct(new_tags))
    }

    /// The custom attributes a row sets, typed, and the mandatory ones it
    /// leaves empty (which only a create needs).
    fn attributes(
        &self,
        header: &HeaderMap,
        cells: &[String],
        rules: Rules,
        errors: &mut Vec<RowError>,
    ) -> (BTreeMap<String, serde_json::Value>, Vec<RowError>) {
        let mut attributes = BTreeMap::new();
        for (column, cell) in header.attributes(cells) {
            let label = header.header(column.index);
            if let Some(value) = self.typed(column, label, cell, rules, errors) {
                attributes.insert(column.name.clone(), distinct_values(value));
            }
        }
        let lacks = (self.definitions.iter().flat_map(Definitions::iter))
            .filter(|d| d.mandatory && !attributes.contains_key(&d.name))
            .map(|d| RowError::MissingAttribute {
                column: d.name.clone(),
            })
            .collect();
        (attributes, lacks)
    }

    /// A custom attribute's cell as its value on the wire; what does not fit
    /// is pushed to `errors`, naming the column (`label`) and the value.
    fn typed(
        &self,
        column: &AttributeColumn,
        label: &str,
        cell: &str,
        rules: Rules,
        errors: &mut Vec<RowError>,
    ) -> Option<serde_json::Value> {
        let Some(def) = &column.definition else {
            return Some(serde_json::Value::String(cell.to_owned()));
        };
        self.type_cell(def, label, cell, rules, errors)
    }

    /// A cell (trimmed, not empty) as the value on the wire of the custom
    /// attribute `def`: users and tags resolved to their listed spelling,
    /// the rest typed by its format; what does not fit is pushed to
    /// `errors`, naming the column (`label`) and the value.
    pub(crate) fn type_cell(
        &self,
        def: &attributes::Definition,
        label: &str,
        cell: &str,
        rules: Rules,
        errors: &mut Vec<RowError>,
    ) -> Option<serde_json::Value> {
        let items = || attributes::split(cell, rules.list_separator);
        let mut resolved = |known: &HashMap<String, String>, field: Field| {
            let mut out = Vec::new();
            for item in items() {
                match known.get(&item.to_lowercase()) {
                    Some(listed) => out.push(serde_json::Value::String(listed.clone())),
                    None => {
                        let suggestion = self.suggest(field, item);
                        let (column, value) = (label.to_owned(), item.to_owned());
                        errors.push(match field {
                            Field::Tags => RowError::UnknownTag {
                                column,
                                value,
                                suggestion,
                            },
                            _ => RowError::UnknownUser {
                                column,
                                value,
                                suggestion,
                            },
                        });
                    }
                }
            }
            Some(serde_json::Value::Array(out))
        };
        match def.format {
            Format::Users => resolved(&self.users, Field::Owners),
            Format::Tags => resolved(&self.tags, Field::Tags),
            _ => match def.read(cell, rules.list_separator, rules.decimal_comma) {
                Ok(value) => Some(value),
                Err(misfit) => {
                    errors.push(RowError::BadAttribute {
                        column: label.to_owned(),
                        value: misfit.value,
                        expected: misfit.expected,
                        suggestion: misfit.suggestion,
                    });
                    None
                }
            },
        }
    }
}

impl Directory {
    /// The spelling a tag to create is sent in: the first row's.
    fn new_tag(&self, tag: &str) -> String {
        let mut new_tags = self.new_tags.lock().expect("new tags lock");
        let spelling = new_tags
            .entry(tag.to_lowercase())
            .or_insert_with(|| tag.to_owned());
        spelling.clone()
    }
}

/// The `upsert` cell: yes/no, any case; anything else goes to `errors`.
fn upsert_of(header: &HeaderMap, cells: &[String], errors: &mut Vec<RowError>) -> bool {
    match header.cell(cells, Field::Upsert) {
        None => false,
        Some(v) => match v.to_lowercase().as_str() {
            "false" | "no" | "0" => false,
            "true" | "yes" | "1" => true,
            _ => {
                errors.push(RowError::BadUpsert {
                    column: header.label(Field::Upsert).to_owned(),
                    value: v.to_owned(),
                });
                false
            }
        },
    }
}

/// The email in what a mail program copies: `John Doe <john.doe@x.com>`
/// or `mailto:john.doe@x.com` (a hint, never taken as the email itself).
fn bare_email(value: &str) -> &str {
    let inside = match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => &value[open + 1..close],
        _ => value,
    };
    let inside = inside.trim();
    match inside.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &inside[7..],
        _ => inside,
    }
}

/// The list separator a value seems to use instead of `separator`: `,`,
/// `;` or `|` between items (`a@x.com, b@x.com`).
fn other_separator(value: &str, separator: char) -> Option<char> {
    [',', ';', '|']
        .into_iter()
        .find(|c| *c != separator && value.contains(*c))
}

/// A list without the items that repeat an earlier one, ignoring case
/// (`Finance;finance` is one tag): the first spelling stays.
fn distinct(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    (items.into_iter())
        .filter(|item| seen.insert(item.to_lowercase()))
        .collect()
}

/// A list value (multi-value list, users, tags) without repeats, ignoring case.
fn distinct_values(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Array(items) => {
            let mut seen = std::collections::HashSet::new();
            let key = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.to_lowercase(),
                other => other.to_string(),
            };
            let items = items.into_iter().filter(|v| seen.insert(key(v)));
            serde_json::Value::Array(items.collect())
        }
        other => other,
    }
}

/// The fields a row empties under `--empty-cells clear`: its empty cells of
/// the columns it has (name and type stay required).
fn emptied(header: &HeaderMap, cells: &[String]) -> serde_json::Map<String, serde_json::Value> {
    let fields = [
        Field::Status,
        Field::Owners,
        Field::Stewards,
        Field::Tags,
        Field::Summary,
        Field::Description,
    ];
    let empty_fields = fields
        .into_iter()
        .filter(|f| header.index(*f).is_some() && header.cell(cells, *f).is_none())
        .map(|f| f.name().to_owned());
    let mut cleared = compare::cleared(empty_fields);
    for column in header.empty_attributes(cells) {
        let format = column
            .definition
            .as_ref()
            .map_or(Format::Text, |d| d.format);
        cleared.insert(column.name.clone(), format.empty());
    }
    cleared
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> Directory {
        Directory::new(
            vec![
                "john.doe@example.com".into(),
                "Marc.Fournier@Example.com".into(),
            ],
            vec!["GDPR".into(), "Finance".into()],
            vec![],
        )
    }

    const RULES: Rules = Rules {
        list_separator: ';',
        create_missing_tags: false,
        clear_empty_cells: false,
        decimal_comma: false,
    };

    fn resolve(headers: &[&str], cells: &[&str]) -> Result<SourceDraft, Vec<RowError>> {
        resolve_with(headers, cells, RULES).map(|r| r.draft)
    }

    fn resolve_with(
        headers: &[&str],
        cells: &[&str],
        rules: Rules,
    ) -> Result<Resolved, Vec<RowError>> {
        resolve_in(&directory(), headers, cells, rules)
    }

    /// A row resolved against `directory`, its header bound to the
    /// directory's attribute definitions.
    fn resolve_in(
        directory: &Directory,
        headers: &[&str],
        cells: &[&str],
        rules: Rules,
    ) -> Result<Resolved, Vec<RowError>> {
        let mut header = HeaderMap::new(
            headers.iter().map(|h| h.to_string()).collect(),
            &Default::default(),
        )
        .unwrap();
        let definitions = directory.definitions.as_ref();
        header.bind(definitions, Default::default()).unwrap();
        let row = InputRow {
            previous: None,
            seq: 0,
            row: 2,
            cells: cells.iter().map(|c| c.to_string()).collect(),
            defect: None,
        };
        directory.resolve(&header, &row, rules)
    }

    #[test]
    fn emails_and_tags_match_in_any_case_and_are_sent_as_the_api_lists_them() {
        let draft = resolve(
            &["name", "type", "owners", "tags", "status"],
            &[
                "Lake",
                "no sql",
                "marc.fournier@example.com; JOHN.DOE@example.com",
                "gdpr",
                "in revision",
            ],
        )
        .unwrap();
        assert_eq!(
            draft.owners,
            ["Marc.Fournier@Example.com", "john.doe@example.com"]
        );
        assert_eq!(draft.tags, ["GDPR"]);
        assert_eq!(draft.source_type, SourceType::NoSql);
        assert_eq!(draft.status, Some(Status::InRevision));
    }

    #[test]
    fn every_problem_of_a_row_is_named_with_its_column_and_value() {
        let errors = resolve(
            &["Name", "Type", "Owner", "Tags", "Upsert"],
            &["", "Graph", "jon.doe@example.com", "Fnance", "maybe"],
        )
        .unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "Name: required, but the cell is empty",
                "Type: unknown source type 'Graph' (expected Relational, NonRelational, NoSql or TagBase)",
                "Upsert: 'maybe' is not a yes/no value (true, false, yes, no, 1, 0)",
                "Owner: unknown user 'jon.doe@example.com' — did you mean john.doe@example.com?",
                "Tags: unknown tag 'Fnance' — did you mean Finance?",
            ]
        );
    }

    #[test]
    fn attribute_cells_are_typed_and_each_misfit_names_its_column_and_value() {
        let mut directory = directory();
        directory.definitions = Some(Definitions::from_listing(&serde_json::json!([
            {"name": "Data Domain", "format": "ValueList", "isCustom": true,
             "values": ["Finance", "Sales"]},
            {"name": "Contains PII", "format": "Boolean", "isCustom": true},
            {"name": "Retention", "format": "Number", "isCustom": true},
            {"name": "Custodians", "format": "UserReference", "isCustom": true},
            {"name": "Review", "format": "Date", "isCustom": true, "isMandatory": true}
        ])));
        let headers = [
            "name",
            "type",
            "data domain",
            "Contains PII",
            "Retention",
            "Custodians",
            "Review",
        ];
        let resolve = |cells: &[&str], rules| resolve_in(&directory, &headers, cells, rules);
        let comma = Rules {
            list_separator: ',',
            decimal_comma: true,
            ..RULES
        };
        let ok = resolve(
            &[
                "a",
                "NoSql",
                "finance",
                "Yes",
                "2,5",
                "JOHN.DOE@example.com",
                "",
            ],
            comma,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&ok.draft.attributes).unwrap(),
            serde_json::json!({"Data Domain": "Finance", "Contains PII": true,
                               "Retention": 2.5, "Custodians": ["john.doe@example.com"]})
        );
        assert_eq!(
            ok.lacks,
            [RowError::MissingAttribute {
                column: "Review".into()
            }],
            "a mandatory attribute left empty stops a create only (see plan.rs)"
        );
        let errors = resolve(
            &[
                "a",
                "NoSql",
                "Fnance",
                "maybe",
                "2,5",
                "jon.doe@example.com",
                "12/03/2026",
            ],
            RULES,
        )
        .unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "data domain: 'Fnance' is not a value of the list — did you mean Finance?",
                "Contains PII: 'maybe' is not a yes/no value (true, false, yes, no, 1, 0)",
                "Retention: '2,5' is not a number",
                "Custodians: unknown user 'jon.doe@example.com' — did you mean john.doe@example.com?",
                "Review: '12/03/2026' is not a date (expected YYYY-MM-DD)",
            ]
        );
    }

    #[test]
    fn with_create_missing_tags_only_the_tags_no_known_tag_explains_are_new() {
        let rules = Rules {
            list_separator: ';',
            create_missing_tags: true,
            clear_empty_cells: false,
            decimal_comma: false,
        };
        let resolved = resolve_with(
            &["name", "type", "tags"],
            &["a", "NoSql", "GDPR;Risk"],
            rules,
        )
        .unwrap();
        assert_eq!(resolved.draft.tags, ["GDPR", "Risk"]);
        assert_eq!(resolved.new_tags, ["Risk"]);
        let errors =
            resolve_with(&["name", "type", "tags"], &["a", "NoSql", "Fnance"], rules).unwrap_err();
        assert!(
            errors[0].to_string().ends_with("did you mean Finance?"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_email_as_a_mail_program_copies_it_is_hinted_bare() {
        for cell in [
            "John Doe <JOHN.DOE@example.com>",
            "mailto:john.doe@example.com",
        ] {
            let errors = resolve(&["name", "type", "owners"], &["a", "NoSql", cell]).unwrap_err();
            assert_eq!(
                errors[0].to_string(),
                format!("owners: unknown user '{cell}' — did you mean john.doe@example.com?")
            );
        }
        let errors =
            resolve(&["name", "type", "tags"], &["a", "NoSql", "GDPR|Finance"]).unwrap_err();
        assert!(
            errors[0].to_string().contains("lists are separated by ';'"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_type_typo_gets_a_suggestion() {
        let errors = resolve(&["name", "type"], &["a", "Relationl"]).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .ends_with(" — did you mean Relational?"),
            "{errors:?}"
        );
    }

    #[test]
    fn yes_no_values_of_upsert_are_read_in_any_case() {
        for (cell, expected) in [
            ("YES", true),
            ("1", true),
            ("True", true),
            ("no", false),
            ("", false),
            ("0", false),
        ] {
            let draft = resolve(&["name", "type", "upsert"], &["a", "NoSql", cell]).unwrap();
            assert_eq!(draft.upsert, expected, "{cell}");
        }
    }
}
