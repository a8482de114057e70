//! permessage-deflate (RFC 7692) end to end: negotiation answers, compressed echo in both
//! directions, the inflation limit (1009), misplaced RSV1 (1002), UTF-8 after inflation
//! (1007), the metrics, and /chat and /inspect on a compressed connection.

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};

use common::{read_head, read_more, upgrade_request, Msg, Response, Server, READ_TIMEOUT};
use wsprism::deflate::{Agreed, ClientOffer, Deflater, Inflater, RSV1};
use wsprism::encoder::encode_with_header;
use wsprism::message::Incoming;
use wsprism::{Decoder, DecoderConfig, FrameHeader, OpCode, Role};

/// A blocking client that offers permessage-deflate.
struct DClient {
    stream: TcpStream,
    response: Response,
    agreed: Option<Agreed>,
    decoder: Decoder,
    tx: Option<Deflater>,
    rx: Option<Inflater>,
    buf: Vec<u8>,
    start: usize,
}

/// Opens a WebSocket to `path` with `Sec-WebSocket-Extensions: offer` (if any).
fn handshake(addr: SocketAddr, path: &str, offer: Option<&str>) -> DClient {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    let extra = offer.map_or(String::new(), |o| {
        format!("Sec-WebSocket-Extensions: {o}\r\n")
    });
    stream
        .write_all(upgrade_request(addr, path, &extra).as_bytes())
        .unwrap();
    let (response, buf) = read_head(&mut stream);
    assert_eq!(response.status, 101, "{response:?}");
    // What a client must check (RFC 7692 §5): a valid answer to the offer we made.
    let agreed = ClientOffer::default()
        .validate_response(response.header("sec-websocket-extensions"))
        .expect("a valid Sec-WebSocket-Extensions answer");
    let config = DecoderConfig {
        max_message_len: 1 << 30,
        max_frame_len: 1 << 30,
        allowed_rsv: 0,
    };
    let mut decoder = Decoder::with_config(Role::Client, config);
    if agreed.is_some() {
        decoder = decoder.with_per_message_rsv(RSV1);
    }
    DClient {
        stream,
        response,
        tx: agreed.map(|a| a.client_deflater()),
        rx: agreed.map(|a| a.server_inflater()),
        agreed,
        decoder,
        buf,
        start: 0,
    }
}

impl DClient {
    fn compress(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.tx
            .as_mut()
            .expect("deflate agreed")
            .compress(payload, &mut out)
            .unwrap();
        out
    }

    /// Sends one masked frame with the given RSV1 bit.
    fn frame(&mut self, opcode: OpCode, fin: bool, rsv1: bool, payload: &[u8]) {
        let mut h = FrameHeader::new(opcode, payload.len() as u64);
        h.fin = fin;
        h.rsv1 = rsv1;
        h.mask = Some([0x12, 0x34, 0x56, 0x78]);
        let mut out = Vec::new();
        encode_with_header(&mut out, &h, payload);
        self.stream.write_all(&out).unwrap();
    }

    /// Sends a message compressed, in one frame.
    fn send_compressed(&mut self, opcode: OpCode, payload: &[u8]) {
        let z = self.compress(payload);
        self.frame(opcode, true, true, &z);
    }

    /// The next message and whether it came compressed.
    fn recv(&mut self) -> (Msg, bool) {
        self.try_recv().expect("a message")
    }

    fn try_recv(&mut self) -> Option<(Msg, bool)> {
        loop {
            if self.start < self.buf.len() {
                let (used, incoming) = self
                    .decoder
                    .decode_with_extensions(&mut self.buf[self.start..])
                    .expect("the server speaks RFC 6455 and RFC 7692");
                let msg = match incoming {
                    None => None,
                    Some(Incoming::Message(m)) => Some((Msg::from(m), false)),
                    Some(Incoming::Extension {
                        opcode, payload, ..
                    }) => {
                        let mut out = Vec::new();
                        self.rx
                            .as_mut()
                            .expect("RSV1 only after agreement")
                            .decompress(payload, &mut out, 1 << 30)
                            .expect("the server's stream inflates");
                        Some(match opcode {
                            OpCode::Text => (Msg::Text(String::from_utf8(out).unwrap()), true),
                            _ => (Msg::Binary(out), true),
                        })
                    }
                };
                self.start += used;
                if msg.is_some() {
                    return msg;
                }
            }
            self.buf.drain(..self.start);
            self.start = 0;
            if !read_more(&mut self.stream, &mut self.buf) {
                return None;
            }
        }
    }

    /// Reads until the close frame; returns its code.
    fn recv_close_code(&mut self) -> u16 {
        loop {
            match self.recv() {
                (Msg::Close(Some((code, _))), _) => return code,
                (Msg::Close(None), _) => return 1005,
                _ => {}
            }
        }
    }
}

/// Compressible bytes: a repeated sentence.
fn compressible(n: usize) -> Vec<u8> {
    b"the quick brown fox jumps over the lazy dog. "
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect()
}

/// Incompressible bytes (xorshift).
fn random(n: usize) -> Vec<u8> {
    let mut x = 0x2545_F491_u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn negotiation_answers() {
    let server = Server::start(&[]);
    let ext = |c: &DClient| {
        c.response
            .header("sec-websocket-extensions")
            .map(str::to_owned)
    };
    // A browser's offer: accepted, with the server resetting its context (always).
    let c = handshake(
        server.addr,
        "/echo",
        Some("permessage-deflate; client_max_window_bits"),
    );
    assert_eq!(
        ext(&c).as_deref(),
        Some("permessage-deflate; server_no_context_takeover")
    );
    assert!(c.agreed.is_some());
    // No offer, or another extension: no header at all.
    assert_eq!(ext(&handshake(server.addr, "/echo", None)), None);
    assert_eq!(
        ext(&handshake(server.addr, "/echo", Some("x-webkit-foo"))),
        None
    );
    // A limit on our window is echoed (RFC 7692 §7.1.2.1) and honoured (Huffman-only).
    assert_eq!(
        ext(&handshake(
            server.addr,
            "/echo",
            Some("permessage-deflate; server_max_window_bits=9")
        ))
        .as_deref(),
        Some("permessage-deflate; server_no_context_takeover; server_max_window_bits=9")
    );
    // Malformed offers (RFC 7692 §5: the server MUST NOT accept): declined by omission.
    for bad in [
        "permessage-deflate; client_max_window_bits=abc",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; unknown_param",
        "permessage-deflate;;",
        "permessage-deflate; a=\"unterminated",
    ] {
        let c = handshake(server.addr, "/echo", Some(bad));
        assert_eq!(ext(&c), None, "offer {bad:?}");
    }
    // The first acceptable offer wins, also across two headers.
    let c = handshake(
        server.addr,
        "/echo",
        Some("permessage-deflate; server_max_window_bits=16\r\nSec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover"),
    );
    assert_eq!(
        ext(&c).as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    );

    let off = Server::start(&["--deflate", "off"]);
    assert_eq!(
        ext(&handshake(off.addr, "/echo", Some("permessage-deflate"))),
        None
    );
    let nct = Server::start(&["--deflate-no-context-takeover"]);
    assert_eq!(
        ext(&handshake(nct.addr, "/echo", Some("permessage-deflate"))).as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    );
}

#[test]
fn echoes_compressed_messages_of_every_size() {
    let server = Server::start(&[]);
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    let cases: Vec<(OpCode, Vec<u8>)> = vec![
        (OpCode::Text, Vec::new()),
        (OpCode::Text, "héllo".as_bytes().to_vec()),
        (OpCode::Binary, compressible(31)),
        (OpCode::Text, compressible(32)),
        (OpCode::Text, compressible(10_000)),
        (OpCode::Binary, compressible(1 << 20)),
        (OpCode::Binary, random(100_000)),
    ];
    for (op, payload) in &cases {
        c.send_compressed(*op, payload);
    }
    let mut sent_compressed = 0;
    for (op, payload) in &cases {
        let (msg, compressed) = c.recv();
        sent_compressed += usize::from(compressed);
        let expected = match op {
            OpCode::Text => Msg::Text(String::from_utf8(payload.clone()).unwrap()),
            _ => Msg::Binary(payload.clone()),
        };
        assert_eq!(msg, expected, "{} bytes", payload.len());
        // Below 32 bytes, or not shrinking (random): sent with RSV1 clear (RFC 7692 §6).
        let mut z = Vec::new();
        Deflater::new(true).compress(payload, &mut z).unwrap();
        let worth = payload.len() >= 32 && z.len() < payload.len();
        assert_eq!(compressed, worth, "{} bytes", payload.len());
    }
    // The two large compressible ones; not the small ones nor the random one.
    assert_eq!(sent_compressed, 2);
    // An uncompressed message on a compressed connection is still a plain message.
    c.frame(OpCode::Text, true, false, b"plain and short");
    assert_eq!(c.recv(), (Msg::Text("plain and short".into()), false));
    // A compressed message in three fragments: RSV1 on the first frame only.
    let text = compressible(50_000);
    let z = c.compress(&text);
    let (a, rest) = z.split_at(z.len() / 3);
    let (b, d) = rest.split_at(rest.len() / 2);
    c.frame(OpCode::Text, false, true, a);
    c.frame(OpCode::Ping, true, false, b"between");
    c.frame(OpCode::Continuation, false, false, b);
    c.frame(OpCode::Continuation, true, false, d);
    assert_eq!(c.recv(), (Msg::Pong(b"between".to_vec()), false));
    assert_eq!(
        c.recv(),
        (Msg::Text(String::from_utf8(text).unwrap()), true)
    );
    // Bytes saved in both directions are counted.
    drop(c);
    let saved_in = server.metric("wsprism_deflate_bytes_saved_total{direction=\"in\"}");
    let saved_out = server.metric("wsprism_deflate_bytes_saved_total{direction=\"out\"}");
    assert!(saved_in > 1_000_000, "saved in {saved_in}");
    assert!(saved_out > 1_000_000, "saved out {saved_out}");
}

#[test]
fn a_zip_bomb_is_closed_with_1009_while_inflating() {
    let server = Server::start(&["--max-message-size", "1MiB"]);
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    // 64 MiB of zeros compress to about 64 KiB: well under the 1 MiB wire limit.
    let bomb = c.compress(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 1 << 20);
    c.frame(OpCode::Binary, true, true, &bomb);
    assert_eq!(c.recv_close_code(), 1009);
    // Exactly at the limit is fine on a fresh connection.
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    c.send_compressed(OpCode::Binary, &vec![7u8; 1 << 20]);
    assert_eq!(c.recv(), (Msg::Binary(vec![7u8; 1 << 20]), true));
}

#[test]
fn protocol_errors_on_compressed_connections() {
    let server = Server::start(&[]);
    // RSV1 on a continuation frame (RFC 7692 §6.1): 1002.
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    c.frame(OpCode::Text, false, false, b"abc");
    c.frame(OpCode::Continuation, true, true, b"def");
    assert_eq!(c.recv_close_code(), 1002);
    // RSV1 on a control frame: 1002.
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    c.frame(OpCode::Ping, true, true, b"x");
    assert_eq!(c.recv_close_code(), 1002);
    // RSV1 without the extension agreed (RFC 6455 §5.2): 1002.
    let mut c = handshake(server.addr, "/echo", None);
    c.frame(OpCode::Text, true, true, b"\xf2\x48\xcd\xc9\xc9\x07\x00");
    assert_eq!(c.recv_close_code(), 1002);
    // Invalid UTF-8 once inflated (RFC 6455 §8.1): 1007.
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    c.send_compressed(OpCode::Text, b"valid so far \xff\xfe not any more");
    assert_eq!(c.recv_close_code(), 1007);
    // A corrupt DEFLATE stream: 1007.
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    c.frame(OpCode::Binary, true, true, &[0xff; 16]);
    assert_eq!(c.recv_close_code(), 1007);
}

#[test]
fn context_takeover_from_the_client_is_honoured() {
    // The client keeps its window (the default offer): its later messages refer back to
    // earlier ones, which the server's inflater must still hold, across read batches.
    let server = Server::start(&[]);
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    let msg = compressible(5_000);
    for _ in 0..3 {
        c.send_compressed(OpCode::Binary, &msg);
        assert_eq!(c.recv(), (Msg::Binary(msg.clone()), true));
    }
    let again = c.compress(&msg);
    assert!(
        again.len() < 64,
        "the context makes a repeat tiny: {}",
        again.len()
    );
    c.frame(OpCode::Binary, true, true, &again);
    assert_eq!(c.recv(), (Msg::Binary(msg), true));
}

#[test]
fn chat_and_inspect_on_compressed_connections() {
    let server = Server::start(&[]);
    let mut a = handshake(server.addr, "/chat", Some("permessage-deflate"));
    let (welcome, _) = a.recv();
    assert!(matches!(welcome, Msg::Text(_)));
    let mut b = handshake(server.addr, "/chat", Some("permessage-deflate"));
    let line = String::from_utf8(compressible(2_000)).unwrap();
    b.send_compressed(OpCode::Text, line.as_bytes());
    // The broadcast (shared by every member) arrives uncompressed, intact.
    loop {
        match a.recv() {
            (Msg::Text(t), false) if t.contains("lazy dog") => break,
            (Msg::Text(_), _) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }

    let mut i = handshake(server.addr, "/inspect", Some("permessage-deflate"));
    let text = String::from_utf8(compressible(1_000)).unwrap();
    i.send_compressed(OpCode::Text, text.as_bytes());
    let (report, _) = i.recv();
    let Msg::Text(report) = report else {
        panic!("a report")
    };
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["direction"], "in");
    assert_eq!(v["rsv1"], true);
    assert!(v.get("text").is_none(), "compressed bytes are not text");
    // What the compressed messages say: the one read, then the echo about to be written.
    for direction in ["in", "out"] {
        let Msg::Text(r) = i.recv().0 else {
            panic!("a report")
        };
        let v: serde_json::Value = serde_json::from_str(&r).unwrap();
        assert_eq!(v["type"], "inflated");
        assert_eq!(v["direction"], direction);
        assert_eq!(v["opcodeName"], "text");
        assert_eq!(v["length"], 1_000);
        assert_eq!(v["text"], text.as_str());
    }
    let (out_report, _) = i.recv();
    let Msg::Text(out_report) = out_report else {
        panic!("a report")
    };
    let v: serde_json::Value = serde_json::from_str(&out_report).unwrap();
    assert_eq!(v["direction"], "out");
    assert_eq!(v["rsv1"], true);
    assert_eq!(i.recv(), (Msg::Text(text), true));
}

#[test]
fn incompressible_messages_at_the_limit_pass() {
    // Random data compresses to slightly more than itself: a message at the limit still fits.
    let server = Server::start(&["--max-message-size", "1MiB"]);
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    let data = random(1 << 20);
    let z = c.compress(&data);
    assert!(z.len() > data.len(), "stored blocks add overhead");
    c.frame(OpCode::Binary, true, true, &z);
    assert_eq!(c.recv(), (Msg::Binary(data), false));
    // One byte more than the limit, however well it compresses: 1009.
    c.send_compressed(OpCode::Binary, &vec![1u8; (1 << 20) + 1]);
    assert_eq!(c.recv_close_code(), 1009);
}

#[test]
fn uncompressed_messages_keep_the_exact_limit_on_deflate_connections() {
    let server = Server::start(&["--max-message-size", "64KiB"]);
    let mut c = handshake(server.addr, "/echo", Some("permessage-deflate"));
    c.frame(OpCode::Binary, true, false, &random(64 << 10));
    assert_eq!(c.recv(), (Msg::Binary(random(64 << 10)), false));
    c.frame(OpCode::Binary, true, false, &random((64 << 10) + 1));
    assert_eq!(c.recv_close_code(), 1009);
}

/// RSS growth per idle connection after one compressed message each way, in KiB.
fn idle_cost_kib(args: &[&str], offer: Option<&str>, n: usize) -> f64 {
    let server = Server::start(args);
    let msg = compressible(4_000);
    let mut warm = handshake(server.addr, "/echo", offer);
    warm.send_compressed_or_plain(&msg);
    assert_eq!(warm.recv().0, Msg::Binary(msg.clone()));
    let before = server.rss_kib();
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = handshake(server.addr, "/echo", offer);
        c.send_compressed_or_plain(&msg);
        let (echo, compressed) = c.recv();
        assert_eq!(echo, Msg::Binary(msg.clone()));
        assert_eq!(compressed, offer.is_some());
        clients.push(c);
    }
    // Let every connection task reach its idle state.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let after = server.rss_kib();
    (after.saturating_sub(before)) as f64 / n as f64
}

impl DClient {
    fn send_compressed_or_plain(&mut self, payload: &[u8]) {
        if self.agreed.is_some() {
            self.send_compressed(OpCode::Binary, payload);
        } else {
            self.frame(OpCode::Binary, true, false, payload);
        }
    }
}

#[test]
fn idle_compressed_connections_hold_no_compressor() {
    // Compressors (about 300 KiB each) are pooled, not kept per connection; what stays is
    // the inflater's window while the client keeps its context (about 43 KiB), and not
    // even that with --deflate-no-context-takeover.
    let n = 1000;
    let plain = idle_cost_kib(&[], None, n);
    let deflate = idle_cost_kib(&[], Some("permessage-deflate"), n);
    let nct = idle_cost_kib(
        &["--deflate-no-context-takeover"],
        Some("permessage-deflate"),
        n,
    );
    println!(
        "RSS per idle connection: {plain:.1} KiB plain, {deflate:.1} KiB with \
         permessage-deflate, {nct:.1} KiB with --deflate-no-context-takeover"
    );
    assert!(
        deflate - plain < 100.0,
        "deflate costs {deflate:.1} KiB per idle connection, plain {plain:.1}"
    );
    // Pooled inflaters: next to nothing beyond a plain connection.
    assert!(nct - plain < 32.0, "no context takeover: {nct:.1} KiB");
}
