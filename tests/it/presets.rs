//! Each of the five procedures, walked from mail to closure through the real
//! mail stack in simulated time: the letters of its seed arrive in the right
//! mailboxes, with the seed's terms, and its reminders and escalations fire
//! once each when the decision term is left to expire.

use crate::harness::*;
use std::time::Duration;

struct Walk {
    preset: &'static str,
    /// What the acknowledgement promises ("2 weken na ontvangst").
    decide: &'static str,
    /// A phrase of the policy's next step for an unsatisfied complainant.
    appeal: &'static str,
    /// What the decision term is met by, as the reminders say
    /// (`standpunt`, or `oplossing` where the procedure's term is about resolution).
    met_by: &'static str,
    /// Further terms that start on receipt (`[[step]]`), each with a
    /// reminder and an escalation of its own.
    steps: usize,
}

const WALKS: [Walk; 5] = [
    Walk {
        preset: "generiek",
        met_by: "standpunt",
        decide: "2 weken na ontvangst",
        appeal: "de directie bekijkt uw klacht dan opnieuw",
        steps: 0,
    },
    Walk {
        preset: "glaspunt",
        met_by: "standpunt",
        decide: "1 week na ontvangst",
        appeal: "klachtenbemiddelaar",
        steps: 0,
    },
    Walk {
        preset: "xs2more",
        met_by: "oplossing",
        decide: "6 weken na ontvangst",
        appeal: "Blik op Werk",
        steps: 2,
    },
    Walk {
        preset: "vps",
        met_by: "oplossing",
        decide: "2 weken na ontvangst",
        appeal: "Business unit director",
        steps: 0,
    },
    Walk {
        preset: "optimumconsult",
        met_by: "oplossing",
        decide: "6 weken na ontvangst",
        appeal: "opdrachtgever",
        steps: 1,
    },
];

/// One cycle in this process, its clock at `at`.
fn once_at(inst: &Instance, at: chrono::DateTime<chrono::Utc>) {
    inst.once_at(at);
}

fn subjects(addr: &str) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(500));
    fetch_all(addr, "INBOX")
        .iter()
        .map(|m| subject_and_text(m).0)
        .collect()
}

#[test]
fn every_preset_from_mail_to_closure() {
    for w in WALKS {
        let tag = unique(w.preset);
        let management = format!("directie-{tag}@org.example.test");
        let inst = Instance::with(
            w.preset,
            Options {
                staff_extra: format!(
                    "management = [\"{management}\"]\nroles = {{ kwaliteitsmanager = \"kwaliteit-{tag}@org.example.test\" }}"
                ),
                extra: format!("[policy]\npreset = \"{}\"\n", w.preset),
                ..Options::default()
            },
        );
        let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
        let customer = inst.customer(1);
        let body = "Geachte heer/mevrouw,\n\nDe monteur is twee keer niet gekomen en niemand heeft afgebeld.\n\nJan Smit\nKerkstraat 18, 6711 AB Ede\n06 12345678";
        let raw = complaint(
            &customer,
            &inst.complaints,
            &format!("w-{}@voorbeeld.test", inst.tag),
            "Monteur niet gekomen",
            body,
        )
        .replace("From: Klant <", "From: Jan Smit <");
        smtp_send(&customer, &[&inst.complaints], &raw);
        let out = inst.once_after(1);
        let cases = inst.cases();
        assert_eq!(
            cases.len(),
            1,
            "{}: {out}\n{}",
            w.preset,
            String::from_utf8_lossy(&inst.klachtd(&["failed", "list"]).stdout)
        );
        let id = cases[0]["id"].as_str().unwrap().to_string();

        // The acknowledgement states the seed's term; the handler gets the notice.
        let to_customer = subjects(&customer);
        assert_eq!(
            count_containing(&to_customer, "Ontvangstbevestiging"),
            1,
            "{}: {to_customer:?}",
            w.preset
        );
        let ack = fetch_all(&customer, "INBOX").remove(0);
        assert!(
            subject_and_text(&ack).1.contains(w.decide),
            "{}: {}",
            w.preset,
            subject_and_text(&ack).1
        );
        assert_eq!(
            count_containing(&subjects(&coordinator), "toegewezen"),
            1,
            "{}",
            w.preset
        );

        // The decision term is left to expire: reminders, breach and management once each.
        let show: serde_json::Value =
            serde_json::from_slice(&inst.klachtd(&["cases", "show", &id, "--json"]).stdout)
                .unwrap();
        let mut moments: Vec<chrono::DateTime<chrono::Utc>> = show["timers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["at"].as_str().unwrap().parse().unwrap())
            .collect();
        moments.sort();
        let last = *moments.last().unwrap();
        for at in &moments {
            once_at(&inst, *at + chrono::Duration::minutes(1));
            once_at(&inst, *at + chrono::Duration::minutes(1));
        }
        let staff = subjects(&coordinator);
        assert_eq!(
            count_containing(&staff, &format!("Herinnering: {}", w.met_by)),
            2,
            "{}: {staff:?}",
            w.preset
        );
        assert_eq!(
            count_containing(&staff, "Herinnering: termijn loopt af"),
            w.steps,
            "{}: {staff:?}",
            w.preset
        );
        assert_eq!(
            count_containing(&staff, "ESCALATIE"),
            1 + w.steps,
            "{}: {staff:?}",
            w.preset
        );
        // (Management also gets the scheduled agenda and reports; they name no case.)
        assert_eq!(
            count_containing(&subjects(&management), &id),
            1,
            "{}",
            w.preset
        );
        if w.preset == "vps" {
            assert_eq!(
                count_containing(&subjects(&customer), "stand van zaken"),
                1,
                "vps interim update"
            );
        }

        // The handler takes the case to closure.
        let notice = fetch_all(&coordinator, "INBOX")
            .into_iter()
            .find(|m| subject_and_text(m).0.contains("toegewezen"))
            .unwrap();
        let reply_to = header(&notice, "Reply-To")
            .unwrap()
            .trim_matches(['<', '>'])
            .to_string();
        let commands = "Wij komen donderdag langs en vergoeden de gemiste dag.\r\n#in-behandeling\r\n#gegrond: de afspraak is niet in de planning gezet\r\n#bod vergoeding van een vrije dag\r\n#bod-aanvaard\r\n#uitkomst afspraak ingepland en dag vergoed\r\n#opgelost\r\n#verslag verslag aan klager en betrokkenen verstuurd\r\n#beroep\r\n#sluiten";
        smtp_send(
            &coordinator,
            &[&reply_to],
            &format!(
                "From: {coordinator}\r\nTo: {reply_to}\r\nSubject: Re: {id}\r\nMessage-ID: <close-{}@org.example.test>\r\nIn-Reply-To: {}\r\n\r\n{commands}\r\n",
                inst.tag,
                header(&notice, "Message-ID").unwrap()
            ),
        );
        assert!(wait_until(Duration::from_secs(10), || !fetch_all(
            &inst.complaints,
            "INBOX"
        )
        .is_empty()));
        once_at(&inst, last + chrono::Duration::hours(1));
        let to_customer = subjects(&customer);
        // One letter for the moment: the handler's words, then each part.
        let combined = fetch_all(&customer, "INBOX")
            .into_iter()
            .map(|m| subject_and_text(&m).1)
            .find(|t| t.contains("Wij komen donderdag langs"))
            .expect("the relayed text reaches the complainant");
        assert!(!combined.contains('#'), "{combined}");
        for letter in [
            "ons standpunt",
            "afgehandeld",
            "bent u tevreden",
            "vervolgstap",
        ] {
            assert!(
                count_containing(&to_customer, letter) >= 1,
                "{}: no '{letter}' in {to_customer:?}",
                w.preset
            );
        }
        let next = fetch_all(&customer, "INBOX")
            .into_iter()
            .find(|m| subject_and_text(m).0.to_lowercase().contains("vervolgstap"))
            .unwrap();
        assert!(
            subject_and_text(&next).1.contains(w.appeal),
            "{}: {}",
            w.preset,
            subject_and_text(&next).1
        );
        let c: serde_json::Value =
            serde_json::from_slice(&inst.klachtd(&["cases", "show", &id, "--json"]).stdout)
                .unwrap();
        assert_eq!(
            c["case"]["state"], "gesloten",
            "{}: {}",
            w.preset, c["case"]
        );
        assert_eq!(c["case"]["justified"], true);
        assert_eq!(c["case"]["offer_accepted"], true);
        // Nothing more fires about the case after closure (scheduled reports
        // still come: they name no case in their subject).
        let before = count_containing(&subjects(&coordinator), &id);
        once_at(&inst, last + chrono::Duration::days(60));
        assert_eq!(
            count_containing(&subjects(&coordinator), &id),
            before,
            "{}",
            w.preset
        );
    }
}
