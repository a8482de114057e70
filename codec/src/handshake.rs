//! The opening handshake's rules and computations (RFC 6455 §1.3, §4.1, §4.2).
//!
//! Sans-IO like the rest: these functions take header values that an HTTP parser already
//! split out, and say whether a client's upgrade request is acceptable and what to answer.

use alloc::vec::Vec;
use core::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

/// The GUID every server appends to the client's key (§1.3).
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version RFC 6455 defines (§4.1, §11.6).
pub const SUPPORTED_VERSION: &str = "13";

/// A `Sec-WebSocket-Accept` value: base64 of a SHA-1 digest, always 28 ASCII bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptKey([u8; 28]);

impl AcceptKey {
    /// The value as a string.
    pub fn as_str(&self) -> &str {
        // Base64 output is ASCII, so this cannot fail.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for AcceptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (§1.3, §4.2.2 item 5.4):
/// base64(SHA-1(key + GUID)).
///
/// ```
/// use wsprism::handshake::accept_key;
/// // The example of RFC 6455 §1.3.
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ==").as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> AcceptKey {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(WEBSOCKET_GUID.as_bytes());
    let digest = sha.finalize();
    let mut out = [0u8; 28];
    let n = STANDARD
        .encode_slice(digest, &mut out)
        .expect("20 bytes encode to 28");
    debug_assert_eq!(n, 28);
    AcceptKey(out)
}

/// Whether `key` is a valid `Sec-WebSocket-Key`: the base64 encoding of exactly 16 bytes
/// (§4.1 item 7, §4.2.1 item 5), in canonical form.
///
/// ```
/// use wsprism::handshake::is_valid_key;
/// assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
/// assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ"));       // no padding
/// assert!(!is_valid_key(b"c2hvcnQ="));                     // 5 bytes
/// ```
pub fn is_valid_key(key: &[u8]) -> bool {
    if key.len() != 24 {
        return false;
    }
    let mut out = [0u8; 18];
    matches!(STANDARD.decode_slice(key, &mut out), Ok(16))
}

/// The comma-separated elements of a header value (RFC 9110 §5.6.1), with optional white
/// space trimmed and empty elements skipped.
///
/// ```
/// use wsprism::handshake::tokens;
/// let v: Vec<_> = tokens("keep-alive, Upgrade ,, ").collect();
/// assert_eq!(v, ["keep-alive", "Upgrade"]);
/// ```
pub fn tokens(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(|t| t.trim_matches([' ', '\t']))
        .filter(|t| !t.is_empty())
}

/// Whether the comma-separated header `value` contains `token`, compared case-insensitively
/// (`Connection: keep-alive, Upgrade` has `upgrade`).
///
/// ```
/// use wsprism::handshake::has_token;
/// assert!(has_token("keep-alive, Upgrade", "upgrade"));
/// assert!(!has_token("keep-alive, Upgraded", "upgrade"));
/// ```
pub fn has_token(value: &str, token: &str) -> bool {
    tokens(value).any(|t| t.eq_ignore_ascii_case(token))
}

/// Why an upgrade request is refused, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// §4.1 item 2: the method MUST be GET.
    MethodNotGet,
    /// §4.1 item 2: HTTP/1.1 or higher.
    HttpVersionTooOld,
    /// §4.1 item 4: a `Host` header.
    MissingHost,
    /// §4.1 item 5: `Upgrade` containing `websocket`.
    MissingUpgradeWebsocket,
    /// §4.1 item 6: `Connection` containing the `Upgrade` token.
    MissingConnectionUpgrade,
    /// §4.1 item 7: a `Sec-WebSocket-Key` header.
    MissingKey,
    /// §4.1 item 7: the key is not base64 of 16 bytes, or appears twice.
    InvalidKey,
    /// §4.1 item 9: a `Sec-WebSocket-Version` header.
    MissingVersion,
    /// §4.2.2 item 4: a version other than 13; answer 426 with `Sec-WebSocket-Version: 13`.
    UnsupportedVersion,
    /// §10.2: the `Origin` is not allowed (cross-site WebSocket hijacking); answer 403.
    ForbiddenOrigin,
}

impl HandshakeError {
    /// The HTTP status code to answer with.
    pub const fn status(&self) -> u16 {
        match self {
            HandshakeError::UnsupportedVersion => 426,
            HandshakeError::ForbiddenOrigin => 403,
            _ => 400,
        }
    }

    /// A short machine-friendly name (metrics labels, logs).
    pub const fn kind(&self) -> &'static str {
        match self {
            HandshakeError::MethodNotGet => "method",
            HandshakeError::HttpVersionTooOld => "http-version",
            HandshakeError::MissingHost => "host",
            HandshakeError::MissingUpgradeWebsocket => "upgrade",
            HandshakeError::MissingConnectionUpgrade => "connection",
            HandshakeError::MissingKey => "key-missing",
            HandshakeError::InvalidKey => "key-invalid",
            HandshakeError::MissingVersion => "version-missing",
            HandshakeError::UnsupportedVersion => "version",
            HandshakeError::ForbiddenOrigin => "origin",
        }
    }

    /// The plain-text reason to put in the response body: it names the failed rule.
    pub const fn reason(&self) -> &'static str {
        match self {
            HandshakeError::MethodNotGet => "WebSocket upgrade requires the GET method (RFC 6455 §4.1)",
            HandshakeError::HttpVersionTooOld => "WebSocket upgrade requires HTTP/1.1 or later (RFC 6455 §4.1)",
            HandshakeError::MissingHost => "missing Host header (RFC 6455 §4.1)",
            HandshakeError::MissingUpgradeWebsocket => "Upgrade header must contain \"websocket\" (RFC 6455 §4.2.1)",
            HandshakeError::MissingConnectionUpgrade => "Connection header must contain the \"Upgrade\" token (RFC 6455 §4.2.1)",
            HandshakeError::MissingKey => "missing Sec-WebSocket-Key header (RFC 6455 §4.2.1)",
            HandshakeError::InvalidKey => "Sec-WebSocket-Key must be the base64 encoding of 16 bytes, given once (RFC 6455 §4.2.1)",
            HandshakeError::MissingVersion => "missing Sec-WebSocket-Version header (RFC 6455 §4.2.1)",
            HandshakeError::UnsupportedVersion => "unsupported Sec-WebSocket-Version: this server speaks version 13 (RFC 6455 §4.4)",
            HandshakeError::ForbiddenOrigin => "Origin not allowed (RFC 6455 §10.2)",
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HandshakeError {}

/// A client's upgrade request, as far as the WebSocket rules look at it.
#[derive(Debug, Clone, Default)]
pub struct UpgradeRequest<'a> {
    /// `Sec-WebSocket-Key`, once per occurrence.
    pub keys: Vec<&'a [u8]>,
    /// Every `Sec-WebSocket-Protocol` value, in order (one header line each).
    pub protocols: Vec<&'a str>,
    /// Every `Sec-WebSocket-Extensions` value, in order.
    pub extensions: Vec<&'a str>,
    /// `Upgrade` values.
    pub upgrade: Vec<&'a str>,
    /// `Connection` values.
    pub connection: Vec<&'a str>,
    /// `Sec-WebSocket-Version` values.
    pub version: Vec<&'a str>,
    /// `Host`, if present.
    pub host: Option<&'a str>,
    /// `Origin`, if present.
    pub origin: Option<&'a str>,
}

impl<'a> UpgradeRequest<'a> {
    /// Collects the relevant headers from `(name, value)` pairs (names compared
    /// case-insensitively). Values that are not UTF-8 are treated as absent, except the
    /// key, which is checked byte-wise.
    pub fn from_headers<I>(headers: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let mut req = UpgradeRequest::default();
        for (name, value) in headers {
            let text = core::str::from_utf8(value).ok();
            let is = |n: &str| name.eq_ignore_ascii_case(n);
            if is("sec-websocket-key") {
                req.keys.push(value);
            } else if let Some(text) = text {
                if is("sec-websocket-protocol") {
                    req.protocols.push(text);
                } else if is("sec-websocket-extensions") {
                    req.extensions.push(text);
                } else if is("upgrade") {
                    req.upgrade.push(text);
                } else if is("connection") {
                    req.connection.push(text);
                } else if is("sec-websocket-version") {
                    req.version.push(text);
                } else if is("host") {
                    req.host = Some(text);
                } else if is("origin") {
                    req.origin = Some(text);
                }
            }
        }
        req
    }

    /// The subprotocols the client offered, in its order of preference.
    pub fn offered_protocols(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.protocols.iter().flat_map(|v| tokens(v))
    }

    /// Picks the first protocol in the client's list that `supported` contains (§4.2.2
    /// item 5.4: the server selects one or none).
    ///
    /// ```
    /// use wsprism::handshake::UpgradeRequest;
    /// let req = UpgradeRequest::from_headers([("Sec-WebSocket-Protocol", &b"chat, superchat"[..])]);
    /// assert_eq!(req.select_protocol(&["superchat", "chat"]), Some("chat"));
    /// assert_eq!(req.select_protocol(&["mqtt"]), None);
    /// ```
    pub fn select_protocol(&self, supported: &[&str]) -> Option<&'a str> {
        self.offered_protocols().find(|p| supported.contains(p))
    }

    /// Checks the request line and headers against §4.1 / §4.2.1 and returns the accept key
    /// to answer with. `method` is the request method and `http_1_1_or_later` whether the
    /// request's HTTP version is at least 1.1.
    ///
    /// ```
    /// use wsprism::handshake::{UpgradeRequest, HandshakeError};
    /// let headers: [(&str, &[u8]); 5] = [
    ///     ("Host", b"server.example.com"),
    ///     ("Upgrade", b"websocket"),
    ///     ("Connection", b"Upgrade"),
    ///     ("Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    ///     ("Sec-WebSocket-Version", b"13"),
    /// ];
    /// let req = UpgradeRequest::from_headers(headers);
    /// assert_eq!(req.validate("GET", true).unwrap().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /// assert_eq!(req.validate("POST", true), Err(HandshakeError::MethodNotGet));
    /// ```
    pub fn validate(
        &self,
        method: &str,
        http_1_1_or_later: bool,
    ) -> Result<AcceptKey, HandshakeError> {
        if method != "GET" {
            return Err(HandshakeError::MethodNotGet);
        }
        if !http_1_1_or_later {
            return Err(HandshakeError::HttpVersionTooOld);
        }
        if self.host.is_none_or(|h| h.trim().is_empty()) {
            return Err(HandshakeError::MissingHost);
        }
        if !self.upgrade.iter().any(|v| has_token(v, "websocket")) {
            return Err(HandshakeError::MissingUpgradeWebsocket);
        }
        if !self.connection.iter().any(|v| has_token(v, "upgrade")) {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        let key = match self.keys.as_slice() {
            [] => return Err(HandshakeError::MissingKey),
            [key] => key.trim_ascii(),
            _ => return Err(HandshakeError::InvalidKey),
        };
        if !is_valid_key(key) {
            return Err(HandshakeError::InvalidKey);
        }
        // §4.2.2 item 4 / §4.4: a version we do not speak gets 426 and our version list.
        match self.version.as_slice() {
            [] => return Err(HandshakeError::MissingVersion),
            [v] if v.trim() == SUPPORTED_VERSION => {}
            _ => return Err(HandshakeError::UnsupportedVersion),
        }
        Ok(accept_key(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Vec<(&'static str, &'static [u8])> {
        alloc::vec![
            ("host", b"example.com"),
            ("upgrade", b"WebSocket"),
            ("connection", b"keep-alive, Upgrade"),
            ("sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-version", b"13"),
        ]
    }

    fn without(name: &str) -> Vec<(&'static str, &'static [u8])> {
        good().into_iter().filter(|(n, _)| *n != name).collect()
    }

    fn with(name: &'static str, value: &'static [u8]) -> Vec<(&'static str, &'static [u8])> {
        let mut h = without(name);
        h.push((name, value));
        h
    }

    fn check(h: Vec<(&'static str, &'static [u8])>) -> Result<AcceptKey, HandshakeError> {
        UpgradeRequest::from_headers(h).validate("GET", true)
    }

    #[test]
    fn every_rule_has_its_error_and_status() {
        use HandshakeError::*;
        assert!(check(good()).is_ok());
        assert_eq!(
            UpgradeRequest::from_headers(good()).validate("GET", false),
            Err(HttpVersionTooOld)
        );
        assert_eq!(check(without("host")), Err(MissingHost));
        assert_eq!(check(without("upgrade")), Err(MissingUpgradeWebsocket));
        assert_eq!(check(with("upgrade", b"h2c")), Err(MissingUpgradeWebsocket));
        assert_eq!(check(without("connection")), Err(MissingConnectionUpgrade));
        assert_eq!(
            check(with("connection", b"keep-alive")),
            Err(MissingConnectionUpgrade)
        );
        assert_eq!(check(without("sec-websocket-key")), Err(MissingKey));
        assert_eq!(check(with("sec-websocket-key", b"AAAA")), Err(InvalidKey));
        assert_eq!(
            check(with("sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=!")),
            Err(InvalidKey)
        );
        let mut twice = good();
        twice.push(("Sec-WebSocket-Key", b"AQIDBAUGBwgJCgsMDQ4PEA=="));
        assert_eq!(check(twice), Err(InvalidKey));
        assert_eq!(check(without("sec-websocket-version")), Err(MissingVersion));
        assert_eq!(
            check(with("sec-websocket-version", b"8")),
            Err(UnsupportedVersion)
        );
        assert_eq!(UnsupportedVersion.status(), 426);
        assert_eq!(InvalidKey.status(), 400);
        assert_eq!(ForbiddenOrigin.status(), 403);
    }

    #[test]
    fn key_validation_is_exact() {
        assert!(is_valid_key(b"AQIDBAUGBwgJCgsMDQ4PEA=="));
        // 17 bytes of data would need 24 chars with one '=': not a 16-byte key.
        assert!(!is_valid_key(b"AQIDBAUGBwgJCgsMDQ4PEBE="));
        // Non-canonical trailing bits.
        assert!(!is_valid_key(b"AQIDBAUGBwgJCgsMDQ4PEB=="));
        assert!(!is_valid_key(b""));
    }
}
