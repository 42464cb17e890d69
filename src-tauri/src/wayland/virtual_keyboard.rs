//! Keystrokes on Wayland through `zwp_virtual_keyboard_v1` (sway, Hyprland, river, Wayfire…):
//! the paste chord, and typed Unicode text.
//!
//! A virtual keyboard sends keycodes, so it first uploads a keymap that gives each keycode the
//! keysym it needs (the modifiers, `v`, `Insert`, or the characters of a text: any Unicode
//! character is a keysym, `U1EA1` for "ạ"). The compositor hands the keymap to the focused
//! app before the first key of this device.

use std::io::{Seek, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use noi_desktop_core::injection_rules::PasteKeys;
use thiserror::Error;
use wayland_client::globals::{GlobalListContents, registry_queue_init};
use wayland_client::protocol::{wl_registry, wl_seat};
use wayland_client::{Connection, Dispatch, EventQueue, QueueHandle};
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::{
    zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1,
    zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1,
};

#[derive(Debug, Error)]
pub enum VirtualKeyboardError {
    #[error("no Wayland display: {0}")]
    Connect(String),
    #[error("the compositor offers no virtual keyboard (zwp_virtual_keyboard_manager_v1)")]
    Unsupported,
    #[error("the Wayland connection failed: {0}")]
    Protocol(String),
    #[error("could not pass the keymap to the compositor: {0}")]
    Keymap(std::io::Error),
}

/// xkb's keymap format number for `zwp_virtual_keyboard_v1.keymap` (XKB_V1).
const KEYMAP_FORMAT_XKB_V1: u32 = 1;
/// Keycodes 9… carry our keysyms (xkb keycodes are evdev codes + 8; 8 is the lowest).
const FIRST_KEYCODE: u32 = 9;
/// The most keysyms one keymap carries; longer texts upload a keymap per chunk.
const KEYSYMS_PER_KEYMAP: usize = 200;
/// Modifier masks in the keymap below (xkb's real modifiers: Shift = bit 0, Control = bit 2).
const SHIFT_MASK: u32 = 1;
const CONTROL_MASK: u32 = 1 << 2;
/// Time for the focused app to take in a new keymap before its first key: an app that gets
/// the key in the same read as the keymap can still be compiling it and drop that key.
const KEYMAP_SETTLE: Duration = Duration::from_millis(30);
/// GTK 3 reads a key through the keymap current when it *handles* the key, not the one it
/// was sent with: a new keymap waits this long after the last key of the old one.
const KEYS_SETTLE: Duration = Duration::from_millis(150);
/// A key at the end of every keymap that is never pressed: GTK 3's shortcut matching never
/// finds the keymap's highest keycode (Shift+Insert would be lost if Insert were last).
const SPARE_KEYSYM: &str = "F24";

/// One virtual keyboard on the default seat, kept for the app's life.
pub struct VirtualKeyboard {
    connection: Connection,
    queue: EventQueue<State>,
    keyboard: ZwpVirtualKeyboardV1,
    /// The keysyms of the keymap now uploaded (keycode = FIRST_KEYCODE + index).
    keymap: Vec<String>,
    started: Instant,
    /// When the last key was sent (a new keymap waits for it to be handled).
    last_key: Option<Instant>,
}

impl VirtualKeyboard {
    /// Connects to `$WAYLAND_DISPLAY` and creates a virtual keyboard on the first seat.
    pub fn connect() -> Result<VirtualKeyboard, VirtualKeyboardError> {
        let connection = Connection::connect_to_env()
            .map_err(|e| VirtualKeyboardError::Connect(e.to_string()))?;
        let (globals, queue) = registry_queue_init::<State>(&connection)
            .map_err(|e| VirtualKeyboardError::Protocol(e.to_string()))?;
        let qh = queue.handle();
        let manager: ZwpVirtualKeyboardManagerV1 = globals
            .bind(&qh, 1..=1, ())
            .map_err(|_| VirtualKeyboardError::Unsupported)?;
        let seat: wl_seat::WlSeat = globals
            .bind(&qh, 1..=7, ())
            .map_err(|e| VirtualKeyboardError::Protocol(format!("no seat: {e}")))?;
        let keyboard = manager.create_virtual_keyboard(&seat, &qh, ());
        let mut keyboard = VirtualKeyboard {
            connection,
            queue,
            keyboard,
            keymap: Vec::new(),
            started: Instant::now(),
            last_key: None,
        };
        keyboard.roundtrip()?;
        Ok(keyboard)
    }

    /// Presses the paste chord (Ctrl+V, Ctrl+Shift+V or Shift+Insert).
    pub fn paste(&mut self, keys: PasteKeys) -> Result<(), VirtualKeyboardError> {
        let (mask, key) = match keys {
            PasteKeys::CtrlV => (CONTROL_MASK, "v"),
            PasteKeys::CtrlShiftV => (CONTROL_MASK | SHIFT_MASK, "v"),
            PasteKeys::ShiftInsertPrimary => (SHIFT_MASK, "Insert"),
        };
        self.use_keymap(&["Control_L", "Shift_L", "v", "Insert"])?;
        let modifiers: Vec<u32> = [(CONTROL_MASK, 0), (SHIFT_MASK, 1)]
            .into_iter()
            .filter(|(bit, _)| mask & bit != 0)
            .map(|(_, index)| index)
            .collect();
        for &index in &modifiers {
            self.key(index, true);
        }
        self.keyboard.modifiers(mask, 0, 0, 0);
        let key = self.keycode_index(key);
        self.key(key, true);
        self.key(key, false);
        for &index in modifiers.iter().rev() {
            self.key(index, false);
        }
        self.keyboard.modifiers(0, 0, 0, 0);
        self.roundtrip()
    }

    /// Types `text`, one key per character, whatever its script.
    pub fn type_text(&mut self, text: &str) -> Result<(), VirtualKeyboardError> {
        let keysyms: Vec<String> = text.chars().map(char_keysym).collect();
        for chunk in chunks_of_distinct(&keysyms, KEYSYMS_PER_KEYMAP) {
            let mut distinct: Vec<&str> = Vec::new();
            for keysym in chunk {
                if !distinct.contains(&keysym.as_str()) {
                    distinct.push(keysym);
                }
            }
            self.use_keymap(&distinct)?;
            for keysym in chunk {
                let index = self.keycode_index(keysym);
                self.key(index, true);
                self.key(index, false);
            }
            self.roundtrip()?;
        }
        Ok(())
    }

    /// Uploads a keymap with `keysyms` unless the current one already has them all.
    fn use_keymap(&mut self, keysyms: &[&str]) -> Result<(), VirtualKeyboardError> {
        if keysyms.iter().all(|k| self.keymap.iter().any(|m| m == k)) {
            return Ok(());
        }
        if let Some(elapsed) = self.last_key.map(|at| at.elapsed())
            && elapsed < KEYS_SETTLE
        {
            std::thread::sleep(KEYS_SETTLE - elapsed);
        }
        let mut keysyms = keysyms.to_vec();
        keysyms.push(SPARE_KEYSYM);
        let keysyms = keysyms.as_slice();
        let text = keymap_text(keysyms);
        let mut file = tempfile::tempfile().map_err(VirtualKeyboardError::Keymap)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.write_all(&[0]))
            .and_then(|()| file.flush())
            .and_then(|()| file.rewind())
            .map_err(VirtualKeyboardError::Keymap)?;
        let size = text.len() as u32 + 1;
        self.keyboard
            .keymap(KEYMAP_FORMAT_XKB_V1, file.as_fd(), size);
        self.keymap = keysyms.iter().map(|k| (*k).to_owned()).collect();
        self.roundtrip()?;
        std::thread::sleep(KEYMAP_SETTLE);
        Ok(())
    }

    fn keycode_index(&self, keysym: &str) -> u32 {
        self.keymap
            .iter()
            .position(|k| k == keysym)
            .expect("the keymap was made with this keysym") as u32
    }

    /// A key event for the keymap's `index`-th keysym (the protocol takes evdev codes).
    fn key(&mut self, index: u32, pressed: bool) {
        self.last_key = Some(Instant::now());
        let time = self.started.elapsed().as_millis() as u32;
        let evdev = FIRST_KEYCODE + index - 8;
        self.keyboard.key(time, evdev, u32::from(pressed));
    }

    fn roundtrip(&mut self) -> Result<(), VirtualKeyboardError> {
        self.connection
            .flush()
            .map_err(|e| VirtualKeyboardError::Protocol(e.to_string()))?;
        self.queue
            .roundtrip(&mut State)
            .map(|_| ())
            .map_err(|e| VirtualKeyboardError::Protocol(e.to_string()))
    }
}

impl Drop for VirtualKeyboard {
    fn drop(&mut self) {
        self.keyboard.destroy();
        let _ = self.connection.flush();
    }
}

/// The keysym that types `c`: Return and Tab for their control characters, else the Unicode
/// keysym (`U0041`); xkb maps Latin-1 and the rest to the right keysym values.
pub fn char_keysym(c: char) -> String {
    match c {
        '\n' => "Return".to_owned(),
        '\t' => "Tab".to_owned(),
        c => format!("U{:04X}", c as u32),
    }
}

/// Splits `keysyms` into runs holding at most `limit` distinct keysyms each.
fn chunks_of_distinct(keysyms: &[String], limit: usize) -> Vec<&[String]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut distinct: Vec<&str> = Vec::new();
    for (i, keysym) in keysyms.iter().enumerate() {
        if !distinct.contains(&keysym.as_str()) {
            if distinct.len() == limit {
                chunks.push(&keysyms[start..i]);
                start = i;
                distinct.clear();
            }
            distinct.push(keysym);
        }
    }
    if start < keysyms.len() {
        chunks.push(&keysyms[start..]);
    }
    chunks
}

/// An xkb keymap giving keycode `FIRST_KEYCODE + i` the keysym `keysyms[i]`, with Control_L
/// and Shift_L (where present) as the Control and Shift modifiers.
pub fn keymap_text(keysyms: &[&str]) -> String {
    let last = FIRST_KEYCODE + keysyms.len() as u32;
    let mut text = format!(
        "xkb_keymap {{\nxkb_keycodes \"noi\" {{\n minimum = 8;\n maximum = {};\n",
        last.max(FIRST_KEYCODE + 1)
    );
    for (i, _) in keysyms.iter().enumerate() {
        text.push_str(&format!(" <K{i}> = {};\n", FIRST_KEYCODE + i as u32));
    }
    text.push_str("};\nxkb_types \"noi\" { include \"complete\" };\n");
    text.push_str("xkb_compat \"noi\" { include \"complete\" };\n");
    text.push_str("xkb_symbols \"noi\" {\n");
    for (i, keysym) in keysyms.iter().enumerate() {
        text.push_str(&format!(" key <K{i}> {{ [ {keysym} ] }};\n"));
        match *keysym {
            "Control_L" => text.push_str(&format!(" modifier_map Control {{ <K{i}> }};\n")),
            "Shift_L" => text.push_str(&format!(" modifier_map Shift {{ <K{i}> }};\n")),
            _ => {}
        }
    }
    text.push_str("};\n};\n");
    text
}

/// No events are read from these objects; the registry's are kept by `GlobalList`.
struct State;

impl Dispatch<wl_registry::WlRegistry, GlobalListContents> for State {
    fn event(
        _: &mut State,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<State>,
    ) {
    }
}

impl Dispatch<wl_seat::WlSeat, ()> for State {
    fn event(
        _: &mut State,
        _: &wl_seat::WlSeat,
        _: wl_seat::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<State>,
    ) {
    }
}

impl Dispatch<ZwpVirtualKeyboardManagerV1, ()> for State {
    fn event(
        _: &mut State,
        _: &ZwpVirtualKeyboardManagerV1,
        _: <ZwpVirtualKeyboardManagerV1 as wayland_client::Proxy>::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<State>,
    ) {
    }
}

impl Dispatch<ZwpVirtualKeyboardV1, ()> for State {
    fn event(
        _: &mut State,
        _: &ZwpVirtualKeyboardV1,
        _: <ZwpVirtualKeyboardV1 as wayland_client::Proxy>::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<State>,
    ) {
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_become_unicode_keysyms() {
        assert_eq!(char_keysym('a'), "U0061");
        assert_eq!(char_keysym('ạ'), "U1EA1");
        assert_eq!(char_keysym('đ'), "U0111");
        assert_eq!(char_keysym('\n'), "Return");
        assert_eq!(char_keysym('😀'), "U1F600");
    }

    #[test]
    fn long_texts_are_cut_where_the_keymap_would_overflow() {
        let keysyms: Vec<String> = "abcabcd".chars().map(char_keysym).collect();
        let chunks = chunks_of_distinct(&keysyms, 3);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].len(), 6);
        assert_eq!(chunks[1], [char_keysym('d')]);
        assert_eq!(chunks_of_distinct(&keysyms, 10).len(), 1);
        assert!(chunks_of_distinct(&[], 3).is_empty());
    }

    #[test]
    fn the_keymap_maps_each_keysym_and_the_modifiers() {
        let text = keymap_text(&["Control_L", "Shift_L", "v"]);
        assert!(text.contains("<K0> = 9;"));
        assert!(text.contains("<K2> = 11;"));
        assert!(text.contains("key <K2> { [ v ] };"));
        assert!(text.contains("modifier_map Control { <K0> };"));
        assert!(text.contains("modifier_map Shift { <K1> };"));
        assert!(text.contains("maximum = 12;"));
    }
}
