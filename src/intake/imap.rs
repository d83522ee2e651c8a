//! An IMAP session as klachtd uses it: connected (plain, STARTTLS or TLS)
//! over a stream with read/write timeouts, logged in, its capabilities
//! read once, the processed folder made sure of, and the folder it has
//! selected remembered. One connect path for the watcher, `once` and
//! `privacy erase`. (The model is Delta Chat's `imap/session.rs`.)

use crate::config::{Mailbox, TlsMode};
use crate::intake::journal;
use crate::intake::stream::{Conn, Stream, TimeoutStream};
use crate::store::StoreError;
use futures_util::TryStreamExt;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// Errors of the IMAP side.
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

/// A logged-in session with what the server offers.
pub struct Session {
    inner: async_imap::Session<Stream>,
    /// What the server offers.
    pub caps: Caps,
    /// The folder selected last, if any.
    selected: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("caps", &self.caps)
            .field("selected", &self.selected)
            .finish()
    }
}

impl Session {
    /// Connects, logs in, reads the capabilities and makes sure the
    /// processed folder exists.
    pub async fn connect(
        cfg: &Mailbox,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Session, WatchError> {
        let mut inner = login(cfg, tls).await?;
        let caps = inner.capabilities().await.map_err(cmd_err("CAPABILITY"))?;
        let mut session = Session {
            caps: Caps {
                idle: caps.has_str("IDLE"),
                r#move: caps.has_str("MOVE"),
                uidplus: caps.has_str("UIDPLUS"),
            },
            inner,
            selected: None,
        };
        session.ensure_folder(&cfg.processed_folder).await?;
        Ok(session)
    }

    /// Creates `folder` if absent.
    async fn ensure_folder(&mut self, folder: &str) -> Result<(), WatchError> {
        let exists = {
            let list = self
                .inner
                .list(Some(""), Some(folder))
                .await
                .map_err(cmd_err("LIST"))?;
            let names: Vec<_> = list.try_collect().await.map_err(cmd_err("LIST"))?;
            !names.is_empty()
        };
        if !exists {
            self.inner.create(folder).await.map_err(cmd_err("CREATE"))?;
            tracing::info!(%folder, "created processed folder");
        }
        Ok(())
    }

    /// Examines `folder` read-only (it must exist; nothing is created).
    pub async fn examine(&mut self, folder: &str) -> Result<(), WatchError> {
        self.selected = None;
        self.inner
            .examine(folder)
            .await
            .map(|_| ())
            .map_err(cmd_err("EXAMINE"))
    }

    /// Selects `folder` (always anew: SELECT reports what is there now).
    pub async fn select(&mut self, folder: &str) -> Result<async_imap::types::Mailbox, WatchError> {
        self.selected = None;
        let mailbox = self.inner.select(folder).await.map_err(cmd_err("SELECT"))?;
        self.selected = Some(folder.to_string());
        Ok(mailbox)
    }

    /// The folder selected last.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// The UIDs a `UID SEARCH` finds in the selected folder.
    pub async fn uid_search(&mut self, query: &str) -> Result<Vec<u32>, WatchError> {
        Ok(self
            .inner
            .uid_search(query)
            .await
            .map_err(cmd_err("UID SEARCH"))?
            .into_iter()
            .collect())
    }

    /// `(uid, raw message)` of the UIDs in `set`.
    pub async fn fetch_bodies(&mut self, set: &str) -> Result<Vec<(u32, Vec<u8>)>, WatchError> {
        let stream = self
            .inner
            .uid_fetch(set, "(UID BODY.PEEK[])")
            .await
            .map_err(cmd_err("UID FETCH"))?;
        let fetched: Vec<_> = stream.try_collect().await.map_err(cmd_err("UID FETCH"))?;
        Ok(fetched
            .iter()
            .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
            .collect())
    }

    /// Moves the UIDs in `set` to `target` (UID MOVE, or COPY + delete).
    pub async fn move_uids(&mut self, set: &str, target: &str) -> Result<(), WatchError> {
        if self.caps.r#move {
            self.inner
                .uid_mv(set, target)
                .await
                .map_err(cmd_err("UID MOVE"))?;
        } else {
            self.inner
                .uid_copy(set, target)
                .await
                .map_err(cmd_err("UID COPY"))?;
            self.delete_uids(set).await?;
        }
        Ok(())
    }

    /// Flags the UIDs `\Deleted` and expunges them (only them where the
    /// server has UIDPLUS).
    pub async fn delete_uids(&mut self, set: &str) -> Result<(), WatchError> {
        delete_uids(&mut self.inner, set, self.caps).await
    }

    /// UIDs in the selected folder whose Message-ID is exactly `message_id`.
    pub async fn exact_message_id(&mut self, message_id: &str) -> Result<Vec<u32>, WatchError> {
        exact_message_id(&mut self.inner, message_id).await
    }

    /// NOOP: lets the server tell what changed.
    pub async fn noop(&mut self) -> Result<(), WatchError> {
        self.inner.noop().await.map_err(cmd_err("NOOP"))
    }

    /// Hands the session to IDLE; [`Session::from_idle`] takes it back.
    pub fn idle(
        self,
    ) -> (
        async_imap::extensions::idle::Handle<Stream>,
        Caps,
        Option<String>,
    ) {
        (self.inner.idle(), self.caps, self.selected)
    }

    /// The session back from IDLE.
    pub fn from_idle(
        inner: async_imap::Session<Stream>,
        caps: Caps,
        selected: Option<String>,
    ) -> Session {
        Session {
            inner,
            caps,
            selected,
        }
    }

    /// Logs out (errors are of no interest: the connection ends anyway).
    pub async fn logout(mut self) {
        let _ = self.inner.logout().await;
    }
}

pub(crate) fn cmd_err(command: &str) -> impl Fn(async_imap::error::Error) -> WatchError + '_ {
    move |e| WatchError::Command {
        command: command.to_string(),
        reason: server_words(&e),
    }
}

/// What the server said, as words (a NO or BAD carries its text; the
/// error's own Display would print a Rust struct).
fn server_words(e: &async_imap::error::Error) -> String {
    match e {
        async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => {
            // async-imap writes the response as `Outcome { code: …,
            // information: Some("…") }`: keep the server's sentence.
            text.split_once("information: Some(\"")
                .and_then(|(_, rest)| rest.rsplit_once("\")"))
                .map(|(words, _)| words.replace("\\\"", "\""))
                .unwrap_or_else(|| text.clone())
        }
        other => other.to_string(),
    }
}

/// Connects and logs in: TCP, TLS (implicit or by STARTTLS, never
/// downgraded), greeting, LOGIN.
async fn login(
    cfg: &Mailbox,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<async_imap::Session<Stream>, WatchError> {
    let (host, port) = (cfg.host.clone(), cfg.port);
    let conn_err = |reason: String| WatchError::Connect {
        host: host.clone(),
        port,
        reason,
    };
    let tcp = tokio::time::timeout(cfg.timeout, TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| conn_err(format!("no answer within {:?}", cfg.timeout)))?
        .map_err(|e| conn_err(e.to_string()))?;
    let conn = match (cfg.tls, tls) {
        (TlsMode::Tls, Some(tls_config)) => {
            let tls = tokio::time::timeout(
                cfg.timeout,
                crate::tls::handshake(tls_config.clone(), &host, port, tcp),
            )
            .await
            .map_err(|_| conn_err("TLS handshake timed out".into()))??;
            Conn::Tls(Box::new(tls))
        }
        _ => Conn::Plain(tcp),
    };
    let mut client = async_imap::Client::new(TimeoutStream::new(conn, cfg.timeout));
    let greeting = client
        .read_response()
        .await
        .map_err(|e| conn_err(format!("reading greeting: {e}")))?;
    if greeting.is_none() {
        return Err(conn_err(
            "server closed the connection before its greeting".into(),
        ));
    }
    if cfg.tls == TlsMode::Starttls {
        client
            .run_command_and_check_ok("STARTTLS", None)
            .await
            .map_err(|e| {
                conn_err(format!(
                    "STARTTLS refused: {e} (use tls = \"tls\" or \"none\")"
                ))
            })?;
        let stream = client.into_inner();
        let Conn::Plain(tcp) = stream.into_inner() else {
            return Err(conn_err("STARTTLS on a TLS stream".into()));
        };
        let tls_config = tls
            .cloned()
            .ok_or_else(|| conn_err("no TLS configuration".into()))?;
        let tls = tokio::time::timeout(
            cfg.timeout,
            crate::tls::handshake(tls_config, &host, port, tcp),
        )
        .await
        .map_err(|_| conn_err("TLS handshake timed out".into()))??;
        client = async_imap::Client::new(TimeoutStream::new(Conn::Tls(Box::new(tls)), cfg.timeout));
    }
    let session = client
        .login(&cfg.username, cfg.password.expose())
        .await
        .map_err(|(e, _)| WatchError::Login {
            user: cfg.username.clone(),
            host: host.clone(),
            reason: e.to_string(),
        })?;
    Ok(session)
}

/// Flags the UIDs `\Deleted` and expunges them (only them where the server
/// has UIDPLUS).
async fn delete_uids(
    session: &mut async_imap::Session<Stream>,
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
    session: &mut async_imap::Session<Stream>,
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
pub(crate) fn imap_quoted(s: &str) -> Option<String> {
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
}
