//! Messages per second through text preparation + classification, on a
//! realistic mix: the labelled dev corpus when `../shared/corpus` is present,
//! else the project's own fixtures. Run with `bench/classify`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use klachtd::intake::classify::{read_examples, Classifier, Example};
use std::hint::black_box;

fn examples() -> Vec<Example> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dev = root.join("../shared/corpus/labelled-dev.jsonl");
    let own = root.join("tests/fixtures/classify.jsonl");
    let path = if dev.exists() { dev } else { own };
    read_examples(&std::fs::read_to_string(&path).expect("examples")).expect("valid examples")
}

fn bench(c: &mut Criterion) {
    let classifier = Classifier::builtin();
    let mix = examples();
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(mix.len() as u64));
    g.bench_function("prepare+classify (mix)", |b| {
        b.iter(|| {
            for e in &mix {
                black_box(classifier.classify_text(black_box(&e.subject), black_box(&e.body)));
            }
        })
    });
    g.finish();

    // A plain figure too, for scripts and notes.
    let rounds = 50;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        for e in &mix {
            black_box(classifier.classify_text(&e.subject, &e.body));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "classify: {:.0} messages/second on one core ({} messages x {rounds} rounds in {secs:.2} s)",
        (mix.len() * rounds) as f64 / secs,
        mix.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
