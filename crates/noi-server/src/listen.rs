//! The accept loop, in place of `axum::serve` (issue 17): a cap on open connections, and a
//! deadline for a request's headers, neither of which `axum::serve` offers. Twenty clients
//! sending their headers a byte a minute could otherwise hold twenty connections forever.
//!
//! WebSocket connections leave the count when they upgrade (streams have their own limits:
//! idle timeout, session cap, backpressure).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service;

use crate::parse_errors::JsonParseErrors;

/// Open connections at most; one more is answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 256;
/// How long a client has to send a request's headers (each request on a kept-alive
/// connection too); then hyper closes the connection.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);

/// Serves `router` on `listener` until `stop` resolves, then stops accepting, asks open
/// connections to finish their request in hand, and returns once they have.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let stopping = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors and the like: pause rather than spin.
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Partials are small and late ones are useless: no Nagle delay.
        let _ = stream.set_nodelay(true);
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            tracing::warn!(%peer, "connection cap ({MAX_CONNECTIONS}) reached: refused");
            refuse(stream);
            continue;
        };
        let connection = serve_connection(&http, stream, peer, router.clone(), stopping.clone());
        connections.spawn(async move {
            connection.await;
            drop(permit);
        });
    }
    drop(listener);
    stopping.cancel();
    connections.close();
    connections.wait().await;
    Ok(())
}

/// One connection: HTTP/1.1 with upgrades (WebSocket), shut down gracefully on `stopping`;
/// requests hyper cannot parse are answered in JSON too (`parse_errors`).
fn serve_connection(
    http: &hyper::server::conn::http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    stopping: CancellationToken,
) -> impl Future<Output = ()> + Send + 'static {
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().call(request.map(Body::new))
    });
    let connection = http
        .serve_connection(TokioIo::new(JsonParseErrors::new(stream)), service)
        .with_upgrades();
    async move {
        tokio::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => {}
            _ = stopping.cancelled() => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}

/// Answers a connection over the cap with a JSON 503 and closes it.
fn refuse(stream: TcpStream) {
    let body = r#"{"error":"the server has too many open connections; retry shortly","code":"busy","retry_after_ms":1000}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    // Best effort: a full socket buffer just means the client sees the close.
    let _ = stream.try_write(answer.as_bytes());
}
