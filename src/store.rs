//! The embedded store (sled): named trees, typed JSON values, and atomic
//! commits of a [`Batch`] with optimistic preconditions. Every commit is
//! flushed before it returns, so whatever the caller does next (moving a
//! message on the server, sending a mail) happens after the state is durable.
//! [`Store::transact`] is the one way to run an optimistic transaction: it
//! decides again when another writer was first, a bounded number of times.
//!
//! This is the narrow repository interface of docs/design.md: a server
//! database could stand in for it by implementing `get`, `scan_prefix` and
//! `commit`.

use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::path::{Path, PathBuf};

/// The trees of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tree {
    /// Small facts: key material, counters, mailbox sync state.
    Meta,
    /// Journal entries (metadata) by journal id.
    Journal,
    /// Raw message bytes by journal id.
    Raw,
    /// Journal ids still to be processed.
    Pending,
    /// Journal ids that failed processing (dead letters).
    Dead,
    /// Case snapshots by case id.
    Cases,
    /// Case events by `case id \0 seq`.
    Events,
    /// Message-ID (ours and theirs) → case id, for threading.
    Threads,
    /// Outbox items by outbox id.
    Outbox,
    /// Outgoing raw messages by outbox id.
    OutboxRaw,
    /// Outbox ids not yet finished (queued, sending).
    OutboxQueue,
    /// Outgoing Message-ID → outbox id (witness copies, bounces).
    OutboxByMessageId,
    /// `complainant address \0 case key` → (), to find a person's cases.
    ByComplainant,
    /// Timers: `due time (µs, big-endian) ‖ case key ‖ name` → timer.
    Due,
}

impl Tree {
    const ALL: [Tree; 14] = [
        Tree::Meta,
        Tree::Journal,
        Tree::Raw,
        Tree::Pending,
        Tree::Dead,
        Tree::Cases,
        Tree::Events,
        Tree::Threads,
        Tree::Outbox,
        Tree::OutboxRaw,
        Tree::OutboxQueue,
        Tree::OutboxByMessageId,
        Tree::ByComplainant,
        Tree::Due,
    ];

    fn name(self) -> &'static str {
        match self {
            Tree::Meta => "meta",
            Tree::Journal => "journal",
            Tree::Raw => "raw",
            Tree::Pending => "pending",
            Tree::Dead => "dead",
            Tree::Cases => "cases",
            Tree::Events => "events",
            Tree::Threads => "threads",
            Tree::Outbox => "outbox",
            Tree::OutboxRaw => "outbox_raw",
            Tree::OutboxQueue => "outbox_queue",
            Tree::OutboxByMessageId => "outbox_by_message_id",
            Tree::ByComplainant => "by_complainant",
            Tree::Due => "due",
        }
    }

    fn index(self) -> usize {
        Tree::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (disk, corruption).
    #[error("store at {path}: {source}")]
    Sled {
        /// The store directory.
        path: PathBuf,
        /// The sled error.
        source: sled::Error,
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

/// Opens the sled database in `dir` with every tree.
/// sled's page cache (its default is 1 GiB, which the resident set then
/// grows towards as the store grows).
const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// zstd level of the store's pages (sled's default; higher levels gain
/// little on mail and letters and cost the writer).
const COMPRESSION_LEVEL: i32 = 5;

/// Whether the store's pages are compressed: a new store is; a store made
/// by a klachtd before compression keeps its format, since sled cannot
/// change it across restarts (`export` and `import` into a new folder
/// converts it).
fn compressed(db_dir: &Path) -> bool {
    match std::fs::read(db_dir.join("conf")) {
        Ok(conf) => !String::from_utf8_lossy(&conf).contains("use_compression: false"),
        Err(_) => true,
    }
}

fn open_sled(dir: &Path) -> Result<Sled, StoreError> {
    let sled_err = |source| sled_error(dir, source);
    let db_dir = dir.join("db");
    let db = sled::Config::new()
        .use_compression(compressed(&db_dir))
        .compression_factor(COMPRESSION_LEVEL)
        .path(db_dir)
        .cache_capacity(CACHE_BYTES)
        .mode(sled::Mode::HighThroughput)
        .open()
        .map_err(|e| match &e {
            sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                StoreError::InUse {
                    path: dir.to_path_buf(),
                }
            }
            _ => sled_err(e),
        })?;
    let trees = Tree::ALL
        .iter()
        .map(|t| db.open_tree(t.name()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(sled_err)?;
    Ok(Sled { db, trees })
}

/// A sled error, with corruption named as damage.
fn sled_error(path: &Path, source: sled::Error) -> StoreError {
    match source {
        sled::Error::Corruption { at, .. } => StoreError::Damaged {
            path: path.to_path_buf(),
            why: match at {
                Some(at) => format!("corrupted data at {at:?}"),
                None => "corrupted data".into(),
            },
        },
        sled::Error::ReportableBug(what) => StoreError::Damaged {
            path: path.to_path_buf(),
            why: what,
        },
        source => StoreError::Sled {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// The key in `Meta` counting commits, and the marker file beside the store.
const COMMITS_KEY: &[u8] = b"commits";
const COMMITS_FILE: &str = "commits";

fn u64_of(v: &[u8]) -> u64 {
    v.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

/// How often [`Store::transact`] decides before it gives up.
pub const TRANSACT_ATTEMPTS: u32 = 20;

/// Lowercase hex of bytes, as journal ids and tokens are written.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored `(key, value)` pair.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Stored bytes read as a type and written again (see [`Batch::expect_value`]).
type Normalise = fn(&[u8]) -> Option<Vec<u8>>;

/// A precondition of a batch: `key` in `tree` holds `value`.
#[derive(Debug, Clone)]
struct Expect {
    tree: Tree,
    key: Vec<u8>,
    value: Option<Vec<u8>>,
    /// Reads stored bytes as the expected value's type and writes them
    /// again, so that bytes of an older release compare by meaning.
    normalise: Option<Normalise>,
}

impl Expect {
    /// Whether `actual` (the stored bytes) meets the expectation.
    fn holds(&self, actual: Option<&[u8]>) -> bool {
        match (actual, self.value.as_deref()) {
            (a, e) if a == e => true,
            (Some(a), Some(e)) => self.normalise.and_then(|n| n(a)).as_deref() == Some(e),
            _ => false,
        }
    }
}

/// `bytes` read as a `T` and written again.
fn normalise<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Option<Vec<u8>> {
    let value: T = serde_json::from_slice(bytes).ok()?;
    serde_json::to_vec(&value).ok()
}

/// A set of writes applied atomically, guarded by expectations.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    expects: Vec<Expect>,
    writes: Vec<(Tree, Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }
    /// Requires that `key` in `tree` still holds `value` (`None`: absent).
    pub fn expect(&mut self, tree: Tree, key: impl Into<Vec<u8>>, value: Option<Vec<u8>>) {
        self.expects.push(Expect {
            tree,
            key: key.into(),
            value,
            normalise: None,
        });
    }
    /// Requires that `key` in `tree` still holds `value`, as read: the
    /// stored JSON, read as a `T` and written again, must equal `value`
    /// written. A value stored by an older release (a field it did not
    /// know yet) therefore still matches what was read from it.
    pub fn expect_value<T: Serialize + DeserializeOwned>(
        &mut self,
        tree: Tree,
        key: impl Into<Vec<u8>>,
        value: &T,
    ) {
        self.expects.push(Expect {
            tree,
            key: key.into(),
            value: Some(serde_json::to_vec(value).unwrap_or_default()),
            normalise: Some(normalise::<T>),
        });
    }
    /// Writes raw bytes.
    pub fn put_raw(&mut self, tree: Tree, key: impl Into<Vec<u8>>, value: Vec<u8>) {
        self.writes.push((tree, key.into(), Some(value)));
    }
    /// Writes a value as JSON.
    pub fn put<T: Serialize>(&mut self, tree: Tree, key: impl Into<Vec<u8>>, value: &T) {
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        self.put_raw(tree, key, bytes);
    }
    /// Removes a key.
    pub fn remove(&mut self, tree: Tree, key: impl Into<Vec<u8>>) {
        self.writes.push((tree, key.into(), None));
    }
    /// Whether the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
    /// Appends another batch's expectations and writes.
    pub fn extend(&mut self, other: Batch) {
        self.expects.extend(other.expects);
        self.writes.extend(other.writes);
    }
}

/// The store.
#[derive(Clone)]
pub struct Store {
    /// The open sled database; `None` for a moment while it is reopened.
    /// (Shared by clones: a reopen is seen by every holder.)
    sled: std::sync::Arc<std::sync::RwLock<Option<std::sync::Arc<Sled>>>>,
    path: PathBuf,
}

/// One open sled database with its trees.
struct Sled {
    db: sled::Db,
    trees: Vec<sled::Tree>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating owner-only) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let dir_err = |source| StoreError::Dir {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(dir_err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(dir_err)?;
        }
        let store = Store {
            sled: std::sync::Arc::new(std::sync::RwLock::new(Some(std::sync::Arc::new(
                open_sled(dir)?,
            )))),
            path: dir.to_path_buf(),
        };
        if store.get_raw(Tree::Meta, IMPORT_MARK)?.is_some() {
            return Err(StoreError::Damaged {
                path: dir.to_path_buf(),
                why: "an import into it did not finish".into(),
            });
        }
        if let (held, Some(written)) = store.commits()? {
            if held < written {
                return Err(StoreError::Damaged {
                    path: dir.to_path_buf(),
                    why: format!(
                        "it holds {held} changes but {written} were written; the newest were lost"
                    ),
                });
            }
        }
        Ok(store)
    }

    /// Reads the work lists the daemon starts from (messages to process,
    /// dead letters, letters to send) and the first record of every tree,
    /// so that a damaged store is found at start, not halfway through a
    /// decision. The rest is read when needed: reading it all would page the
    /// whole store into memory, and sled checks each page as it reads it.
    pub fn verify(&self) -> Result<u64, StoreError> {
        let mut n = 0;
        for t in Tree::ALL {
            let whole = matches!(t, Tree::Pending | Tree::Dead | Tree::OutboxQueue);
            let take = if whole { usize::MAX } else { 1 };
            for item in self.tree(t)?.iter().take(take) {
                item.map_err(|e| self.sled_err(e))?;
                n += 1;
            }
        }
        Ok(n)
    }

    fn sled_err(&self, source: sled::Error) -> StoreError {
        sled_error(&self.path, source)
    }

    /// The number of commits the store holds, and the number the marker
    /// file beside it says were written (`None` for a store without one).
    pub(crate) fn commits(&self) -> Result<(u64, Option<u64>), StoreError> {
        let held = self.held_commits()?;
        let written = std::fs::read_to_string(self.path.join(COMMITS_FILE))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        Ok((held, written))
    }

    /// How many commits the store holds.
    fn held_commits(&self) -> Result<u64, StoreError> {
        Ok(self
            .tree(Tree::Meta)?
            .get(COMMITS_KEY)
            .map_err(|e| self.sled_err(e))?
            .map(|v| u64_of(&v))
            .unwrap_or(0))
    }

    /// Records outside sled how many commits were flushed (not synced: a
    /// marker behind the store is harmless, one ahead of it is damage).
    fn mark_commits(&self, n: u64) {
        let tmp = self.path.join(format!("{COMMITS_FILE}.tmp"));
        if std::fs::write(&tmp, n.to_string()).is_ok() {
            let _ = std::fs::rename(&tmp, self.path.join(COMMITS_FILE));
        }
    }

    /// The open database (an error while it is being reopened).
    fn sled(&self) -> Result<std::sync::Arc<Sled>, StoreError> {
        let guard = self.sled.read().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or_else(|| StoreError::Reopening {
            path: self.path.clone(),
        })
    }

    /// Closes and opens the database again: after an I/O error (a full
    /// disk) sled takes no more writes in this process, a fresh open does
    /// once there is space. Waits (a few seconds at most) for operations
    /// still holding the old one.
    pub fn reopen(&self) -> Result<(), StoreError> {
        let mut guard = self.sled.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = guard.take() {
            let mut old = old;
            for _ in 0..100 {
                match std::sync::Arc::try_unwrap(old) {
                    Ok(last) => {
                        drop(last);
                        break;
                    }
                    Err(shared) => {
                        old = shared;
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                }
            }
        }
        let fresh = open_sled(&self.path)?;
        *guard = Some(std::sync::Arc::new(fresh));
        Ok(())
    }

    fn tree(&self, t: Tree) -> Result<sled::Tree, StoreError> {
        Ok(self.sled()?.trees[t.index()].clone())
    }

    /// Raw bytes at `key`.
    pub fn get_raw(&self, t: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree(t)?
            .get(key)
            .map_err(|e| self.sled_err(e))?
            .map(|v| v.to_vec()))
    }

    /// A JSON value at `key`.
    pub fn get<T: DeserializeOwned>(&self, t: Tree, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.get_raw(t, key)? {
            None => Ok(None),
            Some(bytes) => decode(t, key, &bytes).map(Some),
        }
    }

    /// Every `(key, value)` under a prefix, in key order.
    pub fn scan_raw(&self, t: Tree, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        self.tree(t)?
            .scan_prefix(prefix)
            .map(|r| {
                r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(|e| self.sled_err(e))
            })
            .collect()
    }

    /// Every `(key, value)` with a key below `end`, in key order (a due index
    /// read up to "now" without touching what lies beyond).
    pub fn scan_below(&self, t: Tree, end: &[u8]) -> Result<Vec<Entry>, StoreError> {
        self.tree(t)?
            .range(..end)
            .map(|r| {
                r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(|e| self.sled_err(e))
            })
            .collect()
    }

    /// Every JSON value under a prefix, in key order.
    pub fn scan<T: DeserializeOwned>(&self, t: Tree, prefix: &[u8]) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.each(t, prefix, |v| {
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` with every JSON value under a prefix, in key order, one at
    /// a time: a report over every case holds one case, not the store.
    pub fn each<T: DeserializeOwned>(
        &self,
        t: Tree,
        prefix: &[u8],
        mut f: impl FnMut(T) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for item in self.tree(t)?.scan_prefix(prefix) {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            f(decode(t, &k, &v)?)?;
        }
        Ok(())
    }

    /// Keys under a prefix.
    pub fn keys(&self, t: Tree, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        self.tree(t)?
            .scan_prefix(prefix)
            .keys()
            .map(|r| r.map(|k| k.to_vec()).map_err(|e| self.sled_err(e)))
            .collect()
    }

    /// The values in `data` of every key of the index `index` (a key with
    /// no value in `data` is passed over), in key order.
    pub fn indexed<T: DeserializeOwned>(
        &self,
        index: Tree,
        data: Tree,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for key in self.keys(index, b"")? {
            if let Some(v) = self.get::<T>(data, &key)? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Runs one optimistic transaction: `decide` reads what it needs and
    /// returns the batch to commit (with its preconditions) and a result.
    /// When another writer changed what it read, it decides again, at most
    /// [`TRANSACT_ATTEMPTS`] times; then [`StoreError::Contended`].
    pub fn transact<T, E>(
        &self,
        decide: impl FnMut(&Store) -> Result<(Batch, T), E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.transact_with(decide, Store::commit)
    }

    /// [`Store::transact`] without the flush: for a run of decisions that
    /// ends in [`Store::flush`] before anything is told outside (a crash
    /// before it loses those decisions, never what they caused, since every
    /// letter is sent after a flushing commit of its own).
    pub fn transact_unflushed<T, E>(
        &self,
        decide: impl FnMut(&Store) -> Result<(Batch, T), E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.transact_with(decide, |s, b| s.apply(b).map(|_| ()))
    }

    fn transact_with<T, E>(
        &self,
        mut decide: impl FnMut(&Store) -> Result<(Batch, T), E>,
        commit: impl Fn(&Store, &Batch) -> Result<(), StoreError>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (batch, value) = decide(self)?;
            match commit(self, &batch) {
                Ok(()) => return Ok(value),
                Err(StoreError::Conflict(what)) if attempt < TRANSACT_ATTEMPTS => {
                    tracing::debug!(%what, attempt, "store conflict; deciding again");
                    std::thread::yield_now();
                }
                Err(StoreError::Conflict(what)) => {
                    return Err(StoreError::Contended {
                        what,
                        attempts: attempt,
                    }
                    .into())
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Applies a batch atomically (all or nothing) and flushes it to disk.
    /// A batch without writes commits nothing (its preconditions guard
    /// nothing).
    pub fn commit(&self, batch: &Batch) -> Result<(), StoreError> {
        if let Some(n) = self.apply(batch)? {
            self.sled()?.db.flush().map_err(|e| self.sled_err(e))?;
            self.mark_commits(n);
        }
        Ok(())
    }

    /// Applies a batch atomically without flushing; returns its commit
    /// number (`None`: nothing to write).
    fn apply(&self, batch: &Batch) -> Result<Option<u64>, StoreError> {
        if batch.writes.is_empty() {
            return Ok(None);
        }
        let sled = self.sled()?;
        let trees: Vec<&sled::Tree> = sled.trees.iter().collect();
        let result = trees.as_slice().transaction(|tx| {
            for x in &batch.expects {
                let actual = tx[x.tree.index()].get(&x.key)?;
                if !x.holds(actual.as_deref()) {
                    return Err(ConflictableTransactionError::Abort(format!(
                        "{}/{}",
                        x.tree.name(),
                        String::from_utf8_lossy(&x.key)
                    )));
                }
            }
            for (t, key, value) in &batch.writes {
                match value {
                    Some(v) => {
                        tx[t.index()].insert(key.as_slice(), v.as_slice())?;
                    }
                    None => {
                        tx[t.index()].remove(key.as_slice())?;
                    }
                }
            }
            let meta = &tx[Tree::Meta.index()];
            let n = meta.get(COMMITS_KEY)?.map(|v| u64_of(&v)).unwrap_or(0) + 1;
            meta.insert(COMMITS_KEY, &n.to_be_bytes())?;
            Ok(n)
        });
        match result {
            Ok(n) => Ok(Some(n)),
            Err(TransactionError::Abort(what)) => Err(StoreError::Conflict(what)),
            Err(TransactionError::Storage(e)) => Err(self.sled_err(e)),
        }
    }

    /// Flushes everything written so far to disk (and marks the commits it
    /// made durable).
    pub fn flush(&self) -> Result<(), StoreError> {
        // Counted before the flush: every commit up to here is in it.
        let n = self.held_commits()?;
        self.sled()?.db.flush().map_err(|e| self.sled_err(e))?;
        self.mark_commits(n);
        Ok(())
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number larger than every one this store handed out before (sled's
    /// id generator: cheap, monotonic across restarts).
    pub fn next_sequence(&self) -> Result<u64, StoreError> {
        self.sled()?.db.generate_id().map_err(|e| self.sled_err(e))
    }

    /// Atomically increments a counter in `Meta` and returns the new value.
    pub fn next_counter(&self, key: &str) -> Result<u64, StoreError> {
        let tree = self.tree(Tree::Meta)?;
        let new = tree
            .update_and_fetch(key.as_bytes(), |old| {
                let n = old
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(0);
                Some((n + 1).to_be_bytes().to_vec())
            })
            .map_err(|e| self.sled_err(e))?;
        self.flush()?;
        Ok(new
            .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(1))
    }
}

/// One line of an export: a tree, a key and a value (base64).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Line {
    tree: String,
    key: String,
    value: String,
}

impl Store {
    /// Writes every tree as JSON Lines (`{"tree","key","value"}`, key and
    /// value base64), in tree and key order. Returns the number of entries.
    /// The export holds personal data and the token key: keep it private.
    pub fn export(&self, out: &mut impl std::io::Write) -> Result<u64, StoreError> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut n = 0;
        for t in Tree::ALL {
            // One entry at a time: an export of a large store does not sit
            // in memory.
            for item in self.tree(t)?.iter() {
                let (k, v) = item.map_err(|e| self.sled_err(e))?;
                // The commit count belongs to this store's files, not its data.
                if t == Tree::Meta && &k[..] == COMMITS_KEY {
                    continue;
                }
                let line = Line {
                    tree: t.name().to_string(),
                    key: b64.encode(&k),
                    value: b64.encode(&v),
                };
                let text = serde_json::to_string(&line).unwrap_or_default();
                writeln!(out, "{text}").map_err(|source| StoreError::Dir {
                    path: self.path.clone(),
                    source,
                })?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Restores an export into this store, which must be empty. A bad line
    /// aborts before anything is written: `open` gives the export twice,
    /// once to read every line and once to write it, in commits of a few
    /// megabytes (one commit of a large store would hold all of it in
    /// memory several times over). Until the last commit the store carries
    /// a mark, and a store whose import did not finish is refused at open.
    pub fn import<R: std::io::BufRead>(
        &self,
        mut open: impl FnMut() -> std::io::Result<R>,
    ) -> Result<u64, StoreError> {
        for t in Tree::ALL {
            if self.tree(t)?.iter().next().is_some() {
                return Err(StoreError::Import(format!(
                    "the store is not empty (tree {}); import into a new store directory",
                    t.name()
                )));
            }
        }
        let io = |source| StoreError::Dir {
            path: self.path.clone(),
            source,
        };
        each_line(open().map_err(io)?, |_, _, _| Ok(()))?;
        let mut batch = Batch::new();
        batch.put_raw(Tree::Meta, IMPORT_MARK, Vec::new());
        self.commit(&batch)?;
        let mut batch = Batch::new();
        let mut bytes = 0;
        let n = each_line(open().map_err(io)?, |tree, key, value| {
            bytes += key.len() + value.len();
            batch.put_raw(tree, key, value);
            if bytes >= IMPORT_COMMIT_BYTES {
                self.commit(&std::mem::take(&mut batch))?;
                bytes = 0;
            }
            Ok(())
        })?;
        batch.remove(Tree::Meta, IMPORT_MARK);
        self.commit(&batch)?;
        Ok(n)
    }
}

/// The mark of an import still under way (in `Meta`).
const IMPORT_MARK: &[u8] = b"import/unfinished";
/// How many bytes an import writes per commit.
const IMPORT_COMMIT_BYTES: usize = 4 << 20;

/// Reads an export line by line, passing each entry to `f`; returns how
/// many there were. The commit count and an import mark are not data and
/// are passed over.
fn each_line(
    input: impl std::io::BufRead,
    mut f: impl FnMut(Tree, Vec<u8>, Vec<u8>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let bad = |n: usize, what: String| StoreError::Import(format!("import line {n}: {what}"));
    let mut n = 0;
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(|e| bad(i + 1, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line).map_err(|e| bad(i + 1, e.to_string()))?;
        let tree = Tree::ALL
            .iter()
            .copied()
            .find(|t| t.name() == l.tree)
            .ok_or_else(|| bad(i + 1, format!("unknown tree '{}'", l.tree)))?;
        let key = b64.decode(&l.key).map_err(|e| bad(i + 1, e.to_string()))?;
        let value = b64
            .decode(&l.value)
            .map_err(|e| bad(i + 1, e.to_string()))?;
        if tree == Tree::Meta && (key == COMMITS_KEY || key == IMPORT_MARK) {
            continue;
        }
        f(tree, key, value)?;
        n += 1;
    }
    Ok(n)
}

pub(crate) fn decode<T: DeserializeOwned>(
    t: Tree,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Decode {
        tree: t.name(),
        key: String::from_utf8_lossy(key).into_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_in_use_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let _daemon = Store::open(dir.path()).unwrap();
        let Err(err) = Store::open(dir.path()) else {
            panic!("the second open must fail");
        };
        assert!(matches!(err, StoreError::InUse { .. }), "{err}");
        assert!(err.to_string().contains("stop it"), "{err}");
    }

    #[test]
    fn batches_are_atomic_and_guarded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut b = Batch::new();
        b.expect(Tree::Meta, "k", None);
        b.put(Tree::Meta, "k", &1u32);
        b.put(Tree::Cases, "c", &"x");
        store.commit(&b).unwrap();
        assert_eq!(store.get::<u32>(Tree::Meta, b"k").unwrap(), Some(1));
        // The same precondition now fails, and nothing of the batch is applied.
        let mut b2 = Batch::new();
        b2.expect(Tree::Meta, "k", None);
        b2.put(Tree::Cases, "d", &"y");
        assert!(matches!(store.commit(&b2), Err(StoreError::Conflict(_))));
        assert_eq!(store.get::<String>(Tree::Cases, b"d").unwrap(), None);
        assert_eq!(store.next_counter("n").unwrap(), 1);
        assert_eq!(store.next_counter("n").unwrap(), 2);
    }

    #[test]
    fn a_value_an_older_release_wrote_still_meets_what_was_read_from_it() {
        #[derive(Serialize, serde::Deserialize)]
        struct Now {
            a: u32,
            #[serde(default)]
            added_later: Vec<u32>,
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut b = Batch::new();
        b.put_raw(Tree::Cases, "c", br#"{"a":1}"#.to_vec());
        store.commit(&b).unwrap();
        let read: Now = store.get(Tree::Cases, b"c").unwrap().unwrap();
        let mut b = Batch::new();
        b.expect_value(Tree::Cases, "c", &read);
        b.put(Tree::Cases, "c", &Now { a: 2, ..read });
        store.commit(&b).unwrap();
        // A real change by another writer still conflicts.
        let stale = Now {
            a: 1,
            added_later: vec![],
        };
        let mut b = Batch::new();
        b.expect_value(Tree::Cases, "c", &stale);
        b.put(Tree::Cases, "c", &stale);
        assert!(matches!(store.commit(&b), Err(StoreError::Conflict(_))));
        assert_eq!(store.get::<Now>(Tree::Cases, b"c").unwrap().unwrap().a, 2);
    }

    #[test]
    fn a_new_store_is_compressed_and_an_old_uncompressed_one_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let conf = String::from_utf8_lossy(&std::fs::read(dir.path().join("db/conf")).unwrap())
            .into_owned();
        assert!(conf.contains("use_compression: true"), "{conf}");
        let old = tempfile::tempdir().unwrap();
        {
            let db = sled::Config::new()
                .path(old.path().join("db"))
                .open()
                .unwrap();
            db.insert("k", "v").unwrap();
            db.flush().unwrap();
        }
        let store = Store::open(old.path()).unwrap();
        let mut b = Batch::new();
        b.put(Tree::Meta, "x", &1u32);
        store.commit(&b).unwrap();
        assert_eq!(store.get::<u32>(Tree::Meta, b"x").unwrap(), Some(1));
    }

    #[test]
    fn an_import_reads_every_line_first_and_writes_in_commits() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let src = Store::open(a.path()).unwrap();
        // More than one commit's worth: 12 MB of raw mail.
        for i in 0..3 {
            let mut batch = Batch::new();
            batch.put_raw(Tree::Raw, format!("r{i}"), vec![b'x'; 4 << 20]);
            src.commit(&batch).unwrap();
        }
        let mut out = Vec::new();
        assert_eq!(src.export(&mut out).unwrap(), 3);
        // A bad last line: nothing is written, not even the mark.
        let mut bad = out.clone();
        bad.extend_from_slice(b"{\"tree\":\"nope\",\"key\":\"\",\"value\":\"\"}\n");
        let dst = Store::open(b.path()).unwrap();
        let err = dst.import(|| Ok(&bad[..])).unwrap_err().to_string();
        assert!(err.contains("line 4") && err.contains("nope"), "{err}");
        for t in Tree::ALL {
            assert!(dst.scan_raw(t, b"").unwrap().is_empty(), "{}", t.name());
        }
        let commits = |s: &Store| s.commits().unwrap().0;
        let before = commits(&dst);
        assert_eq!(dst.import(|| Ok(&out[..])).unwrap(), 3);
        assert!(
            commits(&dst) - before >= 4,
            "mark, two or more chunks, the end"
        );
        assert_eq!(dst.get_raw(Tree::Meta, IMPORT_MARK).unwrap(), None);
        assert_eq!(
            src.scan_raw(Tree::Raw, b"").unwrap(),
            dst.scan_raw(Tree::Raw, b"").unwrap()
        );
    }

    #[test]
    fn a_store_whose_import_did_not_finish_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let mut batch = Batch::new();
            batch.put_raw(Tree::Meta, IMPORT_MARK, Vec::new());
            batch.put(Tree::Cases, "c1", &"half");
            store.commit(&batch).unwrap();
        }
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("import into it did not finish"), "{err}");
        assert!(err.contains("klachtd import"), "{err}");
    }

    #[test]
    fn export_then_import_reproduces_the_store() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let src = Store::open(a.path()).unwrap();
        let mut batch = Batch::new();
        batch.put(Tree::Cases, "c1", &"een zaak");
        batch.put_raw(Tree::Raw, "r1", vec![0, 159, 146, 150, 13, 10]);
        src.commit(&batch).unwrap();
        let mut out = Vec::new();
        assert_eq!(src.export(&mut out).unwrap(), 2);
        let dst = Store::open(b.path()).unwrap();
        let export = || Ok(&out[..]);
        assert_eq!(dst.import(export).unwrap(), 2);
        // The same data; the commit count is each store's own.
        let data = |s: &Store, t: Tree| {
            let mut v = s.scan_raw(t, b"").unwrap();
            v.retain(|(k, _)| k != COMMITS_KEY);
            v
        };
        for t in Tree::ALL {
            assert_eq!(data(&src, t), data(&dst, t), "{}", t.name());
        }
        // Not into a store that holds data.
        assert!(dst.import(export).is_err());
    }
}
