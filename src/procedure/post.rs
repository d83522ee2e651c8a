//! Queueing letters from a decision: render the template, compose the mail
//! and add it to the decision's batch, so the letter is stored in the same
//! transaction as the decision that caused it. Automatic answers to a
//! sender pass the loop guard first (RFC 3834): at most so many per
//! address and in all per hour.

use crate::address;
use crate::cases::event::EventKind;
use crate::letters::outbox::{self, Item};
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Utc};

/// Renders and queues one letter into `batch`; returns its outbox item.
pub fn queue(
    ctx: &Context<'_>,
    batch: &mut Batch,
    req: &LetterRequest,
) -> Result<Item, ProcessError> {
    let rendered = ctx
        .letters
        .render(&req.lang, &req.letter, &req.vars)
        .map_err(|e| {
            ProcessError::Unprocessable(format!(
                "letter {} cannot be rendered: {e}; fix the template, then `klachtd failed retry` the message",
                req.letter
            ))
        })?;
    let (item, raw) = ctx
        .sender
        .compose(ctx.signer, req, &rendered, ctx.now())
        .map_err(|e| ProcessError::Unprocessable(e.to_string()))?;
    outbox::enqueue(batch, &item, raw);
    Ok(item)
}

/// Queues an automatic answer to a sender, unless the hourly limits on
/// automatic mail say no (then `None`, and nothing is counted).
pub fn answer(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    req: &LetterRequest,
) -> Result<Option<Item>, ProcessError> {
    if !within_rate_limits(store, ctx, batch, &req.to, ctx.now())? {
        return Ok(None);
    }
    queue(ctx, batch, req).map(Some)
}

/// The case event for a queued letter.
pub fn queued(item: &Item) -> EventKind {
    EventKind::LetterQueued {
        outbox_id: item.id.clone(),
        letter: item.letter.clone(),
        to: item.to.clone(),
        message_id: Some(item.message_id.clone()),
        subject: Some(item.subject.clone()),
    }
}

/// Counts an automatic reply to `to` against the hourly limits (this hour
/// and the last, so a loop cannot slip through at the turn of the hour).
/// Returns false, counting nothing, when a limit is reached.
fn within_rate_limits(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    to: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let hour = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H").to_string();
    let limits = &ctx.config.limits;
    for (who, limit) in [
        (
            address::normalize(to),
            limits.auto_replies_per_recipient_per_hour,
        ),
        ("*".to_string(), limits.auto_replies_per_hour),
    ] {
        let key = |h: String| format!("rate/{who}/{h}").into_bytes();
        let current_key = key(hour(now));
        let current: Option<u32> = store.get(Tree::Meta, &current_key)?;
        let previous: u32 = store
            .get(Tree::Meta, &key(hour(now - chrono::Duration::hours(1))))?
            .unwrap_or(0);
        if current.unwrap_or(0) + previous >= limit {
            tracing::warn!(recipient = %to, limit, "automatic reply suppressed: rate limit reached (mail loop?)");
            return Ok(false);
        }
        batch.expect(
            Tree::Meta,
            current_key.clone(),
            current.map(|c| serde_json::to_vec(&c).unwrap_or_default()),
        );
        batch.put(Tree::Meta, current_key, &(current.unwrap_or(0) + 1));
    }
    Ok(true)
}
