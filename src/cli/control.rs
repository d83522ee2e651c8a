//! The control socket: while `run` holds the store, the CLI's store
//! commands (`cases`, `failed`, `report`, `agenda`, `privacy`, `export`,
//! `import`, `eval --corrections`, `templates render --case`) run inside
//! the daemon, on its open store and through its transaction path, with
//! the same output. The socket is `control.sock` in the store folder,
//! owner-only, and answers only its own user (or root); there is no
//! network listener. Input files are read by the CLI and sent along, and
//! output files are written by the CLI: the daemon never opens a path the
//! user named.

use crate::cli::args::{Cli, Command, TemplatesCommand};
use crate::cli::env::{create_owner_only, Env, Inside};
use anyhow::{Context as _, Result};
use base64::Engine as _;
use clap::Parser as _;
use klachtd::clock::SharedClock;
use klachtd::daemon::Daemon;
use serde::{Deserialize, Serialize};
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

/// Runs a CLI command (`cli::dispatch`).
type Dispatch = fn(&Env) -> Result<i32>;

/// How long the CLI waits for the daemon's answer.
const ANSWER_WAIT: Duration = Duration::from_secs(300);

/// The socket's place: `control.sock` in the store folder.
pub fn socket_path(store_dir: &Path) -> PathBuf {
    store_dir.join("control.sock")
}

/// One command for the daemon: the command line and the input files.
#[derive(Serialize, Deserialize)]
struct Request {
    args: Vec<String>,
    /// Path as the user wrote it, and the bytes (base64).
    files: Vec<(PathBuf, String)>,
}

/// The command's exit code and output (base64).
#[derive(Serialize, Deserialize)]
struct Response {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Response {
    /// A command that did not run: `code` and what goes to standard error.
    fn refused(code: i32, stderr: &[u8]) -> Response {
        Response {
            code,
            stdout: String::new(),
            stderr: b64(stderr),
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|_| text.as_bytes().to_vec())
}

/// Whether a command reads or changes the store (and so goes to a running daemon).
fn uses_store(command: &Command) -> bool {
    match command {
        Command::Cases { .. }
        | Command::Failed { .. }
        | Command::Export { .. }
        | Command::Import { .. }
        | Command::Report { .. }
        | Command::Agenda { .. }
        | Command::Privacy { .. } => true,
        Command::Eval { corrections, .. } => *corrections,
        Command::Templates {
            command: TemplatesCommand::Render { case, .. },
        } => case.is_some(),
        _ => false,
    }
}

/// The files a command reads, which the CLI sends along.
fn input_files(command: &Command) -> Vec<&Path> {
    match command {
        Command::Import { file } => vec![file.as_path()],
        Command::Eval {
            file: Some(file), ..
        } => vec![file.as_path()],
        _ => Vec::new(),
    }
}

/// The file a command writes (`new`: must not exist yet), which the CLI writes.
fn output_file(command: &Command) -> Option<(&Path, bool)> {
    match command {
        Command::Export { output: Some(path) } => Some((path.as_path(), true)),
        Command::Report {
            output: Some(path), ..
        } => Some((path.as_path(), false)),
        _ => None,
    }
}

/// Runs the command inside a running daemon when one answers on the
/// store's socket; `None` when there is none (the CLI opens the store).
pub fn forward(env: &Env) -> Result<Option<i32>> {
    if !uses_store(&env.cli.command) {
        return Ok(None);
    }
    let Ok(config) = env.config() else {
        return Ok(None);
    };
    let path = socket_path(&config.store.path);
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(&path) else {
        return Ok(None);
    };
    let mut files = Vec::new();
    for f in input_files(&env.cli.command) {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        files.push((f.to_path_buf(), b64(&bytes)));
    }
    // Fail on an existing export file before the daemon does any work.
    let mut output = output_file(&env.cli.command)
        .map(|(p, new)| create_owner_only(p, new).map(|f| (p, f)))
        .transpose()?;
    let request = Request {
        args: std::env::args().collect(),
        files,
    };
    let answer = (|| -> std::io::Result<Response> {
        stream.set_read_timeout(Some(ANSWER_WAIT))?;
        serde_json::to_writer(&mut stream, &request)?;
        stream.write_all(b"\n")?;
        let mut line = String::new();
        std::io::BufReader::new(&stream).read_line(&mut line)?;
        serde_json::from_str(&line).map_err(std::io::Error::other)
    })()
    .with_context(|| {
        format!(
            "the running klachtd did not answer on {} (is it stuck? `systemctl status klachtd`)",
            path.display()
        )
    })?;
    let stdout = unb64(&answer.stdout);
    match output.as_mut() {
        Some((p, f)) if answer.code == 0 => f
            .write_all(&stdout)
            .with_context(|| format!("writing {}", p.display()))?,
        Some((p, _)) => {
            let _ = std::fs::remove_file(p);
        }
        None => std::io::stdout().write_all(&stdout)?,
    }
    std::io::stderr().write_all(&unb64(&answer.stderr))?;
    Ok(Some(answer.code))
}

/// Serves the control socket until `shutdown`; every command runs on a
/// thread of its own and wakes the daemon's loops afterwards. A socket
/// that cannot be made is logged and the daemon runs without it.
pub async fn serve(
    daemon: Arc<Daemon>,
    (clock, dispatch): (SharedClock, Dispatch),
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let path = socket_path(&daemon.config.store.path);
    // The store's lock is ours: a socket left there is stale.
    let _ = std::fs::remove_file(&path);
    let listener = match tokio::net::UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(socket = %path.display(), error = %e, "no control socket; CLI commands cannot run beside the daemon");
            return;
        }
    };
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    tracing::debug!(socket = %path.display(), "control socket ready");
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, daemon.clone(), (clock.clone(), dispatch)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "control socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
            _ = shutdown.changed() => break,
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Answers one connection: one request, one response.
async fn answer(
    stream: tokio::net::UnixStream,
    daemon: Arc<Daemon>,
    (clock, dispatch): (SharedClock, Dispatch),
) {
    // Only our own user (or root) may run commands.
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    match stream.peer_cred() {
        Ok(cred) if cred.uid() == me || cred.uid() == 0 => {}
        _ => return,
    }
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    if tokio::io::BufReader::new(read)
        .read_line(&mut line)
        .await
        .is_err()
    {
        return;
    }
    let response = match serde_json::from_str::<Request>(&line) {
        Ok(request) => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let d = daemon.clone();
            std::thread::spawn(move || {
                let _ = tx.send(execute(request, &d, (clock, dispatch)));
            });
            let response = rx.await.unwrap_or_else(|_| {
                Response::refused(
                    70,
                    b"klachtd: the command failed inside the daemon (see its log)\n",
                )
            });
            daemon.nudge();
            response
        }
        Err(e) => Response::refused(
            2,
            format!("klachtd: unreadable control request: {e}\n").as_bytes(),
        ),
    };
    if let Ok(mut text) = serde_json::to_vec(&response) {
        text.push(b'\n');
        let _ = write.write_all(&text).await;
    }
}

/// The subcommand's words without options or their values (no personal
/// data such as an address in the log).
fn command_name(args: &[String]) -> String {
    let mut words = Vec::new();
    let mut skip = false;
    for a in args.iter().skip(1) {
        if skip {
            skip = false;
        } else if a == "--config" || a == "--log-format" {
            skip = true;
        } else if !a.starts_with('-') && words.len() < 2 {
            words.push(a.as_str());
        }
    }
    words.join(" ")
}

/// Runs one command inside the daemon, capturing its output.
fn execute(
    request: Request,
    daemon: &Daemon,
    (clock, dispatch): (SharedClock, Dispatch),
) -> Response {
    let cli = match Cli::try_parse_from(&request.args) {
        Ok(cli) if uses_store(&cli.command) => cli,
        Ok(_) => {
            return Response::refused(2, b"klachtd: only store commands run inside the daemon\n")
        }
        Err(e) => return Response::refused(2, e.to_string().as_bytes()),
    };
    tracing::info!(command = %command_name(&request.args), "running a CLI command");
    let env = Env {
        cli,
        clock,
        dispatch,
        daemon: Some(Inside {
            config: daemon.config.clone(),
            store: daemon.store.clone(),
            files: request
                .files
                .into_iter()
                .map(|(p, b)| (p, unb64(&b)))
                .collect(),
            stdout: Default::default(),
            stderr: Default::default(),
        }),
    };
    let code = match dispatch(&env) {
        Ok(code) => code,
        Err(e) => {
            errln!(env, "klachtd: {e:#}");
            1
        }
    };
    let Some(inside) = env.daemon else {
        unreachable!("the environment was made with the daemon's store above")
    };
    let take = |m: std::sync::Mutex<Vec<u8>>| m.into_inner().unwrap_or_else(|p| p.into_inner());
    Response {
        code,
        stdout: b64(&take(inside.stdout)),
        stderr: b64(&take(inside.stderr)),
    }
}
