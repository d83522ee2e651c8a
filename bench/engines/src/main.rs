//! The store engines side by side on one `klachtd export` (see `run`):
//! `klachtd-engines ENGINE load|idle|scan|commits DIR [EXPORT]`.
//! A planning measurement for issue 16, not part of klachtd.

use base64::Engine as _;
use std::io::BufRead;
use std::time::{Duration, Instant};

/// klachtd's trees (sled trees, fjall partitions, redb tables).
const TREES: &[&str] = &[
    "meta",
    "journal",
    "raw",
    "pending",
    "dead",
    "cases",
    "events",
    "threads",
    "outbox",
    "outbox_raw",
    "outbox_by_message_id",
    "by_complainant",
    "due",
];
/// Entries per durable commit while loading.
const PER_COMMIT: usize = 100;
/// fjall's block size: 16 KiB blocks compress several small values together.
const BLOCK: u32 = 16 << 10;
/// The cache each engine is given.
const CACHE: u64 = 16 << 20;

fn tree(name: &str) -> &'static str {
    TREES
        .iter()
        .find(|t| **t == name)
        .unwrap_or_else(|| panic!("unknown tree {name}"))
}

/// Peak and current resident set of this process.
fn rss() -> String {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    format!(
        "max RSS {} MB (now {} MB)",
        kb("VmHWM:") / 1024,
        kb("VmRSS:") / 1024
    )
}

/// The export's `(tree, key, value)` entries.
fn entries(path: &str) -> impl Iterator<Item = (&'static str, Vec<u8>, Vec<u8>)> {
    let f = std::io::BufReader::new(std::fs::File::open(path).expect("the export file"));
    let b64 = base64::engine::general_purpose::STANDARD;
    f.lines().map(move |l| {
        let v: serde_json::Value = serde_json::from_str(&l.expect("a line")).expect("JSON");
        let field = |k: &str| b64.decode(v[k].as_str().unwrap_or("")).expect("base64");
        (
            tree(v["tree"].as_str().unwrap_or("")),
            field("key"),
            field("value"),
        )
    })
}

/// Decodes a scanned value as klachtd would (JSON); counts its fields.
fn fields(v: &[u8]) -> usize {
    serde_json::from_slice::<serde_json::Value>(v)
        .ok()
        .and_then(|j| j.as_object().map(|o| o.len()))
        .unwrap_or(0)
}

/// One engine's operations.
trait Store {
    fn load(&self, export: &str) -> usize;
    fn scan(&self, tree: &'static str) -> usize;
    fn commit(&self, i: usize, value: &[u8]);
}

struct Sled(sled::Db);

impl Store for Sled {
    fn load(&self, export: &str) -> usize {
        let mut n = 0;
        let mut batch: Vec<(&str, Vec<u8>, Vec<u8>)> = Vec::new();
        let trees: Vec<sled::Tree> = TREES.iter().map(|t| self.0.open_tree(t).unwrap()).collect();
        let refs: Vec<&sled::Tree> = trees.iter().collect();
        let write = |batch: &mut Vec<(&str, Vec<u8>, Vec<u8>)>| {
            use sled::Transactional;
            refs.as_slice()
                .transaction(|tx| {
                    for (t, k, v) in batch.iter() {
                        let i = TREES.iter().position(|x| x == t).unwrap();
                        tx[i].insert(k.as_slice(), v.as_slice())?;
                    }
                    Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
                })
                .unwrap();
            self.0.flush().unwrap();
            batch.clear();
        };
        for e in entries(export) {
            batch.push(e);
            n += 1;
            if batch.len() == PER_COMMIT {
                write(&mut batch);
            }
        }
        write(&mut batch);
        n
    }
    fn scan(&self, tree: &'static str) -> usize {
        let t = self.0.open_tree(tree).unwrap();
        t.iter().map(|kv| fields(&kv.unwrap().1)).sum()
    }
    fn commit(&self, i: usize, value: &[u8]) {
        let t = self.0.open_tree("t").unwrap();
        let mut b = sled::Batch::default();
        for j in 0..5 {
            b.insert(format!("{i:08}/{j}").as_bytes(), value);
        }
        t.apply_batch(b).unwrap();
        self.0.flush().unwrap();
    }
}

struct Fjall(fjall::Keyspace);

impl Fjall {
    fn part(&self, t: &str) -> fjall::PartitionHandle {
        self.0
            .open_partition(
                t,
                fjall::PartitionCreateOptions::default().block_size(BLOCK),
            )
            .unwrap()
    }
}

impl Store for Fjall {
    fn load(&self, export: &str) -> usize {
        let parts: Vec<fjall::PartitionHandle> = TREES.iter().map(|t| self.part(t)).collect();
        let mut n = 0;
        let mut b = self.0.batch();
        for (t, k, v) in entries(export) {
            b.insert(&parts[TREES.iter().position(|x| *x == t).unwrap()], k, v);
            n += 1;
            if n % PER_COMMIT == 0 {
                b.commit().unwrap();
                self.0.persist(fjall::PersistMode::SyncAll).unwrap();
                b = self.0.batch();
            }
        }
        b.commit().unwrap();
        self.0.persist(fjall::PersistMode::SyncAll).unwrap();
        n
    }
    fn scan(&self, tree: &'static str) -> usize {
        self.part(tree)
            .iter()
            .map(|kv| fields(&kv.unwrap().1))
            .sum()
    }
    fn commit(&self, i: usize, value: &[u8]) {
        let p = self.part("t");
        let mut b = self.0.batch();
        for j in 0..5 {
            b.insert(&p, format!("{i:08}/{j}"), value);
        }
        b.commit().unwrap();
        self.0.persist(fjall::PersistMode::SyncAll).unwrap();
    }
}

struct Redb(redb::Database);

fn table(t: &'static str) -> redb::TableDefinition<'static, &'static [u8], &'static [u8]> {
    redb::TableDefinition::new(t)
}

impl Store for Redb {
    fn load(&self, export: &str) -> usize {
        let mut n = 0;
        let mut it = entries(export).peekable();
        while it.peek().is_some() {
            let tx = self.0.begin_write().unwrap();
            for (t, k, v) in it.by_ref().take(PER_COMMIT) {
                let mut tab = tx.open_table(table(t)).unwrap();
                let v = zstd::block::compress(&v, 3).unwrap();
                tab.insert(k.as_slice(), v.as_slice()).unwrap();
                n += 1;
            }
            tx.commit().unwrap();
        }
        n
    }
    fn scan(&self, tree: &'static str) -> usize {
        use redb::ReadableTable;
        let tx = self.0.begin_read().unwrap();
        let tab = tx.open_table(table(tree)).unwrap();
        tab.iter()
            .unwrap()
            .map(|kv| {
                let v = zstd::block::decompress(kv.unwrap().1.value(), 1 << 22).unwrap();
                fields(&v)
            })
            .sum()
    }
    fn commit(&self, i: usize, value: &[u8]) {
        let tx = self.0.begin_write().unwrap();
        {
            let mut tab = tx.open_table(table("t")).unwrap();
            for j in 0..5 {
                tab.insert(format!("{i:08}/{j}").as_bytes(), value).unwrap();
            }
        }
        tx.commit().unwrap();
    }
}

fn open(engine: &str, dir: &str) -> Box<dyn Store> {
    match engine {
        "sled" => Box::new(Sled(
            sled::Config::new()
                .path(dir)
                .use_compression(true)
                .compression_factor(5)
                .cache_capacity(CACHE)
                .mode(sled::Mode::HighThroughput)
                .open()
                .unwrap(),
        )),
        "fjall" => Box::new(Fjall(
            fjall::Config::new(dir)
                .cache_size(CACHE)
                .max_write_buffer_size(16 << 20)
                .max_journaling_size(64 << 20)
                .open()
                .unwrap(),
        )),
        "redb" => Box::new(Redb(
            redb::Database::builder()
                .set_cache_size(CACHE as usize)
                .create(format!("{dir}/redb"))
                .unwrap(),
        )),
        other => panic!("engine {other}: sled, fjall or redb"),
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        eprintln!("usage: klachtd-engines sled|fjall|redb load|idle|scan|commits DIR [EXPORT]");
        std::process::exit(2);
    }
    let store = open(&a[1], &a[3]);
    match a[2].as_str() {
        "load" => println!("{} entries; {}", store.load(&a[4]), rss()),
        "idle" => {
            std::thread::sleep(Duration::from_secs(10));
            println!("{}", rss());
        }
        "scan" => {
            let n = store.scan("cases") + store.scan("journal");
            println!("{n} fields; {}", rss());
        }
        _ => {
            let value = vec![b'x'; 1500];
            let t = Instant::now();
            for i in 0..2000 {
                store.commit(i, &value);
            }
            println!("{:.0}", 2000.0 / t.elapsed().as_secs_f64());
        }
    }
}
