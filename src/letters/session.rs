//! SMTP sessions over sockets klachtd opens itself. lettre (0.11.23) never
//! sets `TCP_NODELAY` and writes a message's closing `.` on its own, so
//! every transaction waited ~40 ms for the relay's delayed ACK; here the
//! socket has no-delay set before lettre speaks on it
//! (`AsyncSmtpConnection::connect_with_transport`). TLS as configured
//! (implicit TLS by tokio-rustls, STARTTLS by lettre), AUTH when
//! configured, and a small pool of open sessions reused between letters.
//! Every step runs under the configured timeout.

use crate::config::{Smtp, TlsMode};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// An open session is reused only while it has been idle less than this
/// (relays close idle sessions: Postfix after 300 s).
const IDLE_REUSE: Duration = Duration::from_secs(30);

/// How a session or a transaction failed.
#[derive(Debug)]
pub enum SessionError {
    /// The relay could not be reached, or the connection broke.
    Connection(String),
    /// The relay answered with an error, or lettre refused.
    Smtp(lettre::transport::smtp::Error),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionError::Connection(why) => f.write_str(why),
            SessionError::Smtp(e) => write!(f, "{e}"),
        }
    }
}

/// The relay's sessions: how to open one, and the idle ones.
pub struct Sessions {
    host: String,
    port: u16,
    tls: TlsMode,
    starttls: Option<TlsParameters>,
    wrapper: Option<tokio_rustls::TlsConnector>,
    credentials: Option<Credentials>,
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sessions({}:{})", self.host, self.port)
    }
}

impl Sessions {
    /// Sessions to `[smtp]`; `starttls` the parameters for STARTTLS,
    /// `wrapper` the rustls config for implicit TLS; at most `max_idle`
    /// kept open.
    pub fn new(
        smtp: &Smtp,
        starttls: Option<TlsParameters>,
        wrapper: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
        max_idle: usize,
    ) -> Sessions {
        Sessions {
            host: smtp.host.clone(),
            port: smtp.port,
            tls: smtp.tls,
            starttls,
            wrapper: wrapper.map(tokio_rustls::TlsConnector::from),
            credentials: smtp
                .credentials
                .as_ref()
                .map(|(u, p)| Credentials::new(u.clone(), p.expose().to_string())),
            timeout: smtp.timeout,
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    /// Opens a session: TCP (no-delay), TLS, EHLO, STARTTLS, AUTH.
    pub async fn open(&self) -> Result<AsyncSmtpConnection, SessionError> {
        tokio::time::timeout(self.timeout, self.open_now())
            .await
            .unwrap_or_else(|_| {
                Err(SessionError::Connection(format!(
                    "no answer within {:?}",
                    self.timeout
                )))
            })
    }

    async fn open_now(&self) -> Result<AsyncSmtpConnection, SessionError> {
        let conn_err = |e: std::io::Error| SessionError::Connection(e.to_string());
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(conn_err)?;
        tcp.set_nodelay(true).map_err(conn_err)?;
        let hello = ClientId::default();
        let stream: Box<dyn AsyncTokioStream> = match (&self.tls, &self.wrapper) {
            (TlsMode::Tls, Some(connector)) => {
                let name = rustls_pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|e| SessionError::Connection(format!("server name: {e}")))?;
                let tls = connector.connect(name, tcp).await.map_err(conn_err)?;
                Box::new(Wrapped(tls))
            }
            _ => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &hello)
            .await
            .map_err(SessionError::Smtp)?;
        if let (TlsMode::Starttls, Some(params)) = (&self.tls, &self.starttls) {
            conn.starttls(params.clone(), &hello)
                .await
                .map_err(SessionError::Smtp)?;
        }
        if let Some(creds) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], creds)
                .await
                .map_err(SessionError::Smtp)?;
        }
        Ok(conn)
    }

    /// One transaction: on a session idle a short while, else a new one.
    /// A reused session that turns out broken is replaced once.
    pub async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), SessionError> {
        if let Some(mut conn) = self.take_idle() {
            let result = self.transact(&mut conn, envelope, raw).await;
            if keeps_session(&result) {
                self.put_back(conn);
                return result;
            }
            // Stale: try a fresh one.
        }
        let mut conn = self.open().await?;
        let result = self.transact(&mut conn, envelope, raw).await;
        if keeps_session(&result) {
            self.put_back(conn);
        }
        result
    }

    async fn transact(
        &self,
        conn: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        raw: &[u8],
    ) -> Result<(), SessionError> {
        match tokio::time::timeout(self.timeout, conn.send(envelope, raw)).await {
            Err(_) => Err(SessionError::Connection(format!(
                "SMTP send timed out after {:?}",
                self.timeout
            ))),
            Ok(Err(e)) => Err(SessionError::Smtp(e)),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// Opens a session and closes it without sending.
    pub async fn test(&self) -> Result<(), SessionError> {
        let mut conn = self.open().await?;
        let _ = tokio::time::timeout(self.timeout, conn.quit()).await;
        Ok(())
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < IDLE_REUSE && !conn.has_broken() {
                return Some(conn);
            }
        }
        None
    }

    fn put_back(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push((conn, Instant::now()));
        }
    }
}

/// Whether the session is still good after `result`: it was sent, or the
/// relay answered with an error about this letter (the session is fine).
fn keeps_session(result: &Result<(), SessionError>) -> bool {
    match result {
        Ok(()) => true,
        Err(SessionError::Smtp(e)) => e.is_permanent() || e.is_transient(),
        Err(SessionError::Connection(_)) => false,
    }
}

/// A TLS stream as lettre takes it.
struct Wrapped(tokio_rustls::client::TlsStream<TcpStream>);

impl std::fmt::Debug for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsStream")
    }
}

impl AsyncRead for Wrapped {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Wrapped {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Wrapped {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}
