//! The complaint form of a `#nieuw` mail: a complaint taken by phone, by
//! post, at the counter or on social media, entered by a staff member.
//! Besides the text, lines like `Naam: …`, `Telefoon: …`, `Adres: …`,
//! `Kanaal: telefoon`, `Ontvangen: 30-11-2026 14:20` (or in English:
//! `Name:`, `Phone:`, `Address:`, `Channel:`, `Received:`) fill in who
//! complained, how, and when — the terms start at that moment.

use crate::deadline::Calendar;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// The channels a complaint can come in through besides e-mail.
pub const CHANNELS: &[&str] = &["telefoon", "post", "balie", "sociale media", "intern"];

/// A filled-in complaint form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// The complainant's name.
    pub name: Option<String>,
    /// Their mail address, when they have one.
    pub email: Option<String>,
    /// Their phone number.
    pub phone: Option<String>,
    /// Their postal address.
    pub postal_address: Option<String>,
    /// How it came in (one of [`CHANNELS`]).
    pub channel: Option<String>,
    /// When the organisation received it.
    pub received: Option<DateTime<Utc>>,
    /// The complaint itself: the rest of the text.
    pub text: String,
    /// Field lines that could not be read, with why.
    pub problems: Vec<String>,
}

/// Reads the form from a mail's own text (command lines already removed).
pub fn read(text: &str, cal: &Calendar) -> Form {
    let mut form = Form::default();
    let mut rest = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            rest.push(line);
            continue;
        };
        let value = value.trim();
        let key = key.trim().to_lowercase();
        let field = match key.as_str() {
            "naam" | "name" => &mut form.name,
            "e-mail" | "email" | "e-mailadres" | "mail" => &mut form.email,
            "telefoon" | "tel" | "tel." | "telefoonnummer" | "phone" => &mut form.phone,
            "adres" | "address" | "postadres" => &mut form.postal_address,
            "kanaal" | "channel" => {
                let c = value.to_lowercase();
                match CHANNELS
                    .iter()
                    .find(|ch| c == **ch || (c == "social media" && **ch == "sociale media"))
                {
                    Some(ch) => form.channel = Some(ch.to_string()),
                    None => form.problems.push(format!(
                        "Kanaal: '{value}' is geen kanaal; kies uit {}",
                        CHANNELS.join(", ")
                    )),
                }
                continue;
            }
            "ontvangen" | "received" => {
                match moment(value, cal) {
                    Some(t) => form.received = Some(t),
                    None => form.problems.push(format!(
                        "Ontvangen: '{value}' is geen datum en tijd; schrijf bijvoorbeeld 30-11-2026 14:20"
                    )),
                }
                continue;
            }
            _ => {
                rest.push(line);
                continue;
            }
        };
        if !value.is_empty() {
            *field = Some(value.to_string());
        }
    }
    if let Some(e) = &form.email {
        if !crate::address::is_valid(e) {
            form.problems
                .push(format!("E-mail: '{e}' is geen e-mailadres"));
            form.email = None;
        } else {
            form.email = Some(e.to_ascii_lowercase());
        }
    }
    form.text = rest.join("\n").trim().to_string();
    form
}

/// A moment as staff write it, in the organisation's time zone:
/// `30-11-2026 14:20`, `30-11-2026`, `2026-11-30 14:20`.
fn moment(s: &str, cal: &Calendar) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_end_matches('.');
    let (date, time) = match s.split_once(|c: char| c.is_whitespace()) {
        Some((d, t)) => (d, Some(t.trim().trim_start_matches("om ").trim())),
        None => (s, None),
    };
    let day = crate::procedure::command::parse_date(date)?;
    let time = match time {
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H.%M"))
            .ok()?,
        None => NaiveTime::from_hms_opt(9, 0, 0)?,
    };
    local(cal, day, time)
}

fn local(cal: &Calendar, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    cal.tz
        .from_local_datetime(&NaiveDateTime::new(day, time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_fills_in_who_how_and_when() {
        let cal = Calendar::default();
        let f = read(
            "Naam: Jan de Vries\nTelefoon: 06 12345678\nAdres: Kerkstraat 1, 6711 AB Ede\nKanaal: telefoon\nOntvangen: 30-11-2026 14:20\n\nMeneer belde: de meter is al drie weken kapot.",
            &cal,
        );
        assert_eq!(f.name.as_deref(), Some("Jan de Vries"));
        assert_eq!(f.phone.as_deref(), Some("06 12345678"));
        assert_eq!(
            f.postal_address.as_deref(),
            Some("Kerkstraat 1, 6711 AB Ede")
        );
        assert_eq!(f.channel.as_deref(), Some("telefoon"));
        assert_eq!(
            f.received.unwrap().to_rfc3339(),
            "2026-11-30T13:20:00+00:00"
        );
        assert_eq!(f.text, "Meneer belde: de meter is al drie weken kapot.");
        assert!(f.problems.is_empty());
        assert_eq!(f.email, None);
    }

    #[test]
    fn a_field_that_cannot_be_read_says_so() {
        let f = read(
            "Kanaal: duif\nOntvangen: gisteren\nE-mail: geen",
            &Calendar::default(),
        );
        assert_eq!(f.problems.len(), 3, "{:?}", f.problems);
        assert_eq!((f.channel, f.received, f.email), (None, None, None));
    }
}
