//! The case number: `KL-<year>-<4+ digits>`, sequential per year, never
//! reused; its store key, and finding one in a subject line.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A case number: `KL-<year>-<4+ digits>`, sequential per year, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId {
    /// Year of receipt.
    pub year: i32,
    /// Sequence number within the year, from 1.
    pub number: u32,
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KL-{}-{:04}", self.year, self.number)
    }
}

impl FromStr for CaseId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a case number like KL-2026-0042");
        let rest = s
            .strip_prefix("KL-")
            .or_else(|| s.strip_prefix("kl-"))
            .ok_or_else(bad)?;
        let (y, n) = rest.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || n.len() < 4 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(CaseId {
            year: y.parse().map_err(|_| bad())?,
            number: n.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for CaseId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CaseId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl CaseId {
    /// Store key: sortable by year and number.
    pub fn key(&self) -> Vec<u8> {
        format!("{:04}-{:010}", self.year, self.number).into_bytes()
    }
    /// Finds the first `KL-YYYY-NNNN` in a text (a subject, say).
    pub fn find_in(text: &str) -> Option<CaseId> {
        let bytes = text.as_bytes();
        for start in 0..bytes.len() {
            let tail = &bytes[start..];
            // Bytes, not string slices: a `K` before a multi-byte letter
            // must not split it.
            if tail.len() < 12 || !tail[..3].eq_ignore_ascii_case(b"KL-") {
                continue;
            }
            if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                continue;
            }
            let id_end = 8 + tail[8..].iter().take_while(|b| b.is_ascii_digit()).count();
            let Ok(candidate) = std::str::from_utf8(&tail[3..id_end]) else {
                continue;
            };
            if let Ok(id) = CaseId::from_str(&format!("KL-{candidate}")) {
                return Some(id);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_numbers_round_trip_and_are_found_in_subjects() {
        let id: CaseId = "KL-2026-0042".parse().unwrap();
        assert_eq!(id.to_string(), "KL-2026-0042");
        assert_eq!(
            CaseId::find_in("Re: Antw: [KL-2026-0042] Uw klacht"),
            Some(id)
        );
        assert_eq!(
            CaseId::find_in("Re: uw klacht kl-2026-12345 ..."),
            Some(CaseId {
                year: 2026,
                number: 12345
            })
        );
        assert_eq!(CaseId::find_in("XKL-2026-0042"), None);
        assert_eq!(CaseId::find_in("KL-26-1"), None);
        // Found by the fuzzer: a K before a multi-byte letter split it.
        assert_eq!(CaseId::find_in("KLé€€€€€€€€€€"), None);
        assert_eq!(
            CaseId::find_in("Kü€€ klacht KL-2026-0042").map(|c| c.to_string()),
            Some("KL-2026-0042".into())
        );
        assert!("KL-2026-42".parse::<CaseId>().is_err());
        assert_eq!(
            CaseId {
                year: 2026,
                number: 7
            }
            .to_string(),
            "KL-2026-0007"
        );
    }
}
