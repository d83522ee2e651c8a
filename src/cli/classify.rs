//! `klachtd classify` (the verdict on raw messages, with the rules that
//! fired) and `klachtd eval` (precision and recall on labelled examples).

use crate::cli::env::Env;
use anyhow::{Context as _, Result};
use klachtd::daemon::rules;
use klachtd::intake::classify::Classifier;
use std::path::PathBuf;

fn classifier(env: &Env) -> Result<Classifier> {
    if !env.has_config() {
        return Ok(Classifier::builtin());
    }
    let config = env.config()?;
    rules::classifier(&config.files())
        .map_err(|problems| anyhow::anyhow!("rules file problems:\n{problems}"))
}

/// One line of `classify --json` (written straight out, no JSON tree).
#[derive(serde::Serialize)]
struct JsonVerdict<'a> {
    file: &'a str,
    label: &'a str,
    score: f32,
    category: Option<&'a str>,
    urgent: bool,
    auto_generated: bool,
    rules: Vec<JsonRule<'a>>,
}

/// A rule that fired, in `classify --json`.
#[derive(serde::Serialize)]
struct JsonRule<'a> {
    id: &'a str,
    weight: f32,
    matched: String,
}

/// Classifies raw messages (or standard input), explaining on request.
pub fn classify(env: &Env, json: bool, explain: bool, files: &[PathBuf]) -> Result<i32> {
    use std::io::{Read, Write as _};
    let c = classifier(env)?;
    // One buffered writer for all verdicts: standard output is line
    // buffered, which would cost a write per file.
    let mut out = std::io::BufWriter::new(env.out());
    // One buffer for every file.
    let mut raw = Vec::with_capacity(64 << 10);
    for f in files {
        raw.clear();
        let name = if f.as_os_str() == "-" {
            std::io::stdin()
                .read_to_end(&mut raw)
                .context("reading standard input")?;
            "-".to_string()
        } else {
            // Through `take`: a `File` asks for its size and position
            // before reading, two syscalls a message.
            std::fs::File::open(f)
                .and_then(|file| file.take(u64::MAX).read_to_end(&mut raw))
                .with_context(|| format!("reading {}", f.display()))?;
            f.display().to_string()
        };
        let v = match klachtd::intake::inbound::Inbound::parse(&raw) {
            Some(m) => c.classify_message(&m),
            None => c.classify_text("", &String::from_utf8_lossy(&raw)),
        };
        if json {
            let line = JsonVerdict {
                file: &name,
                label: &v.label,
                score: v.score,
                category: v.category.as_deref(),
                urgent: v.urgent,
                auto_generated: v.auto_generated,
                rules: v
                    .rules
                    .iter()
                    .map(|r| JsonRule {
                        id: &r.id,
                        weight: r.weight,
                        matched: r.matched.join(" | "),
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n")?;
            continue;
        }
        writeln!(
            out,
            "{name}: {} (score {:.1}){}{}{}",
            v.label,
            v.score,
            v.category
                .as_deref()
                .map(|c| format!(", categorie {c}"))
                .unwrap_or_default(),
            if v.urgent { ", URGENT" } else { "" },
            v.auto_reason
                .as_deref()
                .map(|r| format!(", automatic: {r}"))
                .unwrap_or_default()
        )?;
        if explain {
            let scores: Vec<String> = v
                .scores
                .iter()
                .map(|(l, s)| format!("{l} {s:.1}"))
                .collect();
            writeln!(out, "  scores: {}", scores.join(", "))?;
            for r in &v.rules {
                writeln!(
                    out,
                    "  {:+.1} {:<24} {:<28} {}",
                    r.weight,
                    r.id,
                    r.label,
                    r.matched.join(" | ")
                )?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

/// Scores the rules on labelled examples: a file, the staff's corrections
/// in the store, or both.
pub fn eval(
    env: &Env,
    file: Option<&std::path::Path>,
    corrections: bool,
    json: bool,
) -> Result<i32> {
    let c = classifier(env)?;
    let mut examples = Vec::new();
    if let Some(file) = file {
        let text = String::from_utf8(env.read_input(file)?)
            .with_context(|| format!("{} is not UTF-8 text", file.display()))?;
        examples = klachtd::intake::classify::read_examples(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    }
    if corrections {
        let (_, store) = env.store()?;
        let (kept, gone) = klachtd::intake::corrections::examples(&store)?;
        if !json {
            outln!(
                env,
                "{} corrections by staff{}",
                kept.len(),
                if gone > 0 {
                    format!(" ({gone} more whose message was erased)")
                } else {
                    String::new()
                }
            );
        }
        examples.extend(kept);
    }
    let ev = c.evaluate(&examples);
    if json {
        outln!(env, "{}", serde_json::to_string_pretty(&ev)?);
        return Ok(0);
    }
    outln!(env, "{} examples", ev.total);
    outln!(
        env,
        "{:<12} {:>9} {:>9} {:>9} {:>8}",
        "label",
        "precision",
        "recall",
        "f1",
        "support"
    );
    for l in &ev.labels {
        outln!(
            env,
            "{:<12} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            l.label,
            l.precision,
            l.recall,
            l.f1,
            l.support
        );
    }
    for (lang, sub) in &ev.by_language {
        if let Some(k) = sub.label("klacht") {
            outln!(
                env,
                "{:<12} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                format!("klacht [{lang}]"),
                k.precision,
                k.recall,
                k.f1,
                k.support
            );
        }
    }
    outln!(env, "\nconfusion (rows expected, columns predicted):");
    out!(env, "{:<12}", "");
    for l in klachtd::intake::classify::LABELS {
        out!(env, "{l:>11}");
    }
    outln!(env);
    for (i, row) in ev.confusion.iter().enumerate() {
        out!(env, "{:<12}", klachtd::intake::classify::LABELS[i]);
        for n in row {
            out!(env, "{n:>11}");
        }
        outln!(env);
    }
    if !ev.misclassified.is_empty() {
        outln!(env, "\nmisclassified:");
        for (id, want, got) in &ev.misclassified {
            outln!(env, "  {id}: expected {want}, got {got}");
        }
    }
    Ok(0)
}
