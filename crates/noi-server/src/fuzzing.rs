//! Entry points for the fuzz targets in `fuzz/` (not part of the API): the request parsers
//! the server runs on what clients send, callable without a socket.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::{Request, header};

use crate::error::ApiError;
use crate::routes::openai::{Form, read_form};

/// Runs the OpenAI route's multipart form reader on `body` sent with `content_type`, the way
/// axum hands it a request.
pub fn multipart_form(content_type: &str, body: Vec<u8>, limit: usize) -> Result<Form, ApiError> {
    // Timers: the form reader has an idle timeout per read.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime always builds");
    runtime.block_on(async move {
        let request = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .map_err(ApiError::internal)?;
        let multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| ApiError::internal(e.body_text()))?;
        read_form(limit, multipart).await
    })
}
