//! The evaluative tone of a text, sentence by sentence: lexicon words and
//! what changes them — negation and its scope ("niet lekker", "not
//! working"), intensifiers and diminishers ("ontzettend grof", "een beetje
//! laat"), excess ("veel te hoog", "too slow"), contrast (in "vriendelijk,
//! maar de lekkage is er nog steeds" the part after "maar" counts), the
//! failure of what should happen ("werkt niet", "didn't arrive") and the
//! absence of what was expected ("geen reactie", "no refund"). The word lists
//! are data (`[tone]` in the rules file); the valences come from the lexicon.

use super::lexicon::{Lexicon, Taal};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `[tone]` of the rules file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToneFile {
    /// Weight for klacht per unit of negative valence.
    negative_weight: f32,
    /// Weight for compliment per unit of positive valence.
    positive_weight: f32,
    /// The most valence that counts (evidence saturates: ten negative words
    /// are not five times as much a complaint as two).
    cap: f32,
    /// Valence of a failure ("werkt niet") or a missing expected thing ("geen reactie").
    failure_value: f32,
    /// Valence of excess ("te laat", "too slow").
    excess_value: f32,
    /// The least valence of negated praise ("niet duidelijk": -0.5).
    #[serde(default)]
    negated_praise: f32,
    /// How many words before a judgement a negator still reaches.
    negation_window: usize,
    negators: Vec<String>,
    /// Negators of a verb ("werkt niet"); "geen" negates nouns ("geen problemen").
    verb_negators: Vec<String>,
    /// Words before an expected thing that mark it missing ("geen reactie").
    absent: Vec<String>,
    /// Factor for judgements inside a question ("is my flight delayed?").
    question_factor: f32,
    intensifiers: Vec<String>,
    diminishers: Vec<String>,
    contrast: Vec<String>,
    excess: Vec<String>,
    measures: Vec<String>,
    failing: Vec<String>,
    expected: Vec<String>,
    /// Words after a problem that say it is solved ("probleem opgelost").
    #[serde(default)]
    resolved: Vec<String>,
    /// Rules that make praise ironic: when one fires, positive tone does not count.
    #[serde(default)]
    irony: Vec<String>,
    /// The organisation's own words and valences (both languages).
    #[serde(default)]
    words: BTreeMap<String, f32>,
}

/// Compiled tone rules with the lexicon.
#[derive(Debug, Clone)]
pub(crate) struct Tone {
    pub negative_weight: f32,
    pub positive_weight: f32,
    pub irony: HashSet<String>,
    pub cap: f32,
    failure_value: f32,
    excess_value: f32,
    negated_praise: f32,
    window: usize,
    question_factor: f32,
    /// What each listed word is, as [`Kind`] bits: one look-up per token
    /// instead of one per word list.
    kinds: HashMap<String, u16>,
    lexicon: Lexicon,
}

/// The word lists of the tone, as bits of a word's kind.
struct Kind;

impl Kind {
    const NEGATOR: u16 = 1;
    const VERB_NEGATOR: u16 = 1 << 1;
    const ABSENT: u16 = 1 << 2;
    const INTENSIFIER: u16 = 1 << 3;
    const DIMINISHER: u16 = 1 << 4;
    const CONTRAST: u16 = 1 << 5;
    const EXCESS: u16 = 1 << 6;
    const MEASURE: u16 = 1 << 7;
    const FAILING: u16 = 1 << 8;
    const EXPECTED: u16 = 1 << 9;
    const RESOLVED: u16 = 1 << 10;
}

/// The tokens of one sentence with their kinds.
struct Tokens<'a> {
    words: Vec<&'a str>,
    kinds: Vec<u16>,
}

impl Tokens<'_> {
    fn is(&self, i: usize, kind: u16) -> bool {
        self.kinds[i] & kind != 0
    }
}

/// One evaluative word in context.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    /// The words, as matched ("niet lekker", "werkt niet").
    pub words: String,
    /// Valence after negation, intensity and contrast.
    pub value: f32,
}

/// The tone of a text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reading {
    /// Sum of the negative valences (as a positive number).
    pub negative: f32,
    /// Sum of the positive valences.
    pub positive: f32,
    /// Negative valence per sentence (index as in the input).
    pub negative_per_sentence: Vec<f32>,
    /// The words that counted.
    pub hits: Vec<Hit>,
}

/// Marks every word of a list with `kind`.
fn mark(kinds: &mut HashMap<String, u16>, words: &[String], kind: u16) {
    for w in words {
        *kinds
            .entry(crate::text::normalize(w).trim().to_string())
            .or_default() |= kind;
    }
}

impl Tone {
    pub(crate) fn compile(file: ToneFile, mut lexicon: Lexicon) -> Tone {
        for (w, v) in &file.words {
            lexicon.insert(w, Taal::Nl, *v);
            lexicon.insert(w, Taal::En, *v);
        }
        let mut kinds = HashMap::default();
        for (words, kind) in [
            (&file.negators, Kind::NEGATOR),
            (&file.verb_negators, Kind::VERB_NEGATOR),
            (&file.absent, Kind::ABSENT),
            (&file.intensifiers, Kind::INTENSIFIER),
            (&file.diminishers, Kind::DIMINISHER),
            (&file.contrast, Kind::CONTRAST),
            (&file.excess, Kind::EXCESS),
            (&file.measures, Kind::MEASURE),
            (&file.failing, Kind::FAILING),
            (&file.expected, Kind::EXPECTED),
            (&file.resolved, Kind::RESOLVED),
        ] {
            mark(&mut kinds, words, kind);
        }
        Tone {
            negative_weight: file.negative_weight,
            positive_weight: file.positive_weight,
            irony: file.irony.iter().cloned().collect(),
            cap: file.cap,
            failure_value: file.failure_value,
            excess_value: file.excess_value,
            negated_praise: file.negated_praise,
            window: file.negation_window,
            question_factor: file.question_factor,
            kinds,
            lexicon,
        }
    }

    /// Whether token `i` is one of `negators`, the `t` of "didn't" or the
    /// `one` of "no one".
    /// Whether token `i` negates: a word of the `negator` list, the `t` of
    /// a split "didn't", or "no one" when "nobody" is on the list.
    fn negator(&self, toks: &Tokens<'_>, negator: u16, i: usize) -> bool {
        let word = toks.words[i];
        let prev = |p: &str| i > 0 && toks.words[i - 1] == p;
        toks.is(i, negator)
            || (word == "t"
                && i > 0
                && toks.words[i - 1].ends_with('n')
                && toks.words[i - 1].len() > 2)
            || (word == "one"
                && prev("no")
                && self.kinds.get("nobody").is_some_and(|k| k & negator != 0))
    }

    fn negated(
        &self,
        negator: u16,
        toks: &Tokens<'_>,
        i: usize,
        (before, after): (usize, usize),
    ) -> bool {
        let mut j = i;
        while j > 0 && i - j < before {
            j -= 1;
            if toks.is(j, Kind::CONTRAST) {
                break;
            }
            if self.negator(toks, negator, j) {
                return true;
            }
        }
        (i + 1..toks.words.len().min(i + 1 + after))
            .take_while(|&k| !toks.is(k, Kind::CONTRAST))
            .any(|k| self.negator(toks, negator, k))
    }

    /// The tone of sentences in their normal form (`text::normalize`), each
    /// with whether it is a question.
    pub(crate) fn read(&self, sentences: &[(&str, bool)], taal: Option<Taal>) -> Reading {
        let mut r = Reading::default();
        let mut toks = Tokens {
            words: Vec::new(),
            kinds: Vec::new(),
        };
        for &(sentence, question) in sentences {
            toks.words.clear();
            // Normalised text has single ASCII spaces as its only white
            // space: a byte split, not a Unicode white-space test per character.
            toks.words
                .extend(sentence.split(' ').filter(|w| !w.is_empty()));
            toks.kinds.clear();
            toks.kinds.extend(
                toks.words
                    .iter()
                    .map(|w| self.kinds.get(*w).copied().unwrap_or(0)),
            );
            let contrast_at = (0..toks.words.len()).find(|&i| toks.is(i, Kind::CONTRAST));
            let mut sentence_negative = 0.0;
            for i in 0..toks.words.len() {
                let Some((words, mut v)) = self.judgement(&toks, i, taal) else {
                    continue;
                };
                if question {
                    v *= self.question_factor;
                }
                if let Some(c) = contrast_at {
                    if i < c {
                        v *= 0.5;
                    } else if i > c {
                        v *= 1.5;
                    }
                }
                if v < 0.0 {
                    r.negative -= v;
                    sentence_negative -= v;
                } else {
                    r.positive += v;
                }
                r.hits.push(Hit { words, value: v });
            }
            r.negative_per_sentence.push(sentence_negative);
        }
        r
    }

    fn judgement(&self, toks: &Tokens<'_>, i: usize, taal: Option<Taal>) -> Option<(String, f32)> {
        let words = &toks.words;
        let t = words[i];
        // The tokens one and two before, by index.
        let prev = |k: usize| (i >= k).then(|| i - k);
        let after_excess = prev(1).is_some_and(|p| toks.is(p, Kind::EXCESS));
        if let Some(base) = self.lexicon.value(t, taal) {
            if toks.is(i, Kind::INTENSIFIER | Kind::NEGATOR) {
                return None;
            }
            let mut v = base;
            // What counted, when more than the word itself.
            let mut said = None;
            let solved = (i + 1..words.len().min(i + 3)).find(|&n| toks.is(n, Kind::RESOLVED));
            if let (true, Some(n)) = (v < 0.0, solved) {
                return Some((format!("{t} {}", words[n]), 0.3));
            }
            if after_excess {
                v = -(v.abs().max(-self.excess_value));
                said = Some(format!("{} {t}", words[i - 1]));
            } else if self.negated(Kind::NEGATOR, toks, i, (self.window, 0)) {
                // "niet duidelijk", "not happy": a plain reproach; "niet
                // slecht" only mild praise.
                v = if v > 0.0 {
                    -(v * 0.75).max(self.negated_praise)
                } else {
                    -v * 0.75
                };
                said = Some(format!("niet {t}"));
            }
            let modifier = (1..=2)
                .filter_map(prev)
                .find(|&p| toks.is(p, Kind::INTENSIFIER | Kind::DIMINISHER));
            match modifier {
                Some(m) if toks.is(m, Kind::INTENSIFIER) => v *= 1.5,
                Some(_) => v *= 0.5,
                None => {}
            }
            return Some((said.unwrap_or_else(|| t.to_string()), v));
        }
        if toks.is(i, Kind::FAILING) && self.negated(Kind::VERB_NEGATOR, toks, i, (self.window, 3))
        {
            return Some((format!("niet {t}"), self.failure_value));
        }
        if toks.is(i, Kind::EXPECTED) && (1..=2).filter_map(prev).any(|p| toks.is(p, Kind::ABSENT))
        {
            return Some((format!("geen {t}"), self.failure_value));
        }
        if toks.is(i, Kind::MEASURE) && after_excess {
            return Some((format!("{} {t}", words[i - 1]), self.excess_value));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::classify::Classifier;

    fn read(text: &str) -> Reading {
        let c = Classifier::builtin();
        let n = crate::text::normalize(text);
        c.tone.read(&[(n.as_str(), false)], None)
    }

    #[test]
    fn negation_turns_praise_into_blame() {
        assert!(read("het eten was lekker").positive > 0.0);
        let r = read("het eten was niet lekker");
        assert!(r.negative > 0.0 && r.positive == 0.0, "{r:?}");
        assert!(read("the app is not good").negative > 0.0);
        assert!(read("it didn't work").negative > 0.0);
    }

    #[test]
    fn failures_excess_and_absence_are_negative() {
        assert!(read("de verwarming werkt al dagen niet").negative > 0.0);
        assert!(read("de factuur is veel te hoog").negative > 0.0);
        assert!(read("nog altijd geen reactie ontvangen").negative > 0.0);
        assert!(read("my parcel never arrived").negative > 0.0);
        assert!(read("no one told us").negative > 0.0);
        let solved = read("super help, problem solved");
        assert!(
            solved.negative == 0.0 && solved.positive > 0.0,
            "{solved:?}"
        );
    }

    #[test]
    fn after_maar_counts_more_than_before() {
        let r = read("de monteur was vriendelijk maar het resultaat is slecht");
        assert!(r.negative > r.positive, "{r:?}");
    }

    #[test]
    fn intensifiers_strengthen() {
        assert!(read("ontzettend grof").negative > read("grof").negative);
    }
}
