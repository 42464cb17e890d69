//! Dates and years: "ngày mười lăm tháng tám năm hai nghìn không trăm hai mươi sáu" →
//! "ngày 15/8/2026", "mùng hai tháng chín" → "mùng 2/9", "tháng tám năm 2026" → "tháng
//! 8/2026", "năm một chín tám tư" → "năm 1984".

use super::number::{Reading, cardinal, digit_run, extends_run, tens};
use super::vocab::{continues_number, digit};
use super::{Context, Match, Out, Words};

/// A date led by "ngày", "mùng" or "mồng" (day, month, maybe year), or by "tháng" (month,
/// maybe year).
pub fn date(words: &Words, i: usize, _context: &Context) -> Option<Match> {
    match words.get(i)? {
        "ngày" | "mùng" | "mồng" => day_month_year(words, i),
        "tháng" => month_year(words, i),
        _ => None,
    }
}

fn day_month_year(words: &Words, i: usize) -> Option<Match> {
    let (day, len) = number_in(words, i + 1, 1..=31)?;
    let tháng = i + 1 + len;
    if words.get(tháng) == Some("tháng")
        && let Some((month, len)) = month(words, tháng + 1)
    {
        let after = tháng + 1 + len;
        // The day before it settles "tháng năm": the fifth month.
        let (text, end) = match year_after(words, after) {
            Some((year, len)) => (format!("{day}/{month}/{year}"), after + len),
            None => (format!("{day}/{month}"), after),
        };
        return Some(written_after_word(i, end, text));
    }
    // "mùng" only ever names days 1–10, so "mùng năm" is the 5th.
    let mung = matches!(words.get(i), Some("mùng" | "mồng"));
    (mung && day <= 10).then(|| written_after_word(i, tháng, day.to_string()))
}

fn month_year(words: &Words, i: usize) -> Option<Match> {
    // "hai tháng", "mỗi tháng hai lần": a count of months, not a month's name.
    if i > 0 && words.get(i - 1).is_some_and(counts_months) {
        return None;
    }
    let (month, len) = month(words, i + 1)?;
    let after = i + 1 + len;
    if let Some((year, len)) = year_after(words, after) {
        return Some(written_after_word(
            i,
            after + len,
            format!("{month}/{year}"),
        ));
    }
    // "tháng năm" alone may be May or "months and years": left as said.
    if words.get(i + 1) == Some("năm") {
        return Some(Match::keep(i, 2));
    }
    Some(written_after_word(i, after, month.to_string()))
}

/// Words before "tháng" that count months rather than name one.
fn counts_months(word: &str) -> bool {
    digit(word).is_some()
        || (continues_number(word) && word != "phẩy")
        || matches!(
            word,
            "mười" | "mỗi" | "hàng" | "mấy" | "vài" | "các" | "những" | "nhiều" | "bao"
        )
}

/// "năm" + number: a year ("năm hai nghìn", "năm một chín tám tư"). "năm" followed by a word
/// that continues a number is the digit 5 ("năm mươi", "năm trăm", "năm tư" = 54). A one-word
/// year ("năm hai": second year of a course) stays in words.
pub fn year(words: &Words, i: usize, _context: &Context) -> Option<Match> {
    if words.get(i) != Some("năm")
        || words.get(i + 1).is_none_or(continues_number)
        || words.get(i + 1) == Some("sáu")
    {
        // "năm sáu (nghìn)" is a range, five or six, not the year 6000.
        return None;
    }
    let (year, len) = year_number(words, i + 1)?;
    Some(match len {
        1 => Match::keep(i, 2),
        _ => written_after_word(i, i + 1 + len, year),
    })
}

/// "năm <year>" after a month.
fn year_after(words: &Words, i: usize) -> Option<(String, usize)> {
    if words.get(i) != Some("năm") {
        return None;
    }
    year_number(words, i + 1).map(|(year, len)| (year, len + 1))
}

/// A year: two to four digits read one by one, or a number up to 9999, written without
/// thousands marks.
fn year_number(words: &Words, i: usize) -> Option<(String, usize)> {
    let (digits, len) = digit_run(words, i);
    if (2..=4).contains(&len) && !extends_run(words.get(i + len)) {
        return Some((digits, len));
    }
    // Two pairs: "một chín | bốn lăm" = 1945, "hai không | hai mốt" = 2021.
    if let Some(century) = words.get(i).and_then(digit).filter(|d| (1..=2).contains(d))
        && let Some(decade) = words.get(i + 1).and_then(digit)
        && let Some((rest, len)) = tens(words, i + 2)
    {
        return Some((format!("{century}{decade}{rest}"), 2 + len));
    }
    match cardinal(words, i)? {
        Reading::Number(n) if n.value <= 9999 && n.round.is_none() && n.value > 0 => {
            Some((n.value.to_string(), n.len))
        }
        _ => None,
    }
}

/// A month: 1–12, "tư" for April.
fn month(words: &Words, i: usize) -> Option<(u64, usize)> {
    if words.get(i) == Some("tư") {
        return Some((4, 1));
    }
    number_in(words, i, 1..=12)
}

fn number_in(
    words: &Words,
    i: usize,
    range: std::ops::RangeInclusive<u64>,
) -> Option<(u64, usize)> {
    match cardinal(words, i)? {
        Reading::Number(n) if range.contains(&n.value) && n.round.is_none() => {
            Some((n.value, n.len))
        }
        _ => None,
    }
}

/// The word at `i` kept ("ngày", "tháng", "năm"), then `text` for the rest up to `end`.
fn written_after_word(i: usize, end: usize, text: String) -> Match {
    Match {
        len: end - i,
        out: vec![Out::Keep(i), Out::Text(text)],
    }
}
