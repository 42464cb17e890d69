//! Loading ONNX Runtime. The shared library is a run-time dependency (ort's `load-dynamic`):
//! it is found through `ORT_DYLIB_PATH`, next to the executable, in `<exe dir>/../lib/noi/`
//! (where the .deb and .rpm put it: `/usr/bin/noi` → `/usr/lib/noi/`), or in the project's
//! `.ort` folder that `scripts/setup.sh` fills from the PyPI `onnxruntime` wheel.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

use crate::error::{EngineError, Result};

/// File name of the library inside the PyPI wheel (`onnxruntime/capi/`).
const WHEEL_LIBRARY: &str = "libonnxruntime.so.1.32.0";

/// How to get the library, for error messages.
const FIX: &str = "run scripts/run.sh from the Nói repository (it installs ONNX Runtime 1.32 into .ort/), \
or set ORT_DYLIB_PATH to a libonnxruntime.so of version 1.32";

static ENVIRONMENT: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();

/// The process-wide ONNX Runtime environment, loaded on first use.
pub fn environment() -> Result<Environment> {
    ENVIRONMENT
        .get_or_init(load)
        .clone()
        .map_err(EngineError::Runtime)
}

fn load() -> std::result::Result<Environment, String> {
    let path = find_library()?;
    let failed = |e: &dyn std::fmt::Display| {
        format!(
            "ONNX Runtime at {} could not be loaded ({e}); {FIX}",
            path.display()
        )
    };
    ort::init_from(&path)
        .map_err(|e| failed(&e))?
        .with_name("noi")
        .build()
        .map_err(|e| failed(&e))
}

/// `ORT_DYLIB_PATH` when set (it must exist: a wrong explicit path is an error, not a hint),
/// else next to the executable, else `<exe dir>/../lib/noi/` (installed packages), else the
/// repository's `.ort` folder above `target/`.
fn find_library() -> std::result::Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "ORT_DYLIB_PATH is set to {}, which is not a file; {FIX}",
                path.display()
            ))
        };
    }
    let candidates = default_candidates();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            format!(
                "ONNX Runtime not found (looked at {}); {FIX}",
                looked.join(", ")
            )
        })
}

/// Where the library may be when `ORT_DYLIB_PATH` is not set, most specific first.
fn default_candidates() -> Vec<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
        .map(|dir| candidates_beside(&dir))
        .unwrap_or_default()
}

/// The candidates for an executable in `dir`.
fn candidates_beside(dir: &Path) -> Vec<PathBuf> {
    let mut candidates = vec![dir.join(WHEEL_LIBRARY), dir.join("libonnxruntime.so")];
    // Installed packages: /usr/bin/noi{,-desktop} → /usr/lib/noi/ (scripts/package.sh).
    if let Some(prefix) = dir.parent() {
        candidates.push(prefix.join("lib/noi").join(WHEEL_LIBRARY));
    }
    // target/{debug,release}[/deps] → the repository's .ort folder.
    for up in dir.ancestors().skip(1).take(3) {
        candidates.push(up.join(".ort/onnxruntime/capi").join(WHEEL_LIBRARY));
    }
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_installed_binary_finds_the_library_in_lib_noi() {
        let candidates = candidates_beside(Path::new("/usr/bin"));
        assert!(
            candidates.contains(&PathBuf::from("/usr/lib/noi/libonnxruntime.so.1.32.0")),
            "{candidates:?}"
        );
    }

    #[test]
    fn the_first_existing_candidate_is_the_packaged_layout() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("bin");
        let lib = root.path().join("lib/noi");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join(WHEEL_LIBRARY), b"").unwrap();
        let found = candidates_beside(&bin).into_iter().find(|p| p.is_file());
        assert_eq!(found, Some(lib.join(WHEEL_LIBRARY)));
        // A library next to the executable still wins over the packaged layout.
        std::fs::write(bin.join(WHEEL_LIBRARY), b"").unwrap();
        let found = candidates_beside(&bin).into_iter().find(|p| p.is_file());
        assert_eq!(found, Some(bin.join(WHEEL_LIBRARY)));
    }
}
