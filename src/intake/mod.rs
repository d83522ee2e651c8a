//! Intake: everything between the mail server and a decision. The IMAP
//! session and its stream, the watcher that journals each new message
//! (flushed) before it moves it on the server, the journal that holds the
//! raw bytes, parsing (`inbound`), automatic-mail detection, the
//! classifier and the corrections staff make to it; and the queue of
//! server copies to delete after an erasure.

pub mod automated;
pub mod classify;
pub mod corrections;
pub mod imap;
pub mod inbound;
pub mod journal;
pub mod server_copies;
pub mod stream;
pub mod watcher;
