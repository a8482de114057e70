//! The raw-frame client: a blocking TCP socket, an opening handshake written by hand
//! (RFC 6455 §4.1), and frames read back one at a time with a timeout on every read, so
//! that no case can hang.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::frame::{self, Incoming};
use crate::rng;

/// Where the server's echo endpoint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The socket address to connect to.
    pub addr: SocketAddr,
    /// The `Host` header value (`host:port` as in the URL).
    pub host: String,
    /// The request path, e.g. `/echo`.
    pub path: String,
}

impl Target {
    /// Parses `ws://HOST:PORT/PATH` (the path defaults to `/`).
    pub fn parse(url: &str) -> Result<Target, String> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| format!("`{url}`: only ws:// URLs are supported"))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = host
            .to_socket_addrs()
            .map_err(|e| format!("`{host}`: {e}"))?
            .next()
            .ok_or_else(|| format!("`{host}` resolves to nothing"))?;
        Ok(Target {
            addr,
            host: host.to_string(),
            path: path.to_string(),
        })
    }

    /// The same server, another path.
    pub fn with_path(&self, path: &str) -> Target {
        Target {
            path: path.to_string(),
            ..self.clone()
        }
    }
}

/// How long any single read may wait before the case fails (the lead's 5 s).
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write may block (a server that stops reading must not hang the suite).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest HTTP response head the client reads.
const MAX_HEAD: usize = 64 * 1024;

/// Base64 of 16 bytes (a `Sec-WebSocket-Key`, §4.1 item 7), written out to keep the client
/// free of the codec's helpers.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A fresh random `Sec-WebSocket-Key`.
pub fn random_key() -> String {
    base64(&rng::bytes(16))
}

/// The standard upgrade request for `target` with `key`, plus `extra` header lines.
pub fn upgrade_request(target: &Target, key: &str, extra: &[(&str, &str)]) -> String {
    let mut req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n",
        target.path, target.host
    );
    for (name, value) in extra {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    req
}

/// An HTTP response head.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header lines, in order.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// Every value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether header `name` contains the comma-separated `token` (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.header(name)
            .iter()
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// Reads an HTTP response head from `stream`; returns it and any bytes that followed it.
pub fn read_response(stream: &mut TcpStream) -> Result<(Response, Vec<u8>), String> {
    let deadline = Instant::now() + READ_TIMEOUT;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err("response head longer than 64 KiB".into());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("no complete HTTP response within 5 s".into());
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(format!(
                    "connection closed before the response head ended (got {:?})",
                    String::from_utf8_lossy(&buf)
                ))
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(format!("reading the response: {e}")),
        }
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| {
        format!(
            "response head is not UTF-8: {:?}",
            String::from_utf8_lossy(&buf[..end])
        )
    })?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("bad status line {status_line:?}"));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok((Response { status, headers }, buf[end..].to_vec()))
}

/// Checks a response against the request's key: §4.1 items 1-4 of what a client must
/// verify (101, `Upgrade: websocket`, `Connection: Upgrade`, the accept key) and §4.1 items
/// 5-6 (no extension or subprotocol the client did not ask for).
pub fn check_upgrade(resp: &Response, key: &str) -> Result<(), String> {
    if resp.status != 101 {
        return Err(format!("status {} instead of 101", resp.status));
    }
    if !resp.has_token("upgrade", "websocket") {
        return Err(format!("Upgrade header {:?}", resp.header("upgrade")));
    }
    if !resp.has_token("connection", "upgrade") {
        return Err(format!("Connection header {:?}", resp.header("connection")));
    }
    let want = wsprism::handshake::accept_key(key.as_bytes());
    let got = resp.header("sec-websocket-accept");
    if got != [want.as_str()] {
        return Err(format!(
            "Sec-WebSocket-Accept {got:?}, expected {}",
            want.as_str()
        ));
    }
    for h in ["sec-websocket-extensions", "sec-websocket-protocol"] {
        if !resp.header(h).is_empty() {
            return Err(format!("unrequested {h}: {:?}", resp.header(h)));
        }
    }
    Ok(())
}

/// Like [`check_upgrade`] for a request that offered extensions: a
/// `Sec-WebSocket-Extensions` answer is allowed (the caller checks it against its offer,
/// RFC 7692 §7.1) and returned, several header lines joined with `, ` (RFC 7230 §3.2.2).
pub fn check_upgrade_offered(resp: &Response, key: &str) -> Result<Option<String>, String> {
    let without_ext = Response {
        status: resp.status,
        headers: resp
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("sec-websocket-extensions"))
            .cloned()
            .collect(),
    };
    check_upgrade(&without_ext, key)?;
    let ext = resp.header("sec-websocket-extensions");
    Ok((!ext.is_empty()).then(|| ext.join(", ")))
}

/// Whether an I/O error is a read/write timeout.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Opens a TCP connection to `target` with Nagle off (frames are written as they are
/// meant to be chopped) and write timeouts on.
pub fn tcp(target: &Target) -> Result<TcpStream, String> {
    let s = TcpStream::connect_timeout(&target.addr, READ_TIMEOUT)
        .map_err(|e| format!("connect {}: {e}", target.addr))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(WRITE_TIMEOUT))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

/// What the next read from the server brought.
#[derive(Debug)]
pub enum Event {
    /// A complete frame (not yet checked against the rules).
    Frame(Incoming),
    /// The server closed its side of TCP (EOF).
    Eof,
    /// The connection was reset or failed.
    Reset(String),
    /// Nothing arrived within the timeout.
    Timeout,
    /// Bytes that are not a frame at all.
    Garbage(String),
}

/// An open WebSocket connection, seen from the client.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    buf: Vec<u8>,
    /// Per-read timeout.
    pub timeout: Duration,
}

impl Conn {
    /// Connects and completes the opening handshake with a random key.
    pub fn open(target: &Target) -> Result<Conn, String> {
        Conn::open_with(target, &[])
    }

    /// Like [`open`](Self::open), with extra request headers.
    pub fn open_with(target: &Target, extra: &[(&str, &str)]) -> Result<Conn, String> {
        let mut stream = tcp(target)?;
        let key = random_key();
        stream
            .write_all(upgrade_request(target, &key, extra).as_bytes())
            .map_err(|e| format!("writing the handshake: {e}"))?;
        let (resp, rest) = read_response(&mut stream)?;
        check_upgrade(&resp, &key).map_err(|e| format!("handshake: {e}"))?;
        Ok(Conn::from_parts(stream, rest))
    }

    /// Connects with `Sec-WebSocket-Extensions: offer` in the request; returns the connection
    /// and the server's `Sec-WebSocket-Extensions` answer (`None`: declined).
    pub fn open_offering(target: &Target, offer: &str) -> Result<(Conn, Option<String>), String> {
        let mut stream = tcp(target)?;
        let key = random_key();
        let extra = [("Sec-WebSocket-Extensions", offer)];
        stream
            .write_all(upgrade_request(target, &key, &extra).as_bytes())
            .map_err(|e| format!("writing the handshake: {e}"))?;
        let (resp, rest) = read_response(&mut stream)?;
        let answer = check_upgrade_offered(&resp, &key).map_err(|e| format!("handshake: {e}"))?;
        Ok((Conn::from_parts(stream, rest), answer))
    }

    /// Wraps a stream whose handshake is done; `pending` are bytes already read past it.
    pub fn from_parts(stream: TcpStream, pending: Vec<u8>) -> Conn {
        Conn {
            stream,
            buf: pending,
            timeout: READ_TIMEOUT,
        }
    }

    /// Reads the next frame, waiting at most the timeout for each read.
    pub fn next_event(&mut self) -> Event {
        let mut chunk = vec![0u8; 256 * 1024];
        loop {
            match frame::parse(&self.buf) {
                Err(e) => return Event::Garbage(e),
                Ok(Some((f, used))) => {
                    self.buf.drain(..used);
                    return Event::Frame(f);
                }
                Ok(None) => {}
            }
            if let Err(e) = self.stream.set_read_timeout(Some(self.timeout)) {
                return Event::Reset(e.to_string());
            }
            match self.stream.read(&mut chunk) {
                Ok(0) if self.buf.is_empty() => return Event::Eof,
                Ok(0) => {
                    return Event::Garbage(format!(
                        "EOF inside a frame ({} bytes pending: {})",
                        self.buf.len(),
                        frame::preview(&self.buf)
                    ))
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if is_timeout(&e) => return Event::Timeout,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Event::Reset(e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_parses_ws_urls_only() {
        let t = Target::parse("ws://127.0.0.1:9001/echo").unwrap();
        assert_eq!(
            (t.addr.port(), t.path.as_str(), t.host.as_str()),
            (9001, "/echo", "127.0.0.1:9001")
        );
        assert_eq!(Target::parse("ws://127.0.0.1:9001").unwrap().path, "/");
        assert!(Target::parse("http://127.0.0.1:1/").is_err());
    }

    #[test]
    fn base64_matches_the_rfc_sample_nonce() {
        // RFC 6455 §1.3: the nonce "the sample nonce" encodes to dGhlIHNhbXBsZSBub25jZQ==.
        assert_eq!(base64(b"the sample nonce"), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert!(wsprism::handshake::is_valid_key(random_key().as_bytes()));
    }
}
