//! Reading Vietnamese numbers as people say them.
//!
//! A number is groups below a thousand ("[d trăm] [tens] [units]") joined by scale words
//! (nghìn/ngàn, vạn, triệu, tỷ/tỉ). Within a group: "mười"/"d mươi" tens with "mốt", "tư",
//! "lăm"; dropped "mươi" ("bốn ba" = 43); "linh"/"lẻ" for a lone unit after hundreds; "X trăm
//! Y" = X×100 + Y×10 ("một trăm hai" = 120); "rưỡi" for half of the unit before it.

use super::Words;
use super::vocab::{digit, run_digit, scale, units_after_muoi, units_after_tens};

/// A number read from words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cardinal {
    pub value: u64,
    /// Words it took.
    pub len: usize,
    /// Said as "<m> triệu|tỷ [rưỡi]" (m below 1000): the written form keeps the word.
    pub round: Option<Round>,
}

/// A round amount: `tenths` tenths of `word` ("hai triệu rưỡi" = 25 tenths of "triệu").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub tenths: u64,
    pub word: &'static str,
}

/// What the words at a position are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Number(Cardinal),
    /// "hai ba (ngày)", "năm sáu (nghìn)": two consecutive digits are a range, not 23 or 56;
    /// the words it spans (the pair and any number words after it) stay as said.
    Approximate(usize),
}

/// The number that starts at `i`, if any.
pub fn cardinal(words: &Words, i: usize) -> Option<Reading> {
    if let Some(len) = approximation(words, i) {
        return Some(Reading::Approximate(len));
    }
    let mut j = i;
    let mut total: u64 = 0;
    let mut largest = 0;
    let mut last_scale = u64::MAX;
    let mut scales = 0;
    let mut half = false;
    let mut first_group = None;
    loop {
        let first = j == i;
        let Some((group, group_len, lone)) = group(words, j, first) else {
            break;
        };
        first_group.get_or_insert(group);
        let mut k = j + group_len;
        let mut current = group;
        let mut next = (total, largest, last_scale);
        while let Some(s) = words.get(k).and_then(scale) {
            let (t, l, last) = next;
            if !(s < last || s > l) {
                break;
            }
            let t = if s > l {
                t.checked_add(current).and_then(|t| t.checked_mul(s))
            } else {
                current.checked_mul(s).and_then(|c| t.checked_add(c))
            };
            let Some(t) = t.filter(|&t| t < 1_000_000_000_000_000) else {
                break;
            };
            next = (t, s.max(l), s);
            current = 0;
            k += 1;
            scales += 1;
        }
        if k == j + group_len {
            // A bare group ends the number; after a scale word a lone digit is not part of
            // it: "hai nghìn năm" is 2000 years, not 2005 (said "hai nghìn không trăm linh
            // năm").
            if !first && lone {
                break;
            }
            total += group;
            j = k;
            break;
        }
        (total, largest, last_scale) = next;
        j = k;
        if words.get(j) == Some("rưỡi") {
            total += last_scale / 2;
            half = true;
            j += 1;
            break;
        }
    }
    if j == i {
        return None;
    }
    let round = round(words, j, scales, first_group.unwrap_or(0), half);
    Some(Reading::Number(Cardinal {
        value: total,
        len: j - i,
        round,
    }))
}

/// "<m> triệu|tỷ [rưỡi]": one group, one scale word (a million or more), nothing smaller.
fn round(words: &Words, end: usize, scales: usize, group: u64, half: bool) -> Option<Round> {
    let word_at = end - 1 - usize::from(half);
    let word = match words.get(word_at)? {
        "triệu" => "triệu",
        "tỷ" | "tỉ" => "tỷ",
        _ => return None,
    };
    (scales == 1 && group < 1000).then_some(Round {
        tenths: group * 10 + if half { 5 } else { 0 },
        word,
    })
}

/// Two digit words in a row, the second one more than the first: a range ("một hai", "năm
/// sáu"). Returns the words the range spans, number words after it included.
fn approximation(words: &Words, i: usize) -> Option<usize> {
    let a = words.get(i).and_then(digit)?;
    let b = words.get(i + 1).and_then(digit)?;
    if a == 0 || b != a + 1 {
        return None;
    }
    let mut len = 2;
    while words.get(i + len).is_some_and(is_number_word) {
        len += 1;
    }
    Some(len)
}

fn is_number_word(word: &str) -> bool {
    digit(word).is_some() || super::vocab::continues_number(word) || word == "mười"
}

/// A group below 1000 at `i`: value, words, whether it is a lone digit word. `first`: it
/// starts the number (after a scale word "linh d" is a group too).
fn group(words: &Words, i: usize, first: bool) -> Option<(u64, usize, bool)> {
    let word = |k: usize| words.get(i + k);
    if !first
        && matches!(word(0), Some("linh" | "lẻ"))
        && let Some(d) = word(1).and_then(digit).filter(|&d| d > 0)
    {
        return Some((d, 2, false));
    }
    let leading = word(0).and_then(digit);
    // "bốn lẻ hai" = 402 (room and bus numbers): hundreds with "trăm" left out. Not after
    // "năm": "hai năm lẻ ba tháng" is two years and three months.
    if first
        && word(0) != Some("năm")
        && let Some(h) = leading.filter(|&h| h > 0)
        && matches!(word(1), Some("linh" | "lẻ"))
        && let Some(d) = word(2).and_then(digit).filter(|&d| d > 0)
    {
        return Some((h * 100 + d, 3, false));
    }
    if let Some(h) = leading
        && word(1) == Some("trăm")
        && !(first && h == 0)
    {
        let (rest, rest_len) = after_hundreds(words, i + 2);
        return Some((h * 100 + rest, 2 + rest_len, false));
    }
    if let Some((tens, len)) = tens(words, i) {
        return Some((tens, len, false));
    }
    leading.map(|d| (d, 1, true))
}

/// What follows "d trăm": "linh/lẻ d", "rưỡi" (50), tens, or a lone digit meaning tens ("một
/// trăm hai" = 120) except "năm" ("một trăm năm" is a hundred years).
fn after_hundreds(words: &Words, j: usize) -> (u64, usize) {
    let word = |k: usize| words.get(j + k);
    if matches!(word(0), Some("linh" | "lẻ"))
        && let Some(d) = word(1).and_then(digit).filter(|&d| d > 0)
    {
        return (d, 2);
    }
    if word(0) == Some("rưỡi") {
        return (50, 1);
    }
    if let Some(found) = tens(words, j) {
        return found;
    }
    match word(0).and_then(digit) {
        Some(d) if d > 0 && word(0) != Some("năm") => (d * 10, 1),
        _ => (0, 0),
    }
}

/// Tens and units, 10–99: "mười [u]", "d mươi [u]", or "d u" with "mươi" dropped.
pub fn tens(words: &Words, i: usize) -> Option<(u64, usize)> {
    let word = |k: usize| words.get(i + k);
    if word(0) == Some("mười") {
        return Some(match word(1).and_then(units_after_muoi) {
            Some(u) => (10 + u, 2),
            None => (10, 1),
        });
    }
    let d = word(0).and_then(digit).filter(|&d| d >= 2)?;
    if word(1) == Some("mươi") {
        return Some(match word(2).and_then(units_after_tens) {
            Some(u) => (d * 10 + u, 3),
            None => (d * 10, 2),
        });
    }
    // Dropped "mươi": the units word must be one that can follow tens ("hai mốt", "bốn ba",
    // "ba lăm"); "một" and "năm" after a digit are "one"/"years" ("hai năm" = two years).
    let units = word(1).filter(|&w| w != "một").and_then(units_after_tens)?;
    Some((d * 10 + units, 2))
}

/// Digits read one by one from `i` ("không chín một hai…"): the digits and the words taken.
pub fn digit_run(words: &Words, i: usize) -> (String, usize) {
    let mut digits = String::new();
    let mut k = i;
    while let Some(d) = words.get(k).and_then(|w| run_digit(w, k == i)) {
        digits.push(char::from(b'0' + d as u8));
        k += 1;
    }
    (digits, k - i)
}

/// Whether `word` would make the digit run before it part of a larger number.
pub fn extends_run(word: Option<&str>) -> bool {
    word.is_some_and(|w| matches!(w, "mươi" | "trăm" | "lăm" | "nhăm" | "mốt" | "linh" | "lẻ"))
}

/// The digits after a decimal mark: read one by one ("ba phẩy một bốn" = 3,14) or as a
/// number below 1000 ("ba phẩy mười bốn" = 3,14).
pub fn fraction_digits(words: &Words, i: usize) -> Option<(String, usize)> {
    let (digits, len) = digit_run(words, i);
    if len > 0 && !extends_run(words.get(i + len)) {
        return Some((digits, len));
    }
    let (value, len, _) = group(words, i, true)?;
    Some((value.to_string(), len))
}
