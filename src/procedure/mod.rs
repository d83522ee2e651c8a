//! The procedure: the decisions. Processing journalled messages (open or
//! thread a case, answer, relay), staff mail and its commands, the timers
//! of terms and the scheduled mails. Each decision is a function of
//! (store, [`context::Context`], message) and is committed as one store
//! transaction together with the letters it queues.

pub mod assign;
pub mod bounce;
pub mod command;
pub mod context;
pub mod conversation;
pub mod form;
pub mod handling;
pub mod open;
pub mod outcome;
pub mod periodic;
pub mod post;
pub mod presence;
pub mod processor;
pub mod record;
pub mod reply;
pub mod requests;
pub mod staff;
#[cfg(test)]
pub(crate) mod testing;
pub mod timers;
pub mod vars;
