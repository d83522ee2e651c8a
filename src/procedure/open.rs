//! Opening a case: from a complaint mail, or from the complaint form a
//! staff member sends for a phone or counter complaint (`#nieuw`). One
//! transaction holds the case, the acknowledgement (and the request for
//! missing data), the assignment notice to the handler, the notices to the
//! roles the policy informs, and the timers of the terms that start on
//! receipt.

use crate::address;
use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::{EventKind, KLACHTD};
use crate::cases::lookup;
use crate::cases::policy::Start;
use crate::intake::classify::Verdict;
use crate::intake::inbound::{Correspondent, Inbound};
use crate::intake::journal::Entry;
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::{assign, post, timers, vars};
use crate::store::{Batch, Store};
use crate::text;
use chrono::{DateTime, Utc};
use serde_json::json;

/// What a case is opened from.
#[derive(Debug, Clone)]
pub struct Complaint<'a> {
    /// The journal entry of the message that brought it.
    pub entry: &'a Entry,
    /// The complaint (for `#nieuw`: the form, from the complainant).
    pub message: &'a Inbound,
    /// The complainant (no address: a complainant without mail).
    pub sender: &'a Correspondent,
    /// The classifier's verdict.
    pub verdict: &'a Verdict,
    /// How it came in: `email`, or a channel of [`crate::procedure::form::CHANNELS`].
    pub channel: &'a str,
    /// When the organisation received it: the terms start here.
    pub received: DateTime<Utc>,
    /// The complainant's phone and postal address, when known.
    pub contact: (Option<String>, Option<String>),
    /// The staff member who brought it in (a forward, a form).
    pub via: Option<String>,
    /// The closed case it follows up (a reply on it, where the policy
    /// opens a new case).
    pub follow_up_of: Option<crate::cases::id::CaseId>,
}

impl<'a> Complaint<'a> {
    /// A complaint that came in by mail, received when it was journalled.
    pub fn by_mail(
        entry: &'a Entry,
        message: &'a Inbound,
        sender: &'a Correspondent,
        verdict: &'a Verdict,
    ) -> Complaint<'a> {
        Complaint {
            entry,
            message,
            sender,
            verdict,
            channel: "email",
            received: entry.received_at,
            contact: (None, None),
            via: None,
            follow_up_of: None,
        }
    }
}

/// Opens a case for a complaint; adds everything to `batch`.
pub fn open_case(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    k: &Complaint<'_>,
) -> Result<Case, ProcessError> {
    let (m, sender, now) = (k.message, k.sender, ctx.now());
    let id = lookup::next_id(store, lookup::year_of(k.received))?;
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
        phone: k.contact.0.clone(),
        postal_address: k.contact.1.clone(),
        via: k.via.clone(),
    };
    let actor = k.via.clone().unwrap_or_else(|| sender.address.clone());
    let mut change = Change::open(id, k.received, &actor, opened)
        .map_err(|e| ProcessError::Unprocessable(e.to_string()))?;
    let role = if k.channel == "email" && k.via.is_none() {
        "complaint"
    } else {
        "complaint_form"
    };
    change.record(
        now,
        &actor,
        EventKind::MessageIn {
            journal_id: k.entry.id.clone(),
            message_id: m.message_id.clone(),
            from: sender.address.clone(),
            subject,
            role: role.into(),
            attachments: m.attachments.clone(),
        },
    );
    if let Some(previous) = k.follow_up_of {
        change.record(
            now,
            KLACHTD,
            EventKind::Note {
                text: format!("vervolg op {previous}"),
            },
        );
    }
    if let Some(handler) = assign::first_handler(ctx, change.case()) {
        change.record(now, KLACHTD, assign::assigned(&handler));
    }
    let mut vars = vars::case(ctx, change.case());
    vars["message"] = vars::message(ctx, k.entry, m, sender, k.verdict);
    vars["vervolg_op"] = json!(k.follow_up_of.map(|p| p.to_string()).unwrap_or_default());
    vars["triage"] = json!(k.verdict.doubtful);
    if k.verdict.doubtful {
        change.record(
            now,
            KLACHTD,
            EventKind::Note {
                text: format!(
                    "twijfelgeval (klachtscore {:.1}): als klacht bevestigd aan de klager; de coördinator bevestigt met #klacht of corrigeert met #geen-klacht, #vraag, #compliment of #idee",
                    k.verdict.scores.get("klacht").copied().unwrap_or(0.0)
                ),
            },
        );
    }
    acknowledge(store, ctx, batch, &mut change, k, &vars)?;
    notify_staff(store, ctx, batch, &mut change, &vars)?;
    let c = change.write(batch);
    timers::schedule(
        batch,
        &timers::plan(&c, ctx.policy, ctx.calendar, ctx.now()),
    );
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
    let case = change.case().clone();
    let letter = |name: &str, vars: serde_json::Value| {
        if !case.has_email() {
            // No mail address: the handler passes it on.
            return LetterRequest::to_complainant(ctx.org(), &case, name, vars).seq(1);
        }
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
        Some(item) => change.record(now, KLACHTD, post::queued(item)),
        None => change.record_because(
            now,
            KLACHTD,
            Some("rate limit for automatic mail reached (mail loop?)".into()),
            EventKind::LetterSuppressed {
                letter: "ontvangstbevestiging".into(),
                to: k.sender.reply_address.clone(),
            },
        ),
    };
    let known = format!(
        "{}\n{}\n{}",
        k.message.text,
        k.contact.0.as_deref().unwrap_or_default(),
        k.contact.1.as_deref().unwrap_or_default()
    );
    let missing = text::missing_data(&ctx.policy.required_data, k.sender.name.as_deref(), &known);
    if ack.is_some() && !missing.is_empty() {
        let mut vars = vars.clone();
        vars["missing"] = json!(missing);
        let mid = k.message.message_id.clone();
        let req =
            letter("ontbrekende-gegevens", vars).in_thread(mid.clone(), mid.into_iter().collect());
        let item = post::queue(ctx, batch, &req)?;
        change.record_because(
            now,
            KLACHTD,
            Some(format!("missing: {}", missing.join(", "))),
            post::queued(&item),
        );
    }
    Ok(())
}

/// The assignment notice to the handler, whose Reply-To is the case's
/// signed plus-address, and the notices to the roles the policy keeps
/// informed of every new case (Glaspunt: the quality manager).
fn notify_staff(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    vars: &serde_json::Value,
) -> Result<(), ProcessError> {
    let (now, id) = (ctx.now(), change.case().id);
    let mut notify = |change: &mut Change, req: LetterRequest| -> Result<(), ProcessError> {
        let req = req.on_case(id, change.case().version);
        let item = post::queue(ctx, batch, &req)?;
        change.record(now, KLACHTD, post::queued(&item));
        Ok(())
    };
    let mut notice_vars = vars.clone();
    notice_vars["eerdere"] = json!(crate::procedure::conversation::earlier_cases(
        store,
        ctx,
        change.case()
    )?);
    notice_vars["gesprek"] = json!([]);
    notice_vars["overdracht"] = json!({ "van": "" });
    notice_vars["bevestiging_tegengehouden"] = json!(change.events().iter().any(|e| matches!(
        &e.kind,
        EventKind::LetterSuppressed { letter, .. } if letter == "ontvangstbevestiging"
    )));
    if let Some(handler) = change.case().handler.clone() {
        notify(
            change,
            LetterRequest::to_staff(ctx.org(), &handler, "toewijzing", notice_vars)
                .reply_to(ctx.reply_address(id)),
        )?;
    }
    // A doubtful complaint: the coordinator confirms or corrects it (in
    // the assignment notice when the coordinator handles it).
    let coordinator = ctx.coordinator().map(str::to_string);
    let handles = |h: &Option<String>| {
        h.as_deref()
            .zip(coordinator.as_deref())
            .is_some_and(|(h, c)| h.eq_ignore_ascii_case(c))
    };
    if vars["triage"] == json!(true) && !handles(&change.case().handler) {
        if let Some(coordinator) = &coordinator {
            notify(
                change,
                LetterRequest::to_staff(ctx.org(), coordinator, "triage", vars.clone())
                    .reply_to(ctx.reply_address(id)),
            )?;
        }
    }
    // A routed case (Glaspunt: to the mediator) is still registered by the
    // coordinator, who is told; an urgent one goes to the urgent role at once.
    let handler = change.case().handler.clone();
    let routed = ctx.policy.route_for(change.case()).is_some();
    if routed && handler.is_some() && !handles(&handler) {
        if let Some(coordinator) = &coordinator {
            let mut role_vars = vars.clone();
            role_vars["role"] = json!("klachtencoördinator");
            notify(
                change,
                LetterRequest::to_staff(ctx.org(), coordinator, "melding", role_vars)
                    .reply_to(ctx.reply_address(id)),
            )?;
        }
    }
    if change.case().urgent {
        let urgent = ctx.policy.urgent_role.as_deref();
        if let Some(addr) = urgent.and_then(|r| assign::role_address(ctx, r)) {
            if handler
                .as_deref()
                .is_none_or(|h| !h.eq_ignore_ascii_case(&addr))
            {
                let mut role_vars = vars.clone();
                role_vars["role"] = json!(urgent);
                notify(
                    change,
                    LetterRequest::to_staff(ctx.org(), &addr, "urgent", role_vars)
                        .reply_to(ctx.reply_address(id)),
                )?;
            }
        }
    }
    for role in &ctx.policy.notify_roles {
        let addrs: Vec<&String> = ctx
            .config
            .staff
            .roles
            .get(role)
            .map(|r| r.all().iter().filter(|a| address::is_valid(a)).collect())
            .unwrap_or_default();
        if addrs.is_empty() {
            tracing::warn!(%role, "the policy informs this role of new cases, but [staff.roles] has no address for it");
        }
        for addr in addrs {
            let mut role_vars = vars.clone();
            role_vars["role"] = json!(role);
            notify(
                change,
                LetterRequest::to_staff(ctx.org(), addr, "melding", role_vars),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::procedure::testing::{mail, Fixture, COMPLAINTS};

    fn ack(preset: &str, body: &str) -> String {
        let f = Fixture::new(preset, "2026-11-16T10:00:00+01:00", "");
        f.receive(&mail(
            "Jan Jansen <jan@voorbeeld.nl>",
            COMPLAINTS,
            "k1@voorbeeld.nl",
            "Klacht over het intakegesprek",
            "",
            body,
        ));
        f.text(&f.letters_named("ontvangstbevestiging")[0])
    }

    #[test]
    fn optimumconsult_states_the_date_and_place_of_the_event_and_asks_for_what_is_missing() {
        let both = ack(
            "optimumconsult",
            "Op 12 maart was het intakegesprek in Utrecht een aanfluiting. De adviseur was onvoorbereid en onbeleefd; ik dien hierbij een klacht in.",
        );
        assert!(both.contains("Datum van het voorval: 12 maart"), "{both}");
        assert!(both.contains("Utrecht"), "{both}");
        assert!(!both.contains("Wilt u ons laten weten"), "{both}");

        let neither = ack(
            "optimumconsult",
            "De adviseur was onvoorbereid en onbeleefd tijdens het intakegesprek. Ik dien hierbij een klacht in.",
        );
        assert!(neither.contains("niet vermeld"), "{neither}");
        assert!(
            neither.contains("op welke datum en waar het voorval"),
            "{neither}"
        );
        // Other procedures do not ask.
        let generic = ack(
            "generiek",
            "De adviseur was onvoorbereid en onbeleefd tijdens het intakegesprek. Ik dien hierbij een klacht in.",
        );
        assert!(!generic.contains("voorval"), "{generic}");
    }

    #[test]
    fn an_acknowledgement_held_back_by_the_hourly_limit_is_left_to_the_handler() {
        let f = Fixture::new(
            "generiek",
            "2026-11-16T10:00:00+01:00",
            "[limits]\nauto_replies_per_hour = 1",
        );
        for (n, who) in [(1, "jan@voorbeeld.nl"), (2, "piet@voorbeeld.nl")] {
            f.receive(&mail(
                who,
                COMPLAINTS,
                &format!("k{n}@voorbeeld.nl"),
                "Monteur niet gekomen",
                "",
                "De monteur is niet gekomen en niemand belt terug. Ik dien hierbij een klacht in.",
            ));
        }
        assert_eq!(f.letters_named("ontvangstbevestiging").len(), 1);
        let notices: Vec<String> = f
            .letters_named("toewijzing")
            .iter()
            .map(|l| f.text(l))
            .collect();
        assert_eq!(notices.len(), 2, "every case still reaches its handler");
        let held: Vec<&String> = notices
            .iter()
            .filter(|t| t.contains("GEEN ontvangstbevestiging"))
            .collect();
        assert_eq!(held.len(), 1, "{notices:?}");
        assert!(held[0].contains("zelf de ontvangst"), "{}", held[0]);
    }

    #[test]
    fn the_notice_names_the_steps_a_handler_starts_by_command() {
        let f = Fixture::new(
            "glaspunt",
            "2026-11-16T10:00:00+01:00",
            "roles = { kwaliteitsmanager = \"k@org.example\", bemiddelaar = \"b@org.example\", regiomanagers = \"r@org.example\" }",
        );
        f.receive(&mail(
            "Jan Jansen <jan@voorbeeld.nl>",
            COMPLAINTS,
            "k1@voorbeeld.nl",
            "Ruit lekt",
            "",
            "De nieuwe ruit lekt. Ik dien hierbij een klacht in.\n\nJan Jansen\nDorpsstraat 1, 1234 AB Ede\n06 12345678",
        ));
        let notice = f.text(&f.letters_named("toewijzing")[0]);
        assert!(
            notice.contains("#bezoek gepland DATUM / #bezoek gedaan")
                && notice.contains("2 werkdagen"),
            "{notice}"
        );
        assert!(!notice.contains("GEEN ontvangstbevestiging"), "{notice}");
    }
}
