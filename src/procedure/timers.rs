//! Timers: a due index in the store (`due time ‖ case ‖ timer`) holding
//! the reminders and escalations of each case's decision term. Timers are
//! planned when a case opens and again when its term is extended; a pass
//! fires everything due (after downtime: everything overdue, at once) and
//! removes each timer in the same transaction as its letter, so each fires
//! once. Timers that no longer apply (position taken, term extended,
//! reminder overtaken by the breach) are dropped when they come up.

use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::{EventKind, KLACHTD};
use crate::cases::id::CaseId;
use crate::cases::lookup;
use crate::cases::policy::{MetBy, Policy};
use crate::cases::state::State;
use crate::deadline::Calendar;
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::{post, vars};
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What a timer does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// Remind the handler `workdays` working days before the term ends.
    Reminder {
        /// Working days before the end.
        workdays: u32,
    },
    /// The term is breached: escalate to the coordinator.
    Breach,
    /// `workdays` working days after breach: tell management.
    Management {
        /// Working days after the end.
        workdays: u32,
    },
    /// The `n`th interim status update to the complainant.
    Interim {
        /// Which one.
        n: u32,
    },
    /// The appeal's term: a reminder to its handler one working day
    /// before, then the breach to the coordinator.
    Appeal {
        /// `true` at breach.
        breach: bool,
    },
    /// A further term of the procedure (a policy `[[step]]`).
    Step {
        /// The step's name.
        step: String,
        /// `true` at breach (to the coordinator), `false` for the reminder
        /// one working day before (to the handler).
        breach: bool,
    },
}

impl Kind {
    fn name(&self) -> String {
        match self {
            Kind::Reminder { workdays } => format!("herinnering-{workdays}"),
            Kind::Breach => "termijn-verstreken".into(),
            Kind::Management { workdays } => format!("management-{workdays}"),
            Kind::Interim { n } => format!("tussenbericht-{n}"),
            Kind::Appeal { breach } => format!(
                "beroep-{}",
                if *breach { "verstreken" } else { "herinnering" }
            ),
            Kind::Step { step, breach } => {
                format!(
                    "{step}-{}",
                    if *breach { "verstreken" } else { "herinnering" }
                )
            }
        }
    }
}

/// A planned timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// The case.
    pub case: CaseId,
    /// What it does.
    #[serde(flatten)]
    pub kind: Kind,
    /// When the term ends.
    pub term_end: DateTime<Utc>,
    /// The term's generation: the case's `term_changes` when planned.
    pub generation: u32,
    /// When it fires.
    pub at: DateTime<Utc>,
}

impl Timer {
    fn key(&self) -> Vec<u8> {
        let mut k = self.at.timestamp_micros().to_be_bytes().to_vec();
        k.extend(self.case.key());
        k.push(0);
        k.extend(format!("{}/{}", self.kind.name(), self.generation).into_bytes());
        k
    }
}

/// The timers of a case's decision term, by the policy's ladder, planned
/// at `now`. Reminders go out at 08:00 local time; escalations at the end
/// of the term. A re-plan (an extension, a resumed wait) plans no reminder
/// or interim update at or before `now`: those would all fire at once
/// (several "stand van zaken" letters together); escalations are kept,
/// late or not.
pub fn plan(c: &Case, policy: &Policy, cal: &Calendar, now: DateTime<Utc>) -> Vec<Timer> {
    let term_end = policy.decision_due(c, cal);
    let end_day = cal.local_date(term_end);
    let generation = c.term_changes;
    let mut out = Vec::new();
    let mut add = |kind: Kind, at: DateTime<Utc>| {
        out.push(Timer {
            case: c.id,
            kind,
            term_end,
            generation,
            at,
        })
    };
    for &n in &policy.ladder.remind_before_workdays {
        add(
            Kind::Reminder { workdays: n },
            cal.at_local(cal.working_days_before(end_day, n), 8),
        );
    }
    if policy.ladder.escalate_at_breach {
        add(Kind::Breach, term_end);
    }
    if let Some((n, at)) = next_interim(c, policy, cal, now.max(c.received)) {
        add(Kind::Interim { n }, at);
    }
    for &n in &policy.ladder.management_after_workdays {
        let day = cal.due_date(
            term_end,
            format!("{n} werkdagen").parse().expect("valid term"),
        );
        add(Kind::Management { workdays: n }, cal.at_local(day, 8));
    }
    out.retain(|t| t.at > now || !matches!(t.kind, Kind::Reminder { .. } | Kind::Interim { .. }));
    out
}

/// The next interim update of `c` after `after`: the policy's rhythm
/// counted from receipt (the `n`th at receipt + n × interval, 09:00), never
/// on the day the term ends (the answer is due then). Only one is planned
/// at a time; firing it plans the next, so updates go on until resolution
/// and a catch-up after downtime sends one, not several.
fn next_interim(
    c: &Case,
    policy: &Policy,
    cal: &Calendar,
    after: DateTime<Utc>,
) -> Option<(u32, DateTime<Utc>)> {
    let every = policy.interim_every?;
    let end_day = cal.local_date(policy.decision_due(c, cal));
    let mut at = c.received;
    // A year of weekly updates at most, then the coordinator has long known.
    for n in 1..=52 {
        at = cal.at_local(cal.due_date(at, every), 9);
        if at > after && cal.local_date(at) != end_day {
            return Some((n, at));
        }
    }
    None
}

/// The timers of the policy's further terms that start at `start`, at
/// `from`. Steps started by a command are planned when it comes.
pub fn plan_steps(
    c: &Case,
    policy: &Policy,
    cal: &Calendar,
    start: crate::cases::policy::Start,
    from: DateTime<Utc>,
) -> Vec<Timer> {
    policy
        .steps
        .iter()
        .filter(|s| s.from == start && s.command.is_none())
        .flat_map(|s| step_timers(c, s, cal, from, from))
        .collect()
}

/// The timers of `step`, started by its command at `now`: its term runs
/// from the command (`from = "command"`) or from its own start (on
/// receipt: a visit "binnen 2 werkdagen" is late at once when planned
/// after them, and the breach says so).
pub fn plan_started_step(
    c: &Case,
    step: &crate::cases::policy::Step,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Vec<Timer> {
    use crate::cases::policy::Start;
    let from = match step.from {
        Start::Command => Some(now),
        Start::Received => Some(c.received),
        Start::Justified => c.justified_at,
        Start::Accepted => c.entered.get(&State::InBehandeling).copied(),
        Start::Resolved => c.resolved,
    }
    .unwrap_or(now);
    step_timers(c, step, cal, from, now)
}

/// A step's reminders (after `now`) and its breach, for a term from `from`.
fn step_timers(
    c: &Case,
    step: &crate::cases::policy::Step,
    cal: &Calendar,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Timer> {
    let term_end = cal.due(from, step.within);
    let reminders = step.remind_before_workdays.iter().map(|&n| {
        (
            false,
            cal.at_local(cal.working_days_before(cal.local_date(term_end), n), 8),
        )
    });
    reminders
        .chain([(true, term_end)])
        .filter(|(breach, at)| *at > now || (*breach && now > from))
        .map(|(breach, at)| Timer {
            case: c.id,
            kind: Kind::Step {
                step: step.name.clone(),
                breach,
            },
            term_end,
            generation: 0,
            at,
        })
        .collect()
}

/// The timers of an appeal lodged at `from`.
pub fn plan_appeal(c: &Case, policy: &Policy, cal: &Calendar, from: DateTime<Utc>) -> Vec<Timer> {
    let term_end = cal.due(from, policy.beroep.term.unwrap_or(policy.terms.decide));
    let reminder = cal.at_local(cal.working_days_before(cal.local_date(term_end), 1), 8);
    [(false, reminder), (true, term_end)]
        .into_iter()
        .filter(|(_, at)| *at > from)
        .map(|(breach, at)| Timer {
            case: c.id,
            kind: Kind::Appeal { breach },
            term_end,
            generation: 0,
            at,
        })
        .collect()
}

/// Adds timers to a batch.
pub fn schedule(batch: &mut Batch, timers: &[Timer]) {
    for t in timers {
        batch.put(Tree::Due, t.key(), t);
    }
}

/// Timers of a case still pending (for `cases show`).
pub fn pending(store: &Store, case: CaseId) -> Result<Vec<Timer>, StoreError> {
    Ok(store
        .scan::<Timer>(Tree::Due, b"")?
        .into_iter()
        .filter(|t| t.case == case)
        .collect())
}

/// Timers of `c` that will still do something when they come up (for
/// `cases show`): leftovers of a met term or an ended step are left out.
pub fn live(
    store: &Store,
    c: &Case,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Vec<Timer>, StoreError> {
    let mut timers = pending(store, c.id)?;
    timers.retain(|t| applies(t, c, policy, now));
    Ok(timers)
}

/// Whether a timer still applies to the case as it is now.
fn applies(t: &Timer, c: &Case, policy: &Policy, now: DateTime<Utc>) -> bool {
    if c.anonymised {
        return false;
    }
    if let Kind::Appeal { breach } = &t.kind {
        return c.state == State::Beroep && (*breach || now < t.term_end);
    }
    if let Kind::Step { step, breach } = &t.kind {
        let done = policy
            .steps
            .iter()
            .find(|s| &s.name == step)
            .is_none_or(|s| {
                s.done_in.contains(&c.state)
                    || (s.done_by_report && c.reported.is_some())
                    || c.steps_done.contains_key(&s.name)
                    || (s.command.is_some() && !c.steps_started.contains_key(&s.name))
            });
        let paused = c.state == State::WachtOpKlager && policy.pause_while_waiting;
        return !done && !paused && (*breach || now < t.term_end);
    }
    // Interim updates go on until the complaint is resolved, whatever the
    // term is met by; the ladder stops when the term is met.
    let met = if matches!(t.kind, Kind::Interim { .. }) {
        MetBy::Opgelost.met(c)
    } else {
        policy.term_met(c)
    };
    let current = t.generation == c.term_changes;
    let overtaken = matches!(t.kind, Kind::Reminder { .. }) && now >= t.term_end;
    // While the clock is paused nothing runs out; resuming plans afresh.
    let paused = c.state == State::WachtOpKlager && policy.pause_while_waiting;
    !met && current && !overtaken && !paused
}

/// Fires every timer due now. Returns how many letters it queued.
pub fn fire_due(store: &Store, ctx: &Context<'_>) -> Result<u32, StoreError> {
    // Keys start with the due time: everything below now+1µs is due.
    let end = (ctx.now().timestamp_micros() + 1).to_be_bytes();
    let mut fired = 0;
    for (key, value) in store.scan_below(Tree::Due, &end)? {
        match fire(store, ctx, &key, &value) {
            Ok(n) => fired += n,
            Err(StoreError::Contended { what, .. }) => {
                tracing::warn!(%what, "timer not fired: its case kept changing; the next pass tries again");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(fired)
}

/// Fires one timer (`key` → `value` in the due index) and removes it, in
/// one transaction; a timer that no longer applies is only removed.
fn fire(store: &Store, ctx: &Context<'_>, key: &[u8], value: &[u8]) -> Result<u32, StoreError> {
    store.transact(|store| {
        let ctx = &ctx.at_now();
        let mut batch = Batch::new();
        batch.expect(Tree::Due, key.to_vec(), Some(value.to_vec()));
        batch.remove(Tree::Due, key.to_vec());
        let timer: Option<Timer> = serde_json::from_slice(value).ok();
        let case = timer
            .as_ref()
            .map(|t| lookup::load(store, t.case))
            .transpose()?
            .flatten();
        let (Some(t), Some(c)) = (&timer, &case) else {
            return Ok((batch, 0));
        };
        if !applies(t, c, ctx.policy, ctx.now()) {
            return Ok((batch, 0));
        }
        match letters_for(ctx, &mut batch, t, c) {
            Ok(n) => {
                if let Kind::Interim { .. } = t.kind {
                    let after = t.at.max(ctx.now());
                    if let Some((n, at)) = next_interim(c, ctx.policy, ctx.calendar, after) {
                        schedule(
                            &mut batch,
                            &[Timer {
                                kind: Kind::Interim { n },
                                at,
                                ..t.clone()
                            }],
                        );
                    }
                }
                Ok((batch, n))
            }
            Err(ProcessError::Store(e)) => Err(e),
            Err(ProcessError::Unprocessable(why)) => {
                tracing::error!(case = %c.id, %why, "timer letter could not be made; the timer stays");
                Ok((Batch::new(), 0))
            }
        }
    })
}

/// Who a timer's letter goes to, and which letter.
fn recipients(ctx: &Context<'_>, t: &Timer, c: &Case) -> (&'static str, Vec<String>) {
    let coordinator = ctx.coordinator().unwrap_or_default().to_string();
    let handler = c.handler.clone().unwrap_or_else(|| coordinator.clone());
    match &t.kind {
        Kind::Interim { .. } => ("tussenbericht", vec![c.complainant.clone()]),
        Kind::Reminder { .. }
        | Kind::Step { breach: false, .. }
        | Kind::Appeal { breach: false } => ("herinnering", vec![handler]),
        Kind::Breach | Kind::Step { breach: true, .. } | Kind::Appeal { breach: true } => {
            ("escalatie", vec![coordinator])
        }
        Kind::Management { .. } => ("escalatie", ctx.config.staff.management.clone()),
    }
}

/// Queues the letters of a timer and its case events; returns how many.
fn letters_for(
    ctx: &Context<'_>,
    batch: &mut Batch,
    t: &Timer,
    c: &Case,
) -> Result<u32, ProcessError> {
    let now = ctx.now();
    let (letter, recipients) = recipients(ctx, t, c);
    let mut vars = vars::case(ctx, c);
    vars["timer"] = json!({
        "kind": t.kind.name(),
        "term_end": ctx.calendar.local_date(t.term_end).to_string(),
        "workdays": match t.kind { Kind::Reminder { workdays } | Kind::Management { workdays } => workdays, Kind::Step { breach: false, .. } | Kind::Appeal { breach: false } => 1, _ => 0 },
        "step": match &t.kind {
            Kind::Step { step, .. } => ctx.policy.steps.iter().find(|s| &s.name == step).map(|s| s.describe(&ctx.org().language).to_string()).unwrap_or_default(),
            Kind::Appeal { .. } if ctx.org().language == "en" => "handle the appeal".to_string(),
            Kind::Appeal { .. } => "het beroep behandelen".to_string(),
            _ => String::new(),
        },
        "breached": now >= t.term_end,
        "handler": c.handler.clone().unwrap_or_default(),
    });
    let mut change = Change::on(c);
    change.record(
        now,
        KLACHTD,
        EventKind::TimerFired {
            timer: t.kind.name(),
            term_end: t.term_end,
        },
    );
    let mut n = 0;
    for (i, to) in recipients.iter().filter(|r| !r.is_empty()).enumerate() {
        // The complainant's letters go in their thread and language; staff's
        // carry the case's reply address.
        let req = if to.eq_ignore_ascii_case(&c.complainant) {
            LetterRequest::to_complainant(ctx.org(), c, letter, vars.clone())
        } else {
            LetterRequest::to_staff(ctx.org(), to, letter, vars.clone())
                .reply_to(ctx.reply_address(c.id))
        };
        let item = post::queue(ctx, batch, &req.on_case(c.id, c.version * 10 + i as u32))?;
        change.record(now, KLACHTD, post::queued(&item));
        n += 1;
    }
    change.write(batch);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn opened(on: &str) -> Case {
        let events = vec![crate::cases::event::Event {
            seq: 0,
            at: at(on),
            actor: "x@y.nl".into(),
            reason: None,
            kind: EventKind::Opened {
                complainant: "x@y.nl".into(),
                name: None,
                subject: "s".into(),
                summary: "s".into(),
                language: "nl".into(),
                channel: "email".into(),
                category: None,
                urgent: false,
                phone: None,
                postal_address: None,
                via: None,
            },
        }];
        Case::from_events("KL-2026-0001".parse().unwrap(), &events).unwrap()
    }

    #[test]
    fn a_re_plan_sends_no_interim_update_or_reminder_of_the_past() {
        // VPS: a "stand van zaken" every week. Extended by 4 weeks after
        // three weeks: the next update is next week's, not three at once.
        let mut c = opened("2026-04-06T10:00:00+02:00");
        let policy = Policy::preset("vps").unwrap();
        let cal = Calendar::default();
        c.extensions.push("4 weken".into());
        c.term_changes += 1;
        let now = at("2026-04-28T10:00:00+02:00");
        let t = plan(&c, &policy, &cal, now);
        let interim: Vec<_> = t
            .iter()
            .filter(|t| matches!(t.kind, Kind::Interim { .. }))
            .collect();
        assert!(!interim.is_empty(), "updates go on until the new term");
        assert!(t
            .iter()
            .filter(|t| matches!(t.kind, Kind::Interim { .. } | Kind::Reminder { .. }))
            .all(|t| t.at > now));
        let days: std::collections::BTreeSet<_> =
            interim.iter().map(|t| cal.local_date(t.at)).collect();
        assert_eq!(days.len(), interim.len(), "never two on one day");
        assert!(t.iter().any(|t| matches!(t.kind, Kind::Breach)));
    }

    #[test]
    fn the_ladder_lands_on_working_days() {
        let c = opened("2026-04-24T16:00:00+02:00");
        let policy = Policy::preset("generiek").unwrap();
        let cal = Calendar::default();
        let t = plan(&c, &policy, &cal, c.received);
        let when: Vec<String> = t
            .iter()
            .map(|t| t.at.with_timezone(&cal.tz).to_rfc3339())
            .collect();
        // 2 weeks from Friday 24 April: Friday 8 May (5 mei is a holiday, not on the path).
        assert_eq!(
            when,
            [
                "2026-05-06T08:00:00+02:00",
                "2026-05-07T08:00:00+02:00",
                "2026-05-08T23:59:59+02:00",
                "2026-05-12T08:00:00+02:00",
            ]
        );
        // An extension plans a new generation further out.
        let mut extended = c.clone();
        extended.extensions.push("2 weken".into());
        extended.term_changes += 1;
        let t2 = plan(&extended, &policy, &cal, c.received);
        assert!(t2.iter().all(|t| t.generation == 1));
        assert_eq!(
            t2[2].at.with_timezone(&cal.tz).to_rfc3339(),
            "2026-05-22T23:59:59+02:00"
        );
        assert!(
            !applies(&t[0], &extended, &policy, at("2026-05-06T08:00:00+02:00")),
            "superseded by the extension"
        );
        assert!(applies(
            &t2[0],
            &extended,
            &policy,
            at("2026-05-20T08:00:00+02:00")
        ));
        assert!(
            !applies(&t2[0], &extended, &policy, at("2026-05-23T08:00:00+02:00")),
            "a reminder after the breach is noise"
        );
    }
}
