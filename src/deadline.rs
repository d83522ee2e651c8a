//! Terms and the Dutch calendar (Algemene termijnenwet): which days are
//! working days, how "N werkdagen", "N dagen" and "N weken" run from a
//! moment of receipt in the organisation's time zone, and the due moment.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// The unit of a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Working days, counted from the day after receipt.
    Werkdagen,
    /// Calendar days.
    Dagen,
    /// Calendar weeks.
    Weken,
    /// Calendar months (retention periods).
    Maanden,
    /// Calendar years (retention periods).
    Jaren,
}

/// A term as the procedures write it: `"1 werkdag"`, `"2 weken"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// How many units.
    pub count: u32,
    /// Which unit.
    pub unit: Unit,
}

impl FromStr for Term {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("'{s}' is not a term; write it as the procedures do, e.g. \"1 werkdag\", \"7 werkdagen\", \"2 weken\", \"10 dagen\"")
        };
        let mut parts = s.split_whitespace();
        let count_word = parts.next().ok_or_else(bad)?;
        let unit_word = parts.next().ok_or_else(bad)?.to_lowercase();
        if parts.next().is_some() {
            return Err(bad());
        }
        let count = count_word
            .parse::<u32>()
            .ok()
            .or_else(|| number_word(count_word))
            .ok_or_else(bad)?;
        let unit = match unit_word.as_str() {
            "werkdag" | "werkdagen" | "working" | "workday" | "workdays" => Unit::Werkdagen,
            "dag" | "dagen" | "day" | "days" => Unit::Dagen,
            "week" | "weken" | "weeks" => Unit::Weken,
            "maand" | "maanden" | "month" | "months" => Unit::Maanden,
            "jaar" | "jaren" | "year" | "years" => Unit::Jaren,
            _ => return Err(bad()),
        };
        Ok(Term { count, unit })
    }
}

/// `day` plus `months` calendar months (the last day of the month when the
/// day does not exist there: 31 January + 1 month is 28/29 February).
fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

fn number_word(w: &str) -> Option<u32> {
    let words = [
        "nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
    ];
    let w = w.to_lowercase();
    let w = if w == "één" { "een".to_string() } else { w };
    words.iter().position(|x| *x == w).map(|p| p as u32)
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match (self.unit, self.count) {
            (Unit::Werkdagen, 1) => "werkdag",
            (Unit::Werkdagen, _) => "werkdagen",
            (Unit::Dagen, 1) => "dag",
            (Unit::Dagen, _) => "dagen",
            (Unit::Weken, 1) => "week",
            (Unit::Weken, _) => "weken",
            (Unit::Maanden, 1) => "maand",
            (Unit::Maanden, _) => "maanden",
            (Unit::Jaren, _) => "jaar",
        };
        write!(f, "{} {unit}", self.count)
    }
}

impl Default for Term {
    fn default() -> Self {
        Term {
            count: 0,
            unit: Unit::Dagen,
        }
    }
}

impl Term {
    /// The term in words in `lang` (`nl`: as written, `en`: "2 weeks").
    pub fn describe(&self, lang: &str) -> String {
        if lang != "en" {
            return self.to_string();
        }
        let one = self.count == 1;
        let unit = match self.unit {
            Unit::Werkdagen if one => "working day",
            Unit::Werkdagen => "working days",
            Unit::Dagen if one => "day",
            Unit::Dagen => "days",
            Unit::Weken if one => "week",
            Unit::Weken => "weeks",
            Unit::Maanden if one => "month",
            Unit::Maanden => "months",
            Unit::Jaren if one => "year",
            Unit::Jaren => "years",
        };
        format!("{} {unit}", self.count)
    }
}

impl Serialize for Term {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Term {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The working-day calendar of an organisation.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Time zone terms are computed in.
    pub tz: Tz,
    /// Whether 5 mei (Bevrijdingsdag) is a day off every year.
    pub bevrijdingsdag: bool,
    /// Whether Goede Vrijdag is a day off.
    pub goede_vrijdag: bool,
    /// Extra closing days.
    pub closed: BTreeSet<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            tz: chrono_tz::Europe::Amsterdam,
            bevrijdingsdag: true,
            goede_vrijdag: true,
            closed: BTreeSet::new(),
        }
    }
}

/// The recognised Dutch public holidays of a year (Algemene termijnenwet),
/// with their names. 5 mei and Goede Vrijdag are included; the calendar
/// decides whether they count.
pub fn holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let d = |m, day| NaiveDate::from_ymd_opt(year, m, day).expect("valid fixed date");
    let easter = computus::gregorian(year)
        .ok()
        .and_then(|e| NaiveDate::from_ymd_opt(e.year, e.month, e.day))
        .unwrap_or_else(|| d(4, 1));
    let shift = |days: i64| easter + chrono::Duration::days(days);
    let koningsdag = if d(4, 27).weekday() == Weekday::Sun {
        d(4, 26)
    } else {
        d(4, 27)
    };
    vec![
        (d(1, 1), "Nieuwjaarsdag"),
        (shift(-2), "Goede Vrijdag"),
        (easter, "1e Paasdag"),
        (shift(1), "2e Paasdag"),
        (koningsdag, "Koningsdag"),
        (d(5, 5), "Bevrijdingsdag"),
        (shift(39), "Hemelvaartsdag"),
        (shift(49), "1e Pinksterdag"),
        (shift(50), "2e Pinksterdag"),
        (d(12, 25), "1e Kerstdag"),
        (d(12, 26), "2e Kerstdag"),
    ]
}

impl Calendar {
    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) || self.closed.contains(&day) {
            return false;
        }
        !holidays(day.year()).iter().any(|(h, name)| {
            *h == day
                && match *name {
                    "Bevrijdingsdag" => self.bevrijdingsdag,
                    "Goede Vrijdag" => self.goede_vrijdag,
                    _ => true,
                }
        })
    }

    /// The first working day on or after `day`.
    pub fn next_working_day(&self, mut day: NaiveDate) -> NaiveDate {
        while !self.is_working_day(day) {
            day = day + Days::new(1);
        }
        day
    }

    /// The working day `n` working days before `day`.
    pub fn working_days_before(&self, mut day: NaiveDate, n: u32) -> NaiveDate {
        let mut left = n;
        while left > 0 {
            day = day - Days::new(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// A local wall-clock moment of a day (the later one when DST repeats it).
    pub fn at_local(&self, day: NaiveDate, hour: u32) -> DateTime<Utc> {
        let t = day.and_hms_opt(hour.min(23), 0, 0).expect("valid time");
        self.tz
            .from_local_datetime(&t)
            .latest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&t))
    }

    /// The local date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// The last day of a term that starts at `from`.
    pub fn due_date(&self, from: DateTime<Utc>, term: Term) -> NaiveDate {
        let start = self.local_date(from);
        match term.unit {
            Unit::Werkdagen => {
                let mut day = start;
                let mut left = term.count;
                while left > 0 {
                    day = day + Days::new(1);
                    if self.is_working_day(day) {
                        left -= 1;
                    }
                }
                day
            }
            Unit::Dagen => self.next_working_day(start + Days::new(term.count as u64)),
            Unit::Weken => self.next_working_day(start + Days::new(7 * term.count as u64)),
            Unit::Maanden => self.next_working_day(add_months(start, term.count)),
            Unit::Jaren => self.next_working_day(add_months(start, 12 * term.count)),
        }
    }

    /// Working days from `from` to `to`: the working days after the local
    /// day of `from` up to and including the local day of `to` (so a mail
    /// answered on the next working day took 1; the same day took 0).
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
        let (mut day, end) = (self.local_date(from), self.local_date(to));
        let mut n = 0;
        while day < end {
            day = day + Days::new(1);
            if self.is_working_day(day) {
                n += 1;
            }
        }
        n
    }

    /// The due moment: the end (23:59:59) of the due day in the local zone.
    pub fn due(&self, from: DateTime<Utc>, term: Term) -> DateTime<Utc> {
        let day = self.due_date(from, term);
        let end = day.and_hms_opt(23, 59, 59).expect("valid time");
        self.tz
            .from_local_datetime(&end)
            .latest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&end))
    }
}

/// An ISO date (`2026-05-06`) written out: "6 mei 2026" / "6 May 2026".
/// Anything else is returned unchanged.
pub fn long_date(iso: &str, lang: &str) -> String {
    let Ok(d) = NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d") else {
        return iso.to_string();
    };
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let months = if lang == "en" { EN } else { NL };
    format!("{} {} {}", d.day(), months[d.month0() as usize], d.year())
}

impl Calendar {
    /// A moment as people read it, in the organisation's time zone, to the
    /// minute: "30 november 2026 14:20" (`en`: "30 November 2026 14:20").
    pub fn long_moment(&self, at: DateTime<Utc>, lang: &str) -> String {
        let local = at.with_timezone(&self.tz);
        format!(
            "{} {}",
            long_date(&local.date_naive().to_string(), lang),
            local.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn terms_parse_as_the_procedures_write_them() {
        assert_eq!(
            "1 werkdag".parse::<Term>().unwrap(),
            Term {
                count: 1,
                unit: Unit::Werkdagen
            }
        );
        assert_eq!("2 weken".parse::<Term>().unwrap().to_string(), "2 weken");
        assert_eq!(
            "zes weken".parse::<Term>().unwrap(),
            Term {
                count: 6,
                unit: Unit::Weken
            }
        );
        assert!("binnenkort".parse::<Term>().is_err());
    }

    #[test]
    fn working_days_between_counts_like_the_terms() {
        let c = Calendar::default();
        // Friday 24 April 2026 to Tuesday 28 April: Monday 27 is Koningsdag.
        let fri = at("2026-04-24T16:00:00+02:00");
        assert_eq!(c.working_days_between(fri, fri), 0);
        assert_eq!(
            c.working_days_between(fri, at("2026-04-28T09:00:00+02:00")),
            1
        );
        let one = "1 werkdag".parse::<Term>().unwrap();
        assert_eq!(c.working_days_between(fri, c.due(fri, one)), 1);
        assert_eq!(
            c.working_days_between(at("2026-04-28T09:00:00+02:00"), fri),
            0
        );
    }

    #[test]
    fn retention_terms_count_months_and_years() {
        let c = Calendar::default();
        let y = "2 jaar".parse::<Term>().unwrap();
        assert_eq!(y.to_string(), "2 jaar");
        // 31 March 2026 + 2 years: Friday 31 March 2028.
        assert_eq!(
            c.due_date(at("2026-03-31T10:00:00+02:00"), y),
            date("2028-03-31")
        );
        // 31 January + 1 month: 28 February 2026 is a Saturday, so Monday 2 March.
        let m = "1 maand".parse::<Term>().unwrap();
        assert_eq!(
            c.due_date(at("2026-01-31T10:00:00+01:00"), m),
            date("2026-03-02")
        );
    }

    #[test]
    fn koningsdag_moves_the_working_day_term() {
        let c = Calendar::default();
        let due = c.due_date(
            at("2026-04-24T16:00:00+02:00"),
            "1 werkdag".parse().unwrap(),
        );
        assert_eq!(due, date("2026-04-28"));
    }

    #[test]
    fn christmas_and_weekend() {
        let c = Calendar::default();
        let due = c.due_date(
            at("2025-12-24T10:00:00+01:00"),
            "2 werkdagen".parse().unwrap(),
        );
        assert_eq!(due, date("2025-12-30"));
    }

    #[test]
    fn weeks_ending_on_bevrijdingsdag_move_on() {
        let c = Calendar::default();
        let due = c.due_date(at("2026-04-21T10:00:00+02:00"), "2 weken".parse().unwrap());
        assert_eq!(due, date("2026-05-06"));
        let without = Calendar {
            bevrijdingsdag: false,
            ..Calendar::default()
        };
        assert_eq!(
            without.due_date(at("2026-04-21T10:00:00+02:00"), "2 weken".parse().unwrap()),
            date("2026-05-05")
        );
    }

    #[test]
    fn due_moment_is_end_of_local_day() {
        let c = Calendar::default();
        let due = c.due(
            at("2026-04-24T16:00:00+02:00"),
            "1 werkdag".parse().unwrap(),
        );
        assert_eq!(due.to_rfc3339(), "2026-04-28T21:59:59+00:00");
    }

    #[test]
    fn long_dates() {
        assert_eq!(long_date("2026-05-06", "nl"), "6 mei 2026");
        assert_eq!(long_date("2026-05-06", "en"), "6 May 2026");
        assert_eq!(long_date("morgen", "nl"), "morgen");
    }

    /// Easter Sunday 2024–2035 (published tables), and the holidays that
    /// follow from it and from the fixed dates.
    #[test]
    fn holidays_2024_to_2035_match_known_dates() {
        let easter = [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2028, "2028-04-16"),
            (2029, "2029-04-01"),
            (2030, "2030-04-21"),
            (2031, "2031-04-13"),
            (2032, "2032-03-28"),
            (2033, "2033-04-17"),
            (2034, "2034-04-09"),
            (2035, "2035-03-25"),
        ];
        // Koningsdag falls on 26 April when 27 April is a Sunday: 2025, 2031.
        let koningsdag = |y: i32| if y == 2025 || y == 2031 { 26 } else { 27 };
        let c = Calendar::default();
        for (year, e) in easter {
            let e = date(e);
            let h: std::collections::HashMap<&str, NaiveDate> =
                holidays(year).into_iter().map(|(d, n)| (n, d)).collect();
            assert_eq!(h["1e Paasdag"], e, "{year}");
            assert_eq!(h["Goede Vrijdag"], e - chrono::Duration::days(2), "{year}");
            assert_eq!(h["2e Paasdag"], e + chrono::Duration::days(1), "{year}");
            assert_eq!(
                h["Hemelvaartsdag"],
                e + chrono::Duration::days(39),
                "{year}"
            );
            assert_eq!(h["Hemelvaartsdag"].weekday(), Weekday::Thu, "{year}");
            assert_eq!(
                h["2e Pinksterdag"],
                e + chrono::Duration::days(50),
                "{year}"
            );
            assert_eq!(h["2e Pinksterdag"].weekday(), Weekday::Mon, "{year}");
            assert_eq!(
                h["Koningsdag"],
                NaiveDate::from_ymd_opt(year, 4, koningsdag(year)).unwrap(),
                "{year}"
            );
            for (m, d) in [(1, 1), (5, 5), (12, 25), (12, 26)] {
                let day = NaiveDate::from_ymd_opt(year, m, d).unwrap();
                assert!(!c.is_working_day(day), "{day} is a holiday");
            }
            assert!(!c.is_working_day(h["2e Paasdag"]));
            assert!(!c.is_working_day(h["Hemelvaartsdag"]));
        }
    }

    #[test]
    fn closing_days_and_optional_holidays_are_configurable() {
        let mut c = Calendar {
            goede_vrijdag: false,
            ..Calendar::default()
        };
        assert!(
            c.is_working_day(date("2026-04-03")),
            "Goede Vrijdag counts as a working day"
        );
        c.closed.insert(date("2026-04-03"));
        assert!(!c.is_working_day(date("2026-04-03")));
    }

    #[test]
    fn dst_does_not_move_the_due_day() {
        // Received the evening before the clocks go forward (29 March 2026).
        let c = Calendar::default();
        let due = c.due(
            at("2026-03-27T22:30:00+01:00"),
            "1 werkdag".parse().unwrap(),
        );
        assert_eq!(due.to_rfc3339(), "2026-03-30T21:59:59+00:00");
        // A receipt just after midnight local time counts for that local day.
        assert_eq!(
            c.local_date(at("2026-03-29T23:30:00+00:00")),
            date("2026-03-30")
        );
    }
}
