//! The figures of a report, from the case store: what the procedures ask
//! for (how many complaints, of which kind, justified or not, handled
//! within which term, with which causes and measures, how satisfied) for
//! any period, compared with the period before; and the weekly agenda of
//! new and open cases. [`crate::reports::render`] writes them out.
//!
//! A case counts in the period it was received in (local dates of the
//! organisation). Handling figures are as of the moment the report is
//! made: a case received in the period and decided after it counts as
//! decided, on time or late by its own term.

use crate::anonymise::Anonymiser;
use crate::cases::case::Case;
use crate::cases::lookup;
use crate::cases::policy::{MetBy, Policy, Start};
use crate::cases::state::State;
use crate::deadline::Calendar;
use crate::intake::journal::{Entry, Status};
use crate::store::{Store, StoreError, Tree};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a report is made from, besides the store.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The organisation's name, for the title.
    pub organisation: &'a str,
    /// The procedure, for its terms.
    pub policy: &'a Policy,
    /// The working-day calendar (and time zone).
    pub calendar: &'a Calendar,
    /// Names and addresses to remove in anonymised output (staff directory).
    pub known: &'a [String],
}

/// Figures of one term of the procedure.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TermFigures {
    /// Short name (`ontvangstbevestiging`, `standpunt`, or a step's name).
    pub name: String,
    /// The term as the procedure writes it.
    pub term: String,
    /// Met within the term.
    pub on_time: u32,
    /// Met after the term.
    pub late: u32,
    /// Not met yet, term not yet ended.
    pub open: u32,
    /// Not met yet, term ended.
    pub overdue: u32,
    /// Share met on time of those whose term ended or that were met (0–1).
    pub share_on_time: Option<f64>,
    /// Working days taken, of those met.
    pub days: Durations,
}

/// Working days taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Durations {
    /// How many were measured.
    pub count: u32,
    /// Mean working days.
    pub mean: Option<f64>,
    /// Median working days.
    pub median: Option<f64>,
    /// Longest.
    pub max: Option<u32>,
}

impl Durations {
    fn of(mut v: Vec<u32>) -> Durations {
        if v.is_empty() {
            return Durations::default();
        }
        v.sort_unstable();
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2] as f64
        } else {
            (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
        };
        Durations {
            count: n as u32,
            mean: Some(round2(v.iter().sum::<u32>() as f64 / n as f64)),
            median: Some(median),
            max: v.last().copied(),
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A count now and in the period before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// What is counted (a category, a cause).
    pub item: String,
    /// In this period.
    pub now: u32,
    /// In the period before.
    pub before: u32,
}

/// A measure against recurrence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    /// The case.
    pub case: String,
    /// Its category.
    pub category: String,
    /// The cause registered.
    pub cause: Option<String>,
    /// The measure.
    pub measure: String,
}

/// One case in a list (agenda, open cases).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseLine {
    /// Case number.
    pub case: String,
    /// Received (local date).
    pub received: NaiveDate,
    /// State.
    pub state: State,
    /// Category.
    pub category: String,
    /// Urgent.
    pub urgent: bool,
    /// Handler.
    pub handler: String,
    /// When the position is due (local date).
    pub due: NaiveDate,
    /// Past the decision term.
    pub overdue: bool,
    /// Subject (`[geanonimiseerd]` in anonymised output).
    pub subject: String,
}

/// The report of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The organisation.
    pub organisation: String,
    /// The procedure.
    pub policy: String,
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// When the report was made (figures are as of then).
    pub made: DateTime<Utc>,
    /// The same moment in the organisation's time zone, for people.
    pub made_local: String,
    /// Whether free text was anonymised.
    pub anonymised: bool,
    /// New incoming messages by label (automatic mail and replies excluded).
    pub messages_by_label: BTreeMap<String, u32>,
    /// Cases received in the period.
    pub cases: u32,
    /// The same, in the period before (of equal length).
    pub cases_before: u32,
    /// Cases by category (`onbekend` without one).
    pub by_category: BTreeMap<String, u32>,
    /// Cases by channel.
    pub by_channel: BTreeMap<String, u32>,
    /// Cases by month received (`2026-03`).
    pub by_month: BTreeMap<String, u32>,
    /// Urgent cases.
    pub urgent: u32,
    /// Judged justified (gegrond).
    pub justified: u32,
    /// Judged not justified (ongegrond).
    pub unjustified: u32,
    /// Not (yet) judged.
    pub not_judged: u32,
    /// Not taken into treatment.
    pub not_accepted: u32,
    /// Resolved or closed (of the period's cases).
    pub closed: u32,
    /// The terms of the procedure: acknowledgement, position, further steps.
    pub terms: Vec<TermFigures>,
    /// Working days from receipt to resolution.
    pub resolve_days: Durations,
    /// Open cases at the moment of the report (received up to the period's end).
    pub open_now: u32,
    /// Of which past their decision term.
    pub overdue_now: u32,
    /// Cases whose term was extended.
    pub extended_cases: u32,
    /// Extensions in all.
    pub extensions: u32,
    /// Appeals (cases that went to appeal).
    pub appeals: u32,
    /// Appeals lodged by the complainant, and their outcome.
    pub appeal_outcomes: AppealFigures,
    /// Claims for damages, and how many came after the limitation term.
    pub damage_claims: u32,
    /// Of which late.
    pub damage_claims_late: u32,
    /// Cases where the involved person's reaction was heard (both sides).
    pub both_sides_heard: u32,
    /// Satisfaction as registered, by class (`tevreden`, `ontevreden`, `neutraal`).
    pub satisfaction: BTreeMap<String, u32>,
    /// Mean satisfaction mark, where one was given as a number (1–10).
    pub satisfaction_mark: Option<f64>,
    /// Categories, now and before.
    pub category_trend: Vec<Trend>,
    /// Causes (normalised), now and before; recurring when counted twice or more.
    pub causes: Vec<Trend>,
    /// Measures taken.
    pub measures: Vec<Measure>,
    /// The open cases (received up to the period's end), oldest first.
    pub open_cases: Vec<CaseLine>,
}

/// Appeals lodged and what came of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AppealFigures {
    /// Lodged (by answering the appeal letter).
    pub lodged: u32,
    /// Judged justified on appeal.
    pub justified: u32,
    /// Judged unjustified on appeal.
    pub unjustified: u32,
    /// Not decided yet.
    pub open: u32,
}

/// The weekly agenda: complaints received since the last meeting, and every
/// open case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agenda {
    /// The organisation.
    pub organisation: String,
    /// The meeting day.
    pub date: NaiveDate,
    /// Since when new cases are listed.
    pub since: NaiveDate,
    /// Received since then.
    pub new_cases: Vec<CaseLine>,
    /// Open (including the new ones that are open).
    pub open_cases: Vec<CaseLine>,
    /// Of the open ones, past their term.
    pub overdue: u32,
    /// Whether free text was anonymised.
    pub anonymised: bool,
}

/// The label of a message, for counting: new messages only.
fn counted_label(e: &Entry) -> Option<&str> {
    let v = e.verdict.as_ref()?;
    if v.auto_generated {
        return None;
    }
    match &e.status {
        Status::Processed { outcome, .. } if outcome == "new_case" || outcome == "recorded" => {
            Some(v.label.as_str())
        }
        _ => None,
    }
}

/// Satisfaction as a class, and as a mark when it is a number.
pub fn satisfaction_class(text: &str) -> (&'static str, Option<f64>) {
    let t = text.to_lowercase();
    let mark = t
        .split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .filter_map(|w| w.replace(',', ".").parse::<f64>().ok())
        .find(|m| (1.0..=10.0).contains(m));
    let class = if [
        "ontevreden",
        "niet tevreden",
        "dissatisfied",
        "unsatisfied",
        "not satisfied",
        "unhappy",
        "boos",
    ]
    .iter()
    .any(|w| t.contains(w))
    {
        "ontevreden"
    } else if ["tevreden", "satisfied", "blij", "happy", "content"]
        .iter()
        .any(|w| t.contains(w))
    {
        "tevreden"
    } else if ["neutraal", "neutral", "redelijk", "matig", "gaat wel"]
        .iter()
        .any(|w| t.contains(w))
    {
        "neutraal"
    } else {
        match mark {
            Some(m) if m >= 6.0 => "tevreden",
            Some(m) if m < 5.5 => "ontevreden",
            Some(_) => "neutraal",
            None => "onbekend",
        }
    };
    (class, mark)
}

/// A cause, normalised for counting ("Planning fout." and "planning fout").
fn normal_cause(c: &str) -> String {
    c.trim()
        .trim_end_matches(['.', '!'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Local date range check.
fn within(cal: &Calendar, at: DateTime<Utc>, from: NaiveDate, to: NaiveDate) -> bool {
    let d = cal.local_date(at);
    d >= from && d <= to
}

/// Removes personal data from a case's cause and measures, with the
/// case's own people (complainant, involved, handler) and the staff
/// directory as known names; the generic detectors catch the rest. One
/// case's names at a time keeps the patterns small however large the store.
fn anonymise_texts(c: &mut Case, staff: &[String]) {
    if c.cause.is_none() && c.measures.is_empty() {
        return;
    }
    let mut known: Vec<&str> = staff.iter().map(String::as_str).collect();
    known.push(&c.complainant);
    known.extend(c.name.as_deref());
    known.extend(c.involved.iter().map(String::as_str));
    known.extend(c.handler.as_deref());
    let a = Anonymiser::new(&known);
    let cause = c.cause.as_deref().map(|x| a.apply(x));
    let measures = c.measures.iter().map(|m| a.apply(m)).collect();
    c.cause = cause;
    c.measures = measures;
}

/// A case as the figures need it: the free text and thread they never read
/// dropped, so that a report over many cases stays small.
fn for_figures(mut c: Case, anonymised: bool, staff: &[String]) -> Case {
    if anonymised {
        anonymise_texts(&mut c, staff);
    }
    c.thread = Vec::new();
    c.thread_subjects = Vec::new();
    c.participants = Vec::new();
    c.offers = Vec::new();
    c.summary = String::new();
    c.subject = String::new();
    c.phone = None;
    c.postal_address = None;
    c
}

/// A case as a list line.
fn line(c: &Case, scope: &Scope<'_>, now: DateTime<Utc>, anonymised: bool) -> CaseLine {
    let cal = scope.calendar;
    CaseLine {
        case: c.id.to_string(),
        received: cal.local_date(c.received),
        state: c.state,
        category: c.category.clone().unwrap_or_else(|| "onbekend".into()),
        urgent: c.urgent,
        handler: if anonymised {
            // Staff roles, not names, in anonymised output.
            if c.handler.is_some() {
                "toegewezen".into()
            } else {
                "-".into()
            }
        } else {
            c.handler.clone().unwrap_or_else(|| "-".into())
        },
        due: cal.local_date(scope.policy.decision_due(c, cal)),
        overdue: scope.policy.overdue(c, cal, now),
        // The complainant's own words: left out of anonymised output
        // altogether, since a subject can identify without naming anyone.
        subject: if c.anonymised || anonymised {
            "[geanonimiseerd]".into()
        } else {
            c.subject.clone()
        },
    }
}

/// Whether a case is still open (not closed, not declined, not resolved).
fn is_open(c: &Case) -> bool {
    !c.state.is_closed() && c.state != State::Opgelost
}

/// The figures of one term over a set of cases: `start` gives when the
/// term starts for a case (none: it does not apply), `done` when it was met.
fn term_figures(
    (name, term): (&str, crate::deadline::Term),
    cases: &[&Case],
    (cal, now): (&Calendar, DateTime<Utc>),
    due_of: impl Fn(&Case, DateTime<Utc>) -> DateTime<Utc>,
    start: impl Fn(&Case) -> Option<DateTime<Utc>>,
    done: impl Fn(&Case, DateTime<Utc>) -> Option<DateTime<Utc>>,
) -> TermFigures {
    let mut f = TermFigures {
        name: name.into(),
        term: term.to_string(),
        ..TermFigures::default()
    };
    let mut days = Vec::new();
    for c in cases {
        let Some(s) = start(c) else { continue };
        let due = due_of(c, s);
        match done(c, s) {
            Some(d) => {
                days.push(cal.working_days_between(s, d));
                if d <= due {
                    f.on_time += 1;
                } else {
                    f.late += 1;
                }
            }
            None if c.state.is_closed() => {} // closed without it: not applicable
            None if now > due => f.overdue += 1,
            None => f.open += 1,
        }
    }
    let judged = f.on_time + f.late + f.overdue;
    f.share_on_time = (judged > 0).then(|| round2(f.on_time as f64 / judged as f64));
    f.days = Durations::of(days);
    f
}

/// Cases counted by `key`.
fn count_by(cases: &[&Case], key: impl Fn(&Case) -> String) -> BTreeMap<String, u32> {
    let mut m: BTreeMap<String, u32> = BTreeMap::new();
    for c in cases {
        *m.entry(key(c)).or_insert(0) += 1;
    }
    m
}

/// A case's category for counting (`onbekend` without one).
fn category(c: &Case) -> String {
    c.category.clone().unwrap_or_else(|| "onbekend".into())
}

/// Counts now and before, largest first.
fn trend(now: &BTreeMap<String, u32>, before: &BTreeMap<String, u32>) -> Vec<Trend> {
    let mut keys: Vec<&String> = now.keys().chain(before.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut v: Vec<Trend> = keys
        .into_iter()
        .map(|k| Trend {
            item: k.clone(),
            now: now.get(k).copied().unwrap_or(0),
            before: before.get(k).copied().unwrap_or(0),
        })
        .collect();
    v.sort_by(|a, b| b.now.cmp(&a.now).then(a.item.cmp(&b.item)));
    v
}

/// New incoming messages received in the period, by label.
fn messages_by_label(
    store: &Store,
    cal: &Calendar,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<BTreeMap<String, u32>, StoreError> {
    let mut m = BTreeMap::new();
    store.each::<Entry>(Tree::Journal, b"", |e| {
        if within(cal, e.received_at, from, to) {
            if let Some(label) = counted_label(&e) {
                *m.entry(label.to_string()).or_insert(0) += 1;
            }
        }
        Ok(())
    })?;
    Ok(m)
}

/// Cases by month received; months without complaints show as 0 (for
/// periods up to three years).
fn by_month(
    cases: &[&Case],
    cal: &Calendar,
    (from, to): (NaiveDate, NaiveDate),
) -> BTreeMap<String, u32> {
    let month_of = |d: NaiveDate| format!("{:04}-{:02}", d.year(), d.month());
    let mut m = count_by(cases, |c| month_of(cal.local_date(c.received)));
    let mut month = from.with_day(1).unwrap_or(from);
    for _ in 0..36 {
        if month > to {
            break;
        }
        m.entry(month_of(month)).or_insert(0);
        month = month + chrono::Months::new(1);
    }
    m
}

/// Every term of the policy over the period's cases: acknowledgement,
/// position, and each further step.
fn terms(scope: &Scope<'_>, cases: &[&Case], now: DateTime<Utc>) -> Vec<TermFigures> {
    let (cal, policy) = (scope.calendar, scope.policy);
    let mut terms = vec![
        term_figures(
            ("ontvangstbevestiging", policy.terms.acknowledge),
            cases,
            (cal, now),
            |_, s| cal.due(s, policy.terms.acknowledge),
            |c| Some(c.received),
            |c, _| c.acknowledged,
        ),
        term_figures(
            (policy.terms.met_by.as_str(), policy.terms.decide),
            cases,
            (cal, now),
            |c, _| policy.decision_due(c, cal),
            |c| Some(c.received),
            |c, _| match policy.terms.met_by {
                MetBy::Standpunt => c.decided,
                MetBy::Opgelost => {
                    let states: Vec<State> = State::ALL
                        .into_iter()
                        .filter(|s| MetBy::Opgelost.met_in(*s))
                        .collect();
                    met_at(c, &states, c.received)
                }
            },
        ),
    ];
    for step in &policy.steps {
        terms.push(term_figures(
            (&step.name, step.within),
            cases,
            (cal, now),
            |_, s| cal.due(s, step.within),
            |c| match step.from {
                _ if step.command.is_some() && !c.steps_started.contains_key(&step.name) => None,
                Start::Received => Some(c.received),
                Start::Justified => c.justified_at,
                Start::Accepted => c.entered.get(&State::InBehandeling).copied(),
                Start::Resolved => c.resolved,
                Start::Command => c.steps_started.get(&step.name).copied(),
            },
            |c, s| {
                let by_state = met_at(c, &step.done_in, s);
                let by_report = c.reported.filter(|t| step.done_by_report && *t >= s);
                let by_command = c.steps_done.get(&step.name).copied();
                by_state
                    .into_iter()
                    .chain(by_report)
                    .chain(by_command)
                    .min()
            },
        ));
    }
    terms
}

/// When `c` first entered one of `states` at or after `since`.
fn met_at(c: &Case, states: &[State], since: DateTime<Utc>) -> Option<DateTime<Utc>> {
    states
        .iter()
        .filter_map(|st| c.entered.get(st).copied())
        .filter(|t| *t >= since)
        .min()
}

/// Satisfaction by class, and the mean mark where one was given.
fn satisfaction(cases: &[&Case]) -> (BTreeMap<String, u32>, Option<f64>) {
    let mut by_class = BTreeMap::new();
    let mut marks = Vec::new();
    for s in cases.iter().filter_map(|c| c.satisfaction.as_deref()) {
        let (class, mark) = satisfaction_class(s);
        *by_class.entry(class.to_string()).or_insert(0) += 1;
        marks.extend(mark);
    }
    let mean = (!marks.is_empty()).then(|| round2(marks.iter().sum::<f64>() / marks.len() as f64));
    (by_class, mean)
}

/// Causes, normalised, counted.
fn causes(cases: &[&Case]) -> BTreeMap<String, u32> {
    let mut m: BTreeMap<String, u32> = BTreeMap::new();
    for cause in cases.iter().filter_map(|c| c.cause.as_deref()) {
        *m.entry(normal_cause(cause)).or_insert(0) += 1;
    }
    m
}

/// The measures registered on the period's cases.
fn measures(cases: &[&Case]) -> Vec<Measure> {
    cases
        .iter()
        .flat_map(|c| {
            c.measures.iter().map(|m| Measure {
                case: c.id.to_string(),
                category: category(c),
                cause: c.cause.clone(),
                measure: m.clone(),
            })
        })
        .collect()
}

/// How many of `cases` satisfy `f`.
fn count(cases: &[&Case], f: impl Fn(&Case) -> bool) -> u32 {
    cases.iter().filter(|c| f(c)).count() as u32
}

/// Makes the report of `from..=to` (local dates) as of `now`.
pub fn make(
    store: &Store,
    scope: &Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    anonymised: bool,
) -> Result<Report, StoreError> {
    let cal = scope.calendar;
    let length = (to - from).num_days().max(0) as u64 + 1;
    let (before_from, before_to) = (from - Days::new(length), from - Days::new(1));
    // One case at a time: only the open cases' lines and the two periods'
    // cases (without their free text) are kept. A case withdrawn as no
    // complaint (`#geen-klacht`, `#vraag`, …) is not in the figures.
    let (mut now_cases, mut before_cases, mut open_cases) = (Vec::new(), Vec::new(), Vec::new());
    lookup::each(store, |c| {
        if !c.is_complaint() {
            return Ok(());
        }
        if is_open(&c) && cal.local_date(c.received) <= to {
            open_cases.push(line(&c, scope, now, anonymised));
        }
        if within(cal, c.received, from, to) {
            now_cases.push(for_figures(c, anonymised, scope.known));
        } else if within(cal, c.received, before_from, before_to) {
            before_cases.push(for_figures(c, anonymised, scope.known));
        }
        Ok(())
    })?;
    let in_period: Vec<&Case> = now_cases.iter().collect();
    let before: Vec<&Case> = before_cases.iter().collect();
    let by_category = count_by(&in_period, category);
    open_cases.sort_by(|a, b| a.received.cmp(&b.received).then(a.case.cmp(&b.case)));
    let (satisfaction, satisfaction_mark) = satisfaction(&in_period);
    Ok(Report {
        organisation: scope.organisation.to_string(),
        policy: scope.policy.description.clone(),
        from,
        to,
        made: now,
        made_local: cal.long_moment(now, "nl"),
        anonymised,
        messages_by_label: messages_by_label(store, cal, (from, to))?,
        cases: in_period.len() as u32,
        cases_before: before.len() as u32,
        category_trend: trend(&by_category, &count_by(&before, category)),
        by_category,
        by_channel: count_by(&in_period, |c| c.channel.clone()),
        by_month: by_month(&in_period, cal, (from, to)),
        urgent: count(&in_period, |c| c.urgent),
        justified: count(&in_period, |c| c.justified == Some(true)),
        unjustified: count(&in_period, |c| c.justified == Some(false)),
        not_judged: count(&in_period, |c| c.justified.is_none()),
        not_accepted: count(&in_period, |c| {
            c.entered.contains_key(&State::NietInBehandeling)
        }),
        closed: count(&in_period, |c| !is_open(c)),
        terms: terms(scope, &in_period, now),
        resolve_days: Durations::of(
            in_period
                .iter()
                .filter_map(|c| c.resolved.map(|r| cal.working_days_between(c.received, r)))
                .collect(),
        ),
        overdue_now: open_cases.iter().filter(|l| l.overdue).count() as u32,
        open_now: open_cases.len() as u32,
        extended_cases: count(&in_period, |c| !c.extensions.is_empty()),
        extensions: in_period.iter().map(|c| c.extensions.len() as u32).sum(),
        appeals: count(&in_period, |c| c.entered.contains_key(&State::Beroep)),
        appeal_outcomes: AppealFigures {
            lodged: count(&in_period, |c| c.appealed.is_some()),
            justified: count(&in_period, |c| c.appeal_justified == Some(true)),
            unjustified: count(&in_period, |c| c.appeal_justified == Some(false)),
            open: count(&in_period, |c| {
                c.appealed.is_some() && c.appeal_justified.is_none()
            }),
        },
        damage_claims: count(&in_period, |c| c.damage_claim.is_some()),
        damage_claims_late: count(&in_period, |c| {
            c.damage_claim.as_ref().is_some_and(|d| d.late)
        }),
        both_sides_heard: count(&in_period, |c| !c.reactions.is_empty()),
        satisfaction,
        satisfaction_mark,
        causes: trend(&causes(&in_period), &causes(&before)),
        measures: measures(&in_period),
        open_cases,
    })
}

/// The agenda of the meeting on `date`: cases received since `since`, and
/// every open case.
pub fn agenda(
    store: &Store,
    scope: &Scope<'_>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    anonymised: bool,
) -> Result<Agenda, StoreError> {
    // One case at a time, keeping only the lines. A case withdrawn as no
    // complaint (`#geen-klacht`, `#vraag`, …) is not on the agenda.
    let (mut new_cases, mut open_cases) = (Vec::new(), Vec::new());
    lookup::each(store, |c| {
        if !c.is_complaint() || c.received > now {
            return Ok(());
        }
        if c.received >= since {
            new_cases.push(line(&c, scope, now, anonymised));
        }
        if is_open(&c) {
            open_cases.push(line(&c, scope, now, anonymised));
        }
        Ok(())
    })?;
    new_cases.sort_by(|a, b| a.received.cmp(&b.received).then(a.case.cmp(&b.case)));
    open_cases.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.due.cmp(&b.due)));
    Ok(Agenda {
        organisation: scope.organisation.to_string(),
        date: scope.calendar.local_date(now),
        since: scope.calendar.local_date(since),
        overdue: open_cases.iter().filter(|l| l.overdue).count() as u32,
        new_cases,
        open_cases,
        anonymised,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satisfaction_is_classed() {
        assert_eq!(satisfaction_class("tevreden").0, "tevreden");
        assert_eq!(
            satisfaction_class("Niet tevreden over het bod").0,
            "ontevreden"
        );
        assert_eq!(satisfaction_class("8").1, Some(8.0));
        assert_eq!(satisfaction_class("cijfer 4,5").0, "ontevreden");
    }

    #[test]
    fn durations_median_and_mean() {
        let d = Durations::of(vec![1, 3, 2, 10]);
        assert_eq!(d.median, Some(2.5));
        assert_eq!(d.mean, Some(4.0));
        assert_eq!(d.max, Some(10));
    }
}
