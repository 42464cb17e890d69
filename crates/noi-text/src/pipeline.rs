//! The pipeline entry points: raw model text → the text to show or insert.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::casing::{Casing, apply_casing, is_closer, is_sentence_end};
use crate::itn::{self, ItnOptions};
use crate::join::join_dictation;
use crate::piece::{is_line_break, lex};
use crate::punctuation::{SpokenCommands, command_rules};
use crate::render::render;
use crate::replacements::{Replacement, replacement_rules};
use crate::rules::apply_rules;

/// Post-processing settings. Every field has a default, so a partial or older settings file
/// still loads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TextOptions {
    /// Re-casing of the model's words. Default: sentence case.
    pub casing: Casing,
    /// Turn spoken commands ("chấm", "phẩy", "xuống dòng"…) into punctuation. Off by default:
    /// the command words are common words too, so this is the user's choice.
    pub spoken_punctuation: bool,
    /// Per-command switches, used when `spoken_punctuation` is on.
    pub commands: SpokenCommands,
    /// User custom words, applied first.
    pub replacements: Vec<Replacement>,
    /// Inverse text normalisation: numbers, dates, money… as written. On by default.
    pub itn: ItnOptions,
}

/// Turns raw model output into the text to show or insert, as a text of its own (first letter
/// capitalised in sentence case, leading punctuation dropped).
pub fn postprocess(raw: &str, options: &TextOptions) -> String {
    process(raw, options, Context::START)
}

/// Post-processes `raw` as the continuation of `previous_tail` (the end of the text Nói
/// inserted just before, or `None` when unknown, e.g. after a focus change) and returns
/// exactly what to insert after it, separating space included.
///
/// Choices:
/// - Sentence case capitalises the start only when `previous_tail` ended a sentence (`.`, `?`,
///   `!`, `…`, possibly followed by a closing bracket or quote), ended a line, or is empty or
///   `None`. Otherwise the dictation continues the sentence and starts in lower case. This is
///   done inside the pipeline rather than on the finished text, so a user replacement at the
///   start ("GitHub", "Việt Nam") keeps its capitals.
/// - A punctuation command at the start ("CHẤM HÔM NAY…") attaches to the previous text when
///   that text ends in a visible character; after a new line, white space or nothing it is
///   dropped, as in [`postprocess`].
/// - Spacing follows [`join_dictation`].
pub fn postprocess_after(previous_tail: Option<&str>, raw: &str, options: &TextOptions) -> String {
    let text = process(raw, options, Context::after(previous_tail.unwrap_or("")));
    join_dictation(previous_tail, &text)
}

/// The whole pipeline; `context` says what precedes the text.
fn process(raw: &str, options: &TextOptions, context: Context) -> String {
    let text: String = raw.trim().nfc().collect();
    let pieces = lex(&text);
    let pieces = apply_rules(pieces, &replacement_rules(&options.replacements));
    let pieces = itn::apply(pieces, &options.itn, colon_command_on(options));
    let mut pieces = if options.spoken_punctuation {
        apply_rules(pieces, &command_rules(&options.commands))
    } else {
        pieces
    };
    apply_casing(&mut pieces, options.casing, context.sentence_start);
    // Case mapping can leave text that is not NFC ("İ" lowers to "i" + U+0307, whose capital
    // is "I" + U+0307, not "İ"); the output is promised NFC (found by the text_pipeline fuzz
    // target).
    render(&pieces, context.can_attach).nfc().collect()
}

/// Whether "hai chấm" is the colon command: ITN then leaves "HAI CHẤM <digits>" to it.
fn colon_command_on(options: &TextOptions) -> bool {
    options.spoken_punctuation && options.commands.colon
}

/// What precedes the text being processed.
#[derive(Debug, Clone, Copy)]
struct Context {
    /// The text starts a sentence (sentence case capitalises its first word).
    sentence_start: bool,
    /// Punctuation at the very start may attach to the preceding text.
    can_attach: bool,
}

impl Context {
    /// A text of its own.
    const START: Self = Self {
        sentence_start: true,
        can_attach: false,
    };

    fn after(previous: &str) -> Self {
        Self {
            sentence_start: ends_sentence(previous),
            can_attach: previous
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_whitespace()),
        }
    }
}

/// Whether text that follows `text` starts a new sentence.
fn ends_sentence(text: &str) -> bool {
    let text = text.trim_end_matches(|c: char| c.is_whitespace() && !is_line_break(c));
    match text.chars().next_back() {
        None => true,
        Some(c) if is_line_break(c) => true,
        Some(_) => text
            .chars()
            .rev()
            .find(|&c| !is_closer(c))
            .is_some_and(is_sentence_end),
    }
}
