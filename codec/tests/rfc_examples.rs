//! The worked examples of RFC 6455, byte for byte, in both directions: encoding gives exactly
//! the bytes the RFC prints, and decoding those bytes (whole and one byte at a time) gives
//! exactly the frame and the message.
//! §5.7 (frame examples) and §1.3 (the handshake's accept key).

mod common;

use common::{decode_bytewise, decode_chunked, frames_chunked, DecodedFrame, Owned};
use wsprism::encoder::{encode_frame, fragments};
use wsprism::handshake::{accept_key, is_valid_key, UpgradeRequest};
use wsprism::{Decoder, FrameDecoder, FrameHeader, OpCode, Role};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A final, RSV-clear header, as every §5.7 example has.
fn header(opcode: OpCode, fin: bool, mask: Option<[u8; 4]>, len: u64) -> FrameHeader {
    FrameHeader {
        fin,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode,
        mask,
        payload_len: len,
    }
}

/// The receiving role for a frame: servers receive masked frames, clients unmasked ones.
fn receiver(masked: bool) -> Role {
    if masked {
        Role::Server
    } else {
        Role::Client
    }
}

/// Decodes `wire` whole and byte by byte, at the message level, expecting `expected`.
fn assert_messages(wire: &[u8], masked: bool, expected: &[Owned]) {
    let (got, err) = decode_chunked(&mut Decoder::new(receiver(masked)), wire, &[]);
    assert_eq!((got.as_slice(), err), (expected, None), "whole input");
    let (got, err) = decode_bytewise(&mut Decoder::new(receiver(masked)), wire);
    assert_eq!(
        (got.as_slice(), err),
        (expected, None),
        "one byte at a time"
    );
}

/// Decodes `wire` whole and byte by byte, at the frame level, expecting `expected`.
fn assert_frames(wire: &[u8], masked: bool, expected: &[DecodedFrame]) {
    let all: Vec<usize> = (1..wire.len()).collect();
    for cuts in [&[][..], &all[..]] {
        let got = frames_chunked(&mut FrameDecoder::new(receiver(masked)), wire, cuts);
        assert_eq!(got.as_deref(), Ok(expected), "cuts: {}", cuts.len());
    }
}

fn frame(h: FrameHeader, payload: &[u8]) -> DecodedFrame {
    DecodedFrame {
        header: h,
        payload: payload.to_vec(),
    }
}

#[test]
fn single_frame_unmasked_text() {
    // §5.7: 0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f (contains "Hello")
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let mut out = Vec::new();
    encode_frame(&mut out, OpCode::Text, true, None, b"Hello");
    assert_eq!(out, wire);
    assert_eq!(
        header(OpCode::Text, true, None, 5).encode().as_bytes(),
        &wire[..2]
    );
    assert_frames(
        &wire,
        false,
        &[frame(header(OpCode::Text, true, None, 5), b"Hello")],
    );
    assert_messages(&wire, false, &[Owned::Text("Hello".into())]);
}

#[test]
fn single_frame_masked_text() {
    // §5.7: 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58 (contains "Hello")
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let mut out = Vec::new();
    encode_frame(&mut out, OpCode::Text, true, Some(KEY), b"Hello");
    assert_eq!(out, wire);
    assert_frames(
        &wire,
        true,
        &[frame(header(OpCode::Text, true, Some(KEY), 5), b"Hello")],
    );
    assert_messages(&wire, true, &[Owned::Text("Hello".into())]);
}

#[test]
fn fragmented_unmasked_text() {
    // §5.7: 0x01 0x03 0x48 0x65 0x6c (contains "Hel"), 0x80 0x02 0x6c 0x6f (contains "lo")
    let wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    let mut out = Vec::new();
    for (op, fin, piece) in fragments(OpCode::Text, b"Hello", 3) {
        encode_frame(&mut out, op, fin, None, piece);
    }
    assert_eq!(out, wire);
    assert_frames(
        &wire,
        false,
        &[
            frame(header(OpCode::Text, false, None, 3), b"Hel"),
            frame(header(OpCode::Continuation, true, None, 2), b"lo"),
        ],
    );
    assert_messages(&wire, false, &[Owned::Text("Hello".into())]);
}

#[test]
fn unmasked_ping_and_masked_pong() {
    // §5.7: ping 0x89 0x05 0x48 0x65 0x6c 0x6c 0x6f (body "Hello"), and the masked response
    // 0x8a 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58 (body "Hello").
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let mut out = Vec::new();
    encode_frame(&mut out, OpCode::Ping, true, None, b"Hello");
    assert_eq!(out, ping);
    out.clear();
    encode_frame(&mut out, OpCode::Pong, true, Some(KEY), b"Hello");
    assert_eq!(out, pong);

    assert_frames(
        &ping,
        false,
        &[frame(header(OpCode::Ping, true, None, 5), b"Hello")],
    );
    assert_frames(
        &pong,
        true,
        &[frame(header(OpCode::Pong, true, Some(KEY), 5), b"Hello")],
    );
    assert_messages(&ping, false, &[Owned::Ping(b"Hello".to_vec())]);
    assert_messages(&pong, true, &[Owned::Pong(b"Hello".to_vec())]);
}

/// The payload of the long examples: the RFC leaves it open, so every byte value appears.
fn long_payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn binary_256_bytes_in_one_unmasked_frame() {
    // §5.7: 0x82 0x7E 0x0100 [256 bytes of binary data]
    let payload = long_payload(256);
    let mut wire = vec![0x82, 0x7E, 0x01, 0x00];
    wire.extend_from_slice(&payload);
    let mut out = Vec::new();
    encode_frame(&mut out, OpCode::Binary, true, None, &payload);
    assert_eq!(out, wire);
    assert_frames(
        &wire,
        false,
        &[frame(header(OpCode::Binary, true, None, 256), &payload)],
    );
    assert_messages(&wire, false, &[Owned::Binary(payload)]);
}

#[test]
fn binary_64_kib_in_one_unmasked_frame() {
    // §5.7: 0x82 0x7F 0x0000000000010000 [65536 bytes of binary data]
    let payload = long_payload(65536);
    let mut wire = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00];
    wire.extend_from_slice(&payload);
    let mut out = Vec::new();
    encode_frame(&mut out, OpCode::Binary, true, None, &payload);
    assert_eq!(out, wire);
    assert_frames(
        &wire,
        false,
        &[frame(header(OpCode::Binary, true, None, 65536), &payload)],
    );
    assert_messages(&wire, false, &[Owned::Binary(payload)]);
}

#[test]
fn the_long_examples_masked_too() {
    // The same two lengths as a client sends them: the header grows by the key, and the
    // payload is the plain one XORed with the repeating key (§5.3).
    for len in [256usize, 65536] {
        let payload = long_payload(len);
        let mut out = Vec::new();
        encode_frame(&mut out, OpCode::Binary, true, Some(KEY), &payload);
        let head = if len == 256 {
            vec![0x82, 0xFE, 0x01, 0x00]
        } else {
            vec![0x82, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]
        };
        assert_eq!(&out[..head.len()], &head[..]);
        assert_eq!(&out[head.len()..head.len() + 4], &KEY);
        let body = &out[head.len() + 4..];
        assert!(body
            .iter()
            .zip(&payload)
            .enumerate()
            .all(|(i, (m, p))| *m == p ^ KEY[i % 4]));
        assert_messages(&out, true, &[Owned::Binary(payload)]);
    }
}

#[test]
fn handshake_accept_key_of_section_1_3() {
    // §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
    let key = b"dGhlIHNhbXBsZSBub25jZQ==";
    assert!(is_valid_key(key));
    assert_eq!(accept_key(key).as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(accept_key(key).to_string(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    // The whole client handshake printed in §1.3, through the request checks.
    let headers: [(&str, &[u8]); 7] = [
        ("Host", b"server.example.com"),
        ("Upgrade", b"websocket"),
        ("Connection", b"Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Origin", b"http://example.com"),
        ("Sec-WebSocket-Protocol", b"chat, superchat"),
        ("Sec-WebSocket-Version", b"13"),
    ];
    let req = UpgradeRequest::from_headers(headers);
    assert_eq!(
        req.validate("GET", true).map(|k| k.to_string()),
        Ok("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".to_string())
    );
    assert_eq!(req.select_protocol(&["chat"]), Some("chat"));
    assert_eq!(req.origin, Some("http://example.com"));
}
