//! The IMAP watcher: connects (plain, STARTTLS or TLS) with read/write
//! timeouts around the stream, fetches new messages, writes each to the
//! journal (flushed) and only then moves it to the processed folder. Waits
//! with IDLE where offered (renewed before 29 minutes), polls otherwise.
//! UIDVALIDITY and the last UID are kept in the store. Also deletes the
//! server's copies of messages whose personal data was erased.

use crate::clock::SharedClock;
use crate::config::{Mailbox, TlsMode};
use crate::journal;
use crate::store::{Batch, Store, StoreError, Tree};
use async_imap::Session;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// Messages fetched per round trip.
const FETCH_CHUNK: usize = 25;

/// Errors of the watcher.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// TCP connect failed or timed out.
    #[error("cannot connect to IMAP server {host}:{port}: {reason}")]
    Connect {
        /// Server.
        host: String,
        /// Port.
        port: u16,
        /// Why.
        reason: String,
    },
    /// TLS failed.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// Login was refused.
    #[error(
        "IMAP login as {user} on {host} refused: {reason}; check mailbox.username and the password"
    )]
    Login {
        /// User.
        user: String,
        /// Server.
        host: String,
        /// Server's words.
        reason: String,
    },
    /// An IMAP command failed.
    #[error("IMAP {command} failed: {reason}")]
    Command {
        /// What was attempted.
        command: String,
        /// Why.
        reason: String,
    },
    /// The store failed (messages stay on the server).
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn cmd_err(command: &str) -> impl Fn(async_imap::error::Error) -> WatchError + '_ {
    move |e| WatchError::Command {
        command: command.to_string(),
        reason: e.to_string(),
    }
}

/// A TCP or TLS stream.
#[derive(Debug)]
pub enum Conn {
    /// Plaintext.
    Plain(TcpStream),
    /// TLS.
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A stream whose reads and writes fail with `TimedOut` when they make no
/// progress for `timeout` (async-imap has no per-command timeout).
#[derive(Debug)]
pub struct TimeoutStream<S> {
    inner: S,
    /// Read timeout; changed around IDLE.
    pub read_timeout: Duration,
    write_timeout: Duration,
    read_deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    write_deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> TimeoutStream<S> {
    /// Wraps a stream.
    pub fn new(inner: S, timeout: Duration) -> Self {
        TimeoutStream {
            inner,
            read_timeout: timeout,
            write_timeout: timeout,
            read_deadline: None,
            write_deadline: None,
        }
    }
}

fn poll_deadline(
    slot: &mut Option<Pin<Box<tokio::time::Sleep>>>,
    timeout: Duration,
    cx: &mut Context<'_>,
    what: &str,
) -> Poll<std::io::Error> {
    let sleep = slot.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
    match sleep.as_mut().poll(cx) {
        Poll::Ready(()) => {
            *slot = None;
            Poll::Ready(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("IMAP {what} timed out after {timeout:?}"),
            ))
        }
        Poll::Pending => Poll::Pending,
    }
}

use std::future::Future;

impl<S: AsyncRead + Unpin> AsyncRead for TimeoutStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.read_deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                match poll_deadline(&mut this.read_deadline, this.read_timeout, cx, "read") {
                    Poll::Ready(e) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimeoutStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.write_deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                match poll_deadline(&mut this.write_deadline, this.write_timeout, cx, "write") {
                    Poll::Ready(e) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(r) => {
                this.write_deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                match poll_deadline(&mut this.write_deadline, this.write_timeout, cx, "flush") {
                    Poll::Ready(e) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The IMAP stream klachtd uses.
pub type Stream = TimeoutStream<Conn>;

/// Mailbox sync state kept in the store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// UIDVALIDITY of the folder.
    pub uid_validity: u32,
    /// Highest UID journalled.
    pub last_uid: u32,
}

/// The server capabilities the watcher uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caps {
    /// IDLE (RFC 2177).
    pub idle: bool,
    /// MOVE (RFC 6851).
    pub r#move: bool,
    /// UIDPLUS (RFC 4315): UID EXPUNGE touches only our messages.
    pub uidplus: bool,
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

    fn state_key(&self) -> Vec<u8> {
        format!(
            "imap/{}@{}:{}/{}",
            self.cfg.username, self.cfg.host, self.cfg.port, self.cfg.folder
        )
        .into_bytes()
    }

    /// Connects and logs in.
    pub async fn connect(&self) -> Result<Session<Stream>, WatchError> {
        let (host, port) = (self.cfg.host.clone(), self.cfg.port);
        let conn_err = |reason: String| WatchError::Connect {
            host: host.clone(),
            port,
            reason,
        };
        let tcp = tokio::time::timeout(self.cfg.timeout, TcpStream::connect((host.as_str(), port)))
            .await
            .map_err(|_| conn_err(format!("no answer within {:?}", self.cfg.timeout)))?
            .map_err(|e| conn_err(e.to_string()))?;
        let conn = match (self.cfg.tls, &self.tls) {
            (TlsMode::Tls, Some(cfg)) => {
                let tls = tokio::time::timeout(
                    self.cfg.timeout,
                    crate::tls::handshake(cfg.clone(), &host, port, tcp),
                )
                .await
                .map_err(|_| conn_err("TLS handshake timed out".into()))??;
                Conn::Tls(Box::new(tls))
            }
            _ => Conn::Plain(tcp),
        };
        let mut client = async_imap::Client::new(TimeoutStream::new(conn, self.cfg.timeout));
        let greeting = client
            .read_response()
            .await
            .map_err(|e| conn_err(format!("reading greeting: {e}")))?;
        if greeting.is_none() {
            return Err(conn_err(
                "server closed the connection before its greeting".into(),
            ));
        }
        if self.cfg.tls == TlsMode::Starttls {
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| {
                    conn_err(format!(
                        "STARTTLS refused: {e} (use tls = \"tls\" or \"none\")"
                    ))
                })?;
            let stream = client.into_inner();
            let Conn::Plain(tcp) = stream.inner else {
                return Err(conn_err("STARTTLS on a TLS stream".into()));
            };
            let cfg = self
                .tls
                .clone()
                .ok_or_else(|| conn_err("no TLS configuration".into()))?;
            let tls = tokio::time::timeout(
                self.cfg.timeout,
                crate::tls::handshake(cfg, &host, port, tcp),
            )
            .await
            .map_err(|_| conn_err("TLS handshake timed out".into()))??;
            client = async_imap::Client::new(TimeoutStream::new(
                Conn::Tls(Box::new(tls)),
                self.cfg.timeout,
            ));
        }
        let session = client
            .login(&self.cfg.username, self.cfg.password.expose())
            .await
            .map_err(|(e, _)| WatchError::Login {
                user: self.cfg.username.clone(),
                host: host.clone(),
                reason: e.to_string(),
            })?;
        Ok(session)
    }

    /// What the server offers.
    pub async fn capabilities(&self, session: &mut Session<Stream>) -> Result<Caps, WatchError> {
        let caps = session
            .capabilities()
            .await
            .map_err(cmd_err("CAPABILITY"))?;
        Ok(Caps {
            idle: caps.has_str("IDLE"),
            r#move: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
        })
    }

    /// Creates the processed folder if absent.
    pub async fn ensure_processed_folder(
        &self,
        session: &mut Session<Stream>,
    ) -> Result<(), WatchError> {
        let exists = {
            let list = session
                .list(Some(""), Some(&self.cfg.processed_folder))
                .await
                .map_err(cmd_err("LIST"))?;
            let names: Vec<_> = list.try_collect().await.map_err(cmd_err("LIST"))?;
            !names.is_empty()
        };
        if !exists {
            session
                .create(&self.cfg.processed_folder)
                .await
                .map_err(cmd_err("CREATE"))?;
            tracing::info!(folder = %self.cfg.processed_folder, "created processed folder");
        }
        Ok(())
    }

    /// Fetches what is new, journals it, then moves it. With `full`, every
    /// message in the folder is considered (after a reconnect), else only
    /// UIDs above the last one seen. Returns how many new messages were journalled.
    pub async fn sync(
        &self,
        session: &mut Session<Stream>,
        store: &Store,
        clock: &SharedClock,
        caps: Caps,
        full: bool,
    ) -> Result<u32, WatchError> {
        let mailbox = session
            .select(&self.cfg.folder)
            .await
            .map_err(cmd_err("SELECT"))?;
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
            self.save_state(store, &key, &state)?;
            return Ok(0);
        }
        let query = if full {
            "ALL".to_string()
        } else {
            format!("UID {}:*", state.last_uid.saturating_add(1))
        };
        let mut uids: Vec<u32> = session
            .uid_search(&query)
            .await
            .map_err(cmd_err("UID SEARCH"))?
            .into_iter()
            .filter(|u| full || *u > state.last_uid)
            .collect();
        uids.sort_unstable();
        let mut new = 0;
        for chunk in uids.chunks(FETCH_CHUNK) {
            let set = uid_set(chunk);
            let fetched: Vec<_> = {
                let stream = session
                    .uid_fetch(&set, "(UID BODY.PEEK[])")
                    .await
                    .map_err(cmd_err("UID FETCH"))?;
                stream.try_collect().await.map_err(cmd_err("UID FETCH"))?
            };
            let mut journalled = Vec::new();
            for f in &fetched {
                let (Some(uid), Some(body)) = (f.uid, f.body()) else {
                    continue;
                };
                let source = format!("{}/{}/{}", self.cfg.folder, validity, uid);
                // Journal first, flushed: only then may the message leave the folder.
                match journal::record(store, body, &source, clock.now())? {
                    journal::Recorded::New(id) => {
                        new += 1;
                        tracing::debug!(uid, journal = %id, "journalled");
                    }
                    journal::Recorded::Duplicate(id) => {
                        tracing::info!(uid, journal = %id, "already journalled (redelivery or restart)");
                    }
                }
                journalled.push(uid);
            }
            if journalled.is_empty() {
                continue;
            }
            journalled.sort_unstable();
            self.move_processed(session, &uid_set(&journalled), caps)
                .await?;
            state.last_uid = state.last_uid.max(*journalled.last().unwrap_or(&0));
            self.save_state(store, &key, &state)?;
        }
        Ok(new)
    }

    fn save_state(&self, store: &Store, key: &[u8], state: &SyncState) -> Result<(), StoreError> {
        let mut b = Batch::new();
        b.put(Tree::Meta, key.to_vec(), state);
        store.commit(&b)
    }

    async fn move_processed(
        &self,
        session: &mut Session<Stream>,
        set: &str,
        caps: Caps,
    ) -> Result<(), WatchError> {
        let target = &self.cfg.processed_folder;
        if caps.r#move {
            session
                .uid_mv(set, target)
                .await
                .map_err(cmd_err("UID MOVE"))?;
        } else {
            session
                .uid_copy(set, target)
                .await
                .map_err(cmd_err("UID COPY"))?;
            delete_uids(session, set, caps).await?;
        }
        Ok(())
    }

    /// Connects, deletes the server copies queued by an erasure, and logs
    /// out (for `klachtd privacy erase`, which runs without the daemon).
    pub async fn delete_server_copies_once(&self, store: &Store) -> Result<u32, WatchError> {
        let copies = crate::privacy::server_copies(store)?;
        if copies.is_empty() {
            return Ok(0);
        }
        let mut session = self.connect().await?;
        let caps = self.capabilities(&mut session).await?;
        self.ensure_processed_folder(&mut session).await?;
        let n = self
            .delete_copies(&mut session, store, caps, &copies)
            .await?;
        let _ = session.logout().await;
        Ok(n)
    }

    /// Deletes the server's copies of erased messages (queued by
    /// [`crate::privacy`]) from the processed and the watched folder, then
    /// clears them from the queue. Leaves the watched folder selected.
    /// Returns how many messages were deleted.
    pub async fn delete_server_copies(
        &self,
        session: &mut Session<Stream>,
        store: &Store,
        caps: Caps,
    ) -> Result<u32, WatchError> {
        let copies = crate::privacy::server_copies(store)?;
        if copies.is_empty() {
            return Ok(0);
        }
        self.delete_copies(session, store, caps, &copies).await
    }

    /// Deletes `copies` (read from the queue) and clears them from it.
    async fn delete_copies(
        &self,
        session: &mut Session<Stream>,
        store: &Store,
        caps: Caps,
        copies: &[crate::privacy::ServerCopy],
    ) -> Result<u32, WatchError> {
        let mut deleted = 0;
        for folder in [&self.cfg.processed_folder, &self.cfg.folder] {
            session.select(folder).await.map_err(cmd_err("SELECT"))?;
            let mut uids = Vec::new();
            for c in copies {
                uids.extend(exact_message_id(session, &c.message_id).await?);
            }
            uids.sort_unstable();
            uids.dedup();
            if !uids.is_empty() {
                delete_uids(session, &uid_set(&uids), caps).await?;
                deleted += uids.len() as u32;
            }
        }
        for c in copies {
            if imap_quoted(&c.message_id).is_none() {
                tracing::warn!(
                    journal = %String::from_utf8_lossy(&c.key),
                    "a server copy cannot be searched for (its Message-ID is not plain ASCII); delete it in the processed folder by hand"
                );
            }
        }
        crate::privacy::server_copies_done(store, copies)?;
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
        session: Session<Stream>,
        caps: Caps,
        shutdown: &mut tokio::sync::watch::Receiver<bool>,
        nudge: &tokio::sync::Notify,
    ) -> Result<(Session<Stream>, Wake), WatchError> {
        if !(caps.idle && self.cfg.idle) {
            let mut session = session;
            tokio::select! {
                _ = tokio::time::sleep(self.cfg.poll_interval) => {}
                _ = nudge.notified() => {}
                _ = shutdown.changed() => return Ok((session, Wake::Shutdown)),
            }
            session.noop().await.map_err(cmd_err("NOOP"))?;
            return Ok((session, Wake::Changed));
        }
        let mut handle = session.idle();
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
        let session = handle.done().await.map_err(cmd_err("DONE"))?;
        Ok((session, wake))
    }
}

/// Flags the UIDs `\Deleted` and expunges them (only them where the server
/// has UIDPLUS).
async fn delete_uids(
    session: &mut Session<Stream>,
    set: &str,
    caps: Caps,
) -> Result<(), WatchError> {
    {
        let s = session
            .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
            .await
            .map_err(cmd_err("UID STORE"))?;
        let _: Vec<_> = s.try_collect().await.map_err(cmd_err("UID STORE"))?;
    }
    if caps.uidplus {
        let s = session
            .uid_expunge(set)
            .await
            .map_err(cmd_err("UID EXPUNGE"))?;
        let _: Vec<_> = s.try_collect().await.map_err(cmd_err("UID EXPUNGE"))?;
    } else {
        let s = session.expunge().await.map_err(cmd_err("EXPUNGE"))?;
        let _: Vec<_> = s.try_collect().await.map_err(cmd_err("EXPUNGE"))?;
    }
    Ok(())
}

/// UIDs in the selected folder whose Message-ID is exactly `message_id`
/// (as the journal reads it). The server's HEADER search matches
/// substrings, so its candidates are checked one by one: a short id must
/// never take other messages with it.
async fn exact_message_id(
    session: &mut Session<Stream>,
    message_id: &str,
) -> Result<Vec<u32>, WatchError> {
    let Some(quoted) = imap_quoted(message_id) else {
        return Ok(Vec::new());
    };
    let mut candidates: Vec<u32> = session
        .uid_search(format!("HEADER Message-ID {quoted}"))
        .await
        .map_err(cmd_err("UID SEARCH"))?
        .into_iter()
        .collect();
    if candidates.is_empty() {
        return Ok(candidates);
    }
    candidates.sort_unstable();
    let fetched: Vec<_> = {
        let stream = session
            .uid_fetch(uid_set(&candidates), "(UID BODY.PEEK[HEADER])")
            .await
            .map_err(cmd_err("UID FETCH"))?;
        stream.try_collect().await.map_err(cmd_err("UID FETCH"))?
    };
    Ok(fetched
        .iter()
        .filter(|f| {
            f.header()
                .and_then(journal::message_id_of)
                .is_some_and(|id| id == message_id)
        })
        .filter_map(|f| f.uid)
        .collect())
}

/// An IMAP quoted string, or `None` when the text cannot be one (control
/// characters or non-ASCII, which would need a literal).
fn imap_quoted(s: &str) -> Option<String> {
    if s.bytes().any(|b| !(0x20..0x7f).contains(&b)) {
        return None;
    }
    Some(format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// `1,3:5,9` from sorted UIDs.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    out.join(",")
}

/// Reconnect delay: 1 s doubling to 5 minutes, with ±25 % jitter.
pub fn reconnect_backoff(failures: u32) -> Duration {
    let base = (1u64 << failures.min(9)).min(300);
    let ms = base * 1000;
    let jitter = fastrand::u64(0..=ms / 2);
    Duration::from_millis(ms - ms / 4 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_strings_are_quoted_or_refused() {
        assert_eq!(imap_quoted("<a\"b\\c@x>").unwrap(), r#""<a\"b\\c@x>""#);
        assert_eq!(imap_quoted("<a\r\nX-Evil: 1@x>"), None);
        assert_eq!(imap_quoted("<é@x>"), None);
    }

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[4]), "4");
    }

    #[test]
    fn backoff_is_bounded() {
        assert!(reconnect_backoff(0) <= Duration::from_millis(1250));
        assert!(reconnect_backoff(50) <= Duration::from_secs(375));
    }
}
