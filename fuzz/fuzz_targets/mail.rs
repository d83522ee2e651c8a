//! One raw message through parsing, text extraction (new text, own text,
//! relay text, command lines, forwarded mail), staff command parsing,
//! classification (with the doubt policy) and threading against a store.
//! Any panic is a finding.

use klachtd::cases::{thread, token::Signer};
use klachtd::config::Doubt;
use klachtd::intake::classify::{apply_doubt, Classifier};
use klachtd::intake::{inbound::Inbound, journal};
use klachtd::procedure::command;
use klachtd::store::Store;
use klachtd::text;

fn main() {
    let classifier = Classifier::builtin();
    let dir = tempfile::tempdir().expect("a temporary store");
    let store = Store::open(dir.path()).expect("store");
    let signer = Signer::load_or_create(&store).expect("signer");
    // A panic is the finding; the state is not used after one.
    let ctx = std::panic::AssertUnwindSafe((classifier, store, signer));
    afl::fuzz!(|raw: &[u8]| {
        let (classifier, store, signer) = &*ctx;
        let mid = journal::message_id_of(raw);
        let _ = journal::journal_id(raw, mid.as_deref());
        let Some(m) = Inbound::parse(raw) else {
            return;
        };
        let _ = text::new_text(&m.text);
        let _ = text::own_text(&m.text);
        let _ = text::relay_text(&m.text);
        let _ = text::forwarded(&m.text);
        let _ = text::summary(&m.text, 300);
        let _ = text::language(&m.text);
        let _ = command::parse(&text::command_lines(&m.text));
        let v = classifier.classify_message(&m);
        let _ = apply_doubt(&Doubt::default(), v);
        let _ = thread::find(store, signer, "klachten@example.test", &m);
    });
}
