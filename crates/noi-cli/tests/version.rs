//! `noi --version`: the workspace version and the git commit it was built from (build.rs).

use std::process::Command;

#[test]
fn version_names_the_workspace_version_and_the_commit() {
    let output = Command::new(env!("CARGO_BIN_EXE_noi"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let rest = text
        .trim()
        .strip_prefix(&format!("noi {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("not `noi <version> (<commit>)`: {text:?}"));
    let commit = rest.strip_suffix(')').unwrap();
    let hash = commit.strip_suffix("-dirty").unwrap_or(commit);
    // This test runs in the git checkout, so the fallback `unknown` would be a failure here.
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(hash, head.trim(), "{text:?}");
}
