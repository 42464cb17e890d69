//! The model's vocabulary (`tokens.txt`): one `piece id` pair per line, ids 0..n.

use std::path::Path;

use crate::error::{EngineError, Result};

/// U+2581, the SentencePiece marker that starts a word.
pub const WORD_START: char = '\u{2581}';

#[derive(Debug, Clone)]
pub struct Tokens {
    pieces: Vec<String>,
    unk_id: Option<usize>,
}

impl Tokens {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| EngineError::Tokens {
            path: path.to_path_buf(),
            reason: format!("cannot read tokens file: {e}"),
        })?;
        Self::parse(&text).map_err(|reason| EngineError::Tokens {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses sherpa-onnx's format. A line with only an id stands for a piece that is a space.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let mut pieces: Vec<Option<String>> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let (piece, id) = split_line(line)
                .ok_or_else(|| format!("line {} is not `piece id`: {line:?}", number + 1))?;
            if id >= pieces.len() {
                pieces.resize(id + 1, None);
            }
            if pieces[id].replace(piece).is_some() {
                return Err(format!("id {id} appears twice (line {})", number + 1));
            }
        }
        let pieces = pieces
            .into_iter()
            .enumerate()
            .map(|(id, p)| p.ok_or_else(|| format!("id {id} is missing")))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if pieces.is_empty() {
            return Err("the tokens file is empty".into());
        }
        let unk_id = pieces.iter().position(|p| p == "<unk>");
        Ok(Tokens { pieces, unk_id })
    }

    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    pub fn piece(&self, id: u32) -> &str {
        self.pieces.get(id as usize).map_or("", String::as_str)
    }

    /// The id of `<unk>`, which the search treats as blank (as sherpa-onnx does).
    pub fn unk_id(&self) -> Option<usize> {
        self.unk_id
    }

    /// The id of a piece, for encoding hotwords.
    pub fn id_of(&self, piece: &str) -> Option<u32> {
        self.pieces
            .iter()
            .position(|p| p == piece)
            .map(|i| i as u32)
    }
}

fn split_line(line: &str) -> Option<(String, usize)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (piece, id) = match line.rsplit_once([' ', '\t']) {
        Some((piece, id)) => (piece.to_string(), id),
        None => (" ".to_string(), line),
    };
    let piece = if piece.is_empty() {
        " ".to_string()
    } else {
        piece
    };
    Some((piece, id.trim().parse().ok()?))
}

/// Joins pieces into text: `▁` starts a word.
pub fn pieces_to_text<'a>(pieces: impl IntoIterator<Item = &'a str>) -> String {
    let joined: String = pieces.into_iter().collect();
    joined.replace(WORD_START, " ").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sherpa_tokens() {
        let t = Tokens::parse("<blk> 0\n<sos/eos> 1\n<unk> 2\n▁XIN 3\nCHÀO 4\n").unwrap();
        assert_eq!(t.len(), 5);
        assert_eq!(t.piece(3), "▁XIN");
        assert_eq!(t.unk_id(), Some(2));
        assert_eq!(t.id_of("CHÀO"), Some(4));
    }

    #[test]
    fn rejects_gaps_and_duplicates() {
        assert!(Tokens::parse("a 0\nb 2\n").unwrap_err().contains("id 1"));
        assert!(Tokens::parse("a 0\nb 0\n").unwrap_err().contains("twice"));
        assert!(Tokens::parse("").is_err());
        assert!(Tokens::parse("abc\n").is_err());
    }

    #[test]
    fn text_from_pieces() {
        assert_eq!(pieces_to_text(["▁XIN", "▁CH", "ÀO"]), "XIN CHÀO");
    }
}
