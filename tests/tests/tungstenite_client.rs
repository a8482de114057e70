//! `wsprism-server`'s `/echo` endpoint driven by an independent client: tokio-tungstenite.
//!
//! Every test starts its own server on an ephemeral loopback port (killed on drop, also when
//! the test fails), uses seeded pseudo-random payloads so that reordering or corruption
//! shows, and bounds every wait with a timeout.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wsprism_e2e::{Rng, Server};

type Ws = WebSocketStream<TcpStream>;

/// The server's default message limit (RFC 6455 §10.4: implementations must limit sizes).
const MAX_MESSAGE: usize = 16 << 20;
/// Sizes around every payload-length encoding boundary (RFC 6455 §5.2: 7-bit, 16-bit and
/// 64-bit lengths) and the server's default limit.
const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 65_536, MAX_MESSAGE];
/// Generous bound for one step (a 16 MiB echo through a debug build included).
const STEP: Duration = Duration::from_secs(60);

fn config() -> WebSocketConfig {
    // Above the server's limit, so only the server's limit is under test.
    WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20))
}

async fn connect_with(server: &Server, headers: &[(&'static str, &str)]) -> (Ws, http::Response) {
    let mut request = server.ws_url("/echo").into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    let tcp = TcpStream::connect(server.addr())
        .await
        .expect("tcp connect");
    let (ws, response) = timeout(
        STEP,
        tokio_tungstenite::client_async_with_config(request, tcp, Some(config())),
    )
    .await
    .expect("handshake timed out")
    .expect("handshake failed");
    (ws, response.map(|_| ()))
}

/// The handshake response type, without tungstenite's optional body.
mod http {
    pub type Response = tokio_tungstenite::tungstenite::http::Response<()>;
}

async fn connect(server: &Server) -> Ws {
    connect_with(server, &[]).await.0
}

async fn recv(ws: &mut Ws) -> Message {
    timeout(STEP, ws.next())
        .await
        .expect("timed out waiting for a message")
        .expect("connection ended")
        .expect("websocket error")
}

async fn send(ws: &mut Ws, msg: Message) {
    timeout(STEP, ws.send(msg))
        .await
        .expect("send timed out")
        .expect("send failed");
}

/// Compares without dumping megabytes into the failure message.
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let first = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{what}: echoed {} bytes, sent {}; first differing byte at {first:?}",
            got.len(),
            want.len()
        );
    }
}

fn expect_text(msg: Message, want: &str, what: &str) {
    match msg {
        Message::Text(got) => assert_same(got.as_bytes(), want.as_bytes(), what),
        other => panic!("{what}: expected a text message, got {}", describe(&other)),
    }
}

fn expect_binary(msg: Message, want: &[u8], what: &str) {
    match msg {
        Message::Binary(got) => assert_same(&got, want, what),
        other => panic!(
            "{what}: expected a binary message, got {}",
            describe(&other)
        ),
    }
}

fn describe(msg: &Message) -> String {
    match msg {
        Message::Text(t) => format!("text of {} bytes", t.len()),
        Message::Binary(b) => format!("binary of {} bytes", b.len()),
        Message::Ping(p) => format!("ping of {} bytes", p.len()),
        Message::Pong(p) => format!("pong of {} bytes", p.len()),
        Message::Close(c) => format!("close {c:?}"),
        Message::Frame(_) => "raw frame".into(),
    }
}

/// Sends a close and expects the server's close to carry `want_code`, then TCP EOF.
async fn close_and_expect(ws: &mut Ws, frame: Option<CloseFrame>, want_code: Option<u16>) {
    send(ws, Message::Close(frame)).await;
    match recv(ws).await {
        Message::Close(got) => assert_eq!(got.map(|f| u16::from(f.code)), want_code),
        other => panic!(
            "expected the server's close frame, got {}",
            describe(&other)
        ),
    }
    expect_tcp_eof(ws).await;
}

/// RFC 6455 §7.1.1: after the closing handshake the server closes the TCP connection first.
async fn expect_tcp_eof(ws: &mut Ws) {
    let mut buf = [0u8; 64];
    let n = timeout(STEP, ws.get_mut().read(&mut buf))
        .await
        .expect("server kept TCP open after the closing handshake")
        .unwrap_or(0);
    assert_eq!(n, 0, "bytes after the server's close frame");
}

#[tokio::test]
async fn echoes_text_and_binary_of_every_length_class() {
    let server = Server::start();
    let mut ws = connect(&server).await;
    let mut rng = Rng::new(0x5EED_0001);
    for size in SIZES {
        let text = rng.text(size);
        send(&mut ws, Message::text(text.clone())).await;
        expect_text(recv(&mut ws).await, &text, &format!("text of {size} bytes"));

        let bin = rng.bytes(size);
        send(&mut ws, Message::binary(bin.clone())).await;
        expect_binary(
            recv(&mut ws).await,
            &bin,
            &format!("binary of {size} bytes"),
        );
    }
    close_and_expect(&mut ws, None, None).await;
}

/// Sends one message as raw frames: the first with `opcode`, the rest as continuations.
async fn send_fragments(ws: &mut Ws, opcode: Data, parts: &[&[u8]]) {
    for (i, part) in parts.iter().enumerate() {
        let op = if i == 0 { opcode } else { Data::Continue };
        let frame = Frame::message(part.to_vec(), OpCode::Data(op), i + 1 == parts.len());
        send(ws, Message::Frame(frame)).await;
    }
}

#[tokio::test]
async fn reassembles_fragmented_messages() {
    let server = Server::start();
    let mut ws = connect(&server).await;
    let mut rng = Rng::new(0x5EED_0002);

    // Text split inside multi-byte characters (RFC 6455 §5.6: only the whole message must be
    // valid UTF-8), with an empty fragment in the middle.
    let text = "héllo wörld – ✓ 🦀 end".to_string() + &rng.text(70_000);
    let b = text.as_bytes();
    let (p1, p2, p3) = (&b[..2], &b[2..20], &b[20..]);
    assert!(
        std::str::from_utf8(p1).is_err(),
        "the first cut must split 'é'"
    );
    send_fragments(&mut ws, Data::Text, &[p1, &[], p2, p3]).await;
    expect_text(recv(&mut ws).await, &text, "fragmented text");

    // Binary in 200 fragments of random sizes (zero included).
    let bin = rng.bytes(300_000);
    let mut cuts: Vec<usize> = (0..199)
        .map(|_| rng.below(bin.len() as u64) as usize)
        .collect();
    cuts.extend([0, bin.len()]);
    cuts.sort_unstable();
    let parts: Vec<&[u8]> = cuts.windows(2).map(|w| &bin[w[0]..w[1]]).collect();
    send_fragments(&mut ws, Data::Binary, &parts).await;
    expect_binary(recv(&mut ws).await, &bin, "binary in 200 fragments");
    close_and_expect(&mut ws, None, None).await;
}

#[tokio::test]
async fn answers_a_ping_between_fragments() {
    // RFC 6455 §5.4: control frames may be injected in the middle of a fragmented message.
    let server = Server::start();
    let mut ws = connect(&server).await;
    let mut rng = Rng::new(0x5EED_0003);
    let data = rng.bytes(5000);
    let ping = rng.bytes(17);
    let head = Frame::message(data[..1000].to_vec(), OpCode::Data(Data::Binary), false);
    send(&mut ws, Message::Frame(head)).await;
    send(&mut ws, Message::Ping(ping.clone().into())).await;
    let tail = Frame::message(data[1000..].to_vec(), OpCode::Data(Data::Continue), true);
    send(&mut ws, Message::Frame(tail)).await;

    let (mut pong, mut echo) = (None, None);
    for _ in 0..2 {
        match recv(&mut ws).await {
            Message::Pong(p) => pong = Some(p),
            Message::Binary(b) => echo = Some(b),
            other => panic!("unexpected {}", describe(&other)),
        }
    }
    assert_same(&pong.expect("a pong"), &ping, "pong payload");
    assert_same(&echo.expect("the echo"), &data, "message around the ping");
    close_and_expect(&mut ws, None, None).await;
}

#[tokio::test]
async fn answers_pings_with_the_same_payload() {
    let server = Server::start();
    let mut ws = connect(&server).await;
    let mut rng = Rng::new(0x5EED_0004);
    // RFC 6455 §5.5: control payloads are at most 125 bytes; §5.5.3: the pong echoes it.
    for size in [0, 1, 64, 125] {
        let payload = rng.bytes(size);
        send(&mut ws, Message::Ping(payload.clone().into())).await;
        match recv(&mut ws).await {
            Message::Pong(got) => assert_same(&got, &payload, &format!("pong of {size}")),
            other => panic!("ping of {size}: expected a pong, got {}", describe(&other)),
        }
    }
    close_and_expect(&mut ws, None, None).await;
}

#[tokio::test]
async fn echoes_the_close_code() {
    let server = Server::start();
    // RFC 6455 §5.5.1: the close reply typically echoes the received status code.
    let cases = [
        (1000, "normal".to_string()),
        (4001, "app: bye ✓".to_string()),
        (1001, "x".repeat(123)), // 2 + 123 = 125, the largest control payload
    ];
    for (code, reason) in cases {
        let mut ws = connect(&server).await;
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        close_and_expect(&mut ws, Some(frame), Some(code)).await;
    }
}

#[tokio::test]
async fn keeps_order_of_a_pipelined_burst() {
    const COUNT: usize = 1000;
    let server = Server::start();
    let ws = connect(&server).await;
    let mut rng = Rng::new(0x5EED_0005);
    let sent: Vec<Message> = (0..COUNT)
        .map(|_| {
            let size = rng.below(3000) as usize;
            if rng.below(2) == 0 {
                Message::text(rng.text(size))
            } else {
                Message::binary(rng.bytes(size))
            }
        })
        .collect();

    let (mut sink, mut stream) = ws.split();
    let to_send = sent.clone();
    // Write everything without waiting for echoes, while reading concurrently (otherwise both
    // sides' socket buffers could fill and deadlock).
    let writer = async move {
        for msg in to_send {
            sink.feed(msg).await.expect("feed");
        }
        sink.flush().await.expect("flush");
        sink
    };
    let reader = async {
        let mut got = Vec::with_capacity(COUNT);
        while got.len() < COUNT {
            got.push(
                stream
                    .next()
                    .await
                    .expect("connection ended")
                    .expect("ws error"),
            );
        }
        got
    };
    let (sink, got) = timeout(STEP, async { tokio::join!(writer, reader) })
        .await
        .expect("burst timed out");
    for (i, (got, want)) in got.into_iter().zip(&sent).enumerate() {
        match (got, want) {
            (Message::Text(g), Message::Text(w)) => {
                assert_same(g.as_bytes(), w.as_bytes(), &format!("message {i}"))
            }
            (Message::Binary(g), Message::Binary(w)) => assert_same(&g, w, &format!("message {i}")),
            (g, w) => panic!("message {i}: got {}, sent {}", describe(&g), describe(w)),
        }
    }
    let mut ws = sink.reunite(stream).expect("same stream");
    close_and_expect(&mut ws, None, None).await;
}

#[tokio::test]
async fn declines_permessage_deflate_by_omission() {
    // With the extension disabled: it is on by default (tungstenite cannot speak it; Python
    // websockets and Node ws test it in tests/interop/).
    let server = Server::start_with(&["--deflate", "off"]);
    // What browsers send (RFC 7692 §7.1.1.2).
    let offer = [(
        "Sec-WebSocket-Extensions",
        "permessage-deflate; client_max_window_bits",
    )];
    let (mut ws, response) = connect_with(&server, &offer).await;
    assert_eq!(response.status(), 101);
    assert!(
        response.headers().get("sec-websocket-extensions").is_none(),
        "server accepted an extension: {:?}",
        response.headers()
    );
    let mut rng = Rng::new(0x5EED_0006);
    let text = rng.text(1000);
    send(&mut ws, Message::text(text.clone())).await;
    expect_text(recv(&mut ws).await, &text, "text after a deflate offer");
    let bin = rng.bytes(1000);
    send(&mut ws, Message::binary(bin.clone())).await;
    expect_binary(recv(&mut ws).await, &bin, "binary after a deflate offer");
    close_and_expect(&mut ws, None, None).await;
}

#[tokio::test]
async fn ignores_an_unknown_subprotocol() {
    let server = Server::start();
    let offer = "x-wsprism-unknown, chat.v0";

    // tungstenite fails a handshake whose response omits a subprotocol it offered (its policy;
    // browsers and Node's `ws` do the same). That error proves the server answered 101 without
    // the header, rather than refusing the upgrade.
    let mut request = server.ws_url("/echo").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", offer.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::NoSubProtocol,
        ))) => {}
        Err(e) => panic!("expected tungstenite's NoSubProtocol, got {e}"),
        Ok((_, r)) => panic!(
            "server selected a subprotocol it cannot know: {:?}",
            r.headers()
        ),
    }

    // RFC 6455 §4.2.2: the server may omit the header, and the connection is then usable.
    // Do the handshake by hand, then give the socket to tungstenite.
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    let request = format!(
        "GET /echo HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: {offer}\r\n\r\n",
        server.addr()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let head = timeout(STEP, read_head(&mut tcp))
        .await
        .expect("no handshake response");
    let lower = head.to_ascii_lowercase();
    assert!(
        head.starts_with("HTTP/1.1 101 "),
        "not switching protocols: {head}"
    );
    // The RFC 6455 §1.3 example key and its accept value.
    assert!(
        lower.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
        "{head}"
    );
    assert!(
        !lower.contains("sec-websocket-protocol"),
        "server chose a subprotocol: {head}"
    );

    let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Client, Some(config())).await;
    let text = Rng::new(0x5EED_0007).text(300);
    send(&mut ws, Message::text(text.clone())).await;
    expect_text(
        recv(&mut ws).await,
        &text,
        "echo after declined subprotocol",
    );
    close_and_expect(&mut ws, None, None).await;
}

/// Reads an HTTP response head byte by byte (so no WebSocket bytes are consumed).
async fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        assert!(head.len() < 8192, "response head too long");
        head.push(tcp.read_u8().await.expect("response head"));
    }
    String::from_utf8(head).expect("ASCII response head")
}

#[tokio::test]
async fn closes_1009_above_the_message_limit() {
    let server = Server::start();
    let ws = connect(&server).await;
    let (mut sink, mut stream) = ws.split();
    let oversized = Rng::new(0x5EED_0008).bytes(MAX_MESSAGE + 1);
    // The server may close before reading it all, so a failed write is fine; what matters
    // is the close frame (RFC 6455 §7.4.1: 1009, message too big).
    let writer = async move {
        let _ = sink.send(Message::binary(oversized)).await;
    };
    let reader = async {
        match stream.next().await {
            Some(Ok(Message::Close(frame))) => frame.map(|f| u16::from(f.code)),
            Some(Ok(other)) => panic!("expected close 1009, got {}", describe(&other)),
            Some(Err(e)) => panic!("expected close 1009, got error {e}"),
            None => panic!("connection ended without a close frame"),
        }
    };
    let ((), code) = timeout(STEP, async { tokio::join!(writer, reader) })
        .await
        .expect("no close frame for an oversized message");
    assert_eq!(code, Some(1009));
}

#[tokio::test]
async fn sigterm_closes_every_client_with_1001_and_exits_0() {
    let mut server = Server::start();
    let mut clients = Vec::new();
    for i in 0..3u8 {
        let mut ws = connect(&server).await;
        // One round trip, so the server surely registered the connection.
        send(&mut ws, Message::binary(vec![i; 3])).await;
        expect_binary(recv(&mut ws).await, &[i; 3], "echo before shutdown");
        clients.push(ws);
    }
    server.sigterm();
    for ws in &mut clients {
        match recv(ws).await {
            Message::Close(frame) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1001), "going away")
            }
            other => panic!("expected close 1001, got {}", describe(&other)),
        }
        // Reading on flushes tungstenite's close reply and sees the end.
        let _ = timeout(STEP, ws.next())
            .await
            .expect("connection not closed");
    }
    let status = server
        .wait_exit()
        .expect("server still running 10 s after SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status}");
}
