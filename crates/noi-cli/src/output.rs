//! Output formats of `noi transcribe`.

use std::path::Path;

use noi_engine::subtitle::{cues, to_srt, to_vtt};
use noi_engine::transcript::Transcript;
use serde::Serialize;

use crate::Format;

/// One line of `--format json`. `tokens`/`timestamps` are exactly what the decoder emitted.
#[derive(Serialize)]
struct JsonLine<'a> {
    file: String,
    duration: f64,
    text: String,
    tokens: Vec<&'a str>,
    timestamps: Vec<f64>,
    words: Vec<noi_engine::transcript::Word>,
    segments: Vec<JsonSegment>,
}

#[derive(Serialize)]
struct JsonSegment {
    start: f64,
    end: f64,
    text: String,
}

pub fn render(format: Format, file: &Path, transcript: &Transcript) -> anyhow::Result<String> {
    Ok(match format {
        Format::Text => format!("{}\n", transcript.text()),
        Format::Json => format!("{}\n", serde_json::to_string(&json_line(file, transcript))?),
        Format::Srt => to_srt(&cues(transcript)),
        Format::Vtt => to_vtt(&cues(transcript)),
    })
}

fn json_line<'a>(file: &Path, transcript: &'a Transcript) -> JsonLine<'a> {
    JsonLine {
        file: file.display().to_string(),
        duration: transcript.duration,
        text: transcript.text(),
        tokens: transcript.tokens().map(|t| t.piece.as_str()).collect(),
        timestamps: transcript.tokens().map(|t| round_time(t.time)).collect(),
        words: transcript.words(),
        segments: transcript
            .segments
            .iter()
            .map(|s| JsonSegment {
                start: s.start(),
                end: s.end(),
                text: s.text(),
            })
            .collect(),
    }
}

/// Times are multiples of 40 ms plus a sample-exact offset; six decimals hide f32 noise.
fn round_time(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}
