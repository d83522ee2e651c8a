//! The one-time conversion of a store written by an earlier klachtd (sled,
//! in the folder `db`) into the current engine's files (`data`): at the
//! first open, every entry is copied in durable batches into
//! `data.converting`, which is renamed to `data` when complete; the old
//! folder is then renamed `db.before-fjall` and kept for the admin to
//! remove. A crash at any point leaves either the old store (the
//! conversion starts again) or the new one.

use super::engine::{self, DATA_DIR, SEQUENCE_KEY};
use super::error::StoreError;
use super::tree::Tree;
use std::path::Path;

/// sled's folder in the store directory.
pub(crate) const SLED_DIR: &str = "db";
/// Where a conversion writes until it is complete.
const CONVERTING_DIR: &str = "data.converting";
/// What the sled folder is renamed to once converted.
pub(crate) const KEPT_DIR: &str = "db.before-fjall";
/// sled's page cache while converting (it reads each page once).
const SLED_CACHE_BYTES: u64 = 16 << 20;

/// Converts the sled store in `dir`, if there is one and it was not
/// converted yet. Called with the store directory locked.
pub(crate) fn sled_if_needed(dir: &Path) -> Result<(), StoreError> {
    let sled_dir = dir.join(SLED_DIR);
    let io = |source| StoreError::Dir {
        path: dir.to_path_buf(),
        source,
    };
    if !sled_dir.join("conf").exists() {
        return Ok(());
    }
    if dir.join(DATA_DIR).exists() {
        // Converted; only the rename of the old folder was left.
        return std::fs::rename(&sled_dir, dir.join(KEPT_DIR)).map_err(io);
    }
    let converting = dir.join(CONVERTING_DIR);
    if converting.exists() {
        std::fs::remove_dir_all(&converting).map_err(io)?;
    }
    let n = copy(dir, &sled_dir, &converting)?;
    std::fs::rename(&converting, dir.join(DATA_DIR)).map_err(io)?;
    std::fs::rename(&sled_dir, dir.join(KEPT_DIR)).map_err(io)?;
    tracing::info!(
        store = %dir.display(),
        entries = n,
        kept = %dir.join(KEPT_DIR).display(),
        "converted the store to its new format; the old files are kept beside it: remove that folder once klachtd runs well"
    );
    Ok(())
}

/// Copies every tree of the sled store in `sled_dir` into a new keyspace
/// at `to`, with the sequence numbers sled handed out carried over.
fn copy(dir: &Path, sled_dir: &Path, to: &Path) -> Result<u64, StoreError> {
    let err = |e: sled::Error| sled_error(dir, e);
    let db = sled::Config::new()
        .use_compression(compressed(sled_dir))
        .path(sled_dir)
        .cache_capacity(SLED_CACHE_BYTES)
        .open()
        .map_err(|e| match &e {
            sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                StoreError::InUse {
                    path: dir.to_path_buf(),
                }
            }
            _ => err(e),
        })?;
    let mut loader = engine::Loader::create(to)?;
    let mut n = 0;
    for t in Tree::ALL {
        let tree = db.open_tree(t.name()).map_err(err)?;
        for item in tree.iter() {
            let (k, v) = item.map_err(err)?;
            loader.put(t, &k, &v)?;
            n += 1;
        }
    }
    // sled's id generator survives restarts; so must the numbers after it.
    let id = db.generate_id().map_err(err)?;
    loader.put(Tree::Meta, SEQUENCE_KEY, &(id + 1).to_be_bytes())?;
    loader.finish()?;
    Ok(n)
}

/// Whether sled's pages are compressed (a store made before compression
/// keeps its format; sled must be opened with the one it was made with).
fn compressed(sled_dir: &Path) -> bool {
    match std::fs::read(sled_dir.join("conf")) {
        Ok(conf) => !String::from_utf8_lossy(&conf).contains("use_compression: false"),
        Err(_) => true,
    }
}

/// A sled error, with corruption named as damage.
fn sled_error(path: &Path, source: sled::Error) -> StoreError {
    match source {
        sled::Error::Corruption { at, .. } => StoreError::Damaged {
            path: path.to_path_buf(),
            why: match at {
                Some(at) => format!("corrupted data at {at:?} (in its old format)"),
                None => "corrupted data (in its old format)".into(),
            },
        },
        sled::Error::ReportableBug(what) => StoreError::Damaged {
            path: path.to_path_buf(),
            why: what,
        },
        source => StoreError::Engine {
            path: path.to_path_buf(),
            what: format!("converting from the old format: {source}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Batch, Store};

    /// An old store as klachtd wrote it: sled, the given compression, a
    /// commit count and a marker file.
    fn old_store(dir: &Path, compression: bool) -> u64 {
        let db = sled::Config::new()
            .use_compression(compression)
            .path(dir.join(SLED_DIR))
            .open()
            .unwrap();
        db.open_tree("cases")
            .unwrap()
            .insert("c1", r#""een zaak""#)
            .unwrap();
        db.open_tree("raw")
            .unwrap()
            .insert("r1", vec![0u8, 13, 10])
            .unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("commits", &7u64.to_be_bytes())
            .unwrap();
        for _ in 0..5 {
            db.generate_id().unwrap();
        }
        let id = db.generate_id().unwrap();
        db.flush().unwrap();
        std::fs::write(dir.join("commits"), "7").unwrap();
        id
    }

    #[test]
    fn an_old_store_is_converted_once_and_its_folder_kept() {
        for compression in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let last_id = old_store(dir.path(), compression);
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(
                store.get::<String>(Tree::Cases, b"c1").unwrap().as_deref(),
                Some("een zaak")
            );
            assert_eq!(
                store.get_raw(Tree::Raw, b"r1").unwrap(),
                Some(vec![0, 13, 10])
            );
            assert_eq!(store.commits().unwrap(), (7, Some(7)));
            assert!(store.next_sequence().unwrap() > last_id);
            assert!(dir.path().join(KEPT_DIR).join("conf").exists());
            assert!(!dir.path().join(SLED_DIR).exists());
            let mut b = Batch::new();
            b.put(Tree::Cases, "c2", &"nog een");
            store.commit(&b).unwrap();
            drop(store);
            // Opened again: not converted again, both there.
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.scan_raw(Tree::Cases, b"").unwrap().len(), 2);
            assert_eq!(store.commits().unwrap().0, 8);
        }
    }

    #[test]
    fn a_conversion_cut_short_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        old_store(dir.path(), true);
        // A crash halfway: a partial new folder beside the old store.
        std::fs::create_dir_all(dir.path().join(CONVERTING_DIR).join("junk")).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.scan_raw(Tree::Cases, b"").unwrap().len(), 1);
        assert!(!dir.path().join(CONVERTING_DIR).exists());
        drop(store);
        // A crash between the two renames: the old folder is renamed now.
        std::fs::rename(dir.path().join(KEPT_DIR), dir.path().join(SLED_DIR)).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.scan_raw(Tree::Cases, b"").unwrap().len(), 1);
        assert!(dir.path().join(KEPT_DIR).exists());
    }
}
