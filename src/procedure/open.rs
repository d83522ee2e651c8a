//! Opening a case: from a complaint mail, or from the complaint form a
//! staff member sends for a phone or counter complaint (`#nieuw`). One
//! transaction holds the case, the acknowledgement (and the request for
//! missing data), the assignment notice to the handler, the notices to the
//! roles the policy informs, and the timers of the terms that start on
//! receipt.

use crate::address;
use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::EventKind;
use crate::cases::lookup;
use crate::cases::policy::Start;
use crate::intake::classify::Verdict;
use crate::intake::inbound::{Correspondent, Inbound};
use crate::intake::journal::Entry;
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::{post, timers, vars};
use crate::store::{Batch, Store};
use crate::text;
use serde_json::json;

/// What a case is opened from.
#[derive(Debug, Clone, Copy)]
pub struct Complaint<'a> {
    /// The journal entry of the message that brought it.
    pub entry: &'a Entry,
    /// The complaint (for `#nieuw`: the form, from the complainant).
    pub message: &'a Inbound,
    /// The complainant.
    pub sender: &'a Correspondent,
    /// The classifier's verdict.
    pub verdict: &'a Verdict,
    /// How it came in: `email`, or `intern` for a form by staff.
    pub channel: &'a str,
}

/// Opens a case for a complaint; adds everything to `batch`.
pub fn open_case(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    k: &Complaint<'_>,
) -> Result<Case, ProcessError> {
    let (m, sender, now) = (k.message, k.sender, ctx.now());
    let id = lookup::next_id(store, lookup::year_of(k.entry.received_at))?;
    let subject = address::header_safe(&m.subject, 250);
    let new_text = text::new_text(&m.text);
    let summary = Some(text::summary(&new_text, 300))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| subject.clone());
    let opened = EventKind::Opened {
        complainant: sender.address.clone(),
        name: sender.name.clone(),
        subject: subject.clone(),
        summary,
        // Answer in the complainant's language where we write it.
        language: text::language(&new_text)
            .filter(|l| ctx.letters.has_language(l))
            .unwrap_or(&ctx.org().language)
            .to_string(),
        channel: k.channel.into(),
        category: k.verdict.category.clone(),
        urgent: k.verdict.urgent,
    };
    let mut change = Change::open(id, k.entry.received_at, &sender.address, opened)
        .map_err(|e| ProcessError::Unprocessable(e.to_string()))?;
    let role = if k.channel == "email" {
        "complaint"
    } else {
        "complaint_form"
    };
    change.record(
        now,
        &sender.address,
        EventKind::MessageIn {
            journal_id: k.entry.id.clone(),
            message_id: m.message_id.clone(),
            from: sender.address.clone(),
            subject,
            role: role.into(),
            attachments: m.attachments.clone(),
        },
    );
    let mut vars = vars::case(ctx, change.case());
    vars["message"] = vars::message(ctx, k.entry, m, sender, k.verdict);
    acknowledge(store, ctx, batch, &mut change, k, &vars)?;
    notify_staff(ctx, batch, &mut change, &vars)?;
    let c = change.write(batch);
    timers::schedule(batch, &timers::plan(&c, ctx.policy, ctx.calendar));
    timers::schedule(
        batch,
        &timers::plan_steps(&c, ctx.policy, ctx.calendar, Start::Received, c.received),
    );
    Ok(c)
}

/// The acknowledgement (unless the loop guard holds it back) and, where
/// the complaint lacks data the procedure requires, the request for it.
fn acknowledge(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    k: &Complaint<'_>,
    vars: &serde_json::Value,
) -> Result<(), ProcessError> {
    let (now, id, lang) = (ctx.now(), change.case().id, change.case().language.clone());
    let letter = |name: &str, vars: serde_json::Value| {
        LetterRequest::answering(ctx.org(), k.message, k.sender, name, vars)
            .lang(&lang)
            .on_case(id, 1)
    };
    let ack = post::answer(
        store,
        ctx,
        batch,
        &letter("ontvangstbevestiging", vars.clone()),
    )?;
    match &ack {
        Some(item) => change.record(now, crate::cases::event::KLACHTD, post::queued(item)),
        None => change.record_because(
            now,
            crate::cases::event::KLACHTD,
            Some("rate limit for automatic mail reached (mail loop?)".into()),
            EventKind::LetterSuppressed {
                letter: "ontvangstbevestiging".into(),
                to: k.sender.reply_address.clone(),
            },
        ),
    };
    let missing = text::missing_data(
        &ctx.policy.required_data,
        k.sender.name.as_deref(),
        &k.message.text,
    );
    if ack.is_some() && !missing.is_empty() {
        let mut vars = vars.clone();
        vars["missing"] = json!(missing);
        let mid = k.message.message_id.clone();
        let req =
            letter("ontbrekende-gegevens", vars).in_thread(mid.clone(), mid.into_iter().collect());
        let item = post::queue(ctx, batch, &req)?;
        change.record_because(
            now,
            crate::cases::event::KLACHTD,
            Some(format!("missing: {}", missing.join(", "))),
            post::queued(&item),
        );
    }
    Ok(())
}

/// The assignment notice to the handler (default: the coordinator), whose
/// Reply-To is the case's signed plus-address, and the notices to the roles
/// the policy keeps informed of every new case (Glaspunt: the quality
/// manager).
fn notify_staff(
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    vars: &serde_json::Value,
) -> Result<(), ProcessError> {
    let (now, id) = (ctx.now(), change.case().id);
    let mut notify = |change: &mut Change, req: LetterRequest| -> Result<(), ProcessError> {
        let req = req.on_case(id, change.case().version);
        let item = post::queue(ctx, batch, &req)?;
        change.record(now, crate::cases::event::KLACHTD, post::queued(&item));
        Ok(())
    };
    if let Some(handler) = ctx.coordinator() {
        change.record(
            now,
            crate::cases::event::KLACHTD,
            EventKind::HandlerAssigned {
                handler: handler.to_string(),
            },
        );
        notify(
            change,
            LetterRequest::to_staff(ctx.org(), handler, "toewijzing", vars.clone())
                .reply_to(ctx.reply_address(id)),
        )?;
    }
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
        notify(
            change,
            LetterRequest::to_staff(ctx.org(), addr, "melding", role_vars),
        )?;
    }
    Ok(())
}
