//! phostt's WebSocket/SSE messages (docs/api.md, "WebSocket protocol" and "Server-sent
//! events"), byte-compatible with its clients.

use noi_engine::transcript::Word;
use serde::Serialize;
use utoipa::ToSchema;

use crate::live::{Update, WordInfo};

pub const PROTOCOL_VERSION: &str = "1.0";

/// Server → client.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Ready {
        model: String,
        sample_rate: u32,
        version: String,
        supported_rates: Vec<u32>,
    },
    Partial {
        text: String,
        timestamp: f64,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        words: Vec<WordInfo>,
    },
    Final {
        text: String,
        timestamp: f64,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        words: Vec<WordInfo>,
    },
    Error {
        message: String,
        code: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// SSE only: a problem with the file that was worked around (REST's `warnings`).
    Warning { message: String },
}

/// Client → server text messages, as [`parse_client_text`] reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    Stop,
    /// `configure`; `None` when it names no rate (nothing to change).
    Configure {
        sample_rate: Option<u32>,
    },
    /// A known message with a value we cannot use: answered with this error, not ignored.
    Invalid {
        code: &'static str,
        message: String,
    },
    /// Not JSON, or a type we do not know: ignored (docs/api.md, "WebSocket protocol").
    Unknown,
}

/// Reads one text frame. A `configure` whose `sample_rate` is not a whole number of Hz (a
/// string, a fraction, a negative number) is `Invalid`, so the client hears why its rate was
/// not taken; unknown fields are ignored.
pub fn parse_client_text(text: &str) -> ClientMessage {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str(text) else {
        return ClientMessage::Unknown;
    };
    match object.get("type").and_then(serde_json::Value::as_str) {
        Some("stop") => ClientMessage::Stop,
        Some("configure") => match object.get("sample_rate") {
            None | Some(serde_json::Value::Null) => ClientMessage::Configure { sample_rate: None },
            Some(value) => match value.as_u64().and_then(|r| u32::try_from(r).ok()) {
                Some(rate) => ClientMessage::Configure {
                    sample_rate: Some(rate),
                },
                None => ClientMessage::Invalid {
                    code: "invalid_sample_rate",
                    message: format!(
                        "sample_rate must be a whole number of Hz, not {value}; the rate stays \
                         as it was"
                    ),
                },
            },
        },
        _ => ClientMessage::Unknown,
    }
}

impl ServerMessage {
    pub fn from_update(update: Update) -> Self {
        match update {
            Update::Partial(text) => ServerMessage::Partial {
                text,
                timestamp: now(),
                words: Vec::new(),
            },
            Update::Final { text, words } => ServerMessage::Final {
                text,
                timestamp: now(),
                words: word_infos(words),
            },
        }
    }

    pub fn error(code: &str, message: impl Into<String>) -> Self {
        ServerMessage::Error {
            message: message.into(),
            code: code.to_owned(),
            retry_after_ms: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages always serialise")
    }

    /// The SSE form: like the WebSocket one, but `words` is always present (docs/api.md,
    /// "Server-sent events").
    pub fn to_sse_json(&self) -> String {
        let mut value = serde_json::to_value(self).expect("messages always serialise");
        if matches!(
            self,
            ServerMessage::Partial { .. } | ServerMessage::Final { .. }
        ) && let Some(object) = value.as_object_mut()
        {
            object
                .entry("words")
                .or_insert_with(|| serde_json::json!([]));
        }
        value.to_string()
    }
}

pub fn word_infos(words: Vec<Word>) -> Vec<WordInfo> {
    words.into_iter().map(WordInfo::from).collect()
}

/// Seconds since the Unix epoch.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phostt_shapes() {
        let ready = ServerMessage::Ready {
            model: "m".into(),
            sample_rate: 48000,
            version: PROTOCOL_VERSION.into(),
            supported_rates: vec![16000],
        };
        let v: serde_json::Value = serde_json::from_str(&ready.to_json()).unwrap();
        assert_eq!(v["type"], "ready");
        assert_eq!(v["version"], "1.0");
        let partial = ServerMessage::from_update(Update::Partial("Xin".into()));
        let v: serde_json::Value = serde_json::from_str(&partial.to_json()).unwrap();
        assert_eq!(v["type"], "partial");
        assert!(v.get("words").is_none(), "empty words are omitted");
        assert!(v["timestamp"].as_f64().unwrap() > 1.7e9);
        let err = ServerMessage::error("configure_too_late", "x");
        let v: serde_json::Value = serde_json::from_str(&err.to_json()).unwrap();
        assert!(v.get("retry_after_ms").is_none());
    }

    #[test]
    fn client_messages() {
        assert_eq!(parse_client_text(r#"{"type":"stop"}"#), ClientMessage::Stop);
        assert_eq!(
            parse_client_text(r#"{"type":"configure","sample_rate":16000,"diarization":true}"#),
            ClientMessage::Configure {
                sample_rate: Some(16000)
            }
        );
        assert_eq!(
            parse_client_text(r#"{"type":"configure"}"#),
            ClientMessage::Configure { sample_rate: None }
        );
        assert_eq!(
            parse_client_text(r#"{"type":"dance"}"#),
            ClientMessage::Unknown
        );
        assert_eq!(parse_client_text("not json"), ClientMessage::Unknown);
        assert_eq!(parse_client_text("[1,2]"), ClientMessage::Unknown);
    }

    #[test]
    fn a_rate_that_is_not_a_whole_number_is_an_error() {
        for rate in [
            r#""16000""#,
            "16000.5",
            "-8000",
            "1e20",
            "true",
            "4294967296",
        ] {
            let text = format!(r#"{{"type":"configure","sample_rate":{rate}}}"#);
            assert!(
                matches!(
                    parse_client_text(&text),
                    ClientMessage::Invalid {
                        code: "invalid_sample_rate",
                        ..
                    }
                ),
                "{text}"
            );
        }
    }
}
