//! Staff by mail: who a staff mail is from and what it may do, and an
//! answer to every one. A staff `From:` alone proves nothing: commands and
//! relays need a signed token — the reply plus-address, or one of our
//! Message-IDs of a mail that went to staff — or our own mail server's word
//! (`Authentication-Results`). Then:
//!
//! - authenticated mail on a case goes to [`crate::procedure::handling`];
//! - a copy with the complaints address in Cc is recorded, not relayed;
//! - `#nieuw` opens a case for a complaint taken by phone, post, at the
//!   counter or on social media (the mail is the form);
//! - a forwarded customer complaint (inline or attached) opens a case for
//!   the original sender, the forwarder recorded;
//! - `#klacht` is an employee's own complaint;
//! - `#afwezig` / `#terug` say who is there;
//! - anything else gets an answer that says how to act, and where it
//!   carried commands without a token, the coordinator is alerted too.

use crate::address;
use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::EventKind;
use crate::cases::lookup;
use crate::intake::classify::Verdict;
use crate::intake::inbound::{Correspondent, Inbound};
use crate::intake::journal::Entry;
use crate::letters::outbox;
use crate::letters::request::LetterRequest;
use crate::procedure::command::{self, Command, Parsed};
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::handling::{self, StaffMail};
use crate::procedure::open::{open_case, Complaint};
use crate::procedure::outcome::Outcome;
use crate::procedure::{form, post, presence, record, requests, vars};
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
    let mail = StaffMail { entry, m, from };
    let parsed = command::parse(&text::command_lines(&m.text));
    // Requests (`#agenda`, `#zaak`, `#mijn`) are answered to this staff
    // address whatever else the mail does; a mail of requests only is done.
    let requests: Vec<&Command> = parsed
        .commands
        .iter()
        .map(|(_, c)| c)
        .filter(|c| c.is_request())
        .collect();
    if !requests.is_empty() {
        requests::answer(store, ctx, &mail, &requests, batch)?;
        if requests.len() == parsed.commands.len() && parsed.rejected.is_empty() {
            return Ok(Outcome::Recorded(format!(
                "staff request from {from} answered"
            )));
        }
    }
    if let Some(c) = authenticated_case(store, ctx, m)? {
        presence::apply(batch, from, &parsed.commands);
        return Ok(Outcome::AddedToCase(
            handling::apply(store, ctx, &mail, &c, batch)?.case,
        ));
    }
    let by_server = authenticated_by_server(m, &ctx.config.staff.trusted_authserv_ids, from);
    if by_server {
        if let Some(c) = &thread {
            presence::apply(batch, from, &parsed.commands);
            return Ok(Outcome::AddedToCase(
                handling::apply(store, ctx, &mail, c, batch)?.case,
            ));
        }
    }
    let trusted = by_server || references_staff_mail(store, ctx, m)?;
    let has = |f: fn(&Command) -> bool| parsed.commands.iter().any(|(_, c)| f(c));
    if trusted && has(|c| matches!(c, Command::Nieuw(_))) {
        return open_on_behalf(store, ctx, &mail, &parsed, batch);
    }
    if trusted && has(|c| matches!(c, Command::Afwezig(_) | Command::Terug)) {
        return presence_only(ctx, &mail, &parsed, batch);
    }
    if has(|c| matches!(c, Command::Klacht)) {
        return own_complaint(store, ctx, &mail, batch);
    }
    let has_commands = !parsed.commands.is_empty() || !parsed.rejected.is_empty();
    if let Some(c) = &thread {
        if !has_commands && m.to.iter().any(|t| c.is_complainant(t)) {
            return cc_mode(ctx, &mail, c, batch);
        }
    }
    if !has_commands {
        if let Some(outcome) = forwarded_complaint(store, ctx, &mail, batch)? {
            return Ok(outcome);
        }
    }
    if has_commands || thread.is_some() {
        // A staff From: without a token: treat as an outside message.
        let reason = if ctx.org().language == "en" {
            "a staff address without a valid case token (a forged sender, or not a reply to an assignment notice)"
        } else {
            "een medewerkersadres zonder geldig kenmerk van een klacht (een vervalste afzender, of geen antwoord op een toewijzingsmelding)"
        };
        alert_coordinator(ctx, entry, m, from, reason, batch)?;
        explain(ctx, &mail, "niet-geverifieerd", batch)?;
        return Ok(Outcome::Recorded(format!(
            "unauthenticated staff mail from {from}: no command applied, coordinator alerted, sender told how to act"
        )));
    }
    explain(ctx, &mail, "geen-klacht", batch)?;
    Ok(Outcome::Recorded(format!(
        "staff mail from {from} without a case: sender told how to act"
    )))
}

/// Staff wrote to the complainant with us in Cc/Bcc: recorded on the case,
/// not relayed.
fn cc_mode(
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    c: &Case,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let now = ctx.now();
    let mut change = Change::on(c);
    change.record(
        now,
        mail.from,
        record::message_in(mail.entry, mail.m, "staff_cc"),
    );
    change.record(
        now,
        mail.from,
        EventKind::StaffReply {
            from: mail.from.to_string(),
            mode: "cc".into(),
        },
    );
    change.write(batch);
    Ok(Outcome::AddedToCase(c.id))
}

/// `#nieuw [klant@…]`: a complaint taken by phone, post, at the counter or
/// on social media. The mail's text is the complaint form; the complainant
/// gets the acknowledgement (through the handler when they have no mail
/// address), the sender a result mail.
fn open_on_behalf(
    store: &Store,
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    parsed: &Parsed,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let m = mail.m;
    let address = parsed.commands.iter().find_map(|(_, c)| match c {
        Command::Nieuw(a) => a.clone(),
        _ => None,
    });
    let form = form::read(
        &command::strip_commands(&text::own_text(&m.text)),
        ctx.calendar,
    );
    let email = address.or(form.email.clone()).unwrap_or_default();
    let problems = form_problems(&form, &email, ctx);
    if !problems.is_empty() {
        return refuse_form(ctx, mail, problems, batch);
    }
    let subject = if crate::cases::thread::base_subject(&m.subject).is_empty() {
        "Klacht (telefonisch of aan de balie)".to_string()
    } else {
        address::header_safe(m.subject.trim(), 250)
    };
    let complaint_text = form.text.clone();
    let message = Inbound {
        from: Some(email.clone()).filter(|e| !e.is_empty()),
        from_name: form.name.clone(),
        subject,
        text: complaint_text,
        attachments: m.attachments.clone(),
        ..Inbound::default()
    };
    let mut verdict = ctx.classifier.classify_message(&message);
    verdict.label = "klacht".into();
    if verdict.category.is_none() {
        verdict.category = Some("dienstverlening".into());
    }
    let sender = Correspondent {
        name: form.name.clone(),
        ..Correspondent::address(&email)
    };
    let complaint = Complaint {
        channel: form.channel.as_deref().unwrap_or("intern"),
        received: form.received.unwrap_or(mail.entry.received_at),
        contact: (form.phone.clone(), form.postal_address.clone()),
        via: Some(mail.from.to_string()),
        ..Complaint::by_mail(mail.entry, &message, &sender, &verdict)
    };
    let c = open_case(store, ctx, batch, &complaint)?;
    let who = if email.is_empty() {
        form.name.clone().unwrap_or_else(|| "de klager".into())
    } else {
        email
    };
    let done = if ctx.org().language == "en" {
        format!(
            "complaint {} opened for {who}, acknowledgement on its way",
            c.id
        )
    } else {
        format!(
            "klacht {} geopend voor {who}, ontvangstbevestiging onderweg",
            c.id
        )
    };
    result_for_new(ctx, mail, &c, done, batch)?;
    Ok(Outcome::NewCase(c.id))
}

/// What is wrong with a `#nieuw` form.
fn form_problems(form: &form::Form, email: &str, ctx: &Context<'_>) -> Vec<String> {
    let mut problems = form.problems.clone();
    let en = ctx.org().language == "en";
    if email.is_empty() && form.phone.is_none() && form.postal_address.is_none() {
        problems.push(if en {
            "no way to reach the complainant: give a mail address (#new customer@example.com), or Phone: or Address:".into()
        } else {
            "de klager is niet te bereiken: geef een e-mailadres (#nieuw klant@voorbeeld.nl), of Telefoon: of Adres:".into()
        });
    }
    if form.text.trim().is_empty() {
        problems.push(if en {
            "the complaint itself is missing: write it below the form lines".into()
        } else {
            "de klacht zelf ontbreekt: schrijf haar onder de regels van het formulier".into()
        });
    }
    if form.received.is_some_and(|r| r > ctx.now()) {
        problems.push(if en {
            "Received: lies in the future".into()
        } else {
            "Ontvangen: ligt in de toekomst".into()
        });
    }
    problems
}

/// A `#nieuw` form that cannot be used: the sender hears why, nothing opens.
fn refuse_form(
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    problems: Vec<String>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let mut vars = vars::base(ctx);
    vars["result"] = json!({
        "done": [],
        "refused": true,
        "rejected": problems.iter().map(|p| json!({"command": "#nieuw", "why": p})).collect::<Vec<_>>(),
        "relayed_to": "",
        "help": command::help(&ctx.org().language),
    });
    vars["message"] = json!({ "subject": address::header_safe(&mail.m.subject, 250) });
    let req = mail.answer(ctx, "commando-resultaat", vars);
    post::queue(ctx, batch, &req)?;
    Ok(Outcome::Recorded(format!(
        "#nieuw from {} refused: {}",
        mail.from,
        problems.join("; ")
    )))
}

/// `#klacht`: an employee complains themselves; they are the complainant.
fn own_complaint(
    store: &Store,
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let m = mail.m;
    let message = Inbound {
        text: command::strip_commands(&text::own_text(&m.text)),
        ..m.clone()
    };
    let mut verdict = ctx.classifier.classify_message(&message);
    verdict.label = "klacht".into();
    let sender = Correspondent::of(m, mail.from);
    let complaint = Complaint {
        channel: "medewerker",
        ..Complaint::by_mail(mail.entry, &message, &sender, &verdict)
    };
    let c = open_case(store, ctx, batch, &complaint)?;
    Ok(Outcome::NewCase(c.id))
}

/// A customer's complaint a staff member forwarded (inline, or attached
/// whole): a case for the original sender, who gets the acknowledgement;
/// the forwarder is recorded and hears which case it became.
fn forwarded_complaint(
    store: &Store,
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    batch: &mut Batch,
) -> Result<Option<Outcome>, ProcessError> {
    let Some(original) = forwarded_message(mail.m) else {
        return Ok(None);
    };
    let Some(from) = original.from.clone().filter(|f| address::is_valid(f)) else {
        return Ok(None);
    };
    if ctx.config.is_staff(&from)
        || address::normalize(&from) == address::normalize(&ctx.org().complaints_address)
    {
        return Ok(None);
    }
    let mut verdict: Verdict = ctx.classifier.classify_message(&original);
    verdict.label = "klacht".into();
    let sender = Correspondent::of(&original, &from);
    let received = original
        .date
        .filter(|d| *d <= ctx.now() && *d > ctx.now() - chrono::Duration::days(366))
        .unwrap_or(mail.entry.received_at);
    let complaint = Complaint {
        received,
        via: Some(mail.from.to_string()),
        ..Complaint::by_mail(mail.entry, &original, &sender, &verdict)
    };
    let c = open_case(store, ctx, batch, &complaint)?;
    let done = if ctx.org().language == "en" {
        format!(
            "your forward became complaint {} for {from}; they have the acknowledgement",
            c.id
        )
    } else {
        format!("uw doorgestuurde bericht is klacht {} geworden voor {from}; de klager krijgt de ontvangstbevestiging", c.id)
    };
    result_for_new(ctx, mail, &c, done, batch)?;
    Ok(Some(Outcome::NewCase(c.id)))
}

/// The message a staff mail forwards: attached whole, or quoted inline
/// under a forward header (Gmail, Apple Mail, Thunderbird, Outlook).
fn forwarded_message(m: &Inbound) -> Option<Inbound> {
    if let Some(inner) = &m.attached_message {
        return Some((**inner).clone());
    }
    let f = text::forwarded(&m.text)?;
    let mailbox = address::parse_mailbox(&f.from.replace("[mailto:", "<").replace(']', ">"));
    let (name, from) = match mailbox {
        Some(mb) => (mb.name, mb.address),
        None => return None,
    };
    let subject = if f.subject.is_empty() {
        crate::cases::thread::base_subject(&m.subject)
    } else {
        f.subject.clone()
    };
    Some(Inbound {
        from: Some(from.to_ascii_lowercase()),
        from_name: name.filter(|n| !n.is_empty()),
        subject,
        text: f.text,
        attachments: m.attachments.clone(),
        date: None,
        ..Inbound::default()
    })
}

/// `#afwezig` / `#terug` in a mail of their own.
fn presence_only(
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    parsed: &Parsed,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let done = presence::apply(batch, mail.from, &parsed.commands);
    let mut vars = vars::base(ctx);
    vars["result"] = json!({
        "done": done,
        "refused": false,
        "rejected": [],
        "relayed_to": "",
        "help": "",
    });
    vars["message"] = json!({ "subject": address::header_safe(&mail.m.subject, 250) });
    post::queue(ctx, batch, &mail.answer(ctx, "commando-resultaat", vars))?;
    Ok(Outcome::Recorded(format!(
        "presence of {}: {}",
        mail.from,
        done.join(", ")
    )))
}

/// The result mail for a case a staff mail opened.
fn result_for_new(
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    c: &Case,
    done: String,
    batch: &mut Batch,
) -> Result<(), ProcessError> {
    let mut vars = vars::case(ctx, c);
    vars["result"] = json!({
        "done": [done],
        "refused": false,
        "rejected": [],
        "relayed_to": "",
        "help": "",
    });
    handling::result_mail(ctx, batch, mail, c.id, 0, vars)?;
    Ok(())
}

/// Tells a staff member how to act on a mail klachtd could do nothing with
/// (`soort`: `geen-klacht` or `niet-geverifieerd`).
fn explain(
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    soort: &str,
    batch: &mut Batch,
) -> Result<(), ProcessError> {
    let mut vars = vars::base(ctx);
    vars["uitleg"] = json!({
        "soort": soort,
        "subject": address::header_safe(&mail.m.subject, 250),
        "received": ctx.calendar.long_moment(mail.entry.received_at, &ctx.org().language),
    });
    let req = mail.answer(ctx, "uitleg", vars);
    post::queue(ctx, batch, &req)?;
    Ok(())
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
        "received": ctx.calendar.long_moment(entry.received_at, &ctx.org().language),
        "journal_id": entry.id,
    });
    let req = LetterRequest::to_staff(ctx.org(), coordinator, "waarschuwing", vars)
        .about(format!("M-{}", entry.id), 1);
    post::queue(ctx, batch, &req)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::procedure::testing::{mail, Fixture, COMPLAINTS, COORDINATOR};

    const NOW: &str = "2026-11-16T10:00:00+01:00";
    const TRUSTED: &str = "trusted_authserv_ids = [\"mx.org.example\"]";
    const AUTH: &str = "Authentication-Results: mx.org.example; dkim=pass header.d=org.example\n";

    #[test]
    fn a_staff_mail_without_case_or_command_is_answered_with_how_to_act() {
        let f = Fixture::new("generiek", NOW, "");
        f.receive(&mail(
            "piet@org.example",
            COMPLAINTS,
            "p1@org.example",
            "Hoe werkt dit?",
            "",
            "Hoi, hoe meld ik een klacht?",
        ));
        let uitleg = f.letters_named("uitleg");
        assert_eq!(uitleg.len(), 1);
        assert_eq!(uitleg[0].to, "piet@org.example");
        assert!(f.text(&uitleg[0]).contains("#nieuw"));
        assert!(f.cases().is_empty());
    }

    #[test]
    fn a_forwarded_complaint_opens_a_case_for_the_original_sender() {
        let f = Fixture::new("generiek", NOW, "");
        f.receive(&mail(
            "piet@org.example",
            COMPLAINTS,
            "p1@org.example",
            "FW: Klacht",
            "",
            "Kun jij dit oppakken?\n\n________________________________\nVan: Jan de Vries <jan@voorbeeld.nl>\nVerzonden: maandag 16 november 2026 09:12\nAan: Info <info@org.example>\nOnderwerp: Klacht\n\nDe monteur is niet gekomen. Zeer slecht!\n\nJan de Vries\n06 12345678\n",
        ));
        let c = f.cases().remove(0);
        assert_eq!(c.complainant, "jan@voorbeeld.nl");
        assert_eq!(c.name.as_deref(), Some("Jan de Vries"));
        assert_eq!(c.via.as_deref(), Some("piet@org.example"));
        assert_eq!(
            f.letters_named("ontvangstbevestiging")[0].to,
            "jan@voorbeeld.nl"
        );
        let result = f.letters_named("commando-resultaat").remove(0);
        assert_eq!(result.to, "piet@org.example");
        assert!(f.text(&result).contains(&c.id.to_string()));
    }

    #[test]
    fn an_employee_complains_with_klacht() {
        let f = Fixture::new("generiek", NOW, "");
        f.receive(&mail(
            "piet@org.example",
            COMPLAINTS,
            "p1@org.example",
            "Rooster",
            "",
            "#klacht\nMijn rooster wordt steeds te laat bekendgemaakt.",
        ));
        let c = f.cases().remove(0);
        assert_eq!(c.complainant, "piet@org.example");
        assert_eq!(c.channel, "medewerker");
    }

    #[test]
    fn a_phone_complaint_without_mail_goes_through_the_handler_and_starts_its_terms_at_receipt() {
        let f = Fixture::new("generiek", NOW, TRUSTED);
        f.receive(&mail(
            "piet@org.example",
            COMPLAINTS,
            "p1@org.example",
            "Telefonische klacht",
            AUTH,
            "#nieuw\nNaam: Jan de Vries\nTelefoon: 06 12345678\nAdres: Kerkstraat 1, 6711 AB Ede\nKanaal: telefoon\nOntvangen: 13-11-2026 14:20\n\nMeneer belde: de meter is al drie weken kapot.",
        ));
        let c = f.cases().remove(0);
        assert_eq!(
            (c.complainant.as_str(), c.channel.as_str()),
            ("", "telefoon")
        );
        assert_eq!(c.phone.as_deref(), Some("06 12345678"));
        assert_eq!(c.received.to_rfc3339(), "2026-11-13T13:20:00+00:00");
        let ack = f.letters_named("ontvangstbevestiging").remove(0);
        assert_eq!(ack.to, COORDINATOR, "to print or phone through");
        let text = f.text(&ack);
        assert!(
            text.contains("geen e-mailadres") && text.contains("Kerkstraat 1"),
            "{text}"
        );
    }

    #[test]
    fn an_unreadable_form_opens_nothing_and_says_why() {
        let f = Fixture::new("generiek", NOW, TRUSTED);
        f.receive(&mail(
            "piet@org.example",
            COMPLAINTS,
            "p1@org.example",
            "Telefonisch",
            AUTH,
            "#nieuw\nKanaal: duif\n\nDe meter is kapot.",
        ));
        assert!(f.cases().is_empty());
        let result = f.letters_named("commando-resultaat").remove(0);
        assert!(result.subject.contains("Niet uitgevoerd"));
        assert!(f.text(&result).contains("duif"));
    }

    #[test]
    fn the_deputy_takes_new_cases_while_the_coordinator_is_away() {
        let f = Fixture::new(
            "generiek",
            NOW,
            &format!("deputy = \"plaatsvervanger@org.example\"\n{TRUSTED}"),
        );
        f.receive(&mail(
            COORDINATOR,
            COMPLAINTS,
            "a1@org.example",
            "Vakantie",
            AUTH,
            "#afwezig tot 30-11-2026",
        ));
        f.receive(&mail(
            "jan@voorbeeld.nl",
            COMPLAINTS,
            "k1@voorbeeld.nl",
            "Klacht",
            "",
            "De monteur kwam niet, ik ben zeer ontevreden.",
        ));
        let c = f.cases().remove(0);
        assert_eq!(c.handler.as_deref(), Some("plaatsvervanger@org.example"));
        f.receive(&mail(
            COORDINATOR,
            COMPLAINTS,
            "a2@org.example",
            "Terug",
            AUTH,
            "#terug",
        ));
        f.receive(&mail(
            "anna@voorbeeld.nl",
            COMPLAINTS,
            "k2@voorbeeld.nl",
            "Klacht",
            "",
            "De bezorger was grof, ik dien een klacht in.",
        ));
        let c = f.cases().pop().unwrap();
        assert_eq!(c.handler.as_deref(), Some(COORDINATOR));
    }

    #[test]
    fn assignment_hands_the_whole_case_over_and_tells_the_previous_handler() {
        let f = Fixture::new("generiek", NOW, "");
        f.receive(&mail(
            "jan@voorbeeld.nl",
            COMPLAINTS,
            "k1@voorbeeld.nl",
            "Klacht",
            "",
            "De monteur kwam niet, ik ben zeer ontevreden.",
        ));
        let c = f.cases().remove(0);
        f.receive(&mail(
            COORDINATOR,
            &f.reply_address(&c),
            "h1@org.example",
            "Re",
            "",
            "#toewijzen piet@org.example",
        ));
        let notices = f.letters_named("toewijzing");
        let to_piet = notices
            .iter()
            .find(|n| n.to == "piet@org.example")
            .expect("a notice for piet");
        let text = f.text(to_piet);
        assert!(text.contains("De monteur kwam niet"), "{text}");
        assert!(f
            .raw(to_piet)
            .contains(&format!("Reply-To: {}", f.reply_address(&c))));
        assert!(
            to_piet.subject.contains("overgedragen"),
            "{}",
            to_piet.subject
        );
        assert_eq!(
            f.letters_named("overdracht").len(),
            0,
            "the coordinator assigned it themselves"
        );
        // Piet hands it on: the coordinator is not told twice, Anna is told nothing yet.
        let c = f.cases().remove(0);
        f.receive(&mail(
            "piet@org.example",
            &f.reply_address(&c),
            "h2@org.example",
            "Re",
            "",
            "#toewijzen anna@org.example",
        ));
        assert_eq!(
            f.letters_named("overdracht").len(),
            0,
            "piet handed it on himself"
        );
        f.receive(&mail(
            COORDINATOR,
            &f.reply_address(&c),
            "h3@org.example",
            "Re",
            "",
            "#toewijzen piet@org.example",
        ));
        let told = f.letters_named("overdracht");
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].to, "anna@org.example");
    }
}
