//! `klachtd cases list` and `klachtd cases show`: the cases in the store,
//! as a table or JSON, and one case with its registers, timers and
//! timeline.

use crate::cli::args::CasesCommand;
use crate::cli::env::Env;
use anyhow::{bail, Result};
use klachtd::cases::case::Case;
use klachtd::cases::event::Event;
use klachtd::cases::id::CaseId;
use klachtd::cases::lookup;
use klachtd::cases::policy::{MetBy, Policy};
use klachtd::cases::state::State;
use klachtd::deadline::Calendar;
use klachtd::letters::outbox;
use klachtd::procedure::{conversation, timers};
use klachtd::store::Store;

/// What `cases` commands read with.
struct View<'a> {
    env: &'a Env,
    store: &'a Store,
    policy: &'a Policy,
    calendar: &'a Calendar,
    org: &'a klachtd::config::Organisation,
    now: chrono::DateTime<chrono::Utc>,
}

/// Runs `cases list` or `cases show`.
pub fn cases(env: &Env, command: &CasesCommand) -> Result<i32> {
    let (config, store) = env.store()?;
    let policy = Policy::from_config(&config)?;
    let view = View {
        env,
        store: &store,
        policy: &policy,
        calendar: &config.calendar,
        org: &config.organisation,
        now: env.clock.now(),
    };
    match command {
        CasesCommand::List {
            json,
            state,
            handler,
            overdue,
        } => list(
            &view,
            *json,
            (state.as_deref(), handler.as_deref(), *overdue),
        ),
        CasesCommand::Show { id, json } => show(&view, id, *json),
    }
}

/// The states `--state` names: one state (`in_behandeling`, also written
/// `in-behandeling`), or a group: `open` (not closed) or `closed`/`gesloten`
/// groups (closed or not taken into treatment). Anything else is an error
/// that lists what is accepted.
fn states(s: &str) -> Result<Vec<State>> {
    let s = s.trim().to_lowercase().replace('-', "_");
    let group = |closed: bool| {
        State::ALL
            .into_iter()
            .filter(|x| x.is_closed() == closed)
            .collect()
    };
    match s.as_str() {
        "open" | "lopend" => Ok(group(false)),
        "closed" | "dicht" | "afgesloten" => Ok(group(true)),
        _ => State::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .map(|x| vec![x])
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "--state {s}: use open, closed or one of {}",
                    State::ALL.map(|x| x.as_str()).join(", ")
                )
            }),
    }
}

/// The cases, filtered by state, handler and being overdue.
fn list(
    v: &View<'_>,
    json: bool,
    (state, handler, overdue): (Option<&str>, Option<&str>, bool),
) -> Result<i32> {
    let wanted = state.map(states).transpose()?;
    // Only the cases listed are held, not the store.
    let mut all = Vec::new();
    lookup::each(v.store, |c| {
        let keep = wanted.as_ref().is_none_or(|w| w.contains(&c.state))
            && handler.is_none_or(|h| {
                c.handler
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(h))
            })
            && (!overdue || v.policy.overdue(&c, v.calendar, v.now));
        if keep {
            all.push(c);
        }
        Ok(())
    })?;
    if json {
        outln!(v.env, "{}", serde_json::to_string_pretty(&all)?);
        return Ok(0);
    }
    outln!(
        v.env,
        "{:<14} {:<20} {:<17} {:<32} SUBJECT",
        "CASE",
        "STATE",
        "RECEIVED",
        "COMPLAINANT"
    );
    for c in all {
        outln!(
            v.env,
            "{:<14} {:<20} {:<17} {:<32} {}",
            c.id.to_string(),
            c.state.as_str(),
            c.received.format("%Y-%m-%d %H:%M"),
            c.complainant,
            c.subject
        );
    }
    Ok(0)
}

/// One case with its history, letters and timers.
fn show(v: &View<'_>, id: &str, json: bool) -> Result<i32> {
    let id: CaseId = id.parse().map_err(anyhow::Error::msg)?;
    let Some(c) = lookup::load(v.store, id)? else {
        bail!("no case {id}; `klachtd cases list` shows the cases there are");
    };
    let events = lookup::events(v.store, id)?;
    let letters = outbox::items(v.store, Some(id))?;
    // Only timers that will still do something: a met term's leftovers
    // (dropped when they come up) would read as promises.
    let timers = timers::live(v.store, &c, v.policy, v.now)?;
    let conversation = conversation::of_case(v.store, v.calendar, v.org, id)?;
    if json {
        outln!(
            v.env,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "case": c, "events": events, "outbox": letters, "timers": timers,
                "conversation": conversation,
            }))?
        );
        return Ok(0);
    }
    header(v, &c);
    registers(v, &c);
    outln!(v.env, "  summary:      {}", c.summary);
    for t in &timers {
        outln!(
            v.env,
            "  timer:        {} at {}",
            serde_json::to_value(&t.kind)?
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or(""),
            t.at.with_timezone(&v.calendar.tz).format("%Y-%m-%d %H:%M")
        );
    }
    timeline(v, &events)?;
    outln!(v.env, "conversation:");
    for t in &conversation {
        let who = if t.richting == "in" {
            format!("from {}", t.van)
        } else {
            "to the complainant".to_string()
        };
        outln!(v.env, "  {}  {who}: {}", t.wanneer, t.onderwerp);
        for line in t.tekst.lines() {
            outln!(v.env, "    {line}");
        }
    }
    Ok(0)
}

/// Number, state, people, dates and the term.
fn header(v: &View<'_>, c: &Case) {
    outln!(v.env, "{}  {}", c.id, c.subject);
    outln!(v.env, "  state:        {}", c.state);
    outln!(
        v.env,
        "  complainant:  {}{}",
        c.name
            .as_deref()
            .map(|n| format!("{n} "))
            .unwrap_or_default(),
        format_args!("<{}>", c.complainant)
    );
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&v.calendar.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    outln!(v.env, "  received:     {}", local(c.received));
    outln!(
        v.env,
        "  acknowledged: {}",
        c.acknowledged.map(local).unwrap_or_else(|| "-".into())
    );
    outln!(
        v.env,
        "  handler:      {}",
        c.handler.as_deref().unwrap_or("-")
    );
    outln!(
        v.env,
        "  category:     {}{}",
        c.category.as_deref().unwrap_or("-"),
        if c.urgent { " (URGENT)" } else { "" }
    );
    outln!(
        v.env,
        "  {}: {}{}",
        match v.policy.terms.met_by {
            MetBy::Standpunt => "position due",
            MetBy::Opgelost => "resolved by ",
        },
        v.policy
            .decision_due(c, v.calendar)
            .with_timezone(&v.calendar.tz)
            .format("%Y-%m-%d %H:%M"),
        if v.policy.overdue(c, v.calendar, v.now) {
            "  OVERDUE"
        } else {
            ""
        }
    );
}

/// Judgement, offers, people involved, extensions and the improvement
/// register.
fn registers(v: &View<'_>, c: &Case) {
    let calendar = v.calendar;
    if let Some(j) = c.justified {
        outln!(
            v.env,
            "  judged:       {}",
            if j { "gegrond" } else { "ongegrond" }
        );
    }
    for o in &c.offers {
        outln!(v.env, "  offer:        {o}");
    }
    if let Some(a) = c.offer_accepted {
        outln!(
            v.env,
            "  offer answer: {}",
            if a { "aanvaard" } else { "afgewezen" }
        );
    }
    if !c.involved.is_empty() {
        outln!(v.env, "  involved:     {}", c.involved.join(", "));
    }
    for e in &c.extensions {
        outln!(v.env, "  extended by:  {e}");
    }
    if let Some(o) = &c.outcome {
        outln!(v.env, "  outcome:      {o}");
    }
    if let Some(s) = &c.satisfaction {
        outln!(v.env, "  satisfaction: {s}");
    }
    if let Some(cause) = &c.cause {
        outln!(v.env, "  cause:        {cause}");
    }
    for m in &c.measures {
        outln!(v.env, "  measure:      {m}");
    }
    if let Some(r) = c.resolved {
        outln!(
            v.env,
            "  resolved:     {}",
            r.with_timezone(&calendar.tz).format("%Y-%m-%d %H:%M")
        );
    }
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&calendar.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    if c.complex {
        outln!(v.env, "  complex:      yes");
    }
    for r in &c.reactions {
        outln!(v.env, "  reaction:     {r} (betrokkene gehoord)");
    }
    for (step, at) in &c.steps_started {
        let done = c
            .steps_done
            .get(step)
            .map(|d| format!(", done {}", local(*d)))
            .unwrap_or_default();
        let planned = c
            .steps_planned
            .get(step)
            .map(|d| format!(", planned for {d}"))
            .unwrap_or_default();
        outln!(
            v.env,
            "  step:         {step} started {}{planned}{done}",
            local(*at)
        );
    }
    if let Some(claim) = &c.damage_claim {
        outln!(
            v.env,
            "  damage claim: discovered {}, registered {}{}",
            claim.discovered,
            local(claim.registered),
            if claim.late {
                "  LATE (past the limitation term)"
            } else {
                ""
            }
        );
    }
    if let (Some(at), Some(due)) = (c.appealed, v.policy.appeal_due(c, calendar)) {
        let outcome = match c.appeal_justified {
            Some(true) => ", outcome: gegrond",
            Some(false) => ", outcome: ongegrond",
            None => "",
        };
        outln!(
            v.env,
            "  appeal:       lodged {}, handled by {} ({}), due {}{outcome}",
            local(at),
            v.policy.beroep.who(&v.org.language),
            v.policy.beroep.role,
            local(due)
        );
    }
}

/// Every event, oldest first, with its details.
fn timeline(v: &View<'_>, events: &[Event]) -> Result<()> {
    let calendar = v.calendar;
    outln!(v.env, "timeline:");
    for e in events {
        let what = serde_json::to_value(&e.kind)?;
        let kind = what
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_string();
        let detail: Vec<String> = what
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != "type")
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                )
            })
            .collect();
        outln!(
            v.env,
            "  {}  {:<16} {:<24} {}",
            e.at.with_timezone(&calendar.tz).format("%Y-%m-%d %H:%M"),
            kind,
            e.actor,
            detail.join(" ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_filters_take_every_state_and_the_groups_and_refuse_the_rest() {
        assert_eq!(states("in-behandeling").unwrap(), [State::InBehandeling]);
        assert_eq!(states("gesloten").unwrap(), [State::Gesloten]);
        let open = states("open").unwrap();
        assert!(open.contains(&State::Ontvangen) && !open.contains(&State::Gesloten));
        assert!(states("closed")
            .unwrap()
            .contains(&State::NietInBehandeling));
        let err = states("bezig").unwrap_err().to_string();
        assert!(
            err.contains("open, closed") && err.contains("wacht_op_klager"),
            "{err}"
        );
    }
}
