//! The message layer's rules, each checked for the error it raises, the close code that
//! error maps to, and *when* it is raised (on the header, or on the first impossible byte,
//! before the rest of the message arrives).
//! RFC 6455 §5.1 (masking), §5.2 (RSV, opcodes), §5.4 (fragmentation), §5.5 (control
//! frames), §5.5.1 (close), §5.6/§8.1 (UTF-8), §7.4.1 (1009).

mod common;

use common::{decode_bytewise, decode_chunked, Owned};
use wsprism::encoder::encode_with_header;
use wsprism::{CloseCode, Decoder, DecoderConfig, Error, FrameHeader, OpCode, Role};

/// Frames as a peer of the receiving role writes them: masked toward a server (§5.1).
struct Wire {
    receiver: Role,
    bytes: Vec<u8>,
    /// Where each frame starts, and where its payload starts.
    starts: Vec<(usize, usize)>,
}

impl Wire {
    fn to(receiver: Role) -> Self {
        Wire {
            receiver,
            bytes: Vec::new(),
            starts: Vec::new(),
        }
    }

    /// A frame with a raw first-byte nibble and RSV bits, for reserved values.
    fn raw(mut self, opcode: u8, fin: bool, rsv: u8, payload: &[u8]) -> Self {
        let n = self.starts.len() as u8;
        let mask = match self.receiver {
            Role::Server => Some([n, n.wrapping_add(1), 0xA5, 0x5A]),
            Role::Client => None,
        };
        let header = FrameHeader {
            fin,
            rsv1: rsv & 0x40 != 0,
            rsv2: rsv & 0x20 != 0,
            rsv3: rsv & 0x10 != 0,
            opcode: OpCode::from_u4(opcode),
            mask,
            payload_len: payload.len() as u64,
        };
        let start = self.bytes.len();
        self.starts.push((start, start + header.encoded_len()));
        encode_with_header(&mut self.bytes, &header, payload);
        self
    }

    fn frame(self, opcode: OpCode, fin: bool, payload: &[u8]) -> Self {
        self.raw(opcode.as_u4(), fin, 0, payload)
    }

    /// Cut points at every frame start: the pieces are whole frames.
    fn frame_cuts(&self) -> Vec<usize> {
        self.starts.iter().map(|&(s, _)| s).collect()
    }

    /// The wire index of byte `i` of frame `f`'s payload.
    fn payload_byte(&self, f: usize, i: usize) -> usize {
        self.starts[f].1 + i
    }

    /// The wire index of the last byte of frame `f`'s header.
    fn header_end(&self, f: usize) -> usize {
        self.starts[f].1 - 1
    }
}

const ROLES: [Role; 2] = [Role::Server, Role::Client];

/// The first error when `wire` is fed whole, and the index of the byte whose call raised
/// it when fed one byte at a time, checking both give the same error and no message.
fn fails(config: DecoderConfig, wire: &Wire) -> (Error, usize) {
    let (msgs, whole) = decode_chunked(
        &mut Decoder::with_config(wire.receiver, config),
        &wire.bytes,
        &[],
    );
    let (msgs2, bytewise) = decode_bytewise(
        &mut Decoder::with_config(wire.receiver, config),
        &wire.bytes,
    );
    let (_, whole) = whole.expect("the whole input fails");
    let (at, bytewise) = bytewise.expect("the bytewise input fails");
    assert_eq!(whole, bytewise);
    assert_eq!(msgs, msgs2);
    (whole, at)
}

/// Decodes whole, frame by frame, and byte by byte: all must give `expected`, no error.
fn decodes(config: DecoderConfig, wire: &Wire, expected: &[Owned]) {
    for cuts in [
        vec![],
        wire.frame_cuts(),
        (1..wire.bytes.len()).collect::<Vec<_>>(),
    ] {
        let mut dec = Decoder::with_config(wire.receiver, config);
        let (got, err) = decode_chunked(&mut dec, &wire.bytes, &cuts);
        assert_eq!(
            (got.as_slice(), err),
            (expected, None),
            "{} cuts",
            cuts.len()
        );
    }
}

fn default() -> DecoderConfig {
    DecoderConfig::default()
}

fn code(e: Error) -> u16 {
    e.close_code().0
}

#[test]
fn continuation_without_a_message_is_a_protocol_error() {
    for role in ROLES {
        // §5.4: nothing to continue, at the start...
        let wire = Wire::to(role).frame(OpCode::Continuation, true, b"x");
        let (e, at) = fails(default(), &wire);
        assert_eq!((e, code(e)), (Error::UnexpectedContinuation, 1002));
        assert_eq!(at, wire.header_end(0), "raised on the header");
        // ...and after a message has finished.
        let wire = Wire::to(role).frame(OpCode::Text, true, b"done").frame(
            OpCode::Continuation,
            false,
            b"x",
        );
        let (e, at) = fails(default(), &wire);
        assert_eq!(e, Error::UnexpectedContinuation);
        assert_eq!(at, wire.header_end(1));
    }
}

#[test]
fn new_data_frame_inside_a_fragmented_message_is_a_protocol_error() {
    for role in ROLES {
        for (first, second) in [
            (OpCode::Text, OpCode::Text),
            (OpCode::Text, OpCode::Binary),
            (OpCode::Binary, OpCode::Text),
            (OpCode::Binary, OpCode::Binary),
        ] {
            for fin in [false, true] {
                let wire = Wire::to(role)
                    .frame(first, false, b"ab")
                    .frame(OpCode::Continuation, false, b"cd")
                    .frame(second, fin, b"ef");
                let (e, at) = fails(default(), &wire);
                assert_eq!((e, code(e)), (Error::ExpectedContinuation, 1002));
                assert_eq!(at, wire.header_end(2));
            }
        }
    }
}

#[test]
fn control_frames_between_fragments_are_delivered_at_once() {
    for role in ROLES {
        let wire = Wire::to(role)
            .frame(OpCode::Text, false, b"He")
            .frame(OpCode::Ping, true, b"p")
            .frame(OpCode::Continuation, false, b"ll")
            .frame(OpCode::Pong, true, b"")
            .frame(OpCode::Ping, true, &[7; 125])
            .frame(OpCode::Continuation, true, b"o")
            .frame(OpCode::Binary, false, &[1, 2])
            .frame(OpCode::Pong, true, b"q")
            .frame(OpCode::Continuation, true, &[3]);
        let expected = [
            Owned::Ping(b"p".to_vec()),
            Owned::Pong(vec![]),
            Owned::Ping(vec![7; 125]),
            Owned::Text("Hello".into()),
            Owned::Pong(b"q".to_vec()),
            Owned::Binary(vec![1, 2, 3]),
        ];
        decodes(default(), &wire, &expected);
        // Every single cut point too.
        for cut in 0..=wire.bytes.len() {
            let (got, err) = decode_chunked(&mut Decoder::new(role), &wire.bytes, &[cut]);
            assert_eq!((got.as_slice(), err), (&expected[..], None), "cut at {cut}");
        }
    }
}

#[test]
fn a_close_between_fragments_ends_the_connection() {
    let wire = Wire::to(Role::Server)
        .frame(OpCode::Text, false, b"Hel")
        .frame(OpCode::Close, true, &[0x03, 0xE9])
        .frame(OpCode::Continuation, true, b"lo");
    decodes(
        default(),
        &wire,
        &[Owned::Close(Some((1001, String::new())))],
    );
}

#[test]
fn control_frame_over_125_bytes_fails_on_its_header() {
    for role in ROLES {
        for op in [OpCode::Ping, OpCode::Pong, OpCode::Close] {
            let mut payload = vec![b'a'; 126];
            payload[..2].copy_from_slice(&1000u16.to_be_bytes());
            let wire = Wire::to(role).frame(op, true, &payload);
            let (e, at) = fails(default(), &wire);
            assert_eq!((e, code(e)), (Error::ControlFrameTooLong(126), 1002));
            assert_eq!(at, wire.header_end(0), "{op}: before any payload byte");
            // 125 is allowed.
            let ok = Wire::to(role).frame(op, true, &payload[..125]);
            let (msgs, err) = decode_chunked(&mut Decoder::new(role), &ok.bytes, &[]);
            assert_eq!((msgs.len(), err), (1, None), "{op}");
        }
    }
}

#[test]
fn fragmented_control_frame_is_a_protocol_error() {
    for role in ROLES {
        for op in [OpCode::Ping, OpCode::Pong, OpCode::Close] {
            let wire = Wire::to(role).frame(op, false, b"");
            let (e, at) = fails(default(), &wire);
            assert_eq!((e, code(e)), (Error::FragmentedControlFrame, 1002));
            assert_eq!(at, wire.header_end(0));
        }
    }
}

#[test]
fn reserved_opcodes_fail() {
    for role in ROLES {
        for op in (0x3..=0x7).chain(0xB..=0xF) {
            let wire = Wire::to(role).raw(op, true, 0, b"");
            let (e, at) = fails(default(), &wire);
            assert_eq!((e, code(e)), (Error::ReservedOpcode(op), 1002));
            assert_eq!(at, wire.header_end(0));
        }
    }
}

#[test]
fn reserved_bits_fail_unless_an_extension_defines_them() {
    for role in ROLES {
        for bit in [0x40, 0x20, 0x10] {
            let wire = Wire::to(role).raw(0x1, true, bit, b"x");
            let (e, at) = fails(default(), &wire);
            assert_eq!((e, code(e)), (Error::ReservedBitsSet { bits: bit }, 1002));
            assert_eq!(at, wire.header_end(0));

            // An extension that defines this bit (e.g. permessage-deflate's RSV1)...
            let config = DecoderConfig {
                allowed_rsv: bit,
                ..default()
            };
            decodes(config, &wire, &[Owned::Text("x".into())]);
            // ...still leaves the other bits reserved.
            let other = if bit == 0x40 { 0x20 } else { 0x40 };
            let wire = Wire::to(role).raw(0x2, true, bit | other, b"x");
            let (e, _) = fails(config, &wire);
            assert_eq!(e, Error::ReservedBitsSet { bits: other });
        }
    }
}

#[test]
fn each_role_enforces_the_mask_rule() {
    // A server receiving an unmasked frame (§5.1), data or control.
    for op in [OpCode::Binary, OpCode::Ping] {
        let mut unmasked = Wire::to(Role::Client).frame(op, true, b"x");
        unmasked.receiver = Role::Server;
        let (e, at) = fails(default(), &unmasked);
        assert_eq!((e, code(e)), (Error::UnmaskedFrame, 1002));
        assert_eq!(at, unmasked.header_end(0));
        // A client receiving a masked frame.
        let mut masked = Wire::to(Role::Server).frame(op, true, b"x");
        masked.receiver = Role::Client;
        let (e, at) = fails(default(), &masked);
        assert_eq!((e, code(e)), (Error::MaskedFrame, 1002));
        assert_eq!(at, masked.header_end(0));
    }
}

#[test]
fn invalid_utf8_fails_on_its_frame_before_the_message_ends() {
    for role in ROLES {
        // The bad byte is in the second of three frames; the third never matters.
        let wire = Wire::to(role)
            .frame(OpCode::Text, false, b"Hel")
            .frame(OpCode::Continuation, false, &[b'l', 0xFF])
            .frame(OpCode::Continuation, true, b"o");
        let cuts = wire.frame_cuts();
        let (msgs, err) = decode_chunked(&mut Decoder::new(role), &wire.bytes, &cuts);
        let (piece, e) = err.expect("fails");
        assert_eq!(
            (msgs, piece, e, code(e)),
            (vec![], 1, Error::InvalidUtf8, 1007)
        );
        let (_, at) = fails(default(), &wire);
        assert_eq!(at, wire.payload_byte(1, 1), "on the 0xFF itself");
    }
}

#[test]
fn invalid_utf8_fails_on_the_first_impossible_byte_fed_one_at_a_time() {
    // (payload, index of the first byte after which no valid continuation exists)
    let cases: [(&[u8], usize); 6] = [
        (b"ab\xED\xA0\x80cd", 3),      // a surrogate: ED A0 is already impossible
        (b"\xF4\x90\x80\x80", 1),      // above U+10FFFF: F4 90
        (b"x\xE0\x80\xAF", 2),         // overlong: E0 80
        (b"\xC0\xAF", 0),              // C0 never starts anything
        (b"ok\xE2\x82\x28", 4),        // a 3-byte sequence broken at its third byte
        (b"\xF0\x9F\x98\xFF rest", 3), // a 4-byte sequence broken at its fourth byte
    ];
    for role in ROLES {
        for (payload, bad) in cases {
            let wire = Wire::to(role).frame(OpCode::Text, true, payload);
            let (e, at) = fails(default(), &wire);
            assert_eq!((e, code(e)), (Error::InvalidUtf8, 1007), "{payload:x?}");
            assert_eq!(at, wire.payload_byte(0, bad), "{payload:x?}");
        }
    }
}

#[test]
fn code_points_split_across_fragments_are_accepted() {
    for role in ROLES {
        // "€" (E2 82 AC) cut after its first byte, "😀" (F0 9F 98 80) over three frames.
        let wire = Wire::to(role)
            .frame(OpCode::Text, false, &[b'a', 0xE2])
            .frame(OpCode::Continuation, false, &[0x82, 0xAC, 0xF0])
            .frame(OpCode::Continuation, false, &[0x9F])
            .frame(OpCode::Continuation, false, &[])
            .frame(OpCode::Continuation, true, &[0x98, 0x80]);
        decodes(default(), &wire, &[Owned::Text("a€😀".into())]);
    }
}

#[test]
fn impossible_byte_after_a_fragment_boundary_fails_before_the_final_frame() {
    for role in ROLES {
        // E2 then 28: "(" cannot continue a 3-byte sequence. The message is never finished.
        let wire = Wire::to(role)
            .frame(OpCode::Text, false, &[b'a', 0xE2])
            .frame(OpCode::Continuation, false, &[0x28, b'b']);
        let (msgs, err) = decode_chunked(&mut Decoder::new(role), &wire.bytes, &wire.frame_cuts());
        assert_eq!((msgs, err), (vec![], Some((1, Error::InvalidUtf8))));
        let (_, at) = fails(default(), &wire);
        assert_eq!(at, wire.payload_byte(1, 0));
    }
}

#[test]
fn unfinished_code_point_at_message_end_is_invalid_payload() {
    for role in ROLES {
        // In one frame...
        let wire = Wire::to(role).frame(OpCode::Text, true, &[b'a', 0xE2, 0x82]);
        let (e, at) = fails(default(), &wire);
        assert_eq!((e, code(e)), (Error::InvalidUtf8, 1007));
        assert_eq!(
            at,
            wire.payload_byte(0, 2),
            "only once the message has ended"
        );
        // ...and with the final frame carrying the last, still unfinished, piece.
        let wire = Wire::to(role)
            .frame(OpCode::Text, false, &[0xF0, 0x9F])
            .frame(OpCode::Continuation, true, &[0x98]);
        let (e, at) = fails(default(), &wire);
        assert_eq!((e, code(e)), (Error::InvalidUtf8, 1007));
        assert_eq!(at, wire.payload_byte(1, 0));
        // An empty final frame ends it too.
        let wire = Wire::to(role).frame(OpCode::Text, false, &[0xC3]).frame(
            OpCode::Continuation,
            true,
            &[],
        );
        let (e, at) = fails(default(), &wire);
        assert_eq!(e, Error::InvalidUtf8);
        assert_eq!(at, wire.header_end(1));
    }
}

#[test]
fn limits_fail_with_1009_on_the_header_before_any_payload() {
    let config = DecoderConfig {
        max_frame_len: 100,
        max_message_len: 150,
        allowed_rsv: 0,
    };
    for role in ROLES {
        // One frame over the frame limit: only its header is on the wire.
        let mut wire = Wire::to(role).frame(OpCode::Binary, true, &[0; 101]);
        wire.bytes.truncate(wire.starts[0].1);
        let (e, at) = fails(config, &wire);
        assert_eq!(
            (e, code(e)),
            (Error::FrameTooLarge { len: 101, max: 100 }, 1009)
        );
        assert_eq!(at, wire.header_end(0));

        // A message over the message limit: the second frame's header tips it over.
        let mut wire = Wire::to(role)
            .frame(OpCode::Text, false, &[b'a'; 100])
            .frame(OpCode::Continuation, true, &[b'b'; 51]);
        wire.bytes.truncate(wire.starts[1].1);
        let (e, at) = fails(config, &wire);
        assert_eq!(
            (e, code(e)),
            (Error::MessageTooLarge { len: 151, max: 150 }, 1009)
        );
        assert_eq!(at, wire.header_end(1));

        // Exactly at both limits is fine, with control frames (not counted) in between.
        let wire = Wire::to(role)
            .frame(OpCode::Binary, false, &[1; 100])
            .frame(OpCode::Ping, true, &[2; 100])
            .frame(OpCode::Continuation, true, &[3; 50]);
        let mut full = vec![1; 100];
        full.extend([3; 50]);
        decodes(
            config,
            &wire,
            &[Owned::Ping(vec![2; 100]), Owned::Binary(full)],
        );

        // A huge declared length: rejected at once, nothing reserved for it.
        let mut header = FrameHeader::new(OpCode::Binary, 1 << 62);
        if role == Role::Server {
            header.mask = Some([1, 2, 3, 4]);
        }
        let mut bytes = header.encode().as_bytes().to_vec();
        let mut dec = Decoder::new(role);
        let e = dec.decode(&mut bytes).unwrap_err();
        assert_eq!(code(e), 1009);
        assert_eq!(dec.buffer_capacity(), 0);
    }
}

#[test]
fn close_payload_rules() {
    let close = |payload: &[u8]| Wire::to(Role::Server).frame(OpCode::Close, true, payload);
    // No payload: a close without a status.
    decodes(default(), &close(&[]), &[Owned::Close(None)]);
    // One byte cannot hold a code (§5.5.1).
    let (e, _) = fails(default(), &close(&[0x03]));
    assert_eq!((e, code(e)), (Error::CloseTooShort, 1002));
    // Codes that may not be sent (§7.4.1, §7.4.2).
    for c in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let (e, _) = fails(default(), &close(&c.to_be_bytes()));
        assert_eq!((e, code(e)), (Error::InvalidCloseCode(c), 1002), "{c}");
    }
    // A reason that is not UTF-8 is 1007 (§8.1).
    let (e, _) = fails(default(), &close(&[0x03, 0xE8, b'o', 0xFF]));
    assert_eq!((e, code(e)), (Error::InvalidCloseReason, 1007));
    let (e, _) = fails(default(), &close(&[0x03, 0xE8, 0xE2, 0x82]));
    assert_eq!(e, Error::InvalidCloseReason);
    // Valid ones parse, with their reason (even split byte by byte by `decodes`).
    for c in (1000u16..=1003)
        .chain(1007..=1014)
        .chain([3000, 3999, 4000, 4999])
    {
        let mut payload = c.to_be_bytes().to_vec();
        payload.extend_from_slice("bye é".as_bytes());
        decodes(
            default(),
            &close(&payload),
            &[Owned::Close(Some((c, "bye é".into())))],
        );
    }
    // The longest reason that fits (123 bytes).
    let mut payload = vec![0x0F, 0xA0];
    payload.extend([b'r'; 123]);
    decodes(
        default(),
        &close(&payload),
        &[Owned::Close(Some((4000, "r".repeat(123))))],
    );
    assert!(CloseCode(4000).is_valid_on_wire());
}

#[test]
fn data_after_close_is_discarded() {
    for role in ROLES {
        let mut wire = Wire::to(role)
            .frame(OpCode::Close, true, &[0x03, 0xE8, b'b', b'y', b'e'])
            .frame(OpCode::Text, true, b"late")
            .frame(OpCode::Ping, true, b"late too");
        // Garbage after it, that would fail the connection were it read.
        wire.bytes.extend([0xFF, 0x7F, 0x00, 0x13]);
        decodes(
            default(),
            &wire,
            &[Owned::Close(Some((1000, "bye".into())))],
        );

        let mut dec = Decoder::new(role);
        let (msgs, err) = decode_chunked(&mut dec, &wire.bytes, &[]);
        assert_eq!((msgs.len(), err), (1, None));
        assert!(dec.is_closed());
        let mut more = [0x83, 0x00, 0x01];
        assert_eq!(dec.decode(&mut more).unwrap(), (3, None));
    }
}

#[test]
fn an_error_is_final_and_calling_again_does_not_panic() {
    // After a header-level error the frame decoder has already moved into the payload;
    // calling again (a caller that ignores the first error) must not reach a state the
    // message layer never set up. Every later call reports the same error.
    for role in ROLES {
        let wire = Wire::to(role)
            .frame(OpCode::Text, true, b"ok")
            .frame(OpCode::Continuation, true, b"stray")
            .frame(OpCode::Text, true, b"after");
        let mut dec = Decoder::new(role);
        let mut bytes = wire.bytes.clone();
        let (used, msg) = dec.decode(&mut bytes).unwrap();
        assert_eq!(msg, Some(wsprism::Message::Text("ok")));
        let e = dec.decode(&mut bytes[used..]).unwrap_err();
        assert_eq!(e, Error::UnexpectedContinuation);
        for rest in [wire.payload_byte(1, 0), wire.starts[2].0, wire.bytes.len()] {
            assert_eq!(dec.decode(&mut bytes[rest..]), Err(e));
        }
        assert_eq!(dec.decode(&mut []), Err(e));
    }
}
