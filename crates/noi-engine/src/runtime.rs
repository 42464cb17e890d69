//! Loading ONNX Runtime. The shared library is a run-time dependency (ort's `load-dynamic`):
//! it is found through `ORT_DYLIB_PATH`, next to the executable, or in the project's `.ort`
//! folder that `scripts/setup.sh` fills from the PyPI `onnxruntime` wheel.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

use crate::error::{EngineError, Result};

/// File name of the library inside the PyPI wheel (`onnxruntime/capi/`).
const WHEEL_LIBRARY: &str = "libonnxruntime.so.1.32.0";

static ENVIRONMENT: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();

/// The process-wide ONNX Runtime environment, loaded on first use.
pub fn environment() -> Result<Environment> {
    let loaded = ENVIRONMENT.get_or_init(|| load().map_err(|e| e.to_string()));
    loaded.clone().map_err(|reason| EngineError::RuntimeLoad {
        path: library_candidates().into_iter().next().unwrap_or_default(),
        reason,
    })
}

fn load() -> Result<Environment> {
    let candidates = library_candidates();
    let Some(path) = candidates.iter().find(|p| p.is_file()) else {
        let looked = candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(EngineError::RuntimeMissing { looked });
    };
    let to_error = |reason: String| EngineError::RuntimeLoad {
        path: path.clone(),
        reason,
    };
    ort::init_from(path)
        .map_err(|e| to_error(e.to_string()))?
        .with_name("noi")
        .build()
        .map_err(|e| to_error(e.to_string()))
}

/// Where the library may be, most specific first.
fn library_candidates() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH") {
        candidates.push(PathBuf::from(path));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join(WHEEL_LIBRARY));
        candidates.push(dir.join("libonnxruntime.so"));
        // target/{debug,release}/ → the repository's .ort folder.
        for up in dir.ancestors().skip(1).take(3) {
            candidates.push(up.join(".ort/onnxruntime/capi").join(WHEEL_LIBRARY));
        }
    }
    candidates
}
