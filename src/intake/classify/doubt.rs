//! Doubt: what a complaints mailbox does with a message that may or may not
//! be a complaint (`[classifier] doubt` and `doubt_band`). A message whose
//! klacht score lies in the band is treated as a complaint for its terms
//! (acknowledged as one); with `ask`, the coordinator also gets a triage
//! notice to confirm (`#klacht`) or correct it (`#geen-klacht`, `#vraag`,
//! `#compliment`, `#idee`).

use super::verdict::Verdict;
use crate::config::{Doubt, DoubtMode};

/// The verdict under the doubt policy: a doubtful human message becomes a
/// complaint, marked `doubtful` when a person is to decide. Automatic mail
/// and mail of a kind the rules name (newsletter, phishing, application,
/// …) are never doubtful.
pub fn apply_doubt(doubt: &Doubt, mut v: Verdict) -> Verdict {
    let klacht = v.scores.get("klacht").copied().unwrap_or(0.0);
    if v.auto_generated || v.of_a_named_kind() || klacht < doubt.band.0 || klacht >= doubt.band.1 {
        return v;
    }
    if v.label != "klacht" {
        v.label = "klacht".into();
        v.score = klacht;
        v.category.get_or_insert_with(|| "dienstverlening".into());
    }
    v.doubtful = doubt.mode == DoubtMode::Ask;
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::classify::Classifier;

    fn apply(d: Doubt, v: Verdict) -> Verdict {
        apply_doubt(&d, v)
    }

    fn verdict(subject: &str, body: &str) -> Verdict {
        Classifier::builtin().classify_text(subject, body)
    }

    #[test]
    fn a_doubtful_question_becomes_a_complaint_and_asks_when_told_to() {
        let v = verdict(
            "Vraag",
            "Hoe lang duurt het nog? De levering is helaas vertraagd.",
        );
        let klacht = v.scores["klacht"];
        let band = (klacht - 0.1, klacht + 0.1);
        let ask = Doubt {
            mode: DoubtMode::Ask,
            band,
        };
        let asked = apply(ask, v.clone());
        assert_eq!(asked.label, "klacht");
        assert!(asked.doubtful);
        let lean = apply(
            Doubt {
                mode: DoubtMode::Klacht,
                band,
            },
            v,
        );
        assert_eq!(lean.label, "klacht");
        assert!(!lean.doubtful, "no one is asked");
    }

    #[test]
    fn clear_cases_and_automatic_mail_are_never_doubtful() {
        let ask = Doubt {
            mode: DoubtMode::Ask,
            band: (1.0, 2.5),
        };
        let clear = apply(ask, verdict(
            "Klacht",
            "Ik dien hierbij een klacht in: de monteur is niet gekomen en niemand belde. Onacceptabel!",
        ));
        assert!(clear.label == "klacht" && !clear.doubtful);
        let spam = apply(
            ask,
            verdict(
                "Actie vereist",
                "Uw pakket kon niet worden bezorgd. Betaal binnen 24 uur de verzendtoeslag.",
            ),
        );
        assert_eq!(spam.label, "overig");
    }
}
