//! An authenticated staff mail on a case: its `#` commands applied (only
//! the transitions the procedure allows), the letters they promise the
//! complainant, the terms they start or move, the text relayed to the
//! complainant (quotes, signature and command lines removed), and one
//! result mail to the sender saying what was done and what was refused.

use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::EventKind;
use crate::cases::id::CaseId;
use crate::cases::promises;
use crate::cases::state::{self, State};
use crate::intake::inbound::Inbound;
use crate::intake::journal::Entry;
use crate::letters::request::{AutoSubmitted, LetterRequest};
use crate::procedure::command::{self, Command};
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::{post, record, timers, vars};
use crate::store::Batch;
use crate::text;
use serde_json::json;

/// A mail from an authenticated staff member.
#[derive(Debug, Clone, Copy)]
pub struct StaffMail<'a> {
    /// Its journal entry.
    pub entry: &'a Entry,
    /// The message.
    pub m: &'a Inbound,
    /// The staff address it is from.
    pub from: &'a str,
}

/// What applying a staff mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The case.
    pub case: CaseId,
    /// The command lines carried out.
    pub done: Vec<String>,
    /// The command lines refused, with why.
    pub rejected: Vec<(String, String)>,
    /// Whether text was relayed to the complainant.
    pub relayed: bool,
}

/// Applies the commands of an authenticated staff mail on `c` and relays
/// its text; everything goes into `batch`.
pub fn apply(
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    c: &Case,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let (now, from) = (ctx.now(), mail.from);
    let new = text::new_text(&mail.m.text);
    let parsed = command::parse(&new);
    let mut change = Change::on(c);
    change.record(now, from, record::message_in(mail.entry, mail.m, "staff"));
    let mut out = Outcome {
        case: c.id,
        done: Vec::new(),
        rejected: Vec::new(),
        relayed: false,
    };
    let mut help = false;
    for r in &parsed.rejected {
        reject(&mut change, &mut out, (now, from), &r.line, &r.why);
    }
    for (line, cmd) in &parsed.commands {
        match plan(ctx, change.case(), cmd) {
            Ok(steps) => {
                for (reason, kind) in steps {
                    change.record_because(now, from, reason, kind);
                }
                help |= *cmd == Command::Help;
                out.done.push(line.clone());
            }
            Err(why) => reject(&mut change, &mut out, (now, from), line, &why),
        }
    }
    promised_letters(ctx, batch, &mut change, from)?;
    terms(ctx, batch, &change);
    extension_letter(ctx, batch, &mut change, &parsed, from)?;
    let reply = command::strip_commands(&new);
    if !reply.trim().is_empty() {
        let mut vars = vars::case(ctx, change.case());
        vars["reply"] = json!({ "text": reply, "from": from });
        let req = LetterRequest::to_complainant(ctx.org(), change.case(), "antwoord", vars)
            .auto_submitted(AutoSubmitted::No);
        let item = post::queue(ctx, batch, &req)?;
        change.record(
            now,
            from,
            EventKind::StaffReply {
                from: from.to_string(),
                mode: "relayed".into(),
            },
        );
        change.record(now, from, post::queued(&item));
        out.relayed = true;
    }
    let mut vars = vars::case(ctx, change.case());
    vars["result"] = json!({
        "done": out.done,
        "rejected": out.rejected.iter().map(|(c, w)| json!({"command": c, "why": w})).collect::<Vec<_>>(),
        "relayed_to": if out.relayed { c.complainant.clone() } else { String::new() },
        "help": if help { command::HELP } else { "" },
    });
    let item = result_mail(ctx, batch, mail, c.id, change.case().version, vars)?;
    change.record(now, from, post::queued(&item));
    change.write(batch);
    Ok(out)
}

/// Records a refused command line.
fn reject(
    change: &mut Change,
    out: &mut Outcome,
    (now, from): (chrono::DateTime<chrono::Utc>, &str),
    line: &str,
    why: &str,
) {
    out.rejected.push((line.to_string(), why.to_string()));
    change.record(
        now,
        from,
        EventKind::CommandRejected {
            command: line.to_string(),
            why: why.to_string(),
        },
    );
}

/// Queues the letters the procedure promises the complainant for what the
/// mail did (a decision, a resolution, an appeal).
fn promised_letters(
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    from: &str,
) -> Result<(), ProcessError> {
    let promised: Vec<promises::Promised> =
        change.events().iter().flat_map(promises::letters).collect();
    for p in promised {
        let mut vars = vars::case(ctx, change.case());
        vars["decision"] = p.decision;
        let req = LetterRequest::to_complainant(ctx.org(), change.case(), p.letter, vars);
        let item = post::queue(ctx, batch, &req)?;
        change.record(ctx.now(), from, post::queued(&item));
    }
    Ok(())
}

/// Plans the timers of the terms the mail started (policy steps) and of a
/// term it moved (an extension, or the clock running again).
fn terms(ctx: &Context<'_>, batch: &mut Batch, change: &Change) {
    let before = change.before().map(|c| c.state).unwrap_or(State::Ontvangen);
    let started: Vec<_> = change
        .events()
        .iter()
        .filter_map(|e| promises::starts(&e.kind, before))
        .collect();
    for start in started {
        timers::schedule(
            batch,
            &timers::plan_steps(change.case(), ctx.policy, ctx.calendar, start, ctx.now()),
        );
    }
    let moved = change
        .before()
        .is_some_and(|c| change.case().term_changes > c.term_changes);
    if moved {
        timers::schedule(
            batch,
            &timers::plan(change.case(), ctx.policy, ctx.calendar),
        );
    }
}

/// An extended term: the complainant is told, with the reason.
fn extension_letter(
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    parsed: &command::Parsed,
    from: &str,
) -> Result<(), ProcessError> {
    let extended = change
        .before()
        .is_some_and(|c| change.case().extensions.len() > c.extensions.len());
    if !extended {
        return Ok(());
    }
    let mut vars = vars::case(ctx, change.case());
    vars["extension"] = json!({
        "by": change.case().extensions.last().cloned().unwrap_or_default(),
        "reason": parsed.commands.iter().rev().find_map(|(_, cmd)| match cmd {
            Command::Verlengen(_, r) => Some(r.clone()),
            _ => None,
        }).unwrap_or_default(),
    });
    let req = LetterRequest::to_complainant(ctx.org(), change.case(), "verlenging", vars);
    let item = post::queue(ctx, batch, &req)?;
    change.record(ctx.now(), from, post::queued(&item));
    Ok(())
}

/// Queues the one result mail to the staff member who wrote `mail`, in its
/// thread, with the case's signed reply address.
pub fn result_mail(
    ctx: &Context<'_>,
    batch: &mut Batch,
    mail: &StaffMail<'_>,
    case: CaseId,
    seq: u32,
    vars: serde_json::Value,
) -> Result<crate::letters::outbox::Item, ProcessError> {
    let mid = mail.m.message_id.clone();
    let req = LetterRequest::to_staff(ctx.org(), mail.from, "commando-resultaat", vars)
        .on_case(case, seq)
        .reply_to(ctx.reply_address(case))
        .in_thread(mid.clone(), mid.into_iter().collect())
        .auto_submitted(AutoSubmitted::Replied);
    post::queue(ctx, batch, &req)
}

/// Events, each with the reason given for it.
type Steps = Vec<(Option<String>, EventKind)>;

/// The events one command causes on `c`, or why it is refused.
fn plan(ctx: &Context<'_>, c: &Case, cmd: &Command) -> Result<Steps, String> {
    let requires = ctx.policy.requires_judgement;
    let to = |target: State, reason: Option<String>| -> Result<Steps, String> {
        if state::transition_allowed(c.state, target, requires) {
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
    let one = |kind: EventKind| Ok(vec![(None, kind)]);
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
            one(EventKind::HandlerAssigned {
                handler: who.clone(),
            })
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
        Command::Categorie(cat) => one(EventKind::CategorySet {
            category: cat.clone(),
        }),
        Command::Urgent => one(EventKind::MarkedUrgent),
        Command::Notitie(t) => one(EventKind::Note { text: t.clone() }),
        Command::Bod(t) => one(EventKind::Offer { text: t.clone() }),
        Command::BodAntwoord(accepted) => {
            if c.offers.is_empty() {
                return Err("no offer registered yet (#bod tekst)".into());
            }
            one(EventKind::OfferAnswered {
                accepted: *accepted,
            })
        }
        Command::Uitkomst(t) => one(EventKind::OutcomeSet { text: t.clone() }),
        Command::Betrokken(who) => {
            if c.handler.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(who)) {
                return Err(format!("{who} is the handler; assign another handler first (#toewijzen)"));
            }
            one(EventKind::InvolvedAdded { who: who.clone() })
        }
        Command::Tevredenheid(t) => one(EventKind::SatisfactionSet { text: t.clone() }),
        Command::Oorzaak(t) => one(EventKind::CauseSet { text: t.clone() }),
        Command::Verslag(t) => one(EventKind::Reported { text: t.clone() }),
        Command::Maatregel(t) => one(EventKind::MeasureAdded { text: t.clone() }),
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
    if text.to_lowercase().contains(&who.to_lowercase()) {
        return true;
    }
    let hay = crate::text::normalize(&text);
    ctx.config.staff.directory.iter().any(|(name, addr)| {
        addr.eq_ignore_ascii_case(who) && {
            let n = crate::text::normalize(name);
            n.trim().len() >= 3 && hay.contains(&n)
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::cases::state::State;
    use crate::procedure::testing::{mail, Fixture, COMPLAINTS, COORDINATOR};

    /// A fixture with one case, and the handler's reply to its notice.
    fn case_and_reply(preset: &str) -> (Fixture, impl Fn(&Fixture, &str, &str)) {
        let f = Fixture::new(preset, "2026-11-16T10:00:00+01:00", "");
        f.receive(&mail(
            "Jan Jansen <jan@voorbeeld.nl>",
            COMPLAINTS,
            "k1@voorbeeld.nl",
            "Monteur niet gekomen",
            "",
            "De monteur is niet gekomen. Ik ben zeer ontevreden en dien hierbij een klacht in.",
        ));
        let reply = |f: &Fixture, id: &str, body: &str| {
            let c = f.cases().remove(0);
            let notice = f.letters_named("toewijzing").remove(0);
            f.receive(&mail(
                COORDINATOR,
                &f.reply_address(&c),
                id,
                "Re: toegewezen",
                &format!("In-Reply-To: <{}>\n", notice.message_id),
                body,
            ));
        };
        (f, reply)
    }

    #[test]
    fn a_judgement_is_applied_promised_relayed_and_confirmed() {
        let (f, reply) = case_and_reply("generiek");
        reply(
            &f,
            "h1@org.example",
            "Beste heer Jansen,\n\nExcuses, de monteur komt donderdag.\n\n#in-behandeling\n#gegrond: de monteur kwam niet\n",
        );
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::Beoordeeld);
        assert_eq!(c.justified, Some(true));
        let besluit = f.letters_named("besluit");
        assert_eq!(besluit.len(), 1);
        assert!(f.raw(&besluit[0]).contains("de monteur kwam niet"));
        let relayed = f.letters_named("antwoord");
        assert_eq!(relayed[0].to, "jan@voorbeeld.nl");
        let text = f.raw(&relayed[0]);
        assert!(text.contains("de monteur komt donderdag"), "{text}");
        assert!(!text.contains("#gegrond"), "{text}");
        assert!(
            !text.contains("Auto-Submitted"),
            "a person wrote it: {text}"
        );
        let result = f.letters_named("commando-resultaat");
        assert_eq!(result.len(), 1);
        assert_eq!(result[0].to, COORDINATOR);
    }

    #[test]
    fn an_illegal_transition_is_refused_with_the_reason() {
        let (f, reply) = case_and_reply("generiek");
        reply(&f, "h1@org.example", "#opgelost");
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::Ontvangen);
        assert!(f.letters_named("afhandeling").is_empty());
        let result = f.raw(&f.letters_named("commando-resultaat")[0]);
        assert!(result.contains("#opgelost"), "{result}");
    }

    #[test]
    fn extensions_are_capped_by_the_policy() {
        let (f, reply) = case_and_reply("xs2more");
        reply(&f, "h1@org.example", "#verlengen 2 weken: expertise nodig");
        reply(
            &f,
            "h2@org.example",
            "#verlengen 2 weken: nog meer expertise",
        );
        let c = f.cases().remove(0);
        assert_eq!(c.extensions, ["2 weken"]);
        assert_eq!(f.letters_named("verlenging").len(), 1);
    }

    #[test]
    fn a_forged_staff_sender_applies_nothing_and_alerts_the_coordinator() {
        let (f, _) = case_and_reply("generiek");
        let ack = f.letters_named("ontvangstbevestiging").remove(0);
        // A customer saw the acknowledgement's Message-ID; that does not
        // authenticate a staff From:.
        f.receive(&mail(
            "piet@org.example",
            COMPLAINTS,
            "f1@voorbeeld.nl",
            "Re: Ontvangstbevestiging",
            &format!("In-Reply-To: <{}>\n", ack.message_id),
            "#gegrond\nU krijgt alles terug.",
        ));
        let c = f.cases().remove(0);
        assert_eq!(c.justified, None);
        assert!(f.letters_named("antwoord").is_empty());
        assert_eq!(f.letters_named("waarschuwing")[0].to, COORDINATOR);
    }

    #[test]
    fn a_phone_complaint_is_opened_by_a_trusted_staff_mail() {
        let f = Fixture::new(
            "generiek",
            "2026-11-16T10:00:00+01:00",
            "trusted_authserv_ids = [\"mx.org.example\"]",
        );
        f.receive(&mail(
            "piet@org.example",
            COMPLAINTS,
            "n1@org.example",
            "Telefonische klacht",
            "Authentication-Results: mx.org.example; dkim=pass header.d=org.example\n",
            "#nieuw klant@voorbeeld.nl\nMevrouw belde: de meter is al drie weken kapot.",
        ));
        let c = f.cases().remove(0);
        assert_eq!(c.complainant, "klant@voorbeeld.nl");
        assert_eq!(c.channel, "intern");
        assert_eq!(
            f.letters_named("ontvangstbevestiging")[0].to,
            "klant@voorbeeld.nl"
        );
        assert_eq!(
            f.letters_named("commando-resultaat")[0].to,
            "piet@org.example"
        );
    }
}
