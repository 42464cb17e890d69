//! `noi text` as a user runs it: the real binary, text on standard input, cleaned text on
//! standard output, the same options as `noi transcribe`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn noi_text(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_noi"))
        .arg("text")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run noi text");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

#[test]
fn each_line_comes_out_written_with_itn_on_by_default() {
    let input = "NGÀY MƯỜI LĂM THÁNG TÁM NĂM HAI NGHÌN KHÔNG TRĂM HAI MƯƠI SÁU\n\
                 \n\
                 HAI TRIỆU RƯỠI ĐỒNG\r\n\
                 BA MƯƠI PHẦN TRĂM";
    let out = stdout(&noi_text(&[], input.as_bytes()));
    assert_eq!(out, "Ngày 15/8/2026\n\n2,5 triệu đồng\n30%\n");
}

#[test]
fn itn_off_keeps_the_words() {
    let input = "HAI TRIỆU RƯỠI ĐỒNG\nNĂM MỘT CHÍN TÁM TƯ\n";
    let out = stdout(&noi_text(&["--itn", "off"], input.as_bytes()));
    assert_eq!(out, "Hai triệu rưỡi đồng\nNăm một chín tám tư\n");
    let out = stdout(&noi_text(&["--itn", "on"], input.as_bytes()));
    assert_eq!(out, "2,5 triệu đồng\nNăm 1984\n");
}

#[test]
fn casing_spoken_punctuation_and_replacements_apply() {
    let rules = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(rules.path(), "git húp => GitHub\n").unwrap();
    let input = "TÔI DÙNG GIT HÚP PHẨY GIÁ BA PHẨY NĂM ĐÔ CHẤM\n";
    let out = noi_text(
        &[
            "--casing",
            "lower",
            "--spoken-punctuation",
            "--replacements",
            rules.path().to_str().unwrap(),
        ],
        input.as_bytes(),
    );
    assert_eq!(stdout(&out), "tôi dùng GitHub, giá 3,5 USD.\n");
}

#[test]
fn empty_input_prints_nothing() {
    assert_eq!(stdout(&noi_text(&[], b"")), "");
}

#[test]
fn bad_input_and_bad_options_are_clear_errors() {
    let out = noi_text(&[], b"HAI MUOI\n\xff\xfe\n");
    assert!(!out.status.success());
    // The good line before the bad one is not lost.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hai muoi\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");

    let out = noi_text(&["--itn", "maybe"], b"");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--itn") && err.contains("on"), "{err}");

    let out = noi_text(&["--replacements", "/nonexistent/rules.txt"], b"");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/rules.txt"), "{err}");
}
