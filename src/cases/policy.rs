//! Policies: the procedure an organisation follows, as data
//! (`config/policies/<name>.toml`). The five presets of the seed procedures
//! are built in, so the binary works without a config directory; an admin
//! copies one and points `[policy] file` at the copy.

use crate::deadline::Term;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in presets, by name.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "generiek",
        include_str!("../../config/policies/generiek.toml"),
    ),
    (
        "glaspunt",
        include_str!("../../config/policies/glaspunt.toml"),
    ),
    (
        "xs2more",
        include_str!("../../config/policies/xs2more.toml"),
    ),
    ("vps", include_str!("../../config/policies/vps.toml")),
    (
        "optimumconsult",
        include_str!("../../config/policies/optimumconsult.toml"),
    ),
];

/// The terms of a procedure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// Acknowledge receipt within.
    pub acknowledge: Term,
    /// Decide (take a motivated position) within, from receipt.
    pub decide: Term,
    /// What meets the decide term: the position (`standpunt`, default) or
    /// the resolution (`opgelost`: VPS "binnen 2 weken opgelost", Xs2more
    /// "binnen zes weken af", Optimumconsult's written confirmation). Its
    /// reminders, escalations and interim updates run until then.
    #[serde(default)]
    pub met_by: MetBy,
    /// A shorter decide term for urgent complaints (`#urgent` or an urgent
    /// classification; VPS: "op spoedeisende klachten wordt direct actie
    /// ondernomen"). None: urgent complaints keep the decide term.
    #[serde(default)]
    pub urgent: Option<Term>,
}

/// What meets the decide term.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetBy {
    /// A motivated position (gegrond/ongegrond, or not taken on).
    #[default]
    Standpunt,
    /// The complaint resolved (or closed, or not taken on).
    Opgelost,
}

impl MetBy {
    /// Whether `c` meets it: by its state, or because it went to appeal
    /// (the appeal has its own term; a judgement on appeal does not
    /// reopen the first).
    pub fn met(self, c: &crate::cases::case::Case) -> bool {
        self.met_in(c.state) || c.appealed.is_some()
    }

    /// The name of the term in reports (`standpunt`, `opgelost`).
    pub fn as_str(self) -> &'static str {
        match self {
            MetBy::Standpunt => "standpunt",
            MetBy::Opgelost => "opgelost",
        }
    }

    /// Whether a case in `state` has met the term. An appeal follows a
    /// position (and has its own term).
    pub fn met_in(self, state: crate::cases::state::State) -> bool {
        use crate::cases::state::State::*;
        match self {
            MetBy::Standpunt => matches!(
                state,
                Beoordeeld | Opgelost | Gesloten | NietInBehandeling | Beroep
            ),
            MetBy::Opgelost => matches!(state, Opgelost | Gesloten | NietInBehandeling | Beroep),
        }
    }
}

/// A complaints procedure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Name (`generiek`, …).
    pub name: String,
    /// One line saying which procedure this is.
    pub description: String,
    /// Its terms.
    pub terms: Terms,
    /// How a complaint will be handled, per language, for the acknowledgement.
    pub handling: BTreeMap<String, String>,
    /// What each label of a new message leads to.
    #[serde(default)]
    pub actions: Actions,
    /// Whether a case must be judged (gegrond/ongegrond) before it is resolved.
    #[serde(default = "yes")]
    pub requires_judgement: bool,
    /// How often the handling term may be extended (none: no limit).
    #[serde(default)]
    pub max_extensions: Option<u32>,
    /// The longest one extension may be ("6 weken"; none: no limit).
    #[serde(default)]
    pub max_extension: Option<Term>,
    /// Roles told of every new case (`[staff.roles]` names the addresses),
    /// e.g. Glaspunt's quality manager.
    #[serde(default)]
    pub notify_roles: Vec<String>,
    /// Reminders and escalations around the decision term.
    #[serde(default)]
    pub ladder: Ladder,
    /// Further terms of the procedure, each with its own start and the
    /// states that meet it (`[[step]]`).
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    /// Whether the clock stops while the case waits for the complainant.
    #[serde(default = "yes")]
    pub pause_while_waiting: bool,
    /// Interim status updates to the complainant on this interval while the
    /// case is open (VPS: "tussentijds van de status en voortgang op de hoogte").
    #[serde(default)]
    pub interim_every: Option<Term>,
    /// Data a complaint must contain (`naam`, `adres`, `telefoon`); when
    /// the message lacks any, the complainant is asked for it.
    #[serde(default)]
    pub required_data: Vec<String>,
    /// Where a complainant who is not satisfied can go next, per language
    /// (the appeal or external body of the procedure).
    #[serde(default)]
    pub appeal: BTreeMap<String, String>,
    /// How long a closed case keeps its personal data (`"2 jaar"`); after
    /// that it is anonymised in the store, its statistics kept. None: kept.
    #[serde(default)]
    pub retention: Option<Term>,
    /// Who handles an appeal, in what term, and how the complainant is
    /// told (`[beroep]`).
    #[serde(default)]
    pub beroep: Appeal,
    /// What a reply on a closed case does: reopen it (default) or open a
    /// follow-up case.
    #[serde(default)]
    pub after_closing: AfterClosing,
    /// Whether the letters one staff mail causes for the complainant go as
    /// one letter (default), or each on its own.
    #[serde(default = "yes")]
    pub combine_letters: bool,
    /// Scheduled mails: the weekly agenda and the periodic reports.
    #[serde(default, rename = "report")]
    pub reports: Vec<crate::cases::schedule::Schedule>,
    /// Complaints of a kind that go to a role rather than the coordinator
    /// (`[[route]]`: Glaspunt's mediator for complaints about staff).
    #[serde(default, rename = "route")]
    pub routes: Vec<Route>,
    /// Claims for damages (`[schadeclaim]`; none: `#schadeclaim` is refused).
    #[serde(default)]
    pub schadeclaim: Option<ClaimPolicy>,
    /// The role told at once of an urgent complaint (VPS: the business
    /// unit director assesses urgency). None: only the handler's notice says so.
    #[serde(default)]
    pub urgent_role: Option<String>,
    /// Whether the acknowledgement states the date and place of the event
    /// as the complaint gives them, and asks for what it lacks (004: "een
    /// korte omschrijving met datum, plaats en bijzonderheden").
    #[serde(default)]
    pub event_details: bool,
    /// Whether the written report after resolution (`#verslag tekst`) is
    /// sent to the complainant and the people involved (Optimumconsult:
    /// "schriftelijk verslag aan de klager en aan de betrokkenen").
    #[serde(default)]
    pub report_to_involved: bool,
}

/// Complaints of a category, or marked complex, go to a role (`[[route]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The category routed (`medewerker`), when by category.
    #[serde(default)]
    pub category: Option<String>,
    /// Whether complaints marked complex (`#complex`) are routed.
    #[serde(default)]
    pub complex: bool,
    /// The role that handles them: `management` or a role of `[staff.roles]`.
    pub role: String,
}

impl Route {
    /// Whether `c` takes this route.
    pub fn takes(&self, c: &crate::cases::case::Case) -> bool {
        (self.complex && c.complex)
            || self
                .category
                .as_deref()
                .is_some_and(|k| c.category.as_deref() == Some(k))
    }
}

/// Claims for damages (Glaspunt: in writing to the board "binnen 1 maand
/// nadat de schade is vastgesteld", a "verjaringstermijn van 1 maand").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimPolicy {
    /// Who decides on claims: `management` or a role of `[staff.roles]`.
    #[serde(default = "management")]
    pub role: String,
    /// Claims later than this after discovery are registered as late.
    pub limitation: Term,
    /// Who that is, per language, for the complainant's letter.
    #[serde(default = "appeal_who")]
    pub who: BTreeMap<String, String>,
}

/// The appeal path of a procedure: a reply to the `beroep` letter lodges
/// the appeal, which goes to `role` with its own term.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appeal {
    /// Who handles it: `management` (the first of `[staff] management`),
    /// `coordinator`, or a role of `[staff.roles]`.
    #[serde(default = "management")]
    pub role: String,
    /// The term of the appeal (default: the decision term).
    #[serde(default)]
    pub term: Option<Term>,
    /// Who that is, per language, for the complainant's letter.
    #[serde(default = "appeal_who")]
    pub who: BTreeMap<String, String>,
}

impl Policy {
    /// The route `c` takes, if any: the first that matches.
    pub fn route_for(&self, c: &crate::cases::case::Case) -> Option<&Route> {
        self.routes.iter().find(|r| r.takes(c))
    }

    /// Every role of `[staff.roles]` the policy sends mail to, with what
    /// for: each must have an address (`check` fails otherwise).
    pub fn roles_needed(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .notify_roles
            .iter()
            .map(|r| (r.clone(), "is informed of every new case".to_string()))
            .collect();
        for r in &self.routes {
            let kind = match (&r.category, r.complex) {
                (Some(k), true) => format!("'{k}' and complex"),
                (Some(k), false) => format!("'{k}'"),
                (None, _) => "complex".to_string(),
            };
            v.push((r.role.clone(), format!("handles {kind} complaints")));
        }
        v.push((self.beroep.role.clone(), "handles appeals".into()));
        if let Some(c) = &self.schadeclaim {
            v.push((c.role.clone(), "decides on claims for damages".into()));
        }
        if let Some(r) = &self.urgent_role {
            v.push((r.clone(), "is told of urgent complaints at once".into()));
        }
        v.retain(|(r, _)| !matches!(r.as_str(), "coordinator" | "coördinator" | "management"));
        // One line per role, saying everything it is for.
        let mut merged: Vec<(String, String)> = Vec::new();
        for (role, what) in v {
            match merged.iter_mut().find(|(r, _)| *r == role) {
                Some((_, w)) => {
                    w.push_str(" and ");
                    w.push_str(&what);
                }
                None => merged.push((role, what)),
            }
        }
        merged
    }
}

impl ClaimPolicy {
    /// Who decides on claims, in `lang`.
    pub fn who(&self, lang: &str) -> &str {
        self.who
            .get(lang)
            .or_else(|| self.who.get("nl"))
            .map(String::as_str)
            .unwrap_or("")
    }
}

fn management() -> String {
    "management".into()
}

fn appeal_who() -> BTreeMap<String, String> {
    [
        ("nl".to_string(), "de directie".to_string()),
        ("en".to_string(), "the management".to_string()),
    ]
    .into_iter()
    .collect()
}

impl Default for Appeal {
    fn default() -> Self {
        Appeal {
            role: management(),
            term: None,
            who: appeal_who(),
        }
    }
}

impl Appeal {
    /// Who handles it, in `lang`.
    pub fn who(&self, lang: &str) -> &str {
        self.who
            .get(lang)
            .or_else(|| self.who.get("nl"))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// What a reply on a closed case does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterClosing {
    /// The case is taken up again.
    #[default]
    Reopen,
    /// A new case follows it up.
    FollowUp,
}

/// When a step's term starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// On receipt of the complaint.
    Received,
    /// When the complaint is judged justified (gegrond).
    Justified,
    /// When the complaint is taken into treatment.
    Accepted,
    /// When the complaint is resolved.
    Resolved,
    /// When staff start it by its command (`#bezoek gepland`).
    Command,
}

/// A further term of the procedure: e.g. "in behandeling genomen binnen 2
/// weken" (Xs2more) or "gegronde klacht binnen 5 werkdagen opgelost" (Glaspunt).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Short name (`in_behandeling`, `herstel`).
    pub name: String,
    /// What must happen, per language, for reminders and escalations.
    pub description: BTreeMap<String, String>,
    /// The term.
    pub within: Term,
    /// When it starts.
    #[serde(default = "start_received")]
    pub from: Start,
    /// The states in which the step is done.
    #[serde(default)]
    pub done_in: Vec<crate::cases::state::State>,
    /// Or: done once a `#verslag` report was registered.
    #[serde(default)]
    pub done_by_report: bool,
    /// Working days before the end at which the handler is reminded.
    #[serde(default = "one_workday")]
    pub remind_before_workdays: Vec<u32>,
    /// The staff command that starts and ends the step (`bezoek`: `#bezoek
    /// gepland [DATUM]` starts it, `#bezoek gedaan` ends it). With
    /// `from = "command"` the term runs from the command.
    #[serde(default)]
    pub command: Option<String>,
}

fn one_workday() -> Vec<u32> {
    vec![1]
}

fn start_received() -> Start {
    Start::Received
}

impl Step {
    /// The description in `lang` (Dutch when missing).
    pub fn describe(&self, lang: &str) -> &str {
        self.description
            .get(lang)
            .or_else(|| self.description.get("nl"))
            .map(String::as_str)
            .unwrap_or(&self.name)
    }
}

/// The reminder and escalation ladder of the decision term: reminders to
/// the handler before it ends, an escalation to the coordinator when it is
/// breached, and escalations to management after.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    /// Working days before the end of the term at which the handler is reminded.
    #[serde(default = "default_reminders")]
    pub remind_before_workdays: Vec<u32>,
    /// Escalate to the coordinator when the term is breached.
    #[serde(default = "yes")]
    pub escalate_at_breach: bool,
    /// Working days after breach at which management is told.
    #[serde(default = "default_management")]
    pub management_after_workdays: Vec<u32>,
}

fn default_reminders() -> Vec<u32> {
    vec![2, 1]
}
fn default_management() -> Vec<u32> {
    vec![2]
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder {
            remind_before_workdays: default_reminders(),
            escalate_at_breach: true,
            management_after_workdays: default_management(),
        }
    }
}

fn yes() -> bool {
    true
}

/// What klachtd does with a new message (not a reply on a case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Open a case and acknowledge it (complaints).
    Case,
    /// Thank the sender and forward to the staff member named, else the coordinator.
    ThankAndForward,
    /// Acknowledge receipt and forward to the coordinator.
    AcknowledgeAndForward,
    /// Forward to the coordinator only.
    Forward,
    /// Record only (never answered).
    Record,
}

/// The action per label.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// For `klacht`.
    #[serde(default = "action_case")]
    pub klacht: Action,
    /// For `compliment`.
    #[serde(default = "action_thank")]
    pub compliment: Action,
    /// For `idee`.
    #[serde(default = "action_ack")]
    pub idee: Action,
    /// For `vraag`.
    #[serde(default = "action_ack")]
    pub vraag: Action,
    /// For `overig` (automatic mail is always only recorded).
    #[serde(default = "action_record")]
    pub overig: Action,
}

fn action_case() -> Action {
    Action::Case
}
fn action_thank() -> Action {
    Action::ThankAndForward
}
fn action_ack() -> Action {
    Action::AcknowledgeAndForward
}
fn action_record() -> Action {
    Action::Record
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            klacht: Action::Case,
            compliment: Action::ThankAndForward,
            idee: Action::AcknowledgeAndForward,
            vraag: Action::AcknowledgeAndForward,
            overig: Action::Record,
        }
    }
}

impl Actions {
    /// The action for a label (unknown labels are recorded).
    pub fn for_label(&self, label: &str) -> Action {
        match label {
            "klacht" => self.klacht,
            "compliment" => self.compliment,
            "idee" => self.idee,
            "vraag" => self.vraag,
            _ => self.overig,
        }
    }
}

/// Errors loading a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Unknown preset name.
    #[error(
        "unknown policy preset '{0}'; presets are generiek, glaspunt, xs2more, vps, optimumconsult"
    )]
    UnknownPreset(String),
    /// The file could not be read.
    #[error("cannot read policy file {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The policy text is invalid.
    #[error("policy {name}: {message}")]
    Invalid {
        /// Preset or file name.
        name: String,
        /// What is wrong.
        message: String,
    },
}

impl Policy {
    /// A built-in preset.
    pub fn preset(name: &str) -> Result<Policy, PolicyError> {
        let (_, text) = PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| PolicyError::UnknownPreset(name.to_string()))?;
        Policy::parse(name, text)
    }

    /// A policy file of the admin's own.
    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::parse(&path.display().to_string(), &text)
    }

    fn parse(name: &str, text: &str) -> Result<Policy, PolicyError> {
        toml::from_str(text).map_err(|e| PolicyError::Invalid {
            name: name.to_string(),
            message: e.to_string().trim().to_string(),
        })
    }

    /// The handling description in `lang` (Dutch when missing).
    pub fn handling(&self, lang: &str) -> &str {
        self.handling
            .get(lang)
            .or_else(|| self.handling.get("nl"))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Whether the decide term of `c` is met: by its state, or because the
    /// case went to appeal (the appeal has its own term; a case judged
    /// again on appeal does not reopen the first term).
    pub fn term_met(&self, c: &crate::cases::case::Case) -> bool {
        self.terms.met_by.met(c)
    }

    /// The decide term that applies to `c` (the urgent one for an urgent
    /// complaint, where the policy has one).
    pub fn decide_term(&self, c: &crate::cases::case::Case) -> Term {
        match self.terms.urgent {
            Some(t) if c.urgent => t,
            _ => self.terms.decide,
        }
    }

    /// The decide term's end for `c`: from receipt, the urgent term for an
    /// urgent complaint where the policy has one, moved by the days paused
    /// and by every extension.
    pub fn decision_due(
        &self,
        c: &crate::cases::case::Case,
        cal: &crate::deadline::Calendar,
    ) -> chrono::DateTime<chrono::Utc> {
        let mut due = cal.due(c.received, self.decide_term(c));
        if self.pause_while_waiting && c.paused_days > 0 {
            due = cal.due(
                due,
                Term {
                    count: c.paused_days,
                    unit: crate::deadline::Unit::Dagen,
                },
            );
        }
        for ext in &c.extensions {
            if let Ok(term) = ext.parse::<Term>() {
                due = cal.due(due, term);
            }
        }
        due
    }

    /// When the appeal lodged on `c` is due (its own term, else the
    /// decision term, from when it was lodged).
    pub fn appeal_due(
        &self,
        c: &crate::cases::case::Case,
        cal: &crate::deadline::Calendar,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        c.appealed
            .map(|at| cal.due(at, self.beroep.term.unwrap_or(self.terms.decide)))
    }

    /// Whether `c` is past its decision term at `now` (cases that have not
    /// met it only).
    pub fn overdue(
        &self,
        c: &crate::cases::case::Case,
        cal: &crate::deadline::Calendar,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        !self.term_met(c) && now > self.decision_due(c, cal)
    }

    /// The next step for an unsatisfied complainant, in `lang` (Dutch when missing).
    pub fn appeal(&self, lang: &str) -> &str {
        self.appeal
            .get(lang)
            .or_else(|| self.appeal.get("nl"))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The policy a config names (preset `generiek` when none).
    pub fn from_config(c: &crate::config::Config) -> Result<Policy, PolicyError> {
        match (&c.policy.file, &c.policy.preset) {
            (Some(f), _) => {
                let p = if f.is_absolute() {
                    f.clone()
                } else {
                    c.path.parent().unwrap_or(Path::new(".")).join(f)
                };
                Policy::from_file(&p)
            }
            (None, Some(name)) => Policy::preset(name),
            (None, None) => Policy::preset("generiek"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_loads() {
        for (name, _) in PRESETS {
            let p = Policy::preset(name).unwrap();
            assert_eq!(&p.name, name);
            assert!(!p.handling("nl").is_empty());
            assert!(!p.handling("en").is_empty());
        }
        assert!(Policy::preset("onbekend").is_err());
    }

    #[test]
    fn actions_default_and_can_be_changed_per_policy() {
        let p = Policy::preset("generiek").unwrap();
        assert_eq!(p.actions.for_label("klacht"), Action::Case);
        assert_eq!(p.actions.for_label("compliment"), Action::ThankAndForward);
        assert_eq!(p.actions.for_label("overig"), Action::Record);
        let text = format!(
            "{}\n[actions]\nvraag = \"record\"\nidee = \"forward\"\n",
            PRESETS[0].1
        );
        let mine = Policy::parse("mine", &text).unwrap();
        assert_eq!(mine.actions.for_label("vraag"), Action::Record);
        assert_eq!(mine.actions.for_label("idee"), Action::Forward);
        assert!(Policy::parse(
            "bad",
            &format!("{}\n[actions]\nvraag = \"negeren\"\n", PRESETS[0].1)
        )
        .is_err());
    }
}
