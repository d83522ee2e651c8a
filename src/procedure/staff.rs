//! Staff by mail: who a staff mail is from and what it may do. A staff
//! `From:` alone proves nothing: commands and relays need a signed token —
//! the reply plus-address, or one of our Message-IDs of a mail that went to
//! staff — or our own mail server's word (`Authentication-Results`);
//! anything else is recorded and the coordinator alerted. Authenticated
//! mail on a case goes to [`crate::procedure::handling`]; a copy with the
//! complaints address in Cc is recorded without relaying; `#nieuw` opens a
//! case for a complaint taken by phone or at the counter.

use crate::address;
use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::EventKind;
use crate::cases::lookup;
use crate::intake::inbound::{Correspondent, Inbound};
use crate::intake::journal::Entry;
use crate::letters::outbox;
use crate::letters::request::LetterRequest;
use crate::procedure::command::{self, Command};
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::handling::{self, Outcome as Handled};
use crate::procedure::open::{open_case, Complaint};
use crate::procedure::outcome::Outcome;
use crate::procedure::{post, record, vars};
use crate::store::{Batch, Store, StoreError};
use crate::text;
use serde_json::json;

/// The case a staff mail is authenticated for, by token: the signed reply
/// plus-address, or a reference to one of our mails that went to staff.
fn authenticated_case(
    store: &Store,
    ctx: &Context<'_>,
    m: &Inbound,
) -> Result<Option<Case>, StoreError> {
    let complaints = &ctx.org().complaints_address;
    for r in m.recipients() {
        if let Some(cid) =
            address::plus_detail(r, complaints).and_then(|d| ctx.signer.verify_reply_detail(d))
        {
            return lookup::load(store, cid);
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
                return lookup::load(store, cid);
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

/// Handles a mail from a staff address `from`; `thread` is the case it
/// threads to, if any.
pub fn handle(
    store: &Store,
    ctx: &Context<'_>,
    (entry, m): (&Entry, &Inbound),
    from: &str,
    thread: Option<Case>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let mail = handling::StaffMail { entry, m, from };
    if let Some(c) = authenticated_case(store, ctx, m)? {
        return applied(handling::apply(ctx, &mail, &c, batch)?);
    }
    let by_server = authenticated_by_server(m, &ctx.config.staff.trusted_authserv_ids, from);
    if by_server {
        if let Some(c) = &thread {
            return applied(handling::apply(ctx, &mail, c, batch)?);
        }
    }
    let new = text::new_text(&m.text);
    let nieuw = command::parse(&new)
        .commands
        .iter()
        .find_map(|(_, c)| match c {
            Command::Nieuw(a) => Some(a.clone()),
            _ => None,
        });
    if let Some(complainant) = nieuw {
        if by_server || references_staff_mail(store, ctx, m)? {
            return open_on_behalf(store, ctx, &mail, &complainant, &new, batch);
        }
    }
    let has_commands = new.lines().any(command::is_command_line);
    // Cc mode: staff wrote to the complainant, with us in Cc/Bcc.
    if let Some(c) = &thread {
        let to_complainant =
            m.to.iter()
                .any(|t| address::normalize(t) == address::normalize(&c.complainant));
        if to_complainant && !has_commands {
            let now = ctx.now();
            let mut change = Change::on(c);
            change.record(now, from, record::message_in(entry, m, "staff_cc"));
            change.record(
                now,
                from,
                EventKind::StaffReply {
                    from: from.to_string(),
                    mode: "cc".into(),
                },
            );
            change.write(batch);
            return Ok(Outcome::AddedToCase(c.id));
        }
    }
    if has_commands || thread.is_some() {
        // A staff From: without a token: treat as an outside message.
        alert_coordinator(ctx, entry, m, from, "a staff address without a valid case token (forged sender, or not a reply to an assignment notice)", batch)?;
        return Ok(Outcome::Recorded(format!(
            "unauthenticated staff mail from {from}: no command applied, coordinator alerted"
        )));
    }
    Ok(Outcome::Recorded(format!(
        "staff mail from {from} without a case"
    )))
}

fn applied(h: Handled) -> Result<Outcome, ProcessError> {
    Ok(Outcome::AddedToCase(h.case))
}

/// `#nieuw klant@…`: a complaint taken by phone or in person. The mail's
/// text (without command lines) is the complaint form; the complainant gets
/// the acknowledgement, the sender a result mail.
fn open_on_behalf(
    store: &Store,
    ctx: &Context<'_>,
    mail: &handling::StaffMail<'_>,
    complainant: &str,
    new_text: &str,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let m = mail.m;
    let subject = if crate::cases::thread::base_subject(&m.subject).is_empty() {
        "Klacht (telefonisch of aan de balie)".to_string()
    } else {
        address::header_safe(m.subject.trim(), 250)
    };
    let form = Inbound {
        from: Some(complainant.to_string()),
        subject,
        text: command::strip_commands(new_text),
        attachments: m.attachments.clone(),
        ..Inbound::default()
    };
    let mut verdict = ctx.classifier.classify_message(&form);
    verdict.label = "klacht".into();
    if verdict.category.is_none() {
        verdict.category = Some("dienstverlening".into());
    }
    let sender = Correspondent::address(complainant);
    let complaint = Complaint {
        entry: mail.entry,
        message: &form,
        sender: &sender,
        verdict: &verdict,
        channel: "intern",
    };
    let c = open_case(store, ctx, batch, &complaint)?;
    let mut vars = vars::case(ctx, &c);
    vars["result"] = json!({
        "done": [format!("#nieuw {complainant}: klacht {} geopend, ontvangstbevestiging naar de klager", c.id)],
        "rejected": [],
        "relayed_to": "",
        "help": "",
    });
    handling::result_mail(ctx, batch, mail, c.id, 0, vars)?;
    Ok(Outcome::NewCase(c.id))
}

/// Sends the coordinator an alert about a suspicious staff mail.
fn alert_coordinator(
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    from: &str,
    reason: &str,
    batch: &mut Batch,
) -> Result<(), ProcessError> {
    let Some(coordinator) = ctx.coordinator() else {
        tracing::warn!(%from, %reason, "unauthenticated staff mail and no coordinator configured to alert");
        return Ok(());
    };
    let mut vars = vars::base(ctx);
    vars["alert"] = json!({
        "from": from,
        "subject": address::header_safe(&m.subject, 250),
        "reason": reason,
        "received": entry.received_at.to_rfc3339(),
        "journal_id": entry.id,
    });
    let req = LetterRequest::to_staff(ctx.org(), coordinator, "waarschuwing", vars)
        .about(format!("M-{}", entry.id), 1);
    post::queue(ctx, batch, &req)?;
    Ok(())
}
