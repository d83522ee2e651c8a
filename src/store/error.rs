//! The errors of the store, in words that say what to do.

use std::path::PathBuf;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage engine failed (disk, I/O).
    #[error("store at {path}: {what}")]
    Engine {
        /// The store directory.
        path: PathBuf,
        /// What failed, in words.
        what: String,
    },
    /// Another process (a running daemon) holds the store.
    #[error("the store at {path} is in use by another klachtd process (the running daemon?); stop it, run this command, and start it again")]
    InUse {
        /// The store directory.
        path: PathBuf,
    },
    /// A stored value does not decode.
    #[error("store value in {tree} at {key:?} does not decode: {source}; the store may be from a newer klachtd")]
    Decode {
        /// The tree.
        tree: &'static str,
        /// The key, lossily printed.
        key: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The system's random source failed (the store's key cannot be made).
    #[error("the system's random source is unavailable, so klachtd cannot create the key that signs its tokens; check /dev/urandom")]
    Random,
    /// An import file or target is unusable; the message says why.
    #[error("{0}")]
    Import(String),
    /// A precondition of a batch no longer holds (another writer was first).
    #[error("conflict: {0} changed concurrently")]
    Conflict(String),
    /// A transaction met a conflict on every one of its attempts.
    #[error("store: {what} changed concurrently {attempts} times in a row; nothing was written, the next cycle tries again")]
    Contended {
        /// What kept changing.
        what: String,
        /// How often it was tried.
        attempts: u32,
    },
    /// The store cannot be read consistently, or holds fewer changes than
    /// were written to it (damaged data, or a copy put back).
    #[error("the store at {path} is damaged ({why}); stop klachtd, move that folder aside and restore the store: `klachtd import` from the last `klachtd export`, or put back the last backup of the folder; then start klachtd again")]
    Damaged {
        /// The store directory.
        path: PathBuf,
        /// What was found.
        why: String,
    },
    /// The store refused writes for longer than `store.stalled_exit_secs`.
    #[error("the store at {path} has refused writes for {secs} s ({cause}); klachtd exits so that the service manager starts it again once there is space (free disk space first); mail stays on the server meanwhile")]
    Stalled {
        /// The store directory.
        path: PathBuf,
        /// How long it was retried.
        secs: u64,
        /// The last error.
        cause: String,
    },
    /// The store is being reopened after a write failure.
    #[error(
        "the store at {path} is being reopened after a write failure; the next round tries again"
    )]
    Reopening {
        /// The store directory.
        path: PathBuf,
    },
    /// The store directory could not be prepared.
    #[error("cannot prepare store directory {path}: {source}; check the path and its permissions")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
