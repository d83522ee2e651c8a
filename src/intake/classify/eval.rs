//! Measuring the rules: labelled examples (JSON Lines), precision and
//! recall per label, per language, and the confusion between labels.

use super::verdict::{label_index, LABELS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One labelled example (`eval` input line).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Example {
    /// Example id.
    pub id: String,
    /// Language (`nl`, `en`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
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
    /// The same per language (examples that name their language).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_language: BTreeMap<String, Evaluation>,
}

impl Evaluation {
    /// The score of one label.
    pub fn label(&self, l: &str) -> Option<&LabelScore> {
        self.labels.iter().find(|s| s.label == l)
    }
}

/// Precision, recall and confusion of `(example, predicted label)` pairs.
pub(crate) fn score(verdicts: &[(&Example, String)]) -> Evaluation {
    let n = LABELS.len();
    let mut confusion = vec![vec![0usize; n]; n];
    let mut misclassified = Vec::new();
    for (e, got_label) in verdicts {
        let (Some(want), Some(got)) = (label_index(&e.label), label_index(got_label)) else {
            continue;
        };
        confusion[want][got] += 1;
        if want != got {
            misclassified.push((e.id.clone(), e.label.clone(), got_label.clone()));
        }
    }
    let labels = (0..n)
        .map(|i| {
            let tp = confusion[i][i] as f64;
            let predicted: usize = (0..n).map(|r| confusion[r][i]).sum();
            let support: usize = confusion[i].iter().sum();
            let ratio = |d: usize| if d == 0 { 1.0 } else { tp / d as f64 };
            let (precision, recall) = (ratio(predicted), ratio(support));
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
        total: verdicts.len(),
        by_language: BTreeMap::new(),
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
