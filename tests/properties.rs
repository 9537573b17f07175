//! Properties of the reader, over inputs nobody would write by hand: random
//! bytes never make it panic, and every non-blank data row of any CSV shape
//! comes out exactly once, in order, with its cells, through the report too;
//! cells written with the formula guard read back exactly as they were.

use std::io::Write;

use dg_import::files::formula::{escape, unescape};
use dg_import::model::outcome::{Outcome, RowResult};
use dg_import::pipeline::input::{Input, InputOptions, Layout};
use dg_import::pipeline::report::ReportWriter;
use proptest::prelude::*;

fn read_all(bytes: &[u8]) -> anyhow::Result<Vec<dg_import::pipeline::input::InputRow>> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    Input::open(Some(file.path()), Layout::Plain, &InputOptions::default())?.collect()
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        "[a-zA-Z0-9 éß]{1,8}",
        "[a-z,;|\t\"'=+\\-@ \r\n]{1,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_make_the_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut with_header = b"name,type\n".to_vec();
        with_header.extend(&bytes);
        let _ = read_all(&bytes);
        let _ = read_all(&with_header);
    }

    #[test]
    fn every_non_blank_row_comes_out_exactly_once_in_order(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 3), 0..25),
        delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(b'|')],
        crlf in any::<bool>(),
    ) {
        let terminator = if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(terminator)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new());
        writer.write_record(["name", "type", "summary"]).unwrap();
        for row in &rows {
            writer.write_record(row).unwrap();
        }
        let bytes = writer.into_inner().unwrap();
        let read = read_all(&bytes).unwrap();
        let expected: Vec<(u64, &Vec<String>)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
            .map(|(i, r)| (i as u64 + 2, r))
            .collect();
        prop_assert_eq!(read.len(), expected.len());
        for (got, (number, cells)) in read.iter().zip(&expected) {
            prop_assert_eq!(got.row, *number);
            // A hand-made cell reads as written, but for the formula guard.
            let unguarded: Vec<&str> = cells.iter().map(|c| unescape(c)).collect();
            prop_assert_eq!(&got.cells, &unguarded);
        }

        // Through the report: every row exactly once, in order, cells exact.
        let headers: Vec<String> = ["name", "type", "summary"].map(String::from).to_vec();
        let mut report = ReportWriter::new(Vec::new(), &headers, delimiter, false).unwrap();
        for row in read.iter().rev() {
            report.push(row.seq, Outcome::new(row.row, RowResult::Invalid), row.cells.clone()).unwrap();
        }
        let written = report.finish().unwrap();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&written).unwrap();
        let back: Vec<_> = Input::open(Some(file.path()), Layout::Report, &InputOptions::default())
            .unwrap()
            .collect::<anyhow::Result<Vec<_>>>()
            .unwrap();
        prop_assert_eq!(back.len(), read.len());
        for (b, r) in back.iter().zip(&read) {
            prop_assert_eq!(b.row, r.row);
            prop_assert_eq!(&b.cells, &r.cells);
        }
    }

    #[test]
    fn any_cell_written_guarded_reads_back_exactly(value in "['=+\\-@\t\r]{0,3}[a-z' ]{0,6}") {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["name", "type"]).unwrap();
        writer.write_record([escape(&value).as_ref(), "NoSql"]).unwrap();
        let read = read_all(&writer.into_inner().unwrap()).unwrap();
        if !value.trim().is_empty() {
            prop_assert_eq!(&read[0].cells[0], &value);
        }
    }
}

/// A small valid workbook, as bytes.
fn workbook_bytes() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, text) in ["name", "type", "summary"].iter().enumerate() {
        sheet.write_string(0, c as u16, *text).unwrap();
    }
    sheet.write_string(1, 0, "A source").unwrap();
    sheet.write_string(1, 1, "NoSql").unwrap();
    sheet.write_number(1, 2, 4.5).unwrap();
    book.save_to_buffer().unwrap()
}

/// Writes `bytes` as a file named `name` and hands its path to `read`.
fn with_file<T>(name: &str, bytes: &[u8], read: impl FnOnce(&std::path::Path) -> T) -> T {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    read(&path)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn damaged_workbooks_are_errors_never_panics(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = workbook_bytes();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        for name in ["in.xlsx", "in.ods", "in.xls"] {
            with_file(name, &bytes, |path| {
                let options = InputOptions::default();
                if let Ok(input) = Input::open(Some(path), Layout::Plain, &options) {
                    let _ = input.collect::<anyhow::Result<Vec<_>>>();
                }
            });
        }
    }

    #[test]
    fn random_job_files_records_journals_reports_and_seeds_are_errors_never_panics(
        text in "(?s).{0,300}",
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        for content in [text.as_bytes(), &bytes[..]] {
            with_file("job.toml", content, |path| {
                let args = ["dg-import", "run", "--config", path.to_str().unwrap()];
                let args = args.iter().map(std::ffi::OsString::from).collect();
                let _ = dg_import::cli::job::expand(args, |_| Some("x".into()));
            });
            with_file("r.run.json", content, |path| {
                let _ = dg_import::pipeline::record::RunRecord::read(path);
            });
            with_file("r.journal", content, |path| {
                let _ = dg_import::pipeline::journal::Journal::read(path);
            });
            let mut report = b"row,result,source_id,location,http_status,attempts,error,changes,name,type\n".to_vec();
            report.extend_from_slice(content);
            with_file("r.csv", &report, |path| {
                let options = InputOptions::default();
                if let Ok(input) = Input::open(Some(path), Layout::Report, &options) {
                    let _ = input.collect::<anyhow::Result<Vec<_>>>();
                }
            });
            if let Ok(seed) = dg_import::sandbox::store::Seed::parse(&String::from_utf8_lossy(content)) {
                let _ = seed.into_store();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_seed_missing_any_part_is_refused_or_served_never_a_panic(
        cuts in proptest::collection::vec((0usize..5, any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<bool>()), 1..6),
    ) {
        let mut seed: serde_json::Value =
            serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
        let parts = ["workspaces", "users", "tags", "attributes", "sources"];
        for (part, item, key, drop_all) in cuts {
            let Some(list) = seed[parts[part]].as_array_mut() else { continue };
            if list.is_empty() {
                continue;
            }
            if drop_all {
                list.truncate(item.index(list.len()));
                continue;
            }
            let at = item.index(list.len());
            if let Some(object) = list[at].as_object_mut() {
                let keys: Vec<String> = object.keys().cloned().collect();
                if !keys.is_empty() {
                    object.remove(&keys[key.index(keys.len())]);
                }
            }
        }
        if let Ok(seed) = dg_import::sandbox::store::Seed::parse(&seed.to_string()) {
            let _ = seed.into_store();
        }
    }
}
