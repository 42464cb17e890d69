//! What recognition produces: tokens with times and scores, grouped into segments and words.

use serde::Serialize;

use crate::model_input::SAMPLE_RATE;
use crate::tokens::WORD_START;

/// Seconds per encoder output frame (10 ms feature shift × subsampling 4).
pub const FRAME_SECONDS: f32 = 0.04;

/// One emitted token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Token {
    pub id: u32,
    pub piece: String,
    /// Seconds from the start of the stream (segment offset + frame × 0.04).
    pub time: f64,
    pub log_prob: f32,
}

/// A word: tokens from one `▁`-starting piece up to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Word {
    pub word: String,
    pub start: f64,
    pub end: f64,
    /// exp(mean token log-probability), in (0, 1].
    pub confidence: f32,
}

/// One decoded stretch of audio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// Samples `[start_sample, end_sample)` at 16 kHz in stream time.
    pub start_sample: usize,
    pub end_sample: usize,
    pub tokens: Vec<Token>,
}

impl Segment {
    pub fn start(&self) -> f64 {
        self.start_sample as f64 / SAMPLE_RATE as f64
    }

    pub fn end(&self) -> f64 {
        self.end_sample as f64 / SAMPLE_RATE as f64
    }

    /// The text as the model gave it (upper case, no punctuation).
    pub fn text(&self) -> String {
        join_pieces(self.tokens.iter().map(|t| t.piece.as_str()))
    }

    pub fn words(&self) -> Vec<Word> {
        let mut words: Vec<Word> = Vec::new();
        let mut sums: Vec<(f32, usize)> = Vec::new();
        for token in &self.tokens {
            let starts_word = token.piece.starts_with(WORD_START) || words.is_empty();
            let text = token.piece.trim_start_matches(WORD_START);
            let token_end = token.time + FRAME_SECONDS as f64;
            if starts_word {
                words.push(Word {
                    word: text.to_string(),
                    start: token.time,
                    end: token_end,
                    confidence: 0.0,
                });
                sums.push((0.0, 0));
            } else if let Some(word) = words.last_mut() {
                word.word.push_str(text);
                word.end = token_end;
            }
            if let Some(sum) = sums.last_mut() {
                sum.0 += token.log_prob;
                sum.1 += 1;
            }
        }
        for (word, (sum, count)) in words.iter_mut().zip(sums) {
            word.confidence = (sum / count.max(1) as f32).exp();
            word.end = word.end.min(self.end()).max(word.start);
        }
        words.retain(|w| !w.word.is_empty());
        words
    }
}

/// The result for a whole stream or file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Transcript {
    /// Seconds of audio at 16 kHz.
    pub duration: f64,
    pub segments: Vec<Segment>,
}

impl Transcript {
    pub fn text(&self) -> String {
        text_of(&self.segments)
    }

    pub fn tokens(&self) -> impl Iterator<Item = &Token> {
        self.segments.iter().flat_map(|s| s.tokens.iter())
    }

    pub fn words(&self) -> Vec<Word> {
        self.segments.iter().flat_map(Segment::words).collect()
    }
}

/// The texts of consecutive segments, space-separated.
pub fn text_of(segments: &[Segment]) -> String {
    let texts: Vec<String> = segments
        .iter()
        .map(Segment::text)
        .filter(|t| !t.is_empty())
        .collect();
    texts.join(" ")
}

/// Joins pieces as sherpa-onnx does: a leading `▁` becomes a space; the result is trimmed.
pub fn join_pieces<'a>(pieces: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = String::new();
    for piece in pieces {
        match piece.strip_prefix(WORD_START) {
            Some(rest) => {
                text.push(' ');
                text.push_str(rest);
            }
            None => text.push_str(piece),
        }
    }
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(piece: &str, time: f64, log_prob: f32) -> Token {
        Token {
            id: 0,
            piece: piece.into(),
            time,
            log_prob,
        }
    }

    fn segment(tokens: Vec<Token>) -> Segment {
        Segment {
            start_sample: 0,
            end_sample: 16_000 * 5,
            tokens,
        }
    }

    #[test]
    fn words_group_pieces_and_average_confidence() {
        let seg = segment(vec![
            token("▁XIN", 0.4, (0.9f32).ln()),
            token("▁CH", 0.8, (0.5f32).ln()),
            token("ÀO", 0.84, (0.5f32).ln()),
        ]);
        assert_eq!(seg.text(), "XIN CHÀO");
        let words = seg.words();
        assert_eq!(words.len(), 2);
        assert_eq!(words[1].word, "CHÀO");
        assert!((words[1].start - 0.8).abs() < 1e-9);
        assert!((words[1].end - 0.88).abs() < 1e-6);
        assert!((words[1].confidence - 0.5).abs() < 1e-5);
        assert!((words[0].confidence - 0.9).abs() < 1e-5);
    }

    #[test]
    fn a_leading_piece_without_marker_still_makes_a_word() {
        let seg = segment(vec![token("À", 0.0, 0.0), token("▁B", 0.1, 0.0)]);
        assert_eq!(seg.words().len(), 2);
        assert_eq!(seg.text(), "À B");
    }

    #[test]
    fn transcript_text_skips_empty_segments() {
        let t = Transcript {
            duration: 10.0,
            segments: vec![
                segment(vec![token("▁A", 0.0, 0.0)]),
                segment(vec![]),
                segment(vec![token("▁B", 6.0, 0.0)]),
            ],
        };
        assert_eq!(t.text(), "A B");
        assert_eq!(t.tokens().count(), 2);
    }
}
