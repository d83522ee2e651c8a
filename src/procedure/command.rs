//! Staff commands: lines starting with `#` in a staff mail, Dutch with
//! English aliases (`#gegrond`, `#ongegrond: motivatie`, `#toewijzen
//! naam@org.nl`, …). Parsing only; [`crate::procedure::handling`] applies
//! them to a case. A line that looks like a command but is not one is
//! refused with the reason, in the staff's language, and an unknown word
//! gets a suggestion ("bedoelde u #gegrond?").

use crate::cases::id::CaseId;
use crate::cases::state::State;
use crate::deadline::Term;
use chrono::NaiveDate;

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
    /// `#nieuw [klant@voorbeeld.nl]`: open a case for a complaint taken by
    /// phone, post, at the counter or on social media; the rest of the mail
    /// is the complaint form (with `Naam:`, `Telefoon:`, … lines).
    Nieuw(Option<String>),
    /// `#klacht`: in a new mail, the sender, an employee, complains
    /// themselves; on a case, it confirms a doubtful case is a complaint.
    Klacht,
    /// `#geen-klacht`, `#vraag`, `#compliment`, `#idee` on a case: the
    /// message is not a complaint but this (`overig` for `#geen-klacht`);
    /// the case is withdrawn and the sender gets the right letter.
    Soort(String),
    /// `#afwezig tot 2026-12-24`: the sender is away; the deputy takes over.
    Afwezig(NaiveDate),
    /// `#terug`: the sender is back.
    Terug,
    /// `#agenda`: the current agenda, mailed to the (staff) sender.
    Agenda,
    /// `#zaak KL-2026-0042`: that case with its whole conversation.
    Zaak(CaseId),
    /// `#mijn`: the sender's open cases.
    Mijn,
    /// `#help`.
    Help,
    /// `#complex`: the complaint is complex (routes may send it on).
    Complex,
    /// `#schadeclaim DATUM[: wat]`: a claim for damages, with the date the
    /// damage was discovered.
    Schadeclaim(NaiveDate, Option<String>),
    /// `#reactie-betrokkene tekst`: the involved person's reaction, heard.
    ReactieBetrokkene(String),
    /// `#bezoek gepland [DATUM]` / `#bezoek gedaan`, or `#stap NAAM
    /// gestart|gedaan`: a step of the policy started or ended by command.
    Stap {
        /// The step's command or name.
        step: String,
        /// `true`: ended; `false`: started.
        done: bool,
        /// For when it is planned, when given.
        planned: Option<NaiveDate>,
    },
}

impl Command {
    /// Whether it asks for information (`#agenda`, `#zaak`, `#mijn`)
    /// rather than changing anything.
    pub fn is_request(&self) -> bool {
        matches!(self, Command::Agenda | Command::Zaak(_) | Command::Mijn)
    }
}

/// What a refused command lacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// A reason (`#niet-in-behandeling: reden`).
    Reason,
    /// A motivation (`#ongegrond: motivatie`).
    Motivation,
    /// A mail address.
    Address,
    /// A term and a reason (`#verlengen 4 weken: reden`).
    TermAndReason,
    /// A reason after the colon.
    ReasonAfterColon,
    /// Text after the command.
    Text,
    /// A category.
    Category,
    /// A date (`#afwezig tot 2026-12-24`).
    Date,
    /// A case number (`#zaak KL-2026-0042`).
    CaseNumber,
    /// The date the damage was discovered (`#schadeclaim 01-11-2026`).
    DiscoveryDate,
    /// `gepland` or `gedaan` (`#bezoek gepland 04-12-2026`).
    StartedOrDone,
}

/// Why a command line was refused. Written out in the staff's language by
/// [`Refusal::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such command.
    Unknown {
        /// The word after `#`.
        verb: String,
        /// The command probably meant.
        suggestion: Option<String>,
    },
    /// Something the command needs is missing.
    Needs {
        /// The command.
        verb: String,
        /// What.
        what: Needed,
    },
    /// Not a mail address.
    NotAnAddress(String),
    /// Not a term as the procedures write them.
    BadTerm(String),
    /// Not one of the categories.
    UnknownCategory(String),
    /// Not a date.
    BadDate(String),
    /// The procedure does not allow this step from the case's state.
    NotAllowed {
        /// The state the case is in.
        from: State,
        /// The state asked for.
        to: State,
        /// The policy wants a judgement before resolving.
        judgement_first: bool,
    },
    /// Not a staff address.
    NotStaff(String),
    /// Named in the complaint as involved: cannot handle it.
    Involved(String),
    /// Longer than the policy allows one extension to be.
    ExtensionTooLong {
        /// The extension asked for.
        asked: Term,
        /// The longest the policy allows.
        max: Term,
    },
    /// The policy's extensions are used up.
    ExtensionsUsed {
        /// How many the policy allows.
        max: u32,
    },
    /// No offer to answer.
    NoOffer,
    /// The handler cannot be registered as involved.
    IsHandler(String),
    /// A command for a fresh mail, sent on a case.
    NotOnACase(&'static str),
    /// Another command of the same mail was refused, so nothing was done.
    NotApplied,
    /// What kind of message it is was settled already (or a position taken).
    AlreadyLabelled(String),
    /// The policy has no such step (or none started by this command).
    NoSuchStep(String),
    /// The policy has no damage claims.
    NoClaims,
}

impl Refusal {
    /// The reason in `lang` (`nl`, else English).
    pub fn text(&self, lang: &str) -> String {
        if lang == "en" {
            self.english()
        } else {
            self.dutch()
        }
    }

    fn dutch(&self) -> String {
        match self {
            Refusal::Unknown { verb, suggestion } => match suggestion {
                Some(s) => format!("#{verb} kennen wij niet; bedoelde u #{s}?"),
                None => format!("#{verb} kennen wij niet; #help geeft alle commando's"),
            },
            Refusal::Needs { verb, what } => format!(
                "#{verb} heeft {} nodig",
                match what {
                    Needed::Reason => "een reden (#niet-in-behandeling: reden)",
                    Needed::Motivation => "een motivering (#ongegrond: motivering)",
                    Needed::Address => "een e-mailadres (#toewijzen naam@organisatie.nl)",
                    Needed::TermAndReason => "een termijn en een reden (#verlengen 4 weken: reden)",
                    Needed::ReasonAfterColon => "een reden na de dubbele punt (#verlengen 4 weken: reden)",
                    Needed::Text => "een tekst erachter",
                    Needed::Category => "een categorie",
                    Needed::Date => "een datum (#afwezig tot 24-12-2026)",
                    Needed::CaseNumber => "een zaaknummer (#zaak KL-2026-0042)",
                    Needed::DiscoveryDate => "de datum waarop de schade is ontdekt (#schadeclaim 01-11-2026: wat)",
                    Needed::StartedOrDone => "'gepland [datum]' of 'gedaan' (#bezoek gepland 04-12-2026)",
                }
            ),
            Refusal::NotAnAddress(a) => format!("'{a}' is geen e-mailadres"),
            Refusal::BadTerm(t) => format!(
                "'{t}' is geen termijn; schrijf bijvoorbeeld \"2 weken\" of \"5 werkdagen\""
            ),
            Refusal::UnknownCategory(c) => format!(
                "'{c}' is geen categorie; kies uit {}",
                crate::intake::classify::CATEGORIES.join(", ")
            ),
            Refusal::BadDate(d) => {
                format!("'{d}' is geen datum; schrijf bijvoorbeeld 24-12-2026")
            }
            Refusal::NotAllowed {
                from,
                to,
                judgement_first,
            } => format!(
                "een klacht die {} is, kan niet naar {}{}",
                from.label("nl"),
                to.label("nl"),
                if *judgement_first {
                    "; de regeling vraagt eerst een oordeel (#gegrond of #ongegrond)"
                } else {
                    ""
                }
            ),
            Refusal::NotStaff(a) => format!("{a} is geen medewerker"),
            Refusal::Involved(a) => format!(
                "{a} wordt in de klacht genoemd als betrokkene; een betrokkene mag de klacht niet behandelen"
            ),
            Refusal::ExtensionsUsed { max } => format!(
                "de regeling staat {max} verlenging(en) toe en die zijn al gebruikt"
            ),
            Refusal::ExtensionTooLong { asked, max } => format!(
                "de regeling staat een verlenging van hoogstens {max} toe, niet {asked}; bijvoorbeeld #verlengen {max}: reden"
            ),
            Refusal::NoOffer => "er is nog geen aanbod geregistreerd (#bod tekst)".into(),
            Refusal::IsHandler(a) => format!(
                "{a} behandelt de klacht; wijs eerst een andere behandelaar toe (#toewijzen)"
            ),
            Refusal::NotOnACase(verb) => format!(
                "#{verb} opent een nieuwe klacht: stuur het in een nieuwe e-mail aan het klachtenadres, niet als antwoord op een klacht"
            ),
            Refusal::NotApplied => {
                "niet uitgevoerd, omdat een ander commando in deze e-mail werd geweigerd".into()
            }
            Refusal::AlreadyLabelled(label) => format!(
                "over deze zaak is al beslist ({}); een klager die het oneens is, antwoordt op de brief",
                dutch_label(label)
            ),
            Refusal::NoSuchStep(s) => format!(
                "de regeling kent geen stap '{s}' die met een commando begint of eindigt; `klachtd policy show` noemt de stappen"
            ),
            Refusal::NoClaims => {
                "de regeling kent geen schadeclaims ([schadeclaim] in het beleid)".into()
            }
        }
    }

    fn english(&self) -> String {
        match self {
            Refusal::Unknown { verb, suggestion } => match suggestion {
                Some(s) => format!("#{verb} is not a command; did you mean #{s}?"),
                None => format!("#{verb} is not a command; #help lists them"),
            },
            Refusal::Needs { verb, what } => format!(
                "#{verb} needs {}",
                match what {
                    Needed::Reason => "a reason (#reject: reason)",
                    Needed::Motivation => "a motivation (#unjustified: motivation)",
                    Needed::Address => "a mail address (#assign name@organisation.nl)",
                    Needed::TermAndReason => "a term and a reason (#extend 4 weeks: reason)",
                    Needed::ReasonAfterColon => "a reason after the colon (#extend 4 weeks: reason)",
                    Needed::Text => "text after it",
                    Needed::Category => "a category",
                    Needed::Date => "a date (#away until 2026-12-24)",
                    Needed::CaseNumber => "a case number (#case KL-2026-0042)",
                    Needed::DiscoveryDate => "the date the damage was discovered (#claim 2026-11-01: what)",
                    Needed::StartedOrDone => "'planned [date]' or 'done' (#visit planned 2026-12-04)",
                }
            ),
            Refusal::NotAnAddress(a) => format!("'{a}' is not a mail address"),
            Refusal::BadTerm(t) => {
                format!("'{t}' is not a term; write e.g. \"2 weeks\" or \"5 working days\"")
            }
            Refusal::UnknownCategory(c) => format!(
                "'{c}' is not a category; use one of {}",
                crate::intake::classify::CATEGORIES.join(", ")
            ),
            Refusal::BadDate(d) => format!("'{d}' is not a date; write e.g. 2026-12-24"),
            Refusal::NotAllowed {
                from,
                to,
                judgement_first,
            } => format!(
                "a complaint that is {} cannot become {}{}",
                from.label("en"),
                to.label("en"),
                if *judgement_first {
                    "; the policy asks for a judgement first (#justified or #unjustified)"
                } else {
                    ""
                }
            ),
            Refusal::NotStaff(a) => format!("{a} is not a staff address"),
            Refusal::Involved(a) => format!(
                "{a} is named in the complaint as involved; someone involved must not handle it"
            ),
            Refusal::ExtensionsUsed { max } => format!(
                "the policy allows {max} extension(s) and they have been used"
            ),
            Refusal::ExtensionTooLong { asked, max } => format!(
                "the policy allows an extension of at most {}, not {}; for example #extend {}: reason",
                max.describe("en"),
                asked.describe("en"),
                max.describe("en")
            ),
            Refusal::NoOffer => "no offer has been registered yet (#offer text)".into(),
            Refusal::IsHandler(a) => {
                format!("{a} handles the complaint; assign another handler first (#assign)")
            }
            Refusal::NotOnACase(verb) => format!(
                "#{verb} opens a new complaint: send it in a new mail to the complaints address, not as a reply on a complaint"
            ),
            Refusal::NotApplied => {
                "not carried out, because another command in this mail was refused".into()
            }
            Refusal::AlreadyLabelled(label) => format!(
                "this case was settled already ({label}); a complainant who disagrees replies to the letter"
            ),
            Refusal::NoSuchStep(s) => format!(
                "the policy has no step '{s}' started or ended by a command; `klachtd policy show` lists its steps"
            ),
            Refusal::NoClaims => "the policy has no damage claims ([schadeclaim] in the policy)".into(),
        }
    }
}

/// A label as Dutch staff read it.
fn dutch_label(label: &str) -> &str {
    match label {
        "overig" => "geen klacht",
        other => other,
    }
}

/// A line that looked like a command but is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The line as written.
    pub line: String,
    /// Why.
    pub why: Refusal,
}

/// The commands of a mail, and the lines that failed to parse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Commands in order, with their lines.
    pub commands: Vec<(String, Command)>,
    /// Lines starting with `#` that are not valid commands.
    pub rejected: Vec<Rejected>,
}

/// The help text listing every command, in `lang`.
pub fn help(lang: &str) -> &'static str {
    if lang == "en" {
        HELP_EN
    } else {
        HELP
    }
}

/// The help text listing every command (Dutch, with the English aliases).
pub const HELP: &str = "\
#in-behandeling                 neem in behandeling (en: #accept)
#niet-in-behandeling: reden     niet in behandeling nemen (en: #reject)
#gegrond[: motivering]          klacht is gegrond (en: #justified)
#ongegrond: motivering          klacht is ongegrond (en: #unjustified)
#opgelost                       opgelost (en: #resolved)
#sluiten                        sluiten (en: #close)
#heropen                        heropenen (en: #reopen)
#beroep                         klager niet tevreden: beroep/escalatie, klager krijgt de vervolgstap (en: #appeal)
#toewijzen naam@org.nl          andere behandelaar; die krijgt de hele klacht (en: #assign)
#verlengen 4 weken: reden       termijn verlengen (en: #extend)
#wacht                          wacht op klager (en: #wait)
#categorie product              categorie: dienstverlening, product, medewerker, advies_informatie, termijn (en: #category)
#urgent                         urgent; de rol voor urgente klachten hoort het meteen
#complex                        complexe klacht; gaat waar de regeling dat zegt naar de bemiddelaar
#schadeclaim 01-11-2026: wat    schadeclaim met de datum waarop de schade is ontdekt; gaat naar de directie (en: #claim)
#reactie-betrokkene tekst       reactie van de betrokkene gehoord (hoor en wederhoor) (en: #reaction)
#bezoek gepland [datum]         inspectiebezoek gepland / #bezoek gedaan: uitgevoerd (en: #visit planned / done)
#stap naam gestart / gedaan     een stap van de regeling begonnen of afgerond (en: #step)
#notitie tekst                  interne notitie, gaat niet naar de klager (en: #note)
#bod tekst                      aanbod aan de klager (en: #offer)
#bod-aanvaard / #bod-afgewezen  antwoord van de klager op het aanbod (en: #offer-accepted / #offer-declined)
#uitkomst tekst                 uitkomst registreren (en: #outcome)
#betrokken naam@org.nl          betrokken medewerker registreren; kan geen behandelaar zijn (en: #involved)
#tevredenheid tekst             tevredenheid van de klager (en: #satisfaction)
#verslag [tekst]                schriftelijk verslag na oplossing verstuurd (en: #report)
#oorzaak tekst                  oorzaak (verbeterregister) (en: #cause)
#maatregel tekst                maatregel tegen herhaling (en: #measure)
#nieuw [klant@voorbeeld.nl]     nieuwe klacht (telefoon, post, balie, sociale media) in een nieuwe e-mail; regels
                                Naam:, Telefoon:, Adres:, Kanaal:, Ontvangen: vullen het klachtformulier (en: #new)
#klacht                         u dient zelf een klacht in, als medewerker, in een nieuwe e-mail (en: #complaint);
                                op een twijfelgeval: het is wél een klacht
#geen-klacht                    op een twijfelgeval: geen klacht, de zaak wordt ingetrokken (en: #not-a-complaint)
#vraag / #compliment / #idee    op een twijfelgeval: het is een vraag, compliment of idee; ingetrokken (en: #question / #idea)
#afwezig tot 24-12-2026         u bent afwezig; de plaatsvervanger neemt het over (en: #away until)
#agenda                         de agenda van nu, per e-mail aan u (in een nieuwe e-mail of een antwoord)
#zaak KL-2026-0042              die zaak met het hele gesprek, per e-mail aan u (en: #case)
#mijn                           uw openstaande zaken, per e-mail aan u (en: #mine)
#terug                          u bent weer aanwezig (en: #back)
#help                           deze lijst";

/// The help text in English.
const HELP_EN: &str = "\
#accept                         take the complaint on (nl: #in-behandeling)
#reject: reason                 do not take it on (nl: #niet-in-behandeling)
#justified[: motivation]        the complaint is justified (nl: #gegrond)
#unjustified: motivation        the complaint is unjustified (nl: #ongegrond)
#resolved                       resolved (nl: #opgelost)
#close                          close (nl: #sluiten)
#reopen                         reopen (nl: #heropen)
#appeal                         the complainant is not satisfied: appeal (nl: #beroep)
#assign name@org.nl             another handler, who gets the whole complaint (nl: #toewijzen)
#extend 4 weeks: reason         extend the term (nl: #verlengen)
#wait                           waiting for the complainant (nl: #wacht)
#category product               category: dienstverlening, product, medewerker, advies_informatie, termijn
#urgent                         urgent; the policy's urgent role is told at once
#complex                        a complex complaint; goes to the mediator where the policy says so
#claim 2026-11-01: what         a claim for damages with the date the damage was discovered (nl: #schadeclaim)
#reaction text                  the involved person's reaction, heard (nl: #reactie-betrokkene)
#visit planned [date]           inspection visit planned / #visit done: carried out (nl: #bezoek)
#step name started / done       a step of the policy started or completed (nl: #stap)
#note text                      internal note, never sent to the complainant (nl: #notitie)
#offer text                     an offer to the complainant (nl: #bod)
#offer-accepted / #offer-declined  the complainant's answer to the offer
#outcome text                   register the outcome (nl: #uitkomst)
#involved name@org.nl           an employee involved; cannot handle it (nl: #betrokken)
#satisfaction text              the complainant's satisfaction (nl: #tevredenheid)
#report [text]                  the written report after resolution was sent (nl: #verslag)
#cause text                     the cause (improvement register) (nl: #oorzaak)
#measure text                   a measure against recurrence (nl: #maatregel)
#new [customer@example.com]     a new complaint (phone, post, counter, social media) in a new mail; lines
                                Name:, Phone:, Address:, Channel:, Received: fill in the form (nl: #nieuw)
#complaint                      you complain yourself, as an employee, in a new mail (nl: #klacht);
                                on a doubtful case: it is a complaint
#not-a-complaint                on a doubtful case: not a complaint, the case is withdrawn (nl: #geen-klacht)
#question / #compliment / #idea on a doubtful case: a question, compliment or idea; withdrawn (nl: #vraag / #idee)
#away until 2026-12-24          you are away; the deputy takes over (nl: #afwezig tot)
#agenda                         the agenda as of now, mailed to you (in a new mail or a reply)
#case KL-2026-0042              that case with its whole conversation, mailed to you (nl: #zaak)
#mine                           your open cases, mailed to you (nl: #mijn)
#back                           you are back (nl: #terug)
#help                           this list";

/// Every command word (Dutch first, then the aliases), for suggestions.
const VERBS: &[&str] = &[
    "complex",
    "schadeclaim",
    "reactie-betrokkene",
    "bezoek",
    "stap",
    "in-behandeling",
    "niet-in-behandeling",
    "gegrond",
    "ongegrond",
    "opgelost",
    "sluiten",
    "heropen",
    "beroep",
    "toewijzen",
    "verlengen",
    "wacht",
    "categorie",
    "urgent",
    "notitie",
    "bod",
    "bod-aanvaard",
    "bod-afgewezen",
    "uitkomst",
    "betrokken",
    "tevredenheid",
    "verslag",
    "oorzaak",
    "maatregel",
    "nieuw",
    "klacht",
    "geen-klacht",
    "vraag",
    "compliment",
    "idee",
    "afwezig",
    "terug",
    "agenda",
    "zaak",
    "mijn",
    "help",
    "accept",
    "reject",
    "justified",
    "unjustified",
    "resolved",
    "close",
    "reopen",
    "appeal",
    "assign",
    "extend",
    "wait",
    "category",
    "note",
    "offer",
    "offer-accepted",
    "offer-declined",
    "outcome",
    "involved",
    "satisfaction",
    "report",
    "cause",
    "measure",
    "new",
    "complaint",
    "not-a-complaint",
    "question",
    "idea",
    "away",
    "back",
];

pub use crate::text::is_command_line;

/// Parses command lines (as [`crate::text::command_lines`] finds them).
pub fn parse<S: AsRef<str>>(lines: &[S]) -> Parsed {
    let mut out = Parsed::default();
    for line in lines {
        let line = line.as_ref().trim().to_string();
        match parse_line(&line) {
            Ok(c) => out.commands.push((line, c)),
            Err(why) => out.rejected.push(Rejected { line, why }),
        }
    }
    out
}

/// The command word closest to an unknown one, when it is close enough to
/// be a typo.
fn suggestion(verb: &str) -> Option<String> {
    let best = VERBS
        .iter()
        .map(|v| (distance(verb, v), *v))
        .min_by_key(|(d, _)| *d)?;
    let allowed = if verb.chars().count() <= 4 { 1 } else { 2 };
    (best.0 <= allowed).then(|| best.1.to_string())
}

/// The edit distance of two words (insertions, deletions, substitutions).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

fn parse_line(line: &str) -> Result<Command, Refusal> {
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
    let need = |what: Needed| -> Result<String, Refusal> {
        if arg.is_empty() {
            Err(Refusal::Needs {
                verb: verb.clone(),
                what,
            })
        } else {
            Ok(arg.clone())
        }
    };
    let address = |a: String| -> Result<String, Refusal> {
        if crate::address::is_valid(&a) {
            Ok(a.to_ascii_lowercase())
        } else {
            Err(Refusal::NotAnAddress(a))
        }
    };
    Ok(match verb.as_str() {
        "in-behandeling" | "inbehandeling" | "accept" | "in-progress" => Command::InBehandeling,
        "niet-in-behandeling" | "reject" | "decline" => {
            Command::NietInBehandeling(need(Needed::Reason)?)
        }
        "gegrond" | "justified" => Command::Gegrond(opt(&arg)),
        "ongegrond" | "unjustified" => Command::Ongegrond(Some(need(Needed::Motivation)?)),
        "opgelost" | "resolved" => Command::Opgelost,
        "sluiten" | "close" | "gesloten" => Command::Sluiten,
        "heropen" | "heropenen" | "reopen" => Command::Heropen,
        "beroep" | "appeal" => Command::Beroep,
        "toewijzen" | "assign" => Command::Toewijzen(address(need(Needed::Address)?)?),
        "verlengen" | "extend" => verlengen(&verb, &need(Needed::TermAndReason)?)?,
        "wacht" | "wait" => Command::Wacht,
        "categorie" | "category" => {
            let c = need(Needed::Category)?.to_lowercase();
            if !crate::intake::classify::CATEGORIES.contains(&c.as_str()) {
                return Err(Refusal::UnknownCategory(c));
            }
            Command::Categorie(c)
        }
        "urgent" => Command::Urgent,
        "notitie" | "note" => Command::Notitie(need(Needed::Text)?),
        "bod" | "offer" => Command::Bod(need(Needed::Text)?),
        "bod-aanvaard" | "offer-accepted" => Command::BodAntwoord(true),
        "bod-afgewezen" | "offer-declined" => Command::BodAntwoord(false),
        "uitkomst" | "outcome" => Command::Uitkomst(need(Needed::Text)?),
        "betrokken" | "involved" => Command::Betrokken(address(need(Needed::Address)?)?),
        "tevredenheid" | "satisfaction" => Command::Tevredenheid(need(Needed::Text)?),
        "oorzaak" | "cause" => Command::Oorzaak(need(Needed::Text)?),
        "verslag" | "report" => Command::Verslag(opt(&arg)),
        "maatregel" | "measure" => Command::Maatregel(need(Needed::Text)?),
        "nieuw" | "new" => Command::Nieuw(match opt(&arg) {
            Some(a) => Some(address(a)?),
            None => None,
        }),
        "klacht" | "complaint" => Command::Klacht,
        "geen-klacht" | "geenklacht" | "not-a-complaint" | "no-complaint" => {
            Command::Soort("overig".into())
        }
        "vraag" | "question" => Command::Soort("vraag".into()),
        "compliment" => Command::Soort("compliment".into()),
        "idee" | "idea" => Command::Soort("idee".into()),
        "afwezig" | "away" => {
            let a = need(Needed::Date)?;
            let date = a
                .trim_start_matches("tot ")
                .trim_start_matches("until ")
                .trim();
            Command::Afwezig(parse_date(date).ok_or_else(|| Refusal::BadDate(date.into()))?)
        }
        "terug" | "back" => Command::Terug,
        "agenda" => Command::Agenda,
        "zaak" | "case" => {
            let a = need(Needed::CaseNumber)?;
            Command::Zaak(CaseId::find_in(&a).ok_or_else(|| Refusal::Needs {
                verb: "zaak".into(),
                what: Needed::CaseNumber,
            })?)
        }
        "mijn" | "mine" => Command::Mijn,
        "help" => Command::Help,
        "complex" => Command::Complex,
        "schadeclaim" | "claim" => schadeclaim(&need(Needed::DiscoveryDate)?)?,
        "reactie-betrokkene" | "reaction" => Command::ReactieBetrokkene(need(Needed::Text)?),
        "bezoek" | "visit" => stap("bezoek", &verb, &need(Needed::StartedOrDone)?)?,
        "stap" | "step" => {
            let a = need(Needed::StartedOrDone)?;
            let (name, rest) = a.split_once(char::is_whitespace).unwrap_or((&a, ""));
            stap(name, &verb, rest)?
        }
        other => {
            return Err(Refusal::Unknown {
                verb: other.to_string(),
                suggestion: suggestion(other),
            })
        }
    })
}

/// `#schadeclaim 01-11-2026[: wat]`: the discovery date, and what is claimed.
fn schadeclaim(arg: &str) -> Result<Command, Refusal> {
    let (date, what) = match arg.split_once(':') {
        Some((d, w)) => (d.trim(), Some(w.trim()).filter(|w| !w.is_empty())),
        None => (arg, None),
    };
    let date = date
        .trim_start_matches("ontdekt")
        .trim_start_matches("discovered")
        .trim();
    Ok(Command::Schadeclaim(
        parse_date(date).ok_or_else(|| Refusal::BadDate(date.into()))?,
        what.map(str::to_string),
    ))
}

/// `gepland [DATUM]` / `gestart` / `gedaan` of step `step`.
fn stap(step: &str, verb: &str, arg: &str) -> Result<Command, Refusal> {
    let arg = arg.trim();
    let (word, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    let done = match word.to_lowercase().as_str() {
        "gedaan" | "klaar" | "done" => true,
        "gepland" | "gestart" | "planned" | "started" => false,
        _ => {
            return Err(Refusal::Needs {
                verb: verb.into(),
                what: Needed::StartedOrDone,
            })
        }
    };
    let rest = rest
        .trim()
        .trim_start_matches("op ")
        .trim_start_matches("on ")
        .trim();
    let planned = match rest {
        "" => None,
        d => Some(parse_date(d).ok_or_else(|| Refusal::BadDate(d.into()))?),
    };
    Ok(Command::Stap {
        step: step.to_lowercase(),
        done,
        planned,
    })
}

/// `#verlengen 4 weken: reden`.
fn verlengen(verb: &str, arg: &str) -> Result<Command, Refusal> {
    let (term, reason) = arg.split_once(':').ok_or_else(|| Refusal::Needs {
        verb: verb.into(),
        what: Needed::ReasonAfterColon,
    })?;
    let parsed: Term = term
        .trim()
        .parse()
        .map_err(|_| Refusal::BadTerm(term.trim().into()))?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Refusal::Needs {
            verb: verb.into(),
            what: Needed::ReasonAfterColon,
        });
    }
    Ok(Command::Verlengen(parsed, reason.to_string()))
}

/// A date as staff write it: `24-12-2026`, `24-12`, `2026-12-24`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim().trim_end_matches('.');
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d-%m-%Y"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
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

    fn lines(text: &str) -> Vec<String> {
        crate::text::command_lines(text)
    }

    #[test]
    fn parses_dutch_and_english() {
        let p = parse(&lines("Beste,\n#gegrond\n#ongegrond: geen bewijs\n#toewijzen Piet@Org.nl\n#verlengen 4 weken: wachten op expertise\n#notitie intern\n#assign x@org.nl\n#categorie product\n# geen commando\n"));
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
    fn bad_commands_say_why_in_the_staff_language() {
        let p = parse(&lines(
            "#vliegen\n#ongegrond\n#toewijzen piet\n#categorie fiets\n#verlengen binnenkort: x",
        ));
        assert_eq!(p.commands, vec![]);
        assert_eq!(p.rejected.len(), 5);
        assert_eq!(
            p.rejected[0].why.text("nl"),
            "#vliegen kennen wij niet; #help geeft alle commando's"
        );
        assert!(p.rejected[1].why.text("nl").contains("motivering"));
        assert!(p.rejected[1].why.text("en").contains("motivation"));
        assert!(p.rejected[4].why.text("nl").contains("geen termijn"));
    }

    #[test]
    fn requests_name_what_they_ask_for() {
        let p = parse(&lines(
            "#agenda\n#zaak kl-2026-0042\n#mijn\n#case KL-2026-0007\n#zaak morgen",
        ));
        assert_eq!(
            p.commands
                .iter()
                .map(|(_, c)| c.clone())
                .collect::<Vec<_>>(),
            vec![
                Command::Agenda,
                Command::Zaak("KL-2026-0042".parse().unwrap()),
                Command::Mijn,
                Command::Zaak("KL-2026-0007".parse().unwrap()),
            ]
        );
        assert!(p.commands.iter().all(|(_, c)| c.is_request()));
        assert_eq!(p.rejected.len(), 1, "#zaak without a number is refused");
    }

    #[test]
    fn a_typo_gets_a_suggestion() {
        let p = parse(&[
            "#gegrondd".to_string(),
            "#in-behandling".into(),
            "#toewijze x@y.nl".into(),
        ]);
        let why: Vec<String> = p.rejected.iter().map(|r| r.why.text("nl")).collect();
        assert_eq!(why[0], "#gegrondd kennen wij niet; bedoelde u #gegrond?");
        assert!(why[1].ends_with("bedoelde u #in-behandeling?"), "{why:?}");
        assert!(why[2].ends_with("bedoelde u #toewijzen?"), "{why:?}");
        assert_eq!(suggestion("vliegen"), None);
    }

    #[test]
    fn absence_takes_a_date_as_staff_write_it() {
        let p = parse(&[
            "#afwezig tot 24-12-2026".to_string(),
            "#away until 2026-12-24".into(),
            "#afwezig tot kerst".into(),
        ]);
        let d = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        assert_eq!(p.commands[0].1, Command::Afwezig(d));
        assert_eq!(p.commands[1].1, Command::Afwezig(d));
        assert_eq!(p.rejected[0].why, Refusal::BadDate("kerst".into()));
    }

    #[test]
    fn command_lines_are_not_relayed() {
        assert_eq!(
            strip_commands("#gegrond\nWij lossen het op.\n#notitie x"),
            "Wij lossen het op."
        );
    }
}
