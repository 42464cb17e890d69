//! How a final text reaches the focused app: which method, which paste keys, whether to put
//! the user's clipboard back, and what exactly to insert (spacing between dictations, trailing
//! space). Pure decisions; the shell owns the clipboard (arboard) and the keyboard (enigo).
//!
//! Text processing itself is noi-text's ([`noi_text`]): [`insertion_text`] only
//! wires `postprocess_after` (casing as a continuation, spacing via `join_dictation`) to the
//! trailing-space option.

use std::time::{Duration, Instant};

use noi_text::{TextOptions, postprocess_after};
use serde::{Deserialize, Serialize};

/// The user's output choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputMode {
    /// Type Unicode keystrokes. Vietnamese IMEs in Telex/VNI mode may rewrite them.
    Type,
    /// Put the text on the clipboard and leave it there.
    CopyOnly,
    /// Clipboard plus Ctrl+V (Ctrl+Shift+V in terminals), then the old clipboard back. The
    /// default: input methods do not touch a paste. Unknown values fall back to this.
    #[default]
    #[serde(other)]
    Paste,
}

/// The keys that paste in the target window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasteKeys {
    CtrlV,
    /// Terminals: Ctrl+V is a control character there (literal-next in shells, block select in
    /// vim), so terminal emulators paste with Ctrl+Shift+V.
    CtrlShiftV,
    /// The X terminals that paste no clipboard on any key by default (xterm, uxterm, urxvt,
    /// the rxvt family): Shift+Insert pastes the PRIMARY selection there, so the text goes on
    /// the PRIMARY selection as well as the clipboard.
    ShiftInsertPrimary,
}

/// What the clipboard held before we touched it, as far as the shell could read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipboardContent {
    Empty,
    Text,
    Image,
    /// Something the shell cannot save and put back (files, rich text only, custom formats).
    Unsavable,
}

/// How to deliver one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Paste {
        keys: PasteKeys,
        /// Save the clipboard first and, after the restore delay, put it back if it still
        /// holds our text ([`clipboard_still_ours`]).
        restore_clipboard: bool,
    },
    Type,
    CopyOnly,
}

/// The focused window as the shell sees it (X11 `WM_CLASS` and title; Wayland app id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window<'a> {
    pub class: &'a str,
    pub name: &'a str,
}

/// Decides how to deliver a text.
///
/// - Paste into a terminal uses Ctrl+Shift+V, or Shift+Insert with the PRIMARY selection in
///   the X terminals that do not paste the clipboard ([`pastes_primary_only`]).
/// - Paste when the clipboard holds something we cannot put back falls back to typing: what
///   the user copied is never lost (docs/desktop.md, "Output: paste, type, copy"), and typing
///   leaves the clipboard alone.
/// - The clipboard is restored only if there was something to restore; after an empty
///   clipboard, leaving our text there is more useful than clearing it.
/// - An unknown focused window (Wayland hides it) gets Ctrl+V, right for almost every app.
pub fn choose_method(
    mode: OutputMode,
    target: Option<Window<'_>>,
    previous: ClipboardContent,
) -> Method {
    match mode {
        OutputMode::Type => Method::Type,
        OutputMode::CopyOnly => Method::CopyOnly,
        OutputMode::Paste if previous == ClipboardContent::Unsavable => Method::Type,
        OutputMode::Paste => Method::Paste {
            keys: match target {
                Some(window) if pastes_primary_only(window) => PasteKeys::ShiftInsertPrimary,
                Some(window) if is_terminal(window) => PasteKeys::CtrlShiftV,
                _ => PasteKeys::CtrlV,
            },
            restore_clipboard: previous != ClipboardContent::Empty,
        },
    }
}

/// The mode that can be carried out: where no keystroke reaches the focused app (a Wayland
/// desktop without a virtual keyboard, or a native window where only XWayland takes keys),
/// paste and type become copy-only, and the user is told to press Ctrl+V. The text is never
/// dropped for want of a keyboard.
pub fn mode_for_keys(mode: OutputMode, keys_reach_target: bool) -> OutputMode {
    if keys_reach_target {
        mode
    } else {
        OutputMode::CopyOnly
    }
}

/// Terminal emulators, by the normalised names their windows report.
const TERMINALS: &[&str] = &[
    "xterm",
    "uxterm",
    "gnome-terminal",
    "kgx",
    "console",
    "ptyxis",
    "konsole",
    "yakuake",
    "alacritty",
    "kitty",
    "wezterm",
    "wezterm-gui",
    "tilix",
    "terminator",
    "urxvt",
    "rxvt",
    "rxvt-unicode",
    "foot",
    "footclient",
    "st",
    "xfce4-terminal",
    "mate-terminal",
    "lxterminal",
    "qterminal",
    "terminology",
    "sakura",
    "guake",
    "tilda",
    "blackbox",
    "contour",
    "cool-retro-term",
    "ghostty",
    "rio",
    "tabby",
    "hyper",
    "eterm",
    "aterm",
    "zutty",
    "cosmic-term",
    "deepin-terminal",
    "terminal",
];

/// Whether the window is a terminal emulator, from its class (or app id) or, failing that,
/// its name.
///
/// Names are compared whole after normalising, never as substrings ("st" must not match
/// "steam"): lower case, the last part of a reverse-DNS id ("org.wezfurlong.wezterm" →
/// "wezterm", "com.gexperts.Tilix" → "tilix"), without a "-256color" or "-server" suffix
/// ("st-256color", "gnome-terminal-server").
pub fn is_terminal(window: Window<'_>) -> bool {
    [window.class, window.name]
        .into_iter()
        .any(|name| TERMINALS.contains(&normalise_window_name(name).as_str()))
}

/// Terminals whose default key bindings paste only the PRIMARY selection (Shift+Insert):
/// Ctrl+Shift+V types a control character in them, and nothing pastes the clipboard.
const PRIMARY_ONLY_TERMINALS: &[&str] = &[
    "xterm",
    "uxterm",
    "urxvt",
    "rxvt",
    "rxvt-unicode",
    "eterm",
    "aterm",
];

/// Whether the window is a terminal that pastes with Shift+Insert from the PRIMARY selection.
pub fn pastes_primary_only(window: Window<'_>) -> bool {
    [window.class, window.name]
        .into_iter()
        .any(|name| PRIMARY_ONLY_TERMINALS.contains(&normalise_window_name(name).as_str()))
}

fn normalise_window_name(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    let last = last.strip_suffix("-256color").unwrap_or(last);
    last.strip_suffix("-server").unwrap_or(last).to_owned()
}

/// The clipboard restore rule: put the user's clipboard back only if the clipboard still holds
/// our text. If it changed, the user (or an app) copied something meanwhile, and that wins.
pub fn clipboard_still_ours(current: Option<&str>, ours: &str) -> bool {
    current == Some(ours)
}

/// How long text typed by Nói counts as the context of the next dictation. The cursor may
/// have moved since; after a couple of minutes that is likely, and starting a fresh sentence
/// is the safer guess.
pub const CONTINUATION_WINDOW: Duration = Duration::from_secs(120);

/// Enough of the last insertion for the spacing and casing rules (they look at its end).
const TAIL_CHARS: usize = 32;

/// What Nói inserted last, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastInsertion {
    /// The focused window's id when it was inserted.
    pub window: String,
    tail: String,
    pub at: Instant,
}

impl LastInsertion {
    pub fn new(window: impl Into<String>, inserted: &str, at: Instant) -> Self {
        let skip = inserted.chars().count().saturating_sub(TAIL_CHARS);
        Self {
            window: window.into(),
            tail: inserted.chars().skip(skip).collect(),
            at,
        }
    }

    pub fn tail(&self) -> &str {
        &self.tail
    }
}

/// The text the next dictation continues: the last insertion's end when it went into the same
/// window recently, else `None` (start fresh: capitalised, no leading space).
pub fn previous_tail<'a>(
    last: Option<&'a LastInsertion>,
    window: &str,
    now: Instant,
) -> Option<&'a str> {
    let last = last?;
    let recent = now.saturating_duration_since(last.at) <= CONTINUATION_WINDOW;
    (last.window == window && recent).then_some(last.tail())
}

/// Exactly what to insert for the raw model text `raw`: post-processed as a continuation of
/// `previous_tail` (separating space included), plus a trailing space when asked for and the
/// text does not already end in white space. Nothing heard gives an empty string.
pub fn insertion_text(
    previous_tail: Option<&str>,
    raw: &str,
    options: &TextOptions,
    trailing_space: bool,
) -> String {
    let mut text = postprocess_after(previous_tail, raw, options);
    let ends_open = text.chars().next_back().is_some_and(|c| !c.is_whitespace());
    if trailing_space && ends_open {
        text.push(' ');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_keys_to_the_target_every_mode_copies() {
        for mode in [OutputMode::Paste, OutputMode::Type, OutputMode::CopyOnly] {
            assert_eq!(mode_for_keys(mode, false), OutputMode::CopyOnly);
            assert_eq!(mode_for_keys(mode, true), mode);
        }
    }

    fn window<'a>(class: &'a str, name: &'a str) -> Option<Window<'a>> {
        Some(Window { class, name })
    }

    #[test]
    fn terminals_are_recognised_by_class() {
        let classes = [
            "XTerm",
            "xterm",
            "Gnome-terminal",
            "gnome-terminal-server",
            "org.gnome.Console",
            "kgx",
            "konsole",
            "org.kde.konsole",
            "Alacritty",
            "kitty",
            "org.wezfurlong.wezterm",
            "com.gexperts.Tilix",
            "Terminator",
            "URxvt",
            "foot",
            "footclient",
            "st-256color",
            "St",
            "Xfce4-terminal",
            "com.mitchellh.ghostty",
            "org.gnome.Ptyxis",
        ];
        for class in classes {
            assert!(is_terminal(Window { class, name: "" }), "{class}");
        }
    }

    #[test]
    fn other_apps_are_not_terminals() {
        let classes = [
            "firefox",
            "Google-chrome",
            "steam",
            "code",
            "libreoffice-writer",
            "org.gnome.TextEditor",
            "gedit",
            "Zalo",
            "obsidian",
            "stacer",
            "",
        ];
        for class in classes {
            let target = Window {
                class,
                name: "user@host: ~/notes",
            };
            assert!(!is_terminal(target), "{class}");
        }
    }

    #[test]
    fn name_is_the_fallback_when_the_class_is_unknown() {
        assert!(is_terminal(Window {
            class: "",
            name: "xterm"
        }));
        assert!(is_terminal(Window {
            class: "",
            name: "Terminal"
        }));
        assert!(!is_terminal(Window {
            class: "",
            name: "vim terminal.rs"
        }));
    }

    #[test]
    fn paste_uses_ctrl_shift_v_in_terminals_only() {
        let text = ClipboardContent::Text;
        let terminal = choose_method(OutputMode::Paste, window("kitty", "~"), text);
        assert_eq!(
            terminal,
            Method::Paste {
                keys: PasteKeys::CtrlShiftV,
                restore_clipboard: true
            }
        );
        let editor = choose_method(OutputMode::Paste, window("gedit", "notes"), text);
        assert!(matches!(
            editor,
            Method::Paste {
                keys: PasteKeys::CtrlV,
                ..
            }
        ));
        let unknown = choose_method(OutputMode::Paste, None, text);
        assert!(matches!(
            unknown,
            Method::Paste {
                keys: PasteKeys::CtrlV,
                ..
            }
        ));
    }

    #[test]
    fn x_terminals_without_clipboard_paste_get_shift_insert() {
        let text = ClipboardContent::Text;
        // WM_CLASS as xterm, uxterm and urxvt set it (instance, class).
        for (instance, class) in [("xterm", "XTerm"), ("uxterm", "UXTerm"), ("urxvt", "URxvt")] {
            let method = choose_method(OutputMode::Paste, window(class, instance), text);
            assert_eq!(
                method,
                Method::Paste {
                    keys: PasteKeys::ShiftInsertPrimary,
                    restore_clipboard: true
                },
                "{class}"
            );
        }
        for class in ["kitty", "gnome-terminal-server", "st-256color", "konsole"] {
            let method = choose_method(OutputMode::Paste, window(class, "~"), text);
            assert!(
                matches!(
                    method,
                    Method::Paste {
                        keys: PasteKeys::CtrlShiftV,
                        ..
                    }
                ),
                "{class}"
            );
        }
    }

    #[test]
    fn clipboard_restore_depends_on_what_was_there() {
        let target = window("gedit", "");
        let restore = |previous| match choose_method(OutputMode::Paste, target, previous) {
            Method::Paste {
                restore_clipboard, ..
            } => Some(restore_clipboard),
            _ => None,
        };
        assert_eq!(restore(ClipboardContent::Text), Some(true));
        assert_eq!(restore(ClipboardContent::Image), Some(true));
        assert_eq!(restore(ClipboardContent::Empty), Some(false));
        // Rich content we cannot put back is never overwritten: type instead.
        assert_eq!(
            choose_method(OutputMode::Paste, target, ClipboardContent::Unsavable),
            Method::Type
        );
    }

    #[test]
    fn type_and_copy_modes_are_taken_as_chosen() {
        let target = window("xterm", "");
        let image = ClipboardContent::Image;
        assert_eq!(choose_method(OutputMode::Type, target, image), Method::Type);
        assert_eq!(
            choose_method(OutputMode::CopyOnly, target, image),
            Method::CopyOnly
        );
    }

    #[test]
    fn restore_only_while_the_clipboard_holds_our_text() {
        assert!(clipboard_still_ours(Some("Xin chào"), "Xin chào"));
        assert!(!clipboard_still_ours(Some("something else"), "Xin chào"));
        assert!(
            !clipboard_still_ours(None, "Xin chào"),
            "an image was copied"
        );
        assert!(!clipboard_still_ours(Some("Xin chào "), "Xin chào"));
    }

    #[test]
    fn consecutive_dictations_are_spaced_and_cased_as_a_continuation() {
        let options = TextOptions::default();
        let first = insertion_text(None, "XIN CHÀO CÁC BẠN", &options, false);
        assert_eq!(first, "Xin chào các bạn");
        let next = insertion_text(Some(&first), "HÔM NAY TRỜI ĐẸP", &options, false);
        assert_eq!(next, " hôm nay trời đẹp");
        let after_line = insertion_text(Some("Dòng một\n"), "DÒNG HAI", &options, false);
        assert_eq!(after_line, "Dòng hai");
    }

    #[test]
    fn trailing_space_is_added_once() {
        let options = TextOptions::default();
        let text = insertion_text(None, "XIN CHÀO", &options, true);
        assert_eq!(text, "Xin chào ");
        // The next dictation then needs no separating space.
        let next = insertion_text(Some(&text), "TẠM BIỆT", &options, true);
        assert_eq!(next, "tạm biệt ");
        assert_eq!(insertion_text(None, "   ", &options, true), "");
    }

    #[test]
    fn spoken_punctuation_attaches_to_the_previous_dictation() {
        let options = TextOptions {
            spoken_punctuation: true,
            ..TextOptions::default()
        };
        let text = insertion_text(Some("Xin chào"), "CHẤM HẸN GẶP LẠI", &options, false);
        assert_eq!(text, ". Hẹn gặp lại");
    }

    #[test]
    fn previous_tail_needs_the_same_window_and_a_recent_insertion() {
        let t0 = Instant::now();
        let long = "Một câu rất dài để kiểm tra rằng chỉ phần cuối được giữ lại.";
        let last = LastInsertion::new("0x3a00007", long, t0);
        assert_eq!(last.tail().chars().count(), 32);
        assert!(long.ends_with(last.tail()));
        let soon = t0 + Duration::from_secs(5);
        assert_eq!(
            previous_tail(Some(&last), "0x3a00007", soon),
            Some(last.tail())
        );
        assert_eq!(previous_tail(Some(&last), "0x4c00002", soon), None);
        let later = t0 + CONTINUATION_WINDOW + Duration::from_secs(1);
        assert_eq!(previous_tail(Some(&last), "0x3a00007", later), None);
        assert_eq!(previous_tail(None, "0x3a00007", soon), None);
    }

    #[test]
    fn output_mode_serde_falls_back_to_paste() {
        #[derive(Deserialize)]
        struct Holder {
            mode: OutputMode,
        }
        let parse = |text: &str| toml::from_str::<Holder>(text).unwrap().mode;
        assert_eq!(parse("mode = \"copy_only\""), OutputMode::CopyOnly);
        assert_eq!(parse("mode = \"type\""), OutputMode::Type);
        assert_eq!(parse("mode = \"telepathy\""), OutputMode::Paste);
    }
}
