//! The queue of server copies to delete: messages whose personal data was
//! erased in the store (privacy erasure, retention) still have copies in
//! the mailbox's folders on the mail server. Erasing queues each one's
//! Message-ID in the same batch as the erasure; whoever holds the IMAP
//! session ([`crate::intake::watcher`]) deletes the copies and then clears
//! them from the queue, so nothing is forgotten when the server is down or
//! the process dies in between.

use crate::store::{Batch, Store, StoreError, Tree};

/// Meta prefix of the server copies still to delete: `server-copy/<journal id>`
/// holds the Message-ID (the only trace kept, and only until it is deleted).
const SERVER_COPY: &str = "server-copy/";

/// A message whose copies on the mail server are still to be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCopy {
    /// The queue key (cleared once the copies are gone).
    pub key: Vec<u8>,
    /// The Message-ID to look for, without angle brackets.
    pub message_id: String,
}

/// Adds to `batch` that the server's copies of journal entry `id` (with
/// `message_id`) are to be deleted.
pub fn queue_server_copy(batch: &mut Batch, id: &str, message_id: &str) {
    batch.put(Tree::Meta, format!("{SERVER_COPY}{id}"), &message_id);
}

/// The server copies still to delete, in key order.
pub fn server_copies(store: &Store) -> Result<Vec<ServerCopy>, StoreError> {
    store
        .scan_raw(Tree::Meta, SERVER_COPY.as_bytes())?
        .into_iter()
        .map(|(key, value)| {
            let message_id = crate::store::decode(Tree::Meta, &key, &value)?;
            Ok(ServerCopy { key, message_id })
        })
        .collect()
}

/// Clears server copies from the queue once they are deleted (or cannot be
/// looked up).
pub fn server_copies_done(store: &Store, done: &[ServerCopy]) -> Result<(), StoreError> {
    if done.is_empty() {
        return Ok(());
    }
    let mut batch = Batch::new();
    for c in done {
        batch.remove(Tree::Meta, c.key.clone());
    }
    store.commit(&batch)
}
