//! A row of a dictionary file, one row per field as data dictionaries and
//! `information_schema.columns` exports have it (or one row per object in
//! DataGalaxy's own `Path`/`Type` format), turned into the path of
//! the object it describes (source, containers, structure, field; a row
//! with no field describes its structure, one with only a container that
//! container) and the attributes of that deepest object. Types default per
//! level from the source's type; nested containers are a path in the
//! container cell (`landing/2026/sales`); the field's database type goes
//! through the one table (`data_type`). Every problem names its column and
//! value.

use std::collections::BTreeMap;

use crate::model::source::fold;
use crate::pipeline::dictionary::columns::{Column, Level, column_of, passed_over};
use crate::pipeline::dictionary::data_type::{self, Lengths};

/// The schemas databases keep for themselves: passed over unless asked.
pub const SYSTEM_SCHEMAS: &[&str] = &[
    "pg_catalog",
    "information_schema",
    "sys",
    "performance_schema",
    "mysql",
];

/// How a file's rows are read, beyond its header.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Options {
    /// `--source NAME`: the source of every row (a technical name), when
    /// the file has no source column or names one to replace (MySQL's `def`).
    pub source: Option<String>,
    /// `--source-type`, for `--source` (default `Relational`).
    pub source_type: Option<String>,
    /// `--include-system-schemas`.
    pub system_schemas: bool,
    /// What separates the items of owners, stewards and tags (`;` unless
    /// the file's notation says otherwise).
    pub list_separator: Option<char>,
}

impl Options {
    pub(crate) fn is_default(&self) -> bool {
        *self == Options::default()
    }
}

/// One element of a path: a level's display name, technical name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub level: Level,
    pub name: String,
    pub technical_name: String,
    pub node_type: String,
}

/// What a row describes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeRow {
    /// From the source down to the object the row describes.
    pub path: Vec<Step>,
    /// The attributes of that object, by their API keys (`description`,
    /// `columnDataType`, `size`, `isMandatory` ...), as text or JSON.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// A database type the table does not know (left unset, said once).
    pub unknown_type: Option<String>,
    /// The cells of the file's own columns that are not empty, by position:
    /// the custom attributes of that object, typed by `custom.rs`.
    pub own: Vec<(usize, String)>,
}

/// A problem of a row, with its column and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub column: String,
    pub value: String,
    /// What is wrong, in words without the value: what rows are counted by.
    pub message: String,
    /// What helps beside it (` — did you mean View?`), said on the row only.
    pub detail: String,
}

impl Problem {
    /// What is wrong and what helps, as the row says it.
    pub fn words(&self) -> String {
        format!("{}{}", self.message, self.detail)
    }
}

/// What the columns of a header hold, decided once per file.
#[derive(Clone, Debug)]
pub struct Layout {
    columns: Vec<(usize, Column)>,
    headers: Vec<String>,
    /// The export's columns a dictionary passes over (one warning).
    pub passed_over: Vec<String>,
    /// Columns neither known nor passed over, by position: the user's own
    /// (custom attributes, bound by `custom.rs`).
    pub unknown: Vec<(usize, String)>,
}

impl Layout {
    pub fn of(headers: &[String]) -> Layout {
        let mut layout = Layout {
            columns: vec![],
            headers: headers.to_vec(),
            passed_over: vec![],
            unknown: vec![],
        };
        for (i, header) in headers.iter().enumerate() {
            match column_of(header) {
                // The first column of a meaning wins (`description` before `comment`).
                Some(c) if !layout.columns.iter().any(|(_, k)| *k == c) => {
                    layout.columns.push((i, c))
                }
                Some(_) => layout.passed_over.push(header.clone()),
                None if passed_over(header) => layout.passed_over.push(header.clone()),
                None => layout.unknown.push((i, header.clone())),
            }
        }
        layout
    }

    /// What each level is read from: `source from 'table_catalog', ...`.
    pub fn levels(&self) -> String {
        let said: Vec<String> = (Level::ALL.into_iter())
            .filter(|level| {
                self.index(Column::Name(*level)).is_some()
                    || self.index(Column::TechnicalName(*level)).is_some()
            })
            .map(|level| format!("{} from '{}'", level.word(), self.level_header(level)))
            .collect();
        said.join(", ")
    }

    fn index(&self, column: Column) -> Option<usize> {
        self.columns
            .iter()
            .find(|(_, c)| *c == column)
            .map(|(i, _)| *i)
    }

    fn cell<'a>(&self, cells: &'a [String], column: Column) -> Option<&'a str> {
        let value = cells.get(self.index(column)?)?.trim();
        (!value.is_empty()).then_some(value)
    }

    /// The header a level's type is read from, for messages: the level's
    /// type column, or DataGalaxy's `Type`; `structure type` when the file
    /// has neither (the type the source's implies).
    pub fn type_column(&self, level: Level) -> String {
        [Column::Type(level), Column::PathType]
            .into_iter()
            .find(|c| self.index(*c).is_some())
            .map_or_else(|| format!("{} type", level.word()), |c| self.header(c))
    }

    /// The header a level's technical name was read from.
    fn level_header(&self, level: Level) -> String {
        match self.index(Column::TechnicalName(level)) {
            Some(_) => self.header(Column::TechnicalName(level)),
            None => self.header(Column::Name(level)),
        }
    }

    fn header(&self, column: Column) -> String {
        self.index(column)
            .map_or_else(String::new, |i| self.headers[i].clone())
    }

    /// The path a row names, from its source down (`None`: a system
    /// schema's, passed over); what is missing said in `problems`.
    fn path_of(
        &self,
        cells: &[String],
        options: &Options,
        problems: &mut Vec<Problem>,
    ) -> Option<Vec<Step>> {
        let source_type = (options.source.as_ref())
            .and(options.source_type.clone())
            .or_else(|| {
                self.cell(cells, Column::Type(Level::Source))
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "Relational".to_owned());
        let defaults = default_types(&source_type);
        let mut path = Vec::new();
        let source = match &options.source {
            Some(name) => Some((name.clone(), name.clone())),
            None => self.named(cells, Level::Source),
        };
        match source {
            Some((_, technical)) if self.catalog_of_mysql(&technical) => problems.push(Problem {
                column: self.level_header(Level::Source),
                value: technical,
                message: "MySQL and MariaDB write 'def' as every table's catalog: name the \
                          source with --source NAME"
                    .into(),
                detail: String::new(),
            }),
            Some((name, technical_name)) => path.push(Step {
                level: Level::Source,
                name,
                technical_name,
                node_type: source_type.clone(),
            }),
            None => problems.push(self.missing(Level::Source)),
        }
        if let Some((name, technical)) = self.named(cells, Level::Container) {
            if !options.system_schemas && SYSTEM_SCHEMAS.contains(&technical.as_str()) {
                return None;
            }
            // Nested containers: a path in the cell.
            let names: Vec<&str> = name.split('/').map(str::trim).collect();
            let technicals: Vec<&str> = technical.split('/').map(str::trim).collect();
            let node_type = self.typed(cells, Level::Container, defaults[0]);
            for (n, t) in names
                .iter()
                .zip(technicals.iter().chain(std::iter::repeat(&"")))
            {
                let t = if t.is_empty() { n } else { t };
                path.push(step(Level::Container, n, t, &node_type));
            }
        }
        for (level, default) in [(Level::Structure, defaults[1]), (Level::Field, defaults[2])] {
            if let Some((name, technical)) = self.named(cells, level) {
                let node_type = self.typed(cells, level, default);
                path.push(step(level, &name, &technical, &node_type));
            }
        }
        Some(path)
    }

    /// The object a row names, as far as its cells name one (for a report:
    /// its kind and path, even when the row is wrong or a system schema's).
    pub fn steps(&self, cells: &[String], options: &Options) -> Vec<Step> {
        if self.index(Column::Path).is_some() {
            return self
                .read_path_type(cells)
                .map(|n| n.path)
                .unwrap_or_default();
        }
        let all = Options {
            system_schemas: true,
            ..options.clone()
        };
        (self.path_of(cells, &all, &mut Vec::new())).unwrap_or_default()
    }

    /// A row as the object it describes; `Ok(None)` for a row of a system
    /// schema passed over.
    pub fn read(
        &self,
        cells: &[String],
        options: &Options,
    ) -> Result<Option<NodeRow>, Vec<Problem>> {
        let mut problems = Vec::new();
        let Some(path) = self.path_of(cells, options, &mut problems) else {
            return Ok(None);
        };
        for s in &path {
            if s.technical_name.contains('\\') {
                problems.push(Problem {
                    column: self.level_header(s.level),
                    value: s.technical_name.clone(),
                    message: "a technical name may not hold a backslash (the API cannot tell it from a path's separator)".into(),
                    detail: String::new(),
                });
            }
        }
        if path.len() < 2 && problems.is_empty() {
            problems.push(self.missing(Level::Container));
        }
        let deepest = path.last().map(|s| s.level);
        let mut row = NodeRow {
            path,
            ..NodeRow::default()
        };
        self.common_attributes(cells, &mut row, options.list_separator);
        row.own = self.own_cells(cells);
        if deepest == Some(Level::Field) {
            self.field_attributes(cells, &mut row, &mut problems);
        }
        match problems.is_empty() {
            true => Ok(Some(row)),
            false => Err(problems),
        }
    }

    /// The cells of the user's own columns that are not empty.
    fn own_cells(&self, cells: &[String]) -> Vec<(usize, String)> {
        (self.unknown.iter())
            .filter_map(|(i, _)| {
                let cell = cells.get(*i)?.trim();
                (!cell.is_empty()).then(|| (*i, cell.to_owned()))
            })
            .collect()
    }

    /// A level's display name and technical name (each defaults to the other).
    fn named(&self, cells: &[String], level: Level) -> Option<(String, String)> {
        let name = self.cell(cells, Column::Name(level));
        let technical = self.cell(cells, Column::TechnicalName(level));
        let name = name.or(technical)?;
        Some((name.to_owned(), technical.unwrap_or(name).to_owned()))
    }

    /// Whether a source read from `TABLE_CATALOG` is MySQL's `def`, the
    /// catalog of every table there: no source's name.
    fn catalog_of_mysql(&self, technical: &str) -> bool {
        technical == "def"
            && self
                .level_header(Level::Source)
                .eq_ignore_ascii_case("table_catalog")
    }

    fn typed(&self, cells: &[String], level: Level, default: &str) -> String {
        self.cell(cells, Column::Type(level))
            .unwrap_or(default)
            .to_owned()
    }

    fn missing(&self, level: Level) -> Problem {
        let (column, what) = match level {
            Level::Source => (
                "source",
                "no source: add a source column, or pass --source NAME",
            ),
            _ => (
                "container",
                "no container, structure or field: the row describes nothing under its source",
            ),
        };
        Problem {
            column: column.into(),
            value: String::new(),
            message: what.into(),
            detail: String::new(),
        }
    }

    fn common_attributes(&self, cells: &[String], row: &mut NodeRow, separator: Option<char>) {
        for (column, key) in [
            (Column::Status, "status"),
            (Column::Summary, "summary"),
            (Column::Description, "description"),
        ] {
            if let Some(v) = self.cell(cells, column) {
                row.attributes.insert(key.into(), v.into());
            }
        }
        let separator = separator.unwrap_or(';');
        for (column, key) in [
            (Column::Owners, "owners"),
            (Column::Stewards, "stewards"),
            (Column::Tags, "tags"),
        ] {
            if let Some(v) = self.cell(cells, column) {
                let items: Vec<&str> = v
                    .split(separator)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                row.attributes.insert(key.into(), items.into());
            }
        }
    }

    fn field_attributes(&self, cells: &[String], row: &mut NodeRow, problems: &mut Vec<Problem>) {
        let number = |column: Column, problems: &mut Vec<Problem>| -> Option<u64> {
            let v = self.cell(cells, column)?;
            match v.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(Problem {
                        column: self.header(column),
                        value: v.into(),
                        message: "not a whole number".into(),
                        detail: String::new(),
                    });
                    None
                }
            }
        };
        let lengths = Lengths {
            length: number(Column::Length, problems),
            precision: number(Column::Precision, problems),
            scale: number(Column::Scale, problems),
        };
        let typed = self
            .cell(cells, Column::FullType)
            .or(self.cell(cells, Column::DataType));
        if let Some(text) = typed {
            let mapped = data_type::map(text, lengths);
            // The API's own spelling (a DataGalaxy export): its size is the size.
            let api = data_type::is_api_spelling(text);
            match mapped.column_data_type {
                Some(t) => {
                    row.attributes
                        .insert("columnDataType".into(), t.to_string().into());
                }
                None => row.unknown_type = Some(text.to_owned()),
            }
            if let Some(size) = mapped.size.or(lengths.length.filter(|_| api)) {
                row.attributes.insert("size".into(), size.into());
            }
            // The database's type as written, kept where nothing else goes.
            if !api && self.index(Column::TechnicalComments).is_none() {
                row.attributes
                    .insert("technicalComments".into(), text.into());
            }
        }
        if let Some(v) = self.cell(cells, Column::TechnicalComments) {
            row.attributes.insert("technicalComments".into(), v.into());
        }
        if let Some(order) = number(Column::Order, problems) {
            row.attributes.insert("order".into(), order.into());
        }
        let mandatory = match (
            self.cell(cells, Column::Mandatory),
            self.cell(cells, Column::Nullable),
        ) {
            (Some(v), _) => self.yes_no(Column::Mandatory, v, problems),
            (None, Some(v)) => self
                .yes_no(Column::Nullable, v, problems)
                .map(|nullable| !nullable),
            (None, None) => None,
        };
        if let Some(m) = mandatory {
            row.attributes.insert("isMandatory".into(), m.into());
        }
        if self.index(Column::PrimaryKey).is_some() {
            let key = self.cell(cells, Column::PrimaryKey).unwrap_or_default();
            // MySQL's COLUMN_KEY: PRI, UNI, MUL or empty.
            let mysql = fold(&self.header(Column::PrimaryKey)) == "columnkey";
            let key = match key.to_ascii_uppercase().as_str() {
                "PRI" => Some(true),
                "UNI" | "MUL" => Some(false),
                "" if mysql => Some(false),
                "" => None,
                _ => self.yes_no(Column::PrimaryKey, key, problems),
            };
            if let Some(k) = key {
                row.attributes.insert("isPrimaryKey".into(), k.into());
            }
        }
    }

    fn yes_no(&self, column: Column, value: &str, problems: &mut Vec<Problem>) -> Option<bool> {
        match value.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "t" | "1" => Some(true),
            "no" | "n" | "false" | "f" | "0" => Some(false),
            _ => {
                problems.push(Problem {
                    column: self.header(column),
                    value: value.into(),
                    message: "not a yes/no value (YES, NO, true, false, t, f, 1, 0)".into(),
                    detail: String::new(),
                });
                None
            }
        }
    }
}

/// The level of a node type, as the contract's usual shapes have it; the
/// tenant's own types (`GET /…/types`) are what a run checks against.
pub fn level_of(node_type: &str) -> Option<Level> {
    match node_type {
        "Relational" | "NonRelational" | "NoSql" | "TagBase" => Some(Level::Source),
        "Model" | "Directory" | "Equipment" => Some(Level::Container),
        "Table" | "View" | "File" | "Document" | "Tag" => Some(Level::Structure),
        "Column" | "Field" => Some(Level::Field),
        _ => None,
    }
}

impl Layout {
    /// A row of DataGalaxy's own format: `Path`, the technical names from the
    /// source down, each after a backslash (the first one optional), and
    /// `Type`, one per element (`\Relational\Model\Table`) or the object's
    /// own. With its own type only, the parents' steps carry no type: they
    /// are the objects earlier rows of the file describe (`Tree::add`).
    pub fn read_path_type(&self, cells: &[String]) -> Result<NodeRow, Vec<Problem>> {
        let problem = |column: Column, value: &str, message: &str| Problem {
            column: self.header(column),
            value: value.to_owned(),
            message: message.to_owned(),
            detail: String::new(),
        };
        let path = self.cell(cells, Column::Path).unwrap_or_default();
        let elements: Vec<&str> = path
            .strip_prefix('\\')
            .unwrap_or(path)
            .split('\\')
            .collect();
        if path.is_empty() || elements.iter().any(|e| e.trim().is_empty()) {
            return Err(vec![problem(
                Column::Path,
                path,
                "not a path of technical names (\\source\\schema\\table)",
            )]);
        }
        let typed = self.cell(cells, Column::PathType).unwrap_or_default();
        let types = (path_types(typed, elements.len()))
            .map_err(|message| vec![problem(Column::PathType, typed, &message)])?;
        let last = types[types.len() - 1];
        let Some(level) = level_of(last) else {
            return Err(vec![problem(
                Column::PathType,
                last,
                "not a source, container, structure or field type",
            )]);
        };
        let mut steps = Vec::with_capacity(elements.len());
        for (depth, (element, node_type)) in elements.iter().zip(&types).enumerate() {
            let level = match (depth, level_of(node_type)) {
                (0, _) => Level::Source,
                (_, Some(level)) => level,
                // Untyped: the object an earlier row describes.
                (_, None) if node_type.is_empty() => Level::Container,
                (_, None) => {
                    return Err(vec![problem(
                        Column::PathType,
                        node_type,
                        "not a container, structure or field type",
                    )]);
                }
            };
            steps.push(step(level, element, element, node_type));
        }
        let leaf = steps.last_mut().expect("a path has an element");
        leaf.level = level;
        if let Some(name) = self.cell(cells, Column::DisplayName) {
            leaf.name = name.to_owned();
        }
        let mut row = NodeRow {
            path: steps,
            ..NodeRow::default()
        };
        self.common_attributes(cells, &mut row, None);
        row.own = self.own_cells(cells);
        let mut problems = Vec::new();
        if level == Level::Field {
            self.field_attributes(cells, &mut row, &mut problems);
        }
        match problems.is_empty() {
            true => Ok(row),
            false => Err(problems),
        }
    }
}

/// The `Type` cell of DataGalaxy's format: one type per element of the
/// path (`\Relational\Model\Table`), or the object's own alone (its
/// parents untyped); a count that is not the path's is what it says.
fn path_types(typed: &str, elements: usize) -> Result<Vec<&str>, String> {
    let types: Vec<&str> = match typed.strip_prefix('\\') {
        Some(rest) => rest.split('\\').collect(),
        None => {
            let mut own = vec![""; elements - 1];
            own.push(typed);
            own
        }
    };
    match types.len() == elements {
        true => Ok(types),
        false => Err(format!(
            "{} types for the {elements} elements of the path",
            types.len()
        )),
    }
}

/// A step of a path.
pub(crate) fn step(level: Level, name: &str, technical_name: &str, node_type: &str) -> Step {
    Step {
        level,
        name: name.to_owned(),
        technical_name: technical_name.to_owned(),
        node_type: node_type.to_owned(),
    }
}

/// The types of a container, a structure and a field under a source of
/// this type, when the file names none.
pub fn default_types(source_type: &str) -> [&'static str; 3] {
    match source_type {
        "NonRelational" => ["Directory", "File", "Field"],
        "TagBase" => ["Equipment", "Tag", "Field"],
        _ => ["Model", "Table", "Column"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::input::mysql;

    fn fixture(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
        let path = format!(
            "{}/tests/fixtures/dictionary/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        if name.ends_with(".tsv") {
            let text = std::fs::read_to_string(path).unwrap();
            let mut lines = text.lines();
            let header = lines
                .next()
                .unwrap()
                .split('\t')
                .map(str::to_owned)
                .collect();
            let rows = lines
                .map(|l| l.split('\t').map(mysql::decode).collect())
                .collect();
            return (header, rows);
        }
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = (reader.records().map(Result::unwrap))
            .map(|r| r.iter().map(str::to_owned).collect())
            .collect();
        (header, rows)
    }

    /// Every row read: the objects by level, and the rows by path.
    fn read_all(
        name: &str,
        options: &Options,
    ) -> (BTreeMap<Level, usize>, BTreeMap<String, NodeRow>, usize) {
        let (header, rows) = fixture(name);
        let layout = Layout::of(&header);
        let mut levels: BTreeMap<Level, std::collections::BTreeSet<String>> = BTreeMap::new();
        let mut by_path = BTreeMap::new();
        let mut skipped = 0;
        for cells in &rows {
            let Some(row) = layout.read(cells, options).unwrap() else {
                skipped += 1;
                continue;
            };
            for depth in 1..=row.path.len() {
                let path: Vec<String> = row.path[..depth]
                    .iter()
                    .map(|s| format!("{}:{}", s.node_type, s.technical_name))
                    .collect();
                levels
                    .entry(row.path[depth - 1].level)
                    .or_default()
                    .insert(path.join("\\"));
            }
            let path: Vec<&str> = row.path.iter().map(|s| s.technical_name.as_str()).collect();
            by_path.insert(path.join("."), row);
        }
        let counts = levels.into_iter().map(|(l, s)| (l, s.len())).collect();
        (counts, by_path, skipped)
    }

    #[test]
    fn a_real_postgresql_export_reads_unedited_into_its_tree_with_system_schemas_passed_over() {
        let (counts, rows, skipped) = read_all("postgresql-15-columns.csv", &Options::default());
        assert_eq!(
            counts,
            BTreeMap::from([
                (Level::Source, 1),
                (Level::Container, 2),
                (Level::Structure, 7),
                (Level::Field, 46)
            ])
        );
        assert_eq!(skipped, 2051 - 46, "pg_catalog and information_schema");
        let email = &rows["sales_dwh.sales.customers.email"];
        let types: Vec<&str> = email.path.iter().map(|s| s.node_type.as_str()).collect();
        assert_eq!(types, ["Relational", "Model", "Table", "Column"]);
        let a = &email.attributes;
        assert_eq!(a["columnDataType"], "VariableString");
        assert_eq!(a["size"], 320);
        assert_eq!(a["isMandatory"], true);
        assert_eq!(a["order"], 2);
        assert_eq!(
            a["technicalComments"], "character varying",
            "the type as written, kept"
        );
        assert_eq!(
            rows["sales_dwh.sales.customers.external_ref"]
                .unknown_type
                .as_deref(),
            Some("uuid")
        );
        let with_system = Options {
            system_schemas: true,
            ..Options::default()
        };
        let (counts, _, skipped) = read_all("postgresql-15-columns.csv", &with_system);
        assert_eq!((counts[&Level::Field], skipped), (2051, 0));
    }

    #[test]
    fn the_readme_join_adds_the_primary_key_and_the_comments() {
        let (_, rows, _) = read_all("postgresql-15-columns-with-keys.csv", &Options::default());
        let id = &rows["sales_dwh.sales.customers.customer_id"].attributes;
        assert_eq!(id["isPrimaryKey"], true);
        let email = &rows["sales_dwh.sales.customers.email"].attributes;
        assert_eq!(email["isPrimaryKey"], false);
        assert_eq!(email["description"], "Login and contact address");
        let line = &rows["sales_dwh.sales.order_lines.line_no"].attributes;
        assert_eq!(line["isPrimaryKey"], true, "a key of two columns");
    }

    #[test]
    fn a_real_mariadb_batch_export_reads_unedited_with_a_source_given() {
        let options = Options {
            source: Some("mariadb_prod".into()),
            ..Options::default()
        };
        let (counts, rows, _) = read_all("mariadb-10.11-columns.tsv", &options);
        assert_eq!(
            counts,
            BTreeMap::from([
                (Level::Source, 1),
                (Level::Container, 2),
                (Level::Structure, 5),
                (Level::Field, 32)
            ])
        );
        let bio = &rows["mariadb_prod.shop.customers.bio"].attributes;
        assert_eq!(
            bio["description"],
            "Free text,\twith a tab and a\nline break"
        );
        assert_eq!(bio["columnDataType"], "LongText");
        assert_eq!(bio["isMandatory"], false);
        let id = &rows["mariadb_prod.shop.customers.id"].attributes;
        assert_eq!(id["isPrimaryKey"], true);
        assert_eq!(id["description"], "Surrogate key");
        let vip = &rows["mariadb_prod.shop.customers.vip"].attributes;
        assert_eq!(
            vip["columnDataType"], "Boolean",
            "tinyint(1), from COLUMN_TYPE"
        );
        // Without --source, MySQL's catalog (always `def`) names no source.
        let (header, rows) = fixture("mariadb-10.11-columns.tsv");
        let layout = Layout::of(&header);
        let read: Vec<_> = (rows.iter())
            .filter_map(|cells| layout.read(cells, &Options::default()).transpose())
            .collect();
        assert_eq!(read.len(), 32, "the system schemas' rows passed over");
        for problems in read {
            let problems = problems.unwrap_err();
            assert_eq!(
                (&*problems[0].column, &*problems[0].value),
                ("TABLE_CATALOG", "def")
            );
            assert!(problems[0].message.contains("--source NAME"));
        }
    }

    #[test]
    fn a_row_without_a_field_describes_its_structure_and_nested_containers_are_a_path() {
        let header: Vec<String> = [
            "source",
            "source type",
            "container",
            "table",
            "column",
            "description",
        ]
        .map(String::from)
        .to_vec();
        let layout = Layout::of(&header);
        let cells = |c: [&str; 6]| c.map(String::from).to_vec();
        let table = layout
            .read(
                &cells([
                    "lake",
                    "NonRelational",
                    "landing/2026/sales",
                    "orders.csv",
                    "",
                    "Daily drop",
                ]),
                &Options::default(),
            )
            .unwrap()
            .unwrap();
        let steps: Vec<(&str, &str)> = table
            .path
            .iter()
            .map(|s| (s.technical_name.as_str(), s.node_type.as_str()))
            .collect();
        assert_eq!(
            steps,
            [
                ("lake", "NonRelational"),
                ("landing", "Directory"),
                ("2026", "Directory"),
                ("sales", "Directory"),
                ("orders.csv", "File")
            ]
        );
        assert_eq!(table.attributes["description"], "Daily drop");
        let bad = layout.read(
            &cells(["lake", "NonRelational", "a\\b", "t", "c", ""]),
            &Options::default(),
        );
        let problems = bad.unwrap_err();
        assert_eq!(problems[0].column, "container");
        assert!(problems[0].message.contains("backslash"), "{problems:?}");
    }
}
