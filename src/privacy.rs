//! The complainant's privacy (AVG/GDPR): everything stored about a person
//! (`export`), erasure on request (`erase`), and the retention period after
//! which closed cases lose their personal data (`apply_retention`).
//!
//! Erasing or anonymising a case rewrites its history: addresses, names,
//! subjects and texts go (free text that is statistics — cause, measure,
//! outcome, satisfaction — is kept through the anonymiser), the raw
//! messages of the case and the letters sent on it are deleted, and the
//! person's index entries are removed. The case keeps its number,
//! category, dates, terms and judgement, so reports stay right.
//!
//! The mail server keeps copies too (the processed folder holds every
//! complaint and the witness copies of letters). Erasing a message queues
//! its Message-ID as a server copy to delete, in the same batch; whoever
//! holds the IMAP session (the daemon, `klachtd once`, or `privacy erase`
//! itself) deletes those copies and then clears the queue.

use crate::anonymise::{anonymise, Anonymiser};
use crate::cases::case::Case;
use crate::cases::change::rewrite_history;
use crate::cases::event::{Event, EventKind, KLACHTD};
use crate::cases::id::CaseId;
use crate::cases::lookup;
use crate::cases::policy::Policy;
use crate::cases::state::State;
use crate::deadline::Calendar;
use crate::intake::inbound::Inbound;
use crate::intake::journal::{self, Entry};
use crate::intake::server_copies::queue_server_copy;
use crate::letters::outbox::{self, Item};
use crate::store::{Batch, Store, StoreError, Tree};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What replaces a removed address or name.
pub const REMOVED: &str = "[verwijderd]";

/// Errors of privacy operations.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// The person has open cases; erasing them needs `--force`.
    #[error("{address} has open cases ({}); they are still being handled. Close them first, or erase anyway with --force (the cases are closed and the complainant gets no further letters)", cases.join(", "))]
    OpenCases {
        /// The address.
        address: String,
        /// The open cases.
        cases: Vec<String>,
    },
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A case with its history, as exported.
#[derive(Debug, Serialize)]
pub struct CaseData {
    /// The case.
    pub case: Case,
    /// Its history.
    pub events: Vec<Event>,
}

/// A received message, as exported.
#[derive(Debug, Serialize)]
pub struct MessageData {
    /// The journal entry.
    pub entry: Entry,
    /// The message's plain text.
    pub text: String,
    /// The raw message, attachments included (base64).
    pub raw_base64: String,
}

/// A sent letter, as exported.
#[derive(Debug, Serialize)]
pub struct LetterData {
    /// The outbox item.
    pub item: Item,
    /// The raw letter (base64), while it is kept.
    pub raw_base64: Option<String>,
}

/// Everything stored about one person.
#[derive(Debug, Serialize)]
pub struct PersonalData {
    /// The address asked about.
    pub address: String,
    /// Cases in which they are the complainant.
    pub cases: Vec<CaseData>,
    /// Messages from them, and messages on their cases.
    pub messages: Vec<MessageData>,
    /// Letters to them, and letters on their cases.
    pub letters: Vec<LetterData>,
}

impl PersonalData {
    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty() && self.messages.is_empty() && self.letters.is_empty()
    }
}

/// What an erasure or a retention run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Cases anonymised.
    pub cases: Vec<String>,
    /// Raw messages deleted.
    pub messages: u32,
    /// Raw letters deleted.
    pub letters: u32,
}

impl Erased {
    fn add(&mut self, other: Erased) {
        self.cases.extend(other.cases);
        self.messages += other.messages;
        self.letters += other.letters;
    }
}

fn same(a: &str, b: &str) -> bool {
    crate::address::normalize(a) == crate::address::normalize(b)
}

/// Journal ids of the messages `address` sent (read from the raw `From`).
fn messages_from(store: &Store, address: &str) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    for e in store.scan::<Entry>(Tree::Journal, b"")? {
        let from = journal::raw(store, &e.id)?
            .and_then(|raw| Inbound::parse(&raw))
            .and_then(|m| m.from);
        if from.is_some_and(|f| same(&f, address)) {
            ids.push(e.id);
        }
    }
    Ok(ids)
}

/// Journal ids of the messages on a case (received, and the witness copies
/// of its letters).
fn case_messages(store: &Store, events: &[Event]) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    for e in events {
        match &e.kind {
            EventKind::MessageIn { journal_id, .. } => ids.push(journal_id.clone()),
            EventKind::LetterQueued {
                message_id: Some(mid),
                ..
            } => {
                let witness = journal::journal_id(b"", Some(mid));
                if store.get_raw(Tree::Journal, witness.as_bytes())?.is_some() {
                    ids.push(witness);
                }
            }
            _ => {}
        }
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Everything stored about `address`.
pub fn export(store: &Store, address: &str) -> Result<PersonalData, StoreError> {
    let mut data = PersonalData {
        address: address.to_string(),
        cases: Vec::new(),
        messages: Vec::new(),
        letters: Vec::new(),
    };
    let mut message_ids = Vec::new();
    let mut case_ids: Vec<CaseId> = Vec::new();
    for c in lookup::of_complainant(store, address)? {
        if c.anonymised {
            continue;
        }
        let events = lookup::events(store, c.id)?;
        message_ids.extend(case_messages(store, &events)?);
        case_ids.push(c.id);
        data.cases.push(CaseData { case: c, events });
    }
    message_ids.extend(messages_from(store, address)?);
    message_ids.sort();
    message_ids.dedup();
    for id in message_ids {
        let (Some(entry), Some(raw)) = (journal::entry(store, &id)?, journal::raw(store, &id)?)
        else {
            continue;
        };
        data.messages.push(MessageData {
            entry,
            text: Inbound::parse(&raw).map(|m| m.text).unwrap_or_default(),
            raw_base64: base64::engine::general_purpose::STANDARD.encode(&raw),
        });
    }
    let mut letters = Vec::new();
    outbox::each(store, |item| {
        let ours = item.case.is_some_and(|c| case_ids.contains(&c));
        if ours || same(&item.to, address) {
            letters.push(item);
        }
        Ok(())
    })?;
    letters.sort_by_key(|i| i.created);
    for item in letters {
        let raw = store.get_raw(Tree::OutboxRaw, item.id.as_bytes())?;
        data.letters.push(LetterData {
            item,
            raw_base64: raw.map(|r| base64::engine::general_purpose::STANDARD.encode(r)),
        });
    }
    Ok(data)
}

/// Removes personal data from one event of `c` (whose complainant is
/// `who`); `anon` knows the names and addresses to take out of free text.
fn scrub(e: &Event, who: &str, anon: &Anonymiser) -> Event {
    let text = |t: &str| anon.apply(t);
    let addr = |a: &str| {
        if same(a, who) {
            REMOVED.to_string()
        } else {
            a.to_string()
        }
    };
    let kind = match &e.kind {
        EventKind::Opened {
            language,
            channel,
            category,
            urgent,
            via,
            ..
        } => EventKind::Opened {
            complainant: REMOVED.into(),
            name: None,
            subject: "[geanonimiseerd]".into(),
            summary: String::new(),
            language: language.clone(),
            channel: channel.clone(),
            category: category.clone(),
            urgent: *urgent,
            phone: None,
            postal_address: None,
            via: via.clone(),
        },
        EventKind::MessageIn {
            journal_id,
            from,
            role,
            ..
        } => EventKind::MessageIn {
            journal_id: journal_id.clone(),
            message_id: None,
            from: addr(from),
            subject: String::new(),
            role: role.clone(),
            attachments: Vec::new(),
        },
        EventKind::LetterQueued {
            outbox_id,
            letter,
            to,
            ..
        } => EventKind::LetterQueued {
            outbox_id: outbox_id.clone(),
            letter: letter.clone(),
            to: addr(to),
            message_id: None,
            subject: None,
        },
        EventKind::LetterBounced { outbox_id, to } => EventKind::LetterBounced {
            outbox_id: outbox_id.clone(),
            to: addr(to),
        },
        EventKind::LetterSuppressed { letter, to } => EventKind::LetterSuppressed {
            letter: letter.clone(),
            to: addr(to),
        },
        EventKind::LetterSent {
            outbox_id,
            letter,
            to,
        } => EventKind::LetterSent {
            outbox_id: outbox_id.clone(),
            letter: letter.clone(),
            to: addr(to),
        },
        EventKind::LetterFailed {
            outbox_id,
            letter,
            error,
        } => EventKind::LetterFailed {
            outbox_id: outbox_id.clone(),
            letter: letter.clone(),
            error: text(error),
        },
        EventKind::Note { text: t } => EventKind::Note { text: text(t) },
        EventKind::Offer { text: t } => EventKind::Offer { text: text(t) },
        EventKind::OutcomeSet { text: t } => EventKind::OutcomeSet { text: text(t) },
        EventKind::SatisfactionSet { text: t } => EventKind::SatisfactionSet { text: text(t) },
        EventKind::CauseSet { text: t } => EventKind::CauseSet { text: text(t) },
        EventKind::MeasureAdded { text: t } => EventKind::MeasureAdded { text: text(t) },
        EventKind::Reported { text: t } => EventKind::Reported {
            text: t.as_deref().map(text),
        },
        EventKind::CommandRejected { command, why } => EventKind::CommandRejected {
            command: text(command),
            why: text(why),
        },
        EventKind::AppealLodged { by } => EventKind::AppealLodged { by: addr(by) },
        other => other.clone(),
    };
    Event {
        seq: e.seq,
        at: e.at,
        actor: addr(&e.actor),
        reason: e.reason.as_deref().map(text),
        kind,
    }
}

/// Adds to `batch` the removal of a journalled message's personal data:
/// its raw bytes go; the entry stays (so a redelivery is still known) with
/// the Message-ID and the matched text of the rules removed.
fn scrub_message(store: &Store, batch: &mut Batch, id: &str) -> Result<bool, StoreError> {
    let Some(mut entry) = journal::entry(store, id)? else {
        return Ok(false);
    };
    let had_raw = store.get_raw(Tree::Raw, id.as_bytes())?.is_some();
    if let Some(mid) = entry.message_id.take() {
        queue_server_copy(batch, id, &mid);
    }
    entry.source = REMOVED.into();
    if let Some(v) = entry.verdict.as_mut() {
        for r in &mut v.rules {
            r.matched.clear();
        }
    }
    batch.put(Tree::Journal, id.as_bytes(), &entry);
    batch.remove(Tree::Raw, id.as_bytes());
    Ok(had_raw)
}

/// Adds to `batch` the removal of a letter's personal data: its raw bytes
/// go; a letter not yet sent is taken out of the queue.
fn scrub_letter(
    store: &Store,
    batch: &mut Batch,
    item: &Item,
    who: &str,
) -> Result<bool, StoreError> {
    let had_raw = store
        .get_raw(Tree::OutboxRaw, item.id.as_bytes())?
        .is_some();
    let mut it = item.clone();
    if same(&it.to, who) {
        it.to = REMOVED.into();
        it.recipients.clear();
    }
    it.subject = String::new();
    it.last_error = it.last_error.as_deref().map(|e| anonymise(e, &[who]));
    batch.put(Tree::Outbox, item.id.as_bytes(), &it);
    batch.remove(Tree::OutboxRaw, item.id.as_bytes());
    batch.remove(Tree::OutboxQueue, item.id.as_bytes());
    Ok(had_raw)
}

/// Anonymises one case in the store (`why`: `bewaartermijn`, `verzoek`).
/// An open case is closed first: nobody can be written to any more.
pub fn anonymise_case(
    store: &Store,
    id: CaseId,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Erased, StoreError> {
    store.transact(|store| {
        let mut batch = Batch::new();
        let Some(c) = lookup::load(store, id)?.filter(|c| !c.anonymised) else {
            return Ok((batch, Erased::default()));
        };
        let events = lookup::events(store, id)?;
        let who = c.complainant.clone();
        let mut known: Vec<&str> = vec![who.as_str()];
        known.extend(c.name.as_deref());
        let anon = Anonymiser::new(&known);
        let mut history: Vec<Event> = events.iter().map(|e| scrub(e, &who, &anon)).collect();
        let mut push = |reason: Option<String>, kind: EventKind| {
            history.push(Event {
                seq: history.len() as u32,
                at: now,
                actor: KLACHTD.into(),
                reason,
                kind,
            })
        };
        if !c.state.is_closed() {
            push(
                Some(format!("persoonsgegevens verwijderd ({why})")),
                EventKind::StateChanged {
                    to: State::Gesloten,
                },
            );
        }
        push(None, EventKind::Anonymised { why: why.into() });
        if rewrite_history(&mut batch, &c, &history).is_err() {
            return Ok((Batch::new(), Erased::default()));
        }
        let mut erased = Erased {
            cases: vec![id.to_string()],
            ..Erased::default()
        };
        for mid in case_messages(store, &events)? {
            erased.messages += scrub_message(store, &mut batch, &mid)? as u32;
        }
        for item in outbox::items(store, Some(id))? {
            erased.letters += scrub_letter(store, &mut batch, &item, &who)? as u32;
        }
        Ok((batch, erased))
    })
}

/// Erases everything stored about `address`: their cases are anonymised,
/// their other messages and the letters to them deleted. Open cases refuse
/// unless `force`.
pub fn erase(
    store: &Store,
    address: &str,
    force: bool,
    now: DateTime<Utc>,
) -> Result<Erased, PrivacyError> {
    let cases: Vec<Case> = lookup::of_complainant(store, address)?
        .into_iter()
        .filter(|c| !c.anonymised)
        .collect();
    let open: Vec<String> = cases
        .iter()
        .filter(|c| !c.state.is_closed())
        .map(|c| c.id.to_string())
        .collect();
    if !open.is_empty() && !force {
        return Err(PrivacyError::OpenCases {
            address: address.to_string(),
            cases: open,
        });
    }
    let mut total = Erased::default();
    for c in &cases {
        total.add(anonymise_case(store, c.id, "verzoek", now)?);
    }
    // Messages from them outside their cases, and letters to them.
    let mut batch = Batch::new();
    for id in messages_from(store, address)? {
        total.messages += scrub_message(store, &mut batch, &id)? as u32;
    }
    outbox::each(store, |item| {
        if same(&item.to, address) {
            total.letters += scrub_letter(store, &mut batch, &item, address)? as u32;
        }
        Ok(())
    })?;
    // The rate-limit counters name the address too.
    let prefix = format!("rate/{}/", crate::address::normalize(address));
    for k in store.keys(Tree::Meta, prefix.as_bytes())? {
        batch.remove(Tree::Meta, k);
    }
    store.commit(&batch)?;
    Ok(total)
}

/// Whether a journalled message belongs to a case not yet anonymised:
/// received on it, or the witness copy of a letter on it. Such messages go
/// with the case's own anonymisation, never before; one that arrived after
/// it (a late witness copy) goes with the retention period.
fn belongs_to_case(store: &Store, e: &Entry) -> Result<bool, StoreError> {
    let case = match &e.status {
        journal::Status::Processed { case: Some(c), .. } => c.parse::<CaseId>().ok(),
        journal::Status::Processed { outcome, .. } if outcome == "witness" => match &e.message_id {
            Some(mid) => outbox::item_by_message_id(store, mid)?.and_then(|i| i.case),
            None => None,
        },
        _ => None,
    };
    Ok(match case {
        Some(id) => lookup::load(store, id)?.is_some_and(|c| !c.anonymised),
        None => false,
    })
}

/// When a closed case's retention period ends.
fn retention_ends(c: &Case, policy: &Policy, cal: &Calendar) -> Option<DateTime<Utc>> {
    let term = policy.retention?;
    if !c.state.is_closed() || c.anonymised {
        return None;
    }
    Some(cal.due(c.updated.unwrap_or(c.received), term))
}

/// Anonymises every closed case whose retention period ended, and deletes
/// the raw bytes of messages and letters outside cases that are older than
/// the period. Returns what it did.
pub fn apply_retention(
    store: &Store,
    policy: &Policy,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Result<Erased, StoreError> {
    let mut total = Erased::default();
    let Some(term) = policy.retention else {
        return Ok(total);
    };
    // One record at a time: this runs hourly in the daemon, whose memory
    // must not grow with the store.
    let mut ended = Vec::new();
    lookup::each(store, |c| {
        if retention_ends(&c, policy, cal).is_some_and(|end| now > end) {
            ended.push(c.id);
        }
        Ok(())
    })?;
    for id in ended {
        total.add(anonymise_case(store, id, "bewaartermijn", now)?);
    }
    let mut batch = Batch::new();
    store.each::<Entry>(Tree::Journal, b"", |e| {
        let pending = !matches!(&e.status, journal::Status::Processed { .. });
        // Cheapest test first: most entries are too young to matter.
        if !pending
            && now > cal.due(e.received_at, term)
            && store.get_raw(Tree::Raw, e.id.as_bytes())?.is_some()
            && !belongs_to_case(store, &e)?
        {
            total.messages += scrub_message(store, &mut batch, &e.id)? as u32;
        }
        Ok(())
    })?;
    outbox::each(store, |item| {
        let done = matches!(
            item.status,
            outbox::Status::Sent { .. } | outbox::Status::Failed { .. }
        );
        if item.case.is_none()
            && done
            && now > cal.due(item.created, term)
            && store
                .get_raw(Tree::OutboxRaw, item.id.as_bytes())?
                .is_some()
        {
            total.letters += scrub_letter(store, &mut batch, &item, &item.to.clone())? as u32;
        }
        Ok(())
    })?;
    store.commit(&batch)?;
    if !total.cases.is_empty() || total.messages > 0 || total.letters > 0 {
        tracing::info!(
            cases = total.cases.len(),
            messages = total.messages,
            letters = total.letters,
            "retention period ended: personal data removed"
        );
    }
    Ok(total)
}
