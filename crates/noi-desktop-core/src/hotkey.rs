//! Hotkey combinations: parsing and formatting accelerator strings, conflicts with Vietnamese
//! input methods, and which modifiers must be up before text is injected.
//!
//! The string form is the one Tauri's global-shortcut plugin parses ("Ctrl+Alt+Space",
//! "Super+Shift+D"): [`Accelerator`]'s `Display` output can be handed to it unchanged. Parsing
//! is case-insensitive and accepts the usual aliases (Control, Option, Meta, Win, Cmd, Esc,
//! Return, KeyA, Digit1, ArrowUp…). `CommandOrControl` is Ctrl: this app is Linux-first.
//!
//! # The default: Ctrl+Alt+Space
//! Vietnamese users run an input method (Unikey, EVKey, OpenKey, ibus-bamboo, ibus-unikey,
//! fcitx5-unikey/bamboo) whose on/off and switch keys are Ctrl+Shift, Alt+Z, Ctrl+Space
//! (fcitx, older ibus) and Super+Space (ibus, GNOME input sources). A dictation hotkey on any
//! of them breaks typing. Ctrl+Alt+Space uses none of them, is not a default binding of GNOME,
//! KDE or Xfce, types nothing, and puts push-to-talk on the largest key.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The default hotkey; see the module docs for why.
pub const DEFAULT_HOTKEY: &str = "Ctrl+Alt+Space";

/// A modifier key. The order is the display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Modifier {
    Ctrl,
    Alt,
    Shift,
    Super,
}

impl Modifier {
    pub const ALL: [Modifier; 4] = [
        Modifier::Ctrl,
        Modifier::Alt,
        Modifier::Shift,
        Modifier::Super,
    ];

    fn bit(self) -> u8 {
        1 << self as u8
    }

    fn name(self) -> &'static str {
        match self {
            Modifier::Ctrl => "Ctrl",
            Modifier::Alt => "Alt",
            Modifier::Shift => "Shift",
            Modifier::Super => "Super",
        }
    }

    fn parse(token: &str) -> Option<Modifier> {
        Some(match token {
            "ctrl" | "control" | "commandorcontrol" | "cmdorctrl" | "cmdorcontrol" => {
                Modifier::Ctrl
            }
            "alt" | "option" => Modifier::Alt,
            "shift" => Modifier::Shift,
            "super" | "meta" | "win" | "windows" | "cmd" | "command" | "logo" => Modifier::Super,
            _ => return None,
        })
    }
}

/// A set of modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Modifiers(u8);

impl Modifiers {
    pub const NONE: Modifiers = Modifiers(0);

    pub fn contains(self, modifier: Modifier) -> bool {
        self.0 & modifier.bit() != 0
    }

    pub fn with(self, modifier: Modifier) -> Modifiers {
        Modifiers(self.0 | modifier.bit())
    }

    pub fn intersection(self, other: Modifiers) -> Modifiers {
        Modifiers(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Modifier> {
        Modifier::ALL.into_iter().filter(move |m| self.contains(*m))
    }
}

impl FromIterator<Modifier> for Modifiers {
    fn from_iter<I: IntoIterator<Item = Modifier>>(iter: I) -> Self {
        iter.into_iter().fold(Modifiers::NONE, Modifiers::with)
    }
}

/// The non-modifier key of a combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A–Z, stored upper case.
    Letter(char),
    /// 0–9.
    Digit(u8),
    /// F1–F24.
    Function(u8),
    Named(NamedKey),
}

/// Keys with names. Punctuation uses the physical-key names Tauri understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedKey {
    Space,
    Enter,
    Tab,
    Backspace,
    Escape,
    Insert,
    Delete,
    Home,
    End,
    PageUp,
    PageDown,
    ArrowUp,
    ArrowDown,
    ArrowLeft,
    ArrowRight,
    Backquote,
    Minus,
    Equal,
    BracketLeft,
    BracketRight,
    Backslash,
    Semicolon,
    Quote,
    Comma,
    Period,
    Slash,
    PrintScreen,
    ScrollLock,
    Pause,
}

/// Canonical names (first) and aliases, all matched lower case.
const NAMED_KEYS: &[(NamedKey, &[&str])] = &[
    (NamedKey::Space, &["Space"]),
    (NamedKey::Enter, &["Enter", "return"]),
    (NamedKey::Tab, &["Tab"]),
    (NamedKey::Backspace, &["Backspace"]),
    (NamedKey::Escape, &["Escape", "esc"]),
    (NamedKey::Insert, &["Insert", "ins"]),
    (NamedKey::Delete, &["Delete", "del"]),
    (NamedKey::Home, &["Home"]),
    (NamedKey::End, &["End"]),
    (NamedKey::PageUp, &["PageUp", "pgup"]),
    (NamedKey::PageDown, &["PageDown", "pgdn"]),
    (NamedKey::ArrowUp, &["Up", "arrowup"]),
    (NamedKey::ArrowDown, &["Down", "arrowdown"]),
    (NamedKey::ArrowLeft, &["Left", "arrowleft"]),
    (NamedKey::ArrowRight, &["Right", "arrowright"]),
    (NamedKey::Backquote, &["Backquote", "`", "grave"]),
    (NamedKey::Minus, &["Minus", "-"]),
    (NamedKey::Equal, &["Equal", "="]),
    (NamedKey::BracketLeft, &["BracketLeft", "["]),
    (NamedKey::BracketRight, &["BracketRight", "]"]),
    (NamedKey::Backslash, &["Backslash", "\\"]),
    (NamedKey::Semicolon, &["Semicolon", ";"]),
    (NamedKey::Quote, &["Quote", "'"]),
    (NamedKey::Comma, &["Comma", ","]),
    (NamedKey::Period, &["Period", "."]),
    (NamedKey::Slash, &["Slash", "/"]),
    (NamedKey::PrintScreen, &["PrintScreen", "print"]),
    (NamedKey::ScrollLock, &["ScrollLock"]),
    (NamedKey::Pause, &["Pause"]),
];

impl Key {
    fn parse(token: &str) -> Option<Key> {
        let bare = token
            .strip_prefix("key")
            .filter(|rest| rest.len() == 1)
            .or_else(|| token.strip_prefix("digit").filter(|rest| rest.len() == 1))
            .unwrap_or(token);
        let mut chars = bare.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_ascii_alphabetic() {
                return Some(Key::Letter(c.to_ascii_uppercase()));
            }
            if let Some(d) = c.to_digit(10) {
                return Some(Key::Digit(d as u8));
            }
        }
        if let Some(n) = token.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
            && (1..=24).contains(&n)
        {
            return Some(Key::Function(n));
        }
        NAMED_KEYS
            .iter()
            .find(|(_, names)| names.iter().any(|name| name.eq_ignore_ascii_case(token)))
            .map(|(key, _)| Key::Named(*key))
    }

    /// Whether pressing the key alone (or with Shift) types into a text field.
    fn types_text(self) -> bool {
        match self {
            Key::Letter(_) | Key::Digit(_) => true,
            Key::Function(_) => false,
            Key::Named(key) => !matches!(
                key,
                NamedKey::Escape
                    | NamedKey::Insert
                    | NamedKey::Home
                    | NamedKey::End
                    | NamedKey::PageUp
                    | NamedKey::PageDown
                    | NamedKey::ArrowUp
                    | NamedKey::ArrowDown
                    | NamedKey::ArrowLeft
                    | NamedKey::ArrowRight
                    | NamedKey::PrintScreen
                    | NamedKey::ScrollLock
                    | NamedKey::Pause
            ),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Letter(c) => write!(f, "{c}"),
            Key::Digit(d) => write!(f, "{d}"),
            Key::Function(n) => write!(f, "F{n}"),
            Key::Named(key) => {
                let names = NAMED_KEYS.iter().find(|(k, _)| k == key).map(|(_, n)| n);
                f.write_str(names.and_then(|n| n.first()).copied().unwrap_or("?"))
            }
        }
    }
}

/// A hotkey: modifiers plus one key. Serialised as its string form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Accelerator {
    pub modifiers: Modifiers,
    pub key: Key,
}

impl Default for Accelerator {
    fn default() -> Self {
        Accelerator {
            modifiers: [Modifier::Ctrl, Modifier::Alt].into_iter().collect(),
            key: Key::Named(NamedKey::Space),
        }
    }
}

/// Why an accelerator string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("the hotkey is empty: press a combination such as Ctrl+Alt+Space")]
    Empty,
    #[error(
        "\"{0}\" is not a key name: use names such as Ctrl, Alt, Shift, Super, A, 5, F9, Space"
    )]
    UnknownKey(String),
    #[error(
        "\"{0}\" has only modifiers: add a key, e.g. \"{0}+Space\" (global shortcuts need one)"
    )]
    NoKey(String),
    #[error("\"{0}\" has two keys ({1} and {2}): a hotkey is modifiers plus one key")]
    TwoKeys(String, String, String),
    #[error("\"{0}\" names {1} twice")]
    DuplicateModifier(String, &'static str),
}

impl FromStr for Accelerator {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, ParseError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ParseError::Empty);
        }
        let mut modifiers = Modifiers::NONE;
        let mut key: Option<Key> = None;
        for raw in split_tokens(text) {
            let token = raw.to_lowercase();
            if let Some(modifier) = Modifier::parse(&token) {
                if modifiers.contains(modifier) {
                    return Err(ParseError::DuplicateModifier(text.into(), modifier.name()));
                }
                modifiers = modifiers.with(modifier);
                continue;
            }
            let parsed = Key::parse(&token).ok_or_else(|| ParseError::UnknownKey(raw.into()))?;
            if let Some(first) = key {
                let (a, b) = (first.to_string(), parsed.to_string());
                return Err(ParseError::TwoKeys(text.into(), a, b));
            }
            key = Some(parsed);
        }
        let key = key.ok_or_else(|| ParseError::NoKey(text.into()))?;
        Ok(Accelerator { modifiers, key })
    }
}

/// Splits on `+`. The Plus key itself is named by its physical key, "Equal".
fn split_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split('+').map(str::trim).filter(|t| !t.is_empty())
}

impl fmt::Display for Accelerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for modifier in self.modifiers.iter() {
            write!(f, "{}+", modifier.name())?;
        }
        write!(f, "{}", self.key)
    }
}

impl TryFrom<String> for Accelerator {
    type Error = ParseError;
    fn try_from(text: String) -> Result<Self, ParseError> {
        text.parse()
    }
}

impl From<Accelerator> for String {
    fn from(accelerator: Accelerator) -> String {
        accelerator.to_string()
    }
}

/// A reason not to use a combination. The settings window shows [`Conflict`]'s message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Conflict {
    #[error("{0} types text: it would be taken from every app. Add Ctrl, Alt or Super")]
    TypesText(String),
    #[error("{combo} switches the Vietnamese input method ({who}): typing would break")]
    InputMethodSwitch { combo: String, who: &'static str },
    #[error("{combo} is {what}: pick a combination apps do not use")]
    Reserved { combo: String, what: &'static str },
}

/// Combinations known to switch an input method, with who uses them.
const INPUT_METHOD_KEYS: &[(&str, &str)] = &[
    ("Ctrl+Space", "fcitx, fcitx5 and older ibus on/off"),
    ("Super+Space", "ibus and GNOME input-source switch"),
    (
        "Super+Shift+Space",
        "ibus and GNOME input-source switch (backwards)",
    ),
    ("Alt+Z", "Unikey, EVKey and OpenKey on/off"),
    ("Alt+Shift+Z", "Unikey, EVKey and OpenKey on/off"),
    ("Ctrl+Alt+Z", "EVKey and OpenKey on/off"),
];

/// Combinations the injector or nearly every app depends on.
const RESERVED: &[(&str, &str)] = &[
    ("Ctrl+V", "paste, which Nói sends itself"),
    ("Ctrl+Shift+V", "terminal paste, which Nói sends itself"),
    ("Ctrl+C", "copy"),
    ("Ctrl+X", "cut"),
    ("Ctrl+Z", "undo"),
    ("Ctrl+A", "select all"),
    ("Escape", "the key that cancels a dictation"),
    ("Alt+Tab", "the window switcher"),
    ("Alt+F4", "close window"),
    ("Ctrl+Alt+Delete", "log out"),
];

/// Everything wrong with `accelerator` as a dictation hotkey; empty when it is safe.
///
/// Ctrl+Shift is the most common Vietnamese input-method switch (Unikey, EVKey, OpenKey: it
/// fires when Ctrl+Shift go down and up with no other key). Ctrl+Shift plus a key does not
/// fire it, but in push-to-talk the user presses and releases the modifiers around the key,
/// and a key pressed a moment late switches the input method, so any Ctrl+Shift combination
/// is flagged. The same holds for Alt+Shift (layout switch).
pub fn conflicts(accelerator: &Accelerator) -> Vec<Conflict> {
    let combo = accelerator.to_string();
    let mods = accelerator.modifiers;
    let mut found = Vec::new();
    let only_shift = mods.iter().all(|m| m == Modifier::Shift);
    if only_shift && accelerator.key.types_text() {
        found.push(Conflict::TypesText(combo.clone()));
    }
    let same = |text: &str| text.parse::<Accelerator>().ok() == Some(*accelerator);
    for (keys, who) in INPUT_METHOD_KEYS {
        if same(keys) {
            found.push(Conflict::InputMethodSwitch {
                combo: combo.clone(),
                who,
            });
        }
    }
    let pair = |a, b| mods.contains(a) && mods.contains(b);
    if pair(Modifier::Ctrl, Modifier::Shift) && !mods.contains(Modifier::Alt) {
        found.push(Conflict::InputMethodSwitch {
            combo: combo.clone(),
            who: "Ctrl+Shift, the Unikey, EVKey and OpenKey switch",
        });
    } else if pair(Modifier::Alt, Modifier::Shift) && !mods.contains(Modifier::Ctrl) {
        found.push(Conflict::InputMethodSwitch {
            combo: combo.clone(),
            who: "Alt+Shift, the keyboard layout switch",
        });
    }
    for (keys, what) in RESERVED {
        if same(keys) {
            found.push(Conflict::Reserved {
                combo: combo.clone(),
                what,
            });
        }
    }
    found
}

/// Which of the held modifiers must be released before injecting.
///
/// While the user still holds the hotkey's modifiers, a synthetic Ctrl+V arrives as, say,
/// Ctrl+Alt+V, and typed letters as shortcuts. The shell polls the held modifiers and waits
/// (with a timeout) until this is empty. Only the hotkey's own modifiers are waited for: the
/// user may legitimately hold another one, and those are the ones our own gesture put down.
pub fn modifiers_to_release(hotkey: &Accelerator, held: Modifiers) -> Modifiers {
    hotkey.modifiers.intersection(held)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(text: &str) -> Accelerator {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_formats_canonically() {
        let cases = [
            ("Ctrl+Alt+Space", "Ctrl+Alt+Space"),
            ("Super+Shift+D", "Shift+Super+D"),
            ("alt + ctrl + space", "Ctrl+Alt+Space"),
            ("Control+Option+KeyV", "Ctrl+Alt+V"),
            ("CommandOrControl+Shift+digit5", "Ctrl+Shift+5"),
            ("Meta+Alt+v", "Alt+Super+V"),
            ("F9", "F9"),
            ("Ctrl+F12", "Ctrl+F12"),
            ("Ctrl+Alt+esc", "Ctrl+Alt+Escape"),
            ("Win+ArrowUp", "Super+Up"),
            ("Ctrl+Alt+`", "Ctrl+Alt+Backquote"),
        ];
        for (input, canonical) in cases {
            let parsed = acc(input);
            assert_eq!(parsed.to_string(), canonical, "{input}");
            assert_eq!(acc(canonical), parsed, "round trip of {canonical}");
        }
    }

    #[test]
    fn default_is_ctrl_alt_space_and_conflict_free() {
        assert_eq!(Accelerator::default(), acc(DEFAULT_HOTKEY));
        assert_eq!(conflicts(&Accelerator::default()), []);
        assert_eq!(conflicts(&acc("Super+Alt+V")), []);
        assert_eq!(conflicts(&acc("F9")), []);
    }

    #[test]
    fn rejects_bad_strings_with_a_useful_message() {
        assert_eq!("".parse::<Accelerator>(), Err(ParseError::Empty));
        assert_eq!(
            "Ctrl+Shift".parse::<Accelerator>(),
            Err(ParseError::NoKey("Ctrl+Shift".into()))
        );
        assert_eq!(
            "Ctrl+Hyper+A".parse::<Accelerator>(),
            Err(ParseError::UnknownKey("Hyper".into()))
        );
        assert_eq!(
            "Ctrl+A+B".parse::<Accelerator>(),
            Err(ParseError::TwoKeys(
                "Ctrl+A+B".into(),
                "A".into(),
                "B".into()
            ))
        );
        assert!(matches!(
            "Ctrl+Control+A".parse::<Accelerator>(),
            Err(ParseError::DuplicateModifier(_, "Ctrl"))
        ));
        assert!(matches!(
            "F25".parse::<Accelerator>(),
            Err(ParseError::UnknownKey(_))
        ));
        let message = "Ctrl+Shift".parse::<Accelerator>().unwrap_err().to_string();
        assert!(message.contains("add a key"), "{message}");
    }

    #[test]
    fn flags_vietnamese_input_method_keys() {
        for combo in [
            "Ctrl+Space",
            "Alt+Z",
            "Super+Space",
            "Ctrl+Shift+D",
            "Alt+Shift+X",
        ] {
            let found = conflicts(&acc(combo));
            assert!(
                found
                    .iter()
                    .any(|c| matches!(c, Conflict::InputMethodSwitch { .. })),
                "{combo}: {found:?}"
            );
        }
        // Ctrl+Alt+Shift is not the two-key switch.
        assert_eq!(conflicts(&acc("Ctrl+Alt+Shift+D")), []);
    }

    #[test]
    fn flags_keys_that_type() {
        for combo in ["A", "Shift+A", "Space", "5", "Shift+Period", "Enter"] {
            assert!(
                matches!(conflicts(&acc(combo))[..], [Conflict::TypesText(_), ..]),
                "{combo}"
            );
        }
        assert_eq!(conflicts(&acc("Pause")), []);
        assert_eq!(conflicts(&acc("Shift+F8")), []);
    }

    #[test]
    fn flags_reserved_combinations() {
        let found = conflicts(&acc("Ctrl+V"));
        assert!(matches!(&found[..], [Conflict::Reserved { what, .. }] if what.contains("paste")));
        assert!(!conflicts(&acc("Ctrl+Shift+V")).is_empty());
        assert!(!conflicts(&acc("Escape")).is_empty());
    }

    #[test]
    fn conflict_messages_name_the_problem() {
        let message = conflicts(&acc("Alt+Z"))[0].to_string();
        assert!(
            message.contains("Alt+Z") && message.contains("Unikey"),
            "{message}"
        );
    }

    #[test]
    fn modifiers_to_release_are_the_held_hotkey_modifiers() {
        let hotkey = acc("Ctrl+Alt+Space");
        let held: Modifiers = [Modifier::Alt, Modifier::Shift].into_iter().collect();
        let wait = modifiers_to_release(&hotkey, held);
        assert_eq!(wait.iter().collect::<Vec<_>>(), [Modifier::Alt]);
        assert!(modifiers_to_release(&hotkey, Modifiers::NONE).is_empty());
        let all: Modifiers = Modifier::ALL.into_iter().collect();
        assert_eq!(
            modifiers_to_release(&acc("Super+Alt+V"), all)
                .iter()
                .collect::<Vec<_>>(),
            [Modifier::Alt, Modifier::Super]
        );
        assert!(modifiers_to_release(&acc("F9"), all).is_empty());
    }

    #[test]
    fn serde_uses_the_string_form() {
        #[derive(Serialize, Deserialize)]
        struct Holder {
            hotkey: Accelerator,
        }
        let text = toml::to_string(&Holder {
            hotkey: acc("Super+Alt+V"),
        })
        .unwrap();
        assert_eq!(text.trim(), "hotkey = \"Alt+Super+V\"");
        let back: Holder = toml::from_str("hotkey = \"ctrl+alt+space\"").unwrap();
        assert_eq!(back.hotkey, Accelerator::default());
        assert!(toml::from_str::<Holder>("hotkey = \"Ctrl+\"").is_err());
    }
}
