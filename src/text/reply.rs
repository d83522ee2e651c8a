//! What the sender of a mail wrote themselves. A body is read line by
//! line into parts: their own text, quoted lines (`> `), the attribution
//! line above a quote ("Op … schreef:", "On … wrote:"), quoted history
//! that runs to the end (Outlook's "Van:/Verzonden:" and "From:/Sent:"
//! blocks, "-----Oorspronkelijk bericht-----"), a forward's header block,
//! the signature after `-- ` and mobile footers, and disclaimers.
//! Bottom-posted and inline replies keep the text below a quote; a
//! forwarded message keeps its forwarded text (it is the complaint).
//!
//! From those parts: [`new_text`] (what a message says, up to the
//! sign-off: for classification and summaries), [`relay_text`] (what a
//! handler wrote, greeting and sign-off included: relayed to the
//! complainant), [`own_text`] (the sender's words with their signature
//! block: for a handler's notice) and [`command_lines`] (`#` lines
//! anywhere outside quotes).

/// Whether a line is a staff command line (`#` first, then a letter).
pub fn is_command_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') && t[1..].chars().next().is_some_and(|c| c.is_alphabetic())
}

/// What a line of a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The sender's own text.
    Own,
    /// A quoted line (`> `).
    Quote,
    /// The attribution line(s) above a quote.
    Attribution,
    /// Quoted history that runs to the end (top-posting).
    History,
    /// The header block of a forwarded message.
    ForwardHeader,
    /// The signature after `-- `, or a mobile footer.
    Signature,
    /// A disclaimer (runs to the end).
    Disclaimer,
}

/// One line of a body, with its part and whether a sign-off came before it.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    text: &'a str,
    part: Part,
    after_signoff: bool,
}

/// Whether `text` starts with `prefix` (written in lower case), ignoring
/// case: every line of a body is tested against a few dozen openings, so
/// without a lower-case copy of the line.
fn starts_lower(text: &str, prefix: &str) -> bool {
    let head = text.as_bytes().get(..prefix.len());
    if let Some(head) = head.filter(|h| h.is_ascii()) {
        // An ASCII start lowers byte by byte (nearly every line).
        return head.eq_ignore_ascii_case(prefix.as_bytes());
    }
    let mut lower = text.chars().flat_map(char::to_lowercase);
    prefix.chars().all(|p| lower.next() == Some(p))
}

/// Whether `text` starts with one of `prefixes`, ignoring case.
fn starts_lower_any(text: &str, prefixes: &[&str]) -> bool {
    match text.as_bytes().first() {
        None => prefixes.iter().any(|p| p.is_empty()),
        // Most lines fail on their first letter: test that before the rest.
        Some(first) if first.is_ascii() => {
            let first = first.to_ascii_lowercase();
            prefixes
                .iter()
                .any(|p| p.as_bytes().first().is_none_or(|b| *b == first) && starts_lower(text, p))
        }
        Some(_) => prefixes.iter().any(|p| starts_lower(text, p)),
    }
}

fn is_quote(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// An attribution line ("Op … schreef:", "On … wrote:"), possibly wrapped
/// over two lines; returns how many lines it spans.
fn attribution(line: &str, next: Option<&str>) -> Option<usize> {
    if !starts_lower_any(line.trim_start(), &["op ", "on ", "am "]) {
        return None;
    }
    let l = line.trim().to_lowercase();
    let is = |t: &str| {
        let t = t.trim_end();
        t.ends_with(':')
            && ((t.starts_with("op ") && (t.contains("schreef") || t.contains("geschreven")))
                || ((t.starts_with("on ") || t.starts_with("am "))
                    && (t.contains(" wrote") || t.contains("schrieb"))))
    };
    if is(&l) {
        return Some(1);
    }
    let joined = format!("{l} {}", next?.trim().to_lowercase());
    (!l.ends_with(':') && is(&joined)).then_some(2)
}

/// A bare attribution ("\"Klachtenservice\" <k@org.nl> wrote:", as
/// mutt and s-nail write it): only one when a quote follows.
fn loose_attribution(line: &str, rest: &[&str]) -> bool {
    if !line.trim_end().ends_with(':') {
        return false;
    }
    let l = line.trim().to_lowercase();
    ["wrote:", "schreef:", "schrieb:", "a écrit :", "a écrit:"]
        .iter()
        .any(|w| l.ends_with(w))
        && rest
            .iter()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| is_quote(l))
}

/// A line that starts quoted history running to the end of the body.
fn is_history_start(line: &str, next: Option<&str>) -> bool {
    // Openings are tested, so only the start is trimmed (cheaper).
    let line = line.trim_start();
    if starts_lower_any(
        line,
        &[
            "-----original message",
            "-----oorspronkelijk bericht",
            "-----ursprüngliche nachricht",
            "________________________________",
        ],
    ) {
        return true;
    }
    starts_lower_any(line, &["van:", "from:"])
        && next.is_some_and(|n| {
            starts_lower_any(
                n.trim_start(),
                &["verzonden:", "sent:", "datum:", "date:", "aan:", "to:"],
            )
        })
}

/// A line that starts a forwarded message (its text is kept).
fn is_forward_header(line: &str) -> bool {
    starts_lower_any(
        line.trim_start(),
        &[
            "---------- forwarded message",
            "----- doorgestuurd bericht",
            "---------- doorgestuurd bericht",
            "begin forwarded message",
            "begin doorgestuurd bericht",
            "-------- forwarded message",
            "-------- doorgestuurd bericht",
            "-------- original message --------",
        ],
    )
}

/// A header field of a forwarded message's header block.
fn is_forward_field(line: &str) -> bool {
    starts_lower_any(
        line.trim_start(),
        &[
            "van:",
            "from:",
            "datum:",
            "date:",
            "sent:",
            "verzonden:",
            "onderwerp:",
            "subject:",
            "aan:",
            "to:",
            "cc:",
            "reply-to:",
            "antwoord aan:",
        ],
    )
}

/// The signature delimiter `-- ` (also without its space).
fn is_signature_delimiter(line: &str) -> bool {
    line.trim_end() == "--"
}

/// A sign-off: what follows is the sender's name and contact details.
fn is_signoff(line: &str) -> bool {
    starts_lower_any(
        line.trim_start(),
        &[
            "met vriendelijke groet",
            "met vriendelijke groeten",
            "vriendelijke groet",
            "met hartelijke groet",
            "hartelijke groet",
            "mvg",
            "groetjes",
            "groet,",
            "kind regards",
            "best regards",
            "regards,",
            "with kind regards",
            "yours sincerely",
            "sincerely,",
        ],
    )
}

/// A mobile client's footer line.
fn is_mobile_footer(line: &str) -> bool {
    starts_lower_any(
        line.trim_start(),
        &[
            "sent from my",
            "verzonden vanaf mijn",
            "verstuurd vanaf mijn",
            "verzonden met mijn",
            "verzonden vanuit outlook",
            "get outlook for",
            "download outlook for",
        ],
    )
}

/// A line that starts a disclaimer.
fn is_disclaimer_start(line: &str) -> bool {
    starts_lower_any(
        line.trim_start(),
        &[
            "dit e-mailbericht is uitsluitend bestemd",
            "dit bericht is uitsluitend bestemd",
            "disclaimer:",
            "this e-mail and any attachments",
            "this email and any files transmitted",
            "the information contained in this",
        ],
    )
}

/// Reads a body into its parts.
fn parts(body: &str) -> Vec<Line<'_>> {
    let raw: Vec<&str> = body.lines().collect();
    let mut out: Vec<Line<'_>> = Vec::with_capacity(raw.len());
    let (mut in_signature, mut signed_off) = (false, false);
    let mut i = 0;
    while i < raw.len() {
        let (line, next) = (raw[i], raw.get(i + 1).copied());
        let mut push = |text, part| {
            out.push(Line {
                text,
                part,
                after_signoff: signed_off,
            })
        };
        if is_forward_header(line) {
            push(line, Part::ForwardHeader);
            i += 1;
            while i < raw.len() && (is_forward_field(raw[i]) || raw[i].trim().is_empty()) {
                push(raw[i], Part::ForwardHeader);
                i += 1;
            }
            in_signature = false;
            continue;
        }
        if is_quote(line) {
            push(line, Part::Quote);
            in_signature = false;
            i += 1;
            continue;
        }
        if let Some(span) = attribution(line, next) {
            // Above a quote, the quote follows and text may come after it
            // (bottom-posting); otherwise the rest is quoted history.
            let after = raw[i + span..].iter().find(|l| !l.trim().is_empty());
            let part = if after.is_some_and(|l| is_quote(l)) {
                Part::Attribution
            } else {
                Part::History
            };
            if part == Part::History {
                raw[i..].iter().for_each(|l| push(l, Part::History));
                break;
            }
            raw[i..i + span].iter().for_each(|l| push(l, part));
            in_signature = false;
            i += span;
            continue;
        }
        if loose_attribution(line, &raw[i + 1..]) {
            push(line, Part::Attribution);
            in_signature = false;
            i += 1;
            continue;
        }
        if is_history_start(line, next) {
            raw[i..].iter().for_each(|l| push(l, Part::History));
            break;
        }
        if is_disclaimer_start(line) {
            raw[i..].iter().for_each(|l| push(l, Part::Disclaimer));
            break;
        }
        if is_signature_delimiter(line) || is_mobile_footer(line) {
            in_signature = is_signature_delimiter(line) || in_signature;
            push(line, Part::Signature);
            signed_off = true;
            i += 1;
            continue;
        }
        push(
            line,
            if in_signature {
                Part::Signature
            } else {
                Part::Own
            },
        );
        signed_off |= is_signoff(line);
        i += 1;
    }
    out
}

/// Lines joined, blank lines at both ends trimmed and runs of them folded
/// to one.
fn join<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut result = String::new();
    let mut blank = 0;
    for l in lines.map(str::trim_end) {
        if l.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !result.is_empty() {
            result.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        result.push_str(l);
    }
    result
}

/// The new text of a message: the sender's own text up to the sign-off,
/// without quotes, history, signatures and disclaimers. A forwarded
/// message's own text is kept, its header block not.
pub fn new_text(body: &str) -> String {
    join(
        parts(body)
            .into_iter()
            .filter(|l| l.part == Part::Own && !l.after_signoff && !is_signoff(l.text))
            .map(|l| l.text),
    )
}

/// What a handler wrote, to relay to the complainant: their own text with
/// greeting, sign-off and name, without quotes, history, the signature
/// after `-- `, disclaimers and command lines.
pub fn relay_text(body: &str) -> String {
    join(
        parts(body)
            .into_iter()
            .filter(|l| l.part == Part::Own && !is_command_line(l.text))
            .map(|l| l.text),
    )
}

/// The sender's own words with their signature block (name, address,
/// phone), without quotes, history and disclaimers.
pub fn own_text(body: &str) -> String {
    join(
        parts(body)
            .into_iter()
            .filter(|l| matches!(l.part, Part::Own | Part::Signature) && !is_mobile_footer(l.text))
            .map(|l| l.text),
    )
}

/// The command lines of a mail (`#` and a letter first), wherever they
/// stand outside quotes and quoted history: before or after the sign-off,
/// below a bottom-posted quote, in the signature block.
pub fn command_lines(body: &str) -> Vec<String> {
    parts(body)
        .into_iter()
        .filter(|l| matches!(l.part, Part::Own | Part::Signature))
        .filter(|l| is_command_line(l.text))
        .map(|l| l.text.trim().to_string())
        .collect()
}

/// A message forwarded inline, as mail clients quote it (Gmail's
/// "---------- Forwarded message ---------", Apple Mail's "Begin forwarded
/// message:", Thunderbird's "-------- Forwarded Message --------",
/// Outlook's "Van:/Verzonden:" block under a line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// Its `From` as written (`Jan de Vries <jan@voorbeeld.nl>`).
    pub from: String,
    /// Its subject.
    pub subject: String,
    /// Its date as written.
    pub date: String,
    /// Its text (the writer's own words, with their signature).
    pub text: String,
    /// What the forwarder wrote above it.
    pub note: String,
}

/// The message forwarded inline in `body`, if there is one.
pub fn forwarded(body: &str) -> Option<Forwarded> {
    let lines: Vec<&str> = body.lines().collect();
    let start = (0..lines.len()).find(|&i| {
        is_forward_header(lines[i]) || is_history_start(lines[i], lines.get(i + 1).copied())
    })?;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut i = start;
    // The separator line itself, unless it is already the first field.
    if !is_forward_field(lines[i]) {
        i += 1;
    }
    while i < lines.len() {
        let l = lines[i].trim();
        if l.is_empty() {
            if fields.is_empty() {
                i += 1;
                continue;
            }
            break;
        }
        let Some((key, value)) = l.split_once(':').filter(|_| is_forward_field(l)) else {
            break;
        };
        fields.push((key.trim().to_lowercase(), value.trim().to_string()));
        i += 1;
    }
    let field = |names: &[&str]| {
        fields
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let from = field(&["from", "van"]);
    if from.is_empty() {
        return None;
    }
    Some(Forwarded {
        from,
        subject: field(&["subject", "onderwerp"]),
        date: field(&["date", "datum", "sent", "verzonden"]),
        text: own_text(&lines[i..].join("\n")),
        note: own_text(&lines[..start].join("\n")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_reply_is_cut_at_the_attribution() {
        let body = "Nee, het is nog steeds niet opgelost.\n\nOp 11 mrt. 2026 om 09:45 schreef Klachtenservice <klachten@org.nl>:\n> Geachte mevrouw,\n> Hierbij bevestigen wij";
        assert_eq!(new_text(body), "Nee, het is nog steeds niet opgelost.");
    }

    #[test]
    fn wrapped_english_attribution() {
        let body = "Still broken.\n\nOn Tue, 3 Mar 2026 at 10:00, Complaints Desk\n<klachten@org.nl> wrote:\n> Dear customer";
        assert_eq!(new_text(body), "Still broken.");
    }

    #[test]
    fn outlook_block_and_signature() {
        let body = "Dat klopt niet.\n\nMet vriendelijke groet,\nPiet\n\nVan: Klachtenservice <klachten@org.nl>\nVerzonden: dinsdag 3 maart 2026 10:00\nAan: Piet\nOnderwerp: Uw klacht";
        assert_eq!(new_text(body), "Dat klopt niet.");
    }

    #[test]
    fn forwarded_complaint_is_kept() {
        let body = "Zie hieronder, graag oppakken.\n\n---------- Forwarded message ---------\nFrom: Jan <jan@voorbeeld.nl>\nDate: Mon, 2 Mar 2026\nSubject: Klacht\nTo: info@org.nl\n\nDe monteur is niet gekomen.\n";
        let t = new_text(body);
        assert!(t.contains("graag oppakken"));
        assert!(t.contains("De monteur is niet gekomen."));
        assert!(!t.contains("Date:"));
    }

    #[test]
    fn reply_shapes_of_the_common_clients() {
        let cases = [
            // Outlook, Dutch: no attribution line, a header block.
            "Dat klopt niet.\n\nVan: Klachtenservice <klachten@org.nl>\nVerzonden: dinsdag 3 maart 2026 10:00\nAan: Piet <piet@x.nl>\nOnderwerp: RE: Uw klacht",
            // Outlook, English, with the separator line.
            "Dat klopt niet.\n\n________________________________\nFrom: Complaints <klachten@org.nl>\nSent: Tuesday, March 3, 2026 10:00 AM\nTo: Piet\nSubject: Your complaint",
            // Outlook, older style.
            "Dat klopt niet.\n\n-----Oorspronkelijk bericht-----\nVan: Klachtenservice\nVerzonden: 3 maart 2026",
            // Gmail, Dutch and English.
            "Dat klopt niet.\n\nOp di 3 mrt 2026 om 10:00 schreef Klachtenservice <klachten@org.nl>:\n> Beste klant",
            "Dat klopt niet.\n\nOn Tue, Mar 3, 2026 at 10:00 AM Complaints <klachten@org.nl> wrote:\n> Dear customer",
            // Apple Mail, Dutch and English.
            "Dat klopt niet.\n\nVerzonden vanaf mijn iPhone\n\n> Op 3 mrt. 2026 om 10:00 heeft Klachtenservice <klachten@org.nl> het volgende geschreven:\n>\n> Beste klant",
            "Dat klopt niet.\n\n> On 3 Mar 2026, at 10:00, Complaints <klachten@org.nl> wrote:\n>\n> Dear customer",
            // Thunderbird, Dutch and English.
            "Dat klopt niet.\n\nOp 03-03-2026 om 10:00 schreef Klachtenservice:\n> Beste klant",
            "Dat klopt niet.\n\nOn 3/3/26 10:00, Complaints wrote:\n> Dear customer",
            // s-nail and mutt: a bare attribution above the quote.
            "Dat klopt niet.\n\n\"Klachtenservice\" <klachten@org.nl> wrote:\n\n> Beste klant",
            "Dat klopt niet.\n\nKlachtenservice <klachten@org.nl> schreef:\n> Beste klant",
        ];
        for body in cases {
            assert_eq!(new_text(body), "Dat klopt niet.", "{body}");
        }
    }

    #[test]
    fn dutch_forward_keeps_the_complaint() {
        let body = "Ter info.\n\n----- Doorgestuurd bericht -----\nVan: An <an@x.nl>\nDatum: 2 maart 2026\nOnderwerp: Klacht\n\nIk ben zeer ontevreden over de service.";
        let t = new_text(body);
        assert!(t.contains("zeer ontevreden"), "{t}");
        assert!(!t.contains("Datum:"), "{t}");
    }

    #[test]
    fn disclaimers_are_removed() {
        let body = "De levering was te laat.\n\nDit e-mailbericht is uitsluitend bestemd voor de geadresseerde. Indien u niet de geadresseerde bent...";
        assert_eq!(new_text(body), "De levering was te laat.");
    }

    const BOTTOM_POSTED: &str = "Op 3 mrt. 2026 om 10:00 schreef Klachtenservice <klachten@org.nl>:\n> Beste Piet,\n> #gegrond is een commando\n\nDank, ik bel de klant.\n#notitie klant gebeld\n\n-- \nPiet Behandelaar\nTel. 088 123 45 67\n";

    #[test]
    fn bottom_posted_text_below_the_quote_is_kept() {
        assert_eq!(
            new_text(BOTTOM_POSTED),
            "Dank, ik bel de klant.\n#notitie klant gebeld"
        );
        assert_eq!(command_lines(BOTTOM_POSTED), ["#notitie klant gebeld"]);
        assert_eq!(relay_text(BOTTOM_POSTED), "Dank, ik bel de klant.");
    }

    #[test]
    fn commands_count_after_the_sign_off_but_never_in_a_quote() {
        let body = "Beste mevrouw,\n\nWij lossen het op.\n\nMet vriendelijke groet,\nMarieke\n#in-behandeling\n\nVan: Klachtenservice\nVerzonden: 3 maart\n#gegrond\n";
        assert_eq!(command_lines(body), ["#in-behandeling"]);
        let relay = relay_text(body);
        assert_eq!(
            relay,
            "Beste mevrouw,\n\nWij lossen het op.\n\nMet vriendelijke groet,\nMarieke"
        );
        assert_eq!(new_text(body), "Beste mevrouw,\n\nWij lossen het op.");
        assert!(command_lines("> #gegrond\nTekst").is_empty());
    }

    #[test]
    fn the_notice_keeps_the_contact_details_under_the_sign_off() {
        let body = "De monteur kwam niet.\n\nMet vriendelijke groet,\nJan Smit\nKerkstraat 18, 6711 AB Ede\n06 12345678\n\nVerzonden vanaf mijn iPhone";
        let own = own_text(body);
        assert!(
            own.contains("06 12345678") && own.contains("Kerkstraat 18"),
            "{own}"
        );
        assert!(!own.contains("iPhone"), "{own}");
        assert_eq!(new_text(body), "De monteur kwam niet.");
    }

    #[test]
    fn forwards_of_the_common_clients_name_the_original_sender() {
        let shapes = [
            // Gmail
            "Kun je dit oppakken?\n\n---------- Forwarded message ---------\nFrom: Jan de Vries <jan@voorbeeld.nl>\nDate: ma 30 nov 2026 om 09:12\nSubject: Klacht\nTo: <info@org.nl>\n\nDe monteur kwam niet.\n\nJan de Vries\n06 12345678\n",
            // Apple Mail
            "Kun je dit oppakken?\n\nBegin doorgestuurd bericht:\n\nVan: Jan de Vries <jan@voorbeeld.nl>\nOnderwerp: Klacht\nDatum: 30 november 2026 om 09:12:00 CET\nAan: info@org.nl\n\nDe monteur kwam niet.\n\nJan de Vries\n06 12345678\n",
            // Thunderbird
            "Kun je dit oppakken?\n\n-------- Doorgestuurd bericht --------\nOnderwerp: \tKlacht\nDatum: \tMon, 30 Nov 2026 09:12:00 +0100\nVan: \tJan de Vries <jan@voorbeeld.nl>\nAan: \tinfo@org.nl\n\nDe monteur kwam niet.\n\nJan de Vries\n06 12345678\n",
            // Outlook
            "Kun je dit oppakken?\n\n________________________________\nVan: Jan de Vries <jan@voorbeeld.nl>\nVerzonden: maandag 30 november 2026 09:12\nAan: Info <info@org.nl>\nOnderwerp: Klacht\n\nDe monteur kwam niet.\n\nJan de Vries\n06 12345678\n",
        ];
        for body in shapes {
            let f = forwarded(body).unwrap_or_else(|| panic!("no forward in {body}"));
            assert_eq!(f.from, "Jan de Vries <jan@voorbeeld.nl>", "{body}");
            assert_eq!(f.subject, "Klacht", "{body}");
            assert!(
                f.text.starts_with("De monteur kwam niet.") && f.text.contains("06 12345678"),
                "{body}: {}",
                f.text
            );
            assert_eq!(f.note, "Kun je dit oppakken?");
        }
        assert_eq!(
            forwarded("Gewoon een bericht.\n\nMet vriendelijke groet,\nPiet"),
            None
        );
    }

    #[test]
    fn a_signature_above_the_quote_ends_at_the_quote() {
        let body =
            "Akkoord.\n-- \nPiet\n\nOp 3 mrt. 2026 om 10:00 schreef X:\n> oud\n\nNog iets.\n";
        assert_eq!(relay_text(body), "Akkoord.\n\nNog iets.");
    }
}
