//! The shape of `src-tauri/src`, checked from its source: no module imports one that imports
//! it back (directly or around a circle), nothing is reached through a process-wide mutable
//! static, and managed state is looked up in the wiring only. Read from the files, not run, so
//! it needs no display.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path ("settings_commands::preferences") → source text, for every file in src/.
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    collect(&root, &root, &mut found);
    assert!(found.len() > 10, "src/ read: {:?}", found.keys());
    found
}

fn collect(root: &Path, dir: &Path, found: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.insert(
                module_name(root, &path),
                std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
}

fn module_name(root: &Path, path: &Path) -> String {
    let relative: PathBuf = path.strip_prefix(root).unwrap().with_extension("");
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("::")
}

/// The top-level modules a source refers to through `crate::` (imports and paths alike).
fn uses(source: &str) -> BTreeSet<String> {
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(rest) = rest.strip_prefix('{') {
            // `use crate::{a, b::c}`
            let group = &rest[..rest.find('}').unwrap_or(rest.len())];
            for item in group.split(',') {
                found.extend(first_segment(item.trim()));
            }
        } else {
            found.extend(first_segment(rest));
        }
    }
    found
}

fn first_segment(path: &str) -> Option<String> {
    let end = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    (end > 0).then(|| path[..end].to_owned())
}

/// The graph between top-level modules (a submodule counts as its parent).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, source) in modules() {
        let top = name.split("::").next().unwrap().to_owned();
        let targets = edges.entry(top.clone()).or_default();
        targets.extend(uses(&source).into_iter().filter(|t| *t != top));
    }
    edges
}

/// A circle through `start`, if there is one.
fn circle_from(
    edges: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    let here = path.last().unwrap().clone();
    for next in edges.get(&here).into_iter().flatten() {
        if next == start {
            let mut circle = path.clone();
            circle.push(next.clone());
            return Some(circle);
        }
        if !path.contains(next) {
            path.push(next.clone());
            if let Some(circle) = circle_from(edges, start, path) {
                return Some(circle);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn the_reader_finds_imports_of_each_form() {
    let source = "use crate::core::{AppCore, Event};\nuse crate::{tray, hotkeys::Hotkeys};\n\
                  fn f() { crate::app::run(); }\n// crate::commented::out\n";
    let found: Vec<String> = uses(source).into_iter().collect();
    assert_eq!(found, ["app", "core", "hotkeys", "tray"]);
}

#[test]
fn no_module_imports_in_a_circle() {
    let edges = graph();
    assert!(edges.contains_key("desktop") && edges.contains_key("app"));
    for start in edges.keys() {
        let circle = circle_from(&edges, start, &mut vec![start.clone()]);
        assert!(
            circle.is_none(),
            "import circle: {}",
            circle.unwrap().join(" → ")
        );
    }
}

#[test]
fn nothing_imports_the_wiring() {
    for (module, targets) in graph() {
        assert!(
            !targets.contains("app") || module == "main",
            "{module} calls back into app.rs"
        );
    }
}

#[test]
fn no_process_wide_mutable_statics() {
    for (module, source) in modules() {
        for line in source.lines().map(str::trim_start) {
            let is_static = line.starts_with("static ") || line.starts_with("pub static ");
            let mutable = [
                "Mutex", "RwLock", "Atomic", "LazyLock", "OnceLock", "Cell", "mut ",
            ]
            .iter()
            .any(|kind| line.contains(kind));
            assert!(!(is_static && mutable), "{module}: {line}");
        }
    }
}

#[test]
fn managed_state_is_looked_up_in_the_wiring_only() {
    for (module, source) in modules() {
        let lookups = source.matches("try_state").count() + source.matches(".state::<").count();
        if module == "app" {
            assert_eq!(lookups, 1, "app.rs: one helper finds the controller");
        } else {
            assert_eq!(lookups, 0, "{module} looks up managed state");
        }
    }
}
