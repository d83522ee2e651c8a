//! The inbox journal: every fetched message's raw bytes, stored and flushed
//! before the message is touched on the server. Processing reads from here,
//! so a crash mid-processing re-runs from the journal, never from the server.
//! The journal id is derived from the Message-ID (or the content, without
//! one), so the same message fetched twice is recorded once.

use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to a journalled message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Stored, not yet processed.
    Pending,
    /// Processed; `outcome` says what it became.
    Processed {
        /// When.
        at: DateTime<Utc>,
        /// What it became (`new_case`, `added_to_case`, `recorded`, …).
        outcome: String,
        /// The case it belongs to, if any.
        case: Option<String>,
    },
    /// Could not be processed; kept with the reason until retried.
    Dead {
        /// When.
        at: DateTime<Utc>,
        /// Why, in words an admin can act on.
        reason: String,
    },
}

/// A journal entry (the raw bytes are stored beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Journal id (hex).
    pub id: String,
    /// The Message-ID, without angle brackets, when the message has one.
    pub message_id: Option<String>,
    /// When klachtd first stored it.
    pub received_at: DateTime<Utc>,
    /// Where it came from (mailbox, folder, UID).
    pub source: String,
    /// Size of the raw message in bytes.
    pub size: u64,
    /// How often it was fetched (more than once after a crash or redelivery).
    pub deliveries: u32,
    /// The classifier's verdict, with the rules that fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<crate::intake::classify::Verdict>,
    /// Processing status.
    #[serde(flatten)]
    pub status: Status,
}

/// The result of recording a fetched message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// First time: stored and queued for processing.
    New(String),
    /// Seen before (same Message-ID or same bytes): not queued again.
    Duplicate(String),
}

impl Recorded {
    /// The journal id.
    pub fn id(&self) -> &str {
        match self {
            Recorded::New(id) | Recorded::Duplicate(id) => id,
        }
    }
}

/// Extracts the Message-ID of a raw message, reading only its header.
pub fn message_id_of(raw: &[u8]) -> Option<String> {
    let header_end = find_header_end(raw);
    let headers = mail_parser::MessageParser::new().parse_headers(&raw[..header_end])?;
    headers
        .message_id()
        .map(|s| s.trim().trim_matches(['<', '>']).to_string())
        .filter(|s| !s.is_empty())
}

fn find_header_end(raw: &[u8]) -> usize {
    let limit = raw.len().min(256 * 1024);
    raw[..limit]
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| {
            raw[..limit]
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|p| p + 2)
        })
        .unwrap_or(limit)
}

/// The journal id of a message: from its Message-ID, else its bytes (with
/// line endings normalised).
pub fn journal_id(raw: &[u8], message_id: Option<&str>) -> String {
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    match message_id {
        Some(mid) => {
            h.update(b"mid:");
            h.update(mid.as_bytes());
        }
        None => {
            // Line endings are normalised: servers convert LF to CRLF on the way in.
            h.update(b"raw:");
            for chunk in raw.split(|b| *b == b'\r') {
                h.update(chunk);
            }
        }
    }
    crate::store::hex(&h.finish().as_ref()[..12])
}

/// A digest of a message's body (line endings normalised): the same
/// message fetched twice has the same body, whatever headers the way added.
fn body_digest(raw: &[u8]) -> Vec<u8> {
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    for chunk in raw[find_header_end(raw)..].split(|b| *b == b'\r') {
        h.update(chunk);
    }
    h.finish().as_ref().to_vec()
}

/// The journal id for `raw` given what the store holds (and what the same
/// batch records before it, `earlier`): the Message-ID's id, unless a
/// message with a different body already has it (a sender or tool that
/// reuses Message-IDs); then an id from the Message-ID and the body, so the
/// second message is kept as its own entry.
fn id_for(
    store: &Store,
    earlier: &std::collections::HashMap<String, &[u8]>,
    raw: &[u8],
    message_id: Option<&str>,
) -> Result<String, StoreError> {
    let id = journal_id(raw, message_id);
    let Some(mid) = message_id else {
        return Ok(id);
    };
    let stored = match earlier.get(&id) {
        Some(bytes) => Some(bytes.to_vec()),
        None => store.get_raw(Tree::Raw, id.as_bytes())?,
    };
    let Some(stored) = stored else {
        // New, or erased (privacy): the Message-ID decides.
        return Ok(id);
    };
    if body_digest(&stored) == body_digest(raw) {
        return Ok(id);
    }
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    h.update(b"mid+body:");
    h.update(mid.as_bytes());
    h.update(&body_digest(raw));
    Ok(crate::store::hex(&h.finish().as_ref()[..12]))
}

/// Stores a fetched message (idempotent) and flushes before returning.
pub fn record(
    store: &Store,
    raw: &[u8],
    source: &str,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    let mut r = record_all(store, &[(raw, source)], now)?;
    Ok(r.remove(0))
}

/// Stores the messages fetched together, `(raw, source)` in fetch order, in
/// one flushed commit (idempotent, as [`record`] one by one: a message seen
/// before, in the store or earlier in the same batch, counts a delivery and
/// is not queued again). Returns what became of each, in order.
pub fn record_all(
    store: &Store,
    messages: &[(&[u8], &str)],
    now: DateTime<Utc>,
) -> Result<Vec<Recorded>, StoreError> {
    let message_ids: Vec<Option<String>> =
        messages.iter().map(|(raw, _)| message_id_of(raw)).collect();
    store.transact(|store| {
        let mut batch = Batch::new();
        let mut results = Vec::with_capacity(messages.len());
        // What this batch records, by id: the entry and its bytes.
        let mut entries: std::collections::HashMap<String, Entry> = Default::default();
        let mut bytes: std::collections::HashMap<String, &[u8]> = Default::default();
        let mut order: Vec<String> = Vec::new();
        for ((raw, source), message_id) in messages.iter().zip(&message_ids) {
            let id = id_for(store, &bytes, raw, message_id.as_deref())?;
            if let Some(entry) = entries.get_mut(&id) {
                entry.deliveries += 1;
                results.push(Recorded::Duplicate(id));
                continue;
            }
            let existing = store.get_raw(Tree::Journal, id.as_bytes())?;
            batch.expect(Tree::Journal, id.as_bytes(), existing.clone());
            let entry = match &existing {
                Some(stored) => {
                    let mut entry: Entry =
                        crate::store::decode(Tree::Journal, id.as_bytes(), stored)?;
                    entry.deliveries += 1;
                    results.push(Recorded::Duplicate(id.clone()));
                    entry
                }
                None => {
                    batch.put_raw(Tree::Raw, id.as_bytes(), raw.to_vec());
                    let seq = store.next_sequence()?;
                    batch.put_raw(
                        Tree::Pending,
                        pending_key(now, seq, &id),
                        id.as_bytes().to_vec(),
                    );
                    bytes.insert(id.clone(), raw);
                    results.push(Recorded::New(id.clone()));
                    Entry {
                        id: id.clone(),
                        message_id: message_id.clone(),
                        received_at: now,
                        source: source.to_string(),
                        size: raw.len() as u64,
                        deliveries: 1,
                        verdict: None,
                        status: Status::Pending,
                    }
                }
            };
            entries.insert(id.clone(), entry);
            order.push(id);
        }
        for id in &order {
            batch.put(Tree::Journal, id.as_bytes(), &entries[id]);
        }
        Ok((batch, results))
    })
}

/// Key of the pending queue: arrival time, then the store's sequence (so
/// messages journalled in the same instant keep their fetch order), then id.
fn pending_key(at: DateTime<Utc>, seq: u64, id: &str) -> Vec<u8> {
    let mut k = at.timestamp_micros().to_be_bytes().to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

/// Pending journal ids in arrival order, with their queue keys.
pub fn pending(store: &Store) -> Result<Vec<(Vec<u8>, String)>, StoreError> {
    Ok(store
        .scan_raw(Tree::Pending, b"")?
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect())
}

/// A journal entry by id.
pub fn entry(store: &Store, id: &str) -> Result<Option<Entry>, StoreError> {
    store.get(Tree::Journal, id.as_bytes())
}

/// The raw bytes of a journalled message.
pub fn raw(store: &Store, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    store.get_raw(Tree::Raw, id.as_bytes())
}

/// Adds to `batch` the writes that settle a pending entry, on condition
/// that it is still pending: two processors deciding the same entry at
/// once (a drain beside a pass still running) cannot both commit.
pub fn settle(
    batch: &mut Batch,
    queue_key: &[u8],
    entry: &Entry,
    status: Status,
    verdict: Option<crate::intake::classify::Verdict>,
) {
    let mut e = entry.clone();
    if verdict.is_some() {
        e.verdict = verdict;
    }
    let dead = matches!(status, Status::Dead { .. });
    e.status = status;
    batch.put(Tree::Journal, e.id.as_bytes(), &e);
    batch.expect(
        Tree::Pending,
        queue_key.to_vec(),
        Some(e.id.as_bytes().to_vec()),
    );
    batch.remove(Tree::Pending, queue_key.to_vec());
    if dead {
        batch.put_raw(Tree::Dead, e.id.as_bytes(), Vec::new());
    } else {
        batch.remove(Tree::Dead, e.id.as_bytes());
    }
}

/// Dead letters: entries that could not be processed.
pub fn dead_letters(store: &Store) -> Result<Vec<Entry>, StoreError> {
    store.indexed(Tree::Dead, Tree::Journal)
}

/// Puts a dead letter back in the queue (after a fix, say).
pub fn retry_dead(store: &Store, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let Some(mut e) = entry(store, id)? else {
        return Ok(false);
    };
    if !matches!(e.status, Status::Dead { .. }) {
        return Ok(false);
    }
    e.status = Status::Pending;
    let mut b = Batch::new();
    b.put(Tree::Journal, id.as_bytes(), &e);
    b.remove(Tree::Dead, id.as_bytes());
    b.put_raw(
        Tree::Pending,
        pending_key(now, store.next_sequence()?, id),
        id.as_bytes().to_vec(),
    );
    store.commit(&b)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_message_id_is_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let raw = b"Message-ID: <a@b.nl>\r\nSubject: x\r\n\r\nbody\r\n";
        let now = Utc::now();
        let first = record(&store, raw, "INBOX/1", now).unwrap();
        let second = record(&store, raw, "INBOX/2", now).unwrap();
        assert!(matches!(first, Recorded::New(_)));
        assert_eq!(second, Recorded::Duplicate(first.id().to_string()));
        assert_eq!(pending(&store).unwrap().len(), 1);
        assert_eq!(entry(&store, first.id()).unwrap().unwrap().deliveries, 2);
    }

    #[test]
    fn a_reused_message_id_with_another_body_is_its_own_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let a = b"Message-ID: <same@b.nl>\r\nSubject: x\r\n\r\nfirst\r\n";
        let b = b"Message-ID: <same@b.nl>\r\nSubject: y\r\n\r\nsecond\r\n";
        // The first again, as another route delivers it (a header added, LF).
        let a_again = b"Received: from mx2\nMessage-ID: <same@b.nl>\nSubject: x\n\nfirst\n";
        let first = record(&store, a, "INBOX/1", now).unwrap();
        let second = record(&store, b, "INBOX/2", now).unwrap();
        let third = record(&store, a_again, "INBOX/3", now).unwrap();
        assert!(matches!(second, Recorded::New(_)), "{second:?}");
        assert_ne!(first.id(), second.id());
        assert_eq!(third, Recorded::Duplicate(first.id().to_string()));
        assert_eq!(
            record(&store, b, "INBOX/4", now).unwrap(),
            Recorded::Duplicate(second.id().to_string())
        );
        assert_eq!(pending(&store).unwrap().len(), 2);
    }

    #[test]
    fn without_message_id_the_bytes_decide() {
        let a = journal_id(b"x", None);
        assert_eq!(a, journal_id(b"x", None));
        assert_ne!(a, journal_id(b"y", None));
        assert_eq!(message_id_of(b"Subject: x\n\nbody"), None);
        assert_eq!(
            message_id_of(b"Message-Id:  <x@y>\n\nb").as_deref(),
            Some("x@y")
        );
    }

    #[test]
    fn a_fetched_chunk_is_one_commit_with_its_repeats_recorded_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let a = &b"Message-ID: <same@b.nl>\r\nSubject: x\r\n\r\nfirst\r\n"[..];
        let b = &b"Message-ID: <same@b.nl>\r\nSubject: y\r\n\r\nsecond\r\n"[..];
        let c = &b"Subject: no id\r\n\r\nthird\r\n"[..];
        let commits = |s: &Store| s.commits().unwrap().0;
        let before = commits(&store);
        let r = record_all(
            &store,
            &[
                (a, "INBOX/1"),
                (b, "INBOX/2"),
                (a, "INBOX/3"),
                (c, "INBOX/4"),
                (c, "INBOX/5"),
            ],
            now,
        )
        .unwrap();
        assert_eq!(commits(&store), before + 1, "one commit for the chunk");
        assert!(matches!(r[0], Recorded::New(_)));
        assert!(matches!(r[1], Recorded::New(_)));
        assert_ne!(r[0].id(), r[1].id(), "a reused Message-ID is its own entry");
        assert_eq!(r[2], Recorded::Duplicate(r[0].id().to_string()));
        assert_eq!(r[4], Recorded::Duplicate(r[3].id().to_string()));
        assert_eq!(pending(&store).unwrap().len(), 3);
        assert_eq!(entry(&store, r[0].id()).unwrap().unwrap().deliveries, 2);
        assert_eq!(entry(&store, r[0].id()).unwrap().unwrap().source, "INBOX/1");
        // The same chunk again (a restart before the move): nothing new.
        let again = record_all(&store, &[(a, "INBOX/1"), (b, "INBOX/2")], now).unwrap();
        assert!(again.iter().all(|x| matches!(x, Recorded::Duplicate(_))));
        assert_eq!(pending(&store).unwrap().len(), 3);
    }
}
