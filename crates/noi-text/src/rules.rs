//! Phrase matching, shared by user replacements and spoken commands: leftmost first, then
//! longest; a replaced span is frozen.

use std::borrow::Borrow;

use unicode_normalization::UnicodeNormalization;

use crate::piece::{Piece, lex};

/// What a phrase compares against: case-folded words, exact symbols, any space run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    Word(String),
    Sym(char),
    Space,
    Break,
}

impl Key {
    /// `None` for pieces a rule already produced: they never match again.
    pub(crate) fn of(piece: &Piece) -> Option<Self> {
        match piece {
            Piece::Word(word) => Some(Key::Word(fold(word))),
            Piece::Sym(c) => Some(Key::Sym(*c)),
            Piece::Space => Some(Key::Space),
            Piece::Break => Some(Key::Break),
            Piece::Punct(_) | Piece::Literal(_) => None,
        }
    }
}

/// Unicode case folding for matching: the model writes "CHẤM", users write "chấm".
pub(crate) fn fold(word: &str) -> String {
    word.chars().flat_map(char::to_lowercase).collect()
}

/// A phrase and what replaces it (`None` deletes it).
#[derive(Debug)]
pub(crate) struct Rule {
    phrase: Vec<Key>,
    output: Option<Piece>,
}

impl Rule {
    /// `None` when the phrase has no word: it could never match whole words.
    pub(crate) fn new(phrase: &str, output: Option<Piece>) -> Option<Self> {
        let phrase = phrase_keys(phrase);
        phrase
            .iter()
            .any(|key| matches!(key, Key::Word(_)))
            .then_some(Self { phrase, output })
    }

    /// Keys in the phrase (words, spaces, symbols).
    pub(crate) fn len(&self) -> usize {
        self.phrase.len()
    }

    fn matches_at(&self, keys: &[Option<Key>], at: usize) -> bool {
        keys.get(at..at + self.phrase.len()).is_some_and(|window| {
            window
                .iter()
                .zip(&self.phrase)
                .all(|(key, want)| key.as_ref() == Some(want))
        })
    }
}

/// A phrase as keys, normalised like the text; edge white space would make it miss.
fn phrase_keys(phrase: &str) -> Vec<Key> {
    let nfc: String = phrase.trim().nfc().collect();
    lex(&nfc).iter().filter_map(Key::of).collect()
}

/// Longest phrase first, so the first rule that matches at a position is the longest; the
/// sort is stable, so among equals the earlier rule wins.
pub(crate) fn longest_first(mut rules: Vec<Rule>) -> Vec<Rule> {
    rules.sort_by_key(|rule| std::cmp::Reverse(rule.len()));
    rules
}

/// Scans left to right; at each position the longest matching rule replaces its span.
pub(crate) fn apply_rules<R: Borrow<Rule>>(pieces: Vec<Piece>, rules: &[R]) -> Vec<Piece> {
    if rules.is_empty() {
        return pieces;
    }
    let keys: Vec<Option<Key>> = pieces.iter().map(Key::of).collect();
    let mut out = Vec::with_capacity(pieces.len());
    let mut at = 0;
    while at < pieces.len() {
        match rules
            .iter()
            .map(Borrow::borrow)
            .find(|rule| rule.matches_at(&keys, at))
        {
            Some(rule) => {
                out.extend(rule.output.clone());
                at += rule.phrase.len();
            }
            None => {
                out.push(pieces[at].clone());
                at += 1;
            }
        }
    }
    out
}
