//! Staff by mail: the handler's reply to an assignment notice is relayed to
//! the complainant (quotes and command lines removed) and its `#` commands
//! are applied to the case; a copy with the complaints address in Cc is
//! recorded without relaying. A staff `From:` alone proves nothing: commands
//! and relays need a signed token — the reply plus-address, or one of our
//! Message-IDs of a mail that went to staff — else the mail is recorded and
//! the coordinator alerted.

use crate::address;
use crate::case::{self, Case, EventKind, State};
use crate::command::{self, Command};
use crate::inbound::Inbound;
use crate::journal::Entry;
use crate::outbox;
use crate::processor::{self, Context, Outcome, ProcessError};
use crate::store::{Batch, Store, StoreError, Tree};
use crate::text;
use chrono::{DateTime, Utc};
use serde_json::json;

/// The case a staff mail is authenticated for, by token: the signed reply
/// plus-address, or a reference to one of our mails that went to staff.
fn authenticated_case(
    store: &Store,
    ctx: &Context<'_>,
    m: &Inbound,
) -> Result<Option<Case>, StoreError> {
    let complaints = &ctx.config.organization.complaints_address;
    for r in m.recipients() {
        if let Some(cid) =
            address::plus_detail(r, complaints).and_then(|d| ctx.signer.verify_reply_detail(d))
        {
            return case::load(store, cid);
        }
    }
    for id in m.referenced_ids() {
        if ctx.signer.verify_message_id(id).is_none() {
            continue;
        }
        // Customers see the Message-IDs of their own letters: only mail that
        // went to staff authenticates.
        if let Some(item) = outbox::item_by_message_id(store, id)? {
            if let Some(cid) = item.case.filter(|_| ctx.config.is_staff(&item.to)) {
                return case::load(store, cid);
            }
        }
    }
    Ok(None)
}

/// Whether our own mail server vouches for the sender: the topmost
/// `Authentication-Results` header is from a trusted `authserv-id` and says
/// `dkim=pass` (or `dmarc=pass`, or `spf=pass` for the From domain).
pub fn authenticated_by_server(m: &Inbound, trusted: &[String], from: &str) -> bool {
    let Some(ar) = m.header("authentication-results") else {
        return false;
    };
    let (id, results) = ar.split_once(';').unwrap_or((ar, ""));
    let id = id.split_whitespace().next().unwrap_or("");
    if !trusted.iter().any(|t| t.eq_ignore_ascii_case(id)) {
        return false;
    }
    let domain = address::domain(from).to_ascii_lowercase();
    results.split(';').any(|r| {
        let r = r.trim().to_ascii_lowercase();
        let aligned = |key: &str| {
            r.split_whitespace()
                .filter_map(|w| w.strip_prefix(key))
                .any(|v| {
                    let v = v.trim_matches(['"', ';']);
                    let d = v.rsplit('@').next().unwrap_or(v);
                    d == domain || d.ends_with(&format!(".{domain}"))
                })
        };
        (r.starts_with("dkim=pass") && aligned("header.d="))
            || (r.starts_with("dmarc=pass") && aligned("header.from="))
            || (r.starts_with("spf=pass") && aligned("smtp.mailfrom="))
    })
}

/// Whether the mail references one of our mails that went to staff.
fn references_staff_mail(
    store: &Store,
    ctx: &Context<'_>,
    m: &Inbound,
) -> Result<bool, StoreError> {
    for id in m.referenced_ids() {
        if ctx.signer.verify_message_id(id).is_some() {
            if let Some(item) = outbox::item_by_message_id(store, id)? {
                if ctx.config.is_staff(&item.to) {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// Handles a mail from a staff address.
#[allow(clippy::too_many_arguments)]
pub(crate) fn handle(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    from: &str,
    thread: Option<Case>,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    if let Some(c) = authenticated_case(store, ctx, m)? {
        return apply(ctx, entry, m, from, &c, now, batch);
    }
    let by_server = authenticated_by_server(m, &ctx.config.staff.trusted_authserv_ids, from);
    if by_server {
        if let Some(c) = &thread {
            return apply(ctx, entry, m, from, c, now, batch);
        }
    }
    let new = text::new_text(&m.text);
    let parsed = command::parse(&new);
    if let Some(addr) = parsed.commands.iter().find_map(|(_, c)| match c {
        Command::Nieuw(a) => Some(a.clone()),
        _ => None,
    }) {
        if by_server || references_staff_mail(store, ctx, m)? {
            return open_on_behalf(store, ctx, entry, m, from, &addr, &new, now, batch);
        }
    }
    let has_commands = new.lines().any(command::is_command_line);
    // Cc mode: staff wrote to the complainant, with us in Cc/Bcc.
    if let Some(c) = &thread {
        let to_complainant =
            m.to.iter()
                .any(|t| address::normalize(t) == address::normalize(&c.complainant));
        if to_complainant && !has_commands {
            case::append(
                batch,
                c,
                vec![
                    (
                        now,
                        from.to_string(),
                        None,
                        processor::message_in(entry, m, "staff_cc"),
                    ),
                    (
                        now,
                        from.to_string(),
                        None,
                        EventKind::StaffReply {
                            from: from.to_string(),
                            mode: "cc".into(),
                        },
                    ),
                ],
            );
            if let Some(mid) = &m.message_id {
                batch.put_raw(Tree::Threads, mid.as_bytes(), c.id.to_string().into_bytes());
            }
            return Ok(Outcome::AddedToCase(c.id));
        }
    }
    if has_commands || thread.is_some() {
        // A staff From: without a token: treat as an outside message.
        alert_coordinator(ctx, entry, m, from, "a staff address without a valid case token (forged sender, or not a reply to an assignment notice)", now, batch)?;
        return Ok(Outcome::Recorded(format!(
            "unauthenticated staff mail from {from}: no command applied, coordinator alerted"
        )));
    }
    Ok(Outcome::Recorded(format!(
        "staff mail from {from} without a case"
    )))
}

/// What applying commands did.
#[derive(Default)]
struct Applied {
    events: Vec<(DateTime<Utc>, String, Option<String>, EventKind)>,
    done: Vec<String>,
    rejected: Vec<(String, String)>,
    help: bool,
}

/// Applies the commands of an authenticated staff mail and relays its text.
fn apply(
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    from: &str,
    c: &Case,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let new = text::new_text(&m.text);
    let parsed = command::parse(&new);
    let mut state = c.clone();
    let mut out = Applied::default();
    let push = |state: &mut Case, out: &mut Applied, reason: Option<String>, kind: EventKind| {
        state.apply(&case::Event {
            seq: state.version,
            at: now,
            actor: from.to_string(),
            reason: reason.clone(),
            kind: kind.clone(),
        });
        out.events.push((now, from.to_string(), reason, kind));
    };
    push(
        &mut state,
        &mut out,
        None,
        processor::message_in(entry, m, "staff"),
    );
    for r in &parsed.rejected {
        out.rejected.push((r.line.clone(), r.why.clone()));
        push(
            &mut state,
            &mut out,
            None,
            EventKind::CommandRejected {
                command: r.line.clone(),
                why: r.why.clone(),
            },
        );
    }
    for (line, cmd) in &parsed.commands {
        match plan(ctx, &state, cmd) {
            Ok(steps) => {
                for (reason, kind) in steps {
                    push(&mut state, &mut out, reason, kind);
                }
                if *cmd == Command::Help {
                    out.help = true;
                }
                out.done.push(line.clone());
            }
            Err(why) => {
                out.rejected.push((line.clone(), why.clone()));
                push(
                    &mut state,
                    &mut out,
                    None,
                    EventKind::CommandRejected {
                        command: line.clone(),
                        why,
                    },
                );
            }
        }
    }

    // The letters the procedure promises the complainant at each step.
    let mut promised: Vec<(&str, serde_json::Value)> = Vec::new();
    for (_, reason, kind) in out.events.iter().map(|(a, _, r, k)| (a, r, k)) {
        match kind {
            EventKind::StateChanged {
                to: State::NietInBehandeling,
            } => promised.push((
                "niet-in-behandeling",
                json!({ "reason": reason.clone().unwrap_or_default() }),
            )),
            EventKind::Judged { justified } => promised.push((
                "besluit",
                json!({ "justified": justified, "motivation": reason.clone().unwrap_or_default() }),
            )),
            EventKind::StateChanged {
                to: State::Opgelost,
            } => {
                promised.push(("afhandeling", json!({})));
                promised.push(("tevredenheid", json!({})));
            }
            EventKind::StateChanged { to: State::Beroep } => promised.push(("beroep", json!({}))),
            _ => {}
        }
    }
    for (letter, decision) in promised {
        let mut vars = processor::letter_context(ctx, &state);
        vars["decision"] = decision;
        let item = to_complainant(
            ctx,
            batch,
            &state,
            state.version,
            letter,
            &vars,
            Some("auto-generated"),
            now,
        )?;
        push(&mut state, &mut out, None, processor::queued(&item));
    }

    // Terms that start on what just happened: judged justified (Glaspunt:
    // repair within 5 working days), taken into treatment, resolved
    // (Optimumconsult: report within 3 weeks).
    let started: Vec<crate::policy::Start> = out
        .events
        .iter()
        .filter_map(|(_, _, _, k)| match k {
            EventKind::Judged { justified: true } => Some(crate::policy::Start::Justified),
            EventKind::StateChanged {
                to: State::InBehandeling,
            } if c.state != State::WachtOpKlager => Some(crate::policy::Start::Accepted),
            EventKind::StateChanged {
                to: State::Opgelost,
            } => Some(crate::policy::Start::Resolved),
            _ => None,
        })
        .collect();
    for start in started {
        crate::scheduler::schedule(
            batch,
            &crate::scheduler::plan_steps(&state, ctx.policy, ctx.calendar, start, now),
        );
    }
    // The term moved (extension, or the clock ran again): new timers.
    if state.term_changes > c.term_changes {
        crate::scheduler::schedule(
            batch,
            &crate::scheduler::plan(&state, ctx.policy, ctx.calendar),
        );
    }
    // An extended term: the complainant is told.
    if state.extensions.len() > c.extensions.len() {
        let mut vars = processor::letter_context(ctx, &state);
        vars["extension"] = json!({
            "by": state.extensions.last().cloned().unwrap_or_default(),
            "reason": parsed.commands.iter().rev().find_map(|(_, cmd)| match cmd {
                Command::Verlengen(_, r) => Some(r.clone()),
                _ => None,
            }).unwrap_or_default(),
        });
        let item = to_complainant(
            ctx,
            batch,
            &state,
            state.version,
            "verlenging",
            &vars,
            Some("auto-generated"),
            now,
        )?;
        push(&mut state, &mut out, None, processor::queued(&item));
    }

    // Relay the text (without quotes, signature and command lines).
    let reply = command::strip_commands(&new);
    let mut relayed = None;
    if !reply.trim().is_empty() {
        let mut vars = processor::letter_context(ctx, &state);
        vars["reply"] = json!({ "text": reply, "from": from });
        let item = to_complainant(
            ctx,
            batch,
            &state,
            state.version,
            "antwoord",
            &vars,
            None,
            now,
        )?;
        push(
            &mut state,
            &mut out,
            None,
            EventKind::StaffReply {
                from: from.to_string(),
                mode: "relayed".into(),
            },
        );
        push(&mut state, &mut out, None, processor::queued(&item));
        relayed = Some(c.complainant.clone());
    }

    // One result mail to the sender.
    let mut vars = processor::letter_context(ctx, &state);
    vars["result"] = json!({
        "done": out.done,
        "rejected": out.rejected.iter().map(|(c, w)| json!({"command": c, "why": w})).collect::<Vec<_>>(),
        "relayed_to": relayed.clone().unwrap_or_default(),
        "help": if out.help { command::HELP } else { "" },
    });
    let item = result_mail(ctx, batch, c.id, state.version, &vars, from, m, now)?;
    push(&mut state, &mut out, None, processor::queued(&item));
    case::append(batch, c, out.events);
    Ok(Outcome::AddedToCase(c.id))
}

/// Queues the one result mail to the staff member who wrote `m`.
#[allow(clippy::too_many_arguments)]
fn result_mail(
    ctx: &Context<'_>,
    batch: &mut Batch,
    case: crate::case::CaseId,
    seq: u32,
    vars: &serde_json::Value,
    from: &str,
    m: &Inbound,
    now: DateTime<Utc>,
) -> Result<outbox::Item, ProcessError> {
    let reply_to = ctx
        .signer
        .reply_address(&ctx.config.organization.complaints_address, case);
    processor::queue_letter(
        ctx,
        batch,
        (Some(case), "", seq),
        "commando-resultaat",
        &ctx.config.organization.language,
        vars,
        (from, None),
        &reply_to,
        m.message_id.as_deref(),
        &m.message_id.clone().into_iter().collect::<Vec<_>>(),
        Some("auto-replied"),
        now,
    )
}

/// Queues a letter to the complainant of `c`, in the case thread.
#[allow(clippy::too_many_arguments)]
fn to_complainant(
    ctx: &Context<'_>,
    batch: &mut Batch,
    c: &Case,
    seq: u32,
    letter: &str,
    vars: &serde_json::Value,
    auto_submitted: Option<&str>,
    now: DateTime<Utc>,
) -> Result<outbox::Item, ProcessError> {
    let refs = c.thread.clone();
    processor::queue_letter(
        ctx,
        batch,
        (Some(c.id), "", seq),
        letter,
        &c.language,
        vars,
        (&c.complainant, c.name.as_deref()),
        &ctx.config.organization.complaints_address,
        refs.last().map(String::as_str),
        &refs,
        auto_submitted,
        now,
    )
}

/// The events one command causes on `c`, or why it is refused.
fn plan(
    ctx: &Context<'_>,
    c: &Case,
    cmd: &Command,
) -> Result<Vec<(Option<String>, EventKind)>, String> {
    let requires = ctx.policy.requires_judgement;
    let to = |target: State,
              reason: Option<String>|
     -> Result<Vec<(Option<String>, EventKind)>, String> {
        if case::transition_allowed(c.state, target, requires) {
            Ok(vec![(reason, EventKind::StateChanged { to: target })])
        } else {
            let hint = if target == State::Opgelost && requires {
                "; the policy requires a judgement first (#gegrond or #ongegrond)"
            } else {
                ""
            };
            Err(format!(
                "not allowed from state {} to {}{hint}",
                c.state, target
            ))
        }
    };
    match cmd {
        Command::InBehandeling => to(State::InBehandeling, None),
        Command::NietInBehandeling(reason) => to(State::NietInBehandeling, Some(reason.clone())),
        Command::Gegrond(m) | Command::Ongegrond(m) => {
            let justified = matches!(cmd, Command::Gegrond(_));
            let mut steps = Vec::new();
            if c.state != State::Beoordeeld {
                steps.extend(to(State::Beoordeeld, m.clone())?);
            }
            steps.push((m.clone(), EventKind::Judged { justified }));
            Ok(steps)
        }
        Command::Opgelost => to(State::Opgelost, None),
        Command::Sluiten => to(State::Gesloten, None),
        Command::Beroep => to(State::Beroep, None),
        Command::Heropen => to(State::InBehandeling, Some("heropend".into())),
        Command::Wacht => to(State::WachtOpKlager, None),
        Command::Toewijzen(who) => {
            if !ctx.config.is_staff(who) {
                return Err(format!("{who} is not a staff address"));
            }
            if involved(c, who, ctx) {
                return Err(format!("{who} is named in the complaint as involved; a handler must not be involved in the complaint"));
            }
            Ok(vec![(
                None,
                EventKind::HandlerAssigned {
                    handler: who.clone(),
                },
            )])
        }
        Command::Verlengen(term, reason) => {
            if let Some(max) = ctx.policy.max_extensions {
                if c.extensions.len() as u32 >= max {
                    return Err(format!(
                        "the policy allows {max} extension(s) and the term was already extended"
                    ));
                }
            }
            Ok(vec![(
                Some(reason.clone()),
                EventKind::Extended {
                    by: term.to_string(),
                },
            )])
        }
        Command::Categorie(cat) => Ok(vec![(
            None,
            EventKind::CategorySet {
                category: cat.clone(),
            },
        )]),
        Command::Urgent => Ok(vec![(None, EventKind::MarkedUrgent)]),
        Command::Notitie(t) => Ok(vec![(None, EventKind::Note { text: t.clone() })]),
        Command::Bod(t) => Ok(vec![(None, EventKind::Offer { text: t.clone() })]),
        Command::BodAntwoord(accepted) => {
            if c.offers.is_empty() {
                return Err("no offer registered yet (#bod tekst)".into());
            }
            Ok(vec![(None, EventKind::OfferAnswered { accepted: *accepted })])
        }
        Command::Uitkomst(t) => Ok(vec![(None, EventKind::OutcomeSet { text: t.clone() })]),
        Command::Betrokken(who) => {
            if c.handler.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(who)) {
                return Err(format!("{who} is the handler; assign another handler first (#toewijzen)"));
            }
            Ok(vec![(None, EventKind::InvolvedAdded { who: who.clone() })])
        }
        Command::Tevredenheid(t) => Ok(vec![(None, EventKind::SatisfactionSet { text: t.clone() })]),
        Command::Oorzaak(t) => Ok(vec![(None, EventKind::CauseSet { text: t.clone() })]),
        Command::Verslag(t) => Ok(vec![(None, EventKind::Reported { text: t.clone() })]),
        Command::Maatregel(t) => Ok(vec![(None, EventKind::MeasureAdded { text: t.clone() })]),
        Command::Help => Ok(Vec::new()),
        Command::Nieuw(_) => Err("#nieuw opens a new case: send it in a new mail to the complaints address, not as a reply on a case".into()),
    }
}

/// Whether `who` is named in the complaint as an involved employee: their
/// address, or a directory name that points at them, appears in it.
fn involved(c: &Case, who: &str, ctx: &Context<'_>) -> bool {
    if c.involved.iter().any(|i| i.eq_ignore_ascii_case(who)) {
        return true;
    }
    let text = format!("{}\n{}", c.subject, c.summary);
    let lower = text.to_lowercase();
    if lower.contains(&who.to_lowercase()) {
        return true;
    }
    let hay = crate::classify::normalize(&text);
    ctx.config.staff.directory.iter().any(|(name, addr)| {
        addr.eq_ignore_ascii_case(who) && {
            let n = crate::classify::normalize(name);
            n.trim().len() >= 3 && hay.contains(&n)
        }
    })
}

/// `#nieuw klant@…`: a complaint taken by phone or in person. The mail's
/// text (without command lines) is the complaint form; the complainant gets
/// the acknowledgement, the sender a result mail.
#[allow(clippy::too_many_arguments)]
fn open_on_behalf(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    from: &str,
    complainant: &str,
    new_text: &str,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let form_text = command::strip_commands(new_text);
    let subject = {
        let s = case::base_subject(&m.subject);
        if s.is_empty() {
            "Klacht (telefonisch of aan de balie)".to_string()
        } else {
            address::header_safe(m.subject.trim(), 250)
        }
    };
    let form = Inbound {
        from: Some(complainant.to_string()),
        subject: subject.clone(),
        text: form_text,
        attachments: m.attachments.clone(),
        ..Inbound::default()
    };
    let mut verdict = ctx.classifier.classify_message(&form);
    verdict.label = "klacht".into();
    if verdict.category.is_none() {
        verdict.category = Some("dienstverlening".into());
    }
    let sender = processor::Correspondent {
        address: complainant.to_string(),
        name: None,
        reply_address: complainant.to_string(),
    };
    let c = processor::open_case(
        store, ctx, entry, &form, &sender, &verdict, "intern", now, batch,
    )?;
    let mut vars = processor::letter_context(ctx, &c);
    vars["result"] = json!({
        "done": [format!("#nieuw {complainant}: klacht {} geopend, ontvangstbevestiging naar de klager", c.id)],
        "rejected": [],
        "relayed_to": "",
        "help": "",
    });
    result_mail(ctx, batch, c.id, 0, &vars, from, m, now)?;
    Ok(Outcome::NewCase(c.id))
}

/// Sends the coordinator an alert about a suspicious staff mail.
fn alert_coordinator(
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    from: &str,
    reason: &str,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<(), ProcessError> {
    let coordinator = ctx.config.staff.coordinator.clone();
    if coordinator.is_empty() {
        tracing::warn!(%from, %reason, "unauthenticated staff mail and no coordinator configured to alert");
        return Ok(());
    }
    let mut vars = processor::letter_context_base(ctx);
    vars["alert"] = json!({
        "from": from,
        "subject": address::header_safe(&m.subject, 250),
        "reason": reason,
        "received": entry.received_at.to_rfc3339(),
        "journal_id": entry.id,
    });
    processor::queue_letter(
        ctx,
        batch,
        (None, &format!("M-{}", entry.id), 1),
        "waarschuwing",
        &ctx.config.organization.language,
        &vars,
        (&coordinator, None),
        &ctx.config.organization.complaints_address,
        None,
        &[],
        Some("auto-generated"),
        now,
    )?;
    Ok(())
}
