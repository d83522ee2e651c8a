//! The processor: takes journalled messages in arrival order, decides what
//! each one is (witness copy → automatic mail → staff → reply on a case →
//! new message, acted on per policy), and applies the decision — case,
//! events, outbox items, timers, journal status — in one transaction. A
//! message it cannot process becomes a dead letter with the reason; it
//! never stops the others.

use crate::address;
use crate::cases::case::Case;
use crate::cases::change::Change;

use crate::cases::policy::Action;

use crate::cases::thread;
use crate::intake::classify::{self, Verdict};
use crate::intake::inbound::{Correspondent, Inbound};
use crate::intake::journal::{self, Entry, Status};
use crate::letters::outbox;
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::open::{open_case, Complaint};
use crate::procedure::outcome::Outcome;
use crate::procedure::{bounce, post, record, reply, staff, vars};
use crate::store::{Batch, Store, StoreError, Tree};

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
    /// Messages by the classifier's label (`witness` for our own copies,
    /// `dead` for dead letters).
    pub by_label: std::collections::BTreeMap<String, u32>,
}

/// How one journal entry was settled.
enum Settled {
    /// With the classifier's label.
    Processed(Outcome, String),
    Dead,
    Gone,
}

/// Processes every pending journal entry.
pub fn process_pending(store: &Store, ctx: &Context<'_>) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let decided = decide_pending(store, ctx, &mut report);
    // The pass's decisions reach the disk together (one flush, not one per
    // message); nothing they cause leaves before it: the sender records each
    // attempt in a flushing commit first, and a crash before this flush
    // leaves the messages pending, to be decided again.
    // An empty pass (the daemon runs one after every wake) wrote nothing.
    let flushed = if report.by_label.is_empty() {
        Ok(())
    } else {
        store.flush()
    };
    decided.and(flushed).map(|()| report)
}

/// Decides every pending entry, each in its own (unflushed) commit.
fn decide_pending(store: &Store, ctx: &Context<'_>, report: &mut Report) -> Result<(), StoreError> {
    for (queue_key, id) in journal::pending(store)? {
        match process_one(store, ctx, &queue_key, &id)? {
            Settled::Processed(outcome, label) => {
                tracing::info!(journal = %id, %outcome, "processed");
                *report.by_label.entry(label).or_default() += 1;
                match outcome {
                    Outcome::NewCase(_) => report.new_cases += 1,
                    Outcome::AddedToCase(_) => report.added += 1,
                    Outcome::Recorded(_) => report.recorded += 1,
                    Outcome::Witness(_) => report.witnessed += 1,
                }
            }
            Settled::Dead => {
                report.dead += 1;
                *report.by_label.entry("dead".into()).or_default() += 1;
            }
            Settled::Gone => {}
        }
    }
    Ok(())
}

/// Decides one pending entry and commits the decision (the pass flushes);
/// decides again when another writer (the outbox sender) changed a case
/// meanwhile.
fn process_one(
    store: &Store,
    ctx: &Context<'_>,
    queue_key: &[u8],
    id: &str,
) -> Result<Settled, StoreError> {
    store.transact_unflushed(|store| {
        let ctx = &ctx.at_now();
        let mut batch = Batch::new();
        // Settled meanwhile by another pass: nothing to do.
        if store.get_raw(Tree::Pending, queue_key)?.is_none() {
            return Ok((batch, Settled::Gone));
        }
        let Some(entry) = journal::entry(store, id)? else {
            batch.remove(Tree::Pending, queue_key.to_vec());
            return Ok((batch, Settled::Gone));
        };
        let decided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decide_and_build(store, ctx, &entry, queue_key)
        }))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into());
            Err(ProcessError::Unprocessable(format!(
                "internal error while processing (please report): {what}"
            )))
        });
        match decided {
            Ok((batch, outcome, label)) => Ok((batch, Settled::Processed(outcome, label))),
            Err(ProcessError::Unprocessable(reason)) => {
                tracing::warn!(journal = %id, %reason, "dead letter");
                let at = ctx.now();
                journal::settle(
                    &mut batch,
                    queue_key,
                    &entry,
                    Status::Dead { at, reason },
                    None,
                );
                Ok((batch, Settled::Dead))
            }
            Err(ProcessError::Store(e)) => Err(e),
        }
    })
}

/// Decides what a journalled message is and builds the batch that applies it.
fn decide_and_build(
    store: &Store,
    ctx: &Context<'_>,
    entry: &Entry,
    queue_key: &[u8],
) -> Result<(Batch, Outcome, String), ProcessError> {
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
    let (outcome, verdict) = decide(store, ctx, (entry, &m, &raw), &mut batch)?;
    let label = verdict
        .as_ref()
        .map(|v| v.label.clone())
        .unwrap_or_else(|| "witness".into());
    journal::settle(
        &mut batch,
        queue_key,
        entry,
        Status::Processed {
            at: ctx.now(),
            outcome: outcome.label().into(),
            case: outcome.case(),
        },
        verdict,
    );
    Ok((batch, outcome, label))
}

/// A message with its journal entry and raw bytes.
type Message<'a> = (&'a Entry, &'a Inbound, &'a [u8]);

/// The decision proper, in the order of docs/design.md ("Processing").
fn decide(
    store: &Store,
    ctx: &Context<'_>,
    (entry, m, raw): Message<'_>,
    batch: &mut Batch,
) -> Result<(Outcome, Option<Verdict>), ProcessError> {
    if let Some(outcome) = witness(store, ctx, m, batch)? {
        if matches!(outcome, Outcome::Witness(_)) {
            // The letter's bytes are kept with the letter (outbox_raw); the
            // copy's own would be the same bytes twice.
            batch.remove(Tree::Raw, entry.id.as_bytes());
        }
        return Ok((outcome, None));
    }
    let verdict = ctx.classifier.classify_message(m);
    let thread = thread::find(store, ctx.signer, &ctx.org().complaints_address, m)?;
    if let Some(reason) = &verdict.auto_reason {
        let outcome = automatic(store, ctx, (entry, m, raw), reason, thread, batch)?;
        return Ok((outcome, Some(verdict)));
    }
    let Some(from) = m.from.clone().filter(|f| address::is_valid(f)) else {
        return Ok((no_sender(ctx, (entry, m), &verdict, batch)?, Some(verdict)));
    };
    if address::normalize(&from) == address::normalize(&ctx.org().complaints_address) {
        return Ok((
            Outcome::Recorded("sent from the complaints address itself (loop guard)".into()),
            Some(verdict),
        ));
    }
    // Staff: commands and replies to relay, or Cc-mode copies.
    if ctx.config.is_staff(&from) {
        let outcome = staff::handle(store, ctx, (entry, m), &from, thread, batch)?;
        return Ok((outcome, Some(verdict)));
    }
    // A reply on a case belongs to the case, whatever it says; someone who
    // is not part of it (a friend the complainant forwarded our letter to)
    // starts their own.
    let sender = Correspondent::of(m, &from);
    if let Some(c) = thread.filter(|c| c.is_participant(&from)) {
        let r = reply::Reply {
            entry,
            m,
            sender: &sender,
            verdict: &verdict,
        };
        let outcome = reply::on_case(store, ctx, &r, &c, batch)?;
        return Ok((outcome, Some(verdict)));
    }
    // A new message: the doubt policy decides what a doubtful one is.
    let verdict = classify::apply_doubt(&ctx.config.doubt, verdict);
    // A person's message in which nothing was recognised reaches a person.
    let action = match ctx.policy.actions.for_label(&verdict.label) {
        Action::Record if verdict.label == "overig" && !verdict.of_a_named_kind() => {
            Action::Forward
        }
        action => action,
    };
    let outcome = match action {
        Action::Case => {
            let complaint = Complaint::by_mail(entry, m, &sender, &verdict);
            Outcome::NewCase(open_case(store, ctx, batch, &complaint)?.id)
        }
        Action::Record => Outcome::Recorded(format!("{} (recorded per policy)", verdict.label)),
        action => answer_without_case(store, ctx, (entry, m), &sender, &verdict, action, batch)?,
    };
    Ok((outcome, Some(verdict)))
}

/// Our own outgoing mail coming back as its witness copy: the letter is
/// marked sent (if the outbox did not already).
fn witness(
    store: &Store,
    ctx: &Context<'_>,
    m: &Inbound,
    batch: &mut Batch,
) -> Result<Option<Outcome>, ProcessError> {
    let Some(mid) = &m.message_id else {
        return Ok(None);
    };
    if ctx.signer.verify_message_id(mid).is_none() {
        return Ok(None);
    }
    let Some(item) = outbox::item_by_message_id(store, mid)? else {
        return Ok(Some(Outcome::Recorded(
            "copy of an outgoing klachtd mail".into(),
        )));
    };
    if !matches!(item.status, outbox::Status::Sent { .. }) {
        outbox::mark_sent(store, batch, &item, ctx.now())?;
    }
    Ok(Some(Outcome::Witness(item.id)))
}

/// Automatic mail: recorded (on its case when it threads), never answered;
/// a bounce of one of our letters marks the contact undeliverable.
fn automatic(
    store: &Store,
    ctx: &Context<'_>,
    (entry, m, raw): Message<'_>,
    reason: &str,
    thread: Option<Case>,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let bounce_like = m.content_type.starts_with("multipart/report")
        || reason.contains("bounce")
        || reason.contains("automatic sender");
    if bounce_like {
        if let Some((item, c)) = bounce::bounced_letter(store, ctx, raw)? {
            bounce::bounce(ctx, batch, (entry, m), &item, &c)?;
            return Ok(Outcome::AddedToCase(c.id));
        }
    }
    if let Some(c) = thread {
        let mut change = Change::on(&c);
        record::message(&mut change, entry, m, "automatic", ctx.now());
        change.write(batch);
        return Ok(Outcome::AddedToCase(c.id));
    }
    Ok(Outcome::Recorded(format!("automatic mail: {reason}")))
}

/// A person's message without any address to answer: the coordinator gets
/// it, so a person can act (`#nieuw` with the sender's details).
fn no_sender(
    ctx: &Context<'_>,
    (entry, m): (&Entry, &Inbound),
    verdict: &Verdict,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let Some(coordinator) = ctx.coordinator() else {
        tracing::warn!(journal = %entry.id, "a message without a usable sender address and no coordinator to tell");
        return Ok(Outcome::Recorded("no usable sender address".into()));
    };
    let nobody = Correspondent::address("");
    let mut vars = vars::base(ctx);
    vars["message"] = vars::message(ctx, entry, m, &nobody, verdict);
    vars["alert"] = serde_json::json!({
        "from": m.header("from").map(|f| address::header_safe(f, 200)).unwrap_or_else(|| "(geen)".into()),
        "received": ctx.calendar.long_moment(entry.received_at, &ctx.org().language),
        "journal_id": entry.id,
        "reason": "no usable sender address",
        "subject": address::header_safe(&m.subject, 250),
    });
    let req = LetterRequest::to_staff(ctx.org(), coordinator, "zonder-afzender", vars)
        .about(format!("M-{}", entry.id), 1);
    post::queue(ctx, batch, &req)?;
    Ok(Outcome::Recorded(
        "no usable sender address: sent to the coordinator".into(),
    ))
}

/// Compliments, ideas and questions: answered and passed on to staff, no case.
fn answer_without_case(
    store: &Store,
    ctx: &Context<'_>,
    (entry, m): (&Entry, &Inbound),
    sender: &Correspondent,
    verdict: &Verdict,
    action: Action,
    batch: &mut Batch,
) -> Result<Outcome, ProcessError> {
    let about = format!("M-{}", entry.id);
    let mut vars = vars::base(ctx);
    vars["message"] = vars::message(ctx, entry, m, sender, verdict);
    let mut done = Vec::new();
    let customer_letter = match action {
        Action::ThankAndForward => Some("bedankt"),
        Action::AcknowledgeAndForward => Some("bericht-ontvangen"),
        _ => None,
    };
    if let Some(letter) = customer_letter {
        let req = LetterRequest::answering(ctx.org(), m, sender, letter, vars.clone())
            .about(about.clone(), 1);
        post::answer(store, ctx, batch, &req)?;
        done.push(letter);
    }
    // Forward to the staff member a compliment names, else the coordinator.
    let named = (action == Action::ThankAndForward)
        .then(|| {
            ctx.config
                .staff_named_in(&format!("{}\n{}", m.subject, m.text))
        })
        .flatten();
    if let Some(staff) = named.or_else(|| ctx.coordinator().map(str::to_string)) {
        // Staff answer the sender directly: Reply-To is the sender.
        let req = LetterRequest::to_staff(ctx.org(), &staff, "doorsturen", vars)
            .about(about, 1)
            .reply_to(sender.reply_address.clone());
        post::queue(ctx, batch, &req)?;
        done.push("doorsturen");
    }
    Ok(Outcome::Recorded(format!(
        "{}: {}",
        verdict.label,
        done.join(" + ")
    )))
}

#[cfg(test)]
mod tests {
    use crate::cases::state::State;
    use crate::clock::Clock;
    use crate::intake::journal::{self, Entry, Status};
    use crate::procedure::testing::{mail, Fixture, COMPLAINTS, COORDINATOR};
    use crate::store::Tree;

    const MONDAY: &str = "2026-11-16T10:00:00+01:00";

    fn complaint(f: &Fixture, id: &str) {
        f.receive(&mail(
            "Jan Jansen <jan@voorbeeld.nl>",
            COMPLAINTS,
            id,
            "Monteur niet gekomen",
            "",
            "De monteur is niet gekomen en niemand heeft gebeld. Dit is onacceptabel, ik ben zeer ontevreden.",
        ));
    }

    #[test]
    fn two_passes_at_once_open_one_case_per_message() {
        // A drain beside a pass still running: each message is decided once.
        let f = Fixture::new("generiek", MONDAY, "");
        for i in 0..40 {
            let raw = mail(
                &format!("Klant {i} <klant{i}@voorbeeld.nl>"),
                COMPLAINTS,
                &format!("twice-{i}@voorbeeld.nl"),
                "Monteur niet gekomen",
                "",
                "De monteur is niet gekomen en niemand heeft gebeld. Dit is onacceptabel.",
            )
            .replace('\n', "\r\n");
            journal::record(&f.store, raw.as_bytes(), "INBOX/1/1", f.clock.now()).unwrap();
        }
        let reports: Vec<super::Report> = std::thread::scope(|s| {
            let passes: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| f.with_ctx(|ctx| super::process_pending(&f.store, ctx).unwrap()))
                })
                .collect();
            passes.into_iter().map(|p| p.join().unwrap()).collect()
        });
        assert_eq!(reports.iter().map(|r| r.new_cases).sum::<u32>(), 40);
        assert_eq!(f.cases().len(), 40);
        assert_eq!(f.letters_named("ontvangstbevestiging").len(), 40);
    }

    #[test]
    fn a_complaint_opens_a_case_with_its_letters_and_terms_in_one_decision() {
        let f = Fixture::new("generiek", MONDAY, "");
        complaint(&f, "k1@voorbeeld.nl");
        let cases = f.cases();
        assert_eq!(cases.len(), 1);
        let c = &cases[0];
        assert_eq!(c.id.to_string(), "KL-2026-0001");
        assert_eq!(c.complainant, "jan@voorbeeld.nl");
        assert_eq!(c.handler.as_deref(), Some(COORDINATOR));
        let ack = f.letters_named("ontvangstbevestiging");
        assert_eq!(ack.len(), 1);
        assert_eq!(ack[0].to, "jan@voorbeeld.nl");
        let raw = f.raw(&ack[0]);
        assert!(raw.contains("In-Reply-To: <k1@voorbeeld.nl>"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
        let notice = f.letters_named("toewijzing");
        assert_eq!(notice.len(), 1);
        assert_eq!(notice[0].to, COORDINATOR);
        assert!(f
            .raw(&notice[0])
            .contains(&format!("Reply-To: {}", f.reply_address(c))));
        assert!(
            !crate::procedure::timers::pending(&f.store, c.id)
                .unwrap()
                .is_empty(),
            "the term's timers are planned with the case"
        );
        assert!(journal::pending(&f.store).unwrap().is_empty());
    }

    #[test]
    fn a_message_nothing_is_recognised_in_reaches_the_coordinator_and_a_newsletter_does_not() {
        let f = Fixture::new("generiek", MONDAY, "");
        f.receive(&mail(
            "Kees <kees@voorbeeld.nl>",
            COMPLAINTS,
            "o1@voorbeeld.nl",
            "Foto's",
            "",
            "Hierbij de foto's van gisteren, zoals afgesproken.\n\nKees",
        ));
        let forwarded = f.letters_named("doorsturen");
        assert_eq!(forwarded.len(), 1, "a person's mail reaches a person");
        assert_eq!(forwarded[0].to, COORDINATOR);
        assert!(f.cases().is_empty());
        f.receive(&mail(
            "Nieuws <nieuws@winkel.example>",
            COMPLAINTS,
            "n1@winkel.example",
            "Onze nieuwsbrief van december",
            "",
            "Bekijk deze e-mail in je browser. Uitschrijven kan onderaan.",
        ));
        assert_eq!(
            f.letters_named("doorsturen").len(),
            1,
            "newsletters are recorded"
        );
    }

    #[test]
    fn a_sender_is_found_as_mail_clients_find_it_and_without_one_a_person_is_told() {
        let f = Fixture::new("generiek", MONDAY, "");
        // No From, but a Reply-To: a case for that address.
        f.receive(&format!(
            "To: {COMPLAINTS}\nReply-To: jan@voorbeeld.nl\nMessage-ID: <nf1@voorbeeld.nl>\nSubject: Monteur\n\nDe monteur is niet gekomen, ik ben zeer ontevreden.\n"
        ));
        // A display name with an unbalanced parenthesis.
        f.receive(&format!(
            "From: Jan ( de Vries <v@voorbeeld.nl>\nTo: {COMPLAINTS}\nMessage-ID: <nf2@voorbeeld.nl>\nSubject: Meter\n\nDe meter is kapot en niemand reageert. Onacceptabel.\n"
        ));
        let complainants: Vec<String> = f.cases().into_iter().map(|c| c.complainant).collect();
        assert_eq!(complainants, ["jan@voorbeeld.nl", "v@voorbeeld.nl"]);
        // Nothing usable at all: the coordinator gets the message.
        f.receive(&format!(
            "From: Jan de Vries\nTo: {COMPLAINTS}\nMessage-ID: <nf3@voorbeeld.nl>\nSubject: Lekkage\n\nHet dak lekt nog steeds, niemand is gekomen.\n"
        ));
        assert_eq!(f.cases().len(), 2);
        let notice = f.letters_named("zonder-afzender");
        assert_eq!(notice.len(), 1);
        assert_eq!(notice[0].to, COORDINATOR);
        let text = f.text(&notice[0]);
        assert!(
            text.contains("Het dak lekt nog steeds") && text.contains("Jan de Vries"),
            "{text}"
        );
    }

    #[test]
    fn the_same_message_twice_is_one_case() {
        let f = Fixture::new("generiek", MONDAY, "");
        complaint(&f, "k1@voorbeeld.nl");
        complaint(&f, "k1@voorbeeld.nl");
        assert_eq!(f.cases().len(), 1);
        assert_eq!(f.letters_named("ontvangstbevestiging").len(), 1);
    }

    #[test]
    fn a_reply_threads_to_its_case_and_ends_the_wait() {
        let f = Fixture::new("generiek", MONDAY, "");
        complaint(&f, "k1@voorbeeld.nl");
        let c = f.cases().remove(0);
        // The handler asks the complainant something and waits.
        let notice = f.letters_named("toewijzing").remove(0);
        f.receive(&mail(
            COORDINATOR,
            &f.reply_address(&c),
            "h1@org.example",
            "Re: toegewezen",
            &format!("In-Reply-To: <{}>\n", notice.message_id),
            "Kunt u het adres sturen?\n#wacht",
        ));
        assert_eq!(f.cases()[0].state, State::WachtOpKlager);
        let ack = f.letters_named("ontvangstbevestiging").remove(0);
        f.receive(&mail(
            "jan@voorbeeld.nl",
            COMPLAINTS,
            "k2@voorbeeld.nl",
            "Re: Ontvangstbevestiging",
            &format!("In-Reply-To: <{}>\n", ack.message_id),
            "Dorpsstraat 1, Zutphen.",
        ));
        let c = f.cases().remove(0);
        assert_eq!(c.state, State::InBehandeling, "the clock runs again");
        assert_eq!(c.messages_in, 3);
        assert_eq!(f.cases().len(), 1);
    }

    #[test]
    fn a_compliment_is_thanked_and_forwarded_without_a_case() {
        let f = Fixture::new(
            "generiek",
            MONDAY,
            "[staff.directory]\n\"Ruud Kramer\" = \"ruud@org.example\"",
        );
        let r = f.receive(&mail(
            "anna@voorbeeld.nl",
            COMPLAINTS,
            "c1@voorbeeld.nl",
            "Compliment",
            "",
            "Ik wil Ruud Kramer hartelijk bedanken, wat een fijne en behulpzame medewerker!",
        ));
        assert_eq!((r.new_cases, r.recorded), (0, 1));
        assert_eq!(f.letters_named("bedankt")[0].to, "anna@voorbeeld.nl");
        assert_eq!(f.letters_named("doorsturen")[0].to, "ruud@org.example");
    }

    #[test]
    fn automatic_mail_and_our_own_address_get_no_answer() {
        let f = Fixture::new("generiek", MONDAY, "");
        let r = f.receive(&mail(
            "jan@voorbeeld.nl",
            COMPLAINTS,
            "a1@voorbeeld.nl",
            "Afwezig",
            "Auto-Submitted: auto-replied\n",
            "Ik ben afwezig, dit is een klacht over niets.",
        ));
        assert_eq!(r.recorded, 1);
        let r = f.receive(&mail(
            COMPLAINTS,
            COMPLAINTS,
            "a2@org.example",
            "Klacht",
            "",
            "Ik ben zeer ontevreden, dit is een klacht.",
        ));
        assert_eq!(r.recorded, 1);
        assert!(f.letters().is_empty());
        assert!(f.cases().is_empty());
    }

    #[test]
    fn the_witness_copy_marks_its_letter_sent() {
        let f = Fixture::new("generiek", MONDAY, "");
        complaint(&f, "k1@voorbeeld.nl");
        let ack = f.letters_named("ontvangstbevestiging").remove(0);
        let r = f.receive(&f.raw(&ack));
        assert_eq!(r.witnessed, 1);
        // Its bytes are kept once, with the letter.
        let copies: Vec<Entry> = f
            .store
            .scan::<Entry>(Tree::Journal, b"")
            .unwrap()
            .into_iter()
            .filter(
                |e| matches!(&e.status, Status::Processed { outcome, .. } if outcome == "witness"),
            )
            .collect();
        assert_eq!(copies.len(), 1);
        assert!(journal::raw(&f.store, &copies[0].id).unwrap().is_none());
        assert!(f
            .store
            .get_raw(Tree::OutboxRaw, ack.id.as_bytes())
            .unwrap()
            .is_some());
        let ack = f.letters_named("ontvangstbevestiging").remove(0);
        assert!(matches!(
            ack.status,
            crate::letters::outbox::Status::Sent { .. }
        ));
        let c = f.cases().remove(0);
        assert_eq!(
            c.state,
            State::Bevestigd,
            "the acknowledgement counts as sent"
        );
    }

    #[test]
    fn an_unusable_message_becomes_a_dead_letter_and_the_rest_goes_on() {
        let f = Fixture::new("generiek", MONDAY, "");
        journal::record(&f.store, b"b\n", "INBOX/1/1", f.clock.now()).unwrap();
        complaint(&f, "k1@voorbeeld.nl");
        let dead = journal::dead_letters(&f.store).unwrap();
        assert_eq!(dead.len(), 1);
        assert!(
            matches!(&dead[0].status, journal::Status::Dead { reason, .. } if reason.contains("no header"))
        );
        assert_eq!(f.cases().len(), 1);
    }
}
