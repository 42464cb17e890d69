//! Words → written Vietnamese: what the model heard → what the user reads.
//!
//! The models write upper-case Vietnamese without punctuation, numbers as words
//! ("NGÀY MƯỜI LĂM THÁNG TÁM CHẤM"). [`postprocess`] turns that into NFC, sentence-cased text
//! with numbers, dates, money… written as Vietnamese writers write them, optional spoken
//! punctuation and the user's custom words ("Ngày 15/8."). Every door (CLI, server, desktop)
//! calls it, so it is pure: no I/O, no state, same input → same output.
//!
//! # Pipeline, and why in this order
//! 1. **NFC.** Everything after compares strings. A decomposed "ẩ" (a + ◌̂ + ◌̉) would neither
//!    equal the composed phrase "phẩy" nor count as one word (combining marks are not
//!    alphanumeric), so normalising comes first. It also makes the output NFC, as UX.md asks.
//! 2. **Lexing** into words (runs of Unicode letters, digits and marks), spaces, line breaks
//!    and other characters. Word boundaries are therefore Unicode-aware: "AN" never matches
//!    inside "ĐAN", which is what breaks ASCII-only matchers on Vietnamese.
//! 3. **User replacements** ([`replacements`]), first: a user's rule is the most specific
//!    intent. It lets them protect a phrase that contains a command word ("CHẤM ĐIỂM" →
//!    "chấm điểm", "to grade", with spoken punctuation on) or a number ("BA MƯƠI SÁU PHỐ
//!    PHƯỜNG" → "Ba mươi sáu phố phường"), and their output is never scanned again.
//! 4. **Inverse text normalisation** ([`itn`]), before spoken punctuation: "phẩy" and "chấm"
//!    are both punctuation commands and parts of numbers ("BA PHẨY NĂM" = 3,5, "CHẤM COM").
//!    ITN takes them only where they sit between number words (or in an address); what it
//!    leaves is still a command. Its output is never matched nor re-cased.
//! 5. **Spoken punctuation** ([`punctuation`], opt-in), on what the steps before left.
//! 6. **Casing** ([`casing`]), once punctuation exists: sentence case needs to know where
//!    sentences end, and must skip the user's replacement text, which keeps the case the user
//!    wrote, and written numbers and units ("km", "°C").
//! 7. **Rendering** with whitespace tidied: spacing depends on what each piece finally is
//!    (punctuation attaches to the word before it, nothing after "(" or a line break).
//!
//! Replacements and commands match leftmost first, then longest: "CHẤM HỎI" is "?", never
//! ". hỏi". A replaced span is frozen: it is never matched again nor re-cased, so rules do
//! not chain ("ANH => em" and "EM => anh" swap the two words).
//!
//! # Consecutive dictations
//! [`postprocess_after`] processes a dictation as the continuation of the text Nói inserted
//! just before, and [`join_dictation`] holds the spacing rule alone. See their docs for the
//! choices made.

pub mod casing;
pub mod itn;
pub mod join;
mod piece;
pub mod pipeline;
pub mod punctuation;
mod render;
pub mod replacements;
pub mod replacements_file;
mod rules;

pub use casing::Casing;
pub use itn::{DecimalSeparator, ItnOptions, ThousandsSeparator};
pub use join::join_dictation;
pub use pipeline::{TextOptions, postprocess, postprocess_after};
pub use punctuation::SpokenCommands;
pub use replacements::Replacement;
pub use replacements_file::{ParseError, ParseErrorKind, format_replacements, parse_replacements};
