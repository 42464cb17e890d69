//! Access decisions as pure functions: origins, request ids, tokens, client addresses.
//! The middleware applies them; keeping them here makes every rule unit-testable.

use std::net::IpAddr;

use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq;

/// Which browser origins may call the API (besides loopback ones, always allowed).
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    /// Exact origins allowed (`--allow-origin`), compared case-insensitively.
    pub allowed: Vec<String>,
    /// `--cors-allow-any`: every origin is allowed.
    pub allow_any: bool,
}

/// What to do with a request's `Origin` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginDecision {
    /// No `Origin` (or `Origin: null`): not a cross-origin browser call.
    NoOrigin,
    /// Allowed; echo this value in `Access-Control-Allow-Origin`.
    Allowed(String),
    Denied,
}

pub fn decide_origin(origin: Option<&str>, policy: &OriginPolicy) -> OriginDecision {
    let Some(origin) = origin.map(str::trim) else {
        return OriginDecision::NoOrigin;
    };
    if origin.is_empty() || origin.eq_ignore_ascii_case("null") {
        return OriginDecision::NoOrigin;
    }
    let listed = policy
        .allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin));
    if policy.allow_any || listed || is_loopback_origin(origin) {
        OriginDecision::Allowed(origin.to_owned())
    } else {
        OriginDecision::Denied
    }
}

/// `http(s)://localhost`, `127.0.0.1` or `[::1]`, followed by the end, a port or a path.
/// The explicit terminator matters: `http://localhost.evil.com` is not loopback.
pub fn is_loopback_origin(origin: &str) -> bool {
    let lower = origin.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
    else {
        return false;
    };
    ["localhost", "127.0.0.1", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|after| after.is_empty() || after.starts_with([':', '/']))
    })
}

/// A client's `x-request-id` is echoed only when it is short and plain (no header or log
/// injection); otherwise the server makes its own.
pub fn is_sane_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Compares tokens in constant time, so response timing reveals nothing about the token.
pub fn token_matches(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The `token` parameter of a query string (WebSocket clients cannot set headers),
/// percent-decoded: `encodeURIComponent` and Python's `urlencode` send `+ / =` as `%2B %2F
/// %3D`. A raw `+` stays a `+` (not a space), so a token pasted into a URL as it is still
/// works. With the parameter repeated, the first one counts.
pub fn query_token(query: &str) -> Option<String> {
    query_values(query, "token")
        .into_iter()
        .next()
        .filter(|v| !v.is_empty())
}

/// Every value of the query parameter `name`, percent-decoded (invalid UTF-8 after decoding
/// is kept lossily, so it simply fails to match).
pub fn query_values(query: &str, name: &str) -> Vec<String> {
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .filter(|(key, _)| decode(key) == name)
        .map(|(_, value)| decode(value))
        .collect()
}

/// Whether a `--host` value is a loopback address (anything else needs `--bind-all`).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    if host == "localhost" {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a request's `Host` may reach the API. A web page whose own name was re-pointed at
/// 127.0.0.1 (DNS rebinding) sends its own name as `Host`: only loopback names and addresses
/// (`localhost`, `*.localhost`, 127.0.0.0/8, `::1`) and the names in `allowed` (`--allow-host`)
/// pass. A request with no `Host` (HTTP/1.0) is not a browser's, and passes.
pub fn host_allowed(host: Option<&str>, allowed: &[String]) -> bool {
    let Some(host) = host else {
        return true;
    };
    let name = host_name(host);
    let name = name.strip_suffix('.').unwrap_or(&name);
    is_loopback_host(name)
        || name.ends_with(".localhost")
        || allowed
            .iter()
            .any(|a| host_name(a).trim_end_matches('.') == name)
}

/// A `Host` value without its port, lower-cased (`[::1]:9876` → `::1`).
fn host_name(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_owned();
    }
    match host.rsplit_once(':') {
        // One colon: name:port. More: a bare IPv6 address.
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name.to_owned()
        }
        _ => host,
    }
}

/// The address a request is counted against for rate limiting. Forwarding headers are
/// believed only behind a trusted proxy; otherwise any client could pick its own key.
pub fn client_address(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    real_ip: Option<&str>,
    trust_proxy: bool,
) -> IpAddr {
    if !trust_proxy {
        return peer;
    }
    let first_forwarded = forwarded_for
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse().ok());
    first_forwarded
        .or_else(|| real_ip.and_then(|v| v.trim().parse().ok()))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowed: &[&str]) -> OriginPolicy {
        OriginPolicy {
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
            allow_any: false,
        }
    }

    #[test]
    fn loopback_origins_need_a_terminator() {
        for ok in [
            "http://localhost",
            "http://localhost:3000",
            "https://127.0.0.1/app",
            "http://[::1]:8080",
            "HTTP://LOCALHOST",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "https://example.com",
            "ftp://localhost",
            "localhost",
            "http://[::1]evil",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }

    #[test]
    fn origin_decisions() {
        let p = policy(&["https://app.example.com"]);
        assert_eq!(decide_origin(None, &p), OriginDecision::NoOrigin);
        assert_eq!(decide_origin(Some("null"), &p), OriginDecision::NoOrigin);
        assert_eq!(
            decide_origin(Some("https://APP.example.com"), &p),
            OriginDecision::Allowed("https://APP.example.com".into())
        );
        assert_eq!(
            decide_origin(Some("https://app.example.com.evil"), &p),
            OriginDecision::Denied
        );
        assert_eq!(
            decide_origin(Some("http://localhost:5173"), &p),
            OriginDecision::Allowed("http://localhost:5173".into())
        );
        let any = OriginPolicy {
            allow_any: true,
            ..policy(&[])
        };
        assert!(matches!(
            decide_origin(Some("https://x.y"), &any),
            OriginDecision::Allowed(_)
        ));
    }

    #[test]
    fn request_ids() {
        assert!(is_sane_request_id("abc-123_x.y:z"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("a b"));
        assert!(!is_sane_request_id("x\r\ny"));
        assert!(!is_sane_request_id(&"a".repeat(129)));
    }

    #[test]
    fn host_header_names() {
        let none: [String; 0] = [];
        for ok in [
            "127.0.0.1:9876",
            "localhost",
            "LOCALHOST:80",
            "localhost.",
            "[::1]:9876",
            "::1",
            "127.1.2.3",
            "app.localhost:9876",
        ] {
            assert!(host_allowed(Some(ok), &none), "{ok}");
        }
        for bad in [
            "evil.example:9876",
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "10.0.0.2:9876",
            "",
        ] {
            assert!(!host_allowed(Some(bad), &none), "{bad}");
        }
        assert!(host_allowed(None, &none));
        let allowed = ["MyBox.lan".to_owned()];
        assert!(host_allowed(Some("mybox.lan:9876"), &allowed));
        assert!(!host_allowed(Some("other.lan:9876"), &allowed));
    }

    #[test]
    fn tokens() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cret", "s3cre"));
        assert!(!token_matches("s3cret", "s3creT"));
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(
            query_token("sample_rate=16000&token=t1").as_deref(),
            Some("t1")
        );
        assert_eq!(query_token("tokens=x"), None);
        assert_eq!(query_token("token="), None);
        // What encodeURIComponent / urlencode send for "a+b/c=", and the same raw.
        assert_eq!(query_token("token=a%2Bb%2Fc%3D").as_deref(), Some("a+b/c="));
        assert_eq!(query_token("token=a+b/c=").as_deref(), Some("a+b/c="));
        assert_eq!(
            query_token("token=first&token=second").as_deref(),
            Some("first")
        );
        assert_eq!(
            query_values("sample_rate=1&x&sample_rate=2", "sample_rate"),
            ["1", "2"]
        );
    }

    #[test]
    fn hosts() {
        for ok in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in ["0.0.0.0", "192.168.1.2", "example.com", "::"] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn forwarded_addresses_only_behind_a_trusted_proxy() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let xff = Some("203.0.113.7, 10.0.0.1");
        assert_eq!(client_address(peer, xff, None, false), peer);
        assert_eq!(
            client_address(peer, xff, None, true),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(peer, Some("garbage"), Some("198.51.100.2"), true),
            "198.51.100.2".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_address(peer, None, None, true), peer);
    }
}
