//! Text post-processing: what the model heard → what the user reads.
//!
//! The models write upper-case Vietnamese without punctuation, numbers as words
//! ("XIN CHÀO CÁC BẠN CHẤM"). [`postprocess`] turns that into NFC, sentence-cased text with
//! optional spoken punctuation and the user's custom words ("Xin chào các bạn."). Every door
//! (CLI, server, desktop) calls it, so it is pure: no I/O, no state, same input → same output.
//!
//! # Pipeline, and why in this order
//! 1. **NFC.** Everything after compares strings. A decomposed "ẩ" (a + ◌̂ + ◌̉) would neither
//!    equal the composed phrase "phẩy" nor count as one word (combining marks are not
//!    alphanumeric), so normalising comes first. It also makes the output NFC, as UX.md asks.
//! 2. **Lexing** into words (runs of Unicode letters, digits and marks), spaces, line breaks
//!    and other characters. Word boundaries are therefore Unicode-aware: "AN" never matches
//!    inside "ĐAN", which is what breaks ASCII-only matchers on Vietnamese.
//! 3. **User replacements**, before spoken punctuation: a user's rule is the more specific
//!    intent. It lets them protect a phrase that contains a command word ("CHẤM ĐIỂM" →
//!    "chấm điểm", "to grade", with spoken punctuation on) and their output is never scanned
//!    for commands.
//! 4. **Spoken punctuation** (opt-in), on what the user rules left untouched.
//! 5. **Casing**, once punctuation exists: sentence case needs to know where sentences end,
//!    and must skip the user's replacement text, which keeps the case the user wrote.
//! 6. **Rendering** with whitespace tidied: spacing depends on what each piece finally is
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

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

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

/// Which spoken punctuation commands are active when [`TextOptions::spoken_punctuation`] is
/// on. All on by default; UX.md asks for an off switch for each, because every command word
/// is also an ordinary Vietnamese word ("chấm" is also "to dip", "to grade").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpokenCommands {
    /// "phẩy", "dấu phẩy" → `,`
    pub comma: bool,
    /// "chấm", "dấu chấm" → `.`
    pub period: bool,
    /// "chấm hỏi", "dấu chấm hỏi" → `?`
    pub question: bool,
    /// "chấm than", "dấu chấm than" → `!`
    pub exclamation: bool,
    /// "hai chấm", "dấu hai chấm" → `:`
    pub colon: bool,
    /// "chấm phẩy", "dấu chấm phẩy" → `;` (without it, the usual name of ";" would come out
    /// as ".,").
    pub semicolon: bool,
    /// "xuống dòng" → line break
    pub newline: bool,
    /// "mở ngoặc" → `(`
    pub open_paren: bool,
    /// "đóng ngoặc" → `)`
    pub close_paren: bool,
}

impl Default for SpokenCommands {
    fn default() -> Self {
        Self {
            comma: true,
            period: true,
            question: true,
            exclamation: true,
            colon: true,
            semicolon: true,
            newline: true,
            open_paren: true,
            close_paren: true,
        }
    }
}

/// A user custom word: any of the `from` phrases, as the model writes it, becomes `to`.
///
/// Phrases match whole words, case-insensitively, across any run of spaces (not across a line
/// break). `to` is inserted as written (NFC-normalised) and never re-cased; an empty `to`
/// deletes the phrase (filler words such as "ờ", "ừm"). Listing the written form among the
/// phrases too ("việt nam" for "Việt Nam") also fixes its case when the model hears it right,
/// and makes processing the output again a no-op.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Replacement {
    /// Spellings the model produces for the word, e.g. `["vi ét nam", "việt nam"]`.
    pub from: Vec<String>,
    /// What to write instead, e.g. `"Việt Nam"`.
    pub to: String,
}

impl Replacement {
    /// A rule from its phrases and its replacement text.
    pub fn new<S: Into<String>>(from: impl IntoIterator<Item = S>, to: impl Into<String>) -> Self {
        Self {
            from: from.into_iter().map(Into::into).collect(),
            to: to.into(),
        }
    }
}

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
    /// User custom words, applied before spoken punctuation.
    pub replacements: Vec<Replacement>,
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

/// Joins an already processed dictation `next` to the text before it, returning what to
/// insert: `next`, preceded by one space when both sides need it.
///
/// No space when there is no previous text (or it is empty), when it ends in white space or a
/// new line, or in `(`; none either when `next` starts with white space, a new line or
/// punctuation that attaches to the left (`,` `.` `?` `!` `:` `;` `)`). An empty `next` gives
/// an empty string, never a dangling space. Casing is left alone: see [`postprocess_after`].
pub fn join_dictation(previous_tail: Option<&str>, next: &str) -> String {
    if next.is_empty() {
        return String::new();
    }
    let last = previous_tail.and_then(|text| text.chars().next_back());
    let first = next.chars().next();
    let spaced = |c: char| !c.is_whitespace();
    let needs_space = last.is_some_and(|c| spaced(c) && c != '(')
        && first.is_some_and(|c| spaced(c) && !attaches_left(c));
    if needs_space {
        format!(" {next}")
    } else {
        next.to_owned()
    }
}

/// The whole pipeline; `context` says what precedes the text.
fn process(raw: &str, options: &TextOptions, context: Context) -> String {
    let text: String = raw.trim().nfc().collect();
    let pieces = lex(&text);
    let pieces = apply_rules(pieces, &replacement_rules(&options.replacements));
    let mut pieces = if options.spoken_punctuation {
        apply_rules(pieces, &command_rules(&options.commands))
    } else {
        pieces
    };
    apply_casing(&mut pieces, options.casing, context.sentence_start);
    render(&pieces, context.can_attach)
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

// ---------------------------------------------------------------------------------------------
// Lexing

/// One piece of the text as it moves through the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
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
    /// User replacement text: inserted verbatim, never matched again nor re-cased.
    Literal(String),
}

/// Letters, digits, and combining marks (so a mark NFC could not compose stays in its word).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn lex(text: &str) -> Vec<Piece> {
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

// ---------------------------------------------------------------------------------------------
// Matching (replacements and spoken commands)

/// What a phrase compares against: case-folded words, exact symbols, any space run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Word(String),
    Sym(char),
    Space,
    Break,
}

impl Key {
    /// `None` for pieces a rule already produced: they never match again.
    fn of(piece: &Piece) -> Option<Self> {
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
fn fold(word: &str) -> String {
    word.chars().flat_map(char::to_lowercase).collect()
}

/// A phrase and what replaces it (`None` deletes it).
#[derive(Debug)]
struct Rule {
    phrase: Vec<Key>,
    output: Option<Piece>,
}

impl Rule {
    /// `None` when the phrase has no word: it could never match whole words.
    fn new(phrase: &str, output: Option<Piece>) -> Option<Self> {
        let phrase = phrase_keys(phrase);
        phrase
            .iter()
            .any(|key| matches!(key, Key::Word(_)))
            .then_some(Self { phrase, output })
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
fn longest_first(mut rules: Vec<Rule>) -> Vec<Rule> {
    rules.sort_by_key(|rule| std::cmp::Reverse(rule.phrase.len()));
    rules
}

fn replacement_rules(replacements: &[Replacement]) -> Vec<Rule> {
    let rules = replacements.iter().flat_map(|replacement| {
        let to: String = replacement.to.trim().nfc().collect();
        let output = (!to.is_empty()).then_some(Piece::Literal(to));
        replacement
            .from
            .iter()
            .filter_map(move |from| Rule::new(from, output.clone()))
    });
    longest_first(rules.collect())
}

/// Scans left to right; at each position the longest matching rule replaces its span.
fn apply_rules(pieces: Vec<Piece>, rules: &[Rule]) -> Vec<Piece> {
    if rules.is_empty() {
        return pieces;
    }
    let keys: Vec<Option<Key>> = pieces.iter().map(Key::of).collect();
    let mut out = Vec::with_capacity(pieces.len());
    let mut at = 0;
    while at < pieces.len() {
        match rules.iter().find(|rule| rule.matches_at(&keys, at)) {
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

// ---------------------------------------------------------------------------------------------
// Spoken punctuation

/// The spoken commands of UX.md, plus ";" whose Vietnamese name contains two of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Comma,
    Period,
    Question,
    Exclamation,
    Colon,
    Semicolon,
    Newline,
    OpenParen,
    CloseParen,
}

impl Command {
    const ALL: [Self; 9] = [
        Self::Comma,
        Self::Period,
        Self::Question,
        Self::Exclamation,
        Self::Colon,
        Self::Semicolon,
        Self::Newline,
        Self::OpenParen,
        Self::CloseParen,
    ];

    /// The phrases, lower case. Marks also take the "dấu" ("sign") people often say before
    /// them, which would otherwise be left behind as a stray word ("dấu,").
    fn phrases(self) -> &'static [&'static str] {
        match self {
            Self::Comma => &["phẩy", "dấu phẩy"],
            Self::Period => &["chấm", "dấu chấm"],
            Self::Question => &["chấm hỏi", "dấu chấm hỏi"],
            Self::Exclamation => &["chấm than", "dấu chấm than"],
            Self::Colon => &["hai chấm", "dấu hai chấm"],
            Self::Semicolon => &["chấm phẩy", "dấu chấm phẩy"],
            Self::Newline => &["xuống dòng"],
            Self::OpenParen => &["mở ngoặc"],
            Self::CloseParen => &["đóng ngoặc"],
        }
    }

    fn output(self) -> Piece {
        match self {
            Self::Comma => Piece::Punct(','),
            Self::Period => Piece::Punct('.'),
            Self::Question => Piece::Punct('?'),
            Self::Exclamation => Piece::Punct('!'),
            Self::Colon => Piece::Punct(':'),
            Self::Semicolon => Piece::Punct(';'),
            Self::Newline => Piece::Break,
            Self::OpenParen => Piece::Punct('('),
            Self::CloseParen => Piece::Punct(')'),
        }
    }
}

impl SpokenCommands {
    fn is_on(&self, command: Command) -> bool {
        match command {
            Command::Comma => self.comma,
            Command::Period => self.period,
            Command::Question => self.question,
            Command::Exclamation => self.exclamation,
            Command::Colon => self.colon,
            Command::Semicolon => self.semicolon,
            Command::Newline => self.newline,
            Command::OpenParen => self.open_paren,
            Command::CloseParen => self.close_paren,
        }
    }
}

fn command_rules(commands: &SpokenCommands) -> Vec<Rule> {
    let rules = Command::ALL
        .into_iter()
        .filter(|&command| commands.is_on(command))
        .flat_map(|command| {
            let phrases = command.phrases().iter();
            phrases.filter_map(move |phrase| Rule::new(phrase, Some(command.output())))
        });
    longest_first(rules.collect())
}

// ---------------------------------------------------------------------------------------------
// Casing

fn is_sentence_end(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '…')
}

/// Characters that may close a sentence after its end mark: `(… xong.)`, `"… xong."`.
fn is_closer(c: char) -> bool {
    matches!(c, ')' | ']' | '}' | '"' | '\'' | '”' | '’' | '»')
}

/// Punctuation written against the word before it.
fn attaches_left(c: char) -> bool {
    matches!(c, ',' | '.' | '?' | '!' | ':' | ';' | ')')
}

fn apply_casing(pieces: &mut [Piece], casing: Casing, sentence_start: bool) {
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

// ---------------------------------------------------------------------------------------------
// Rendering

/// Writes the pieces with tidy spacing: one space between words, none before punctuation that
/// attaches left, none after `(` or around line breaks, none at either end. Left-attaching
/// punctuation with nothing to attach to (start of text or of a line) is dropped.
fn render(pieces: &[Piece], can_attach: bool) -> String {
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

// ---------------------------------------------------------------------------------------------
// Import and export of replacements

/// First line of [`format_replacements`]' output, a reminder of the format.
const FORMAT_HEADER: &str = "# Nói custom words: one rule per line, \"heard | also heard => written\". # starts a comment.\n";

/// A line of a replacements file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind} (in {content:?})")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// The line, trimmed.
    pub content: String,
    /// What is wrong with it.
    pub kind: ParseErrorKind,
}

/// What is wrong with a line of a replacements file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("expected `heard | also heard => written`, found no `=>`")]
    MissingArrow,
    #[error("empty phrase before `=>` (a stray `|`?)")]
    EmptyPhrase,
    #[error("phrase {0:?} has no letter or digit, so it can never match a word")]
    NoWord(String),
}

/// Reads replacement rules from text: one `from1 | from2 => to` rule per line.
///
/// Lines are trimmed; blank lines and lines starting with `#` are ignored (only whole lines:
/// `#` may appear inside a rule, as in "C#"). The first `=>` splits a line, so `to` may
/// contain `=>` or `|`; an empty `to` deletes the phrases. A leading byte-order mark and
/// CRLF line ends are accepted. The first bad line is reported.
pub fn parse_replacements(text: &str) -> Result<Vec<Replacement>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rules = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let rule = parse_rule(line).map_err(|kind| ParseError {
            line: index + 1,
            content: line.to_owned(),
            kind,
        })?;
        rules.push(rule);
    }
    Ok(rules)
}

fn parse_rule(line: &str) -> Result<Replacement, ParseErrorKind> {
    let (from, to) = line.split_once("=>").ok_or(ParseErrorKind::MissingArrow)?;
    let from = from
        .split('|')
        .map(parse_phrase)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Replacement {
        from,
        to: to.trim().to_owned(),
    })
}

fn parse_phrase(phrase: &str) -> Result<String, ParseErrorKind> {
    let phrase = phrase.trim();
    if phrase.is_empty() {
        return Err(ParseErrorKind::EmptyPhrase);
    }
    if !phrase.chars().any(is_word_char) {
        return Err(ParseErrorKind::NoWord(phrase.to_owned()));
    }
    Ok(phrase.to_owned())
}

/// Writes rules in the format [`parse_replacements`] reads, after a `#` header line.
///
/// Blank phrases, and rules left without any phrase, are skipped: they can never match, and
/// would not read back. Phrases containing `|` or `=>`, or text with line breaks, do not
/// survive a round trip (the settings UI should not let them in).
pub fn format_replacements(replacements: &[Replacement]) -> String {
    let mut out = String::from(FORMAT_HEADER);
    for line in replacements.iter().filter_map(format_rule) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn format_rule(replacement: &Replacement) -> Option<String> {
    let from: Vec<&str> = replacement
        .from
        .iter()
        .map(|phrase| phrase.trim())
        .filter(|phrase| !phrase.is_empty())
        .collect();
    if from.is_empty() {
        return None;
    }
    let line = format!("{} => {}", from.join(" | "), replacement.to.trim());
    Some(line.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::is_nfc;

    fn spoken() -> TextOptions {
        TextOptions {
            spoken_punctuation: true,
            ..TextOptions::default()
        }
    }

    fn with_rules(mut options: TextOptions, rules: &[(&[&str], &str)]) -> TextOptions {
        options.replacements = rules
            .iter()
            .map(|(from, to)| Replacement::new(from.iter().copied(), *to))
            .collect();
        options
    }

    fn nfd(text: &str) -> String {
        text.nfd().collect()
    }

    // --- Defaults and casing ---------------------------------------------------------------

    #[test]
    fn default_is_nfc_sentence_case_without_punctuation() {
        let out = postprocess("XIN CHÀO CÁC BẠN HÔM NAY TRỜI ĐẸP", &TextOptions::default());
        assert_eq!(out, "Xin chào các bạn hôm nay trời đẹp");
    }

    #[test]
    fn casing_handles_vietnamese_letters_and_d_with_stroke() {
        let sentence = TextOptions::default();
        assert_eq!(postprocess("ĐÀ NẴNG", &sentence), "Đà nẵng");
        assert_eq!(postprocess("ĐI ĐÂU ĐẤY", &sentence), "Đi đâu đấy");
        let lower = TextOptions {
            casing: Casing::Lower,
            ..TextOptions::default()
        };
        assert_eq!(postprocess("ĐÀ NẴNG", &lower), "đà nẵng");
        let as_is = TextOptions {
            casing: Casing::AsIs,
            ..TextOptions::default()
        };
        assert_eq!(postprocess("ĐÀ NẴNG", &as_is), "ĐÀ NẴNG");
    }

    #[test]
    fn sentence_case_restarts_after_each_sentence_end_and_line_break() {
        let out = postprocess(
            "ĐI ĐÂU ĐẤY CHẤM HỎI ĐI CHỢ CHẤM THAN XUỐNG DÒNG VUI QUÁ",
            &spoken(),
        );
        assert_eq!(out, "Đi đâu đấy? Đi chợ!\nVui quá");
    }

    #[test]
    fn sentence_case_keeps_decimals_and_model_punctuation() {
        let out = postprocess(
            "PHIÊN BẢN 2.5 RA MẮT. NÓ NHANH HƠN, RẤT NHANH",
            &TextOptions::default(),
        );
        assert_eq!(out, "Phiên bản 2.5 ra mắt. Nó nhanh hơn, rất nhanh");
    }

    #[test]
    fn lower_and_as_is_ignore_sentence_ends() {
        let lower = TextOptions {
            casing: Casing::Lower,
            ..spoken()
        };
        assert_eq!(
            postprocess("XIN CHÀO CHẤM HẸN GẶP LẠI", &lower),
            "xin chào. hẹn gặp lại"
        );
        let as_is = TextOptions {
            casing: Casing::AsIs,
            ..spoken()
        };
        assert_eq!(
            postprocess("XIN CHÀO CHẤM HẸN GẶP LẠI", &as_is),
            "XIN CHÀO. HẸN GẶP LẠI"
        );
    }

    // --- Spoken punctuation ----------------------------------------------------------------

    #[test]
    fn spoken_punctuation_example_from_the_brief() {
        let raw = "XIN CHÀO CÁC BẠN CHẤM HÔM NAY TRỜI ĐẸP QUÁ CHẤM THAN";
        assert_eq!(
            postprocess(raw, &spoken()),
            "Xin chào các bạn. Hôm nay trời đẹp quá!"
        );
    }

    #[test]
    fn spoken_punctuation_is_off_by_default() {
        let raw = "XIN CHÀO CÁC BẠN CHẤM HÔM NAY TRỜI ĐẸP QUÁ CHẤM THAN";
        assert_eq!(
            postprocess(raw, &TextOptions::default()),
            "Xin chào các bạn chấm hôm nay trời đẹp quá chấm than"
        );
    }

    #[test]
    fn cham_hoi_is_a_question_mark_not_a_period_then_hoi() {
        let out = postprocess("BẠN KHỎE KHÔNG CHẤM HỎI", &spoken());
        assert_eq!(out, "Bạn khỏe không?");
        let out = postprocess("TÔI KHỎE CHẤM CẢM ƠN CHẤM", &spoken());
        assert_eq!(out, "Tôi khỏe. Cảm ơn.");
        let out = postprocess("TÔI HỎI CHẤM HỎI LẠI", &spoken());
        assert_eq!(out, "Tôi hỏi? Lại");
    }

    #[test]
    fn every_mark_attaches_to_the_word_before() {
        let raw = "DANH SÁCH HAI CHẤM CAM PHẨY TÁO CHẤM PHẨY XOÀI CHẤM";
        assert_eq!(postprocess(raw, &spoken()), "Danh sách: cam, táo; xoài.");
    }

    #[test]
    fn parentheses_hug_their_content() {
        let raw = "GẶP ANH BA MỞ NGOẶC TRƯỞNG PHÒNG ĐÓNG NGOẶC CHẤM";
        assert_eq!(postprocess(raw, &spoken()), "Gặp anh ba (trưởng phòng).");
    }

    #[test]
    fn newline_command_breaks_the_line_without_spaces_around_it() {
        let raw = "KÍNH GỬI ANH PHẨY XUỐNG DÒNG EM XIN BÁO CÁO";
        assert_eq!(postprocess(raw, &spoken()), "Kính gửi anh,\nEm xin báo cáo");
        let raw = "ĐOẠN MỘT XUỐNG DÒNG XUỐNG DÒNG ĐOẠN HAI";
        assert_eq!(postprocess(raw, &spoken()), "Đoạn một\n\nĐoạn hai");
    }

    #[test]
    fn commands_match_whole_words_only() {
        for raw in ["PHẨYA", "APHẨY", "CHẤMCHẤM", "XUỐNG DÒNGG"] {
            assert_eq!(postprocess(raw, &spoken()), sentence_case_of(raw), "{raw}");
        }
        // Tone marks are part of the word: "phảy", "phay" and "chậm" ("slow") are not commands.
        assert_eq!(postprocess("PHẢY PHAY CHẬM", &spoken()), "Phảy phay chậm");
    }

    fn sentence_case_of(raw: &str) -> String {
        postprocess(raw, &TextOptions::default())
    }

    #[test]
    fn commands_match_any_case() {
        for raw in ["ừ chấm được", "Ừ Chấm Được", "Ừ CHẤM ĐƯỢC", "ừ cHẤm được"]
        {
            assert_eq!(postprocess(raw, &spoken()), "Ừ. Được", "{raw}");
        }
    }

    #[test]
    fn dau_before_a_mark_is_part_of_the_command() {
        let raw = "VÂNG DẤU PHẨY EM HIỂU RỒI DẤU CHẤM HỎI";
        assert_eq!(postprocess(raw, &spoken()), "Vâng, em hiểu rồi?");
    }

    #[test]
    fn nothing_dangles_at_the_start_of_the_text_or_of_a_line() {
        assert_eq!(postprocess("PHẨY XIN CHÀO", &spoken()), "Xin chào");
        assert_eq!(
            postprocess("XIN CHÀO XUỐNG DÒNG PHẨY BẠN", &spoken()),
            "Xin chào\nBạn"
        );
        // An opening bracket is not dangling: it starts something.
        assert_eq!(
            postprocess("MỞ NGOẶC GHI CHÚ ĐÓNG NGOẶC", &spoken()),
            "(Ghi chú)"
        );
    }

    #[test]
    fn only_punctuation_words() {
        let raw = "CHẤM PHẨY CHẤM HỎI CHẤM THAN";
        assert_eq!(postprocess(raw, &spoken()), "");
        assert_eq!(
            postprocess(raw, &TextOptions::default()),
            "Chấm phẩy chấm hỏi chấm than"
        );
        assert_eq!(postprocess("XUỐNG DÒNG", &spoken()), "\n");
    }

    #[test]
    fn each_command_has_an_off_switch() {
        let mut options = spoken();
        options.commands.period = false;
        let out = postprocess("BẠN KHỎE KHÔNG CHẤM HỎI TÔI KHỎE CHẤM", &options);
        assert_eq!(out, "Bạn khỏe không? Tôi khỏe chấm");

        let mut options = spoken();
        options.commands.newline = false;
        let out = postprocess("ĐI XUỐNG DÒNG SÔNG", &options);
        assert_eq!(out, "Đi xuống dòng sông");
    }

    #[test]
    fn leftmost_command_wins_over_a_longer_one_starting_later() {
        // "hai chấm hỏi" reads as ": hỏi" (leftmost), not "hai?". Documented, not ideal.
        assert_eq!(postprocess("TẦNG HAI CHẤM HỎI", &spoken()), "Tầng: hỏi");
    }

    // --- User replacements -----------------------------------------------------------------

    #[test]
    fn replacement_inserts_the_users_text_as_written() {
        let options = with_rules(TextOptions::default(), &[(&["GIT HÚP"], "GitHub")]);
        assert_eq!(
            postprocess("TÔI ĐANG DÙNG GIT HÚP", &options),
            "Tôi đang dùng GitHub"
        );
        let options = with_rules(spoken(), &[(&["GIT HÚP"], "GitHub")]);
        assert_eq!(
            postprocess("GIT HÚP LÀ GÌ CHẤM HỎI", &options),
            "GitHub là gì?"
        );
        let options = with_rules(TextOptions::default(), &[(&["AI PHÔN"], "iPhone")]);
        assert_eq!(postprocess("AI PHÔN MỚI", &options), "iPhone mới");
    }

    #[test]
    fn replacement_with_several_spellings() {
        let options = with_rules(
            TextOptions::default(),
            &[(&["VI ÉT NAM", "VIỆT NAM"], "Việt Nam")],
        );
        assert_eq!(
            postprocess("TÔI YÊU VI ÉT NAM", &options),
            "Tôi yêu Việt Nam"
        );
        assert_eq!(
            postprocess("TÔI YÊU VIỆT NAM", &options),
            "Tôi yêu Việt Nam"
        );
    }

    #[test]
    fn replacement_phrases_match_any_case_and_any_space_run() {
        let options = with_rules(TextOptions::default(), &[(&["git húp"], "GitHub")]);
        for raw in ["GIT HÚP", "Git Húp", "git   húp", "GIT\tHÚP"] {
            assert_eq!(postprocess(raw, &options), "GitHub", "{raw}");
        }
        // A phrase never spans a line break.
        let options = with_rules(spoken(), &[(&["git húp"], "GitHub")]);
        assert_eq!(postprocess("GIT XUỐNG DÒNG HÚP", &options), "Git\nHúp");
    }

    #[test]
    fn replacement_word_boundaries_are_unicode_aware() {
        // An ASCII matcher sees "Đ" and "Ấ" as boundaries and would write "ĐAn", "Ấn".
        let options = with_rules(TextOptions::default(), &[(&["AN"], "An")]);
        assert_eq!(
            postprocess("ĐAN ÁO CHO AN ẤN", &options),
            "Đan áo cho An ấn"
        );
        let options = with_rules(TextOptions::default(), &[(&["HÀ"], "Hà")]);
        assert_eq!(postprocess("CHỊ HÀ BÁN HÀNG", &options), "Chị Hà bán hàng");
    }

    #[test]
    fn longest_replacement_wins_whatever_the_rule_order() {
        let rules: &[(&[&str], &str)] = &[(&["HÀ"], "Hà"), (&["HÀ NỘI"], "Hà Nội")];
        let options = with_rules(TextOptions::default(), rules);
        assert_eq!(
            postprocess("ĐI HÀ NỘI VỚI CHỊ HÀ", &options),
            "Đi Hà Nội với chị Hà"
        );
    }

    #[test]
    fn replacements_do_not_chain() {
        let rules: &[(&[&str], &str)] = &[(&["ANH"], "em"), (&["EM"], "anh")];
        let options = with_rules(TextOptions::default(), rules);
        // The replacement at the start is not re-cased either.
        assert_eq!(postprocess("ANH YÊU EM", &options), "em yêu anh");
    }

    #[test]
    fn replacements_run_before_spoken_punctuation() {
        let options = with_rules(spoken(), &[(&["CHẤM ĐIỂM"], "chấm điểm")]);
        let out = postprocess("CÔ GIÁO ĐANG CHẤM ĐIỂM CHẤM", &options);
        assert_eq!(out, "Cô giáo đang chấm điểm.");
    }

    #[test]
    fn empty_replacement_deletes_filler_words() {
        let options = with_rules(TextOptions::default(), &[(&["Ờ", "ỪM"], "")]);
        assert_eq!(
            postprocess("Ờ TÔI NGHĨ LÀ ỪM ĐƯỢC", &options),
            "Tôi nghĩ là được"
        );
    }

    #[test]
    fn phrases_without_words_are_ignored() {
        let options = with_rules(TextOptions::default(), &[(&["", "  ", "..."], "x")]);
        assert_eq!(postprocess("XIN CHÀO...", &options), "Xin chào...");
    }

    // --- Unicode normalisation -------------------------------------------------------------

    #[test]
    fn decomposed_input_gives_the_same_nfc_output() {
        let raw = "XIN CHÀO CÁC BẠN CHẤM HÔM NAY TRỜI ĐẸP QUÁ CHẤM THAN PHẨY";
        let decomposed = nfd(raw);
        assert_ne!(decomposed, raw);
        let options = with_rules(spoken(), &[(&["VI ÉT NAM"], "Việt Nam")]);
        for options in [TextOptions::default(), spoken(), options] {
            let out = postprocess(&decomposed, &options);
            assert_eq!(out, postprocess(raw, &options));
            assert!(is_nfc(&out));
        }
    }

    #[test]
    fn decomposed_rules_match_and_write_nfc() {
        let options = with_rules(
            TextOptions::default(),
            &[(&[&nfd("VI ÉT NAM")], &nfd("Việt Nam"))],
        );
        let out = postprocess("TÔI YÊU VI ÉT NAM", &options);
        assert_eq!(out, "Tôi yêu Việt Nam");
        assert!(is_nfc(&out));
    }

    // --- Whitespace, empty input, idempotence ----------------------------------------------

    #[test]
    fn whitespace_is_tidied() {
        let options = TextOptions::default();
        assert_eq!(
            postprocess("  XIN   CHÀO \t BẠN  ", &options),
            "Xin chào bạn"
        );
        assert_eq!(
            postprocess("XIN CHÀO  \r\n  BẠN\n", &options),
            "Xin chào\nBạn"
        );
        assert_eq!(postprocess("XIN\u{a0}CHÀO", &options), "Xin chào");
    }

    #[test]
    fn empty_input() {
        for options in [TextOptions::default(), spoken()] {
            assert_eq!(postprocess("", &options), "");
            assert_eq!(postprocess(" \n\t ", &options), "");
        }
    }

    #[test]
    fn postprocessing_twice_changes_nothing() {
        let raws = [
            "XIN CHÀO CÁC BẠN CHẤM HÔM NAY TRỜI ĐẸP QUÁ CHẤM THAN",
            "KÍNH GỬI ANH PHẨY XUỐNG DÒNG MỞ NGOẶC GHI CHÚ ĐÓNG NGOẶC HAI CHẤM ĐƯỢC",
            "TÔI YÊU VI ÉT NAM VÀ CÔ GIÁO CHẤM ĐIỂM CHẤM",
            "PHIÊN BẢN 2.5 RA MẮT",
        ];
        // Idempotent when each replacement also lists its own spelling: otherwise a second
        // pass sees "Việt Nam" as model text and re-cases it.
        let rules: &[(&[&str], &str)] = &[
            (&["VI ÉT NAM", "VIỆT NAM"], "Việt Nam"),
            (&["CHẤM ĐIỂM"], "chấm điểm"),
        ];
        let lower = TextOptions {
            casing: Casing::Lower,
            ..spoken()
        };
        for options in [
            TextOptions::default(),
            spoken(),
            lower,
            with_rules(spoken(), rules),
        ] {
            for raw in raws {
                let once = postprocess(raw, &options);
                assert_eq!(postprocess(&once, &options), once, "{raw}");
            }
        }
    }

    // --- Consecutive dictations ------------------------------------------------------------

    #[test]
    fn join_adds_a_space_only_where_the_previous_text_did_not_end_a_line() {
        assert_eq!(join_dictation(None, "Xin chào"), "Xin chào");
        assert_eq!(join_dictation(Some(""), "Xin chào"), "Xin chào");
        assert_eq!(join_dictation(Some("Xin chào."), "Hôm nay"), " Hôm nay");
        assert_eq!(join_dictation(Some("Xin chào"), "hôm nay"), " hôm nay");
        assert_eq!(join_dictation(Some("Xin chào\n"), "Hôm nay"), "Hôm nay");
        assert_eq!(join_dictation(Some("Xin chào "), "hôm nay"), "hôm nay");
        assert_eq!(join_dictation(Some("Ghi chú ("), "xem sau"), "xem sau");
        assert_eq!(join_dictation(Some("Xin chào"), ". Hôm nay"), ". Hôm nay");
        assert_eq!(join_dictation(Some("Xin chào"), "\nHôm nay"), "\nHôm nay");
        assert_eq!(join_dictation(Some("Xin chào"), ""), "");
    }

    #[test]
    fn continuation_is_capitalised_only_after_a_sentence_end() {
        let options = TextOptions::default();
        let raw = "HÔM NAY TRỜI ĐẸP";
        assert_eq!(postprocess_after(None, raw, &options), "Hôm nay trời đẹp");
        assert_eq!(
            postprocess_after(Some("Xin chào các bạn"), raw, &options),
            " hôm nay trời đẹp"
        );
        assert_eq!(
            postprocess_after(Some("Xin chào các bạn."), raw, &options),
            " Hôm nay trời đẹp"
        );
        assert_eq!(
            postprocess_after(Some("(Đã xong.)"), raw, &options),
            " Hôm nay trời đẹp"
        );
        assert_eq!(
            postprocess_after(Some("Xin chào\n"), raw, &options),
            "Hôm nay trời đẹp"
        );
        assert_eq!(
            postprocess_after(Some("Có 2.5"), raw, &options),
            " hôm nay trời đẹp"
        );
    }

    #[test]
    fn continuation_keeps_a_leading_replacement_as_written() {
        let options = with_rules(TextOptions::default(), &[(&["GIT HÚP"], "GitHub")]);
        assert_eq!(
            postprocess_after(Some("Tôi dùng"), "GIT HÚP", &options),
            " GitHub"
        );
    }

    #[test]
    fn continuation_can_end_the_previous_sentence() {
        let raw = "CHẤM HÔM NAY TRỜI ĐẸP";
        let out = postprocess_after(Some("Xin chào các bạn"), raw, &spoken());
        assert_eq!(out, ". Hôm nay trời đẹp");
        // Nothing to attach to after a line break or a space: dropped.
        let out = postprocess_after(Some("Xin chào\n"), raw, &spoken());
        assert_eq!(out, "Hôm nay trời đẹp");
        let out = postprocess_after(Some("Xin chào "), raw, &spoken());
        assert_eq!(out, "Hôm nay trời đẹp");
    }

    #[test]
    fn continuation_can_start_a_new_line() {
        let out = postprocess_after(Some("Xin chào."), "XUỐNG DÒNG HÔM NAY", &spoken());
        assert_eq!(out, "\nHôm nay");
    }

    #[test]
    fn empty_continuation_inserts_nothing() {
        assert_eq!(postprocess_after(Some("Xin chào"), "  ", &spoken()), "");
        assert_eq!(postprocess_after(Some("Xin chào\n"), "PHẨY", &spoken()), "");
    }

    // --- Import and export -----------------------------------------------------------------

    const SAMPLE: &str = "\u{feff}# Từ của tôi\r\n\
        \r\n\
        git húp => GitHub\r\n\
        vi ét nam | VIỆT NAM =>   Việt Nam  \n\
        \x20  # indented comment\n\
        ờ | ừm =>\n\
        mũi tên => a => b | c\n";

    #[test]
    fn parse_reads_rules_and_skips_comments_and_blank_lines() {
        let rules = parse_replacements(SAMPLE).unwrap();
        assert_eq!(
            rules,
            [
                Replacement::new(["git húp"], "GitHub"),
                Replacement::new(["vi ét nam", "VIỆT NAM"], "Việt Nam"),
                Replacement::new(["ờ", "ừm"], ""),
                Replacement::new(["mũi tên"], "a => b | c"),
            ]
        );
        assert_eq!(parse_replacements("").unwrap(), []);
        assert_eq!(parse_replacements("# only a comment\n\n").unwrap(), []);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let err = parse_replacements("# ok\ngit húp => GitHub\ngit húp GitHub\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.kind, ParseErrorKind::MissingArrow);
        assert_eq!(err.content, "git húp GitHub");
        assert!(err.to_string().starts_with("line 3: "), "{err}");

        let kind = |text: &str| parse_replacements(text).unwrap_err().kind;
        assert_eq!(kind("a | | b => c"), ParseErrorKind::EmptyPhrase);
        assert_eq!(kind("a | => c"), ParseErrorKind::EmptyPhrase);
        assert_eq!(kind(" => c"), ParseErrorKind::EmptyPhrase);
        assert_eq!(kind("... => …"), ParseErrorKind::NoWord("...".into()));
    }

    #[test]
    fn format_writes_what_parse_reads() {
        let rules = parse_replacements(SAMPLE).unwrap();
        let text = format_replacements(&rules);
        assert_eq!(
            text,
            format!(
                "{FORMAT_HEADER}git húp => GitHub\nvi ét nam | VIỆT NAM => Việt Nam\n\
                 ờ | ừm =>\nmũi tên => a => b | c\n"
            )
        );
        assert_eq!(parse_replacements(&text).unwrap(), rules);
    }

    #[test]
    fn format_skips_phrases_that_could_never_match() {
        let rules = [
            Replacement::new(["", "  git húp "], "GitHub"),
            Replacement::new(Vec::<String>::new(), "lost"),
            Replacement::new([" "], "lost"),
        ];
        let text = format_replacements(&rules);
        assert_eq!(text, format!("{FORMAT_HEADER}git húp => GitHub\n"));
    }

    #[test]
    fn imported_rules_drive_postprocess() {
        let rules =
            parse_replacements("git húp => GitHub\nVI ÉT NAM | VIỆT NAM => Việt Nam").unwrap();
        let options = TextOptions {
            replacements: rules,
            ..spoken()
        };
        let out = postprocess("TÔI Ở VI ÉT NAM PHẨY DÙNG GIT HÚP CHẤM", &options);
        assert_eq!(out, "Tôi ở Việt Nam, dùng GitHub.");
    }

    // --- Settings (serde) ------------------------------------------------------------------

    #[test]
    fn options_load_from_partial_or_unknown_settings() {
        let empty: TextOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, TextOptions::default());

        let json = r#"{"spoken_punctuation": true, "commands": {"newline": false},
                       "replacements": [{"from": ["git húp"]}], "future_field": 1}"#;
        let partial: TextOptions = serde_json::from_str(json).unwrap();
        assert!(partial.spoken_punctuation);
        assert!(!partial.commands.newline && partial.commands.period);
        assert_eq!(partial.replacements, [Replacement::new(["git húp"], "")]);

        let unknown: TextOptions = serde_json::from_str(r#"{"casing": "title"}"#).unwrap();
        assert_eq!(unknown.casing, Casing::Sentence);
    }

    #[test]
    fn options_round_trip_through_json() {
        let options = TextOptions {
            casing: Casing::AsIs,
            ..with_rules(spoken(), &[(&["VI ÉT NAM", "VIỆT NAM"], "Việt Nam")])
        };
        let json = serde_json::to_string(&options).unwrap();
        assert!(json.contains(r#""casing":"as_is""#), "{json}");
        assert_eq!(serde_json::from_str::<TextOptions>(&json).unwrap(), options);
    }
}
