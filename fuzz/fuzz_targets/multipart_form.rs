//! The OpenAI route's multipart/form-data reader on an arbitrary body (with a fixed boundary,
//! which the seed corpus uses) and, when the input starts with `ct:`, an arbitrary
//! Content-Type line first. It must answer with a form or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.strip_prefix(b"ct:") {
        Some(rest) => {
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let Ok(line) = std::str::from_utf8(&rest[..end]) else {
                return;
            };
            (line.to_owned(), rest.get(end + 1..).unwrap_or_default())
        }
        None => ("multipart/form-data; boundary=XyZ".to_owned(), data),
    };
    if let Ok(form) = noi_server::fuzzing::multipart_form(&content_type, body.to_vec(), LIMIT) {
        assert!(form.file.len() <= body.len());
    }
});
