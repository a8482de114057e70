//! `/echo` and the connection engine's protocol behaviour: echo, control frames, the close
//! handshake, protocol errors with the codec's close codes, the size limit, keepalive.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{Client, Msg, Server};
use wsprism::OpCode;

#[test]
fn echoes_text_as_text_and_binary_as_binary() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    c.text("héllo wörld");
    assert_eq!(c.recv(), Msg::Text("héllo wörld".into()));
    c.send(OpCode::Binary, true, &[0, 159, 146, 150, 255]);
    assert_eq!(c.recv(), Msg::Binary(vec![0, 159, 146, 150, 255]));
    c.text("");
    assert_eq!(c.recv(), Msg::Text(String::new()));
    // Payload lengths across the 7/16/64-bit length encodings, in one burst.
    let sizes = [125usize, 126, 65535, 65536, 300_000];
    for &n in &sizes {
        let payload: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        c.send(OpCode::Binary, true, &payload);
    }
    for &n in &sizes {
        match c.recv() {
            Msg::Binary(b) => {
                assert_eq!(b.len(), n);
                assert!(b.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn fragmented_messages_with_interleaved_ping_are_reassembled() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    // "€" (e2 82 ac) split across fragments: valid once whole (§5.6 allows the split).
    c.send(OpCode::Text, false, b"price: \xe2\x82");
    c.send(OpCode::Ping, true, b"in between");
    c.send(OpCode::Continuation, false, b"\xac 5");
    c.send(OpCode::Continuation, true, b"!");
    assert_eq!(c.recv(), Msg::Pong(b"in between".to_vec()));
    assert_eq!(c.recv(), Msg::Text("price: € 5!".into()));
}

#[test]
fn byte_at_a_time_delivery_works() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    let frame = c.frame(OpCode::Text, true, b"trickle");
    for b in frame {
        c.raw(&[b]);
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(c.recv(), Msg::Text("trickle".into()));
}

#[test]
fn client_close_is_echoed_and_the_server_closes_tcp_first() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    c.close(4001, "bye");
    // §5.5.1: the reply echoes the code; §7.1.1: then the server closes TCP.
    assert_eq!(c.recv(), Msg::Close(Some((4001, String::new()))));
    c.expect_eof();

    // A close without a code is answered without one.
    let mut c = Client::connect(server.addr, "/echo");
    c.send(OpCode::Close, true, b"");
    assert_eq!(c.recv(), Msg::Close(None));
    c.expect_eof();
    assert!(server.metric("wsprism_closes_total{initiator=\"client\",code=\"1005\"}") >= 1);
}

/// Builds the offending bytes with the client's masking.
type MakeFrame = Box<dyn Fn(&mut Client) -> Vec<u8>>;

#[test]
fn protocol_errors_close_with_the_codecs_code() {
    let server = Server::start(&[]);
    let cases: Vec<(&str, MakeFrame, u16)> = vec![
        (
            "unmasked frame (§5.1)",
            Box::new(|_| vec![0x81, 0x02, b'h', b'i']),
            1002,
        ),
        (
            "reserved opcode (§5.2)",
            Box::new(|c| c.frame(OpCode::from_u4(3), true, b"")),
            1002,
        ),
        (
            "RSV2 without extension (§5.2)",
            Box::new(|c| {
                let mut f = c.frame(OpCode::Text, true, b"a");
                f[0] |= 0x20;
                f
            }),
            1002,
        ),
        (
            "fragmented ping (§5.5)",
            Box::new(|c| c.frame(OpCode::Ping, false, b"")),
            1002,
        ),
        (
            "long ping (§5.5)",
            Box::new(|c| c.frame(OpCode::Ping, true, &[0; 126])),
            1002,
        ),
        (
            "continuation first (§5.4)",
            Box::new(|c| c.frame(OpCode::Continuation, true, b"x")),
            1002,
        ),
        (
            "invalid UTF-8 (§8.1)",
            Box::new(|c| c.frame(OpCode::Text, true, b"\xff\xfe")),
            1007,
        ),
        (
            "bad close code (§7.4)",
            Box::new(|c| c.frame(OpCode::Close, true, &[0x03, 0xED])),
            1002,
        ),
        (
            "one-byte close (§5.5.1)",
            Box::new(|c| c.frame(OpCode::Close, true, &[0x03])),
            1002,
        ),
        (
            "close reason not UTF-8",
            Box::new(|c| c.frame(OpCode::Close, true, &[0x03, 0xE8, 0xC0])),
            1007,
        ),
        (
            "64-bit length with MSB set (§5.2)",
            Box::new(|_| vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
            1002,
        ),
    ];
    for (what, make, code) in cases {
        let mut c = Client::connect(server.addr, "/echo");
        let bytes = make(&mut c);
        c.raw(&bytes);
        match c.recv() {
            Msg::Close(Some((got, reason))) => {
                assert_eq!(got, code, "{what}");
                assert!(!reason.is_empty(), "{what}: the reason names the rule");
            }
            other => panic!("{what}: {other:?}"),
        }
        c.expect_eof();
    }
}

#[test]
fn sixteen_mib_is_allowed_and_one_byte_more_is_1009() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    let exact = vec![b'a'; 16 << 20];
    c.send(OpCode::Binary, true, &exact);
    assert_eq!(c.recv(), Msg::Binary(exact));
    // The same limit holds for a message in fragments.
    let half = vec![b'b'; 8 << 20];
    c.send(OpCode::Binary, false, &half);
    c.send(OpCode::Continuation, true, &half);
    assert_eq!(c.recv(), Msg::Binary([half.clone(), half].concat()));
    // One byte more: refused from the header alone, before the payload is read.
    let mut header = wsprism::FrameHeader::new(OpCode::Binary, (16 << 20) + 1);
    header.mask = Some([1, 2, 3, 4]);
    c.raw(&header.encode());
    assert_eq!(c.recv_close().map(|c| c.0), Some(1009));

    // Over the limit in fragments: 1009 at the fragment that passes it.
    let mut c = Client::connect(server.addr, "/echo");
    let piece = vec![b'c'; 6 << 20];
    c.send(OpCode::Binary, false, &piece);
    c.send(OpCode::Continuation, false, &piece);
    c.send(OpCode::Continuation, true, &piece);
    assert_eq!(c.recv_close().map(|c| c.0), Some(1009));
}

#[test]
fn max_message_size_flag_is_honoured() {
    let server = Server::start(&["--max-message-size", "1KiB"]);
    let mut c = Client::connect(server.addr, "/echo");
    c.send(OpCode::Text, true, &[b'x'; 1024]);
    assert_eq!(c.recv(), Msg::Text("x".repeat(1024)));
    c.send(OpCode::Text, true, &[b'x'; 1025]);
    assert_eq!(c.recv_close().map(|c| c.0), Some(1009));
}

#[test]
fn keepalive_pings_an_idle_client_and_drops_a_silent_one() {
    let server = Server::start(&["--ping-interval", "300ms", "--pong-timeout", "500ms"]);
    // A client that answers stays connected across several intervals.
    let mut alive = Client::connect(server.addr, "/echo");
    for _ in 0..3 {
        assert_eq!(alive.recv(), Msg::Ping(vec![]));
        alive.send(OpCode::Pong, true, b"");
    }
    alive.text("still here");
    assert_eq!(alive.recv(), Msg::Text("still here".into()));

    // A client that never answers is dropped (no close frame: it is presumed dead).
    let mut silent = Client::connect(server.addr, "/echo");
    let t = Instant::now();
    let mut buf = Vec::new();
    let _ = silent.stream.read_to_end(&mut buf);
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(700), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(buf, [0x89, 0x00], "one ping, then the connection ends");
    assert!(server.metric("wsprism_connection_drops_total{reason=\"pong-timeout\"}") >= 1);
}

#[test]
fn unanswered_server_close_times_out() {
    // The server initiates the close (an /inspect command) and the client never answers.
    let server = Server::start(&["--close-timeout", "500ms"]);
    let mut c = Client::connect(server.addr, "/inspect");
    c.text(r#"{"cmd":"close","code":1000,"reason":"done"}"#);
    assert_eq!(c.recv_close(), Some((1000, "done".into())));
    let t = Instant::now();
    let mut buf = Vec::new();
    let _ = c.stream.read_to_end(&mut buf);
    assert!(buf.is_empty());
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(
        server.metric("wsprism_connection_drops_total{reason=\"close-timeout\"}"),
        1
    );
}

#[test]
fn garbage_never_crashes_the_server() {
    let server = Server::start(&[]);
    // A deterministic stream of random frames-ish bytes, masked or not, on many connections.
    let mut seed = 0x1234_5678u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for _ in 0..50 {
        let mut c = Client::connect(server.addr, "/inspect");
        let len = (next() % 200) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        c.raw(&bytes);
        // Whatever the server answers, it ends with a close or waits for more; either way
        // it must not die.
        drop(c);
    }
    let mut c = Client::connect(server.addr, "/echo");
    c.text("alive");
    assert_eq!(c.recv(), Msg::Text("alive".into()));
}

#[test]
fn invalid_utf8_fails_at_once_even_in_an_unfinished_frame() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    // A 100 KB text frame: a valid prefix, then 0xff; the rest is never sent.
    let mut payload = vec![b'a'; 100_000];
    payload[60_000] = 0xff;
    let frame = c.frame(OpCode::Text, true, &payload);
    let cut = frame.len() - payload.len() + 60_001;
    c.raw(&frame[..cut]);
    let t = Instant::now();
    assert_eq!(c.recv_close().map(|c| c.0), Some(1007));
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "not fail-fast: {:?}",
        t.elapsed()
    );

    // Large text arriving in pieces (and in fragments) still echoes whole.
    let mut c = Client::connect(server.addr, "/echo");
    let text = "ω".repeat(150_000); // 300 KB, multi-byte characters across read boundaries
    let frame = c.frame(OpCode::Text, true, text.as_bytes());
    for piece in frame.chunks(7_777) {
        c.raw(piece);
    }
    assert_eq!(c.recv(), Msg::Text(text.clone()));
    let (a, b) = text.as_bytes().split_at(100_001); // inside a character
    c.send(OpCode::Text, false, a);
    c.send(OpCode::Continuation, true, b);
    assert_eq!(c.recv(), Msg::Text(text));
}
