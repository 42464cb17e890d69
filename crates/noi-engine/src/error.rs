//! The engine's error type. Each variant names the problem and, where there is one, the fix.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    /// ONNX Runtime is missing or unusable; the message says where we looked and the fix.
    #[error("{0}")]
    Runtime(String),

    #[error("model directory {0} does not exist or is not a directory")]
    ModelDirMissing(PathBuf),

    #[error(
        "model directory {dir} has no {part} file (looked for {candidates}); is this a sherpa-onnx Zipformer transducer bundle?"
    )]
    ModelFileMissing {
        dir: PathBuf,
        part: &'static str,
        candidates: String,
    },

    #[error(
        "model file {path} could not be loaded ({reason}); it may be truncated or corrupt: download or install the model again"
    )]
    ModelLoad { path: PathBuf, reason: String },

    #[error("model file {path} does not look like a Zipformer transducer {part}: {reason}")]
    ModelInterface {
        path: PathBuf,
        part: &'static str,
        reason: String,
    },

    #[error("{path}: {reason}")]
    Tokens { path: PathBuf, reason: String },

    #[error("inference failed in the {part}: {reason}")]
    Inference { part: &'static str, reason: String },

    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),

    #[error(transparent)]
    Resample(#[from] crate::resample::ResampleError),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    /// Wraps an ONNX Runtime failure during `run` with the part of the model it happened in.
    pub(crate) fn inference(part: &'static str, err: impl std::fmt::Display) -> Self {
        EngineError::Inference {
            part,
            reason: err.to_string(),
        }
    }
}
