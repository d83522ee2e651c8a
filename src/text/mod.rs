//! Text preparation: what a sender wrote themselves ([`reply`]: the new
//! text without quoted history, signatures and disclaimers, the text a
//! handler relays, the command lines), a short description for letters, the
//! date and place of the event ([`event`]),
//! the language it is in, the data a complaint must contain, and the normal
//! form the rules and name lookups match against.

pub mod event;
mod reply;

pub use reply::{
    command_lines, forwarded, is_command_line, new_text, own_text, relay_text, Forwarded,
};

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
    let (nl, en) = if text.is_ascii() {
        function_words(
            text.as_bytes()
                .split(|b| !b.is_ascii_alphabetic())
                .filter(|w| !w.is_empty()),
        )
    } else {
        function_words(
            text.split(|c: char| !c.is_alphabetic())
                .filter(|w| !w.is_empty())
                .map(str::as_bytes),
        )
    };
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

/// How many of the first 400 words are Dutch and English function words.
fn function_words<'a>(words: impl Iterator<Item = &'a [u8]>) -> (u32, u32) {
    let (mut nl, mut en) = (0, 0);
    for w in words.take(400) {
        // The function words are short ASCII words: lower a short word
        // into a buffer rather than allocating a copy of every word.
        if w.len() > 6 || !w.is_ascii() {
            continue;
        }
        let mut buf = [0u8; 6];
        let lower = &mut buf[..w.len()];
        lower.copy_from_slice(w);
        lower.make_ascii_lowercase();
        let (is_nl, is_en) = function_word(lower);
        nl += is_nl as u32;
        en += is_en as u32;
    }
    (nl, en)
}

/// Whether a lower-case word is a common Dutch and/or English function word.
fn function_word(w: &[u8]) -> (bool, bool) {
    const NL: &[&[u8]] = &[
        b"de", b"het", b"een", b"en", b"ik", b"is", b"niet", b"van", b"dat", b"op", b"mijn", b"u",
        b"jullie", b"wij", b"ze", b"maar", b"nog", b"heb", b"voor", b"met", b"geen", b"er", b"al",
        b"wel", b"naar",
    ];
    const EN: &[&[u8]] = &[
        b"the", b"and", b"i", b"is", b"not", b"of", b"that", b"on", b"my", b"you", b"your", b"we",
        b"they", b"but", b"still", b"have", b"for", b"with", b"no", b"was", b"to", b"it", b"this",
        b"a", b"an",
    ];
    (NL.contains(&w), EN.contains(&w))
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

/// Whether an answer to the satisfaction question asks to take the
/// complaint further: it says the writer is not satisfied and names the
/// next step the letter offered (appeal, putting it to the board,
/// escalating), or says "in beroep" outright.
pub fn wants_appeal(new_text: &str) -> bool {
    let t = normalize(new_text);
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let explicit = has(&[
        " in beroep ",
        " beroep aantekenen ",
        " beroep instellen ",
        " i appeal ",
        " lodge an appeal ",
    ]);
    // "niet tevreden", "niet naar (mijn) tevredenheid", "not at all
    // satisfied": a negation up to three words before the word.
    let words: Vec<&str> = t.split_whitespace().collect();
    let negated = words.iter().enumerate().any(|(i, w)| {
        ["tevreden", "tevredenheid", "eens", "satisfied", "happy"].contains(w)
            && words[i.saturating_sub(3)..i]
                .iter()
                .any(|n| ["niet", "geen", "not", "never", "nooit"].contains(n))
    });
    let unhappy = negated
        || has(&[
            " ontevreden ",
            " oneens ",
            " dissatisfied ",
            " unhappy ",
            " disagree ",
        ]);
    let further = has(&[
        " beroep ",
        " voorleggen ",
        " voorgelegd ",
        " escaleren ",
        " hogerop ",
        " bezwaar ",
        " appeal ",
        " escalate ",
        " take this further ",
        " take it further ",
    ]);
    explicit || (unhappy && further)
}

/// Lower case, accents removed, runs of three or more equal letters folded
/// to one, everything but letters and digits turned into single spaces.
pub fn normalize(s: &str) -> String {
    if s.is_ascii() {
        return normalize_ascii(s.as_bytes());
    }
    normalize_chars(s)
}

/// [`normalize`] character by character, for any text.
fn normalize_chars(s: &str) -> String {
    let mut out = Normal {
        text: String::with_capacity(s.len() + 2),
        last: None,
        run: 0,
    };
    out.text.push(' ');
    for ch in s.chars() {
        if ch.is_ascii() {
            // Most mail is ASCII: no Unicode case tables, no accents.
            out.push_ascii(ch as u8);
        } else {
            for lower in ch.to_lowercase() {
                out.push(fold_accent(lower));
            }
        }
    }
    if !out.text.ends_with(' ') {
        out.text.push(' ');
    }
    out.text
}

/// [`normalize`] of ASCII text, byte by byte (most mail): the same rules
/// without decoding characters or Unicode tables.
fn normalize_ascii(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b' ');
    let (mut last, mut run) = (0u8, 0u32);
    for &b in s {
        if !b.is_ascii_alphanumeric() {
            if out.last() != Some(&b' ') {
                out.push(b' ');
            }
            (last, run) = (0, 0);
            continue;
        }
        let b = b.to_ascii_lowercase();
        if b == last && b.is_ascii_alphabetic() {
            run += 1;
            if run >= 2 {
                if run == 2 {
                    out.pop();
                }
                continue;
            }
        } else {
            run = 0;
        }
        out.push(b);
        last = b;
    }
    if out.last() != Some(&b' ') {
        out.push(b' ');
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// The normal form being written: the text so far, its last letter or
/// digit and how often that letter repeated.
struct Normal {
    text: String,
    last: Option<char>,
    run: u32,
}

impl Normal {
    /// An ASCII character: no Unicode tables needed.
    #[inline]
    fn push_ascii(&mut self, b: u8) {
        self.add(
            b.to_ascii_lowercase() as char,
            b.is_ascii_alphanumeric(),
            b.is_ascii_alphabetic(),
        );
    }

    fn push(&mut self, ch: char) {
        self.add(ch, ch.is_alphanumeric(), ch.is_alphabetic());
    }

    /// A lower-case character: a letter or digit is written (a third equal
    /// letter folds the run to one), anything else becomes one space.
    #[inline(always)]
    fn add(&mut self, ch: char, alphanumeric: bool, alphabetic: bool) {
        if !alphanumeric {
            if !self.text.ends_with(' ') {
                self.text.push(' ');
            }
            self.last = None;
            self.run = 0;
            return;
        }
        if Some(ch) == self.last && alphabetic {
            self.run += 1;
            if self.run >= 2 {
                if self.run == 2 {
                    self.text.pop();
                }
                return;
            }
        } else {
            self.run = 0;
        }
        self.text.push(ch);
        self.last = Some(ch);
    }
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
    #[test]
    fn the_ascii_normal_form_is_the_general_one() {
        for t in [
            "",
            " ",
            "Hallo!!",
            "Zeeeer SLECHT... niet  ok?",
            "aaa bbbb 1111 a1a1 AAA-aa",
            "  --  tab\there\nline\r\n",
            "KL-2026-0001: nog steeds GEEN reactie!!!",
            "x",
            "ooo",
        ] {
            assert_eq!(
                super::normalize_ascii(t.as_bytes()),
                super::normalize_chars(t),
                "{t:?}"
            );
        }
    }

    #[test]
    fn an_unhappy_answer_that_names_the_next_step_asks_for_an_appeal() {
        for yes in [
            "Nee, ik ben niet tevreden. Ik wil dit voorleggen aan de directie.",
            "Ontevreden, een 3. Ik ga hiermee hogerop.",
            "Ik ga in beroep.",
            "Not satisfied at all; I want to appeal.",
            "Dit is niet naar tevredenheid opgelost. Ik wil mijn klacht voorleggen aan de directie.",
        ] {
            assert!(wants_appeal(yes), "{yes}");
        }
        for no in [
            "Prima geregeld, een 8.",
            "Ik ben niet tevreden over de wachttijd, maar het is nu opgelost.",
            "Ik wil de directie bedanken.",
            "Satisfied, thanks.",
        ] {
            assert!(!wants_appeal(no), "{no}");
        }
    }

    use super::*;

    #[test]
    fn summary_skips_salutation_and_cuts_at_a_word() {
        let s = summary("Geachte heer,\n\nDe bezorger heeft het pakket bij de verkeerde buren afgeleverd en niemand belt terug.", 50);
        assert!(s.starts_with("De bezorger"));
        assert!(s.ends_with('…'));
        assert!(s.chars().count() <= 51);
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
}
