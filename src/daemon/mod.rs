//! The daemon: wires config, store, watcher, processor and outbox together.
//! `once` runs one full cycle; `serve` runs until shutdown is asked (then
//! drains and returns) and reloads templates, policy and rules on SIGHUP,
//! keeping the old set when the new one does not pass the checks.

pub mod metrics;
pub mod observe;
pub mod rules;

use crate::cases::token::Signer;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::deadline::Calendar;
use crate::intake::imap::{Session, WatchError};
use crate::intake::server_copies;
use crate::intake::watcher::{Wake, Watcher};
use crate::letters::outbox::Sender;
use crate::letters::smtp::{self, SendError, Transport};
use crate::problem::Problems;
use crate::procedure::context::Context;
use crate::procedure::{bounce, periodic, post, processor, timers};
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Utc};
use rules::Rules;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Errors of starting or running the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The store could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Templates, policy or rules failed their checks.
    #[error("configuration problems:\n{0}")]
    Checks(Problems),
    /// The IMAP side failed.
    #[error(transparent)]
    Watch(#[from] WatchError),
    /// The SMTP side failed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// `[metrics] listen` could not be served.
    #[error("metrics.listen = \"{addr}\": {source}; choose a free address and port")]
    Listen {
        /// The configured address.
        addr: String,
        /// Why it could not be bound.
        source: std::io::Error,
    },
}

/// One daemon instance.
pub struct Daemon {
    /// The configuration.
    pub config: Config,
    /// The store.
    pub store: Store,
    /// The clock.
    pub clock: SharedClock,
    rules: RwLock<Arc<Rules>>,
    calendar: Calendar,
    signer: Signer,
    sender: Sender,
    transport: Transport,
    watcher: Watcher,
    wake_worker: Notify,
    /// Wakes the sender when letters were queued.
    wake_sender: Notify,
    /// What this process did since it started (metrics, health, the stop line).
    pub metrics: metrics::Metrics,
    /// Ends the watcher's wait when it has work (server copies to delete).
    wake_watcher: Notify,
    /// Held by a processing pass.
    processing: std::sync::Mutex<()>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("store", &self.store)
            .finish()
    }
}

/// What one cycle did.
#[derive(Debug, Default, Clone)]
pub struct CycleReport {
    /// Messages newly journalled from the server.
    pub fetched: u32,
    /// Processing totals.
    pub processed: processor::Report,
    /// Reminder and escalation letters queued.
    pub timers: u32,
    /// Sending totals.
    pub sent: smtp::Report,
}

impl Daemon {
    /// Opens the store and prepares every part; fails with all problems found.
    pub fn open(config: Config, clock: SharedClock) -> Result<Daemon, DaemonError> {
        let rules = Rules::load(&config).map_err(DaemonError::Checks)?;
        let store = Store::open(&config.store.path)?;
        store.verify()?;
        let signer = Signer::load_or_create(&store)?;
        let calendar = config.calendar.clone();
        let sender = Sender {
            from: config.smtp.from.clone(),
            complaints_address: config.organisation.complaints_address.clone(),
            witness: config.outbox.witness,
        };
        let transport = Transport::new(
            &config.smtp,
            config.outbox.max_attempts,
            Duration::from_secs(config.outbox.witness_wait_secs),
        )?;
        let watcher = Watcher::new(&config.mailbox)?;
        Ok(Daemon {
            config,
            store,
            clock,
            rules: RwLock::new(Arc::new(rules)),
            calendar,
            signer,
            sender,
            transport,
            watcher,
            wake_worker: Notify::new(),
            wake_sender: Notify::new(),
            metrics: metrics::Metrics::default(),
            wake_watcher: Notify::new(),
            processing: std::sync::Mutex::new(()),
        })
    }

    fn rules(&self) -> Arc<Rules> {
        self.rules.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads templates, rules and policy; on failure the running set stays.
    pub fn reload(&self) -> Result<(), Problems> {
        let fresh = Rules::load(&self.config)?;
        *self.rules.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
        Ok(())
    }

    /// Wakes processing, sending and the watcher: something outside the
    /// loops (a command through the control socket) changed the store.
    pub fn nudge(&self) {
        self.wake_worker.notify_one();
        self.wake_sender.notify_one();
        self.wake_watcher.notify_one();
    }

    /// Processes every pending journal entry; one pass at a time (the
    /// drain waits for a pass still running).
    pub fn process(&self) -> Result<processor::Report, StoreError> {
        let _one_pass = self.processing.lock().unwrap_or_else(|p| p.into_inner());
        let r = self.with_context(|ctx| processor::process_pending(&self.store, ctx))?;
        self.metrics.processed(&r);
        Ok(r)
    }

    /// Runs `f` with the decision context of the current rules.
    fn with_context<T>(&self, f: impl FnOnce(&Context<'_>) -> T) -> T {
        let rules = self.rules();
        let today = self.calendar.local_date(self.clock.now());
        let acting = crate::procedure::presence::acting_coordinator(
            &self.store,
            &self.config,
            today,
        )
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read who is away; the configured coordinator acts");
            None
        });
        f(&Context {
            config: &self.config,
            letters: &rules.letters,
            policy: &rules.policy,
            calendar: &self.calendar,
            signer: &self.signer,
            sender: &self.sender,
            classifier: &rules.classifier,
            clock: self.clock.as_ref(),
            moment: None,
            acting_coordinator: acting.as_deref(),
        })
    }

    /// Fires the reminders and escalations that are due, queues the
    /// scheduled agenda and reports, and (hourly) keeps the store tidy.
    pub fn fire_timers(&self) -> Result<u32, StoreError> {
        self.with_context(|ctx| {
            let n = timers::fire_due(&self.store, ctx)?;
            let m = periodic::fire_due(&self.store, ctx)?;
            self.hourly(ctx, ctx.now())?;
            Ok(n + m)
        })
    }

    /// At most once an hour (of the clock): forgets the loop guard's old
    /// counts and applies the retention period.
    fn hourly(&self, ctx: &Context<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
        const KEY: &[u8] = b"retention/last-run";
        let last: Option<DateTime<Utc>> = self.store.get(Tree::Meta, KEY)?;
        if last.is_some_and(|l| now >= l && now - l < chrono::Duration::hours(1)) {
            return Ok(());
        }
        let forgotten = post::forget_old_counts(&self.store, now)?;
        tracing::debug!(forgotten, "old counts of automatic replies forgotten");
        if ctx.policy.retention.is_some() {
            crate::privacy::apply_retention(&self.store, ctx.policy, ctx.calendar, now)?;
            // Erased messages have copies on the server: the watcher deletes them now.
            if !server_copies::server_copies(&self.store)?.is_empty() {
                self.wake_watcher.notify_one();
            }
        }
        let mut b = Batch::new();
        b.put(Tree::Meta, KEY, &now);
        self.store.commit(&b)
    }

    /// Sends what is due in the outbox.
    pub async fn send(&self) -> Result<smtp::Report, SendError> {
        let report = self
            .transport
            .send_due(&self.store, self.clock.as_ref())
            .await?;
        self.metrics.sent(&report);
        // Letters refused for good: the coordinator is told.
        for id in &report.failed_items {
            self.with_context(|ctx| bounce::undeliverable(&self.store, ctx, id))?;
        }
        Ok(report)
    }

    /// Fetches once from the server (connect, sync everything, log out).
    pub async fn fetch(&self) -> Result<u32, WatchError> {
        let mut session = self.watcher.connect().await?;
        let n = self
            .watcher
            .sync(&mut session, &self.store, self.clock.as_ref(), true)
            .await?;
        session.logout().await;
        Ok(n)
    }

    /// Deletes the server copies of erased messages. A failure is logged and
    /// retried on the next round: it must never hold up the intake.
    async fn delete_server_copies(&self, session: &mut Session) {
        retry_later(
            self.watcher
                .delete_server_copies(session, &self.store)
                .await,
        );
    }

    /// One full cycle: fetch, process, send.
    pub async fn once(&self) -> Result<CycleReport, DaemonError> {
        let fetched = self.fetch().await?;
        let processed = self.process()?;
        let timers = self.fire_timers()?;
        let sent = self.send().await?;
        // Retention may just have erased messages: their server copies go now.
        retry_later(self.watcher.delete_server_copies_once(&self.store).await);
        Ok(CycleReport {
            fetched,
            processed,
            timers,
            sent,
        })
    }

    /// Serves until `shutdown` turns true; then drains (processes what is
    /// journalled, sends for at most `outbox.drain_secs`) and returns.
    /// Intake, processing and sending run side by side: a slow mail server
    /// holds up none of the others.
    pub async fn serve(
        self: Arc<Self>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), DaemonError> {
        if let Some(listen) = &self.config.metrics.listen {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|source| DaemonError::Listen {
                    addr: listen.clone(),
                    source,
                })?;
            tracing::info!(%listen, "serving /metrics and /health");
            tokio::spawn(observe::serve_http(
                self.clone(),
                listener,
                shutdown.clone(),
            ));
        }
        tokio::spawn(observe::notify_loop(self.clone(), shutdown.clone()));
        let mut watcher = tokio::spawn(self.clone().watch_loop(shutdown.clone()));
        let sender = tokio::spawn(self.clone().send_loop(shutdown.clone()));
        // A damaged store ends the daemon at once, loudly (systemd restarts
        // or shows it); otherwise both loops end at shutdown.
        let worker = tokio::select! {
            w = self.clone().work_loop(shutdown.clone()) => w,
            watched = &mut watcher => {
                watched.unwrap_or(Ok(()))?;
                Ok(())
            }
        };
        worker?;
        if !watcher.is_finished() {
            watcher.await.unwrap_or(Ok(()))?;
        }
        let _ = sender.await;
        // Drain: what is journalled is decided; sending gets a bounded time,
        // what is left goes out after the restart (exactly once: the outbox).
        self.process()?;
        let bound = Duration::from_secs(self.config.outbox.drain_secs);
        match tokio::time::timeout(bound, self.send()).await {
            Ok(Ok(_)) => tracing::info!(since_start = %self.metrics, "drained, stopping"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "sending failed while stopping; the letters go out after the restart")
            }
            Err(_) => tracing::warn!(
                after = ?bound,
                "the mail server is slow; stopping with letters still in the outbox (they go out after the restart)"
            ),
        }
        Ok(())
    }

    /// Reopens the store after a write failure (the engine takes no writes
    /// again after a failed write to disk; a fresh open does once there is
    /// space). A failure to reopen is the next round's problem.
    async fn reopen_store(self: &Arc<Self>) {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || me.store.reopen()).await {
            Ok(Ok(())) => tracing::debug!("store reopened"),
            Ok(Err(e)) => tracing::debug!(error = %e, "store not reopened yet"),
            Err(e) => tracing::debug!(error = %e, "store reopen task failed"),
        }
    }

    /// Sends whatever is due, woken by processing or each second, until shutdown.
    async fn send_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                r = self.send() => if let Err(e) = r {
                    tracing::error!(error = %e, "sending failed; will retry");
                },
                _ = shutdown.changed() => return,
            }
            tokio::select! {
                _ = self.wake_sender.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Watches the mailbox until shutdown; reconnects after a failure
    /// (IMAP or store, each named as itself); a damaged store ends it.
    async fn watch_loop(
        self: Arc<Self>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), DaemonError> {
        let mut failures = 0u32;
        let mut stalled = Stalled::default();
        let mut ever_connected = false;
        while !*shutdown.borrow() {
            let mut connected = false;
            let session = self.watch_session(&mut shutdown, &mut connected).await;
            self.metrics.imap_down();
            if connected {
                // A session that got going starts the count afresh.
                ever_connected = true;
                failures = 0;
            }
            match session {
                Ok(()) => return Ok(()),
                Err(WatchError::Store(e)) if is_damage(&e) => return Err(e.into()),
                // A wrong password or certificate at start-up will not mend
                // itself: exit non-zero so the service manager shows it.
                Err(e @ (WatchError::Login { .. } | WatchError::Tls(_))) if !ever_connected => {
                    return Err(e.into())
                }
                Err(WatchError::Store(e)) if stalled.too_long(&self.config.store) => {
                    return Err(stalled_exit(&self.config.store, e).into())
                }
                Err(e) => {
                    failures += 1;
                    let delay = crate::intake::watcher::reconnect_backoff(failures);
                    let delay = match &e {
                        WatchError::Store(store) => {
                            let delay = delay.min(Duration::from_secs(10));
                            if stalled.0.is_none() {
                                tracing::error!(error = %store, retry_in = ?delay, "the store cannot take new mail; it stays on the server");
                            }
                            stalled.start();
                            self.reopen_store().await;
                            delay
                        }
                        e => {
                            stalled = Stalled::default();
                            // One line when the server goes away (and one
                            // when it is back), not one per attempt.
                            if failures == 1 {
                                tracing::warn!(error = %e, retry_in = ?delay, "IMAP connection lost; new mail waits on the server");
                            } else {
                                tracing::debug!(error = %e, retry_in = ?delay, "IMAP still unreachable");
                            }
                            delay
                        }
                    };
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.changed() => return Ok(()),
                    }
                }
            }
        }
        Ok(())
    }

    async fn watch_session(
        &self,
        shutdown: &mut watch::Receiver<bool>,
        connected: &mut bool,
    ) -> Result<(), WatchError> {
        let mut session = self.watcher.connect().await?;
        *connected = true;
        self.metrics.imap_up(self.clock.now());
        tracing::info!(
            idle = session.caps.idle,
            r#move = session.caps.r#move,
            uidplus = session.caps.uidplus,
            "IMAP connected"
        );
        let mut full = true;
        loop {
            self.delete_server_copies(&mut session).await;
            let mut n = self
                .watcher
                .sync(&mut session, &self.store, self.clock.as_ref(), full)
                .await?;
            full = false;
            self.metrics.imap_reached(self.clock.now());
            // Mail that arrived during a batch is not announced by the next
            // IDLE: look again until a look finds nothing.
            while n > 0 {
                self.wake_worker.notify_one();
                n = self
                    .watcher
                    .sync(&mut session, &self.store, self.clock.as_ref(), false)
                    .await?;
            }
            let (s, wake) = self
                .watcher
                .wait(session, shutdown, &self.wake_watcher)
                .await?;
            session = s;
            self.metrics.imap_reached(self.clock.now());
            if wake == Wake::Shutdown {
                session.logout().await;
                return Ok(());
            }
        }
    }

    async fn work_loop(
        self: Arc<Self>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), DaemonError> {
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut failures = 0u32;
        let mut stalled = Stalled::default();
        loop {
            let me = self.clone();
            match tokio::task::spawn_blocking(move || me.process().and_then(|_| me.fire_timers()))
                .await
            {
                Ok(Ok(_)) => {
                    stalled = Stalled::default();
                    self.metrics.store_result(None);
                    if failures > 0 {
                        tracing::info!("the store takes writes again; processing resumed");
                    }
                    failures = 0;
                }
                Ok(Err(e)) if is_damage(&e) => return Err(e.into()),
                Ok(Err(e)) if stalled.too_long(&self.config.store) => {
                    return Err(stalled_exit(&self.config.store, e).into())
                }
                Ok(Err(e)) => {
                    stalled.start();
                    self.metrics.store_result(Some(&e));
                    self.reopen_store().await;
                    // One ERROR when it starts, then quiet retries with backoff.
                    if failures == 0 {
                        let what = if matches!(e, crate::store::StoreError::Contended { .. }) {
                            "a write keeps conflicting (a bug: please report it with the log)"
                        } else {
                            "the store cannot be written (disk full?)"
                        };
                        tracing::error!(error = %e, "{what}; processing waits and retries by itself");
                    }
                    failures += 1;
                }
                Err(e) => tracing::error!(error = %e, "processing task failed; will retry"),
            }
            self.metrics.beat(self.clock.now());
            self.wake_sender.notify_one();
            let pause = if failures == 0 {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(1u64 << failures.min(5))
            };
            tokio::select! {
                _ = self.wake_worker.notified(), if failures == 0 => {}
                _ = tokio::time::sleep(pause) => {}
                _ = async { match hup.as_mut() { Some(h) => { h.recv().await; } None => std::future::pending().await } } => {
                    match self.reload() {
                        Ok(()) => tracing::info!("reloaded templates and policy"),
                        Err(problems) => {
                            for p in problems.iter() {
                                tracing::error!(problem = %p, "reload refused; keeping the running templates and policy");
                            }
                        }
                    }
                }
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }
}

impl observe::Observed for Daemon {
    /// The metrics in the Prometheus text format, gauges read from the store now.
    fn metrics_text(&self) -> Result<String, String> {
        let rules = self.rules();
        self.metrics
            .render(
                &self.store,
                (&rules.policy, &self.calendar),
                self.clock.now(),
            )
            .map_err(|e| e.to_string())
    }

    /// Healthy, or why not (for `/health`).
    fn health(&self) -> Result<(), String> {
        self.metrics.health(
            self.clock.now(),
            self.config.metrics.imap_within_secs as i64,
        )
    }

    /// One line on what the daemon is doing (systemd's STATUS).
    fn status(&self) -> String {
        let waiting = self
            .store
            .keys(Tree::OutboxQueue, b"")
            .map(|k| k.len())
            .unwrap_or(0);
        let imap = if self.metrics.imap_is_up() {
            "watching the mailbox"
        } else {
            "waiting for the IMAP server"
        };
        match self.health() {
            Ok(()) => format!("{imap}; {waiting} letter(s) waiting; {}", self.metrics),
            Err(why) => format!("{imap}; {waiting} letter(s) waiting; unhealthy: {why}"),
        }
    }

    fn since_beat(&self) -> i64 {
        self.metrics.since_beat(self.clock.now())
    }
}

/// Since when the store has refused writes.
#[derive(Debug, Default)]
struct Stalled(Option<std::time::Instant>);

impl Stalled {
    fn start(&mut self) {
        self.0.get_or_insert_with(std::time::Instant::now);
    }

    /// Whether the store has refused writes longer than the config allows.
    fn too_long(&self, store: &crate::config::Store) -> bool {
        self.0
            .is_some_and(|t| t.elapsed() >= Duration::from_secs(store.stalled_exit_secs))
    }
}

/// The error a daemon exits with when the store stayed unwritable.
fn stalled_exit(store: &crate::config::Store, e: StoreError) -> StoreError {
    StoreError::Stalled {
        path: store.path.clone(),
        secs: store.stalled_exit_secs,
        cause: e.to_string(),
    }
}

/// Whether a store error is damage (the daemon must stop) rather than a
/// passing fault (a full disk: retry).
fn is_damage(e: &StoreError) -> bool {
    matches!(e, StoreError::Damaged { .. })
}

/// Logs a failed deletion of server copies; they stay queued for the next round.
fn retry_later(deleted: Result<u32, WatchError>) {
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "deleting the mail server's copies of erased messages failed; will retry");
    }
}
