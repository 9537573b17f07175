//! The custom attributes of dictionary objects: their definitions per kind
//! (`GET /attributes?dataType=container|structure|field`), a file's own
//! columns bound to them by display name, and a row's cells typed as the
//! attribute of its object's kind says (users and tags resolved by the
//! directory); every problem names its column and value. An attribute
//! belongs to the kinds that list it: a value on an object of another kind
//! is the row's error, never sent.

use serde_json::Value;

use crate::client::api::Client;
use crate::exit::usage;
use crate::model::source::RowError;
use crate::model::suggest;
use crate::pipeline::attributes::{Definition, Definitions, Format};
use crate::pipeline::dictionary::columns::{self, Level};
use crate::pipeline::dictionary::rows::Problem;
use crate::pipeline::directory::{self, Directory, Rules};
use crate::pipeline::input::ExtraColumns;

/// The kinds that carry custom attributes in a dictionary, in this order.
const KINDS: [Level; 3] = [Level::Container, Level::Structure, Level::Field];

fn slot(level: Level) -> Option<usize> {
    KINDS.iter().position(|k| *k == level)
}

/// The custom attributes of containers, structures and fields.
#[derive(Clone, Debug, Default)]
pub(crate) struct Customs {
    /// `None`: the tenant would not list that kind's (403, or no route).
    kinds: [Option<Definitions>; 3],
}

impl Customs {
    /// Each kind's definitions, as the tenant lists them.
    pub(crate) async fn load(client: &Client) -> anyhow::Result<Customs> {
        let mut customs = Customs::default();
        for (i, level) in KINDS.iter().enumerate() {
            let data_type = level.word();
            customs.kinds[i] = match directory::attribute_listing(client, data_type).await {
                Ok(listing) => listing.map(|l| Definitions::of_kind(&l, data_type)),
                Err(e) => {
                    let what = format!("listing the attributes of {data_type}s");
                    return Err(directory::setup_error(&what, e));
                }
            };
        }
        Ok(customs)
    }

    #[cfg(test)]
    pub(crate) fn of_lists(kinds: [Option<Definitions>; 3]) -> Customs {
        Customs { kinds }
    }

    fn of(&self, level: Level) -> Option<&Definitions> {
        slot(level).and_then(|i| self.kinds[i].as_ref())
    }

    /// The format of a custom attribute of `level` objects (`None`: not one).
    pub(crate) fn format(&self, level: Level, name: &str) -> Option<Format> {
        self.of(level)?.get(name).map(|d| d.format)
    }

    /// The attributes a new object of each kind must carry, each with its
    /// kind (`Data Domain (container)`).
    pub(crate) fn mandatory(&self) -> Vec<String> {
        (KINDS.iter().zip(&self.kinds))
            .flat_map(|(level, kind)| {
                let word = level.word();
                (kind.iter().flat_map(Definitions::iter))
                    .filter(|d| d.mandatory)
                    .map(move |d| format!("{} ({word})", d.name))
            })
            .collect()
    }

    /// Every kind's custom attributes, each name once, containers' first.
    pub(crate) fn names(&self) -> Vec<(String, Format)> {
        let mut names: Vec<(String, Format)> = Vec::new();
        for d in self.kinds.iter().flatten().flat_map(Definitions::iter) {
            if !names.iter().any(|(n, _)| *n == d.name) {
                names.push((d.name.clone(), d.format));
            }
        }
        names
    }

    /// The kinds whose attributes the tenant would not list.
    fn unlisted(&self) -> Vec<&'static str> {
        (KINDS.iter().zip(&self.kinds))
            .filter(|(_, d)| d.is_none())
            .map(|(level, _)| level.word())
            .collect()
    }
}

/// A file's own column, bound to the attribute it names on each kind.
#[derive(Clone, Debug)]
struct Bound {
    index: usize,
    header: String,
    /// Containers', structures', fields': the attribute this column sets
    /// on objects of that kind (`None`: that kind has no such attribute).
    kinds: [Option<Definition>; 3],
}

/// The file's own columns, each bound to the custom attributes it names.
#[derive(Clone, Debug, Default)]
pub(crate) struct Binding {
    columns: Vec<Bound>,
    /// The mandatory attributes of each kind: a new object must carry them.
    mandatory: [Vec<String>; 3],
}

impl Binding {
    /// The file's own columns (`own`: neither known nor passed over) bound
    /// to the attributes they name, in any case and spacing; the others as
    /// `--extra-columns` says: refused by default (each named, with the
    /// closest header or attribute), passed over with `ignore`, sent as text
    /// with `attributes` to the kinds whose attributes the tenant will not
    /// list. Also what to warn of.
    pub(crate) fn bind(
        customs: &Customs,
        own: &[(usize, String)],
        extra: ExtraColumns,
        file: &str,
    ) -> anyhow::Result<(Binding, Vec<String>)> {
        let mut binding = Binding {
            columns: vec![],
            mandatory: std::array::from_fn(|i| {
                let defs = customs.kinds[i].iter().flat_map(Definitions::iter);
                defs.filter(|d| d.mandatory)
                    .map(|d| d.name.clone())
                    .collect()
            }),
        };
        let (mut unknown, mut ignored) = (Vec::new(), Vec::new());
        for (index, header) in own {
            let found: [Option<Definition>; 3] =
                std::array::from_fn(|i| customs.kinds[i].as_ref()?.find(header).cloned());
            let kinds = match (found.iter().any(Option::is_some), extra) {
                (true, _) => found,
                (false, ExtraColumns::Attributes) if !customs.unlisted().is_empty() => {
                    std::array::from_fn(|i| {
                        customs.kinds[i].is_none().then(|| Definition::text(header))
                    })
                }
                (false, ExtraColumns::Ignore) => {
                    ignored.push(format!("'{header}'"));
                    continue;
                }
                (false, _) => {
                    unknown.push(unknown_column(customs, header));
                    continue;
                }
            };
            binding.columns.push(Bound {
                index: *index,
                header: header.clone(),
                kinds,
            });
        }
        if !unknown.is_empty() {
            return Err(refuse_unknown(customs, &unknown, extra, file));
        }
        binding.refuse_twice()?;
        let mut warnings = Vec::new();
        if !ignored.is_empty() {
            warnings.push(format!(
                "columns passed over (--extra-columns ignore): {}",
                ignored.join(", ")
            ));
        }
        let unlisted = customs.unlisted();
        if !binding.columns.is_empty() && !unlisted.is_empty() {
            warnings.push(format!(
                "the API would not list the attributes of {}s: their columns cannot be \
                 checked, and are sent as text",
                unlisted.join("s, ")
            ));
        }
        Ok((binding, warnings))
    }

    /// Two columns naming one attribute: which one a row means cannot be told.
    fn refuse_twice(&self) -> anyhow::Result<()> {
        for (i, a) in self.columns.iter().enumerate() {
            for b in &self.columns[i + 1..] {
                let same = (a.kinds.iter().zip(&b.kinds)).find_map(|(x, y)| match (x, y) {
                    (Some(x), Some(y)) if x.name == y.name => Some(&x.name),
                    _ => None,
                });
                if let Some(name) = same {
                    // Said as the sources' header says it.
                    return Err(usage(format!(
                        "columns '{}' and '{}' both mean the custom attribute '{name}': keep one",
                        a.header, b.header
                    )));
                }
            }
        }
        Ok(())
    }

    /// The format of a custom attribute the file's columns set on `level`
    /// objects (`None`: no column sets it, the listing need not keep it).
    pub(crate) fn format(&self, level: Level, name: &str) -> Option<Format> {
        let i = slot(level)?;
        (self.columns.iter())
            .filter_map(|c| c.kinds[i].as_ref())
            .find(|d| d.name == name)
            .map(|d| d.format)
    }

    /// The custom attributes a row's own cells (`cells`: column index and
    /// text, not empty) set on its object, a `level` one, typed; what does
    /// not fit, or is an attribute of other kinds only, in `problems`.
    pub(crate) fn read(
        &self,
        level: Level,
        cells: &[(usize, String)],
        (directory, rules): (&Directory, Rules),
        problems: &mut Vec<Problem>,
    ) -> Vec<(String, Value)> {
        let mut set = Vec::new();
        for (index, cell) in cells {
            let Some(column) = self.columns.iter().find(|c| c.index == *index) else {
                continue; // a column passed over
            };
            let Some(def) = slot(level).and_then(|i| column.kinds[i].as_ref()) else {
                problems.push(Problem {
                    column: column.header.clone(),
                    value: cell.clone(),
                    message: format!(
                        "an attribute of {}, not of {}s: leave the cell empty on this row",
                        column.kinds_named(),
                        level.word()
                    ),
                    detail: String::new(),
                });
                continue;
            };
            let mut errors = Vec::new();
            let value = directory.type_cell(def, &column.header, cell, rules, &mut errors);
            match (value, errors.is_empty()) {
                (Some(value), true) => set.push((def.name.clone(), value)),
                _ => problems.extend(errors.into_iter().map(problem_of)),
            }
        }
        set
    }

    /// The mandatory attributes of `level` objects that `has` says a new
    /// one lacks: the tenant refuses to create it.
    pub(crate) fn lacking(&self, level: Level, has: impl Fn(&str) -> bool) -> Vec<Problem> {
        let Some(i) = slot(level) else {
            return vec![];
        };
        (self.mandatory[i].iter())
            .filter(|name| !has(name))
            .map(|name| Problem {
                column: name.clone(),
                value: String::new(),
                message: format!(
                    "the tenant requires this attribute on a new {}, and the row leaves it empty",
                    level.word()
                ),
                detail: String::new(),
            })
            .collect()
    }
}

impl Bound {
    /// `structures and fields`: the kinds this column's attribute belongs to.
    fn kinds_named(&self) -> String {
        let named: Vec<String> = (KINDS.iter().zip(&self.kinds))
            .filter(|(_, d)| d.is_some())
            .map(|(level, _)| format!("{}s", level.word()))
            .collect();
        named.join(" and ")
    }
}

/// A header that names nothing, with the closest column or attribute.
fn unknown_column(customs: &Customs, header: &str) -> String {
    let names = customs.names();
    let attributes = names.iter().map(|(n, _)| n.as_str());
    let near = suggest::closest(header, attributes).or_else(|| columns::closest(header));
    match near {
        Some(c) => format!("'{header}' (did you mean '{c}'?)"),
        None => format!("'{header}'"),
    }
}

fn refuse_unknown(
    customs: &Customs,
    unknown: &[String],
    extra: ExtraColumns,
    file: &str,
) -> anyhow::Error {
    let listed = customs.unlisted().is_empty();
    let attributes = match customs.names().is_empty() {
        true => String::new(),
        false => format!(
            " (the attributes of dictionary objects: {})",
            (customs.names().iter())
                .map(|(n, _)| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let why = match (extra, listed) {
        (ExtraColumns::Attributes, true) => {
            "--extra-columns attributes adds nothing here: the tenant lists the custom \
             attributes of containers, structures and fields, and these columns name none of them"
        }
        _ => "rename it, or pass --extra-columns ignore to pass it over",
    };
    usage(format!(
        "{file}: {} not a column of a dictionary nor a custom attribute{attributes}: {why}; \
         nothing was sent",
        unknown.join(", ")
    ))
}

/// A typing error as a row's problem: its column, its value, what is wrong.
fn problem_of(error: RowError) -> Problem {
    let hint = |s: Option<String>| s.map_or_else(String::new, |s| format!(" — did you mean {s}?"));
    let (column, value, message, detail) = match error {
        RowError::UnknownUser {
            column,
            value,
            suggestion,
        } => (column, value, "unknown user".to_owned(), hint(suggestion)),
        RowError::UnknownTag {
            column,
            value,
            suggestion,
        } => (column, value, "unknown tag".to_owned(), hint(suggestion)),
        RowError::BadAttribute {
            column,
            value,
            expected,
            suggestion,
        } => (column, value, format!("not {expected}"), hint(suggestion)),
        other => (
            String::new(),
            String::new(),
            other.to_string(),
            String::new(),
        ),
    };
    Problem {
        column,
        value,
        message,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULES: Rules = Rules {
        list_separator: ';',
        create_missing_tags: false,
        clear_empty_cells: false,
        decimal_comma: false,
    };

    fn customs() -> Customs {
        let listing = json!([
            {"name": "Refresh Frequency", "format": "ValueList", "isCustom": true,
             "values": ["Daily", "Weekly"], "dataType": "Structure"},
            {"name": "Contains PII", "format": "Boolean", "isCustom": true,
             "isMandatory": true, "dataType": "Field"},
            {"name": "Stewarded By", "format": "UserReference", "isCustom": true},
            {"name": "columnDataType", "format": "ValueList", "isCustom": false},
        ]);
        Customs::of_lists([
            Some(Definitions::default()),
            Some(Definitions::of_kind(&listing, "structure")),
            Some(Definitions::of_kind(&listing, "field")),
        ])
    }

    fn directory() -> Directory {
        Directory::new(vec!["jane.doe@example.com".into()], vec![], vec![])
    }

    fn own(headers: &[&str]) -> Vec<(usize, String)> {
        (headers.iter().enumerate())
            .map(|(i, h)| (i + 10, h.to_string()))
            .collect()
    }

    fn read(
        binding: &Binding,
        level: Level,
        cells: &[(usize, &str)],
    ) -> (Vec<(String, Value)>, Vec<Problem>) {
        let cells: Vec<(usize, String)> = cells.iter().map(|(i, c)| (*i, c.to_string())).collect();
        let mut problems = Vec::new();
        let set = binding.read(level, &cells, (&directory(), RULES), &mut problems);
        (set, problems)
    }

    #[test]
    fn a_column_named_as_an_attribute_is_typed_for_the_kind_that_has_it() {
        let headers = own(&["refresh frequency", "Contains_PII", "Stewarded By"]);
        let (binding, warnings) =
            Binding::bind(&customs(), &headers, ExtraColumns::Error, "f.csv").unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let (set, problems) = read(
            &binding,
            Level::Structure,
            &[(10, "weekly"), (12, "JANE.DOE@example.com")],
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            set,
            [
                ("Refresh Frequency".to_owned(), json!("Weekly")),
                ("Stewarded By".to_owned(), json!(["jane.doe@example.com"])),
            ]
        );
        let (set, _) = read(&binding, Level::Field, &[(11, "yes")]);
        assert_eq!(set, [("Contains PII".to_owned(), json!(true))]);
        assert_eq!(
            binding.format(Level::Field, "Contains PII"),
            Some(Format::Boolean)
        );
        assert_eq!(binding.format(Level::Field, "Refresh Frequency"), None);
    }

    #[test]
    fn a_value_that_does_not_fit_or_belongs_to_another_kind_is_the_rows_problem_naming_column_and_value()
     {
        let headers = own(&["Refresh Frequency", "Contains PII", "Stewarded By"]);
        let (binding, _) =
            Binding::bind(&customs(), &headers, ExtraColumns::Error, "f.csv").unwrap();
        let (set, problems) = read(
            &binding,
            Level::Field,
            &[(10, "Daily"), (11, "maybe"), (12, "jane.do@example.com")],
        );
        assert!(set.is_empty(), "{set:?}");
        let said: Vec<(String, String, String)> = (problems.into_iter())
            .map(|p| (p.column.clone(), p.value.clone(), p.words()))
            .collect();
        assert_eq!(said[0].0, "Refresh Frequency");
        assert_eq!(said[0].1, "Daily");
        assert!(
            said[0]
                .2
                .contains("an attribute of structures, not of fields"),
            "{}",
            said[0].2
        );
        assert_eq!(
            (said[1].0.as_str(), said[1].1.as_str()),
            ("Contains PII", "maybe")
        );
        assert!(said[1].2.starts_with("not a yes/no value"), "{}", said[1].2);
        assert_eq!(said[2].1, "jane.do@example.com");
        assert!(
            said[2].2.contains("did you mean jane.doe@example.com"),
            "{}",
            said[2].2
        );
        let (_, problems) = read(&binding, Level::Structure, &[(10, "Daly")]);
        assert!(
            problems[0].words().contains("did you mean Daily"),
            "{:?}",
            problems[0]
        );
    }

    #[test]
    fn a_new_object_must_carry_its_kinds_mandatory_attributes() {
        let (binding, _) = Binding::bind(&customs(), &[], ExtraColumns::Error, "f.csv").unwrap();
        let lacking = binding.lacking(Level::Field, |_| false);
        assert_eq!(lacking.len(), 1);
        assert_eq!(lacking[0].column, "Contains PII");
        assert!(
            binding
                .lacking(Level::Field, |n| n == "Contains PII")
                .is_empty()
        );
        assert!(binding.lacking(Level::Structure, |_| false).is_empty());
    }

    #[test]
    fn a_column_naming_no_attribute_is_refused_with_the_closest_unless_ignored() {
        let headers = own(&["Refresh Frequncy", "Notes"]);
        let err = Binding::bind(&customs(), &headers, ExtraColumns::Error, "f.csv").unwrap_err();
        let said = format!("{err:#}");
        assert!(
            said.contains("'Refresh Frequncy' (did you mean 'Refresh Frequency'?)"),
            "{said}"
        );
        assert!(
            said.contains("'Notes'") && said.contains("nothing was sent"),
            "{said}"
        );
        let err =
            Binding::bind(&customs(), &headers, ExtraColumns::Attributes, "f.csv").unwrap_err();
        assert!(format!("{err:#}").contains("--extra-columns attributes adds nothing here"));
        let (binding, warnings) =
            Binding::bind(&customs(), &headers, ExtraColumns::Ignore, "f.csv").unwrap();
        assert!(binding.columns.is_empty());
        assert!(warnings[0].contains("'Notes'"), "{warnings:?}");
        let twice = own(&["Sensitivity", "sensitivity"]);
        let listing = json!([{"name": "Sensitivity", "isCustom": true}]);
        let one = Customs::of_lists([None, None, Some(Definitions::of_kind(&listing, "field"))]);
        let err = Binding::bind(&one, &twice, ExtraColumns::Error, "f.csv").unwrap_err();
        assert!(
            format!("{err:#}").contains(
                "columns 'Sensitivity' and 'sensitivity' both mean the custom attribute \
                 'Sensitivity': keep one"
            ),
            "{err:#}"
        );
    }

    #[test]
    fn extra_columns_attributes_sends_text_to_the_kinds_whose_attributes_are_not_listed() {
        let unlisted = Customs::of_lists([None, None, None]);
        let headers = own(&["Notes"]);
        let (binding, warnings) =
            Binding::bind(&unlisted, &headers, ExtraColumns::Attributes, "f.csv").unwrap();
        assert!(
            warnings[0].contains("would not list the attributes of containers, structures, fields"),
            "{warnings:?}"
        );
        let (set, problems) = read(&binding, Level::Field, &[(10, "free text")]);
        assert!(problems.is_empty());
        assert_eq!(set, [("Notes".to_owned(), json!("free text"))]);
        assert!(Binding::bind(&unlisted, &headers, ExtraColumns::Error, "f.csv").is_err());
    }
}
