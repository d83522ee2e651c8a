//! Scheduled mails as a policy names them (`[[report]]`): the weekly
//! agenda of the complaints meeting, the periodic report, the half-year
//! inventory and the annual analysis; when each occurrence is due, which
//! period it covers, its once-only key and its recipients.
//! [`crate::procedure::periodic`] sends them.

use crate::config::Config;
use crate::deadline::Calendar;
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc, Weekday};
use serde::Deserialize;

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
                    "recipient '{r}' is not coordinator, management or an address, and [staff.roles] has no address for it; add under [staff]: roles = {{ {r} = \"naam@organisatie.nl\" }}"
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

impl Schedule {
    /// The addresses the mail goes to, sorted, each once.
    pub fn recipients(&self, config: &Config) -> Vec<String> {
        let mut to: Vec<String> = self
            .to
            .iter()
            .flat_map(|r| recipients_of(r, config))
            .collect();
        to.sort();
        to.dedup();
        to
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
        role => staff
            .roles
            .get(role)
            .map(|r| r.all().to_vec())
            .unwrap_or_default(),
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
