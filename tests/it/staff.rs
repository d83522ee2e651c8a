//! Staff handle complaints from their own mail client: relay, commands,
//! Cc mode, authentication — against the real mail stack.

use crate::harness::*;
use std::time::Duration;

/// A case opened by a fresh complaint, with the assignment notice the
/// coordinator received.
struct Opened {
    inst: Instance,
    customer: String,
    coordinator: String,
    id: String,
    notice: Vec<u8>,
}

fn open_case(name: &str) -> Opened {
    open_case_with(name, Options::default())
}

fn open_case_with(name: &str, opts: Options) -> Opened {
    let inst = Instance::with(name, opts);
    let customer = inst.customer(1);
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    inst.send_complaint(
        &customer,
        "c",
        "Lekkage na reparatie",
        "Beste,\n\nSinds de reparatie van vorige week lekt het dak weer. Er is niemand teruggekomen.\n\nAnna",
    );
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &coordinator,
        "INBOX"
    )
    .len()
        == 1));
    let notice = fetch_all(&coordinator, "INBOX").remove(0);
    Opened {
        inst,
        customer,
        coordinator,
        id,
        notice,
    }
}

/// An Outlook-shaped reply to the assignment notice: no In-Reply-To, `Antw:`
/// prefix, the notice quoted under a "Van:/Verzonden:" block, sent to the
/// notice's Reply-To.
fn outlook_reply(o: &Opened, from: &str, text: &str, n: u32) -> String {
    let reply_to = header(&o.notice, "Reply-To").unwrap();
    let (subject, body) = subject_and_text(&o.notice);
    let quoted: String = body.lines().take(12).collect::<Vec<_>>().join("\n");
    format!(
        "From: Piet Behandelaar <{from}>\r\nTo: {reply_to}\r\nSubject: Antw: {subject}\r\nMessage-ID: <staff-{n}-{}@org.example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\nMet vriendelijke groet,\r\nPiet\r\n\r\nVan: Klachtenservice <{}>\r\nVerzonden: maandag 20 april 2026 10:00\r\nAan: {from}\r\nOnderwerp: {subject}\r\n\r\n{quoted}\r\n",
        o.inst.tag, o.inst.complaints
    )
}

fn deliver(o: &Opened, from: &str, raw: &str) {
    let reply_to = header(&o.notice, "Reply-To").unwrap();
    let to = reply_to.trim_matches(['<', '>']).to_string();
    smtp_send(from, &[&to], raw);
}

/// The subject and text of the result mail the handler got.
fn result_text(o: &Opened) -> String {
    let mails = wait_inbox(&o.coordinator, 2);
    let result = mails
        .iter()
        .find(|m| {
            subject_and_text(m).0.contains("uitgevoerd")
                || subject_and_text(m).0.contains("Uitgevoerd")
        })
        .expect("a result mail");
    let (subject, text) = subject_and_text(result);
    format!("{subject}\n{text}")
}

fn case_json(o: &Opened) -> serde_json::Value {
    let out = o.inst.klachtd(&["cases", "show", &o.id, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn wait_inbox(addr: &str, n: usize) -> Vec<Vec<u8>> {
    assert!(
        wait_until(Duration::from_secs(10), || fetch_all(addr, "INBOX").len()
            >= n),
        "{addr} did not get {n} mails"
    );
    std::thread::sleep(Duration::from_millis(300));
    fetch_all(addr, "INBOX")
}

#[test]
fn handler_reply_is_relayed_in_the_thread_without_quotes_or_commands() {
    let o = open_case("relay");
    let (s, body) = subject_and_text(&o.notice);
    assert!(s.contains(&o.id), "{s}");
    assert!(
        body.contains("lekt het dak weer"),
        "the notice contains the complaint"
    );
    let reply_to = header(&o.notice, "Reply-To").unwrap();
    assert!(
        reply_to.contains(&format!("+{}.", o.id)),
        "signed plus-address: {reply_to}"
    );

    let raw = outlook_reply(&o, &o.coordinator, "Beste Anna,\r\n\r\nExcuses. Onze dakdekker komt donderdag langs.\r\n#in-behandeling\r\n#notitie dakdekker Jansen ingepland", 1);
    deliver(&o, &o.coordinator, &raw);
    o.inst.once_after(1);

    // The complainant: the acknowledgement and the relayed answer, in one thread.
    let mails = wait_inbox(&o.customer, 2);
    let ack = mails
        .iter()
        .find(|m| subject_and_text(m).0.starts_with("Ontvangstbevestiging"))
        .unwrap();
    let relay = mails
        .iter()
        .find(|m| subject_and_text(m).0.starts_with("Re:"))
        .expect("relayed answer");
    let (subject, text) = subject_and_text(relay);
    assert!(subject.contains(&o.id), "{subject}");
    assert!(
        text.contains("Onze dakdekker komt donderdag langs."),
        "{text}"
    );
    assert!(!text.contains('#'), "no command lines: {text}");
    assert!(
        !text.contains("dakdekker Jansen"),
        "the note stays internal: {text}"
    );
    assert!(
        !text.contains("Verzonden:") && !text.contains("toegewezen"),
        "no quoted notice: {text}"
    );
    assert_eq!(header(relay, "In-Reply-To"), header(ack, "Message-ID"));
    assert!(header(relay, "From").unwrap().contains(&o.inst.complaints));
    assert_eq!(header(relay, "Auto-Submitted"), None, "a person wrote it");

    // The handler gets one result mail.
    let rtext = result_text(&o);
    assert!(
        rtext.contains("#in-behandeling") && rtext.contains("doorgestuurd"),
        "{rtext}"
    );

    let c = case_json(&o);
    assert_eq!(c["case"]["state"], "in_behandeling");
    assert!(c["case"]["first_response"].is_string());
    let events = c["events"].as_array().unwrap();
    assert!(events
        .iter()
        .any(|e| e["type"] == "staff_reply" && e["mode"] == "relayed"));
    assert!(events.iter().any(|e| e["type"] == "note"));
    let show =
        String::from_utf8_lossy(&o.inst.klachtd(&["cases", "show", &o.id]).stdout).to_string();
    assert!(
        show.contains("staff_reply") && show.contains("state_changed"),
        "{show}"
    );
}

#[test]
fn illegal_transition_is_refused_and_nothing_is_half_applied() {
    let o = open_case("illegal");
    let raw = outlook_reply(&o, &o.coordinator, "#opgelost\r\n#vliegen", 1);
    deliver(&o, &o.coordinator, &raw);
    o.inst.once_after(1);
    let text = result_text(&o);
    assert!(
        text.contains("Niet uitgevoerd") && text.contains("#opgelost"),
        "{text}"
    );
    assert!(
        text.contains("judgement") || text.contains("gegrond"),
        "{text}"
    );
    assert!(text.contains("#vliegen kennen wij niet"), "{text}");
    assert!(
        text.starts_with("[") && text.contains("Niet uitgevoerd"),
        "the subject says it was refused: {text}"
    );
    let c = case_json(&o);
    assert_eq!(c["case"]["state"], "bevestigd");
    assert!(c["case"]["resolved"].is_null());
    // Only the acknowledgement reached the complainant.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fetch_all(&o.customer, "INBOX").len(), 1);

    // Then judged and resolved: both apply, in order.
    let raw = outlook_reply(
        &o,
        &o.coordinator,
        "#in-behandeling\r\n#gegrond: dak niet goed hersteld\r\n#opgelost",
        2,
    );
    deliver(&o, &o.coordinator, &raw);
    o.inst.once_after(1);
    let c = case_json(&o);
    assert_eq!(c["case"]["state"], "opgelost", "{}", c["case"]);
    assert_eq!(c["case"]["justified"], true);
}

#[test]
fn forged_staff_mail_applies_nothing_and_alerts_the_coordinator() {
    let o = open_case("forged");
    // The customer (or anyone) forges the handler's From:, quotes the case
    // number and even the acknowledgement's Message-ID, but has no token.
    let ack = wait_inbox(&o.customer, 1).remove(0);
    let ack_id = header(&ack, "Message-ID").unwrap();
    let raw = format!(
        "From: {}\r\nTo: {}\r\nSubject: Re: [{}] Lekkage\r\nMessage-ID: <forged-{}@voorbeeld.test>\r\nIn-Reply-To: {ack_id}\r\nReferences: {ack_id}\r\n\r\n#gegrond\r\n#bod 10.000 euro schadevergoeding\r\nU krijgt alles vergoed.\r\n",
        o.coordinator, o.inst.complaints, o.id, o.inst.tag
    );
    smtp_send(&o.customer, &[&o.inst.complaints], &raw);
    o.inst.once_after(1);
    let c = case_json(&o);
    assert_eq!(c["case"]["state"], "bevestigd");
    assert!(c["case"]["justified"].is_null());
    assert_eq!(c["case"]["offers"].as_array().unwrap().len(), 0);
    let mails = wait_inbox(&o.coordinator, 2);
    assert!(
        mails
            .iter()
            .any(|m| subject_and_text(m).0.starts_with("Waarschuwing")),
        "coordinator alerted"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fetch_all(&o.customer, "INBOX").len(), 1, "nothing relayed");
}

#[test]
fn cc_mode_records_without_relaying() {
    let o = open_case("cc");
    let ack = wait_inbox(&o.customer, 1).remove(0);
    let ack_id = header(&ack, "Message-ID").unwrap();
    let raw = format!(
        "From: {}\r\nTo: {}\r\nCc: {}\r\nSubject: Re: Ontvangstbevestiging van uw klacht [{}]\r\nMessage-ID: <cc-{}@org.example.test>\r\nIn-Reply-To: {ack_id}\r\nReferences: {ack_id}\r\n\r\nBeste Anna, ik bel u morgen.\r\n",
        o.coordinator, o.customer, o.inst.complaints, o.id, o.inst.tag
    );
    smtp_send(&o.coordinator, &[&o.customer, &o.inst.complaints], &raw);
    o.inst.once_after(1);
    let c = case_json(&o);
    let events = c["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "staff_reply" && e["mode"] == "cc"),
        "{events:?}"
    );
    std::thread::sleep(Duration::from_millis(500));
    // The customer has the ack and the staff member's own mail, no relayed copy.
    let mails = fetch_all(&o.customer, "INBOX");
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| !header(m, "From")
        .unwrap_or_default()
        .contains(&o.inst.complaints)
        || subject_and_text(m).0.starts_with("Ontvangst")));
}

#[test]
fn a_stranger_quoting_a_case_number_gets_a_case_of_their_own() {
    let o = open_case("stranger");
    let stranger = o.inst.customer(9);
    o.inst.send_complaint(
        &stranger,
        "s",
        &format!("Re: [{}] Lekkage", o.id),
        "Ik heb precies hetzelfde probleem: het dak lekt en niemand komt.",
    );
    o.inst.once_after(1);
    let cases = o.inst.cases();
    assert_eq!(cases.len(), 2);
    let first = cases.iter().find(|c| c["id"] == o.id.as_str()).unwrap();
    assert_eq!(first["messages_in"], 1, "the first case is untouched");
    let theirs = cases.iter().find(|c| c["id"] != o.id.as_str()).unwrap();
    assert_eq!(theirs["complainant"], stranger.as_str());
}

#[test]
fn two_staff_mails_on_one_case_processed_together_stay_consistent() {
    let o = open_case("concurrent");
    deliver(
        &o,
        &o.coordinator,
        &outlook_reply(
            &o,
            &o.coordinator,
            "#in-behandeling\r\n#categorie product",
            1,
        ),
    );
    deliver(
        &o,
        &o.coordinator,
        &outlook_reply(&o, &o.coordinator, "#urgent\r\n#notitie tweede mail", 2),
    );
    o.inst.once_after(2);
    let c = case_json(&o);
    assert_eq!(c["case"]["state"], "in_behandeling");
    assert_eq!(c["case"]["category"], "product");
    assert_eq!(c["case"]["urgent"], true);
    // Every event numbered once, in order.
    let seqs: Vec<u64> = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(c["case"]["version"], seqs.len());
}

#[test]
fn cases_list_filters_by_handler_state_and_overdue() {
    let o = open_case("filters");
    let count = |args: &[&str], env: &[(&str, &str)]| -> usize {
        let out = o.inst.klachtd_env(args, env);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
            .unwrap()
            .len()
    };
    assert_eq!(
        count(
            &["cases", "list", "--json", "--handler", &o.coordinator],
            &[]
        ),
        1
    );
    assert_eq!(
        count(
            &[
                "cases",
                "list",
                "--json",
                "--handler",
                "iemand@org.example.test"
            ],
            &[]
        ),
        0
    );
    assert_eq!(
        count(&["cases", "list", "--json", "--state", "bevestigd"], &[]),
        1
    );
    assert_eq!(count(&["cases", "list", "--json", "--overdue"], &[]), 0);
    let later = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    assert_eq!(
        count(
            &["cases", "list", "--json", "--overdue"],
            &[("KLACHTD_FAKE_NOW", &later)]
        ),
        1
    );
    let show = o
        .inst
        .klachtd_env(&["cases", "show", &o.id], &[("KLACHTD_FAKE_NOW", &later)]);
    assert!(String::from_utf8_lossy(&show.stdout).contains("OVERDUE"));
}

#[test]
fn a_handler_involved_in_the_complaint_cannot_be_assigned() {
    let o = open_case("involved");
    // The complaint names nobody; a second case names Piet's address.
    let piet = format!("piet-{}@org.example.test", o.inst.tag);
    // Two mails: one refused command would stop the other (all or nothing).
    let raw = outlook_reply(
        &o,
        &o.coordinator,
        "#toewijzen niet-staff@voorbeeld.test",
        1,
    );
    deliver(&o, &o.coordinator, &raw);
    o.inst.once_after(1);
    assert!(result_text(&o).contains("is geen medewerker"));
    let raw = outlook_reply(&o, &o.coordinator, &format!("#toewijzen {piet}"), 3);
    deliver(&o, &o.coordinator, &raw);
    o.inst.once_after(1);
    let c = case_json(&o);
    assert_eq!(
        c["case"]["handler"],
        piet.as_str(),
        "staff not involved: assigned"
    );

    let customer = o.inst.customer(2);
    o.inst.send_complaint(
        &customer,
        "inv",
        "Klacht over medewerker",
        &format!("Uw medewerker {piet} was zeer onbeschoft tegen mij aan de telefoon."),
    );
    o.inst.once_after(1);
    let second = o
        .inst
        .cases()
        .into_iter()
        .find(|c| c["complainant"] == customer.as_str())
        .unwrap();
    let id2 = second["id"].as_str().unwrap().to_string();
    // Reply to the second case's notice.
    let notices = wait_inbox(&o.coordinator, 4);
    let notice2 = notices
        .into_iter()
        .find(|m| subject_and_text(m).0.contains(&id2))
        .unwrap();
    let o2 = Opened {
        inst: o.inst,
        customer,
        coordinator: o.coordinator.clone(),
        id: id2,
        notice: notice2,
    };
    let raw = outlook_reply(&o2, &o2.coordinator, &format!("#toewijzen {piet}"), 2);
    deliver(&o2, &o2.coordinator, &raw);
    o2.inst.once_after(1);
    let c = case_json(&o2);
    assert_eq!(
        c["case"]["handler"],
        o2.coordinator.as_str(),
        "involved staff not assigned"
    );
    let events = c["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "command_rejected"
                && e["why"].as_str().unwrap().contains("involved")),
        "{events:?}"
    );
}

#[test]
fn nieuw_opens_a_case_for_a_phone_complaint_when_our_server_vouches_for_the_sender() {
    let inst = Instance::with(
        "nieuw",
        Options {
            staff_extra: "trusted_authserv_ids = [\"mx.org.example.test\"]".into(),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let klant = inst.customer(7);
    let phone = |n: u32, auth: &str| {
        format!(
            "{auth}From: {coordinator}\r\nTo: {}\r\nSubject: Telefonische klacht\r\nMessage-ID: <nieuw-{n}-{}@org.example.test>\r\n\r\n#nieuw {klant}\r\nMevrouw belde: de monteur is twee keer niet gekomen en niemand heeft afgebeld.\r\n",
            inst.complaints, inst.tag
        )
    };
    // Without a trusted Authentication-Results header: refused, coordinator alerted.
    smtp_send(
        &coordinator,
        &[&inst.complaints],
        &phone(
            1,
            "Authentication-Results: evil.example; dkim=pass header.d=org.example.test\r\n",
        ),
    );
    // With one from our own server: a case for the customer.
    smtp_send(&coordinator, &[&inst.complaints], &phone(2, "Authentication-Results: mx.org.example.test; dkim=pass header.d=org.example.test; spf=pass smtp.mailfrom=org.example.test\r\n"));
    inst.once_after(2);
    let cases = inst.cases();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0]["complainant"], klant.as_str());
    assert_eq!(cases[0]["channel"], "intern");
    let acks = wait_inbox(&klant, 1);
    let (s, body) = subject_and_text(&acks[0]);
    assert!(s.starts_with("Ontvangstbevestiging"), "{s}");
    assert!(body.contains("twee keer niet gekomen"), "{body}");
    assert!(!body.contains("#nieuw"));
    let staff_mail = wait_inbox(&coordinator, 3);
    let subjects: Vec<String> = staff_mail.iter().map(|m| subject_and_text(m).0).collect();
    assert!(
        subjects.iter().any(|s| s.starts_with("Waarschuwing")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("Uitgevoerd")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("toegewezen")),
        "{subjects:?}"
    );
}

#[test]
fn every_command_changes_the_case_as_specified() {
    let o = open_case("allcmds");
    let piet = format!("piet-{}@org.example.test", o.inst.tag);
    let betrokken = format!("#betrokken {piet}");
    let commands = [
        "#niet-in-behandeling: buiten de termijn ingediend",
        "#heropen",
        "#wacht",
        "#in-behandeling",
        &betrokken,
        "#categorie product",
        "#urgent",
        "#ongegrond: geen gebrek gevonden",
        "#heropen",
        "#verlengen 2 weken: wachten op expertise",
        "#bod nieuwe dakpannen op onze kosten",
        "#bod-aanvaard",
        "#gegrond: na expertise toch gebrek",
        "#opgelost",
        "#uitkomst dak hersteld",
        "#tevredenheid tevreden",
        "#oorzaak monteur niet ingepland",
        "#maatregel planning controleert dagelijks",
        "#notitie klant gebeld",
        "#sluiten",
        "#help",
    ];
    let raw = outlook_reply(&o, &o.coordinator, &commands.join("\r\n"), 1);
    deliver(&o, &o.coordinator, &raw);
    o.inst.once_after(1);
    let c = case_json(&o);
    let case = &c["case"];
    assert_eq!(case["state"], "gesloten", "{case}");
    assert_eq!(case["justified"], true);
    assert_eq!(case["category"], "product");
    assert_eq!(case["urgent"], true);
    assert_eq!(case["extensions"][0], "2 weken");
    assert_eq!(case["offers"][0], "nieuwe dakpannen op onze kosten");
    assert_eq!(case["offer_accepted"], true);
    assert_eq!(case["outcome"], "dak hersteld");
    assert_eq!(case["satisfaction"], "tevreden");
    assert_eq!(case["cause"], "monteur niet ingepland");
    assert_eq!(case["measures"][0], "planning controleert dagelijks");
    assert_eq!(case["involved"][0], piet.as_str());
    assert!(case["resolved"].is_string());
    let events = c["events"].as_array().unwrap();
    let states: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "state_changed")
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "niet_in_behandeling",
            "in_behandeling",
            "wacht_op_klager",
            "in_behandeling",
            "beoordeeld",
            "in_behandeling",
            "beoordeeld",
            "opgelost",
            "gesloten"
        ]
    );
    let text = result_text(&o);
    assert!(
        text.contains("#in-behandeling") && text.contains("#tevredenheid"),
        "{text}"
    );
    assert!(
        text.contains("#bod-aanvaard / #bod-afgewezen"),
        "the help text: {text}"
    );
    assert_staff_language(&text);
    // Piet is involved: he cannot be assigned, and the refusal says why.
    deliver(
        &o,
        &o.coordinator,
        &outlook_reply(&o, &o.coordinator, &format!("#toewijzen {piet}"), 2),
    );
    o.inst.once_after(1);
    let c = case_json(&o);
    assert_eq!(c["case"]["handler"], o.coordinator.as_str());
    let refusal = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "command_rejected")
        .expect("the refusal is on the case")["why"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(refusal.contains("betrokkene"), "{refusal}");
    // The complainant gets one letter with everything the procedure
    // promises, never the note.
    let mails = wait_inbox(&o.customer, 2);
    assert_eq!(mails.len(), 2, "the acknowledgement and one letter");
    let (subject, body) = subject_and_text(&mails[1]);
    for part in [
        "Niet in behandeling",
        "Termijn verlengd",
        "Ons standpunt",
        "Afgehandeld",
        "Bent u tevreden?",
    ] {
        assert!(subject.contains(part), "{part}: {subject}");
    }
    assert!(
        body.contains("geen gebrek gevonden") && body.contains("na expertise toch gebrek"),
        "{body}"
    );
    assert!(!body.contains("klant gebeld"), "notes stay internal");
}

#[test]
fn an_unsatisfied_complainant_is_pointed_to_the_external_body_of_the_policy() {
    let o = open_case_with(
        "beroep",
        Options {
            extra: "[policy]\npreset = \"xs2more\"\n".into(),
            ..Options::default()
        },
    );
    let raw = outlook_reply(
        &o,
        &o.coordinator,
        "#in-behandeling\r\n#ongegrond: het dak is volgens de keuring in orde\r\n#beroep",
        1,
    );
    deliver(&o, &o.coordinator, &raw);
    o.inst.once_after(1);
    let mails = wait_inbox(&o.customer, 2);
    let next = mails
        .iter()
        .find(|m| subject_and_text(m).0.contains("Vervolgstap"))
        .expect("the next step, in one letter with the position");
    assert!(
        subject_and_text(next).1.contains("Blik op Werk"),
        "{}",
        subject_and_text(next).1
    );
    assert_eq!(case_json(&o)["case"]["state"], "beroep");
}

#[test]
fn staff_ask_by_mail_for_the_agenda_a_case_and_their_own_cases_and_only_they_get_the_answer() {
    let o = open_case("requests");
    let overview = |addr: &str, n: usize| -> String {
        let mails = wait_inbox(addr, n);
        let m = mails
            .iter()
            .rev()
            .find(|m| subject_and_text(m).0.starts_with("Overzicht"))
            .unwrap_or_else(|| panic!("{addr} got no overview"));
        let (s, t) = subject_and_text(m);
        format!("{s}\n{t}")
    };
    let new_mail = |from: &str, text: &str, n: u32| {
        format!(
            "From: {from}\r\nTo: {}\r\nSubject: vraag\r\nMessage-ID: <ask-{n}-{}@org.example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\nGroet,\r\nKees\r\n",
            o.inst.complaints, o.inst.tag
        )
    };
    let process = |mid: &str| {
        assert!(wait_until(Duration::from_secs(10), || fetch_all(
            &o.inst.complaints,
            "INBOX"
        )
        .iter()
        .any(|m| String::from_utf8_lossy(m).contains(mid))));
        o.inst.once();
    };
    // The coordinator asks in a new mail, from Outlook, with a sign-off.
    smtp_send(
        &o.coordinator,
        &[&o.inst.complaints],
        &new_mail(&o.coordinator, &format!("#agenda\r\n#zaak {}", o.id), 1),
    );
    process("ask-1-");
    let text = overview(&o.coordinator, 2);
    assert!(text.contains(&o.id), "{text}");
    assert!(
        text.contains("lekt het dak weer"),
        "the conversation: {text}"
    );
    assert!(text.contains("Klachtenoverleg"), "{text}");
    // Another employee does not handle the case: refused; has no cases.
    let other = format!("piet-{}@org.example.test", o.inst.tag);
    smtp_send(
        &other,
        &[&o.inst.complaints],
        &new_mail(&other, &format!("#zaak {}\r\n#mijn", o.id), 2),
    );
    process("ask-2-");
    let text = overview(&other, 1);
    assert!(text.contains("U behandelt"), "{text}");
    assert!(!text.contains("lekt het dak"), "{text}");
    assert!(text.contains("geen openstaande klachten"), "{text}");
    // The handler's own cases.
    smtp_send(
        &o.coordinator,
        &[&o.inst.complaints],
        &new_mail(&o.coordinator, "#mijn", 3),
    );
    process("ask-3-");
    let text = overview(&o.coordinator, 3);
    assert!(
        text.contains("Uw openstaande klachten") && text.contains(&o.id),
        "{text}"
    );
    // A forged request: the answer goes to the real staff mailbox only.
    let forged = format!(
        "From: {}\r\nTo: {}\r\nSubject: zaak\r\nMessage-ID: <forged-ask-{}@voorbeeld.test>\r\n\r\n#zaak {}\r\n",
        o.coordinator, o.inst.complaints, o.inst.tag, o.id
    );
    smtp_send(&o.customer, &[&o.inst.complaints], &forged);
    process("forged-ask-");
    wait_inbox(&o.coordinator, 4);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        fetch_all(&o.customer, "INBOX").len(),
        1,
        "the customer got nothing but the acknowledgement"
    );
}
