//! Property tests: encoding then decoding gives back every valid frame and message under any
//! chunking; the decoders never panic on arbitrary bytes and only ever fail with 1002, 1007
//! or 1009; the masking fast path equals the byte loop; the incremental UTF-8 validator
//! agrees with `core::str::from_utf8` and fails exactly on the first impossible byte.
#![cfg(not(target_arch = "wasm32"))] // proptest is a dev-dependency off wasm32 only

mod common;

use common::{decode_chunked, frames_chunked, pieces, DecodedFrame, Owned};
use proptest::prelude::*;
use proptest::sample::Index;
use wsprism::encoder::{encode_with_header, fragments};
use wsprism::mask::{apply_mask, apply_mask_bytewise};
use wsprism::utf8::Utf8Validator;
use wsprism::{Decoder, DecoderConfig, Error, FrameDecoder, FrameEvent, FrameHeader, OpCode, Role};

// ---------------------------------------------------------------------------------------
// Inputs

/// How a byte stream is cut into the inputs of successive `decode` calls.
#[derive(Debug, Clone)]
enum Chunking {
    Whole,
    /// One byte per call: every header and payload split everywhere.
    Bytewise,
    /// Cut at random points.
    Points(Vec<Index>),
    /// Pieces of the given sizes, over and over.
    Sizes(Vec<usize>),
}

impl Chunking {
    fn cuts(&self, len: usize) -> Vec<usize> {
        match self {
            Chunking::Whole => vec![],
            Chunking::Bytewise => (1..len).collect(),
            Chunking::Points(points) => points.iter().map(|p| p.index(len + 1)).collect(),
            Chunking::Sizes(sizes) => {
                let mut cuts = vec![];
                let mut at = 0;
                for size in sizes.iter().cycle() {
                    at += size;
                    if at >= len {
                        break;
                    }
                    cuts.push(at);
                }
                cuts
            }
        }
    }
}

fn chunking() -> impl Strategy<Value = Chunking> {
    prop_oneof![
        1 => Just(Chunking::Whole),
        1 => Just(Chunking::Bytewise),
        3 => prop::collection::vec(any::<Index>(), 1..24).prop_map(Chunking::Points),
        2 => prop::collection::vec(1usize..=20, 1..6).prop_map(Chunking::Sizes),
    ]
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

/// Payload bytes from a seed: cheap to make at 64 KiB, different for every seed.
fn payload(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A data frame length in every length encoding (§5.2): 7-bit, 16-bit, 64-bit, and each
/// boundary.
fn data_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => 0usize..=125,
        2 => prop::sample::select(vec![0usize, 1, 124, 125, 126, 127, 65534, 65535, 65536]),
        2 => 126usize..=4096,
        1 => 4097usize..=65535,
        1 => 65536usize..=70_000,
    ]
}

/// One valid frame, described: opcode, FIN, RSV bits (restricted to the allowed ones
/// later), length, payload seed and masking key.
#[derive(Debug, Clone)]
struct FrameSpec {
    opcode: OpCode,
    fin: bool,
    rsv: u8,
    len: usize,
    seed: u32,
    key: [u8; 4],
}

fn frame_spec() -> impl Strategy<Value = FrameSpec> {
    let opcode = prop::sample::select(vec![
        OpCode::Continuation,
        OpCode::Text,
        OpCode::Binary,
        OpCode::Close,
        OpCode::Ping,
        OpCode::Pong,
    ]);
    (
        opcode,
        any::<bool>(),
        0u8..8,
        data_len(),
        any::<u32>(),
        any::<[u8; 4]>(),
    )
        .prop_map(|(opcode, fin, rsv, len, seed, key)| {
            let control = opcode.is_control();
            FrameSpec {
                opcode,
                // §5.5: control frames are final and carry at most 125 bytes.
                fin: fin || control,
                rsv: rsv << 4,
                len: if control { len % 126 } else { len },
                seed,
                key,
            }
        })
}

impl FrameSpec {
    fn header(&self, receiver: Role, allowed_rsv: u8) -> FrameHeader {
        let rsv = self.rsv & allowed_rsv;
        FrameHeader {
            fin: self.fin,
            rsv1: rsv & 0x40 != 0,
            rsv2: rsv & 0x20 != 0,
            rsv3: rsv & 0x10 != 0,
            opcode: self.opcode,
            // §5.1: what a server receives is masked, what a client receives is not.
            mask: (receiver == Role::Server).then_some(self.key),
            payload_len: self.len as u64,
        }
    }
}

/// A control frame to put between fragments.
#[derive(Debug, Clone)]
enum Control {
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

fn control() -> impl Strategy<Value = Control> {
    let body = prop::collection::vec(any::<u8>(), 0..=125);
    prop_oneof![
        body.clone().prop_map(Control::Ping),
        body.prop_map(Control::Pong)
    ]
}

/// A message, how it is cut into fragments, and control frames to slip in between.
#[derive(Debug, Clone)]
struct MessageSpec {
    text: bool,
    bytes: Vec<u8>,
    fragment_len: usize,
    controls: Vec<(Index, Control)>,
}

fn message_spec() -> impl Strategy<Value = MessageSpec> {
    let text = prop::collection::vec(any::<char>(), 0..120)
        .prop_map(|cs| (true, cs.into_iter().collect::<String>().into_bytes()));
    let binary = prop_oneof![
        8 => prop::collection::vec(any::<u8>(), 0..300),
        1 => (60_000usize..70_000, any::<u32>()).prop_map(|(len, seed)| payload(len, seed)),
    ]
    .prop_map(|b| (false, b));
    let fragment_len = prop_oneof![1usize..=4, 5usize..=64, 65usize..=100_000];
    (
        prop_oneof![text, binary],
        fragment_len,
        prop::collection::vec((any::<Index>(), control()), 0..4),
    )
        .prop_map(|((text, bytes), fragment_len, controls)| MessageSpec {
            // At most ~400 frames per message: a 64 KiB message in 1-byte fragments would
            // only make the test slow, not stronger.
            fragment_len: fragment_len.max(bytes.len() / 400),
            text,
            bytes,
            controls,
        })
}

/// A close frame that may end a stream: a valid code and a UTF-8 reason.
fn closing() -> impl Strategy<Value = Option<(u16, String)>> {
    let code = prop_oneof![1000u16..=1003, 1007u16..=1014, 3000u16..=4999];
    let reason = prop::collection::vec(any::<char>(), 0..30).prop_map(|cs| {
        let mut s: String = cs.into_iter().collect();
        while s.len() > 123 {
            s.pop();
        }
        s
    });
    prop::option::of((code, reason))
}

/// Writes the messages (and a final close, then junk that must be ignored) as the peer of
/// `receiver` would, and returns the wire and the messages the receiver must see.
fn write_stream(
    receiver: Role,
    messages: &[MessageSpec],
    close: &Option<(u16, String)>,
    keys: u32,
) -> (Vec<u8>, Vec<Owned>) {
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    let mut n = 0u32;
    let mut frame = |wire: &mut Vec<u8>, opcode: OpCode, fin: bool, payload: &[u8]| {
        n += 1;
        let mut h = FrameHeader::new(opcode, payload.len() as u64);
        h.fin = fin;
        if receiver == Role::Server {
            h.mask = Some(keys.wrapping_mul(n).wrapping_add(n).to_le_bytes());
        }
        encode_with_header(wire, &h, payload);
    };
    for m in messages {
        let opcode = if m.text { OpCode::Text } else { OpCode::Binary };
        let frags: Vec<_> = fragments(opcode, &m.bytes, m.fragment_len).collect();
        let mut controls: Vec<(usize, &Control)> = m
            .controls
            .iter()
            .map(|(at, c)| (at.index(frags.len()), c))
            .collect();
        controls.sort_by_key(|&(at, _)| at);
        let mut next = controls.iter().peekable();
        for (i, (op, fin, piece)) in frags.iter().enumerate() {
            while let Some((_, c)) = next.next_if(|(at, _)| *at == i) {
                match c {
                    Control::Ping(b) => frame(&mut wire, OpCode::Ping, true, b),
                    Control::Pong(b) => frame(&mut wire, OpCode::Pong, true, b),
                }
                expected.push(match c {
                    Control::Ping(b) => Owned::Ping(b.clone()),
                    Control::Pong(b) => Owned::Pong(b.clone()),
                });
            }
            frame(&mut wire, *op, *fin, piece);
        }
        expected.push(if m.text {
            Owned::Text(String::from_utf8(m.bytes.clone()).expect("generated as text"))
        } else {
            Owned::Binary(m.bytes.clone())
        });
    }
    if let Some((code, reason)) = close {
        let mut body = code.to_be_bytes().to_vec();
        body.extend_from_slice(reason.as_bytes());
        frame(&mut wire, OpCode::Close, true, &body);
        expected.push(Owned::Close(Some((*code, reason.clone()))));
        // §5.5.1: nothing after a close is read, so this must not fail the connection.
        wire.extend_from_slice(&[0xFF, 0x7F, 0xFF, 0x00, 0x0B]);
    }
    (wire, expected)
}

// ---------------------------------------------------------------------------------------
// Round trips

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every valid frame, alone or in a row, comes back from the frame decoder exactly:
    /// header fields (opcode, FIN, allowed RSV bits, mask, length) and unmasked payload.
    #[test]
    fn frames_round_trip_under_any_chunking(
        receiver in role(),
        allowed_rsv in (0u8..8).prop_map(|b| b << 4),
        specs in prop::collection::vec(frame_spec(), 1..4),
        chunks in chunking(),
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for spec in &specs {
            let header = spec.header(receiver, allowed_rsv);
            let body = payload(spec.len, spec.seed);
            // The header alone round-trips through its own codec.
            let bytes = header.encode();
            prop_assert_eq!(bytes.len(), header.encoded_len());
            prop_assert_eq!(FrameHeader::decode(&bytes), Ok(Some((header, bytes.len()))));
            encode_with_header(&mut wire, &header, &body);
            expected.push(DecodedFrame { header, payload: body });
        }
        let mut dec = FrameDecoder::new(receiver).with_allowed_rsv(allowed_rsv);
        let got = frames_chunked(&mut dec, &wire, &chunks.cuts(wire.len()));
        prop_assert_eq!(got, Ok(expected));
    }

    /// Random messages, text and binary, cut into random fragments with control frames in
    /// between, optionally closed: the message decoder gives back exactly the messages and
    /// control frames, in order, under any chunking, in both roles.
    #[test]
    fn messages_round_trip_under_any_chunking(
        receiver in role(),
        messages in prop::collection::vec(message_spec(), 0..5),
        close in closing(),
        keys in any::<u32>(),
        chunks in chunking(),
    ) {
        let (wire, expected) = write_stream(receiver, &messages, &close, keys);
        let mut dec = Decoder::new(receiver);
        let (got, err) = decode_chunked(&mut dec, &wire, &chunks.cuts(wire.len()));
        prop_assert_eq!(err, None);
        prop_assert_eq!(got, expected);
        prop_assert_eq!(dec.is_closed(), close.is_some());
        prop_assert!(!dec.in_message() || close.is_some());
    }
}

// ---------------------------------------------------------------------------------------
// Robustness

/// Bytes to throw at a decoder: pure noise, or a valid stream with a few bytes changed (which
/// gets much further into the state machine than noise does).
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let noise = prop::collection::vec(any::<u8>(), 0..600);
    let damaged = (
        role(),
        prop::collection::vec(message_spec(), 1..3),
        closing(),
        any::<u32>(),
        prop::collection::vec((any::<Index>(), 1u8..=255), 1..4),
    )
        .prop_map(|(receiver, messages, close, keys, flips)| {
            let (mut wire, _) = write_stream(receiver, &messages, &close, keys);
            if !wire.is_empty() {
                for (at, x) in flips {
                    let i = at.index(wire.len());
                    wire[i] ^= x;
                }
            }
            wire
        });
    prop_oneof![noise, damaged]
}

fn config() -> impl Strategy<Value = DecoderConfig> {
    prop_oneof![
        Just(DecoderConfig::default()),
        (0u64..300, 0u64..600, (0u8..8).prop_map(|b| b << 4)).prop_map(
            |(max_frame_len, max_message_len, allowed_rsv)| DecoderConfig {
                max_frame_len,
                max_message_len,
                allowed_rsv,
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The message decoder never panics on any bytes under any chunking; every error maps to
    /// 1002, 1007 or 1009 and is final (returned again, no panic, on later calls); memory
    /// grows only with bytes that arrived, never with a declared length.
    #[test]
    fn message_decoder_survives_anything(
        receiver in role(),
        config in config(),
        bytes in hostile_bytes(),
        chunks in chunking(),
    ) {
        let mut dec = Decoder::with_config(receiver, config);
        let mut buf = bytes.clone();
        let mut failure = None;
        'outer: for (from, to) in pieces(buf.len(), &chunks.cuts(buf.len())) {
            let mut at = from;
            loop {
                match dec.decode(&mut buf[at..to]) {
                    Err(e) => {
                        failure = Some((e, at));
                        break 'outer;
                    }
                    Ok((used, msg)) => {
                        prop_assert!(at + used <= to);
                        at += used;
                        if msg.is_none() {
                            prop_assert_eq!(at, to);
                            break;
                        }
                    }
                }
            }
            // Everything up to `to` has been fed.
            prop_assert!(dec.buffer_capacity() <= (2 * to).max(8), "{} for {to}", dec.buffer_capacity());
        }
        if let Some((e, at)) = failure {
            prop_assert!(matches!(e.close_code().0, 1002 | 1007 | 1009), "{e:?}");
            prop_assert_eq!(dec.decode(&mut buf[at..]).err(), Some(e));
            prop_assert_eq!(dec.decode(&mut []).err(), Some(e));
        }
    }

    /// The same for the frame decoder: no panic, errors are 1002 or 1009 (UTF-8 is not its
    /// business), and the events keep their contract.
    #[test]
    fn frame_decoder_survives_anything(
        receiver in role(),
        max_frame_len in prop_oneof![Just(u64::MAX >> 1), 0u64..300],
        allowed_rsv in (0u8..8).prop_map(|b| b << 4),
        bytes in hostile_bytes(),
        chunks in chunking(),
    ) {
        let mut dec = FrameDecoder::new(receiver)
            .with_max_frame_len(max_frame_len)
            .with_allowed_rsv(allowed_rsv);
        let mut buf = bytes;
        let mut remaining: Option<u64> = None;
        'outer: for (from, to) in pieces(buf.len(), &chunks.cuts(buf.len())) {
            let mut at = from;
            loop {
                match dec.decode(&mut buf[at..to]) {
                    Err(e) => {
                        prop_assert!(matches!(e.close_code().0, 1002 | 1009), "{e:?}");
                        break 'outer;
                    }
                    Ok((used, None)) => {
                        prop_assert_eq!(at + used, to);
                        break;
                    }
                    Ok((used, Some(FrameEvent::Header(h)))) => {
                        prop_assert!(remaining.is_none());
                        prop_assert!(h.payload_len <= max_frame_len);
                        remaining = Some(h.payload_len);
                        at += used;
                    }
                    Ok((used, Some(FrameEvent::Payload { data, last }))) => {
                        let left = remaining.expect("payload after a header") - data.len() as u64;
                        prop_assert_eq!(last, left == 0);
                        remaining = if last { None } else { Some(left) };
                        at += used;
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Masking (§5.3)

/// Every length 0..=300 at every key phase (and offsets near `usize::MAX`), from buffers at
/// every alignment: the fast path equals the byte loop. Lengths around 512 and beyond take
/// the path that first walks up to a 16-byte boundary, so they run at every alignment too.
#[test]
fn apply_mask_equals_bytewise_for_every_short_length_offset_and_alignment() {
    let key = [0x9D, 0x01, 0xF2, 0x6B];
    let backing = payload(4200 + 16, 7);
    let offsets = (0..8).chain([usize::MAX - 3, usize::MAX - 2, usize::MAX - 1, usize::MAX]);
    let lens = (0..=300).chain(500..=530).chain([1023, 1024, 4099]);
    for len in lens {
        for offset in offsets.clone() {
            // `Vec` storage is 16-byte aligned, so these are all 16 start phases.
            for align in 0..16 {
                let mut fast = backing.clone();
                let mut slow = backing.clone();
                apply_mask(&mut fast[align..align + len], key, offset);
                apply_mask_bytewise(&mut slow[align..align + len], key, offset);
                assert_eq!(fast, slow, "len {len} offset {offset} align {align}");
                if len > 0 {
                    assert_ne!(fast, backing, "len {len}: something was masked");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random lengths up to 64 KiB, offsets and alignments: fast path equals the byte loop.
    #[test]
    fn apply_mask_equals_bytewise_up_to_64_kib(
        len in 0usize..=65536,
        offset in any::<usize>(),
        align in 0usize..16,
        key in any::<[u8; 4]>(),
        seed in any::<u32>(),
    ) {
        let data = payload(len + align, seed);
        let mut fast = data.clone();
        let mut slow = data;
        apply_mask(&mut fast[align..], key, offset);
        apply_mask_bytewise(&mut slow[align..], key, offset);
        prop_assert_eq!(fast, slow);
    }

    /// Masking twice is the identity, and masking in pieces (each at its own offset) is the
    /// same as masking at once.
    #[test]
    fn mask_twice_is_identity_and_pieces_compose(
        data in prop::collection::vec(any::<u8>(), 0..2048),
        key in any::<[u8; 4]>(),
        offset in any::<usize>(),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let mut twice = data.clone();
        apply_mask(&mut twice, key, offset);
        apply_mask(&mut twice, key, offset);
        prop_assert_eq!(&twice, &data);

        let mut whole = data.clone();
        apply_mask(&mut whole, key, offset);
        let mut pieced = data.clone();
        let points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        for (from, to) in pieces(data.len(), &points) {
            apply_mask(&mut pieced[from..to], key, offset.wrapping_add(from));
        }
        prop_assert_eq!(pieced, whole);
    }
}

// ---------------------------------------------------------------------------------------
// UTF-8 (§5.6, §8.1)

/// Byte strings near the edge of UTF-8: valid text with a few bytes replaced by lead,
/// continuation and never-valid bytes, or noise.
fn utf8ish() -> impl Strategy<Value = Vec<u8>> {
    let valid = prop::collection::vec(any::<char>(), 0..40)
        .prop_map(|cs| cs.into_iter().collect::<String>().into_bytes());
    let tricky = prop::sample::select(vec![
        0x80u8, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4,
        0xF5, 0xFF, b'a',
    ]);
    let damaged = (
        valid.clone(),
        prop::collection::vec((any::<Index>(), tricky), 0..3),
    )
        .prop_map(|(mut bytes, edits)| {
            for (at, b) in edits {
                let i = at.index(bytes.len() + 1);
                if i == bytes.len() {
                    bytes.push(b);
                } else {
                    bytes[i] = b;
                }
            }
            bytes
        });
    prop_oneof![
        2 => valid,
        4 => damaged,
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// Whether `prefix` can still become valid UTF-8: valid, or cut inside a code point.
fn viable_prefix(prefix: &[u8]) -> bool {
    match core::str::from_utf8(prefix) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Fed in random pieces, the validator accepts exactly what `core::str::from_utf8`
    /// accepts, and fails on exactly the piece that brings the first impossible byte.
    #[test]
    fn utf8_validator_agrees_with_core_under_any_split(
        bytes in utf8ish(),
        chunks in chunking(),
    ) {
        let mut v = Utf8Validator::new();
        let mut ok = true;
        for (from, to) in pieces(bytes.len(), &chunks.cuts(bytes.len())) {
            let fed = v.feed(&bytes[from..to]).is_ok();
            prop_assert_eq!(fed, viable_prefix(&bytes[..to]), "piece {}..{}", from, to);
            if !fed {
                ok = false;
                break;
            }
        }
        if ok {
            ok = v.finish().is_ok();
        }
        prop_assert_eq!(ok, core::str::from_utf8(&bytes).is_ok());
    }
}

/// An error value's close code is one of the three the decoders may produce.
#[test]
fn every_error_kind_maps_to_1002_1007_or_1009() {
    let all = [
        Error::ReservedBitsSet { bits: 0x40 },
        Error::ReservedOpcode(3),
        Error::FragmentedControlFrame,
        Error::ControlFrameTooLong(126),
        Error::UnmaskedFrame,
        Error::MaskedFrame,
        Error::InvalidPayloadLength,
        Error::FrameTooLarge { len: 2, max: 1 },
        Error::MessageTooLarge { len: 2, max: 1 },
        Error::UnexpectedContinuation,
        Error::ExpectedContinuation,
        Error::InvalidUtf8,
        Error::CloseTooShort,
        Error::InvalidCloseCode(5),
        Error::InvalidCloseReason,
    ];
    for e in all {
        let expected = match e {
            Error::InvalidUtf8 | Error::InvalidCloseReason => 1007,
            Error::FrameTooLarge { .. } | Error::MessageTooLarge { .. } => 1009,
            _ => 1002,
        };
        assert_eq!(e.close_code().0, expected, "{e:?}");
    }
}
