//! Reading cases from the store: a case, its history, every case, a
//! person's cases, and the next free case number.

use crate::cases::case::Case;
use crate::cases::event::Event;
use crate::cases::id::CaseId;
use crate::store::{Store, StoreError, Tree};
use chrono::{DateTime, Datelike, Utc};

/// A case's key in the events tree: `case key \0 seq`.
pub(crate) fn event_key(id: CaseId, seq: u32) -> Vec<u8> {
    let mut k = id.key();
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// A case's key in the complainant index: `address \0 case key`.
pub(crate) fn complainant_key(addr: &str, id: CaseId) -> Vec<u8> {
    let mut k = crate::address::normalize(addr).into_bytes();
    k.push(0);
    k.extend(id.key());
    k
}

/// Loads a case snapshot.
pub fn load(store: &Store, id: CaseId) -> Result<Option<Case>, StoreError> {
    store.get(Tree::Cases, &id.key())
}

/// Loads a case's full history.
pub fn events(store: &Store, id: CaseId) -> Result<Vec<Event>, StoreError> {
    let mut prefix = id.key();
    prefix.push(0);
    store.scan(Tree::Events, &prefix)
}

/// Every case, in case-number order.
pub fn all(store: &Store) -> Result<Vec<Case>, StoreError> {
    store.scan(Tree::Cases, b"")
}

/// Calls `f` with every case, in case-number order, one at a time (memory
/// stays flat however many cases the store holds).
pub fn each(
    store: &Store,
    f: impl FnMut(Case) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    store.each(Tree::Cases, b"", f)
}

/// The cases a person complained in, newest first.
pub fn of_complainant(store: &Store, addr: &str) -> Result<Vec<Case>, StoreError> {
    let mut prefix = crate::address::normalize(addr).into_bytes();
    prefix.push(0);
    let mut out = Vec::new();
    for k in store.keys(Tree::ByComplainant, &prefix)?.iter().rev() {
        let key = &k[prefix.len()..];
        if let Some(c) = store.get::<Case>(Tree::Cases, key)? {
            out.push(c);
        }
    }
    Ok(out)
}

/// Meta key of a year's case counter.
pub(crate) fn counter_key(year: i32) -> Vec<u8> {
    format!("case-counter/{year:04}").into_bytes()
}

/// The next free case number of `year`. Numbers come from a per-year counter
/// that only grows, so a number is never reused, even after an erasure; the
/// processor is its only allocator and [`crate::cases::change::Change::open`]'s
/// precondition catches a race.
pub fn next_id(store: &Store, year: i32) -> Result<CaseId, StoreError> {
    let last: u32 = store.get(Tree::Meta, &counter_key(year))?.unwrap_or(0);
    Ok(CaseId {
        year,
        number: last + 1,
    })
}

/// The year a case received at `at` is numbered in (organisation's view is
/// close enough to UTC at New Year for numbering).
pub fn year_of(at: DateTime<Utc>) -> i32 {
    at.year()
}
