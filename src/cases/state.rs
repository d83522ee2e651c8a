//! The states of the procedure and which transitions it allows.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The states of the procedure (docs/design.md, "The case").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Received, not yet acknowledged.
    Ontvangen,
    /// Acknowledged to the complainant.
    Bevestigd,
    /// Taken into treatment.
    InBehandeling,
    /// Not taken into treatment (with reason).
    NietInBehandeling,
    /// Waiting for the complainant (clock paused where the policy says so).
    WachtOpKlager,
    /// Judged: justified or not.
    Beoordeeld,
    /// Resolved.
    Opgelost,
    /// Closed.
    Gesloten,
    /// Appealed / escalated beyond the handler.
    Beroep,
}

impl State {
    /// The name as written in commands and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ontvangen => "ontvangen",
            State::Bevestigd => "bevestigd",
            State::InBehandeling => "in_behandeling",
            State::NietInBehandeling => "niet_in_behandeling",
            State::WachtOpKlager => "wacht_op_klager",
            State::Beoordeeld => "beoordeeld",
            State::Opgelost => "opgelost",
            State::Gesloten => "gesloten",
            State::Beroep => "beroep",
        }
    }
    /// The state in words, as staff and complainants read it.
    pub fn label(self, lang: &str) -> &'static str {
        let en = lang == "en";
        match self {
            State::Ontvangen if en => "received",
            State::Ontvangen => "ontvangen",
            State::Bevestigd if en => "acknowledged",
            State::Bevestigd => "ontvangst bevestigd",
            State::InBehandeling if en => "being handled",
            State::InBehandeling => "in behandeling",
            State::NietInBehandeling if en => "not taken on",
            State::NietInBehandeling => "niet in behandeling genomen",
            State::WachtOpKlager if en => "waiting for the complainant",
            State::WachtOpKlager => "wacht op de klager",
            State::Beoordeeld if en => "judged",
            State::Beoordeeld => "beoordeeld",
            State::Opgelost if en => "resolved",
            State::Opgelost => "opgelost",
            State::Gesloten if en => "closed",
            State::Gesloten => "gesloten",
            State::Beroep if en => "under appeal",
            State::Beroep => "in beroep",
        }
    }

    /// Every state, in the order of the procedure.
    pub const ALL: [State; 9] = [
        State::Ontvangen,
        State::Bevestigd,
        State::InBehandeling,
        State::NietInBehandeling,
        State::WachtOpKlager,
        State::Beoordeeld,
        State::Opgelost,
        State::Gesloten,
        State::Beroep,
    ];

    /// Whether the case is finished.
    pub fn is_closed(self) -> bool {
        matches!(self, State::Gesloten | State::NietInBehandeling)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the procedure allows `from → to`. `requires_judgement`: a case
/// can only be resolved after it was judged (gegrond/ongegrond).
pub fn transition_allowed(from: State, to: State, requires_judgement: bool) -> bool {
    use State::*;
    match (from, to) {
        (a, b) if a == b => false,
        (Ontvangen | Bevestigd, InBehandeling | NietInBehandeling | WachtOpKlager) => true,
        (Ontvangen, Bevestigd) => true,
        (InBehandeling, WachtOpKlager | Beoordeeld | NietInBehandeling) => true,
        (InBehandeling, Opgelost) => !requires_judgement,
        (WachtOpKlager, InBehandeling | Beoordeeld) => true,
        (Beoordeeld, Opgelost | InBehandeling | Beroep | Gesloten) => true,
        (Opgelost, Gesloten | Beroep | InBehandeling) => true,
        (NietInBehandeling, Gesloten | Beroep | InBehandeling) => true,
        (Gesloten, InBehandeling | Beroep) => true,
        (Beroep, InBehandeling | Beoordeeld | Gesloten) => true,
        _ => false,
    }
}
