//! Reports over a year of cases made with injected time. The expected
//! figures are computed here from the parameters the cases were made with,
//! with this file's own working-day count, not with klachtd's functions.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use klachtd::cases::change::Change;
use klachtd::cases::event::{Event, EventKind};
use klachtd::cases::id::CaseId;
use klachtd::cases::policy::Policy;
use klachtd::cases::state::State;
use klachtd::deadline::Calendar;
use klachtd::intake::classify::Verdict;
use klachtd::intake::journal::{self, Status};
use klachtd::reports::{self as report, Scope};
use klachtd::store::{Batch, Store};
use std::collections::BTreeMap;

/// The classifier's categories (config/rules.toml).
const CATEGORIES: &[&str] = &[
    "dienstverlening",
    "product",
    "medewerker",
    "advies_informatie",
    "termijn",
];
const CAUSES: &[&str] = &["Planning", "communicatie", "materiaal"];

/// Working days after `from`'s date up to and including `to`'s (UTC dates
/// are the Dutch dates for 09:00–20:00 UTC), weekends and the 2025/2026
/// public holidays of the default calendar excluded.
fn working_days(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    let holidays: Vec<NaiveDate> = [
        (2025, 1, 1),
        (2025, 4, 18),
        (2025, 4, 21),
        (2025, 5, 5),
        (2025, 5, 29),
        (2025, 6, 9),
        (2025, 12, 25),
        (2025, 12, 26),
        (2026, 1, 1),
    ]
    .iter()
    .map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d).unwrap())
    .collect();
    let mut day = from.date_naive();
    let mut n = 0;
    while day < to.date_naive() {
        day = day.succ_opt().unwrap();
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&day) {
            n += 1;
        }
    }
    n
}

/// One generated case, with what the test expects of it.
struct Spec {
    received: DateTime<Utc>,
    category: &'static str,
    channel: &'static str,
    urgent: bool,
    ack_late: bool,
    extended: bool,
    /// 0: not taken into treatment, 1: justified, 2: not justified, 3: open.
    outcome: usize,
    decide_days: i64,
    cause: Option<&'static str>,
    measure: bool,
    satisfaction: Option<&'static str>,
}

fn spec(i: usize) -> Spec {
    // Every 1.5 days from 2 January, at 09:00 or 13:00 UTC (the Dutch date).
    let received = Utc.with_ymd_and_hms(2025, 1, 2, 9, 0, 0).unwrap()
        + Duration::days(3 * i as i64 / 2)
        + Duration::hours(4 * (i % 2) as i64);
    let outcome = match i % 6 {
        0 => 0,
        1 | 2 => 1,
        3 | 4 => 2,
        _ => 3,
    };
    Spec {
        received,
        category: CATEGORIES[i % CATEGORIES.len()],
        channel: if i % 10 == 0 { "telefoon" } else { "email" },
        urgent: i % 13 == 0,
        ack_late: i % 9 == 0,
        extended: i % 17 == 0,
        outcome,
        decide_days: if i % 4 == 0 { 25 } else { 3 },
        cause: (outcome == 1).then(|| CAUSES[i % CAUSES.len()]),
        measure: outcome == 1 && i % 12 == 1,
        satisfaction: (outcome == 1).then(|| ["tevreden", "niet tevreden", "8"][i % 3]),
    }
}

fn ev(seq: &mut u32, at: DateTime<Utc>, kind: EventKind) -> Event {
    let e = Event {
        seq: *seq,
        at,
        actor: "test".into(),
        reason: None,
        kind,
    };
    *seq += 1;
    e
}

fn make_case(store: &Store, number: u32, s: &Spec) {
    let id = CaseId {
        year: s.received.year(),
        number,
    };
    let mut seq = 0;
    let mut events = vec![ev(
        &mut seq,
        s.received,
        EventKind::Opened {
            complainant: format!("klant{number}@voorbeeld.test"),
            name: Some(format!("Klant Achternaam{number}")),
            subject: format!("Klacht van Klant Achternaam{number}"),
            summary: "iets ging mis".into(),
            language: "nl".into(),
            channel: s.channel.into(),
            category: Some(s.category.into()),
            urgent: s.urgent,
            phone: None,
            postal_address: None,
            via: None,
        },
    )];
    let ack = if s.ack_late {
        s.received + Duration::days(30)
    } else {
        s.received + Duration::hours(2)
    };
    events.push(ev(
        &mut seq,
        ack,
        EventKind::LetterSent {
            outbox_id: format!("{id}/ontvangstbevestiging/1"),
            letter: "ontvangstbevestiging".into(),
            to: format!("klant{number}@voorbeeld.test"),
        },
    ));
    if s.extended {
        events.push(ev(
            &mut seq,
            s.received + Duration::hours(3),
            EventKind::Extended {
                by: "2 weken".into(),
            },
        ));
    }
    let decided = s.received + Duration::days(s.decide_days);
    match s.outcome {
        0 => events.push(ev(
            &mut seq,
            decided,
            EventKind::StateChanged {
                to: State::NietInBehandeling,
            },
        )),
        1 | 2 => {
            events.push(ev(
                &mut seq,
                decided,
                EventKind::Judged {
                    justified: s.outcome == 1,
                },
            ));
            events.push(ev(
                &mut seq,
                decided,
                EventKind::StateChanged {
                    to: State::Beoordeeld,
                },
            ));
            if let Some(c) = s.cause {
                events.push(ev(
                    &mut seq,
                    decided,
                    EventKind::CauseSet {
                        text: format!("{c}."),
                    },
                ));
            }
            if s.measure {
                events.push(ev(
                    &mut seq,
                    decided,
                    EventKind::MeasureAdded {
                        text: "Planning belt voortaan een dag vooraf".into(),
                    },
                ));
            }
            if let Some(t) = s.satisfaction {
                events.push(ev(
                    &mut seq,
                    decided,
                    EventKind::SatisfactionSet { text: t.into() },
                ));
            }
            events.push(ev(
                &mut seq,
                decided + Duration::days(5),
                EventKind::StateChanged {
                    to: State::Opgelost,
                },
            ));
            events.push(ev(
                &mut seq,
                decided + Duration::days(6),
                EventKind::StateChanged {
                    to: State::Gesloten,
                },
            ));
        }
        _ => {}
    }
    let mut b = Batch::new();
    Change::open_with_history(id, events).unwrap().write(&mut b);
    store.commit(&b).unwrap();
}

/// A journalled message with a verdict and an outcome.
fn message(store: &Store, n: usize, at: DateTime<Utc>, label: &str, auto: bool, outcome: &str) {
    let raw = format!("Message-ID: <m{n}@voorbeeld.test>\r\nFrom: a{n}@voorbeeld.test\r\nSubject: x\r\n\r\ntekst\r\n");
    journal::record(store, raw.as_bytes(), "test", at).unwrap();
    let (key, id) = journal::pending(store).unwrap().pop().unwrap();
    let entry = journal::entry(store, &id).unwrap().unwrap();
    let verdict = Verdict {
        label: label.into(),
        score: 1.0,
        scores: BTreeMap::new(),
        category: None,
        urgent: false,
        auto_generated: auto,
        auto_reason: None,
        rules: Vec::new(),
        doubtful: false,
    };
    let mut b = Batch::new();
    journal::settle(
        &mut b,
        &key,
        &entry,
        Status::Processed {
            at,
            outcome: outcome.into(),
            case: None,
        },
        Some(verdict),
    );
    store.commit(&b).unwrap();
}

#[test]
fn a_year_of_cases_gives_the_figures_computed_here() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let n = 240;
    let specs: Vec<Spec> = (0..n).map(spec).collect();
    // All received in 2025.
    assert!(specs.iter().all(|s| s.received.year() == 2025));
    for (i, s) in specs.iter().enumerate() {
        make_case(&store, i as u32 + 1, s);
    }
    // The year before: 12 cases, all "product", cause "planning".
    for i in 0..12u32 {
        let mut s = spec(1);
        s.received =
            Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 0).unwrap() + Duration::days(20 * i as i64);
        s.category = "product";
        s.cause = Some("planning");
        make_case(&store, i + 1, &s);
    }
    // Messages: one complaint per case, and the other labels; automatic
    // mail and replies are not counted.
    let mut m = 0;
    let mut put = |label: &str, count: usize, auto: bool, outcome: &str| {
        for k in 0..count {
            m += 1;
            let at = Utc.with_ymd_and_hms(2025, 2, 1, 10, 0, 0).unwrap() + Duration::days(k as i64);
            message(&store, m, at, label, auto, outcome);
        }
    };
    put("klacht", n, false, "new_case");
    put("vraag", 50, false, "recorded");
    put("compliment", 30, false, "recorded");
    put("idee", 20, false, "recorded");
    put("overig", 40, false, "recorded");
    put("overig", 15, true, "recorded");
    put("klacht", 25, false, "added_to_case");

    let policy = Policy::preset("generiek").unwrap();
    let cal = Calendar::default();
    let now = Utc.with_ymd_and_hms(2026, 1, 20, 12, 0, 0).unwrap();
    let scope = Scope {
        organisation: "Voorbeeld B.V.",
        policy: &policy,
        calendar: &cal,
        known: &[],
    };
    let from = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let r = report::make(&store, &scope, from, to, now, false).unwrap();

    // Counts.
    assert_eq!(r.cases, n as u32);
    assert_eq!(r.cases_before, 12);
    let labels: BTreeMap<String, u32> = [
        ("klacht", n as u32),
        ("vraag", 50),
        ("compliment", 30),
        ("idee", 20),
        ("overig", 40),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), *v))
    .collect();
    assert_eq!(r.messages_by_label, labels);
    for (i, c) in CATEGORIES.iter().enumerate() {
        let expected = (0..n).filter(|k| k % CATEGORIES.len() == i).count() as u32;
        assert_eq!(r.by_category[*c], expected, "{c}");
    }
    let product = r
        .category_trend
        .iter()
        .find(|t| t.item == "product")
        .unwrap();
    assert_eq!(product.before, 12);
    assert_eq!(
        r.by_channel["telefoon"],
        (0..n).filter(|k| k % 10 == 0).count() as u32
    );
    assert_eq!(r.urgent, (0..n).filter(|k| k % 13 == 0).count() as u32);
    let outcome = |o: usize| specs.iter().filter(|s| s.outcome == o).count() as u32;
    assert_eq!(r.not_accepted, outcome(0));
    assert_eq!(r.justified, outcome(1));
    assert_eq!(r.unjustified, outcome(2));
    assert_eq!(r.not_judged, outcome(0) + outcome(3));
    assert_eq!(r.open_now, outcome(3));
    assert_eq!(
        r.overdue_now,
        outcome(3),
        "every open case of 2025 is past its 2 weeks on 20 January"
    );
    assert_eq!(
        r.extended_cases,
        (0..n).filter(|k| k % 17 == 0).count() as u32
    );
    let months: u32 = r.by_month.values().sum();
    assert_eq!(months, n as u32);
    assert_eq!(r.by_month.len(), 12);

    // The acknowledgement term (7 working days): on time the same day, late after 30 days.
    let ack = &r.terms[0];
    assert_eq!(ack.name, "ontvangstbevestiging");
    let late = specs.iter().filter(|s| s.ack_late).count() as u32;
    assert_eq!((ack.on_time, ack.late), (n as u32 - late, late));
    let ack_days: Vec<u32> = specs
        .iter()
        .map(|s| {
            if s.ack_late {
                working_days(s.received, s.received + Duration::days(30))
            } else {
                0
            }
        })
        .collect();
    let mean = ack_days.iter().sum::<u32>() as f64 / ack_days.len() as f64;
    assert_eq!(ack.days.mean, Some((mean * 100.0).round() / 100.0));
    assert_eq!(ack.days.max, ack_days.iter().max().copied());

    // The decision term (2 weeks, +2 weeks when extended): 3 days on time; 25 days late unless extended.
    let decide = &r.terms[1];
    let decided: Vec<&Spec> = specs.iter().filter(|s| s.outcome != 3).collect();
    let on_time = decided
        .iter()
        .filter(|s| s.decide_days == 3 || s.extended)
        .count() as u32;
    assert_eq!(decide.on_time, on_time);
    assert_eq!(decide.late, decided.len() as u32 - on_time);
    assert_eq!(decide.overdue, outcome(3));
    let share = on_time as f64 / (decided.len() as f64 + outcome(3) as f64);
    assert_eq!(decide.share_on_time, Some((share * 100.0).round() / 100.0));
    let mut days: Vec<u32> = decided
        .iter()
        .map(|s| working_days(s.received, s.received + Duration::days(s.decide_days)))
        .collect();
    days.sort();
    let median = if days.len() % 2 == 1 {
        days[days.len() / 2] as f64
    } else {
        (days[days.len() / 2 - 1] + days[days.len() / 2]) as f64 / 2.0
    };
    assert_eq!(decide.days.median, Some(median));

    // Resolution: decision + 5 days.
    let resolved: Vec<u32> = specs
        .iter()
        .filter(|s| s.outcome == 1 || s.outcome == 2)
        .map(|s| working_days(s.received, s.received + Duration::days(s.decide_days + 5)))
        .collect();
    assert_eq!(r.resolve_days.count, resolved.len() as u32);
    assert_eq!(r.resolve_days.max, resolved.iter().max().copied());

    // Causes (normalised: "Planning." and "planning" are one), recurring, with the year before.
    for c in CAUSES {
        let now_count = specs.iter().filter(|s| s.cause == Some(*c)).count() as u32;
        let t = r
            .causes
            .iter()
            .find(|t| t.item == c.to_lowercase())
            .unwrap();
        assert_eq!(t.now, now_count, "{c}");
        assert_eq!(t.before, if *c == "Planning" { 12 } else { 0 });
    }
    assert_eq!(r.measures.len(), specs.iter().filter(|s| s.measure).count());

    // Satisfaction: "tevreden" and "8" count as satisfied, "niet tevreden" not.
    let sat = |t: &str| specs.iter().filter(|s| s.satisfaction == Some(t)).count() as u32;
    assert_eq!(r.satisfaction["tevreden"], sat("tevreden") + sat("8"));
    assert_eq!(r.satisfaction["ontevreden"], sat("niet tevreden"));
    assert_eq!(r.satisfaction_mark, Some(8.0));

    // Every format carries the figures.
    let md = r.render(report::Format::Markdown);
    assert!(
        md.contains(&format!("Klachten ontvangen: **{n}** (vorige periode: 12)")),
        "{md}"
    );
    let csv = r.render(report::Format::Csv);
    assert!(csv.contains(&format!("cases,received,{n}\n")));
    assert!(csv.contains(&format!("term:standpunt,on_time,{on_time}\n")));
    let json: serde_json::Value = serde_json::from_str(&r.render(report::Format::Json)).unwrap();
    assert_eq!(json["cases"], n);
    let html = r.render(report::Format::Html);
    assert!(html.contains("<svg") && html.matches("<figure>").count() >= 4);

    // Anonymised: the complainants' names are gone from the case lists.
    let a = report::make(&store, &scope, from, to, now, true).unwrap();
    let text = a.render(report::Format::Markdown);
    assert!(!text.contains("Achternaam"), "{text}");
    assert!(!text.contains("@voorbeeld.test"));
    // The subjects are the complainants' own words: none is shown.
    assert!(!text.contains("Klacht van"), "{text}");
    assert!(!a.open_cases.is_empty());
    assert!(a.open_cases.iter().all(|l| l.subject == "[geanonimiseerd]"));
    assert_eq!(a.cases, r.cases);
}
