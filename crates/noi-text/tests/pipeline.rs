//! The pipeline as every door uses it: casing, spoken punctuation, replacements, joining
//! dictations, normalisation, settings. ITN's own cases are in `itn_table.rs`; these keep
//! ITN at its default (on), which must leave number-free text exactly as before.

use noi_text::*;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::is_nfc;

fn spoken() -> TextOptions {
    TextOptions {
        spoken_punctuation: true,
        ..TextOptions::default()
    }
}

fn with_rules(mut options: TextOptions, rules: &[(&[&str], &str)]) -> TextOptions {
    options.replacements = rules
        .iter()
        .map(|(from, to)| Replacement::new(from.iter().copied(), *to))
        .collect();
    options
}

fn nfd(text: &str) -> String {
    text.nfd().collect()
}

// --- Defaults and casing ---------------------------------------------------------------

#[test]
fn default_is_nfc_sentence_case_without_punctuation() {
    let out = postprocess("XIN CHÀO CÁC BẠN HÔM NAY TRỜI ĐẸP", &TextOptions::default());
    assert_eq!(out, "Xin chào các bạn hôm nay trời đẹp");
}

#[test]
fn casing_handles_vietnamese_letters_and_d_with_stroke() {
    let sentence = TextOptions::default();
    assert_eq!(postprocess("ĐÀ NẴNG", &sentence), "Đà nẵng");
    assert_eq!(postprocess("ĐI ĐÂU ĐẤY", &sentence), "Đi đâu đấy");
    let lower = TextOptions {
        casing: Casing::Lower,
        ..TextOptions::default()
    };
    assert_eq!(postprocess("ĐÀ NẴNG", &lower), "đà nẵng");
    let as_is = TextOptions {
        casing: Casing::AsIs,
        ..TextOptions::default()
    };
    assert_eq!(postprocess("ĐÀ NẴNG", &as_is), "ĐÀ NẴNG");
}

#[test]
fn sentence_case_restarts_after_each_sentence_end_and_line_break() {
    let out = postprocess(
        "ĐI ĐÂU ĐẤY CHẤM HỎI ĐI CHỢ CHẤM THAN XUỐNG DÒNG VUI QUÁ",
        &spoken(),
    );
    assert_eq!(out, "Đi đâu đấy? Đi chợ!\nVui quá");
}

#[test]
fn sentence_case_keeps_decimals_and_model_punctuation() {
    let out = postprocess(
        "PHIÊN BẢN 2.5 RA MẮT. NÓ NHANH HƠN, RẤT NHANH",
        &TextOptions::default(),
    );
    assert_eq!(out, "Phiên bản 2.5 ra mắt. Nó nhanh hơn, rất nhanh");
}

#[test]
fn lower_and_as_is_ignore_sentence_ends() {
    let lower = TextOptions {
        casing: Casing::Lower,
        ..spoken()
    };
    assert_eq!(
        postprocess("XIN CHÀO CHẤM HẸN GẶP LẠI", &lower),
        "xin chào. hẹn gặp lại"
    );
    let as_is = TextOptions {
        casing: Casing::AsIs,
        ..spoken()
    };
    assert_eq!(
        postprocess("XIN CHÀO CHẤM HẸN GẶP LẠI", &as_is),
        "XIN CHÀO. HẸN GẶP LẠI"
    );
}

// --- Spoken punctuation ----------------------------------------------------------------

#[test]
fn spoken_punctuation_example_from_the_brief() {
    let raw = "XIN CHÀO CÁC BẠN CHẤM HÔM NAY TRỜI ĐẸP QUÁ CHẤM THAN";
    assert_eq!(
        postprocess(raw, &spoken()),
        "Xin chào các bạn. Hôm nay trời đẹp quá!"
    );
}

#[test]
fn spoken_punctuation_is_off_by_default() {
    let raw = "XIN CHÀO CÁC BẠN CHẤM HÔM NAY TRỜI ĐẸP QUÁ CHẤM THAN";
    assert_eq!(
        postprocess(raw, &TextOptions::default()),
        "Xin chào các bạn chấm hôm nay trời đẹp quá chấm than"
    );
}

#[test]
fn cham_hoi_is_a_question_mark_not_a_period_then_hoi() {
    let out = postprocess("BẠN KHỎE KHÔNG CHẤM HỎI", &spoken());
    assert_eq!(out, "Bạn khỏe không?");
    let out = postprocess("TÔI KHỎE CHẤM CẢM ƠN CHẤM", &spoken());
    assert_eq!(out, "Tôi khỏe. Cảm ơn.");
    let out = postprocess("TÔI HỎI CHẤM HỎI LẠI", &spoken());
    assert_eq!(out, "Tôi hỏi? Lại");
}

#[test]
fn every_mark_attaches_to_the_word_before() {
    let raw = "DANH SÁCH HAI CHẤM CAM PHẨY TÁO CHẤM PHẨY XOÀI CHẤM";
    assert_eq!(postprocess(raw, &spoken()), "Danh sách: cam, táo; xoài.");
}

#[test]
fn parentheses_hug_their_content() {
    let raw = "GẶP ANH BA MỞ NGOẶC TRƯỞNG PHÒNG ĐÓNG NGOẶC CHẤM";
    assert_eq!(postprocess(raw, &spoken()), "Gặp anh ba (trưởng phòng).");
}

#[test]
fn newline_command_breaks_the_line_without_spaces_around_it() {
    let raw = "KÍNH GỬI ANH PHẨY XUỐNG DÒNG EM XIN BÁO CÁO";
    assert_eq!(postprocess(raw, &spoken()), "Kính gửi anh,\nEm xin báo cáo");
    let raw = "ĐOẠN MỘT XUỐNG DÒNG XUỐNG DÒNG ĐOẠN HAI";
    assert_eq!(postprocess(raw, &spoken()), "Đoạn một\n\nĐoạn hai");
}

#[test]
fn commands_match_whole_words_only() {
    for raw in ["PHẨYA", "APHẨY", "CHẤMCHẤM", "XUỐNG DÒNGG"] {
        assert_eq!(postprocess(raw, &spoken()), sentence_case_of(raw), "{raw}");
    }
    // Tone marks are part of the word: "phảy", "phay" and "chậm" ("slow") are not commands.
    assert_eq!(postprocess("PHẢY PHAY CHẬM", &spoken()), "Phảy phay chậm");
}

fn sentence_case_of(raw: &str) -> String {
    postprocess(raw, &TextOptions::default())
}

#[test]
fn commands_match_any_case() {
    for raw in ["ừ chấm được", "Ừ Chấm Được", "Ừ CHẤM ĐƯỢC", "ừ cHẤm được"]
    {
        assert_eq!(postprocess(raw, &spoken()), "Ừ. Được", "{raw}");
    }
}

#[test]
fn dau_before_a_mark_is_part_of_the_command() {
    let raw = "VÂNG DẤU PHẨY EM HIỂU RỒI DẤU CHẤM HỎI";
    assert_eq!(postprocess(raw, &spoken()), "Vâng, em hiểu rồi?");
}

#[test]
fn nothing_dangles_at_the_start_of_the_text_or_of_a_line() {
    assert_eq!(postprocess("PHẨY XIN CHÀO", &spoken()), "Xin chào");
    assert_eq!(
        postprocess("XIN CHÀO XUỐNG DÒNG PHẨY BẠN", &spoken()),
        "Xin chào\nBạn"
    );
    // An opening bracket is not dangling: it starts something.
    assert_eq!(
        postprocess("MỞ NGOẶC GHI CHÚ ĐÓNG NGOẶC", &spoken()),
        "(Ghi chú)"
    );
}

#[test]
fn only_punctuation_words() {
    let raw = "CHẤM PHẨY CHẤM HỎI CHẤM THAN";
    assert_eq!(postprocess(raw, &spoken()), "");
    assert_eq!(
        postprocess(raw, &TextOptions::default()),
        "Chấm phẩy chấm hỏi chấm than"
    );
    assert_eq!(postprocess("XUỐNG DÒNG", &spoken()), "\n");
}

#[test]
fn each_command_has_an_off_switch() {
    let mut options = spoken();
    options.commands.period = false;
    let out = postprocess("BẠN KHỎE KHÔNG CHẤM HỎI TÔI KHỎE CHẤM", &options);
    assert_eq!(out, "Bạn khỏe không? Tôi khỏe chấm");

    let mut options = spoken();
    options.commands.newline = false;
    let out = postprocess("ĐI XUỐNG DÒNG SÔNG", &options);
    assert_eq!(out, "Đi xuống dòng sông");
}

#[test]
fn leftmost_command_wins_over_a_longer_one_starting_later() {
    // "hai chấm hỏi" reads as ": hỏi" (leftmost), not "hai?". Documented, not ideal.
    assert_eq!(postprocess("TẦNG HAI CHẤM HỎI", &spoken()), "Tầng: hỏi");
}

// --- User replacements -----------------------------------------------------------------

#[test]
fn replacement_inserts_the_users_text_as_written() {
    let options = with_rules(TextOptions::default(), &[(&["GIT HÚP"], "GitHub")]);
    assert_eq!(
        postprocess("TÔI ĐANG DÙNG GIT HÚP", &options),
        "Tôi đang dùng GitHub"
    );
    let options = with_rules(spoken(), &[(&["GIT HÚP"], "GitHub")]);
    assert_eq!(
        postprocess("GIT HÚP LÀ GÌ CHẤM HỎI", &options),
        "GitHub là gì?"
    );
    let options = with_rules(TextOptions::default(), &[(&["AI PHÔN"], "iPhone")]);
    assert_eq!(postprocess("AI PHÔN MỚI", &options), "iPhone mới");
}

#[test]
fn replacement_with_several_spellings() {
    let options = with_rules(
        TextOptions::default(),
        &[(&["VI ÉT NAM", "VIỆT NAM"], "Việt Nam")],
    );
    assert_eq!(
        postprocess("TÔI YÊU VI ÉT NAM", &options),
        "Tôi yêu Việt Nam"
    );
    assert_eq!(
        postprocess("TÔI YÊU VIỆT NAM", &options),
        "Tôi yêu Việt Nam"
    );
}

#[test]
fn replacement_phrases_match_any_case_and_any_space_run() {
    let options = with_rules(TextOptions::default(), &[(&["git húp"], "GitHub")]);
    for raw in ["GIT HÚP", "Git Húp", "git   húp", "GIT\tHÚP"] {
        assert_eq!(postprocess(raw, &options), "GitHub", "{raw}");
    }
    // A phrase never spans a line break.
    let options = with_rules(spoken(), &[(&["git húp"], "GitHub")]);
    assert_eq!(postprocess("GIT XUỐNG DÒNG HÚP", &options), "Git\nHúp");
}

#[test]
fn replacement_word_boundaries_are_unicode_aware() {
    // An ASCII matcher sees "Đ" and "Ấ" as boundaries and would write "ĐAn", "Ấn".
    let options = with_rules(TextOptions::default(), &[(&["AN"], "An")]);
    assert_eq!(
        postprocess("ĐAN ÁO CHO AN ẤN", &options),
        "Đan áo cho An ấn"
    );
    let options = with_rules(TextOptions::default(), &[(&["HÀ"], "Hà")]);
    assert_eq!(postprocess("CHỊ HÀ BÁN HÀNG", &options), "Chị Hà bán hàng");
}

#[test]
fn longest_replacement_wins_whatever_the_rule_order() {
    let rules: &[(&[&str], &str)] = &[(&["HÀ"], "Hà"), (&["HÀ NỘI"], "Hà Nội")];
    let options = with_rules(TextOptions::default(), rules);
    assert_eq!(
        postprocess("ĐI HÀ NỘI VỚI CHỊ HÀ", &options),
        "Đi Hà Nội với chị Hà"
    );
}

#[test]
fn replacements_do_not_chain() {
    let rules: &[(&[&str], &str)] = &[(&["ANH"], "em"), (&["EM"], "anh")];
    let options = with_rules(TextOptions::default(), rules);
    // The replacement at the start is not re-cased either.
    assert_eq!(postprocess("ANH YÊU EM", &options), "em yêu anh");
}

#[test]
fn replacements_run_before_spoken_punctuation() {
    let options = with_rules(spoken(), &[(&["CHẤM ĐIỂM"], "chấm điểm")]);
    let out = postprocess("CÔ GIÁO ĐANG CHẤM ĐIỂM CHẤM", &options);
    assert_eq!(out, "Cô giáo đang chấm điểm.");
}

#[test]
fn empty_replacement_deletes_filler_words() {
    let options = with_rules(TextOptions::default(), &[(&["Ờ", "ỪM"], "")]);
    assert_eq!(
        postprocess("Ờ TÔI NGHĨ LÀ ỪM ĐƯỢC", &options),
        "Tôi nghĩ là được"
    );
}

#[test]
fn phrases_without_words_are_ignored() {
    let options = with_rules(TextOptions::default(), &[(&["", "  ", "..."], "x")]);
    assert_eq!(postprocess("XIN CHÀO...", &options), "Xin chào...");
}

// --- Unicode normalisation -------------------------------------------------------------

#[test]
fn decomposed_input_gives_the_same_nfc_output() {
    let raw = "XIN CHÀO CÁC BẠN CHẤM HÔM NAY TRỜI ĐẸP QUÁ CHẤM THAN PHẨY";
    let decomposed = nfd(raw);
    assert_ne!(decomposed, raw);
    let options = with_rules(spoken(), &[(&["VI ÉT NAM"], "Việt Nam")]);
    for options in [TextOptions::default(), spoken(), options] {
        let out = postprocess(&decomposed, &options);
        assert_eq!(out, postprocess(raw, &options));
        assert!(is_nfc(&out));
    }
}

#[test]
fn decomposed_rules_match_and_write_nfc() {
    let options = with_rules(
        TextOptions::default(),
        &[(&[&nfd("VI ÉT NAM")], &nfd("Việt Nam"))],
    );
    let out = postprocess("TÔI YÊU VI ÉT NAM", &options);
    assert_eq!(out, "Tôi yêu Việt Nam");
    assert!(is_nfc(&out));
}

// --- Whitespace, empty input, idempotence ----------------------------------------------

#[test]
fn whitespace_is_tidied() {
    let options = TextOptions::default();
    assert_eq!(
        postprocess("  XIN   CHÀO \t BẠN  ", &options),
        "Xin chào bạn"
    );
    assert_eq!(
        postprocess("XIN CHÀO  \r\n  BẠN\n", &options),
        "Xin chào\nBạn"
    );
    assert_eq!(postprocess("XIN\u{a0}CHÀO", &options), "Xin chào");
}

#[test]
fn empty_input() {
    for options in [TextOptions::default(), spoken()] {
        assert_eq!(postprocess("", &options), "");
        assert_eq!(postprocess(" \n\t ", &options), "");
    }
}

#[test]
fn postprocessing_twice_changes_nothing() {
    let raws = [
        "XIN CHÀO CÁC BẠN CHẤM HÔM NAY TRỜI ĐẸP QUÁ CHẤM THAN",
        "KÍNH GỬI ANH PHẨY XUỐNG DÒNG MỞ NGOẶC GHI CHÚ ĐÓNG NGOẶC HAI CHẤM ĐƯỢC",
        "TÔI YÊU VI ÉT NAM VÀ CÔ GIÁO CHẤM ĐIỂM CHẤM",
        "PHIÊN BẢN 2.5 RA MẮT",
    ];
    // Idempotent when each replacement also lists its own spelling: otherwise a second
    // pass sees "Việt Nam" as model text and re-cases it.
    let rules: &[(&[&str], &str)] = &[
        (&["VI ÉT NAM", "VIỆT NAM"], "Việt Nam"),
        (&["CHẤM ĐIỂM"], "chấm điểm"),
    ];
    let lower = TextOptions {
        casing: Casing::Lower,
        ..spoken()
    };
    for options in [
        TextOptions::default(),
        spoken(),
        lower,
        with_rules(spoken(), rules),
    ] {
        for raw in raws {
            let once = postprocess(raw, &options);
            assert_eq!(postprocess(&once, &options), once, "{raw}");
        }
    }
}

// --- Consecutive dictations ------------------------------------------------------------

#[test]
fn join_adds_a_space_only_where_the_previous_text_did_not_end_a_line() {
    assert_eq!(join_dictation(None, "Xin chào"), "Xin chào");
    assert_eq!(join_dictation(Some(""), "Xin chào"), "Xin chào");
    assert_eq!(join_dictation(Some("Xin chào."), "Hôm nay"), " Hôm nay");
    assert_eq!(join_dictation(Some("Xin chào"), "hôm nay"), " hôm nay");
    assert_eq!(join_dictation(Some("Xin chào\n"), "Hôm nay"), "Hôm nay");
    assert_eq!(join_dictation(Some("Xin chào "), "hôm nay"), "hôm nay");
    assert_eq!(join_dictation(Some("Ghi chú ("), "xem sau"), "xem sau");
    assert_eq!(join_dictation(Some("Xin chào"), ". Hôm nay"), ". Hôm nay");
    assert_eq!(join_dictation(Some("Xin chào"), "\nHôm nay"), "\nHôm nay");
    assert_eq!(join_dictation(Some("Xin chào"), ""), "");
}

#[test]
fn continuation_is_capitalised_only_after_a_sentence_end() {
    let options = TextOptions::default();
    let raw = "HÔM NAY TRỜI ĐẸP";
    assert_eq!(postprocess_after(None, raw, &options), "Hôm nay trời đẹp");
    assert_eq!(
        postprocess_after(Some("Xin chào các bạn"), raw, &options),
        " hôm nay trời đẹp"
    );
    assert_eq!(
        postprocess_after(Some("Xin chào các bạn."), raw, &options),
        " Hôm nay trời đẹp"
    );
    assert_eq!(
        postprocess_after(Some("(Đã xong.)"), raw, &options),
        " Hôm nay trời đẹp"
    );
    assert_eq!(
        postprocess_after(Some("Xin chào\n"), raw, &options),
        "Hôm nay trời đẹp"
    );
    assert_eq!(
        postprocess_after(Some("Có 2.5"), raw, &options),
        " hôm nay trời đẹp"
    );
}

#[test]
fn continuation_keeps_a_leading_replacement_as_written() {
    let options = with_rules(TextOptions::default(), &[(&["GIT HÚP"], "GitHub")]);
    assert_eq!(
        postprocess_after(Some("Tôi dùng"), "GIT HÚP", &options),
        " GitHub"
    );
}

#[test]
fn continuation_can_end_the_previous_sentence() {
    let raw = "CHẤM HÔM NAY TRỜI ĐẸP";
    let out = postprocess_after(Some("Xin chào các bạn"), raw, &spoken());
    assert_eq!(out, ". Hôm nay trời đẹp");
    // Nothing to attach to after a line break or a space: dropped.
    let out = postprocess_after(Some("Xin chào\n"), raw, &spoken());
    assert_eq!(out, "Hôm nay trời đẹp");
    let out = postprocess_after(Some("Xin chào "), raw, &spoken());
    assert_eq!(out, "Hôm nay trời đẹp");
}

#[test]
fn continuation_can_start_a_new_line() {
    let out = postprocess_after(Some("Xin chào."), "XUỐNG DÒNG HÔM NAY", &spoken());
    assert_eq!(out, "\nHôm nay");
}

#[test]
fn empty_continuation_inserts_nothing() {
    assert_eq!(postprocess_after(Some("Xin chào"), "  ", &spoken()), "");
    assert_eq!(postprocess_after(Some("Xin chào\n"), "PHẨY", &spoken()), "");
}

// --- Settings (serde) ------------------------------------------------------------------

#[test]
fn options_load_from_partial_or_unknown_settings() {
    let empty: TextOptions = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, TextOptions::default());

    let json = r#"{"spoken_punctuation": true, "commands": {"newline": false},
                   "replacements": [{"from": ["git húp"]}], "future_field": 1}"#;
    let partial: TextOptions = serde_json::from_str(json).unwrap();
    assert!(partial.spoken_punctuation);
    assert!(!partial.commands.newline && partial.commands.period);
    assert_eq!(partial.replacements, [Replacement::new(["git húp"], "")]);

    let unknown: TextOptions = serde_json::from_str(r#"{"casing": "title"}"#).unwrap();
    assert_eq!(unknown.casing, Casing::Sentence);
}

#[test]
fn options_round_trip_through_json() {
    let options = TextOptions {
        casing: Casing::AsIs,
        ..with_rules(spoken(), &[(&["VI ÉT NAM", "VIỆT NAM"], "Việt Nam")])
    };
    let json = serde_json::to_string(&options).unwrap();
    assert!(json.contains(r#""casing":"as_is""#), "{json}");
    assert_eq!(serde_json::from_str::<TextOptions>(&json).unwrap(), options);
}

/// Case mapping does not round-trip through NFC for every letter: "İ" (U+0130) lowers to "i"
/// plus a combining dot, whose sentence-case capital must be composed back (fuzz target
/// `text_pipeline`, fuzz/corpus/text_pipeline/crash-dotted-capital-i).
#[test]
fn output_is_nfc_after_case_mapping() {
    let options = TextOptions::default();
    for raw in ["İƠI LĂ", "lİơi lă", "XIN CHÀO İSTANBUL"] {
        let out = postprocess(raw, &options);
        assert!(is_nfc(&out), "{raw:?} → {out:?}");
        let out = postprocess_after(Some("xin chào"), raw, &options);
        assert!(is_nfc(&out), "{raw:?} → {out:?}");
    }
    assert_eq!(postprocess("İƠI", &options), "İơi");
}
