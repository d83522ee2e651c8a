//! `klachtd run` (the daemon, until SIGTERM/SIGINT) and `klachtd once`
//! (one full cycle).

use crate::cli::env::runtime;
use crate::cli::env::Env;
use anyhow::{Context as _, Result};
use klachtd::daemon::Daemon;
use std::sync::Arc;

/// Serves until SIGTERM or SIGINT, then drains and exits 0.
pub fn run(env: &Env) -> Result<i32> {
    let config = env.config()?;
    let rt = runtime()?;
    let _guard = rt.enter();
    let daemon = Arc::new(Daemon::open(config, env.clock.clone()).context("starting klachtd")?);
    rt.block_on(async move {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            tracing::info!("shutdown requested");
            let _ = tx.send(true);
        });
        tokio::spawn(crate::cli::control::serve(
            daemon.clone(),
            (env.clock.clone(), env.dispatch),
            rx.clone(),
        ));
        tracing::info!("klachtd running");
        daemon
            .serve(rx)
            .await
            .context("klachtd stopped with an error")
    })?;
    Ok(0)
}

/// One full cycle: fetch, process, fire timers, send; then exit.
pub fn once(env: &Env) -> Result<i32> {
    let config = env.config()?;
    let rt = runtime()?;
    let _guard = rt.enter();
    let daemon = Daemon::open(config, env.clock.clone()).context("starting klachtd")?;
    let report = rt.block_on(daemon.once()).context("running one cycle")?;
    println!(
        "fetched {}, new cases {}, added to cases {}, recorded {}, dead letters {}, reminders/escalations {}, sent {}, deferred {}, failed {}",
        report.fetched,
        report.processed.new_cases,
        report.processed.added,
        report.processed.recorded,
        report.processed.dead,
        report.timers,
        report.sent.sent,
        report.sent.deferred,
        report.sent.failed
    );
    Ok(0)
}
