//! The embedded store: named trees, typed JSON values, and atomic
//! commits of a [`Batch`] with optimistic preconditions. Every commit is
//! flushed before it returns, so whatever the caller does next (moving a
//! message on the server, sending a mail) happens after the state is durable.
//! [`Store::transact`] is the one way to run an optimistic transaction: it
//! decides again when another writer was first, a bounded number of times.
//!
//! This is the narrow repository interface of docs/design.md: a server
//! database could stand in for it by implementing `get`, `scan_prefix` and
//! `commit`. The engine itself (fjall) lives in [`engine`]; a store of an
//! earlier klachtd (sled) is converted at its first open ([`convert`]).

mod convert;
mod engine;
mod error;
mod tree;

pub use error::StoreError;
pub use tree::Tree;

use engine::{engine_error, u64_of, Db};
use serde::{de::DeserializeOwned, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The folder an earlier klachtd's store (sled) was moved to when this one
/// converted it, while it is still there: kept for the admin to remove
/// once the converted store has shown its cases.
pub fn kept_after_conversion(dir: &Path) -> Option<PathBuf> {
    let kept = dir.join(convert::KEPT_DIR);
    kept.is_dir().then_some(kept)
}

/// The key in `Meta` counting commits, and the marker file beside the store.
const COMMITS_KEY: &[u8] = b"commits";
const COMMITS_FILE: &str = "commits";

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
    /// The open engine; `None` for a moment while it is reopened.
    /// (Shared by clones: a reopen is seen by every holder.)
    db: Arc<RwLock<Option<Arc<Db>>>>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating owner-only) the store in `dir`; a store of an
    /// earlier klachtd is converted first (once).
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
        let lock = engine::lock(dir)?;
        convert::sled_if_needed(dir)?;
        let store = Store {
            db: Arc::new(RwLock::new(Some(Arc::new(Db::open(dir, lock)?)))),
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
    /// whole store into memory.
    pub fn verify(&self) -> Result<u64, StoreError> {
        let db = self.db()?;
        let mut n = 0;
        for t in Tree::ALL {
            let whole = matches!(t, Tree::Pending | Tree::Dead | Tree::OutboxQueue);
            let take = if whole { usize::MAX } else { 1 };
            for item in db.part(t).iter().take(take) {
                item.map_err(|e| self.err(e))?;
                n += 1;
            }
        }
        Ok(n)
    }

    fn err(&self, source: fjall::Error) -> StoreError {
        engine_error(&self.path, source)
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
            .get_raw(Tree::Meta, COMMITS_KEY)?
            .map(|v| u64_of(&v))
            .unwrap_or(0))
    }

    /// Records outside the engine how many commits were made durable (not
    /// synced: a marker behind the store is harmless, one ahead of it is
    /// damage).
    fn mark_commits(&self, n: u64) {
        let tmp = self.path.join(format!("{COMMITS_FILE}.tmp"));
        if std::fs::write(&tmp, n.to_string()).is_ok() {
            let _ = std::fs::rename(&tmp, self.path.join(COMMITS_FILE));
        }
    }

    /// The open engine (an error while it is being reopened).
    fn db(&self) -> Result<Arc<Db>, StoreError> {
        let guard = self.db.read().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or_else(|| StoreError::Reopening {
            path: self.path.clone(),
        })
    }

    /// Closes and opens the store again: after a failed write to disk (a
    /// full disk) the engine takes no more writes until it is reopened, and
    /// a fresh open does once there is space. Waits (a few seconds at most)
    /// for operations still holding the old one.
    pub fn reopen(&self) -> Result<(), StoreError> {
        let mut guard = self.db.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = guard.take() {
            let mut old = old;
            for _ in 0..100 {
                match Arc::try_unwrap(old) {
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
        let fresh = Db::open(&self.path, engine::lock(&self.path)?)?;
        *guard = Some(Arc::new(fresh));
        Ok(())
    }

    /// Raw bytes at `key`.
    pub fn get_raw(&self, t: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .db()?
            .part(t)
            .get(key)
            .map_err(|e| self.err(e))?
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
        self.db()?
            .part(t)
            .prefix(prefix)
            .map(|r| {
                r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(|e| self.err(e))
            })
            .collect()
    }

    /// Every `(key, value)` with a key below `end`, in key order (a due index
    /// read up to "now" without touching what lies beyond).
    pub fn scan_below(&self, t: Tree, end: &[u8]) -> Result<Vec<Entry>, StoreError> {
        self.db()?
            .part(t)
            .range(..end)
            .map(|r| {
                r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(|e| self.err(e))
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
        for item in self.db()?.part(t).prefix(prefix) {
            let (k, v) = item.map_err(|e| self.err(e))?;
            f(decode(t, &k, &v)?)?;
        }
        Ok(())
    }

    /// Keys under a prefix.
    pub fn keys(&self, t: Tree, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        self.db()?
            .part(t)
            .prefix(prefix)
            .map(|r| r.map(|(k, _)| k.to_vec()).map_err(|e| self.err(e)))
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

    /// Applies a batch atomically (all or nothing) and makes it durable.
    /// A batch without writes commits nothing (its preconditions guard
    /// nothing).
    pub fn commit(&self, batch: &Batch) -> Result<(), StoreError> {
        if let Some(n) = self.apply(batch)? {
            self.db()?.persist(&self.path)?;
            self.mark_commits(n);
        }
        Ok(())
    }

    /// Applies a batch atomically without making it durable; returns its
    /// commit number (`None`: nothing to write).
    fn apply(&self, batch: &Batch) -> Result<Option<u64>, StoreError> {
        if batch.writes.is_empty() {
            return Ok(None);
        }
        let db = self.db()?;
        let check = |db: &Db| {
            for x in &batch.expects {
                let actual = db.part(x.tree).get(&x.key).map_err(|e| self.err(e))?;
                if !x.holds(actual.as_deref()) {
                    return Err(StoreError::Conflict(format!(
                        "{}/{}",
                        x.tree.name(),
                        String::from_utf8_lossy(&x.key)
                    )));
                }
            }
            let held = db
                .part(Tree::Meta)
                .get(COMMITS_KEY)
                .map_err(|e| self.err(e))?;
            Ok(held.map(|v| u64_of(&v)).unwrap_or(0) + 1)
        };
        let n = db.write(
            check,
            |n: &u64, write| {
                for (t, key, value) in &batch.writes {
                    write(*t, key, value.as_deref());
                }
                write(Tree::Meta, COMMITS_KEY, Some(&n.to_be_bytes()));
            },
            &self.path,
        )?;
        Ok(Some(n))
    }

    /// Makes everything written so far durable (and marks the commits it
    /// made durable).
    pub fn flush(&self) -> Result<(), StoreError> {
        // Counted before: every commit up to here is made durable.
        let n = self.held_commits()?;
        self.db()?.persist(&self.path)?;
        self.mark_commits(n);
        Ok(())
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number larger than every one this store handed out before (cheap:
    /// reserved on disk a thousand at a time; monotonic across restarts).
    pub fn next_sequence(&self) -> Result<u64, StoreError> {
        self.db()?.next_sequence(&self.path)
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
        let db = self.db()?;
        let mut n = 0;
        for t in Tree::ALL {
            // One entry at a time: an export of a large store does not sit
            // in memory.
            for item in db.part(t).iter() {
                let (k, v) = item.map_err(|e| self.err(e))?;
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
            let empty = self.db()?.part(t).is_empty().map_err(|e| self.err(e))?;
            if !empty {
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
        let first = store.next_sequence().unwrap();
        assert!(store.next_sequence().unwrap() > first);
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

    /// Reopened after writes that left sealed memtables in its journal (as
    /// every `once` and every restart does), the store keeps taking writes:
    /// fjall's flusher must take all the recovered memtables (see
    /// `engine::FLUSH_TASKS_PER_RUN`), or writes halt for good.
    #[test]
    fn a_store_reopened_with_a_full_journal_keeps_taking_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut n = 0u64;
            for _ in 0..3 {
                let store = Store::open(&path).unwrap();
                for _ in 0..3000 {
                    n += 1;
                    let k = format!("{n:016}");
                    let mut b = Batch::new();
                    b.put_raw(Tree::Journal, k.clone(), vec![b'j'; 400]);
                    let raw = (0..4000u64).map(|x| (x * n % 251) as u8).collect();
                    b.put_raw(Tree::Raw, k.clone(), raw);
                    b.put_raw(Tree::Cases, k.clone(), vec![b'c'; 1200]);
                    b.put_raw(Tree::Events, k.clone(), vec![b'e'; 600]);
                    b.put_raw(Tree::OutboxRaw, k.clone(), vec![b'r'; 3000]);
                    b.remove(Tree::Pending, k);
                    store.apply(&b).unwrap();
                }
                store.flush().unwrap();
            }
            let _ = done.send(());
        });
        assert!(
            finished
                .recv_timeout(std::time::Duration::from_secs(120))
                .is_ok(),
            "writes halted after a reopen"
        );
    }

    #[test]
    fn sequence_numbers_grow_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let mut last = 0;
        for _ in 0..3 {
            let store = Store::open(dir.path()).unwrap();
            for _ in 0..1500 {
                let n = store.next_sequence().unwrap();
                assert!(n > last, "{n} after {last}");
                last = n;
            }
        }
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
