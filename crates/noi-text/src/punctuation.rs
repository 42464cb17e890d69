//! Spoken punctuation: "chấm", "phẩy", "xuống dòng"… become marks and line breaks.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::piece::Piece;
use crate::rules::Rule;

/// Which spoken punctuation commands are active when
/// [`crate::TextOptions::spoken_punctuation`] is on. All on by default; UX.md asks for an off switch for each, because every command word
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

/// The rules of the commands switched on, longest phrase first.
pub(crate) fn command_rules(commands: &SpokenCommands) -> Vec<&'static Rule> {
    all_command_rules()
        .iter()
        .filter(|(command, _)| commands.is_on(*command))
        .map(|(_, rule)| rule)
        .collect()
}

/// Every command's rules, longest phrase first, built once: the phrases never change, only
/// the switches do (building them per call was most of the cost of spoken punctuation).
fn all_command_rules() -> &'static [(Command, Rule)] {
    static RULES: OnceLock<Vec<(Command, Rule)>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules: Vec<(Command, Rule)> = Command::ALL
            .into_iter()
            .flat_map(|command| {
                let phrases = command.phrases().iter();
                phrases.filter_map(move |phrase| {
                    Rule::new(phrase, Some(command.output())).map(|rule| (command, rule))
                })
            })
            .collect();
        rules.sort_by_key(|(_, rule)| std::cmp::Reverse(rule.len()));
        rules
    })
}
