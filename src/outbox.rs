//! The durable outbox: every outgoing mail is composed once (with a
//! pre-assigned, signed Message-ID), stored in the same transaction as the
//! decision that caused it, and then sent with retries. The state of an item
//! is flushed before and after each SMTP attempt; an item interrupted mid-send
//! waits for its witness copy (sent to the complaints mailbox alongside) before
//! it is sent again, so a crash neither loses a mail nor sends it twice.

use crate::address;
use crate::case::{self, CaseId, EventKind};
use crate::config::{Smtp, TlsMode};
use crate::letter::Rendered;
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Duration, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// Where an outbox item is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    /// Waiting to be sent (at `next_attempt`).
    Queued,
    /// Handed to SMTP at `since`; outcome unknown until marked.
    Sending {
        /// When the attempt started.
        since: DateTime<Utc>,
    },
    /// Accepted by the mail server (or its witness copy arrived).
    Sent {
        /// When.
        at: DateTime<Utc>,
    },
    /// Given up; the reason says why.
    Failed {
        /// When.
        at: DateTime<Utc>,
        /// Why.
        reason: String,
    },
}

/// One outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Deterministic id: `<case>/<letter>/<n>`.
    pub id: String,
    /// The case it belongs to.
    pub case: Option<CaseId>,
    /// The letter (template name).
    pub letter: String,
    /// Our Message-ID (without brackets).
    pub message_id: String,
    /// Envelope sender.
    pub envelope_from: String,
    /// The visible recipient.
    pub to: String,
    /// The subject.
    #[serde(default)]
    pub subject: String,
    /// Envelope recipients (the recipient, plus the witness copy).
    pub recipients: Vec<String>,
    /// When it was composed.
    pub created: DateTime<Utc>,
    /// Attempts so far.
    pub attempts: u32,
    /// Earliest next attempt.
    pub next_attempt: DateTime<Utc>,
    /// Last error, for the timeline.
    pub last_error: Option<String>,
    /// Delivery state.
    #[serde(flatten)]
    pub status: Status,
}

/// What to compose.
#[derive(Debug, Clone)]
pub struct Letter<'a> {
    /// Case it belongs to.
    pub case: Option<CaseId>,
    /// What the mail is about when there is no case (e.g. `M-<journal id>`).
    pub subject_key: &'a str,
    /// Template name.
    pub letter: &'a str,
    /// Sequence among letters of this kind on the case (1 for the first).
    pub seq: u32,
    /// Recipient address.
    pub to: &'a str,
    /// Recipient display name.
    pub to_name: Option<&'a str>,
    /// The rendered subject and body.
    pub rendered: &'a Rendered,
    /// Message-ID this answers.
    pub in_reply_to: Option<&'a str>,
    /// Thread references (oldest first).
    pub references: &'a [String],
    /// `Reply-To`: where replies go (a signed plus-address for staff).
    pub reply_to: &'a str,
    /// `auto-replied` (answers a message), `auto-generated`, or `None` for
    /// mail a person wrote (a relayed staff reply).
    pub auto_submitted: Option<&'a str>,
}

/// Composing failed (an address was unusable).
#[derive(Debug, thiserror::Error)]
#[error("cannot compose {letter} to {to}: {reason}")]
pub struct ComposeError {
    /// The letter.
    pub letter: String,
    /// The recipient.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// Everything the outbox needs to know about the organisation.
#[derive(Debug, Clone)]
pub struct Sender {
    /// `From:` mailbox.
    pub from: String,
    /// The complaints address (envelope sender and witness recipient).
    pub complaints_address: String,
    /// Whether witness copies are sent.
    pub witness: bool,
}

impl Sender {
    /// Composes a letter into an outbox item and its raw bytes; the caller
    /// adds both to its batch with [`enqueue`].
    pub fn compose(
        &self,
        signer: &crate::token::Signer,
        l: &Letter<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Item, Vec<u8>), ComposeError> {
        let err = |reason: String| ComposeError {
            letter: l.letter.to_string(),
            to: l.to.to_string(),
            reason,
        };
        let id = match l.case {
            Some(c) => format!("{c}/{}/{}", l.letter, l.seq),
            None => format!("{}/{}/{}", l.subject_key, l.letter, l.seq),
        };
        let message_id = signer.message_id(&id, address::domain(&self.complaints_address));
        let from: Mailbox = self.from.parse().map_err(|e| err(format!("From: {e}")))?;
        let to_addr =
            l.to.parse()
                .map_err(|e| err(format!("recipient address: {e}")))?;
        let to = Mailbox::new(l.to_name.map(|n| address::header_safe(n, 80)), to_addr);
        let reply_to: Mailbox = l
            .reply_to
            .parse()
            .map_err(|e| err(format!("Reply-To: {e}")))?;
        let mut b = Message::builder()
            .from(from)
            .to(to)
            .reply_to(reply_to)
            .subject(address::header_safe(&l.rendered.subject, 250))
            .message_id(Some(format!("<{message_id}>")))
            .date(now.into())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Klachtd"),
                id.clone(),
            ));
        if let Some(auto) = l.auto_submitted {
            b = b
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("Auto-Submitted"),
                    auto.to_string(),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
                    "All".to_string(),
                ));
        }
        if let Some(irt) = l.in_reply_to {
            b = b.in_reply_to(format!("<{}>", address::header_safe(irt, 250)));
        }
        if !l.references.is_empty() {
            let refs: Vec<String> = l
                .references
                .iter()
                .rev()
                .take(20)
                .rev()
                .map(|r| format!("<{}>", address::header_safe(r, 250)))
                .collect();
            b = b.references(refs.join(" "));
        }
        let message = b
            .header(ContentType::TEXT_PLAIN)
            .body(l.rendered.body.clone())
            .map_err(|e| err(e.to_string()))?;
        let mut recipients = vec![l.to.to_ascii_lowercase()];
        if self.witness {
            recipients.push(self.complaints_address.to_ascii_lowercase());
        }
        let item = Item {
            id,
            case: l.case,
            letter: l.letter.to_string(),
            message_id,
            envelope_from: self.complaints_address.clone(),
            to: l.to.to_ascii_lowercase(),
            subject: address::header_safe(&l.rendered.subject, 250),
            recipients,
            created: now,
            attempts: 0,
            next_attempt: now,
            last_error: None,
            status: Status::Queued,
        };
        Ok((item, message.formatted()))
    }
}

/// Adds an item and its bytes to a batch (fails if the id is taken).
pub fn enqueue(batch: &mut Batch, item: &Item, raw: Vec<u8>) {
    batch.expect(Tree::Outbox, item.id.as_bytes(), None);
    batch.put(Tree::Outbox, item.id.as_bytes(), item);
    batch.put_raw(Tree::OutboxRaw, item.id.as_bytes(), raw);
    batch.put_raw(Tree::OutboxQueue, item.id.as_bytes(), Vec::new());
    batch.put_raw(
        Tree::OutboxByMessageId,
        item.message_id.as_bytes(),
        item.id.as_bytes().to_vec(),
    );
    batch.put_raw(
        Tree::Threads,
        item.message_id.as_bytes(),
        item.case
            .map(|c| c.to_string())
            .unwrap_or_default()
            .into_bytes(),
    );
}

/// An item by id.
pub fn item(store: &Store, id: &str) -> Result<Option<Item>, StoreError> {
    store.get(Tree::Outbox, id.as_bytes())
}

/// Every item of a case (or all, with `None`), oldest first.
pub fn items(store: &Store, case: Option<CaseId>) -> Result<Vec<Item>, StoreError> {
    let prefix = case.map(|c| format!("{c}/")).unwrap_or_default();
    let mut v: Vec<Item> = store.scan(Tree::Outbox, prefix.as_bytes())?;
    v.sort_by_key(|i| i.created);
    Ok(v)
}

/// The item an outgoing Message-ID belongs to.
pub fn item_by_message_id(store: &Store, message_id: &str) -> Result<Option<Item>, StoreError> {
    match store.get_raw(Tree::OutboxByMessageId, message_id.as_bytes())? {
        Some(id) => item(store, &String::from_utf8_lossy(&id)),
        None => Ok(None),
    }
}

/// Adds to `batch` the writes that mark an item sent, with the case event.
pub fn mark_sent(
    store: &Store,
    batch: &mut Batch,
    it: &Item,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut done = it.clone();
    done.status = Status::Sent { at };
    batch.expect(
        Tree::Outbox,
        it.id.as_bytes(),
        Some(serde_json::to_vec(it).unwrap_or_default()),
    );
    batch.put(Tree::Outbox, it.id.as_bytes(), &done);
    batch.remove(Tree::OutboxQueue, it.id.as_bytes());
    if let Some(cid) = it.case {
        if let Some(c) = case::load(store, cid)? {
            case::append(
                batch,
                &c,
                vec![(
                    at,
                    "klachtd".into(),
                    None,
                    EventKind::LetterSent {
                        outbox_id: it.id.clone(),
                        letter: it.letter.clone(),
                        to: it.to.clone(),
                    },
                )],
            );
        }
    }
    Ok(())
}

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
    inner: AsyncSmtpTransport<Tokio1Executor>,
    timeout: std::time::Duration,
    max_attempts: u32,
    witness_wait: Duration,
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
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
                .port(smtp.port);
        builder = match smtp.tls {
            TlsMode::None => builder.tls(Tls::None),
            TlsMode::Starttls => builder.tls(Tls::Required(tls_params()?)),
            TlsMode::Tls => builder.tls(Tls::Wrapper(tls_params()?)),
        };
        if let Some((user, pass)) = &smtp.credentials {
            builder =
                builder.credentials(Credentials::new(user.clone(), pass.expose().to_string()));
        }
        Ok(Transport {
            inner: builder.timeout(Some(smtp.timeout)).build(),
            timeout: smtp.timeout,
            max_attempts: max_attempts.max(1),
            witness_wait: Duration::from_std(witness_wait).unwrap_or(Duration::minutes(2)),
        })
    }

    /// Sends every item that is due. Each item's state is committed (and
    /// flushed) before and after its SMTP attempt.
    pub async fn send_due(
        &self,
        store: &Store,
        now: impl Fn() -> DateTime<Utc>,
    ) -> Result<Report, SendError> {
        let mut report = Report::default();
        for key in store.keys(Tree::OutboxQueue, b"")? {
            let id = String::from_utf8_lossy(&key).into_owned();
            let Some(it) = item(store, &id)? else {
                let mut b = Batch::new();
                b.remove(Tree::OutboxQueue, key.clone());
                store.commit(&b)?;
                continue;
            };
            let t = now();
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
            let id = it.id.clone();
            match self.attempt(store, it, &now).await {
                Ok(Attempt::Sent) => report.sent += 1,
                Ok(Attempt::Deferred) => report.deferred += 1,
                Ok(Attempt::Failed) => {
                    report.failed += 1;
                    report.failed_items.push(id);
                }
                Ok(Attempt::Skipped) => {}
                Err(SendError::Store(StoreError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    async fn attempt(
        &self,
        store: &Store,
        it: Item,
        now: &impl Fn() -> DateTime<Utc>,
    ) -> Result<Attempt, SendError> {
        let Some(raw) = store.get_raw(Tree::OutboxRaw, it.id.as_bytes())? else {
            return Ok(Attempt::Skipped);
        };
        // 1. Record the attempt durably.
        let mut sending = it.clone();
        sending.status = Status::Sending { since: now() };
        sending.attempts += 1;
        let mut b = Batch::new();
        b.expect(
            Tree::Outbox,
            it.id.as_bytes(),
            Some(serde_json::to_vec(&it).unwrap_or_default()),
        );
        b.put(Tree::Outbox, it.id.as_bytes(), &sending);
        store.commit(&b)?;

        // 2. Send, bounded in time (lettre's own timeout covers only connect).
        let envelope = lettre::address::Envelope::new(
            it.envelope_from.parse().ok(),
            it.recipients
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect(),
        );
        let result = match envelope {
            Err(e) => Err((true, format!("envelope: {e}"))),
            Ok(env) => {
                match tokio::time::timeout(self.timeout, self.inner.send_raw(&env, &raw)).await {
                    Err(_) => Err((
                        false,
                        format!("SMTP send timed out after {:?}", self.timeout),
                    )),
                    Ok(Err(e)) => Err((e.is_permanent(), e.to_string())),
                    Ok(Ok(_)) => Ok(()),
                }
            }
        };

        // 3. Record the outcome durably.
        let t = now();
        let mut b = Batch::new();
        match result {
            Ok(()) => {
                mark_sent(store, &mut b, &sending, t)?;
                store.commit(&b)?;
                tracing::info!(outbox = %it.id, to = %it.to, "sent");
                Ok(Attempt::Sent)
            }
            Err((permanent, reason)) => {
                let mut next = sending.clone();
                next.last_error = Some(reason.clone());
                b.expect(
                    Tree::Outbox,
                    it.id.as_bytes(),
                    Some(serde_json::to_vec(&sending).unwrap_or_default()),
                );
                let give_up = permanent || next.attempts >= self.max_attempts;
                if give_up {
                    next.status = Status::Failed {
                        at: t,
                        reason: reason.clone(),
                    };
                    b.remove(Tree::OutboxQueue, it.id.as_bytes());
                    if let Some(cid) = it.case {
                        if let Some(c) = case::load(store, cid)? {
                            case::append(
                                &mut b,
                                &c,
                                vec![(
                                    t,
                                    "klachtd".into(),
                                    None,
                                    EventKind::LetterFailed {
                                        outbox_id: it.id.clone(),
                                        letter: it.letter.clone(),
                                        error: reason.clone(),
                                    },
                                )],
                            );
                        }
                    }
                    tracing::error!(outbox = %it.id, to = %it.to, %reason, "giving up on mail");
                } else {
                    next.status = Status::Queued;
                    next.next_attempt = t + backoff(next.attempts);
                    tracing::warn!(outbox = %it.id, attempt = next.attempts, %reason, "send failed, will retry");
                }
                b.put(Tree::Outbox, it.id.as_bytes(), &next);
                store.commit(&b)?;
                Ok(if give_up {
                    Attempt::Failed
                } else {
                    Attempt::Deferred
                })
            }
        }
    }
}

enum Attempt {
    Sent,
    Deferred,
    Failed,
    Skipped,
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
    fn composed_mail_carries_the_contract_headers() {
        let signer = crate::token::Signer::from_bytes(b"k");
        let s = Sender {
            from: "Klachtenservice <klachten@org.nl>".into(),
            complaints_address: "klachten@org.nl".into(),
            witness: true,
        };
        let r = Rendered {
            subject: "Ontvangst [KL-2026-0001]\r\nBcc: evil@x.nl".into(),
            body: "Beste klant,\n".into(),
        };
        let (item, raw) = s
            .compose(
                &signer,
                &Letter {
                    case: Some("KL-2026-0001".parse().unwrap()),
                    subject_key: "",
                    letter: "ontvangstbevestiging",
                    seq: 1,
                    to: "jan@voorbeeld.nl",
                    to_name: Some("Jan\r\nBcc: evil@x.nl"),
                    rendered: &r,
                    in_reply_to: Some("abc@voorbeeld.nl"),
                    references: &["abc@voorbeeld.nl".to_string()],
                    reply_to: "klachten@org.nl",
                    auto_submitted: Some("auto-replied"),
                },
                Utc::now(),
            )
            .unwrap();
        let text = String::from_utf8(raw).unwrap();
        assert!(text.contains("Auto-Submitted: auto-replied\r\n"), "{text}");
        assert!(text.contains("In-Reply-To: <abc@voorbeeld.nl>"));
        assert!(text.contains(&format!("Message-ID: <{}>", item.message_id)));
        assert!(!text.lines().any(|l| l.starts_with("Bcc:")), "{text}");
        assert_eq!(item.recipients, vec!["jan@voorbeeld.nl", "klachten@org.nl"]);
        assert_eq!(item.id, "KL-2026-0001/ontvangstbevestiging/1");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= Duration::seconds(30));
        assert!(backoff(3) >= Duration::seconds(120));
        assert!(backoff(30) <= Duration::seconds(3600 + 720));
    }
}
