//! The processor: takes journalled messages in arrival order, decides what
//! each one is (witness copy → thread → classify → act per policy), and applies
//! the decision — case, events, outbox items, journal status — in one
//! transaction. A message it cannot process becomes a dead letter with the
//! reason; it never stops the others.

use crate::address;
use crate::case::{self, Case, CaseId, EventKind};
use crate::classify::{Classifier, Verdict};
use crate::config::Config;
use crate::deadline::Calendar;
use crate::inbound::Inbound;
use crate::journal::{self, Entry, Status};
use crate::letter::Letters;
use crate::outbox::{self, Letter, Sender};
use crate::policy::Action;
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
    /// The complaint recogniser.
    pub classifier: &'a Classifier,
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
                    journal::settle(
                        &mut b,
                        &queue_key,
                        &entry,
                        Status::Dead { at: t, reason },
                        None,
                    );
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
    let mut m = Inbound::parse(&raw)
        .ok_or_else(|| unprocessable("not a mail message: no header could be parsed".into()))?;
    // Over the limit: the mail is kept (in the journal), the attachment is
    // recorded as not accepted and the sender told.
    m.refuse_attachments_over(ctx.config.limits.max_attachment_bytes);
    let mut batch = Batch::new();
    let (outcome, verdict) = decide(store, ctx, entry, &m, &raw, now, &mut batch)?;
    journal::settle(
        &mut batch,
        queue_key,
        entry,
        Status::Processed {
            at: now,
            outcome: outcome.label().into(),
            case: outcome.case(),
        },
        verdict,
    );
    Ok((batch, outcome))
}

#[allow(clippy::too_many_arguments)]
fn decide(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    raw: &[u8],
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<(Outcome, Option<Verdict>), ProcessError> {
    // Our own outgoing mail coming back as its witness copy.
    if let Some(mid) = &m.message_id {
        if ctx.signer.verify_message_id(mid).is_some() {
            if let Some(item) = outbox::item_by_message_id(store, mid)? {
                if !matches!(item.status, outbox::Status::Sent { .. }) {
                    outbox::mark_sent(store, batch, &item, now)?;
                }
                return Ok((Outcome::Witness(item.id), None));
            }
            return Ok((
                Outcome::Recorded("copy of an outgoing klachtd mail".into()),
                None,
            ));
        }
    }

    let verdict = ctx.classifier.classify_message(m);
    let thread = find_case(store, ctx, m)?;

    // Automatic mail: recorded (on its case when it threads), never answered.
    if let Some(reason) = &verdict.auto_reason {
        // A bounce of one of our letters: the contact is undeliverable.
        if m.content_type.starts_with("multipart/report")
            || reason.contains("bounce")
            || reason.contains("automatic sender")
        {
            if let Some((item, c)) = bounced_letter(store, ctx, raw)? {
                bounce(ctx, batch, entry, m, &item, &c, now)?;
                return Ok((Outcome::AddedToCase(c.id), Some(verdict)));
            }
        }
        if let Some(c) = thread {
            add_message(batch, &c, entry, m, "automatic", now, Vec::new());
            return Ok((Outcome::AddedToCase(c.id), Some(verdict)));
        }
        return Ok((
            Outcome::Recorded(format!("automatic mail: {reason}")),
            Some(verdict),
        ));
    }
    let Some(from) = m.from.clone().filter(|f| address::is_valid(f)) else {
        return Ok((
            Outcome::Recorded("no usable sender address".into()),
            Some(verdict),
        ));
    };
    if address::normalize(&from) == address::normalize(&ctx.config.organization.complaints_address)
    {
        return Ok((
            Outcome::Recorded("sent from the complaints address itself (loop guard)".into()),
            Some(verdict),
        ));
    }

    // Staff: commands and replies to relay, or Cc-mode copies.
    if ctx.config.is_staff(&from) {
        let outcome = crate::staff::handle(store, ctx, entry, m, &from, thread, now, batch)?;
        return Ok((outcome, Some(verdict)));
    }

    // A reply on a case belongs to the case, whatever it says.
    if let Some(c) = thread {
        let mut then = Vec::new();
        if m.attachments.iter().any(|a| !a.kept) {
            let mut vars = letter_context(ctx, &c);
            vars["message"] = message_json(ctx, entry, m, &Correspondent::of(m, &from), &verdict);
            let item = reply_to_sender(
                store,
                ctx,
                batch,
                (Some(c.id), "", c.version + 1),
                "bijlage-te-groot",
                &c.language,
                &vars,
                &Correspondent::of(m, &from),
                m,
                now,
            )?;
            then.extend(item.as_ref().map(queued));
        }
        // The complainant answered: the case no longer waits for them.
        if c.state == case::State::WachtOpKlager
            && address::normalize(&from) == address::normalize(&c.complainant)
        {
            then.push(EventKind::StateChanged {
                to: case::State::InBehandeling,
            });
            let mut resumed = c.clone();
            for k in &then {
                resumed.apply(&case::Event {
                    seq: resumed.version,
                    at: now,
                    actor: "klachtd".into(),
                    reason: None,
                    kind: k.clone(),
                });
            }
            crate::scheduler::schedule(
                batch,
                &crate::scheduler::plan(&resumed, ctx.policy, ctx.calendar),
            );
        }
        add_message(batch, &c, entry, m, "reply", now, then);
        return Ok((Outcome::AddedToCase(c.id), Some(verdict)));
    }

    let sender = Correspondent::of(m, &from);
    let outcome = match ctx.policy.actions.for_label(&verdict.label) {
        Action::Case => Outcome::NewCase(
            open_case(store, ctx, entry, m, &sender, &verdict, "email", now, batch)?.id,
        ),
        Action::Record => Outcome::Recorded(format!("{} (recorded per policy)", verdict.label)),
        action => answer_without_case(store, ctx, entry, m, &sender, &verdict, action, now, batch)?,
    };
    Ok((outcome, Some(verdict)))
}

/// The letter of ours a bounce reports on: the first of our signed
/// Message-IDs quoted anywhere in it (DSNs quote the original headers).
fn bounced_letter(
    store: &Store,
    ctx: &Context<'_>,
    raw: &[u8],
) -> Result<Option<(outbox::Item, Case)>, StoreError> {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(512 * 1024)]);
    let mut rest = text.as_ref();
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let candidate = &after[..close];
        rest = &after[close + 1..];
        if candidate.len() > 200 || candidate.contains(char::is_whitespace) {
            continue;
        }
        if ctx.signer.verify_message_id(candidate).is_none() {
            continue;
        }
        if let Some(item) = outbox::item_by_message_id(store, candidate)? {
            if let Some(c) = match item.case {
                Some(id) => case::load(store, id)?,
                None => None,
            } {
                return Ok(Some((item, c)));
            }
        }
    }
    Ok(None)
}

/// Records a bounce on its case, marks the contact undeliverable and tells
/// the coordinator.
fn bounce(
    ctx: &Context<'_>,
    batch: &mut Batch,
    entry: &Entry,
    m: &Inbound,
    item: &outbox::Item,
    c: &Case,
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    let mut then = vec![EventKind::LetterBounced {
        outbox_id: item.id.clone(),
        to: item.to.clone(),
    }];
    then.extend(alert_undeliverable(ctx, batch, item, c, now)?);
    add_message(batch, c, entry, m, "bounce", now, then);
    Ok(())
}

/// Queues the coordinator's "onbestelbaar" alert about a letter to a
/// complainant that cannot be delivered; returns its case event.
fn alert_undeliverable(
    ctx: &Context<'_>,
    batch: &mut Batch,
    item: &outbox::Item,
    c: &Case,
    now: DateTime<Utc>,
) -> Result<Option<EventKind>, ProcessError> {
    let coordinator = ctx.config.staff.coordinator.clone();
    if coordinator.is_empty() || ctx.config.is_staff(&item.to) {
        return Ok(None);
    }
    let mut vars = letter_context(ctx, c);
    vars["bounce"] = json!({
        "to": item.to,
        "letter": item.letter,
        "subject": item.subject,
    });
    let reply_to = ctx
        .signer
        .reply_address(&ctx.config.organization.complaints_address, c.id);
    let alert = queue_letter(
        ctx,
        batch,
        (Some(c.id), "", c.version + 1),
        "onbestelbaar",
        &ctx.config.organization.language,
        &vars,
        (&coordinator, None),
        &reply_to,
        None,
        &[],
        Some("auto-generated"),
        now,
    )?;
    Ok(Some(queued(&alert)))
}

/// A letter the mail server refused for good (the outbox gave up): the
/// coordinator is told, on the case.
pub fn undeliverable(
    store: &Store,
    ctx: &Context<'_>,
    outbox_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for _ in 0..10 {
        let Some(item) = outbox::item(store, outbox_id)? else {
            return Ok(());
        };
        let Some(c) = (match item.case {
            Some(id) => case::load(store, id)?,
            None => None,
        }) else {
            return Ok(());
        };
        let mut batch = Batch::new();
        let event = match alert_undeliverable(ctx, &mut batch, &item, &c, now) {
            Ok(Some(e)) => e,
            Ok(None) => return Ok(()),
            Err(ProcessError::Store(e)) => return Err(e),
            Err(ProcessError::Unprocessable(why)) => {
                tracing::error!(outbox = %outbox_id, %why, "cannot tell the coordinator about an undeliverable letter");
                return Ok(());
            }
        };
        case::append(&mut batch, &c, vec![(now, "klachtd".into(), None, event)]);
        match store.commit(&batch) {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
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
            if let Some(c) = live_case(store, cid)? {
                return Ok(Some(c));
            }
        }
    }
    let complaints = &ctx.config.organization.complaints_address;
    for r in m.recipients() {
        if let Some(detail) = address::plus_detail(r, complaints) {
            if let Some(cid) = ctx.signer.verify_reply_detail(detail) {
                if let Some(c) = live_case(store, cid)? {
                    return Ok(Some(c));
                }
            }
        }
    }
    let Some(from) = &m.from else {
        return Ok(None);
    };
    if let Some(cid) = CaseId::find_in(&m.subject) {
        if let Some(c) = live_case(store, cid)? {
            let from = address::normalize(from);
            if c.participants.iter().any(|p| address::normalize(p) == from) {
                return Ok(Some(c));
            }
        }
        // A case number from a stranger proves nothing: fall through.
    }
    // A reply whose client dropped In-Reply-To and truncated the subject
    // (tag and all): the sender's own open cases whose letters' subject it
    // starts.
    let base = case::base_subject(&m.subject);
    if base.chars().count() >= 12 && is_reply_subject(&m.subject) {
        for c in case::of_complainant(store, from)? {
            if c.state.is_closed() {
                continue;
            }
            let matches = std::iter::once(&c.subject)
                .chain(&c.thread_subjects)
                .map(|s| case::base_subject(s))
                .any(|s| s == base || s.starts_with(&base));
            if matches {
                return Ok(Some(c));
            }
        }
    }
    Ok(None)
}

/// A case that mail may still thread to: an anonymised case has nobody to
/// write to, so a later message from the person starts afresh.
fn live_case(store: &Store, id: CaseId) -> Result<Option<Case>, StoreError> {
    Ok(case::load(store, id)?.filter(|c| !c.anonymised))
}

/// Whether a subject carries a reply or forward prefix.
fn is_reply_subject(subject: &str) -> bool {
    case::base_subject(subject)
        != subject
            .trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
}

/// The case event for an inbound message in `role`.
pub(crate) fn message_in(entry: &Entry, m: &Inbound, role: &str) -> EventKind {
    EventKind::MessageIn {
        journal_id: entry.id.clone(),
        message_id: m.message_id.clone(),
        from: m.from.clone().unwrap_or_default(),
        subject: address::header_safe(&m.subject, 250),
        role: role.into(),
        attachments: m.attachments.clone(),
    }
}

pub(crate) fn add_message(
    batch: &mut Batch,
    c: &Case,
    entry: &Entry,
    m: &Inbound,
    role: &str,
    now: DateTime<Utc>,
    then: Vec<EventKind>,
) {
    let mut events = vec![(
        now,
        m.from.clone().unwrap_or_default(),
        None,
        message_in(entry, m, role),
    )];
    events.extend(
        then.into_iter()
            .map(|k| (now, "klachtd".to_string(), None, k)),
    );
    case::append(batch, c, events);
    if let Some(mid) = &m.message_id {
        batch.put_raw(Tree::Threads, mid.as_bytes(), c.id.to_string().into_bytes());
    }
}

/// Who wrote a new message, and where answers go.
pub(crate) struct Correspondent {
    pub(crate) address: String,
    pub(crate) name: Option<String>,
    pub(crate) reply_address: String,
}

impl Correspondent {
    fn of(m: &Inbound, from: &str) -> Correspondent {
        Correspondent {
            address: from.to_string(),
            name: m.from_name.clone(),
            reply_address: m
                .reply_to
                .clone()
                .filter(|r| address::is_valid(r))
                .unwrap_or_else(|| from.to_string()),
        }
    }
}

/// The message-side letter variables (also used in case letters).
pub(crate) fn message_json(
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    sender: &Correspondent,
    verdict: &Verdict,
) -> serde_json::Value {
    let new_text = text::new_text(&m.text);
    json!({
        "from": sender.address,
        "name": sender.name.clone().unwrap_or_default(),
        "subject": address::header_safe(&m.subject, 250),
        "summary": text::summary(&new_text, 300),
        "text": new_text,
        "received": ctx.calendar.local_date(entry.received_at).to_string(),
        "label": verdict.label,
        "category": verdict.category.clone().unwrap_or_default(),
        "urgent": verdict.urgent,
        "attachments": m.attachments.iter().filter(|a| a.kept).map(|a| a.name.clone()).collect::<Vec<_>>(),
        "refused": m.attachments.iter().filter(|a| !a.kept).map(|a| json!({
            "name": a.name,
            "size_mb": format!("{:.1}", a.size as f64 / 1_048_576.0),
        })).collect::<Vec<_>>(),
        "max_attachment_mb": format!("{:.0}", ctx.config.limits.max_attachment_bytes as f64 / 1_048_576.0),
    })
}

/// Renders and queues one letter, returning the outbox item. `key` is
/// (case, subject key without a case, sequence); `thread` the Message-ID it
/// answers and the references; `auto_submitted` is `None` only for mail a
/// person wrote (a relayed staff reply).
#[allow(clippy::too_many_arguments)]
pub(crate) fn queue_letter(
    ctx: &Context<'_>,
    batch: &mut Batch,
    key: (Option<CaseId>, &str, u32),
    letter: &str,
    lang: &str,
    vars: &serde_json::Value,
    to: (&str, Option<&str>),
    reply_to: &str,
    in_reply_to: Option<&str>,
    references: &[String],
    auto_submitted: Option<&str>,
    now: DateTime<Utc>,
) -> Result<outbox::Item, ProcessError> {
    let rendered = ctx.letters.render(lang, letter, vars).map_err(|e| {
        ProcessError::Unprocessable(format!(
            "letter {letter} cannot be rendered: {e}; fix the template, then `klachtd failed retry` the message"
        ))
    })?;
    let (item, raw) = ctx
        .sender
        .compose(
            ctx.signer,
            &Letter {
                case: key.0,
                subject_key: key.1,
                letter,
                seq: key.2,
                to: to.0,
                to_name: to.1,
                rendered: &rendered,
                in_reply_to,
                references,
                reply_to,
                auto_submitted,
            },
            now,
        )
        .map_err(|e| ProcessError::Unprocessable(e.to_string()))?;
    outbox::enqueue(batch, &item, raw);
    Ok(item)
}

/// The case event for a queued letter.
pub(crate) fn queued(item: &outbox::Item) -> EventKind {
    EventKind::LetterQueued {
        outbox_id: item.id.clone(),
        letter: item.letter.clone(),
        to: item.to.clone(),
        message_id: Some(item.message_id.clone()),
        subject: Some(item.subject.clone()),
    }
}

/// Counts an automatic reply to `to` against the hourly limits (this hour
/// and the last, so a loop cannot slip through at the turn of the hour).
/// Returns false, counting nothing, when a limit is reached.
fn within_rate_limits(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    to: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let hour = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H").to_string();
    let limits = &ctx.config.limits;
    for (who, limit) in [
        (
            address::normalize(to),
            limits.auto_replies_per_recipient_per_hour,
        ),
        ("*".to_string(), limits.auto_replies_per_hour),
    ] {
        let key = |h: String| format!("rate/{who}/{h}").into_bytes();
        let current_key = key(hour(now));
        let current: Option<u32> = store.get(Tree::Meta, &current_key)?;
        let previous: u32 = store
            .get(Tree::Meta, &key(hour(now - chrono::Duration::hours(1))))?
            .unwrap_or(0);
        if current.unwrap_or(0) + previous >= limit {
            tracing::warn!(recipient = %to, limit, "automatic reply suppressed: rate limit reached (mail loop?)");
            return Ok(false);
        }
        batch.expect(
            Tree::Meta,
            current_key.clone(),
            current.map(|c| serde_json::to_vec(&c).unwrap_or_default()),
        );
        batch.put(Tree::Meta, current_key, &(current.unwrap_or(0) + 1));
    }
    Ok(true)
}

/// Queues an automatic answer to the sender of `m`, in its thread, unless
/// the rate limits for automatic mail say no (then `None`).
#[allow(clippy::too_many_arguments)]
fn reply_to_sender(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    key: (Option<CaseId>, &str, u32),
    letter: &str,
    lang: &str,
    vars: &serde_json::Value,
    sender: &Correspondent,
    m: &Inbound,
    now: DateTime<Utc>,
) -> Result<Option<outbox::Item>, ProcessError> {
    if !within_rate_limits(store, ctx, batch, &sender.reply_address, now)? {
        return Ok(None);
    }
    let references: Vec<String> = m
        .references
        .iter()
        .cloned()
        .chain(m.message_id.clone())
        .collect();
    queue_letter(
        ctx,
        batch,
        key,
        letter,
        lang,
        vars,
        (&sender.reply_address, sender.name.as_deref()),
        &ctx.config.organization.complaints_address,
        m.message_id.as_deref(),
        &references,
        Some("auto-replied"),
        now,
    )
    .map(Some)
}

/// Appends an event by klachtd to the events of a case being opened.
fn push_event(
    events: &mut Vec<case::Event>,
    now: DateTime<Utc>,
    reason: Option<String>,
    kind: EventKind,
) {
    events.push(case::Event {
        seq: events.len() as u32,
        at: now,
        actor: "klachtd".into(),
        reason,
        kind,
    });
}

/// Queues a staff letter about a case being opened (no thread, auto-generated)
/// and records it on the case.
#[allow(clippy::too_many_arguments)]
fn notify_staff(
    ctx: &Context<'_>,
    batch: &mut Batch,
    events: &mut Vec<case::Event>,
    id: CaseId,
    letter: &str,
    vars: &serde_json::Value,
    to: &str,
    reply_to: &str,
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    let item = queue_letter(
        ctx,
        batch,
        (Some(id), "", events.len() as u32),
        letter,
        &ctx.config.organization.language,
        vars,
        (to, None),
        reply_to,
        None,
        &[],
        Some("auto-generated"),
        now,
    )?;
    push_event(events, now, None, queued(&item));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn open_case(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    sender: &Correspondent,
    verdict: &Verdict,
    channel: &str,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Case, ProcessError> {
    let received = entry.received_at;
    let id = case::next_id(store, case::year_of(received))?;
    let subject = address::header_safe(&m.subject, 250);
    let summary = Some(text::summary(&text::new_text(&m.text), 300))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| subject.clone());
    let mut events = vec![
        case::Event {
            seq: 0,
            at: received,
            actor: sender.address.clone(),
            reason: None,
            kind: EventKind::Opened {
                complainant: sender.address.clone(),
                name: sender.name.clone(),
                subject: subject.clone(),
                summary,
                // Answer in the complainant's language where we write it.
                language: text::language(&text::new_text(&m.text))
                    .filter(|l| ctx.letters.has_language(l))
                    .unwrap_or(&ctx.config.organization.language)
                    .to_string(),
                channel: channel.into(),
                category: verdict.category.clone(),
                urgent: verdict.urgent,
            },
        },
        case::Event {
            seq: 1,
            at: now,
            actor: sender.address.clone(),
            reason: None,
            kind: EventKind::MessageIn {
                journal_id: entry.id.clone(),
                message_id: m.message_id.clone(),
                from: sender.address.clone(),
                subject,
                role: if channel == "email" {
                    "complaint"
                } else {
                    "complaint_form"
                }
                .into(),
                attachments: m.attachments.clone(),
            },
        },
    ];
    let c =
        Case::from_events(id, &events).map_err(|e| ProcessError::Unprocessable(e.to_string()))?;
    let mut vars = letter_context(ctx, &c);
    vars["message"] = message_json(ctx, entry, m, sender, verdict);
    let ack = reply_to_sender(
        store,
        ctx,
        batch,
        (Some(id), "", 1),
        "ontvangstbevestiging",
        &c.language,
        &vars,
        sender,
        m,
        now,
    )?;
    push_event(
        &mut events,
        now,
        ack.is_none()
            .then(|| "rate limit for automatic mail reached (mail loop?)".to_string()),
        match &ack {
            Some(item) => queued(item),
            None => EventKind::LetterSuppressed {
                letter: "ontvangstbevestiging".into(),
                to: sender.reply_address.clone(),
            },
        },
    );
    // Data the procedure requires but the message lacks: ask for it.
    let missing = text::missing_data(&ctx.policy.required_data, sender.name.as_deref(), &m.text);
    if ack.is_some() && !missing.is_empty() {
        vars["missing"] = json!(missing);
        let item = queue_letter(
            ctx,
            batch,
            (Some(id), "", 1),
            "ontbrekende-gegevens",
            &c.language,
            &vars,
            (&sender.reply_address, sender.name.as_deref()),
            &ctx.config.organization.complaints_address,
            m.message_id.as_deref(),
            &m.message_id.clone().into_iter().collect::<Vec<_>>(),
            Some("auto-replied"),
            now,
        )?;
        push_event(
            &mut events,
            now,
            Some(format!("missing: {}", missing.join(", "))),
            queued(&item),
        );
    }
    // The assignment notice to the handler (default: the coordinator), whose
    // Reply-To is the case's signed plus-address.
    let handler = ctx.config.staff.coordinator.clone();
    if !handler.is_empty() {
        push_event(
            &mut events,
            now,
            None,
            EventKind::HandlerAssigned {
                handler: handler.clone(),
            },
        );
        let reply_to = ctx
            .signer
            .reply_address(&ctx.config.organization.complaints_address, id);
        notify_staff(
            ctx,
            batch,
            &mut events,
            id,
            "toewijzing",
            &vars,
            &handler,
            &reply_to,
            now,
        )?;
    }
    // Roles the policy keeps informed of every new case (Glaspunt: the quality manager).
    for role in &ctx.policy.notify_roles {
        let Some(addr) = ctx
            .config
            .staff
            .roles
            .get(role)
            .filter(|a| address::is_valid(a))
        else {
            tracing::warn!(%role, "the policy informs this role of new cases, but [staff.roles] has no address for it");
            continue;
        };
        let mut role_vars = vars.clone();
        role_vars["role"] = json!(role);
        notify_staff(
            ctx,
            batch,
            &mut events,
            id,
            "melding",
            &role_vars,
            addr,
            &ctx.config.organization.complaints_address,
            now,
        )?;
    }
    let created = case::create(batch, id, &events).map_err(|e| match e {
        case::CaseError::Store(s) => ProcessError::Store(s),
        other => ProcessError::Unprocessable(other.to_string()),
    })?;
    crate::scheduler::schedule(
        batch,
        &crate::scheduler::plan(&created, ctx.policy, ctx.calendar),
    );
    crate::scheduler::schedule(
        batch,
        &crate::scheduler::plan_steps(
            &created,
            ctx.policy,
            ctx.calendar,
            crate::policy::Start::Received,
            created.received,
        ),
    );
    if let Some(mid) = &m.message_id {
        batch.put_raw(Tree::Threads, mid.as_bytes(), id.to_string().into_bytes());
    }
    Ok(c)
}

/// Compliments, ideas and questions: answered and passed on to staff, no case.
#[allow(clippy::too_many_arguments)]
fn answer_without_case(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    sender: &Correspondent,
    verdict: &Verdict,
    action: Action,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let key = format!("M-{}", entry.id);
    let lang = ctx.config.organization.language.clone();
    let mut vars = letter_context_base(ctx);
    vars["message"] = message_json(ctx, entry, m, sender, verdict);
    let mut done = Vec::new();
    let customer_letter = match action {
        Action::ThankAndForward => Some("bedankt"),
        Action::AcknowledgeAndForward => Some("bericht-ontvangen"),
        _ => None,
    };
    if let Some(letter) = customer_letter {
        reply_to_sender(
            store,
            ctx,
            batch,
            (None, &key, 1),
            letter,
            &lang,
            &vars,
            sender,
            m,
            now,
        )?;
        done.push(letter);
    }
    // Forward to the staff member a compliment names, else the coordinator.
    let named = (action == Action::ThankAndForward)
        .then(|| {
            ctx.config
                .staff_named_in(&format!("{}\n{}", m.subject, m.text))
        })
        .flatten();
    let staff =
        named.or_else(|| Some(ctx.config.staff.coordinator.clone()).filter(|c| !c.is_empty()));
    if let Some(staff) = staff {
        // Staff answer the sender directly: Reply-To is the sender.
        queue_letter(
            ctx,
            batch,
            (None, &key, 1),
            "doorsturen",
            &lang,
            &vars,
            (&staff, None),
            &sender.reply_address,
            None,
            &[],
            Some("auto-generated"),
            now,
        )?;
        done.push("doorsturen");
    }
    Ok(Outcome::Recorded(format!(
        "{}: {}",
        verdict.label,
        done.join(" + ")
    )))
}

/// Letter variables every letter has: the organisation and the policy.
pub(crate) fn letter_context_base(ctx: &Context<'_>) -> serde_json::Value {
    json!({
        "org": {
            "name": ctx.config.organization.name,
            "complaints_address": ctx.config.organization.complaints_address,
        },
        "policy": {
            "name": ctx.policy.name,
            "handling": ctx.policy.handling(&ctx.config.organization.language),
            "appeal": ctx.policy.appeal(&ctx.config.organization.language),
        },
    })
}

/// The variables of a letter about `c` (the shape of `letter::sample_context`).
pub fn letter_context(ctx: &Context<'_>, c: &Case) -> serde_json::Value {
    let decide_by = ctx
        .calendar
        .local_date(ctx.policy.decision_due(c, ctx.calendar));
    let mut v = letter_context_base(ctx);
    v["policy"]["handling"] = json!(ctx.policy.handling(&c.language));
    v["policy"]["appeal"] = json!(ctx.policy.appeal(&c.language));
    v["case"] = json!({
        "id": c.id.to_string(),
        "received": ctx.calendar.local_date(c.received).to_string(),
        "subject": c.subject,
        "summary": c.summary,
        "name": c.name.clone().unwrap_or_default(),
        "complainant": c.complainant,
        "state": c.state.as_str(),
        "language": c.language,
        "category": c.category.clone().unwrap_or_default(),
        "urgent": c.urgent,
        "justified": c.justified,
        "outcome": c.outcome.clone().unwrap_or_default(),
        "offers": c.offers,
    });
    v["term"] = json!({
        "acknowledge": ctx.policy.terms.acknowledge.to_string(),
        "decide": ctx.policy.terms.decide.to_string(),
        "decide_by": decide_by.to_string(),
    });
    v
}
