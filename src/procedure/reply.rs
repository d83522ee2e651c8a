//! A message from the complainant or a participant on their case. It is
//! added to the case and always reaches a person: the handler gets it as a
//! notice with the full new text, the attachments listed and the case's
//! signed reply address, so they answer it by Reply like the first notice.
//! What the message is to the procedure is registered on the way:
//!
//! - the case waited for the complainant: the clock runs again;
//! - the case was closed: it is reopened, or a follow-up case opens
//!   (policy `after_closing`);
//! - it answers the satisfaction letter: the satisfaction is registered;
//! - it answers the `beroep` letter: the appeal is lodged, the case goes to
//!   the policy's appeal role with its own term, and the complainant hears
//!   who handles it and by when.

use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::{EventKind, KLACHTD};
use crate::cases::policy::AfterClosing;
use crate::cases::state::State;
use crate::intake::classify::Verdict;
use crate::intake::inbound::{Correspondent, Inbound};
use crate::intake::journal::Entry;
use crate::letters::outbox::{self, Item};
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::open::{open_case, Complaint};
use crate::procedure::outcome::Outcome;
use crate::procedure::{assign, conversation, post, record, timers, vars};
use crate::store::{Batch, Store};
use crate::text;
use serde_json::json;

/// A message on a case, with who wrote it and what the classifier said.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// Its journal entry.
    pub entry: &'a Entry,
    /// The message.
    pub m: &'a Inbound,
    /// Who wrote it.
    pub sender: &'a Correspondent,
    /// The classifier's verdict.
    pub verdict: &'a Verdict,
}

/// Adds the reply to case `c` and tells its handler.
pub fn on_case(
    store: &Store,
    ctx: &Context<'_>,
    r: &Reply<'_>,
    c: &Case,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let (entry, m, sender) = (r.entry, r.m, r.sender);
    if c.state.is_closed() && ctx.policy.after_closing == AfterClosing::FollowUp {
        return follow_up(store, ctx, r, c, batch);
    }
    let now = ctx.now();
    let mut change = Change::on(c);
    record::message(&mut change, entry, m, "reply", now);
    let mut what: Vec<String> = Vec::new();
    let en = ctx.org().language == "en";
    let say = |nl: &str, english: &str| if en { english } else { nl }.to_string();
    if m.attachments.iter().any(|a| !a.kept) {
        refuse_attachments(store, ctx, batch, &mut change, r)?;
        what.push(say(
            "een bijlage was te groot; de klager is gevraagd om een kleinere",
            "an attachment was too large; the complainant was asked for a smaller one",
        ));
    }
    let from_complainant = c.is_complainant(&sender.address);
    let answered = answered_letter(store, ctx, m)?;
    if from_complainant && c.state == State::WachtOpKlager {
        // The complainant answered: the case no longer waits for them.
        change.record(now, KLACHTD, state(State::InBehandeling));
        timers::schedule(
            batch,
            &timers::plan(change.case(), ctx.policy, ctx.calendar, ctx.now()),
        );
        what.push(say(
            "de klok loopt weer: de zaak wachtte op de klager",
            "the clock runs again: the case was waiting for the complainant",
        ));
    } else if c.state.is_closed() {
        change.record_because(
            now,
            KLACHTD,
            Some(say("heropend na een reactie", "reopened after a reply")),
            state(State::InBehandeling),
        );
        what.push(say(
            "de klacht was gesloten en is heropend; sluit haar weer met #sluiten als er niets meer te doen is",
            "the complaint was closed and is reopened; close it again with #close if nothing is left to do",
        ));
    }
    // The satisfaction letter offers the next step (Glaspunt: "dan kunt u
    // uw klacht voorleggen aan de directie"): an unhappy answer that takes
    // it lodges the appeal as an answer to the beroep letter would.
    let takes_offer = answered.as_ref().is_some_and(|i| i.is("tevredenheid"))
        && text::wants_appeal(&text::new_text(&m.text))
        && crate::cases::state::transition_allowed(
            change.case().state,
            State::Beroep,
            ctx.policy.requires_judgement,
        );
    if from_complainant && answered.as_ref().is_some_and(|i| i.is("tevredenheid")) {
        let heard = text::summary(&text::new_text(&m.text), 300);
        let unhappy = crate::reports::figures::satisfaction_class(&heard).0 == "ontevreden";
        change.record(
            now,
            &sender.address,
            EventKind::SatisfactionSet { text: heard },
        );
        what.push(say(
            "dit is het antwoord op de vraag of de klager tevreden is; het is als tevredenheid geregistreerd",
            "this answers the satisfaction letter; it is registered as the satisfaction heard",
        ));
        if !takes_offer && unhappy {
            what.push(say(
                "de klager lijkt niet tevreden; wilt u de vervolgstap van de regeling aanbieden, zet dan #beroep in uw antwoord",
                "the complainant seems unsatisfied; to offer the procedure's next step, put #appeal in your reply",
            ));
        }
    }
    let previous = c.handler.clone();
    if from_complainant && (answered.as_ref().is_some_and(|i| i.is("beroep")) || takes_offer) {
        let who = lodge_appeal(ctx, batch, &mut change, sender)?;
        what.push(if en {
            format!("the complainant appeals; {who} handles the appeal")
        } else {
            format!("de klager gaat in beroep; {who} behandelt het beroep")
        });
    }
    let handler_changed = change.case().handler != previous;
    if handler_changed {
        // The appeal's handler gets the whole case.
        let c = change.case().clone();
        let mut v = vars::case(ctx, &c);
        v["message"] = conversation::first_complaint(store, ctx, &c)?;
        if let Some(mut req) = assign::notice(store, ctx, &c, previous.as_deref(), v)? {
            // This message is not in the store yet: it ends the conversation.
            if let Some(turns) = req.vars["gesprek"].as_array_mut() {
                turns.push(json!(conversation::Turn {
                    wanneer: ctx
                        .calendar
                        .long_moment(entry.received_at, &ctx.org().language),
                    richting: "in",
                    van: sender.address.clone(),
                    onderwerp: crate::address::header_safe(&m.subject, 250),
                    tekst: text::own_text(&m.text),
                }));
            }
            let item = post::queue(ctx, batch, &req)?;
            change.record(now, KLACHTD, post::queued(&item));
        }
    } else {
        notify_handler(store, ctx, batch, &mut change, r, what)?;
    }
    change.write(batch);
    Ok(Outcome::AddedToCase(c.id))
}

fn state(to: State) -> EventKind {
    EventKind::StateChanged { to }
}

/// The letter of ours a message answers (In-Reply-To/References).
fn answered_letter(
    store: &Store,
    ctx: &Context<'_>,
    m: &Inbound,
) -> Result<Option<Item>, ProcessError> {
    for id in m.referenced_ids() {
        if ctx.signer.verify_message_id(id).is_some() {
            if let Some(item) = outbox::item_by_message_id(store, id)? {
                return Ok(Some(item));
            }
        }
    }
    Ok(None)
}

/// The appeal: registered, assigned to the appeal role with its term, and
/// the complainant told who handles it and by when. Returns who.
fn lodge_appeal(
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    sender: &Correspondent,
) -> Result<String, ProcessError> {
    let now = ctx.now();
    if change.case().state != State::Beroep {
        change.record(now, KLACHTD, state(State::Beroep));
    }
    change.record(
        now,
        &sender.address,
        EventKind::AppealLodged {
            by: sender.address.clone(),
        },
    );
    if let Some(handler) = assign::appeal_handler(ctx) {
        if change.case().handler.as_deref() != Some(handler.as_str()) {
            change.record(now, KLACHTD, assign::assigned(&handler));
        }
    }
    let appeal_timers = timers::plan_appeal(change.case(), ctx.policy, ctx.calendar, now);
    let due = appeal_timers
        .iter()
        .map(|t| t.term_end)
        .max()
        .unwrap_or(now);
    timers::schedule(batch, &appeal_timers);
    let lang = change.case().language.clone();
    let who = ctx.policy.beroep.who(&lang).to_string();
    let mut v = vars::case(ctx, change.case());
    v["beroep"] = json!({
        "wie": who,
        "uiterlijk": ctx.calendar.local_date(due).to_string(),
    });
    let req = LetterRequest::to_complainant(ctx.org(), change.case(), "beroep-ontvangen", v);
    let item = post::queue(ctx, batch, &req)?;
    change.record(now, KLACHTD, post::queued(&item));
    Ok(ctx.policy.beroep.who(&ctx.org().language).to_string())
}

/// An attachment over the limit: the sender is asked for a smaller one.
fn refuse_attachments(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    r: &Reply<'_>,
) -> Result<(), ProcessError> {
    let c = change
        .before()
        .cloned()
        .unwrap_or_else(|| change.case().clone());
    let mut v = vars::case(ctx, &c);
    v["message"] = vars::message(ctx, r.entry, r.m, r.sender, r.verdict);
    let req = LetterRequest::answering(ctx.org(), r.m, r.sender, "bijlage-te-groot", v)
        .lang(&c.language)
        .on_case(c.id, c.version + 1);
    if let Some(item) = post::answer(store, ctx, batch, &req)? {
        change.record(ctx.now(), KLACHTD, post::queued(&item));
    }
    Ok(())
}

/// The notice to the handler: who wrote, what it meant for the case, the
/// full new text and the attachments, with the signed reply address.
fn notify_handler(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    r: &Reply<'_>,
    what: Vec<String>,
) -> Result<(), ProcessError> {
    let (entry, m, sender) = (r.entry, r.m, r.sender);
    let c = change.case().clone();
    let Some(handler) = c
        .handler
        .clone()
        .or_else(|| ctx.coordinator().map(str::to_string))
    else {
        return Ok(());
    };
    let mut v = vars::case(ctx, &c);
    v["message"] = vars::message(ctx, entry, m, sender, r.verdict);
    v["reactie"] = json!({
        "van": sender.address,
        "naam": sender.name.clone().unwrap_or_default(),
        "klager": c.is_complainant(&sender.address),
        "wanneer": ctx.calendar.long_moment(entry.received_at, &ctx.org().language),
        "gevolgen": what,
    });
    v["eerdere"] = json!(conversation::earlier_cases(store, ctx, &c)?);
    let req = LetterRequest::to_staff(ctx.org(), &handler, "reactie", v)
        .on_case(c.id, c.version)
        .reply_to(ctx.reply_address(c.id));
    let item = post::queue(ctx, batch, &req)?;
    change.record(ctx.now(), KLACHTD, post::queued(&item));
    Ok(())
}

/// A message on a closed case, where the policy opens a follow-up case.
fn follow_up(
    store: &Store,
    ctx: &Context<'_>,
    r: &Reply<'_>,
    previous: &Case,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let mut verdict = r.verdict.clone();
    verdict.label = "klacht".into();
    let complaint = Complaint {
        follow_up_of: Some(previous.id),
        ..Complaint::by_mail(r.entry, r.m, r.sender, &verdict)
    };
    let c = open_case(store, ctx, batch, &complaint)?;
    Ok(Outcome::NewCase(c.id))
}

#[cfg(test)]
mod tests {
    use crate::cases::state::State;
    use crate::procedure::testing::{mail, Fixture, COMPLAINTS, COORDINATOR};

    fn complaint(f: &Fixture) {
        f.receive(&mail(
            "Jan Jansen <jan@voorbeeld.nl>",
            COMPLAINTS,
            "k1@voorbeeld.nl",
            "Monteur niet gekomen",
            "",
            "De monteur is niet gekomen. Ik ben zeer ontevreden en dien een klacht in.\n\nMet vriendelijke groet,\nJan Jansen\n06 12345678",
        ));
    }

    /// A complaint judged justified and resolved by its handler.
    fn complaint_resolved(f: &Fixture) {
        complaint(f);
        handler(
            f,
            "h1@org.example",
            "#in-behandeling\n#gegrond: gemist\n#opgelost",
        );
    }

    /// The handler answers the case's notice with `body`.
    fn handler(f: &Fixture, id: &str, body: &str) {
        let c = f.cases().remove(0);
        f.receive(&mail(
            COORDINATOR,
            &f.reply_address(&c),
            id,
            "Re: toegewezen",
            "",
            body,
        ));
    }

    /// The complainant answers our letter `letter`.
    fn answer(f: &Fixture, id: &str, letter: &str, body: &str) {
        let item = f
            .letters()
            .into_iter()
            .rev()
            .find(|i| i.is(letter))
            .unwrap_or_else(|| panic!("no {letter}"));
        f.receive(&mail(
            "jan@voorbeeld.nl",
            COMPLAINTS,
            id,
            "Re: uw klacht",
            &format!("In-Reply-To: <{}>\n", item.message_id),
            body,
        ));
    }

    #[test]
    fn a_reply_reaches_the_handler_with_its_text_and_the_signed_address() {
        let f = Fixture::new("generiek", "2026-11-16T10:00:00+01:00", "");
        complaint(&f);
        let notice = f.letters_named("toewijzing").remove(0);
        assert!(
            f.text(&notice).contains("06 12345678"),
            "the notice keeps the signature"
        );
        answer(
            &f,
            "k2@voorbeeld.nl",
            "ontvangstbevestiging",
            "Aanvulling: het gaat om de meter in de kelder.\n\nOp 16 nov. 2026 om 10:00 schreef Klachtenservice <klachten@org.example>:\n> Ontvangstbevestiging",
        );
        let reactie = f.letters_named("reactie");
        assert_eq!(reactie.len(), 1);
        assert_eq!(reactie[0].to, COORDINATOR);
        let text = f.text(&reactie[0]);
        let c = f.cases().remove(0);
        assert!(text.contains("meter in de kelder"), "{text}");
        assert!(!text.contains("> Ontvangstbevestiging"), "{text}");
        assert!(f
            .raw(&reactie[0])
            .contains(&format!("Reply-To: {}", f.reply_address(&c))));
        assert!(
            reactie[0].subject.contains("Reactie van de klager"),
            "{}",
            reactie[0].subject
        );
    }

    #[test]
    fn an_answer_to_the_satisfaction_letter_is_registered() {
        let f = Fixture::new("generiek", "2026-11-16T10:00:00+01:00", "");
        complaint_resolved(&f);
        answer(
            &f,
            "k2@voorbeeld.nl",
            "tevredenheid",
            "Ik ben het er niet mee eens, een 4.",
        );
        let c = f.cases().remove(0);
        assert_eq!(
            c.satisfaction.as_deref(),
            Some("Ik ben het er niet mee eens, een 4.")
        );
        let text = f.text(&f.letters_named("reactie").remove(0));
        assert!(text.contains("tevredenheid geregistreerd"), "{text}");
        assert!(
            text.contains("zet dan #beroep"),
            "the handler is offered the next step: {text}"
        );
        assert_eq!(
            c.state,
            State::Opgelost,
            "an unhappy mark alone is no appeal"
        );
    }

    #[test]
    fn an_unhappy_answer_that_takes_the_offered_next_step_lodges_the_appeal() {
        let f = Fixture::new(
            "glaspunt",
            "2026-11-16T10:00:00+01:00",
            "management = [\"directie@org.example\"]\nroles = { kwaliteitsmanager = \"k@org.example\" }",
        );
        complaint_resolved(&f);
        answer(
            &f,
            "k2@voorbeeld.nl",
            "tevredenheid",
            "Nee, ik ben niet tevreden. Ik wil dit voorleggen aan de directie.\n\nMarieke\n\n\"Klachtenservice\" <klachten@org.example> wrote:\n> Bent u tevreden?",
        );
        let c = f.cases().remove(0);
        assert!(c.satisfaction.is_some());
        assert_eq!(c.state, State::Beroep);
        assert_eq!(c.handler.as_deref(), Some("directie@org.example"));
        let told = f.text(&f.letters_named("beroep-ontvangen").remove(0));
        assert!(told.contains("de directie van Glaspunt"), "{told}");
    }

    #[test]
    fn an_answer_to_the_appeal_letter_lodges_the_appeal_with_its_handler_and_term() {
        let f = Fixture::new(
            "vps",
            "2026-11-16T10:00:00+01:00",
            "management = [\"directie@org.example\"]",
        );
        complaint(&f);
        handler(
            &f,
            "h1@org.example",
            "#in-behandeling\n#ongegrond: de monteur was er wel\n#beroep",
        );
        answer(
            &f,
            "k2@voorbeeld.nl",
            "beroep",
            "Ik ga in beroep: ik was de hele dag thuis.",
        );
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::Beroep);
        assert!(c.appealed.is_some());
        assert_eq!(c.handler.as_deref(), Some("directie@org.example"));
        let notice = f
            .letters_named("toewijzing")
            .into_iter()
            .find(|n| n.to == "directie@org.example")
            .expect("the appeal's handler gets the whole case");
        assert!(
            f.text(&notice).contains("ik was de hele dag thuis"),
            "the whole conversation"
        );
        let told = f.letters_named("beroep-ontvangen").remove(0);
        assert_eq!(told.to, "jan@voorbeeld.nl");
        let text = f.text(&told);
        assert!(
            text.contains("de Business unit director") && text.contains("uiterlijk"),
            "{text}"
        );
        let timers = crate::procedure::timers::pending(&f.store, c.id).unwrap();
        assert!(timers.iter().any(|t| matches!(
            t.kind,
            crate::procedure::timers::Kind::Appeal { breach: true }
        )));
        // The appeal's outcome is registered as such.
        handler(&f, "h2@org.example", "#gegrond: de monteur was er niet");
        let c = f.cases().remove(0);
        assert_eq!(c.appeal_justified, Some(true));
        assert_eq!(c.state, State::Beoordeeld);
    }

    #[test]
    fn a_reply_on_a_closed_case_reopens_it_and_says_so() {
        let f = Fixture::new("generiek", "2026-11-16T10:00:00+01:00", "");
        complaint(&f);
        handler(
            &f,
            "h1@org.example",
            "#in-behandeling\n#gegrond\n#opgelost\n#sluiten",
        );
        answer(
            &f,
            "k2@voorbeeld.nl",
            "ontvangstbevestiging",
            "Het lekt weer.",
        );
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::InBehandeling);
        assert!(f
            .text(&f.letters_named("reactie").remove(0))
            .contains("heropend"));
    }

    #[test]
    fn someone_outside_the_case_who_answers_a_forwarded_letter_gets_a_case_of_their_own() {
        let f = Fixture::new("generiek", "2026-11-16T10:00:00+01:00", "");
        complaint(&f);
        let ack = f.letters_named("ontvangstbevestiging").remove(0);
        f.receive(&mail(
            "buurvrouw@voorbeeld.nl",
            COMPLAINTS,
            "b1@voorbeeld.nl",
            "Fwd: Ontvangstbevestiging",
            &format!("In-Reply-To: <{}>\n", ack.message_id),
            "Bij mij is de monteur ook niet gekomen, heel slecht geregeld, ik klaag ook.",
        ));
        let cases = f.cases();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].messages_in, 1, "the first case is untouched");
        assert_eq!(cases[1].complainant, "buurvrouw@voorbeeld.nl");
    }
}
