//! The house reads top-down: commands -> evaluate -> rules -> index -> policy / snapshot ->
//! findings. This test reads every `crate::` path in the library's source, builds the graph
//! of its top-level modules, and fails on any circle and on any import that goes up that
//! chain, so that the shape stays.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The library's source files (the binary's `main.rs`, `cli.rs`, `commands/`, `output.rs`,
/// `exit.rs` and `progress.rs`, and the benchmark generator, sit above everything and are
/// left out), with the top-level module each belongs to.
fn library_files() -> Vec<(String, PathBuf)> {
    let src = root().join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src");
            let first = relative
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .unwrap_or_default();
            let module = first.trim_end_matches(".rs").to_string();
            if [
                "main", "cli", "progress", "bin", "commands", "output", "exit", "lib",
            ]
            .contains(&module.as_str())
            {
                continue;
            }
            files.push((module, path));
        }
    }
    files.sort();
    files
}

/// The top-level modules a file's code names through `crate::` (comments left out).
fn imports(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).expect("readable");
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                found.insert(name);
            }
            rest = after;
        }
    }
    found
}

fn graph() -> Graph {
    let mut graph = Graph::new();
    for (module, path) in library_files() {
        let targets = graph.entry(module.clone()).or_default();
        for target in imports(&path) {
            if target != module {
                targets.insert(target);
            }
        }
    }
    graph
}

/// A circle of modules, if the graph has one.
fn find_circle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(circle);
        }
    }
    None
}

/// The layers named in the README's map, top first. A module may import only those below it.
const LAYERS: [&[&str]; 5] = [
    &["evaluate"],
    &["rules"],
    &["index"],
    &["policy", "snapshot"],
    &["findings"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Imports that go up the layers: (from, to). Modules of one layer may use each other
/// (policies select VPCs by their snapshot records); circles are caught on their own.
fn upward(graph: &Graph) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (from, targets) in graph {
        for to in targets {
            if let (Some(a), Some(b)) = (layer_of(from), layer_of(to))
                && b < a
            {
                found.push((from.clone(), to.clone()));
            }
        }
    }
    found
}

#[test]
fn the_library_has_no_import_circle_and_no_upward_import() {
    let graph = graph();
    assert!(
        graph.contains_key("rules") && graph.contains_key("index"),
        "{graph:?}"
    );
    assert_eq!(find_circle(&graph), None, "import circle in {graph:#?}");
    assert_eq!(upward(&graph), Vec::<(String, String)>::new());
    // The rules read the index, and the index knows nothing of the rules.
    assert!(graph["rules"].contains("index"));
    assert!(!graph["index"].contains("rules") && !graph["index"].contains("evaluate"));
}

#[test]
fn a_planted_circle_is_found() {
    let mut graph = graph();
    graph
        .entry("index".to_string())
        .or_default()
        .insert("rules".to_string());
    let circle = find_circle(&graph).expect("the planted circle");
    assert!(
        circle.contains(&"index".to_string()) && circle.contains(&"rules".to_string()),
        "{circle:?}"
    );
    assert!(upward(&graph).contains(&("index".to_string(), "rules".to_string())));
}
