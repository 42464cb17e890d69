//! The ONNX transducer: a model bundle on disk (encoder, decoder, joiner, tokens) and the
//! three ONNX Runtime sessions that run it.
//!
//! One set of sessions serves every thread. `ort` runs a session through `&mut`, so the small
//! decoder and joiner sit behind a mutex each; by default the encoder runs one call at a time
//! too, and parallelism comes from ONNX Runtime's intra-op threads. For files,
//! [`Transducer::load_copies`] lets `jobs` segments decode side by side: the encoder session
//! (nearly all of the model's memory) is shared by concurrent runs, and the decoder and
//! joiner get a copy per job.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};

use ndarray::{Array2, ArrayView2, Axis};
use ort::AsPointer;
use ort::session::builder::{GraphOptimizationLevel, PrepackedWeights, SessionBuilder};
use ort::session::{RunOptions, Session};
use ort::value::{DynValue, TensorRef};

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
    encoder: SharedSession,
    decoder: SessionPool,
    joiner: SessionPool,
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
        Self::open(files, options, 1, EncoderUse::Alone)
    }

    /// Loads the model for files, so that `copies` (at least 1) decodes can run at once, each
    /// with `options.threads` intra-op threads: one encoder session that runs concurrently,
    /// and `copies` copies of the small decoder and joiner sessions.
    pub fn load_copies(files: ModelFiles, options: ModelOptions, copies: usize) -> Result<Self> {
        Self::open(files, options, copies, EncoderUse::BesideOtherWork)
    }

    fn open(
        files: ModelFiles,
        options: ModelOptions,
        copies: usize,
        usage: EncoderUse,
    ) -> Result<Self> {
        let copies = copies.max(1);
        let encoder = SharedSession {
            session: open_encoder(&files.encoder, options.threads, usage)?,
            turns: (copies == 1).then(|| Mutex::new(())),
            runs: copies,
        };
        // The decoder and joiner run on one row or a few per call: splitting such small
        // products across threads costs more in hand-offs than it saves.
        let decoder = SessionPool::open(&files.decoder, 1, copies)?;
        let joiner = SessionPool::open(&files.joiner, 1, copies)?;
        let tokens = Tokens::load(&files.tokens)?;
        let dims = check_interface(&files, &encoder.session, &decoder.lock(), &joiner.lock())?;
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
            encoder,
            decoder,
            joiner,
            dims,
            tokens,
            files,
        })
    }

    pub fn dims(&self) -> ModelDims {
        self.dims
    }

    /// How many decodes can run at once (the copies of each session).
    pub fn copies(&self) -> usize {
        self.encoder.runs
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
        let x = TensorRef::from_array_view(x.view()).map_err(err)?;
        let x_lens = TensorRef::from_array_view(x_lens.view()).map_err(err)?;
        let outputs = self.encoder.run(
            run_options,
            &[(c"x", x.ptr()), (c"x_lens", x_lens.ptr())],
            &[c"encoder_out", c"encoder_out_lens"],
        )?;
        let out = outputs[0].try_extract_array::<f32>().map_err(err)?;
        let lens = outputs[1].try_extract_array::<i64>().map_err(err)?;
        let valid = lens.iter().next().copied().unwrap_or(0).max(0) as usize;
        let out = out
            .index_axis(Axis(0), 0)
            .into_dimensionality::<ndarray::Ix2>()
            .map_err(|e| EngineError::inference("encoder", e))?;
        Ok(out
            .slice(ndarray::s![..valid.min(out.nrows()), ..])
            .to_owned())
    }

    /// Encodes several utterances in one encoder run: the features are padded to the longest
    /// with `padding` and their true lengths go in `x_lens`; returns each one's valid output
    /// rows. Not used by the file pipeline: with the int8 encoders the result differs from
    /// encoding each alone (`examples/batch_exactness.rs`, BENCHMARKS.md "Long files").
    pub fn encode_batch(
        &self,
        features: &[ArrayView2<'_, f32>],
        padding: f32,
    ) -> Result<Vec<Array2<f32>>> {
        let err = |e: ort::Error| EngineError::inference("encoder", e);
        let longest = features.iter().map(|f| f.nrows()).max().unwrap_or(0);
        let dim = self.dims.feature_dim;
        let mut x = ndarray::Array3::from_elem((features.len(), longest, dim), padding);
        for (i, f) in features.iter().enumerate() {
            x.slice_mut(ndarray::s![i, ..f.nrows(), ..]).assign(f);
        }
        let x_lens = ndarray::Array1::from_iter(features.iter().map(|f| f.nrows() as i64));
        let x = TensorRef::from_array_view(x.view()).map_err(err)?;
        let x_lens = TensorRef::from_array_view(x_lens.view()).map_err(err)?;
        let outputs = self.encoder.run(
            None,
            &[(c"x", x.ptr()), (c"x_lens", x_lens.ptr())],
            &[c"encoder_out", c"encoder_out_lens"],
        )?;
        let out = outputs[0].try_extract_array::<f32>().map_err(err)?;
        let lens = outputs[1].try_extract_array::<i64>().map_err(err)?;
        out.axis_iter(Axis(0))
            .zip(lens.iter())
            .map(|(one, &valid)| {
                let one = one
                    .into_dimensionality::<ndarray::Ix2>()
                    .map_err(|e| EngineError::inference("encoder", e))?;
                let valid = (valid.max(0) as usize).min(one.nrows());
                Ok(one.slice(ndarray::s![..valid, ..]).to_owned())
            })
            .collect()
    }

    /// Runs the decoder on `n` contexts of `context_size` ids each, laid out row by row.
    pub fn run_decoder(&self, contexts: &[i64]) -> Result<Array2<f32>> {
        let err = |e: ort::Error| EngineError::inference("decoder", e);
        let n = contexts.len() / self.dims.context_size;
        let y = ArrayView2::from_shape((n, self.dims.context_size), contexts)
            .map_err(|e| EngineError::inference("decoder", e))?;
        let mut session = self.decoder.lock();
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
        let mut session = self.joiner.lock();
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
fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
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

/// The encoder session, run by several threads at once when loaded for several jobs.
///
/// ONNX Runtime guarantees that `Run` on one session is thread-safe (each call keeps its own
/// execution state; the CPU allocator is thread-safe). `ort` asks `&mut` for `run` anyway,
/// out of caution for other execution providers, so the concurrent runs call the C API
/// directly. One session instead of a copy per job keeps the weights, most of the memory, once.
struct SharedSession {
    session: Session,
    /// With one job, runs take turns exactly as with a mutex around the session.
    turns: Option<Mutex<()>>,
    /// Runs allowed at once (the callers' [`crate::gate::DecodeGate`] keeps to it).
    runs: usize,
}

impl SharedSession {
    /// Runs the session on `inputs` (names and values) and returns the named outputs.
    fn run(
        &self,
        run_options: Option<&RunOptions>,
        inputs: &[(&CStr, *const ort::sys::OrtValue)],
        outputs: &[&CStr],
    ) -> Result<Vec<DynValue>> {
        let _turn: Option<MutexGuard<'_, ()>> = self
            .turns
            .as_ref()
            .map(|turns| turns.lock().unwrap_or_else(|p| p.into_inner()));
        let api = ort::api();
        let input_names: Vec<_> = inputs.iter().map(|(name, _)| name.as_ptr()).collect();
        let input_values: Vec<_> = inputs.iter().map(|&(_, value)| value).collect();
        let output_names: Vec<_> = outputs.iter().map(|name| name.as_ptr()).collect();
        let mut values = vec![std::ptr::null_mut(); outputs.len()];
        let options = run_options.map_or(std::ptr::null(), |o| o.ptr());
        // SAFETY: the session, the run options and the input values outlive the call; the
        // name and value arrays have the lengths passed; `values` has room for every output.
        let status = unsafe {
            (api.Run)(
                self.session.inner().ptr().cast_mut(),
                options,
                input_names.as_ptr(),
                input_values.as_ptr(),
                input_values.len(),
                output_names.as_ptr(),
                output_names.len(),
                values.as_mut_ptr(),
            )
        };
        if !status.0.is_null() {
            // SAFETY: a non-null status is ours to read and release.
            let message = unsafe {
                let text = CStr::from_ptr((api.GetErrorMessage)(status.0))
                    .to_string_lossy()
                    .into_owned();
                (api.ReleaseStatus)(status.0);
                text
            };
            return Err(EngineError::inference("encoder", message));
        }
        values
            .into_iter()
            .map(|value| {
                let value = NonNull::new(value)
                    .ok_or_else(|| EngineError::inference("encoder", "an output is missing"))?;
                // SAFETY: Run gave us this value, allocated by the session's allocator.
                Ok(unsafe { DynValue::from_ptr(value, Some(self.session.allocator())) })
            })
            .collect()
    }
}

/// Copies of one part's session; a run takes whichever copy is free.
struct SessionPool {
    copies: Vec<Mutex<Session>>,
}

impl SessionPool {
    fn open(path: &Path, threads: usize, copies: usize) -> Result<Self> {
        let shared = (copies > 1).then(PrepackedWeights::new);
        let copies = (0..copies)
            .map(|_| open_session(path, threads, shared.as_ref()).map(Mutex::new))
            .collect::<Result<_>>()?;
        Ok(SessionPool { copies })
    }

    /// A free copy, else waits for the first one. Callers run at most as many decodes at
    /// once as there are copies (the engine's [`crate::gate::DecodeGate`]), so the wait
    /// only happens in the instant between one decode's end and the next one's start.
    fn lock(&self) -> MutexGuard<'_, Session> {
        for copy in &self.copies {
            match copy.try_lock() {
                Ok(guard) => return guard,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        lock(&self.copies[0])
    }
}

/// What an encoder session is opened for; it decides how the session's threads wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EncoderUse {
    /// One decode at a time with nothing else to do meanwhile (dictation, the server): the
    /// intra-op threads spin between the model's parallel steps, as ONNX Runtime's default.
    Alone,
    /// Files: the cutter thread reads and runs the VAD while this decodes, and other decodes
    /// may run beside it (`--jobs`). Spinning threads would burn the very cores that work
    /// needs: on 2 cores, M replica, 8-minute file, 2 threads, spinning off took the run from
    /// 8.1 s to 7.6 s and its CPU time from 17.1 s to 13.3 s.
    BesideOtherWork,
}

/// The encoder session, without ONNX Runtime's memory pattern: that is a buffer plan cached
/// per input shape and never dropped, and the encoder's input length changes with every
/// segment, so a server held ~115 KB more for every segment length it ever met (soak: RSS
/// +20 % over an hour; the 30M encoder on 200 lengths: +17 MB with the pattern, flat without
/// it). The price: a length met before runs ~9 % slower (the pattern saves its many small
/// allocations); a new length costs the same either way.
///
/// The session keeps ONNX Runtime's memory arena, also for concurrent runs: it grows to what
/// the runs ever needed at once (bounded by the longest segment, so flat in file length) and
/// reuses it. Without it each run mapped its large buffers afresh: two decodes at once then
/// spent 3–4.6 s of system time on page faults per 8-minute file and peaked higher (346–376
/// MiB against 319 MiB with the arena, M replica).
fn open_encoder(path: &Path, threads: usize, usage: EncoderUse) -> Result<Session> {
    let refused = |e: ort::Error| EngineError::ModelLoad {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    open_session_with(path, threads, None, |builder| {
        builder
            .with_memory_pattern(false)
            .map_err(|e| refused(e.into()))?
            .with_intra_op_spinning(usage == EncoderUse::Alone)
            .map_err(|e| refused(e.into()))
    })
}

fn open_session(
    path: &Path,
    threads: usize,
    shared_weights: Option<&PrepackedWeights>,
) -> Result<Session> {
    open_session_with(path, threads, shared_weights, Ok)
}

fn open_session_with(
    path: &Path,
    threads: usize,
    shared_weights: Option<&PrepackedWeights>,
    customise: impl FnOnce(SessionBuilder) -> Result<SessionBuilder>,
) -> Result<Session> {
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
    let mut builder = Session::builder(&env).map_err(to_error)?;
    if let Some(weights) = shared_weights {
        builder = builder
            .with_prepacked_weights(weights)
            .map_err(|e| to_error(e.into()))?;
    }
    customise(builder)?
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
