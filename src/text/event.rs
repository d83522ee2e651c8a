//! The date and place of what a complaint is about, when the complainant
//! wrote them (procedure 004: the acknowledgement states "een korte
//! omschrijving met datum, plaats en bijzonderheden"). Found as written
//! ("12 maart", "afgelopen dinsdag", "in Utrecht"), never guessed: what is
//! not found, the letter asks for.

use regex::Regex;
use std::sync::LazyLock;

const MONTHS: &str = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|january|february|march|june|july|august|october";
const DAYS: &str = "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|monday|tuesday|wednesday|thursday|friday|saturday|sunday";

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?ix)\b(
            \d{{1,2}}[-/.]\d{{1,2}}[-/.](?:\d{{4}}|\d{{2}})
          | \d{{1,2}}\s+(?:{MONTHS})(?:\s+\d{{4}})?
          | (?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?
          | (?:afgelopen|vorige\s+week|last|this|op|on)\s+(?:{DAYS})(?:\s+\d{{1,2}}\s+(?:{MONTHS}))?
          | (?:{DAYS})\s+\d{{1,2}}\s+(?:{MONTHS})
          | eergisteren|gisteren(?:avond|ochtend|middag)?|vanochtend|vanmiddag|vandaag|yesterday|this\s+morning|today
        )\b"
    ))
    .expect("the date pattern compiles")
});

/// "in Utrecht", "te Ede", "in ons filiaal in Den Haag", "bij de vestiging
/// Amersfoort", "in Den Bosch": a preposition before a capitalised name.
static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?i:in|te|at|bij\s+(?:de\s+)?(?:vestiging|filiaal|winkel|locatie)|(?:vestiging|filiaal|winkel|locatie|branch|store)(?:\s+(?:in|te|aan\s+de))?)\s+((?:Den\s+|De\s+|Het\s+|'s-)?\p{Lu}[\p{Ll}\p{Lu}'-]+(?:[ -]\p{Lu}[\p{Ll}'-]+)?)",
    )
    .expect("the place pattern compiles")
});

/// Words after "in" that are not places.
const NOT_PLACES: &[&str] = &[
    "Nederland", // a country is no place of an event (and says little)
    "Januari",
    "Februari",
    "Maart",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Augustus",
    "September",
    "Oktober",
    "November",
    "December",
    "Ik",
    "Wij",
    "Het",
    "De",
    "Een",
    "Uw",
    "Mijn",
    "Dit",
    "Dat",
    "Deze",
    "Die",
    "The",
    "My",
    "Our",
    "Your",
    "This",
    "That",
    "I",
];

/// The date of the event as the complainant wrote it, if they did.
pub fn date(text: &str) -> Option<String> {
    DATE.find(text)
        .map(|m| m.as_str().split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The place of the event as the complainant wrote it, if they did.
pub fn place(text: &str) -> Option<String> {
    PLACE
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().trim_end_matches(['.', ',']).to_string())
        .find(|p| !NOT_PLACES.contains(&p.split([' ', '-']).next().unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_complainants_write_them() {
        for (text, want) in [
            (
                "Op 12 maart kwam de adviseur niet opdagen.",
                Some("12 maart"),
            ),
            (
                "Het gesprek van 03-11-2026 verliep slecht.",
                Some("03-11-2026"),
            ),
            (
                "Afgelopen dinsdag werd ik niet teruggebeld.",
                Some("Afgelopen dinsdag"),
            ),
            ("Gisteren heb ik drie keer gebeld.", Some("Gisteren")),
            (
                "On March 4th, 2026 your consultant was rude.",
                Some("March 4th, 2026"),
            ),
            ("De adviseur was onbeleefd en kwam te laat.", None),
            ("Ik heb 2 keer gebeld en 3 mails gestuurd.", None),
        ] {
            assert_eq!(date(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn places_after_a_preposition_not_words_that_start_a_sentence() {
        for (text, want) in [
            (
                "Het intakegesprek in Utrecht was een aanfluiting.",
                Some("Utrecht"),
            ),
            (
                "Bij de vestiging Amersfoort werd ik niet geholpen.",
                Some("Amersfoort"),
            ),
            ("Het gesprek te Den Haag verliep slecht.", Some("Den Haag")),
            ("Ik woon in Nederland en wacht al weken.", None),
            (
                "De adviseur was onbeleefd. In Mijn ogen is dat onacceptabel.",
                None,
            ),
            ("De adviseur kwam niet opdagen.", None),
        ] {
            assert_eq!(place(text).as_deref(), want, "{text}");
        }
    }
}
