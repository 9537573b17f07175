//! Calls into a library that may panic on malformed bytes (a spreadsheet
//! reader): the panic becomes an error naming the file, and the default
//! hook's "thread ... panicked" line never reaches stderr. Every other panic
//! is reported as usual.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::exit::usage;

thread_local! {
    /// A contained call is under way on this thread: its panic is not said.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Runs `f`; a panic inside it is the usage error `what` says (exit 2).
pub(crate) fn contained<T>(
    what: impl FnOnce() -> String,
    f: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                default(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.unwrap_or_else(|_| Err(usage(what())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_an_error_and_the_rest_passes_through() {
        let err = contained(
            || "book.xlsx is damaged".into(),
            || -> anyhow::Result<()> { panic!("index out of bounds") },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "book.xlsx is damaged");
        assert_eq!(crate::exit::code_of_error(&err), crate::exit::USAGE);
        assert_eq!(contained(|| unreachable!(), || Ok(7)).unwrap(), 7);
        assert!(!QUIET.with(Cell::get), "quiet only while contained");
    }
}
