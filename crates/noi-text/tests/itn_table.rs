//! The spoken → written table (`tests/data/itn_table.tsv`): every row through `postprocess`,
//! as the model writes it (upper case). All failures are reported together.

use noi_text::{
    Casing, DecimalSeparator, ItnOptions, TextOptions, ThousandsSeparator, postprocess,
};

const TABLE: &str = include_str!("data/itn_table.tsv");

struct Row {
    line: usize,
    options: String,
    spoken: String,
    written: String,
}

fn rows() -> Vec<Row> {
    TABLE
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.len(),
                3,
                "line {}: three tab-separated fields",
                index + 1
            );
            Row {
                line: index + 1,
                options: fields[0].to_owned(),
                spoken: fields[1].to_owned(),
                written: fields[2].replace("\\n", "\n"),
            }
        })
        .collect()
}

/// The options a row names, on top of the defaults with lower casing.
fn options(spec: &str) -> TextOptions {
    let mut options = TextOptions {
        casing: Casing::Lower,
        ..TextOptions::default()
    };
    if spec == "-" {
        return options;
    }
    for switch in spec.split(',') {
        let itn = &mut options.itn;
        match switch {
            "spoken" => options.spoken_punctuation = true,
            "casing=sentence" => options.casing = Casing::Sentence,
            "casing=as_is" => options.casing = Casing::AsIs,
            "decimal=point" => itn.decimal_separator = DecimalSeparator::Point,
            "thousands=dot" => itn.thousands_separator = ThousandsSeparator::Dot,
            "thousands=comma" => itn.thousands_separator = ThousandsSeparator::Comma,
            "thousands=space" => itn.thousands_separator = ThousandsSeparator::Space,
            "thousands=none" => itn.thousands_separator = ThousandsSeparator::None,
            off => *class_switch(itn, off.strip_suffix("=off").expect(off)) = false,
        }
    }
    options
}

fn class_switch<'a>(itn: &'a mut ItnOptions, class: &str) -> &'a mut bool {
    match class {
        "itn" => &mut itn.enabled,
        "cardinal" => &mut itn.cardinal,
        "decimal" => &mut itn.decimal,
        "percent" => &mut itn.percent,
        "money" => &mut itn.money,
        "measure" => &mut itn.measure,
        "date" => &mut itn.date,
        "time" => &mut itn.time,
        "ordinal" => &mut itn.ordinal,
        "fraction" => &mut itn.fraction,
        "digits" => &mut itn.digits,
        "address" => &mut itn.address,
        other => panic!("unknown switch {other}"),
    }
}

#[test]
fn every_row_of_the_table() {
    let rows = rows();
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let got = postprocess(&row.spoken.to_uppercase(), &options(&row.options));
            (got != row.written).then(|| {
                format!(
                    "line {} [{}] {:?}: expected {:?}, got {:?}",
                    row.line, row.options, row.spoken, row.written, got
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_is_as_large_as_promised() {
    let rows = rows();
    assert!(rows.len() >= 400, "{} rows", rows.len());
    let kept = rows
        .iter()
        .filter(|row| row.options == "-" && row.spoken == row.written)
        .count();
    assert!(kept >= 60, "{kept} must-not-convert rows");
}

#[test]
fn every_switch_and_convention_appears_in_the_table() {
    let rows = rows();
    let specs: Vec<&str> = rows.iter().flat_map(|r| r.options.split(',')).collect();
    for class in [
        "itn", "cardinal", "decimal", "percent", "money", "measure", "date", "time", "ordinal",
        "fraction", "digits", "address",
    ] {
        let switch = format!("{class}=off");
        assert!(specs.contains(&switch.as_str()), "{switch}");
    }
    for convention in [
        "decimal=point",
        "thousands=dot",
        "thousands=comma",
        "thousands=space",
    ] {
        assert!(specs.contains(&convention), "{convention}");
    }
    assert!(specs.contains(&"thousands=none"));
}
