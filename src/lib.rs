//! klachtd runs an organisation's complaints procedure (klachtenregeling)
//! from its mailbox: it reads the complaints mailbox over IMAP, opens or
//! threads cases in an embedded store, and sends the letters the procedure
//! promises through a durable outbox.
//!
//! The pipeline (DESIGN.md): [`watcher`] → [`journal`] → [`processor`] →
//! [`case`] + [`outbox`] → SMTP, driven by [`daemon`].

#![warn(missing_docs)]

pub mod address;
pub mod anonymise;
pub mod automated;
pub mod case;
pub mod chart;
pub mod classify;
pub mod clock;
pub mod command;
pub mod config;
pub mod daemon;
pub mod deadline;
pub mod inbound;
pub mod journal;
pub mod letter;
pub mod outbox;
pub mod periodic;
pub mod policy;
pub mod privacy;
pub mod processor;
pub mod report;
pub mod scheduler;
pub mod staff;
pub mod store;
pub mod text;
pub mod tls;
pub mod token;
pub mod watcher;
