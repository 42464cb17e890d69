//! The git commit in `noi --version` (build/git_commit.rs, shared with noi-desktop).
include!("../../build/git_commit.rs");

fn main() {
    emit_git_commit();
}
