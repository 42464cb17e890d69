//! Tauri reads its configuration at compile time; ours sits at the repository root
//! (docs/architecture.md, "Crates, one job each").
include!("../build/git_commit.rs");

fn main() {
    // The git commit in `noi-desktop --version` (build/git_commit.rs, shared with `noi`).
    emit_git_commit();
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build step: see tauri.conf.json at the repository root");
}
