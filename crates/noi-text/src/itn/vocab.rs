//! The spoken words ITN knows, lower case, and what each is worth.

/// A digit said on its own: "không" … "chín" (and the southern "bẩy").
pub fn digit(word: &str) -> Option<u64> {
    Some(match word {
        "không" => 0,
        "một" => 1,
        "hai" => 2,
        "ba" => 3,
        "bốn" => 4,
        "năm" => 5,
        "sáu" => 6,
        "bảy" | "bẩy" => 7,
        "tám" => 8,
        "chín" => 9,
        _ => return None,
    })
}

/// A digit inside a run read digit by digit, after its first word: "tư" is 4 there too
/// ("một chín tám tư"), never at the start ("tư" alone is "private", "thứ tư" Wednesday).
pub fn run_digit(word: &str, first: bool) -> Option<u64> {
    digit(word).or((!first && word == "tư").then_some(4))
}

/// The units after "mười" (11–19): "lăm"/"nhăm" for 5 ("mười năm" is "ten years"), "tư" or
/// "bốn" for 4. `None` for 0: "mười" alone is 10.
pub fn units_after_muoi(word: &str) -> Option<u64> {
    match word {
        "năm" | "không" => None,
        "lăm" | "nhăm" => Some(5),
        "tư" => Some(4),
        _ => digit(word),
    }
}

/// The units after a tens digit (21–99, "mươi" said or dropped): also "mốt" for 1.
pub fn units_after_tens(word: &str) -> Option<u64> {
    match word {
        "mốt" => Some(1),
        _ => units_after_muoi(word),
    }
}

/// Words that may start something ITN writes, addresses aside: digits, "mười", and the words
/// that lead a date, an ordinal or a negative number. Every other word is skipped at once.
pub fn may_lead(word: &str) -> bool {
    digit(word).is_some()
        || matches!(
            word,
            "mười" | "ngày" | "mùng" | "mồng" | "tháng" | "thứ" | "âm" | "trừ"
        )
}

/// Scale words above the hundreds: "nghìn"/"ngàn", "vạn", "triệu", "tỷ"/"tỉ".
pub fn scale(word: &str) -> Option<u64> {
    Some(match word {
        "nghìn" | "ngàn" => 1_000,
        "vạn" => 10_000,
        "triệu" => 1_000_000,
        "tỷ" | "tỉ" => 1_000_000_000,
        _ => return None,
    })
}

/// Words that continue a number, so a digit before them is not a number on its own ("năm
/// mươi", "năm trăm"), nor a year ("năm" + number).
pub fn continues_number(word: &str) -> bool {
    scale(word).is_some()
        || matches!(
            word,
            "mươi" | "trăm" | "lăm" | "nhăm" | "mốt" | "tư" | "rưỡi" | "linh" | "lẻ" | "phẩy"
        )
}

/// Measure units, longest phrase first within each written form's spellings. Loan words are
/// spelled as the model writes them, syllable by syllable.
pub const MEASURES: &[(&str, &str)] = &[
    ("ki lô mét vuông", "km²"),
    ("ki lô mét trên giờ", "km/h"),
    ("ki lô mét", "km"),
    ("cây số", "km"),
    ("mét vuông", "m²"),
    ("mét khối", "m³"),
    ("xen ti mét", "cm"),
    ("xăng ti mét", "cm"),
    ("mi li mét", "mm"),
    ("mét", "m"),
    ("héc ta", "ha"),
    ("ki lô gam", "kg"),
    ("ki lô", "kg"),
    ("kí lô", "kg"),
    ("kí", "kg"),
    ("mi li gam", "mg"),
    ("gam", "g"),
    ("tấn", "tấn"),
    ("mi li lít", "ml"),
    ("lít", "lít"),
    ("độ xê", "°C"),
    ("độ c", "°C"),
    ("độ ép", "°F"),
    ("độ f", "°F"),
    ("độ", "độ"),
    ("ki lô bai", "KB"),
    ("mê ga bai", "MB"),
    ("gi ga bai", "GB"),
    ("tê ra bai", "TB"),
    ("mê ga hét", "MHz"),
    ("gi ga hét", "GHz"),
    ("ki lô oát", "kW"),
    ("oát", "W"),
    ("vôn", "V"),
    ("mi li giây", "ms"),
];

/// Currencies: Vietnamese writers keep "đồng" and write foreign ones by their code.
pub const CURRENCIES: &[(&str, &str)] = &[
    ("việt nam đồng", "đồng"),
    ("đồng", "đồng"),
    ("đô la mỹ", "USD"),
    ("đô la", "USD"),
    ("đô mỹ", "USD"),
    ("đô", "USD"),
    ("ơ rô", "EUR"),
    ("euro", "EUR"),
    ("bảng anh", "GBP"),
    ("yên nhật", "JPY"),
    ("nhân dân tệ", "CNY"),
];

/// Units after which a lone digit is still prose: "hai đồng nghiệp" (colleagues), "một đồng"
/// (a field, bronze…) are more likely than a 1-đồng amount nobody pays any more.
pub fn keeps_lone_digit(unit: &str) -> bool {
    unit == "đồng"
}

/// Parts of the day after a time.
pub fn day_part(word: &str) -> bool {
    matches!(word, "sáng" | "trưa" | "chiều" | "tối" | "đêm" | "khuya")
}

/// Letters spelled out in addresses, by their Vietnamese (and common English) names.
pub const LETTERS: &[(&str, &str)] = &[
    ("vê kép", "w"),
    ("đáp liu", "w"),
    ("đắp bờ liu", "w"),
    ("ét xì", "s"),
    ("ích xì", "x"),
    ("i dài", "y"),
    ("i ngắn", "i"),
    ("e lờ", "l"),
    ("em mờ", "m"),
    ("en nờ", "n"),
    ("e rờ", "r"),
    ("a", "a"),
    ("bê", "b"),
    ("bờ", "b"),
    ("xê", "c"),
    ("cờ", "c"),
    ("dê", "d"),
    ("đê", "d"),
    ("e", "e"),
    ("ê", "e"),
    ("ép", "f"),
    ("gờ", "g"),
    ("giê", "g"),
    ("hát", "h"),
    ("i", "i"),
    ("ca", "k"),
    ("lờ", "l"),
    ("mờ", "m"),
    ("nờ", "n"),
    ("en", "n"),
    ("o", "o"),
    ("ô", "o"),
    ("pê", "p"),
    ("quy", "q"),
    ("kiu", "q"),
    ("rờ", "r"),
    ("ét", "s"),
    ("tê", "t"),
    ("u", "u"),
    ("vê", "v"),
    ("ích", "x"),
    ("dét", "z"),
];

/// Top-level domains that make "<word> chấm <tld>" a web address.
pub fn top_level_domain(label: &str) -> bool {
    matches!(
        label,
        "com"
            | "net"
            | "org"
            | "vn"
            | "edu"
            | "gov"
            | "io"
            | "info"
            | "biz"
            | "dev"
            | "app"
            | "ai"
            | "me"
            | "co"
            | "uk"
            | "us"
    )
}
