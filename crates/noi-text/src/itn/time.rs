//! Clock times: "mười giờ ba mươi (phút) sáng" → "10:30 sáng", "hai giờ rưỡi" → "2:30",
//! "mười giờ kém mười lăm" → "9:45".

use super::number::{Cardinal, Reading, cardinal};
use super::vocab::day_part;
use super::{Match, Out, Words};

/// Hours, minutes and maybe seconds.
type Hms = (u64, u64, Option<u64>);

/// A time whose hour is `hour`, at `i`, with "giờ" right after it. `None` when the words are
/// no time: the hour is over 24, or a lone digit + "giờ" with nothing after ("mất hai giờ" is
/// a duration, left in words).
pub fn clock(words: &Words, i: usize, hour: &Cardinal) -> Option<Match> {
    if hour.value > 24 || hour.round.is_some() {
        return None;
    }
    let gio = i + hour.len;
    let (minutes, mut end) = minutes(words, gio + 1, hour.value)?;
    let part = words.get(end).filter(|w| day_part(w)).map(|_| end);
    end += usize::from(part.is_some());
    let mut out = Vec::new();
    match minutes {
        Some((h, m, s)) => {
            let seconds = s.map(|s| format!(":{s:02}")).unwrap_or_default();
            out.push(Out::Text(format!("{h}:{m:02}{seconds}")));
        }
        None if hour.len >= 2 || part.is_some() => {
            out.push(Out::Text(hour.value.to_string()));
            out.push(Out::Keep(gio));
        }
        None => return None,
    }
    out.extend(part.map(Out::Keep));
    Some(Match { len: end - i, out })
}

/// What follows "giờ": `Some((hour, minutes, seconds))` for a time with minutes, `None` for
/// the hour alone; and where the time ends.
fn minutes(words: &Words, k: usize, hour: u64) -> Option<(Option<Hms>, usize)> {
    match words.get(k) {
        Some("rưỡi") => return Some((Some((hour, 30, None)), k + 1)),
        Some("kém") => {
            let (m, len) = number_below_60(words, k + 1)?;
            let end = k + 1 + len + usize::from(words.get(k + 1 + len) == Some("phút"));
            let h = if hour == 0 { 23 } else { hour - 1 };
            return Some((Some((h, 60 - m, None)), end)).filter(|_| m > 0);
        }
        _ => {}
    }
    let Some((m, len)) = number_below_60(words, k) else {
        return Some((None, k));
    };
    let said_phut = words.get(k + len) == Some("phút");
    // "mười giờ hai người" is not 10:02: a one-word minute needs "phút".
    if len == 1 && !said_phut {
        return Some((None, k));
    }
    let mut end = k + len + usize::from(said_phut);
    let mut seconds = None;
    if let Some((s, len)) = number_below_60(words, end)
        && words.get(end + len) == Some("giây")
    {
        seconds = Some(s);
        end += len + 1;
    }
    Some((Some((hour, m, seconds)), end))
}

fn number_below_60(words: &Words, i: usize) -> Option<(u64, usize)> {
    match cardinal(words, i)? {
        Reading::Number(n) if n.value < 60 && n.round.is_none() => Some((n.value, n.len)),
        _ => None,
    }
}
