//! Lexing: the text as pieces (words, symbols, spaces, line breaks) that every step works on.

use unicode_normalization::char::is_combining_mark;

/// One piece of the text as it moves through the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A run of letters, digits and combining marks from the model: matched and re-cased.
    Word(String),
    /// Any other visible character from the model, kept as is.
    Sym(char),
    /// A run of horizontal white space; rendered as at most one space.
    Space,
    /// A line break, typed or spoken ("xuống dòng").
    Break,
    /// Punctuation inserted by a spoken command.
    Punct(char),
    /// Text a step wrote (a user replacement, a written number): inserted verbatim, never
    /// matched again nor re-cased.
    Literal(String),
}

/// Letters, digits, and combining marks (so a mark NFC could not compose stays in its word).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

pub(crate) fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

pub(crate) fn lex(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let piece = if is_word_char(c) {
            let mut word = String::from(c);
            while let Some(next) = chars.next_if(|&n| is_word_char(n)) {
                word.push(next);
            }
            Piece::Word(word)
        } else if is_line_break(c) {
            // "\r\n" is one break, not two.
            if c == '\r' {
                chars.next_if_eq(&'\n');
            }
            Piece::Break
        } else if c.is_whitespace() {
            while chars
                .next_if(|&n| n.is_whitespace() && !is_line_break(n))
                .is_some()
            {}
            Piece::Space
        } else {
            Piece::Sym(c)
        };
        pieces.push(piece);
    }
    pieces
}
