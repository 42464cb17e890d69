//! Writing numbers in the chosen conventions.

use super::{DecimalSeparator, ItnOptions, ThousandsSeparator};

impl DecimalSeparator {
    pub fn mark(self) -> char {
        match self {
            Self::Comma => ',',
            Self::Point => '.',
        }
    }
}

impl ThousandsSeparator {
    fn mark(self) -> Option<char> {
        match self {
            Self::Dot => Some('.'),
            Self::Comma => Some(','),
            Self::Space => Some(' '),
            Self::None => None,
        }
    }
}

/// The thousands mark to use: none when it would read as the decimal mark (a user who picked
/// the point as decimal mark and kept the dot for thousands would get "1.000" = 1).
fn thousands_mark(options: &ItnOptions) -> Option<char> {
    options
        .thousands_separator
        .mark()
        .filter(|&mark| mark != options.decimal_separator.mark())
}

/// An amount: digits grouped by three from the right ("1.000.000"); below 1000 as is.
pub fn amount(value: u64, options: &ItnOptions) -> String {
    let digits = value.to_string();
    let Some(mark) = thousands_mark(options) else {
        return digits;
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(mark);
        }
        out.push(c);
    }
    out
}

/// An amount with a decimal part written as its digits ("2,5", "1.234,05").
pub fn decimal(integer: u64, fraction: &str, options: &ItnOptions) -> String {
    format!(
        "{}{}{fraction}",
        amount(integer, options),
        options.decimal_separator.mark()
    )
}

/// Tenths of a unit: "25" tenths → "2,5"; whole ones without a decimal part.
pub fn tenths(tenths: u64, options: &ItnOptions) -> String {
    match tenths % 10 {
        0 => amount(tenths / 10, options),
        rest => decimal(tenths / 10, &rest.to_string(), options),
    }
}
