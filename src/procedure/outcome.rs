//! What a message became: a new case, a message on a case, a record
//! without a case (with the reason), or the witness copy of one of our own
//! letters. Stored on the journal entry.

use crate::cases::id::CaseId;

/// What a message became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It opened a new case.
    NewCase(CaseId),
    /// It was added to an existing case.
    AddedToCase(CaseId),
    /// It was recorded without a case or reply (the reason says why).
    Recorded(String),
    /// It is the witness copy of one of our own outgoing mails.
    Witness(String),
}

impl Outcome {
    /// The name stored on the journal entry.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::NewCase(_) => "new_case",
            Outcome::AddedToCase(_) => "added_to_case",
            Outcome::Recorded(_) => "recorded",
            Outcome::Witness(_) => "witness",
        }
    }
    /// The case it belongs to.
    pub fn case(&self) -> Option<String> {
        match self {
            Outcome::NewCase(c) | Outcome::AddedToCase(c) => Some(c.to_string()),
            _ => None,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::NewCase(c) => write!(f, "new case {c}"),
            Outcome::AddedToCase(c) => write!(f, "added to case {c}"),
            Outcome::Recorded(why) => write!(f, "recorded: {why}"),
            Outcome::Witness(id) => write!(f, "witness copy of {id}"),
        }
    }
}
