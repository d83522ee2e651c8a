//! Cases: the case number, the states of the procedure, the events that
//! change a case, and the case itself as the fold of its events. Reading and
//! writing cases in the store lives here too (`load`, `events`, `append`).

use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A case number: `KL-<year>-<4+ digits>`, sequential per year, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId {
    /// Year of receipt.
    pub year: i32,
    /// Sequence number within the year, from 1.
    pub number: u32,
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KL-{}-{:04}", self.year, self.number)
    }
}

impl FromStr for CaseId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a case number like KL-2026-0042");
        let rest = s
            .strip_prefix("KL-")
            .or_else(|| s.strip_prefix("kl-"))
            .ok_or_else(bad)?;
        let (y, n) = rest.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || n.len() < 4 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(CaseId {
            year: y.parse().map_err(|_| bad())?,
            number: n.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for CaseId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CaseId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl CaseId {
    /// Store key: sortable by year and number.
    pub fn key(&self) -> Vec<u8> {
        format!("{:04}-{:010}", self.year, self.number).into_bytes()
    }
    /// Finds the first `KL-YYYY-NNNN` in a text (a subject, say).
    pub fn find_in(text: &str) -> Option<CaseId> {
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(pos) = text[i..].find(['K', 'k']) {
            let start = i + pos;
            let tail = &text[start..];
            if tail.len() >= 12 && tail[..3].eq_ignore_ascii_case("KL-") {
                let digits_end = 8 + tail[8..].bytes().take_while(|b| b.is_ascii_digit()).count();
                if let Ok(id) = CaseId::from_str(&format!("KL-{}", &tail[3..digits_end.max(8)])) {
                    let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
                    if before_ok {
                        return Some(id);
                    }
                }
            }
            i = start + 1;
        }
        None
    }
}

/// The states of the procedure (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Received, not yet acknowledged.
    Ontvangen,
    /// Acknowledged to the complainant.
    Bevestigd,
    /// Taken into treatment.
    InBehandeling,
    /// Not taken into treatment (with reason).
    NietInBehandeling,
    /// Waiting for the complainant (clock paused where the policy says so).
    WachtOpKlager,
    /// Judged: justified or not.
    Beoordeeld,
    /// Resolved.
    Opgelost,
    /// Closed.
    Gesloten,
    /// Appealed / escalated beyond the handler.
    Beroep,
}

impl State {
    /// The name as written in commands and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ontvangen => "ontvangen",
            State::Bevestigd => "bevestigd",
            State::InBehandeling => "in_behandeling",
            State::NietInBehandeling => "niet_in_behandeling",
            State::WachtOpKlager => "wacht_op_klager",
            State::Beoordeeld => "beoordeeld",
            State::Opgelost => "opgelost",
            State::Gesloten => "gesloten",
            State::Beroep => "beroep",
        }
    }
    /// Whether the case is finished.
    pub fn is_closed(self) -> bool {
        matches!(self, State::Gesloten | State::NietInBehandeling)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The case was opened from a message.
    Opened {
        /// Complainant address.
        complainant: String,
        /// Complainant display name.
        name: Option<String>,
        /// Subject of the first message (header-safe).
        subject: String,
        /// Short description: the first lines of the complaint.
        summary: String,
        /// Language of the correspondence.
        language: String,
        /// How it came in (`email`, `telefoon`, …).
        channel: String,
        /// Category the classifier gave.
        #[serde(default)]
        category: Option<String>,
        /// Urgent (danger, safety, imminent damage).
        #[serde(default)]
        urgent: bool,
    },
    /// A message came in on this case.
    MessageIn {
        /// Journal id of the message.
        journal_id: String,
        /// Its Message-ID.
        message_id: Option<String>,
        /// Sender address.
        from: String,
        /// Subject (header-safe).
        subject: String,
        /// What it was (`complaint`, `reply`, `auto_reply`, …).
        role: String,
        /// Its attachments (those not kept are marked).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<crate::inbound::Attachment>,
    },
    /// A letter was queued in the outbox.
    LetterQueued {
        /// Outbox id.
        outbox_id: String,
        /// Template name.
        letter: String,
        /// Recipient.
        to: String,
        /// Its Message-ID.
        #[serde(default)]
        message_id: Option<String>,
        /// Its subject.
        #[serde(default)]
        subject: Option<String>,
    },
    /// A letter bounced (a delivery status notification came back).
    LetterBounced {
        /// Outbox id.
        outbox_id: String,
        /// The address that could not be reached.
        to: String,
    },
    /// A letter was not sent because of the rate limits on automatic mail.
    LetterSuppressed {
        /// Template name.
        letter: String,
        /// Intended recipient.
        to: String,
    },
    /// A letter was handed to the mail server.
    LetterSent {
        /// Outbox id.
        outbox_id: String,
        /// Template name.
        letter: String,
        /// Recipient.
        to: String,
    },
    /// A letter could not be delivered.
    LetterFailed {
        /// Outbox id.
        outbox_id: String,
        /// Template name.
        letter: String,
        /// The last delivery error (named `error`: `reason` is the event's own field).
        error: String,
    },
    /// The state changed.
    StateChanged {
        /// New state.
        to: State,
    },
    /// A handler was assigned.
    HandlerAssigned {
        /// The handler's address.
        handler: String,
    },
    /// The complaint was judged justified (gegrond) or not.
    Judged {
        /// Justified?
        justified: bool,
    },
    /// An internal note (never sent to the complainant).
    Note {
        /// The note.
        text: String,
    },
    /// An offer to the complainant (correction, compensation, replacement).
    Offer {
        /// What is offered.
        text: String,
    },
    /// The category was set.
    CategorySet {
        /// The category.
        category: String,
    },
    /// The case was marked urgent.
    MarkedUrgent,
    /// The handling term was extended.
    Extended {
        /// By how much, as written (`4 weken`).
        by: String,
    },
    /// Staff answered the complainant (relayed or in Cc).
    StaffReply {
        /// Who wrote it.
        from: String,
        /// `relayed` or `cc`.
        mode: String,
    },
    /// The complainant answered the offer.
    OfferAnswered {
        /// Accepted?
        accepted: bool,
    },
    /// The outcome was registered.
    OutcomeSet {
        /// The outcome.
        text: String,
    },
    /// An employee involved in the complaint was registered.
    InvolvedAdded {
        /// The employee's address.
        who: String,
    },
    /// The complainant's satisfaction was registered.
    SatisfactionSet {
        /// As heard.
        text: String,
    },
    /// The written report after resolution was registered.
    Reported {
        /// What it said, in short.
        #[serde(default)]
        text: Option<String>,
    },
    /// The cause was registered (improvement register).
    CauseSet {
        /// The cause.
        text: String,
    },
    /// A measure against recurrence was registered.
    MeasureAdded {
        /// The measure.
        text: String,
    },
    /// A reminder or escalation timer fired.
    TimerFired {
        /// Which (`herinnering-2`, `termijn-verstreken`, `management-2`).
        timer: String,
        /// When the term ends.
        term_end: DateTime<Utc>,
    },
    /// The personal data of the case was removed (retention period ended,
    /// or the complainant asked for erasure); the statistics remain.
    Anonymised {
        /// Why (`bewaartermijn`, `verzoek`).
        why: String,
    },
    /// A staff command was refused.
    CommandRejected {
        /// The command line.
        command: String,
        /// Why (named `why`: `reason` is the event's own field).
        why: String,
    },
}

/// Whether the procedure allows `from → to`. `requires_judgement`: a case
/// can only be resolved after it was judged (gegrond/ongegrond).
pub fn transition_allowed(from: State, to: State, requires_judgement: bool) -> bool {
    use State::*;
    match (from, to) {
        (a, b) if a == b => false,
        (Ontvangen | Bevestigd, InBehandeling | NietInBehandeling | WachtOpKlager) => true,
        (Ontvangen, Bevestigd) => true,
        (InBehandeling, WachtOpKlager | Beoordeeld | NietInBehandeling) => true,
        (InBehandeling, Opgelost) => !requires_judgement,
        (WachtOpKlager, InBehandeling | Beoordeeld) => true,
        (Beoordeeld, Opgelost | InBehandeling | Beroep | Gesloten) => true,
        (Opgelost, Gesloten | Beroep | InBehandeling) => true,
        (NietInBehandeling, Gesloten | Beroep | InBehandeling) => true,
        (Gesloten, InBehandeling | Beroep) => true,
        (Beroep, InBehandeling | Beoordeeld | Gesloten) => true,
        _ => false,
    }
}

/// One event in a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the case history, from 0.
    pub seq: u32,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (`klachtd`, an address).
    pub actor: String,
    /// Why, when there is a reason to give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// A case: the fold of its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Case number.
    pub id: CaseId,
    /// Current state.
    pub state: State,
    /// Complainant address.
    pub complainant: String,
    /// Complainant display name.
    pub name: Option<String>,
    /// Subject of the first message.
    pub subject: String,
    /// Short description of the complaint.
    pub summary: String,
    /// Language of the correspondence.
    pub language: String,
    /// Channel it came in through.
    pub channel: String,
    /// Category (dienstverlening, product, medewerker, advies_informatie, termijn).
    #[serde(default)]
    pub category: Option<String>,
    /// Urgent.
    #[serde(default)]
    pub urgent: bool,
    /// When it was received.
    pub received: DateTime<Utc>,
    /// When the acknowledgement was sent.
    pub acknowledged: Option<DateTime<Utc>>,
    /// Handler (never someone involved in the complaint).
    pub handler: Option<String>,
    /// Everyone who may write on this case by subject tag.
    pub participants: Vec<String>,
    /// Number of messages received on the case.
    pub messages_in: u32,
    /// Number of letters sent.
    pub letters_sent: u32,
    /// Judged justified (gegrond) or not, once judged.
    #[serde(default)]
    pub justified: Option<bool>,
    /// Offers made to the complainant.
    #[serde(default)]
    pub offers: Vec<String>,
    /// Since when the case waits for the complainant (clock paused).
    #[serde(default)]
    pub waiting_since: Option<DateTime<Utc>>,
    /// Calendar days the clock was paused while waiting for the complainant.
    #[serde(default)]
    pub paused_days: u32,
    /// How often the term moved (extensions, resumed clock): timers planned
    /// before the latest change no longer apply.
    #[serde(default)]
    pub term_changes: u32,
    /// Mail to the complainant bounced or failed for good.
    #[serde(default)]
    pub undeliverable: bool,
    /// Whether the complainant accepted the latest offer.
    #[serde(default)]
    pub offer_accepted: Option<bool>,
    /// Employees involved in the complaint (never its handler).
    #[serde(default)]
    pub involved: Vec<String>,
    /// When the written report after resolution was registered.
    #[serde(default)]
    pub reported: Option<DateTime<Utc>>,
    /// The cause, as registered for the improvement register.
    #[serde(default)]
    pub cause: Option<String>,
    /// Measures taken to prevent recurrence.
    #[serde(default)]
    pub measures: Vec<String>,
    /// The complainant's satisfaction, as registered.
    #[serde(default)]
    pub satisfaction: Option<String>,
    /// Extensions of the handling term.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Outcome or reason (e.g. why it was not taken into treatment).
    #[serde(default)]
    pub outcome: Option<String>,
    /// When staff first answered the complainant.
    #[serde(default)]
    pub first_response: Option<DateTime<Utc>>,
    /// When it was resolved.
    #[serde(default)]
    pub resolved: Option<DateTime<Utc>>,
    /// Message-IDs of the complainant's side of the thread, oldest first.
    #[serde(default)]
    pub thread: Vec<String>,
    /// Subjects of the letters sent to the complainant (to thread replies
    /// whose subject a mail client truncated).
    #[serde(default)]
    pub thread_subjects: Vec<String>,
    /// When a position was first taken (judged, or not taken into treatment).
    #[serde(default)]
    pub decided: Option<DateTime<Utc>>,
    /// When it was judged justified (gegrond), for terms that start there.
    #[serde(default)]
    pub justified_at: Option<DateTime<Utc>>,
    /// When the case first entered each state (for the terms of the steps).
    #[serde(default)]
    pub entered: std::collections::BTreeMap<State, DateTime<Utc>>,
    /// The personal data was removed after the retention period (or on
    /// request); the statistics remain.
    #[serde(default)]
    pub anonymised: bool,
    /// When the last event happened (retention counts from here once closed).
    #[serde(default)]
    pub updated: Option<DateTime<Utc>>,
    /// Number of events (the next event's seq).
    pub version: u32,
}

/// Errors of case operations.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The first event of a case must be `Opened`.
    #[error("case history of {0} does not start with an opening event")]
    NotOpened(CaseId),
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Case {
    /// Folds a history into a case.
    pub fn from_events(id: CaseId, events: &[Event]) -> Result<Case, CaseError> {
        let first = events.first().ok_or(CaseError::NotOpened(id))?;
        let EventKind::Opened {
            complainant,
            name,
            subject,
            summary,
            language,
            channel,
            category,
            urgent,
        } = &first.kind
        else {
            return Err(CaseError::NotOpened(id));
        };
        let mut case = Case {
            id,
            state: State::Ontvangen,
            complainant: complainant.clone(),
            name: name.clone(),
            subject: subject.clone(),
            summary: summary.clone(),
            language: language.clone(),
            channel: channel.clone(),
            category: category.clone(),
            urgent: *urgent,
            received: first.at,
            acknowledged: None,
            handler: None,
            participants: vec![complainant.to_ascii_lowercase()],
            messages_in: 0,
            letters_sent: 0,
            justified: None,
            offers: Vec::new(),
            offer_accepted: None,
            undeliverable: false,
            waiting_since: None,
            paused_days: 0,
            term_changes: 0,
            involved: Vec::new(),
            satisfaction: None,
            cause: None,
            reported: None,
            measures: Vec::new(),
            extensions: Vec::new(),
            outcome: None,
            first_response: None,
            resolved: None,
            thread: Vec::new(),
            thread_subjects: Vec::new(),
            decided: None,
            justified_at: None,
            entered: [(State::Ontvangen, first.at)].into_iter().collect(),
            anonymised: false,
            updated: Some(first.at),
            version: 1,
        };
        for e in &events[1..] {
            case.apply(e);
        }
        Ok(case)
    }

    fn add_participant(&mut self, addr: &str) {
        let a = addr.to_ascii_lowercase();
        if !a.is_empty() && !self.participants.contains(&a) {
            self.participants.push(a);
        }
    }

    /// Applies one event (the fold step).
    pub fn apply(&mut self, e: &Event) {
        self.version = e.seq + 1;
        self.updated = Some(e.at);
        match &e.kind {
            EventKind::Opened { .. } => {}
            EventKind::MessageIn {
                from,
                role,
                message_id,
                ..
            } => {
                self.messages_in += 1;
                if role != "automatic" {
                    self.add_participant(from);
                }
                if from.eq_ignore_ascii_case(&self.complainant) {
                    self.thread.extend(message_id.clone());
                }
            }
            EventKind::LetterQueued {
                to,
                message_id,
                subject,
                ..
            } => {
                if to.eq_ignore_ascii_case(&self.complainant) {
                    self.thread.extend(message_id.clone());
                    if let Some(s) = subject {
                        if !self.thread_subjects.contains(s) {
                            self.thread_subjects.push(s.clone());
                        }
                    }
                }
            }
            EventKind::LetterSuppressed { .. } => {}
            EventKind::LetterFailed { .. } => {
                // A permanent failure to the complainant: they cannot be reached.
                self.undeliverable = true;
            }
            EventKind::LetterBounced { to, .. } => {
                if to.eq_ignore_ascii_case(&self.complainant) {
                    self.undeliverable = true;
                }
            }
            EventKind::LetterSent { letter, .. } => {
                self.letters_sent += 1;
                if letter == "ontvangstbevestiging" && self.acknowledged.is_none() {
                    self.acknowledged = Some(e.at);
                    if self.state == State::Ontvangen {
                        self.state = State::Bevestigd;
                        self.entered.entry(State::Bevestigd).or_insert(e.at);
                    }
                }
            }
            EventKind::StateChanged { to } => {
                if self.state == State::WachtOpKlager && *to != State::WachtOpKlager {
                    // The clock ran again: count the paused calendar days.
                    if let Some(since) = self.waiting_since.take() {
                        self.paused_days += (e.at - since).num_days().max(0) as u32;
                    }
                    self.term_changes += 1;
                }
                if *to == State::WachtOpKlager {
                    self.waiting_since = Some(e.at);
                }
                self.entered.entry(*to).or_insert(e.at);
                if matches!(to, State::Beoordeeld | State::NietInBehandeling) {
                    self.decided.get_or_insert(e.at);
                }
                self.state = *to;
                if *to == State::Opgelost && self.resolved.is_none() {
                    self.resolved = Some(e.at);
                }
                if *to == State::InBehandeling {
                    self.resolved = None;
                }
                if *to == State::NietInBehandeling {
                    self.outcome = e.reason.clone();
                }
            }
            EventKind::HandlerAssigned { handler } => {
                self.handler = Some(handler.clone());
                self.add_participant(handler);
            }
            EventKind::Judged { justified } => {
                self.justified = Some(*justified);
                self.decided.get_or_insert(e.at);
                if *justified {
                    self.justified_at.get_or_insert(e.at);
                }
            }
            EventKind::Anonymised { .. } => self.anonymised = true,
            EventKind::Note { .. }
            | EventKind::CommandRejected { .. }
            | EventKind::TimerFired { .. } => {}
            EventKind::Offer { text } => {
                self.offers.push(text.clone());
                self.offer_accepted = None;
            }
            EventKind::OfferAnswered { accepted } => self.offer_accepted = Some(*accepted),
            EventKind::OutcomeSet { text } => self.outcome = Some(text.clone()),
            EventKind::InvolvedAdded { who } => {
                if !self.involved.contains(who) {
                    self.involved.push(who.clone());
                }
            }
            EventKind::SatisfactionSet { text } => self.satisfaction = Some(text.clone()),
            EventKind::CauseSet { text } => self.cause = Some(text.clone()),
            EventKind::Reported { .. } => self.reported = Some(e.at),
            EventKind::MeasureAdded { text } => self.measures.push(text.clone()),
            EventKind::CategorySet { category } => self.category = Some(category.clone()),
            EventKind::MarkedUrgent => self.urgent = true,
            EventKind::Extended { by } => {
                self.extensions.push(by.clone());
                self.term_changes += 1;
            }
            EventKind::StaffReply { from, .. } => {
                if self.first_response.is_none() {
                    self.first_response = Some(e.at);
                }
                self.add_participant(from);
            }
        }
    }
}

/// A case's key in the events tree.
pub(crate) fn event_key(id: CaseId, seq: u32) -> Vec<u8> {
    let mut k = id.key();
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Loads a case snapshot.
pub fn load(store: &Store, id: CaseId) -> Result<Option<Case>, StoreError> {
    store.get(Tree::Cases, &id.key())
}

/// Loads a case's full history.
pub fn events(store: &Store, id: CaseId) -> Result<Vec<Event>, StoreError> {
    let mut prefix = id.key();
    prefix.push(0);
    store.scan(Tree::Events, &prefix)
}

/// Every case, in case-number order.
pub fn all(store: &Store) -> Result<Vec<Case>, StoreError> {
    store.scan(Tree::Cases, b"")
}

/// Adds to `batch` a new case from its opening event (plus further events).
/// The batch fails if the case number is already taken.
pub fn create(batch: &mut Batch, id: CaseId, events: &[Event]) -> Result<Case, CaseError> {
    let case = Case::from_events(id, events)?;
    batch.expect(Tree::Cases, id.key(), None);
    let previous = id.number.checked_sub(1).filter(|n| *n > 0);
    batch.expect(
        Tree::Meta,
        counter_key(id.year),
        previous.map(|n| serde_json::to_vec(&n).unwrap_or_default()),
    );
    batch.put(Tree::Meta, counter_key(id.year), &id.number);
    for e in events {
        batch.put(Tree::Events, event_key(id, e.seq), e);
    }
    batch.put(Tree::Cases, id.key(), &case);
    batch.put_raw(
        Tree::ByComplainant,
        complainant_key(&case.complainant, id),
        Vec::new(),
    );
    Ok(case)
}

pub(crate) fn complainant_key(addr: &str, id: CaseId) -> Vec<u8> {
    let mut k = crate::address::normalize(addr).into_bytes();
    k.push(0);
    k.extend(id.key());
    k
}

/// The cases a person complained in, newest first.
pub fn of_complainant(store: &Store, addr: &str) -> Result<Vec<Case>, StoreError> {
    let mut prefix = crate::address::normalize(addr).into_bytes();
    prefix.push(0);
    let mut out = Vec::new();
    for k in store.keys(Tree::ByComplainant, &prefix)?.iter().rev() {
        let key = &k[prefix.len()..];
        if let Some(c) = store.get::<Case>(Tree::Cases, key)? {
            out.push(c);
        }
    }
    Ok(out)
}

/// A subject without reply/forward prefixes (`Re:`, `Antw:`, `AW:`, `Fwd:`,
/// `Doorst:`, `WG:`, `TR:`, `SV:`, `Re[2]:`), folded to lower case and single
/// spaces, without a trailing ellipsis.
pub fn base_subject(subject: &str) -> String {
    let mut s = subject.trim().to_lowercase();
    loop {
        let before = s.clone();
        for p in [
            "re", "antw", "aw", "fw", "fwd", "doorst", "wg", "tr", "sv", "vs", "ant", "r",
        ] {
            if let Some(rest) = s.strip_prefix(p) {
                let rest = rest.trim_start();
                // Optional counter: Re[2]: / Re(2):
                let rest = if rest.starts_with(['[', '(']) {
                    rest.find([']', ')'])
                        .map(|i| &rest[i + 1..])
                        .unwrap_or(rest)
                } else {
                    rest
                };
                if let Some(rest) = rest.trim_start().strip_prefix(':') {
                    s = rest.trim_start().to_string();
                }
            }
        }
        if s == before {
            break;
        }
    }
    let s = s.trim_end_matches(['.', '…', ' ']);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Adds to `batch` new events on an existing case; the batch fails if the
/// case changed since `case` was read. Returns the updated case.
pub fn append(
    batch: &mut Batch,
    case: &Case,
    new: Vec<(DateTime<Utc>, String, Option<String>, EventKind)>,
) -> Case {
    let mut updated = case.clone();
    batch.expect(
        Tree::Cases,
        case.id.key(),
        Some(serde_json::to_vec(case).unwrap_or_default()),
    );
    for (at, actor, reason, kind) in new {
        let e = Event {
            seq: updated.version,
            at,
            actor,
            reason,
            kind,
        };
        updated.apply(&e);
        batch.put(Tree::Events, event_key(case.id, e.seq), &e);
    }
    batch.put(Tree::Cases, case.id.key(), &updated);
    updated
}

/// Meta key of a year's case counter.
fn counter_key(year: i32) -> Vec<u8> {
    format!("case-counter/{year:04}").into_bytes()
}

/// The next free case number of `year`. Numbers come from a per-year counter
/// that only grows, so a number is never reused, even after an erasure; the
/// processor is its only allocator and `create`'s precondition catches a race.
pub fn next_id(store: &Store, year: i32) -> Result<CaseId, StoreError> {
    let last: u32 = store.get(Tree::Meta, &counter_key(year))?.unwrap_or(0);
    Ok(CaseId {
        year,
        number: last + 1,
    })
}

/// The year a case received at `at` is numbered in (organisation's view is
/// close enough to UTC at New Year for numbering).
pub fn year_of(at: DateTime<Utc>) -> i32 {
    at.year()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_subjects_fold_prefixes_and_ellipses() {
        assert_eq!(
            base_subject("Re: Antw: AW: Fwd: Doorst: WG: Uw klacht"),
            "uw klacht"
        );
        assert_eq!(base_subject("RE[2]:  Uw   klacht…"), "uw klacht");
        assert_eq!(base_subject("Reparatie dak"), "reparatie dak");
    }

    #[test]
    fn case_numbers_round_trip_and_are_found_in_subjects() {
        let id: CaseId = "KL-2026-0042".parse().unwrap();
        assert_eq!(id.to_string(), "KL-2026-0042");
        assert_eq!(
            CaseId::find_in("Re: Antw: [KL-2026-0042] Uw klacht"),
            Some(id)
        );
        assert_eq!(
            CaseId::find_in("Re: uw klacht kl-2026-12345 ..."),
            Some(CaseId {
                year: 2026,
                number: 12345
            })
        );
        assert_eq!(CaseId::find_in("XKL-2026-0042"), None);
        assert_eq!(CaseId::find_in("KL-26-1"), None);
        assert!("KL-2026-42".parse::<CaseId>().is_err());
        assert_eq!(
            CaseId {
                year: 2026,
                number: 7
            }
            .to_string(),
            "KL-2026-0007"
        );
    }
}
