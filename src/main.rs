//! The `klachtd` command: parses the command line, sets up logging and the
//! clock, and dispatches to [`cli`] (see `klachtd --help`).

mod cli;

use clap::Parser;

fn main() {
    // Behave like other command-line tools when the reader goes away
    // (`klachtd cases list | head`): end quietly instead of panicking.
    // SAFETY: restoring the default disposition of SIGPIPE at start-up,
    // before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // glibc gives each thread that allocates its own heap ("arena"), up to
    // 8 per core, each keeping freed memory: the store's background threads
    // and tokio's workers then hold ~14 MB more than two arenas do, at no
    // measurable cost in speed. (`MALLOC_ARENA_MAX` in the environment
    // still wins: glibc reads it at the first allocation, before this.)
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: a glibc tuning call at start-up, before any thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
    let cli = cli::Cli::parse();
    init_logging(&cli.log_format);
    let env = cli::Env {
        cli,
        clock: klachtd::clock::from_env(),
        daemon: None,
        dispatch: cli::dispatch,
    };
    match cli::dispatch(&env) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("klachtd: {e:#}");
            std::process::exit(1);
        }
    }
}

/// Logs to standard error: the filter from `RUST_LOG` (what every Rust
/// operator tries first), else `KLACHTD_LOG`, else `info`; colours only on
/// a terminal (a file or the journal gets plain text).
fn init_logging(format: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("KLACHTD_LOG"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
