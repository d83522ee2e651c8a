//! The processor: takes journalled messages in arrival order, decides what
//! each one is (loop check → witness copy → thread → new case), and applies
//! the decision — case, events, outbox items, journal status — in one
//! transaction. A message it cannot process becomes a dead letter with the
//! reason; it never stops the others.

use crate::address;
use crate::automated;
use crate::case::{self, Case, CaseId, EventKind};
use crate::config::Config;
use crate::deadline::Calendar;
use crate::inbound::Inbound;
use crate::journal::{self, Entry, Status};
use crate::letter::Letters;
use crate::outbox::{self, Letter, Sender};
use crate::policy::Policy;
use crate::store::{Batch, Store, StoreError, Tree};
use crate::text;
use crate::token::Signer;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Everything a decision needs besides the message and the store.
#[derive(Debug)]
pub struct Context<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The letter templates.
    pub letters: &'a Letters,
    /// The procedure.
    pub policy: &'a Policy,
    /// The working-day calendar.
    pub calendar: &'a Calendar,
    /// Token signer.
    pub signer: &'a Signer,
    /// Outgoing mail settings.
    pub sender: &'a Sender,
}

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
    fn label(&self) -> &'static str {
        match self {
            Outcome::NewCase(_) => "new_case",
            Outcome::AddedToCase(_) => "added_to_case",
            Outcome::Recorded(_) => "recorded",
            Outcome::Witness(_) => "witness",
        }
    }
    fn case(&self) -> Option<String> {
        match self {
            Outcome::NewCase(c) | Outcome::AddedToCase(c) => Some(c.to_string()),
            _ => None,
        }
    }
}

/// Why a message could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The message is not usable; it becomes a dead letter.
    #[error("{0}")]
    Unprocessable(String),
    /// The store failed; the message stays pending.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Totals of one processing pass.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// New cases opened.
    pub new_cases: u32,
    /// Messages added to cases.
    pub added: u32,
    /// Messages recorded without a case.
    pub recorded: u32,
    /// Witness copies matched.
    pub witnessed: u32,
    /// Dead letters.
    pub dead: u32,
}

/// Processes every pending journal entry.
pub fn process_pending(
    store: &Store,
    ctx: &Context<'_>,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<Report, StoreError> {
    let mut report = Report::default();
    for (queue_key, id) in journal::pending(store)? {
        let Some(entry) = journal::entry(store, &id)? else {
            let mut b = Batch::new();
            b.remove(Tree::Pending, queue_key);
            store.commit(&b)?;
            continue;
        };
        let mut tries = 0;
        loop {
            tries += 1;
            let t = now();
            let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                decide_and_build(store, ctx, &entry, &queue_key, t)
            }));
            let result = match attempt {
                Ok(r) => r,
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "unknown".into());
                    Err(ProcessError::Unprocessable(format!(
                        "internal error while processing (please report): {what}"
                    )))
                }
            };
            let (batch, outcome) = match result {
                Ok(v) => v,
                Err(ProcessError::Unprocessable(reason)) => {
                    tracing::warn!(journal = %id, %reason, "dead letter");
                    let mut b = Batch::new();
                    journal::settle(&mut b, &queue_key, &entry, Status::Dead { at: t, reason });
                    store.commit(&b)?;
                    report.dead += 1;
                    break;
                }
                Err(ProcessError::Store(e)) => return Err(e),
            };
            match store.commit(&batch) {
                Ok(()) => {
                    tracing::info!(journal = %id, outcome = ?outcome, "processed");
                    match outcome {
                        Outcome::NewCase(_) => report.new_cases += 1,
                        Outcome::AddedToCase(_) => report.added += 1,
                        Outcome::Recorded(_) => report.recorded += 1,
                        Outcome::Witness(_) => report.witnessed += 1,
                    }
                    break;
                }
                // Another writer (the outbox sender) changed a case meanwhile: decide again.
                Err(StoreError::Conflict(what)) if tries < 20 => {
                    tracing::debug!(journal = %id, %what, "conflict, retrying");
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(report)
}

/// Decides what a journalled message is and builds the batch that applies it.
fn decide_and_build(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    queue_key: &[u8],
    now: DateTime<Utc>,
) -> Result<(Batch, Outcome), ProcessError> {
    let unprocessable = ProcessError::Unprocessable;
    if entry.size > ctx.config.limits.max_message_bytes {
        return Err(unprocessable(format!(
            "message of {} bytes exceeds limits.max_message_bytes ({}); read it with `klachtd failed show {}` and handle it by hand",
            entry.size, ctx.config.limits.max_message_bytes, entry.id
        )));
    }
    let raw = journal::raw(store, &entry.id)?
        .ok_or_else(|| unprocessable("raw message missing from the journal".into()))?;
    let m = Inbound::parse(&raw)
        .ok_or_else(|| unprocessable("not a mail message: no header could be parsed".into()))?;
    let mut batch = Batch::new();
    let outcome = decide(store, ctx, entry, &m, now, &mut batch)?;
    journal::settle(
        &mut batch,
        queue_key,
        entry,
        Status::Processed {
            at: now,
            outcome: outcome.label().into(),
            case: outcome.case(),
        },
    );
    Ok((batch, outcome))
}

fn decide(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let complaints = ctx
        .config
        .organization
        .complaints_address
        .to_ascii_lowercase();

    // Our own outgoing mail coming back as its witness copy.
    if let Some(mid) = &m.message_id {
        if ctx.signer.verify_message_id(mid).is_some() {
            if let Some(item) = outbox::item_by_message_id(store, mid)? {
                if !matches!(item.status, outbox::Status::Sent { .. }) {
                    outbox::mark_sent(store, batch, &item, now)?;
                }
                return Ok(Outcome::Witness(item.id));
            }
            return Ok(Outcome::Recorded("copy of an outgoing klachtd mail".into()));
        }
    }

    let thread = find_case(store, ctx, m)?;

    // Automatic mail: recorded (on its case when it threads), never answered.
    if let Some(reason) = automated::detect(m) {
        if let Some(c) = thread {
            add_message(batch, &c, entry, m, "automatic", now);
            return Ok(Outcome::AddedToCase(c.id));
        }
        return Ok(Outcome::Recorded(format!("automatic mail: {reason}")));
    }
    let Some(from) = m.from.clone().filter(|f| address::is_valid(f)) else {
        return Ok(Outcome::Recorded("no usable sender address".into()));
    };
    if address::normalize(&from) == address::normalize(&complaints) {
        return Ok(Outcome::Recorded(
            "sent from the complaints address itself (loop guard)".into(),
        ));
    }

    if let Some(c) = thread {
        add_message(batch, &c, entry, m, "reply", now);
        return Ok(Outcome::AddedToCase(c.id));
    }

    open_case(store, ctx, entry, m, &from, now, batch)
}

/// Threading, in the order of DESIGN.md: our signed Message-IDs in
/// In-Reply-To/References (and the complainant's own earlier ids), the signed
/// plus-address, then the subject tag from a known participant.
fn find_case(store: &Store, ctx: &Context<'_>, m: &Inbound) -> Result<Option<Case>, StoreError> {
    for id in m.referenced_ids() {
        let cid = match ctx.signer.case_of_message_id(id) {
            Some(c) => Some(c),
            None => store
                .get_raw(Tree::Threads, id.as_bytes())?
                .and_then(|v| String::from_utf8(v).ok()?.parse::<CaseId>().ok()),
        };
        if let Some(cid) = cid {
            if let Some(c) = case::load(store, cid)? {
                return Ok(Some(c));
            }
        }
    }
    let complaints = &ctx.config.organization.complaints_address;
    for r in m.recipients() {
        if let Some(detail) = address::plus_detail(r, complaints) {
            if let Some(cid) = ctx.signer.verify_reply_detail(detail) {
                if let Some(c) = case::load(store, cid)? {
                    return Ok(Some(c));
                }
            }
        }
    }
    if let (Some(cid), Some(from)) = (CaseId::find_in(&m.subject), &m.from) {
        if let Some(c) = case::load(store, cid)? {
            let from = address::normalize(from);
            if c.participants.iter().any(|p| address::normalize(p) == from) {
                return Ok(Some(c));
            }
        }
    }
    Ok(None)
}

fn add_message(
    batch: &mut Batch,
    c: &Case,
    entry: &Entry,
    m: &Inbound,
    role: &str,
    now: DateTime<Utc>,
) {
    case::append(
        batch,
        c,
        vec![(
            now,
            m.from.clone().unwrap_or_default(),
            None,
            EventKind::MessageIn {
                journal_id: entry.id.clone(),
                message_id: m.message_id.clone(),
                from: m.from.clone().unwrap_or_default(),
                subject: address::header_safe(&m.subject, 250),
                role: role.into(),
            },
        )],
    );
    if let Some(mid) = &m.message_id {
        batch.put_raw(Tree::Threads, mid.as_bytes(), c.id.to_string().into_bytes());
    }
}

fn open_case(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    from: &str,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let received = entry.received_at;
    let id = case::next_id(store, case::year_of(received))?;
    let new_text = text::new_text(&m.text);
    let subject = address::header_safe(&m.subject, 250);
    let summary = {
        let s = text::summary(&new_text, 300);
        if s.is_empty() {
            subject.clone()
        } else {
            s
        }
    };
    let language = ctx.config.organization.language.clone();
    let mut events = vec![
        case::Event {
            seq: 0,
            at: received,
            actor: from.to_string(),
            reason: None,
            kind: EventKind::Opened {
                complainant: from.to_string(),
                name: m.from_name.clone(),
                subject: subject.clone(),
                summary: summary.clone(),
                language: language.clone(),
                channel: "email".into(),
            },
        },
        case::Event {
            seq: 1,
            at: now,
            actor: from.to_string(),
            reason: None,
            kind: EventKind::MessageIn {
                journal_id: entry.id.clone(),
                message_id: m.message_id.clone(),
                from: from.to_string(),
                subject: subject.clone(),
                role: "complaint".into(),
            },
        },
    ];
    let c =
        Case::from_events(id, &events).map_err(|e| ProcessError::Unprocessable(e.to_string()))?;

    // The acknowledgement.
    let ctx_json = letter_context(ctx, &c);
    let rendered = ctx
        .letters
        .render(&c.language, "ontvangstbevestiging", &ctx_json)
        .map_err(|e| ProcessError::Unprocessable(format!("acknowledgement cannot be rendered: {e}; fix the template and retry with `klachtd failed retry {}`", entry.id)))?;
    let reply_to = ctx.config.organization.complaints_address.clone();
    let references: Vec<String> = m
        .references
        .iter()
        .cloned()
        .chain(m.message_id.clone())
        .collect();
    let to = m
        .reply_to
        .clone()
        .filter(|r| address::is_valid(r))
        .unwrap_or_else(|| from.to_string());
    let (item, raw) = ctx
        .sender
        .compose(
            ctx.signer,
            &Letter {
                case: Some(id),
                letter: "ontvangstbevestiging",
                seq: 1,
                to: &to,
                to_name: m.from_name.as_deref(),
                rendered: &rendered,
                in_reply_to: m.message_id.as_deref(),
                references: &references,
                reply_to: &reply_to,
                auto_submitted: "auto-replied",
            },
            now,
        )
        .map_err(|e| ProcessError::Unprocessable(e.to_string()))?;
    outbox::enqueue(batch, &item, raw);
    events.push(case::Event {
        seq: events.len() as u32,
        at: now,
        actor: "klachtd".into(),
        reason: None,
        kind: EventKind::LetterQueued {
            outbox_id: item.id.clone(),
            letter: item.letter.clone(),
            to: item.to.clone(),
        },
    });
    case::create(batch, id, &events).map_err(|e| match e {
        case::CaseError::Store(s) => ProcessError::Store(s),
        other => ProcessError::Unprocessable(other.to_string()),
    })?;
    if let Some(mid) = &m.message_id {
        batch.put_raw(Tree::Threads, mid.as_bytes(), id.to_string().into_bytes());
    }
    Ok(Outcome::NewCase(id))
}

/// The variables of a letter about `c` (the shape of `letter::sample_context`).
pub fn letter_context(ctx: &Context<'_>, c: &Case) -> serde_json::Value {
    let decide_by = ctx.calendar.due_date(c.received, ctx.policy.terms.decide);
    json!({
        "org": {
            "name": ctx.config.organization.name,
            "complaints_address": ctx.config.organization.complaints_address,
        },
        "case": {
            "id": c.id.to_string(),
            "received": ctx.calendar.local_date(c.received).to_string(),
            "subject": c.subject,
            "summary": c.summary,
            "name": c.name.clone().unwrap_or_default(),
            "complainant": c.complainant,
            "state": c.state.as_str(),
            "language": c.language,
        },
        "term": {
            "acknowledge": ctx.policy.terms.acknowledge.to_string(),
            "decide": ctx.policy.terms.decide.to_string(),
            "decide_by": decide_by.to_string(),
        },
        "policy": {
            "name": ctx.policy.name,
            "handling": ctx.policy.handling(&c.language),
        },
    })
}
