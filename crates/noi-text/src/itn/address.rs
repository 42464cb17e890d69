//! Email and web addresses said aloud: "an a còng gờ mai chấm com" → "an@gmail.com" (with
//! "gờ mai" spelled as the model writes it), "vê kép vê kép vê kép chấm vê en ex prét chấm
//! net" → "www.vnexpress.net".
//!
//! A label is letters spelled by name and digits with at most one word as said (accents
//! dropped: addresses are ASCII); so in "email của tôi là an a còng…" only "an" is the user
//! name. An email is labels joined by "chấm", "a còng", then a domain; a domain is two labels
//! or more ending in a known top-level domain, so "báo chấm hết" is left alone and a "chấm"
//! after the domain is a full stop.

use unicode_normalization::UnicodeNormalization;

use super::number::digit_run;
use super::vocab::{LETTERS, top_level_domain};
use super::{Context, Match, Words};

/// Where addresses may start: a word that an "a còng" or a "chấm" follows closely enough.
pub struct Anchors(Vec<usize>);

/// The most words a label and its "chấm"/"a còng" can span ahead of the anchor.
const REACH: usize = 12;

/// For each word, the index of the next "chấm" or "còng" at or after it.
pub fn anchors(words: &Words) -> Anchors {
    let mut next = vec![usize::MAX; words.len()];
    let mut after = usize::MAX;
    for i in (0..words.len()).rev() {
        if matches!(words.get(i), Some("chấm" | "còng")) {
            after = i;
        }
        next[i] = after;
    }
    Anchors(next)
}

impl Anchors {
    pub fn near(&self, i: usize) -> bool {
        self.0
            .get(i)
            .is_some_and(|&next| next != usize::MAX && next - i <= REACH)
    }
}

pub fn address(words: &Words, i: usize, _context: &Context) -> Option<Match> {
    let local = dotted_labels(words, i)?;
    let at = local.last()?.1;
    if words.starts_with(at, "a còng") {
        let (domain, end) = domain(dotted_labels(words, at + 2)?)?;
        let local: Vec<String> = local.into_iter().map(|(label, _)| label).collect();
        return Some(Match::text(
            end - i,
            format!("{}@{domain}", local.join(".")),
        ));
    }
    let (domain, end) = domain(local)?;
    Some(Match::text(end - i, domain))
}

/// Labels separated by "chấm", from `i`, each with where it ends.
fn dotted_labels(words: &Words, i: usize) -> Option<Vec<(String, usize)>> {
    let mut labels = vec![label(words, i)?];
    while let Some(&(_, end)) = labels.last()
        && words.get(end) == Some("chấm")
        && let Some(next) = label(words, end + 1)
    {
        labels.push(next);
    }
    Some(labels)
}

/// A domain: the labels up to the last top-level domain, at least two ("gmail chấm com chấm
/// cảm ơn" ends at "com": the "chấm" after it is a full stop).
fn domain(mut labels: Vec<(String, usize)>) -> Option<(String, usize)> {
    while labels
        .last()
        .is_some_and(|(label, _)| !top_level_domain(label))
    {
        labels.pop();
    }
    let end = labels.last()?.1;
    let labels: Vec<String> = labels.into_iter().map(|(label, _)| label).collect();
    (labels.len() >= 2).then(|| (labels.join("."), end))
}

/// One label: letters spelled by name and digits, with at most one word as said ("gờ mai" =
/// "gmail"); a "gạch dưới"/"gạch ngang" allows one more ("an gạch dưới bình").
fn label(words: &Words, i: usize) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut k = i;
    let mut word_allowed = true;
    while let Some(word) = words.get(k) {
        if word == "chấm" || words.starts_with(k, "a còng") {
            break;
        }
        let (piece, len) = match spelled(words, k) {
            Some(found) => found,
            None if word_allowed => {
                word_allowed = false;
                (ascii(word), 1)
            }
            None => break,
        };
        word_allowed |= piece == "_" || piece == "-";
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
