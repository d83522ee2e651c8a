//! Who is there: staff mark themselves away (`#afwezig tot 24-12-2026`) and
//! back (`#terug`). While the coordinator is away, the deputy
//! (`staff.deputy`) takes the coordinator's place: new cases, alerts and
//! escalations go there. Kept in the store's meta tree per address.

use crate::address;
use crate::config::Config;
use crate::procedure::command::Command;
use crate::store::{Batch, Store, StoreError, Tree};
use chrono::NaiveDate;

fn key(addr: &str) -> Vec<u8> {
    format!("staff/away/{}", address::normalize(addr)).into_bytes()
}

/// Until when (inclusive, local date) `addr` is away, if they are on `today`.
pub fn away_until(
    store: &Store,
    addr: &str,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, StoreError> {
    let until: Option<NaiveDate> = store.get(Tree::Meta, &key(addr))?;
    Ok(until.filter(|u| *u >= today))
}

/// Adds to `batch` what the presence commands of a mail from `from` say;
/// returns the command lines it carried out.
pub fn apply(batch: &mut Batch, from: &str, commands: &[(String, Command)]) -> Vec<String> {
    let mut done = Vec::new();
    for (line, cmd) in commands {
        match cmd {
            Command::Afwezig(until) => batch.put(Tree::Meta, key(from), until),
            Command::Terug => batch.remove(Tree::Meta, key(from)),
            _ => continue,
        }
        done.push(line.clone());
    }
    done
}

/// Who acts as coordinator on `today`: the deputy while the coordinator is
/// away (and a deputy is configured), else the coordinator.
pub fn acting_coordinator(
    store: &Store,
    config: &Config,
    today: NaiveDate,
) -> Result<Option<String>, StoreError> {
    let staff = &config.staff;
    if staff.coordinator.is_empty() {
        return Ok(None);
    }
    if !staff.deputy.is_empty() && away_until(store, &staff.coordinator, today)?.is_some() {
        return Ok(Some(staff.deputy.clone()));
    }
    Ok(Some(staff.coordinator.clone()))
}
