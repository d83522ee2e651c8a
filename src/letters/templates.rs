//! Letter templates: the minijinja templates admins edit (`templates/<lang>/<name>.txt.j2`,
//! subject and body in one file), rendered with strict undefined. `check`
//! renders every template against a sample case and names the template, line
//! and variable of each problem. Customer text is only ever passed in as data,
//! never compiled, so it cannot inject template syntax.

use crate::problem::{Problem, Problems};
use minijinja::{Environment, UndefinedBehavior};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The release's templates, built into the binary.
static BUILTIN: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Letters klachtd needs in every language it writes.
pub const REQUIRED: &[&str] = &[
    "ontvangstbevestiging",
    "overzicht",
    "bedankt",
    "bericht-ontvangen",
    "doorsturen",
    "toewijzing",
    "antwoord",
    "commando-resultaat",
    "waarschuwing",
    "bijlage-te-groot",
    "herinnering",
    "escalatie",
    "verlenging",
    "niet-in-behandeling",
    "besluit",
    "afhandeling",
    "tevredenheid",
    "beroep",
    "onbestelbaar",
    "ontbrekende-gegevens",
    "tussenbericht",
    "melding",
    "rapportage",
    "samengesteld",
    "reactie",
    "uitleg",
    "overdracht",
    "beroep-ontvangen",
    "triage",
    "geen-klacht",
    "zonder-afzender",
    "schadeclaim",
    "schadeclaim-ontvangen",
    "urgent",
    "verslag",
];

/// Letters about a message without a case: they cannot use `case.*` or `term.*`.
pub const MESSAGE_LETTERS: &[&str] = &[
    "overzicht",
    "bedankt",
    "bericht-ontvangen",
    "doorsturen",
    "waarschuwing",
    "rapportage",
    "uitleg",
    "zonder-afzender",
];

/// Languages letters may be written in.
pub const LANGUAGES: &[&str] = &["nl", "en"];

/// A rendered letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line (header-safe).
    pub subject: String,
    /// Body text.
    pub body: String,
}

/// Errors of loading or rendering letters.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    /// The directory or a file could not be read.
    #[error("cannot read template {path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Template syntax or rendering failed.
    #[error("template {template}{}: {message}", .line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Template {
        /// Template name (`nl/ontvangstbevestiging`).
        template: String,
        /// Line, when known.
        line: Option<usize>,
        /// What went wrong.
        message: String,
    },
    /// No template of that name in any usable language.
    #[error("no template '{0}' (expected templates/<lang>/{0}.txt.j2)")]
    Missing(String),
}

/// The loaded set of letter templates.
#[derive(Debug)]
pub struct Letters {
    env: Environment<'static>,
    sources: BTreeMap<String, String>,
    dir: PathBuf,
    overridden: Vec<String>,
    /// Templates whose syntax is wrong, with the error: `check` names
    /// every one, and rendering one fails with its error.
    broken: BTreeMap<String, LetterError>,
}

impl Letters {
    /// The built-in templates, overridden file by file by every
    /// `<lang>/<name>.txt.j2` under `dir` (which need not exist). A file
    /// that cannot be read fails; a template with a syntax error is kept
    /// aside as broken (see [`Letters::check`]) and the others load.
    pub fn load(dir: &Path) -> Result<Letters, LetterError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.add_filter("datum", filter_datum);
        env.add_filter("wrap", filter_wrap);
        env.add_filter("termijn", filter_termijn);
        env.add_filter("hoofdletter", filter_hoofdletter);
        // The release's templates are built in; the folder overrides them
        // file by file (and may add languages' letters of its own).
        let mut all: BTreeMap<String, String> = BTreeMap::new();
        for lang in LANGUAGES {
            for f in BUILTIN
                .get_dir(lang)
                .map(|d| d.files())
                .into_iter()
                .flatten()
            {
                let file = f.path().file_name().unwrap_or_default().to_string_lossy();
                if let (Some(stem), Some(text)) = (file.strip_suffix(".txt.j2"), f.contents_utf8())
                {
                    all.insert(format!("{lang}/{stem}"), text.to_string());
                }
            }
        }
        let mut overridden = Vec::new();
        let read_dir = |p: &Path| {
            std::fs::read_dir(p).map_err(|source| LetterError::Read {
                path: p.to_path_buf(),
                source,
            })
        };
        for lang in LANGUAGES {
            let ldir = dir.join(lang);
            if !ldir.is_dir() {
                continue;
            }
            let mut files: Vec<PathBuf> = read_dir(&ldir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".txt.j2"))
                .collect();
            files.sort();
            for path in files {
                let source =
                    std::fs::read_to_string(&path).map_err(|source| LetterError::Read {
                        path: path.clone(),
                        source,
                    })?;
                let file = path.file_name().unwrap_or_default().to_string_lossy();
                let name = format!("{lang}/{}", file.trim_end_matches(".txt.j2"));
                if all.get(&name).is_some_and(|b| *b != source) {
                    overridden.push(name.clone());
                }
                all.insert(name, source);
            }
        }
        let mut sources = BTreeMap::new();
        let mut broken = BTreeMap::new();
        for (name, source) in all {
            // Subject line and body are separate templates, so nothing a
            // variable holds (a newline, say) can move text between them.
            let added = split_source(&name, &source).and_then(|(subject, body)| {
                env.add_template_owned(format!("{name}#subject"), subject)
                    .and_then(|_| env.add_template_owned(format!("{name}#body"), body))
                    .map_err(|e| template_error(&name, &e))
            });
            match added {
                Ok(()) => {
                    sources.insert(name, source);
                }
                Err(e) => {
                    env.remove_template(&format!("{name}#subject"));
                    broken.insert(name, e);
                }
            }
        }
        Ok(Letters {
            env,
            sources,
            dir: dir.to_path_buf(),
            overridden,
            broken,
        })
    }

    /// The templates the folder changes from the built-in ones.
    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    /// The directory the letters came from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Names of the loaded templates (`nl/ontvangstbevestiging`, …),
    /// broken ones included.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let mut all: Vec<&str> = self
            .sources
            .keys()
            .chain(self.broken.keys())
            .map(String::as_str)
            .collect();
        all.sort_unstable();
        all.into_iter()
    }

    /// Where a template comes from: `built-in`, `overridden` (a file in the
    /// folder replaces the built-in one) or `added` (only in the folder).
    pub fn origin(&self, full_name: &str) -> &'static str {
        let lang_and_file = full_name.split_once('/');
        let builtin = lang_and_file.is_some_and(|(lang, name)| {
            BUILTIN.get_file(format!("{lang}/{name}.txt.j2")).is_some()
        });
        if self.overridden.iter().any(|o| o == full_name) {
            "overridden"
        } else if builtin {
            "built-in"
        } else {
            "added"
        }
    }

    /// The syntax error of a broken template.
    pub fn broken(&self, full_name: &str) -> Option<&LetterError> {
        self.broken.get(full_name)
    }

    /// Whether letters exist in `lang` (its acknowledgement, at least).
    pub fn has_language(&self, lang: &str) -> bool {
        self.sources
            .contains_key(&format!("{lang}/ontvangstbevestiging"))
    }

    /// The template to use for `name` in `lang`: that language, else Dutch.
    pub fn resolve(&self, lang: &str, name: &str) -> Result<String, LetterError> {
        let full = [lang, "nl", "en"]
            .iter()
            .map(|l| format!("{l}/{name}"))
            .find(|n| self.sources.contains_key(n) || self.broken.contains_key(n))
            .ok_or_else(|| LetterError::Missing(name.to_string()))?;
        match self.broken.get(&full) {
            Some(e) => Err(LetterError::Template {
                template: full,
                line: match e {
                    LetterError::Template { line, .. } => *line,
                    _ => None,
                },
                message: match e {
                    LetterError::Template { message, .. } => message.clone(),
                    other => other.to_string(),
                },
            }),
            None => Ok(full),
        }
    }

    /// Renders a letter with `ctx` as its variables.
    pub fn render(
        &self,
        lang: &str,
        name: &str,
        ctx: &serde_json::Value,
    ) -> Result<Rendered, LetterError> {
        let full = self.resolve(lang, name)?;
        let render = |part: &str| -> Result<String, LetterError> {
            let tmpl = self
                .env
                .get_template(&format!("{full}#{part}"))
                .map_err(|e| template_error(&full, &e))?;
            tmpl.render(ctx).map_err(|e| template_error(&full, &e))
        };
        let subject = render("subject")?;
        let body = render("body")?;
        Ok(Rendered {
            subject: crate::address::header_safe(subject.trim(), 250),
            body: body.trim_start_matches(['\r', '\n']).trim_end().to_string() + "\n",
        })
    }

    /// Validates a template directory: see [`Letters::check`]. A directory
    /// whose templates cannot be read or parsed is one problem.
    pub fn check_dir(dir: &Path, default_lang: &str) -> Problems {
        match Letters::load(dir) {
            Ok(l) => l.check(default_lang),
            Err(e) => Problems::from(vec![Problem::new(
                "templates",
                format!("{e}; fix the template syntax"),
            )]),
        }
    }

    /// Checks the loaded set: every required letter present in the default
    /// language, every template renders against the sample case, and every
    /// variable it uses exists.
    pub fn check(&self, default_lang: &str) -> Problems {
        let mut problems = Problems::default();
        for (name, e) in &self.broken {
            problems.push(
                format!("templates/{name}.txt.j2"),
                format!("{e}; fix the template syntax"),
            );
        }
        for name in REQUIRED {
            let full = format!("{default_lang}/{name}");
            if !self.sources.contains_key(&full) && !self.broken.contains_key(&full) {
                let path = self.dir.join(default_lang).join(format!("{name}.txt.j2"));
                problems.push(
                    "templates",
                    format!(
                        "missing template {}: klachtd needs it to send the {name} letter; copy it from the templates/ of the release",
                        path.display()
                    ),
                );
            }
        }
        let case_sample = sample_context();
        let mut message_sample = sample_context();
        if let Some(o) = message_sample.as_object_mut() {
            o.remove("case");
            o.remove("term");
        }
        for (name, source) in &self.sources {
            let short = name.split('/').nth(1).unwrap_or(name);
            let sample = if MESSAGE_LETTERS.contains(&short) {
                &message_sample
            } else {
                &case_sample
            };
            let key = format!("templates/{name}.txt.j2");
            let unknown = self.unknown_variables(name, sample);
            for v in &unknown {
                let line = source
                    .lines()
                    .position(|l| l.contains(v.as_str()))
                    .map(|i| i + 1);
                problems.push(
                    key.clone(),
                    format!(
                        "{}unknown variable '{v}'; {}",
                        line.map(|l| format!("line {l}: ")).unwrap_or_default(),
                        known_like(sample, v)
                    ),
                );
            }
            if unknown.is_empty() {
                let lang = name.split('/').next().unwrap_or("nl");
                if let Err(e) = self.render(lang, short, sample) {
                    problems.push(key, e.to_string());
                }
            }
        }
        problems
    }

    /// The variables template `name` uses that `sample` does not have.
    fn unknown_variables(&self, name: &str, sample: &serde_json::Value) -> Vec<String> {
        let mut unknown: Vec<String> = ["subject", "body"]
            .iter()
            .filter_map(|part| self.env.get_template(&format!("{name}#{part}")).ok())
            .flat_map(|t| t.undeclared_variables(true))
            .filter(|v| !has_path(sample, v))
            .collect();
        unknown.sort();
        unknown.dedup();
        unknown
    }
}

fn template_error(name: &str, e: &minijinja::Error) -> LetterError {
    let mut message = e.kind().to_string();
    if let Some(d) = e.detail() {
        message.push_str(": ");
        message.push_str(d);
    }
    LetterError::Template {
        template: name.to_string(),
        line: e.line(),
        message,
    }
}

/// Splits a template source into its subject template (the text after
/// `Subject:` on the first line) and its body template (the rest, with the
/// first line left empty so line numbers in errors match the file).
fn split_source(name: &str, source: &str) -> Result<(String, String), LetterError> {
    let (first, rest) = source.split_once('\n').unwrap_or((source, ""));
    let subject = first
        .strip_prefix("Subject:")
        .or_else(|| first.strip_prefix("Onderwerp:"))
        .ok_or_else(|| LetterError::Template {
            template: name.to_string(),
            line: Some(1),
            message: "the first line must be 'Subject: …' (then an empty line, then the body)"
                .into(),
        })?;
    Ok((subject.trim().to_string(), format!("\n{rest}")))
}

/// `{{ date | datum }}` and `{{ date | datum("en") }}`: an ISO date
/// (`2026-05-06`) as "6 mei 2026" / "6 May 2026".
fn filter_datum(value: String, lang: Option<String>) -> String {
    crate::deadline::long_date(&value, lang.as_deref().unwrap_or("nl"))
}

/// `{{ term.decide | termijn("en") }}`: a term as the procedures write it
/// ("2 weken") in the letter's language ("2 weeks").
fn filter_termijn(value: String, lang: Option<String>) -> String {
    match value.parse::<crate::deadline::Term>() {
        Ok(t) => t.describe(lang.as_deref().unwrap_or("nl")),
        Err(_) => value,
    }
}

/// `{{ who | hoofdletter }}`: the first letter upper case, the rest as
/// written ("de directie van Glaspunt" → "De directie van Glaspunt";
/// minijinja's `capitalize` would lower "Glaspunt").
fn filter_hoofdletter(value: String) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => value,
    }
}

/// `{{ text | wrap(72) }}`: word-wraps each paragraph at `width` columns.
fn filter_wrap(value: String, width: Option<usize>) -> String {
    let width = width.unwrap_or(72).max(20);
    value
        .split('\n')
        .map(|para| {
            let mut lines: Vec<String> = Vec::new();
            let mut line = String::new();
            for word in para.split_whitespace() {
                if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                    lines.push(std::mem::take(&mut line));
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
            }
            lines.push(line);
            lines.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn has_path(v: &serde_json::Value, path: &str) -> bool {
    let mut cur = v;
    for part in path.split('.') {
        match cur.get(part) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    true
}

/// What a template may write instead of the unknown `var`: the fields of
/// its group (`case.nummer` → every `case.*`), else the top-level names.
fn known_like(sample: &serde_json::Value, var: &str) -> String {
    let group = var.split('.').next().unwrap_or(var);
    match sample.get(group).and_then(|g| g.as_object()) {
        Some(fields) if var.contains('.') => format!(
            "{group} has {}",
            fields
                .keys()
                .map(|k| format!("{group}.{k}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "a letter can use {}",
            sample
                .as_object()
                .map(|o| o
                    .iter()
                    .map(|(k, v)| if v.is_object() {
                        format!("{k}.*")
                    } else {
                        k.clone()
                    })
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ),
    }
}

/// The variables every letter can use, filled with a sample case. The
/// processor builds the same shape from real cases.
pub fn sample_context() -> serde_json::Value {
    let mut v = sample_letter();
    if let (Some(o), serde_json::Value::Object(conversation)) =
        (v.as_object_mut(), sample_conversation())
    {
        o.extend(conversation);
    }
    v
}

/// The variables of the conversation around a case: combined letters,
/// replies, hand-overs, the conversation so far.
fn sample_conversation() -> serde_json::Value {
    json!({
        "deel": false,
        "antwoord": "Beste heer Jansen,\n\nExcuses, de monteur komt donderdag.\n\nMet vriendelijke groet,\nPiet",
        "delen": [
            {"titel": "Ons standpunt", "tekst": "Wij hebben uw klacht onderzocht: zij is gegrond."},
            {"titel": "Afgehandeld", "tekst": "Uw klacht is afgehandeld."},
        ],
        "reactie": {
            "van": "jan@voorbeeld.nl",
            "naam": "J. Jansen",
            "klager": true,
            "wanneer": "24 april 2026 16:05",
            "gevolgen": ["de klok loopt weer: de zaak wachtte op de klager"],
        },
        "uitleg": {
            "soort": "geen-klacht",
            "subject": "Vraag",
            "received": "24 april 2026 16:05",
        },
        "overdracht": {
            "van": "anna@voorbeeld.nl",
            "naar": "piet@voorbeeld.nl",
            "door": "anna@voorbeeld.nl",
        },
        "gesprek": [
            {"wanneer": "24 april 2026 16:05", "richting": "in", "van": "jan@voorbeeld.nl", "onderwerp": "Monteur niet gekomen", "tekst": "De monteur is niet gekomen."},
            {"wanneer": "24 april 2026 16:06", "richting": "uit", "van": "klachten@voorbeeld.nl", "onderwerp": "Ontvangstbevestiging", "tekst": "Wij hebben uw klacht ontvangen."},
        ],
        "eerdere": [
            {"id": "KL-2025-0007", "received": "2025-03-02", "status": "gesloten", "subject": "Factuur te hoog"},
        ],
        "vervolg_op": "",
        "overzicht": {
            "titel": "agenda, KL-2026-0042, uw zaken",
            "delen": [
                {"soort": "agenda", "tekst": "# Agenda klachtenoverleg\n\n- KL-2026-0042 Monteur niet gekomen"},
                {"soort": "zaak", "zaak": {
                    "id": "KL-2026-0042", "subject": "Monteur niet gekomen", "status": "in behandeling",
                    "urgent": false, "name": "J. Jansen", "complainant": "jan@voorbeeld.nl", "phone": "",
                    "received": "2026-04-24", "handler": "piet@voorbeeld.nl", "category": "dienstverlening",
                 },
                 "termijn": "2026-05-08", "te_laat": false,
                 "gesprek": [
                    {"wanneer": "24 april 2026 16:05", "richting": "in", "van": "jan@voorbeeld.nl", "onderwerp": "Monteur niet gekomen", "tekst": "De monteur is niet gekomen."},
                 ]},
                {"soort": "mijn", "zaken": [
                    {"id": "KL-2026-0042", "subject": "Monteur niet gekomen", "status": "in behandeling",
                     "received": "2026-04-24", "termijn": "2026-05-08", "te_laat": false},
                ]},
                {"soort": "geweigerd", "tekst": "U behandelt KL-2026-0007 niet."},
            ],
        },
        "beroep": {
            "wie": "de directie",
            "uiterlijk": "2026-05-22",
        },
    })
}

/// The variables of a letter about a case and its message.
fn sample_letter() -> serde_json::Value {
    let mut v = json!({
        "org": {
            "name": "Voorbeeld B.V.",
            "complaints_address": "klachten@voorbeeld.nl",
        },
        "case": {
            "id": "KL-2026-0042",
            "received": "2026-04-24",
            "subject": "Monteur niet gekomen",
            "summary": "De monteur zou dinsdag komen maar is niet verschenen.",
            "name": "J. Jansen",
            "complainant": "jan@voorbeeld.nl",
            "state": "ontvangen",
            "status": "ontvangen",
            "phone": "06 12345678",
            "postal_address": "Dorpsstraat 1, 1234 AB Voorbeeld",
            "via": "",
            "handler": "piet@voorbeeld.nl",
            "language": "nl",
            "category": "dienstverlening",
            "urgent": false,
            "justified": true,
            "outcome": "De ruit is kosteloos vervangen.",
            "offers": ["een tegoedbon van 50 euro"],
        },
        "missing": ["naam", "adres", "telefoon"],
        "triage": true,
        "role": "kwaliteitsmanager",
        "bounce": {
            "to": "jan@voorbeeld.nl",
            "letter": "ontvangstbevestiging",
            "subject": "Ontvangstbevestiging van uw klacht [KL-2026-0042]",
        },
        "decision": {
            "justified": true,
            "motivation": "de monteur is zonder bericht weggebleven",
            "reason": "de klacht gaat over een ander bedrijf",
            "label": "vraag",
            "discovered": "2026-04-20",
            "late": false,
            "text": "vervanging van het beschadigde kozijn",
        },
        "verslag": {
            "text": "De ruit is vervangen; de planning bevestigt voortaan elke afspraak.",
        },
        "message": {
            "from": "jan@voorbeeld.nl",
            "name": "J. Jansen",
            "subject": "Monteur niet gekomen",
            "summary": "De monteur zou dinsdag komen maar is niet verschenen.",
            "text": "Beste,\n\nDe monteur zou dinsdag komen maar is niet verschenen.\n\nJan Jansen",
            "received": "2026-04-24",
            "label": "klacht",
            "category": "dienstverlening",
            "urgent": false,
            "attachments": ["foto.jpg"],
            "refused": [{"name": "video.mp4", "size_mb": "48.2"}],
            "max_attachment_mb": "15",
            "event_date": "dinsdag 21 april",
            "event_place": "",
        },
        "reply": {
            "text": "Beste heer Jansen,\n\nExcuses, de monteur komt donderdag.\n\nPiet",
            "from": "piet@voorbeeld.nl",
        },
        "result": {
            "refused": false,
            "done": ["#gegrond"],
            "rejected": [{"command": "#opgelost", "why": "een klacht die ontvangst bevestigd is, kan niet naar opgelost"}],
            "relayed_to": "jan@voorbeeld.nl",
            "help": "",
        },
        "report": {
            "title": "Klachtenoverleg Voorbeeld B.V. — 2026-04-27",
            "kind": "weekagenda",
            "period": "2026-04-20 t/m 2026-04-27",
            "text": "# Klachtenoverleg\n\n| Zaak | Ontvangen |\n|---|---|\n",
        },
        "alert": {
            "from": "piet@voorbeeld.nl",
            "subject": "Re: [KL-2026-0042]",
            "reason": "een medewerkersadres zonder geldig kenmerk van een klacht",
            "received": "24 april 2026 16:00",
            "journal_id": "0123456789abcdef01234567",
        },
        "timer": {
            "kind": "herinnering-2",
            "term_end": "2026-05-08",
            "workdays": 2,
            "breached": false,
            "handler": "piet@voorbeeld.nl",
            "step": "",
        },
        "extension": {
            "by": "4 weken",
            "reason": "wij wachten op het oordeel van een deskundige",
        },
        "term": {
            "acknowledge": "7 werkdagen",
            "decide": "2 weken",
            "decide_by": "2026-05-08",
            "met_by": "standpunt",
            "passed": false,
        },
        "policy": {
            "name": "generiek",
            "handling": "Wij onderzoeken uw klacht, zo nodig in overleg met u en de betrokken medewerker(s), en stellen u gemotiveerd op de hoogte van ons standpunt.",
            "appeal": "U kunt uw klacht voorleggen aan de Geschillencommissie.",
            "event_details": true,
            "schadeclaim": {
                "who": "de directie",
                "limitation": "1 maand",
            },
        },
    });
    notice_sample(&mut v);
    v
}

/// What the staff notices add: the held acknowledgement and the steps
/// started by command.
fn notice_sample(v: &mut serde_json::Value) {
    v["bevestiging_tegengehouden"] = json!(true);
    v["stappen"] = json!([{
        "command": "bezoek",
        "description": "de klacht ter plekke inspecteren",
        "within": "2 werkdagen",
    }]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(name: &str, body: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("nl")).unwrap();
        std::fs::write(d.path().join("nl").join(format!("{name}.txt.j2")), body).unwrap();
        d
    }

    #[test]
    fn renders_subject_and_body() {
        let d = dir_with(
            "ontvangstbevestiging",
            "Subject: Uw klacht [{{ case.id }}]\n\nBeste {{ case.name }},\n\nOntvangen op {{ case.received | datum }}.\n",
        );
        let l = Letters::load(d.path()).unwrap();
        let r = l
            .render("nl", "ontvangstbevestiging", &sample_context())
            .unwrap();
        assert_eq!(r.subject, "Uw klacht [KL-2026-0042]");
        assert!(r.body.contains("24 april 2026"));
    }

    #[test]
    fn unknown_variable_is_named_with_line() {
        let d = dir_with(
            "ontvangstbevestiging",
            "Subject: x\n\nBeste {{ case.naam }},\n",
        );
        let p: Vec<_> = Letters::check_dir(d.path(), "nl")
            .into_iter()
            .filter(|p| p.key.contains("ontvangstbevestiging"))
            .collect();
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("line 3"), "{}", p[0].message);
        assert!(p[0].message.contains("case.naam"));
    }

    #[test]
    fn customer_text_is_data_not_template() {
        let d = dir_with(
            "ontvangstbevestiging",
            "Subject: {{ case.subject }}\n\n{{ case.summary }}\n",
        );
        let l = Letters::load(d.path()).unwrap();
        let mut ctx = sample_context();
        ctx["case"]["subject"] = json!("Hoi {{ org.name }}\r\nBcc: x@y.nl");
        ctx["case"]["summary"] = json!("{% for x in range(10) %}x{% endfor %}");
        let r = l.render("nl", "ontvangstbevestiging", &ctx).unwrap();
        assert_eq!(r.subject, "Hoi {{ org.name }} Bcc: x@y.nl");
        assert!(r.body.contains("{% for x in range(10) %}"));
    }

    #[test]
    fn an_empty_folder_gets_every_required_letter_built_in_and_a_file_overrides_one() {
        let d = tempfile::tempdir().unwrap();
        assert!(Letters::check_dir(d.path(), "nl").is_empty());
        assert!(Letters::check_dir(&d.path().join("absent"), "en").is_empty());
        let d = dir_with("bedankt", "Subject: Dank!\n\nDank u wel.\n");
        let l = Letters::load(d.path()).unwrap();
        assert_eq!(l.overridden(), ["nl/bedankt"]);
        let r = l.render("nl", "bedankt", &sample_context()).unwrap();
        assert_eq!(r.subject, "Dank!");
    }

    #[test]
    fn hoofdletter_raises_the_first_letter_and_keeps_the_rest() {
        assert_eq!(
            filter_hoofdletter("de directie van Glaspunt".into()),
            "De directie van Glaspunt"
        );
        assert_eq!(filter_hoofdletter("éen".into()), "Éen");
        assert_eq!(filter_hoofdletter(String::new()), "");
    }
}
