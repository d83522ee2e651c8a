//! Recognising complaints: explainable weighted rules (`config/rules.toml`)
//! over the new text of a message, implementing the four recognition signs
//! of procedure 001 — the word klacht or a synonym, strong wording of
//! disagreement, reproach of acting or failing to act, reproach of an
//! employee's behaviour — plus compliments, ideas, questions and other mail,
//! a category and urgency. Every verdict lists the rules that fired and the
//! text they matched. All rules are compiled once (Aho-Corasick for words and
//! phrases, a `RegexSet` for patterns), not per message.

mod doubt;
mod eval;
mod lexicon;
mod patterns;
mod tone;
mod verdict;

pub use doubt::apply_doubt;
pub use eval::{read_examples, Evaluation, Example, LabelScore};
pub use lexicon::{Lexicon, Taal, BUILTIN_LEXICON};
pub use verdict::{label_index, Fired, Verdict, CATEGORIES, LABELS};

use crate::intake::automated;
use crate::intake::inbound::Inbound;
use crate::text::normalize;
use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in rules (the file admins copy and edit).
pub const BUILTIN_RULES: &str = include_str!("../../../config/rules.toml");

/// Whether a rule's label is one the classifier knows.
fn check_label(label: &str) -> Result<(), String> {
    if let Some(c) = label.strip_prefix("categorie:") {
        return if CATEGORIES.contains(&c) {
            Ok(())
        } else {
            Err(format!(
                "unknown category '{c}'; use one of {}",
                CATEGORIES.join(", ")
            ))
        };
    }
    if label == "urgent" || LABELS.contains(&label) {
        return Ok(());
    }
    Err(format!(
        "unknown label '{label}'; use one of {}, categorie:<{}> or urgent",
        LABELS.join(", "),
        CATEGORIES.join("|")
    ))
}

/// One rule as written in the rules file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    /// `klacht`, …, or `categorie:<name>`, or `urgent`.
    label: String,
    weight: f32,
    #[serde(default)]
    words: Vec<String>,
    #[serde(default)]
    regex: Vec<String>,
    /// Where to look: `all` (subject and text, default), `subject`, `text`.
    #[serde(default)]
    r#in: Option<String>,
    /// Free text for admins; not used by the classifier.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// Thresholds and feature weights.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Minimum score for each label (labels without one need > 0).
    #[serde(default)]
    min_score: BTreeMap<String, f32>,
    /// Label of a human message no rule recognises.
    default_label: String,
    /// Score at which a complaint counts as urgent.
    urgent_threshold: f32,
    /// Weight for klacht when the text has two or more `!` in a row or three in all.
    exclamation_weight: f32,
    /// Weight for klacht when most letters are capitals (shouting).
    capitals_weight: f32,
    /// Weight for vraag when the new text asks a question (`?`).
    #[serde(default)]
    question_weight: f32,
    /// A complaints mailbox leans towards klacht: a message whose klacht
    /// score reaches its minimum is a klacht unless compliment or vraag scores
    /// more than this many times as much (1 = plain highest score); idee and
    /// overig (newsletters, applications, receipts) are not leaned over.
    #[serde(default = "one")]
    klacht_lean: f32,
    /// The klacht score from which the lean applies (the word klacht
    /// alone in a question about the procedure does not lean).
    #[serde(default)]
    lean_from: f32,
    /// The overig rules name kinds of mail (newsletter, phishing,
    /// application, invitation, receipt) whatever their tone: overig wins
    /// when it reaches its minimum and this many times its score reaches
    /// klacht's ("kon niet worden bezorgd" in a phishing mail is no reproach).
    #[serde(default = "one")]
    kind_weight: f32,
}

fn one() -> f32 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    settings: Settings,
    /// Absent in rules files written before the tone existed: the
    /// built-in tone applies.
    #[serde(default)]
    tone: Option<tone::ToneFile>,
    #[serde(rename = "rule")]
    rules: Vec<RawRule>,
}

/// A problem in a rules file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule}: {message}")]
pub struct RuleError {
    /// Rule id (or `settings`/`syntax`).
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone)]
struct Rule {
    id: String,
    label: String,
    weight: f32,
    scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Subject,
    Text,
}

/// Compiled rules.
#[derive(Debug, Clone)]
pub struct Classifier {
    settings: Settings,
    rules: Vec<Rule>,
    words: AhoCorasick,
    word_rule: Vec<usize>,
    regex_set: patterns::RegexSet,
    regex_rule: Vec<usize>,
    tone: tone::Tone,
}

/// Text prepared for classification.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// Normalised subject, padded with spaces.
    pub subject: String,
    /// Normalised new text, padded with spaces; sentences are separated
    /// by two spaces.
    pub text: String,
    /// Byte offset in `text` where each sentence starts.
    sentence_starts: Vec<usize>,
    /// Whether each sentence is a question.
    questions: Vec<bool>,
    taal: Option<Taal>,
    exclamation: bool,
    shouting: bool,
    question: bool,
}

/// Prepares a message for the rules: the new text only (quotes, signatures
/// and disclaimers removed), normalised, plus the shouting features.
pub fn prepare(subject: &str, body: &str) -> Prepared {
    let new = crate::text::new_text(body);
    let mut both = String::with_capacity(subject.len() + 1 + new.len());
    both.push_str(subject);
    both.push('\n');
    both.push_str(&new);
    let (letters, upper) = if both.is_ascii() {
        both.bytes()
            .filter(u8::is_ascii_alphabetic)
            .fold((0usize, 0usize), |(n, up), b| {
                (n + 1, up + b.is_ascii_uppercase() as usize)
            })
    } else {
        both.chars()
            .filter(|c| c.is_alphabetic())
            .fold((0usize, 0usize), |(n, up), c| {
                (n + 1, up + c.is_uppercase() as usize)
            })
    };
    let shouting = letters >= 20 && upper * 10 >= letters * 6;
    let exclamation =
        ["!!", "??", "?!", "!?"].iter().any(|p| both.contains(p)) || both.matches('!').count() >= 3;
    let mut text = String::with_capacity(new.len() + 8);
    let mut sentence_starts = Vec::new();
    let mut questions = Vec::new();
    for sentence in sentences(&new) {
        let n = normalize(sentence);
        if n.trim().is_empty() {
            continue;
        }
        sentence_starts.push(text.len());
        questions.push(sentence.trim_end().ends_with('?'));
        text.push_str(&n);
    }
    if text.is_empty() {
        text.push(' ');
    }
    let taal = match crate::text::language(&both) {
        Some("nl") => Some(Taal::Nl),
        Some("en") => Some(Taal::En),
        _ => None,
    };
    Prepared {
        subject: normalize(subject),
        text,
        sentence_starts,
        questions,
        taal,
        exclamation,
        shouting,
        question: new.contains('?'),
    }
}

/// `v` as `{:+.2}` writes it, without the float formatter for the usual
/// case (a few thousand times a second in `classify --json`): an f32
/// times 100 is exact in an f64, so only an exact tie (`0.125`), which the
/// formatter rounds to even, needs the formatter.
fn push_signed_2(s: &mut String, v: f32) {
    use std::fmt::Write as _;
    let x = f64::from(v) * 100.0;
    if !x.is_finite() || x.abs() >= 1e15 || x.fract().abs() == 0.5 {
        let _ = write!(s, "{v:+.2}");
        return;
    }
    let n = x.round().abs() as u64;
    s.push(if v.is_sign_negative() { '-' } else { '+' });
    let _ = write!(s, "{}.{:02}", n / 100, n % 100);
}

/// The `[tone]` of the built-in rules.
fn builtin_tone() -> tone::ToneFile {
    #[derive(Deserialize)]
    struct OnlyTone {
        tone: tone::ToneFile,
    }
    toml::from_str::<OnlyTone>(BUILTIN_RULES)
        .expect("built-in rules have a valid [tone] (tested)")
        .tone
}

/// The sentences of a text: split after `.`, `!`, `?` and `;` followed by
/// white space, and at blank lines (a wrapped line is not a sentence end).
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied();
        let end = match b {
            b'.' | b'!' | b'?' | b';' => next.is_none_or(|n| n.is_ascii_whitespace()),
            b'\n' => next == Some(b'\n'),
            _ => false,
        };
        if end {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    out.push(&text[start..]);
    out.into_iter()
}

/// The rules' regexes as one set; every broken one is named with its rule.
fn regex_set(sources: &[String], owners: &[&str]) -> Result<patterns::RegexSet, Vec<RuleError>> {
    patterns::RegexSet::new(sources).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| match e {
                patterns::BuildError::Broken(i, e) => RuleError {
                    rule: owners[i].to_string(),
                    message: format!("broken regex '{}': {e}", sources[i]),
                },
                patterns::BuildError::Set(e) => RuleError {
                    rule: "regex".into(),
                    message: e,
                },
            })
            .collect()
    })
}

/// What is wrong with the `[settings]` of a rules file.
fn settings_errors(settings: &Settings) -> Vec<RuleError> {
    let mut errors = Vec::new();
    let problem = |message: String| RuleError {
        rule: "settings".into(),
        message,
    };
    if label_index(&settings.default_label).is_none() {
        errors.push(problem(format!(
            "default_label '{}' is not one of {}",
            settings.default_label,
            LABELS.join(", ")
        )));
    }
    for l in settings.min_score.keys() {
        if label_index(l).is_none() {
            errors.push(problem(format!("min_score for unknown label '{l}'")));
        }
    }
    errors
}

impl Classifier {
    /// The built-in rules.
    pub fn builtin() -> Classifier {
        Classifier::parse(BUILTIN_RULES).expect("built-in rules are valid (tested)")
    }

    /// Loads a rules file; every problem is reported with its rule id.
    pub fn load(path: &Path) -> Result<Classifier, Vec<RuleError>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![RuleError {
                rule: path.display().to_string(),
                message: format!("cannot read: {e}"),
            }]
        })?;
        Classifier::parse(&text)
    }

    /// Compiles rules from TOML text.
    pub fn parse(text: &str) -> Result<Classifier, Vec<RuleError>> {
        let file: RulesFile = toml::from_str(text).map_err(|e| {
            vec![RuleError {
                rule: "syntax".into(),
                message: e.to_string().trim().to_string(),
            }]
        })?;
        let mut errors = settings_errors(&file.settings);
        let mut rules = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut word_rule = Vec::new();
        let mut regex_src: Vec<String> = Vec::new();
        let mut regex_rule = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in file.rules {
            let err = |m: String| RuleError {
                rule: r.id.clone(),
                message: m,
            };
            if !seen.insert(r.id.clone()) {
                errors.push(err("the id is used twice".into()));
                continue;
            }
            if let Err(m) = check_label(&r.label) {
                errors.push(err(m));
                continue;
            }
            let scope = match r.r#in.as_deref() {
                None | Some("all") => Scope::All,
                Some("subject") => Scope::Subject,
                Some("text") => Scope::Text,
                Some(other) => {
                    errors.push(err(format!("in = '{other}': use all, subject or text")));
                    continue;
                }
            };
            if r.words.is_empty() && r.regex.is_empty() {
                errors.push(err("has neither words nor regex".into()));
                continue;
            }
            if !r.weight.is_finite() {
                errors.push(err("weight must be a number".into()));
                continue;
            }
            let idx = rules.len();
            for w in &r.words {
                let (stem, prefix) = match w.strip_suffix('*') {
                    Some(s) => (s, true),
                    None => (w.as_str(), false),
                };
                let n = normalize(stem);
                if n.trim().is_empty() {
                    errors.push(err(format!("word '{w}' is empty after normalising")));
                    continue;
                }
                let pat = if prefix { n.trim_end().to_string() } else { n };
                patterns.push(pat);
                word_rule.push(idx);
            }
            for re in &r.regex {
                regex_src.push(re.clone());
                regex_rule.push(idx);
            }
            rules.push(Rule {
                id: r.id,
                label: r.label,
                weight: r.weight,
                scope,
            });
        }
        let owners: Vec<&str> = regex_rule.iter().map(|&i| rules[i].id.as_str()).collect();
        let regex_set = match regex_set(&regex_src, &owners) {
            Ok(set) if errors.is_empty() => set,
            Ok(_) => return Err(errors),
            Err(broken) => {
                errors.extend(broken);
                return Err(errors);
            }
        };
        let words = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| {
                vec![RuleError {
                    rule: "words".into(),
                    message: e.to_string(),
                }]
            })?;
        Ok(Classifier {
            settings: file.settings,
            rules,
            words,
            word_rule,
            regex_set,
            regex_rule,
            tone: tone::Tone::compile(
                match file.tone {
                    Some(t) => t,
                    None => builtin_tone(),
                },
                Lexicon::builtin(),
            ),
        })
    }

    /// Classifies a parsed message (headers decide automatic mail first).
    pub fn classify_message(&self, m: &Inbound) -> Verdict {
        let auto = automated::detect(m);
        self.classify_with(&m.subject, &m.text, auto)
    }

    /// Classifies a subject and body without headers (out-of-office texts
    /// are still recognised).
    pub fn classify_text(&self, subject: &str, body: &str) -> Verdict {
        let m = Inbound {
            subject: subject.to_string(),
            text: body.to_string(),
            from: Some("afzender@example.invalid".into()),
            ..Inbound::default()
        };
        self.classify_message(&m)
    }

    fn classify_with(&self, subject: &str, body: &str, auto: Option<String>) -> Verdict {
        let p = prepare(subject, body);
        let (mut fired, subjects) = self.fire_rules(&p);
        let mut sentences: Vec<(&str, bool)> = vec![(p.subject.as_str(), false)];
        let mut starts = p.sentence_starts.clone();
        starts.push(p.text.len());
        sentences.extend(
            starts
                .windows(2)
                .zip(&p.questions)
                .map(|(w, q)| (&p.text[w[0]..w[1]], *q)),
        );
        let reading = self.tone.read(&sentences, p.taal);
        self.fire_tone(&reading, &mut fired);
        self.fire_features(&p, &reading, &mut fired);

        let mut scores: BTreeMap<String, f32> =
            LABELS.iter().map(|l| (l.to_string(), 0.0)).collect();
        let mut cats = [0f32; 5];
        let mut urgent = 0f32;
        for f in &fired {
            if let Some(c) = f.label.strip_prefix("categorie:") {
                if let Some(i) = CATEGORIES.iter().position(|x| *x == c) {
                    cats[i] += f.weight;
                }
            } else if f.label == "urgent" {
                urgent += f.weight;
            } else if let Some(s) = scores.get_mut(&f.label) {
                *s += f.weight;
            }
        }
        // The subject of a negative judgement: a category word in a
        // sentence with negative tone weighs that category more.
        for (cat, sentence) in subjects {
            cats[cat] += reading
                .negative_per_sentence
                .get(sentence)
                .copied()
                .unwrap_or(0.0);
        }
        let auto_generated = auto.is_some();
        let label = if auto_generated {
            "overig".to_string()
        } else {
            self.decide(&scores, &fired)
        };
        let category = (label == "klacht").then(|| {
            let (i, s) =
                cats.iter().enumerate().fold(
                    (0, 0f32),
                    |acc, (i, s)| if *s > acc.1 { (i, *s) } else { acc },
                );
            if s > 0.0 {
                CATEGORIES[i].to_string()
            } else {
                "dienstverlening".to_string()
            }
        });
        Verdict {
            score: scores.get(&label).copied().unwrap_or(0.0),
            label,
            scores,
            category,
            urgent: !auto_generated && urgent >= self.settings.urgent_threshold,
            auto_generated,
            auto_reason: auto,
            rules: fired,
            doubtful: false,
        }
    }

    /// The label with the highest score that reaches its minimum; otherwise
    /// the default label. Mail of a kind the overig rules name stays
    /// overig; a reproach (a klacht rule, not tone alone) beside praise or
    /// a question leans towards klacht.
    fn decide(&self, scores: &BTreeMap<String, f32>, fired: &[Fired]) -> String {
        let min = |l: &str| self.settings.min_score.get(l).copied().unwrap_or(0.01);
        let mut best: Option<(&str, f32)> = None;
        for l in LABELS {
            let s = scores[*l];
            if s >= min(l) && best.is_none_or(|(_, b)| s > b) {
                best = Some((l, s));
            }
        }
        let (klacht, overig) = (scores["klacht"], scores["overig"]);
        if overig >= min("overig") && overig * self.settings.kind_weight >= klacht {
            return "overig".to_string();
        }
        let reproach = fired.iter().any(|f| {
            f.label == "klacht"
                && f.weight > 0.0
                && !f.id.starts_with("toon-")
                && !matches!(f.id.as_str(), "uitroeptekens" | "hoofdletters")
        });
        let leans = best.is_some_and(|(l, b)| {
            matches!(l, "klacht" | "compliment" | "vraag")
                && klacht * self.settings.klacht_lean >= b
        });
        if reproach && klacht >= min("klacht").max(self.settings.lean_from) && leans {
            return "klacht".to_string();
        }
        best.map(|(l, _)| l.to_string())
            .unwrap_or_else(|| self.settings.default_label.clone())
    }

    /// The word and regex rules that fire, and for each category word in
    /// the text, `(category, sentence)` (sentence 0 is the subject).
    fn fire_rules(&self, p: &Prepared) -> (Vec<Fired>, Vec<(usize, usize)>) {
        let mut fired: Vec<Fired> = Vec::new();
        let mut subjects = Vec::new();
        let hit = |rule: usize, text: &str, fired: &mut Vec<Fired>| {
            let r = &self.rules[rule];
            let text = text.trim();
            match fired.iter_mut().find(|f| f.id == r.id) {
                Some(f) => {
                    // A copy only of a new match (a word often occurs twice).
                    if f.matched.len() < 5 && !f.matched.iter().any(|m| m == text) {
                        f.matched.push(text.to_string());
                    }
                }
                None => fired.push(Fired {
                    id: r.id.clone(),
                    label: r.label.clone(),
                    weight: r.weight,
                    matched: vec![text.to_string()],
                }),
            }
        };
        for (scope, hay) in [(Scope::Subject, &p.subject), (Scope::Text, &p.text)] {
            for m in self.words.find_overlapping_iter(hay.as_str()) {
                let rule = self.word_rule[m.pattern().as_usize()];
                let rs = self.rules[rule].scope;
                if rs == Scope::All || rs == scope {
                    hit(rule, &hay[m.start()..m.end()], &mut fired);
                    if let Some(c) = self.rules[rule].label.strip_prefix("categorie:") {
                        let sentence = match scope {
                            Scope::Subject => 0,
                            _ => p.sentence_starts.partition_point(|s| *s <= m.start()),
                        };
                        if let Some(cat) = CATEGORIES.iter().position(|x| *x == c) {
                            subjects.push((cat, sentence));
                        }
                    }
                }
            }
            for i in self.regex_set.matches(hay) {
                let rule = self.regex_rule[i];
                let rs = self.rules[rule].scope;
                if rs == Scope::All || rs == scope {
                    if let Some(m) = self.regex_set.regex(i).and_then(|re| re.find(hay)) {
                        hit(rule, m.as_str(), &mut fired);
                    }
                }
            }
        }
        (fired, subjects)
    }

    /// The tone as two rules: `toon-negatief` for klacht and
    /// `toon-positief` for compliment, with the words that counted.
    fn fire_tone(&self, reading: &tone::Reading, fired: &mut Vec<Fired>) {
        let words = |negative: bool| {
            let mut hits: Vec<&tone::Hit> = reading
                .hits
                .iter()
                .filter(|h| (h.value < 0.0) == negative)
                .collect();
            hits.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
            hits.iter()
                .take(6)
                .map(|h| {
                    let mut s = String::with_capacity(h.words.len() + 9);
                    s.push_str(&h.words);
                    s.push_str(" (");
                    push_signed_2(&mut s, h.value);
                    s.push(')');
                    s
                })
                .collect::<Vec<_>>()
        };
        let ironic = fired.iter().any(|f| self.tone.irony.contains(&f.id));
        let positive = if ironic { 0.0 } else { reading.positive };
        let negative = reading.negative.min(self.tone.cap);
        let positive = positive.min(self.tone.cap);
        if negative > 0.0 && self.tone.negative_weight != 0.0 {
            fired.push(Fired {
                id: "toon-negatief".into(),
                label: "klacht".into(),
                weight: negative * self.tone.negative_weight,
                matched: words(true),
            });
        }
        if positive > 0.0 && self.tone.positive_weight != 0.0 {
            fired.push(Fired {
                id: "toon-positief".into(),
                label: "compliment".into(),
                weight: positive * self.tone.positive_weight,
                matched: words(false),
            });
        }
    }

    /// Exclamation marks, a question mark and shouting. Exclamation and
    /// shouting strengthen a reproach ("Bravo!!" is not one), so they count
    /// only beside a klacht rule or a tone more negative than positive.
    fn fire_features(&self, p: &Prepared, reading: &tone::Reading, fired: &mut Vec<Fired>) {
        let s = &self.settings;
        let reproach = reading.negative > reading.positive
            || fired
                .iter()
                .any(|f| f.label == "klacht" && f.weight > 0.0 && !f.id.starts_with("toon-"));
        let features = [
            (
                p.exclamation && reproach,
                "uitroeptekens",
                "klacht",
                s.exclamation_weight,
                "!!",
            ),
            (p.question, "vraagteken", "vraag", s.question_weight, "?"),
            (
                p.shouting && reproach,
                "hoofdletters",
                "klacht",
                s.capitals_weight,
                "HOOFDLETTERS",
            ),
        ];
        for (present, id, label, weight, matched) in features {
            if present && weight != 0.0 {
                fired.push(Fired {
                    id: id.into(),
                    label: label.into(),
                    weight,
                    matched: vec![matched.into()],
                });
            }
        }
    }
}

impl Classifier {
    /// Classifies every example and scores the result, overall and per language.
    pub fn evaluate(&self, examples: &[Example]) -> Evaluation {
        let verdicts: Vec<(&Example, String)> = examples
            .iter()
            .map(|e| (e, self.classify_text(&e.subject, &e.body).label))
            .collect();
        let mut evaluation = eval::score(&verdicts);
        let mut languages: Vec<&str> = examples.iter().filter_map(|e| e.lang.as_deref()).collect();
        languages.sort_unstable();
        languages.dedup();
        for lang in languages {
            let subset: Vec<(&Example, String)> = verdicts
                .iter()
                .filter(|(e, _)| e.lang.as_deref() == Some(lang))
                .cloned()
                .collect();
            evaluation
                .by_language
                .insert(lang.to_string(), eval::score(&subset));
        }
        evaluation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimals_with_a_sign_as_the_formatter_writes_them() {
        for v in [
            0.0f32,
            -0.0,
            0.125,
            0.375,
            -0.125,
            0.625,
            0.005,
            1.005,
            0.45,
            -0.45,
            2.675,
            0.3,
            -1.5,
            12.999,
            -0.004,
            0.1 * 3.0,
            1e-9,
            123456.78,
        ] {
            let mut s = String::new();
            push_signed_2(&mut s, v);
            assert_eq!(s, format!("{v:+.2}"), "{v}");
        }
    }

    #[test]
    fn normalising_folds_case_accents_and_stretched_letters() {
        assert_eq!(normalize("ONACCEPTABEL!"), " onacceptabel ");
        assert_eq!(normalize("onacceptabelll"), " onacceptabel ");
        assert_eq!(normalize("Één keer, ça va"), " een keer ca va ");
        assert_eq!(normalize("heel vaak"), " heel vaak ");
    }

    #[test]
    fn the_procedures_signs_in_everyday_words_are_complaints() {
        let c = Classifier::builtin();
        let cases = [
            (
                "De bezorger was ontzettend grof tegen mijn moeder.",
                Some("medewerker"),
            ),
            ("Rude driver, shouted at me.", Some("medewerker")),
            (
                "Ik heb drie keer gebeld en er is nog steeds niets gebeurd.",
                None,
            ),
            ("Het duurde veel te lang voor er iemand kwam.", None),
            ("De soep was lauw en de bediening traag.", None),
            ("The charger stopped working after a week.", None),
            ("Verkeerde kleur geleverd.", None),
            (
                "De factuur is veel te hoog. Ik verwacht dat u dit oplost en eis een vergoeding.",
                None,
            ),
            (
                "De monteur was vriendelijk, maar de lekkage is er nog steeds.",
                None,
            ),
            (
                "Kunt u uitleggen waarom ik twee keer ben afgeschreven?",
                None,
            ),
        ];
        for (text, category) in cases {
            let v = c.classify_text("", text);
            assert_eq!(v.label, "klacht", "{text}: {v:?}");
            if let Some(cat) = category {
                assert_eq!(v.category.as_deref(), Some(cat), "{text}");
            }
        }
        let danger = c.classify_text(
            "",
            "Er hangt een losse dakpan boven de ingang, kom AUB direct.",
        );
        assert!(danger.label == "klacht" && danger.urgent, "{danger:?}");
    }

    #[test]
    fn a_message_without_a_question_or_signs_is_overig_not_vraag() {
        let c = Classifier::builtin();
        assert_eq!(
            c.classify_text("Foto's", "Hierbij de foto's van gisteren.")
                .label,
            "overig"
        );
        assert_eq!(
            c.classify_text("Pas", "Wanneer krijg ik mijn nieuwe pas?")
                .label,
            "vraag"
        );
    }

    #[test]
    fn explain_names_the_tone_words() {
        let v = Classifier::builtin()
            .classify_text("", "Het eten was niet lekker en de ober was onbeleefd.");
        let tone = v
            .rules
            .iter()
            .find(|f| f.id == "toon-negatief")
            .expect("tone fired");
        assert!(
            tone.matched.iter().any(|m| m.contains("niet lekker")),
            "{tone:?}"
        );
    }

    #[test]
    fn builtin_rules_compile() {
        let c = Classifier::builtin();
        assert!(!c.rules.is_empty());
    }

    #[test]
    fn broken_regex_and_unknown_label_name_the_rule() {
        let text = r#"
[settings]
default_label = "vraag"
urgent_threshold = 2.0
exclamation_weight = 1.0
capitals_weight = 1.0

[[rule]]
id = "kapot"
label = "klacht"
weight = 1.0
regex = ["(niet"]

[[rule]]
id = "onbekend"
label = "klachtje"
weight = 1.0
words = ["x"]
"#;
        let errs = Classifier::parse(text).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        let of = |rule: &str| errs.iter().find(|e| e.rule == rule).unwrap();
        assert!(of("kapot").message.contains("regex"), "{errs:?}");
        assert!(of("onbekend").message.contains("klachtje"), "{errs:?}");
        // A broken regex alone is named too.
        let alone = text.replace("klachtje", "klacht");
        let errs = Classifier::parse(&alone).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].rule == "kapot" && errs[0].message.contains("(niet"),
            "{errs:?}"
        );
    }
}
