//! Queueing letters from a decision: render the template, compose the mail
//! and add it to the decision's batch, so the letter is stored in the same
//! transaction as the decision that caused it. Automatic answers to a
//! sender pass the loop guard first (RFC 3834): at most so many per
//! address and in all per hour.

use crate::address;
use crate::cases::event::EventKind;
use crate::letters::outbox::{self, Item};
use crate::letters::request::{AutoSubmitted, LetterRequest, PassOn};
use crate::letters::templates::Rendered;
use crate::procedure::context::{Context, ProcessError};
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::{DateTime, Utc};

/// Renders and queues one letter into `batch`; returns its outbox item.
pub fn queue(
    ctx: &Context<'_>,
    batch: &mut Batch,
    req: &LetterRequest,
) -> Result<Item, ProcessError> {
    let mut rendered = ctx
        .letters
        .render(&req.lang, &req.letter, &req.vars)
        .map_err(|e| {
            ProcessError::Unprocessable(format!(
                "letter {} cannot be rendered: {e}; fix the template, then `klachtd failed retry` the message",
                req.letter
            ))
        })?;
    if let Some(p) = &req.pass_on {
        rendered = pass_on(ctx, p, rendered);
    }
    let (item, raw) = ctx
        .sender
        .compose(ctx.signer, req, &rendered, ctx.now())
        .map_err(|e| ProcessError::Unprocessable(e.to_string()))?;
    outbox::enqueue(batch, &item, raw);
    Ok(item)
}

/// A letter for a complainant without a mail address, as the handler gets
/// it: a word on how to pass it on, then the letter.
fn pass_on(ctx: &Context<'_>, p: &PassOn, r: Rendered) -> Rendered {
    let en = ctx.org().language == "en";
    let mut how = Vec::new();
    if let Some(a) = &p.postal_address {
        how.push(if en {
            format!("by post to {a}")
        } else {
            format!("per post naar {a}")
        });
    }
    if let Some(t) = &p.phone {
        how.push(if en {
            format!("by phone on {t}")
        } else {
            format!("telefonisch op {t}")
        });
    }
    let who = p
        .name
        .clone()
        .unwrap_or_else(|| if en { "the complainant" } else { "de klager" }.to_string());
    let how = if how.is_empty() {
        if en {
            "in person".to_string()
        } else {
            "persoonlijk".to_string()
        }
    } else {
        how.join(if en { " or " } else { " of " })
    };
    let note = if en {
        format!("{who} has no mail address. Pass this letter on {how}, and record how with #note.")
    } else {
        format!("{who} heeft geen e-mailadres. Geef deze brief door {how} en leg met #notitie vast hoe.")
    };
    let prefix = if en { "To pass on" } else { "Doorgeven" };
    Rendered {
        subject: format!("{prefix}: {}", r.subject),
        body: format!(
            "{note}\n\n-------- {} --------\n\n{}",
            if en { "the letter" } else { "de brief" },
            r.body
        ),
    }
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
            // One WARN per limit and hour; the rest of the hour is DEBUG.
            let warned = [current_key.as_slice(), b"/warned"].concat();
            if store.get_raw(Tree::Meta, &warned)?.is_none() {
                tracing::warn!(recipient = %to, limit, scope = %if who == "*" { "all recipients" } else { "this recipient" }, "automatic replies suppressed for the rest of the hour: rate limit reached (mail loop?)");
                batch.put_raw(Tree::Meta, warned, Vec::new());
            } else {
                tracing::debug!(recipient = %to, limit, "automatic reply suppressed: rate limit");
            }
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

/// The hour a count of automatic replies is kept under (UTC).
fn hour(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H").to_string()
}

/// Forgets the hourly counts of automatic replies older than the two hours
/// the limits look at: they hold addresses and would otherwise pile up in
/// the store, one per recipient and hour, for ever. Returns how many keys
/// went.
pub fn forget_old_counts(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let keep_from = hour(now - chrono::Duration::hours(1));
    let mut batch = Batch::new();
    let mut n = 0;
    for key in store.keys(Tree::Meta, b"rate/")? {
        let k = String::from_utf8_lossy(&key);
        let k = k.strip_suffix("/warned").unwrap_or(&k);
        // `rate/{who}/{YYYY-MM-DDTHH}`: the hour is the last 13 characters.
        let hour = k.get(k.len().saturating_sub(13)..).unwrap_or("");
        if hour < keep_from.as_str() {
            batch.remove(Tree::Meta, key);
            n += 1;
        }
    }
    if n > 0 {
        store.commit(&batch)?;
    }
    Ok(n)
}

/// The letters one decision has for the complainant of a case, sent as
/// one: the handler's own words first (when the decision relays them), then
/// each letter the procedure promises, under its title. A single letter
/// goes as it is. With `letters.combine = false` in the policy each goes
/// on its own.
#[derive(Debug, Default)]
pub struct ForComplainant {
    parts: Vec<LetterRequest>,
    relay: Option<(String, String)>,
}

impl ForComplainant {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a letter the procedure promises.
    pub fn add(&mut self, req: LetterRequest) {
        self.parts.push(req);
    }

    /// Adds the handler's text (`from` wrote it) to relay.
    pub fn relay(&mut self, text: String, from: &str) {
        self.relay = Some((text, from.to_string()));
    }

    /// Queues the letter(s) into `batch`; records each on `change` by `actor`.
    pub fn queue(
        self,
        ctx: &Context<'_>,
        batch: &mut Batch,
        change: &mut crate::cases::change::Change,
        actor: &str,
    ) -> Result<(), ProcessError> {
        let now = ctx.now();
        let mut requests = Vec::new();
        if let Some((text, from)) = &self.relay {
            requests.push(relayed(ctx, change.case(), text, from));
        }
        if self.parts.len() + requests.len() <= 1 || !ctx.policy.combine_letters {
            requests.extend(self.parts);
            for req in requests {
                let req = req.seq(change.case().version);
                let item = queue(ctx, batch, &req)?;
                change.record(now, actor, queued(&item));
            }
            return Ok(());
        }
        let req = self.combined(ctx, change.case())?;
        let item = queue(ctx, batch, &req)?;
        change.record(now, actor, queued(&item));
        Ok(())
    }

    /// One letter holding the relayed text and every part.
    fn combined(
        &self,
        ctx: &Context<'_>,
        c: &crate::cases::case::Case,
    ) -> Result<LetterRequest, ProcessError> {
        let mut delen = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for p in &self.parts {
            let mut vars = p.vars.clone();
            vars["deel"] = serde_json::json!(true);
            let r = ctx.letters.render(&p.lang, &p.letter, &vars).map_err(|e| {
                ProcessError::Unprocessable(format!(
                    "letter {} cannot be rendered: {e}; fix the template, then `klachtd failed retry` the message",
                    p.letter
                ))
            })?;
            let title = r.subject.split(" — ").next().unwrap_or(&r.subject).trim();
            delen.push(serde_json::json!({ "titel": title, "tekst": r.body.trim_end() }));
            names.push(p.letter.clone());
        }
        let mut vars = crate::procedure::vars::case(ctx, c);
        vars["delen"] = serde_json::json!(delen);
        vars["antwoord"] = serde_json::json!(self
            .relay
            .as_ref()
            .map(|(t, _)| t.clone())
            .unwrap_or_default());
        let mut req = LetterRequest::to_complainant(ctx.org(), c, "samengesteld", vars);
        if self.relay.is_some() {
            names.insert(0, "antwoord".into());
            // A person wrote part of it.
            req = req.auto_submitted(AutoSubmitted::No);
        }
        req.parts = names;
        Ok(req)
    }
}

/// The handler's text as a letter to the complainant.
fn relayed(
    ctx: &Context<'_>,
    c: &crate::cases::case::Case,
    text: &str,
    from: &str,
) -> LetterRequest {
    let mut vars = crate::procedure::vars::case(ctx, c);
    vars["reply"] = serde_json::json!({ "text": text, "from": from });
    LetterRequest::to_complainant(ctx.org(), c, "antwoord", vars).auto_submitted(AutoSubmitted::No)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procedure::testing::{at, mail, Fixture, COMPLAINTS};

    fn counts(f: &Fixture) -> usize {
        f.store.keys(Tree::Meta, b"rate/").unwrap().len()
    }

    #[test]
    fn the_hourly_counts_of_automatic_replies_are_forgotten_after_two_hours() {
        let f = Fixture::new(
            "generiek",
            "2026-11-16T10:20:00+01:00",
            "[limits]\nauto_replies_per_recipient_per_hour = 1",
        );
        let complaint = |n: u32| {
            mail(
                "jan@voorbeeld.nl",
                COMPLAINTS,
                &format!("k{n}@voorbeeld.nl"),
                &format!("Monteur niet gekomen ({n})"),
                "",
                "De monteur is niet gekomen en niemand belt terug. Ik dien hierbij een klacht in.",
            )
        };
        f.receive(&complaint(1));
        f.receive(&complaint(2));
        assert_eq!(f.letters_named("ontvangstbevestiging").len(), 1);
        let kept = counts(&f);
        assert!(kept >= 3, "recipient, all, and the warning: {kept}");
        // Within the two hours the guard looks at, nothing is forgotten.
        assert_eq!(
            forget_old_counts(&f.store, at("2026-11-16T11:59:00+01:00")).unwrap(),
            0
        );
        f.clock.set(at("2026-11-16T11:30:00+01:00"));
        f.receive(&complaint(3));
        assert_eq!(
            f.letters_named("ontvangstbevestiging").len(),
            1,
            "the last hour still counts"
        );
        // Two hours on, the counts of 10:00 are gone and the next reply goes.
        let gone = forget_old_counts(&f.store, at("2026-11-16T12:05:00+01:00")).unwrap();
        assert_eq!(gone, kept);
        f.clock.set(at("2026-11-16T12:05:00+01:00"));
        f.receive(&complaint(4));
        assert_eq!(f.letters_named("ontvangstbevestiging").len(), 2);
    }
}
