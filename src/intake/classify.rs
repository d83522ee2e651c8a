//! Recognising complaints: explainable weighted rules (`config/rules.toml`)
//! over the new text of a message, implementing the four recognition signs
//! of procedure 001 — the word klacht or a synonym, strong wording of
//! disagreement, reproach of acting or failing to act, reproach of an
//! employee's behaviour — plus compliments, ideas, questions and other mail,
//! a category and urgency. Every verdict lists the rules that fired and the
//! text they matched. All rules are compiled once (Aho-Corasick for words and
//! phrases, a `RegexSet` for patterns), not per message.

use crate::intake::automated;
use crate::intake::inbound::Inbound;
use crate::text::normalize;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in rules (the file admins copy and edit).
pub const BUILTIN_RULES: &str = include_str!("../../config/rules.toml");

/// The labels a message can get.
pub const LABELS: &[&str] = &["klacht", "compliment", "idee", "vraag", "overig"];

/// Complaint categories.
pub const CATEGORIES: &[&str] = &[
    "dienstverlening",
    "product",
    "medewerker",
    "advies_informatie",
    "termijn",
];

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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    settings: Settings,
    #[serde(rename = "rule")]
    rules: Vec<RawRule>,
}

/// A rule that fired, with what it matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fired {
    /// Rule id.
    pub id: String,
    /// What it counts for (`klacht`, `categorie:product`, `urgent`, …).
    pub label: String,
    /// Its weight.
    pub weight: f32,
    /// The (normalised) text it matched.
    pub matched: Vec<String>,
}

/// The verdict on one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `klacht`, `compliment`, `idee`, `vraag` or `overig`.
    pub label: String,
    /// Score of that label.
    pub score: f32,
    /// Scores of all labels.
    pub scores: BTreeMap<String, f32>,
    /// Category, for complaints.
    pub category: Option<String>,
    /// Urgent (danger, safety, imminent damage).
    pub urgent: bool,
    /// Automatic mail (auto-reply, bounce, list, …).
    pub auto_generated: bool,
    /// Why it counts as automatic.
    pub auto_reason: Option<String>,
    /// Every rule that fired.
    pub rules: Vec<Fired>,
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
    regex_set: RegexSet,
    regexes: Vec<Regex>,
    regex_rule: Vec<usize>,
}

/// Text prepared for classification.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// Normalised subject, padded with spaces.
    pub subject: String,
    /// Normalised new text, padded with spaces.
    pub text: String,
    exclamation: bool,
    shouting: bool,
    question: bool,
}

/// Prepares a message for the rules: the new text only (quotes, signatures
/// and disclaimers removed), normalised, plus the shouting features.
pub fn prepare(subject: &str, body: &str) -> Prepared {
    let new = crate::text::new_text(body);
    let both = format!("{subject}\n{new}");
    let letters: Vec<char> = both.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    let shouting = letters.len() >= 20 && upper * 10 >= letters.len() * 6;
    let exclamation = both.contains("!!") || both.matches('!').count() >= 3;
    Prepared {
        subject: normalize(subject),
        text: normalize(&new),
        exclamation,
        shouting,
        question: new.contains('?'),
    }
}

fn label_index(l: &str) -> Option<usize> {
    LABELS.iter().position(|x| *x == l)
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
        let mut regex_src = Vec::new();
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
                match Regex::new(re) {
                    Ok(_) => {
                        regex_src.push(re.clone());
                        regex_rule.push(idx);
                    }
                    Err(e) => errors.push(err(format!("broken regex '{re}': {e}"))),
                }
            }
            rules.push(Rule {
                id: r.id,
                label: r.label,
                weight: r.weight,
                scope,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let words = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| {
                vec![RuleError {
                    rule: "words".into(),
                    message: e.to_string(),
                }]
            })?;
        let regex_set = RegexSet::new(&regex_src).map_err(|e| {
            vec![RuleError {
                rule: "regex".into(),
                message: e.to_string(),
            }]
        })?;
        let regexes = regex_src
            .iter()
            .filter_map(|r| Regex::new(r).ok())
            .collect();
        Ok(Classifier {
            settings: file.settings,
            rules,
            words,
            word_rule,
            regex_set,
            regexes,
            regex_rule,
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
        let mut fired: Vec<Fired> = Vec::new();
        let hit = |rule: usize, text: &str, fired: &mut Vec<Fired>| {
            let r = &self.rules[rule];
            let text = text.trim().to_string();
            match fired.iter_mut().find(|f| f.id == r.id) {
                Some(f) => {
                    if !f.matched.contains(&text) && f.matched.len() < 5 {
                        f.matched.push(text);
                    }
                }
                None => fired.push(Fired {
                    id: r.id.clone(),
                    label: r.label.clone(),
                    weight: r.weight,
                    matched: vec![text],
                }),
            }
        };
        for (scope, hay) in [(Scope::Subject, &p.subject), (Scope::Text, &p.text)] {
            for m in self.words.find_overlapping_iter(hay.as_str()) {
                let rule = self.word_rule[m.pattern().as_usize()];
                let rs = self.rules[rule].scope;
                if rs == Scope::All || rs == scope {
                    hit(rule, &hay[m.start()..m.end()], &mut fired);
                }
            }
            for i in self.regex_set.matches(hay) {
                let rule = self.regex_rule[i];
                let rs = self.rules[rule].scope;
                if rs == Scope::All || rs == scope {
                    if let Some(m) = self.regexes[i].find(hay) {
                        hit(rule, m.as_str(), &mut fired);
                    }
                }
            }
        }
        if p.exclamation && self.settings.exclamation_weight != 0.0 {
            fired.push(Fired {
                id: "uitroeptekens".into(),
                label: "klacht".into(),
                weight: self.settings.exclamation_weight,
                matched: vec!["!!".into()],
            });
        }
        if p.question && self.settings.question_weight != 0.0 {
            fired.push(Fired {
                id: "vraagteken".into(),
                label: "vraag".into(),
                weight: self.settings.question_weight,
                matched: vec!["?".into()],
            });
        }
        if p.shouting && self.settings.capitals_weight != 0.0 {
            fired.push(Fired {
                id: "hoofdletters".into(),
                label: "klacht".into(),
                weight: self.settings.capitals_weight,
                matched: vec!["HOOFDLETTERS".into()],
            });
        }

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
        let auto_generated = auto.is_some();
        let label = if auto_generated {
            "overig".to_string()
        } else {
            let mut best: Option<(&str, f32)> = None;
            for l in LABELS {
                let s = scores[*l];
                let min = self.settings.min_score.get(*l).copied().unwrap_or(0.01);
                if s >= min && best.is_none_or(|(_, b)| s > b) {
                    best = Some((l, s));
                }
            }
            best.map(|(l, _)| l.to_string())
                .unwrap_or_else(|| self.settings.default_label.clone())
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
        }
    }
}

/// One labelled example (`eval` input line).
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    /// Example id.
    pub id: String,
    /// Expected label.
    pub label: String,
    /// Subject.
    #[serde(default)]
    pub subject: String,
    /// Body.
    #[serde(default)]
    pub body: String,
}

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabelScore {
    /// Label.
    pub label: String,
    /// Correct among predicted.
    pub precision: f64,
    /// Found among expected.
    pub recall: f64,
    /// Harmonic mean.
    pub f1: f64,
    /// Number expected.
    pub support: usize,
}

/// The result of evaluating the rules on labelled examples.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    /// Per label, in `LABELS` order.
    pub labels: Vec<LabelScore>,
    /// `confusion[expected][predicted]`, in `LABELS` order.
    pub confusion: Vec<Vec<usize>>,
    /// `(id, expected, predicted)` of every miss.
    pub misclassified: Vec<(String, String, String)>,
    /// Examples evaluated.
    pub total: usize,
}

impl Evaluation {
    /// The score of one label.
    pub fn label(&self, l: &str) -> Option<&LabelScore> {
        self.labels.iter().find(|s| s.label == l)
    }
}

impl Classifier {
    /// Classifies every example and scores the result.
    pub fn evaluate(&self, examples: &[Example]) -> Evaluation {
        let n = LABELS.len();
        let mut confusion = vec![vec![0usize; n]; n];
        let mut misclassified = Vec::new();
        for e in examples {
            let v = self.classify_text(&e.subject, &e.body);
            let (Some(want), Some(got)) = (label_index(&e.label), label_index(&v.label)) else {
                continue;
            };
            confusion[want][got] += 1;
            if want != got {
                misclassified.push((e.id.clone(), e.label.clone(), v.label.clone()));
            }
        }
        let labels = (0..n)
            .map(|i| {
                let tp = confusion[i][i] as f64;
                let predicted: usize = (0..n).map(|r| confusion[r][i]).sum();
                let support: usize = confusion[i].iter().sum();
                let precision = if predicted == 0 {
                    1.0
                } else {
                    tp / predicted as f64
                };
                let recall = if support == 0 {
                    1.0
                } else {
                    tp / support as f64
                };
                let f1 = if precision + recall == 0.0 {
                    0.0
                } else {
                    2.0 * precision * recall / (precision + recall)
                };
                LabelScore {
                    label: LABELS[i].to_string(),
                    precision,
                    recall,
                    f1,
                    support,
                }
            })
            .collect();
        Evaluation {
            labels,
            confusion,
            misclassified,
            total: examples.len(),
        }
    }
}

/// Reads JSON Lines of examples; a bad line is an error naming its number.
pub fn read_examples(text: &str) -> Result<Vec<Example>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_folds_case_accents_and_stretched_letters() {
        assert_eq!(normalize("ONACCEPTABEL!"), " onacceptabel ");
        assert_eq!(normalize("onacceptabelll"), " onacceptabel ");
        assert_eq!(normalize("Één keer, ça va"), " een keer ca va ");
        assert_eq!(normalize("heel vaak"), " heel vaak ");
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
        assert!(errs[0].rule == "kapot" && errs[0].message.contains("regex"));
        assert!(errs[1].rule == "onbekend" && errs[1].message.contains("klachtje"));
    }
}
