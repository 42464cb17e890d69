//! Inverse text normalisation: spoken Vietnamese numbers, dates, times, money… → written.
//!
//! The model writes "NGÀY MƯỜI LĂM THÁNG TÁM NĂM HAI NGHÌN KHÔNG TRĂM HAI MƯƠI SÁU"; a writer
//! writes "ngày 15/8/2026". ITN runs on the model's words (any case, NFC) after user
//! replacements and before spoken punctuation and casing (see the crate docs for why), and
//! rewrites only spans it recognises; everything else passes through untouched.
//!
//! The scan goes left to right; at each word the classes are tried in a fixed order (address,
//! date, year, ordinal, negative, then anything led by a number) and the first that matches
//! consumes its words. A recognised number that must stay in words (a lone digit in prose, an
//! approximation such as "hai ba ngày", a switched-off class) is consumed too, so no part of
//! it is re-read as a smaller number. `docs/text.md` lists every rule with its reason.

mod address;
mod date;
mod number;
mod quantity;
mod time;
mod vocab;
mod written;

use serde::{Deserialize, Serialize};

use crate::piece::Piece;

/// ITN settings: on by default, a switch per class, and the written conventions. Every field
/// has a default, so settings files from before ITN load with it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItnOptions {
    /// Master switch; off leaves the model's words as they are.
    pub enabled: bool,
    /// Plain numbers of two words or more: "hai mươi lăm" → 25, "một triệu" → "1 triệu".
    pub cardinal: bool,
    /// "ba phẩy năm" → 3,5; "hai chấm năm" → 2.5 (a dot read out stays a dot).
    pub decimal: bool,
    /// "ba mươi phần trăm" → 30%.
    pub percent: bool,
    /// "năm mươi nghìn đồng" → 50.000 đồng; "mười đô la" → 10 USD.
    pub money: bool,
    /// "năm ki lô mét" → 5 km; "ba mươi độ xê" → 30°C.
    pub measure: bool,
    /// "ngày mười lăm tháng tám năm hai nghìn…" → ngày 15/8/2026; "năm một chín tám tư" →
    /// năm 1984.
    pub date: bool,
    /// "mười giờ ba mươi sáng" → 10:30 sáng.
    pub time: bool,
    /// "thứ mười lăm" → thứ 15 (one-word ordinals, "thứ hai", stay: they are weekdays too).
    pub ordinal: bool,
    /// "hai phần ba" → 2/3.
    pub fraction: bool,
    /// Numbers read digit by digit (phones, codes): "không chín một hai…" → 0912….
    pub digits: bool,
    /// Email and web addresses: "an a còng gờ mai chấm com" → an@gmail.com.
    pub address: bool,
    /// Decimal mark for "phẩy". Default: comma (2,5).
    pub decimal_separator: DecimalSeparator,
    /// Thousands grouping of amounts. Default: dot (50.000). Never used in years, times,
    /// phone numbers or codes; ignored when it is the same mark as the decimal separator.
    pub thousands_separator: ThousandsSeparator,
}

impl Default for ItnOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            cardinal: true,
            decimal: true,
            percent: true,
            money: true,
            measure: true,
            date: true,
            time: true,
            ordinal: true,
            fraction: true,
            digits: true,
            address: true,
            decimal_separator: DecimalSeparator::default(),
            thousands_separator: ThousandsSeparator::default(),
        }
    }
}

/// The mark between the integer and the decimal part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalSeparator {
    /// 2.5 (English).
    Point,
    /// 2,5 (Vietnamese). An unknown value in a settings file falls back to this (serde
    /// requires that fallback to be the last variant).
    #[default]
    #[serde(other)]
    Comma,
}

/// The mark between groups of three digits in amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThousandsSeparator {
    /// 1,000,000 (English).
    Comma,
    /// 1 000 000 (a plain space, as ISO 31-0 allows).
    Space,
    /// 1000000.
    None,
    /// 1.000.000 (Vietnamese); also what an unknown value falls back to.
    #[default]
    #[serde(other)]
    Dot,
}

/// What the scan knows besides the words.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub options: &'a ItnOptions,
    /// "hai chấm" is the colon command: "HAI CHẤM NĂM" is ": năm", not 2.5.
    pub colon_command: bool,
}

/// The words ITN looks at: each word of the text, lower-cased, with the piece it came from.
/// Anything that is not a word (punctuation, a line break, a user replacement) is a barrier no
/// match crosses.
pub(crate) struct Words {
    words: Vec<Option<String>>,
    pieces: Vec<usize>,
}

impl Words {
    fn of(pieces: &[Piece]) -> Self {
        let mut words = Vec::new();
        let mut at = Vec::new();
        for (index, piece) in pieces.iter().enumerate() {
            let word = match piece {
                Piece::Space => continue,
                Piece::Word(word) => Some(word.to_lowercase()),
                _ => None,
            };
            words.push(word);
            at.push(index);
        }
        Self { words, pieces: at }
    }

    /// The word at `i`, if there is one (not a barrier, not past the end).
    pub fn get(&self, i: usize) -> Option<&str> {
        self.words.get(i).and_then(|w| w.as_deref())
    }

    /// Whether the words from `i` are exactly `phrase` (space-separated).
    pub fn starts_with(&self, i: usize, phrase: &str) -> bool {
        let mut rest = phrase;
        let mut k = i;
        loop {
            let Some(word) = self.get(k) else {
                return false;
            };
            match rest.strip_prefix(word) {
                Some("") => return true,
                Some(after) if after.starts_with(' ') => rest = &after[1..],
                _ => return false,
            }
            k += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }
}

/// One piece of a match's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Out {
    /// The word at this index, as the model wrote it (re-cased later like any word).
    Keep(usize),
    /// Written text ("15/8/2026", "km", "%").
    Text(String),
}

/// A recognised span: `len` words from where it was tried, written as `out` (separated by
/// spaces). A span written as it was (all `Keep`) is still consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Match {
    pub len: usize,
    pub out: Vec<Out>,
}

impl Match {
    /// The span left in words, consumed so no part of it is read again.
    pub fn keep(at: usize, len: usize) -> Self {
        Self {
            len,
            out: (at..at + len).map(Out::Keep).collect(),
        }
    }

    /// The span written as one piece of text.
    pub fn text(len: usize, text: String) -> Self {
        Self {
            len,
            out: vec![Out::Text(text)],
        }
    }
}

/// Rewrites the spoken forms in `pieces` as written ones.
pub(crate) fn apply(pieces: Vec<Piece>, options: &ItnOptions, colon_command: bool) -> Vec<Piece> {
    if !options.enabled {
        return pieces;
    }
    let context = Context {
        options,
        colon_command,
    };
    let words = Words::of(&pieces);
    let anchors = address::anchors(&words);
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let at = match words.get(i) {
            Some(word) if vocab::may_lead(word) || anchors.near(i) => match_at(&words, i, &context),
            _ => None,
        };
        let Some(at) = at else {
            i += 1;
            continue;
        };
        i += at.len;
        if at.out.iter().any(|o| matches!(o, Out::Text(_))) {
            found.push((i - at.len, at));
        }
    }
    if found.is_empty() {
        return pieces;
    }
    rewrite(pieces, &words, found)
}

/// The pieces with each match's span replaced by its output.
fn rewrite(pieces: Vec<Piece>, words: &Words, found: Vec<(usize, Match)>) -> Vec<Piece> {
    let mut pieces: Vec<Option<Piece>> = pieces.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(pieces.len());
    let mut next_piece = 0;
    for (start, at) in found {
        let first = words.pieces[start];
        let last = words.pieces[start + at.len - 1];
        out.extend(
            pieces[next_piece..first]
                .iter_mut()
                .filter_map(Option::take),
        );
        for (k, part) in at.out.into_iter().enumerate() {
            if k > 0 {
                out.push(Piece::Space);
            }
            out.push(match part {
                Out::Keep(index) => pieces[words.pieces[index]].take().expect("kept once"),
                Out::Text(text) => Piece::Literal(text),
            });
        }
        next_piece = last + 1;
    }
    out.extend(pieces[next_piece..].iter_mut().filter_map(Option::take));
    out
}

/// The classes in priority order; the first that recognises the words at `i` wins. A class
/// that is switched off still consumes what it recognises, as words: "thứ mười lăm" with
/// ordinals off stays as said rather than becoming "thứ 15" through the cardinal rule.
fn match_at(words: &Words, i: usize, context: &Context) -> Option<Match> {
    let options = context.options;
    type Class = fn(&Words, usize, &Context) -> Option<Match>;
    let classes: [(bool, Class); 5] = [
        (options.address, address::address),
        (options.date, date::date),
        (options.date, date::year),
        (options.ordinal, quantity::ordinal),
        (true, quantity::signed),
    ];
    classes
        .iter()
        .find_map(|(on, class)| {
            class(words, i, context).map(|found| match on {
                true => found,
                false => Match::keep(i, found.len),
            })
        })
        .or_else(|| quantity::number_led(words, i, context, false))
}
