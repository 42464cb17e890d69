//! Everything led by a number: digits read one by one, cardinals, decimals, percentages,
//! fractions, money, measures, clock times; and the words that lead a number: "âm"/"trừ"
//! (negative) and "thứ" (ordinal).

use super::number::{Cardinal, Reading, cardinal, digit_run, extends_run, fraction_digits};
use super::vocab::{CURRENCIES, MEASURES, continues_number, digit, keeps_lone_digit};
use super::written::{amount, decimal, tenths};
use super::{Context, Match, Out, Words, time};

/// A number as it will be written, before what follows it is known.
enum Written {
    Integer(Cardinal),
    /// "ba phẩy năm (triệu)": integer, decimal digits, and a scale word kept after it.
    Decimal(u64, String, Option<&'static str>),
    /// "hai chấm năm", "một chín hai chấm một sáu tám…": parts joined with dots, as said.
    Dotted(String),
}

impl Written {
    fn text(&self, context: &Context) -> String {
        let options = context.options;
        match self {
            Self::Integer(Cardinal {
                round: Some(round), ..
            }) => format!("{} {}", tenths(round.tenths, options), round.word),
            Self::Integer(number) => amount(number.value, options),
            Self::Decimal(integer, fraction, None) => decimal(*integer, fraction, options),
            Self::Decimal(integer, fraction, Some(word)) => {
                format!("{} {word}", decimal(*integer, fraction, options))
            }
            Self::Dotted(text) => text.clone(),
        }
    }
}

/// A number at `i` and what it measures. `forced`: a lone digit converts too (after "âm").
pub fn number_led(words: &Words, i: usize, context: &Context, forced: bool) -> Option<Match> {
    let options = context.options;
    let (run, run_len) = digit_run(words, i);
    let ends_run = !extends_run(words.get(i + run_len));
    if run_len >= 4 && ends_run {
        return Some(match options.digits {
            true => Match::text(run_len, run),
            false => Match::keep(i, run_len),
        });
    }
    // "một chín hai chấm một sáu tám…": digits read one by one before a dot.
    if run_len >= 2
        && ends_run
        && options.decimal
        && let Some((text, end)) = dotted(words, i + run_len, run)
    {
        return Some(Match::text(end - i, text));
    }
    let number = match cardinal(words, i)? {
        Reading::Approximate(len) => return Some(Match::keep(i, len)),
        Reading::Number(number) => number,
    };
    let end = i + number.len;
    if words.get(end) == Some("giờ")
        && let Some(clock) = time::clock(words, i, &number)
    {
        return Some(match options.time {
            true => clock,
            false => Match::keep(i, clock.len),
        });
    }
    let (written, end) = match with_decimals(words, i, number, context) {
        Ok(found) => found,
        Err(list_len) => return Some(Match::keep(i, list_len)),
    };
    let lone = number.len == 1 && end == i + 1 && !forced;
    if let Some(found) = suffixed(words, i, end, &written, lone, context) {
        return Some(found);
    }
    let convert = match written {
        Written::Integer(_) => options.cardinal && !lone,
        _ => true,
    };
    Some(match convert {
        true => Match::text(end - i, written.text(context)),
        false => Match::keep(i, end - i),
    })
}

/// The number with its decimal part, if "phẩy"/"chấm" and digits follow; `Err(len)` for a
/// list "một phẩy hai phẩy ba", which stays in words.
fn with_decimals(
    words: &Words,
    i: usize,
    number: Cardinal,
    context: &Context,
) -> Result<(Written, usize), usize> {
    let end = i + number.len;
    let integer = Ok((Written::Integer(number), end));
    if !context.options.decimal || number.round.is_some() {
        return integer;
    }
    match words.get(end) {
        Some("phẩy") => {
            let Some((fraction, len)) = fraction_digits(words, end + 1) else {
                return integer;
            };
            let mut after = end + 1 + len;
            if words.get(after) == Some("phẩy") && fraction_digits(words, after + 1).is_some() {
                while words.get(after) == Some("phẩy")
                    && let Some((_, len)) = fraction_digits(words, after + 1)
                {
                    after += 1 + len;
                }
                return Err(after - i);
            }
            let word = match words.get(after) {
                Some("triệu") => Some("triệu"),
                Some("tỷ" | "tỉ") => Some("tỷ"),
                Some("nghìn" | "ngàn") => Some("nghìn"),
                _ => None,
            };
            after += usize::from(word.is_some());
            Ok((Written::Decimal(number.value, fraction, word), after))
        }
        // "hai chấm" is the colon when that command is on: "HAI CHẤM NĂM" is ": năm".
        Some("chấm")
            if !(context.colon_command && number.len == 1 && words.get(i) == Some("hai")) =>
        {
            Ok(match dotted(words, end, number.value.to_string()) {
                Some((text, after)) => (Written::Dotted(text), after),
                None => (Written::Integer(number), end),
            })
        }
        _ => integer,
    }
}

/// `first` followed by "chấm <digits>" once or more: the parts joined with dots, and where
/// they end.
fn dotted(words: &Words, at: usize, first: String) -> Option<(String, usize)> {
    let mut text = first;
    let mut after = at;
    while words.get(after) == Some("chấm")
        && let Some((part, len)) = fraction_digits(words, after + 1)
    {
        text.push('.');
        text.push_str(&part);
        after += 1 + len;
    }
    (after > at).then_some((text, after))
}

/// Percent, fraction, money or measure after the number.
fn suffixed(
    words: &Words,
    i: usize,
    end: usize,
    written: &Written,
    lone: bool,
    context: &Context,
) -> Option<Match> {
    let options = context.options;
    if words.starts_with(end, "phần trăm") && options.percent {
        return Some(Match::text(
            end + 2 - i,
            format!("{}%", written.text(context)),
        ));
    }
    if words.get(end) == Some("phần")
        && options.fraction
        && let Written::Integer(numerator) = written
        && numerator.round.is_none()
        && let Some((denominator, len)) = denominator(words, end + 1)
    {
        let text = format!("{}/{denominator}", numerator.value);
        return Some(Match::text(end + 1 + len - i, text));
    }
    let (unit, len, on) = unit_at(words, end, context)?;
    if !on || (lone && keeps_lone_digit(unit)) {
        return None;
    }
    let (number, tail) = match (written, tenth_after_unit(words, end + len)) {
        (Written::Integer(n), Some(tenth)) if n.round.is_none() && !unit.starts_with('°') => {
            (decimal(n.value, &tenth.to_string(), context.options), 1)
        }
        _ => (written.text(context), 0),
    };
    let text = match unit.starts_with('°') {
        true => format!("{number}{unit}"),
        false => format!("{number} {unit}"),
    };
    Some(Match::text(end + len + tail - i, text))
}

/// "một mét bảy" (1,7 m), "hai ki lô rưỡi" (2,5 kg): a lone digit or "rưỡi" right after a
/// unit is its tenths, as people give heights and weights. The digit must end the number
/// ("một mét bảy mươi" is not read).
fn tenth_after_unit(words: &Words, at: usize) -> Option<u64> {
    if words.get(at) == Some("rưỡi") {
        return Some(5);
    }
    let tenth = words.get(at).and_then(digit).filter(|&d| d > 0)?;
    let next = words.get(at + 1);
    let continues = next.is_some_and(|w| digit(w).is_some() || continues_number(w));
    (!continues).then_some(tenth)
}

/// The denominator of "a phần b": a number, "tư" for 4; never "trăm" (percent) or a scale.
fn denominator(words: &Words, i: usize) -> Option<(u64, usize)> {
    if words.get(i) == Some("tư") {
        return Some((4, 1));
    }
    match cardinal(words, i)? {
        Reading::Number(number) if number.round.is_none() && number.value > 0 => {
            Some((number.value, number.len))
        }
        _ => None,
    }
}

/// The longest unit or currency phrase at `i`: its written form, its words, and whether its
/// class is on.
fn unit_at(words: &Words, i: usize, context: &Context) -> Option<(&'static str, usize, bool)> {
    // Most numbers have no unit: one look at the next word settles it.
    let first = words.get(i)?;
    let starts_unit = |(spoken, _): &(&str, &str)| {
        spoken
            .strip_prefix(first)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    };
    if !MEASURES.iter().chain(CURRENCIES).any(starts_unit) {
        return None;
    }
    let measures = MEASURES.iter().map(|u| (u, context.options.measure));
    let currencies = CURRENCIES.iter().map(|u| (u, context.options.money));
    measures
        .chain(currencies)
        .filter(|((spoken, _), _)| words.starts_with(i, spoken))
        .max_by_key(|((spoken, _), _)| spoken.split(' ').count())
        .map(|((spoken, written), on)| (*written, spoken.split(' ').count(), on))
}

/// "âm" + number (negative); "trừ" + number only before a temperature ("trừ năm độ"), since
/// "trừ" is also "minus" and "except" ("tất cả trừ hai người").
pub fn signed(words: &Words, i: usize, context: &Context) -> Option<Match> {
    let sign = words.get(i)?;
    if sign != "âm" && sign != "trừ" {
        return None;
    }
    let found = number_led(words, i + 1, context, true)?;
    let Some(Out::Text(text)) = found.out.first() else {
        return None;
    };
    let temperature = text.ends_with("°C") || text.ends_with("°F") || text.ends_with(" độ");
    if sign == "trừ" && !temperature {
        return None;
    }
    let mut out = found.out.clone();
    out[0] = Out::Text(format!("-{text}"));
    Some(Match {
        len: found.len + 1,
        out,
    })
}

/// "thứ" + a number of two words or more: "thứ mười lăm" → "thứ 15". One-word ordinals stay:
/// "thứ hai", "thứ ba"… are weekdays as well as "second", "third".
pub fn ordinal(words: &Words, i: usize, context: &Context) -> Option<Match> {
    if words.get(i) != Some("thứ") {
        return None;
    }
    match cardinal(words, i + 1)? {
        Reading::Number(number) if number.len >= 2 && number.round.is_none() => Some(Match {
            len: 1 + number.len,
            out: vec![
                Out::Keep(i),
                Out::Text(amount(number.value, context.options)),
            ],
        }),
        _ => None,
    }
}
