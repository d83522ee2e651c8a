//! Text preparation: the new text of a message without quoted history,
//! signatures and disclaimers, a short description for letters, the
//! language it is in, and the normal form the rules and name lookups match
//! against.
//! Shapes handled: `> ` quotes, "Op … schreef …:", "On … wrote:", Outlook
//! "Van:/Verzonden:" and "From:/Sent:" blocks, "-----Oorspronkelijk bericht-----";
//! a forwarded message keeps its forwarded text (it is the complaint).

/// Lines that start quoted history (a reply's tail).
fn is_reply_header(line: &str, next: Option<&str>) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    if lower.starts_with("-----original message")
        || lower.starts_with("-----oorspronkelijk bericht")
        || lower.starts_with("-----ursprüngliche nachricht")
        || lower.starts_with("________________________________")
    {
        return true;
    }
    // Gmail/Apple/Thunderbird: "Op 11 mrt. 2026 om 09:45 schreef X <x@y>:" and
    // "On Tue, 3 Mar 2026 at 10:00, X wrote:" — possibly wrapped over two lines.
    let joined = match next {
        Some(n) if !l.ends_with(':') => format!("{lower} {}", n.trim().to_lowercase()),
        _ => lower.clone(),
    };
    if (joined.starts_with("op ") && (joined.contains("schreef") || joined.contains("geschreven")))
        && joined.trim_end().ends_with(':')
    {
        return true;
    }
    if (joined.starts_with("on ") || joined.starts_with("am "))
        && (joined.contains(" wrote") || joined.contains("schrieb"))
        && joined.trim_end().ends_with(':')
    {
        return true;
    }
    if (lower.starts_with("van:") || lower.starts_with("from:"))
        && next.is_some_and(|n| {
            let n = n.trim().to_lowercase();
            n.starts_with("verzonden:")
                || n.starts_with("sent:")
                || n.starts_with("datum:")
                || n.starts_with("date:")
                || n.starts_with("aan:")
                || n.starts_with("to:")
        })
    {
        return true;
    }
    false
}

/// Lines that start a forwarded message (its content is kept).
fn is_forward_header(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    lower.starts_with("---------- forwarded message")
        || lower.starts_with("----- doorgestuurd bericht")
        || lower.starts_with("---------- doorgestuurd bericht")
        || lower.starts_with("begin forwarded message")
        || lower.starts_with("begin doorgestuurd bericht")
        || lower.starts_with("-------- forwarded message")
        || lower.starts_with("-------- doorgestuurd bericht")
}

/// Lines that start a signature or a disclaimer.
fn is_signature_start(line: &str) -> bool {
    let t = line.trim_end();
    if t == "--" || t == "-- " || line == "-- " {
        return true;
    }
    let lower = t.trim().to_lowercase();
    const STARTS: &[&str] = &[
        "met vriendelijke groet",
        "met vriendelijke groeten",
        "vriendelijke groet",
        "met hartelijke groet",
        "hartelijke groet",
        "mvg",
        "groetjes",
        "kind regards",
        "best regards",
        "regards,",
        "sent from my iphone",
        "verzonden vanaf mijn iphone",
        "verzonden vanaf mijn ipad",
        "verstuurd vanaf mijn iphone",
        "verzonden met mijn",
        "sent from my",
        "verzonden vanuit outlook",
        "get outlook for",
        "dit e-mailbericht is uitsluitend bestemd",
        "dit bericht is uitsluitend bestemd",
        "disclaimer:",
        "this e-mail and any attachments",
        "this email and any files transmitted",
        "the information contained in this",
    ];
    STARTS.iter().any(|s| lower.starts_with(s))
}

/// The new text of a message: without quoted history, signatures and
/// disclaimers. A forwarded message's own text is kept, its header block not.
pub fn new_text(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let next = lines.get(i + 1).copied();
        if is_forward_header(line) {
            // Skip the forwarded header block (From:/Date:/Subject:/To: lines), keep the text.
            i += 1;
            while i < lines.len() {
                let l = lines[i].trim().to_lowercase();
                let is_field = [
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
                ]
                .iter()
                .any(|f| l.starts_with(f));
                if is_field || l.is_empty() {
                    i += 1;
                } else {
                    break;
                }
            }
            continue;
        }
        if is_reply_header(line, next) {
            break;
        }
        if line.trim_start().starts_with('>') {
            i += 1;
            continue;
        }
        if is_signature_start(line) {
            break;
        }
        out.push(line.trim_end());
        i += 1;
    }
    // Trim blank lines at both ends and collapse runs of blank lines.
    let mut result = String::new();
    let mut blank = 0;
    for l in out {
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

/// A short description: the first lines of the new text, at most `max_chars`,
/// cut at a word boundary, without a salutation line.
pub fn summary(new_text: &str, max_chars: usize) -> String {
    let mut lines = new_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    if let Some(first) = lines.peek() {
        let f = first.to_lowercase();
        let salutation = [
            "beste",
            "geachte",
            "hallo",
            "hoi",
            "dear",
            "hello",
            "hi ",
            "goedemiddag",
            "goedemorgen",
            "goedenavond",
            "l.s.",
            "to whom",
        ]
        .iter()
        .any(|s| f.starts_with(s))
            && first.len() < 60;
        if salutation {
            lines.next();
        }
    }
    let joined = lines.collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= max_chars {
        return joined;
    }
    let cut: String = joined.chars().take(max_chars).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':', ' ']))
}

/// The language of a text, `nl` or `en`, by common function words; `None`
/// when it is too short or unclear to tell.
pub fn language(text: &str) -> Option<&'static str> {
    const NL: &[&str] = &[
        "de", "het", "een", "en", "ik", "is", "niet", "van", "dat", "op", "mijn", "u", "jullie",
        "wij", "ze", "maar", "nog", "heb", "voor", "met", "geen", "er", "al", "wel", "naar",
    ];
    const EN: &[&str] = &[
        "the", "and", "i", "is", "not", "of", "that", "on", "my", "you", "your", "we", "they",
        "but", "still", "have", "for", "with", "no", "was", "to", "it", "this", "a", "an",
    ];
    let mut nl = 0;
    let mut en = 0;
    for w in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(400)
    {
        let w = w.to_lowercase();
        nl += NL.contains(&w.as_str()) as u32;
        en += EN.contains(&w.as_str()) as u32;
    }
    if nl + en < 4 {
        None
    } else if en > nl * 2 {
        Some("en")
    } else if nl > en {
        Some("nl")
    } else {
        None
    }
}

/// Which of the required data (`naam`, `adres`, `telefoon`) a complaint
/// lacks. The name may come from the sender's display name; an address is a
/// Dutch postcode or a street with a house number; a phone number is a Dutch
/// or international number.
pub fn missing_data(required: &[String], display_name: Option<&str>, text: &str) -> Vec<String> {
    let has_phone = || {
        let digits: Vec<String> = text
            .split(|c: char| {
                !(c.is_ascii_digit() || c == '+' || c == ' ' || c == '-' || c == '(' || c == ')')
            })
            .map(|chunk| {
                chunk
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect()
            })
            .collect();
        digits.iter().any(|d| {
            let d = d.trim_start_matches('+');
            (d.len() == 10 && d.starts_with('0'))
                || (d.len() == 11 && d.starts_with("31"))
                || (d.len() >= 11 && d.len() <= 13 && d.starts_with("0031"))
        })
    };
    let has_address = || {
        let words: Vec<&str> = text.split_whitespace().collect();
        let postcode = words.windows(2).any(|w| {
            let (a, b) = (w[0], w[1].trim_end_matches([',', '.']));
            a.len() == 4
                && a.chars().all(|c| c.is_ascii_digit())
                && !a.starts_with('0')
                && b.len() == 2
                && b.chars().all(|c| c.is_ascii_uppercase())
        }) || words.iter().any(|w| {
            let w = w.trim_end_matches([',', '.']);
            w.len() == 6
                && w[..4].chars().all(|c| c.is_ascii_digit())
                && !w.starts_with('0')
                && w[4..].chars().all(|c| c.is_ascii_uppercase())
        });
        const STREETS: &[&str] = &[
            "straat", "laan", "weg", "plein", "gracht", "kade", "singel", "dijk", "hof", "pad",
            "steeg", "dreef", "park", "markt", "street", "road", "avenue",
        ];
        let street = words.windows(2).any(|w| {
            let name = w[0].to_lowercase();
            STREETS.iter().any(|s| name.ends_with(s))
                && w[1].chars().next().is_some_and(|c| c.is_ascii_digit())
        });
        postcode || street
    };
    let has_name =
        || display_name.is_some_and(|n| n.split_whitespace().count() >= 2 && !n.contains('@'));
    required
        .iter()
        .filter(|r| match r.as_str() {
            "naam" | "name" => !has_name(),
            "adres" | "address" => !has_address(),
            "telefoon" | "phone" => !has_phone(),
            _ => false,
        })
        .cloned()
        .collect()
}

/// Lower case, accents removed, runs of three or more equal letters folded
/// to one, everything but letters and digits turned into single spaces.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(' ');
    let mut last: Option<char> = None;
    let mut run = 0;
    for ch in s.chars().flat_map(char::to_lowercase) {
        let ch = fold_accent(ch);
        if ch.is_alphanumeric() {
            if Some(ch) == last && ch.is_alphabetic() {
                run += 1;
                if run >= 2 {
                    // A third equal letter: fold the whole run to one.
                    if run == 2 {
                        out.pop();
                    }
                    continue;
                }
            } else {
                run = 0;
            }
            out.push(ch);
            last = Some(ch);
        } else {
            if !out.ends_with(' ') {
                out.push(' ');
            }
            last = None;
            run = 0;
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ÿ' | 'ý' => 'y',
        '’' | '‘' | '`' => '\'',
        other => other,
    }
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
    fn summary_skips_salutation_and_cuts_at_a_word() {
        let s = summary("Geachte heer,\n\nDe bezorger heeft het pakket bij de verkeerde buren afgeleverd en niemand belt terug.", 50);
        assert!(s.starts_with("De bezorger"));
        assert!(s.ends_with('…'));
        assert!(s.chars().count() <= 51);
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
    fn language_by_function_words() {
        assert_eq!(
            language("My invoice is wrong again and nobody answers my e-mails. I want this fixed."),
            Some("en")
        );
        assert_eq!(
            language("De monteur is niet gekomen en ik heb een dag vrij genomen."),
            Some("nl")
        );
        assert_eq!(language("OK"), None);
    }

    #[test]
    fn missing_data_is_named() {
        let req: Vec<String> = ["naam", "adres", "telefoon"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            missing_data(
                &req,
                Some("Jan de Vries"),
                "Ik woon op Delta 91, 6825 MN Arnhem, bel 088-452 77 77"
            ),
            Vec::<String>::new()
        );
        assert_eq!(missing_data(&req, Some("jan"), "De ruit lekt."), req);
        assert_eq!(
            missing_data(&req, Some("Jan Smit"), "Kerkstraat 18 in Ede, 06 12345678"),
            Vec::<String>::new()
        );
        assert_eq!(
            missing_data(&req, None, "+31 6 1234 5678"),
            vec!["naam".to_string(), "adres".to_string()]
        );
    }

    #[test]
    fn disclaimers_are_removed() {
        let body = "De levering was te laat.\n\nDit e-mailbericht is uitsluitend bestemd voor de geadresseerde. Indien u niet de geadresseerde bent...";
        assert_eq!(new_text(body), "De levering was te laat.");
    }
}
