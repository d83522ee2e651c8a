//! Terms that are never missed: reminders and escalations fire once each,
//! in simulated time (a manual clock, in process), through the real mail
//! stack; and
//! after downtime what expired fires once on start.

use crate::harness::*;
use std::time::Duration;

fn instance(name: &str) -> (Instance, String, String) {
    let tag = unique(name);
    let management = format!("directie-{tag}@org.example.test");
    let inst = Instance::with(
        name,
        Options {
            staff_extra: format!("management = [\"{management}\"]"),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    (inst, coordinator, management)
}

/// One cycle in this process, its clock at `at`.
fn once_at(inst: &Instance, at: chrono::DateTime<chrono::Utc>) {
    inst.once_at(at);
}

fn timers(inst: &Instance, id: &str) -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
    let out = inst.klachtd(&["cases", "show", id, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["timers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_string(),
                t["at"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// The handler answers the case's assignment notice as a mail client does
/// (to its Reply-To, In-Reply-To the notice) with `text`; then one cycle runs.
fn handler_writes(inst: &Instance, coordinator: &str, n: &str, text: &str) {
    send_as_handler(inst, coordinator, n, text);
    inst.once_after(1);
}

/// Sends the handler's answer to the assignment notice (to its Reply-To,
/// In-Reply-To the notice), as a mail client does.
fn send_as_handler(inst: &Instance, coordinator: &str, n: &str, text: &str) {
    answer_notice(inst, coordinator, "toegewezen", n, text);
}

/// Sends `who`'s answer to the newest notice whose subject contains
/// `subject` (to its Reply-To, In-Reply-To the notice).
fn answer_notice(inst: &Instance, who: &str, subject: &str, n: &str, text: &str) {
    let coordinator = who;
    let notice = fetch_all(who, "INBOX")
        .into_iter()
        .rev()
        .find(|m| subject_and_text(m).0.contains(subject))
        .expect("the notice");
    let reply_to = header(&notice, "Reply-To")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    smtp_send(
        coordinator,
        &[&reply_to],
        &format!(
            "From: {coordinator}\r\nTo: {reply_to}\r\nSubject: Re: x\r\nMessage-ID: <{n}-{}@org.example.test>\r\nIn-Reply-To: {}\r\n\r\n{text}\r\n",
            inst.tag,
            header(&notice, "Message-ID").unwrap()
        ),
    );
}

fn subjects(addr: &str) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(700));
    fetch_all(addr, "INBOX")
        .iter()
        .map(|m| subject_and_text(m).0)
        .collect()
}

#[test]
fn reminders_and_escalations_fire_once_each_as_the_term_runs_out() {
    let (inst, coordinator, management) = instance("ladder");
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "t",
        "Geen warm water",
        "Al een week geen warm water en de monteur is niet gekomen.",
    );
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    let plan = timers(&inst, &id);
    let kinds: Vec<&str> = plan.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["reminder", "reminder", "breach", "management"]);
    let minute = chrono::Duration::minutes(1);

    // Each moment, twice: the second run must not send anything again.
    for (i, (_, at)) in plan.iter().enumerate() {
        once_at(&inst, *at + minute);
        once_at(&inst, *at + minute);
        let to_coordinator = subjects(&coordinator);
        let reminders = count_containing(&to_coordinator, "Herinnering");
        let escalations = count_containing(&to_coordinator, "ESCALATIE");
        assert_eq!(
            reminders,
            (i + 1).min(2),
            "after step {i}: {to_coordinator:?}"
        );
        assert_eq!(
            escalations,
            (i >= 2) as usize,
            "after step {i}: {to_coordinator:?}"
        );
        assert_eq!(
            subjects(&management).len(),
            (i >= 3) as usize,
            "after step {i}"
        );
    }
    assert!(
        timers(&inst, &id).is_empty(),
        "every timer fired or was dropped"
    );
    let c: serde_json::Value =
        serde_json::from_slice(&inst.klachtd(&["cases", "show", &id, "--json"]).stdout).unwrap();
    let fired = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "timer_fired")
        .count();
    assert_eq!(fired, 4);
}

#[test]
fn after_downtime_an_expired_term_escalates_once_and_stale_reminders_stay_quiet() {
    let (inst, coordinator, management) = instance("downtime");
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "d",
        "Factuur klopt niet",
        "Mijn factuur is te hoog en niemand reageert.",
    );
    inst.once_after(1);
    // The daemon was down for a month.
    let later = chrono::Utc::now() + chrono::Duration::days(30);
    once_at(&inst, later);
    once_at(&inst, later);
    let to_coordinator = subjects(&coordinator);
    assert_eq!(
        count_containing(&to_coordinator, "ESCALATIE"),
        1,
        "{to_coordinator:?}"
    );
    assert_eq!(
        count_containing(&to_coordinator, "Herinnering"),
        0,
        "{to_coordinator:?}"
    );
    assert_eq!(subjects(&management).len(), 1);
}

#[test]
fn a_position_taken_in_time_stops_the_ladder_and_an_extension_moves_it() {
    let (inst, coordinator, _) = instance("stopped");
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "s",
        "Kapotte ruit",
        "De nieuwe ruit is bij plaatsing beschadigd.",
    );
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    let first_breach = timers(&inst, &id)
        .into_iter()
        .find(|(k, _)| k == "breach")
        .unwrap()
        .1;
    // The handler extends the term by two weeks (reply to the notice).
    handler_writes(
        &inst,
        &coordinator,
        "ext",
        "#verlengen 2 weken: wij wachten op de glasleverancier",
    );
    // The complainant is told.
    let to_customer = subjects(&customer);
    assert!(
        count_containing(&to_customer, "termijn verlengd") > 0,
        "{to_customer:?}"
    );
    // At the old breach: nothing.
    once_at(&inst, first_breach + chrono::Duration::minutes(1));
    assert_eq!(count_containing(&subjects(&coordinator), "ESCALATIE"), 0);
    // The position is taken in time: no escalation ever.
    handler_writes(&inst, &coordinator, "pos", "#in-behandeling\r\n#gegrond");
    once_at(&inst, first_breach + chrono::Duration::minutes(2));
    once_at(&inst, first_breach + chrono::Duration::days(40));
    let to_coordinator = subjects(&coordinator);
    assert_eq!(
        count_containing(&to_coordinator, "ESCALATIE"),
        0,
        "{to_coordinator:?}"
    );
}

#[test]
fn vps_sends_an_interim_update_while_the_complaint_is_open() {
    let inst = Instance::with(
        "interim",
        Options {
            extra: "[policy]\npreset = \"vps\"\n".into(),
            ..Options::default()
        },
    );
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "i",
        "Beveiliger",
        "De beveiliger was onbeschoft en liet ons een uur wachten.",
    );
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    let interim = timers(&inst, &id)
        .into_iter()
        .find(|(k, _)| k == "interim")
        .expect("an interim timer")
        .1;
    once_at(&inst, interim + chrono::Duration::minutes(1));
    once_at(&inst, interim + chrono::Duration::minutes(2));
    let to_customer = subjects(&customer);
    assert_eq!(
        count_containing(&to_customer, "stand van zaken"),
        1,
        "{to_customer:?}"
    );
    // VPS acknowledges within 3 working days and resolves within 2 weeks.
    let ack = fetch_all(&customer, "INBOX")
        .into_iter()
        .find(|m| subject_and_text(m).0.starts_with("Ontvangst"))
        .unwrap();
    assert!(subject_and_text(&ack).1.contains("2 weken na ontvangst"));
}

#[test]
fn waiting_for_the_complainant_pauses_the_clock() {
    let (inst, coordinator, _) = instance("pause");
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "p",
        "Schade",
        "Bij de levering is mijn vloer beschadigd. Ik wil dat dit hersteld wordt.",
    );
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    handler_writes(
        &inst,
        &coordinator,
        "wacht",
        "Kunt u foto's sturen?\r\n#wacht",
    );
    let t0 = chrono::Utc::now();
    // Three weeks later, still waiting: the original term has passed, nothing runs out.
    once_at(&inst, t0 + chrono::Duration::days(20));
    assert_eq!(
        subjects(&coordinator)
            .iter()
            .filter(|s| s.contains("ESCALATIE") || s.contains("Herinnering"))
            .count(),
        0
    );
    // The complainant answers the relayed question.
    let relay = fetch_all(&customer, "INBOX")
        .into_iter()
        .find(|m| subject_and_text(m).1.contains("foto"))
        .expect("relayed question");
    let relay_id = header(&relay, "Message-ID").unwrap();
    smtp_send(
        &customer,
        &[&inst.complaints],
        &format!("From: {customer}\r\nTo: {}\r\nSubject: Re: foto's\r\nMessage-ID: <foto-{}@voorbeeld.test>\r\nIn-Reply-To: {relay_id}\r\n\r\nHierbij de foto's.\r\n", inst.complaints, inst.tag),
    );
    assert!(wait_until(Duration::from_secs(10), || !fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .is_empty()));
    once_at(&inst, t0 + chrono::Duration::days(21));
    let c: serde_json::Value =
        serde_json::from_slice(&inst.klachtd(&["cases", "show", &id, "--json"]).stdout).unwrap();
    assert_eq!(c["case"]["state"], "in_behandeling");
    assert!(
        c["case"]["paused_days"].as_u64().unwrap() >= 20,
        "{}",
        c["case"]
    );
    // The term now ends three weeks later than it would have; it escalates then, once.
    let breach = timers(&inst, &id)
        .into_iter()
        .find(|(k, _)| k == "breach")
        .unwrap()
        .1;
    assert!(breach > t0 + chrono::Duration::days(33), "{breach}");
    once_at(&inst, breach + chrono::Duration::minutes(1));
    once_at(&inst, breach + chrono::Duration::minutes(2));
    assert_eq!(count_containing(&subjects(&coordinator), "ESCALATIE"), 1);
}

#[test]
fn xs2more_escalates_a_complaint_not_taken_into_treatment_within_two_weeks() {
    let inst = Instance::with(
        "xsteps",
        Options {
            extra: "[policy]\npreset = \"xs2more\"\n".into(),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "x",
        "Uren niet betaald",
        "Mijn uren van week 9 zijn nog steeds niet uitbetaald. Niemand belt terug.",
    );
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    let plan = timers(&inst, &id);
    let step = plan
        .iter()
        .find(|(k, _)| k == "step")
        .expect("a step timer")
        .1;
    // Two weeks later, still not in treatment: a reminder the day before, then an escalation.
    let in_treatment_breach = plan
        .iter()
        .filter(|(k, _)| k == "step")
        .map(|(_, t)| *t)
        .max()
        .unwrap();
    assert!(step < in_treatment_breach);
    let first_breach = plan
        .iter()
        .filter(|(k, _)| k == "step")
        .map(|(_, t)| *t)
        .filter(|t| *t > step)
        .min()
        .unwrap();
    once_at(&inst, first_breach + chrono::Duration::minutes(1));
    once_at(&inst, first_breach + chrono::Duration::minutes(2));
    let to_coordinator = subjects(&coordinator);
    assert_eq!(
        count_containing(&to_coordinator, "ESCALATIE"),
        1,
        "{to_coordinator:?}"
    );
    let esc = fetch_all(&coordinator, "INBOX")
        .into_iter()
        .find(|m| subject_and_text(m).0.contains("ESCALATIE"))
        .unwrap();
    assert!(
        subject_and_text(&esc).1.contains("in behandeling nemen"),
        "{}",
        subject_and_text(&esc).1
    );
}

#[test]
fn glaspunt_escalates_a_justified_complaint_not_resolved_within_five_working_days() {
    let inst = Instance::with(
        "gsteps",
        Options {
            staff_extra: "roles = { kwaliteitsmanager = \"kwaliteit-gsteps@org.example.test\" }"
                .into(),
            extra: "[policy]\npreset = \"glaspunt\"\n".into(),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "g",
        "Ruit lekt",
        "De nieuwe ruit lekt. Jan Smit, Kerkstraat 18, 6711 AB Ede, 06 12345678",
    );
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    handler_writes(
        &inst,
        &coordinator,
        "g",
        "#in-behandeling\r\n#gegrond: ruit verkeerd geplaatst",
    );
    let repair = timers(&inst, &id)
        .into_iter()
        .filter(|(k, _)| k == "step")
        .map(|(_, t)| t)
        .max()
        .expect("the repair term");
    let days = (repair - chrono::Utc::now()).num_days();
    assert!(
        (5..=9).contains(&days),
        "5 working days: {days} calendar days"
    );
    once_at(&inst, repair + chrono::Duration::minutes(1));
    let esc = subjects(&coordinator);
    assert_eq!(count_containing(&esc, "ESCALATIE"), 1, "{esc:?}");
}

#[test]
fn optimumconsult_wants_a_written_report_within_three_weeks_of_resolution() {
    let inst = Instance::with(
        "report",
        Options {
            extra: "[policy]\npreset = \"optimumconsult\"\n".into(),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "r",
        "Begeleiding",
        "Mijn begeleider is drie keer niet op de afspraak verschenen.",
    );
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    handler_writes(
        &inst,
        &coordinator,
        "r1",
        "#in-behandeling\r\n#gegrond\r\n#opgelost",
    );
    let show: serde_json::Value =
        serde_json::from_slice(&inst.klachtd(&["cases", "show", &id, "--json"]).stdout).unwrap();
    let report_due: chrono::DateTime<chrono::Utc> = show["timers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["step"] == "verslag" && t["breach"] == true)
        .map(|t| t["at"].as_str().unwrap().parse().unwrap())
        .next()
        .expect("the report term");
    let days = (report_due - chrono::Utc::now()).num_days();
    assert!(
        (20..=23).contains(&days),
        "3 weeks after resolution: {days}"
    );
    // Left to expire: one escalation naming the report.
    once_at(&inst, report_due + chrono::Duration::minutes(1));
    let escalated = || {
        fetch_all(&coordinator, "INBOX")
            .iter()
            .any(|m| subject_and_text(m).0.contains("ESCALATIE"))
    };
    wait_until(Duration::from_secs(10), escalated);
    std::thread::sleep(Duration::from_millis(500));
    let esc = fetch_all(&coordinator, "INBOX")
        .into_iter()
        .filter(|m| subject_and_text(m).0.contains("ESCALATIE"))
        .collect::<Vec<_>>();
    assert_eq!(esc.len(), 1);
    assert!(subject_and_text(&esc[0]).1.contains("schriftelijk verslag"));
}

/// One complaint from a customer, taken in: the coordinator's address,
/// the case id and the moment it was received.
fn one_complaint(
    inst: &Instance,
    tag: &str,
    subject: &str,
    body: &str,
) -> (String, String, chrono::DateTime<chrono::Utc>) {
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    inst.send_complaint(&inst.customer(1), tag, subject, body);
    inst.once_after(1);
    let case = inst.cases().remove(0);
    let id = case["id"].as_str().unwrap().to_string();
    let received = case["received"].as_str().unwrap().parse().unwrap();
    (coordinator, id, received)
}

/// Runs every timer of case `id` due up to `until`, one moment at a time
/// (each moment twice: the second run must send nothing again).
fn run_timers_until(inst: &Instance, id: &str, until: chrono::DateTime<chrono::Utc>) {
    for _ in 0..60 {
        let Some(next) = timers(inst, id)
            .into_iter()
            .map(|(_, at)| at)
            .filter(|at| *at <= until)
            .min()
        else {
            return;
        };
        once_at(inst, next + chrono::Duration::minutes(1));
        once_at(inst, next + chrono::Duration::minutes(1));
    }
    panic!("timers of {id} kept coming");
}

/// The handler's mail with `text`, processed in one cycle at `at`.
fn handler_writes_at(
    inst: &Instance,
    coordinator: &str,
    n: &str,
    text: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    let before = fetch_all(&inst.complaints, "INBOX").len();
    send_as_handler(inst, coordinator, n, text);
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .len()
        > before));
    once_at(inst, at);
}

/// The moments the case's timers of `prefix` fired (`tussenbericht`, …).
fn fired(inst: &Instance, id: &str, prefix: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
    let c: serde_json::Value =
        serde_json::from_slice(&inst.klachtd(&["cases", "show", id, "--json"]).stdout).unwrap();
    c["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "timer_fired" && e["timer"].as_str().unwrap().starts_with(prefix))
        .map(|e| e["at"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn each_preset_runs_its_term_until_what_its_procedure_names() {
    // (preset, met at resolution, further terms that start at judgement
    // or resolution, each with one reminder and one escalation)
    let presets = [
        ("generiek", false, 0),
        ("glaspunt", false, 1), // herstel: 5 werkdagen from gegrond
        ("xs2more", true, 0),
        ("vps", true, 0),
        ("optimumconsult", true, 1), // verslag: 3 weken from resolution
    ];
    for (preset, at_resolution, later_steps) in presets {
        let tag = unique(preset);
        let inst = Instance::with(
            &format!("met-{preset}"),
            Options {
                staff_extra: format!(
                    "management = [\"directie-{tag}@org.example.test\"]\nroles = {{ kwaliteitsmanager = \"kwaliteit-{tag}@org.example.test\", bemiddelaar = \"bemiddelaar-{tag}@org.example.test\" }}"
                ),
                extra: format!("[policy]\npreset = \"{preset}\"\n"),
                ..Options::default()
            },
        );
        let (coordinator, id, received) = one_complaint(
            &inst,
            "m",
            "Lekkage na reparatie",
            "Na de reparatie lekt het raam nog steeds. Ik ben hier zeer ontevreden over.\n\nJan Smit\nKerkstraat 18, 6711 AB Ede\n06 12345678",
        );
        // Judged on the first day, not resolved.
        handler_writes_at(
            &inst,
            &coordinator,
            "judged",
            "#in-behandeling\r\n#gegrond: de kit is niet goed aangebracht",
            received + chrono::Duration::hours(2),
        );
        run_timers_until(&inst, &id, received + chrono::Duration::weeks(10));
        let staff = subjects(&coordinator);
        let word = if at_resolution {
            "oplossing"
        } else {
            "standpunt"
        };
        assert_eq!(
            count_containing(&staff, &format!("Herinnering: {word}")),
            if at_resolution { 2 } else { 0 },
            "{preset}: {staff:?}"
        );
        assert_eq!(
            count_containing(&staff, "ESCALATIE"),
            at_resolution as usize + (preset == "glaspunt") as usize,
            "{preset}: {staff:?}"
        );
        if preset == "vps" {
            // Weekly updates from receipt until resolution, past the term,
            // one at a time: never two on one day.
            let sent = fired(&inst, &id, "tussenbericht");
            assert!(sent.len() >= 8, "{sent:?}");
            for w in sent.windows(2) {
                assert!(w[1] - w[0] >= chrono::Duration::days(6), "{sent:?}");
            }
        }
        // Resolved: the term is met, the updates stop; a term that starts at
        // resolution (Optimumconsult's written report) runs on its own.
        let later = received + chrono::Duration::weeks(10) + chrono::Duration::hours(1);
        handler_writes_at(&inst, &coordinator, "resolved", "#opgelost", later);
        let updates = fired(&inst, &id, "tussenbericht").len();
        let escalations = count_containing(&subjects(&coordinator), "ESCALATIE");
        run_timers_until(&inst, &id, later + chrono::Duration::weeks(12));
        assert_eq!(
            fired(&inst, &id, "tussenbericht").len(),
            updates,
            "{preset}"
        );
        let staff = subjects(&coordinator);
        assert_eq!(
            count_containing(&staff, "ESCALATIE"),
            escalations + (preset == "optimumconsult") as usize,
            "{preset}: {staff:?}"
        );
        assert_eq!(
            count_containing(&staff, "Herinnering: termijn loopt af"),
            later_steps,
            "{preset}: {staff:?}"
        );
        assert!(timers(&inst, &id).is_empty(), "{preset}");
    }
}

#[test]
fn vps_updates_keep_their_rhythm_after_an_extension_and_a_resumed_wait() {
    let inst = Instance::with(
        "rhythm",
        Options {
            extra: "[policy]\npreset = \"vps\"\n".into(),
            ..Options::default()
        },
    );
    let (coordinator, id, received) = one_complaint(
        &inst,
        "r",
        "Beveiliger",
        "De beveiliger was onbeschoft en liet ons een uur wachten. Ik dien een klacht in.",
    );
    let day = chrono::Duration::days(1);
    run_timers_until(&inst, &id, received + day * 10);
    handler_writes_at(
        &inst,
        &coordinator,
        "ext",
        "#in-behandeling\r\n#verlengen 3 weken: wij wachten op het camerabeeld",
        received + day * 11,
    );
    run_timers_until(&inst, &id, received + day * 16);
    handler_writes_at(&inst, &coordinator, "wait", "#wacht", received + day * 17);
    // Three weeks of waiting: the clock stands still, nothing is sent.
    run_timers_until(&inst, &id, received + day * 38);
    handler_writes_at(
        &inst,
        &coordinator,
        "resume",
        "#in-behandeling",
        received + day * 38,
    );
    run_timers_until(&inst, &id, received + day * 70);
    let sent = fired(&inst, &id, "tussenbericht");
    assert!(sent.len() >= 5, "{sent:?}");
    for w in sent.windows(2) {
        assert!(
            w[1] - w[0] >= day * 6,
            "two updates within a week: {sent:?}"
        );
    }
    assert!(
        !sent
            .iter()
            .any(|t| *t > received + day * 17 && *t < received + day * 38),
        "no update while waiting for the complainant: {sent:?}"
    );
    let to_customer = subjects(&inst.customer(1));
    assert_eq!(
        count_containing(&to_customer, "stand van zaken"),
        sent.len(),
        "{to_customer:?}"
    );
}

#[test]
fn the_appeal_term_reminds_its_handler_once_and_stops_at_the_appeals_outcome() {
    let tag = unique("appealterm");
    let director = format!("directie-{tag}@org.example.test");
    let inst = Instance::with(
        "appealterm",
        Options {
            staff_extra: format!("management = [\"{director}\"]"),
            extra: "[policy]\npreset = \"vps\"\n".into(),
            ..Options::default()
        },
    );
    let (coordinator, id, received) = one_complaint(
        &inst,
        "b",
        "Beveiliger",
        "De beveiliger was onbeschoft en liet ons een uur wachten. Ik dien een klacht in.",
    );
    let hour = chrono::Duration::hours(1);
    handler_writes_at(
        &inst,
        &coordinator,
        "h1",
        "#in-behandeling\r\n#ongegrond: de beveiliger volgde het protocol\r\n#opgelost",
        received + hour * 2,
    );
    // The complainant answers the satisfaction letter: not satisfied, and
    // takes the step it offers. The appeal goes to the BU director (2 weken).
    let customer = inst.customer(1);
    let letter = fetch_all(&customer, "INBOX")
        .into_iter()
        .rev()
        .find(|m| subject_and_text(m).0.contains("Bent u tevreden?"))
        .expect("the satisfaction letter");
    let before = fetch_all(&inst.complaints, "INBOX").len();
    smtp_send(
        &customer,
        &[&inst.complaints],
        &format!(
            "From: {customer}\r\nTo: {}\r\nSubject: Re: tevreden\r\nMessage-ID: <c1-{}@voorbeeld.test>\r\nIn-Reply-To: {}\r\n\r\nNee, ik ben niet tevreden. Ik wil dit voorleggen aan de Business unit director.\r\n",
            inst.complaints,
            inst.tag,
            header(&letter, "Message-ID").unwrap()
        ),
    );
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .len()
        > before));
    let lodged = received + hour * 3;
    once_at(&inst, lodged);
    assert_eq!(inst.cases()[0]["state"], "beroep");
    // The appeal's own term: a reminder one working day before its end,
    // the escalation at its end.
    let mut appeal: Vec<chrono::DateTime<chrono::Utc>> = timers(&inst, &id)
        .into_iter()
        .filter(|(kind, _)| kind == "appeal")
        .map(|(_, at)| at)
        .collect();
    appeal.sort();
    let [reminder, breach] = appeal[..] else {
        panic!("appeal timers: {appeal:?}");
    };
    let day = chrono::Duration::days(1);
    run_timers_until(&inst, &id, reminder + hour);
    assert_eq!(fired(&inst, &id, "beroep").len(), 1, "the reminder, once");
    assert_eq!(
        count_containing(&subjects(&director), "Herinnering"),
        1,
        "{:?}",
        subjects(&director)
    );
    answer_notice(
        &inst,
        &director,
        "overgedragen",
        "d1",
        "#ongegrond: het protocol is gevolgd",
    );
    once_at(&inst, reminder + hour * 2);
    let c = inst.klachtd(&["cases", "show", &id, "--json"]);
    let c: serde_json::Value = serde_json::from_slice(&c.stdout).unwrap();
    assert_eq!(c["case"]["appeal_justified"], false);
    // Past the appeal's end: no escalation, the term was met.
    run_timers_until(&inst, &id, breach + day * 3);
    assert_eq!(fired(&inst, &id, "beroep").len(), 1);
    assert_eq!(
        count_containing(&subjects(&coordinator), "ESCALATIE"),
        0,
        "{:?}",
        subjects(&coordinator)
    );
}

#[test]
fn glaspunt_s_visit_runs_its_own_term_once_started_by_command() {
    let tag = unique("bezoek");
    let inst = Instance::with(
        "bezoek",
        Options {
            staff_extra: format!("management = [\"directie-{tag}@org.example.test\"]"),
            extra: "[policy]\npreset = \"glaspunt\"\n".into(),
            ..Options::default()
        },
    );
    let (coordinator, id, received) = one_complaint(
        &inst,
        "v",
        "Ruit lekt",
        "De nieuwe ruit lekt bij elke regenbui. Ik dien hierbij een klacht in.\n\nJan Smit\nKerkstraat 18, 6711 AB Ede\n06 12345678",
    );
    let hour = chrono::Duration::hours(1);
    // Not needed until the handler says so: no visit term yet.
    run_timers_until(&inst, &id, received + hour * 2);
    assert!(fired(&inst, &id, "bezoek").is_empty());
    handler_writes_at(
        &inst,
        &coordinator,
        "b1",
        "#bezoek gepland\r\n#in-behandeling",
        received + hour * 3,
    );
    // 2 werkdagen from receipt: one reminder, one escalation, then quiet.
    run_timers_until(&inst, &id, received + chrono::Duration::days(10));
    let visit = fired(&inst, &id, "bezoek");
    assert_eq!(visit.len(), 2, "{visit:?}");
    run_timers_until(&inst, &id, received + chrono::Duration::days(20));
    assert_eq!(fired(&inst, &id, "bezoek").len(), 2);
}
