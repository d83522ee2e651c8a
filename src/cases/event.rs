//! What happens to a case: its events. A case is the fold of its events
//! ([`crate::cases::case::Case::from_events`]).

use crate::cases::state::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The actor of the events klachtd itself records.
pub const KLACHTD: &str = "klachtd";

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
        /// The complainant's phone number, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<String>,
        /// The complainant's postal address, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        postal_address: Option<String>,
        /// The staff member who brought it in (a forward, a form).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
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
        attachments: Vec<crate::intake::inbound::Attachment>,
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
    /// The case was marked complex (`#complex`): routes may send it on.
    MarkedComplex,
    /// A claim for damages was registered (`#schadeclaim DATUM`).
    DamageClaimed {
        /// When the complainant discovered the damage.
        discovered: chrono::NaiveDate,
        /// Whether the claim came after the policy's limitation term.
        late: bool,
        /// What is claimed, as staff wrote it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// The reaction of the person the complaint is about was heard
    /// (`#reactie-betrokkene tekst`): both sides heard.
    InvolvedReaction {
        /// The reaction, as summarised by the handler.
        text: String,
    },
    /// A step of the procedure started by command (`#bezoek gepland DATUM`).
    StepStarted {
        /// The step.
        step: String,
        /// The date it is planned for, when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        planned: Option<chrono::NaiveDate>,
    },
    /// A step of the procedure ended by command (`#bezoek gedaan`).
    StepDone {
        /// The step.
        step: String,
    },
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
    /// The complainant lodged an appeal (by answering the `beroep` letter).
    AppealLodged {
        /// Who lodged it.
        by: String,
    },
    /// Staff confirmed (`klacht`) or corrected what kind of message opened
    /// the case; anything but `klacht` withdraws the case.
    Relabelled {
        /// `klacht`, `vraag`, `compliment`, `idee` or `overig`.
        label: String,
    },
    /// A staff command was refused.
    CommandRejected {
        /// The command line.
        command: String,
        /// Why (named `why`: `reason` is the event's own field).
        why: String,
    },
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
