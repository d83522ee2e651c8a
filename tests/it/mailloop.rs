//! A mail loop against a responder that answers every mail it gets with a
//! fresh message (no threading, no Auto-Submitted: the worst kind) ends
//! within the rate limit for automatic mail.

use crate::harness::*;
use std::time::{Duration, Instant};

#[test]
fn a_loop_with_a_bad_autoresponder_ends_within_the_rate_limit() {
    let inst = Instance::new("loop");
    let bot = format!("robot-{}@voorbeeld.test", inst.tag);
    let mut child = inst.spawn_run();
    assert!(wait_until(Duration::from_secs(15), || {
        std::fs::read_to_string(inst.dir.path().join("run.log"))
            .unwrap_or_default()
            .contains("IMAP connected")
    }));
    let send = |n: usize| {
        inst.send_complaint(
            &bot,
            &format!("bot{n}"),
            &format!("Klacht {n}"),
            "Dit is onacceptabel: niemand reageert op mijn berichten.",
        );
    };
    send(0);
    let mut answered = 0;
    let start = Instant::now();
    let mut quiet_since = Instant::now();
    // The responder answers every mail it receives, until nothing new comes for 5 s.
    while start.elapsed() < Duration::from_secs(60)
        && quiet_since.elapsed() < Duration::from_secs(5)
    {
        let got = fetch_all(&bot, "INBOX").len();
        while answered < got {
            answered += 1;
            send(answered);
            quiet_since = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    kill(&mut child, "TERM");
    let _ = child.wait();
    let acks = fetch_all(&bot, "INBOX").len();
    assert_eq!(
        acks, 5,
        "the default limit is 5 automatic replies per address per hour"
    );
    let log = std::fs::read_to_string(inst.dir.path().join("run.log")).unwrap_or_default();
    assert!(log.contains("rate limit"), "the suppression is logged");
    // Every message still became a case: nothing is lost, only not answered.
    assert_eq!(inst.cases().len(), acks + 1);
}
