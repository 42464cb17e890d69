//! Silero VAD v5 (vendored, MIT; see `assets/README.md`) run through the engine's own ONNX
//! Runtime session. The model scores 32 ms windows (512 samples at 16 kHz); like Silero's own
//! Python wrapper, each window is preceded by the last 64 samples of the previous one and the
//! recurrent state is carried from call to call.

use std::sync::Mutex;

use ndarray::{Array2, Array3};
use ort::session::Session;
use ort::value::TensorRef;

use crate::error::{EngineError, Result};
use crate::model_input::SAMPLE_RATE;
use crate::runtime;

/// Samples per VAD window at 16 kHz.
pub const WINDOW: usize = 512;
/// Samples of the previous window prepended to each window.
const CONTEXT: usize = 64;

static SILERO_ONNX: &[u8] = include_bytes!("../assets/silero_vad.onnx");

/// The shared Silero session.
pub struct VadModel {
    session: Mutex<Session>,
}

/// Per-stream recurrent state.
#[derive(Debug, Clone)]
pub struct VadState {
    state: Array3<f32>,
    context: Vec<f32>,
}

impl Default for VadState {
    fn default() -> Self {
        VadState {
            state: Array3::zeros((2, 1, 128)),
            context: vec![0.0; CONTEXT],
        }
    }
}

impl VadModel {
    /// Loads the vendored model with one intra-op thread (it is tiny; more threads only cost).
    pub fn load() -> Result<Self> {
        let env = runtime::environment()?;
        let to_error = |reason: String| EngineError::ModelLoad {
            path: "silero_vad.onnx (built in)".into(),
            reason,
        };
        let session = Session::builder(&env)
            .map_err(|e| to_error(e.to_string()))?
            .with_intra_threads(1)
            .map_err(|e| to_error(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| to_error(e.to_string()))?
            .commit_from_memory(SILERO_ONNX)
            .map_err(|e| to_error(e.to_string()))?;
        Ok(VadModel {
            session: Mutex::new(session),
        })
    }

    /// Speech probability of one 512-sample window; advances `state`.
    pub fn probability(&self, state: &mut VadState, window: &[f32]) -> Result<f32> {
        debug_assert_eq!(window.len(), WINDOW);
        let err = |e: ort::Error| EngineError::inference("voice activity detector", e);
        let mut input = Vec::with_capacity(CONTEXT + WINDOW);
        input.extend_from_slice(&state.context);
        input.extend_from_slice(window);
        let input = Array2::from_shape_vec((1, CONTEXT + WINDOW), input).expect("fixed size");
        let sr = ndarray::arr0(SAMPLE_RATE as i64);
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session
            .run(ort::inputs![
                "input" => TensorRef::from_array_view(input.view()).map_err(err)?,
                "state" => TensorRef::from_array_view(state.state.view()).map_err(err)?,
                "sr" => TensorRef::from_array_view(sr.view()).map_err(err)?,
            ])
            .map_err(err)?;
        let probability = outputs["output"]
            .try_extract_array::<f32>()
            .map_err(err)?
            .iter()
            .next()
            .copied()
            .unwrap_or(0.0);
        let next = outputs["stateN"].try_extract_array::<f32>().map_err(err)?;
        state.state = next
            .to_owned()
            .into_shape_with_order((2, 1, 128))
            .map_err(|e| EngineError::inference("voice activity detector", e))?;
        state.context = window[WINDOW - CONTEXT..].to_vec();
        Ok(probability)
    }
}

/// Mean square of a window: the "loudness" used to find the quietest cut point.
pub fn window_energy(window: &[f32]) -> f32 {
    if window.is_empty() {
        return 0.0;
    }
    window.iter().map(|x| x * x).sum::<f32>() / window.len() as f32
}
