//! Doubt through the real mail stack (issue 13): with `[classifier] doubt =
//! "ask"`, a message that may or may not be a complaint is acknowledged as
//! one, with its term, and the coordinator is asked; `#geen-klacht` withdraws
//! the case and tells the sender; the correction is kept and scored by
//! `klachtd eval --corrections`.

use crate::harness::*;

#[test]
fn a_doubtful_message_is_acknowledged_with_its_term_and_the_coordinator_decides() {
    let inst = Instance::with(
        "triage",
        Options {
            extra: "[classifier]\ndoubt = \"ask\"\n".into(),
            ..Options::default()
        },
    );
    let customer = inst.customer(1);
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let raw = complaint(
        &customer,
        &inst.complaints,
        &format!("d1-{}@voorbeeld.test", inst.tag),
        "Monteur",
        "Beste,\n\nWanneer komt de monteur? Ik vind het jammer dat het zo lang duurt.\n\nGroet,\nAnna de Vries",
    );
    smtp_send(&customer, &[&inst.complaints], &raw);
    inst.once_after(1);

    // The complainant: an acknowledgement as a complaint, with the term.
    let ack = newest(&customer, "");
    let (subject, text) = subject_and_text(&ack);
    assert!(subject.contains("KL-"), "{subject}");
    assert!(text.contains("klacht"), "{text}");
    assert!(
        text.contains("uiterlijk") || text.contains("binnen"),
        "the term is named: {text}"
    );
    // The coordinator: a triage notice with the commands.
    let notice = newest(&coordinator, "toegewezen");
    let (_, notice_text) = subject_and_text(&notice);
    assert!(notice_text.contains("TWIJFELGEVAL"), "{notice_text}");
    assert!(notice_text.contains("#geen-klacht"), "{notice_text}");

    // The coordinator answers from a mail client: not a complaint.
    let to = header(&notice, "Reply-To").unwrap();
    let to = to.rsplit('<').next().unwrap().trim_end_matches('>');
    let mid = header(&notice, "Message-ID").unwrap();
    let answer = format!(
        "From: {coordinator}\r\nTo: {to}\r\nSubject: Re: toegewezen\r\nMessage-ID: <t1-{}@org.example.test>\r\nIn-Reply-To: {mid}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n#geen-klacht\r\n\r\nGroet,\r\nPiet\r\n\r\n> {}\r\n",
        inst.tag,
        notice_text.lines().next().unwrap_or("")
    );
    smtp_send(&coordinator, &[to], &answer);
    inst.once_after(1);

    let letter = newest(&customer, "Geen klacht");
    let (_, letter_text) = subject_and_text(&letter);
    assert!(
        letter_text.contains("niet om een klacht") && letter_text.contains("antwoord"),
        "the sender is told, and how to insist: {letter_text}"
    );
    let case = &inst.cases()[0];
    assert_eq!(case["state"], "gesloten", "{case}");
    assert_eq!(case["relabelled"], "overig", "{case}");
    // `cases show` of the withdrawn case: local minutes, no live timers.
    let id = case["id"].as_str().unwrap().to_string();
    let shown = String::from_utf8_lossy(&inst.klachtd(&["cases", "show", &id]).stdout).to_string();
    assert!(!shown.contains("timer:"), "{shown}");
    assert!(
        !shown.contains("+00:00") && !shown.contains("Z "),
        "{shown}"
    );
    let result = newest(&coordinator, "Uitgevoerd");
    assert!(subject_and_text(&result).1.contains("#geen-klacht"));

    // The correction is an example the rules are scored on.
    let out = inst.klachtd(&["eval", "--corrections"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("1 corrections by staff"), "{stdout}");
    assert!(stdout.contains("1 examples"), "{stdout}");
}
