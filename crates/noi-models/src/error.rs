//! The model manager's error type. Each variant names the problem and the command that fixes it.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ModelError {
    /// Nothing in the data dir and no `--model-dir`: the first thing a new user meets.
    #[error(
        "no model installed (looked in {models_dir}): run `noi models download {default_id}` to download the default model, or `noi models install FILE` to install a .tar.bz2 archive or model folder you already have"
    )]
    NoModelInstalled {
        models_dir: PathBuf,
        default_id: String,
    },

    #[error("model {id} is not installed: run `noi models download {id}`")]
    NotInstalled { id: String },

    #[error(
        "model {id} is not installed and not in the catalog (known: {known}): run `noi models list` to see the models, or `noi models install FILE`"
    )]
    UnknownModel { id: String, known: String },

    #[error("{id} is not a valid model id: use letters, digits, '.', '_' and '-' only")]
    InvalidId { id: String },

    #[error("the model catalog {source_name} is invalid: {reason}; fix it or unset NOI_CATALOG")]
    Catalog { source_name: String, reason: String },

    #[error(
        "{url} answered HTTP {status}: {hint}; check the catalog URL or NOI_MODEL_MIRROR, or download the archive yourself and run `noi models install FILE`"
    )]
    Http {
        url: String,
        status: u16,
        hint: &'static str,
    },

    #[error(
        "could not download {url} after {attempts} attempts ({reason}): check the connection and run the same command again; the download resumes where it stopped"
    )]
    Network {
        url: String,
        attempts: u32,
        reason: String,
    },

    #[error(
        "download interrupted; the {done} bytes received so far are kept: run the same command again to resume"
    )]
    Interrupted { done: u64 },

    #[error(
        "{what} does not match its pin ({detail}); it was deleted and nothing was installed: run the command again, and if this repeats the file on the server (or NOI_MODEL_MIRROR) is not the published one"
    )]
    Mismatch { what: String, detail: String },

    #[error(
        "archive {archive} is unsafe: entry {entry:?} {reason}; nothing was installed (only download models from the catalog or sources you trust)"
    )]
    UnsafeArchive {
        archive: PathBuf,
        entry: String,
        reason: &'static str,
    },

    #[error(
        "{path} is not a usable model: {reason}; install a sherpa-onnx Zipformer transducer (a .tar.bz2 archive or a folder with encoder, decoder, joiner .onnx files and tokens.txt)"
    )]
    NotAModel { path: PathBuf, reason: String },

    #[error(
        "installed model {id} is damaged: {detail}; run `noi models remove {id}` and `noi models download {id}` (or install it again)"
    )]
    Damaged { id: String, detail: String },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "cannot find a data directory for models: set NOI_DATA_DIR to a writable directory (models go in $NOI_DATA_DIR/models)"
    )]
    NoDataDir,
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// `map_err` helper: an I/O failure with what we were doing and on which path.
pub(crate) fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> ModelError {
    let path = path.into();
    move |source| ModelError::Io {
        action,
        path,
        source,
    }
}
