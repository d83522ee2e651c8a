//! The storage engine under [`super::Store`]: fjall (an LSM tree) with one
//! partition per [`Tree`], a lock on the store directory, one writer at a
//! time for commits, and the sequence numbers the journal hands out. Nothing
//! outside this file names fjall.

use super::error::StoreError;
use super::tree::Tree;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The folder inside the store directory that holds fjall's files.
pub(crate) const DATA_DIR: &str = "data";
/// The lock file in the store directory (held while a process has it open).
const LOCK_FILE: &str = "lock";

/// The block cache: the blocks read most recently (a scan of every case
/// fills it and no more).
const CACHE_BYTES: u64 = 4 << 20;
/// Memtables of all trees together before they are written to disk.
const WRITE_BUFFER_BYTES: u64 = 16 << 20;
/// Journal kept before memtables are forced to disk (fjall's minimum; a
/// store opens by reading its journal back into memory).
const JOURNAL_BYTES: u64 = 24 << 20;
/// Flush tasks one run of fjall's flusher takes: all of them. fjall 2.11
/// wakes its flusher once per tree with work after recovering a journal
/// and takes as many tasks per run as it has flush workers (by default the
/// number of cores), so the memtables a restart recovers could stay queued
/// for ever and halt every write ("write buffer saturation"); with a limit
/// above any queue, one wake-up flushes them all. The flusher starts one
/// thread per tree with work, not per task.
const FLUSH_TASKS_PER_RUN: usize = 1024;
/// Block size: 16 KiB blocks compress several small values together (LZ4).
const BLOCK_BYTES: u32 = 16 << 10;
/// Sequence numbers reserved on disk at a time (see [`Db::next_sequence`]).
const SEQUENCE_LEASE: u64 = 1_000;
/// The key in `Meta` of the highest sequence number that may have been
/// handed out.
pub(crate) const SEQUENCE_KEY: &[u8] = b"sequence";

/// One open store: fjall's keyspace with a partition per tree.
pub(crate) struct Db {
    keyspace: fjall::Keyspace,
    parts: Vec<fjall::PartitionHandle>,
    /// Commits check their preconditions and write under this lock.
    writer: Mutex<()>,
    /// The next sequence number and the end of the lease on disk.
    sequence: Mutex<(u64, u64)>,
    /// Held (locked) while open; released when dropped.
    _lock: std::fs::File,
}

/// A fjall error, with corruption named as damage and a write failure
/// (disk full, I/O) as such.
pub(crate) fn engine_error(path: &Path, source: fjall::Error) -> StoreError {
    let damaged = |why: String| StoreError::Damaged {
        path: path.to_path_buf(),
        why,
    };
    match source {
        fjall::Error::JournalRecovery(e) => damaged(format!("its journal cannot be read: {e:?}")),
        fjall::Error::InvalidVersion(v) => damaged(format!(
            "its files have format {v:?}, which this klachtd does not read"
        )),
        fjall::Error::Decode(e) => damaged(format!("a file does not decode: {e:?}")),
        fjall::Error::Storage(fjall::LsmError::Decompress(e)) => {
            damaged(format!("a block does not decompress: {e:?}"))
        }
        fjall::Error::Storage(fjall::LsmError::InvalidChecksum(c)) => {
            damaged(format!("a block has a wrong checksum {c:?}"))
        }
        fjall::Error::Storage(fjall::LsmError::Unrecoverable) => {
            damaged("its files cannot be read back".into())
        }
        source => StoreError::Engine {
            path: path.to_path_buf(),
            what: describe(&source),
        },
    }
}

/// Words for an engine error that is not damage.
fn describe(e: &fjall::Error) -> String {
    match e {
        fjall::Error::Poisoned => {
            "a write to disk failed (is the disk full?); it takes writes again once reopened".into()
        }
        fjall::Error::Io(io) => format!("I/O error: {io}"),
        fjall::Error::Storage(fjall::LsmError::Io(io)) => format!("I/O error: {io}"),
        other => format!("{other:?}"),
    }
}

/// A big-endian `u64` (0 for anything else).
pub(crate) fn u64_of(v: &[u8]) -> u64 {
    v.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

impl Db {
    /// Opens (creating) the engine's files in `dir`, whose `lock` (see
    /// [`lock`]) it holds while open.
    pub(crate) fn open(dir: &Path, lock: std::fs::File) -> Result<Db, StoreError> {
        let (keyspace, parts) =
            open_files(&dir.join(DATA_DIR)).map_err(|e| engine_error(dir, e))?;
        Ok(Db {
            keyspace,
            parts,
            writer: Mutex::new(()),
            sequence: Mutex::new((0, 0)),
            _lock: lock,
        })
    }

    /// The partition of a tree.
    pub(crate) fn part(&self, t: Tree) -> &fjall::PartitionHandle {
        &self.parts[t.index()]
    }

    /// Runs `check` and then writes `writes` as one atomic batch, with no
    /// other commit in between; `check` sees every earlier commit.
    pub(crate) fn write<T>(
        &self,
        check: impl FnOnce(&Db) -> Result<T, StoreError>,
        writes: impl FnOnce(&T, &mut dyn FnMut(Tree, &[u8], Option<&[u8]>)),
        path: &Path,
    ) -> Result<T, StoreError> {
        let _one = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let value = check(self)?;
        let mut batch = self.keyspace.batch();
        writes(&value, &mut |t, k, v| match v {
            Some(v) => batch.insert(self.part(t), k, v),
            None => batch.remove(self.part(t), k),
        });
        batch.commit().map_err(|e| engine_error(path, e))?;
        Ok(value)
    }

    /// Makes every commit so far durable (fsync of the journal).
    pub(crate) fn persist(&self, path: &Path) -> Result<(), StoreError> {
        self.keyspace
            .persist(fjall::PersistMode::SyncAll)
            .map_err(|e| engine_error(path, e))
    }

    /// A number larger than every one handed out before, also across
    /// restarts: numbers are reserved on disk a thousand at a time (a
    /// restart skips the rest of a lease).
    pub(crate) fn next_sequence(&self, path: &Path) -> Result<u64, StoreError> {
        let mut seq = self.sequence.lock().unwrap_or_else(|p| p.into_inner());
        if seq.0 >= seq.1 {
            let stored = self
                .part(Tree::Meta)
                .get(SEQUENCE_KEY)
                .map_err(|e| engine_error(path, e))?
                .map(|v| u64_of(&v))
                .unwrap_or(0);
            let start = seq.0.max(stored);
            let end = start + SEQUENCE_LEASE;
            self.part(Tree::Meta)
                .insert(SEQUENCE_KEY, end.to_be_bytes())
                .map_err(|e| engine_error(path, e))?;
            self.persist(path)?;
            *seq = (start, end);
        }
        seq.0 += 1;
        Ok(seq.0)
    }
}

/// Opens (creating) fjall's files in `data`, with a partition per tree.
fn open_files(data: &Path) -> Result<(fjall::Keyspace, Vec<fjall::PartitionHandle>), fjall::Error> {
    let keyspace = fjall::Config::new(data)
        .cache_size(CACHE_BYTES)
        .max_write_buffer_size(WRITE_BUFFER_BYTES)
        .max_journaling_size(JOURNAL_BYTES)
        .flush_workers(FLUSH_TASKS_PER_RUN)
        .open()?;
    let parts = Tree::ALL
        .iter()
        .map(|t| open_partition(&keyspace, *t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((keyspace, parts))
}

fn open_partition(
    keyspace: &fjall::Keyspace,
    t: Tree,
) -> Result<fjall::PartitionHandle, fjall::Error> {
    let options = fjall::PartitionCreateOptions::default().block_size(BLOCK_BYTES);
    // Bloom filters (held in memory) only speed up lookups of single keys;
    // trees read by prefix or in order go without (fjall keeps a tree's
    // options from its creation).
    let scanned = matches!(
        t,
        Tree::Events
            | Tree::ByComplainant
            | Tree::Due
            | Tree::Pending
            | Tree::OutboxQueue
            | Tree::Dead
    );
    keyspace.open_partition(
        t.name(),
        if scanned {
            options.bloom_filter_bits(None)
        } else {
            options
        },
    )
}

/// Locks the store directory for this process (another klachtd process
/// holding it: [`StoreError::InUse`]).
pub(crate) fn lock(dir: &Path) -> Result<std::fs::File, StoreError> {
    let dir_err = |source| StoreError::Dir {
        path: dir.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(dir_err)?;
    // flock: released when the file is closed, also when the process dies.
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a file descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(if e.kind() == std::io::ErrorKind::WouldBlock {
                StoreError::InUse {
                    path: dir.to_path_buf(),
                }
            } else {
                dir_err(e)
            });
        }
    }
    Ok(file)
}

/// A writer of many entries in batches of a few megabytes, each made
/// durable, into new files at `data` (the conversion of an old store).
pub(crate) struct Loader {
    keyspace: fjall::Keyspace,
    parts: Vec<fjall::PartitionHandle>,
    batch: fjall::Batch,
    bytes: usize,
    path: PathBuf,
}

/// Bytes per batch of a [`Loader`].
const LOAD_BATCH_BYTES: usize = 4 << 20;

impl Loader {
    /// A loader into a new keyspace in `data`.
    pub(crate) fn create(data: &Path) -> Result<Loader, StoreError> {
        let (keyspace, parts) = open_files(data).map_err(|e| engine_error(data, e))?;
        Ok(Loader {
            batch: keyspace.batch(),
            keyspace,
            parts,
            bytes: 0,
            path: data.to_path_buf(),
        })
    }

    /// Adds one entry; commits when the batch is full.
    pub(crate) fn put(&mut self, t: Tree, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.batch.insert(&self.parts[t.index()], key, value);
        self.bytes += key.len() + value.len();
        if self.bytes >= LOAD_BATCH_BYTES {
            self.commit()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        let full = std::mem::replace(&mut self.batch, self.keyspace.batch());
        full.commit().map_err(|e| engine_error(&self.path, e))?;
        self.keyspace
            .persist(fjall::PersistMode::SyncAll)
            .map_err(|e| engine_error(&self.path, e))?;
        self.bytes = 0;
        Ok(())
    }

    /// Commits the rest and closes the keyspace.
    pub(crate) fn finish(mut self) -> Result<(), StoreError> {
        self.commit()
    }
}
