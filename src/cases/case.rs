//! The case: the fold of its events. Applying an event is the only way a
//! case changes; [`crate::cases::change::Change`] records events and writes
//! them with the case's new snapshot in one batch.

use crate::cases::event::{Event, EventKind};
use crate::cases::id::CaseId;
use crate::cases::state::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// The complainant's phone number, when known.
    #[serde(default)]
    pub phone: Option<String>,
    /// The complainant's postal address, when known.
    #[serde(default)]
    pub postal_address: Option<String>,
    /// The staff member who brought the complaint in (a forward, a form).
    #[serde(default)]
    pub via: Option<String>,
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
    /// When the complainant last lodged an appeal.
    #[serde(default)]
    pub appealed: Option<DateTime<Utc>>,
    /// The appeal's outcome: whether it was judged justified.
    #[serde(default)]
    pub appeal_justified: Option<bool>,
    /// Marked complex (`#complex`).
    #[serde(default)]
    pub complex: bool,
    /// A claim for damages, when one was registered.
    #[serde(default)]
    pub damage_claim: Option<DamageClaim>,
    /// The reactions of the people involved, as heard (both sides heard).
    #[serde(default)]
    pub reactions: Vec<String>,
    /// Steps started by command, with when (and for when, if planned).
    #[serde(default)]
    pub steps_started: std::collections::BTreeMap<String, DateTime<Utc>>,
    /// The date a started step is planned for (`#bezoek gepland 04-12-2026`).
    #[serde(default)]
    pub steps_planned: std::collections::BTreeMap<String, chrono::NaiveDate>,
    /// Steps ended by command, with when.
    #[serde(default)]
    pub steps_done: std::collections::BTreeMap<String, DateTime<Utc>>,
    /// What staff said the opening message is, when they confirmed or
    /// corrected the classifier (`klacht`, `vraag`, `compliment`, `idee`,
    /// `overig`); a case that is not a complaint is withdrawn and left out
    /// of the figures.
    #[serde(default)]
    pub relabelled: Option<String>,
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
}

/// A claim for damages registered on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DamageClaim {
    /// When the damage was discovered.
    pub discovered: chrono::NaiveDate,
    /// When the claim was registered.
    pub registered: DateTime<Utc>,
    /// Whether it came after the limitation term.
    pub late: bool,
}

impl Case {
    /// Whether the case is a complaint: not withdrawn as a question,
    /// compliment, idea or other message.
    pub fn is_complaint(&self) -> bool {
        self.relabelled.as_deref().is_none_or(|l| l == "klacht")
    }

    /// Whether the complainant can be written to by mail (an offline
    /// complaint may have no address: their letters go to the handler).
    pub fn has_email(&self) -> bool {
        !self.complainant.is_empty()
    }

    /// Whether `addr` may write on the case (the complainant, staff who
    /// worked on it, people who wrote on it).
    pub fn is_participant(&self, addr: &str) -> bool {
        let a = crate::address::normalize(addr);
        self.participants
            .iter()
            .any(|p| crate::address::normalize(p) == a)
    }

    /// Whether `addr` is the complainant.
    pub fn is_complainant(&self, addr: &str) -> bool {
        self.has_email()
            && crate::address::normalize(addr) == crate::address::normalize(&self.complainant)
    }

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
            phone,
            postal_address,
            via,
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
            phone: phone.clone(),
            postal_address: postal_address.clone(),
            via: via.clone(),
            received: first.at,
            acknowledged: None,
            handler: None,
            participants: Some(complainant.to_ascii_lowercase())
                .into_iter()
                .chain(via.as_ref().map(|v| v.to_ascii_lowercase()))
                .filter(|p| !p.is_empty())
                .collect(),
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
            appealed: None,
            appeal_justified: None,
            complex: false,
            damage_claim: None,
            reactions: Vec::new(),
            steps_started: Default::default(),
            steps_planned: Default::default(),
            steps_done: Default::default(),
            relabelled: None,
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
                    // Reopened after a correction: the sender insisted, so
                    // it is a complaint after all.
                    if self.relabelled.as_deref().is_some_and(|l| l != "klacht") {
                        self.relabelled = Some("klacht".into());
                    }
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
                // A judgement after an appeal was lodged is the appeal's outcome.
                if self
                    .appealed
                    .is_some_and(|a| self.decided.is_some_and(|d| d <= a))
                {
                    self.appeal_justified = Some(*justified);
                }
                self.justified = Some(*justified);
                self.decided.get_or_insert(e.at);
                if *justified {
                    self.justified_at.get_or_insert(e.at);
                }
            }
            EventKind::Anonymised { .. } => self.anonymised = true,
            EventKind::AppealLodged { .. } => self.appealed = Some(e.at),
            EventKind::Relabelled { label } => {
                self.relabelled = Some(label.clone());
                if label != "klacht" {
                    self.entered.entry(State::Gesloten).or_insert(e.at);
                    self.state = State::Gesloten;
                    self.outcome = Some(format!("geen klacht ({label})"));
                }
            }
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
            EventKind::MarkedUrgent => {
                // A policy may give urgent complaints a shorter term: the
                // term's timers are planned afresh.
                if !self.urgent {
                    self.urgent = true;
                    self.term_changes += 1;
                }
            }
            EventKind::MarkedComplex => self.complex = true,
            EventKind::DamageClaimed {
                discovered, late, ..
            } => {
                self.damage_claim = Some(DamageClaim {
                    discovered: *discovered,
                    registered: e.at,
                    late: *late,
                })
            }
            EventKind::InvolvedReaction { text } => self.reactions.push(text.clone()),
            EventKind::StepStarted { step, planned } => {
                self.steps_done.remove(step);
                self.steps_started.insert(step.clone(), e.at);
                match planned {
                    Some(d) => self.steps_planned.insert(step.clone(), *d),
                    None => self.steps_planned.remove(step),
                };
            }
            EventKind::StepDone { step } => {
                self.steps_done.entry(step.clone()).or_insert(e.at);
            }
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
