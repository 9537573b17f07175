//! Header mapping: which column holds which field or custom attribute. A
//! header matches a field by any of its aliases, ignoring case, spaces, `_`,
//! `-` and a trailing `s` ("Owner emails" is owners), else a custom attribute
//! by its name (once the tenant listed them: `bind`); `--map "Header=name"`
//! names either. A column that maps to nothing stops the command before any
//! write (exit 2) with every such header named and the closest field or
//! attribute suggested, unless `--extra-columns ignore` leaves them out (or,
//! when the tenant does not list its attributes, `attributes` sends them as
//! text under their header).

use serde::{Deserialize, Serialize};

use crate::exit::usage;
use crate::model::key::Key;
use crate::model::source::fold;
use crate::model::suggest;
use crate::pipeline::attributes::{Definition, Definitions};

/// A field of a source row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Field {
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
pub(crate) enum ExtraColumns {
    /// Stop before any request, naming them (the default).
    #[default]
    Error,
    /// Leave them out (they stay in the report).
    Ignore,
    /// Send each as a text custom attribute named by its header, when the
    /// tenant does not list its attributes (when it does, adds nothing).
    Attributes,
}

impl Field {
    pub(crate) const ALL: [Field; 10] = [
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
    pub(crate) fn name(self) -> &'static str {
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
    pub(crate) fn from_header(header: &str) -> Option<Field> {
        let key = match_key(header);
        Field::ALL
            .into_iter()
            .find(|f| f.aliases().iter().any(|a| match_key(a) == key))
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
pub(crate) struct HeaderOptions {
    /// (header as in the file, field or attribute name) from `--map`.
    pub(crate) map: Vec<(String, String)>,
    pub(crate) extra: ExtraColumns,
}

impl HeaderOptions {
    /// Parses `--map "Header in file=field or attribute"` values. Whether an
    /// attribute of that name exists is known once the tenant answers.
    pub(crate) fn parse_map(values: &[String]) -> anyhow::Result<Vec<(String, String)>> {
        values
            .iter()
            .map(|v| {
                let (header, target) = v.rsplit_once('=').ok_or_else(|| {
                    usage(format!(
                        "--map {v:?}: expected \"Header in file=field\" (or =custom attribute)"
                    ))
                })?;
                if target.trim().is_empty() {
                    return Err(usage(format!(
                        "--map {v:?}: no field or attribute after '='"
                    )));
                }
                Ok((header.trim().to_owned(), target.trim().to_owned()))
            })
            .collect()
    }
}

/// A `--map` pair whose header is no column of the file would be silently
/// ignored: it is refused, with the closest column.
fn refuse_unmatched_map(headers: &[String], options: &HeaderOptions) -> anyhow::Result<()> {
    for (header, target) in &options.map {
        if headers.iter().any(|h| match_key(h) == match_key(header)) {
            continue;
        }
        let keys: Vec<String> = headers.iter().map(|h| match_key(h)).collect();
        let hint = suggest::closest(&match_key(header), keys.iter().map(String::as_str))
            .and_then(|k| headers.iter().find(|h| match_key(h) == k))
            .map(|h| format!(" — did you mean '{h}'?"))
            .unwrap_or_default();
        let shown: Vec<String> = headers.iter().map(|h| format!("'{h}'")).collect();
        return Err(usage(format!(
            "--map '{header}={target}': the file has no column '{header}'{hint} (its \
             columns: {})",
            shown.join(", ")
        )));
    }
    Ok(())
}

/// A column read as a custom attribute.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AttributeColumn {
    pub(crate) index: usize,
    /// The attribute's display name (the key on the wire).
    pub(crate) name: String,
    /// Its definition, when the tenant listed them.
    pub(crate) definition: Option<Definition>,
}

/// The file's header row and what each column means.
#[derive(Clone, Debug)]
pub(crate) struct HeaderMap {
    headers: Vec<String>,
    /// For each field, the index of its column.
    columns: Vec<(Field, usize)>,
    /// Columns that name no field, with their `--map` target: what they are
    /// is decided by `bind`, once the attribute definitions are known.
    others: Vec<(usize, Option<String>)>,
    /// Columns sent as custom attributes.
    attributes: Vec<AttributeColumn>,
}

impl HeaderMap {
    /// The fields' columns; a field named twice, or a missing name or type
    /// column, stops here, before any request.
    pub(crate) fn new(headers: Vec<String>, options: &HeaderOptions) -> anyhow::Result<HeaderMap> {
        refuse_unmatched_map(&headers, options)?;
        let mut columns: Vec<(Field, usize)> = Vec::new();
        let mut others = Vec::new();
        for (i, header) in headers.iter().enumerate() {
            let mapped = options
                .map
                .iter()
                .find(|(h, _)| match_key(h) == match_key(header))
                .map(|(_, target)| target);
            let field = match mapped {
                Some(target) => Field::from_header(target),
                None => Field::from_header(header),
            };
            match field {
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
                None => others.push((i, mapped.cloned())),
            }
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
            others,
            attributes: Vec::new(),
        })
    }

    /// Decides what the columns that name no field are: the custom attribute
    /// their header (or `--map`) names, ignoring case and spaces; else, as
    /// `extra` says. `definitions`: `None` when the tenant would not list
    /// them (then `--extra-columns attributes` sends such columns as text).
    /// Every column that is neither a field nor an attribute is named at
    /// once, with the closest of both. Returns the warnings to log.
    pub(crate) fn bind(
        &mut self,
        definitions: Option<&Definitions>,
        extra: ExtraColumns,
    ) -> anyhow::Result<Vec<String>> {
        let warnings = definitions.map_or_else(Vec::new, |d| self.shadowed(d));
        let mut unknown = Vec::new();
        let mut attributes = Vec::new();
        let attribute = |index: usize, def: &Definition| AttributeColumn {
            index,
            name: def.name.clone(),
            definition: Some(def.clone()),
        };
        let text = |index: usize, name: &str| AttributeColumn {
            index,
            name: name.to_owned(),
            definition: None,
        };
        for (i, target) in &self.others {
            let header = &self.headers[*i];
            let found = |name: &str| definitions.and_then(|d| d.find(name));
            if let Some(target) = target {
                match (definitions, found(target)) {
                    (_, Some(def)) => attributes.push(attribute(*i, def)),
                    (None, None) => attributes.push(text(*i, target)),
                    (Some(defs), None) => unknown.push(format!(
                        "--map '{header}={target}': '{target}' is no field and no custom attribute{}",
                        closest(target, defs)
                            .map(|c| format!(" — did you mean {c}?"))
                            .unwrap_or_default()
                    )),
                }
                continue;
            }
            if header.trim().is_empty() {
                if extra == ExtraColumns::Error {
                    unknown.push(format!("(empty header in column {})", i + 1));
                }
                continue;
            }
            if let Some(def) = found(header) {
                attributes.push(attribute(*i, def));
                continue;
            }
            match (extra, definitions) {
                (ExtraColumns::Ignore, _) => {}
                (ExtraColumns::Attributes, None) => attributes.push(text(*i, header)),
                (_, defs) => unknown.push(
                    match closest(header, defs.unwrap_or(&Definitions::default())) {
                        Some(c) => format!("'{header}' — did you mean {c}?"),
                        None => format!("'{header}'"),
                    },
                ),
            }
        }
        if !unknown.is_empty() {
            let error = unknown_columns(&unknown, definitions);
            if extra == ExtraColumns::Attributes && definitions.is_some() {
                return Err(error.context(
                    "--extra-columns attributes adds nothing here: the tenant lists its custom \
                     attributes, and these columns name none of them",
                ));
            }
            return Err(error);
        }
        self.refuse_twice(&attributes)?;
        self.attributes = attributes;
        Ok(warnings)
    }

    /// The columns read as a field whose header also names a custom
    /// attribute: said, since the attribute is then not set.
    fn shadowed(&self, defs: &Definitions) -> Vec<String> {
        let columns = self.columns.iter();
        columns
            .filter_map(|(field, i)| {
                let def = defs.find(&self.headers[*i])?;
                Some(format!(
                    "column '{}' is read as the field {}, not as the custom attribute '{}'",
                    self.headers[*i],
                    field.name(),
                    def.name
                ))
            })
            .collect()
    }

    /// Two columns that mean one custom attribute: refused.
    fn refuse_twice(&self, attributes: &[AttributeColumn]) -> anyhow::Result<()> {
        for (n, a) in attributes.iter().enumerate() {
            if let Some(first) = attributes[..n].iter().find(|f| f.name == a.name) {
                return Err(usage(format!(
                    "columns '{}' and '{}' both mean the custom attribute '{}': keep one",
                    self.headers[first.index], self.headers[a.index], a.name
                )));
            }
        }
        Ok(())
    }

    pub(crate) fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The column index of a field, if the file has it.
    pub(crate) fn index(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| *i)
    }

    /// The header the user wrote for a field (for messages), else its name.
    pub(crate) fn label(&self, field: Field) -> &str {
        self.index(field)
            .map_or(field.name(), |i| self.headers[i].as_str())
    }

    /// The header of a column.
    pub(crate) fn header(&self, index: usize) -> &str {
        &self.headers[index]
    }

    /// A field's trimmed cell; `None` when absent or empty ("not set").
    pub(crate) fn cell<'r>(&self, cells: &'r [String], field: Field) -> Option<&'r str> {
        let value = cells.get(self.index(field)?)?.trim();
        (!value.is_empty()).then_some(value)
    }

    /// The key of the object a row describes: its technical name, or its
    /// name when it has none.
    pub(crate) fn key(&self, cells: &[String]) -> Option<Key> {
        (self.cell(cells, Field::TechnicalName))
            .or(self.cell(cells, Field::Name))
            .map(Key::source)
    }

    /// A list field's items, trimmed, empty items dropped.
    pub(crate) fn list<'r>(
        &self,
        cells: &'r [String],
        field: Field,
        separator: char,
    ) -> Vec<&'r str> {
        self.cell(cells, field)
            .map(|v| {
                v.split(separator)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The columns taken as custom attributes.
    pub(crate) fn attribute_columns(&self) -> &[AttributeColumn] {
        &self.attributes
    }

    /// The attribute columns whose cell is empty.
    pub(crate) fn empty_attributes<'r>(
        &'r self,
        cells: &'r [String],
    ) -> impl Iterator<Item = &'r AttributeColumn> {
        self.attributes
            .iter()
            .filter(|a| cells.get(a.index).is_none_or(|c| c.trim().is_empty()))
    }

    /// The custom attributes a row sets: each column with its trimmed cell.
    pub(crate) fn attributes<'r>(
        &'r self,
        cells: &'r [String],
    ) -> impl Iterator<Item = (&'r AttributeColumn, &'r str)> {
        self.attributes.iter().filter_map(|a| {
            let value = cells.get(a.index)?.trim();
            (!value.is_empty()).then_some((a, value))
        })
    }
}

/// The error that names every unknown column, with what is known.
fn unknown_columns(unknown: &[String], definitions: Option<&Definitions>) -> anyhow::Error {
    let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    let custom: Vec<&str> = (definitions.into_iter().flat_map(Definitions::iter))
        .map(|d| d.name.as_str())
        .collect();
    let custom = match custom.is_empty() {
        true => String::new(),
        false => format!("; custom attributes: {}", custom.join(", ")),
    };
    let flags = match definitions {
        Some(_) => "--extra-columns ignore",
        None => "--extra-columns ignore|attributes",
    };
    usage(format!(
        "unknown column(s): {} (known columns: {}{custom}). Use --map \"Header=field or \
         attribute\", or {flags}",
        unknown.join("; "),
        known.join(", "),
    ))
}

/// The closest field or custom attribute to an unknown header.
fn closest(header: &str, definitions: &Definitions) -> Option<String> {
    let mut keys: Vec<(String, String)> = Field::ALL
        .iter()
        .flat_map(|f| {
            f.aliases()
                .iter()
                .map(|a| (match_key(a), f.name().to_owned()))
        })
        .collect();
    keys.extend(
        definitions
            .iter()
            .map(|d| (match_key(&d.name), d.name.clone())),
    );
    let best = suggest::closest(&match_key(header), keys.iter().map(|(k, _)| k.as_str()))?;
    keys.iter().find(|(k, _)| k == best).map(|(_, n)| n.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_with(headers: &[&str], options: &HeaderOptions) -> anyhow::Result<HeaderMap> {
        HeaderMap::new(headers.iter().map(|h| h.to_string()).collect(), options)
    }

    #[test]
    fn a_map_naming_a_column_the_file_lacks_is_refused_with_the_closest() {
        let options = HeaderOptions {
            map: vec![("Owner mail".into(), "owners".into())],
            ..Default::default()
        };
        let err = map_with(&["name", "type", "Owner email"], &options).unwrap_err();
        let said = err.to_string();
        assert!(
            said.contains("no column 'Owner mail' — did you mean 'Owner email'?"),
            "{said}"
        );
        assert!(said.contains("'name', 'type', 'Owner email'"), "{said}");
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

    fn definitions() -> Definitions {
        Definitions::from_listing(&serde_json::json!([
            {"name": "Data Domain", "format": "ValueList", "isCustom": true, "values": ["Finance"]},
            {"name": "Status", "format": "Text", "isCustom": true},
            {"name": "Criticality", "format": "Number", "isCustom": true}
        ]))
    }

    fn bound(
        headers: &[&str],
        options: &HeaderOptions,
        defs: Option<&Definitions>,
    ) -> anyhow::Result<(HeaderMap, Vec<String>)> {
        let mut m = map_with(headers, options)?;
        let warnings = m.bind(defs, options.extra)?;
        Ok((m, warnings))
    }

    #[test]
    fn unknown_columns_are_all_named_with_the_closest_field_or_attribute() {
        let defs = definitions();
        let err = bound(
            &["name", "type", "Owner mail", "Data Domian", "colour"],
            &HeaderOptions::default(),
            Some(&defs),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(
                "'Owner mail' — did you mean owners?; 'Data Domian' — did you mean Data Domain?; 'colour'"
            ),
            "{text}"
        );
        assert!(
            text.contains("custom attributes: Data Domain, Status, Criticality"),
            "{text}"
        );
        assert_eq!(crate::exit::code_of(&Err(err)), crate::exit::USAGE);
    }

    #[test]
    fn a_header_naming_an_attribute_is_that_attribute_and_a_field_wins_with_a_warning() {
        let defs = definitions();
        let (m, warnings) = bound(
            &["name", "type", "data_domain", "STATUS", "Crit"],
            &HeaderOptions {
                map: vec![("Crit".into(), "criticality".into())],
                ..Default::default()
            },
            Some(&defs),
        )
        .unwrap();
        let names: Vec<&str> = m
            .attribute_columns()
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["Data Domain", "Criticality"]);
        assert_eq!(m.index(Field::Status), Some(3));
        assert_eq!(
            warnings,
            ["column 'STATUS' is read as the field status, not as the custom attribute 'Status'"]
        );
        let twice = bound(
            &["name", "type", "Data Domain", "data_domain"],
            &HeaderOptions::default(),
            Some(&defs),
        )
        .unwrap_err();
        assert!(
            twice.to_string().contains(
                "columns 'Data Domain' and 'data_domain' both mean the custom attribute 'Data Domain'"
            ),
            "{twice}"
        );
        let err = bound(
            &["name", "type", "X"],
            &HeaderOptions {
                map: vec![("X".into(), "Data Domian".into())],
                ..Default::default()
            },
            Some(&defs),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains(
                "--map 'X=Data Domian': 'Data Domian' is no field and no custom attribute — did you mean Data Domain?"
            ),
            "{err}"
        );
    }

    #[test]
    fn extra_columns_attributes_sends_text_only_when_the_tenant_lists_no_attributes() {
        let options = HeaderOptions {
            extra: ExtraColumns::Attributes,
            ..Default::default()
        };
        let (m, _) = bound(&["name", "type", "Region"], &options, None).unwrap();
        assert_eq!(m.attribute_columns()[0].name, "Region");
        assert_eq!(m.attribute_columns()[0].definition, None);
        let defs = definitions();
        let err = bound(&["name", "type", "Region"], &options, Some(&defs)).unwrap_err();
        assert!(format!("{err:#}").contains("--extra-columns attributes adds nothing here"));
        let ignore = HeaderOptions {
            extra: ExtraColumns::Ignore,
            ..Default::default()
        };
        let (m, _) = bound(
            &["name", "type", "Region", "Data Domain"],
            &ignore,
            Some(&defs),
        )
        .unwrap();
        assert_eq!(
            m.attribute_columns().len(),
            1,
            "ignore leaves out only the unknown"
        );
    }

    #[test]
    fn map_names_a_column_and_extra_columns_can_be_ignored_or_sent_as_attributes() {
        let map_opt = HeaderOptions {
            map: vec![("Resp.".into(), "owners".into())],
            extra: ExtraColumns::Attributes,
        };
        let (m, _) = bound(
            &["name", "type", "Resp.", "Data Domain", "Region"],
            &map_opt,
            None,
        )
        .unwrap();
        assert_eq!(m.index(Field::Owners), Some(2));
        let cells: Vec<String> = ["a", "NoSql", "x@y.z", " Finance ", ""]
            .map(String::from)
            .to_vec();
        let set: Vec<(&str, &str)> = m
            .attributes(&cells)
            .map(|(a, v)| (a.name.as_str(), v))
            .collect();
        assert_eq!(set, [("Data Domain", "Finance")]);
        assert!(HeaderOptions::parse_map(&["X=".into()]).is_err());
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
