//! The ONNX transducer: a model bundle on disk (encoder, decoder, joiner, tokens) and the
//! three ONNX Runtime sessions that run it.
//!
//! `ort` runs a session through `&mut`, so each session sits behind a mutex: one set of
//! sessions serves every thread, and parallelism comes from ONNX Runtime's intra-op threads.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ndarray::{Array2, ArrayView2, Axis};
use ort::session::builder::GraphOptimizationLevel;
use ort::session::{RunOptions, Session};
use ort::value::TensorRef;

use crate::error::{EngineError, Result};
use crate::runtime;
use crate::tokens::Tokens;

/// The three parts of a transducer, named as sherpa-onnx archives name their files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Encoder,
    Decoder,
    Joiner,
}

impl Part {
    pub fn name(self) -> &'static str {
        match self {
            Part::Encoder => "encoder",
            Part::Decoder => "decoder",
            Part::Joiner => "joiner",
        }
    }
}

/// The files of a model bundle, found by name in one directory.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub dir: PathBuf,
    pub encoder: PathBuf,
    pub decoder: PathBuf,
    pub joiner: PathBuf,
    pub tokens: PathBuf,
}

impl ModelFiles {
    /// Finds `encoder[-epoch-N-avg-M][.int8].onnx` etc., preferring int8 where both exist.
    pub fn discover(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(EngineError::ModelDirMissing(dir.to_path_buf()));
        }
        let names = list_file_names(dir);
        let tokens = dir.join("tokens.txt");
        if !tokens.is_file() {
            return Err(EngineError::ModelFileMissing {
                dir: dir.to_path_buf(),
                part: "tokens",
                candidates: "tokens.txt".into(),
            });
        }
        Ok(ModelFiles {
            dir: dir.to_path_buf(),
            encoder: find_part(dir, &names, Part::Encoder)?,
            decoder: find_part(dir, &names, Part::Decoder)?,
            joiner: find_part(dir, &names, Part::Joiner)?,
            tokens,
        })
    }

    /// True when the encoder is int8-quantised (reported by the API as `"encoder": "int8"`).
    pub fn encoder_is_int8(&self) -> bool {
        self.encoder.to_string_lossy().ends_with(".int8.onnx")
    }
}

fn list_file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

fn find_part(dir: &Path, names: &[String], part: Part) -> Result<PathBuf> {
    let prefix = part.name();
    let matches = |name: &&String, int8: bool| {
        let Some(rest) = name.strip_prefix(prefix) else {
            return false;
        };
        let is_int8 = rest.ends_with(".int8.onnx");
        let suffix_ok = rest.ends_with(".onnx") && (rest.starts_with('.') || rest.starts_with('-'));
        suffix_ok && is_int8 == int8
    };
    names
        .iter()
        .find(|n| matches(n, true))
        .or_else(|| names.iter().find(|n| matches(n, false)))
        .map(|n| dir.join(n))
        .ok_or_else(|| EngineError::ModelFileMissing {
            dir: dir.to_path_buf(),
            part: prefix,
            candidates: format!(
                "{prefix}-epoch-*-avg-*.int8.onnx, {prefix}.int8.onnx, {prefix}.onnx"
            ),
        })
}

/// Sizes read from the ONNX files, never assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelDims {
    pub feature_dim: usize,
    pub vocab_size: usize,
    pub context_size: usize,
    pub joiner_dim: usize,
}

/// Session settings.
#[derive(Debug, Clone, Copy)]
pub struct ModelOptions {
    /// ONNX Runtime intra-op threads of the encoder, where nearly all the compute is. The
    /// decoder and joiner run single-threaded: they multiply one row or a few per call.
    pub threads: usize,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            threads: default_threads(),
        }
    }
}

/// Encoder threads when the user chose none: one per core, at most 4 (more stop paying off
/// for one encoder run and take cores from the rest of the machine). Every door uses this.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// A loaded transducer, shareable across threads.
pub struct Transducer {
    encoder: Mutex<Session>,
    decoder: Mutex<Session>,
    joiner: Mutex<Session>,
    dims: ModelDims,
    tokens: Tokens,
    files: ModelFiles,
}

impl Transducer {
    /// Loads a bundle directory (see [`ModelFiles::discover`]).
    pub fn load(dir: &Path, options: ModelOptions) -> Result<Self> {
        let files = ModelFiles::discover(dir)?;
        Self::load_files(files, options)
    }

    pub fn load_files(files: ModelFiles, options: ModelOptions) -> Result<Self> {
        let encoder = open_session(&files.encoder, options.threads)?;
        // The decoder and joiner run on one row or a few per call: splitting such small
        // products across threads costs more in hand-offs than it saves.
        let decoder = open_session(&files.decoder, 1)?;
        let joiner = open_session(&files.joiner, 1)?;
        let tokens = Tokens::load(&files.tokens)?;
        let dims = check_interface(&files, &encoder, &decoder, &joiner)?;
        if tokens.len() != dims.vocab_size {
            return Err(EngineError::Tokens {
                path: files.tokens.clone(),
                reason: format!(
                    "has {} tokens but the model's vocab_size is {}: the tokens file belongs to another model",
                    tokens.len(),
                    dims.vocab_size
                ),
            });
        }
        Ok(Transducer {
            encoder: Mutex::new(encoder),
            decoder: Mutex::new(decoder),
            joiner: Mutex::new(joiner),
            dims,
            tokens,
            files,
        })
    }

    pub fn dims(&self) -> ModelDims {
        self.dims
    }

    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    pub fn files(&self) -> &ModelFiles {
        &self.files
    }

    /// Encodes one utterance's features `(T, feature_dim)` into `(T', joiner_dim)`.
    pub fn encode(&self, features: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        self.encode_with(features, None)
    }

    /// [`Self::encode`] with run options, whose `terminate()` stops the run early from
    /// another thread (the run then fails).
    pub fn encode_with(
        &self,
        features: ArrayView2<'_, f32>,
        run_options: Option<&RunOptions>,
    ) -> Result<Array2<f32>> {
        let err = |e: ort::Error| EngineError::inference("encoder", e);
        let frames = features.nrows();
        let x = features.insert_axis(Axis(0));
        let x = x.as_standard_layout();
        let x_lens = ndarray::arr1(&[frames as i64]);
        let inputs = ort::inputs![
            "x" => TensorRef::from_array_view(x.view()).map_err(err)?,
            "x_lens" => TensorRef::from_array_view(x_lens.view()).map_err(err)?,
        ];
        let mut session = lock(&self.encoder);
        let outputs = match run_options {
            Some(options) => session.run_with_options(inputs, options),
            None => session.run(inputs),
        }
        .map_err(err)?;
        let out = outputs["encoder_out"]
            .try_extract_array::<f32>()
            .map_err(err)?;
        let lens = outputs["encoder_out_lens"]
            .try_extract_array::<i64>()
            .map_err(err)?;
        let valid = lens.iter().next().copied().unwrap_or(0).max(0) as usize;
        let out = out
            .index_axis(Axis(0), 0)
            .into_dimensionality::<ndarray::Ix2>()
            .map_err(|e| EngineError::inference("encoder", e))?;
        Ok(out
            .slice(ndarray::s![..valid.min(out.nrows()), ..])
            .to_owned())
    }

    /// Runs the decoder on `n` contexts of `context_size` ids each, laid out row by row.
    pub fn run_decoder(&self, contexts: &[i64]) -> Result<Array2<f32>> {
        let err = |e: ort::Error| EngineError::inference("decoder", e);
        let n = contexts.len() / self.dims.context_size;
        let y = ArrayView2::from_shape((n, self.dims.context_size), contexts)
            .map_err(|e| EngineError::inference("decoder", e))?;
        let mut session = lock(&self.decoder);
        let outputs = session
            .run(ort::inputs!["y" => TensorRef::from_array_view(y).map_err(err)?])
            .map_err(err)?;
        to_array2(&outputs[0], "decoder")
    }

    /// Runs the joiner on matching rows of encoder and decoder output: `(n, vocab)` logits.
    pub fn run_joiner(
        &self,
        encoder_out: ArrayView2<'_, f32>,
        decoder_out: ArrayView2<'_, f32>,
    ) -> Result<Array2<f32>> {
        let err = |e: ort::Error| EngineError::inference("joiner", e);
        let enc = encoder_out.as_standard_layout();
        let dec = decoder_out.as_standard_layout();
        let mut session = lock(&self.joiner);
        let outputs = session
            .run(ort::inputs![
                "encoder_out" => TensorRef::from_array_view(enc.view()).map_err(err)?,
                "decoder_out" => TensorRef::from_array_view(dec.view()).map_err(err)?,
            ])
            .map_err(err)?;
        to_array2(&outputs[0], "joiner")
    }
}

/// A poisoned mutex only means another thread panicked mid-run; the session itself is fine.
fn lock(session: &Mutex<Session>) -> std::sync::MutexGuard<'_, Session> {
    session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn to_array2(value: &ort::value::DynValue, part: &'static str) -> Result<Array2<f32>> {
    let view = value
        .try_extract_array::<f32>()
        .map_err(|e| EngineError::inference(part, e))?;
    view.into_dimensionality::<ndarray::Ix2>()
        .map(|v| v.to_owned())
        .map_err(|e| EngineError::inference(part, e))
}

fn open_session(path: &Path, threads: usize) -> Result<Session> {
    let env = runtime::environment()?;
    let to_error = |e: ort::Error| EngineError::ModelLoad {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    // Reading the file first turns "missing"/"unreadable" into an I/O error, not a parse error.
    std::fs::metadata(path).map_err(|e| EngineError::ModelLoad {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Session::builder(&env)
        .map_err(to_error)?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(|e| to_error(e.into()))?
        .with_intra_threads(threads.max(1))
        .map_err(|e| to_error(e.into()))?
        .with_inter_threads(1)
        .map_err(|e| to_error(e.into()))?
        .commit_from_file(path)
        .map_err(to_error)
}

/// Checks names and shapes against the icefall export and reads the sizes.
fn check_interface(
    files: &ModelFiles,
    encoder: &Session,
    decoder: &Session,
    joiner: &Session,
) -> Result<ModelDims> {
    expect_names(
        &files.encoder,
        Part::Encoder,
        encoder,
        &["x", "x_lens"],
        &["encoder_out", "encoder_out_lens"],
    )?;
    expect_names(
        &files.decoder,
        Part::Decoder,
        decoder,
        &["y"],
        &["decoder_out"],
    )?;
    expect_names(
        &files.joiner,
        Part::Joiner,
        joiner,
        &["encoder_out", "decoder_out"],
        &["logit"],
    )?;
    let vocab_size = metadata_usize(&files.decoder, Part::Decoder, decoder, "vocab_size")?;
    let context_size = metadata_usize(&files.decoder, Part::Decoder, decoder, "context_size")?;
    let feature_dim = static_dim(encoder.inputs()[0].dtype(), 2).unwrap_or(80);
    let joiner_dim = static_dim(joiner.inputs()[0].dtype(), 1).unwrap_or(0);
    let logit_dim = static_dim(joiner.outputs()[0].dtype(), 1);
    if logit_dim.is_some_and(|d| d != vocab_size) {
        return Err(EngineError::ModelInterface {
            path: files.joiner.clone(),
            part: "joiner",
            reason: format!(
                "it outputs {} logits but the decoder's vocab_size is {vocab_size}: the files come from different models",
                logit_dim.unwrap_or(0)
            ),
        });
    }
    Ok(ModelDims {
        feature_dim,
        vocab_size,
        context_size,
        joiner_dim,
    })
}

fn expect_names(
    path: &Path,
    part: Part,
    session: &Session,
    inputs: &[&str],
    outputs: &[&str],
) -> Result<()> {
    let have_in: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
    let have_out: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    if have_in != inputs || have_out != outputs {
        return Err(EngineError::ModelInterface {
            path: path.to_path_buf(),
            part: part.name(),
            reason: format!(
                "expected inputs {inputs:?} and outputs {outputs:?}, found {have_in:?} and {have_out:?}"
            ),
        });
    }
    Ok(())
}

fn metadata_usize(path: &Path, part: Part, session: &Session, key: &str) -> Result<usize> {
    let value = session.metadata().ok().and_then(|m| m.custom(key));
    value
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| EngineError::ModelInterface {
            path: path.to_path_buf(),
            part: part.name(),
            reason: format!("metadata `{key}` is missing or not a number"),
        })
}

fn static_dim(dtype: &ort::value::ValueType, axis: usize) -> Option<usize> {
    let shape = dtype.tensor_shape()?;
    shape
        .get(axis)
        .copied()
        .filter(|&d| d > 0)
        .map(|d| d as usize)
}
