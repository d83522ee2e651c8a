//! The command line: the arguments ([`args`], a contract with users), the
//! environment every subcommand works in ([`env`]: config, store, the one
//! clock), and one file per group of subcommands; [`dispatch`] picks one.

/// `println!` to the command's standard output (captured inside the daemon).
macro_rules! outln {
    ($env:expr) => {{
        use std::io::Write as _;
        let _ = writeln!($env.out());
    }};
    ($env:expr, $($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!($env.out(), $($arg)*);
    }};
}

/// `print!` to the command's standard output.
macro_rules! out {
    ($env:expr, $($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!($env.out(), $($arg)*);
    }};
}

/// `eprintln!` to the command's standard error.
macro_rules! errln {
    ($env:expr, $($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!($env.err(), $($arg)*);
    }};
}

mod args;
mod backup;
mod cases;
mod check;
mod classify;
mod control;
mod env;
mod failed;
mod policy;
mod privacy;
mod report;
mod run;
mod templates;

use anyhow::Result;
pub use args::Cli;
use args::{Command, PolicyCommand};
pub use env::Env;

/// Runs a subcommand; returns the exit code.
/// A store command goes to the running daemon when one answers.
pub fn dispatch(env: &Env) -> Result<i32> {
    if env.daemon.is_none() {
        if let Some(code) = control::forward(env)? {
            return Ok(code);
        }
    }
    match &env.cli.command {
        Command::Run => run::run(env),
        Command::Once => run::once(env),
        Command::Check { connect } => check::check(env, *connect),
        Command::Classify {
            json,
            explain,
            files,
        } => classify::classify(env, *json, *explain, files),
        Command::Eval {
            file,
            corrections,
            json,
        } => classify::eval(env, file.as_deref(), *corrections, *json),
        Command::Deadline { from, term, policy } => {
            policy::deadline(env, from, term, policy.as_deref())
        }
        Command::Policy {
            command: PolicyCommand::Show { name },
        } => policy::show(env, name.as_deref()),
        Command::Cases { command } => cases::cases(env, command),
        Command::Failed { command } => failed::failed(env, command),
        Command::Export { output } => backup::export(env, output.as_deref()),
        Command::Import { file } => backup::import(env, file),
        Command::Templates { command } => templates::templates(env, command),
        Command::Report {
            from,
            to,
            format,
            anonymise,
            output,
        } => report::report(env, (*from, *to), *format, *anonymise, output.as_deref()),
        Command::Agenda { anonymise } => report::agenda(env, *anonymise),
        Command::Privacy { command } => privacy::privacy(env, command),
    }
}
