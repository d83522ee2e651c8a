//! Cases: the case number, states and events, the case as the fold of its
//! events, changing a case, threading mail to cases, the signed tokens
//! that tie mail to cases, and the policy (terms, steps, letters, scheduled
//! mails) that says what a procedure promises.

pub mod case;
pub mod change;
pub mod event;
pub mod id;
pub mod lookup;
pub mod policy;
pub mod promises;
pub mod schedule;
pub mod state;
pub mod thread;
pub mod token;
