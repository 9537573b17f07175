//! CSV as Excel and people write it, streamed: a UTF-8 byte-order mark is
//! dropped, UTF-16 with a BOM is decoded, `--encoding LABEL` (any WHATWG
//! label, e.g. windows-1252) decodes legacy files; without it, bytes that are
//! not UTF-8 flag their row (never mojibake). Excel's `sep=;` first line is
//! honoured; otherwise the delimiter is the most frequent of `,` `;` tab `|`
//! in the header line (`--delimiter` overrides). CRLF, LF and lone CR all end
//! records; quoted cells may hold line breaks.

use std::io::{BufRead, BufReader, Read};

use anyhow::Context;
use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::{Dialect, RawCell, RecordSource};

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
const PEEK: usize = 64 * 1024;

pub struct CsvRecords {
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    record: csv::ByteRecord,
    /// Rows a spreadsheet would show so far (blank lines included).
    row: u64,
    /// The line after the last record read.
    next_line: u64,
    name: String,
}

/// Reads the start of the stream to learn its dialect, and gives back a
/// reader of UTF-8 (or raw, when unknown) bytes positioned on the header.
fn sniff(
    raw: Box<dyn Read + Send>,
    encoding: Option<&'static Encoding>,
    delimiter: Option<u8>,
) -> anyhow::Result<(Box<dyn BufRead + Send>, Dialect)> {
    let mut raw = BufReader::with_capacity(PEEK, raw);
    let start = raw.fill_buf()?;
    let utf16 = start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]);
    let mut reader: Box<dyn BufRead + Send> = if utf16 || encoding.is_some() {
        // Transcode to UTF-8; a BOM, when there is one, names the encoding.
        let decoded = DecodeReaderBytesBuilder::new()
            .encoding(encoding)
            .build(raw);
        Box::new(BufReader::with_capacity(PEEK, decoded))
    } else {
        Box::new(raw)
    };
    // The first line, whole (up to PEEK bytes; lone CR ends it too).
    let mut first = Vec::new();
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let end = chunk.iter().position(|b| *b == b'\n' || *b == b'\r');
        let take = end.map_or(chunk.len(), |e| e + 1);
        first.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if end.is_some() || first.len() >= PEEK {
            break;
        }
    }
    let mut bom = utf16;
    let mut line = first.as_slice();
    if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
        bom = true;
        line = rest;
    }
    let text = line
        .strip_suffix(b"\n")
        .or(line.strip_suffix(b"\r"))
        .unwrap_or(line);
    let (delimiter, head) = match text.strip_prefix(b"sep=").filter(|s| s.len() == 1) {
        // Excel's directive line: not a row; a CRLF leaves its LF to skip.
        Some(sep) => {
            if line.ends_with(b"\r") && reader.fill_buf()?.first() == Some(&b'\n') {
                reader.consume(1);
            }
            (delimiter.unwrap_or(sep[0]), Vec::new())
        }
        None => (
            delimiter.unwrap_or_else(|| detect_delimiter(text)),
            line.to_vec(),
        ),
    };
    let rest: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(head).chain(reader));
    Ok((rest, Dialect { delimiter, bom }))
}

/// The candidate that occurs most often outside quotes; `,` when none does.
fn detect_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; CANDIDATES.len()];
    let mut quoted = false;
    for b in line {
        if *b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = CANDIDATES.iter().position(|c| c == b) {
            counts[i] += 1;
        }
    }
    let (best, count) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, usize::MAX - i))
        .expect("four candidates");
    if *count == 0 { b',' } else { CANDIDATES[best] }
}

impl CsvRecords {
    pub fn open(
        raw: Box<dyn Read + Send>,
        name: String,
        encoding: Option<&'static Encoding>,
        delimiter: Option<u8>,
    ) -> anyhow::Result<(CsvRecords, Dialect)> {
        let (reader, dialect) =
            sniff(raw, encoding, delimiter).with_context(|| format!("reading {name}"))?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(dialect.delimiter)
            .from_reader(reader);
        Ok((
            CsvRecords {
                reader,
                record: csv::ByteRecord::new(),
                row: 0,
                next_line: 1,
                name,
            },
            dialect,
        ))
    }
}

impl RecordSource for CsvRecords {
    fn next_record(&mut self) -> anyhow::Result<Option<(u64, Vec<RawCell>)>> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .with_context(|| format!("reading {}", self.name))?;
        if !more {
            return Ok(None);
        }
        // Blank lines are rows a spreadsheet shows: count them. A record's
        // start is known from where it ended (csv's own start position is
        // taken before the blank lines it skips).
        let breaks = self
            .record
            .iter()
            .map(|c| c.iter().filter(|b| **b == b'\n').count() as u64)
            .sum::<u64>();
        let end = self.reader.position().line();
        let start = end.saturating_sub(1 + breaks).max(self.next_line);
        self.row += 1 + (start - self.next_line);
        self.next_line = start + 1 + breaks;
        let cells = self
            .record
            .iter()
            .map(|bytes| match std::str::from_utf8(bytes) {
                Ok(text) => RawCell::Text(text.to_owned()),
                Err(_) => RawCell::Bytes(bytes.to_vec()),
            })
            .collect();
        Ok(Some((self.row, cells)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_the_most_frequent_candidate_outside_quotes() {
        assert_eq!(detect_delimiter(b"name;type;owners"), b';');
        assert_eq!(detect_delimiter(b"name\ttype\towners"), b'\t');
        assert_eq!(detect_delimiter(b"name|type"), b'|');
        assert_eq!(detect_delimiter(b"\"a;b;c\",type"), b',');
        assert_eq!(detect_delimiter(b"name"), b',');
    }
}
