//! Recognising automatic mail (RFC 3834): auto-replies, bounces, feedback
//! reports, lists and bulk mail. Such mail is recorded but never answered and
//! never opens a case, so klachtd cannot take part in a mail loop.

use crate::intake::inbound::Inbound;
use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

/// Why a message counts as automatic, or `None` for mail written by a person.
pub fn detect(m: &Inbound) -> Option<String> {
    if let Some(v) = m.header("auto-submitted") {
        let v = v.trim().to_ascii_lowercase();
        if !v.starts_with("no") {
            return Some(format!("Auto-Submitted: {v}"));
        }
    }
    let ct = m.content_type.as_str();
    if ct.starts_with("multipart/report") {
        return Some(format!("report message ({ct})"));
    }
    if ct.starts_with("message/delivery-status") || ct.starts_with("message/feedback-report") {
        return Some(format!("report message ({ct})"));
    }
    if m.header("feedback-type").is_some() {
        return Some("feedback report (Feedback-Type)".into());
    }
    if m.header("x-failed-recipients").is_some() {
        return Some("bounce (X-Failed-Recipients)".into());
    }
    if let Some(p) = m.header("precedence") {
        let p = p.trim().to_ascii_lowercase();
        if ["bulk", "junk", "list", "auto_reply"].contains(&p.as_str()) {
            return Some(format!("Precedence: {p}"));
        }
    }
    if let Some((name, _)) = m
        .headers
        .iter()
        .find(|(n, _)| n.starts_with("list-") || n.starts_with("x-ml"))
    {
        return Some(format!("mailing list or newsletter ({name})"));
    }
    for h in ["x-autoreply", "x-autorespond"] {
        if m.header(h).is_some() {
            return Some(format!("{h} header"));
        }
    }
    if let Some(v) = m.header("x-auto-response-suppress") {
        let v = v.to_ascii_lowercase();
        if v.contains("all") || v.contains("oof") || v.contains("autoreply") {
            return Some(format!("X-Auto-Response-Suppress: {v}"));
        }
    }
    if m.header("x-klachtd").is_some() {
        return Some("sent by a klachtd".into());
    }
    if m.return_path.as_deref() == Some("") {
        return Some("null envelope sender (Return-Path: <>)".into());
    }
    // No usable sender is no sign of a machine: a person's message
    // without one goes to the coordinator.
    if let Some(from) = m.from.as_deref().filter(|f| is_automatic_sender(f)) {
        return Some(format!("automatic sender ({from})"));
    }
    if let Some(reason) = out_of_office_text(&m.subject, &m.text) {
        return Some(reason);
    }
    None
}

/// Role addresses of mail systems and list software: MAILER-DAEMON,
/// postmaster (also `post_master`), no-reply, and list management addresses
/// (`owner-…`, `…-request`, `…-bounces`, `…-admin`).
fn is_automatic_sender(from: &str) -> bool {
    let local = from.split('@').next().unwrap_or("");
    let local = local.split('+').next().unwrap_or(local);
    let squashed: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    const ROLES: &[&str] = &[
        "mailerdaemon",
        "postmaster",
        "noreply",
        "donotreply",
        "bounce",
        "bounces",
        "mailman",
        "majordomo",
        "listserv",
    ];
    ROLES.contains(&squashed.as_str())
        || local.starts_with("owner-")
        || local.starts_with("bounce-")
        || ["-owner", "-request", "-bounces", "-admin"]
            .iter()
            .any(|s| local.ends_with(s))
}

/// Out-of-office replies that carry none of the headers: known subject
/// openings and the opening lines of the body.
fn out_of_office_text(subject: &str, text: &str) -> Option<String> {
    const SUBJECTS: &[&str] = &[
        "automatisch antwoord",
        "automatic reply",
        "autoreply",
        "auto-reply",
        "auto reply",
        "out of office",
        "out-of-office",
        "afwezigheidsmelding",
        "afwezigheidsbericht",
        "afwezig:",
        "niet aanwezig",
        "abwesenheitsnotiz",
        "automatische antwort",
        "undeliverable:",
        "onbestelbaar:",
        "delivery status notification",
        "mail delivery failed",
        "returned mail:",
    ];
    const OPENINGS: &[&str] = &[
        "ik ben afwezig",
        "ik ben niet aanwezig",
        "ik ben momenteel afwezig",
        "ik ben tot en met",
        "i am out of the office",
        "i am currently out of the office",
        "i'm out of the office",
        "i am away until",
        "dit is een automatisch antwoord",
        "dit is een automatisch gegenereerd",
        "this is an automatic reply",
        "this is an automatically generated",
        "bedankt voor uw e-mail. ik ben",
        "thank you for your email. i am out",
    ];
    static SUBJECT: LazyLock<AhoCorasick> = LazyLock::new(|| phrases(SUBJECTS));
    static OPENING: LazyLock<AhoCorasick> = LazyLock::new(|| phrases(OPENINGS));
    if let Some(p) = first_phrase(&SUBJECT, subject) {
        return Some(format!(
            "automatic reply (subject contains '{}')",
            SUBJECTS[p]
        ));
    }
    let head = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    first_phrase(&OPENING, &head)
        .map(|p| format!("automatic reply (text begins '{}')", OPENINGS[p]))
}

/// One automaton for a list of lower-case ASCII phrases, matched in any case.
fn phrases(list: &[&str]) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(list)
        .expect("a few short phrases always build")
}

/// The first phrase of the list (not of the text) that occurs in `text`.
fn first_phrase(phrases: &AhoCorasick, text: &str) -> Option<usize> {
    phrases
        .find_overlapping_iter(text)
        .map(|m| m.pattern().as_usize())
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(headers: &str, body: &str) -> Inbound {
        let raw = format!("From: jan@voorbeeld.nl\r\nTo: klachten@org.nl\r\nSubject: Klacht\r\n{headers}\r\n{body}");
        Inbound::parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn headers_mark_automatic_mail() {
        assert!(detect(&msg("Auto-Submitted: auto-replied\r\n", "x")).is_some());
        assert!(detect(&msg("Auto-Submitted: no\r\n", "x")).is_none());
        assert!(detect(&msg("Precedence: bulk\r\n", "x")).is_some());
        assert!(detect(&msg("List-Id: <x.lists.nl>\r\n", "x")).is_some());
        assert!(detect(&msg("Return-Path: <>\r\n", "x")).is_some());
        assert!(detect(&msg(
            "Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n",
            "--x--"
        ))
        .is_some());
        assert!(detect(&msg("", "Ik ben afwezig tot 3 mei.")).is_some());
        assert!(detect(&msg("", "De monteur is niet gekomen.")).is_none());
    }

    #[test]
    fn daemon_senders_are_automatic() {
        let m = Inbound::parse(b"From: MAILER-DAEMON@mail.example.test\r\nSubject: x\r\n\r\nbody")
            .unwrap();
        assert!(detect(&m).is_some());
    }
}
