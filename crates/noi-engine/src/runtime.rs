//! Loading ONNX Runtime. The shared library is a run-time dependency (ort's `load-dynamic`):
//! it is found through `ORT_DYLIB_PATH`, next to the executable, or in the project's `.ort`
//! folder that `scripts/setup.sh` fills from the PyPI `onnxruntime` wheel.

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
/// else next to the executable, else the repository's `.ort` folder above `target/`.
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
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join(WHEEL_LIBRARY));
        candidates.push(dir.join("libonnxruntime.so"));
        // target/{debug,release}[/deps] → the repository's .ort folder.
        for up in dir.ancestors().skip(1).take(3) {
            candidates.push(up.join(".ort/onnxruntime/capi").join(WHEEL_LIBRARY));
        }
    }
    candidates
}
