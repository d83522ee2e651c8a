//! The rules' regexes as one set that says which of them match a text.
//!
//! One forward lazy DFA over a Thompson NFA without capture states, built at
//! start. `regex::RegexSet` built the same patterns into forward and
//! reverse automata, capture states and a prefilter that a "which match"
//! search never uses: two thirds of `classify`'s start-up went there. The
//! text a rule matched is found afterwards by that rule's own regex
//! ([`LazyRegex`]), compiled the first time it matches.

use regex::Regex;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::{Input, MatchKind, PatternSet};
use std::sync::Arc;

type CacheFn =
    Box<dyn Fn() -> Cache + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// Which of a list of regexes match a text.
#[derive(Clone)]
pub(crate) struct RegexSet {
    dfa: DFA,
    /// Search caches, one per thread that searches at the same time.
    caches: Arc<Pool<Cache, CacheFn>>,
    /// Each regex on its own: for the matched text, and for a text the
    /// lazy DFA gives up on (a Unicode word boundary before non-ASCII).
    one_by_one: Arc<[LazyRegex]>,
}

impl std::fmt::Debug for RegexSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegexSet")
            .field("patterns", &self.one_by_one.len())
            .finish()
    }
}

/// A regex on its own, compiled the first time the set says it matched.
#[derive(Debug)]
pub(crate) struct LazyRegex {
    source: String,
    compiled: std::sync::OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// The compiled regex (`None` only if it does not compile, which the
    /// set's build has already ruled out).
    pub(crate) fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
    }
}

/// Why a list of regexes did not build: the index of a broken one and
/// what is wrong, or a problem of the whole set.
#[derive(Debug)]
pub(crate) enum BuildError {
    /// The regex at this index does not compile.
    Broken(usize, String),
    /// The set as a whole is too large or otherwise unbuildable.
    Set(String),
}

impl RegexSet {
    /// Compiles the regexes into one set; every broken one is reported.
    pub(crate) fn new(sources: &[String]) -> Result<RegexSet, Vec<BuildError>> {
        let built = thompson::NFA::compiler()
            .configure(
                thompson::Config::new()
                    .which_captures(thompson::WhichCaptures::None)
                    // The same bound as the regex crate's default size limit.
                    .nfa_size_limit(Some(10 << 20)),
            )
            .build_many(sources)
            .map_err(|e| e.to_string())
            .and_then(|nfa| {
                DFA::builder()
                    .configure(
                        DFA::config()
                            .match_kind(MatchKind::All)
                            // Large enough for all patterns at once: a small
                            // cache is cleared on every message.
                            .cache_capacity(32 << 20)
                            .unicode_word_boundary(true),
                    )
                    .build_from_nfa(nfa)
                    .map_err(|e| e.to_string())
            });
        let dfa = match built {
            Ok(dfa) => dfa,
            Err(set_error) => {
                let mut errors: Vec<BuildError> = sources
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| {
                        Regex::new(s)
                            .err()
                            .map(|e| BuildError::Broken(i, e.to_string()))
                    })
                    .collect();
                if errors.is_empty() {
                    errors.push(BuildError::Set(set_error));
                }
                return Err(errors);
            }
        };
        let for_caches = dfa.clone();
        let create: CacheFn = Box::new(move || for_caches.create_cache());
        Ok(RegexSet {
            dfa,
            caches: Arc::new(Pool::new(create)),
            one_by_one: sources
                .iter()
                .map(|source| LazyRegex {
                    source: source.clone(),
                    compiled: std::sync::OnceLock::new(),
                })
                .collect(),
        })
    }

    /// The indexes of the regexes that match somewhere in `hay`, ascending.
    pub(crate) fn matches(&self, hay: &str) -> Vec<usize> {
        let mut found = PatternSet::new(self.dfa.pattern_len());
        let searched = {
            let mut cache = self.caches.get();
            self.dfa
                .try_which_overlapping_matches(&mut cache, &Input::new(hay), &mut found)
        };
        match searched {
            Ok(()) => found.iter().map(|p| p.as_usize()).collect(),
            Err(_) => (0..self.one_by_one.len())
                .filter(|&i| self.one_by_one[i].get().is_some_and(|re| re.is_match(hay)))
                .collect(),
        }
    }

    /// The regex at `index` on its own.
    pub(crate) fn regex(&self, index: usize) -> Option<&Regex> {
        self.one_by_one.get(index).and_then(LazyRegex::get)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(patterns: &[&str]) -> RegexSet {
        RegexSet::new(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn every_matching_regex_is_named_even_when_they_overlap() {
        let s = set(&[
            " klacht ",
            " formele klacht",
            "^ dank",
            " (niet|geen) [a-z]+ ",
        ]);
        assert_eq!(
            s.matches(" ik wil een formele klacht indienen "),
            vec![0, 1]
        );
        assert_eq!(s.matches(" dank u "), vec![2]);
        assert_eq!(s.matches(" heel erg dank "), Vec::<usize>::new());
        assert_eq!(s.matches(" dat is niet goed "), vec![3]);
        assert_eq!(
            s.regex(1)
                .unwrap()
                .find(" een formele klacht ")
                .unwrap()
                .as_str(),
            " formele klacht"
        );
    }

    #[test]
    fn a_unicode_word_boundary_before_other_scripts_still_answers() {
        let s = set(&[r"\bklacht\b", "zzz"]);
        assert_eq!(s.matches("één klacht über"), vec![0]);
        assert_eq!(s.matches("één über"), Vec::<usize>::new());
    }

    #[test]
    fn broken_regexes_are_all_named() {
        let errors =
            RegexSet::new(&["(".to_string(), "ok".to_string(), "[".to_string()]).unwrap_err();
        let broken: Vec<usize> = errors
            .iter()
            .filter_map(|e| match e {
                BuildError::Broken(i, _) => Some(*i),
                BuildError::Set(_) => None,
            })
            .collect();
        assert_eq!(broken, vec![0, 2]);
    }
}
