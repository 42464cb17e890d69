//! Casing: the model writes upper case; users read sentence case.

use serde::{Deserialize, Serialize};

use crate::piece::Piece;

/// How the model's upper-case words are re-cased. User replacement text is never re-cased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Casing {
    /// Everything the model wrote in lower case.
    Lower,
    /// The model's case untouched (for models that already write cased text).
    AsIs,
    /// Lower case, except the first letter of the text and after `.`, `?`, `!` or a new line:
    /// "Xin chào các bạn. Hôm nay…". An unknown value in a settings file falls back to this
    /// (serde requires that fallback to be the last variant).
    #[default]
    #[serde(other)]
    Sentence,
}

pub(crate) fn is_sentence_end(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '…')
}

/// Characters that may close a sentence after its end mark: `(… xong.)`, `"… xong."`.
pub(crate) fn is_closer(c: char) -> bool {
    matches!(c, ')' | ']' | '}' | '"' | '\'' | '”' | '’' | '»')
}

pub(crate) fn apply_casing(pieces: &mut [Piece], casing: Casing, sentence_start: bool) {
    match casing {
        Casing::AsIs => {}
        Casing::Lower => pieces.iter_mut().for_each(|piece| {
            if let Piece::Word(word) = piece {
                *word = word.to_lowercase();
            }
        }),
        Casing::Sentence => sentence_case(pieces, sentence_start),
    }
}

/// Lower-cases the model's words and capitalises the first word of each sentence. A sentence
/// ends at `.` `?` `!` `…` (plus closers) followed by white space, so "2.5" or "v.v." inside a
/// word run do not capitalise what follows; a line break always starts one.
fn sentence_case(pieces: &mut [Piece], mut capitalize: bool) {
    let mut after_end = false;
    for piece in pieces {
        match piece {
            Piece::Word(word) => {
                *word = sentence_word(word, capitalize);
                capitalize = false;
                after_end = false;
            }
            // The user's text keeps its case but still counts as the sentence's first word.
            Piece::Literal(_) => {
                capitalize = false;
                after_end = false;
            }
            Piece::Punct(c) | Piece::Sym(c) => {
                after_end = is_sentence_end(*c) || (after_end && is_closer(*c));
            }
            Piece::Space => capitalize |= after_end,
            Piece::Break => capitalize = true,
        }
    }
}

/// Unicode-aware, so "ĐÀ" becomes "đà" or "Đà".
fn sentence_word(word: &str, capitalize: bool) -> String {
    let lower = word.to_lowercase();
    if !capitalize {
        return lower;
    }
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => lower,
    }
}
