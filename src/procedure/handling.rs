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
use crate::deadline::Term;
use crate::intake::corrections;
use crate::intake::inbound::Inbound;
use crate::intake::journal::Entry;
use crate::letters::request::{AutoSubmitted, LetterRequest};
use crate::procedure::command::{self, Command, Refusal};
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::{assign, post, record, timers, vars};
use crate::store::{Batch, Store};
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

impl StaffMail<'_> {
    /// An automatic answer to this mail, to the staff address it came
    /// from, in its thread.
    pub fn answer(
        &self,
        ctx: &Context<'_>,
        letter: &str,
        vars: serde_json::Value,
    ) -> LetterRequest {
        let mid = self.m.message_id.clone();
        LetterRequest::to_staff(ctx.org(), self.from, letter, vars)
            .about(format!("M-{}", self.entry.id), 1)
            .in_thread(mid.clone(), mid.into_iter().collect())
            .auto_submitted(AutoSubmitted::Replied)
    }
}

/// What applying a staff mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The case.
    pub case: CaseId,
    /// The command lines carried out.
    pub done: Vec<String>,
    /// The command lines refused (or, when one was, not carried out), with
    /// why, in the staff's language.
    pub rejected: Vec<(String, String)>,
    /// Whether text was relayed to the complainant.
    pub relayed: bool,
}

/// Applies the commands of an authenticated staff mail on `c` and relays
/// its text; everything goes into `batch`. All or nothing: when one
/// command is refused, none is applied and nothing is relayed.
pub fn apply(
    store: &Store,
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    c: &Case,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let (now, from) = (ctx.now(), mail.from);
    let parsed = command::parse(&text::command_lines(&mail.m.text));
    let mut change = Change::on(c);
    change.record(now, from, record::message_in(mail.entry, mail.m, "staff"));
    let mut out = Outcome {
        case: c.id,
        done: Vec::new(),
        rejected: Vec::new(),
        relayed: false,
    };
    match plan_all(ctx, &change, &parsed, (now, from)) {
        Ok(planned) => {
            change = planned;
            out.done = parsed.commands.iter().map(|(l, _)| l.clone()).collect();
            assign::route(ctx, &mut change, from);
            let mut letters = post::ForComplainant::new();
            promised_letters(ctx, &change, &mut letters);
            terms(ctx, batch, &change);
            extension_letter(ctx, &change, &parsed, &mut letters);
            let reply = text::relay_text(&mail.m.text);
            if !reply.trim().is_empty() {
                change.record(
                    now,
                    from,
                    EventKind::StaffReply {
                        from: from.to_string(),
                        mode: "relayed".into(),
                    },
                );
                letters.relay(reply, from);
                out.relayed = true;
            }
            report_to_involved(ctx, &change, &mut letters);
            letters.queue(ctx, batch, &mut change, from)?;
            assign::role_letters(ctx, batch, &mut change, from)?;
            assign::hand_over(store, ctx, batch, &mut change, from)?;
            keep_corrections(store, batch, &change, (now, from))?;
        }
        Err(refused) => {
            for (line, why) in refused {
                let why = why.text(&ctx.org().language);
                change.record(
                    now,
                    from,
                    EventKind::CommandRejected {
                        command: line.clone(),
                        why: why.clone(),
                    },
                );
                out.rejected.push((line, why));
            }
        }
    }
    let help = parsed.commands.iter().any(|(_, c)| *c == Command::Help);
    let vars = result_vars(ctx, change.case(), &out, help);
    let item = result_mail(ctx, batch, mail, c.id, change.case().version, vars)?;
    change.record(now, from, post::queued(&item));
    change.write(batch);
    Ok(out)
}

/// Plans every command of a mail against the case as the earlier ones
/// leave it. All of them, or, when one is refused, every line with why it
/// was not carried out.
fn plan_all(
    ctx: &Context<'_>,
    change: &Change,
    parsed: &command::Parsed,
    (now, from): (chrono::DateTime<chrono::Utc>, &str),
) -> Result<Change, Vec<(String, Refusal)>> {
    let mut planned = change.clone();
    let mut refused: Vec<(String, Option<Refusal>)> = Vec::new();
    for (line, cmd) in &parsed.commands {
        match plan(ctx, planned.case(), cmd) {
            Ok(steps) => {
                for (reason, kind) in steps {
                    planned.record_because(now, from, reason, kind);
                }
                refused.push((line.clone(), None));
            }
            Err(why) => refused.push((line.clone(), Some(why))),
        }
    }
    let any = !parsed.rejected.is_empty() || refused.iter().any(|(_, w)| w.is_some());
    if !any {
        return Ok(planned);
    }
    let mut all: Vec<(String, Refusal)> = parsed
        .rejected
        .iter()
        .map(|r| (r.line.clone(), r.why.clone()))
        .collect();
    all.extend(
        refused
            .into_iter()
            .map(|(l, w)| (l, w.unwrap_or(Refusal::NotApplied))),
    );
    Err(all)
}

/// The variables of the result mail.
fn result_vars(ctx: &Context<'_>, c: &Case, out: &Outcome, help: bool) -> serde_json::Value {
    let mut vars = vars::case(ctx, c);
    vars["result"] = json!({
        "done": out.done,
        "refused": !out.rejected.is_empty(),
        "rejected": out.rejected.iter().map(|(c, w)| json!({"command": c, "why": w})).collect::<Vec<_>>(),
        "relayed_to": if out.relayed { c.complainant.clone() } else { String::new() },
        "help": if help { command::help(&ctx.org().language) } else { "" },
    });
    vars
}

/// Adds the letters the procedure promises the complainant for what the
/// mail did (a decision, a resolution, an appeal).
fn promised_letters(ctx: &Context<'_>, change: &Change, letters: &mut post::ForComplainant) {
    for p in change.events().iter().flat_map(promises::letters) {
        let mut vars = vars::case(ctx, change.case());
        vars["decision"] = p.decision;
        letters.add(LetterRequest::to_complainant(
            ctx.org(),
            change.case(),
            p.letter,
            vars,
        ));
    }
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
    for e in change.events() {
        if let EventKind::StepStarted { step, .. } = &e.kind {
            if let Some(s) = ctx.policy.steps.iter().find(|s| &s.name == step) {
                timers::schedule(
                    batch,
                    &timers::plan_started_step(change.case(), s, ctx.calendar, ctx.now()),
                );
            }
        }
    }
    let moved = change
        .before()
        .is_some_and(|c| change.case().term_changes > c.term_changes);
    if moved {
        timers::schedule(
            batch,
            &timers::plan(change.case(), ctx.policy, ctx.calendar, ctx.now()),
        );
    }
}

/// The written report after resolution (`#verslag tekst`), where the
/// policy sends it (Optimumconsult): to the complainant here; to the
/// people involved by [`assign::role_letters`].
fn report_to_involved(ctx: &Context<'_>, change: &Change, letters: &mut post::ForComplainant) {
    if !ctx.policy.report_to_involved {
        return;
    }
    for e in change.events() {
        if let EventKind::Reported { text: Some(text) } = &e.kind {
            let mut vars = vars::case(ctx, change.case());
            vars["verslag"] = json!({ "text": text });
            letters.add(LetterRequest::to_complainant(
                ctx.org(),
                change.case(),
                "verslag",
                vars,
            ));
        }
    }
}

/// An extended term: the complainant is told, with the reason.
fn extension_letter(
    ctx: &Context<'_>,
    change: &Change,
    parsed: &command::Parsed,
    letters: &mut post::ForComplainant,
) {
    let extended = change
        .before()
        .is_some_and(|c| change.case().extensions.len() > c.extensions.len());
    if !extended {
        return;
    }
    let mut vars = vars::case(ctx, change.case());
    let by = parsed.commands.iter().rev().find_map(|(_, cmd)| match cmd {
        Command::Verlengen(t, r) => Some((*t, r.clone())),
        _ => None,
    });
    let (term, reason) = by.unwrap_or_else(|| (Term::default(), String::new()));
    vars["extension"] = json!({
        "by": term.describe(&change.case().language),
        "reason": reason,
    });
    letters.add(LetterRequest::to_complainant(
        ctx.org(),
        change.case(),
        "verlenging",
        vars,
    ));
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
fn plan(ctx: &Context<'_>, c: &Case, cmd: &Command) -> Result<Steps, Refusal> {
    let requires = ctx.policy.requires_judgement;
    let to = |target: State, reason: Option<String>| -> Result<Steps, Refusal> {
        if state::transition_allowed(c.state, target, requires) {
            Ok(vec![(reason, EventKind::StateChanged { to: target })])
        } else {
            Err(Refusal::NotAllowed {
                from: c.state,
                to: target,
                judgement_first: target == State::Opgelost && requires,
            })
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
                return Err(Refusal::NotStaff(who.clone()));
            }
            if assign::involved(c, who, ctx) {
                return Err(Refusal::Involved(who.clone()));
            }
            one(EventKind::HandlerAssigned {
                handler: who.clone(),
            })
        }
        Command::Verlengen(term, reason) => extension(ctx, c, *term, reason),
        Command::Categorie(cat) => one(EventKind::CategorySet {
            category: cat.clone(),
        }),
        Command::Urgent => one(EventKind::MarkedUrgent),
        Command::Notitie(t) => one(EventKind::Note { text: t.clone() }),
        Command::Bod(t) => one(EventKind::Offer { text: t.clone() }),
        Command::BodAntwoord(accepted) => {
            if c.offers.is_empty() {
                return Err(Refusal::NoOffer);
            }
            one(EventKind::OfferAnswered {
                accepted: *accepted,
            })
        }
        Command::Uitkomst(t) => one(EventKind::OutcomeSet { text: t.clone() }),
        Command::Betrokken(who) => {
            if c.handler
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(who))
            {
                return Err(Refusal::IsHandler(who.clone()));
            }
            one(EventKind::InvolvedAdded { who: who.clone() })
        }
        Command::Tevredenheid(t) => one(EventKind::SatisfactionSet { text: t.clone() }),
        Command::Oorzaak(t) => one(EventKind::CauseSet { text: t.clone() }),
        Command::Verslag(t) => one(EventKind::Reported { text: t.clone() }),
        Command::Maatregel(t) => one(EventKind::MeasureAdded { text: t.clone() }),
        Command::Help => Ok(Vec::new()),
        Command::Nieuw(_) => Err(Refusal::NotOnACase("nieuw")),
        Command::Klacht => relabel(c, "klacht"),
        Command::Soort(label) => relabel(c, label),
        // Presence is the sender's, not the case's: recorded by the staff
        // module before the case is handled.
        Command::Afwezig(_) | Command::Terug => Ok(Vec::new()),
        // Requests are answered by the staff module, apart from the case.
        Command::Agenda | Command::Zaak(_) | Command::Mijn => Ok(Vec::new()),
        Command::Complex => one(EventKind::MarkedComplex),
        Command::Schadeclaim(discovered, what) => claim(ctx, *discovered, what),
        Command::ReactieBetrokkene(t) => one(EventKind::InvolvedReaction { text: t.clone() }),
        Command::Stap {
            step,
            done,
            planned,
        } => step_by_command(ctx, step, *done, *planned),
    }
}

/// `#verlengen`: within the policy's number and length of extensions.
fn extension(ctx: &Context<'_>, c: &Case, term: Term, reason: &str) -> Result<Steps, Refusal> {
    if let Some(max) = ctx.policy.max_extensions {
        if c.extensions.len() as u32 >= max {
            return Err(Refusal::ExtensionsUsed { max });
        }
    }
    // Terms in other units compare by where they end from today.
    if let Some(max) = ctx.policy.max_extension {
        let now = ctx.now();
        if ctx.calendar.due(now, term) > ctx.calendar.due(now, max) {
            return Err(Refusal::ExtensionTooLong { asked: term, max });
        }
    }
    Ok(vec![(
        Some(reason.to_string()),
        EventKind::Extended {
            by: term.to_string(),
        },
    )])
}

/// `#schadeclaim`: registered, late when past the policy's limitation
/// term counted from the day the damage was discovered.
fn claim(
    ctx: &Context<'_>,
    discovered: chrono::NaiveDate,
    what: &Option<String>,
) -> Result<Steps, Refusal> {
    let claims = ctx.policy.schadeclaim.as_ref().ok_or(Refusal::NoClaims)?;
    let cal = ctx.calendar;
    let limit = cal.due(cal.at_local(discovered, 0), claims.limitation);
    Ok(vec![(
        None,
        EventKind::DamageClaimed {
            discovered,
            late: ctx.now() > limit,
            text: what.clone(),
        },
    )])
}

/// `#bezoek gepland` / `#stap naam gedaan`: a step the policy lets a
/// command start and end.
fn step_by_command(
    ctx: &Context<'_>,
    step: &str,
    done: bool,
    planned: Option<chrono::NaiveDate>,
) -> Result<Steps, Refusal> {
    let Some(s) =
        ctx.policy.steps.iter().find(|s| {
            s.command.is_some() && (s.command.as_deref() == Some(step) || s.name == step)
        })
    else {
        return Err(Refusal::NoSuchStep(step.to_string()));
    };
    let step = s.name.clone();
    let kind = if done {
        EventKind::StepDone { step }
    } else {
        EventKind::StepStarted { step, planned }
    };
    Ok(vec![(None, kind)])
}

/// Keeps a staff confirmation or correction of the classifier as a
/// labelled example (the message that opened the case, the label given).
fn keep_corrections(
    store: &Store,
    batch: &mut Batch,
    change: &Change,
    (now, from): (chrono::DateTime<chrono::Utc>, &str),
) -> Result<(), ProcessError> {
    let Some(label) = change.events().iter().find_map(|e| match &e.kind {
        EventKind::Relabelled { label } => Some(label.clone()),
        _ => None,
    }) else {
        return Ok(());
    };
    let c = change.case();
    let opening = crate::cases::lookup::events(store, c.id)?
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::MessageIn { journal_id, .. } => Some(journal_id),
            _ => None,
        });
    let Some(journal_id) = opening else {
        return Ok(());
    };
    let classified = crate::intake::journal::entry(store, &journal_id)?
        .and_then(|e| e.verdict)
        .map(|v| v.label)
        .unwrap_or_default();
    corrections::record(
        batch,
        &corrections::Correction {
            case: c.id.to_string(),
            journal_id,
            label,
            classified,
            by: from.to_string(),
            at: now,
        },
    );
    Ok(())
}

/// Confirms or corrects what kind of message opened `c`: only once, and
/// only while no position was taken on it.
fn relabel(c: &Case, label: &str) -> Result<Steps, Refusal> {
    if c.relabelled.is_some() || c.decided.is_some() || c.state == State::Gesloten {
        return Err(Refusal::AlreadyLabelled(
            c.relabelled.clone().unwrap_or_else(|| "klacht".into()),
        ));
    }
    Ok(vec![(
        None,
        EventKind::Relabelled {
            label: label.to_string(),
        },
    )])
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
    fn a_judgement_is_applied_and_goes_out_with_the_relayed_text_as_one_letter() {
        let (f, reply) = case_and_reply("generiek");
        reply(
            &f,
            "h1@org.example",
            "Beste heer Jansen,\n\nExcuses, de monteur komt donderdag.\n\nMet vriendelijke groet,\nPiet\n#in-behandeling\n#gegrond: de monteur kwam niet\n",
        );
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::Beoordeeld);
        assert_eq!(c.justified, Some(true));
        assert!(f.letters_named("besluit").is_empty() && f.letters_named("antwoord").is_empty());
        let one = f.letters_named("samengesteld");
        assert_eq!(one.len(), 1, "one letter per moment");
        assert_eq!(one[0].to, "jan@voorbeeld.nl");
        assert_eq!(one[0].parts, ["antwoord", "besluit"]);
        let text = f.raw(&one[0]);
        assert!(
            text.contains("Subject: Ons standpunt"),
            "the subject says what it is first: {text}"
        );
        assert!(text.contains("de monteur komt donderdag"), "{text}");
        assert!(
            text.contains("Met vriendelijke groet,\r\nPiet"),
            "greeting and name kept: {text}"
        );
        assert!(text.contains("de monteur kwam niet"), "{text}");
        assert!(!text.contains("#gegrond"), "{text}");
        assert!(
            !text.contains("Auto-Submitted"),
            "a person wrote part of it: {text}"
        );
        let result = f.letters_named("commando-resultaat");
        assert_eq!(result.len(), 1);
        assert_eq!(result[0].to, COORDINATOR);
        assert!(
            result[0].subject.contains("Uitgevoerd"),
            "{}",
            result[0].subject
        );
    }

    #[test]
    fn one_refused_command_applies_and_relays_nothing() {
        let (f, reply) = case_and_reply("generiek");
        reply(
            &f,
            "h1@org.example",
            "Wij vinden uw klacht gegrond.\n#in-behandeling\n#gegrondd\n",
        );
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::Ontvangen, "nothing applied");
        assert!(
            f.letters_named("antwoord").is_empty() && f.letters_named("samengesteld").is_empty()
        );
        let result = f.letters_named("commando-resultaat").remove(0);
        assert!(
            result.subject.contains("Niet uitgevoerd"),
            "{}",
            result.subject
        );
        let text = f.raw(&result);
        assert!(text.contains("bedoelde u #gegrond?"), "{text}");
        assert!(
            text.contains("#in-behandeling") && text.contains("ander commando"),
            "{text}"
        );
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
    fn an_extension_longer_than_the_policy_allows_is_refused_with_the_cap() {
        // Xs2more: "met maximaal zes weken".
        let (f, reply) = case_and_reply("xs2more");
        reply(&f, "h1@org.example", "#verlengen 12 weken: x");
        assert!(f.cases().remove(0).extensions.is_empty());
        let result = f.text(&f.letters_named("commando-resultaat")[0]);
        assert!(
            result.contains("hoogstens 6 weken") && result.contains("niet 12 weken"),
            "{result}"
        );
        reply(
            &f,
            "h1@org.example",
            "#verlengen 25 werkdagen: expertise nodig",
        );
        assert_eq!(f.cases().remove(0).extensions, ["25 werkdagen"]);
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

#[cfg(test)]
mod triage {
    use crate::cases::state::State;
    use crate::intake::corrections;
    use crate::procedure::testing::{mail, Fixture, COMPLAINTS, COORDINATOR};

    const DOUBTFUL: &str =
        "Wanneer komt de monteur? Ik vind het jammer dat het zo lang duurt.\n\nGroet, Anna";

    fn doubtful(doubt: &str) -> Fixture {
        let f = Fixture::new(
            "generiek",
            "2026-11-16T10:00:00+01:00",
            &format!("[classifier]\ndoubt = \"{doubt}\"\n"),
        );
        f.receive(&mail(
            "Anna de Vries <anna@voorbeeld.nl>",
            COMPLAINTS,
            "d1@voorbeeld.nl",
            "Monteur",
            "",
            DOUBTFUL,
        ));
        f
    }

    #[test]
    fn a_doubtful_message_is_acknowledged_as_a_complaint_and_the_coordinator_asked() {
        let f = doubtful("ask");
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::Ontvangen);
        let ack = f.letters_named("ontvangstbevestiging");
        assert_eq!(ack.len(), 1, "acknowledged as a complaint, with its term");
        let notice = f.text(&f.letters_named("toewijzing").remove(0));
        assert!(notice.contains("TWIJFELGEVAL"), "{notice}");
        assert!(notice.contains("#geen-klacht"), "{notice}");
        // The lean policy opens the case without asking anyone.
        let lean = doubtful("klacht");
        let notice = lean.text(&lean.letters_named("toewijzing").remove(0));
        assert!(!notice.contains("TWIJFELGEVAL"), "{notice}");
    }

    #[test]
    fn a_correction_withdraws_the_case_sends_the_right_letter_and_is_kept() {
        let f = doubtful("ask");
        let c = f.cases().remove(0);
        let notice = f.letters_named("toewijzing").remove(0);
        f.receive(&mail(
            COORDINATOR,
            &f.reply_address(&c),
            "t1@org.example",
            "Re: toegewezen",
            &format!("In-Reply-To: <{}>\n", notice.message_id),
            "#vraag\nBeste Anna, de monteur komt donderdag.\n\nGroet,\nPiet",
        ));
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::Gesloten);
        assert_eq!(c.relabelled.as_deref(), Some("vraag"));
        assert!(!c.is_complaint());
        let letter = f
            .letters()
            .into_iter()
            .find(|l| l.to == "anna@voorbeeld.nl" && l.parts.iter().any(|p| p == "geen-klacht"))
            .or_else(|| f.letters_named("geen-klacht").into_iter().next())
            .expect("the sender hears it is no complaint");
        let text = f.text(&letter);
        assert!(text.contains("gaat het om een vraag"), "{text}");
        assert!(text.contains("de monteur komt donderdag"), "{text}");
        let kept = corrections::all(&f.store).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].label, "vraag");
        let (examples, gone) = corrections::examples(&f.store).unwrap();
        assert_eq!((examples.len(), gone), (1, 0));
        assert!(examples[0].body.contains("monteur"));
        // Settled once: a second correction is refused.
        f.receive(&mail(
            COORDINATOR,
            &f.reply_address(&c),
            "t2@org.example",
            "Re: toegewezen",
            "",
            "#klacht",
        ));
        assert_eq!(f.cases().remove(0).relabelled.as_deref(), Some("vraag"));
        // The sender insists: the case reopens as a complaint.
        f.receive(&mail(
            "Anna de Vries <anna@voorbeeld.nl>",
            COMPLAINTS,
            "d2@voorbeeld.nl",
            "Re: Geen klacht",
            &format!("In-Reply-To: <{}>\n", letter.message_id),
            "Ik ben het er niet mee eens: ik wacht al drie weken, dit is wel een klacht.",
        ));
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::InBehandeling, "reopened");
        assert!(c.is_complaint(), "{:?}", c.relabelled);
    }
}
