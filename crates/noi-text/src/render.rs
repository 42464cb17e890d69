//! Rendering: pieces back to text, with tidy spacing.

use crate::piece::Piece;

/// Writes the pieces with tidy spacing: one space between words, none before punctuation that
/// attaches left, none after `(` or around line breaks, none at either end. Left-attaching
/// punctuation with nothing to attach to (start of text or of a line) is dropped.
pub(crate) fn render(pieces: &[Piece], can_attach: bool) -> String {
    let mut out = String::new();
    let mut space = false;
    for piece in pieces {
        match piece {
            Piece::Space => space = true,
            Piece::Break => {
                out.push('\n');
                space = false;
            }
            Piece::Punct(c) if attaches_left(*c) => {
                if has_anchor(&out, can_attach) {
                    out.push(*c);
                }
                space = false;
            }
            Piece::Punct(c) | Piece::Sym(c) => {
                push_token(&mut out, &mut space, c.encode_utf8(&mut [0; 4]))
            }
            Piece::Word(text) | Piece::Literal(text) => push_token(&mut out, &mut space, text),
        }
    }
    out
}

/// Whether punctuation written now would follow some text on the same line.
fn has_anchor(out: &str, can_attach: bool) -> bool {
    match out.chars().next_back() {
        None => can_attach,
        Some(c) => c != '\n',
    }
}

/// Spaces are owed, not written, so none is left before a line break or at the end.
fn push_token(out: &mut String, space: &mut bool, token: &str) {
    if std::mem::take(space) && !out.is_empty() && !out.ends_with(['\n', '(']) {
        out.push(' ');
    }
    out.push_str(token);
}

/// Punctuation written against the word before it.
pub(crate) fn attaches_left(c: char) -> bool {
    matches!(c, ',' | '.' | '?' | '!' | ':' | ';' | ')')
}
