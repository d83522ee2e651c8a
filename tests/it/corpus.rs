//! Every real-world MIME message of `../shared/corpus/mime/` goes through the
//! whole pipeline (IMAP APPEND → journal → processor) without a panic: each
//! becomes a case, a recorded non-case, or a dead letter with a reason.

use crate::harness::*;
use klachtd::intake::journal::{self, Status};
use klachtd::store::{Store, Tree};

#[test]
fn every_corpus_message_is_a_case_a_record_or_a_dead_letter() {
    let Some(corpus) = corpus() else {
        println!("SKIPPED: ../shared/corpus is absent; this test needs the shared corpus next to the project");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(corpus.join("mime"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    assert!(
        files.len() > 100,
        "corpus looks incomplete: {} files",
        files.len()
    );
    let messages: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();

    let inst = Instance::new("corpus");
    append_all(&inst.complaints, "INBOX", &messages);
    let out = inst.klachtd(&["once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // What the server holds after processing (it may have normalised line
    // endings or NUL bytes on APPEND): every one of those was journalled.
    let processed = fetch_all(&inst.complaints, "Verwerkt");
    assert!(
        processed.len() >= files.len(),
        "{} of {} moved",
        processed.len(),
        files.len()
    );
    let store = Store::open(&inst.store_path()).unwrap();
    let mut cases = 0;
    let mut recorded = 0;
    let mut dead = 0;
    for raw in &processed {
        let id = journal::journal_id(raw, journal::message_id_of(raw).as_deref());
        let entry = journal::entry(&store, &id).unwrap().unwrap_or_else(|| {
            panic!(
                "a message was moved but not journalled:\n{}",
                String::from_utf8_lossy(&raw[..raw.len().min(400)])
            )
        });
        match &entry.status {
            Status::Processed { outcome, .. }
                if outcome == "new_case" || outcome == "added_to_case" =>
            {
                cases += 1
            }
            Status::Processed { .. } => recorded += 1,
            Status::Dead { reason, .. } => {
                assert!(
                    !reason.trim().is_empty(),
                    "{id}: dead letter without reason"
                );
                dead += 1;
            }
            Status::Pending => panic!("{id} is still pending"),
        }
    }
    assert!(store.keys(Tree::Pending, b"").unwrap().is_empty());
    println!("corpus: {} files, {} on the server → {cases} on cases, {recorded} recorded, {dead} dead letters", files.len(), processed.len());
    // Every sisimai bounce, auto-reply and report is recorded, never a case
    // (the one `is-not-bounce` file is an ordinary message).
    let mut opened = Vec::new();
    for (path, raw) in files.iter().zip(&messages) {
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("sisimai") && !name.contains("is-not-bounce") {
            let Some(mid) = journal::message_id_of(raw) else {
                continue;
            };
            let id = journal::journal_id(raw, Some(&mid));
            let e = journal::entry(&store, &id).unwrap().unwrap();
            if matches!(&e.status, Status::Processed { outcome, .. } if outcome == "new_case") {
                opened.push(name.to_string());
            }
        }
    }
    assert!(opened.is_empty(), "automatic mail opened cases: {opened:?}");
}
