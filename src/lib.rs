//! klachtd runs an organisation's complaints procedure (klachtenregeling)
//! from its mailbox: it reads the complaints mailbox over IMAP, opens or
//! threads cases in an embedded store, and sends the letters the procedure
//! promises through a durable outbox.
//!
//! The layout follows the data (docs/design.md): [`intake`] (IMAP, journal,
//! parsing, classification) → [`cases`] (the case, its events, threading,
//! the policy) → [`procedure`] (the decisions: processing, staff commands,
//! timers, scheduled mails) → [`letters`] (templates, outbox, SMTP);
//! [`reports`] and [`privacy`] read the store; [`daemon`] wires it all.

#![warn(missing_docs)]

pub mod address;
pub mod anonymise;
pub mod cases;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod deadline;
pub mod intake;
pub mod letters;
pub mod privacy;
pub mod problem;
pub mod procedure;
pub mod reports;
pub mod store;
pub mod text;
pub mod tls;
