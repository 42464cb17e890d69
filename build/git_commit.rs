// Shared by the build scripts of `noi` (crates/noi-cli/build.rs) and `noi-desktop`
// (src-tauri/build.rs) through `include!`: sets `NOI_GIT_COMMIT` to the short commit of the
// checkout (with `-dirty` when tracked files are modified), or to `unknown` outside git (a
// source tarball), so `--version` prints `0.1.0 (abc1234)`. Plain `git`: no extra crate.

/// Emits `cargo:rustc-env=NOI_GIT_COMMIT=...` and the files whose change means a new commit.
fn emit_git_commit() {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = match git(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) if !hash.is_empty() => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{hash}-dirty") } else { hash }
        }
        _ => "unknown".to_string(),
    };
    println!("cargo:rustc-env=NOI_GIT_COMMIT={commit}");
    // A new commit moves HEAD or the branch it points to (loose or packed ref); only existing
    // paths are named, since a missing one would make cargo rerun the script on every build.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".into(), "index".into()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for path in watched {
        let Some(p) = git(&["rev-parse", "--path-format=absolute", "--git-path", &path]) else {
            continue;
        };
        if std::path::Path::new(&p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}
