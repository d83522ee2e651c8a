//! Scheduled mails of the procedure: the weekly agenda of the complaints
//! meeting (Glaspunt: Monday morning, to the coordinator and management),
//! the periodic anonymised report, the half-year inventory (procedure 001)
//! and the annual analysis (Xs2more, Optimumconsult). A policy lists them
//! as `[[report]]`.
//!
//! Each occurrence is sent once: its key (`agenda/2026-W48`) is written in
//! the same commit as the letters, so a crash or a second daemon cannot
//! send it twice. After downtime only the latest missed occurrence goes
//! out; occurrences from before the store's first run are skipped.

use crate::cases::schedule::{Every, Kind, Occurrence, Schedule};
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::post;
use crate::reports::{self, Scope};
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Utc};
use serde_json::json;

/// The report scope of a context: its organisation, policy and calendar,
/// and the names (`known`) anonymised output leaves out.
pub fn scope<'a>(ctx: &'a Context<'a>, known: &'a [String]) -> Scope<'a> {
    Scope {
        organisation: &ctx.org().name,
        policy: ctx.policy,
        calendar: ctx.calendar,
        known,
    }
}

const SINCE_KEY: &[u8] = b"periodic/since";

/// Queues every scheduled mail that is due now and not sent yet.
/// Returns how many letters it queued.
pub fn fire_due(store: &Store, ctx: &Context<'_>) -> Result<u32, StoreError> {
    if ctx.policy.reports.is_empty() {
        return Ok(0);
    }
    let ctx = &ctx.at_now();
    let since = first_run(store, ctx.now())?;
    let known = ctx.config.staff.names();
    let mut queued = 0;
    for schedule in &ctx.policy.reports {
        let occ = schedule.latest(ctx.calendar, ctx.now());
        if occ.at < since {
            continue;
        }
        let key = format!("periodic/{}", occ.key);
        let sent = store.transact(|store| {
            let mut batch = Batch::new();
            if store.get_raw(Tree::Meta, key.as_bytes())?.is_some() {
                return Ok((batch, None));
            }
            batch.expect(Tree::Meta, key.clone(), None);
            batch.put(Tree::Meta, key.clone(), &ctx.now());
            match letters(store, ctx, &mut batch, schedule, &occ, &known) {
                Ok(n) => Ok((batch, Some(n))),
                Err(ProcessError::Store(e)) => Err(e),
                Err(ProcessError::Unprocessable(why)) => {
                    tracing::error!(report = %occ.key, %why, "scheduled report not sent; will retry");
                    Ok((Batch::new(), None))
                }
            }
        })?;
        if let Some(n) = sent {
            queued += n;
            tracing::info!(report = %occ.key, recipients = n, "scheduled report queued");
        }
    }
    Ok(queued)
}

/// When scheduled mails started: occurrences before it are never sent (an
/// upgrade does not send a year of back reports). Set on the first pass.
fn first_run(store: &Store, now: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
    store.transact(|store| {
        let mut b = Batch::new();
        if let Some(t) = store.get(Tree::Meta, SINCE_KEY)? {
            return Ok((b, t));
        }
        b.expect(Tree::Meta, SINCE_KEY, None);
        b.put(Tree::Meta, SINCE_KEY, &now);
        Ok((b, now))
    })
}

/// Queues one occurrence's mail to each of its recipients; returns how many.
fn letters(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    schedule: &Schedule,
    occ: &Occurrence,
    known: &[String],
) -> Result<u32, ProcessError> {
    let (title, text, kind) = content(store, ctx, schedule, occ, known)?;
    let vars = json!({
        "org": {
            "name": ctx.org().name,
            "complaints_address": ctx.org().complaints_address,
        },
        "report": {
            "title": title,
            "kind": kind,
            "period": format!("{} t/m {}", occ.from, occ.to),
            "text": text,
        },
    });
    let to = schedule.recipients(ctx.config);
    if to.is_empty() {
        // Nobody to send it to (no coordinator or management configured):
        // said once per occurrence, then marked done.
        tracing::warn!(report = %occ.key, "scheduled report has no recipients; set [staff] coordinator or management");
    }
    let about = format!("R-{}", occ.key.replace('/', "-"));
    for (i, addr) in to.iter().enumerate() {
        let req = LetterRequest::to_staff(ctx.org(), addr, "rapportage", vars.clone())
            .about(about.clone(), i as u32 + 1);
        post::queue(ctx, batch, &req)?;
    }
    Ok(to.len() as u32)
}

/// The title, Markdown text and kind name of one occurrence.
fn content(
    store: &Store,
    ctx: &Context<'_>,
    schedule: &Schedule,
    occ: &Occurrence,
    known: &[String],
) -> Result<(String, String, &'static str), StoreError> {
    let now = ctx.now();
    let scope = scope(ctx, known);
    let anonymised = schedule.anonymised();
    match schedule.kind {
        Kind::Agenda => {
            let since = match schedule.every {
                Every::Week => occ.at - chrono::Duration::days(7),
                _ => ctx.calendar.at_local(occ.from, 0),
            };
            let a = reports::agenda(store, &scope, since, now, anonymised)?;
            let title = schedule.title.clone().unwrap_or_else(|| {
                format!("Agenda klachtenoverleg {} — {}", ctx.org().name, a.date)
            });
            Ok((title, a.markdown(), "weekagenda"))
        }
        Kind::Rapportage => {
            let r = reports::make(store, &scope, occ.from, occ.to, now, anonymised)?;
            let kind = match schedule.every {
                Every::Halfjaar => "halfjaarlijkse inventarisatie",
                Every::Jaar => "jaaranalyse",
                _ => "periodieke rapportage",
            };
            let title = schedule.title.clone().unwrap_or_else(|| {
                let mut k = kind.to_string();
                if let Some(first) = k.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!(
                    "{k} klachten {} — {} t/m {}",
                    ctx.org().name,
                    occ.from,
                    occ.to
                )
            });
            Ok((title, r.markdown(), kind))
        }
    }
}
