//! Did-you-mean: the closest known value to an unknown one, when it is close
//! enough to be a likely typo. Never a substitution: only a hint in a message.

/// How alike two values must be (normalized Damerau-Levenshtein, 0..1).
const THRESHOLD: f64 = 0.7;

/// The candidate closest to `value` (case-insensitively), if close enough.
/// Ties go to the first in alphabetical order, so the answer never depends
/// on the order of the candidates.
pub(crate) fn closest<'a>(
    value: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let value = plain(value);
    candidates
        .into_iter()
        .map(|c| (similarity(&value, &plain(c)), c))
        .filter(|(score, _)| *score >= THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// Lower case, without accents (`Validé` → `valide`): a typo and a
/// keyboard without them are alike.
fn plain(text: &str) -> String {
    let nfd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd().normalize(text);
    (nfd.chars())
        .filter(|c| !('\u{300}'..='\u{36F}').contains(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Two emails of one domain are as alike as their local parts (a shared
/// domain says nothing about a typo); anything else, as the whole text, or
/// as a word cut short or ended otherwise (`Valide` for `Validated`): one
/// whose first 4 letters or more, and 80% of the shorter, are the other's.
fn similarity(a: &str, b: &str) -> f64 {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((a_local, a_domain)), Some((b_local, b_domain))) if a_domain == b_domain => {
            strsim::normalized_damerau_levenshtein(a_local, b_local)
        }
        _ => {
            let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
            let shorter = a.chars().count().min(b.chars().count());
            let cut_short = common >= 4 && common * 5 >= shorter * 4;
            let score = strsim::normalized_damerau_levenshtein(a, b);
            match cut_short {
                true => score.max(THRESHOLD),
                false => score,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_value_and_strangers_find_nothing() {
        let emails = [
            "john.doe@example.com",
            "jane.doe@example.com",
            "marc.fournier@example.com",
        ];
        assert_eq!(
            closest("jon.doe@example.com", emails),
            Some("john.doe@example.com")
        );
        assert_eq!(
            closest("john.doe@exmaple.com", emails),
            Some("john.doe@example.com")
        );
        assert_eq!(
            closest("Marketting", ["Marketing", "Finance"]),
            Some("Marketing")
        );
        assert_eq!(closest("nosq", ["Relational", "NoSql"]), Some("NoSql"));
        assert_eq!(
            closest("Graph", ["Relational", "NonRelational", "NoSql", "TagBase"]),
            None
        );
        assert_eq!(closest("intern@example.com", emails), None);
        let statuses = [
            "Proposed",
            "InRevision",
            "InValidation",
            "Validated",
            "Obsolete",
        ];
        assert_eq!(closest("Valide", statuses), Some("Validated"));
        assert_eq!(closest("Validé", statuses), Some("Validated"));
        assert_eq!(closest("Obsolète", statuses), Some("Obsolete"));
        assert_eq!(closest("Val", statuses), None, "too short to tell");
        assert_eq!(closest("nobody@example.com", emails), None);
    }

    #[test]
    fn ties_do_not_depend_on_the_order_of_the_candidates() {
        assert_eq!(closest("abcde", ["abcdx", "abcdy"]), Some("abcdx"));
        assert_eq!(closest("abcde", ["abcdy", "abcdx"]), Some("abcdx"));
    }
}
