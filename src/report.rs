//! Reports from the case store: the figures the procedures ask for (how
//! many complaints, of which kind, justified or not, handled within which
//! term, with which causes and measures, how satisfied) for any period,
//! compared with the period before; and the weekly agenda of new and open
//! cases. Rendered as Markdown (for mail), self-contained HTML with SVG
//! charts (for reading), CSV and JSON (for export).
//!
//! A case counts in the period it was received in (local dates of the
//! organisation). Handling figures are as of the moment the report is
//! made: a case received in the period and decided after it counts as
//! decided, on time or late by its own term.

use crate::anonymise::Anonymiser;
use crate::case::{self, Case, State};
use crate::chart;
use crate::deadline::Calendar;
use crate::journal::{Entry, Status};
use crate::policy::{Policy, Start};
use crate::store::{Store, StoreError, Tree};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown, for mail.
    Markdown,
    /// Self-contained HTML with SVG charts.
    Html,
    /// CSV: one figure per row (`section,item,value`).
    Csv,
    /// JSON: the report as one object.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format '{s}'; use md, html, csv or json")),
        }
    }
}

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
    pub state: String,
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

/// Known names of a set of cases and of the staff directory, for the anonymiser.
fn known_names<'a>(cases: impl Iterator<Item = &'a Case>, scope: &Scope<'_>) -> Vec<String> {
    let mut known: Vec<String> = scope.known.to_vec();
    for c in cases {
        known.push(c.complainant.clone());
        known.extend(c.name.clone());
        known.extend(c.involved.iter().cloned());
        known.extend(c.handler.iter().cloned());
    }
    known.sort();
    known.dedup();
    known
}

fn clean(text: &str, anon: Option<&Anonymiser>) -> String {
    match anon {
        Some(a) => a.apply(text),
        None => text.to_string(),
    }
}

/// The anonymiser of a set of known names.
fn anonymiser(known: &[String]) -> Anonymiser {
    let k: Vec<&str> = known.iter().map(String::as_str).collect();
    Anonymiser::new(&k)
}

/// A case as a list line.
fn line(c: &Case, scope: &Scope<'_>, now: DateTime<Utc>, anon: Option<&Anonymiser>) -> CaseLine {
    let cal = scope.calendar;
    CaseLine {
        case: c.id.to_string(),
        received: cal.local_date(c.received),
        state: c.state.as_str().to_string(),
        category: c.category.clone().unwrap_or_else(|| "onbekend".into()),
        urgent: c.urgent,
        handler: if anon.is_some() {
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
        subject: if c.anonymised || anon.is_some() {
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
    let policy = scope.policy;
    let all = case::all(store)?;
    let length = (to - from).num_days().max(0) as u64 + 1;
    let before_to = from - Days::new(1);
    let before_from = from - Days::new(length);
    let in_period: Vec<&Case> = all
        .iter()
        .filter(|c| within(cal, c.received, from, to))
        .collect();
    let before: Vec<&Case> = all
        .iter()
        .filter(|c| within(cal, c.received, before_from, before_to))
        .collect();
    let known = known_names(all.iter(), scope);
    let prepared = anonymiser(&known);
    let anon = anonymised.then_some(&prepared);

    let mut messages_by_label = BTreeMap::new();
    for e in store.scan::<Entry>(Tree::Journal, b"")? {
        if within(cal, e.received_at, from, to) {
            if let Some(label) = counted_label(&e) {
                *messages_by_label.entry(label.to_string()).or_insert(0) += 1;
            }
        }
    }

    let count_by = |cases: &[&Case], key: &dyn Fn(&Case) -> String| {
        let mut m: BTreeMap<String, u32> = BTreeMap::new();
        for c in cases {
            *m.entry(key(c)).or_insert(0) += 1;
        }
        m
    };
    let category = |c: &Case| c.category.clone().unwrap_or_else(|| "onbekend".into());
    let by_category = count_by(&in_period, &category);
    let by_channel = count_by(&in_period, &|c: &Case| c.channel.clone());
    let month_of = |d: NaiveDate| format!("{:04}-{:02}", d.year(), d.month());
    let mut by_month = count_by(&in_period, &|c: &Case| month_of(cal.local_date(c.received)));
    // Months without complaints show as 0 (for periods up to three years).
    let mut month = from.with_day(1).unwrap_or(from);
    for _ in 0..36 {
        if month > to {
            break;
        }
        by_month.entry(month_of(month)).or_insert(0);
        month = month + chrono::Months::new(1);
    }
    let category_before = count_by(&before, &category);
    let trend = |now: &BTreeMap<String, u32>, before: &BTreeMap<String, u32>| {
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
    };
    let causes_of = |cases: &[&Case]| {
        let mut m: BTreeMap<String, u32> = BTreeMap::new();
        for c in cases {
            if let Some(cause) = &c.cause {
                *m.entry(clean(&normal_cause(cause), anon)).or_insert(0) += 1;
            }
        }
        m
    };

    let mut terms = vec![
        term_figures(
            ("ontvangstbevestiging", policy.terms.acknowledge),
            &in_period,
            (cal, now),
            |_, s| cal.due(s, policy.terms.acknowledge),
            |c| Some(c.received),
            |c, _| c.acknowledged,
        ),
        term_figures(
            ("standpunt", policy.terms.decide),
            &in_period,
            (cal, now),
            |c, _| policy.decision_due(c, cal),
            |c| Some(c.received),
            |c, _| c.decided,
        ),
    ];
    for step in &policy.steps {
        terms.push(term_figures(
            (&step.name, step.within),
            &in_period,
            (cal, now),
            |_, s| cal.due(s, step.within),
            |c| match step.from {
                Start::Received => Some(c.received),
                Start::Justified => c.justified_at,
                Start::Accepted => c.entered.get(&State::InBehandeling).copied(),
                Start::Resolved => c.resolved,
            },
            |c, s| {
                let by_state = step
                    .done_in
                    .iter()
                    .filter_map(|st| c.entered.get(st).copied())
                    .filter(|t| *t >= s)
                    .min();
                let by_report = c.reported.filter(|t| step.done_by_report && *t >= s);
                by_state.into_iter().chain(by_report).min()
            },
        ));
    }

    let mut satisfaction = BTreeMap::new();
    let mut marks = Vec::new();
    for c in &in_period {
        if let Some(s) = &c.satisfaction {
            let (class, mark) = satisfaction_class(s);
            *satisfaction.entry(class.to_string()).or_insert(0) += 1;
            marks.extend(mark);
        }
    }
    let mut open_cases: Vec<CaseLine> = all
        .iter()
        .filter(|c| is_open(c) && cal.local_date(c.received) <= to)
        .map(|c| line(c, scope, now, anon))
        .collect();
    open_cases.sort_by(|a, b| a.received.cmp(&b.received).then(a.case.cmp(&b.case)));
    let measures = in_period
        .iter()
        .flat_map(|c| {
            c.measures.iter().map(|m| Measure {
                case: c.id.to_string(),
                category: category(c),
                cause: c.cause.as_ref().map(|x| clean(x, anon)),
                measure: clean(m, anon),
            })
        })
        .collect();
    let resolve_days = Durations::of(
        in_period
            .iter()
            .filter_map(|c| c.resolved.map(|r| cal.working_days_between(c.received, r)))
            .collect(),
    );
    Ok(Report {
        organisation: scope.organisation.to_string(),
        policy: policy.description.clone(),
        from,
        to,
        made: now,
        anonymised,
        messages_by_label,
        cases: in_period.len() as u32,
        cases_before: before.len() as u32,
        category_trend: trend(&by_category, &category_before),
        by_category,
        by_channel,
        by_month,
        urgent: in_period.iter().filter(|c| c.urgent).count() as u32,
        justified: in_period
            .iter()
            .filter(|c| c.justified == Some(true))
            .count() as u32,
        unjustified: in_period
            .iter()
            .filter(|c| c.justified == Some(false))
            .count() as u32,
        not_judged: in_period.iter().filter(|c| c.justified.is_none()).count() as u32,
        not_accepted: in_period
            .iter()
            .filter(|c| c.entered.contains_key(&State::NietInBehandeling))
            .count() as u32,
        closed: in_period.iter().filter(|c| !is_open(c)).count() as u32,
        terms,
        resolve_days,
        overdue_now: open_cases.iter().filter(|l| l.overdue).count() as u32,
        open_now: open_cases.len() as u32,
        extended_cases: in_period
            .iter()
            .filter(|c| !c.extensions.is_empty())
            .count() as u32,
        extensions: in_period.iter().map(|c| c.extensions.len() as u32).sum(),
        appeals: in_period
            .iter()
            .filter(|c| c.entered.contains_key(&State::Beroep))
            .count() as u32,
        satisfaction,
        satisfaction_mark: (!marks.is_empty())
            .then(|| round2(marks.iter().sum::<f64>() / marks.len() as f64)),
        causes: trend(&causes_of(&in_period), &causes_of(&before)),
        measures,
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
    let all = case::all(store)?;
    let known = known_names(all.iter(), scope);
    let prepared = anonymiser(&known);
    let anon = anonymised.then_some(&prepared);
    let mut new_cases: Vec<CaseLine> = all
        .iter()
        .filter(|c| c.received >= since && c.received <= now)
        .map(|c| line(c, scope, now, anon))
        .collect();
    new_cases.sort_by(|a, b| a.received.cmp(&b.received).then(a.case.cmp(&b.case)));
    let mut open_cases: Vec<CaseLine> = all
        .iter()
        .filter(|c| is_open(c) && c.received <= now)
        .map(|c| line(c, scope, now, anon))
        .collect();
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

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

/// Markdown table cell: no pipes or line breaks from free text.
fn cell(s: &str) -> String {
    s.replace('|', "/").replace(['\r', '\n'], " ")
}

fn case_table(out: &mut String, lines: &[CaseLine]) {
    if lines.is_empty() {
        out.push_str("_Geen._\n\n");
        return;
    }
    out.push_str("| Zaak | Ontvangen | Status | Categorie | Behandelaar | Standpunt uiterlijk | Onderwerp |\n|---|---|---|---|---|---|---|\n");
    for l in lines {
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} | {}{} | {} |",
            l.case,
            if l.urgent { " (urgent)" } else { "" },
            l.received,
            l.state,
            cell(&l.category),
            cell(&l.handler),
            l.due,
            if l.overdue { " **verlopen**" } else { "" },
            cell(&l.subject)
        );
    }
    out.push('\n');
}

fn counts_table(out: &mut String, head: &str, m: &BTreeMap<String, u32>) {
    let _ = writeln!(out, "| {head} | Aantal |\n|---|---:|");
    for (k, v) in m {
        let _ = writeln!(out, "| {} | {v} |", cell(k));
    }
    out.push('\n');
}

impl Report {
    /// The report in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Markdown => self.markdown(),
            Format::Html => self.html(),
            Format::Csv => self.csv(),
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
        }
    }

    fn title(&self) -> String {
        format!(
            "Klachtenrapportage {} — {} t/m {}{}",
            self.organisation,
            self.from,
            self.to,
            if self.anonymised {
                " (geanonimiseerd)"
            } else {
                ""
            }
        )
    }

    /// Markdown, for mail.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# {}\n", self.title());
        let _ = writeln!(
            o,
            "{}. Stand per {}.\n",
            self.policy,
            self.made.format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(o, "## Samenvatting\n");
        let _ = writeln!(
            o,
            "- Klachten ontvangen: **{}** (vorige periode: {})",
            self.cases, self.cases_before
        );
        let _ = writeln!(
            o,
            "- Gegrond: {}, ongegrond: {}, niet beoordeeld: {}, niet in behandeling genomen: {}",
            self.justified, self.unjustified, self.not_judged, self.not_accepted
        );
        let _ = writeln!(
            o,
            "- Urgent: {}; afgehandeld: {}; beroep: {}",
            self.urgent, self.closed, self.appeals
        );
        let _ = writeln!(
            o,
            "- Nu open: {} (waarvan {} over de termijn)",
            self.open_now, self.overdue_now
        );
        let _ = writeln!(
            o,
            "- Termijn verlengd: {} zaken ({} verlengingen)\n",
            self.extended_cases, self.extensions
        );
        let _ = writeln!(o, "## Binnengekomen berichten per soort\n");
        counts_table(&mut o, "Soort", &self.messages_by_label);
        let _ = writeln!(o, "## Klachten per categorie (met vorige periode)\n");
        let _ = writeln!(
            o,
            "| Categorie | Aantal | Vorige periode |\n|---|---:|---:|"
        );
        for t in &self.category_trend {
            let _ = writeln!(o, "| {} | {} | {} |", cell(&t.item), t.now, t.before);
        }
        o.push('\n');
        let _ = writeln!(o, "## Klachten per kanaal\n");
        counts_table(&mut o, "Kanaal", &self.by_channel);
        let _ = writeln!(o, "## Termijnen (in werkdagen)\n");
        let _ = writeln!(o, "| Termijn | Norm | Op tijd | Te laat | Verlopen open | Lopend | Op tijd % | Gemiddeld | Mediaan | Langst |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for t in &self.terms {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                t.name,
                t.term,
                t.on_time,
                t.late,
                t.overdue,
                t.open,
                pct(t.share_on_time),
                num(t.days.mean),
                num(t.days.median),
                t.days
                    .max
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "-".into())
            );
        }
        let _ = writeln!(
            o,
            "\nAfhandeling (ontvangst tot opgelost): {} zaken, gemiddeld {} werkdagen, mediaan {}.\n",
            self.resolve_days.count,
            num(self.resolve_days.mean),
            num(self.resolve_days.median)
        );
        let _ = writeln!(o, "## Tevredenheid\n");
        counts_table(&mut o, "Oordeel", &self.satisfaction);
        if let Some(m) = self.satisfaction_mark {
            let _ = writeln!(o, "Gemiddeld cijfer: {m:.1}\n");
        }
        let _ = writeln!(o, "## Oorzaken (terugkerend: twee keer of vaker)\n");
        if self.causes.is_empty() {
            o.push_str("_Geen oorzaken geregistreerd._\n\n");
        } else {
            let _ = writeln!(
                o,
                "| Oorzaak | Aantal | Vorige periode | |\n|---|---:|---:|---|"
            );
            for t in &self.causes {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    cell(&t.item),
                    t.now,
                    t.before,
                    if t.now >= 2 { "terugkerend" } else { "" }
                );
            }
            o.push('\n');
        }
        let _ = writeln!(o, "## Genomen maatregelen\n");
        if self.measures.is_empty() {
            o.push_str("_Geen maatregelen geregistreerd._\n\n");
        } else {
            for m in &self.measures {
                let _ = writeln!(
                    o,
                    "- {} ({}): {}{}",
                    m.case,
                    cell(&m.category),
                    cell(&m.measure),
                    m.cause
                        .as_ref()
                        .map(|c| format!(" — oorzaak: {}", cell(c)))
                        .unwrap_or_default()
                );
            }
            o.push('\n');
        }
        let _ = writeln!(o, "## Open zaken\n");
        case_table(&mut o, &self.open_cases);
        o
    }

    /// CSV: `section,item,value`, one figure per row.
    pub fn csv(&self) -> String {
        let mut rows: Vec<(String, String, String)> = Vec::new();
        let mut put = |s: &str, i: &str, v: String| rows.push((s.into(), i.into(), v));
        put("period", "from", self.from.to_string());
        put("period", "to", self.to.to_string());
        put("period", "made", self.made.to_rfc3339());
        put("period", "anonymised", self.anonymised.to_string());
        put("cases", "received", self.cases.to_string());
        put("cases", "received_before", self.cases_before.to_string());
        put("cases", "urgent", self.urgent.to_string());
        put("cases", "justified", self.justified.to_string());
        put("cases", "unjustified", self.unjustified.to_string());
        put("cases", "not_judged", self.not_judged.to_string());
        put("cases", "not_accepted", self.not_accepted.to_string());
        put("cases", "closed", self.closed.to_string());
        put("cases", "appeals", self.appeals.to_string());
        put("cases", "open_now", self.open_now.to_string());
        put("cases", "overdue_now", self.overdue_now.to_string());
        put("cases", "extended_cases", self.extended_cases.to_string());
        put("cases", "extensions", self.extensions.to_string());
        for (k, v) in &self.messages_by_label {
            put("messages_by_label", k, v.to_string());
        }
        for (k, v) in &self.by_category {
            put("by_category", k, v.to_string());
        }
        for (k, v) in &self.by_channel {
            put("by_channel", k, v.to_string());
        }
        for (k, v) in &self.by_month {
            put("by_month", k, v.to_string());
        }
        for t in &self.terms {
            let s = format!("term:{}", t.name);
            put(&s, "term", t.term.clone());
            put(&s, "on_time", t.on_time.to_string());
            put(&s, "late", t.late.to_string());
            put(&s, "overdue", t.overdue.to_string());
            put(&s, "open", t.open.to_string());
            put(
                &s,
                "share_on_time",
                t.share_on_time.map(|x| x.to_string()).unwrap_or_default(),
            );
            put(
                &s,
                "mean_workdays",
                t.days.mean.map(|x| x.to_string()).unwrap_or_default(),
            );
            put(
                &s,
                "median_workdays",
                t.days.median.map(|x| x.to_string()).unwrap_or_default(),
            );
        }
        put("resolve", "count", self.resolve_days.count.to_string());
        put(
            "resolve",
            "mean_workdays",
            self.resolve_days
                .mean
                .map(|x| x.to_string())
                .unwrap_or_default(),
        );
        for (k, v) in &self.satisfaction {
            put("satisfaction", k, v.to_string());
        }
        if let Some(m) = self.satisfaction_mark {
            put("satisfaction", "mean_mark", m.to_string());
        }
        for t in &self.causes {
            put("causes", &t.item, t.now.to_string());
            put("causes_before", &t.item, t.before.to_string());
        }
        for m in &self.measures {
            put("measures", &m.case, m.measure.clone());
        }
        let mut out = String::from("section,item,value\n");
        for (s, i, v) in rows {
            let _ = writeln!(out, "{},{},{}", csv_field(&s), csv_field(&i), csv_field(&v));
        }
        out
    }

    /// Self-contained HTML with SVG charts.
    pub fn html(&self) -> String {
        let e = html_escape;
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{}</style></head><body>\n",
            e(&self.title()),
            STYLE
        );
        let _ = writeln!(o, "<h1>{}</h1>", e(&self.title()));
        let _ = writeln!(
            o,
            "<p class=\"sub\">{}. Stand per {}.</p>",
            e(&self.policy),
            self.made.format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(o, "<div class=\"tiles\">");
        for (label, value) in [
            ("Klachten", self.cases.to_string()),
            ("Vorige periode", self.cases_before.to_string()),
            ("Gegrond", self.justified.to_string()),
            ("Ongegrond", self.unjustified.to_string()),
            ("Nu open", self.open_now.to_string()),
            ("Over de termijn", self.overdue_now.to_string()),
        ] {
            let _ = writeln!(
                o,
                "<div class=\"tile\"><b>{}</b><span>{}</span></div>",
                e(&value),
                e(label)
            );
        }
        let _ = writeln!(o, "</div>");
        let items = |m: &BTreeMap<String, u32>| -> Vec<(String, f64)> {
            m.iter().map(|(k, v)| (k.clone(), *v as f64)).collect()
        };
        o.push_str("<section class=\"charts\">\n");
        o.push_str(&chart::columns(
            "Klachten per maand",
            &items(&self.by_month),
        ));
        o.push_str(&chart::bars(
            "Klachten per categorie",
            &items(&self.by_category),
            "",
        ));
        o.push_str(&chart::bars(
            "Op tijd per termijn",
            &self
                .terms
                .iter()
                .filter_map(|t| t.share_on_time.map(|s| (t.name.clone(), s * 100.0)))
                .collect::<Vec<_>>(),
            "%",
        ));
        o.push_str(&chart::bars(
            "Berichten per soort",
            &items(&self.messages_by_label),
            "",
        ));
        if !self.satisfaction.is_empty() {
            o.push_str(&chart::bars("Tevredenheid", &items(&self.satisfaction), ""));
        }
        o.push_str("</section>\n");
        // The tables are the Markdown's, as HTML.
        let _ = writeln!(o, "<h2>Termijnen (werkdagen)</h2><table><tr><th>Termijn</th><th>Norm</th><th>Op tijd</th><th>Te laat</th><th>Verlopen open</th><th>Lopend</th><th>Op tijd %</th><th>Gemiddeld</th><th>Mediaan</th></tr>");
        for t in &self.terms {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(&t.name), e(&t.term), t.on_time, t.late, t.overdue, t.open, pct(t.share_on_time), num(t.days.mean), num(t.days.median)
            );
        }
        o.push_str("</table>\n");
        let _ = writeln!(o, "<h2>Oorzaken</h2><table><tr><th>Oorzaak</th><th>Aantal</th><th>Vorige periode</th></tr>");
        for t in &self.causes {
            let _ = writeln!(
                o,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td></tr>",
                if t.now >= 2 {
                    " class=\"recurring\""
                } else {
                    ""
                },
                e(&t.item),
                t.now,
                t.before
            );
        }
        o.push_str("</table>\n<h2>Maatregelen</h2><ul>\n");
        for m in &self.measures {
            let _ = writeln!(
                o,
                "<li>{} ({}): {}</li>",
                e(&m.case),
                e(&m.category),
                e(&m.measure)
            );
        }
        let _ = writeln!(o, "</ul>\n<h2>Open zaken</h2><table><tr><th>Zaak</th><th>Ontvangen</th><th>Status</th><th>Categorie</th><th>Standpunt uiterlijk</th><th>Onderwerp</th></tr>");
        for l in &self.open_cases {
            let _ = writeln!(
                o,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if l.overdue { " class=\"late\"" } else { "" },
                e(&l.case),
                l.received,
                e(&l.state),
                e(&l.category),
                l.due,
                e(&l.subject)
            );
        }
        o.push_str("</table>\n</body></html>\n");
        o
    }
}

impl Agenda {
    /// The agenda as Markdown, for mail.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# Klachtenoverleg {} — {}\n",
            self.organisation, self.date
        );
        let _ = writeln!(
            o,
            "Binnengekomen sinds {}: **{}**. Open: **{}**, waarvan **{}** over de termijn.\n",
            self.since,
            self.new_cases.len(),
            self.open_cases.len(),
            self.overdue
        );
        let _ = writeln!(o, "## Nieuwe klachten\n");
        case_table(&mut o, &self.new_cases);
        let _ = writeln!(o, "## Open klachten (verlopen eerst)\n");
        case_table(&mut o, &self.open_cases);
        o
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:60em}h1{font-size:1.5em}.sub{color:#555}.tiles{display:flex;gap:1em;flex-wrap:wrap}.tile{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;min-width:7em}.tile b{display:block;font-size:1.6em}.tile span{color:#555}.charts{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}tr.late td{background:#fde2e2}tr.recurring td{font-weight:bold}";

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A CSV field, quoted when needed; a leading `=`, `+`, `-` or `@` is
/// neutralised so a spreadsheet does not run customer text as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
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
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-3"), "-3");
    }

    #[test]
    fn durations_median_and_mean() {
        let d = Durations::of(vec![1, 3, 2, 10]);
        assert_eq!(d.median, Some(2.5));
        assert_eq!(d.mean, Some(4.0));
        assert_eq!(d.max, Some(10));
    }
}
