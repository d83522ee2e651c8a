//! Scheduled mails of the procedure: the weekly agenda of the complaints
//! meeting (Glaspunt: Monday morning, to the coordinator and management),
//! the periodic anonymised report, the half-year inventory (procedure 001)
//! and the annual analysis (Xs2more, Optimumconsult). A policy lists them
//! as `[[report]]`.
//!
//! Each occurrence is sent once: its key (`agenda/2026-W48`) is written in
//! the same commit as the letters, so a crash or a second daemon cannot
//! send it twice. After downtime only the latest missed occurrence goes
//! out; occurrences from before the store's first run are skipped.

use crate::config::Config;
use crate::deadline::Calendar;
use crate::processor::{self, Context, ProcessError};
use crate::report::{self, Scope};
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc, Weekday};
use serde::Deserialize;
use serde_json::json;

/// What a scheduled mail holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The agenda: cases received since the last meeting and every open case.
    Agenda,
    /// The report of the period just ended.
    Rapportage,
}

/// How often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// Weekly, on `day`.
    Week,
    /// Monthly, on the first working day.
    Maand,
    /// Quarterly.
    Kwartaal,
    /// Half-yearly (January and July).
    Halfjaar,
    /// Yearly (January).
    Jaar,
}

/// One scheduled mail (`[[report]]` in a policy).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Agenda or report.
    pub kind: Kind,
    /// How often.
    pub every: Every,
    /// Weekday of a weekly mail (`maandag`…`vrijdag`; default maandag).
    #[serde(default)]
    pub day: Option<String>,
    /// Local hour it goes out (default 8).
    #[serde(default = "eight")]
    pub hour: u32,
    /// Recipients: `coordinator`, `management`, a role of `[staff.roles]`,
    /// or an address.
    pub to: Vec<String>,
    /// Whether free text is anonymised (default: reports yes, agendas no).
    #[serde(default)]
    pub anonymise: Option<bool>,
    /// Title (default by kind and period).
    #[serde(default)]
    pub title: Option<String>,
}

fn eight() -> u32 {
    8
}

/// One occurrence of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// When it is due.
    pub at: DateTime<Utc>,
    /// The period it covers (local dates, inclusive).
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Its once-only key.
    pub key: String,
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name.to_lowercase().as_str() {
        "maandag" | "monday" => Weekday::Mon,
        "dinsdag" | "tuesday" => Weekday::Tue,
        "woensdag" | "wednesday" => Weekday::Wed,
        "donderdag" | "thursday" => Weekday::Thu,
        "vrijdag" | "friday" => Weekday::Fri,
        "zaterdag" | "saturday" => Weekday::Sat,
        "zondag" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

impl Schedule {
    /// What is wrong with it, given the config (unknown weekday, role or hour).
    pub fn problems(&self, config: &Config) -> Vec<String> {
        let mut p = Vec::new();
        if let Some(d) = &self.day {
            if weekday(d).is_none() {
                p.push(format!(
                    "day '{d}' is not a weekday; write e.g. \"maandag\""
                ));
            }
        }
        if self.hour > 23 {
            p.push(format!(
                "hour {} is not an hour of the day (0–23)",
                self.hour
            ));
        }
        if self.to.is_empty() {
            p.push("to is empty; name coordinator, management, a role or an address".into());
        }
        for r in &self.to {
            let known = matches!(r.as_str(), "coordinator" | "coördinator" | "management")
                || r.contains('@')
                || config.staff.roles.contains_key(r);
            if !known {
                p.push(format!(
                    "recipient '{r}' is not coordinator, management, a role of [staff.roles] or an address"
                ));
            }
        }
        p
    }

    /// Whether free text is anonymised.
    pub fn anonymised(&self) -> bool {
        self.anonymise.unwrap_or(self.kind == Kind::Rapportage)
    }

    fn name(&self) -> String {
        let every = match self.every {
            Every::Week => "week",
            Every::Maand => "maand",
            Every::Kwartaal => "kwartaal",
            Every::Halfjaar => "halfjaar",
            Every::Jaar => "jaar",
        };
        match self.kind {
            Kind::Agenda => format!("agenda-{every}"),
            Kind::Rapportage => format!("rapportage-{every}"),
        }
    }

    /// The latest occurrence at or before `now`.
    pub fn latest(&self, cal: &Calendar, now: DateTime<Utc>) -> Occurrence {
        let today = cal.local_date(now);
        match self.every {
            Every::Week => {
                let wd = self
                    .day
                    .as_deref()
                    .and_then(weekday)
                    .unwrap_or(Weekday::Mon);
                let back =
                    (7 + today.weekday().num_days_from_monday() - wd.num_days_from_monday()) % 7;
                let mut meeting = today - Days::new(back as u64);
                let at = |d: NaiveDate| cal.at_local(cal.next_working_day(d), self.hour);
                if at(meeting) > now {
                    meeting = meeting - Days::new(7);
                }
                let iso = meeting.iso_week();
                Occurrence {
                    at: at(meeting),
                    from: meeting - Days::new(7),
                    to: meeting - Days::new(1),
                    key: format!("{}/{}-W{:02}", self.name(), iso.year(), iso.week()),
                }
            }
            _ => {
                let months = match self.every {
                    Every::Maand => 1,
                    Every::Kwartaal => 3,
                    Every::Halfjaar => 6,
                    _ => 12,
                };
                let start_of = |d: NaiveDate| {
                    let m0 = (d.month0() / months) * months;
                    NaiveDate::from_ymd_opt(d.year(), m0 + 1, 1).unwrap_or(d)
                };
                let at = |d: NaiveDate| cal.at_local(cal.next_working_day(d), self.hour);
                let mut start = start_of(today);
                if at(start) > now {
                    start = start_of(start - Days::new(1));
                }
                let from = start - Months::new(months);
                Occurrence {
                    at: at(start),
                    from,
                    to: start - Days::new(1),
                    key: format!("{}/{}", self.name(), from),
                }
            }
        }
    }
}

/// The addresses one recipient entry names.
fn recipients_of(r: &str, config: &Config) -> Vec<String> {
    let staff = &config.staff;
    match r {
        "coordinator" | "coördinator" => vec![staff.coordinator.clone()]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect(),
        "management" => staff.management.clone(),
        a if a.contains('@') => vec![a.to_string()],
        role => staff.roles.get(role).cloned().into_iter().collect(),
    }
}

/// The report scope of a context.
pub fn scope<'a>(ctx: &'a Context<'a>, known: &'a [String]) -> Scope<'a> {
    Scope {
        organisation: &ctx.config.organization.name,
        policy: ctx.policy,
        calendar: ctx.calendar,
        known,
    }
}

/// Names and addresses of the staff, to keep out of anonymised output.
pub fn staff_names(config: &Config) -> Vec<String> {
    let s = &config.staff;
    let mut v: Vec<String> = s.directory.keys().cloned().collect();
    v.extend(s.directory.values().cloned());
    v.extend(s.addresses.iter().cloned());
    v.extend(s.management.iter().cloned());
    v.extend(s.roles.values().cloned());
    if !s.coordinator.is_empty() {
        v.push(s.coordinator.clone());
    }
    v
}

const SINCE_KEY: &[u8] = b"periodic/since";

/// Queues every scheduled mail that is due at `now` and not sent yet.
/// Returns how many letters it queued.
pub fn fire_due(store: &Store, ctx: &Context<'_>, now: DateTime<Utc>) -> Result<u32, StoreError> {
    if ctx.policy.reports.is_empty() {
        return Ok(0);
    }
    let since: DateTime<Utc> = match store.get(Tree::Meta, SINCE_KEY)? {
        Some(t) => t,
        None => {
            let mut b = Batch::new();
            b.expect(Tree::Meta, SINCE_KEY, None);
            b.put(Tree::Meta, SINCE_KEY, &now);
            match store.commit(&b) {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            store.get(Tree::Meta, SINCE_KEY)?.unwrap_or(now)
        }
    };
    let known = staff_names(ctx.config);
    let mut queued = 0;
    for schedule in &ctx.policy.reports {
        let occ = schedule.latest(ctx.calendar, now);
        if occ.at < since {
            continue;
        }
        let key = format!("periodic/{}", occ.key);
        if store.get_raw(Tree::Meta, key.as_bytes())?.is_some() {
            continue;
        }
        let (title, text, kind) = content(store, ctx, schedule, &occ, now, &known)?;
        let mut batch = Batch::new();
        batch.expect(Tree::Meta, key.clone(), None);
        batch.put(Tree::Meta, key.clone(), &now);
        let vars = json!({
            "org": {
                "name": ctx.config.organization.name,
                "complaints_address": ctx.config.organization.complaints_address,
            },
            "report": {
                "title": title,
                "kind": kind,
                "period": format!("{} t/m {}", occ.from, occ.to),
                "text": text,
            },
        });
        let mut to: Vec<String> = schedule
            .to
            .iter()
            .flat_map(|r| recipients_of(r, ctx.config))
            .collect();
        to.sort();
        to.dedup();
        if to.is_empty() {
            // Nobody to send it to (no coordinator or management configured):
            // said once per occurrence, then marked done.
            tracing::warn!(report = %occ.key, "scheduled report has no recipients; set [staff] coordinator or management");
        }
        let subject_key = format!("R-{}", occ.key.replace('/', "-"));
        let mut failed = None;
        for (i, addr) in to.iter().enumerate() {
            match processor::queue_letter(
                ctx,
                &mut batch,
                (None, &subject_key, i as u32 + 1),
                "rapportage",
                &ctx.config.organization.language,
                &vars,
                (addr, None),
                &ctx.config.organization.complaints_address,
                None,
                &[],
                Some("auto-generated"),
                now,
            ) {
                Ok(_) => {}
                Err(ProcessError::Unprocessable(why)) => failed = Some(why),
                Err(ProcessError::Store(e)) => return Err(e),
            }
        }
        if let Some(why) = failed {
            tracing::error!(report = %occ.key, %why, "scheduled report not sent; will retry");
            continue;
        }
        match store.commit(&batch) {
            Ok(()) => {
                store.flush()?;
                queued += to.len() as u32;
                tracing::info!(report = %occ.key, recipients = to.len(), "scheduled report queued");
            }
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(queued)
}

/// The title, Markdown text and kind name of one occurrence.
fn content(
    store: &Store,
    ctx: &Context<'_>,
    schedule: &Schedule,
    occ: &Occurrence,
    now: DateTime<Utc>,
    known: &[String],
) -> Result<(String, String, &'static str), StoreError> {
    let scope = scope(ctx, known);
    let anonymised = schedule.anonymised();
    match schedule.kind {
        Kind::Agenda => {
            let since = match schedule.every {
                Every::Week => occ.at - chrono::Duration::days(7),
                _ => ctx.calendar.at_local(occ.from, 0),
            };
            let a = report::agenda(store, &scope, since, now, anonymised)?;
            let title = schedule.title.clone().unwrap_or_else(|| {
                format!(
                    "Agenda klachtenoverleg {} — {}",
                    ctx.config.organization.name, a.date
                )
            });
            Ok((title, a.markdown(), "weekagenda"))
        }
        Kind::Rapportage => {
            let r = report::make(store, &scope, occ.from, occ.to, now, anonymised)?;
            let kind = match schedule.every {
                Every::Halfjaar => "halfjaarlijkse inventarisatie",
                Every::Jaar => "jaaranalyse",
                _ => "periodieke rapportage",
            };
            let title = schedule.title.clone().unwrap_or_else(|| {
                let mut k = kind.to_string();
                if let Some(first) = k.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!(
                    "{k} klachten {} — {} t/m {}",
                    ctx.config.organization.name, occ.from, occ.to
                )
            });
            Ok((title, r.markdown(), kind))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sched(kind: Kind, every: Every) -> Schedule {
        Schedule {
            kind,
            every,
            day: None,
            hour: 8,
            to: vec!["coordinator".into()],
            anonymise: None,
            title: None,
        }
    }

    #[test]
    fn the_weekly_agenda_is_monday_at_eight() {
        let cal = Calendar::default();
        let s = sched(Kind::Agenda, Every::Week);
        // Sunday 22 November 2026: last Monday was the 16th.
        let o = s.latest(&cal, at("2026-11-22T12:00:00+01:00"));
        assert_eq!(o.at, at("2026-11-16T08:00:00+01:00"));
        assert_eq!(o.key, "agenda-week/2026-W47");
        // Monday the 23rd at 07:59 still the 16th; at 08:00 the 23rd.
        assert_eq!(s.latest(&cal, at("2026-11-23T07:59:00+01:00")).at, o.at);
        assert_eq!(
            s.latest(&cal, at("2026-11-23T08:00:00+01:00")).at,
            at("2026-11-23T08:00:00+01:00")
        );
        // Easter Monday 6 April 2026: the meeting moves to Tuesday.
        assert_eq!(
            s.latest(&cal, at("2026-04-07T09:00:00+02:00")).at,
            at("2026-04-07T08:00:00+02:00")
        );
    }

    #[test]
    fn periodic_reports_cover_the_period_just_ended() {
        let cal = Calendar::default();
        let half = sched(Kind::Rapportage, Every::Halfjaar);
        // 1 January 2027 is a holiday, the 2nd and 3rd a weekend: Monday the 4th.
        let o = half.latest(&cal, at("2027-01-05T10:00:00+01:00"));
        assert_eq!(o.at, at("2027-01-04T08:00:00+01:00"));
        assert_eq!(
            (o.from.to_string(), o.to.to_string()),
            ("2026-07-01".into(), "2026-12-31".into())
        );
        let month = sched(Kind::Rapportage, Every::Maand);
        let o = month.latest(&cal, at("2026-11-22T10:00:00+01:00"));
        assert_eq!(
            (o.from.to_string(), o.to.to_string()),
            ("2026-10-01".into(), "2026-10-31".into())
        );
        assert!(sched(Kind::Rapportage, Every::Jaar).anonymised());
        assert!(!sched(Kind::Agenda, Every::Week).anonymised());
    }
}
