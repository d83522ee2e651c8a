//! The anonymiser on the labelled dev corpus: no mail address, phone
//! number, postcode or personal name of the input survives. The oracle is
//! independent of the anonymiser: addresses, phones and postcodes are found
//! by the simple patterns below; the personal names were read off the
//! corpus by hand.

use klachtd::anonymise::anonymise;
use regex::Regex;

/// The people named in `labelled-dev.jsonl`, by message: as written, and
/// the surname alone where the text uses it alone.
const NAMES: &[(&str, &[&str])] = &[
    ("dev-001", &["Andrei Popescu", "Popescu"]),
    ("dev-002", &["Anouk"]),
    ("dev-003", &["Dijkstra"]),
    ("dev-004", &["Hannah Weber", "Weber"]),
    ("dev-005", &["Thomas Evans", "Evans"]),
    ("dev-006", &["Lucas"]),
    ("dev-007", &["Dennis"]),
    ("dev-008", &["Eva Brands", "Joost van Dijk"]),
    ("dev-009", &["Stefan de Boer"]),
    ("dev-011", &["P. van Dijk"]),
    ("dev-012", &["Yilmaz", "B. Kramer", "Kramer"]),
    ("dev-013", &["Sophie Lindqvist", "Lindqvist"]),
    ("dev-014", &["Theo Lammers", "Lammers"]),
    ("dev-015", &["Mike Dawson", "Dawson"]),
    ("dev-016", &["Bakker-Prins"]),
    ("dev-018", &["Marco Peeters", "Peeters"]),
    ("dev-019", &["W. Hofman", "Hofman"]),
    ("dev-020", &["Nicole Verbruggen", "Verbruggen"]),
    ("dev-021", &["Hoekstra", "Jan-Willem"]),
    ("dev-022", &["Ria Smit"]),
    ("dev-023", &["Ahmed Karimi", "Karimi"]),
    ("dev-024", &["Sabine Kuiper", "Kuiper"]),
    ("dev-026", &["R. de Vries"]),
    ("dev-027", &["Bas Willems", "Willems"]),
    ("dev-029", &["Julia Schmitt", "Schmitt"]),
    ("dev-030", &["A. de Groot", "Marleen de Groot", "Marleen"]),
    (
        "dev-031",
        &["Ingrid", "Mohamed", "Annemiek Schouten", "Schouten"],
    ),
    ("dev-032", &["Melissa"]),
    ("dev-033", &["Peter Claassen", "Claassen"]),
    ("dev-034", &["Sandra", "Youssef El Amrani", "Amrani"]),
    ("dev-035", &["Chloe Martin"]),
    ("dev-037", &["Daniel Whitmore", "Whitmore"]),
    ("dev-038", &["Ingrid Sanders", "Sanders"]),
    (
        "dev-039",
        &["Ruud Kramer", "Ruud", "Gerda Holtkamp", "Holtkamp"],
    ),
    ("dev-040", &["L. Vermeulen"]),
    ("dev-042", &["Oliver Bennett", "Bennett"]),
    ("dev-043", &["G.J. Timmermans", "Timmermans"]),
    ("dev-045", &["Dennis van Leeuwen"]),
    ("dev-046", &["K. Dogan", "Dogan"]),
    ("dev-047", &["Lotte"]),
    ("dev-048", &["Mark Jansen", "Helen", "Mark"]),
    ("dev-049", &["Corrie van Os", "Corrie"]),
    ("dev-050", &["Femke", "Margaret O'Neill", "O'Neill"]),
    ("dev-052", &["Anna Clarke", "Clarke", "Richard"]),
    ("dev-053", &["Aoife Murphy", "Murphy"]),
    ("dev-054", &["Freek"]),
    ("dev-056", &["Jeroen", "Natalie Hughes", "Hughes"]),
    ("dev-057", &["Ilse"]),
    ("dev-058", &["R. Hendriks"]),
    ("dev-059", &["Fatima Bouzid", "Bouzid"]),
    ("dev-060", &["Tomasz Nowak", "Nowak"]),
    ("dev-062", &["P. van der Linden"]),
    ("dev-063", &["R. Bakker"]),
    ("dev-064", &["Kevin", "Ellen Vos"]),
    ("dev-065", &["M. Jansen"]),
    ("dev-066", &["Priya Raman", "Raman"]),
    ("dev-068", &["Laura", "James"]),
    ("dev-070", &["Hans Koster", "Koster"]),
    ("dev-071", &["Kees"]),
    ("dev-072", &["Ellen Brouwer"]),
    ("dev-073", &["Sanne"]),
    ("dev-074", &["Marco Rossi", "Rossi"]),
    ("dev-075", &["Joke Brouwer", "Brouwer", "Joke"]),
    ("dev-076", &["Sophie Lindqvist"]),
    ("dev-077", &["Mei Chen"]),
    ("dev-078", &["S. Mohan", "Mohan"]),
    ("dev-079", &["Marieke Vos", "Marieke"]),
    ("dev-080", &["Henk Mulder", "Mulder"]),
    ("dev-081", &["Nadia Hamdi", "Hamdi"]),
    ("dev-082", &["Ahmet Yildiz", "Yildiz"]),
    ("dev-083", &["Tineke"]),
    ("dev-084", &["Bos"]),
    ("dev-085", &["Demi"]),
    ("dev-086", &["De Boer", "Smits", "M. Lambrechts"]),
    ("dev-088", &["H. Visser", "Visser"]),
    ("dev-090", &["Kim"]),
    ("dev-092", &["Kuipers"]),
    ("dev-094", &["Jeroen"]),
    ("dev-095", &["Martijn Wolters", "Wolters"]),
    ("dev-097", &["S. Öztürk", "Öztürk"]),
    ("dev-100", &["A. Verhoeven", "Verhoeven"]),
    ("dev-102", &["Tom"]),
    ("dev-104", &["Lisa"]),
    ("dev-105", &["Linda Peters", "Peters"]),
    ("dev-106", &["Petra", "Erik Verbeek", "Verbeek"]),
    ("dev-107", &["Frank van Rijn"]),
    ("dev-108", &["Rob Jacobs", "Jacobs"]),
    ("dev-109", &["Joyce Meijer", "Meijer"]),
    ("dev-110", &["Sander Kok"]),
];

fn word(s: &str) -> Regex {
    Regex::new(&format!(
        r"(?:^|[^\p{{L}}]){}(?:$|[^\p{{L}}])",
        regex::escape(s)
    ))
    .unwrap()
}

#[test]
fn dev_corpus_keeps_no_address_phone_postcode_or_name() {
    let Some(corpus) = crate::harness::corpus() else {
        println!("SKIPPED: ../shared/corpus is absent");
        return;
    };
    let email = Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}").unwrap();
    let phone = Regex::new(r"(?:\+31|\(0\d{2,3}\)|\b0\d)[\d \-()]{7,16}\d").unwrap();
    let postcode = Regex::new(r"\b[1-9]\d{3} ?[A-Z]{2}\b").unwrap();
    let text = std::fs::read_to_string(corpus.join("labelled-dev.jsonl")).unwrap();
    let mut leaks = Vec::new();
    let mut checked = 0;
    let mut oracle_errors = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap();
        let input = format!(
            "{}\n{}",
            v["subject"].as_str().unwrap_or(""),
            v["body"].as_str().unwrap_or("")
        );
        let output = anonymise(&input, &[]);
        let mut sensitive: Vec<String> = Vec::new();
        sensitive.extend(email.find_iter(&input).map(|m| m.as_str().to_string()));
        sensitive.extend(
            phone
                .find_iter(&input)
                .map(|m| m.as_str().trim().to_string()),
        );
        sensitive.extend(postcode.find_iter(&input).map(|m| m.as_str().to_string()));
        for (n, names) in NAMES {
            if *n == id {
                for name in *names {
                    if !word(name).is_match(&input) {
                        oracle_errors.push(format!("{id}: {name}"));
                    }
                    sensitive.push(name.to_string());
                }
            }
        }
        for s in &sensitive {
            checked += 1;
            if word(s).is_match(&output) {
                leaks.push(format!("{id}: {s}"));
            }
        }
    }
    assert!(
        oracle_errors.is_empty(),
        "oracle names not in the corpus: {oracle_errors:?}"
    );
    assert!(checked > 150, "the oracle checked only {checked} items");
    assert!(
        leaks.is_empty(),
        "left in the anonymised text:\n{}",
        leaks.join("\n")
    );
}

#[test]
fn anonymised_text_keeps_the_complaint_readable() {
    let t = anonymise(
        "Beste Helder Energie,\n\nOp 14 januari is 2x € 89,95 afgeschreven. De monteur kwam drie keer niet.\n\nMet vriendelijke groet,\nHenk Mulder\nKlantnummer 5502-117-88\n",
        &[],
    );
    assert!(
        t.contains("Op 14 januari is 2x € 89,95 afgeschreven. De monteur kwam drie keer niet."),
        "{t}"
    );
    assert!(!t.contains("Mulder") && !t.contains("5502"), "{t}");
}
