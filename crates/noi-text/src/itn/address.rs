//! Email and web addresses said aloud: "an a còng gờ mai chấm com" → "an@gmail.com" (with
//! "gờ mai" spelled as the model writes it), "vê kép vê kép vê kép chấm vê en ex prét chấm
//! net" → "www.vnexpress.net".
//!
//! A label is one word as said (accents dropped: addresses are ASCII) followed by any letters
//! spelled by name and digits; so in "email của tôi là an a còng…" only "an" is the user
//! name. An email is labels joined by "chấm", "a còng", then a domain with at least one
//! "chấm"; a web address needs its last label to be a known top-level domain, so "báo chấm
//! hết" is left alone.

use unicode_normalization::UnicodeNormalization;

use super::number::digit_run;
use super::vocab::{LETTERS, top_level_domain};
use super::{Context, Match, Words};

pub fn address(words: &Words, i: usize, _context: &Context) -> Option<Match> {
    let (local, at) = dotted_labels(words, i)?;
    if words.starts_with(at, "a còng") {
        let (domain, end) = dotted_labels(words, at + 2)?;
        return (domain.len() >= 2)
            .then(|| Match::text(end - i, format!("{}@{}", local.join("."), domain.join("."))));
    }
    let last = local.last()?;
    (local.len() >= 2 && top_level_domain(last)).then(|| Match::text(at - i, local.join(".")))
}

/// Labels separated by "chấm", from `i`; and where they end.
fn dotted_labels(words: &Words, i: usize) -> Option<(Vec<String>, usize)> {
    let (first, mut end) = label(words, i)?;
    let mut labels = vec![first];
    while words.get(end) == Some("chấm")
        && let Some((next, after)) = label(words, end + 1)
    {
        labels.push(next);
        end = after;
    }
    Some((labels, end))
}

/// One label: a word, then letters and digits.
fn label(words: &Words, i: usize) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut k = i;
    while let Some(word) = words.get(k) {
        if word == "chấm" || words.starts_with(k, "a còng") {
            break;
        }
        let Some((piece, len)) = spelled(words, k).or_else(|| (k == i).then(|| (ascii(word), 1)))
        else {
            break;
        };
        text.push_str(&piece);
        k += len;
    }
    (!text.is_empty()).then_some((text, k))
}

/// A letter said by name, digits, or "gạch dưới"/"gạch ngang".
fn spelled(words: &Words, k: usize) -> Option<(String, usize)> {
    let (digits, len) = digit_run(words, k);
    if len > 0 {
        return Some((digits, len));
    }
    for (phrase, mark) in [("gạch dưới", "_"), ("gạch ngang", "-")] {
        if words.starts_with(k, phrase) {
            return Some((mark.to_owned(), 2));
        }
    }
    LETTERS
        .iter()
        .filter(|(name, _)| words.starts_with(k, name))
        .max_by_key(|(name, _)| name.len())
        .map(|(name, letter)| (letter.to_string(), name.split(' ').count()))
}

/// The word without accents ("đ" → "d"), letters and digits only.
fn ascii(word: &str) -> String {
    word.nfd()
        .map(|c| if c == 'đ' { 'd' } else { c })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}
