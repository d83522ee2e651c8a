//! The conversation between complainant and handler, through the real mail
//! stack, with replies shaped as mail clients write them: every message of
//! the complainant reaches the handler, every staff mail gets an answer,
//! commands count wherever they stand outside quotes, letters keep the
//! handler's greeting and name, assignment is a hand-over.

use crate::harness::*;
use std::time::Duration;

/// A case, its people and the mails they have.
struct Desk {
    inst: Instance,
    customer: String,
    coordinator: String,
    id: String,
}

fn desk(name: &str, opts: Options) -> Desk {
    let inst = Instance::with(name, opts);
    let customer = inst.customer(1);
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let raw = complaint(
        &customer,
        &inst.complaints,
        &format!("k1-{}@voorbeeld.test", inst.tag),
        "Lekkage na reparatie",
        "Beste,\n\nSinds de reparatie van vorige week lekt het dak weer. Er is niemand teruggekomen, ik ben zeer ontevreden.\n\nMet vriendelijke groet,\nMarieke Bos\nDorpsstraat 12, 6711 AB Ede\n06 98765432",
    )
    .replace("From: Klant <", "From: Marieke Bos <");
    smtp_send(&customer, &[&inst.complaints], &raw);
    inst.once_after(1);
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    Desk {
        inst,
        customer,
        coordinator,
        id,
    }
}

/// The mails in `addr`'s INBOX once there are at least `n`.
fn inbox(addr: &str, n: usize) -> Vec<Vec<u8>> {
    assert!(
        wait_until(Duration::from_secs(10), || fetch_all(addr, "INBOX").len()
            >= n),
        "{addr} did not get {n} mails: {:?}",
        fetch_all(addr, "INBOX")
            .iter()
            .map(|m| subject_and_text(m).0)
            .collect::<Vec<_>>()
    );
    std::thread::sleep(Duration::from_millis(300));
    fetch_all(addr, "INBOX")
}

/// A reply to `to_mail` from `from`, sent to its Reply-To (else From), In-Reply-To
/// it, with `body` (the quote shape is the caller's).
fn reply(d: &Desk, from: &str, to_mail: &[u8], n: &str, body: &str) {
    let to = header(to_mail, "Reply-To")
        .or_else(|| header(to_mail, "From"))
        .unwrap();
    let to = to
        .rsplit('<')
        .next()
        .unwrap()
        .trim_end_matches('>')
        .to_string();
    let (subject, _) = subject_and_text(to_mail);
    let mid = header(to_mail, "Message-ID").unwrap();
    let raw = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Re: {subject}\r\nMessage-ID: <{n}-{}@example.test>\r\nIn-Reply-To: {mid}\r\nReferences: {mid}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        d.inst.tag
    );
    smtp_send(from, &[&to], &raw);
    d.inst.once_after(1);
}

/// The text of a mail as a client quotes it.
fn quoted(mail: &[u8], prefix: &str) -> String {
    subject_and_text(mail)
        .1
        .lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn case(d: &Desk) -> serde_json::Value {
    let out = d.inst.klachtd(&["cases", "show", &d.id, "--json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_top_posted_customer_reply_reaches_the_handler_who_answers_it_by_reply() {
    let d = desk("topposted", Options::default());
    let ack = inbox(&d.customer, 1).remove(0);
    let notice = newest(&d.coordinator, "toegewezen");
    assert!(
        subject_and_text(&notice).1.contains("06 98765432"),
        "the notice keeps the complainant's contact details"
    );
    let (ack_subject, _) = subject_and_text(&ack);
    let shapes = [
        // Outlook: a header block, the original unquoted below it.
        format!(
            "Ik ben vanmiddag thuis vanaf 13:00, de dakdekker is welkom.\r\n\r\nMarieke\r\n\r\nVan: Klachtenservice <{c}>\r\nVerzonden: maandag 16 november 2026 10:00\r\nAan: Marieke Bos <{u}>\r\nOnderwerp: {ack_subject}\r\n\r\n{q}",
            c = d.inst.complaints,
            u = d.customer,
            q = quoted(&ack, "")
        ),
        // Gmail: an attribution line, the original quoted with >.
        format!(
            "Het lekt nu ook in de slaapkamer.\r\n\r\nOp ma 16 nov 2026 om 10:00 schreef Klachtenservice <{c}>:\r\n{q}",
            c = d.inst.complaints,
            q = quoted(&ack, "> ")
        ),
        // Apple Mail: a mobile footer and the attribution inside the quote.
        format!(
            "Hebben jullie mijn foto's gezien?\r\n\r\nVerzonden vanaf mijn iPhone\r\n\r\n> Op 16 nov. 2026 om 10:00 heeft Klachtenservice <{c}> het volgende geschreven:\r\n>\r\n{q}",
            c = d.inst.complaints,
            q = quoted(&ack, "> ")
        ),
    ];
    let texts = [
        "de dakdekker is welkom",
        "ook in de slaapkamer",
        "mijn foto's gezien",
    ];
    for (i, (body, text)) in shapes.iter().zip(texts).enumerate() {
        reply(&d, &d.customer, &ack, &format!("c{i}"), body);
        let notice = newest(&d.coordinator, "Reactie van de klager");
        let (subject, t) = subject_and_text(&notice);
        assert!(t.contains(text), "{subject}\n{t}");
        assert!(
            !t.contains("Ontvangstbevestiging van uw klacht"),
            "no quoted letter: {t}"
        );
        assert!(
            header(&notice, "Reply-To")
                .unwrap()
                .contains(&format!("+{}.", d.id)),
            "signed reply address"
        );
        assert_staff_language(&t);
    }
    // The handler answers the notice by Reply: it reaches the complainant in
    // the case thread, with the greeting and the name.
    let notice = newest(&d.coordinator, "Reactie van de klager");
    reply(
        &d,
        &d.coordinator,
        &notice,
        "h1",
        &format!(
            "Beste mevrouw Bos,\r\n\r\nDank voor de foto's. De dakdekker komt vanmiddag om 14:00.\r\n\r\nMet vriendelijke groet,\r\nPiet de Vries\r\nKlachtenservice\r\n\r\nOp 16 nov 2026 schreef Klachtenservice <{}>:\r\n{}",
            d.inst.complaints,
            quoted(&notice, "> ")
        ),
    );
    let answer = newest(&d.customer, "Re: Lekkage na reparatie");
    let text = subject_and_text(&answer).1.replace("\r\n", "\n");
    assert!(text.starts_with("Beste mevrouw Bos,"), "{text}");
    assert!(
        text.contains("Met vriendelijke groet,\nPiet de Vries"),
        "{text}"
    );
    assert!(!text.contains("Reactie van"), "no quoted notice: {text}");
    let refs = header(&answer, "References").unwrap();
    assert!(
        refs.contains(&header(&ack, "Message-ID").unwrap()),
        "in the case thread: {refs}"
    );
    // `cases show` has the whole conversation, each message with its text.
    let show =
        String::from_utf8_lossy(&d.inst.klachtd(&["cases", "show", &d.id]).stdout).to_string();
    let conversation = show.split("conversation:").nth(1).unwrap_or_default();
    for said in [
        "lekt het dak weer",
        "Ontvangstbevestiging",
        "ook in de slaapkamer",
        "De dakdekker komt vanmiddag",
    ] {
        assert!(conversation.contains(said), "{said} in {show}");
    }
}

#[test]
fn commands_count_wherever_they_stand_outside_quotes_and_one_refusal_stops_all() {
    let d = desk("commands", Options::default());
    let notice = newest(&d.coordinator, "toegewezen");
    // After the sign-off.
    reply(
        &d,
        &d.coordinator,
        &notice,
        "h1",
        &format!(
            "Beste mevrouw Bos,\r\n\r\nWij pakken het op.\r\n\r\nMet vriendelijke groet,\r\nMarieke\r\n#in-behandeling\r\n\r\nVan: Klachtenservice <{}>\r\nVerzonden: maandag 16 november 2026\r\nOnderwerp: x\r\n\r\n#gegrond\r\n",
            d.inst.complaints
        ),
    );
    assert_eq!(case(&d)["case"]["state"], "in_behandeling");
    assert!(
        case(&d)["case"]["justified"].is_null(),
        "a command in the quoted notice does not count"
    );
    // Under a bottom-posted quote, with a signature after `-- `.
    reply(
        &d,
        &d.coordinator,
        &notice,
        "h2",
        &format!(
            "Op 16 nov 2026 om 10:00 schreef Klachtenservice <{}>:\r\n> Er is een nieuwe klacht\r\n> #gegrond\r\n\r\nKlant gebeld, dakdekker ingepland.\r\n#notitie dakdekker Jansen ingepland\r\n\r\n-- \r\nMarieke de Groot\r\nKlachtencoordinator\r\n",
            d.inst.complaints
        ),
    );
    let c = case(&d);
    assert!(c["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "note" && e["text"] == "dakdekker Jansen ingepland"));
    assert!(c["case"]["justified"].is_null());
    let letter = newest(&d.customer, "Re: Lekkage");
    let (_, text) = subject_and_text(&letter);
    assert!(
        text.contains("dakdekker ingepland") && !text.contains("Marieke de Groot"),
        "{text}"
    );
    // One unknown command: nothing applied, nothing relayed, and the
    // subject of the answer says so first.
    let before = fetch_all(&d.customer, "INBOX").len();
    reply(
        &d,
        &d.coordinator,
        &notice,
        "h3",
        "Wij vinden uw klacht gegrond.\r\n#gegrondd: de reparatie was niet goed\r\n",
    );
    let result = newest(&d.coordinator, "Niet uitgevoerd");
    let (subject, text) = subject_and_text(&result);
    assert!(
        subject.contains("Niet uitgevoerd, er is niets gedaan"),
        "{subject}"
    );
    assert!(text.contains("bedoelde u #gegrond?"), "{text}");
    assert_staff_language(&text);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        fetch_all(&d.customer, "INBOX").len(),
        before,
        "nothing relayed"
    );
    assert!(case(&d)["case"]["justified"].is_null());
}

#[test]
fn assignment_hands_over_and_the_new_handler_answers_by_reply() {
    let d = desk("handover", Options::default());
    let jan = format!("jan-{}@org.example.test", d.inst.tag);
    let notice = newest(&d.coordinator, "toegewezen");
    reply(
        &d,
        &d.coordinator,
        &notice,
        "h1",
        &format!("#toewijzen {jan}"),
    );
    let to_jan = newest(&jan, "overgedragen");
    let (_, text) = subject_and_text(&to_jan);
    assert!(
        text.contains("lekt het dak weer") && text.contains("06 98765432"),
        "{text}"
    );
    assert!(text.contains("Het gesprek tot nu toe"), "{text}");
    assert_staff_language(&text);
    reply(
        &d,
        &jan,
        &to_jan,
        "j1",
        "Beste mevrouw Bos,\r\n\r\nU heeft gelijk.\r\n\r\nGroet,\r\nJan\r\n#in-behandeling\r\n#gegrond: de reparatie was niet goed uitgevoerd\r\n",
    );
    let c = case(&d);
    assert_eq!(c["case"]["handler"], jan.as_str());
    assert_eq!(c["case"]["justified"], true);
    let letter = newest(&d.customer, "Ons standpunt");
    let text = subject_and_text(&letter).1.replace("\r\n", "\n");
    assert!(
        text.contains("U heeft gelijk.") && text.contains("Groet,\nJan"),
        "{text}"
    );
    assert!(
        text.contains("de reparatie was niet goed uitgevoerd"),
        "{text}"
    );
}

#[test]
fn every_staff_mail_gets_an_answer_and_a_forwarded_complaint_becomes_a_case() {
    let inst = Instance::new("staffmail");
    let piet = format!("piet-{}@org.example.test", inst.tag);
    smtp_send(
        &piet,
        &[&inst.complaints],
        &format!(
            "From: Piet <{piet}>\r\nTo: {}\r\nSubject: Vraag\r\nMessage-ID: <p1-{}@org.example.test>\r\n\r\nHoe voer ik hier een klacht in?\r\n",
            inst.complaints, inst.tag
        ),
    );
    inst.once_after(1);
    let answer = newest(&piet, "Zo werkt het");
    let (_, text) = subject_and_text(&answer);
    assert!(
        text.contains("#nieuw") && text.contains("doorsturen"),
        "{text}"
    );
    assert_staff_language(&text);
    // Piet forwards a customer's complaint from the info mailbox (Gmail shape).
    let klant = inst.customer(5);
    smtp_send(
        &piet,
        &[&inst.complaints],
        &format!(
            "From: Piet <{piet}>\r\nTo: {}\r\nSubject: Fwd: Klacht over de bezorging\r\nMessage-ID: <p2-{}@org.example.test>\r\n\r\nVoor jullie.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Karel Smit <{klant}>\r\nDate: ma 16 nov 2026 om 09:12\r\nSubject: Klacht over de bezorging\r\nTo: <info@org.example.test>\r\n\r\nHet pakket is bij de verkeerde buren afgeleverd en niemand belt terug.\r\n\r\nKarel Smit\r\n",
            inst.complaints, inst.tag
        ),
    );
    inst.once_after(1);
    let cases = inst.cases();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0]["complainant"], klant.as_str());
    assert_eq!(cases[0]["via"], piet.as_str());
    let ack = newest(&klant, "Ontvangstbevestiging");
    assert!(subject_and_text(&ack).1.contains("verkeerde buren"));
    let result = newest(&piet, "Uitgevoerd");
    assert!(subject_and_text(&result)
        .1
        .contains(cases[0]["id"].as_str().unwrap()));
}

#[test]
fn a_phone_complaint_opens_with_its_moment_of_receipt_and_the_letters_go_to_the_handler() {
    let inst = Instance::with(
        "telefoon",
        Options {
            staff_extra: "trusted_authserv_ids = [\"mx.org.example.test\"]".into(),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let received = chrono::Utc::now() - chrono::Duration::days(2);
    let local = received.with_timezone(&chrono_tz::Europe::Amsterdam);
    smtp_send(
        &coordinator,
        &[&inst.complaints],
        &format!(
            "Authentication-Results: mx.org.example.test; dkim=pass header.d=org.example.test\r\nFrom: {coordinator}\r\nTo: {}\r\nSubject: Telefonische klacht\r\nMessage-ID: <t1-{}@org.example.test>\r\n\r\n#nieuw\r\nNaam: Gerrit Jansen\r\nTelefoon: 06 11122233\r\nAdres: Kerkstraat 1, 6711 AB Ede\r\nKanaal: telefoon\r\nOntvangen: {}\r\n\r\nMeneer belde: de meter is al drie weken kapot en niemand komt.\r\n",
            inst.complaints,
            inst.tag,
            local.format("%d-%m-%Y %H:%M")
        ),
    );
    inst.once_after(1);
    let cases = inst.cases();
    assert_eq!(cases.len(), 1);
    let c = &cases[0];
    assert_eq!(c["channel"], "telefoon");
    assert_eq!(c["phone"], "06 11122233");
    assert_eq!(c["complainant"], "");
    let got: chrono::DateTime<chrono::Utc> = c["received"].as_str().unwrap().parse().unwrap();
    assert!(
        (got - received).num_minutes().abs() <= 1,
        "the terms start at the moment of receipt: {got} vs {received}"
    );
    let ack = newest(&coordinator, "Doorgeven");
    let (_, text) = subject_and_text(&ack);
    assert!(
        text.contains("geen e-mailadres") && text.contains("06 11122233"),
        "{text}"
    );
    assert!(
        text.contains("Op ") && text.contains("hebben wij uw klacht ontvangen"),
        "{text}"
    );
}

#[test]
fn a_satisfaction_answer_and_an_appeal_by_reply_reach_the_right_person() {
    let d = desk(
        "beroepbijantwoord",
        Options {
            staff_extra: "management = [\"directie-beroepbijantwoord@org.example.test\"]".into(),
            extra: "[policy]\npreset = \"vps\"\n".into(),
            ..Options::default()
        },
    );
    let notice = newest(&d.coordinator, "toegewezen");
    reply(
        &d,
        &d.coordinator,
        &notice,
        "h1",
        "#in-behandeling\r\n#ongegrond: het dak is volgens de keuring in orde\r\n#opgelost\r\n",
    );
    let letter = newest(&d.customer, "Bent u tevreden?");
    reply(
        &d,
        &d.customer,
        &letter,
        "c1",
        "Nee, ik ben het er niet mee eens. Een 3.",
    );
    assert_eq!(
        case(&d)["case"]["satisfaction"],
        "Nee, ik ben het er niet mee eens. Een 3."
    );
    let heard = newest(&d.coordinator, "Reactie van de klager");
    assert!(subject_and_text(&heard).1.contains("tevredenheid"));
    reply(&d, &d.coordinator, &heard, "h2", "#beroep\r\n");
    let next = newest(&d.customer, "Vervolgstap");
    reply(
        &d,
        &d.customer,
        &next,
        "c2",
        "Ja, ik wil dat de Business unit director hiernaar kijkt.",
    );
    let c = case(&d);
    assert_eq!(c["case"]["state"], "beroep");
    assert_eq!(
        c["case"]["handler"],
        "directie-beroepbijantwoord@org.example.test"
    );
    let director = newest(
        "directie-beroepbijantwoord@org.example.test",
        "overgedragen",
    );
    let (_, text) = subject_and_text(&director);
    assert!(
        text.contains("Business unit director hiernaar kijkt"),
        "{text}"
    );
    assert_staff_language(&text);
    let told = newest(&d.customer, "Uw beroep is ontvangen");
    assert!(subject_and_text(&told)
        .1
        .contains("de Business unit director"));
    // `cases show` says who handles the appeal and by when (VPS: 2 weeks).
    let show = d.inst.klachtd(&["cases", "show", &d.id]);
    let show = String::from_utf8_lossy(&show.stdout);
    let line = show
        .lines()
        .find(|l| l.trim_start().starts_with("appeal:"))
        .unwrap_or_else(|| panic!("no appeal line: {show}"));
    assert!(
        line.contains("Business unit director") && line.contains("due "),
        "{line}"
    );
    assert!(
        show.contains("timer:        appeal"),
        "the appeal's term runs: {show}"
    );
}

#[test]
fn glaspunt_routes_a_complaint_about_staff_to_the_mediator_and_registers_a_late_damage_claim() {
    let inst = Instance::with(
        "bemiddeling",
        Options {
            staff_extra: "management = [\"directie-bemiddeling@org.example.test\"]".into(),
            extra: "[policy]\npreset = \"glaspunt\"\n".into(),
            ..Options::default()
        },
    );
    let mediator = format!("bemiddelaar-{}@org.example.test", inst.tag);
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let customer = inst.customer(1);
    let raw = complaint(
        &customer,
        &inst.complaints,
        &format!("m1-{}@voorbeeld.test", inst.tag),
        "Onbeschofte monteur",
        "Geachte heer/mevrouw,\n\nUw monteur was ontzettend onbeschoft en schreeuwde tegen mij toen ik vroeg waarom hij te laat was. Ik dien hierbij een klacht in over zijn gedrag.\n\nMet vriendelijke groet,\nKees de Vries\nMolenweg 3, 6711 AB Ede\n06 11223344",
    )
    .replace("From: Klant <", "From: Kees de Vries <");
    smtp_send(&customer, &[&inst.complaints], &raw);
    inst.once_after(1);
    let d = Desk {
        id: inst.cases()[0]["id"].as_str().unwrap().to_string(),
        inst,
        customer,
        coordinator: coordinator.clone(),
    };
    // The mediator handles it; the coordinator, who registers every
    // complaint, is told.
    let notice = newest(&mediator, "toegewezen");
    assert!(subject_and_text(&notice).1.contains("onbeschoft"));
    newest(&coordinator, "Ter informatie");
    assert_eq!(case(&d)["case"]["handler"], mediator.as_str());

    // The complainant puts in a claim for damage discovered two months ago:
    // past the month of the procedure, registered as late.
    let discovered = (chrono::Local::now().date_naive() - chrono::Days::new(62))
        .format("%d-%m-%Y")
        .to_string();
    reply(
        &d,
        &mediator,
        &notice,
        "claim",
        &format!("#schadeclaim {discovered}: vergoeding van de beschadigde deurpost"),
    );
    let board = newest("directie-bemiddeling@org.example.test", "Schadeclaim");
    assert!(
        subject_and_text(&board).0.contains("TE LAAT"),
        "{}",
        subject_and_text(&board).0
    );
    let told = newest(&d.customer, "schadevergoeding");
    assert!(
        subject_and_text(&told).1.contains("te laat geregistreerd"),
        "{}",
        subject_and_text(&told).1
    );
    assert_eq!(case(&d)["case"]["damage_claim"]["late"], true);
    let show = d.inst.klachtd(&["cases", "show", &d.id]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.contains("damage claim:") && show.contains("LATE"),
        "{show}"
    );
}

#[test]
fn xs2more_allows_one_extension_of_at_most_six_weeks() {
    let d = desk(
        "verlengen",
        Options {
            extra: "[policy]\npreset = \"xs2more\"\n".into(),
            ..Options::default()
        },
    );
    let notice = newest(&d.coordinator, "toegewezen");
    reply(
        &d,
        &d.coordinator,
        &notice,
        "e1",
        "#verlengen 7 weken: deskundige nodig",
    );
    let refused = newest(&d.coordinator, "Niet uitgevoerd");
    assert!(
        subject_and_text(&refused).1.contains("hoogstens 6 weken"),
        "{}",
        subject_and_text(&refused).1
    );
    assert_eq!(case(&d)["case"]["extensions"], serde_json::json!([]));
    reply(
        &d,
        &d.coordinator,
        &notice,
        "e2",
        "#verlengen 6 weken: wij wachten op de verklaring van de opdrachtgever",
    );
    let told = newest(&d.customer, "Termijn verlengd");
    assert!(subject_and_text(&told)
        .1
        .contains("wachten op de verklaring"));
    reply(
        &d,
        &d.coordinator,
        &notice,
        "e3",
        "#verlengen 2 weken: nog meer tijd",
    );
    let texts: Vec<String> = inbox(&d.coordinator, 3)
        .iter()
        .map(|m| subject_and_text(m).1)
        .collect();
    assert!(texts.iter().any(|t| t.contains("al gebruikt")), "{texts:?}");
    assert_eq!(
        case(&d)["case"]["extensions"],
        serde_json::json!(["6 weken"])
    );
}
