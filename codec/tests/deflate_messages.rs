//! The message layer with permessage-deflate's RSV1 (RFC 7692 §6): `Decoder` configured with
//! `with_per_message_rsv(RSV1)` hands compressed messages back raw, keeps every other rule,
//! and fails a connection that sets RSV1 on a continuation or control frame (1002).
#![cfg(feature = "deflate")]

use wsprism::deflate::{Deflater, Inflater, RSV1};
use wsprism::encoder::encode_with_header;
use wsprism::message::Incoming;
use wsprism::{CloseCode, Decoder, Error, FrameHeader, Message, OpCode, Role};

/// A masked frame, as a client sends it.
fn frame(out: &mut Vec<u8>, opcode: OpCode, fin: bool, rsv: u8, payload: &[u8]) {
    let header = FrameHeader {
        fin,
        rsv1: rsv & 0x40 != 0,
        rsv2: rsv & 0x20 != 0,
        rsv3: rsv & 0x10 != 0,
        opcode,
        mask: Some([0x11, 0x22, 0x33, 0x44]),
        payload_len: payload.len() as u64,
    };
    encode_with_header(out, &header, payload);
}

fn server() -> Decoder {
    Decoder::new(Role::Server).with_per_message_rsv(RSV1)
}

/// Everything the decoder yields for `wire`, fed in pieces of `chunk` bytes, as owned values:
/// `(opcode, rsv, payload)` with rsv 0 for plain messages.
fn run(dec: &mut Decoder, wire: &[u8], chunk: usize) -> Result<Vec<(OpCode, u8, Vec<u8>)>, Error> {
    let mut got = Vec::new();
    let mut buf = wire.to_vec();
    for piece in buf.chunks_mut(chunk) {
        let mut at = 0;
        while at < piece.len() {
            let (used, incoming) = dec.decode_with_extensions(&mut piece[at..])?;
            at += used;
            match incoming {
                None => {}
                Some(Incoming::Message(m)) => {
                    let data = match m {
                        Message::Text(t) => t.as_bytes().to_vec(),
                        Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.to_vec(),
                        Message::Close(_) => Vec::new(),
                    };
                    got.push((m.opcode(), 0, data));
                }
                Some(Incoming::Extension {
                    opcode,
                    rsv,
                    payload,
                }) => got.push((opcode, rsv, payload.to_vec())),
            }
        }
    }
    Ok(got)
}

#[test]
fn compressed_messages_come_back_raw_with_their_opcode() {
    let mut tx = Deflater::new(false);
    let mut hello = Vec::new();
    tx.compress(b"Hello", &mut hello).unwrap();
    let mut world = Vec::new();
    tx.compress("wörld".as_bytes(), &mut world).unwrap();

    let mut wire = Vec::new();
    frame(&mut wire, OpCode::Text, true, RSV1, &hello);
    // Fragmented: RSV1 on the first frame only, a ping in between.
    frame(&mut wire, OpCode::Binary, false, RSV1, &world[..3]);
    frame(&mut wire, OpCode::Ping, true, 0, b"p");
    frame(&mut wire, OpCode::Continuation, true, 0, &world[3..]);
    // Uncompressed messages are still checked and delivered as before.
    frame(&mut wire, OpCode::Text, true, 0, b"plain");

    for chunk in [wire.len(), 1, 3, 7] {
        let got = run(&mut server(), &wire, chunk).unwrap();
        assert_eq!(
            got,
            [
                (OpCode::Text, RSV1, hello.clone()),
                (OpCode::Ping, 0, b"p".to_vec()),
                (OpCode::Binary, RSV1, world.clone()),
                (OpCode::Text, 0, b"plain".to_vec()),
            ],
            "chunk {chunk}"
        );
        // The receiver's side of RFC 7692 §7.2.2: inflate, then check text (§8.1).
        let mut rx = Inflater::new(false);
        let mut text = Vec::new();
        rx.decompress(&got[0].2, &mut text, 1 << 20).unwrap();
        assert_eq!(std::str::from_utf8(&text).unwrap(), "Hello");
        let mut data = Vec::new();
        rx.decompress(&got[2].2, &mut data, 1 << 20).unwrap();
        assert_eq!(data, "wörld".as_bytes());
    }
}

#[test]
fn plain_decode_hands_compressed_text_back_as_binary() {
    let mut wire = Vec::new();
    // 0xf2 is not UTF-8: the compressed bytes are not checked as text.
    frame(
        &mut wire,
        OpCode::Text,
        true,
        RSV1,
        &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
    );
    let mut dec = server();
    let (_, msg) = dec.decode(&mut wire).unwrap();
    assert_eq!(
        msg,
        Some(Message::Binary(
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00][..]
        ))
    );
}

#[test]
fn rsv1_on_a_continuation_or_control_frame_is_1002() {
    let cases: [&[(OpCode, bool, u8)]; 4] = [
        &[
            (OpCode::Text, false, RSV1),
            (OpCode::Continuation, true, RSV1),
        ],
        &[
            (OpCode::Binary, false, 0),
            (OpCode::Continuation, true, RSV1),
        ],
        &[(OpCode::Ping, true, RSV1)],
        &[(OpCode::Close, true, RSV1)],
    ];
    for frames in cases {
        let mut wire = Vec::new();
        for &(op, fin, rsv) in frames {
            frame(&mut wire, op, fin, rsv, b"ab");
        }
        for chunk in [wire.len(), 1] {
            let err = run(&mut server(), &wire, chunk).unwrap_err();
            assert_eq!(
                err,
                Error::MisplacedPerMessageRsv { bits: RSV1 },
                "{frames:?}"
            );
            assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
            assert_eq!((err.rfc(), err.rfc_section()), (7692, "6.1"));
        }
    }
}

#[test]
fn other_rsv_bits_stay_reserved() {
    let mut wire = Vec::new();
    frame(&mut wire, OpCode::Text, true, 0x20, b"x");
    assert_eq!(
        run(&mut server(), &wire, wire.len()),
        Err(Error::ReservedBitsSet { bits: 0x20 })
    );
    // Without the declaration RSV1 is reserved too, exactly as before.
    let mut wire = Vec::new();
    frame(&mut wire, OpCode::Text, true, RSV1, b"x");
    assert_eq!(
        run(&mut Decoder::new(Role::Server), &wire, wire.len()),
        Err(Error::ReservedBitsSet { bits: RSV1 })
    );
}

#[test]
fn message_limit_applies_to_the_compressed_size() {
    let config = wsprism::DecoderConfig {
        max_message_len: 4,
        ..Default::default()
    };
    let mut wire = Vec::new();
    frame(&mut wire, OpCode::Binary, true, RSV1, b"12345");
    let mut dec = Decoder::with_config(Role::Server, config).with_per_message_rsv(RSV1);
    assert_eq!(
        run(&mut dec, &wire, wire.len()),
        Err(Error::MessageTooLarge { len: 5, max: 4 })
    );
}
