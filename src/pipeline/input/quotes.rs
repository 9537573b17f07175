//! Where a CSV record's quotes went wrong. The csv reader is lenient: a quote
//! never closed swallows the rest of the file into one cell, and text after
//! a closing quote (or a quote inside an unquoted value) is kept mangled.
//! This scan walks a record's bytes with the reader's own rules (quotes open
//! a field only at its start, `""` is a quote inside one) and says which
//! column went wrong, so that nothing is misread in silence.

/// A record's quotes, as found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    pub(crate) fault: Option<QuoteFault>,
    /// Line ends inside the record, its own included (CRLF counts once).
    pub(crate) line_ends: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QuoteFault {
    /// A quote opened in `column` (0-based) and never closed: the record ran
    /// to the end of the input. `line` is the line of the record where it
    /// opened (0: the record's first), `swallowed` the lines after that one.
    Unclosed {
        column: usize,
        line: u64,
        swallowed: u64,
    },
    /// A quote inside an unquoted value, or text after a closing quote.
    Stray { column: usize },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first of `""`.
    QuoteInQuoted,
}

/// Scans one record's bytes, from its first cell to its line end (if any).
pub(crate) fn scan(record: &[u8], delimiter: u8) -> Scan {
    let mut state = State::FieldStart;
    let mut column = 0;
    let mut line_ends = 0;
    let mut fault = None;
    let mut opened = (0, 0); // (column, line) of the last opening quote
    let mut i = 0;
    while i < record.len() {
        let b = record[i];
        let line_end = b == b'\n' || b == b'\r';
        if line_end {
            line_ends += 1;
            if b == b'\r' && record.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        }
        state = match state {
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            _ if b == delimiter => {
                column += 1;
                State::FieldStart
            }
            State::FieldStart if b == b'"' => {
                opened = (column, line_ends);
                State::Quoted
            }
            _ if line_end => State::FieldStart,
            State::FieldStart => State::Unquoted,
            State::Unquoted | State::QuoteInQuoted => {
                if b == b'"' || state == State::QuoteInQuoted {
                    fault.get_or_insert(QuoteFault::Stray { column });
                }
                State::Unquoted
            }
        };
        i += 1;
    }
    if state == State::Quoted {
        let (column, line) = opened;
        let ends_with_line_end = matches!(record.last(), Some(b'\n' | b'\r'));
        let swallowed = line_ends - line - u64::from(ends_with_line_end);
        fault = Some(QuoteFault::Unclosed {
            column,
            line,
            swallowed,
        });
    }
    Scan { fault, line_ends }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(record: &[u8]) -> Option<QuoteFault> {
        scan(record, b',').fault
    }

    #[test]
    fn well_quoted_records_have_no_fault() {
        assert_eq!(fault(b"a,b,c\n"), None);
        assert_eq!(fault(b"\"a,b\",\"say \"\"hi\"\"\",c\r\n"), None);
        assert_eq!(fault(b"\"two\nlines\",x\n"), None);
        assert_eq!(fault(b"\"\",x"), None);
    }

    #[test]
    fn a_quote_never_closed_names_its_column_its_line_and_the_lines_it_swallowed() {
        let scan = scan(
            b"Q1,Relational,\"oops,q1\nQ2,Relational,x,q2\nQ3,x,y,q3\n",
            b',',
        );
        assert_eq!(
            scan.fault,
            Some(QuoteFault::Unclosed {
                column: 2,
                line: 0,
                swallowed: 2
            })
        );
        assert_eq!(scan.line_ends, 3);
        let late = fault(b"a,\"ok\nstill\",\"open\r\nmore");
        assert_eq!(
            late,
            Some(QuoteFault::Unclosed {
                column: 2,
                line: 1,
                swallowed: 1
            })
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_value_or_after_a_closing_quote_is_stray() {
        assert_eq!(
            fault(b"a,Quoted \"inner\" bad\n"),
            Some(QuoteFault::Stray { column: 1 })
        );
        assert_eq!(
            fault(b"a,b,\"Quoted \"inner\" bad\"\n"),
            Some(QuoteFault::Stray { column: 2 })
        );
        assert_eq!(
            fault(b"a, \"b, c\"\n"),
            Some(QuoteFault::Stray { column: 1 })
        );
    }

    #[test]
    fn crlf_counts_as_one_line_end() {
        assert_eq!(scan(b"a,\"x\r\ny\"\r\n", b',').line_ends, 2);
        assert_eq!(scan(b"a;b\r", b';').line_ends, 1);
    }
}
