//! Letters: the templates admins edit, the request for a letter, the
//! durable outbox it is queued in, and sending it over SMTP exactly once.

pub mod outbox;
pub mod request;
pub mod session;
pub mod smtp;
pub mod templates;
