//! Crash safety: 200 complaints are delivered while the daemon is killed with
//! SIGKILL three times and restarted. Afterwards every message belongs to
//! exactly one case and every case has exactly one acknowledgement, counted
//! in the customers' mailboxes over IMAP.

use crate::harness::*;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

const CUSTOMERS: u32 = 40;
const PER_CUSTOMER: u32 = 5;

#[test]
fn sigkill_three_times_loses_nothing_and_sends_nothing_twice() {
    // Five complaints per customer within seconds: above the default loop guard.
    let inst = Instance::with(
        "crash",
        Options {
            extra: "[limits]\nauto_replies_per_recipient_per_hour = 50\n".into(),
            ..Options::default()
        },
    );
    let total = CUSTOMERS * PER_CUSTOMER;
    let complaints = inst.complaints.clone();
    let tag = inst.tag.clone();
    let customers: Vec<String> = (0..CUSTOMERS).map(|i| inst.customer(i)).collect();
    let to_send = customers.clone();
    let sender = std::thread::spawn(move || {
        let mut ids = Vec::new();
        for n in 0..PER_CUSTOMER {
            for (i, c) in to_send.iter().enumerate() {
                let mid = format!("crash-{n}-{i}-{tag}@voorbeeld.test");
                smtp_send(
                    c,
                    &[&complaints],
                    &complaint(
                        c,
                        &complaints,
                        &mid,
                        &format!("Klacht {n}"),
                        "De monteur is niet gekomen en niemand belt terug.",
                    ),
                );
                ids.push(mid);
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        ids
    });

    let mut child = inst.spawn_run();
    let start = Instant::now();
    for at in [
        Duration::from_millis(1500),
        Duration::from_millis(3200),
        Duration::from_millis(5000),
    ] {
        while start.elapsed() < at {
            std::thread::sleep(Duration::from_millis(20));
        }
        kill(&mut child, "KILL");
        let _ = child.wait();
        child = inst.spawn_run();
    }
    let ids: HashSet<String> = sender.join().unwrap().into_iter().collect();
    assert_eq!(ids.len() as u32, total);

    let count_acks = || -> Vec<Vec<u8>> {
        customers
            .iter()
            .flat_map(|c| fetch_all(c, "INBOX"))
            .collect()
    };
    let complete = wait_until(Duration::from_secs(90), || {
        count_acks().len() as u32 >= total
    });
    // Give any duplicate a chance to show up before counting.
    std::thread::sleep(Duration::from_secs(4));
    kill(&mut child, "TERM");
    let status = child.wait().unwrap();
    let log = std::fs::read_to_string(inst.dir.path().join("run.log")).unwrap_or_default();
    assert!(
        complete,
        "not every complaint was acknowledged; log tail:\n{}",
        tail(&log)
    );
    assert!(status.success(), "{status:?}");

    // Exactly one acknowledgement per complaint.
    let acks = count_acks();
    let mut per_complaint: HashMap<String, u32> = HashMap::new();
    for a in &acks {
        let irt = header(a, "In-Reply-To").unwrap_or_default();
        *per_complaint
            .entry(irt.trim_matches(['<', '>']).to_string())
            .or_default() += 1;
    }
    let dupes: Vec<_> = per_complaint.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "acknowledged more than once: {dupes:?}");
    let acked: HashSet<String> = per_complaint.keys().cloned().collect();
    assert_eq!(acked, ids, "every complaint acknowledged, nothing else");

    // Exactly one case per message.
    let cases = inst.cases();
    assert_eq!(cases.len() as u32, total);
    for c in &cases {
        assert_eq!(c["messages_in"], 1, "{c}");
        // The acknowledgement and the assignment notice to the coordinator.
        assert_eq!(c["letters_sent"], 2, "{c}");
        assert!(c["acknowledged"].is_string(), "{c}");
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
