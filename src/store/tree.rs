//! The trees (partitions) of the store and what each holds; the keys and
//! values are in docs/design.md.

/// The trees of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tree {
    /// Small facts: key material, counters, mailbox sync state.
    Meta,
    /// Journal entries (metadata) by journal id.
    Journal,
    /// Raw message bytes by journal id.
    Raw,
    /// Journal ids still to be processed.
    Pending,
    /// Journal ids that failed processing (dead letters).
    Dead,
    /// Case snapshots by case id.
    Cases,
    /// Case events by `case id \0 seq`.
    Events,
    /// Message-ID (ours and theirs) → case id, for threading.
    Threads,
    /// Outbox items by outbox id.
    Outbox,
    /// Outgoing raw messages by outbox id.
    OutboxRaw,
    /// Outbox ids not yet finished (queued, sending).
    OutboxQueue,
    /// Outgoing Message-ID → outbox id (witness copies, bounces).
    OutboxByMessageId,
    /// `complainant address \0 case key` → (), to find a person's cases.
    ByComplainant,
    /// Timers: `due time (µs, big-endian) ‖ case key ‖ name` → timer.
    Due,
}

impl Tree {
    pub(crate) const ALL: [Tree; 14] = [
        Tree::Meta,
        Tree::Journal,
        Tree::Raw,
        Tree::Pending,
        Tree::Dead,
        Tree::Cases,
        Tree::Events,
        Tree::Threads,
        Tree::Outbox,
        Tree::OutboxRaw,
        Tree::OutboxQueue,
        Tree::OutboxByMessageId,
        Tree::ByComplainant,
        Tree::Due,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Tree::Meta => "meta",
            Tree::Journal => "journal",
            Tree::Raw => "raw",
            Tree::Pending => "pending",
            Tree::Dead => "dead",
            Tree::Cases => "cases",
            Tree::Events => "events",
            Tree::Threads => "threads",
            Tree::Outbox => "outbox",
            Tree::OutboxRaw => "outbox_raw",
            Tree::OutboxQueue => "outbox_queue",
            Tree::OutboxByMessageId => "outbox_by_message_id",
            Tree::ByComplainant => "by_complainant",
            Tree::Due => "due",
        }
    }

    pub(crate) fn index(self) -> usize {
        Tree::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}
