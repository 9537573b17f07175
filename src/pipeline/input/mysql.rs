//! What `mysql -B` and `mariadb -B` write: tab-separated, never quoted,
//! `NULL` for a null, and a tab, a line break, a carriage return, a NUL
//! and a backslash inside a value escaped as `\t`, `\n`, `\r`, `\0` and
//! `\\`. Read as what it is: a cell starting with a quote is a quote.

/// Whether a first line is the header `mysql -B` writes for
/// `information_schema.COLUMNS` (tab-separated, its names in upper case).
pub fn is_batch_header(line: &str) -> bool {
    let names: Vec<&str> = line.trim_end_matches(['\r', '\n']).split('\t').collect();
    // A report of such a file is dg-import's own: quoted, its cells decoded.
    let report = names.starts_with(&["row", "result"]);
    names.len() > 1
        && !report
        && ["TABLE_SCHEMA", "COLUMN_NAME"]
            .iter()
            .all(|n| names.contains(n))
}

/// A cell as the value it stands for: `NULL` is empty, escapes decoded.
pub fn decode(cell: &str) -> String {
    if cell == "NULL" {
        return String::new();
    }
    if !cell.contains('\\') {
        return cell.to_owned();
    }
    let mut out = String::with_capacity(cell.len());
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_mariadb_batch_export_reads_back_its_nulls_tabs_and_line_breaks() {
        let path = format!(
            "{}/tests/fixtures/dictionary/mariadb-10.11-columns.tsv",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        assert!(is_batch_header(&header.join("\t")));
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let rows: Vec<Vec<String>> = lines.map(|l| l.split('\t').map(decode).collect()).collect();
        assert!(
            rows.iter().all(|r| r.len() == header.len()),
            "one cell per column, never quoted"
        );
        let bio = (rows.iter())
            .find(|r| r[at("TABLE_NAME")] == "customers" && r[at("COLUMN_NAME")] == "bio")
            .unwrap();
        assert_eq!(
            bio[at("COLUMN_COMMENT")],
            "Free text,\twith a tab and a\nline break"
        );
        assert_eq!(bio[at("COLUMN_DEFAULT")], "", "NULL is empty");
        assert_eq!(bio[at("COLUMN_TYPE")], "text");
        assert!(!is_batch_header("name\ttype\towners"));
        assert_eq!(decode(r"a\\b"), r"a\b");
    }

    #[test]
    fn a_batch_cell_that_starts_with_a_quote_is_read_as_written_and_a_report_of_one_as_csv() {
        use crate::pipeline::input::{InputOptions, Records};
        let dir = tempfile::tempdir().unwrap();
        let batch = dir.path().join("columns.tsv");
        let cells = "def\tshop\tcustomers\tnick\t\"Nick\" as they say, 5\" tall\n";
        let header = "TABLE_CATALOG\tTABLE_SCHEMA\tTABLE_NAME\tCOLUMN_NAME\tCOLUMN_COMMENT\n";
        std::fs::write(&batch, format!("{header}{cells}")).unwrap();
        let mut records = Records::open(&batch, &InputOptions::default()).unwrap();
        let (_, row) = records.next_row().unwrap().unwrap();
        assert_eq!(row[4], "\"Nick\" as they say, 5\" tall");
        // Its report: dg-import's own CSV (quoted), not mysql's.
        let report = dir.path().join("columns.report.tsv");
        let quoted = "2\tcreated\tdef\tshop\tcustomers\tnick\t\"a \"\"quote\"\"\\n\"\n";
        let header = format!("row\tresult\t{header}");
        std::fs::write(&report, format!("{header}{quoted}")).unwrap();
        let mut records = Records::open(&report, &InputOptions::default()).unwrap();
        let (_, row) = records.next_row().unwrap().unwrap();
        assert_eq!(row[6], "a \"quote\"\\n", "unquoted, and no escape decoded");
    }
}
