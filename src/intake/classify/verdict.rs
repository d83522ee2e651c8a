//! What the classifier says about a message: the label, the scores, the
//! category, urgency, whether it is automatic mail, and the rules that fired.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// A doubtful complaint a person is to confirm or correct (see `config::Doubt`).
    #[serde(default)]
    pub doubtful: bool,
}

/// The position of a label in [`LABELS`].
pub fn label_index(l: &str) -> Option<usize> {
    LABELS.iter().position(|x| *x == l)
}

impl Verdict {
    /// An `overig` message of a kind an overig rule names (newsletter,
    /// phishing, application, invitation, receipt), as against one that is
    /// `overig` only because nothing was recognised in it.
    pub fn of_a_named_kind(&self) -> bool {
        self.label == "overig" && self.scores.get("overig").is_some_and(|s| *s > 0.0)
    }
}
