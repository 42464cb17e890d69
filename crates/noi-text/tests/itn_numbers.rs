//! Property test: integers from 0 to 10^12, each spoken by a writer of Vietnamese numerals
//! written here from the reading rules (not from noi-text), with the spoken variants chosen at
//! random (mốt/một, tư/bốn, lăm/nhăm, bảy/bẩy, linh/lẻ, nghìn/ngàn, tỷ/tỉ, dropped "mươi",
//! "không trăm" or not, "X trăm Y"), must come back as the integer in the written convention.
//!
//! The writer follows the reading rules docs/text.md states for what is ambiguous: no dropped
//! "mươi" at the start of a number when the units digit is the next digit up ("hai ba" is two
//! or three) or the tens digit is 5 ("năm hai" reads as a year); a lone digit after a scale
//! word is said "linh d" ("hai nghìn năm" is two thousand years); "năm" is never a unit
//! after tens or hundreds ("hai mươi năm", "một trăm năm" count years).

use noi_text::{Casing, TextOptions, postprocess};

/// SplitMix64: a fixed seed gives the same numbers on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }

    fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[self.below(choices.len() as u64) as usize]
    }
}

const DIGITS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

fn digit(d: u64, rng: &mut Rng) -> String {
    match d {
        7 => rng.pick(&["bảy", "bẩy"]).to_owned(),
        _ => DIGITS[d as usize].to_owned(),
    }
}

/// The units word after tens: 1 is "mốt" after 20+ (or "một"), 4 "tư"/"bốn", 5 "lăm"/"nhăm".
fn units_after_tens(u: u64, tens: u64, rng: &mut Rng) -> String {
    match u {
        1 if tens >= 2 => rng.pick(&["mốt", "một"]).to_owned(),
        4 => rng.pick(&["tư", "bốn"]).to_owned(),
        5 => rng.pick(&["lăm", "nhăm"]).to_owned(),
        _ => digit(u, rng),
    }
}

/// 10–99. `starts`: these are the first words of the number.
fn tens(n: u64, starts: bool, rng: &mut Rng) -> Vec<String> {
    let (t, u) = (n / 10, n % 10);
    if t == 1 {
        let mut words = vec!["mười".to_owned()];
        if u > 0 {
            words.push(units_after_tens(u, 1, rng));
        }
        return words;
    }
    let ambiguous_start = starts && (u == t + 1 || t == 5);
    if u > 0 && !ambiguous_start && rng.below(3) == 0 {
        // Dropped "mươi": the units word must be one only heard after tens ("hai mốt").
        let units = match u {
            1 => "mốt".to_owned(),
            _ => units_after_tens(u, t, rng),
        };
        return vec![digit(t, rng), units];
    }
    let mut words = vec![digit(t, rng), "mươi".to_owned()];
    if u > 0 {
        words.push(units_after_tens(u, t, rng));
    }
    words
}

/// A group below 1000. `leading`: nothing was said before it; `bare`: no scale word follows.
fn group(g: u64, leading: bool, bare: bool, rng: &mut Rng) -> Vec<String> {
    let (h, rest) = (g / 100, g % 100);
    if h == 0 && leading {
        return match rest {
            0..=9 => vec![digit(rest, rng)],
            _ => tens(rest, true, rng),
        };
    }
    let mut words = Vec::new();
    if h > 0 || rng.coin() || (rest < 10 && bare) {
        // "không trăm" is optional inside a number, except before a bare unit, where it or
        // "linh" must say that the unit is not tens.
        words.extend([digit(h, rng), "trăm".to_owned()]);
    } else if rest < 10 && !bare {
        // "hai triệu năm nghìn": a digit before a scale word needs nothing.
        return vec![digit(rest, rng)];
    }
    match rest {
        0 => {}
        1..=9 => words.extend([rng.pick(&["linh", "lẻ"]).to_owned(), digit(rest, rng)]),
        _ if h > 0 && rest % 10 == 0 && rest >= 20 && rest != 50 && rng.coin() => {
            words.push(digit(rest / 10, rng)); // "một trăm hai" = 120
        }
        _ => words.extend(tens(rest, false, rng)),
    }
    words
}

fn say(n: u64, rng: &mut Rng) -> String {
    if n == 0 {
        return "không".to_owned();
    }
    let mut words: Vec<String> = Vec::new();
    let billions = n / 1_000_000_000;
    if billions > 0 {
        words.extend(say_below_billion(billions, true, rng));
        words.push(rng.pick(&["tỷ", "tỉ"]).to_owned());
    }
    let rest = n % 1_000_000_000;
    if rest > 0 {
        words.extend(say_below_billion(rest, words.is_empty(), rng));
    }
    words.join(" ")
}

fn say_below_billion(n: u64, leading: bool, rng: &mut Rng) -> Vec<String> {
    let scales: [(u64, &[&str]); 3] = [
        (1_000_000, &["triệu"]),
        (1_000, &["nghìn", "ngàn"]),
        (1, &[]),
    ];
    let mut words: Vec<String> = Vec::new();
    for (scale, names) in scales {
        let g = n / scale % 1000;
        if g == 0 {
            continue;
        }
        let first = leading && words.is_empty();
        words.extend(group(g, first, names.is_empty(), rng));
        if !names.is_empty() {
            words.push(rng.pick(names).to_owned());
        }
    }
    words
}

/// Reads the written form back: "1.234.567", "2 triệu", "2,5 tỷ".
fn read_written(text: &str) -> Option<u64> {
    let (number, scale) = match text.rsplit_once(' ') {
        Some((number, "triệu")) => (number, 1_000_000),
        Some((number, "tỷ")) => (number, 1_000_000_000),
        Some(_) => return None,
        None => (text, 1),
    };
    if let Some((whole, tenth)) = number.split_once(',') {
        let tenth: u64 = tenth.parse().ok().filter(|_| tenth.len() == 1)?;
        return Some((whole.parse::<u64>().ok()? * 10 + tenth) * scale / 10);
    }
    let groups: Vec<&str> = number.split('.').collect();
    let well_grouped = groups[1..].iter().all(|g| g.len() == 3) && groups[0].len() <= 3;
    if !well_grouped || (scale == 1 && groups.len() == 1 && number.len() > 3) {
        return None;
    }
    Some(groups.concat().parse::<u64>().ok()? * scale)
}

/// Integers over 0…10^12: the digit count uniform, then the value; some round amounts.
fn sample(rng: &mut Rng) -> u64 {
    match rng.below(10) {
        0 => rng.below(1000) * 1_000_000 + rng.below(2) * 500_000,
        1 => rng.below(1000) * 1_000_000_000,
        _ => {
            let digits = 1 + rng.below(12) as u32;
            let low = if digits == 1 {
                0
            } else {
                10u64.pow(digits - 1)
            };
            low + rng.below(10u64.pow(digits) - low)
        }
    }
}

#[test]
fn spoken_integers_come_back() {
    let options = TextOptions {
        casing: Casing::Lower,
        ..TextOptions::default()
    };
    let mut rng = Rng(0x4E6F_6920_4954_4E21);
    let mut numbers: Vec<u64> = (0..20_000).map(|_| sample(&mut rng)).collect();
    numbers.extend([
        0,
        10,
        1_000_000_000_000,
        999_999_999_999,
        1_000_000,
        2_500_000,
    ]);
    let mut failures = Vec::new();
    for &n in &numbers {
        let mut spoken = say(n, &mut rng);
        // The round half: "hai triệu rưỡi", said when the writer may.
        if n % 1_000_000 == 500_000 && n < 1_000_000_000 && rng.coin() {
            spoken = format!("{} triệu rưỡi", say(n / 1_000_000, &mut rng));
            if n < 1_000_000 {
                continue;
            }
        }
        let written = postprocess(&spoken.to_uppercase(), &options);
        let ok = if !spoken.contains(' ') {
            // One word stays a word.
            written == spoken
        } else {
            read_written(&written) == Some(n)
        };
        if !ok {
            failures.push(format!("{n}: {spoken:?} → {written:?}"));
        }
    }
    assert!(numbers.len() >= 10_000);
    assert!(
        failures.is_empty(),
        "{} of {} failed, e.g.:\n{}",
        failures.len(),
        numbers.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}

#[test]
fn the_writer_says_textbook_examples() {
    // The writer itself, checked against readings from Vietnamese school books.
    let mut rng = Rng(1);
    for _ in 0..50 {
        let said = say(2026, &mut rng);
        assert!(
            said == "hai nghìn không trăm hai mươi sáu"
                || said == "hai ngàn không trăm hai mươi sáu"
                || said == "hai nghìn hai mươi sáu"
                || said == "hai ngàn hai mươi sáu"
                || said == "hai nghìn không trăm hai sáu"
                || said == "hai ngàn không trăm hai sáu"
                || said == "hai nghìn hai sáu"
                || said == "hai ngàn hai sáu",
            "{said}"
        );
        let said = say(105, &mut rng);
        assert!(
            said == "một trăm linh năm" || said == "một trăm lẻ năm",
            "{said}"
        );
    }
}
