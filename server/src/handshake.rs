//! The opening handshake (RFC 6455 §4.2) as an ordinary warp filter, and the takeover of
//! the connection after the 101.
//!
//! The rules themselves live in the codec (`wsprism::handshake`): method GET, HTTP/1.1 or
//! later, `Host`, `Upgrade: websocket`, `Connection: upgrade`, a key that is base64 of 16
//! bytes, version 13. This module adds what needs the server's configuration: the Origin
//! check (§10.2), subprotocol selection (§4.2.2 item 5.4) and the HTTP answers.
//!
//! A request to a WebSocket path that is not an upgrade at all (a plain `GET /echo`) is
//! answered 400 with the rule it broke, like every other bad handshake. §4.2.1 asks for "an
//! appropriate error code (such as 400 Bad Request)"; 426 is kept for the one case §4.2.2
//! item 4 assigns it, a version we do not speak, where the answer lists ours.
//!
//! On success the filter answers 101 and spawns the connection task. That task awaits
//! hyper's upgrade (it resolves once the 101 is written), takes back the very `TcpStream`
//! that was accepted (`Upgraded::downcast`), plus any bytes hyper read past the request, and
//! runs the engine of [`crate::conn`] on it: no tungstenite, no `warp::ws`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE, SEC_WEBSOCKET_ACCEPT, UPGRADE};
use http::{HeaderMap, Method, StatusCode, Version};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tracing::Instrument;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};
use wsprism::deflate::{Agreed, ServerConfig};
use wsprism::handshake::{HandshakeError, UpgradeRequest, SUPPORTED_VERSION};

use crate::conn::{self, App, ChatMember};
use crate::inspect::Inspector;
use crate::metrics::Endpoint;
use crate::server::{ConnGuard, Shared};

/// What the accept loop knows about a request's connection, passed to the filters as a
/// request extension.
#[derive(Clone)]
pub struct ConnCtx {
    peer: SocketAddr,
    version: Version,
    /// hyper's upgrade future for this request (taken by a successful handshake).
    upgrade: Arc<Mutex<Option<OnUpgrade>>>,
    /// The connection's slot under the connection limit, shared by all requests of one
    /// TCP connection; a WebSocket takes it over.
    guard: Arc<Mutex<Option<ConnGuard>>>,
}

impl ConnCtx {
    /// Context for one request.
    pub fn new(
        peer: SocketAddr,
        version: Version,
        upgrade: OnUpgrade,
        guard: Arc<Mutex<Option<ConnGuard>>>,
    ) -> ConnCtx {
        ConnCtx {
            peer,
            version,
            upgrade: Arc::new(Mutex::new(Some(upgrade))),
            guard,
        }
    }
}

fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

impl Endpoint {
    /// The subprotocols the endpoint speaks, in the server's order of preference (the
    /// client's order decides, §4.2.2 item 5.4).
    pub const fn protocols(self) -> &'static [&'static str] {
        match self {
            Endpoint::Echo => &["echo"],
            Endpoint::Chat => &["chat"],
            Endpoint::Inspect => &["inspect"],
        }
    }
}

/// Whether a handshake's `Origin` may open a WebSocket here (§10.2, cross-site WebSocket
/// hijacking). No `Origin`: not a browser, accepted. Otherwise the origin must be the
/// server's own (`http://` + `Host`, the default port 80 optional) or be in `allowed`
/// (`*` allows any). Scheme and host compare case-insensitively (RFC 6454 §4).
pub fn origin_allowed(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> bool {
    let Some(origin) = origin.map(str::trim) else {
        return true;
    };
    if allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let (Some(host), Some(authority)) = (host, strip_scheme(origin, "http://")) else {
        return false;
    };
    let default_port = |a: &str| a.strip_suffix(":80").unwrap_or(a).to_ascii_lowercase();
    default_port(authority) == default_port(host.trim())
}

fn strip_scheme<'a>(origin: &'a str, scheme: &str) -> Option<&'a str> {
    let head = origin.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &origin[scheme.len()..])
}

/// The handshake route of one endpoint: `/<name>`, any method (a wrong one is answered
/// 400 with its rule, not 405).
pub fn route(
    ep: Endpoint,
    shared: Arc<Shared>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::path(ep.name())
        .and(warp::path::end())
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(warp::ext::get::<ConnCtx>())
        .map(move |method: Method, headers: HeaderMap, ctx: ConnCtx| {
            handshake(ep, &shared, &method, &headers, ctx)
        })
}

fn handshake(
    ep: Endpoint,
    shared: &Arc<Shared>,
    method: &Method,
    headers: &HeaderMap,
    ctx: ConnCtx,
) -> Response {
    let req = UpgradeRequest::from_headers(headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
    let checked = req
        .validate(method.as_str(), ctx.version >= Version::HTTP_11)
        .and_then(|key| {
            if origin_allowed(req.origin, req.host, &shared.config.allowed_origins) {
                Ok(key)
            } else {
                Err(HandshakeError::ForbiddenOrigin)
            }
        });
    let key = match checked {
        Ok(key) => key,
        Err(e) => {
            tracing::debug!(peer = %ctx.peer, endpoint = ep.name(), reason = e.kind(), "handshake refused");
            shared.metrics.rejected(e.kind());
            return refusal(e);
        }
    };
    if shared.shutdown.is_cancelled() {
        return text(StatusCode::SERVICE_UNAVAILABLE, "server shutting down");
    }
    let Some(on_upgrade) = take(&ctx.upgrade) else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "connection cannot be upgraded",
        );
    };
    // §4.2.2 item 5.4: the first protocol of the client's list that we speak, or none.
    let protocol = req
        .select_protocol(ep.protocols())
        .and_then(|p| HeaderValue::from_str(p).ok());
    let deflate = negotiate_deflate(shared.settings.deflate.as_ref(), &req.extensions);
    let response_ext = deflate
        .as_ref()
        .and_then(|a| HeaderValue::from_str(&a.response_header()).ok());
    let guard = take(&ctx.guard);
    // A debug span: an enabled span is entered and left on every poll of the connection
    // (about 10 % of the user-space work per small message at the default `info`), and
    // what is logged inside a connection at info and above names the peer itself.
    let span = tracing::debug_span!("ws", peer = %ctx.peer, endpoint = ep.name());
    let peer = ctx.peer;
    let task_shared = shared.clone();
    shared.tracker.spawn(
        async move {
            // Resolves once hyper has written the 101.
            let upgraded = match on_upgrade.await {
                Ok(u) => u,
                Err(e) => {
                    tracing::debug!(error = %e, "upgrade failed");
                    return;
                }
            };
            let parts = match upgraded.downcast::<TokioIo<TcpStream>>() {
                Ok(parts) => parts,
                Err(_) => {
                    tracing::error!(%peer, "upgraded connection is not the accepted TcpStream");
                    return;
                }
            };
            let _guard = guard; // counts against the limit until the WebSocket ends
            let app = match ep {
                Endpoint::Echo => App::Echo,
                Endpoint::Chat => App::Chat(ChatMember::join(task_shared.room.clone())),
                Endpoint::Inspect => App::Inspect(Inspector::default()),
            };
            tracing::debug!("open");
            conn::run(
                parts.io.into_inner(),
                parts.read_buf,
                app,
                deflate,
                task_shared.settings.clone(),
                task_shared.metrics.clone(),
                task_shared.ws_shutdown.listener(),
            )
            .await;
        }
        .instrument(span),
    );
    // §4.2.2 item 5: the server's opening handshake. Sec-WebSocket-Extensions names
    // permessage-deflate if it was agreed; every other offer is declined by omission (§9.1).
    let mut res = Response::new(Default::default());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(key.as_str()) {
        h.insert(SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(p) = protocol {
        h.insert(http::header::SEC_WEBSOCKET_PROTOCOL, p);
    }
    if let Some(ext) = response_ext {
        h.insert(http::header::SEC_WEBSOCKET_EXTENSIONS, ext);
    }
    res
}

/// Picks permessage-deflate from the client's `Sec-WebSocket-Extensions` headers (several
/// headers form one list, RFC 7230 §3.2.2), or `None`: not offered, disabled, or no
/// acceptable offer.
///
/// A header that breaks the RFC 6455 §9.1 grammar is declined by omission rather than
/// refused with 400: RFC 7692 §5 only forbids *accepting* such an offer ("the server MUST
/// decline"), and declining lets the connection run uncompressed, which is what a client
/// that sent a header we cannot read gets from any server that does not know the extension.
pub fn negotiate_deflate(config: Option<&ServerConfig>, offers: &[&str]) -> Option<Agreed> {
    let config = config?;
    if offers.is_empty() {
        return None;
    }
    match config.accept(&offers.join(", ")) {
        Ok(agreed) => agreed,
        Err(e) => {
            tracing::debug!(error = %e, "malformed Sec-WebSocket-Extensions: declined");
            None
        }
    }
}

fn text(status: StatusCode, body: &str) -> Response {
    let mut res = body.to_owned().into_response();
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// The answer to a refused handshake: its status and a body naming the rule.
fn refusal(e: HandshakeError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = text(status, e.reason());
    if e == HandshakeError::UnsupportedVersion {
        // §4.2.2 item 4 / §4.4: list the versions we speak. RFC 9110 §15.5.22: a 426
        // names the protocol to upgrade to.
        let h = res.headers_mut();
        h.insert(
            http::header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static(SUPPORTED_VERSION),
        );
        h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_rules() {
        let none: Vec<String> = vec![];
        // Non-browser clients send no Origin.
        assert!(origin_allowed(None, Some("127.0.0.1:8080"), &none));
        // The server's own origin, in any case, with the default port optional.
        assert!(origin_allowed(
            Some("http://127.0.0.1:8080"),
            Some("127.0.0.1:8080"),
            &none
        ));
        assert!(origin_allowed(
            Some("HTTP://LocalHost:8080"),
            Some("localhost:8080"),
            &none
        ));
        assert!(origin_allowed(
            Some("http://example.com"),
            Some("example.com:80"),
            &none
        ));
        // Cross-site.
        assert!(!origin_allowed(
            Some("http://evil.example"),
            Some("127.0.0.1:8080"),
            &none
        ));
        assert!(!origin_allowed(
            Some("http://127.0.0.1:9999"),
            Some("127.0.0.1:8080"),
            &none
        ));
        assert!(!origin_allowed(
            Some("https://127.0.0.1:8080"),
            Some("127.0.0.1:8080"),
            &none
        ));
        assert!(!origin_allowed(Some("null"), Some("127.0.0.1:8080"), &none));
        assert!(!origin_allowed(Some("http://x"), None, &none));
        // The allowlist.
        let list = vec!["https://app.example".to_string()];
        assert!(origin_allowed(
            Some("https://app.example"),
            Some("ws.example"),
            &list
        ));
        assert!(!origin_allowed(
            Some("https://other.example"),
            Some("ws.example"),
            &list
        ));
        let any = vec!["*".to_string()];
        assert!(origin_allowed(Some("http://anything"), Some("h"), &any));
    }

    #[test]
    fn deflate_negotiation() {
        let on = ServerConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
        };
        let agreed = negotiate_deflate(Some(&on), &["permessage-deflate; client_max_window_bits"]);
        assert_eq!(
            agreed.map(|a| a.response_header()).as_deref(),
            Some("permessage-deflate; server_no_context_takeover")
        );
        // Split over two headers: the second offer is used when the first is unacceptable.
        let agreed = negotiate_deflate(
            Some(&on),
            &[
                "permessage-deflate; server_max_window_bits=16",
                "permessage-deflate; client_no_context_takeover",
            ],
        );
        assert_eq!(
            agreed.map(|a| a.response_header()).as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        );
        assert!(negotiate_deflate(Some(&on), &["permessage-deflate; bogus"]).is_none());
        assert!(negotiate_deflate(Some(&on), &["permessage-deflate; =="]).is_none());
        assert!(negotiate_deflate(Some(&on), &["x-other"]).is_none());
        assert!(negotiate_deflate(Some(&on), &[]).is_none());
        assert!(negotiate_deflate(None, &["permessage-deflate"]).is_none());
    }

    #[test]
    fn refusals_carry_status_reason_and_version() {
        let res = refusal(HandshakeError::UnsupportedVersion);
        assert_eq!(res.status(), 426);
        assert_eq!(res.headers()["sec-websocket-version"], "13");
        let res = refusal(HandshakeError::InvalidKey);
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("sec-websocket-version").is_none());
        assert_eq!(refusal(HandshakeError::ForbiddenOrigin).status(), 403);
    }
}
