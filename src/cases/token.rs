//! Signed tokens that tie mail to cases: our outgoing Message-IDs and the
//! reply plus-address both carry an HMAC, so only mail that really answers
//! ours threads by them, and a guessed case number lets no one in.
//! The key is generated once per store and never leaves it.

use crate::cases::id::CaseId;
use crate::store::{hex, Batch, Store, StoreError, Tree};
use ring::hmac;

const KEY_NAME: &[u8] = b"hmac-key";

/// Signs and verifies tokens with the store's key.
#[derive(Clone)]
pub struct Signer {
    key: hmac::Key,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

impl Signer {
    /// Loads the store's key, creating it on first use.
    pub fn load_or_create(store: &Store) -> Result<Signer, StoreError> {
        let mut fresh = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut fresh)
            .map_err(|_| StoreError::Random)?;
        store.transact(|store| {
            let mut b = Batch::new();
            // Someone else created it first: use theirs.
            if let Some(k) = store.get_raw(Tree::Meta, KEY_NAME)? {
                return Ok((b, Signer::from_bytes(&k)));
            }
            b.expect(Tree::Meta, KEY_NAME, None);
            b.put_raw(Tree::Meta, KEY_NAME, fresh.to_vec());
            Ok((b, Signer::from_bytes(&fresh)))
        })
    }

    /// A signer from raw key bytes (tests).
    pub fn from_bytes(key: &[u8]) -> Signer {
        Signer {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    fn mac(&self, purpose: &str, payload: &str, len: usize) -> String {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(purpose.as_bytes());
        ctx.update(b"\0");
        ctx.update(payload.as_bytes());
        let tag = ctx.sign();
        hex(&tag.as_ref()[..len])
    }

    fn verify(&self, purpose: &str, payload: &str, mac: &str, len: usize) -> bool {
        mac.len() == len * 2 && {
            let expected = self.mac(purpose, payload, len);
            // Constant-time comparison.
            expected
                .bytes()
                .zip(mac.to_ascii_lowercase().bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        }
    }

    /// Our Message-ID for an outgoing mail (without angle brackets):
    /// `<key>.<mac>@<domain>`, where key names the case and the letter.
    pub fn message_id(&self, key: &str, domain: &str) -> String {
        let key: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '.'
                }
            })
            .collect();
        format!("{key}.{}@{domain}", self.mac("msgid", &key, 10))
    }

    /// Verifies one of our Message-IDs; returns its key when genuine.
    pub fn verify_message_id(&self, message_id: &str) -> Option<String> {
        let mid = message_id.trim().trim_matches(['<', '>']);
        let (local, _domain) = mid.rsplit_once('@')?;
        let (key, mac) = local.rsplit_once('.')?;
        self.verify("msgid", key, mac, 10).then(|| key.to_string())
    }

    /// The case an outgoing Message-ID of ours belongs to, when genuine.
    pub fn case_of_message_id(&self, message_id: &str) -> Option<CaseId> {
        let key = self.verify_message_id(message_id)?;
        let end = key.find('.').unwrap_or(key.len());
        key[..end].parse().ok()
    }

    /// The case's signed reply address (`klachten+KL-2026-0042.<mac>@org.nl`),
    /// or the plain `base` where the plus-address would exceed the 64
    /// characters a local part may have (staff replies then authenticate by
    /// the Message-ID of the mail they answer).
    pub fn reply_address(&self, base: &str, case: CaseId) -> String {
        let addr = crate::address::with_detail(base, &self.reply_detail(case));
        let local_ok = addr.rsplit_once('@').is_some_and(|(l, _)| l.len() <= 64);
        if local_ok && crate::address::is_valid(&addr) {
            addr
        } else {
            base.to_string()
        }
    }

    /// The reply plus-address detail for a case: `KL-2026-0042.<mac>`.
    pub fn reply_detail(&self, case: CaseId) -> String {
        let id = case.to_string();
        format!("{id}.{}", self.mac("reply", &id, 6))
    }

    /// Verifies a plus-address detail; returns the case when genuine.
    pub fn verify_reply_detail(&self, detail: &str) -> Option<CaseId> {
        let (id, mac) = detail.rsplit_once('.')?;
        let case: CaseId = id.parse().ok()?;
        self.verify("reply", &case.to_string(), mac, 6)
            .then_some(case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_verify_and_forgeries_fail() {
        let s = Signer::from_bytes(b"k");
        let mid = s.message_id("KL-2026-0042/ontvangstbevestiging/1", "org.nl");
        assert!(mid.starts_with("KL-2026-0042.ontvangstbevestiging.1."));
        assert_eq!(
            s.case_of_message_id(&format!("<{mid}>")),
            Some("KL-2026-0042".parse().unwrap())
        );
        let forged = mid.replace("0042", "0043");
        assert_eq!(s.case_of_message_id(&forged), None);
        assert_eq!(Signer::from_bytes(b"other").case_of_message_id(&mid), None);
    }

    #[test]
    fn overlong_reply_addresses_fall_back_to_the_plain_address() {
        let s = Signer::from_bytes(b"k");
        let case: CaseId = "KL-2026-0001".parse().unwrap();
        assert!(s
            .reply_address("klachten@org.nl", case)
            .starts_with("klachten+KL-2026-0001."));
        let long = "klachten-van-een-organisatie-met-een-lange-naam@org.nl";
        assert_eq!(s.reply_address(long, case), long);
    }

    #[test]
    fn reply_details_verify() {
        let s = Signer::from_bytes(b"k");
        let case: CaseId = "KL-2026-0001".parse().unwrap();
        let d = s.reply_detail(case);
        assert_eq!(s.verify_reply_detail(&d), Some(case));
        assert_eq!(s.verify_reply_detail("KL-2026-0001.000000000000"), None);
        assert_eq!(s.verify_reply_detail("KL-2026-0001"), None);
    }
}
