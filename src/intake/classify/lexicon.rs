//! The evaluative lexicon: how negative or positive a word is, per language
//! (`config/lexicon.tsv`, built from Pattern's Dutch lexicon, VADER and
//! klachtd's supplement; see `scripts/make-lexicon` for sources and
//! licences). Dutch adjectives are listed in their base form; the inflected
//! forms (`traag` → `trage`, `trager`, `traagste`) are generated here.

use rustc_hash::FxHashMap as HashMap;

/// The built-in lexicon.
pub const BUILTIN_LEXICON: &str = include_str!("../../../config/lexicon.tsv");

/// A language a lexicon entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taal {
    /// Dutch.
    Nl,
    /// English.
    En,
}

/// Valence per normalised word form, per language.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    nl: HashMap<String, f32>,
    en: HashMap<String, f32>,
}

impl Lexicon {
    /// The built-in lexicon.
    pub fn builtin() -> Lexicon {
        Lexicon::parse(BUILTIN_LEXICON).expect("the built-in lexicon is valid (tested)")
    }

    /// Reads `word<TAB>nl|en<TAB>valence[<TAB>source]` lines; `#` starts a
    /// comment. A bad line is an error naming its number.
    pub fn parse(text: &str) -> Result<Lexicon, String> {
        // Room for every form at once: growing the tables rehashed them
        // eight times during start-up.
        let lines = text.lines().count();
        let mut lex = Lexicon {
            nl: HashMap::with_capacity_and_hasher(lines * 2, Default::default()),
            en: HashMap::with_capacity_and_hasher(lines, Default::default()),
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split('\t');
            let (Some(word), Some(lang), Some(value)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!(
                    "line {}: expected word, language and valence separated by tabs",
                    i + 1
                ));
            };
            let value: f32 = value
                .trim()
                .parse()
                .map_err(|_| format!("line {}: valence '{value}' is not a number", i + 1))?;
            let taal = match lang.trim() {
                "nl" => Taal::Nl,
                "en" => Taal::En,
                other => return Err(format!("line {}: language '{other}': use nl or en", i + 1)),
            };
            lex.insert(word.trim(), taal, value);
        }
        Ok(lex)
    }

    /// Adds (or replaces) a word; Dutch words get their inflected forms.
    pub fn insert(&mut self, word: &str, taal: Taal, value: f32) {
        let word = normal_word(word);
        if word.is_empty() || word.contains(' ') {
            return;
        }
        match taal {
            Taal::En => {
                self.en.insert(word, value);
            }
            Taal::Nl => {
                for form in dutch_forms(&word) {
                    self.nl.entry(form).or_insert(value);
                }
                self.nl.insert(word, value);
            }
        }
    }

    /// The valence of a normalised word in a language (`None`: both, Dutch first).
    pub fn value(&self, word: &str, taal: Option<Taal>) -> Option<f32> {
        match taal {
            Some(Taal::Nl) => self.nl.get(word).copied(),
            Some(Taal::En) => self.en.get(word).copied(),
            None => self.nl.get(word).or_else(|| self.en.get(word)).copied(),
        }
    }

    /// Number of word forms.
    pub fn len(&self) -> usize {
        self.nl.len() + self.en.len()
    }

    /// Whether the lexicon is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A word in its normal form, without the padding spaces; a word that is
/// already plain lower-case ASCII (most of the lexicon) is taken as it is.
fn normal_word(word: &str) -> String {
    let word = word.trim();
    let plain = word
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !word
            .as_bytes()
            .windows(3)
            .any(|w| w[0] == w[1] && w[1] == w[2]);
    if plain {
        return word.to_string();
    }
    crate::text::normalize(word).trim().to_string()
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// The inflected forms of a Dutch adjective: attributive (+e), comparative
/// (+er) and superlative (+st, +ste), with the spelling rules: a long vowel
/// loses a letter before an open syllable (`traag` → `trage`), a short one
/// doubles the consonant (`dom` → `domme`), `s`/`f` voice to `z`/`v`
/// (`boos` → `boze`, `lief` → `lieve`). Words ending in -e or -en do not take
/// an -e.
fn dutch_forms(word: &str) -> Vec<String> {
    let b = word.as_bytes();
    if b.len() < 3 || !word.is_ascii() || word.ends_with('e') || word.ends_with("en") {
        return Vec::new();
    }
    let n = b.len();
    let last = b[n - 1];
    let stem = if is_vowel(last) {
        word.to_string()
    } else {
        let voiced = match last {
            b's' if n >= 2 && !is_vowel(b[n - 2]) => 's',
            b's' => 'z',
            b'f' if n >= 2 && !is_vowel(b[n - 2]) => 'f',
            b'f' => 'v',
            c => c as char,
        };
        let body = &word[..n - 1];
        let bb = body.as_bytes();
        let m = bb.len();
        let long_double = m >= 2 && bb[m - 1] == bb[m - 2] && is_vowel(bb[m - 1]);
        let diphthong = m >= 2 && is_vowel(bb[m - 1]) && is_vowel(bb[m - 2]);
        let unstressed = syllables(word) > 1
            && ["ig", "lijk", "isch", "er", "el", "em"]
                .iter()
                .any(|s| word.ends_with(s));
        if long_double {
            joined(&[&body[..m - 1]], voiced)
        } else if !diphthong
            && m >= 1
            && is_vowel(bb[m - 1])
            && !unstressed
            && syllables(body) == 1
            && !matches!(last, b'w' | b'x' | b'y')
        {
            let mut s = joined(&[body], last as char);
            s.push(last as char);
            s
        } else {
            joined(&[body], voiced)
        }
    };
    // Built by pushing rather than `format!`: the lexicon's start-up
    // makes ten thousand of these.
    let mut forms = vec![
        joined(&[&stem], 'e'),
        joined(&[&stem, "e"], 'r'),
        joined(&[word, "s"], 't'),
        joined(&[word, "st"], 'e'),
    ];
    if word.ends_with('r') {
        forms.push(joined(&[word, "de"], 'r'));
    }
    forms
}

/// The pieces and a last letter as one string.
fn joined(pieces: &[&str], last: char) -> String {
    let mut s = String::with_capacity(pieces.iter().map(|p| p.len()).sum::<usize>() + 2);
    for p in pieces {
        s.push_str(p);
    }
    s.push(last);
    s
}

/// Number of vowel groups (a rough syllable count).
fn syllables(w: &str) -> usize {
    let mut count = 0;
    let mut in_vowel = false;
    for c in w.bytes() {
        let v = is_vowel(c) || c == b'y';
        if v && !in_vowel {
            count += 1;
        }
        in_vowel = v;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_adjectives_are_inflected_with_their_spelling_rules() {
        let has = |w: &str, f: &str| dutch_forms(w).contains(&f.to_string());
        assert!(has("traag", "trage"));
        assert!(has("boos", "boze"));
        assert!(has("lief", "lieve"));
        assert!(has("dom", "domme"));
        assert!(has("slecht", "slechte"));
        assert!(has("slecht", "slechtste"));
        assert!(has("vies", "vieze"));
        assert!(has("lelijk", "lelijke"));
        assert!(has("onvriendelijk", "onvriendelijke"));
        assert!(has("duur", "duurder"));
        assert!(has("snel", "snelle"));
        assert!(has("lekker", "lekkere"));
        assert!(dutch_forms("open").is_empty());
    }

    #[test]
    fn the_builtin_lexicon_reads_and_knows_both_languages() {
        let l = Lexicon::builtin();
        assert!(l.len() > 5000);
        assert!(l.value("slechte", Some(Taal::Nl)).unwrap() < 0.0);
        assert!(l.value("terrible", Some(Taal::En)).unwrap() < 0.0);
        assert!(l.value("behulpzaam", Some(Taal::Nl)).unwrap() > 0.0);
        assert_eq!(
            l.value("erg", Some(Taal::Nl)),
            None,
            "an intensifier, not a judgement"
        );
    }
}
