//! Sending the outbox over SMTP: every item that is due, with its state
//! committed (and flushed) before and after each attempt; retries with
//! backoff; an item whose send was interrupted waits for its witness copy.

use crate::cases::event::EventKind;
use crate::clock::Clock;
use crate::config::{Smtp, TlsMode};
use crate::letters::outbox::{self, Item, Status};
use crate::letters::session::{SessionError, Sessions};
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Duration, Utc};
use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};

/// Errors of sending.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The transport could not be built (bad CA file, …).
    #[error("SMTP setup for {host}:{port}: {reason}")]
    Setup {
        /// Server.
        host: String,
        /// Port.
        port: u16,
        /// Why.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The SMTP side of the outbox.
#[derive(Clone)]
pub struct Transport {
    sessions: std::sync::Arc<Sessions>,
    timeout: std::time::Duration,
    max_attempts: u32,
    witness_wait: Duration,
    /// The relay as a whole: when it cannot be reached no letter is tried
    /// until `until`; the first success sends everything waiting.
    server: std::sync::Arc<std::sync::Mutex<ServerState>>,
}

/// Whether the relay can be reached, shared by every letter.
#[derive(Debug, Default)]
struct ServerState {
    failures: u32,
    until: Option<DateTime<Utc>>,
}

/// How an SMTP attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The relay refused this letter for good (5xx).
    Permanent,
    /// The relay refused this letter for now (4xx): this letter waits.
    Transient,
    /// The relay could not be reached or did not answer: every letter waits
    /// for the relay, and this attempt does not count against the letter.
    Server,
}

/// Letters sent at the same time (over the connection pool).
const PARALLEL_SENDS: usize = 4;

/// How one SMTP transaction ended.
type Outcome = Result<(), (Failure, String)>;

/// Letters recorded per commit.
const GROUP: usize = 32;

/// Splits the due letters, in order, into groups of at most [`GROUP`] with
/// at most one letter per case (a case's letters land in later groups).
fn groups(due: Vec<Item>) -> Vec<Vec<Item>> {
    let mut groups: Vec<Vec<Item>> = Vec::new();
    for it in due {
        let fits = |g: &Vec<Item>| {
            g.len() < GROUP && (it.case.is_none() || g.iter().all(|o| o.case != it.case))
        };
        match groups.iter_mut().find(|g| fits(g)) {
            Some(g) => g.push(it),
            None => groups.push(vec![it]),
        }
    }
    groups
}

/// Sending order: receipts to the people who wrote (0) before the rest (1).
fn priority(it: &Item) -> u8 {
    let receipt = |l: &str| matches!(l, "ontvangstbevestiging" | "bedankt" | "bericht-ontvangen");
    if receipt(&it.letter) || it.parts.iter().any(|p| receipt(p)) {
        0
    } else {
        1
    }
}

/// Wait before the relay is tried again after `failures` failures in a
/// row: 2 s doubling, at most 10 s, so letters go out within seconds of its
/// return.
fn server_backoff(failures: u32) -> Duration {
    Duration::seconds((2i64 << failures.saturating_sub(1).min(3)).min(10))
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What one pass over the outbox did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Sent in this pass.
    pub sent: u32,
    /// Failed for now, to be retried.
    pub deferred: u32,
    /// Given up.
    pub failed: u32,
    /// The ids of the items given up in this pass.
    pub failed_items: Vec<String>,
    /// Waiting for a witness copy.
    pub waiting: u32,
}

impl Transport {
    /// Builds the SMTP transport from `[smtp]`.
    pub fn new(
        smtp: &Smtp,
        max_attempts: u32,
        witness_wait: std::time::Duration,
    ) -> Result<Transport, SendError> {
        let setup = |reason: String| SendError::Setup {
            host: smtp.host.clone(),
            port: smtp.port,
            reason,
        };
        let tls_params = || -> Result<TlsParameters, SendError> {
            let mut b = TlsParameters::builder(smtp.host.clone());
            if let Some(ca) = &smtp.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| setup(format!("cannot read ca_file {}: {e}", ca.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| setup(format!("ca_file {}: {e}", ca.display())))?;
                b = b
                    .certificate_store(CertificateStore::None)
                    .add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| setup(e.to_string()))
        };
        let (starttls, wrapper) = match smtp.tls {
            TlsMode::None => (None, None),
            TlsMode::Starttls => (Some(tls_params()?), None),
            TlsMode::Tls => (
                None,
                Some(
                    crate::tls::client_config(smtp.ca_file.as_deref())
                        .map_err(|e| setup(e.to_string()))?,
                ),
            ),
        };
        Ok(Transport {
            sessions: std::sync::Arc::new(Sessions::new(smtp, starttls, wrapper, PARALLEL_SENDS)),
            timeout: smtp.timeout,
            max_attempts: max_attempts.max(1),
            witness_wait: Duration::from_std(witness_wait).unwrap_or(Duration::minutes(2)),
            server: Default::default(),
        })
    }

    /// Sends every item that is due. Each item's state is committed (and
    /// flushed) before and after its SMTP attempt.
    pub async fn send_due(&self, store: &Store, clock: &dyn Clock) -> Result<Report, SendError> {
        let mut report = Report::default();
        if self.relay_down(clock.now()) {
            return Ok(report);
        }
        let mut due = Vec::new();
        for key in store.keys(Tree::OutboxQueue, b"")? {
            let id = String::from_utf8_lossy(&key).into_owned();
            let Some(it) = outbox::item(store, &id)? else {
                let mut b = Batch::new();
                b.remove(Tree::OutboxQueue, key.clone());
                store.commit(&b)?;
                continue;
            };
            let t = clock.now();
            match &it.status {
                Status::Queued if it.next_attempt > t => continue,
                Status::Queued => {}
                Status::Sending { since } if *since + self.witness_wait > t => {
                    // Interrupted mid-send: the witness copy may still arrive.
                    report.waiting += 1;
                    continue;
                }
                Status::Sending { .. } => {}
                Status::Sent { .. } | Status::Failed { .. } => {
                    let mut b = Batch::new();
                    b.remove(Tree::OutboxQueue, key.clone());
                    store.commit(&b)?;
                    continue;
                }
            }
            due.push(it);
        }
        // Receipts first: a complainant waits for the acknowledgement, a
        // staff notice can follow a moment later.
        due.sort_by_key(|it| (priority(it), it.created));
        // Letters go in groups: each group's attempts are recorded in one
        // flushed commit before its first SMTP word, and its outcomes in one
        // after (the promise is the same as one by one: an attempt is on disk
        // before the send, its outcome after). A group holds at most one
        // letter per case, so their case events never clash.
        for group in groups(due) {
            if self.relay_down(clock.now()) {
                report.deferred += group.len() as u32;
                continue;
            }
            for (id, attempt) in self.send_group(store, group, clock).await? {
                match attempt {
                    Attempt::Sent => report.sent += 1,
                    Attempt::Deferred | Attempt::ServerDown => report.deferred += 1,
                    Attempt::Failed => {
                        report.failed += 1;
                        report.failed_items.push(id);
                    }
                    Attempt::Skipped => {}
                }
            }
        }
        Ok(report)
    }

    /// Opens an SMTP session (EHLO, STARTTLS and AUTH as configured) and
    /// closes it without sending: the server's words on failure.
    pub async fn test_connection(&self) -> Result<(), String> {
        self.sessions.test().await.map_err(|e| e.to_string())
    }

    /// Whether the relay is known unreachable until after `now`.
    fn relay_down(&self, now: DateTime<Utc>) -> bool {
        self.server
            .lock()
            .map(|s| s.until.is_some_and(|u| u > now))
            .unwrap_or(false)
    }

    /// Sends one group: its attempts recorded in one commit, the letters
    /// sent a few at a time over the session pool (once the relay is found
    /// unreachable the rest wait for it instead of each timing out), the
    /// outcomes recorded in one commit unless a witness copy was first.
    async fn send_group(
        &self,
        store: &Store,
        group: Vec<Item>,
        clock: &dyn Clock,
    ) -> Result<Vec<(String, Attempt)>, SendError> {
        use futures_util::StreamExt;
        // 1. Record the attempts durably (an item someone else touched is skipped).
        let started = store.transact(|store| {
            let mut b = Batch::new();
            let mut started = Vec::new();
            for it in &group {
                if outbox::item(store, &it.id)?.as_ref() != Some(it) {
                    continue;
                }
                let Some(raw) = store.get_raw(Tree::OutboxRaw, it.id.as_bytes())? else {
                    continue;
                };
                let mut sending = it.clone();
                sending.status = Status::Sending { since: clock.now() };
                sending.attempts += 1;
                expect_item(&mut b, it);
                b.put(Tree::Outbox, it.id.as_bytes(), &sending);
                started.push((sending, raw));
            }
            Ok::<_, SendError>((b, started))
        })?;
        // 2. Send, bounded in time.
        let results: Vec<(Item, Outcome)> =
            futures_util::stream::iter(started.into_iter().map(|(sending, raw)| async move {
                if self.relay_down(clock.now()) {
                    let down = Err((Failure::Server, "the relay is unreachable".to_string()));
                    return (sending, down);
                }
                let result = self.send(&sending, &raw).await;
                self.note_server(&result, clock.now(), store);
                (sending, result)
            }))
            .buffer_unordered(PARALLEL_SENDS)
            .collect()
            .await;
        // 3. Record the outcomes durably, unless the witness copy was first.
        let t = clock.now();
        let attempts = store.transact(|store| {
            let mut b = Batch::new();
            let mut attempts = Vec::new();
            for (sending, result) in &results {
                if outbox::item(store, &sending.id)?.as_ref() != Some(sending) {
                    attempts.push((sending.id.clone(), Attempt::Skipped));
                    continue;
                }
                let attempt = match result {
                    Ok(()) => {
                        outbox::mark_sent(store, &mut b, sending, t)?;
                        Attempt::Sent
                    }
                    Err((how, reason)) => self.failed(store, &mut b, sending, *how, reason, t)?,
                };
                attempts.push((sending.id.clone(), attempt));
            }
            Ok::<_, SendError>((b, attempts))
        })?;
        for ((sending, result), (_, attempt)) in results.iter().zip(&attempts) {
            match (attempt, result) {
                (Attempt::Sent, _) => {
                    tracing::info!(outbox = %sending.id, to = %sending.to, "sent")
                }
                (Attempt::Failed, Err((_, reason))) => {
                    tracing::error!(outbox = %sending.id, to = %sending.to, %reason, "giving up on mail")
                }
                (Attempt::Deferred, Err((_, reason))) => {
                    tracing::warn!(outbox = %sending.id, attempt = sending.attempts, %reason, "send failed, will retry")
                }
                _ => {}
            }
        }
        Ok(attempts)
    }

    /// One SMTP transaction for `it`: `Err((how, reason))` on failure.
    async fn send(&self, it: &Item, raw: &[u8]) -> Result<(), (Failure, String)> {
        let envelope = lettre::address::Envelope::new(
            it.envelope_from.parse().ok(),
            it.recipients
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect(),
        )
        .map_err(|e| (Failure::Permanent, format!("envelope: {e}")))?;
        // Opening a session and the transaction each have the timeout.
        let whole = self.timeout * 2;
        match tokio::time::timeout(whole, self.sessions.send(&envelope, raw)).await {
            Err(_) => Err((
                Failure::Server,
                format!("SMTP send timed out after {whole:?}"),
            )),
            Ok(Err(SessionError::Smtp(e))) if e.is_permanent() => {
                Err((Failure::Permanent, e.to_string()))
            }
            Ok(Err(SessionError::Smtp(e))) if e.is_transient() => {
                Err((Failure::Transient, e.to_string()))
            }
            Ok(Err(e)) => Err((Failure::Server, e.to_string())),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Keeps the relay's state: a server failure starts (or lengthens) the
    /// wait for every letter; any answer ends it.
    /// The two log lines name the letters waiting in `store`'s outbox.
    fn note_server(
        &self,
        result: &Result<(), (Failure, String)>,
        now: DateTime<Utc>,
        store: &Store,
    ) {
        let waiting = || {
            store
                .keys(Tree::OutboxQueue, b"")
                .map(|k| k.len())
                .unwrap_or(0)
        };
        let Ok(mut s) = self.server.lock() else {
            return;
        };
        match result {
            Err((Failure::Server, reason)) => {
                s.failures += 1;
                let wait = server_backoff(s.failures);
                if s.failures == 1 {
                    tracing::warn!(%reason, retry_in = %wait, letters_waiting = waiting(), "the SMTP relay cannot be reached; letters wait for it");
                }
                s.until = Some(now + wait);
            }
            _ => {
                if s.failures > 0 {
                    tracing::info!(
                        letters_waiting = waiting(),
                        "the SMTP relay answers again; sending what waited"
                    );
                }
                *s = ServerState::default();
            }
        }
    }

    /// Adds to `b` a failed attempt: queued again after a backoff, or given
    /// up (permanent, or out of attempts) with the event on its case.
    fn failed(
        &self,
        store: &Store,
        b: &mut Batch,
        sending: &Item,
        how: Failure,
        reason: &str,
        t: DateTime<Utc>,
    ) -> Result<Attempt, StoreError> {
        let mut next = sending.clone();
        next.last_error = Some(reason.to_string());
        expect_item(b, sending);
        if how == Failure::Server {
            // Not the letter's fault: it goes as soon as the relay answers.
            next.status = Status::Queued;
            next.attempts = next.attempts.saturating_sub(1);
            next.next_attempt = t;
            b.put(Tree::Outbox, sending.id.as_bytes(), &next);
            return Ok(Attempt::ServerDown);
        }
        let give_up = how == Failure::Permanent || next.attempts >= self.max_attempts;
        if give_up {
            next.status = Status::Failed {
                at: t,
                reason: reason.to_string(),
            };
            b.remove(Tree::OutboxQueue, sending.id.as_bytes());
            outbox::record_on_case(
                store,
                b,
                sending,
                t,
                EventKind::LetterFailed {
                    outbox_id: sending.id.clone(),
                    letter: sending.letter.clone(),
                    error: reason.to_string(),
                },
            )?;
        } else {
            next.status = Status::Queued;
            next.next_attempt = t + backoff(next.attempts);
        }
        b.put(Tree::Outbox, sending.id.as_bytes(), &next);
        Ok(if give_up {
            Attempt::Failed
        } else {
            Attempt::Deferred
        })
    }
}

/// Adds to `b` that the item must still be as `it`.
fn expect_item(b: &mut Batch, it: &Item) {
    b.expect_value(Tree::Outbox, it.id.as_bytes(), it);
}

enum Attempt {
    Sent,
    Deferred,
    Failed,
    Skipped,
    /// The relay could not be reached; the letter waits for it.
    ServerDown,
}

/// Retry delay after `attempts` failures: 30 s doubling, capped at 1 hour,
/// with up to 20 % jitter.
pub fn backoff(attempts: u32) -> Duration {
    let base = 30i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(7));
    let base = base.min(3600);
    let jitter = fastrand::i64(0..=base / 5);
    Duration::seconds(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= Duration::seconds(30));
        assert!(backoff(3) >= Duration::seconds(120));
        assert!(backoff(30) <= Duration::seconds(3600 + 720));
    }
}
