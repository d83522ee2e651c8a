//! Threading: which case a message belongs to, in the order of
//! docs/design.md ("Threading"): our signed Message-IDs in
//! In-Reply-To/References (and the complainant's own earlier ids, through
//! the thread index), the signed reply plus-address, the subject tag from a
//! known participant, and — for clients that drop In-Reply-To and truncate
//! the subject — the sender's open cases whose letters' subject it starts.
//! The thread index (Message-ID → case) is written here and nowhere else.

use crate::address;
use crate::cases::case::Case;
use crate::cases::id::CaseId;
use crate::cases::lookup;
use crate::cases::token::Signer;
use crate::intake::inbound::Inbound;
use crate::store::{Batch, Store, StoreError, Tree};

/// Adds to `batch` that mail with `message_id` belongs to `case`.
pub fn index(batch: &mut Batch, message_id: &str, case: CaseId) {
    batch.put_raw(
        Tree::Threads,
        message_id.as_bytes(),
        case.to_string().into_bytes(),
    );
}

/// The case a Message-ID was indexed for.
fn indexed(store: &Store, message_id: &str) -> Result<Option<CaseId>, StoreError> {
    Ok(store
        .get_raw(Tree::Threads, message_id.as_bytes())?
        .and_then(|v| String::from_utf8(v).ok()?.parse::<CaseId>().ok()))
}

/// The case `m` belongs to, if any (see the module header for the order).
/// `complaints` is the complaints address, whose plus-addresses carry
/// signed reply tokens.
pub fn find(
    store: &Store,
    signer: &Signer,
    complaints: &str,
    m: &Inbound,
) -> Result<Option<Case>, StoreError> {
    for id in m.referenced_ids() {
        let cid = match signer.case_of_message_id(id) {
            Some(c) => Some(c),
            None => indexed(store, id)?,
        };
        if let Some(cid) = cid {
            if let Some(c) = live_case(store, cid)? {
                return Ok(Some(c));
            }
        }
    }
    for r in m.recipients() {
        if let Some(detail) = address::plus_detail(r, complaints) {
            if let Some(cid) = signer.verify_reply_detail(detail) {
                if let Some(c) = live_case(store, cid)? {
                    return Ok(Some(c));
                }
            }
        }
    }
    let Some(from) = &m.from else {
        return Ok(None);
    };
    if let Some(cid) = CaseId::find_in(&m.subject) {
        if let Some(c) = live_case(store, cid)? {
            let from = address::normalize(from);
            if c.participants.iter().any(|p| address::normalize(p) == from) {
                return Ok(Some(c));
            }
        }
        // A case number from a stranger proves nothing: fall through.
    }
    by_truncated_subject(store, from, &m.subject)
}

/// A reply whose client dropped In-Reply-To and truncated the subject (tag
/// and all): the sender's own open cases whose letters' subject it starts.
fn by_truncated_subject(
    store: &Store,
    from: &str,
    subject: &str,
) -> Result<Option<Case>, StoreError> {
    let base = base_subject(subject);
    if base.chars().count() < 12 || !is_reply_subject(subject) {
        return Ok(None);
    }
    for c in lookup::of_complainant(store, from)? {
        if c.state.is_closed() {
            continue;
        }
        let matches = std::iter::once(&c.subject)
            .chain(&c.thread_subjects)
            .map(|s| base_subject(s))
            .any(|s| s == base || s.starts_with(&base));
        if matches {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// A case that mail may still thread to: an anonymised case has nobody to
/// write to, so a later message from the person starts afresh.
fn live_case(store: &Store, id: CaseId) -> Result<Option<Case>, StoreError> {
    Ok(lookup::load(store, id)?.filter(|c| !c.anonymised))
}

/// Whether a subject carries a reply or forward prefix.
fn is_reply_subject(subject: &str) -> bool {
    base_subject(subject)
        != subject
            .trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
}

/// A subject without reply/forward prefixes (`Re:`, `Antw:`, `AW:`, `Fwd:`,
/// `Doorst:`, `WG:`, `TR:`, `SV:`, `Re[2]:`), folded to lower case and single
/// spaces, without a trailing ellipsis.
pub fn base_subject(subject: &str) -> String {
    let mut s = subject.trim().to_lowercase();
    loop {
        let before = s.clone();
        for p in [
            "re", "antw", "aw", "fw", "fwd", "doorst", "wg", "tr", "sv", "vs", "ant", "r",
        ] {
            if let Some(rest) = s.strip_prefix(p) {
                let rest = rest.trim_start();
                // Optional counter: Re[2]: / Re(2):
                let rest = if rest.starts_with(['[', '(']) {
                    rest.find([']', ')'])
                        .map(|i| &rest[i + 1..])
                        .unwrap_or(rest)
                } else {
                    rest
                };
                if let Some(rest) = rest.trim_start().strip_prefix(':') {
                    s = rest.trim_start().to_string();
                }
            }
        }
        if s == before {
            break;
        }
    }
    let s = s.trim_end_matches(['.', '…', ' ']);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_subjects_fold_prefixes_and_ellipses() {
        assert_eq!(
            base_subject("Re: Antw: AW: Fwd: Doorst: WG: Uw klacht"),
            "uw klacht"
        );
        assert_eq!(base_subject("RE[2]:  Uw   klacht…"), "uw klacht");
        assert_eq!(base_subject("Reparatie dak"), "reparatie dak");
    }
}
