//! Test harness: the real mail stack (scripts/mailstack), an SMTP client to
//! deliver test mail through Postfix, an IMAP client to read mailboxes, a
//! klachtd config per test with fresh mailboxes, and klachtd itself: as the
//! shipped binary (black-box), or in this process on a manual clock for
//! tests that travel in time (the model is zero2prod's `spawn_app`).
#![allow(dead_code)]

use futures_util::TryStreamExt;
use klachtd::daemon::{CycleReport, Daemon};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Facts about the running mail stack.
#[derive(Debug, Clone)]
pub struct Stack {
    pub imap_port: u16,
    pub imaps_port: u16,
    pub smtp_port: u16,
    pub ca: PathBuf,
    pub other_ca: PathBuf,
    pub password: String,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The mail stack: the one `scripts/test` started (KLACHTD_MAILSTACK_ENV),
/// else one this test binary starts under target/.
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let env_file = match std::env::var("KLACHTD_MAILSTACK_ENV") {
            Ok(p) => PathBuf::from(p),
            Err(_) => {
                let dir = root().join("target/mailstack-dev");
                // The servers it starts keep their inherited descriptors:
                // its output goes to a file, not a pipe that never closes.
                std::fs::create_dir_all(root().join("target")).unwrap();
                let log = root().join("target/mailstack-start.log");
                let status = Command::new(root().join("scripts/mailstack"))
                    .arg("start")
                    .arg(&dir)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::fs::File::create(&log).unwrap())
                    .status()
                    .expect("run scripts/mailstack");
                assert!(
                    status.success(),
                    "scripts/mailstack start failed: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
                dir.join("env")
            }
        };
        let text = std::fs::read_to_string(&env_file)
            .unwrap_or_else(|e| panic!("read {}: {e}", env_file.display()));
        let vars: HashMap<String, String> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let port = |k: &str| vars[k].parse::<u16>().unwrap();
        Stack {
            imap_port: port("MAILSTACK_IMAP_PORT"),
            imaps_port: port("MAILSTACK_IMAPS_PORT"),
            smtp_port: port("MAILSTACK_SMTP_PORT"),
            ca: PathBuf::from(&vars["MAILSTACK_CA"]),
            other_ca: PathBuf::from(&vars["MAILSTACK_OTHER_CA"]),
            password: vars["MAILSTACK_PASSWORD"].clone(),
        }
    })
}

/// A unique tag for fresh mailboxes.
pub fn unique(name: &str) -> String {
    format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000
    )
}

/// One klachtd instance under test: its config, store and mailboxes.
pub struct Instance {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub complaints: String,
    pub tag: String,
}

/// `[staff]` lines with an address for every role a preset needs
/// (`kwaliteitsmanager`, `bemiddelaar`, …) that the lines do not set.
fn with_roles(extra: &str, tag: &str) -> String {
    let missing: Vec<String> = [
        "kwaliteitsmanager",
        "bemiddelaar",
        "regiomanagers",
        "medewerkers",
    ]
    .iter()
    .filter(|r| !extra.contains(&format!("{r} =")))
    .map(|r| format!("{r} = \"{r}-{tag}@org.example.test\""))
    .collect();
    if missing.is_empty() {
        return extra.to_string();
    }
    match extra.find("roles = {") {
        Some(i) => {
            let at = i + "roles = {".len();
            format!("{} {},{}", &extra[..at], missing.join(", "), &extra[at..])
        }
        None => format!("{extra}\nroles = {{ {} }}", missing.join(", ")),
    }
}

/// Options for a test config.
pub struct Options {
    pub tls: &'static str,
    pub ca: Option<PathBuf>,
    /// Extra lines inside `[staff]`.
    pub staff_extra: String,
    /// Extra sections at the end.
    pub extra: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tls: "none",
            ca: None,
            staff_extra: String::new(),
            extra: String::new(),
        }
    }
}

impl Instance {
    pub fn new(name: &str) -> Instance {
        Self::with(name, Options::default())
    }

    pub fn with(name: &str, opts: Options) -> Instance {
        let s = stack();
        let tag = unique(name);
        let dir = tempfile::tempdir().unwrap();
        let complaints = format!("klachten-{tag}@example.test");
        std::fs::write(
            dir.path().join("imap-password"),
            format!("{}\n", s.password),
        )
        .unwrap();
        std::fs::set_permissions(
            dir.path().join("imap-password"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let port = if opts.tls == "tls" {
            s.imaps_port
        } else {
            s.imap_port
        };
        let ca = opts
            .ca
            .as_ref()
            .map(|p| format!("ca_file = \"{}\"\n", p.display()))
            .unwrap_or_default();
        let config = format!(
            r#"[organisation]
name = "Testorganisatie"
complaints_address = "{complaints}"
language = "nl"

[mailbox]
host = "{host}"
port = {port}
tls = "{tls}"
{ca}username = "{complaints}"
password_file = "imap-password"
idle_renew_secs = 60
timeout_secs = 20

[smtp]
host = "127.0.0.1"
port = {smtp}
tls = "none"
from = "Klachtenservice <{complaints}>"
timeout_secs = 20

[store]
path = "store"

[templates]
dir = "{templates}"

[staff]
coordinator = "coordinator-{tag}@org.example.test"
domains = ["org.example.test"]
{staff_extra}

[outbox]
witness_wait_secs = 3
{extra}
"#,
            host = if opts.tls == "none" {
                "127.0.0.1"
            } else {
                "localhost"
            },
            tls = opts.tls,
            smtp = s.smtp_port,
            templates = root().join("templates").display(),
            extra = opts.extra,
            staff_extra = with_roles(&opts.staff_extra, &tag),
        );
        let path = dir.path().join("klachtd.toml");
        std::fs::write(&path, config).unwrap();
        Instance {
            dir,
            config: path,
            complaints,
            tag,
        }
    }

    /// Mails a complaint from `customer` to the complaints address through
    /// Postfix, with Message-ID `<{id}-{tag}@voorbeeld.test>`; returns that id.
    pub fn send_complaint(&self, customer: &str, id: &str, subject: &str, body: &str) -> String {
        let mid = format!("{id}-{}@voorbeeld.test", self.tag);
        smtp_send(
            customer,
            &[&self.complaints],
            &complaint(customer, &self.complaints, &mid, subject, body),
        );
        mid
    }

    /// A customer address unique to this instance.
    pub fn customer(&self, n: u32) -> String {
        format!("klant{n}-{}@voorbeeld.test", self.tag)
    }

    pub fn store_path(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// Runs `klachtd --config … ARGS` to completion.
    pub fn klachtd(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_klachtd"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("KLACHTD_LOG", "info")
            .output()
            .expect("run klachtd")
    }

    /// One full cycle of klachtd in this process, its clock standing at
    /// `at` (a manual clock: the binary is not involved). The store is
    /// closed again afterwards, so the CLI can read it.
    pub fn once_at(&self, at: chrono::DateTime<chrono::Utc>) -> CycleReport {
        let config = klachtd::config::Config::load(&self.config).expect("the test config loads");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let clock = klachtd::clock::ManualClock::new(at);
        let daemon = Daemon::open(config, std::sync::Arc::new(clock)).expect("klachtd starts");
        rt.block_on(daemon.once())
            .unwrap_or_else(|e| panic!("one cycle at {at}: {e}"))
    }

    /// Runs `klachtd` with extra environment (e.g. `KLACHTD_FAKE_NOW`, the
    /// binary's clock for black-box tests).
    pub fn klachtd_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_klachtd"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("run klachtd")
    }

    /// `klachtd once`, asserting success.
    pub fn once(&self) -> String {
        let out = self.klachtd(&["once"]);
        assert!(
            out.status.success(),
            "klachtd once failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the complaints inbox holds at least `n` messages, then
    /// runs one cycle.
    pub fn once_after(&self, n: usize) -> String {
        assert!(
            wait_until(Duration::from_secs(10), || fetch_all(
                &self.complaints,
                "INBOX"
            )
            .len()
                >= n),
            "fewer than {n} messages reached {}",
            self.complaints
        );
        self.once()
    }

    /// Starts `klachtd run` in the background.
    pub fn spawn_run(&self) -> Child {
        self.spawn_run_env(&[])
    }

    /// Starts `klachtd run` in the background with extra environment.
    pub fn spawn_run_env(&self, env: &[(&str, &str)]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_klachtd"))
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .env("KLACHTD_LOG", "info")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(self.dir.path().join("run.log")).unwrap())
            .spawn()
            .expect("spawn klachtd run")
    }

    /// The cases, via `cases list --json`.
    pub fn cases(&self) -> Vec<serde_json::Value> {
        let out = self.klachtd(&["cases", "list", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Delivers a raw message through Postfix (plain SMTP on loopback).
pub fn smtp_send(from: &str, to: &[&str], raw: &str) {
    let s = stack();
    let stream = TcpStream::connect(("127.0.0.1", s.smtp_port)).expect("connect to postfix");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut w = stream;
    let mut expect = |code: &str| loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(
            line.starts_with(code),
            "SMTP: expected {code}, got {line:?}"
        );
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    };
    expect("220");
    write!(w, "EHLO test.example.test\r\n").unwrap();
    expect("250");
    write!(w, "MAIL FROM:<{from}>\r\n").unwrap();
    expect("250");
    for r in to {
        write!(w, "RCPT TO:<{r}>\r\n").unwrap();
        expect("250");
    }
    write!(w, "DATA\r\n").unwrap();
    expect("354");
    let body = raw.replace("\r\n", "\n").replace('\n', "\r\n");
    for line in body.split("\r\n") {
        if line.starts_with('.') {
            w.write_all(b".").unwrap();
        }
        w.write_all(line.as_bytes()).unwrap();
        w.write_all(b"\r\n").unwrap();
    }
    write!(w, ".\r\n").unwrap();
    expect("250");
    write!(w, "QUIT\r\n").unwrap();
}

/// A plain complaint message.
pub fn complaint(from: &str, to: &str, message_id: &str, subject: &str, body: &str) -> String {
    format!(
        "From: Klant <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nDate: Mon, 20 Apr 2026 10:00:00 +0200\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn login(user: &str) -> async_imap::Session<tokio::net::TcpStream> {
    let s = stack();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", s.imap_port))
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap();
    client
        .login(user, &s.password)
        .await
        .map_err(|(e, _)| e)
        .unwrap()
}

/// All messages in a folder of a mailbox (raw), or empty when it does not exist.
pub fn fetch_all(user: &str, folder: &str) -> Vec<Vec<u8>> {
    rt().block_on(async {
        let mut session = login(user).await;
        let Ok(mb) = session.select(folder).await else {
            return Vec::new();
        };
        if mb.exists == 0 {
            return Vec::new();
        }
        let fetches: Vec<_> = session
            .fetch("1:*", "BODY.PEEK[]")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let out: Vec<Vec<u8>> = fetches
            .iter()
            .filter_map(|f| f.body().map(|b| b.to_vec()))
            .collect();
        let _ = session.logout().await;
        for raw in &out {
            check_staff_mail(raw);
        }
        out
    })
}

/// Appends raw messages to a folder over IMAP.
pub fn append_all(user: &str, folder: &str, messages: &[Vec<u8>]) {
    rt().block_on(async {
        let mut session = login(user).await;
        for m in messages {
            session.append(folder, None, None, m).await.unwrap();
        }
        let _ = session.logout().await;
    })
}

/// The newest mail in `addr`'s INBOX whose subject contains `what`.
pub fn newest(addr: &str, what: &str) -> Vec<u8> {
    let mut found = None;
    wait_until(Duration::from_secs(10), || {
        found = fetch_all(addr, "INBOX")
            .into_iter()
            .rev()
            .find(|m| subject_and_text(m).0.contains(what));
        found.is_some()
    });
    found.unwrap_or_else(|| panic!("no mail '{what}' for {addr}"))
}

/// Waits until `f` holds, up to `timeout`.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

/// Header value of a raw message (first occurrence, unfolded).
pub fn header(raw: &[u8], name: &str) -> Option<String> {
    let m = mail_parser::MessageParser::default().parse(raw)?;
    m.header_raw(name)
        .map(|v| v.trim().replace(['\r', '\n'], ""))
}

/// How many of `list` contain `what`.
/// How many of `list` contain `what`, case ignored (subjects say what a
/// letter is first, capitalised).
pub fn count_containing(list: &[String], what: &str) -> usize {
    let what = what.to_lowercase();
    list.iter()
        .filter(|s| s.to_lowercase().contains(&what))
        .count()
}

/// Decoded subject and text body of a raw message.
pub fn subject_and_text(raw: &[u8]) -> (String, String) {
    let m = mail_parser::MessageParser::default().parse(raw).unwrap();
    (
        m.subject().unwrap_or("").to_string(),
        m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
    )
}

/// The shared corpus folder, when present next to the project.
pub fn corpus() -> Option<PathBuf> {
    let p = root().join("../shared/corpus");
    p.is_dir().then_some(p)
}

pub fn kill(child: &mut Child, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status();
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}

/// English words and raw state names that must not stand in a staff mail of
/// a Dutch organisation (whole words; the English aliases in the command
/// help are in parentheses after `en:` and left out).
const NOT_DUTCH: &[&str] = &[
    "the",
    "not",
    "allowed",
    "unknown",
    "command",
    "needs",
    "state",
    "from",
    "after",
    "receipt",
    "staff",
    "handler",
    "involved",
    "token",
    "reason",
    "processed",
    "done",
];

/// Every mail klachtd writes to staff (the test organisation is Dutch and
/// its staff live at `org.example.test`) is checked for English words and
/// raw state names in klachtd's own words, wherever a test reads it.
fn check_staff_mail(raw: &[u8]) {
    let Some(to) = header(raw, "To") else { return };
    if header(raw, "X-Klachtd").is_none() || !to.contains("@org.example.test") {
        return;
    }
    let (_, text) = subject_and_text(raw);
    assert_staff_language(&own_words(&text));
}

/// klachtd's own words in a staff mail: without the quoted message (between
/// a `--- Title ---` line and a closing `---` or the end) and without the
/// fields that repeat what somebody else wrote (subjects, commands).
fn own_words(text: &str) -> String {
    let mut out = Vec::new();
    let mut quoting = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("--- ") {
            quoting = true;
            continue;
        }
        if t == "---" {
            quoting = false;
            continue;
        }
        let repeats = ["Onderwerp:", "Klacht:", "#", ">"]
            .iter()
            .any(|p| t.starts_with(p));
        if !quoting && !repeats {
            out.push(line);
        }
    }
    out.join("\n")
}

/// Fails when a staff-facing mail of a Dutch organisation holds English
/// words or raw state names.
pub fn assert_staff_language(text: &str) {
    let prose: String = text
        .lines()
        .map(|l| l.split("(en:").next().unwrap_or(l))
        // Addresses are names, not prose.
        .map(|l| {
            l.split_whitespace()
                .filter(|w| !w.contains('@'))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
    for raw in ["in_behandeling", "niet_in_behandeling", "wacht_op_klager"] {
        assert!(
            !prose.contains(raw),
            "raw state '{raw}' in a staff mail:\n{text}"
        );
    }
    let words: std::collections::BTreeSet<&str> = prose
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .collect();
    for w in NOT_DUTCH {
        assert!(
            !words.contains(w),
            "English '{w}' in a Dutch staff mail:\n{text}"
        );
    }
}

/// Sets the `port` of a section of the instance's config.
pub fn set_port(inst: &Instance, section: &str, port: u16) {
    let text = std::fs::read_to_string(&inst.config).unwrap();
    let (head, tail) = text.split_once(section).unwrap();
    let mut lines: Vec<String> = tail.lines().map(str::to_string).collect();
    for l in lines.iter_mut() {
        if l.starts_with("port = ") {
            *l = format!("port = {port}");
            break;
        }
    }
    std::fs::write(
        &inst.config,
        format!("{head}{section}{}\n", lines.join("\n")),
    )
    .unwrap();
}

/// The log of `spawn_run`.
pub fn run_log(inst: &Instance) -> String {
    std::fs::read_to_string(inst.dir.path().join("run.log")).unwrap_or_default()
}

/// A TCP proxy to `upstream` on loopback that, while `down`, cuts every
/// open connection and refuses new ones (a mail server going away, as
/// klachtd sees it).
pub fn flaky_proxy(upstream: u16, down: std::sync::Arc<std::sync::atomic::AtomicBool>) -> u16 {
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>> = Default::default();
    let (cut, d) = (open.clone(), down.clone());
    std::thread::spawn(move || loop {
        if d.load(Ordering::SeqCst) {
            for s in cut.lock().unwrap().drain(..) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    });
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            if down.load(Ordering::SeqCst) {
                continue;
            }
            let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            open.lock().unwrap().push(client.try_clone().unwrap());
            open.lock().unwrap().push(server.try_clone().unwrap());
            for (mut from, mut to) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    port
}

/// The report without the moment it was made.
pub fn report_json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object_mut().unwrap().remove("made");
    v.as_object_mut().unwrap().remove("made_local");
    v
}

/// Points the instance's `[mailbox]` at a [`flaky_proxy`] to the real
/// Dovecot; setting the returned flag makes the IMAP server go away.
pub fn imap_through_proxy(inst: &Instance) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    set_port(
        inst,
        "[mailbox]",
        flaky_proxy(stack().imap_port, down.clone()),
    );
    down
}
