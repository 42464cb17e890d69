//! Import and export of user replacements: one `heard | also heard => written` rule a line.

use crate::piece::is_word_char;
use crate::replacements::Replacement;

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
    use crate::{TextOptions, postprocess};

    fn spoken() -> TextOptions {
        TextOptions {
            spoken_punctuation: true,
            ..TextOptions::default()
        }
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
}
