//! Issue 3 acceptance: the classifier's figures, auto-reply detection on real
//! mail, explanations, and rules that admins edit without a rebuild.

use klachtd::intake::classify::{read_examples, Classifier};
use std::path::Path;
use std::process::Command;

fn assert_complaint_figures(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let examples = read_examples(&text).unwrap();
    let c = Classifier::builtin();
    let ev = c.evaluate(&examples);
    let k = ev.label("klacht").unwrap();
    assert!(
        k.precision >= 0.95 && k.recall >= 0.95,
        "{}: klacht precision {:.3} recall {:.3}; misclassified: {:?}",
        file.display(),
        k.precision,
        k.recall,
        ev.misclassified
    );
    // No automatic mail is ever a complaint.
    for e in &examples {
        let v = c.classify_text(&e.subject, &e.body);
        if e.label == "overig" {
            assert_ne!(v.label, "klacht", "{} (overig) classed as klacht", e.id);
        }
    }
}

#[test]
fn dev_corpus_meets_the_complaint_figures() {
    let Some(corpus) = crate::harness::corpus() else {
        println!("SKIPPED: ../shared/corpus is absent");
        return;
    };
    assert_complaint_figures(&corpus.join("labelled-dev.jsonl"));
}

/// Real texts nobody here wrote (`../shared/corpus/labelled-real-dev.jsonl`),
/// per language: klacht precision and recall at least 0.90 (issue 13).
#[test]
fn real_texts_meet_the_complaint_figures_per_language() {
    let Some(corpus) = crate::harness::corpus() else {
        println!("SKIPPED: ../shared/corpus is absent");
        return;
    };
    let text = std::fs::read_to_string(corpus.join("labelled-real-dev.jsonl")).unwrap();
    let ev = Classifier::builtin().evaluate(&read_examples(&text).unwrap());
    assert!(ev.by_language.len() >= 2, "{:?}", ev.by_language.keys());
    for (lang, sub) in &ev.by_language {
        let k = sub.label("klacht").unwrap();
        println!(
            "{lang}: klacht precision {:.3} recall {:.3} ({} examples)",
            k.precision, k.recall, k.support
        );
        assert!(
            k.precision >= 0.90 && k.recall >= 0.90,
            "{lang}: klacht precision {:.3} recall {:.3}; misclassified: {:?}",
            k.precision,
            k.recall,
            sub.misclassified
        );
    }
}

#[test]
fn own_fixtures_meet_the_complaint_figures() {
    assert_complaint_figures(&crate::harness::root().join("tests/fixtures/classify.jsonl"));
}

#[test]
fn eval_command_prints_figures_confusion_and_misses() {
    let out = Command::new(env!("CARGO_BIN_EXE_klachtd"))
        .args(["eval"])
        .arg(crate::harness::root().join("tests/fixtures/classify.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("precision") && text.contains("confusion"),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("klacht")), "{text}");
}

#[test]
fn every_sisimai_message_is_automatic_overig() {
    let Some(corpus) = crate::harness::corpus() else {
        println!("SKIPPED: ../shared/corpus is absent");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(corpus.join("mime"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("sisimai") && !n.contains("is-not-bounce")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 40);
    let out = Command::new(env!("CARGO_BIN_EXE_klachtd"))
        .args(["classify", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut wrong = Vec::new();
    let lines: Vec<_> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), files.len());
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        if v["label"] != "overig" || v["auto_generated"] != true {
            wrong.push(format!(
                "{} → {} auto={}",
                v["file"], v["label"], v["auto_generated"]
            ));
        }
    }
    assert!(wrong.is_empty(), "not recognised as automatic: {wrong:#?}");
}

fn write_eml(dir: &Path, name: &str, subject: &str, body: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(
        &p,
        format!("From: jan@voorbeeld.test\r\nTo: klachten@example.test\r\nSubject: {subject}\r\n\r\n{body}\r\n"),
    )
    .unwrap();
    p
}

#[test]
fn explain_names_rules_and_matched_text() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_eml(
        dir.path(),
        "a.eml",
        "Monteur",
        "De monteur is niet gekomen. Dit is ONACCEPTABELLL!",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_klachtd"))
        .args(["classify", "--explain"])
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(": klacht"), "{text}");
    assert!(
        text.contains("niet-gekomen") && text.contains("niet gekomen"),
        "{text}"
    );
    assert!(
        text.contains("sterke-bewoording") && text.contains("onacceptabel"),
        "{text}"
    );
}

fn config_with_rules(dir: &Path, rules: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("pw"), "x\n").unwrap();
    std::fs::set_permissions(
        dir.join("pw"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    std::fs::write(dir.join("rules.toml"), rules).unwrap();
    let cfg = format!(
        "[organization]\nname = \"T\"\ncomplaints_address = \"klachten@example.test\"\n[mailbox]\nhost = \"127.0.0.1\"\nport = 143\ntls = \"none\"\nusername = \"k\"\npassword_file = \"pw\"\n[smtp]\nhost = \"127.0.0.1\"\nport = 25\ntls = \"none\"\nfrom = \"K <klachten@example.test>\"\n[store]\npath = \"store\"\n[templates]\ndir = \"{}\"\n[classifier]\nrules = \"rules.toml\"\n",
        crate::harness::root().join("templates").display()
    );
    let p = dir.join("klachtd.toml");
    std::fs::write(&p, cfg).unwrap();
    p
}

#[test]
fn an_admin_adds_a_synonym_and_sees_it_fire_without_rebuilding() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_eml(
        dir.path(),
        "a.eml",
        "Bezorging",
        "Wat een prutswerk van de bezorgdienst.",
    );
    let rules = klachtd::intake::classify::BUILTIN_RULES.replace(
        "words = [\"onacceptabel\",",
        "words = [\"prutswerk\", \"onacceptabel\",",
    );
    assert_ne!(rules, klachtd::intake::classify::BUILTIN_RULES);
    let cfg = config_with_rules(dir.path(), &rules);
    let check = Command::new(env!("CARGO_BIN_EXE_klachtd"))
        .arg("--config")
        .arg(&cfg)
        .arg("check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_klachtd"))
        .arg("--config")
        .arg(&cfg)
        .args(["classify", "--explain"])
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sterke-bewoording") && text.contains("prutswerk"),
        "{text}"
    );
    assert!(text.contains(": klacht"), "{text}");
}

#[test]
fn broken_regex_and_unknown_label_fail_check_with_the_rule_id() {
    let dir = tempfile::tempdir().unwrap();
    let rules = format!(
        "{}\n[[rule]]\nid = \"kapotte-regex\"\nlabel = \"klacht\"\nweight = 1.0\nregex = [\"(niet\"]\n\n[[rule]]\nid = \"rare-label\"\nlabel = \"klachtje\"\nweight = 1.0\nwords = [\"x\"]\n",
        klachtd::intake::classify::BUILTIN_RULES
    );
    let cfg = config_with_rules(dir.path(), &rules);
    let out = Command::new(env!("CARGO_BIN_EXE_klachtd"))
        .arg("--config")
        .arg(&cfg)
        .arg("check")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kapotte-regex") && err.contains("regex"),
        "{err}"
    );
    assert!(
        err.contains("rare-label") && err.contains("klachtje"),
        "{err}"
    );
}
