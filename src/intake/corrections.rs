//! Corrections: every time staff confirm or correct what kind of message
//! opened a case (`#klacht`, `#geen-klacht`, `#vraag`, …), the message and
//! the label they gave are kept as a labelled example, so that `klachtd
//! eval --corrections` scores the current rules on the organisation's own
//! mail. A correction points at the journalled message rather than copying
//! it: when the message is erased (privacy), its example goes with it.

use crate::intake::classify::Example;
use crate::intake::inbound::Inbound;
use crate::intake::journal;
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

const PREFIX: &str = "correction/";

/// One staff correction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// The case it was made on.
    pub case: String,
    /// The journal id of the message that opened the case.
    pub journal_id: String,
    /// The label staff gave.
    pub label: String,
    /// What the classifier said.
    pub classified: String,
    /// Who corrected it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Adds a correction to `batch` (one per case: a later one replaces it).
pub fn record(batch: &mut Batch, c: &Correction) {
    batch.put(Tree::Meta, format!("{PREFIX}{}", c.case), c);
}

/// Every correction, by case.
pub fn all(store: &Store) -> Result<Vec<Correction>, StoreError> {
    store.scan(Tree::Meta, PREFIX.as_bytes())
}

/// The corrections as labelled examples, and how many messages are gone
/// (erased on request or after the retention period).
pub fn examples(store: &Store) -> Result<(Vec<Example>, usize), StoreError> {
    let mut out = Vec::new();
    let mut gone = 0;
    for c in all(store)? {
        let Some(m) = journal::raw(store, &c.journal_id)?.and_then(|raw| Inbound::parse(&raw))
        else {
            gone += 1;
            continue;
        };
        out.push(Example {
            id: c.case.clone(),
            lang: crate::text::language(&m.text).map(str::to_string),
            label: c.label.clone(),
            subject: m.subject.clone(),
            body: m.text.clone(),
        });
    }
    Ok((out, gone))
}
