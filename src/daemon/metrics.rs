//! What the daemon counts and how healthy it is: the Prometheus metrics
//! (counters moved by the loops, gauges read from the store at each
//! scrape), the totals logged at stop, and the health verdict behind
//! `/health` and systemd's watchdog.

use crate::cases::lookup;
use crate::cases::policy::Policy;
use crate::deadline::Calendar;
use crate::intake::journal;
use crate::letters::{outbox, smtp};
use crate::procedure::processor;
use crate::store::{Store, StoreError, Tree};
use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// The daemon's metrics and health.
pub struct Metrics {
    registry: Registry,
    messages: Family<Vec<(String, String)>, Counter>,
    messages_all: Counter,
    cases_opened: Counter,
    dead: Counter,
    letters_sent: Counter,
    send_failures: Counter,
    given_up: Counter,
    imap_connected: Gauge,
    imap_reconnects: Counter,
    outbox_queued: Gauge,
    outbox_oldest: Gauge<f64, AtomicU64>,
    journal_pending: Gauge,
    dead_letters: Gauge,
    timers_due: Gauge,
    cases_overdue: Gauge,
    /// When IMAP was last reached (Unix seconds; 0: never).
    imap_seen: AtomicI64,
    ever_connected: AtomicBool,
    /// Why the store takes no writes, while it does not.
    store_fault: Mutex<Option<String>>,
    /// When the processing loop last went round (Unix seconds).
    heartbeat: AtomicI64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Metrics({self})")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut m = Metrics {
            registry: Registry::with_prefix("klachtd"),
            messages: Family::default(),
            messages_all: Counter::default(),
            cases_opened: Counter::default(),
            dead: Counter::default(),
            letters_sent: Counter::default(),
            send_failures: Counter::default(),
            given_up: Counter::default(),
            imap_connected: Gauge::default(),
            imap_reconnects: Counter::default(),
            outbox_queued: Gauge::default(),
            outbox_oldest: Gauge::default(),
            journal_pending: Gauge::default(),
            dead_letters: Gauge::default(),
            timers_due: Gauge::default(),
            cases_overdue: Gauge::default(),
            imap_seen: AtomicI64::new(0),
            ever_connected: AtomicBool::new(false),
            store_fault: Mutex::new(None),
            heartbeat: AtomicI64::new(Utc::now().timestamp()),
        };
        let r = &mut m.registry;
        r.register(
            "messages",
            "Messages processed, by the classifier's label (witness: our own copies; dead: dead letters)",
            m.messages.clone(),
        );
        r.register("cases_opened", "Cases opened", m.cases_opened.clone());
        r.register(
            "letters_sent",
            "Letters handed to the mail server",
            m.letters_sent.clone(),
        );
        r.register(
            "send_failures",
            "Send attempts that failed (retried later, or given up)",
            m.send_failures.clone(),
        );
        r.register(
            "imap_connected",
            "1 while the IMAP session is up",
            m.imap_connected.clone(),
        );
        r.register(
            "imap_reconnects",
            "IMAP connections made after the first",
            m.imap_reconnects.clone(),
        );
        r.register(
            "outbox_queued",
            "Letters waiting to be sent",
            m.outbox_queued.clone(),
        );
        r.register(
            "outbox_oldest_seconds",
            "Age of the oldest letter waiting to be sent",
            m.outbox_oldest.clone(),
        );
        r.register(
            "journal_pending",
            "Fetched messages not yet processed",
            m.journal_pending.clone(),
        );
        r.register(
            "dead_letters",
            "Messages that could not be processed (klachtd failed list)",
            m.dead_letters.clone(),
        );
        r.register(
            "timers_due",
            "Reminders and escalations due but not yet fired",
            m.timers_due.clone(),
        );
        r.register(
            "cases_overdue",
            "Open cases past their decision term",
            m.cases_overdue.clone(),
        );
        m
    }
}

impl Metrics {
    /// Counts a processing pass.
    pub fn processed(&self, r: &processor::Report) {
        for (label, n) in &r.by_label {
            self.messages
                .get_or_create(&vec![("label".to_string(), label.clone())])
                .inc_by(u64::from(*n));
            self.messages_all.inc_by(u64::from(*n));
        }
        self.cases_opened.inc_by(r.new_cases.into());
        self.dead.inc_by(r.dead.into());
    }

    /// Counts a sending pass.
    pub fn sent(&self, r: &smtp::Report) {
        self.letters_sent.inc_by(r.sent.into());
        self.send_failures.inc_by(u64::from(r.deferred + r.failed));
        self.given_up.inc_by(r.failed.into());
    }

    /// The IMAP session is up (again); IMAP was reached now.
    pub fn imap_up(&self, now: DateTime<Utc>) {
        if self.ever_connected.swap(true, Relaxed) {
            self.imap_reconnects.inc();
        }
        self.imap_connected.set(1);
        self.imap_reached(now);
    }

    /// IMAP answered (a sync, the end of an IDLE).
    pub fn imap_reached(&self, now: DateTime<Utc>) {
        self.imap_seen.store(now.timestamp(), Relaxed);
    }

    /// Whether the IMAP session is up.
    pub fn imap_is_up(&self) -> bool {
        self.imap_connected.get() == 1
    }

    /// The IMAP session is gone.
    pub fn imap_down(&self) {
        self.imap_connected.set(0);
    }

    /// The store took a processing pass (`None`) or refused it (the error).
    pub fn store_result(&self, fault: Option<&StoreError>) {
        *self.store_fault.lock().unwrap_or_else(|p| p.into_inner()) = fault.map(|e| e.to_string());
    }

    /// The processing loop went round.
    pub fn beat(&self, now: DateTime<Utc>) {
        self.heartbeat.store(now.timestamp(), Relaxed);
    }

    /// Seconds since the processing loop last went round.
    pub fn since_beat(&self, now: DateTime<Utc>) -> i64 {
        now.timestamp() - self.heartbeat.load(Relaxed)
    }

    /// Healthy, or why not: the store takes writes and the IMAP session is
    /// up or was within `imap_within_secs` (a reconnect is no alarm).
    pub fn health(&self, now: DateTime<Utc>, imap_within_secs: i64) -> Result<(), String> {
        if let Some(fault) = self
            .store_fault
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Err(format!("the store takes no writes: {fault}"));
        }
        if self.imap_is_up() {
            return Ok(());
        }
        let seen = self.imap_seen.load(Relaxed);
        if seen == 0 {
            return Err("the IMAP server has not been reached since the start".into());
        }
        let ago = now.timestamp() - seen;
        if ago > imap_within_secs {
            return Err(format!(
                "the IMAP server was last reached {ago} s ago (more than {imap_within_secs} s)"
            ));
        }
        Ok(())
    }

    /// Reads the gauges from the store and renders every metric in the
    /// Prometheus (OpenMetrics) text format.
    pub fn render(
        &self,
        store: &Store,
        (policy, calendar): (&Policy, &Calendar),
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let queued = outbox::queued(store)?;
        self.outbox_queued.set(queued.len() as i64);
        let oldest = queued.iter().map(|i| i.created).min();
        self.outbox_oldest.set(
            oldest
                .map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
                .unwrap_or(0.0),
        );
        self.journal_pending
            .set(journal::pending(store)?.len() as i64);
        self.dead_letters
            .set(store.keys(Tree::Dead, b"")?.len() as i64);
        let end = (now.timestamp_micros() + 1).to_be_bytes();
        self.timers_due
            .set(store.scan_below(Tree::Due, &end)?.len() as i64);
        let mut overdue = 0;
        lookup::each(store, |c| {
            overdue += usize::from(policy.overdue(&c, calendar, now));
            Ok(())
        })?;
        self.cases_overdue.set(overdue as i64);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        Ok(text)
    }
}

/// The totals since start, for the stop line.
impl std::fmt::Display for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} messages processed, {} cases opened, {} dead letters, {} letters sent, {} given up",
            self.messages_all.get(),
            self.cases_opened.get(),
            self.dead.get(),
            self.letters_sent.get(),
            self.given_up.get()
        )
    }
}
