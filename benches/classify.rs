//! Messages per second through text preparation + classification, on a
//! realistic mix: the labelled dev corpus and the real texts when
//! `../shared/corpus` is present, else the project's own fixtures. Prints
//! min/median/max over repeated rounds. Run with `bench/classify`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use klachtd::intake::classify::{read_examples, Classifier, Example};
use std::hint::black_box;

fn examples() -> Vec<Example> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = [
        root.join("../shared/corpus/labelled-dev.jsonl"),
        root.join("../shared/corpus/labelled-real-dev.jsonl"),
    ];
    let paths: Vec<_> = if shared.iter().all(|p| p.exists()) {
        shared.to_vec()
    } else {
        vec![root.join("tests/fixtures/classify.jsonl")]
    };
    paths
        .iter()
        .flat_map(|p| {
            read_examples(&std::fs::read_to_string(p).expect("examples")).expect("valid examples")
        })
        .collect()
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

    // Plain figures too, for scripts and notes: messages per second per
    // round, min/median/max.
    let mut rates: Vec<f64> = (0..9)
        .map(|_| {
            let start = std::time::Instant::now();
            for _ in 0..20 {
                for e in &mix {
                    black_box(classifier.classify_text(&e.subject, &e.body));
                }
            }
            (mix.len() * 20) as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    println!(
        "classify: messages/second on one core over {} messages x 20, 9 rounds: min {:.0} median {:.0} max {:.0}",
        mix.len(),
        rates[0],
        rates[rates.len() / 2],
        rates[rates.len() - 1]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
