//! Every row's outcome in file order, kept compact for a million rows: an
//! outcome that says no more than its row, its result and its attempts (a
//! field created, or unchanged) is held as those, sixteen bytes; any other
//! (an error, a change said, an id) whole. Found by row, changed in place.

use crate::model::outcome::{Outcome, RowResult};

enum Held {
    Plain {
        row: u64,
        attempts: u32,
        result: RowResult,
    },
    Whole(Box<Outcome>),
}

impl Held {
    fn of(o: Outcome) -> Held {
        let plain = o.source_id.is_none()
            && o.location.is_none()
            && o.http_status.is_none()
            && o.error.is_none()
            && o.changes.is_none()
            && o.error_kinds.is_empty();
        match plain {
            true => Held::Plain {
                row: o.row,
                attempts: o.attempts,
                result: o.result,
            },
            false => Held::Whole(Box::new(o)),
        }
    }

    fn row(&self) -> u64 {
        match self {
            Held::Plain { row, .. } => *row,
            Held::Whole(o) => o.row,
        }
    }
}

/// The outcomes of a file's rows, rows ascending.
#[derive(Default)]
pub struct Outcomes {
    held: Vec<Held>,
}

impl Outcomes {
    /// Adds the outcome of a row after every row held.
    pub fn push(&mut self, o: Outcome) {
        debug_assert!(self.held.last().is_none_or(|h| h.row() < o.row));
        self.held.push(Held::of(o));
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The place of `row`'s outcome.
    pub fn find(&self, row: u64) -> Option<usize> {
        self.held.binary_search_by_key(&row, Held::row).ok()
    }

    /// The outcome at `i`.
    pub fn get(&self, i: usize) -> Outcome {
        match &self.held[i] {
            Held::Plain {
                row,
                attempts,
                result,
            } => Outcome {
                attempts: *attempts,
                ..Outcome::new(*row, *result)
            },
            Held::Whole(o) => (**o).clone(),
        }
    }

    pub fn result(&self, i: usize) -> RowResult {
        match &self.held[i] {
            Held::Plain { result, .. } => *result,
            Held::Whole(o) => o.result,
        }
    }

    /// Each outcome, in row order.
    pub fn iter(&self) -> impl Iterator<Item = Outcome> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Each row with its result, in row order.
    pub fn results(&self) -> impl Iterator<Item = (u64, RowResult)> + '_ {
        (0..self.len()).map(|i| (self.held[i].row(), self.result(i)))
    }

    /// Replaces the outcome at `i` (of the same row).
    pub fn set(&mut self, i: usize, o: Outcome) {
        debug_assert_eq!(self.held[i].row(), o.row);
        self.held[i] = Held::of(o);
    }

    /// Changes the outcome at `i` as `change` says; what it became.
    pub fn change(&mut self, i: usize, change: impl FnOnce(&mut Outcome)) -> Outcome {
        let mut o = self.get(i);
        change(&mut o);
        self.set(i, o.clone());
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::outcome::{ErrorKind, Problem};

    #[test]
    fn a_plain_outcome_is_held_in_sixteen_bytes_and_every_outcome_reads_back_as_it_was() {
        assert_eq!(std::mem::size_of::<Held>(), 16);
        let failed = Outcome::new(5, RowResult::Failed)
            .with_error(ErrorKind::row(Problem::NoAnswer), "no answer");
        let mut all = Outcomes::default();
        for o in [
            Outcome::new(2, RowResult::WouldCreate),
            failed.clone(),
            Outcome::new(9, RowResult::Unchanged),
        ] {
            all.push(o);
        }
        assert_eq!(all.len(), 3);
        assert_eq!(all.get(1), failed);
        assert_eq!(all.find(9), Some(2));
        assert_eq!(all.find(3), None);
        let created = all.change(0, |o| {
            o.result = RowResult::Created;
            o.attempts += 1;
        });
        assert_eq!((created.result, created.attempts), (RowResult::Created, 1));
        assert_eq!(all.get(0).attempts, 1, "kept");
        let results: Vec<(u64, RowResult)> = all.results().collect();
        assert_eq!(
            results,
            [
                (2, RowResult::Created),
                (5, RowResult::Failed),
                (9, RowResult::Unchanged)
            ]
        );
        let fixed = all.change(1, |o| *o = Outcome::new(5, RowResult::Created));
        assert_eq!(fixed.error, None);
    }
}
