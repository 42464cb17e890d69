//! ITN's place in the pipeline: after user replacements, before spoken punctuation and
//! casing; its settings; and what it does to text it already wrote.

use noi_text::{
    DecimalSeparator, ItnOptions, Replacement, TextOptions, ThousandsSeparator, postprocess,
    postprocess_after,
};
use unicode_normalization::UnicodeNormalization;

fn spoken() -> TextOptions {
    TextOptions {
        spoken_punctuation: true,
        ..TextOptions::default()
    }
}

#[test]
fn replacements_run_first_and_protect_names_with_numbers() {
    let options = TextOptions {
        replacements: vec![Replacement::new(
            ["ba mươi sáu phố phường"],
            "Ba mươi sáu phố phường",
        )],
        ..TextOptions::default()
    };
    assert_eq!(
        postprocess(
            "HÀ NỘI BA MƯƠI SÁU PHỐ PHƯỜNG CÓ HAI MƯƠI NGÀN NGƯỜI",
            &options
        ),
        "Hà nội Ba mươi sáu phố phường có 20.000 người"
    );
    // Without the rule the number is a number.
    assert_eq!(
        postprocess("BA MƯƠI SÁU PHỐ PHƯỜNG", &TextOptions::default()),
        "36 phố phường"
    );
}

#[test]
fn a_replacement_splits_what_would_be_one_number() {
    let options = TextOptions {
        replacements: vec![Replacement::new(["nghìn"], "K")],
        ..TextOptions::default()
    };
    // The rule's text is a barrier: "hai mươi" and "năm" are read on their own.
    assert_eq!(postprocess("HAI MƯƠI NGHÌN NĂM", &options), "20 K năm");
}

#[test]
fn spoken_punctuation_sees_only_what_itn_left() {
    let out = postprocess(
        "GIÁ BA PHẨY NĂM TRIỆU PHẨY GIẢM MƯỜI PHẦN TRĂM CHẤM",
        &spoken(),
    );
    assert_eq!(out, "Giá 3,5 triệu, giảm 10%.");
    let out = postprocess("EMAIL LÀ AN A CÒNG GMAIL CHẤM COM CHẤM CẢM ƠN", &spoken());
    assert_eq!(out, "Email là an@gmail.com. Cảm ơn");
}

#[test]
fn sentence_case_starts_after_a_written_number_ends_a_sentence() {
    let out = postprocess(
        "TÔI SINH NĂM MỘT CHÍN TÁM TƯ CHẤM HAI MƯƠI NGƯỜI",
        &spoken(),
    );
    assert_eq!(out, "Tôi sinh năm 1984. 20 người");
    let out = postprocess("ĐI LÚC MƯỜI GIỜ BA MƯƠI CHẤM HẸN GẶP", &spoken());
    assert_eq!(out, "Đi lúc 10:30. Hẹn gặp");
}

#[test]
fn continuations_and_decomposed_input_get_the_same_itn() {
    let out = postprocess_after(
        Some("Giá là"),
        "NĂM MƯƠI NGHÌN ĐỒNG",
        &TextOptions::default(),
    );
    assert_eq!(out, " 50.000 đồng");
    let raw = "NGÀY MƯỜI LĂM THÁNG TÁM NĂM HAI NGHÌN KHÔNG TRĂM HAI MƯƠI SÁU";
    let decomposed: String = raw.nfd().collect();
    assert_ne!(decomposed, raw);
    let out = postprocess(&decomposed, &TextOptions::default());
    assert_eq!(out, "Ngày 15/8/2026");
}

#[test]
fn written_output_is_left_alone_on_a_second_pass() {
    let raws = [
        "NGÀY MƯỜI LĂM THÁNG TÁM NĂM HAI NGHÌN KHÔNG TRĂM HAI MƯƠI SÁU",
        "HAI TRIỆU RƯỠI ĐỒNG VÀ BA MƯƠI PHẦN TRĂM",
        "BA PHẨY NĂM KI LÔ MÉT LÚC MƯỜI GIỜ KÉM MƯỜI LĂM",
        "GỬI AN A CÒNG GMAIL CHẤM COM HOẶC KHÔNG CHÍN MỘT HAI BA BỐN NĂM SÁU BẢY TÁM",
    ];
    for options in [TextOptions::default(), spoken()] {
        for raw in raws {
            let once = postprocess(raw, &options);
            assert_eq!(postprocess(&once, &options), once, "{raw}");
        }
    }
}

#[test]
fn itn_settings_load_from_partial_old_and_unknown_values() {
    let old: TextOptions = serde_json::from_str(r#"{"spoken_punctuation": true}"#).unwrap();
    assert_eq!(old.itn, ItnOptions::default());
    assert!(old.itn.enabled && old.itn.money && old.itn.address);

    let json = r#"{"itn": {"money": false, "decimal_separator": "point",
                            "thousands_separator": "space"}}"#;
    let partial: TextOptions = serde_json::from_str(json).unwrap();
    assert!(partial.itn.enabled && !partial.itn.money && partial.itn.date);
    assert_eq!(partial.itn.decimal_separator, DecimalSeparator::Point);
    assert_eq!(partial.itn.thousands_separator, ThousandsSeparator::Space);

    let unknown: ItnOptions =
        serde_json::from_str(r#"{"decimal_separator": "arabic", "thousands_separator": "x"}"#)
            .unwrap();
    assert_eq!(unknown, ItnOptions::default());

    let options = TextOptions {
        itn: ItnOptions {
            time: false,
            thousands_separator: ThousandsSeparator::None,
            ..ItnOptions::default()
        },
        ..TextOptions::default()
    };
    let json = serde_json::to_string(&options).unwrap();
    assert_eq!(serde_json::from_str::<TextOptions>(&json).unwrap(), options);
}
