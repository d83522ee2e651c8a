//! The evaluative tone of a text, sentence by sentence: lexicon words and
//! what changes them — negation and its scope ("niet lekker", "not
//! working"), intensifiers and diminishers ("ontzettend grof", "een beetje
//! laat"), excess ("veel te hoog", "too slow"), contrast (in "vriendelijk,
//! maar de lekkage is er nog steeds" the part after "maar" counts), the
//! failure of what should happen ("werkt niet", "didn't arrive") and the
//! absence of what was expected ("geen reactie", "no refund"). The word lists
//! are data (`[tone]` in the rules file); the valences come from the lexicon.

use super::lexicon::{Lexicon, Taal};
use rustc_hash::FxHashSet as HashSet;
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
    negators: HashSet<String>,
    verb_negators: HashSet<String>,
    absent: HashSet<String>,
    question_factor: f32,
    intensifiers: HashSet<String>,
    diminishers: HashSet<String>,
    contrast: HashSet<String>,
    excess: HashSet<String>,
    measures: HashSet<String>,
    failing: HashSet<String>,
    expected: HashSet<String>,
    resolved: HashSet<String>,
    lexicon: Lexicon,
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

fn set(words: &[String]) -> HashSet<String> {
    words
        .iter()
        .map(|w| crate::text::normalize(w).trim().to_string())
        .collect()
}

impl Tone {
    pub(crate) fn compile(file: ToneFile, mut lexicon: Lexicon) -> Tone {
        for (w, v) in &file.words {
            lexicon.insert(w, Taal::Nl, *v);
            lexicon.insert(w, Taal::En, *v);
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
            negators: set(&file.negators),
            verb_negators: set(&file.verb_negators),
            absent: set(&file.absent),
            question_factor: file.question_factor,
            intensifiers: set(&file.intensifiers),
            diminishers: set(&file.diminishers),
            contrast: set(&file.contrast),
            excess: set(&file.excess),
            measures: set(&file.measures),
            failing: set(&file.failing),
            expected: set(&file.expected),
            resolved: set(&file.resolved),
            lexicon,
        }
    }

    /// Whether token `i` is one of `negators`, the `t` of "didn't" or the
    /// `one` of "no one".
    fn negator(negators: &HashSet<String>, toks: &[&str], i: usize) -> bool {
        let prev = |p: &str| i > 0 && toks[i - 1] == p;
        negators.contains(toks[i])
            || (toks[i] == "t" && i > 0 && toks[i - 1].ends_with('n') && toks[i - 1].len() > 2)
            || (toks[i] == "one" && prev("no") && negators.contains("nobody"))
    }

    /// Whether a negator stands within `before` words before `i` or `after`
    /// words after it, not across a contrast word.
    fn negated(
        &self,
        negators: &HashSet<String>,
        toks: &[&str],
        i: usize,
        (before, after): (usize, usize),
    ) -> bool {
        let mut j = i;
        while j > 0 && i - j < before {
            j -= 1;
            if self.contrast.contains(toks[j]) {
                break;
            }
            if Tone::negator(negators, toks, j) {
                return true;
            }
        }
        (i + 1..toks.len().min(i + 1 + after))
            .take_while(|&k| !self.contrast.contains(toks[k]))
            .any(|k| Tone::negator(negators, toks, k))
    }

    /// Reads the tone of normalised sentences (with whether each is a question).
    pub(crate) fn read(&self, sentences: &[(&str, bool)], taal: Option<Taal>) -> Reading {
        let mut r = Reading::default();
        for &(sentence, question) in sentences {
            let toks: Vec<&str> = sentence.split_whitespace().collect();
            let contrast_at = toks.iter().position(|t| self.contrast.contains(*t));
            let mut sentence_negative = 0.0;
            for i in 0..toks.len() {
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

    /// The judgement token `i` carries in its context, if any.
    fn judgement(&self, toks: &[&str], i: usize, taal: Option<Taal>) -> Option<(String, f32)> {
        let t = toks[i];
        let prev = |k: usize| (i >= k).then(|| toks[i - k]);
        let after_excess = prev(1).is_some_and(|p| self.excess.contains(p));
        if let Some(base) = self.lexicon.value(t, taal) {
            if self.intensifiers.contains(t) || self.negators.contains(t) {
                return None;
            }
            let mut v = base;
            let mut words = t.to_string();
            let solved = toks[i + 1..toks.len().min(i + 3)]
                .iter()
                .find(|n| self.resolved.contains(**n));
            if let (true, Some(n)) = (v < 0.0, solved) {
                return Some((format!("{t} {n}"), 0.3));
            }
            if after_excess {
                v = -(v.abs().max(-self.excess_value));
                words = format!("{} {t}", toks[i - 1]);
            } else if self.negated(&self.negators, toks, i, (self.window, 0)) {
                // "niet duidelijk", "not happy": a plain reproach; "niet
                // slecht" only mild praise.
                v = if v > 0.0 {
                    -(v * 0.75).max(self.negated_praise)
                } else {
                    -v * 0.75
                };
                words = format!("niet {t}");
            }
            let modifier = (1..=2)
                .filter_map(prev)
                .find(|p| self.intensifiers.contains(*p) || self.diminishers.contains(*p));
            match modifier {
                Some(m) if self.intensifiers.contains(m) => v *= 1.5,
                Some(_) => v *= 0.5,
                None => {}
            }
            return Some((words, v));
        }
        if self.failing.contains(t) && self.negated(&self.verb_negators, toks, i, (self.window, 3))
        {
            return Some((format!("niet {t}"), self.failure_value));
        }
        if self.expected.contains(t) && (1..=2).filter_map(prev).any(|p| self.absent.contains(p)) {
            return Some((format!("geen {t}"), self.failure_value));
        }
        if self.measures.contains(t) && after_excess {
            return Some((format!("{} {t}", toks[i - 1]), self.excess_value));
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
