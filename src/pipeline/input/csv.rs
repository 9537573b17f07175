//! CSV as Excel and people write it, streamed: a UTF-8 byte-order mark is
//! dropped, UTF-16 with a BOM is decoded, `--encoding LABEL` (any WHATWG
//! label, e.g. windows-1252) decodes legacy files. Without it the first MiB
//! decides: UTF-8 when it is valid UTF-8 or holds any well-formed multi-byte
//! UTF-8 sequence (then a stray bad byte flags its row, never a re-decoding),
//! else the legacy encoding chardetng detects (UTF-8 excluded). Excel's `sep=;` first line is
//! honoured; otherwise the delimiter is the most frequent of `,` `;` tab `|`
//! in the header line (`--delimiter` overrides). CRLF, LF and lone CR all end
//! records; quoted cells may hold line breaks.

use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::quotes::{self, QuoteFault};
use super::{Dialect, RawCell, Record, RecordSource};

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
const PEEK: usize = 64 * 1024;
/// How much of a file decides its encoding.
const DECIDE: u64 = 1 << 20;

pub(crate) struct CsvRecords {
    reader: csv::Reader<Tee>,
    record: csv::ByteRecord,
    /// The bytes the csv reader took and no record has accounted for yet.
    seen: Arc<Mutex<Seen>>,
    /// Rows a spreadsheet would show so far (blank lines included).
    row: u64,
    /// Lines of the file that ended before the next record (for messages
    /// about quotes, which count lines, not rows).
    lines: u64,
    delimiter: u8,
    name: String,
}

/// Bytes read past the end of the last record, from stream offset `start`.
#[derive(Default)]
struct Seen {
    start: u64,
    bytes: Vec<u8>,
    /// The last record ended on a `\r` whose `\n` may follow.
    after_cr: bool,
}

/// Passes the stream to the csv reader and keeps what it read in `Seen`,
/// so that the blank lines csv skips can still be counted as rows (csv's
/// own line numbers miss CRLF blank lines). Bounded by csv's read-ahead.
struct Tee {
    inner: Box<dyn BufRead + Send>,
    seen: Arc<Mutex<Seen>>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen
            .lock()
            .expect("seen lock")
            .bytes
            .extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Seen {
    /// Counts the blank lines before the record that ends at stream offset
    /// `end`, scans the record's quotes, and forgets its bytes.
    fn take_record(&mut self, end: u64, delimiter: u8) -> (u64, quotes::Scan) {
        let upto = ((end - self.start) as usize).min(self.bytes.len());
        let mut blank = 0;
        let mut i = 0;
        let record = &self.bytes[..upto];
        if self.after_cr && record.first() == Some(&b'\n') {
            i = 1;
        }
        while i < record.len() && (record[i] == b'\r' || record[i] == b'\n') {
            blank += 1;
            i += if record[i] == b'\r' && record.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
        }
        let scan = quotes::scan(&record[i..], delimiter);
        self.after_cr = record.last() == Some(&b'\r');
        self.bytes.drain(..upto);
        self.start = end;
        (blank, scan)
    }
}

/// Reads the start of the stream to learn its dialect, and gives back a
/// reader of UTF-8 (or raw, when unknown) bytes positioned on the header.
fn sniff(
    raw: Box<dyn Read + Send>,
    encoding: Option<&'static Encoding>,
    delimiter: Option<u8>,
) -> anyhow::Result<Sniffed> {
    let mut raw = raw;
    let mut start = Vec::new();
    raw.by_ref().take(DECIDE).read_to_end(&mut start)?;
    let utf16 = start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]);
    let detected = match encoding {
        None if !utf16 => detect_encoding(&start)?,
        _ => None,
    };
    let encoding = encoding.or(detected);
    let raw = BufReader::with_capacity(PEEK, std::io::Cursor::new(start).chain(raw));
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
    // A report of a transcoded file is UTF-8: a BOM tells Excel so.
    let mut bom = utf16 || encoding.is_some();
    let mut line = first.as_slice();
    if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
        bom = true;
        line = rest;
    }
    let text = line
        .strip_suffix(b"\n")
        .or(line.strip_suffix(b"\r"))
        .unwrap_or(line);
    let sep = text.strip_prefix(b"sep=").filter(|s| s.len() == 1);
    let sep_line = sep.is_some();
    let (delimiter, head) = match sep {
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
    // `mysql -B` quotes nothing: a quote in a cell is the cell's.
    let batch = delimiter == b'\t' && super::mysql::is_batch_header(&String::from_utf8_lossy(text));
    Ok(Sniffed {
        reader: rest,
        dialect: Dialect {
            delimiter,
            bom,
            detected,
        },
        sep_line,
        batch,
    })
}

/// What the first line of a file says of how to read the rest.
struct Sniffed {
    /// The file from its first row on (an Excel `sep=` line consumed).
    reader: Box<dyn BufRead + Send>,
    dialect: Dialect,
    sep_line: bool,
    /// `mysql -B` output, read unquoted.
    batch: bool,
}

/// What the first bytes of a file without a BOM or `--encoding` say of
/// its encoding: UTF-16, a legacy one, or `None` for UTF-8; bytes that are
/// no text are refused.
fn detect_encoding(start: &[u8]) -> anyhow::Result<Option<&'static Encoding>> {
    if let Some(utf16) = utf16_without_bom(start) {
        return Ok(Some(utf16));
    }
    refuse_binary(start)?;
    Ok(legacy_encoding(start, (start.len() as u64) < DECIDE))
}

/// UTF-16 without a byte-order mark, told by its NUL bytes: in UTF-16, every
/// ASCII character (a delimiter, a line end) has a NUL beside it, on the
/// odd bytes for little-endian and the even ones for big-endian.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let sample = &head[..head.len().min(4096) & !1];
    let units = sample.len() / 2;
    if units < 2 {
        return None;
    }
    let nuls = |from: usize| {
        sample
            .iter()
            .skip(from)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let (even, odd) = (nuls(0), nuls(1));
    match (even * 10 < units, odd * 10 < units) {
        (true, false) if odd * 10 >= units * 3 => Some(encoding_rs::UTF_16LE),
        (false, true) if even * 10 >= units * 3 => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// A file that is no text: a workbook under another name, or other bytes.
fn refuse_binary(head: &[u8]) -> anyhow::Result<()> {
    use super::sheet::ByteFormat;
    let kind = match ByteFormat::of(head) {
        Some(ByteFormat::Zip) => {
            "a zip archive: an .xlsx, .xlsm or .ods workbook saved under another name? \
             Give it its extension"
        }
        Some(ByteFormat::Ole) => "an Excel 97-2003 workbook saved under another name? Name it .xls",
        None if head.contains(&0) => {
            "binary bytes (NUL bytes), not text: is it the file you meant?"
        }
        None => return Ok(()),
    };
    Err(crate::exit::usage(format!(
        "this is not a CSV file: it holds {kind}"
    )))
}

/// The legacy encoding of a file that starts with `head`, or `None` for
/// UTF-8: valid UTF-8 (a sequence cut by the end of `head` included), or any
/// well-formed multi-byte sequence, means UTF-8 with a few stray bytes.
pub(crate) fn legacy_encoding(head: &[u8], whole: bool) -> Option<&'static Encoding> {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return None; // a UTF-8 byte-order mark says so
    }
    match std::str::from_utf8(head) {
        Ok(_) => return None,
        Err(e) if e.error_len().is_none() && !whole => return None,
        Err(_) => {}
    }
    if has_multibyte_utf8(head) {
        return None;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(head, whole);
    Some(detector.guess(None, chardetng::Utf8Detection::Deny)).filter(|e| *e != encoding_rs::UTF_8)
}

/// Whether `bytes` hold a well-formed UTF-8 sequence of two to four bytes.
fn has_multibyte_utf8(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, b)| {
        let len = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return false,
        };
        bytes
            .get(i..i + len)
            .is_some_and(|seq| std::str::from_utf8(seq).is_ok())
    })
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
    pub(crate) fn open(
        raw: Box<dyn Read + Send>,
        name: String,
        encoding: Option<&'static Encoding>,
        delimiter: Option<u8>,
    ) -> anyhow::Result<(CsvRecords, Dialect)> {
        let Sniffed {
            reader,
            dialect,
            sep_line,
            batch,
        } = sniff(raw, encoding, delimiter).with_context(|| format!("reading {name}"))?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .quoting(!batch)
            .delimiter(dialect.delimiter)
            .from_reader(Tee {
                inner: reader,
                seen: seen.clone(),
            });
        Ok((
            CsvRecords {
                reader,
                record: csv::ByteRecord::new(),
                seen,
                row: 0,
                lines: u64::from(sep_line),
                delimiter: dialect.delimiter,
                name,
            },
            dialect,
        ))
    }
}

impl RecordSource for CsvRecords {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .with_context(|| format!("reading {}", self.name))?;
        if !more {
            return Ok(None);
        }
        // Blank lines are rows a spreadsheet shows: count them.
        let end = self.reader.position().byte();
        let (blank, scan) = (self.seen.lock().expect("seen lock")).take_record(end, self.delimiter);
        self.row += 1 + blank;
        let first_line = self.lines + blank + 1;
        self.lines += blank + scan.line_ends;
        let quotes = scan.fault.map(|fault| match fault {
            QuoteFault::Unclosed {
                column,
                line,
                swallowed,
            } => QuoteFault::Unclosed {
                column,
                line: first_line + line,
                swallowed,
            },
            stray => stray,
        });
        let cells = self
            .record
            .iter()
            .map(|bytes| match std::str::from_utf8(bytes) {
                Ok(text) => RawCell::Text(text.to_owned()),
                Err(_) => RawCell::Bytes(bytes.to_vec()),
            })
            .collect();
        Ok(Some(Record {
            row: self.row,
            cells,
            quotes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_numbers(bytes: &[u8]) -> Vec<u64> {
        let (mut records, _) = CsvRecords::open(
            Box::new(std::io::Cursor::new(bytes.to_vec())),
            "t".into(),
            None,
            None,
        )
        .unwrap();
        std::iter::from_fn(|| records.next_record().unwrap().map(|r| r.row)).collect()
    }

    #[test]
    fn blank_lines_count_as_rows_whatever_the_line_ends() {
        assert_eq!(row_numbers(b"h\na\n\nb\n\n\nc"), [1, 2, 4, 7]);
        assert_eq!(row_numbers(b"h\r\na\r\n\r\nb\r\n"), [1, 2, 4]);
        assert_eq!(row_numbers(b"h\ra\r\rb\r"), [1, 2, 4]);
        assert_eq!(row_numbers(b"h\n\"x\r\ny\"\n\nb\n"), [1, 2, 4]);
    }

    #[test]
    fn utf8_is_kept_when_the_head_holds_any_multibyte_sequence_else_the_legacy_encoding_is_detected()
     {
        assert_eq!(legacy_encoding(b"name\nplain ascii\n", true), None);
        assert_eq!(legacy_encoding("Café\n".as_bytes(), true), None);
        // One stray byte beside real UTF-8: UTF-8 still (the row is flagged).
        assert_eq!(legacy_encoding(b"Caf\xC3\xA9\nbad \xE9 byte\n", true), None);
        // A sequence cut by the end of what was read is no evidence.
        assert_eq!(legacy_encoding(b"abc \xC3", false), None);
        assert_eq!(legacy_encoding(b"\xEF\xBB\xBFCaf\xE9\n", true), None);
        let french =
            b"name;description\r\nCaf\xE9 cr\xE8me;D\xE9j\xE0 vu, \xE9t\xE9 fran\xE7ais\r\n";
        assert_eq!(
            legacy_encoding(french, true),
            Some(encoding_rs::WINDOWS_1252)
        );
    }

    #[test]
    fn utf16_without_a_bom_is_told_by_its_nul_bytes_and_other_nuls_are_binary() {
        let text = "name;type\r\nÉté;NoSql\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(utf16_without_bom(&le), Some(encoding_rs::UTF_16LE));
        assert_eq!(utf16_without_bom(&be), Some(encoding_rs::UTF_16BE));
        assert_eq!(utf16_without_bom(text.as_bytes()), None);
        assert!(refuse_binary(text.as_bytes()).is_ok());
        let zip = refuse_binary(b"PK\x03\x04rest").unwrap_err().to_string();
        assert!(zip.contains("zip archive"), "{zip}");
        let binary = refuse_binary(b"\x7fELF\x02\x01\x00\x00")
            .unwrap_err()
            .to_string();
        assert!(binary.contains("not text"), "{binary}");
    }

    #[test]
    fn the_delimiter_is_the_most_frequent_candidate_outside_quotes() {
        assert_eq!(detect_delimiter(b"name;type;owners"), b';');
        assert_eq!(detect_delimiter(b"name\ttype\towners"), b'\t');
        assert_eq!(detect_delimiter(b"name|type"), b'|');
        assert_eq!(detect_delimiter(b"\"a;b;c\",type"), b',');
        assert_eq!(detect_delimiter(b"name"), b',');
    }
}
