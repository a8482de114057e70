//! Walks through the frames of RFC 6455 §5.7: builds each one with the encoder, then feeds
//! the bytes to a decoder one byte at a time and prints what it sees.
//!
//! Run with `cargo run -p wsprism --example demo`.

use wsprism::header::LengthEncoding;
use wsprism::{encoder, Decoder, FrameDecoder, FrameEvent, Message, OpCode, Role};

/// Hex of the first 24 bytes, then an ellipsis.
fn hex(bytes: &[u8]) -> String {
    let shown: Vec<_> = bytes.iter().take(24).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 24 { " …" } else { "" };
    format!("{}{more}", shown.join(" "))
}

fn show(title: &str, role: Role, mut wire: Vec<u8>) {
    println!("\n{title}\n  wire ({} bytes): {}", wire.len(), hex(&wire));
    let mut frames = FrameDecoder::new(role);
    let mut copy = wire.clone();
    let mut at = 0;
    while let Ok((used, Some(ev))) = frames.decode(&mut copy[at..]) {
        if let FrameEvent::Header(h) = ev {
            let enc = LengthEncoding::for_len(h.payload_len);
            println!(
                "  frame: FIN={} RSV={}{}{} opcode={} MASK={} key={} length={} ({}-bit field)",
                h.fin as u8,
                h.rsv1 as u8,
                h.rsv2 as u8,
                h.rsv3 as u8,
                h.opcode,
                h.mask.is_some() as u8,
                h.mask.map(|k| hex(&k)).unwrap_or_else(|| "-".into()),
                h.payload_len,
                enc.bits(),
            );
        }
        at += used;
    }
    // The message layer, fed one byte at a time: the chunking does not change the result.
    let mut messages = Decoder::new(role);
    for i in 0..wire.len() {
        match messages.decode(&mut wire[i..=i]) {
            Ok((_, Some(Message::Text(t)))) => println!("  message: text {t:?}"),
            Ok((_, Some(Message::Binary(b)))) => println!("  message: binary, {} bytes", b.len()),
            Ok((_, Some(m))) => println!("  message: {m:?}"),
            Ok((_, None)) => {}
            Err(e) => {
                println!("  error: {e} -> close {}", e.close_code());
                return;
            }
        }
    }
}

fn frame(op: OpCode, fin: bool, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encoder::encode_frame(&mut out, op, fin, mask, payload);
    out
}

fn main() {
    let key = Some([0x37, 0xfa, 0x21, 0x3d]);
    println!("RFC 6455 §5.7 examples, encoded and decoded by wsprism");
    show(
        "A single-frame unmasked text message",
        Role::Client,
        frame(OpCode::Text, true, None, b"Hello"),
    );
    show(
        "A single-frame masked text message",
        Role::Server,
        frame(OpCode::Text, true, key, b"Hello"),
    );
    let mut fragmented = frame(OpCode::Text, false, None, b"Hel");
    fragmented.extend(frame(OpCode::Continuation, true, None, b"lo"));
    show(
        "A fragmented unmasked text message",
        Role::Client,
        fragmented,
    );
    show(
        "Unmasked Ping request",
        Role::Client,
        frame(OpCode::Ping, true, None, b"Hello"),
    );
    show(
        "Masked Pong response",
        Role::Server,
        frame(OpCode::Pong, true, key, b"Hello"),
    );
    show(
        "256 bytes binary message in a single unmasked frame",
        Role::Client,
        frame(OpCode::Binary, true, None, &[0xAB; 256]),
    );
    show(
        "64KiB binary message in a single unmasked frame",
        Role::Client,
        frame(OpCode::Binary, true, None, &vec![0xCD; 65536]),
    );
    show(
        "A protocol error: unmasked frame sent to a server",
        Role::Server,
        frame(OpCode::Text, true, None, b"Hello"),
    );
    let mut bad_utf8 = frame(OpCode::Text, false, None, b"ok \xce");
    bad_utf8.extend(frame(OpCode::Continuation, true, None, b"\xff never read"));
    show(
        "A protocol error: invalid UTF-8, caught before the last fragment ends",
        Role::Client,
        bad_utf8,
    );
}
