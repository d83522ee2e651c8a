//! Faults of the neighbours (issue 15), against the real mail stack: a
//! slow or broken neighbour must not stop complaint handling, and every
//! fault ends in recovery or a loud exit.

use crate::harness::*;
use std::process::Child;
use std::time::{Duration, Instant};

/// Points the instance's `[smtp]` at `port`.
fn smtp_port(inst: &Instance, port: u16) {
    set_port(inst, "[smtp]", port);
}

#[test]
fn a_hung_smtp_server_holds_up_no_complaint_and_sigterm_ends_in_seconds() {
    let inst = Instance::new("hungsmtp");
    // An SMTP server that accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hung = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    smtp_port(&inst, hung);
    let mut child = inst.spawn_run();
    let customers: Vec<String> = (1..=3).map(|n| inst.customer(n)).collect();
    for (n, c) in customers.iter().enumerate() {
        inst.send_complaint(
            c,
            &format!("h{n}"),
            "Monteur niet gekomen",
            "De monteur is niet gekomen en niemand heeft gebeld. Ik ben zeer ontevreden.",
        );
    }
    // Complaints keep becoming cases while every letter waits on the server.
    assert!(
        wait_until(Duration::from_secs(30), || run_log(&inst)
            .matches("new case KL-")
            .count()
            >= 3),
        "complaints did not become cases while SMTP hung:\n{}",
        run_log(&inst)
    );
    // SIGTERM ends it within 15 s, with exit 0.
    let asked = Instant::now();
    kill(&mut child, "TERM");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(15),
            "still running 15 s after SIGTERM:\n{}",
            run_log(&inst)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}\n{}", run_log(&inst));
    assert!(
        !run_log(&inst).contains('\u{1b}'),
        "a log written to a file has no escape codes"
    );
    // A working server again: every letter goes out exactly once.
    smtp_port(&inst, stack().smtp_port);
    inst.once();
    inst.once();
    for c in &customers {
        assert!(
            wait_until(Duration::from_secs(10), || !fetch_all(c, "INBOX")
                .is_empty()),
            "{c} got no acknowledgement"
        );
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            fetch_all(c, "INBOX").len(),
            1,
            "{c}: exactly one acknowledgement"
        );
    }
}

#[test]
fn a_damaged_store_stops_run_and_once_with_the_recovery() {
    let inst = Instance::new("damaged");
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "d1",
        "Monteur",
        "De monteur is niet gekomen. Onacceptabel!",
    );
    inst.once_after(1);
    assert_eq!(inst.cases().len(), 1);
    // The store lost its newest changes (a copy put back, a damaged log).
    let marker = inst.store_path().join("commits");
    let n: u64 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::write(&marker, (n + 5).to_string()).unwrap();
    for args in [&["once"][..], &["run"][..]] {
        let out = inst.klachtd(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} must fail: {err}");
        assert!(
            err.contains("is damaged") && err.contains(&inst.store_path().display().to_string()),
            "{err}"
        );
        assert!(
            err.contains("klachtd import") && err.contains("backup"),
            "{err}"
        );
        assert!(!err.contains("another klachtd"), "{err}");
    }
}

/// Postfix refusing for a while with letters waiting: once it answers
/// again every letter is out within 15 s, once. `KLACHTD_FAULT_FULL=1`
/// runs the size (100 complaints, two minutes); the default is 20
/// complaints and 20 s.
#[test]
fn letters_waiting_for_a_refusing_relay_go_out_within_seconds_of_its_return() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let full = std::env::var_os("KLACHTD_FAULT_FULL").is_some();
    let (n, outage) = if full { (100, 120) } else { (20, 20) };
    let inst = Instance::new("relaydown");
    let down = std::sync::Arc::new(AtomicBool::new(true));
    smtp_port(&inst, flaky_proxy(stack().smtp_port, down.clone()));
    let mut child = inst.spawn_run();
    let customers: Vec<String> = (1..=n).map(|i| inst.customer(i)).collect();
    for (i, c) in customers.iter().enumerate() {
        inst.send_complaint(
            c,
            &format!("r{i}"),
            "Meter kapot",
            "De meter is kapot en niemand komt. Onacceptabel.",
        );
    }
    assert!(
        wait_until(Duration::from_secs(60), || run_log(&inst)
            .matches("new case KL-")
            .count()
            >= n as usize),
        "{}",
        run_log(&inst)
    );
    std::thread::sleep(Duration::from_secs(outage));
    down.store(false, Ordering::SeqCst);
    let back = Instant::now();
    let coordinator = format!("coordinator-{}@org.example.test", inst.tag);
    let all_out = wait_until(Duration::from_secs(15), || {
        customers.iter().all(|c| !fetch_all(c, "INBOX").is_empty())
            && fetch_all(&coordinator, "INBOX").len() >= n as usize
    });
    let took = back.elapsed();
    kill(&mut child, "TERM");
    let _ = child.wait();
    assert!(
        all_out,
        "not every letter was out 15 s after the relay returned:\n{}",
        run_log(&inst)
    );
    println!("{n} acknowledgements and {n} assignment notices out {took:?} after the relay returned ({outage} s outage)");
    let log = run_log(&inst);
    // The outage is a handful of lines, naming the letters waiting, not one per letter.
    let loud: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    assert!(
        loud.len() <= 5,
        "{} warnings:\n{}",
        loud.len(),
        loud.join("\n")
    );
    assert!(log.contains("letters_waiting="), "{log}");
    assert!(
        log.contains(&format!("{n} cases opened")),
        "the totals at stop count what was done: {}",
        log.lines().last().unwrap_or("")
    );
    std::thread::sleep(Duration::from_millis(500));
    for c in &customers {
        assert_eq!(
            fetch_all(c, "INBOX").len(),
            1,
            "{c}: exactly one acknowledgement"
        );
    }
    assert_eq!(
        fetch_all(&coordinator, "INBOX").len(),
        n as usize,
        "exactly one assignment notice per case"
    );
}

/// Rewrites a `key = value` line of the instance's config (`None` drops it).
fn config_line(inst: &Instance, key: &str, value: Option<&str>) {
    let text = std::fs::read_to_string(&inst.config).unwrap();
    let lines: Vec<String> = text
        .lines()
        .filter_map(|l| {
            if l.starts_with(&format!("{key} = ")) {
                value.map(|v| format!("{key} = {v}"))
            } else {
                Some(l.to_string())
            }
        })
        .collect();
    std::fs::write(&inst.config, lines.join("\n") + "\n").unwrap();
}

#[test]
fn after_the_imap_server_restarts_the_daemon_is_back_within_70_seconds() {
    use std::sync::atomic::Ordering;
    let inst = Instance::new("imapdown");
    let down = imap_through_proxy(&inst);
    let mut child = inst.spawn_run();
    assert!(wait_until(Duration::from_secs(15), || run_log(&inst)
        .contains("IMAP connected")));
    // Dovecot goes away for 20 s, during IDLE.
    down.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(20));
    down.store(false, Ordering::SeqCst);
    let back = Instant::now();
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "i1",
        "Meter",
        "De meter is kapot en niemand reageert. Onacceptabel.",
    );
    let handled = wait_until(Duration::from_secs(70), || {
        !fetch_all(&customer, "INBOX").is_empty()
    });
    let took = back.elapsed();
    kill(&mut child, "TERM");
    let _ = child.wait();
    assert!(handled, "not back within 70 s:\n{}", run_log(&inst));
    println!("back and answering {took:?} after the IMAP server returned");
    assert_eq!(
        run_log(&inst).matches("IMAP connected").count(),
        2,
        "{}",
        run_log(&inst)
    );
}

/// `KLACHTD_FAULT_FULL=1` runs the batch of 300; the default is 100
/// (the suite's other tests share the mail stack).
#[test]
fn mail_that_arrives_during_a_batch_is_handled_without_further_mail() {
    let inst = Instance::new("batchrace");
    // The default IDLE renewal: a missed notification would cost minutes.
    config_line(&inst, "idle_renew_secs", None);
    let n = if std::env::var_os("KLACHTD_FAULT_FULL").is_some() {
        300
    } else {
        100
    };
    for i in 0..n {
        inst.send_complaint(
            &inst.customer(i),
            &format!("b{i}"),
            "Meter",
            "De meter is kapot. Onacceptabel.",
        );
    }
    assert!(wait_until(Duration::from_secs(60), || fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .len()
        >= n as usize));
    let mut child = inst.spawn_run();
    // While the batch is being processed, one more complaint.
    assert!(wait_until(Duration::from_secs(60), || run_log(&inst)
        .contains("new case KL-")));
    let late = inst.customer(9999);
    inst.send_complaint(
        &late,
        "late",
        "Nog een",
        "Ook bij mij is de meter kapot. Onacceptabel.",
    );
    let handled = wait_until(Duration::from_secs(60), || {
        run_log(&inst).matches("new case KL-").count() > n as usize
    });
    kill(&mut child, "TERM");
    let _ = child.wait();
    assert!(
        handled,
        "the late complaint waited for a wake-up:\n{}",
        run_log(&inst)
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A small tmpfs for the store (root only: skipped, saying so, otherwise).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_path_buf()))
    }

    /// Fills the disk to the last byte.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let small = [0u8; 512];
        while f.write_all(&small).is_ok() {}
        let _ = f.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.0.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// A daemon on a tmpfs that is then filled, with three complaints sent
/// after: they must stay on the server. `None` (skipped) without root.
fn full_disk(
    name: &str,
    store_extra: &str,
) -> Option<(Instance, SmallDisk, Child, String, Vec<String>)> {
    let inst = Instance::new(name);
    let mnt = inst.dir.path().join("disk");
    let Some(disk) = SmallDisk::mount(&mnt, "16m") else {
        println!("SKIPPED: mounting a tmpfs needs root");
        return None;
    };
    config_line(
        &inst,
        "path",
        Some(&format!("\"{}\"{store_extra}", mnt.join("store").display())),
    );
    let child = inst.spawn_run();
    let first = inst.customer(1);
    inst.send_complaint(&first, "f1", "Meter", "De meter is kapot. Onacceptabel.");
    assert!(
        wait_until(Duration::from_secs(20), || !fetch_all(&first, "INBOX")
            .is_empty()),
        "{}",
        run_log(&inst)
    );
    disk.fill();
    let later: Vec<String> = (2..=4).map(|n| inst.customer(n)).collect();
    let mids: Vec<String> = later
        .iter()
        .enumerate()
        .map(|(i, c)| {
            inst.send_complaint(
                c,
                &format!("f{}", i + 2),
                "Meter",
                "Ook mijn meter is kapot. Onacceptabel.",
            )
        })
        .collect();
    // Delivered (Postfix may take a while under load) and then left there.
    let inbox = || -> Vec<String> {
        fetch_all(&inst.complaints, "INBOX")
            .iter()
            .filter_map(|m| header(m, "Message-ID"))
            .collect()
    };
    let all_there = |inbox: &[String]| {
        mids.iter()
            .all(|mid| inbox.iter().any(|h| h.contains(mid.as_str())))
    };
    assert!(
        wait_until(Duration::from_secs(30), || all_there(&inbox())),
        "the complaints must reach the mailbox and stay while the store cannot take them:\n{}",
        run_log(&inst)
    );
    std::thread::sleep(Duration::from_secs(4));
    let inbox = inbox();
    for mid in &mids {
        assert!(
            inbox.iter().any(|h| h.contains(mid.as_str())),
            "{mid} must stay on the server while the store cannot take it:\n{}",
            run_log(&inst)
        );
    }
    Some((inst, disk, child, first, later))
}

#[test]
fn a_full_disk_keeps_mail_on_the_server_and_the_same_process_resumes() {
    let Some((inst, disk, mut child, first, later)) = full_disk("fullresume", "") else {
        return;
    };
    // Space again: the same process takes it all within a minute.
    disk.free();
    let freed = Instant::now();
    let handled = wait_until(Duration::from_secs(60), || {
        later.iter().all(|c| fetch_all(c, "INBOX").len() == 1)
    });
    let took = freed.elapsed();
    let running = child.try_wait().unwrap().is_none();
    kill(&mut child, "TERM");
    let status = child.wait().unwrap();
    let log = run_log(&inst);
    assert!(handled && running, "not resumed by itself:\n{log}");
    assert!(status.success(), "{log}");
    println!("resumed {took:?} after space was freed");
    assert!(
        !log.contains("IMAP connection lost"),
        "store faults are named as such:\n{log}"
    );
    assert_eq!(
        log.matches("the store cannot take new mail").count(),
        1,
        "one ERROR, not one per retry:\n{log}"
    );
    assert_eq!(fetch_all(&first, "INBOX").len(), 1, "nothing twice");
}

/// With `store.stalled_exit_secs` passed, a loud exit naming the store;
/// started again with space (as systemd does), it takes everything.
#[test]
fn a_full_disk_that_lasts_ends_in_a_loud_exit_then_recovery() {
    let Some((inst, disk, mut child, first, later)) =
        full_disk("fulldisk", "\nstalled_exit_secs = 10")
    else {
        return;
    };
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the daemon sat still with a full disk:\n{}",
            run_log(&inst)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let log = run_log(&inst);
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("refused writes") && log.contains("free disk space"),
        "{log}"
    );
    disk.free();
    let mut child = inst.spawn_run();
    let handled = wait_until(Duration::from_secs(60), || {
        later.iter().all(|c| fetch_all(c, "INBOX").len() == 1)
    });
    kill(&mut child, "TERM");
    let _ = child.wait();
    assert!(
        handled,
        "not recovered after the restart:\n{}",
        run_log(&inst)
    );
    assert_eq!(fetch_all(&first, "INBOX").len(), 1, "nothing twice");
}

#[test]
fn run_with_a_wrong_password_exits_non_zero_naming_the_keys() {
    let inst = Instance::new("wrongpw");
    std::fs::write(
        inst.dir.path().join("imap-password"),
        "niet-het-wachtwoord\n",
    )
    .unwrap();
    let mut child = inst.spawn_run();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(30) {
            kill(&mut child, "KILL");
            panic!(
                "still running 30 s with a wrong password:\n{}",
                run_log(&inst)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let log = run_log(&inst);
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("mailbox.username") && log.contains("password"),
        "{log}"
    );
}

/// `check --connect` against the real servers: 0 on the good config; for
/// each fault a non-zero exit naming the key.
#[test]
fn check_connect_names_the_key_of_each_fault() {
    let check = |inst: &Instance| {
        let out = inst.klachtd(&["check", "--connect"]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let good = Instance::new("checkgood");
    let (ok, text) = check(&good);
    assert!(ok, "{text}");
    assert!(
        text.contains("mailbox.folder") && text.contains("SMTP"),
        "{text}"
    );

    let wrong_pw = Instance::new("checkpw");
    std::fs::write(wrong_pw.dir.path().join("imap-password"), "fout\n").unwrap();
    let (ok, text) = check(&wrong_pw);
    assert!(!ok && text.contains("mailbox.username"), "{text}");

    let wrong_port = Instance::new("checkport");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    set_port(&wrong_port, "[mailbox]", closed);
    let (ok, text) = check(&wrong_port);
    assert!(
        !ok && text.contains("mailbox.port") && text.contains(&closed.to_string()),
        "{text}"
    );

    let no_folder = Instance::new("checkfolder");
    let conf = std::fs::read_to_string(&no_folder.config).unwrap();
    std::fs::write(
        &no_folder.config,
        conf.replacen("[mailbox]\n", "[mailbox]\nfolder = \"Bestaat-niet\"\n", 1),
    )
    .unwrap();
    let (ok, text) = check(&no_folder);
    assert!(
        !ok && text.contains("mailbox.folder") && text.contains("Bestaat-niet"),
        "{text}"
    );
    assert!(
        !text.contains("Outcome {"),
        "the server's words, not a Rust struct: {text}"
    );

    let s = stack();
    let wrong_ca = Instance::with(
        "checkca",
        Options {
            tls: "tls",
            ca: Some(s.other_ca.clone()),
            ..Options::default()
        },
    );
    let (ok, text) = check(&wrong_ca);
    assert!(!ok && text.contains("mailbox.ca_file"), "{text}");
}

/// The binary copied alone to an empty folder, with a config that names no
/// templates folder: the built-in templates pass `check` and write the
/// acknowledgement.
#[test]
fn the_binary_alone_checks_and_acknowledges_with_its_built_in_templates() {
    let inst = Instance::new("alone");
    let bin = inst.dir.path().join("klachtd");
    std::fs::copy(env!("CARGO_BIN_EXE_klachtd"), &bin).unwrap();
    let text = std::fs::read_to_string(&inst.config).unwrap();
    let without: Vec<&str> = text
        .lines()
        .filter(|l| *l != "[templates]" && !l.starts_with("dir = "))
        .collect();
    std::fs::write(&inst.config, without.join("\n") + "\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(&bin)
            .arg("--config")
            .arg(&inst.config)
            .args(args)
            .current_dir(inst.dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["check"]);
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("built-in"), "{said}");
    let customer = inst.customer(1);
    inst.send_complaint(
        &customer,
        "a1",
        "Monteur",
        "De monteur is niet gekomen. Onacceptabel.",
    );
    assert!(wait_until(Duration::from_secs(10), || !fetch_all(
        &inst.complaints,
        "INBOX"
    )
    .is_empty()));
    let out = run(&["once"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        wait_until(Duration::from_secs(10), || !fetch_all(&customer, "INBOX")
            .is_empty()),
        "no acknowledgement"
    );
}
