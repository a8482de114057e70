//! The opening handshake against the real server: every bad variant gets its status and a
//! reason naming the rule; good variants get a correct 101.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{http, read_head, upgrade_request, Client, Msg, Server, READ_TIMEOUT};
use wsprism::handshake::HandshakeError;

/// Builds a handshake request from a request line and header lines.
fn request(line: &str, headers: &[&str]) -> String {
    let mut r = format!("{line}\r\n");
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r
}

#[test]
fn every_bad_handshake_gets_its_status_and_reason() {
    let server = Server::start(&[]);
    let host = format!("Host: {}", server.addr);
    let host = host.as_str();
    let up = "Upgrade: websocket";
    let conn = "Connection: Upgrade";
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
    let ver = "Sec-WebSocket-Version: 13";
    let get = "GET /echo HTTP/1.1";
    let cases: Vec<(&str, String, HandshakeError)> = vec![
        (
            "method",
            request(
                "POST /echo HTTP/1.1",
                &[host, up, conn, key, ver, "Content-Length: 0"],
            ),
            HandshakeError::MethodNotGet,
        ),
        (
            "http-version",
            request("GET /echo HTTP/1.0", &[host, up, conn, key, ver]),
            HandshakeError::HttpVersionTooOld,
        ),
        (
            "host",
            request(get, &[up, conn, key, ver]),
            HandshakeError::MissingHost,
        ),
        (
            "upgrade",
            request(get, &[host, conn, key, ver]),
            HandshakeError::MissingUpgradeWebsocket,
        ),
        (
            "upgrade",
            request(get, &[host, "Upgrade: h2c", conn, key, ver]),
            HandshakeError::MissingUpgradeWebsocket,
        ),
        (
            "connection",
            request(get, &[host, up, key, ver]),
            HandshakeError::MissingConnectionUpgrade,
        ),
        (
            "connection",
            request(
                get,
                &[host, up, "Connection: keep-alive, Upgraded", key, ver],
            ),
            HandshakeError::MissingConnectionUpgrade,
        ),
        (
            "key-missing",
            request(get, &[host, up, conn, ver]),
            HandshakeError::MissingKey,
        ),
        (
            "key-invalid",
            request(get, &[host, up, conn, "Sec-WebSocket-Key: c2hvcnQ=", ver]),
            HandshakeError::InvalidKey,
        ),
        (
            "key-invalid",
            request(
                get,
                &[
                    host,
                    up,
                    conn,
                    "Sec-WebSocket-Key: not base64 at all!!!!!",
                    ver,
                ],
            ),
            HandshakeError::InvalidKey,
        ),
        (
            "key-invalid",
            request(
                get,
                &[
                    host,
                    up,
                    conn,
                    key,
                    "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==",
                    ver,
                ],
            ),
            HandshakeError::InvalidKey,
        ),
        (
            "version-missing",
            request(get, &[host, up, conn, key]),
            HandshakeError::MissingVersion,
        ),
        (
            "version",
            request(get, &[host, up, conn, key, "Sec-WebSocket-Version: 8"]),
            HandshakeError::UnsupportedVersion,
        ),
        (
            "version",
            request(get, &[host, up, conn, key, "Sec-WebSocket-Version: 14"]),
            HandshakeError::UnsupportedVersion,
        ),
        (
            "origin",
            request(
                get,
                &[host, up, conn, key, ver, "Origin: http://evil.example"],
            ),
            HandshakeError::ForbiddenOrigin,
        ),
        // A plain GET of a WebSocket endpoint is a handshake without the upgrade.
        (
            "upgrade",
            request(get, &[host]),
            HandshakeError::MissingUpgradeWebsocket,
        ),
    ];
    for (kind, req, expected) in &cases {
        let res = http(server.addr, req);
        assert_eq!(res.status, expected.status(), "{kind}: {res:?}");
        assert_eq!(res.body, expected.reason(), "{kind}");
        assert!(
            res.header("content-type")
                .unwrap()
                .starts_with("text/plain"),
            "{kind}"
        );
        assert_eq!(res.header("sec-websocket-accept"), None, "{kind}");
        if *expected == HandshakeError::UnsupportedVersion {
            // §4.4: the 426 lists the versions the server speaks.
            assert_eq!(res.header("sec-websocket-version"), Some("13"));
        } else {
            assert_eq!(res.header("sec-websocket-version"), None, "{kind}");
        }
    }
    // Every rejection was counted under its reason.
    for kind in [
        "method",
        "http-version",
        "host",
        "key-missing",
        "version-missing",
        "origin",
    ] {
        let n = cases.iter().filter(|(k, ..)| k == &kind).count() as u64;
        let sample = format!("wsprism_handshake_rejections_total{{reason=\"{kind}\"}}");
        assert_eq!(server.metric(&sample), n, "{kind}");
    }
    assert_eq!(
        server.metric("wsprism_handshake_rejections_total{reason=\"upgrade\"}"),
        3
    );
    assert_eq!(
        server.metric("wsprism_handshake_rejections_total{reason=\"key-invalid\"}"),
        3
    );
}

#[test]
fn headers_are_matched_case_insensitively_and_in_token_lists() {
    let server = Server::start(&[]);
    let req = format!(
        "GET /echo HTTP/1.1\r\nhost: {}\r\nupgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n\
         sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
        server.addr
    );
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let (res, _) = read_head(&mut s);
    assert_eq!(res.status, 101);
    assert_eq!(
        res.header("upgrade")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("websocket")
    );
    assert_eq!(
        res.header("connection")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("upgrade")
    );
    assert_eq!(
        res.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
}

#[test]
fn subprotocol_is_the_clients_first_supported_one_or_absent() {
    let server = Server::start(&[]);
    let c = Client::connect_with(
        server.addr,
        "/echo",
        "Sec-WebSocket-Protocol: mqtt, echo, chat\r\n",
    );
    assert_eq!(c.response.header("sec-websocket-protocol"), Some("echo"));
    // Spread over several header lines: still one list.
    let c = Client::connect_with(
        server.addr,
        "/chat",
        "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Protocol: chat\r\n",
    );
    assert_eq!(c.response.header("sec-websocket-protocol"), Some("chat"));
    let c = Client::connect_with(
        server.addr,
        "/echo",
        "Sec-WebSocket-Protocol: mqtt, soap\r\n",
    );
    assert_eq!(c.response.header("sec-websocket-protocol"), None);
    let c = Client::connect(server.addr, "/inspect");
    assert_eq!(c.response.header("sec-websocket-protocol"), None);
}

#[test]
fn offered_extensions_are_declined_by_omission_and_the_connection_works() {
    // With permessage-deflate disabled (on by default: see tests/deflate.rs).
    let server = Server::start(&["--deflate", "off"]);
    // What browsers send.
    let mut c = Client::connect_with(
        server.addr,
        "/echo",
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
    );
    assert_eq!(c.response.header("sec-websocket-extensions"), None);
    c.text("still plain");
    assert_eq!(c.recv(), Msg::Text("still plain".into()));
    // Not negotiated, so RSV1 is a protocol error (§5.2).
    let mut frame = c.frame(wsprism::OpCode::Text, true, b"x");
    frame[0] |= 0x40;
    c.raw(&frame);
    assert_eq!(c.recv_close().map(|c| c.0), Some(1002));
}

#[test]
fn origin_policy_default_and_allowlist() {
    let server = Server::start(&[]);
    // Same origin as the server, and no Origin at all: accepted.
    let own = format!("Origin: http://{}\r\n", server.addr);
    Client::connect_with(server.addr, "/echo", &own);
    Client::connect(server.addr, "/echo");
    let res = http(
        server.addr,
        &upgrade_request(server.addr, "/echo", "Origin: http://localhost:1\r\n"),
    );
    assert_eq!(res.status, 403);
    assert_eq!(res.body, HandshakeError::ForbiddenOrigin.reason());

    let server = Server::start(&["--allow-origin", "https://app.example"]);
    Client::connect_with(server.addr, "/echo", "Origin: https://app.example\r\n");
    let res = http(
        server.addr,
        &upgrade_request(server.addr, "/echo", "Origin: https://other.example\r\n"),
    );
    assert_eq!(res.status, 403);

    let server = Server::start(&["--allow-origin", "*"]);
    Client::connect_with(server.addr, "/chat", "Origin: https://anything.example\r\n");
}

#[test]
fn first_frame_in_the_handshake_packet_is_not_lost() {
    let server = Server::start(&[]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    // The request and a masked "Hello" (RFC 6455 §5.7) in one write.
    let mut bytes = upgrade_request(server.addr, "/echo", "").into_bytes();
    bytes.extend_from_slice(&[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ]);
    s.write_all(&bytes).unwrap();
    let (res, mut rest) = read_head(&mut s);
    assert_eq!(res.status, 101);
    while rest.len() < 7 {
        let mut b = [0u8; 64];
        let n = s.read(&mut b).unwrap();
        assert!(n > 0);
        rest.extend_from_slice(&b[..n]);
    }
    assert_eq!(&rest[..7], &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
}

#[test]
fn a_client_that_sends_half_a_request_is_dropped_after_the_handshake_timeout() {
    let server = Server::start(&["--handshake-timeout", "1s"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    s.write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgr")
        .unwrap();
    let t = Instant::now();
    let mut buf = Vec::new();
    // The server closes the connection (possibly after a 408 answer).
    let _ = s.read_to_end(&mut buf);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "dropped too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "not dropped in time: {waited:?}"
    );
    // A connection that sends nothing at all is dropped too.
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let t = Instant::now();
    let _ = idle.read_to_end(&mut buf);
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn connections_beyond_the_limit_get_503() {
    let server = Server::start(&["--max-connections", "2"]);
    let _a = Client::connect(server.addr, "/echo");
    let _b = Client::connect(server.addr, "/echo");
    let req = upgrade_request(server.addr, "/echo", "");
    let res = http(server.addr, &req);
    assert_eq!(res.status, 503);
    drop(_a);
    // The place is freed once the first WebSocket ends.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let (res, _) = read_head(&mut s);
        if res.status == 101 {
            break;
        }
        assert_eq!(res.status, 503);
        assert!(Instant::now() < deadline, "the slot was never freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn oversized_request_heads_are_refused() {
    let server = Server::start(&[]);
    let long = format!("X-Long: {}\r\n", "b".repeat(64 * 1024));
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let _ = s.write_all(upgrade_request(server.addr, "/echo", &long).as_bytes());
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(
        got.starts_with(b"HTTP/1.1 431"),
        "{:?}",
        String::from_utf8_lossy(&got[..got.len().min(40)])
    );
    // A head just under the limit is fine.
    let extra = format!("X-Pad: {}\r\n", "p".repeat(12 * 1024));
    let mut c = Client::connect_with(server.addr, "/echo", &extra);
    c.text("ok");
    assert_eq!(c.recv(), Msg::Text("ok".into()));
}
