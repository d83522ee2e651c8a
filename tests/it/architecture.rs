//! The shape of the code, checked: no module imports a module that imports
//! it back (directly or through others), no function is longer than 120
//! lines except the flat `match` folds listed here, and nothing silences
//! clippy's `too_many_arguments`. Run alone with `cargo test --test it
//! architecture`; on failure it prints the circle or the function.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Functions allowed past the limit: flat `match` folds, one arm per case,
/// where splitting would only scatter the table.
const FLAT_MATCH_FOLDS: &[(&str, &str)] = &[
    // The fold of a case over its events: one arm per event kind.
    ("src/cases/case.rs", "apply"),
];

const MAX_LINES: usize = 120;

/// The source tree checked: this crate's `src/`, or the one
/// `KLACHTD_ARCHITECTURE_SRC` names (to see the checks fail on another
/// tree, such as the code before the redesign).
fn src() -> PathBuf {
    std::env::var_os("KLACHTD_ARCHITECTURE_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// Every `.rs` file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Source with comments, strings and char literals blanked (newlines
/// kept), so braces and paths are only the code's.
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                out.push(blank(b[i]));
                i += 1;
            }
            out.push_str("  ");
            i += 2;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && {
            let mut j = i + 1;
            while b.get(j) == Some(&'#') {
                j += 1;
            }
            b.get(j) == Some(&'"') && (i == 0 || !b[i - 1].is_alphanumeric())
        } {
            let mut hashes = 0;
            let mut j = i + 1;
            while b[j] == '#' {
                hashes += 1;
                j += 1;
            }
            out.push_str(&" ".repeat(j - i + 1));
            i = j + 1;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                    out.push_str(&" ".repeat(hashes + 1));
                    i += hashes + 1;
                    break;
                }
                out.push(blank(b[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), not a lifetime.
            let end = if next == Some('\\') {
                (i + 2..b.len().min(i + 12)).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    out.push_str(&" ".repeat(e - i + 1));
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The code of a file before its `#[cfg(test)]` module.
fn without_tests(code: &str) -> &str {
    match code.find("#[cfg(test)]") {
        Some(i) => &code[..i],
        None => code,
    }
}

/// The module path of a file of the library (`intake::watcher`), or of the
/// binary (`cli::run`), and which crate it is in.
fn module_of(file: &Path) -> (bool, String) {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    let bin = parts.first().is_some_and(|p| p == "main" || p == "cli");
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    (bin, parts.join("::"))
}

/// Modules each module refers to (`crate::…`, `super::…`, and a declared
/// child module by its name: `mod child;` … `child::…`).
fn graph(bin: bool) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<String, PathBuf> = files(&src())
        .into_iter()
        .map(|f| (module_of(&f), f))
        .filter(|((b, _), _)| *b == bin)
        .map(|((_, m), f)| (m, f))
        .collect();
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|m| modules.contains_key(m))
    };
    let path_re = regex::Regex::new(r"\b(crate|super)((?:::\w+)*)(?:::\{([^}]*)\})?").unwrap();
    let mod_re = regex::Regex::new(r"(?m)^\s*(?:pub(?:\([\w:]+\))?\s+)?mod\s+(\w+)\s*;").unwrap();
    let relative_re = regex::Regex::new(r"(?:^|[^:\w])(\w+)::(\w+)").unwrap();
    let mut edges = BTreeMap::new();
    for (m, file) in &modules {
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        let code = without_tests(&code);
        let mut to = BTreeSet::new();
        let parent: Vec<&str> = {
            let mut p: Vec<&str> = m.split("::").filter(|s| !s.is_empty()).collect();
            if !file.ends_with("mod.rs") {
                p.pop();
            }
            p
        };
        for c in path_re.captures_iter(code) {
            let base: Vec<String> = if &c[1] == "crate" {
                Vec::new()
            } else {
                parent.iter().map(|s| s.to_string()).collect()
            };
            let rest: Vec<String> = c[2]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let prefix = [base, rest].concat();
            match c.get(3) {
                // `crate::a::{b, c::d}`: each item.
                Some(group) => {
                    for item in group.as_str().split(',') {
                        let item = item.split_whitespace().next().unwrap_or("");
                        let mut full = prefix.clone();
                        full.extend(
                            item.split("::")
                                .filter(|s| !s.is_empty() && *s != "self")
                                .map(str::to_string),
                        );
                        to.extend(resolve(&full.join("::")));
                    }
                }
                None => to.extend(resolve(&prefix.join("::"))),
            }
        }
        // `mod child;` then `child::…` (or `use child::…`): the child.
        let children: Vec<String> = mod_re
            .captures_iter(code)
            .map(|c| c[1].to_string())
            .collect();
        for c in relative_re.captures_iter(code) {
            if children.iter().any(|child| *child == c[1]) {
                let own: Vec<&str> = m.split("::").filter(|s| !s.is_empty()).collect();
                let full = [own.join("::"), c[1].to_string(), c[2].to_string()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("::");
                to.extend(resolve(&full));
            }
        }
        to.remove(m);
        to.remove("");
        edges.insert(m.clone(), to);
    }
    edges
}

/// A circle in the graph, if there is one.
fn find_circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for n in edges.get(m).into_iter().flatten() {
            match state.get(n).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == n).unwrap();
                    let mut circle = stack[at..].to_vec();
                    circle.push(n.clone());
                    return Some(circle);
                }
                0 => {
                    if let Some(c) = visit(n, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if state.get(m).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(m, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    for bin in [false, true] {
        let edges = graph(bin);
        assert!(edges.len() > if bin { 0 } else { 20 }, "{edges:?}");
        if let Some(circle) = find_circle(&edges) {
            panic!("import circle: {}", circle.join(" → "));
        }
    }
}

/// The layers of the library, lowest first: a module may import its own
/// layer and those below it, never one above (data flows one way, from
/// intake to letters; reports and privacy read what the procedure wrote).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaf",
        &[
            "address",
            "anonymise",
            "clock",
            "config",
            "deadline",
            "problem",
            "store",
            "text",
            "tls",
        ],
    ),
    ("intake", &["intake"]),
    ("cases", &["cases"]),
    ("letters", &["letters"]),
    ("reports", &["reports"]),
    ("procedure", &["procedure"]),
    ("privacy", &["privacy"]),
    ("daemon", &["daemon"]),
];

/// The layer of a library module (by its top-level name).
fn layer(module: &str) -> usize {
    let top = module.split("::").next().unwrap_or("");
    LAYERS
        .iter()
        .position(|(_, tops)| tops.contains(&top))
        .unwrap_or_else(|| panic!("module {module} is in no layer; add it to LAYERS"))
}

#[test]
fn data_flows_one_way_from_intake_to_letters() {
    let edges = graph(false);
    let mut upward = Vec::new();
    for (from, tos) in &edges {
        if from.is_empty() {
            continue;
        }
        for to in tos {
            let (a, b) = (layer(from), layer(to));
            // Reports and letters are side by side: neither imports the other.
            let sideways = a != b && LAYERS[a].0 == "reports" && LAYERS[b].0 == "letters";
            if b > a || sideways {
                upward.push(format!(
                    "{from} ({}) imports {to} ({})",
                    LAYERS[a].0, LAYERS[b].0
                ));
            }
        }
    }
    assert!(upward.is_empty(), "imports against the flow: {upward:#?}");
}

#[test]
fn the_circle_finder_finds_circles() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.insert("a".into(), ["b".to_string()].into());
    edges.insert("b".into(), ["c".to_string()].into());
    edges.insert("c".into(), ["a".to_string()].into());
    assert_eq!(find_circle(&edges).unwrap().len(), 4);
    edges.insert("c".into(), BTreeSet::new());
    assert_eq!(find_circle(&edges), None);
}

/// `(file, name, lines)` of every function.
fn functions() -> Vec<(String, String, usize)> {
    let fn_re = regex::Regex::new(
        r"^\s*(?:pub(?:\([\w:]+\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)",
    )
    .unwrap();
    let mut out = Vec::new();
    for file in files(&src()) {
        let code = code_only(&std::fs::read_to_string(&file).unwrap());
        let lines: Vec<&str> = code.lines().collect();
        let rel = file
            .strip_prefix(src().parent().unwrap())
            .unwrap()
            .display()
            .to_string();
        for (i, line) in lines.iter().enumerate() {
            let Some(c) = fn_re.captures(line) else {
                continue;
            };
            let (mut depth, mut opened) = (0i32, false);
            for (j, l) in lines.iter().enumerate().skip(i) {
                if !opened && depth == 0 && l.trim_end().ends_with(';') {
                    break;
                }
                for ch in l.chars() {
                    match ch {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if opened && depth == 0 {
                    out.push((rel.clone(), c[1].to_string(), j - i + 1));
                    break;
                }
            }
        }
    }
    out
}

#[test]
fn no_function_is_longer_than_120_lines_but_flat_match_folds() {
    let all = functions();
    assert!(all.len() > 300, "found only {} functions", all.len());
    let long: Vec<String> = all
        .iter()
        .filter(|(file, name, n)| {
            *n > MAX_LINES
                && !FLAT_MATCH_FOLDS
                    .iter()
                    .any(|(f, fname)| f == file && fname == name)
        })
        .map(|(file, name, n)| format!("{file}: {name} ({n} lines)"))
        .collect();
    assert!(long.is_empty(), "too long: {long:#?}");
}

#[test]
fn nothing_silences_too_many_arguments() {
    let allowing: Vec<String> = files(&src())
        .into_iter()
        .filter(|f| code_only(&std::fs::read_to_string(f).unwrap()).contains("too_many_arguments"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(allowing.is_empty(), "{allowing:?}");
}
