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

/// When a term starts for a case, when it is due, and when it was met.
type Moments = (DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>);

/// One term's figures, folded case by case.
struct TermTally {
    figures: TermFigures,
    days: Vec<u32>,
}

impl TermTally {
    fn new(name: &str, term: crate::deadline::Term) -> TermTally {
        TermTally {
            figures: TermFigures {
                name: name.into(),
                term: term.to_string(),
                ..TermFigures::default()
            },
            days: Vec::new(),
        }
    }

    /// Counts one case: `moments` is `None` where the term does not apply.
    fn add(&mut self, moments: Option<Moments>, closed: bool, cal: &Calendar, now: DateTime<Utc>) {
        let Some((start, due, done)) = moments else {
            return;
        };
        let f = &mut self.figures;
        match done {
            Some(d) => {
                self.days.push(cal.working_days_between(start, d));
                if d <= due {
                    f.on_time += 1;
                } else {
                    f.late += 1;
                }
            }
            None if closed => {} // closed without it: not applicable
            None if now > due => f.overdue += 1,
            None => f.open += 1,
        }
    }

    fn finish(self) -> TermFigures {
        let mut f = self.figures;
        let judged = f.on_time + f.late + f.overdue;
        f.share_on_time = (judged > 0).then(|| round2(f.on_time as f64 / judged as f64));
        f.days = Durations::of(self.days);
        f
    }
}

/// The moments of every term of the policy for `c`, in report order:
/// acknowledgement, the decision term (met by position or resolution),
/// each further step.
fn term_moments(scope: &Scope<'_>, c: &Case) -> Vec<Option<Moments>> {
    let (cal, policy) = (scope.calendar, scope.policy);
    let mut v = Vec::with_capacity(2 + policy.steps.len());
    v.push(Some((
        c.received,
        cal.due(c.received, policy.terms.acknowledge),
        c.acknowledged,
    )));
    let met = match policy.terms.met_by {
        MetBy::Standpunt => c.decided,
        MetBy::Opgelost => {
            let states: Vec<State> = State::ALL
                .into_iter()
                .filter(|s| MetBy::Opgelost.met_in(*s))
                .collect();
            met_at(c, &states, c.received)
        }
    };
    v.push(Some((c.received, policy.decision_due(c, cal), met)));
    for step in &policy.steps {
        let start = match step.from {
            _ if step.command.is_some() && !c.steps_started.contains_key(&step.name) => None,
            Start::Received => Some(c.received),
            Start::Justified => c.justified_at,
            Start::Accepted => c.entered.get(&State::InBehandeling).copied(),
            Start::Resolved => c.resolved,
            Start::Command => c.steps_started.get(&step.name).copied(),
        };
        v.push(start.map(|s| {
            let by_state = met_at(c, &step.done_in, s);
            let by_report = c.reported.filter(|t| step.done_by_report && *t >= s);
            let by_command = c.steps_done.get(&step.name).copied();
            let done = by_state
                .into_iter()
                .chain(by_report)
                .chain(by_command)
                .min();
            (s, cal.due(s, step.within), done)
        }));
    }
    v
}

/// The figures of a period, folded one case at a time, so that a report
/// over any number of cases holds only counts (and the measures).
struct Tally {
    cases: u32,
    by_category: BTreeMap<String, u32>,
    by_channel: BTreeMap<String, u32>,
    by_month: BTreeMap<String, u32>,
    urgent: u32,
    justified: u32,
    unjustified: u32,
    not_judged: u32,
    not_accepted: u32,
    closed: u32,
    terms: Vec<TermTally>,
    resolve_days: Vec<u32>,
    extended_cases: u32,
    extensions: u32,
    appeals: u32,
    appeal: AppealFigures,
    damage_claims: u32,
    damage_claims_late: u32,
    both_sides_heard: u32,
    satisfaction: BTreeMap<String, u32>,
    marks: Vec<f64>,
    causes: BTreeMap<String, u32>,
    measures: Vec<Measure>,
}

impl Tally {
    fn new(policy: &Policy) -> Tally {
        let mut terms = vec![
            TermTally::new("ontvangstbevestiging", policy.terms.acknowledge),
            TermTally::new(policy.terms.met_by.as_str(), policy.terms.decide),
        ];
        terms.extend(
            policy
                .steps
                .iter()
                .map(|s| TermTally::new(&s.name, s.within)),
        );
        Tally {
            cases: 0,
            by_category: BTreeMap::new(),
            by_channel: BTreeMap::new(),
            by_month: BTreeMap::new(),
            urgent: 0,
            justified: 0,
            unjustified: 0,
            not_judged: 0,
            not_accepted: 0,
            closed: 0,
            terms,
            resolve_days: Vec::new(),
            extended_cases: 0,
            extensions: 0,
            appeals: 0,
            appeal: AppealFigures::default(),
            damage_claims: 0,
            damage_claims_late: 0,
            both_sides_heard: 0,
            satisfaction: BTreeMap::new(),
            marks: Vec::new(),
            causes: BTreeMap::new(),
            measures: Vec::new(),
        }
    }

    /// Counts one case of the period.
    fn add(&mut self, c: &Case, scope: &Scope<'_>, now: DateTime<Utc>) {
        let cal = scope.calendar;
        let up = |m: &mut BTreeMap<String, u32>, k: String| *m.entry(k).or_insert(0) += 1;
        let n = |b: bool| b as u32;
        self.cases += 1;
        up(&mut self.by_category, category(c));
        up(&mut self.by_channel, c.channel.clone());
        up(&mut self.by_month, month_of(cal.local_date(c.received)));
        self.urgent += n(c.urgent);
        self.justified += n(c.justified == Some(true));
        self.unjustified += n(c.justified == Some(false));
        self.not_judged += n(c.justified.is_none());
        self.not_accepted += n(c.entered.contains_key(&State::NietInBehandeling));
        self.closed += n(!is_open(c));
        let closed = c.state.is_closed();
        for (t, m) in self.terms.iter_mut().zip(term_moments(scope, c)) {
            t.add(m, closed, cal, now);
        }
        if let Some(r) = c.resolved {
            self.resolve_days
                .push(cal.working_days_between(c.received, r));
        }
        self.extended_cases += n(!c.extensions.is_empty());
        self.extensions += c.extensions.len() as u32;
        self.appeals += n(c.entered.contains_key(&State::Beroep));
        self.appeal.lodged += n(c.appealed.is_some());
        self.appeal.justified += n(c.appeal_justified == Some(true));
        self.appeal.unjustified += n(c.appeal_justified == Some(false));
        self.appeal.open += n(c.appealed.is_some() && c.appeal_justified.is_none());
        self.damage_claims += n(c.damage_claim.is_some());
        self.damage_claims_late += n(c.damage_claim.as_ref().is_some_and(|d| d.late));
        self.both_sides_heard += n(!c.reactions.is_empty());
        if let Some(s) = c.satisfaction.as_deref() {
            let (class, mark) = satisfaction_class(s);
            up(&mut self.satisfaction, class.to_string());
            self.marks.extend(mark);
        }
        if let Some(cause) = c.cause.as_deref() {
            up(&mut self.causes, normal_cause(cause));
        }
        self.measures.extend(c.measures.iter().map(|m| Measure {
            case: c.id.to_string(),
            category: category(c),
            cause: c.cause.clone(),
            measure: m.clone(),
        }));
    }
}

/// A case's category for counting (`onbekend` without one).
fn category(c: &Case) -> String {
    c.category.clone().unwrap_or_else(|| "onbekend".into())
}

/// `2026-03`.
fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Months of the period without complaints added as 0 (for periods up to
/// three years).
fn every_month(
    mut m: BTreeMap<String, u32>,
    (from, to): (NaiveDate, NaiveDate),
) -> BTreeMap<String, u32> {
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

/// When `c` first entered one of `states` at or after `since`.
fn met_at(c: &Case, states: &[State], since: DateTime<Utc>) -> Option<DateTime<Utc>> {
    states
        .iter()
        .filter_map(|st| c.entered.get(st).copied())
        .filter(|t| *t >= since)
        .min()
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
    // One case at a time, folded into counts; only the open cases' lines
    // are kept. A case withdrawn as no complaint (`#geen-klacht`, `#vraag`,
    // …) is not in the figures.
    let (mut now_tally, mut before_tally) = (Tally::new(scope.policy), Tally::new(scope.policy));
    let mut open_cases = Vec::new();
    lookup::each(store, |mut c| {
        if !c.is_complaint() {
            return Ok(());
        }
        if is_open(&c) && cal.local_date(c.received) <= to {
            open_cases.push(line(&c, scope, now, anonymised));
        }
        let tally = if within(cal, c.received, from, to) {
            &mut now_tally
        } else if within(cal, c.received, before_from, before_to) {
            &mut before_tally
        } else {
            return Ok(());
        };
        if anonymised {
            anonymise_texts(&mut c, scope.known);
        }
        tally.add(&c, scope, now);
        Ok(())
    })?;
    open_cases.sort_by(|a, b| a.received.cmp(&b.received).then(a.case.cmp(&b.case)));
    let t = now_tally;
    let satisfaction_mark =
        (!t.marks.is_empty()).then(|| round2(t.marks.iter().sum::<f64>() / t.marks.len() as f64));
    Ok(Report {
        organisation: scope.organisation.to_string(),
        policy: scope.policy.description.clone(),
        from,
        to,
        made: now,
        made_local: cal.long_moment(now, "nl"),
        anonymised,
        messages_by_label: messages_by_label(store, cal, (from, to))?,
        cases: t.cases,
        cases_before: before_tally.cases,
        category_trend: trend(&t.by_category, &before_tally.by_category),
        by_category: t.by_category,
        by_channel: t.by_channel,
        by_month: every_month(t.by_month, (from, to)),
        urgent: t.urgent,
        justified: t.justified,
        unjustified: t.unjustified,
        not_judged: t.not_judged,
        not_accepted: t.not_accepted,
        closed: t.closed,
        terms: t.terms.into_iter().map(TermTally::finish).collect(),
        resolve_days: Durations::of(t.resolve_days),
        overdue_now: open_cases.iter().filter(|l| l.overdue).count() as u32,
        open_now: open_cases.len() as u32,
        extended_cases: t.extended_cases,
        extensions: t.extensions,
        appeals: t.appeals,
        appeal_outcomes: t.appeal,
        damage_claims: t.damage_claims,
        damage_claims_late: t.damage_claims_late,
        both_sides_heard: t.both_sides_heard,
        satisfaction: t.satisfaction,
        satisfaction_mark,
        causes: trend(&t.causes, &before_tally.causes),
        measures: t.measures,
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
