//! Changing a case: a [`Change`] records events on a working copy of the
//! case (each applied at once, so later decisions in the same transaction
//! see the case as it will be) and writes them, with the new snapshot and
//! the indexes, into one batch. The batch fails if the case changed since
//! it was read, or — for a new case — if its number is taken. This is the
//! only place that writes the cases, events and complainant trees and the
//! thread index of received mail.

use crate::cases::case::{Case, CaseError};
use crate::cases::event::{Event, EventKind};
use crate::cases::id::CaseId;
use crate::cases::lookup::{complainant_key, counter_key, event_key};
use crate::store::{Batch, Tree};
use chrono::{DateTime, Utc};

/// Events recorded on one case, not yet written.
#[derive(Debug, Clone)]
pub struct Change {
    /// The case as read (`None`: the change opens it).
    before: Option<Case>,
    /// The case with the recorded events applied.
    case: Case,
    /// The recorded events, in order.
    events: Vec<Event>,
}

impl Change {
    /// Changes to an existing case, as read from the store.
    pub fn on(case: &Case) -> Change {
        Change {
            before: Some(case.clone()),
            case: case.clone(),
            events: Vec::new(),
        }
    }

    /// A new case, from its opening event (an [`EventKind::Opened`]).
    pub fn open(
        id: CaseId,
        at: DateTime<Utc>,
        actor: &str,
        opened: EventKind,
    ) -> Result<Change, CaseError> {
        let first = Event {
            seq: 0,
            at,
            actor: actor.to_string(),
            reason: None,
            kind: opened,
        };
        let case = Case::from_events(id, std::slice::from_ref(&first))?;
        Ok(Change {
            before: None,
            case,
            events: vec![first],
        })
    }

    /// A new case with its whole history at once (imports, tests): the
    /// first event must open it.
    pub fn open_with_history(id: CaseId, history: Vec<Event>) -> Result<Change, CaseError> {
        let case = Case::from_events(id, &history)?;
        Ok(Change {
            before: None,
            case,
            events: history,
        })
    }

    /// Records an event by `actor`.
    pub fn record(&mut self, at: DateTime<Utc>, actor: &str, kind: EventKind) -> &mut Self {
        self.record_because(at, actor, None, kind)
    }

    /// Records an event by `actor`, with the reason given for it.
    pub fn record_because(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        reason: Option<String>,
        kind: EventKind,
    ) -> &mut Self {
        let e = Event {
            seq: self.case.version,
            at,
            actor: actor.to_string(),
            reason,
            kind,
        };
        self.case.apply(&e);
        self.events.push(e);
        self
    }

    /// The case as it is with the recorded events.
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The case as it was read (`None` for a case being opened).
    pub fn before(&self) -> Option<&Case> {
        self.before.as_ref()
    }

    /// The events recorded so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Adds the change to `batch` and returns the case as written.
    pub fn write(self, batch: &mut Batch) -> Case {
        let id = self.case.id;
        match &self.before {
            Some(before) => batch.expect_value(Tree::Cases, id.key(), before),
            None => {
                batch.expect(Tree::Cases, id.key(), None);
                let previous = id.number.checked_sub(1).filter(|n| *n > 0);
                batch.expect(
                    Tree::Meta,
                    counter_key(id.year),
                    previous.map(|n| serde_json::to_vec(&n).unwrap_or_default()),
                );
                batch.put(Tree::Meta, counter_key(id.year), &id.number);
                if self.case.has_email() {
                    batch.put_raw(
                        Tree::ByComplainant,
                        complainant_key(&self.case.complainant, id),
                        Vec::new(),
                    );
                }
            }
        }
        for e in &self.events {
            batch.put(Tree::Events, event_key(id, e.seq), e);
            if let EventKind::MessageIn {
                message_id: Some(mid),
                ..
            } = &e.kind
            {
                crate::cases::thread::index(batch, mid, id);
            }
        }
        batch.put(Tree::Cases, id.key(), &self.case);
        self.case
    }
}

/// Adds to `batch` a rewritten history of `before` (its personal data
/// removed): every event replaced, the snapshot folded anew, the case taken
/// out of its complainant's index. Fails if the case changed since read.
pub fn rewrite_history(
    batch: &mut Batch,
    before: &Case,
    history: &[Event],
) -> Result<Case, CaseError> {
    let fresh = Case::from_events(before.id, history)?;
    batch.expect_value(Tree::Cases, before.id.key(), before);
    for e in history {
        batch.put(Tree::Events, event_key(before.id, e.seq), e);
    }
    batch.put(Tree::Cases, before.id.key(), &fresh);
    batch.remove(
        Tree::ByComplainant,
        complainant_key(&before.complainant, before.id),
    );
    Ok(fresh)
}
