//! A fixture for the decisions' unit tests: a temporary store, a config,
//! the release's templates and rules, a preset policy and a manual clock —
//! everything a [`Context`] holds, without a mail server. Messages are put
//! in the journal as the watcher would, and the outbox is read back.

use crate::cases::case::Case;
use crate::cases::lookup;
use crate::cases::policy::Policy;
use crate::cases::token::Signer;
use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::intake::classify::Classifier;
use crate::intake::journal;
use crate::letters::outbox::{self, Item, Sender};
use crate::letters::templates::Letters;
use crate::procedure::context::Context;
use crate::procedure::processor::{self, Report};
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::path::Path;

/// The complaints address of the fixture.
pub const COMPLAINTS: &str = "klachten@org.example";
/// The coordinator.
pub const COORDINATOR: &str = "coordinator@org.example";

/// Everything a decision needs, owned.
pub struct Fixture {
    _dir: tempfile::TempDir,
    /// The store.
    pub store: Store,
    /// The config.
    pub config: Config,
    letters: Letters,
    policy: Policy,
    signer: Signer,
    sender: Sender,
    classifier: Classifier,
    /// The clock.
    pub clock: ManualClock,
}

impl Fixture {
    /// The policy, to change for one test (a term a preset does not have).
    pub fn policy_mut(&mut self) -> &mut Policy {
        &mut self.policy
    }

    /// A fixture with policy `preset`, its clock at `now`; `staff_extra`
    /// goes into `[staff]`.
    pub fn new(preset: &str, now: &str, staff_extra: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "geheim\n").unwrap();
        std::fs::set_permissions(
            dir.path().join("pw"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let text = format!(
            r#"[organisation]
name = "Testorganisatie"
complaints_address = "{COMPLAINTS}"
[mailbox]
host = "127.0.0.1"
tls = "none"
username = "{COMPLAINTS}"
password_file = "pw"
[smtp]
host = "127.0.0.1"
tls = "none"
from = "Klachtenservice <{COMPLAINTS}>"
[store]
path = "store"
[templates]
dir = "{}"
[policy]
preset = "{preset}"
[staff]
coordinator = "{COORDINATOR}"
domains = ["org.example"]
{staff_extra}
"#,
            templates.display()
        );
        let config = Config::from_str_at(&text, &dir.path().join("k.toml"), dir.path()).unwrap();
        let store = Store::open(&config.store.path).unwrap();
        let signer = Signer::load_or_create(&store).unwrap();
        Fixture {
            letters: Letters::load(&templates).unwrap(),
            policy: Policy::preset(preset).unwrap(),
            sender: Sender {
                from: config.smtp.from.clone(),
                complaints_address: COMPLAINTS.into(),
                witness: true,
            },
            classifier: Classifier::builtin(),
            clock: ManualClock::new(at(now)),
            signer,
            store,
            config,
            _dir: dir,
        }
    }

    /// Runs `f` with the decision context, the acting coordinator resolved
    /// as the daemon does.
    pub fn with_ctx<T>(&self, f: impl FnOnce(&Context<'_>) -> T) -> T {
        let today = self.config.calendar.local_date(self.clock.now());
        let acting =
            crate::procedure::presence::acting_coordinator(&self.store, &self.config, today)
                .unwrap();
        let ctx = Context {
            acting_coordinator: acting.as_deref(),
            ..self.ctx()
        };
        f(&ctx)
    }

    /// The decision context.
    pub fn ctx(&self) -> Context<'_> {
        Context {
            config: &self.config,
            letters: &self.letters,
            policy: &self.policy,
            calendar: &self.config.calendar,
            signer: &self.signer,
            sender: &self.sender,
            classifier: &self.classifier,
            clock: &self.clock,
            moment: None,
            acting_coordinator: None,
        }
    }

    /// Journals a raw message as the watcher does, then processes what is
    /// pending.
    pub fn receive(&self, raw: &str) -> Report {
        let raw = raw.replace("\r\n", "\n").replace('\n', "\r\n");
        journal::record(&self.store, raw.as_bytes(), "INBOX/1/1", self.clock.now()).unwrap();
        self.with_ctx(|ctx| processor::process_pending(&self.store, ctx).unwrap())
    }

    /// Every queued letter, oldest first.
    pub fn letters(&self) -> Vec<Item> {
        outbox::items(&self.store, None).unwrap()
    }

    /// The letters of one template.
    pub fn letters_named(&self, letter: &str) -> Vec<Item> {
        self.letters()
            .into_iter()
            .filter(|i| i.letter == letter)
            .collect()
    }

    /// The raw text of a queued letter.
    pub fn raw(&self, item: &Item) -> String {
        let raw = self
            .store
            .get_raw(crate::store::Tree::OutboxRaw, item.id.as_bytes())
            .unwrap()
            .unwrap();
        String::from_utf8_lossy(&raw).into_owned()
    }

    /// The subject and decoded text of a queued letter.
    pub fn text(&self, item: &Item) -> String {
        let m = crate::intake::inbound::Inbound::parse(self.raw(item).as_bytes()).unwrap();
        format!("{}\n\n{}", m.subject, m.text)
    }

    /// Every case.
    pub fn cases(&self) -> Vec<Case> {
        lookup::all(&self.store).unwrap()
    }

    /// The signed reply address of a case.
    pub fn reply_address(&self, c: &Case) -> String {
        self.ctx().reply_address(c.id)
    }
}

/// An RFC 3339 time.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A plain mail.
pub fn mail(from: &str, to: &str, id: &str, subject: &str, extra: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nMessage-ID: <{id}>\n{extra}Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}
