//! What the procedure promises when something happens to a case: the
//! letters the complainant gets at each step (a decision, a resolution, an
//! appeal) and the further terms ([`Start`] of a policy step) an event
//! starts. Tables, next to the policy, read by the decisions that record
//! such events.

use crate::cases::event::{Event, EventKind};
use crate::cases::policy::Start;
use crate::cases::state::State;
use serde_json::json;

/// A letter to the complainant that an event promises, with the variables
/// of its `decision.*`.
#[derive(Debug, Clone, PartialEq)]
pub struct Promised {
    /// The template.
    pub letter: &'static str,
    /// `decision.*`: justified and motivation, or the reason.
    pub decision: serde_json::Value,
}

/// The letters an event promises the complainant.
pub fn letters(e: &Event) -> Vec<Promised> {
    let reason = e.reason.clone().unwrap_or_default();
    let one = |letter, decision| vec![Promised { letter, decision }];
    match &e.kind {
        EventKind::StateChanged {
            to: State::NietInBehandeling,
        } => one("niet-in-behandeling", json!({ "reason": reason })),
        EventKind::Judged { justified } => one(
            "besluit",
            json!({ "justified": justified, "motivation": reason }),
        ),
        EventKind::StateChanged {
            to: State::Opgelost,
        } => vec![
            Promised {
                letter: "afhandeling",
                decision: json!({}),
            },
            Promised {
                letter: "tevredenheid",
                decision: json!({}),
            },
        ],
        EventKind::StateChanged { to: State::Beroep } => one("beroep", json!({})),
        EventKind::DamageClaimed {
            discovered,
            late,
            text,
        } => one(
            "schadeclaim-ontvangen",
            json!({
                "discovered": discovered.to_string(),
                "late": late,
                "text": text.clone().unwrap_or_default(),
            }),
        ),
        EventKind::Relabelled { label } if label != "klacht" => {
            one("geen-klacht", json!({ "label": label }))
        }
        _ => Vec::new(),
    }
}

/// The further term an event starts (policy steps `from = …`), given the
/// state the case was in before the staff mail or message that caused it.
/// Resuming after waiting for the complainant is no new acceptance.
pub fn starts(kind: &EventKind, state_before: State) -> Option<Start> {
    match kind {
        EventKind::Judged { justified: true } => Some(Start::Justified),
        EventKind::StateChanged {
            to: State::InBehandeling,
        } if state_before != State::WachtOpKlager => Some(Start::Accepted),
        EventKind::StateChanged {
            to: State::Opgelost,
        } => Some(Start::Resolved),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn event(kind: EventKind, reason: Option<&str>) -> Event {
        Event {
            seq: 3,
            at: Utc::now(),
            actor: "h@org.nl".into(),
            reason: reason.map(str::to_string),
            kind,
        }
    }

    #[test]
    fn a_judgement_promises_the_decision_with_its_motivation() {
        let p = letters(&event(
            EventKind::Judged { justified: false },
            Some("geen bewijs"),
        ));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].letter, "besluit");
        assert_eq!(p[0].decision["motivation"], "geen bewijs");
        let resolved = letters(&event(
            EventKind::StateChanged {
                to: State::Opgelost,
            },
            None,
        ));
        let names: Vec<_> = resolved.iter().map(|p| p.letter).collect();
        assert_eq!(names, ["afhandeling", "tevredenheid"]);
        assert!(letters(&event(EventKind::MarkedUrgent, None)).is_empty());
    }

    #[test]
    fn resuming_after_waiting_starts_no_acceptance_term() {
        let accepted = EventKind::StateChanged {
            to: State::InBehandeling,
        };
        assert_eq!(starts(&accepted, State::Bevestigd), Some(Start::Accepted));
        assert_eq!(starts(&accepted, State::WachtOpKlager), None);
        assert_eq!(
            starts(&EventKind::Judged { justified: true }, State::InBehandeling),
            Some(Start::Justified)
        );
        assert_eq!(
            starts(
                &EventKind::Judged { justified: false },
                State::InBehandeling
            ),
            None
        );
    }
}
