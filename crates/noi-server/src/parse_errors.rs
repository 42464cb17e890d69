//! hyper's automatic answers, in the API's JSON error shape.
//!
//! A request hyper cannot parse (a bad request line or header, a URL or header block over its
//! limits) never reaches a route: hyper answers it itself, 400, 414 or 431 with an empty body,
//! and closes the connection. hyper has no hook for that answer, so the connection's transport
//! swaps it for the same status with a JSON body like every other error (docs/api.md,
//! "Errors"). Routes never answer those statuses without a body, so an empty one can only be
//! hyper's.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ErrorBody;

/// The JSON answer standing in for `head` when `head` is one of hyper's automatic answers (a
/// whole response head of status 400, 414 or 431 saying `content-length: 0`); else None.
pub fn json_answer_for(head: &[u8]) -> Option<Vec<u8>> {
    let status = automatic_answer_status(head)?;
    let (code, message) = match status.as_u16() {
        400 => (
            "bad_request",
            "the request is not valid HTTP/1.1: its request line or a header could not be parsed",
        ),
        414 => ("uri_too_long", "the request's URL is too long"),
        _ => (
            "request_headers_too_large",
            "the request's headers are too many or too large",
        ),
    };
    let body = serde_json::to_string(&ErrorBody {
        error: message.into(),
        code: code.into(),
        retry_after_ms: None,
    })
    .expect("an error body serialises");
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    );
    Some([head.into_bytes(), body.into_bytes()].concat())
}

fn automatic_answer_status(head: &[u8]) -> Option<StatusCode> {
    let text = std::str::from_utf8(head.strip_prefix(b"HTTP/1.1 ")?).ok()?;
    let status = StatusCode::from_bytes(text.get(..3)?.as_bytes()).ok()?;
    let automatic = [
        StatusCode::BAD_REQUEST,
        StatusCode::URI_TOO_LONG,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    ];
    let headers = text.strip_suffix("\r\n\r\n")?;
    let empty = headers
        .split("\r\n")
        .skip(1)
        .any(|line| line.eq_ignore_ascii_case("content-length: 0"));
    (automatic.contains(&status) && empty).then_some(status)
}

/// A connection's transport that passes everything through except hyper's automatic answers,
/// which it replaces by [`json_answer_for`]'s.
pub struct JsonParseErrors<S> {
    inner: S,
    /// A replacement being written, and the length of hyper's write it stands for.
    replacing: Option<Replacement>,
}

struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    stands_for: usize,
}

impl<S> JsonParseErrors<S> {
    pub fn new(inner: S) -> Self {
        JsonParseErrors {
            inner,
            replacing: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonParseErrors<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none() {
            let Some(bytes) = json_answer_for(buf) else {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            };
            this.replacing = Some(Replacement {
                bytes,
                written: 0,
                stands_for: buf.len(),
            });
        }
        // hyper calls again with the same bytes until they are reported written.
        let replacement = this.replacing.as_mut().expect("set above");
        while replacement.written < replacement.bytes.len() {
            let rest = &replacement.bytes[replacement.written..];
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            replacement.written += n;
        }
        let stands_for = replacement.stands_for;
        this.replacing = None;
        Poll::Ready(Ok(stands_for))
    }

    /// Whole writes, not vectored ones: hyper then writes each response head in one piece,
    /// which is what [`json_answer_for`] looks at.
    fn is_write_vectored(&self) -> bool {
        false
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYPER_431: &[u8] =
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\
        date: Fri, 04 Dec 2026 20:00:00 GMT\r\n\r\n";

    fn body_of(answer: &[u8]) -> serde_json::Value {
        let text = std::str::from_utf8(answer).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn hyper_s_empty_answers_get_json_bodies_with_their_status() {
        for (head, status, code) in [
            (HYPER_431.to_vec(), "431", "request_headers_too_large"),
            (
                b"HTTP/1.1 400 Bad Request\r\ndate: x\r\nContent-Length: 0\r\n\r\n".to_vec(),
                "400",
                "bad_request",
            ),
            (
                b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n".to_vec(),
                "414",
                "uri_too_long",
            ),
        ] {
            let answer = json_answer_for(&head).expect("replaced");
            let text = String::from_utf8(answer.clone()).unwrap();
            assert!(text.starts_with(&format!("HTTP/1.1 {status} ")), "{text}");
            assert!(
                text.contains("\r\ncontent-type: application/json\r\n"),
                "{text}"
            );
            let body = body_of(&answer);
            assert_eq!(body["code"], code);
            let length = text.split_once("\r\n\r\n").unwrap().1.len();
            assert!(
                text.contains(&format!("\r\ncontent-length: {length}\r\n")),
                "{text}"
            );
        }
    }

    #[test]
    fn everything_else_passes_untouched() {
        for bytes in [
            // A route's own 400 has its JSON body.
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 52\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n",
            b"{\"text\":\"HTTP/1.1 400 \"}",
            b"\x81\x05hello",
            b"",
        ] {
            assert!(json_answer_for(bytes).is_none(), "{bytes:?}");
        }
    }

    #[tokio::test]
    async fn the_transport_writes_the_replacement_whole_and_reports_hyper_s_length() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, server) = tokio::io::duplex(16);
        let mut transport = JsonParseErrors::new(server);
        let reader = tokio::spawn(async move {
            let mut client = client;
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            got
        });
        let n = transport.write(HYPER_431).await.unwrap();
        assert_eq!(n, HYPER_431.len());
        transport.write_all(b"after").await.unwrap();
        transport.shutdown().await.unwrap();
        drop(transport);
        let got = reader.await.unwrap();
        let mut want = json_answer_for(HYPER_431).unwrap();
        want.extend_from_slice(b"after");
        assert_eq!(got, want);
    }
}
