//! Anonymisation of free text: mail addresses, links, phone numbers, bank
//! accounts, postcodes, street addresses, reference numbers and personal
//! names are replaced by a placeholder (`[naam]`, `[telefoon]`, …).
//!
//! Used for anonymised reports and agendas and when the retention period or
//! an erasure request removes personal data from the store. Names are found
//! by context, not by a dictionary of the people involved: after a title
//! (`dhr.`, `mevrouw`, `Mr`), in a greeting (`Beste`, `Dear`), after a
//! closing (`Met vriendelijke groet`), next to contact details, after an
//! introduction (`mijn naam is`), after a role (`medewerker`, `monteur`) and
//! by a list of common first names. Names the caller knows (the complainant,
//! the staff directory) are removed wherever they occur. It errs on the side
//! of removing too much: an organisation's name lost from a report is a
//! small price for a person's name kept out of it.

use regex::{Captures, Regex};
use std::sync::OnceLock;

/// Placeholder of a personal name.
pub const NAME: &str = "[naam]";

/// Common first names (Dutch and of the languages most heard in Dutch
/// service desks). A capitalised word from this list starts a name.
const FIRST_NAMES: &str = include_str!("../config/first-names.txt");

/// Particles inside Dutch, Flemish, German and Arabic surnames.
const PARTICLES: &[&str] = &[
    "van", "de", "der", "den", "het", "ter", "ten", "te", "von", "vom", "el", "al", "le", "la",
    "du", "da", "di", "del", "op", "in", "'t", "ben", "bin", "mc",
];

/// Words that close a mail; a name follows them.
const CLOSINGS: &str = r"(?i)^\s*(?:>\s*)*(?:(?:met\s+)?(?:vriendelijke|hartelijke|dankbare|beste|warme|sportieve|lieve|zonnige)?\s*groet(?:en|jes)?|vr\.?\s*gr\.?|m\.?v\.?g\.?|gr\.?|grt\.?|groetjes|liefs|doei|hgr\.?|(?:kind|best|warm|warmest|many)?\s*regards|with\s+(?:kind|best|warm)\s+regards|best(?:\s+wishes)?|cheers|thanks(?:\s+again|\s+in\s+advance)?|many\s+thanks|thank\s+you(?:\s+in\s+advance|\s+very\s+much)?|(?:alvast\s+)?bedankt|dank\s*(?:je|u)?(?:\s*wel)?|yours(?:\s+(?:sincerely|faithfully|truly))?|sincerely|xx+|x)\b[\s,.!]*";

/// Titles and forms of address before a name.
const TITLES: &str = r"\b(?:[Dd]hr|[Mm]evr|[Mm]w|[Mm]r|[Mm]rs|[Mm]s|[Mm]iss|[Dd]r|[Ii]r|[Ii]ng|[Dd]rs|[Pp]rof|[Mm]eneer|[Mm]evrouw|[Hh]eer|[Jj]uffrouw|[Ff]amilie|[Ff]am|[Ss]ir|[Mm]adam)\b\.?";

/// Words after which a name follows: greetings, introductions and roles.
const LEADS: &str = r"(?:\b(?:[Bb]este|[Gg]eachte|[Dd]ear|[Hh]oi|[Hh]ai|[Hh]i|[Hh]allo|[Hh]ello|[Hh]ey|[Gg]oede(?:morgen|middag|navond|ndag)|[Gg]ood\s+(?:morning|afternoon|evening))\s+|\b(?:mijn naam is|ik ben|ik heet|my name is|i am|i'm|this is|namens|on behalf of|genaamd|called|named|heet|spoke (?:to|with)|sprak (?:met)?|gesproken met|contact (?:met|with))\s+|\b(?:[Mm]edewerk(?:er|ster)|[Cc]ollega|[Mm]onteur|[Bb]ezorger|[Cc]hauffeur|[Bb]ehandelaar|[Aa]dviseur|[Cc]onsulent|[Mm]anager|[Ll]eidinggevende|[Tt]eamleider|[Pp]lanner|[Ii]ntercedent|[Rr]ecruiter|[Cc]oördinator|[Ee]ngineer|[Ee]mployee|[Cc]olleague|[Dd]river|[Tt]echnician|[Aa]gent|[Ss]upervisor|[Cc]oordinator|[Vv]erpleegkundige|[Aa]rts|[Dd]okter|[Dd]octor|[Nn]urse|[Ii]nstallateur)\s+)";

/// Street-name endings (Dutch and English).
const STREETS: &str = r"(?:straat|straatje|weg|laan|gracht|plein|kade|singel|dijk|pad|hof|park|dreef|steeg|markt|baan|ring|wal|veld|plantsoen|dam|burgwal|erf|haven|poort|boulevard|allee|hoek|tuin|berg|wijk|zijde|stede|donk|akker|kamp|horst|straße|strasse|street|road|avenue|lane|drive|close|crescent|square)";

struct Patterns {
    email: Regex,
    url: Regex,
    iban: Regex,
    postcode: Regex,
    street: Regex,
    address_before_postcode: Regex,
    postbus: Regex,
    phone: Regex,
    number: Regex,
    titled: Regex,
    lead: Regex,
    closing: Regex,
    capitalised: Regex,
    first_names: std::collections::HashSet<&'static str>,
}

/// A capitalised word of a name, possibly double-barrelled.
const WORD_RE: &str = r"\p{Lu}(?:['’]\p{Lu})?[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?";
/// Surname particles, as written inside a name.
const PARTICLE_RE: &str = r"(?:van|de|der|den|het|ter|ten|te|von|el|al|le|la|du|da|di|del|'t|ben|bin|Van|De|Den|Der|El|Al|Ter|Ten)";

/// A name on one line: initials (with a nickname in brackets) and/or
/// capitalised words, with surname particles between them.
fn name_re() -> String {
    let more = format!(r"(?:[ \t]+(?:{PARTICLE_RE}[ \t]+)*{WORD_RE})");
    format!(
        r"(?:(?:\p{{Lu}}\.){{1,4}}(?:[ \t]?\([^)\n]{{1,30}}\))?[ \t]?(?:(?:{PARTICLE_RE}[ \t]+)*{WORD_RE}{more}*)?|{WORD_RE}{more}*)"
    )
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("anonymiser pattern compiles");
        Patterns {
            email: re(r"(?i)(?:mailto:)?[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+"),
            url: re(r"(?i)\b(?:https?://|www\.)[^\s<>\)]+"),
            iban: re(r"\b[A-Z]{2}\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b"),
            postcode: re(r"\b[1-9]\d{3}[ \t]?[A-Z]{2}\b(?:[ \t]+(?:'s-)?[A-Z][\p{Ll}'-]+(?:[ \t-][A-Z][\p{Ll}'-]+)?(?:[ \t]+aan[ \t]+(?:den|de)[ \t]+[A-Z][\p{Ll}]+)?)?"),
            street: re(&format!(
                r"(?i:\b[\p{{L}}'-]*{STREETS})[ \t]+\d{{1,5}}(?:[ \t]?[a-zA-Z]\b|-\d+\b|[ \t]?(?:hs|bis|[IV]+)\b)?"
            )),
            address_before_postcode: re(r"(?:\b(?:[Aa]partment|[Aa]ppartement|[Ff]lat|[Uu]nit)[ \t]+\w+,[ \t]*)?\b[A-Z][\p{Ll}'-]+(?:[ \t][A-Za-z][\p{Ll}'-]+){0,2}[ \t]+\d{1,5}(?:[ \t]?[a-zA-Z]\b|-\d+\b)?(?:,[ \t]*|[ \t]*\n[ \t]*|[ \t]+)\[postcode\]"),
            postbus: re(r"(?i)\b(?:postbus|p\.?o\.?[ \t]*box)[ \t]+\d+"),
            phone: re(r"(?:\+|\b00|\(0|\b0)[\d \t().\-/]{7,22}\d"),
            number: re(r"\b\d[\d\-./]{3,}\d\b"),
            titled: re(&format!(r"{TITLES}[ \t]+{}", name_re())),
            lead: re(&format!(r"{LEADS}({})", name_re())),
            closing: re(CLOSINGS),
            capitalised: re(&format!(r"\b{}", name_re())),
            first_names: FIRST_NAMES
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect(),
        }
    })
}

/// Removes personal data from `text`. `known` are names and addresses the
/// caller knows belong to people here (the complainant's name and address,
/// staff names); they are removed wherever they occur, in any case.
pub fn anonymise(text: &str, known: &[&str]) -> String {
    Anonymiser::new(known).apply(text)
}

/// An anonymiser for many texts with the same known names (their patterns
/// are compiled once).
#[derive(Debug, Clone)]
pub struct Anonymiser {
    names: Vec<Regex>,
    addresses: Vec<Regex>,
}

/// Alternatives per pattern: a few hundred names compile well within the
/// regex size limit, however many the staff directory holds.
const ALTERNATIVES_PER_PATTERN: usize = 256;

impl Anonymiser {
    /// Prepares the removal of `known` names and addresses: each as a
    /// whole, and each distinctive word of a name ("Jansen" alone), any case.
    pub fn new(known: &[&str]) -> Anonymiser {
        let mut names: Vec<String> = Vec::new();
        let mut addresses: Vec<String> = Vec::new();
        for k in known
            .iter()
            .map(|k| k.trim())
            .filter(|k| k.chars().count() >= 2)
        {
            if k.contains('@') {
                addresses.push(regex::escape(k));
                continue;
            }
            names.push(regex::escape(k));
            names.extend(
                k.split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|w| {
                        w.chars().filter(|c| c.is_alphabetic()).count() >= 3
                            && !PARTICLES.contains(&w.to_lowercase().as_str())
                    })
                    .map(regex::escape),
            );
        }
        let build = |mut alts: Vec<String>| -> Vec<Regex> {
            // Longest first, so a whole name wins over its parts (also
            // across patterns, which are applied in order).
            alts.sort_by_key(|a| std::cmp::Reverse(a.len()));
            alts.dedup();
            alts.chunks(ALTERNATIVES_PER_PATTERN)
                .filter_map(|chunk| {
                    let pattern = format!(r"(?i)\b(?:{})\b", chunk.join("|"));
                    Regex::new(&pattern)
                        .map_err(|e| {
                            // Escaped literals only fail on size: say so
                            // rather than leave names in anonymised output.
                            tracing::error!(error = %e, names = chunk.len(), "a pattern of known names could not be built; those names are not removed");
                        })
                        .ok()
                })
                .collect()
        };
        Anonymiser {
            names: build(names),
            addresses: build(addresses),
        }
    }

    /// Removes personal data from `text`.
    pub fn apply(&self, text: &str) -> String {
        let mut s = text.to_string();
        for re in &self.addresses {
            s = re.replace_all(&s, "[e-mail]").into_owned();
        }
        for re in &self.names {
            s = re.replace_all(&s, NAME).into_owned();
        }
        generic(s)
    }
}

/// The removals that need no knowledge of the people involved.
fn generic(mut s: String) -> String {
    let p = patterns();
    s = p.email.replace_all(&s, "[e-mail]").into_owned();
    s = p.url.replace_all(&s, "[link]").into_owned();
    s = p.iban.replace_all(&s, "[rekeningnummer]").into_owned();
    s = p.postcode.replace_all(&s, "[postcode]").into_owned();
    s = p
        .address_before_postcode
        .replace_all(&s, |c: &Captures| {
            if c[0].contains('\n') {
                "[adres]\n[postcode]".to_string()
            } else {
                "[adres], [postcode]".to_string()
            }
        })
        .into_owned();
    s = p.street.replace_all(&s, "[adres]").into_owned();
    s = p.postbus.replace_all(&s, "[adres]").into_owned();
    s = p
        .phone
        .replace_all(&s, |c: &Captures| {
            let m = &c[0];
            let digits = m.chars().filter(char::is_ascii_digit).count();
            if (9..=13).contains(&digits) && !is_date_like(m) {
                "[telefoon]".to_string()
            } else {
                m.to_string()
            }
        })
        .into_owned();
    s = p
        .number
        .replace_all(&s, |c: &Captures| {
            let m = &c[0];
            let digits = m.chars().filter(char::is_ascii_digit).count();
            let ours = s[..c.get(0).map_or(0, |g| g.start())].ends_with("KL-");
            if digits >= 5 && !is_date_like(m) && !is_amount(m) && !ours {
                "[nummer]".to_string()
            } else {
                m.to_string()
            }
        })
        .into_owned();
    s = p
        .titled
        .replace_all(&s, |c: &Captures| {
            // Keep the form of address, drop the name: "mevrouw [naam]".
            let m = &c[0];
            let title_end = m.find(char::is_whitespace).unwrap_or(m.len());
            format!("{} {NAME}", &m[..title_end])
        })
        .into_owned();
    s = p
        .lead
        .replace_all(&s, |c: &Captures| {
            let whole = &c[0];
            let name = &c[1];
            if is_common_word(name) {
                return whole.to_string();
            }
            format!("{}{NAME}", &whole[..whole.len() - name.len()])
        })
        .into_owned();
    s = first_names(&s);
    s = display_names(&s);
    s = signatures(&s);
    s
}

/// Dates (`10-3-2026`, `2026-03-10`, `09.03.2026`) are not phone or
/// reference numbers.
fn is_date_like(m: &str) -> bool {
    let groups: Vec<&str> = m
        .split(['-', '.', '/', ' '])
        .filter(|g| !g.is_empty())
        .collect();
    groups.len() == 3
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && groups[1].len() <= 2
        && ((groups[0].len() == 4 && groups[2].len() <= 2)
            || (groups[0].len() <= 2 && groups[2].len() == 4))
}

/// Amounts (`1.250,00`) are not reference numbers.
fn is_amount(m: &str) -> bool {
    m.contains(',') || (m.contains('.') && m.rsplit('.').next().is_some_and(|t| t.len() == 2))
}

/// Capitalised words that start sentences after a greeting or a role and
/// are no name ("Beste Klantenservice", "Hi All", "medewerker Klantcontact").
fn is_common_word(name: &str) -> bool {
    const COMMON: &[&str] = &[
        "heer",
        "mevrouw",
        "meneer",
        "sir",
        "madam",
        "all",
        "team",
        "allen",
        "klantenservice",
        "customer",
        "klant",
        "there",
        "everyone",
        "iedereen",
        "support",
        "service",
        "afdeling",
        "gemeente",
        "heren",
        "dames",
        "the",
        "de",
        "het",
        "een",
        "a",
        "an",
        "mr",
        "mrs",
        "ms",
        "dr",
        "dhr",
        "mevr",
        "mw",
        "miss",
        "ir",
        "ing",
        "drs",
        "prof",
        "juffrouw",
        "familie",
    ];
    let first = name.split_whitespace().next().unwrap_or("").to_lowercase();
    COMMON.contains(&first.as_str())
}

/// Greetings and one-word openings that stand on a line of their own.
fn is_greeting(word: &str) -> bool {
    const GREETINGS: &[&str] = &[
        "hallo",
        "hello",
        "hi",
        "hoi",
        "hey",
        "beste",
        "geachte",
        "dear",
        "goedemorgen",
        "goedemiddag",
        "goedenavond",
        "goedendag",
        "dag",
        "bedankt",
        "thanks",
        "groeten",
        "dank",
        "top",
        "super",
        "prima",
        "oke",
        "ok",
        "ja",
        "nee",
        "yes",
        "no",
        "help",
    ];
    GREETINGS.contains(&word.to_lowercase().as_str())
}

/// A capitalised word from the list of first names, with what follows it
/// as a surname.
fn first_names(s: &str) -> String {
    let p = patterns();
    p.capitalised
        .replace_all(s, |c: &Captures| {
            let m = &c[0];
            // "Vooral Ingrid en…": the name starts at the first first name.
            let mut at = 0;
            for word in m.split([' ', '\t']) {
                let head = word.split('-').next().unwrap_or("");
                if p.first_names.contains(head) {
                    return format!("{}{NAME}", &m[..at]);
                }
                at += word.len() + 1;
            }
            m.to_string()
        })
        .into_owned()
}

/// A display name before an address in angle brackets (`From: Mike
/// Dawson <[e-mail]>`, quoted headers of replies).
fn display_names(s: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r#"(?m)(^|[:,]\s*|\bschreef\s+|\bwrote\s+)"?([^"<>\n:,]{2,60}?)"?\s*<\[e-mail\]>"#,
        )
        .expect("display-name pattern compiles")
    });
    re.replace_all(s, |c: &Captures| {
        let shown = c[2].trim();
        let words = shown.split_whitespace().count();
        if (1..=6).contains(&words) && shown.chars().next().is_some_and(char::is_uppercase) {
            format!("{}{NAME} <[e-mail]>", &c[1])
        } else {
            c[0].to_string()
        }
    })
    .into_owned()
}

/// Whether a line looks like a name alone: one to six words, each
/// capitalised, an initial, a particle or a joining word.
fn name_like(line: &str) -> bool {
    let line = line.trim().trim_start_matches('>').trim();
    if line.ends_with([',', ':', ';', '?', '!']) {
        return false;
    }
    let line = line.trim_end_matches('.');
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() == 1 && is_greeting(words[0]) {
        return false;
    }
    if words.is_empty() || words.len() > 6 || line.contains(NAME) && words.len() == 1 {
        return false;
    }
    let mut capitals = 0;
    for w in &words {
        let w = &w.trim_matches(|c| c == '(' || c == ')');
        let lower = w.to_lowercase();
        let first = w.chars().next().unwrap_or(' ');
        if PARTICLES.contains(&lower.as_str())
            || matches!(
                lower.as_str(),
                "en" | "and" | "&" | "familie" | "family" | "fam."
            )
        {
            continue;
        }
        if first.is_uppercase()
            && w.chars()
                .skip(1)
                .all(|c| c.is_alphabetic() || "'’.-".contains(c))
        {
            capitals += 1;
            continue;
        }
        if *w == NAME {
            continue;
        }
        return false;
    }
    capitals > 0
}

/// Placeholders of contact details a signature has next to a name.
fn has_contact(line: &str) -> bool {
    let l = line.to_lowercase();
    [
        "[telefoon]",
        "[adres]",
        "[postcode]",
        "[e-mail]",
        "[nummer]",
        "[link]",
    ]
    .iter()
    .any(|p| line.contains(p))
        || l.starts_with("t:")
        || l.starts_with("m:")
        || l.starts_with("tel")
        || l.contains("klantnummer")
        || l.contains("klantnr")
}

/// Names in signatures: after a closing, on the closing's own line
/// ("Groetjes, Kees"), or on a line next to contact details.
fn signatures(s: &str) -> String {
    let p = patterns();
    let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
    let n = lines.len();
    let mut i = 0;
    while i < n {
        let line = lines[i].clone();
        if let Some(m) = p.closing.find(&line) {
            let mut rest = line[m.end()..].trim();
            // "Met vriendelijke groet / Kind regards,"
            if let Some(other) = rest.strip_prefix('/') {
                if p.closing
                    .find(other)
                    .is_some_and(|o| o.end() == other.len())
                {
                    rest = "";
                }
            }
            if !rest.is_empty() {
                // "Groetjes, Kees" / "Best, Mark" / "groet Dennis van Leeuwen"
                if let Some(name) = leading_name(rest) {
                    let at = m.end() + line[m.end()..].find(name).unwrap_or(0);
                    lines[i] = format!("{}{NAME}{}", &line[..at], &line[at + name.len()..]);
                }
            } else {
                // The name on the next non-empty lines (up to two).
                let mut taken = 0;
                let mut j = i + 1;
                while j < n && taken < 2 {
                    if lines[j].trim().trim_start_matches('>').trim().is_empty() {
                        j += 1;
                        continue;
                    }
                    if name_like(&lines[j]) {
                        lines[j] = replace_line_keeping_quote(&lines[j]);
                        taken += 1;
                        j += 1;
                    } else {
                        // "M. Jansen, Kerkstraat 21…": the name before a comma.
                        lines[j] = name_before_comma(&lines[j]);
                        break;
                    }
                }
            }
        }
        i += 1;
    }
    // A name standing alone at the end of a message or before the quoted
    // message it answers.
    for i in 0..n {
        let before_blank = i == 0
            || lines[i - 1]
                .trim()
                .trim_start_matches('>')
                .trim()
                .is_empty();
        if before_blank && name_like(&lines[i]) && ends_block(&lines[i + 1..]) {
            lines[i] = replace_line_keeping_quote(&lines[i]);
        }
    }
    // Name lines next to contact details, and names before them on one line.
    for i in 0..n {
        if has_contact(&lines[i]) {
            lines[i] = name_before_comma(&lines[i]);
            for j in [i.wrapping_sub(1), i + 1] {
                if j < n && name_like(&lines[j]) && !has_contact(&lines[j]) {
                    lines[j] = replace_line_keeping_quote(&lines[j]);
                }
            }
        }
    }
    let mut out = lines.join("\n");
    if s.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Whether nothing of the writer's own follows: only blank lines, or the
/// header of a quoted message.
fn ends_block(after: &[String]) -> bool {
    match after.iter().map(|l| l.trim()).find(|l| !l.is_empty()) {
        None => true,
        Some(next) => {
            let lower = next.to_lowercase();
            next.starts_with('>')
                || next.starts_with("-----")
                || [
                    "op ",
                    "on ",
                    "van:",
                    "from:",
                    "verzonden:",
                    "sent:",
                    "aan:",
                    "to:",
                ]
                .iter()
                .any(|p| lower.starts_with(p))
                    && (lower.contains(':') || lower.contains("schreef") || lower.contains("wrote"))
        }
    }
}

/// The name at the start of `rest`, if it is one ("Kees", "Dennis van
/// Leeuwen", "R. Hendriks").
fn leading_name(rest: &str) -> Option<&str> {
    let p = patterns();
    let m = p.capitalised.find(rest)?;
    (m.start() == 0 && !is_common_word(m.as_str())).then(|| m.as_str())
}

fn replace_line_keeping_quote(line: &str) -> String {
    let body = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    format!("{}{NAME}", &line[..line.len() - body.len()])
}

/// "M. Jansen, [adres]" → "[naam], [adres]".
fn name_before_comma(line: &str) -> String {
    match line.split_once(',') {
        Some((head, tail))
            if name_like(head) && has_contact(tail) && tail.trim_start().starts_with('[') =>
        {
            format!("{}{tail}", replace_line_keeping_quote(head) + ",")
        }
        _ => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_go() {
        let t = anonymise(
            "Bel me op 06-12345678 of +31 6 18273645 of (033)- 245 18 90.\nMail: jan.jansen@voorbeeld.nl\nKerkstraat 21, 6825 MN Arnhem\nIBAN NL91 ABNA 0417 1643 00\nKlantnummer 5502-117-88",
            &[],
        );
        for gone in [
            "12345678",
            "18273645",
            "245 18 90",
            "jan.jansen",
            "Kerkstraat",
            "6825",
            "Arnhem",
            "0417",
            "5502",
        ] {
            assert!(!t.contains(gone), "{gone} in {t}");
        }
        assert!(t.contains("[telefoon]") && t.contains("[postcode]") && t.contains("[e-mail]"));
    }

    #[test]
    fn dates_and_amounts_stay() {
        let t = anonymise(
            "Op 10-3-2026 en 2026-03-14 is € 1.250,00 afgeschreven, 2x € 89,95.",
            &[],
        );
        assert_eq!(
            t,
            "Op 10-3-2026 en 2026-03-14 is € 1.250,00 afgeschreven, 2x € 89,95."
        );
    }

    #[test]
    fn names_in_context_go() {
        let t = anonymise(
            "Geachte heer Jansen,\n\nUw medewerker Ruud Kramer was onbeleefd. Ik sprak met mevrouw De Vries.\nMijn naam is Pieter Post.\n\nMet vriendelijke groet,\nmevr. J. Bakker-Prins\n",
            &[],
        );
        for gone in [
            "Jansen", "Kramer", "Ruud", "Vries", "Pieter", "Post", "Bakker",
        ] {
            assert!(!t.contains(gone), "{gone} in {t}");
        }
        assert!(t.contains("onbeleefd"));
        let t = anonymise("Groetjes, Kees", &[]);
        assert_eq!(t, "Groetjes, [naam]");
        let t = anonymise("Linda Peters\n06-19283746", &[]);
        assert_eq!(t, "[naam]\n[telefoon]");
    }

    #[test]
    fn known_names_go_everywhere() {
        let t = anonymise(
            "Zoals Thijs de Wolf al schreef: WOLF heeft gelijk. Mail thijs@x.nl",
            &["Thijs de Wolf", "thijs@x.nl"],
        );
        assert!(
            !t.to_lowercase().contains("wolf") && !t.contains("Thijs"),
            "{t}"
        );
    }

    #[test]
    fn a_large_staff_directory_is_removed_whole() {
        let staff: Vec<String> = (0..3000)
            .map(|i| format!("Medewerker{i} Achternaam{i}"))
            .collect();
        let known: Vec<&str> = staff.iter().map(String::as_str).collect();
        let a = Anonymiser::new(&known);
        let out = a.apply("Ik sprak met Medewerker2999 Achternaam2999 en met achternaam17.");
        assert!(
            !out.contains("2999") && !out.contains("achternaam17"),
            "{out}"
        );
    }
}
