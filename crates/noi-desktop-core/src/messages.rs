//! What the desktop tells the user in words, in the settings window's language.
//!
//! Errors stay typed inside the app; at the edge (a settings-window command's answer) they
//! become text in the window's language through [`Localize`]. English texts are the types'
//! `Display`; Vietnamese ones are written here. Where a message carries a detail from a
//! library or the OS (an I/O error, a download failure), the sentence around it is translated
//! and the detail is kept as it is: it is what a search or a bug report needs.

use serde::Serialize;
use thiserror::Error;

use crate::hotkey::{Conflict, ParseError};
use crate::settings::UiLanguage;
use crate::settings_patch::SettingsProblem;

/// The language of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    En,
    Vi,
}

impl Lang {
    /// The settings' choice resolved against the system locale (`LANG`, e.g. `vi_VN.UTF-8`).
    pub fn from_settings(choice: UiLanguage, system_locale: Option<&str>) -> Lang {
        match choice.resolve(system_locale) {
            UiLanguage::Vi => Lang::Vi,
            _ => Lang::En,
        }
    }

    /// The settings' choice resolved against this process's locale ([`system_locale`]).
    pub fn for_choice(choice: UiLanguage) -> Lang {
        Lang::from_settings(choice, system_locale().as_deref())
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }
}

/// The locale the way POSIX decides it: `LC_ALL`, then `LC_MESSAGES`, then `LANG`.
pub fn system_locale() -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
}

/// A message the user reads, in either language.
pub trait Localize: std::fmt::Display {
    /// The Vietnamese text.
    fn vi(&self) -> String;

    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Vi => self.vi(),
        }
    }
}

/// Something a settings-window action could not do. Nothing was half done: what the user
/// entered or had is kept.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    #[error(transparent)]
    Settings(#[from] SettingsProblem),
    #[error(transparent)]
    Hotkey(#[from] ParseError),
    #[error(
        "hotkey {combo} is not available ({detail}): another app may use {combo}; choose another"
    )]
    HotkeyUnavailable { combo: String, detail: String },
    #[error(
        "the settings apply now but could not be saved ({0}); check that the folder is writable"
    )]
    NotSaved(String),
    #[error("{0} is already being installed")]
    AlreadyInstalling(String),
    #[error("{0} does not exist: give the path of a .tar.bz2 model archive or a model folder")]
    NoSuchPath(String),
    #[error("the model could not be installed: {0}")]
    ModelInstall(String),
    #[error("the model could not be removed: {0}")]
    ModelRemove(String),
    #[error("the history database could not be opened at start: see the log, then restart Nói")]
    HistoryUnavailable,
    #[error("history: {0}")]
    History(String),
    #[error("that transcript is gone (deleted or past its retention)")]
    TranscriptGone,
    #[error("the clipboard is not available: {0}")]
    Clipboard(String),
    #[error("no microphone found: connect one, or check the sound settings")]
    NoMicrophone,
    #[error("cannot open the microphone \"{device}\": {detail}")]
    MicrophoneFailed { device: String, detail: String },
    #[error("the microphone did not open within 5 s")]
    MicrophoneTimeout,
    #[error("cannot write {path} ({detail}); check the folder")]
    Export { path: String, detail: String },
    #[error("unknown word list \"{0}\"")]
    UnknownWordList(String),
    #[error("{0}")]
    Replacements(String),
    #[error("cannot make a new token: {0}")]
    Token(String),
}

impl Localize for SettingsProblem {
    fn vi(&self) -> String {
        match self {
            SettingsProblem::Invalid(detail) => format!("Cài đặt không hợp lệ: {detail}"),
            SettingsProblem::PrivilegedPort(port) => {
                format!("Cổng {port} cần quyền quản trị: hãy chọn một cổng từ 1024 đến 65535")
            }
            SettingsProblem::PasteDelayTooLong => {
                "Độ trễ dán trên 5000 ms sẽ như bị treo: hãy chọn 0–5000 ms".into()
            }
            SettingsProblem::NotAnOrigin(origin) => {
                format!("\"{origin}\" không phải là một origin: hãy viết như https://example.org")
            }
        }
    }
}

impl Localize for ParseError {
    fn vi(&self) -> String {
        match self {
            ParseError::Empty => {
                "Phím tắt đang trống: hãy bấm một tổ hợp như Ctrl+Alt+Space".into()
            }
            ParseError::UnknownKey(key) => format!(
                "\"{key}\" không phải là tên phím: hãy dùng các tên như Ctrl, Alt, Shift, Super, \
                 A, 5, F9, Space"
            ),
            ParseError::NoKey(combo) => format!(
                "\"{combo}\" chỉ có phím bổ trợ: hãy thêm một phím, ví dụ \"{combo}+Space\""
            ),
            ParseError::TwoKeys(combo, a, b) => format!(
                "\"{combo}\" có hai phím ({a} và {b}): phím tắt gồm các phím bổ trợ và một phím"
            ),
            ParseError::DuplicateModifier(combo, modifier) => {
                format!("\"{combo}\" có {modifier} hai lần")
            }
        }
    }
}

impl Localize for Conflict {
    fn vi(&self) -> String {
        match self {
            Conflict::TypesText(combo) => format!(
                "{combo} gõ ra chữ: mọi ứng dụng sẽ mất phím này. Hãy thêm Ctrl, Alt hoặc Super"
            ),
            Conflict::InputMethodSwitch { combo, who } => format!(
                "{combo} chuyển bộ gõ tiếng Việt ({}): việc gõ sẽ bị hỏng",
                vi_phrase(who)
            ),
            Conflict::Reserved { combo, what } => format!(
                "{combo} là {}: hãy chọn tổ hợp mà các ứng dụng không dùng",
                vi_phrase(what)
            ),
        }
    }
}

/// The Vietnamese for the fixed phrases in [`crate::hotkey`]'s conflict tables.
fn vi_phrase(english: &str) -> String {
    let known: &[(&str, &str)] = &[
        (
            "fcitx, fcitx5 and older ibus on/off",
            "bật/tắt fcitx, fcitx5 và ibus cũ",
        ),
        (
            "ibus and GNOME input-source switch",
            "chuyển nguồn nhập của ibus và GNOME",
        ),
        (
            "ibus and GNOME input-source switch (backwards)",
            "chuyển ngược nguồn nhập của ibus và GNOME",
        ),
        (
            "Unikey, EVKey and OpenKey on/off",
            "bật/tắt Unikey, EVKey và OpenKey",
        ),
        ("EVKey and OpenKey on/off", "bật/tắt EVKey và OpenKey"),
        (
            "Ctrl+Shift, the Unikey, EVKey and OpenKey switch",
            "Ctrl+Shift, phím chuyển của Unikey, EVKey và OpenKey",
        ),
        (
            "Alt+Shift, the keyboard layout switch",
            "Alt+Shift, phím chuyển bố cục bàn phím",
        ),
        ("paste, which Nói sends itself", "phím dán mà Nói tự gửi"),
        (
            "terminal paste, which Nói sends itself",
            "phím dán trong terminal mà Nói tự gửi",
        ),
        ("copy", "phím sao chép"),
        ("cut", "phím cắt"),
        ("undo", "phím hoàn tác"),
        ("select all", "phím chọn tất cả"),
        ("the key that cancels a dictation", "phím huỷ một lần đọc"),
        ("the window switcher", "phím chuyển cửa sổ"),
        ("close window", "phím đóng cửa sổ"),
        ("log out", "phím đăng xuất"),
    ];
    known
        .iter()
        .find(|(en, _)| *en == english)
        .map_or_else(|| english.to_owned(), |(_, vi)| (*vi).to_owned())
}

impl Localize for Problem {
    fn vi(&self) -> String {
        match self {
            Problem::Settings(problem) => problem.vi(),
            Problem::Hotkey(problem) => problem.vi(),
            Problem::HotkeyUnavailable { combo, detail } => format!(
                "Không dùng được phím tắt {combo} ({detail}): có thể ứng dụng khác đang dùng \
                 {combo}; hãy chọn tổ hợp khác"
            ),
            Problem::NotSaved(detail) => format!(
                "Cài đặt đã có hiệu lực nhưng không lưu được ({detail}); hãy kiểm tra thư mục \
                 có ghi được không"
            ),
            Problem::AlreadyInstalling(id) => format!("{id} đang được cài đặt"),
            Problem::NoSuchPath(path) => format!(
                "{path} không tồn tại: hãy nhập đường dẫn của một tệp mô hình .tar.bz2 hoặc một \
                 thư mục mô hình"
            ),
            Problem::ModelInstall(detail) => format!("Không cài được mô hình: {detail}"),
            Problem::ModelRemove(detail) => format!("Không xoá được mô hình: {detail}"),
            Problem::HistoryUnavailable => "Không mở được cơ sở dữ liệu lịch sử khi khởi động: \
                                             hãy xem nhật ký rồi khởi động lại Nói"
                .into(),
            Problem::History(detail) => format!("Lịch sử: {detail}"),
            Problem::TranscriptGone => {
                "Bản ghi đó không còn nữa (đã xoá hoặc quá thời hạn lưu)".into()
            }
            Problem::Clipboard(detail) => format!("Không dùng được bộ nhớ tạm: {detail}"),
            Problem::NoMicrophone => {
                "Không tìm thấy micrô: hãy cắm micrô, hoặc kiểm tra cài đặt âm thanh".into()
            }
            Problem::MicrophoneFailed { device, detail } => {
                format!("Không mở được micrô \"{device}\": {detail}")
            }
            Problem::MicrophoneTimeout => "Micrô không mở được trong 5 giây".into(),
            Problem::Export { path, detail } => {
                format!("Không ghi được {path} ({detail}); hãy kiểm tra thư mục")
            }
            Problem::UnknownWordList(kind) => format!("Không có danh sách từ \"{kind}\""),
            Problem::Replacements(detail) => format!("Quy tắc thay thế không hợp lệ: {detail}"),
            Problem::Token(detail) => format!("Không tạo được mã truy cập mới: {detail}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hotkey::{Accelerator, conflicts};

    fn every_problem() -> Vec<Problem> {
        let s = String::from;
        vec![
            Problem::Settings(SettingsProblem::Invalid(s("x"))),
            Problem::Settings(SettingsProblem::PrivilegedPort(80)),
            Problem::Settings(SettingsProblem::PasteDelayTooLong),
            Problem::Settings(SettingsProblem::NotAnOrigin(s("example.org"))),
            Problem::Hotkey(ParseError::Empty),
            Problem::Hotkey(ParseError::UnknownKey(s("Hyper"))),
            Problem::Hotkey(ParseError::NoKey(s("Ctrl+Alt"))),
            Problem::Hotkey(ParseError::TwoKeys(s("A+B"), s("A"), s("B"))),
            Problem::Hotkey(ParseError::DuplicateModifier(s("Ctrl+Ctrl+A"), "Ctrl")),
            Problem::HotkeyUnavailable {
                combo: s("Ctrl+Alt+Space"),
                detail: s("x"),
            },
            Problem::NotSaved(s("x")),
            Problem::AlreadyInstalling(s("m")),
            Problem::NoSuchPath(s("/p")),
            Problem::ModelInstall(s("x")),
            Problem::ModelRemove(s("x")),
            Problem::HistoryUnavailable,
            Problem::History(s("x")),
            Problem::TranscriptGone,
            Problem::Clipboard(s("x")),
            Problem::NoMicrophone,
            Problem::MicrophoneFailed {
                device: s("USB"),
                detail: s("x"),
            },
            Problem::MicrophoneTimeout,
            Problem::Export {
                path: s("/p"),
                detail: s("x"),
            },
            Problem::UnknownWordList(s("x")),
            Problem::Replacements(s("line 3: x")),
            Problem::Token(s("x")),
        ]
    }

    #[test]
    fn every_problem_reads_differently_in_vietnamese() {
        for problem in every_problem() {
            let (en, vi) = (problem.localized(Lang::En), problem.localized(Lang::Vi));
            assert_eq!(en, problem.to_string());
            assert_ne!(en, vi, "{problem:?} has no Vietnamese text");
            assert!(!vi.is_empty());
        }
    }

    #[test]
    fn every_conflict_phrase_is_translated() {
        let combos = [
            "Shift+A",
            "Ctrl+Space",
            "Super+Space",
            "Super+Shift+Space",
            "Alt+Z",
            "Alt+Shift+Z",
            "Ctrl+Alt+Z",
            "Ctrl+Shift+F9",
            "Alt+Shift+F9",
            "Ctrl+V",
            "Ctrl+Shift+V",
            "Ctrl+C",
            "Ctrl+X",
            "Ctrl+Z",
            "Ctrl+A",
            "Escape",
            "Alt+Tab",
            "Alt+F4",
            "Ctrl+Alt+Delete",
        ];
        for combo in combos {
            let accelerator: Accelerator = combo.parse().unwrap();
            let found = conflicts(&accelerator);
            assert!(!found.is_empty(), "{combo} should conflict");
            for conflict in found {
                let vi = conflict.vi();
                let phrase = match &conflict {
                    Conflict::InputMethodSwitch { who, .. } => Some(*who),
                    Conflict::Reserved { what, .. } => Some(*what),
                    Conflict::TypesText(_) => None,
                };
                if let Some(phrase) = phrase {
                    assert!(
                        !vi.contains(phrase),
                        "{combo}: \"{phrase}\" left in English"
                    );
                }
            }
        }
    }

    #[test]
    fn the_system_locale_decides_when_asked_to() {
        assert_eq!(
            Lang::from_settings(UiLanguage::System, Some("vi_VN.UTF-8")),
            Lang::Vi
        );
        assert_eq!(
            Lang::from_settings(UiLanguage::System, Some("en_US.UTF-8")),
            Lang::En
        );
        assert_eq!(
            Lang::from_settings(UiLanguage::Vi, Some("en_US.UTF-8")),
            Lang::Vi
        );
        assert_eq!(Lang::from_settings(UiLanguage::En, None), Lang::En);
    }
}
