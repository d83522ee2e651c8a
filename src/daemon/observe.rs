//! Looking at the daemon from outside while it runs: the HTTP endpoint
//! (`/metrics` in the Prometheus text format, `/health` 200 or 503 with
//! the reason; `[metrics] listen`, off by default) and the service
//! manager's notifications (systemd `Type=notify`: READY, STATUS with
//! what it is doing, WATCHDOG while the processing loop goes round).

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What can be looked at from outside (the daemon implements it).
pub trait Observed: Send + Sync + 'static {
    /// The metrics in the Prometheus text format (blocking: reads the store).
    fn metrics_text(&self) -> Result<String, String>;
    /// Healthy, or why not.
    fn health(&self) -> Result<(), String>;
    /// One line on what it is doing.
    fn status(&self) -> String;
    /// Seconds since the processing loop last went round.
    fn since_beat(&self) -> i64;
}

/// How long a client may take to send its request.
const REQUEST_WAIT: Duration = Duration::from_secs(5);

/// Serves `/metrics` and `/health` on `listener` until shutdown.
pub async fn serve_http(
    daemon: Arc<impl Observed>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(answer(daemon.clone(), stream));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// Answers one HTTP request and closes the connection.
async fn answer<D: Observed>(daemon: Arc<D>, mut stream: TcpStream) {
    let mut buf = Vec::with_capacity(512);
    let read = tokio::time::timeout(REQUEST_WAIT, async {
        let mut chunk = [0u8; 512];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    if read.is_err() {
        return;
    }
    let line = String::from_utf8_lossy(&buf);
    let mut words = line.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (status, kind, body) = match (method, path.split('?').next().unwrap_or("")) {
        ("GET", "/metrics") => {
            let d = daemon.clone();
            match tokio::task::spawn_blocking(move || d.metrics_text()).await {
                Ok(Ok(text)) => (
                    "200 OK",
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    text,
                ),
                Ok(Err(e)) => (
                    "503 Service Unavailable",
                    "text/plain; charset=utf-8",
                    format!("the store cannot be read: {e}\n"),
                ),
                Err(_) => (
                    "500 Internal Server Error",
                    "text/plain; charset=utf-8",
                    "the metrics could not be gathered\n".to_string(),
                ),
            }
        }
        ("GET", "/health") => match daemon.health() {
            Ok(()) => ("200 OK", "text/plain; charset=utf-8", "ok\n".to_string()),
            Err(why) => (
                "503 Service Unavailable",
                "text/plain; charset=utf-8",
                format!("{why}\n"),
            ),
        },
        ("GET", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "klachtd serves /metrics and /health\n".to_string(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".to_string(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Tells the service manager what the daemon is doing, and pings its
/// watchdog while the processing loop goes round. Without systemd
/// (`NOTIFY_SOCKET` unset) every call is a no-op.
pub async fn notify_loop(daemon: Arc<impl Observed>, mut shutdown: watch::Receiver<bool>) {
    use sd_notify::NotifyState;
    let mut usec = 0u64;
    let watchdog =
        sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec));
    // Ping twice per watchdog period; report the status every 15 s at least.
    let every = watchdog
        .map(|w| (w / 2).min(Duration::from_secs(15)))
        .unwrap_or(Duration::from_secs(15));
    let _ = sd_notify::notify(
        false,
        &[NotifyState::Ready, NotifyState::Status(&daemon.status())],
    );
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
        let status = daemon.status();
        let _ = sd_notify::notify(false, &[NotifyState::Status(&status)]);
        if let Some(w) = watchdog {
            // A loop that stopped going round is a hang: no ping, and
            // systemd restarts the service.
            let since = daemon.since_beat();
            if since < w.as_secs().max(60) as i64 {
                let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
            } else {
                tracing::error!(seconds = since, "processing has not gone round; leaving the watchdog unfed so the service manager restarts klachtd");
            }
        }
    }
    let _ = sd_notify::notify(
        false,
        &[
            NotifyState::Stopping,
            NotifyState::Status("stopping: sending what is queued"),
        ],
    );
}
