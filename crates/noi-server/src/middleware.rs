//! One layer in front of every route: request id, CORS and origin policy, token, rate limit.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::policy::{
    OriginDecision, bearer_token, client_address, decide_origin, host_allowed, is_sane_request_id,
    query_token, token_matches,
};
use crate::state::SharedState;

const REQUEST_ID: &str = "x-request-id";

/// Routes open to anyone who can reach the socket: liveness checks must work without setup.
fn is_public(path: &str) -> bool {
    path == "/health"
}

/// Dictation control drives the microphone: it always needs the token.
fn needs_token_always(path: &str) -> bool {
    path.starts_with("/v1/dictation/")
}

pub async fn guard(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = request_id(request.headers());
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let decision = decide_origin(origin.as_deref(), &state.access().origins);
    let mut response = match check(&state, peer, &request, &decision) {
        Err(error) => error.into_response(),
        Ok(()) if request.method() == Method::OPTIONS => preflight(),
        Ok(()) => next.run(request).await,
    };
    state.metrics.requests.inc();
    decorate(response.headers_mut(), &request_id, &decision);
    response
}

/// Host, origin, token and rate limit, in that order (a foreign page learns nothing else).
fn check(
    state: &SharedState,
    peer: SocketAddr,
    request: &Request,
    decision: &OriginDecision,
) -> Result<(), ApiError> {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
        .or_else(|| request.uri().host());
    if !host_allowed(host, &state.config.allowed_hosts) {
        return Err(ApiError::host_denied(host.unwrap_or_default()));
    }
    let path = request.uri().path();
    if is_public(path) {
        return Ok(());
    }
    if *decision == OriginDecision::Denied {
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        return Err(ApiError::origin_denied(origin));
    }
    // Preflights carry no credentials by design; the real request is checked.
    if request.method() == Method::OPTIONS {
        return Ok(());
    }
    check_token(state, request, needs_token_always(path))?;
    check_rate(state, peer, request.headers())
}

fn check_token(state: &SharedState, request: &Request, always: bool) -> Result<(), ApiError> {
    let access = state.access();
    let Some(expected) = access.token.as_deref() else {
        return if always {
            Err(ApiError::unauthorized())
        } else {
            Ok(())
        };
    };
    let from_header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    let from_query = request.uri().query().and_then(query_token);
    let given = from_header
        .map(str::to_owned)
        .or(from_query)
        .unwrap_or_default();
    if token_matches(expected, &given) {
        Ok(())
    } else {
        Err(ApiError::unauthorized())
    }
}

fn check_rate(state: &SharedState, peer: SocketAddr, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(limiter) = &state.limiter else {
        return Ok(());
    };
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = client_address(
        peer.ip(),
        header_str("x-forwarded-for"),
        header_str("x-real-ip"),
        state.config.trust_proxy,
    );
    limiter.check_key(&key).map_err(|not_until| {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        ApiError::rate_limited(wait.as_millis() as u64)
    })
}

fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type, x-request-id"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

fn request_id(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_sane_request_id(id))
        .and_then(|id| HeaderValue::from_str(id).ok())
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .expect("a UUID is a valid header value")
        })
}

fn decorate(headers: &mut HeaderMap, request_id: &HeaderValue, decision: &OriginDecision) {
    headers.insert(REQUEST_ID, request_id.clone());
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let OriginDecision::Allowed(origin) = decision
        && let Ok(value) = HeaderValue::from_str(origin)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id"),
        );
    }
}
