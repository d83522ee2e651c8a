//! Operating a running daemon: the CLI beside it (through the control
//! socket) gives what it gives with the daemon stopped; state-changing
//! commands go through the daemon.

use crate::harness::*;
use std::time::Duration;

/// An instance whose message limit makes a 30 KB mail a dead letter.
fn small_limit(name: &str) -> Instance {
    Instance::with(
        name,
        Options {
            extra: "[limits]\nmax_message_bytes = 20000\n".into(),
            ..Options::default()
        },
    )
}

#[test]
fn the_cli_beside_a_running_daemon_gives_what_it_gives_with_the_daemon_stopped() {
    let inst = small_limit("control");
    let customer = inst.customer(1);
    let mut child = inst.spawn_run();
    inst.send_complaint(
        &customer,
        "c1",
        "Kapotte levering",
        "De levering was beschadigd en niemand reageert. Ik ben boos.",
    );
    inst.send_complaint(
        &inst.customer(2),
        "c2",
        "Te laat",
        "Mijn pakket kwam twee weken te laat, dit is een klacht.",
    );
    inst.send_complaint(&customer, "big", "Groot", &"x".repeat(30_000));
    // The daemon holds the store; the CLI reads it through the socket.
    assert!(
        wait_until(Duration::from_secs(30), || {
            let out = inst.klachtd(&["failed", "list", "--json"]);
            out.status.success()
                && inst.cases().len() == 2
                && serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
                    .is_ok_and(|d| d.len() == 1)
        }),
        "the running daemon did not open two cases and one dead letter, or the CLI could not see them:\n{}",
        std::fs::read_to_string(inst.dir.path().join("run.log")).unwrap_or_default()
    );
    // Letters are sent (so the outbox stops moving) before comparing.
    assert!(wait_until(Duration::from_secs(30), || !fetch_all(
        &customer, "INBOX"
    )
    .is_empty()));
    std::thread::sleep(Duration::from_secs(2));
    let id = inst.cases()[0]["id"].as_str().unwrap().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["cases", "list", "--json"],
        vec!["cases", "list"],
        vec!["cases", "show", &id, "--json"],
        vec!["cases", "show", &id],
        vec!["failed", "list", "--json"],
        vec!["privacy", "export", &customer],
        vec!["export"],
        vec!["agenda"],
    ];
    let running: Vec<_> = commands.iter().map(|a| inst.klachtd(a)).collect();
    let report_args = [
        "report",
        "--from",
        "2020-01-01",
        "--to",
        "2035-12-31",
        "--format",
        "json",
    ];
    let report_running = report_json(&inst.klachtd(&report_args));
    // An export to a file is written by the CLI, owner-only.
    let file = inst.dir.path().join("export.jsonl");
    let out = inst.klachtd(&["export", "--output", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    // An unknown case is the same error either way.
    let missing_running = inst.klachtd(&["cases", "show", "KL-2020-9999"]);

    kill(&mut child, "TERM");
    assert!(child.wait().unwrap().success());
    assert!(
        !inst.store_path().join("control.sock").exists(),
        "the socket is removed at stop"
    );
    for (args, before) in commands.iter().zip(&running) {
        let after = inst.klachtd(args);
        assert!(
            before.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&before.stderr)
        );
        if args[0] == "agenda" && before.stdout != after.stdout {
            // The agenda is "as of now": a minute may have turned.
            continue;
        }
        assert_eq!(
            String::from_utf8_lossy(&before.stdout),
            String::from_utf8_lossy(&after.stdout),
            "{args:?} differs with the daemon running"
        );
    }
    assert_eq!(report_running, report_json(&inst.klachtd(&report_args)));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        inst.klachtd(&["export"]).stdout
    );
    let missing_stopped = inst.klachtd(&["cases", "show", "KL-2020-9999"]);
    assert_eq!(missing_running.status.code(), missing_stopped.status.code());
    assert_eq!(missing_running.stderr, missing_stopped.stderr);
}

#[test]
fn a_dead_letter_queued_again_beside_the_running_daemon_is_processed_by_it() {
    let inst = small_limit("control-retry");
    let customer = inst.customer(1);
    let mut child = inst.spawn_run();
    inst.send_complaint(
        &customer,
        "big",
        "Groot",
        &format!(
            "Dit is een klacht over de levering. {}",
            "x ".repeat(12_000)
        ),
    );
    let dead = || -> Vec<serde_json::Value> {
        serde_json::from_slice(&inst.klachtd(&["failed", "list", "--json"]).stdout)
            .unwrap_or_default()
    };
    assert!(wait_until(Duration::from_secs(30), || dead().len() == 1));
    let id = dead()[0]["id"].as_str().unwrap().to_string();
    // Retried while the limit still holds: it goes dead again, through the daemon.
    let out = inst.klachtd(&["failed", "retry", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("queued again"));
    assert!(wait_until(Duration::from_secs(10), || dead().len() == 1
        && dead()[0]["id"] == id.as_str()));
    let log = std::fs::read_to_string(inst.dir.path().join("run.log")).unwrap();
    assert!(
        log.contains("running a CLI command") && log.contains("failed retry"),
        "{log}"
    );
    kill(&mut child, "TERM");
    assert!(child.wait().unwrap().success());
}

/// `GET path` on loopback `port`: the status code and the body.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}

/// One sample: name, labels, value.
type Sample = (String, Vec<(String, String)>, f64);

/// The metrics, parsed by a Prometheus text-format parser: name and
/// labels → value.
fn scrape(port: u16) -> Vec<Sample> {
    let (code, body) = http_get(port, "/metrics").expect("/metrics answers");
    assert_eq!(code, 200, "{body}");
    let lines = body.lines().map(|l| Ok(l.to_string()));
    let parsed =
        prometheus_parse::Scrape::parse(lines).expect("the metrics parse as Prometheus text");
    parsed
        .samples
        .into_iter()
        .map(|s| {
            let value = match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            };
            let mut labels: Vec<(String, String)> = s
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            labels.sort();
            (s.metric, labels, value)
        })
        .collect()
}

fn metric(samples: &[Sample], name: &str, label: Option<&str>) -> f64 {
    samples
        .iter()
        .find(|(n, l, _)| n == name && label.is_none_or(|want| l.iter().any(|(_, v)| v == want)))
        .map(|(_, _, v)| *v)
        .unwrap_or(0.0)
}

#[test]
fn metrics_move_as_mail_is_processed_and_health_turns_503_while_imap_is_away() {
    use std::sync::atomic::Ordering;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let inst = Instance::with(
        "metrics",
        Options {
            extra: format!("[metrics]\nlisten = \"127.0.0.1:{port}\"\nimap_within_secs = 3\n"),
            ..Options::default()
        },
    );
    let down = imap_through_proxy(&inst);
    let mut child = inst.spawn_run();
    let health = || http_get(port, "/health").unwrap_or((0, String::new()));
    assert!(
        wait_until(Duration::from_secs(20), || health().0 == 200),
        "{:?}\n{}",
        health(),
        run_log(&inst)
    );
    let before = scrape(port);
    assert_eq!(metric(&before, "klachtd_cases_opened_total", None), 0.0);
    assert_eq!(metric(&before, "klachtd_imap_connected", None), 1.0);
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "m1",
        "Kapot",
        "De levering was kapot en niemand reageert. Dit is een klacht.",
    );
    assert!(
        wait_until(Duration::from_secs(30), || {
            let m = scrape(port);
            metric(&m, "klachtd_cases_opened_total", None) == 1.0
                && metric(&m, "klachtd_letters_sent_total", None) >= 2.0
                && metric(&m, "klachtd_outbox_queued", None) == 0.0
        }),
        "{:?}",
        scrape(port)
    );
    let after = scrape(port);
    assert!(
        metric(&after, "klachtd_messages_total", Some("klacht")) >= 1.0,
        "{after:?}"
    );
    for name in [
        "klachtd_send_failures_total",
        "klachtd_imap_reconnects_total",
        "klachtd_outbox_oldest_seconds",
        "klachtd_journal_pending",
        "klachtd_dead_letters",
        "klachtd_timers_due",
        "klachtd_cases_overdue",
    ] {
        assert!(
            after.iter().any(|(n, _, _)| n == name),
            "{name} missing: {after:?}"
        );
    }
    // The IMAP server goes away: /health turns 503 with the reason.
    down.store(true, Ordering::SeqCst);
    assert!(
        wait_until(Duration::from_secs(20), || health().0 == 503),
        "{:?}",
        health()
    );
    assert!(health().1.contains("IMAP"), "{:?}", health());
    assert_eq!(metric(&scrape(port), "klachtd_imap_connected", None), 0.0);
    // And back.
    down.store(false, Ordering::SeqCst);
    assert!(
        wait_until(Duration::from_secs(70), || health().0 == 200),
        "{:?}\n{}",
        health(),
        run_log(&inst)
    );
    assert!(metric(&scrape(port), "klachtd_imap_reconnects_total", None) >= 1.0);
    kill(&mut child, "TERM");
    assert!(child.wait().unwrap().success());
    // Away and back are one line each, not one per attempt.
    let log = run_log(&inst);
    assert_eq!(log.matches("IMAP connection lost").count(), 1, "{log}");
}

#[test]
fn under_systemd_the_daemon_says_ready_and_what_it_does_and_feeds_the_watchdog() {
    let inst = Instance::new("notify");
    let path = inst.dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    // As systemd starts it: WATCHDOG_PID is the service's own pid.
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("WATCHDOG_PID=$$ exec \"$0\" --config \"$1\" run")
        .arg(env!("CARGO_BIN_EXE_klachtd"))
        .arg(&inst.config)
        .env("NOTIFY_SOCKET", &path)
        .env("WATCHDOG_USEC", "2000000")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(inst.dir.path().join("run.log")).unwrap())
        .spawn()
        .unwrap();
    let mut said = String::new();
    let start = std::time::Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < Duration::from_secs(20)
        && !(said.contains("READY=1")
            && said.contains("WATCHDOG=1")
            && said.contains("STATUS=watching the mailbox"))
    {
        if let Ok(n) = socket.recv(&mut buf) {
            said.push_str(&String::from_utf8_lossy(&buf[..n]));
            said.push('\n');
        }
    }
    kill(&mut child, "TERM");
    assert!(child.wait().unwrap().success());
    while let Ok(n) = socket.recv(&mut buf) {
        said.push_str(&String::from_utf8_lossy(&buf[..n]));
        said.push('\n');
    }
    for want in [
        "READY=1",
        "WATCHDOG=1",
        "STATUS=watching the mailbox",
        "STOPPING=1",
    ] {
        assert!(
            said.contains(want),
            "{want} not said:\n{said}\n{}",
            run_log(&inst)
        );
    }
}
