//! Recording received mail on a case: the `MessageIn` event of a message
//! from the journal, by its sender.

use crate::address;
use crate::cases::change::Change;
use crate::cases::event::EventKind;
use crate::intake::inbound::Inbound;
use crate::intake::journal::Entry;
use chrono::{DateTime, Utc};

/// The case event for message `m` (journal `entry`) in `role`
/// (`complaint`, `reply`, `staff`, `automatic`, …).
pub fn message_in(entry: &Entry, m: &Inbound, role: &str) -> EventKind {
    EventKind::MessageIn {
        journal_id: entry.id.clone(),
        message_id: m.message_id.clone(),
        from: m.from.clone().unwrap_or_default(),
        subject: address::header_safe(&m.subject, 250),
        role: role.into(),
        attachments: m.attachments.clone(),
    }
}

/// Records on `change` that `m` came in, in `role`, by its sender.
pub fn message(change: &mut Change, entry: &Entry, m: &Inbound, role: &str, at: DateTime<Utc>) {
    let actor = m.from.clone().unwrap_or_default();
    change.record(at, &actor, message_in(entry, m, role));
}
