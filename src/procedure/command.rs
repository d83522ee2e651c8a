//! Staff commands: lines starting with `#` in a staff mail, Dutch with
//! English aliases (`#gegrond`, `#ongegrond: motivatie`, `#toewijzen
//! naam@org.nl`, …). Parsing only; the processor applies them to a case.

use crate::deadline::Term;

/// One parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `#in-behandeling`: take into treatment.
    InBehandeling,
    /// `#niet-in-behandeling: reden`.
    NietInBehandeling(String),
    /// `#gegrond [: motivatie]`.
    Gegrond(Option<String>),
    /// `#ongegrond [: motivatie]`.
    Ongegrond(Option<String>),
    /// `#opgelost`.
    Opgelost,
    /// `#sluiten`.
    Sluiten,
    /// `#heropen`.
    Heropen,
    /// `#beroep`: the complainant is not satisfied and goes on (appeal).
    Beroep,
    /// `#toewijzen naam@org.nl`.
    Toewijzen(String),
    /// `#verlengen 4 weken: reden`.
    Verlengen(Term, String),
    /// `#wacht`: waiting for the complainant.
    Wacht,
    /// `#categorie product`.
    Categorie(String),
    /// `#urgent`.
    Urgent,
    /// `#notitie tekst`: internal only.
    Notitie(String),
    /// `#bod tekst`: an offer.
    Bod(String),
    /// `#bod-aanvaard` / `#bod-afgewezen`: the complainant's answer to the offer.
    BodAntwoord(bool),
    /// `#uitkomst tekst`: the outcome, as registered.
    Uitkomst(String),
    /// `#betrokken naam@org.nl`: an employee involved in the complaint.
    Betrokken(String),
    /// `#tevredenheid tekst`: the complainant's satisfaction, as heard.
    Tevredenheid(String),
    /// `#verslag [tekst]`: the written report after resolution was sent.
    Verslag(Option<String>),
    /// `#oorzaak tekst`: the cause (improvement register).
    Oorzaak(String),
    /// `#maatregel tekst`: a measure taken to prevent recurrence.
    Maatregel(String),
    /// `#nieuw klant@voorbeeld.nl`: open a case for a complaint taken by
    /// phone or in person; the rest of the mail is the complaint form.
    Nieuw(String),
    /// `#help`.
    Help,
}

/// A line that looked like a command but is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The line as written.
    pub line: String,
    /// Why.
    pub why: String,
}

/// The commands of a mail, and the lines that failed to parse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Commands in order, with their lines.
    pub commands: Vec<(String, Command)>,
    /// Lines starting with `#` that are not valid commands.
    pub rejected: Vec<Rejected>,
}

/// The help text listing every command.
pub const HELP: &str = "\
#in-behandeling                 neem in behandeling (en: #accept)
#niet-in-behandeling: reden     niet in behandeling nemen (en: #reject)
#gegrond[: motivatie]           klacht is gegrond (en: #justified)
#ongegrond: motivatie           klacht is ongegrond (en: #unjustified)
#opgelost                       opgelost (en: #resolved)
#sluiten                        sluiten (en: #close)
#heropen                        heropenen (en: #reopen)
#beroep                         klager niet tevreden: beroep/escalatie, klager krijgt de vervolgstap (en: #appeal)
#toewijzen naam@org.nl          andere behandelaar (en: #assign)
#verlengen 4 weken: reden       termijn verlengen (en: #extend)
#wacht                          wacht op klager (en: #wait)
#categorie product              categorie: dienstverlening, product, medewerker, advies_informatie, termijn (en: #category)
#urgent                         urgent
#notitie tekst                  interne notitie, gaat niet naar de klager (en: #note)
#bod tekst                      aanbod aan de klager (en: #offer)
#bod-aanvaard / #bod-afgewezen  antwoord van de klager op het aanbod (en: #offer-accepted / #offer-declined)
#uitkomst tekst                 uitkomst registreren (en: #outcome)
#betrokken naam@org.nl          betrokken medewerker registreren; kan geen behandelaar zijn (en: #involved)
#tevredenheid tekst             tevredenheid van de klager (en: #satisfaction)
#verslag [tekst]                schriftelijk verslag na oplossing verstuurd (en: #report)
#oorzaak tekst                  oorzaak (verbeterregister) (en: #cause)
#maatregel tekst                maatregel tegen herhaling (en: #measure)
#nieuw klant@voorbeeld.nl       nieuwe klacht (telefonisch/balie) in een nieuwe mail; de tekst is het klachtformulier (en: #new)
#help                           deze lijst";

/// Whether a line is a command line (`#` first, then a letter).
pub fn is_command_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') && t[1..].chars().next().is_some_and(|c| c.is_alphabetic())
}

/// Parses every command line of a text (the new text, quotes removed).
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    for line in text.lines().filter(|l| is_command_line(l)) {
        let line = line.trim().to_string();
        match parse_line(&line) {
            Ok(c) => out.commands.push((line, c)),
            Err(why) => out.rejected.push(Rejected { line, why }),
        }
    }
    out
}

fn parse_line(line: &str) -> Result<Command, String> {
    let body = line.trim_start_matches('#');
    // The verb ends at white space or a colon.
    let end = body
        .find(|c: char| c.is_whitespace() || c == ':')
        .unwrap_or(body.len());
    let verb = body[..end].to_lowercase().replace('_', "-");
    let arg = body[end..]
        .trim_start_matches([':', ' ', '\t'])
        .trim()
        .to_string();
    let opt = |a: &str| (!a.is_empty()).then(|| a.to_string());
    let need = |what: &str| -> Result<String, String> {
        if arg.is_empty() {
            Err(format!("#{verb} needs {what}"))
        } else {
            Ok(arg.clone())
        }
    };
    Ok(match verb.as_str() {
        "in-behandeling" | "inbehandeling" | "accept" | "in-progress" => Command::InBehandeling,
        "niet-in-behandeling" | "reject" | "decline" => {
            Command::NietInBehandeling(need("a reason (#niet-in-behandeling: reden)")?)
        }
        "gegrond" | "justified" => Command::Gegrond(opt(&arg)),
        "ongegrond" | "unjustified" => {
            Command::Ongegrond(Some(need("a motivation (#ongegrond: motivatie)")?))
        }
        "opgelost" | "resolved" => Command::Opgelost,
        "sluiten" | "close" | "gesloten" => Command::Sluiten,
        "heropen" | "heropenen" | "reopen" => Command::Heropen,
        "beroep" | "appeal" => Command::Beroep,
        "toewijzen" | "assign" => {
            let a = need("an address (#toewijzen naam@org.nl)")?;
            if !crate::address::is_valid(&a) {
                return Err(format!("'{a}' is not a mail address"));
            }
            Command::Toewijzen(a.to_ascii_lowercase())
        }
        "verlengen" | "extend" => {
            let a = need("a term and a reason (#verlengen 4 weken: reden)")?;
            let (term, reason) = a
                .split_once(':')
                .ok_or("#verlengen needs a reason after a colon (#verlengen 4 weken: reden)")?;
            let term: Term = term.trim().parse()?;
            let reason = reason.trim();
            if reason.is_empty() {
                return Err("#verlengen needs a reason after the colon".into());
            }
            Command::Verlengen(term, reason.to_string())
        }
        "wacht" | "wait" => Command::Wacht,
        "categorie" | "category" => {
            let c = need("a category")?.to_lowercase();
            if !crate::intake::classify::CATEGORIES.contains(&c.as_str()) {
                return Err(format!(
                    "unknown category '{c}'; use one of {}",
                    crate::intake::classify::CATEGORIES.join(", ")
                ));
            }
            Command::Categorie(c)
        }
        "urgent" => Command::Urgent,
        "notitie" | "note" => Command::Notitie(need("text")?),
        "bod" | "offer" => Command::Bod(need("text")?),
        "bod-aanvaard" | "offer-accepted" => Command::BodAntwoord(true),
        "bod-afgewezen" | "offer-declined" => Command::BodAntwoord(false),
        "uitkomst" | "outcome" => Command::Uitkomst(need("text")?),
        "betrokken" | "involved" => {
            let a = need("an address (#betrokken naam@org.nl)")?;
            if !crate::address::is_valid(&a) {
                return Err(format!("'{a}' is not a mail address"));
            }
            Command::Betrokken(a.to_ascii_lowercase())
        }
        "tevredenheid" | "satisfaction" => Command::Tevredenheid(need("text")?),
        "oorzaak" | "cause" => Command::Oorzaak(need("text")?),
        "verslag" | "report" => Command::Verslag(opt(&arg)),
        "maatregel" | "measure" => Command::Maatregel(need("text")?),
        "nieuw" | "new" => {
            let a = need("the complainant's address (#nieuw klant@voorbeeld.nl)")?;
            if !crate::address::is_valid(&a) {
                return Err(format!("'{a}' is not a mail address"));
            }
            Command::Nieuw(a.to_ascii_lowercase())
        }
        "help" => Command::Help,
        other => {
            return Err(format!(
                "unknown command #{other}; #help lists the commands"
            ))
        }
    })
}

/// The text of a staff mail without its command lines.
pub fn strip_commands(text: &str) -> String {
    text.lines()
        .filter(|l| !is_command_line(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dutch_and_english() {
        let p = parse("Beste,\n#gegrond\n#ongegrond: geen bewijs\n#toewijzen Piet@Org.nl\n#verlengen 4 weken: wachten op expertise\n#notitie intern\n#assign x@org.nl\n#categorie product\n# geen commando\n");
        assert_eq!(p.rejected, vec![]);
        assert_eq!(p.commands.len(), 7);
        assert_eq!(p.commands[0].1, Command::Gegrond(None));
        assert_eq!(
            p.commands[1].1,
            Command::Ongegrond(Some("geen bewijs".into()))
        );
        assert_eq!(p.commands[2].1, Command::Toewijzen("piet@org.nl".into()));
        assert!(
            matches!(p.commands[3].1, Command::Verlengen(_, ref r) if r == "wachten op expertise")
        );
        assert_eq!(p.commands[6].1, Command::Categorie("product".into()));
    }

    #[test]
    fn bad_commands_say_why() {
        let p = parse(
            "#vliegen\n#ongegrond\n#toewijzen piet\n#categorie fiets\n#verlengen binnenkort: x",
        );
        assert_eq!(p.commands, vec![]);
        assert_eq!(p.rejected.len(), 5);
        assert!(p.rejected[0].why.contains("unknown command"));
        assert!(p.rejected[1].why.contains("motivation"));
    }

    #[test]
    fn command_lines_are_not_relayed() {
        assert_eq!(
            strip_commands("#gegrond\nWij lossen het op.\n#notitie x"),
            "Wij lossen het op."
        );
    }
}
