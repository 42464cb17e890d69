//! Reads a SentencePiece `bpe.model` and splits text into its pieces exactly as the
//! `sentencepiece` library's BPE model does (`bpe_model.cc`): characters first (user-defined
//! symbols whole), then repeatedly merge the adjacent pair whose concatenation is the
//! highest-scoring piece (leftmost among equals); runs of unknown characters come out as one
//! unknown piece, as `SentencePieceProcessor` reports them.
//!
//! Only the fields that needs are read from the `ModelProto` protobuf: the pieces (text,
//! score, type) and the model type. Normalisation is the caller's job (see `super::normalise`).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use super::HotwordsError;
use crate::tokens::WORD_START;

/// `ModelProto.SentencePiece.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceType {
    Normal,
    Unknown,
    Control,
    UserDefined,
    Unused,
    Byte,
}

impl PieceType {
    fn from_proto(value: u64) -> Self {
        match value {
            2 => PieceType::Unknown,
            3 => PieceType::Control,
            4 => PieceType::UserDefined,
            5 => PieceType::Unused,
            6 => PieceType::Byte,
            _ => PieceType::Normal,
        }
    }

    /// The types BPE merges into and `PieceToId` finds among the "normal" pieces.
    fn is_mergeable(self) -> bool {
        matches!(
            self,
            PieceType::Normal | PieceType::UserDefined | PieceType::Unused
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelPiece {
    pub piece: String,
    pub score: f32,
    pub kind: PieceType,
}

/// `TrainerSpec.model_type` values.
const MODEL_TYPE_BPE: u64 = 2;
const MODEL_TYPE_UNIGRAM: u64 = 1;

/// A SentencePiece BPE model.
#[derive(Debug, Clone)]
pub struct SentencePieceBpe {
    pieces: Vec<ModelPiece>,
    /// Mergeable pieces by text.
    by_text: HashMap<String, usize>,
    /// User-defined symbols, longest first: matched whole before merging.
    user_defined: Vec<String>,
}

impl SentencePieceBpe {
    pub fn load(path: &Path) -> Result<Self, HotwordsError> {
        if !path.is_file() {
            return Err(HotwordsError::BpeModelMissing(path.to_path_buf()));
        }
        let invalid = |reason: String| HotwordsError::BpeModel {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
        Self::parse(&bytes).map_err(invalid)
    }

    /// Parses a serialised `ModelProto`.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let (pieces, model_type) = proto::read_model(bytes)?;
        if model_type != MODEL_TYPE_BPE {
            let kind = if model_type == MODEL_TYPE_UNIGRAM {
                "unigram".to_string()
            } else {
                format!("type {model_type}")
            };
            return Err(format!(
                "a SentencePiece {kind} model, not BPE (the transducer bundles ship BPE models)"
            ));
        }
        Self::from_pieces(pieces)
    }

    pub fn from_pieces(pieces: Vec<ModelPiece>) -> Result<Self, String> {
        if pieces.is_empty() {
            return Err("the model has no pieces".into());
        }
        let mut by_text = HashMap::new();
        for (id, p) in pieces.iter().enumerate() {
            if p.kind.is_mergeable() && by_text.insert(p.piece.clone(), id).is_some() {
                return Err(format!("piece {:?} is defined twice", p.piece));
            }
        }
        let mut user_defined: Vec<String> = pieces
            .iter()
            .filter(|p| p.kind == PieceType::UserDefined)
            .map(|p| p.piece.clone())
            .collect();
        user_defined.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Ok(SentencePieceBpe {
            pieces,
            by_text,
            user_defined,
        })
    }

    pub fn pieces(&self) -> &[ModelPiece] {
        &self.pieces
    }

    /// Pieces of already-normalised text: words separated by whitespace, each starting with
    /// `▁`, as SentencePiece's default normaliser lays them out. Unknown characters come out
    /// as they are (consecutive ones joined), and are not in the vocabulary.
    pub fn encode(&self, text: &str) -> Vec<String> {
        let mut laid_out = String::new();
        for word in text.split_whitespace() {
            laid_out.push(WORD_START);
            laid_out.push_str(word);
        }
        if laid_out.is_empty() {
            return Vec::new();
        }
        let (symbols, rev_merge) = self.merge(&self.split(&laid_out));
        let mut out: Vec<String> = Vec::new();
        let mut previous_unknown = false;
        for symbol in symbols {
            for piece in self.resegment(&symbol, &rev_merge) {
                let unknown = !self.by_text.contains_key(&piece);
                match out.last_mut() {
                    Some(last) if unknown && previous_unknown => last.push_str(&piece),
                    _ => out.push(piece),
                }
                previous_unknown = unknown;
            }
        }
        out
    }

    /// Characters, with user-defined symbols matched whole (and frozen: never merged).
    fn split(&self, text: &str) -> Vec<Symbol> {
        let mut symbols = Vec::new();
        let mut rest = text;
        while let Some(first) = rest.chars().next() {
            let user = self
                .user_defined
                .iter()
                .find(|s| rest.starts_with(s.as_str()));
            let len = user.map_or(first.len_utf8(), |s| s.len());
            symbols.push(Symbol {
                text: rest[..len].to_string(),
                frozen: user.is_some(),
            });
            rest = &rest[len..];
        }
        symbols
    }

    /// BPE: merges the best-scoring adjacent pair until no pair forms a piece.
    fn merge(&self, symbols: &[Symbol]) -> (Vec<String>, RevMerge) {
        let mut list = Linked::new(symbols);
        let mut agenda = Agenda::default();
        for left in 1..symbols.len() {
            self.push_pair(&list, &mut agenda, left - 1, left);
        }
        while let Some(pair) = agenda.heap.pop() {
            let (l, r) = (pair.left, pair.right);
            // Stale: one side was merged away or grew since the pair was queued.
            if list.text[l].is_empty()
                || list.text[r].is_empty()
                || list.text[l].len() + list.text[r].len() != pair.len
            {
                continue;
            }
            list.join(l, r);
            if let Some(prev) = list.prev[l] {
                self.push_pair(&list, &mut agenda, prev, l);
            }
            if let Some(next) = list.next[l] {
                self.push_pair(&list, &mut agenda, l, next);
            }
        }
        (list.into_texts(), agenda.rev_merge)
    }

    /// Queues the pair if it forms a piece (remembering how, for unused pieces).
    fn push_pair(&self, list: &Linked, agenda: &mut Agenda, left: usize, right: usize) {
        if list.frozen[left] || list.frozen[right] {
            return;
        }
        let joined = format!("{}{}", list.text[left], list.text[right]);
        let Some(&id) = self.by_text.get(&joined) else {
            return;
        };
        agenda.heap.push(Pair {
            score: self.pieces[id].score,
            left,
            right,
            len: joined.len(),
        });
        if self.pieces[id].kind == PieceType::Unused {
            let parts = (list.text[left].clone(), list.text[right].clone());
            agenda.rev_merge.insert(joined, parts);
        }
    }

    /// Unused pieces are never output: they are split back into the pair they were merged
    /// from, recursively (sentencepiece's `resegment`).
    fn resegment(&self, symbol: &str, rev_merge: &RevMerge) -> Vec<String> {
        let unused = self
            .by_text
            .get(symbol)
            .is_some_and(|&id| self.pieces[id].kind == PieceType::Unused);
        match rev_merge.get(symbol) {
            Some((a, b)) if unused => {
                [self.resegment(a, rev_merge), self.resegment(b, rev_merge)].concat()
            }
            _ => vec![symbol.to_string()],
        }
    }
}

/// For each unused piece a merge formed: the pair it was formed from.
type RevMerge = HashMap<String, (String, String)>;

#[derive(Debug, Clone)]
struct Symbol {
    text: String,
    frozen: bool,
}

/// The symbols as a doubly linked list over fixed slots; a merged-away slot is left empty.
struct Linked {
    text: Vec<String>,
    frozen: Vec<bool>,
    prev: Vec<Option<usize>>,
    next: Vec<Option<usize>>,
}

impl Linked {
    fn new(symbols: &[Symbol]) -> Self {
        let n = symbols.len();
        Linked {
            text: symbols.iter().map(|s| s.text.clone()).collect(),
            frozen: symbols.iter().map(|s| s.frozen).collect(),
            prev: (0..n).map(|i| i.checked_sub(1)).collect(),
            next: (0..n).map(|i| (i + 1 < n).then_some(i + 1)).collect(),
        }
    }

    fn join(&mut self, left: usize, right: usize) {
        let moved = std::mem::take(&mut self.text[right]);
        self.text[left].push_str(&moved);
        self.next[left] = self.next[right];
        if let Some(after) = self.next[right] {
            self.prev[after] = Some(left);
        }
    }

    fn into_texts(self) -> Vec<String> {
        self.text.into_iter().filter(|t| !t.is_empty()).collect()
    }
}

#[derive(Default)]
struct Agenda {
    heap: BinaryHeap<Pair>,
    rev_merge: RevMerge,
}

/// A candidate merge. The heap pops the highest score first, then the leftmost pair.
#[derive(Debug)]
struct Pair {
    score: f32,
    left: usize,
    right: usize,
    /// Byte length of the merged piece, to detect stale entries.
    len: usize,
}

impl Ord for Pair {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then(other.left.cmp(&self.left))
    }
}

impl PartialOrd for Pair {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pair {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pair {}

/// The few protobuf wire-format rules needed to read a `ModelProto`.
mod proto {
    use super::{ModelPiece, PieceType};

    /// `ModelProto`: field 1 = repeated `SentencePiece`, field 2 = `TrainerSpec`.
    pub fn read_model(bytes: &[u8]) -> Result<(Vec<ModelPiece>, u64), String> {
        let mut pieces = Vec::new();
        let mut model_type = 1; // TrainerSpec's default: UNIGRAM
        let mut reader = Reader { bytes, pos: 0 };
        while let Some((field, value)) = reader.field()? {
            match (field, value) {
                (1, Value::Bytes(b)) => pieces.push(read_piece(b)?),
                (2, Value::Bytes(b)) => model_type = read_model_type(b)?.unwrap_or(model_type),
                _ => {}
            }
        }
        Ok((pieces, model_type))
    }

    /// `SentencePiece`: 1 = piece, 2 = score (float), 3 = type (default NORMAL).
    fn read_piece(bytes: &[u8]) -> Result<ModelPiece, String> {
        let mut piece = ModelPiece {
            piece: String::new(),
            score: 0.0,
            kind: PieceType::Normal,
        };
        let mut reader = Reader { bytes, pos: 0 };
        while let Some((field, value)) = reader.field()? {
            match (field, value) {
                (1, Value::Bytes(b)) => {
                    piece.piece = String::from_utf8(b.to_vec())
                        .map_err(|_| "a piece is not valid UTF-8".to_string())?;
                }
                (2, Value::Fixed32(bits)) => piece.score = f32::from_bits(bits),
                (3, Value::Varint(v)) => piece.kind = PieceType::from_proto(v),
                _ => {}
            }
        }
        Ok(piece)
    }

    /// `TrainerSpec`: 3 = model_type.
    fn read_model_type(bytes: &[u8]) -> Result<Option<u64>, String> {
        let mut reader = Reader { bytes, pos: 0 };
        let mut model_type = None;
        while let Some((field, value)) = reader.field()? {
            if let (3, Value::Varint(v)) = (field, value) {
                model_type = Some(v);
            }
        }
        Ok(model_type)
    }

    enum Value<'a> {
        Varint(u64),
        Fixed32(u32),
        Fixed64,
        Bytes(&'a [u8]),
    }

    struct Reader<'a> {
        bytes: &'a [u8],
        pos: usize,
    }

    impl<'a> Reader<'a> {
        fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, String> {
            if self.pos == self.bytes.len() {
                return Ok(None);
            }
            let key = self.varint()?;
            let value = match key & 7 {
                0 => Value::Varint(self.varint()?),
                1 => {
                    self.take(8)?;
                    Value::Fixed64
                }
                2 => {
                    let len = self.varint()? as usize;
                    Value::Bytes(self.take(len)?)
                }
                5 => {
                    let b = self.take(4)?;
                    Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                }
                wire => return Err(format!("not a SentencePiece model (wire type {wire})")),
            };
            Ok(Some((key >> 3, value)))
        }

        fn varint(&mut self) -> Result<u64, String> {
            let mut value = 0u64;
            for shift in (0..64).step_by(7) {
                let byte = *self.take(1)?.first().expect("one byte");
                value |= u64::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    return Ok(value);
                }
            }
            Err("not a SentencePiece model (bad varint)".into())
        }

        fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
            let end = self
                .pos
                .checked_add(len)
                .filter(|&end| end <= self.bytes.len())
                .ok_or("the model file is truncated or not a SentencePiece model")?;
            let slice = &self.bytes[self.pos..end];
            self.pos = end;
            Ok(slice)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(pieces: &[(&str, f32)]) -> SentencePieceBpe {
        let mut all = vec![ModelPiece {
            piece: "<unk>".into(),
            score: 0.0,
            kind: PieceType::Unknown,
        }];
        all.extend(pieces.iter().map(|&(p, s)| ModelPiece {
            piece: p.into(),
            score: s,
            kind: PieceType::Normal,
        }));
        SentencePieceBpe::from_pieces(all).unwrap()
    }

    #[test]
    fn merges_by_score_not_by_position() {
        // "▁ABC": "BC" (score -1) is merged before "▁A" (-2), so "▁ABC" cannot form from "▁AB".
        let m = model(&[("BC", -1.0), ("▁A", -2.0), ("▁AB", -3.0), ("▁ABC", -4.0)]);
        assert_eq!(m.encode("ABC"), vec!["▁ABC"]);
        let m = model(&[("BC", -1.0), ("▁A", -2.0), ("▁AB", -3.0)]);
        assert_eq!(m.encode("ABC"), vec!["▁A", "BC"]);
    }

    #[test]
    fn equal_scores_merge_leftmost_first() {
        let m = model(&[("AA", -1.0)]);
        assert_eq!(m.encode("AAA"), vec!["▁", "AA", "A"]);
    }

    #[test]
    fn words_start_with_the_marker_and_unknown_runs_join() {
        let m = model(&[("▁X", -1.0), ("IN", -2.0), ("▁XIN", -3.0)]);
        assert_eq!(m.encode("  XIN   XIN "), vec!["▁XIN", "▁XIN"]);
        assert_eq!(m.encode("XQQ"), vec!["▁X", "QQ"]);
        assert!(m.encode("   ").is_empty());
    }

    #[test]
    fn user_defined_symbols_stay_whole() {
        let mut pieces = model(&[("▁A", -1.0), ("B>", -1.0)]).pieces().to_vec();
        pieces.push(ModelPiece {
            piece: "<B>".into(),
            score: 0.0,
            kind: PieceType::UserDefined,
        });
        let m = SentencePieceBpe::from_pieces(pieces).unwrap();
        assert_eq!(m.encode("A<B>"), vec!["▁A", "<B>"]);
    }

    #[test]
    fn rejects_what_is_not_a_bpe_model() {
        assert!(SentencePieceBpe::parse(b"not a model at all").is_err());
        assert!(SentencePieceBpe::parse(&[]).is_err());
    }
}
