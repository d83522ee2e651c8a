//! Who handles a case: never someone the complaint names as involved. A
//! new case goes to the role its route names (`[[route]]`: Glaspunt's
//! mediator for complaints about staff), else to the acting coordinator
//! (the deputy while the coordinator is away), else to the first of deputy
//! and management who is not involved. Letters to roles (a damage claim to
//! the board, an urgent complaint to its role) go from here too. `#toewijzen` hands a case over: the new handler gets the
//! full assignment notice (the complaint, the conversation so far, the
//! terms, the signed reply address) and the previous handler is told.

use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::EventKind;
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::{conversation, post, vars};
use crate::store::{Batch, Store};
use serde_json::json;

/// Whether `who` is named in the complaint as an involved employee: their
/// address, or a directory name that points at them, appears in it, or
/// they were registered with `#betrokken`.
pub fn involved(c: &Case, who: &str, ctx: &Context<'_>) -> bool {
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

/// The handler of a new case: the acting coordinator unless involved,
/// then the deputy, then management, whoever is first not involved.
pub fn first_handler(ctx: &Context<'_>, c: &Case) -> Option<String> {
    if let Some(routed) = routed_handler(ctx, c) {
        return Some(routed);
    }
    let staff = &ctx.config.staff;
    let candidates = ctx
        .coordinator()
        .map(str::to_string)
        .into_iter()
        .chain(Some(staff.deputy.clone()).filter(|d| !d.is_empty()))
        .chain(staff.management.iter().cloned());
    let mut first = None;
    for who in candidates {
        if !involved(c, &who, ctx) {
            return Some(who);
        }
        first.get_or_insert(who);
    }
    // Everyone is named: the coordinator still has to act on it.
    first
}

/// The assignment notice to the case's handler: the complaint, the
/// conversation so far and the terms, with the case's signed reply
/// address. `previous` names who handled it before, on a hand-over.
pub fn notice(
    store: &Store,
    ctx: &Context<'_>,
    c: &Case,
    previous: Option<&str>,
    mut vars: serde_json::Value,
) -> Result<Option<LetterRequest>, ProcessError> {
    let Some(handler) = &c.handler else {
        return Ok(None);
    };
    vars["overdracht"] = json!({ "van": previous.unwrap_or_default() });
    if vars.get("vervolg_op").is_none() {
        vars["vervolg_op"] = json!("");
    }
    vars["gesprek"] = json!(conversation::turns(store, ctx, c.id)?);
    vars["eerdere"] = json!(conversation::earlier_cases(store, ctx, c)?);
    Ok(Some(
        LetterRequest::to_staff(ctx.org(), handler, "toewijzing", vars)
            .on_case(c.id, c.version)
            .reply_to(ctx.reply_address(c.id)),
    ))
}

/// Queues the hand-over letters after `#toewijzen`: the full notice to
/// the new handler and a word to the previous one.
pub fn hand_over(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    actor: &str,
) -> Result<(), ProcessError> {
    let before = change.before().and_then(|c| c.handler.clone());
    let after = change.case().handler.clone();
    if before == after || after.is_none() {
        return Ok(());
    }
    let now = ctx.now();
    let c = change.case().clone();
    let mut vars = vars::case(ctx, &c);
    vars["message"] = conversation::first_complaint(store, ctx, &c)?;
    if let Some(req) = notice(store, ctx, &c, before.as_deref(), vars.clone())? {
        let item = post::queue(ctx, batch, &req)?;
        change.record(now, actor, post::queued(&item));
    }
    if let Some(prev) = before.filter(|p| !p.eq_ignore_ascii_case(actor)) {
        vars["overdracht"] = json!({ "naar": after.unwrap_or_default(), "door": actor });
        let req = LetterRequest::to_staff(ctx.org(), &prev, "overdracht", vars)
            .on_case(c.id, change.case().version)
            .reply_to(ctx.reply_address(c.id));
        let item = post::queue(ctx, batch, &req)?;
        change.record(now, actor, post::queued(&item));
    }
    Ok(())
}

/// The address of a role a policy names: `management` (the first of
/// management), `coordinator` (the acting coordinator), or a role of
/// `[staff.roles]`. None when it has no address (`check` says so).
pub fn role_address(ctx: &Context<'_>, role: &str) -> Option<String> {
    let staff = &ctx.config.staff;
    match role {
        "management" => staff.management.first().cloned(),
        "coordinator" | "coördinator" => ctx.coordinator().map(str::to_string),
        role => staff.roles.get(role).and_then(|r| r.first()).cloned(),
    }
    .filter(|a| crate::address::is_valid(a))
}

/// Who handles an appeal: the policy's appeal role, else the acting
/// coordinator.
pub fn appeal_handler(ctx: &Context<'_>) -> Option<String> {
    role_address(ctx, &ctx.policy.beroep.role).or_else(|| ctx.coordinator().map(str::to_string))
}

/// The handler a route gives `c` (Glaspunt: complaints about staff and
/// complex ones go to the mediator), unless that person is involved.
pub fn routed_handler(ctx: &Context<'_>, c: &Case) -> Option<String> {
    let route = ctx.policy.route_for(c)?;
    role_address(ctx, &route.role).filter(|a| !involved(c, a, ctx))
}

/// A staff mail that makes a route apply (`#complex`, `#categorie
/// medewerker`) hands the case to the route's role, unless the mail
/// assigned someone itself.
pub fn route(ctx: &Context<'_>, change: &mut Change, actor: &str) {
    let newly = change
        .before()
        .is_none_or(|b| ctx.policy.route_for(b).is_none());
    let by_hand = change
        .events()
        .iter()
        .any(|e| matches!(e.kind, EventKind::HandlerAssigned { .. }));
    if !newly || by_hand {
        return;
    }
    let Some(to) = routed_handler(ctx, change.case()) else {
        return;
    };
    if change
        .case()
        .handler
        .as_deref()
        .is_some_and(|h| h.eq_ignore_ascii_case(&to))
    {
        return;
    }
    change.record(ctx.now(), actor, assigned(&to));
}

/// Letters to the roles the mail's events concern: a damage claim to
/// the role that decides on claims, an urgent complaint to the urgent
/// role, the written report to the people involved.
pub fn role_letters(
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    actor: &str,
) -> Result<(), ProcessError> {
    let was_urgent = change.before().is_some_and(|b| b.urgent);
    let mut sends: Vec<(String, &'static str, serde_json::Value)> = Vec::new();
    for e in change.events() {
        let mut vars = vars::case(ctx, change.case());
        match &e.kind {
            EventKind::DamageClaimed {
                discovered,
                late,
                text,
            } => {
                let Some(claims) = &ctx.policy.schadeclaim else {
                    continue;
                };
                vars["decision"] = json!({
                    "discovered": discovered.to_string(),
                    "late": late,
                    "text": text.clone().unwrap_or_default(),
                });
                let to = role_address(ctx, &claims.role)
                    .or_else(|| ctx.coordinator().map(str::to_string));
                sends.extend(to.map(|a| (a, "schadeclaim", vars)));
            }
            EventKind::MarkedUrgent if !was_urgent => {
                if let Some(role) = &ctx.policy.urgent_role {
                    vars["role"] = json!(role);
                    sends.extend(role_address(ctx, role).map(|a| (a, "urgent", vars)));
                }
            }
            EventKind::Reported { text: Some(text) } if ctx.policy.report_to_involved => {
                vars["verslag"] = json!({ "text": text });
                for who in &change.case().involved {
                    sends.push((who.clone(), "verslag", vars.clone()));
                }
            }
            _ => {}
        }
    }
    let (id, now) = (change.case().id, ctx.now());
    for (to, letter, vars) in sends {
        let req = LetterRequest::to_staff(ctx.org(), &to, letter, vars)
            .on_case(id, change.case().version)
            .reply_to(ctx.reply_address(id));
        let item = post::queue(ctx, batch, &req)?;
        change.record(now, actor, post::queued(&item));
    }
    Ok(())
}

/// The event that assigns `handler`.
pub fn assigned(handler: &str) -> EventKind {
    EventKind::HandlerAssigned {
        handler: handler.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::procedure::testing::{mail, Fixture, COMPLAINTS, COORDINATOR};

    const ROLES: &str = r#"management = ["directie@org.example"]
roles = { bemiddelaar = "bemiddelaar@org.example", kwaliteitsmanager = "kwaliteit@org.example" }"#;

    fn complaint(f: &Fixture, id: &str, body: &str) {
        f.receive(&mail(
            "Jan Jansen <jan@voorbeeld.nl>",
            COMPLAINTS,
            id,
            "Klacht",
            "",
            body,
        ));
    }

    /// The handler's (or `from`'s) reply on the only case.
    fn reply(f: &Fixture, from: &str, id: &str, body: &str) {
        let c = f.cases().remove(0);
        f.receive(&mail(
            from,
            &f.reply_address(&c),
            id,
            "Re: klacht",
            "",
            body,
        ));
    }

    const WINDOW: &str =
        "Het raam lekt na de reparatie. Ik ben zeer ontevreden en dien hierbij een klacht in.";

    #[test]
    fn glaspunt_sends_a_complaint_about_staff_to_the_mediator_and_tells_the_coordinator() {
        let f = Fixture::new("glaspunt", "2026-11-16T10:00:00+01:00", ROLES);
        complaint(
            &f,
            "k1@voorbeeld.nl",
            "Uw medewerker was ontzettend onbeschoft en schreeuwde tegen mij. Ik dien hierbij een klacht in over zijn gedrag.",
        );
        let c = f.cases().remove(0);
        assert_eq!(c.category.as_deref(), Some("medewerker"));
        assert_eq!(c.handler.as_deref(), Some("bemiddelaar@org.example"));
        assert_eq!(
            f.letters_named("toewijzing")[0].to,
            "bemiddelaar@org.example"
        );
        let told: Vec<_> = f
            .letters_named("melding")
            .into_iter()
            .map(|l| l.to)
            .collect();
        assert!(told.contains(&COORDINATOR.to_string()), "{told:?}");
    }

    #[test]
    fn complex_hands_the_case_to_the_mediator() {
        let f = Fixture::new("glaspunt", "2026-11-16T10:00:00+01:00", ROLES);
        complaint(&f, "k1@voorbeeld.nl", WINDOW);
        assert_eq!(f.cases()[0].handler.as_deref(), Some(COORDINATOR));
        reply(&f, COORDINATOR, "h1@org.example", "#complex");
        let c = f.cases().remove(0);
        assert!(c.complex);
        assert_eq!(c.handler.as_deref(), Some("bemiddelaar@org.example"));
        let notices = f.letters_named("toewijzing");
        assert!(notices.iter().any(|n| n.to == "bemiddelaar@org.example"));
    }

    #[test]
    fn a_damage_claim_past_the_limitation_term_is_registered_late_and_goes_to_the_board() {
        let f = Fixture::new("glaspunt", "2026-11-16T10:00:00+01:00", ROLES);
        complaint(&f, "k1@voorbeeld.nl", WINDOW);
        // Discovered two months ago: past "1 maand".
        reply(
            &f,
            COORDINATOR,
            "h1@org.example",
            "#schadeclaim 16-09-2026: vervanging van het kozijn",
        );
        let c = f.cases().remove(0);
        let claim = c.damage_claim.clone().expect("registered");
        assert!(claim.late);
        let board = f.letters_named("schadeclaim");
        assert_eq!(board.len(), 1);
        assert_eq!(board[0].to, "directie@org.example");
        assert!(board[0].subject.contains("TE LAAT"), "{}", board[0].subject);
        let told = f.text(&f.letters_named("schadeclaim-ontvangen")[0]);
        assert!(told.contains("te laat geregistreerd"), "{told}");
        assert!(told.contains("binnen 1 maand"), "{told}");
        // The report counts it.
        let r = f.with_ctx(|ctx| {
            let scope = crate::reports::Scope {
                organisation: "Glaspunt",
                policy: ctx.policy,
                calendar: ctx.calendar,
                known: &[],
            };
            let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
            crate::reports::make(&f.store, &scope, day, day, ctx.now(), true).unwrap()
        });
        assert_eq!((r.damage_claims, r.damage_claims_late), (1, 1));
    }

    #[test]
    fn a_damage_claim_within_the_month_is_on_time_and_a_policy_without_claims_refuses_it() {
        let f = Fixture::new("glaspunt", "2026-11-16T10:00:00+01:00", ROLES);
        complaint(&f, "k1@voorbeeld.nl", WINDOW);
        reply(&f, COORDINATOR, "h1@org.example", "#schadeclaim 01-11-2026");
        assert!(!f.cases()[0].damage_claim.as_ref().unwrap().late);
        let told = f.text(&f.letters_named("schadeclaim-ontvangen")[0]);
        assert!(told.contains("binnen de termijn"), "{told}");

        let g = Fixture::new("generiek", "2026-11-16T10:00:00+01:00", ROLES);
        complaint(&g, "k1@voorbeeld.nl", WINDOW);
        reply(&g, COORDINATOR, "h1@org.example", "#schadeclaim 01-11-2026");
        assert!(g.cases()[0].damage_claim.is_none());
        let result = g.text(&g.letters_named("commando-resultaat")[0]);
        assert!(result.contains("geen schadeclaims"), "{result}");
    }

    #[test]
    fn a_visit_is_a_step_started_and_ended_by_command() {
        let f = Fixture::new("glaspunt", "2026-11-16T10:00:00+01:00", ROLES);
        complaint(&f, "k1@voorbeeld.nl", WINDOW);
        let visit = |f: &Fixture| {
            crate::procedure::timers::pending(&f.store, f.cases()[0].id)
                .unwrap()
                .into_iter()
                .filter(|t| matches!(&t.kind, crate::procedure::timers::Kind::Step { step, .. } if step == "bezoek"))
                .count()
        };
        assert_eq!(visit(&f), 0, "a visit only where needed");
        reply(
            &f,
            COORDINATOR,
            "h1@org.example",
            "#bezoek gepland 17-11-2026",
        );
        let c = f.cases().remove(0);
        assert!(c.steps_started.contains_key("bezoek"));
        assert_eq!(
            c.steps_planned.get("bezoek").map(|d| d.to_string()),
            Some("2026-11-17".into())
        );
        assert_eq!(visit(&f), 2, "a reminder and the breach");
        reply(&f, COORDINATOR, "h2@org.example", "#bezoek gedaan");
        assert!(f.cases()[0].steps_done.contains_key("bezoek"));
        reply(&f, COORDINATOR, "h3@org.example", "#stap herstel gedaan");
        let results: Vec<String> = f
            .letters_named("commando-resultaat")
            .iter()
            .map(|l| f.text(l))
            .collect();
        assert!(
            results.iter().any(|r| r.contains("geen stap 'herstel'")),
            "{results:?}"
        );
    }

    #[test]
    fn urgent_tells_the_urgent_role_at_once() {
        let f = Fixture::new("vps", "2026-11-16T10:00:00+01:00", ROLES);
        complaint(&f, "k1@voorbeeld.nl", WINDOW);
        assert!(f.letters_named("urgent").is_empty());
        reply(&f, COORDINATOR, "h1@org.example", "#urgent");
        let urgent = f.letters_named("urgent");
        assert_eq!(urgent.len(), 1);
        assert_eq!(urgent[0].to, "directie@org.example");
        reply(&f, COORDINATOR, "h2@org.example", "#urgent");
        assert_eq!(f.letters_named("urgent").len(), 1, "once");
    }

    #[test]
    fn an_urgent_term_shortens_the_ladder_when_urgent_is_marked() {
        use crate::procedure::timers::{pending, Kind};
        let mut f = Fixture::new("vps", "2026-11-16T10:00:00+01:00", ROLES);
        f.policy_mut().terms.urgent = Some("2 werkdagen".parse().unwrap());
        complaint(&f, "k1@voorbeeld.nl", WINDOW);
        let breach = |f: &Fixture| {
            let c = f.cases().remove(0);
            pending(&f.store, c.id)
                .unwrap()
                .into_iter()
                .filter(|t| t.generation == c.term_changes)
                .find(|t| matches!(t.kind, Kind::Breach))
                .map(|t| t.term_end)
        };
        // 2 weken from Monday 16 November: Monday 30 November.
        assert_eq!(breach(&f).unwrap().date_naive().to_string(), "2026-11-30");
        reply(&f, COORDINATOR, "h1@org.example", "#urgent");
        // 2 werkdagen from Monday 16 November: Wednesday 18 November.
        assert_eq!(breach(&f).unwrap().date_naive().to_string(), "2026-11-18");
        let notice = f.text(&f.letters_named("urgent")[0]);
        assert!(notice.contains("18 november"), "{notice}");
    }

    #[test]
    fn optimumconsult_sends_the_report_to_the_complainant_and_those_involved() {
        let f = Fixture::new("optimumconsult", "2026-11-16T10:00:00+01:00", ROLES);
        complaint(&f, "k1@voorbeeld.nl", WINDOW);
        reply(
            &f,
            COORDINATOR,
            "h1@org.example",
            "#betrokken piet@org.example\n#reactie-betrokkene Piet zegt dat de kit nog moest uitharden\n#in-behandeling\n#gegrond: de kit was niet goed\n#opgelost\n#verslag De kit is opnieuw aangebracht; wij controleren voortaan na 24 uur.",
        );
        let c = f.cases().remove(0);
        assert_eq!(c.reactions, ["Piet zegt dat de kit nog moest uitharden"]);
        let to: Vec<String> = f
            .letters()
            .into_iter()
            .filter(|l| l.letter == "verslag" || l.parts.iter().any(|p| p == "verslag"))
            .map(|l| l.to)
            .collect();
        assert!(to.contains(&"jan@voorbeeld.nl".to_string()), "{to:?}");
        assert!(to.contains(&"piet@org.example".to_string()), "{to:?}");
    }
}
