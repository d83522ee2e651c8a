//! The durable outbox: every outgoing mail is composed once (with a
//! pre-assigned, signed Message-ID), stored in the same transaction as the
//! decision that caused it, and then sent with retries
//! ([`crate::letters::smtp`]). The state of an item is flushed before and
//! after each SMTP attempt; an item interrupted mid-send waits for its
//! witness copy (sent to the complaints mailbox alongside) before it is
//! sent again, so a crash neither loses a mail nor sends it twice.

use crate::address;
use crate::cases::change::Change;
use crate::cases::event::{EventKind, KLACHTD};
use crate::cases::id::CaseId;
use crate::cases::lookup;
use crate::letters::request::LetterRequest;
use crate::letters::templates::Rendered;
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
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
    /// For a letter combined of several, the templates it holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    /// Delivery state.
    #[serde(flatten)]
    pub status: Status,
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
    /// Composes a rendered letter into an outbox item and its raw bytes;
    /// the caller adds both to its batch with [`enqueue`].
    pub fn compose(
        &self,
        signer: &crate::cases::token::Signer,
        l: &LetterRequest,
        rendered: &Rendered,
        now: DateTime<Utc>,
    ) -> Result<(Item, Vec<u8>), ComposeError> {
        let err = |reason: String| ComposeError {
            letter: l.letter.clone(),
            to: l.to.clone(),
            reason,
        };
        let id = l.outbox_id();
        let message_id = signer.message_id(&id, address::domain(&self.complaints_address));
        let from: Mailbox = self.from.parse().map_err(|e| err(format!("From: {e}")))?;
        let to_addr =
            l.to.parse()
                .map_err(|e| err(format!("recipient address: {e}")))?;
        let to = Mailbox::new(
            l.to_name.as_deref().map(|n| address::header_safe(n, 80)),
            to_addr,
        );
        let reply_to: Mailbox = l
            .reply_to
            .parse()
            .map_err(|e| err(format!("Reply-To: {e}")))?;
        let mut b = Message::builder()
            .from(from)
            .to(to)
            .reply_to(reply_to)
            .subject(address::header_safe(&rendered.subject, 250))
            .message_id(Some(format!("<{message_id}>")))
            .date(now.into())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Klachtd"),
                id.clone(),
            ));
        if let Some(auto) = l.auto_submitted.header() {
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
        if let Some(irt) = &l.in_reply_to {
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
            .body(rendered.body.clone())
            .map_err(|e| err(e.to_string()))?;
        let mut recipients = vec![l.to.to_ascii_lowercase()];
        if self.witness {
            recipients.push(self.complaints_address.to_ascii_lowercase());
        }
        let item = Item {
            id,
            case: l.key.case,
            letter: l.letter.clone(),
            message_id,
            envelope_from: self.complaints_address.clone(),
            to: l.to.to_ascii_lowercase(),
            subject: address::header_safe(&rendered.subject, 250),
            recipients,
            created: now,
            attempts: 0,
            next_attempt: now,
            last_error: None,
            parts: l.parts.clone(),
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
}

impl Item {
    /// Whether the letter is (or holds) template `letter`.
    pub fn is(&self, letter: &str) -> bool {
        self.letter == letter || self.parts.iter().any(|p| p == letter)
    }
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

/// Calls `f` with every item, in key order, one at a time.
pub fn each(
    store: &Store,
    f: impl FnMut(Item) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    store.each(Tree::Outbox, b"", f)
}

/// Every item still to be sent (queued or being sent).
pub fn queued(store: &Store) -> Result<Vec<Item>, StoreError> {
    store.indexed(Tree::OutboxQueue, Tree::Outbox)
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
    batch.expect_value(Tree::Outbox, it.id.as_bytes(), it);
    batch.put(Tree::Outbox, it.id.as_bytes(), &done);
    batch.remove(Tree::OutboxQueue, it.id.as_bytes());
    record_on_case(
        store,
        batch,
        it,
        at,
        EventKind::LetterSent {
            outbox_id: it.id.clone(),
            letter: it.letter.clone(),
            to: it.to.clone(),
        },
    )
}

/// Adds to `batch` an event about an item on its case (when it has one).
pub(crate) fn record_on_case(
    store: &Store,
    batch: &mut Batch,
    it: &Item,
    at: DateTime<Utc>,
    kind: EventKind,
) -> Result<(), StoreError> {
    if let Some(c) = it
        .case
        .map(|id| lookup::load(store, id))
        .transpose()?
        .flatten()
    {
        let mut change = Change::on(&c);
        change.record(at, KLACHTD, kind);
        change.write(batch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_mail_carries_the_contract_headers() {
        let signer = crate::cases::token::Signer::from_bytes(b"k");
        let s = Sender {
            from: "Klachtenservice <klachten@org.nl>".into(),
            complaints_address: "klachten@org.nl".into(),
            witness: true,
        };
        let r = Rendered {
            subject: "Ontvangst [KL-2026-0001]\r\nBcc: evil@x.nl".into(),
            body: "Beste klant,\n".into(),
        };
        let org = crate::config::Organisation {
            name: "Org".into(),
            complaints_address: "klachten@org.nl".into(),
            timezone: "Europe/Amsterdam".into(),
            language: "nl".into(),
        };
        let request = LetterRequest::to_staff(
            &org,
            "jan@voorbeeld.nl",
            "ontvangstbevestiging",
            serde_json::Value::Null,
        )
        .on_case("KL-2026-0001".parse().unwrap(), 1)
        .in_thread(
            Some("abc@voorbeeld.nl".into()),
            vec!["abc@voorbeeld.nl".to_string()],
        )
        .auto_submitted(crate::letters::request::AutoSubmitted::Replied);
        let request = LetterRequest {
            to_name: Some("Jan\r\nBcc: evil@x.nl".into()),
            ..request
        };
        let (item, raw) = s.compose(&signer, &request, &r, Utc::now()).unwrap();
        let text = String::from_utf8(raw).unwrap();
        assert!(text.contains("Auto-Submitted: auto-replied\r\n"), "{text}");
        assert!(text.contains("In-Reply-To: <abc@voorbeeld.nl>"));
        assert!(text.contains(&format!("Message-ID: <{}>", item.message_id)));
        assert!(!text.lines().any(|l| l.starts_with("Bcc:")), "{text}");
        assert_eq!(item.recipients, vec!["jan@voorbeeld.nl", "klachten@org.nl"]);
        assert_eq!(item.id, "KL-2026-0001/ontvangstbevestiging/1");
    }
}
