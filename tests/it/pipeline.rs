//! Issue 2 acceptance: a real complaint in through Postfix, a case in the
//! store, an acknowledgement out — against the real Dovecot and Postfix.

use crate::harness::*;
use std::time::{Duration, Instant};

fn acks(customer: &str) -> Vec<Vec<u8>> {
    fetch_all(customer, "INBOX")
}

#[test]
fn complaint_opens_case_and_acknowledgement_arrives_threaded() {
    let inst = Instance::new("ack");
    let customer = inst.customer(1);
    let mid = inst.send_complaint(
        &customer,
        "c1",
        "Monteur niet gekomen",
        "Beste,\n\nDe monteur zou dinsdag komen maar is nooit verschenen. Niemand belt terug.\n\nJan",
    );
    inst.once_after(1);
    let cases = inst.cases();
    assert_eq!(cases.len(), 1, "{cases:?}");
    let id = cases[0]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("KL-") && id.len() >= 12, "{id}");
    assert!(wait_until(Duration::from_secs(10), || acks(&customer)
        .len()
        == 1));
    let ack = &acks(&customer)[0];
    let (subject, body) = subject_and_text(ack);
    assert!(subject.contains(&format!("[{id}]")), "{subject}");
    assert!(body.contains(&id), "{body}");
    assert!(
        body.contains("nooit verschenen"),
        "summary in the body: {body}"
    );
    assert_eq!(
        header(ack, "In-Reply-To").as_deref(),
        Some(format!("<{mid}>").as_str())
    );
    assert_eq!(
        header(ack, "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert_eq!(
        header(ack, "Reply-To").as_deref(),
        Some(inst.complaints.as_str())
    );
    // The complaint left the inbox for the processed folder.
    assert!(fetch_all(&inst.complaints, "Verwerkt")
        .iter()
        .any(|m| header(m, "Message-ID").as_deref() == Some(format!("<{mid}>").as_str())));

    // The customer's reply lands on the same case: no new case, no second acknowledgement.
    let ack_id = header(ack, "Message-ID").unwrap();
    let reply = format!(
        "From: {customer}\r\nTo: {}\r\nSubject: Re: {subject}\r\nMessage-ID: <r1-{}@voorbeeld.test>\r\nIn-Reply-To: {ack_id}\r\nReferences: <{mid}> {ack_id}\r\n\r\nHet is nog steeds niet opgelost.\r\n",
        inst.complaints, inst.tag
    );
    smtp_send(&customer, &[&inst.complaints], &reply);
    std::thread::sleep(Duration::from_millis(500));
    inst.once();
    let cases = inst.cases();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["messages_in"], 2);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acks(&customer).len(), 1, "no second acknowledgement");
    assert_eq!(cases[0]["state"], "bevestigd");
    let show = inst.klachtd(&["cases", "show", &id]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("letter_sent") && text.contains("message_in"),
        "{text}"
    );
}

#[test]
fn same_message_twice_gives_one_case_and_one_acknowledgement() {
    let inst = Instance::new("dup");
    let customer = inst.customer(1);
    let raw = complaint(
        &customer,
        &inst.complaints,
        &format!("dup-{}@voorbeeld.test", inst.tag),
        "Klacht",
        "De factuur klopt niet en niemand reageert.",
    );
    smtp_send(&customer, &[&inst.complaints], &raw);
    smtp_send(&customer, &[&inst.complaints], &raw);
    inst.once_after(2);
    // Delivered again after processing: still one case.
    smtp_send(&customer, &[&inst.complaints], &raw);
    std::thread::sleep(Duration::from_millis(500));
    inst.once();
    assert_eq!(inst.cases().len(), 1);
    assert!(wait_until(Duration::from_secs(5), || acks(&customer).len() == 1));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acks(&customer).len(), 1);
}

#[test]
fn automatic_mail_opens_no_case_and_gets_no_reply() {
    let inst = Instance::new("auto");
    let c = &inst.complaints;
    let auto_reply = format!("From: afwezig-{0}@voorbeeld.test\r\nTo: {c}\r\nSubject: Automatisch antwoord: uw bericht\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <a1-{0}@voorbeeld.test>\r\n\r\nIk ben afwezig tot maandag.\r\n", inst.tag);
    let bounce = format!("From: Mail Delivery System <postmaster-{0}@voorbeeld.test>\r\nTo: {c}\r\nSubject: Undelivered Mail\r\nMessage-ID: <b1-{0}@voorbeeld.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n--BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.voorbeeld.test\r\n\r\nFinal-Recipient: rfc822; x@voorbeeld.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--BB--\r\n", inst.tag);
    let daemon = format!("From: MAILER-DAEMON@voorbeeld.test\r\nTo: {c}\r\nSubject: Returned mail: see transcript\r\nMessage-ID: <m1-{0}@voorbeeld.test>\r\n\r\nThe original message was received but could not be delivered. De klacht is niet bezorgd.\r\n", inst.tag);
    for (from, raw) in [
        (format!("afwezig-{}@voorbeeld.test", inst.tag), auto_reply),
        (String::new(), bounce),
        (String::new(), daemon),
    ] {
        smtp_send(&from, &[c], &raw);
    }
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        c, "INBOX"
    )
    .len()
        == 3));
    let out = inst.once();
    assert!(out.contains("recorded 3"), "{out}");
    assert!(inst.cases().is_empty());
    std::thread::sleep(Duration::from_millis(800));
    assert!(fetch_all(&format!("afwezig-{}@voorbeeld.test", inst.tag), "INBOX").is_empty());
    assert!(fetch_all(&format!("postmaster-{}@voorbeeld.test", inst.tag), "INBOX").is_empty());
    // Recorded: each is in the journal as processed, and moved off the inbox.
    let store = klachtd::store::Store::open(&inst.store_path()).unwrap();
    let recorded = store
        .scan::<klachtd::intake::journal::Entry>(klachtd::store::Tree::Journal, b"")
        .unwrap()
        .into_iter()
        .filter(|e| matches!(&e.status, klachtd::intake::journal::Status::Processed { outcome, .. } if outcome == "recorded"))
        .count();
    assert_eq!(recorded, 3);
}

#[test]
fn idle_run_acknowledges_within_two_seconds_and_stops_cleanly() {
    let inst = Instance::new("idle");
    let mut child = inst.spawn_run();
    // Wait until the daemon is connected (it creates the processed folder).
    assert!(wait_until(Duration::from_secs(15), || {
        std::fs::read_to_string(inst.dir.path().join("run.log"))
            .unwrap_or_default()
            .contains("IMAP connected")
    }));
    std::thread::sleep(Duration::from_millis(300));
    let customer = inst.customer(1);
    let start = Instant::now();
    inst.send_complaint(
        &customer,
        "idle",
        "Te lang gewacht",
        "Ik wacht al vier weken op antwoord op mijn vraag. Dit is onacceptabel.",
    );
    let arrived = wait_until(Duration::from_secs(10), || acks(&customer).len() == 1);
    let took = start.elapsed();
    kill(&mut child, "TERM");
    let status = child.wait().unwrap();
    let log = std::fs::read_to_string(inst.dir.path().join("run.log")).unwrap_or_default();
    assert!(arrived, "no acknowledgement; log:\n{log}");
    assert!(
        took < Duration::from_secs(2),
        "acknowledgement took {took:?}"
    );
    assert!(
        status.success(),
        "SIGTERM must drain and exit 0: {status:?}\n{log}"
    );
    assert!(
        !log.contains(&crate::harness::stack().password),
        "password in the log"
    );
}

#[test]
fn unprocessable_message_becomes_a_dead_letter_and_others_go_on() {
    let inst = Instance::with(
        "dead",
        Options {
            extra: "[limits]\nmax_message_bytes = 20000\n".into(),
            ..Options::default()
        },
    );
    let customer = inst.customer(1);
    let big = "x".repeat(30_000);
    inst.send_complaint(&customer, "big", "Groot", &big);
    inst.send_complaint(&customer, "ok", "Klacht", "De levering was beschadigd.");
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .len()
        == 2));
    let out = inst.once();
    assert!(out.contains("dead letters 1"), "{out}");
    assert_eq!(inst.cases().len(), 1);
    let list = inst.klachtd(&["failed", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("max_message_bytes"), "{text}");
}

#[test]
fn tls_with_the_generated_ca_works_and_a_wrong_ca_fails_clearly() {
    let s = crate::harness::stack();
    let with_tls = |name: &str, tls: &'static str, ca: &std::path::Path| {
        Instance::with(
            name,
            Options {
                tls,
                ca: Some(ca.to_path_buf()),
                ..Options::default()
            },
        )
    };
    with_tls("tls", "tls", &s.ca).once();
    with_tls("starttls", "starttls", &s.ca).once();
    let bad = with_tls("badca", "tls", &s.other_ca);
    let out = bad.klachtd(&["once"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("localhost") && err.contains(&s.imaps_port.to_string()),
        "{err}"
    );
    assert!(
        err.contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );
}

#[test]
fn compliments_questions_and_ideas_are_answered_and_passed_on_without_a_case() {
    let tag = unique("named");
    let ruud = format!("ruud-{tag}@org.example.test");
    let inst = Instance::with(
        "labels",
        Options {
            extra: format!("[staff.directory]\n\"Ruud Kramer\" = \"{ruud}\"\n"),
            ..Options::default()
        },
    );
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let (praise, question, named) = (inst.customer(1), inst.customer(2), inst.customer(3));
    inst.send_complaint(&praise, "p", "Compliment voor de monteur", "Ik wil graag een compliment geven aan de monteur van vanochtend. Hij was precies op tijd en heel vriendelijk. Top!");
    inst.send_complaint(
        &question,
        "q",
        "Openingstijden",
        "Wat zijn uw openingstijden op zaterdag?",
    );
    inst.send_complaint(&named, "n", "Dank aan Ruud", "Graag wil ik mijn waardering uitspreken voor Ruud Kramer, hij heeft mij enorm goed geholpen. Hartelijk dank!");
    inst.once_after(3);
    assert!(
        inst.cases().is_empty(),
        "no case for a compliment or a question"
    );
    assert!(wait_until(Duration::from_secs(10), || {
        fetch_all(&praise, "INBOX").len() == 1
            && fetch_all(&question, "INBOX").len() == 1
            && fetch_all(&coordinator, "INBOX").len() == 2
            && fetch_all(&ruud, "INBOX").len() == 1
    }));
    let (s, _) = subject_and_text(&fetch_all(&praise, "INBOX")[0]);
    assert!(s.starts_with("Dank voor uw bericht"), "{s}");
    let (s, _) = subject_and_text(&fetch_all(&question, "INBOX")[0]);
    assert!(s.starts_with("Wij hebben uw bericht ontvangen"), "{s}");
    let forwards = fetch_all(&coordinator, "INBOX");
    let subjects: Vec<String> = forwards.iter().map(|m| subject_and_text(m).0).collect();
    assert!(
        subjects.iter().any(|s| s.starts_with("[compliment]")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.starts_with("[vraag]")),
        "{subjects:?}"
    );
    let q = forwards
        .iter()
        .find(|m| subject_and_text(m).0.starts_with("[vraag]"))
        .unwrap();
    assert_eq!(
        header(q, "Reply-To").as_deref(),
        Some(question.as_str()),
        "staff answer the sender directly"
    );
    assert!(subject_and_text(q).1.contains("openingstijden op zaterdag"));
    let (s, body) = subject_and_text(&fetch_all(&ruud, "INBOX")[0]);
    assert!(
        s.starts_with("[compliment]") && body.contains("Ruud Kramer"),
        "{s}"
    );

    // The verdict is stored with the message.
    let store = klachtd::store::Store::open(&inst.store_path()).unwrap();
    let labels: Vec<String> = store
        .scan::<klachtd::intake::journal::Entry>(klachtd::store::Tree::Journal, b"")
        .unwrap()
        .into_iter()
        .filter_map(|e| e.verdict.map(|v| v.label))
        .collect();
    assert_eq!(
        labels.iter().filter(|l| *l == "compliment").count(),
        2,
        "{labels:?}"
    );
    assert_eq!(
        labels.iter().filter(|l| *l == "vraag").count(),
        1,
        "{labels:?}"
    );
}

#[test]
fn customer_replies_of_every_client_shape_land_on_their_case() {
    let inst = Instance::new("shapes");
    let customer = inst.customer(1);
    let mid = inst.send_complaint(&customer, "orig", "Verkeerde meterstand op de jaarafrekening", "Op mijn jaarafrekening staat een verkeerde meterstand. Daardoor moet ik 400 euro bijbetalen. Dit klopt niet.");
    inst.once_after(1);
    let ack = {
        assert!(wait_until(Duration::from_secs(10), || acks(&customer)
            .len()
            == 1));
        acks(&customer).remove(0)
    };
    let ack_id = header(&ack, "Message-ID").unwrap();
    let (ack_subject, _) = subject_and_text(&ack);
    let c = &inst.complaints;
    let t = &inst.tag;
    let shapes = [
        // Outlook: no In-Reply-To/References, Antw: prefix, Van:/Verzonden: block.
        format!("From: {customer}\r\nTo: {c}\r\nSubject: Antw: {ack_subject}\r\nMessage-ID: <outlook-{t}@voorbeeld.test>\r\n\r\nIk heb nog steeds geen reactie.\r\n\r\nVan: Klachtenservice <{c}>\r\nVerzonden: maandag 20 april 2026 10:00\r\nAan: {customer}\r\nOnderwerp: {ack_subject}\r\n\r\nBeste klant,\r\n"),
        // Gmail: In-Reply-To and References, "Op … schreef …:".
        format!("From: {customer}\r\nTo: {c}\r\nSubject: Re: {ack_subject}\r\nMessage-ID: <gmail-{t}@voorbeeld.test>\r\nIn-Reply-To: {ack_id}\r\nReferences: <{mid}> {ack_id}\r\n\r\nGraag snel antwoord.\r\n\r\nOp ma 20 apr 2026 om 10:00 schreef Klachtenservice <{c}>:\r\n> Beste klant,\r\n"),
        // Apple Mail: References only, "… het volgende geschreven:".
        format!("From: {customer}\r\nTo: {c}\r\nSubject: Re: {ack_subject}\r\nMessage-ID: <apple-{t}@voorbeeld.test>\r\nReferences: {ack_id}\r\n\r\nZie bijlage.\r\n\r\n> Op 20 apr. 2026 om 10:00 heeft Klachtenservice <{c}> het volgende geschreven:\r\n"),
        // Thunderbird: In-Reply-To, "Op … schreef …:".
        format!("From: {customer}\r\nTo: {c}\r\nSubject: Re: {ack_subject}\r\nMessage-ID: <tb-{t}@voorbeeld.test>\r\nIn-Reply-To: {ack_id}\r\n\r\nNog een aanvulling.\r\n\r\nOp 20-04-2026 om 10:00 schreef Klachtenservice:\r\n> Beste klant,\r\n"),
        // A client that dropped the threading headers and truncated the subject (tag and all).
        format!("From: {customer}\r\nTo: {c}\r\nSubject: WG: {}\r\nMessage-ID: <trunc-{t}@voorbeeld.test>\r\n\r\nNogmaals: wanneer hoor ik iets?\r\n", &ack_subject[..24]),
    ];
    for raw in &shapes {
        smtp_send(&customer, &[c], raw);
    }
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        c, "INBOX"
    )
    .len()
        >= shapes.len()));
    inst.once();
    let cases = inst.cases();
    assert_eq!(cases.len(), 1, "every reply threads: {cases:?}");
    assert_eq!(cases[0]["messages_in"], 1 + shapes.len() as u64);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acks(&customer).len(), 1);
}

#[test]
fn an_attachment_over_the_limit_is_refused_the_mail_kept_and_the_complainant_told() {
    let inst = Instance::with(
        "attach",
        Options {
            extra: "[limits]\nmax_attachment_bytes = 1000000\n".into(),
            ..Options::default()
        },
    );
    let customer = inst.customer(1);
    let big: String = {
        use std::fmt::Write;
        let bytes: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
        // Base64 by hand (no extra test dependency), wrapped at 76 columns.
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        let mut line = 0;
        for chunk in bytes.chunks(3) {
            let n = (chunk[0] as u32) << 16
                | (*chunk.get(1).unwrap_or(&0) as u32) << 8
                | *chunk.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
            line += 4;
            if line >= 76 {
                let _ = write!(out, "\r\n");
                line = 0;
            }
        }
        out
    };
    let raw = format!(
        "From: {customer}\r\nTo: {c}\r\nSubject: Schade aan de gevel\r\nMessage-ID: <att-{t}@voorbeeld.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBij het plaatsen van de steiger is de gevel beschadigd. Zie de video.\r\n--XX\r\nContent-Type: video/mp4\r\nContent-Disposition: attachment; filename=\"gevel.mp4\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{big}\r\n--XX--\r\n",
        c = inst.complaints,
        t = inst.tag
    );
    smtp_send(&customer, &[&inst.complaints], &raw);
    inst.once_after(1);
    let cases = inst.cases();
    assert_eq!(cases.len(), 1, "the mail is kept and opens its case");
    assert!(wait_until(Duration::from_secs(10), || acks(&customer)
        .len()
        == 1));
    let (_, body) = subject_and_text(&acks(&customer)[0]);
    assert!(
        body.contains("gevel.mp4") && body.contains("niet bij uw klacht opgenomen"),
        "{body}"
    );
    let show = inst.klachtd(&["cases", "show", cases[0]["id"].as_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    let msg = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "message_in")
        .unwrap();
    assert_eq!(msg["attachments"][0]["name"], "gevel.mp4");
    assert_eq!(msg["attachments"][0]["kept"], false);
}

#[test]
fn a_subject_with_line_breaks_and_template_syntax_arrives_harmless() {
    let inst = Instance::new("inject");
    let customer = inst.customer(1);
    // An encoded-word subject that decodes to CR/LF + a header, and template syntax.
    let raw = format!(
        "From: {customer}\r\nTo: {c}\r\nSubject: =?UTF-8?B?{subj}?=\r\nMessage-ID: <inj-{t}@voorbeeld.test>\r\n\r\nDe monteur is niet gekomen. {{{{ org.name }}}} {{% for x in range(3) %}}x{{% endfor %}}\r\n",
        c = inst.complaints,
        t = inst.tag,
        subj = "S2xhY2h0IHt7IG9yZy5uYW1lIH19DQpCY2M6IGV2aWxAdm9vcmJlZWxkLnRlc3QNCg0KSW5nZXNwb3Rlbg==",
    );
    smtp_send(&customer, &[&inst.complaints], &raw);
    inst.once_after(1);
    assert!(wait_until(Duration::from_secs(10), || acks(&customer)
        .len()
        == 1));
    let ack = &acks(&customer)[0];
    let head_end = ack.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&ack[..head_end]);
    assert!(
        !head.to_ascii_lowercase().contains("\nbcc:"),
        "no injected header: {head}"
    );
    let (_, body) = subject_and_text(ack);
    // The customer's subject is quoted on one line, template syntax literal.
    assert!(
        body.contains("(Onderwerp: Klacht {{ org.name }} Bcc: evil@voorbeeld.test Ingespoten)"),
        "{body}"
    );
    assert!(body.contains("{% for x in range(3) %}"), "{body}");
    assert!(!body.contains("Testorganisatie {"), "not rendered: {body}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(fetch_all("evil@voorbeeld.test", "INBOX").is_empty());
}

#[test]
fn sighup_with_a_broken_template_keeps_the_running_set() {
    let inst = Instance::new("hup");
    // A private copy of the templates the admin edits.
    let tpl = inst.dir.path().join("tpl");
    for lang in ["nl", "en"] {
        std::fs::create_dir_all(tpl.join(lang)).unwrap();
        for f in std::fs::read_dir(root().join("templates").join(lang)).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, tpl.join(lang).join(f.file_name().unwrap())).unwrap();
        }
    }
    let cfg = std::fs::read_to_string(&inst.config).unwrap();
    let cfg = cfg.replace(
        &format!("dir = \"{}\"", root().join("templates").display()),
        &format!("dir = \"{}\"", tpl.display()),
    );
    std::fs::write(&inst.config, cfg).unwrap();
    let mut child = inst.spawn_run();
    assert!(wait_until(Duration::from_secs(15), || {
        std::fs::read_to_string(inst.dir.path().join("run.log"))
            .unwrap_or_default()
            .contains("IMAP connected")
    }));
    // Friday, 5 pm: a typo in the acknowledgement.
    let ack = tpl.join("nl/ontvangstbevestiging.txt.j2");
    let text = std::fs::read_to_string(&ack)
        .unwrap()
        .replace("{{ case.id }}", "{{ case.nummer }}");
    std::fs::write(&ack, text).unwrap();
    kill(&mut child, "HUP");
    assert!(wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(inst.dir.path().join("run.log"))
            .unwrap_or_default()
            .contains("reload refused")
    }));
    let customer = inst.customer(1);
    inst.send_complaint(&customer, "hup", "Klacht", "De monteur is niet gekomen.");
    let arrived = wait_until(Duration::from_secs(10), || acks(&customer).len() == 1);
    kill(&mut child, "TERM");
    let _ = child.wait();
    let log = std::fs::read_to_string(inst.dir.path().join("run.log")).unwrap_or_default();
    assert!(log.contains("case.nummer"), "the log says why: {log}");
    assert!(arrived, "the running templates keep working");
    let (subject, _) = subject_and_text(&acks(&customer)[0]);
    assert!(subject.contains("[KL-"), "{subject}");
}

#[test]
fn a_bounce_of_our_letter_marks_the_contact_undeliverable_and_tells_the_coordinator() {
    let inst = Instance::new("dsn");
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let customer = inst.customer(1);
    inst.send_complaint(&customer, "b", "Klacht", "De monteur is niet gekomen.");
    inst.once_after(1);
    assert!(wait_until(Duration::from_secs(10), || acks(&customer)
        .len()
        == 1));
    let ack_id = header(&acks(&customer)[0], "Message-ID").unwrap();
    // A remote MTA's delivery status notification quoting our headers.
    let dsn = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.voorbeeld.test>\r\nTo: {c}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-{t}@mx.voorbeeld.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nThe mailbox is full.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.voorbeeld.test\r\n\r\nFinal-Recipient: rfc822; {customer}\r\nAction: failed\r\nStatus: 5.2.2\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Klachtenservice <{c}>\r\nTo: {customer}\r\nMessage-ID: {ack_id}\r\nSubject: Ontvangstbevestiging\r\n--R--\r\n",
        c = inst.complaints,
        t = inst.tag
    );
    smtp_send("", &[&inst.complaints], &dsn);
    inst.once_after(1);
    let cases = inst.cases();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["undeliverable"], true);
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &coordinator,
        "INBOX"
    )
    .iter()
    .any(|m| subject_and_text(m).0.contains("Onbestelbaar"))));
    // Never answered.
    std::thread::sleep(Duration::from_millis(300));
    assert!(fetch_all("mailer-daemon@mx.voorbeeld.test", "INBOX").is_empty());
}

#[test]
fn glaspunt_asks_for_the_data_a_complaint_must_contain() {
    let quality = format!("kwaliteit-{}@org.example.test", unique("q"));
    let inst = Instance::with(
        "missing",
        Options {
            staff_extra: format!("roles = {{ kwaliteitsmanager = \"{quality}\" }}"),
            extra: "[policy]\npreset = \"glaspunt\"\n".into(),
            ..Options::default()
        },
    );
    let (bare, complete) = (inst.customer(1), inst.customer(2));
    inst.send_complaint(&bare, "m1", "Ruit lekt", "De nieuwe ruit lekt bij regen.");
    let full = complaint(
        &complete,
        &inst.complaints,
        &format!("m2-{}@voorbeeld.test", inst.tag),
        "Ruit lekt",
        "De nieuwe ruit lekt bij regen.\n\nJan Smit\nKerkstraat 18, 6711 AB Ede\n06 12345678",
    )
    .replace("From: Klant <", "From: Jan Smit <");
    smtp_send(&complete, &[&inst.complaints], &full);
    inst.once_after(2);
    assert!(wait_until(Duration::from_secs(10), || acks(&bare).len()
        == 2
        && acks(&complete).len() == 1));
    let ask = acks(&bare)
        .into_iter()
        .find(|m| subject_and_text(m).0.contains("missen nog gegevens"))
        .expect("asked for the missing data");
    let (_, body) = subject_and_text(&ask);
    assert!(
        body.contains("uw adres") && body.contains("uw telefoonnummer"),
        "{body}"
    );
    // The ack of Glaspunt promises a judgement within 1 week.
    let ack = acks(&complete).remove(0);
    assert!(
        subject_and_text(&ack).1.contains("1 week na ontvangst"),
        "{}",
        subject_and_text(&ack).1
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(acks(&complete).len(), 1);
    // The quality manager is told of every new complaint.
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &quality, "INBOX"
    )
    .len()
        == 2));
    assert!(subject_and_text(&fetch_all(&quality, "INBOX")[0])
        .0
        .contains("Ter informatie"));
}

#[test]
fn an_english_complaint_is_answered_in_english() {
    let inst = Instance::new("english");
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "en",
        "Wrong invoice",
        "My invoice is wrong again and nobody answers my e-mails. This is unacceptable.",
    );
    inst.once_after(1);
    assert_eq!(inst.cases()[0]["language"], "en");
    assert!(wait_until(Duration::from_secs(10), || acks(&customer)
        .len()
        == 1));
    let (subject, body) = subject_and_text(&acks(&customer)[0]);
    assert!(
        subject.starts_with("We have received your complaint"),
        "{subject}"
    );
    assert!(body.contains("How we will handle it"), "{body}");
}

#[test]
fn export_then_import_reproduces_the_store() {
    let inst = Instance::new("export");
    let customer = inst.customer(1);
    inst.send_complaint(&customer, "e1", "Klacht", "De monteur is niet gekomen.");
    inst.send_complaint(
        &inst.customer(2),
        "e2",
        "Vraag",
        "Wat zijn uw openingstijden?",
    );
    inst.once_after(2);
    let export = inst.dir.path().join("export.jsonl");
    let out = inst.klachtd(&["export", "--output", export.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&export).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A second config on a new store directory.
    let cfg2 = inst.dir.path().join("klachtd2.toml");
    std::fs::write(
        &cfg2,
        std::fs::read_to_string(&inst.config)
            .unwrap()
            .replace("path = \"store\"", "path = \"store2\""),
    )
    .unwrap();
    let run2 = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_klachtd"))
            .arg("--config")
            .arg(&cfg2)
            .args(args)
            .output()
            .unwrap()
    };
    let imported = run2(&["import", export.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    for args in [
        vec!["cases", "list", "--json"],
        vec!["cases", "show", &id, "--json"],
        vec!["failed", "list", "--json"],
    ] {
        assert_eq!(inst.klachtd(&args).stdout, run2(&args).stdout, "{args:?}");
    }
    // And through a report (without the moment it was made).
    let report = |out: std::process::Output| report_json(&out);
    let args = [
        "report",
        "--from",
        "2020-01-01",
        "--to",
        "2035-12-31",
        "--format",
        "json",
    ];
    let before = report(inst.klachtd(&args));
    assert_eq!(before["cases"], 1);
    assert_eq!(before, report(run2(&args)));
    // Importing twice is refused: the store is no longer empty.
    assert!(!run2(&["import", export.to_str().unwrap()]).status.success());
}

#[test]
fn a_letter_refused_by_the_mail_server_alerts_the_coordinator() {
    let inst = Instance::new("refused");
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    // A domain the test mail server will not deliver to: a permanent 5xx.
    let customer = format!("klant-{}@buiten.invalid", inst.tag);
    inst.send_complaint(&customer, "rf", "Klacht", "De monteur is niet gekomen.");
    inst.once_after(1);
    inst.once();
    let cases = inst.cases();
    assert_eq!(cases[0]["undeliverable"], true, "{}", cases[0]);
    assert!(wait_until(Duration::from_secs(10), || fetch_all(
        &coordinator,
        "INBOX"
    )
    .iter()
    .any(|m| subject_and_text(m).0.contains("Onbestelbaar"))));
}
