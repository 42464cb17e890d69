//! What the recording overlay shows: the dictation's phase (from the coordinator's states,
//! which stay the one owner of state), the time, the input level and, in the live style, the
//! words so far post-processed exactly as the final will be. The shell draws; this decides,
//! including how often it may redraw and when it goes away.

use std::time::{Duration, Instant};

use noi_text::TextOptions;
use serde::Serialize;

use crate::injection_rules::insertion_text;
use crate::settings::OverlayStyle;

/// At most this many redraws a second (an overlay needs no more; the IPC is spared).
pub const MAX_REDRAWS_PER_SECOND: u32 = 15;
/// How long the overlay stays after the text was inserted (or copied) before it goes.
pub const LINGER_AFTER_DONE: Duration = Duration::from_millis(1000);
/// How long an error stays on screen.
pub const LINGER_AFTER_ERROR: Duration = Duration::from_millis(3000);

/// Where the dictation is, as the overlay names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "phase", content = "reason", rename_all = "snake_case")]
pub enum Phase {
    /// Recording: from the first audio the microphone delivered.
    Listening,
    /// Let go: the last words are being decoded.
    Transcribing,
    Inserted,
    /// The text is on the clipboard only (copy-only mode, or no way to paste).
    Copied,
    Error(String),
}

impl Phase {
    /// Whether the dictation is over (the overlay then lingers and goes).
    pub fn is_done(&self) -> bool {
        matches!(self, Phase::Inserted | Phase::Copied | Phase::Error(_))
    }

    pub fn linger(&self) -> Duration {
        match self {
            Phase::Error(_) => LINGER_AFTER_ERROR,
            _ => LINGER_AFTER_DONE,
        }
    }
}

/// One redraw's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    #[serde(flatten)]
    pub phase: Phase,
    pub elapsed_ms: u64,
    /// Input level, 0–1 (RMS, scaled for a meter).
    pub level: f32,
    /// Text that will not change (solid).
    pub committed: String,
    /// Text that may still change (dimmed).
    pub tentative: String,
    /// "vi" or "en".
    pub lang: &'static str,
}

/// Steps of the level meter: level changes smaller than one step draw nothing new.
pub const LEVEL_STEPS: f32 = 24.0;

impl View {
    /// Whether `other` would look the same on screen: same phase, words and language, the
    /// same whole second on the clock and the same meter step. Redrawing it would only cost
    /// CPU (the overlay renders in software on most machines).
    pub fn looks_like(&self, other: &View) -> bool {
        let step = |level: f32| (level.clamp(0.0, 1.0).sqrt() * LEVEL_STEPS).round();
        self.phase == other.phase
            && self.committed == other.committed
            && self.tentative == other.tentative
            && self.lang == other.lang
            && self.elapsed_ms / 1000 == other.elapsed_ms / 1000
            && step(self.level) == step(other.level)
    }
}

/// Whether the overlay window is shown at all, and with words.
pub fn shows_window(style: OverlayStyle) -> bool {
    style != OverlayStyle::Off
}

pub fn shows_text(style: OverlayStyle) -> bool {
    style == OverlayStyle::Live
}

/// The live text, split into its settled and its changing part, each written as the final
/// will be: the whole (settled + changing) goes through the same post-processing as the final
/// insertion (casing, spoken punctuation, replacements, spacing after an earlier dictation),
/// and the settled part is the longest start of it that the settled words alone also give.
pub fn live_text(
    previous_tail: Option<&str>,
    committed_raw: &str,
    tentative_raw: &str,
    options: &TextOptions,
) -> (String, String) {
    let whole_raw = match (committed_raw.trim(), tentative_raw.trim()) {
        ("", tentative) => tentative.to_owned(),
        (committed, "") => committed.to_owned(),
        (committed, tentative) => format!("{committed} {tentative}"),
    };
    let whole = insertion_text(previous_tail, &whole_raw, options, false);
    let settled = insertion_text(previous_tail, committed_raw, options, false);
    let split = common_prefix_len(&whole, &settled);
    (whole[..split].to_owned(), whole[split..].to_owned())
}

/// Length in bytes of the longest common start of `a` and `b`, on a character boundary.
fn common_prefix_len(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or_else(|| a.len().min(b.len()), |((at, _), _)| at)
}

/// Lets a redraw through at most [`MAX_REDRAWS_PER_SECOND`] times a second; a phase change
/// always goes through (it must not wait).
#[derive(Debug, Default)]
pub struct RedrawLimiter {
    last: Option<Instant>,
}

impl RedrawLimiter {
    pub fn allow(&mut self, now: Instant, phase_changed: bool) -> bool {
        let interval = Duration::from_secs(1) / MAX_REDRAWS_PER_SECOND;
        let due = self
            .last
            .is_none_or(|last| now.duration_since(last) >= interval);
        if due || phase_changed {
            self.last = Some(now);
        }
        due || phase_changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_text_is_written_as_the_final_will_be() {
        let options = TextOptions::default();
        let (settled, changing) = live_text(None, "XIN CHÀO", "CÁC BẠN", &options);
        let final_text = insertion_text(None, "XIN CHÀO CÁC BẠN", &options, false);
        assert_eq!(format!("{settled}{changing}"), final_text);
        assert!(settled.starts_with("Xin chào"), "{settled:?}");
        assert!(changing.contains("các bạn"), "{changing:?}");
    }

    #[test]
    fn live_text_with_nothing_settled_is_all_changing() {
        let options = TextOptions::default();
        let (settled, changing) = live_text(None, "", "XIN CHÀO", &options);
        assert_eq!(settled, "");
        assert_eq!(changing, insertion_text(None, "XIN CHÀO", &options, false));
    }

    #[test]
    fn live_text_continues_an_earlier_dictation() {
        let options = TextOptions::default();
        let (settled, changing) = live_text(Some("Hôm nay."), "TRỜI ĐẸP", "", &options);
        assert_eq!(changing, "");
        assert_eq!(
            settled,
            insertion_text(Some("Hôm nay."), "TRỜI ĐẸP", &options, false)
        );
    }

    #[test]
    fn the_common_start_respects_characters() {
        assert_eq!(
            common_prefix_len("Xin chào", "Xin chàu"),
            "Xin ch".len() + "à".len()
        );
        assert_eq!(common_prefix_len("abc", "abc def"), 3);
        assert_eq!(common_prefix_len("", "abc"), 0);
    }

    #[test]
    fn redraws_are_limited_to_fifteen_a_second_but_phase_changes_pass() {
        let mut limiter = RedrawLimiter::default();
        let start = Instant::now();
        let allowed = (0..1000)
            .filter(|ms| limiter.allow(start + Duration::from_millis(*ms), false))
            .count();
        assert!(
            (14..=16).contains(&allowed),
            "{allowed} redraws in a second"
        );
        assert!(limiter.allow(start + Duration::from_millis(1001), true));
        assert!(limiter.allow(start + Duration::from_millis(1002), true));
    }

    #[test]
    fn styles_decide_window_and_words() {
        assert!(shows_window(OverlayStyle::Live) && shows_text(OverlayStyle::Live));
        assert!(shows_window(OverlayStyle::Minimal) && !shows_text(OverlayStyle::Minimal));
        assert!(!shows_window(OverlayStyle::Off));
        assert!(Phase::Error("x".into()).linger() > Phase::Inserted.linger());
        assert!(Phase::Copied.is_done() && !Phase::Transcribing.is_done());
    }

    #[test]
    fn a_view_that_looks_the_same_is_not_redrawn() {
        let view = View {
            phase: Phase::Listening,
            elapsed_ms: 1200,
            level: 0.04,
            committed: "Xin chào".into(),
            tentative: String::new(),
            lang: "vi",
        };
        let later = View {
            elapsed_ms: 1900,
            level: 0.0401,
            ..view.clone()
        };
        assert!(view.looks_like(&later), "same second, same meter step");
        let next_second = View {
            elapsed_ms: 2000,
            ..view.clone()
        };
        assert!(!view.looks_like(&next_second));
        let louder = View {
            level: 0.25,
            ..view.clone()
        };
        assert!(!view.looks_like(&louder));
        let more_words = View {
            tentative: "các bạn".into(),
            ..view.clone()
        };
        assert!(!view.looks_like(&more_words));
        let done = View {
            phase: Phase::Inserted,
            ..view.clone()
        };
        assert!(!view.looks_like(&done));
    }

    #[test]
    fn views_serialise_with_their_phase_and_reason() {
        let view = View {
            phase: Phase::Error("no microphone".into()),
            elapsed_ms: 1200,
            level: 0.5,
            committed: String::new(),
            tentative: String::new(),
            lang: "vi",
        };
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["phase"], "error");
        assert_eq!(json["reason"], "no microphone");
        assert_eq!(json["elapsed_ms"], 1200);
    }
}
