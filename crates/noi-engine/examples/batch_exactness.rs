//! Is batched encoding exact? (issue 18)
//!
//!     batch_exactness --model-dir DIR [--batch 2] [--padding -23.0258] FILE.wav...
//!
//! Cuts each 16 kHz file as `noi transcribe` does, sorts the segments by length, and encodes
//! them in groups of `--batch` neighbours (similar lengths, padded with the model's length
//! input `x_lens`), then compares each segment's encoder output and greedy tokens with
//! encoding it alone. Batching is only allowed for a model when every token is the same; the
//! int8 encoders quantise their input dynamically over the whole tensor, so the batch-mates
//! and the padding can change it. Prints one JSON line per model with the counts.

use std::path::PathBuf;

use ndarray::Array2;
use noi_engine::Recognizer;
use noi_engine::cutter::{CutMode, SpeechCutter};
use noi_engine::model::ModelOptions;
use noi_engine::search::{SearchMethod, search};
use noi_engine::segment::SegmenterConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut model_dir, mut batch, mut padding, mut files) =
        (None, 2usize, -23.025_85_f32, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model-dir" => model_dir = args.next().map(PathBuf::from),
            "--batch" => batch = args.next().ok_or("--batch N")?.parse()?,
            "--padding" => padding = args.next().ok_or("--padding X")?.parse()?,
            _ => files.push(PathBuf::from(arg)),
        }
    }
    let model_dir = model_dir.ok_or("--model-dir DIR")?;
    let recognizer = Recognizer::load(&model_dir, ModelOptions { threads: 1 })?;
    let mut features: Vec<Array2<f32>> = Vec::new();
    for file in &files {
        let (samples, _) = noi_engine::audio::read_all(file)?;
        let mut cutter = SpeechCutter::new(SegmenterConfig::default(), CutMode::WholeWhenShort);
        let mut ranges = cutter.push(recognizer.vad(), &samples)?;
        ranges.extend(cutter.finish(recognizer.vad(), 0)?);
        for range in ranges {
            let f = recognizer.features(cutter.audio(range));
            if noi_engine::recognizer::encoder_frames(f.nrows()) > 0 {
                features.push(f);
            }
        }
    }
    features.sort_by_key(|f| f.nrows());
    let model = recognizer.model();
    let (mut same_tokens, mut same_output, mut max_diff) = (0, 0, 0f32);
    for group in features.chunks(batch) {
        let views: Vec<_> = group.iter().map(|f| f.view()).collect();
        let batched = model.encode_batch(&views, padding)?;
        for (f, together) in group.iter().zip(&batched) {
            let alone = model.encode(f.view())?;
            let diff = if alone.dim() == together.dim() {
                alone
                    .iter()
                    .zip(together)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max)
            } else {
                f32::INFINITY
            };
            max_diff = max_diff.max(diff);
            same_output += usize::from(diff == 0.0);
            let tokens = |e: &Array2<f32>| search(model, e.view(), &SearchMethod::Greedy);
            same_tokens += usize::from(tokens(&alone)?.tokens == tokens(together)?.tokens);
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "model": model_dir.display().to_string(),
            "int8_encoder": model.files().encoder_is_int8(),
            "batch": batch,
            "segments": features.len(),
            "same_tokens": same_tokens,
            "bit_identical_encoder_output": same_output,
            "max_abs_difference": max_diff,
        })
    );
    Ok(())
}
