//! The IMAP watcher: fetches new messages from the complaints folder,
//! writes each to the journal (flushed) and only then moves it to the
//! processed folder. Waits with IDLE where offered (renewed before 29
//! minutes), polls otherwise. UIDVALIDITY and the last UID are kept in the
//! store. Also deletes the server's copies of messages whose personal data
//! was erased ([`crate::intake::server_copies`]).

use crate::clock::Clock;
use crate::config::{Mailbox, TlsMode};
use crate::intake::imap::{cmd_err, uid_set, Session, WatchError};
use crate::intake::journal;
use crate::intake::server_copies::{self, ServerCopy};
use crate::store::{Batch, Store, StoreError, Tree};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls;

/// Messages fetched per round trip.
const FETCH_CHUNK: usize = 25;

/// Mailbox sync state kept in the store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// UIDVALIDITY of the folder.
    pub uid_validity: u32,
    /// Highest UID journalled.
    pub last_uid: u32,
}

/// How a wait for new mail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The server announced a change (or the poll interval passed).
    Changed,
    /// IDLE was renewed without news.
    Renewed,
    /// Shutdown was requested.
    Shutdown,
}

/// Watches one mailbox.
#[derive(Clone)]
pub struct Watcher {
    cfg: Mailbox,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("host", &self.cfg.host)
            .field("user", &self.cfg.username)
            .finish()
    }
}

impl Watcher {
    /// Prepares a watcher (loads the CA file now, so errors surface early).
    pub fn new(cfg: &Mailbox) -> Result<Watcher, WatchError> {
        let tls = match cfg.tls {
            TlsMode::None => None,
            _ => Some(crate::tls::client_config(cfg.ca_file.as_deref())?),
        };
        Ok(Watcher {
            cfg: cfg.clone(),
            tls,
        })
    }

    /// Connects, logs in and makes sure the processed folder exists.
    pub async fn connect(&self) -> Result<Session, WatchError> {
        Session::connect(&self.cfg, self.tls.as_ref()).await
    }

    fn state_key(&self) -> Vec<u8> {
        format!(
            "imap/{}@{}:{}/{}",
            self.cfg.username, self.cfg.host, self.cfg.port, self.cfg.folder
        )
        .into_bytes()
    }

    /// Fetches what is new, journals it, then moves it. With `full`, every
    /// message in the folder is considered (after a reconnect), else only
    /// UIDs above the last one seen. Returns how many new messages were journalled.
    pub async fn sync(
        &self,
        session: &mut Session,
        store: &Store,
        clock: &dyn Clock,
        full: bool,
    ) -> Result<u32, WatchError> {
        let mailbox = session.select(&self.cfg.folder).await?;
        let key = self.state_key();
        let mut state: SyncState = store.get(Tree::Meta, &key)?.unwrap_or_default();
        let validity = mailbox.uid_validity.unwrap_or(0);
        let mut full = full;
        if state.uid_validity != validity {
            if state.uid_validity != 0 {
                tracing::warn!(
                    old = state.uid_validity,
                    new = validity,
                    "UIDVALIDITY changed: rescanning the folder (the journal removes duplicates)"
                );
            }
            state = SyncState {
                uid_validity: validity,
                last_uid: 0,
            };
            full = true;
        }
        if mailbox.exists == 0 {
            save_state(store, &key, &state)?;
            return Ok(0);
        }
        let query = if full {
            "ALL".to_string()
        } else {
            format!("UID {}:*", state.last_uid.saturating_add(1))
        };
        let mut uids: Vec<u32> = session
            .uid_search(&query)
            .await?
            .into_iter()
            .filter(|u| full || *u > state.last_uid)
            .collect();
        uids.sort_unstable();
        let mut new = 0;
        for chunk in uids.chunks(FETCH_CHUNK) {
            let fetched = session.fetch_bodies(&uid_set(chunk)).await?;
            let sources: Vec<String> = fetched
                .iter()
                .map(|(uid, _)| format!("{}/{}/{}", self.cfg.folder, validity, uid))
                .collect();
            let messages: Vec<(&[u8], &str)> = fetched
                .iter()
                .zip(&sources)
                .map(|((_, body), source)| (body.as_slice(), source.as_str()))
                .collect();
            // Journal first, the chunk in one flushed commit: only then may
            // its messages leave the folder.
            let recorded = journal::record_all(store, &messages, clock.now())?;
            let mut journalled = Vec::new();
            for ((uid, _), r) in fetched.iter().zip(recorded) {
                match r {
                    journal::Recorded::New(id) => {
                        new += 1;
                        tracing::debug!(uid, journal = %id, "journalled");
                    }
                    journal::Recorded::Duplicate(id) => {
                        tracing::info!(uid, journal = %id, "already journalled (redelivery or restart)");
                    }
                }
                journalled.push(*uid);
            }
            if journalled.is_empty() {
                continue;
            }
            journalled.sort_unstable();
            session
                .move_uids(&uid_set(&journalled), &self.cfg.processed_folder)
                .await?;
            state.last_uid = state.last_uid.max(*journalled.last().unwrap_or(&0));
            save_state(store, &key, &state)?;
        }
        Ok(new)
    }

    /// Connects, deletes the server copies queued by an erasure, and logs
    /// out (for `once` and `klachtd privacy erase`); connects only when
    /// there is something to delete.
    pub async fn delete_server_copies_once(&self, store: &Store) -> Result<u32, WatchError> {
        if server_copies::server_copies(store)?.is_empty() {
            return Ok(0);
        }
        let mut session = self.connect().await?;
        let n = self.delete_server_copies(&mut session, store).await?;
        session.logout().await;
        Ok(n)
    }

    /// Deletes the server's copies of erased messages from the processed
    /// and the watched folder, then clears them from the queue. Leaves the
    /// watched folder selected. Returns how many messages were deleted.
    pub async fn delete_server_copies(
        &self,
        session: &mut Session,
        store: &Store,
    ) -> Result<u32, WatchError> {
        let copies = server_copies::server_copies(store)?;
        if copies.is_empty() {
            return Ok(0);
        }
        let mut deleted = 0;
        for folder in [&self.cfg.processed_folder, &self.cfg.folder] {
            session.select(folder).await?;
            let mut uids = Vec::new();
            for c in &copies {
                uids.extend(session.exact_message_id(&c.message_id).await?);
            }
            uids.sort_unstable();
            uids.dedup();
            if !uids.is_empty() {
                session.delete_uids(&uid_set(&uids)).await?;
                deleted += uids.len() as u32;
            }
        }
        warn_unsearchable(&copies);
        server_copies::server_copies_done(store, &copies)?;
        tracing::info!(
            erased = copies.len(),
            deleted,
            "deleted the mail server's copies of erased messages"
        );
        Ok(deleted)
    }

    /// Waits for news: IDLE (renewed after `idle_renew`) where offered, else
    /// sleeps the poll interval; `nudge` ends the wait early (work for the
    /// session, such as server copies to delete). Returns the session for
    /// the next sync.
    pub async fn wait(
        &self,
        mut session: Session,
        shutdown: &mut tokio::sync::watch::Receiver<bool>,
        nudge: &tokio::sync::Notify,
    ) -> Result<(Session, Wake), WatchError> {
        if !(session.caps.idle && self.cfg.idle) {
            tokio::select! {
                _ = tokio::time::sleep(self.cfg.poll_interval) => {}
                _ = nudge.notified() => {}
                _ = shutdown.changed() => return Ok((session, Wake::Shutdown)),
            }
            session.noop().await?;
            return Ok((session, Wake::Changed));
        }
        let (mut handle, caps, selected) = session.idle();
        // The server may stay silent through the whole IDLE: reads must not time out meanwhile.
        handle.as_mut().read_timeout = self.cfg.idle_renew + self.cfg.timeout;
        handle.init().await.map_err(cmd_err("IDLE"))?;
        let wake = {
            let (fut, stop) = handle.wait_with_timeout(self.cfg.idle_renew);
            tokio::pin!(fut);
            tokio::select! {
                r = &mut fut => match r.map_err(cmd_err("IDLE"))? {
                    async_imap::extensions::idle::IdleResponse::NewData(_) => Wake::Changed,
                    async_imap::extensions::idle::IdleResponse::Timeout => Wake::Renewed,
                    async_imap::extensions::idle::IdleResponse::ManualInterrupt => Wake::Renewed,
                },
                // Keepalives reset async-imap's own timer: renew on our clock too.
                _ = tokio::time::sleep(self.cfg.idle_renew) => { drop(stop); Wake::Renewed }
                _ = nudge.notified() => { drop(stop); Wake::Renewed }
                _ = shutdown.changed() => Wake::Shutdown,
            }
        };
        handle.as_mut().read_timeout = self.cfg.timeout;
        let inner = handle.done().await.map_err(cmd_err("DONE"))?;
        Ok((Session::from_idle(inner, caps, selected), wake))
    }
}

fn save_state(store: &Store, key: &[u8], state: &SyncState) -> Result<(), StoreError> {
    let mut b = Batch::new();
    b.put(Tree::Meta, key.to_vec(), state);
    store.commit(&b)
}

/// Copies whose Message-ID an IMAP search cannot carry are left to a person.
fn warn_unsearchable(copies: &[ServerCopy]) {
    for c in copies {
        if crate::intake::imap::imap_quoted(&c.message_id).is_none() {
            tracing::warn!(
                journal = %String::from_utf8_lossy(&c.key),
                "a server copy cannot be searched for (its Message-ID is not plain ASCII); delete it in the processed folder by hand"
            );
        }
    }
}

/// Reconnect delay: 1 s doubling to 5 minutes, with ±25 % jitter.
pub fn reconnect_backoff(failures: u32) -> Duration {
    // Capped (30–50 s with jitter): a server that comes back is used within a minute.
    let base = (1u64 << failures.min(9)).min(40);
    let ms = base * 1000;
    let jitter = fastrand::u64(0..=ms / 2);
    Duration::from_millis(ms - ms / 4 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded() {
        assert!(reconnect_backoff(0) <= Duration::from_millis(1250));
        assert!(reconnect_backoff(50) <= Duration::from_secs(50));
    }
}
