//! The message decoder's whole-frame fast path against its general path.
//!
//! A frame that arrives whole at the start of a `decode` input is taken in one step (header
//! rules, unmasking, UTF-8 in one pass); any other input goes through the frame decoder's
//! header and payload events. Fed one byte at a time, a decoder only ever takes the general
//! path; fed whole, or cut at frame starts, it takes the fast path wherever it applies. So
//! for every stream, under every configuration, these feeds must agree on everything:
//! the same messages, each ending at the same byte, the same error raised by the call that
//! received the offending byte, and the same state afterwards. The streams are every frame,
//! invalid frame and stream of the shared vectors (`tests/vectors/frames.json`), sent to
//! both roles, and random frame sequences that break every header rule now and then.
#![cfg(not(target_arch = "wasm32"))] // proptest is a dev-dependency off wasm32 only

mod common;

use std::ops::Range;

use common::{pieces, Owned};
use proptest::prelude::*;
use wsprism::encoder::encode_with_header;
use wsprism::message::Incoming;
use wsprism::{Decoder, DecoderConfig, Error, FrameHeader, OpCode, Role};

/// What one `decode_with_extensions` call produced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Message(Owned),
    Extension {
        opcode: OpCode,
        rsv: u8,
        payload: Vec<u8>,
    },
    Failed(Error),
}

/// A decoder setup: limits, extension bits, and per-message bits (as permessage-deflate's).
#[derive(Debug, Clone, Copy)]
struct Setup {
    config: DecoderConfig,
    per_message_rsv: u8,
}

impl Setup {
    fn decoder(&self, role: Role) -> Decoder {
        Decoder::with_config(role, self.config).with_per_message_rsv(self.per_message_rsv)
    }
}

/// Setups that put limits at the vectors' length boundaries (125, 126, 65535, 65536) and
/// declare extension bits, so that the fast path has every reason to decline.
fn setups() -> Vec<Setup> {
    let limits = |max_frame_len, max_message_len| DecoderConfig {
        max_frame_len,
        max_message_len,
        allowed_rsv: 0,
    };
    let plain = |config| Setup {
        config,
        per_message_rsv: 0,
    };
    vec![
        plain(DecoderConfig::default()),
        plain(limits(125, 1 << 20)),
        plain(limits(1 << 20, 125)),
        plain(limits(65535, 65536)),
        plain(limits(0, 0)),
        Setup {
            config: DecoderConfig {
                allowed_rsv: 0x40,
                ..DecoderConfig::default()
            },
            per_message_rsv: 0x40,
        },
        Setup {
            config: DecoderConfig {
                allowed_rsv: 0x70,
                ..limits(300, 600)
            },
            per_message_rsv: 0x40,
        },
    ]
}

/// What feeding `wire` cut at `cuts` gives: each outcome with where it happened. For a
/// message, the empty range at the end of the bytes it used; for an error, the input of the
/// call that failed. Then whether the decoder is closed and inside a message.
type Run = (Vec<(Range<usize>, Outcome)>, bool, bool);

/// A whole, valid frame for `role` (a ping), as the fast path takes it.
fn ping_to(role: Role) -> Vec<u8> {
    let mut h = FrameHeader::new(OpCode::Ping, 1);
    if role == Role::Server {
        h.mask = Some([7, 7, 7, 7]);
    }
    let mut wire = Vec::new();
    encode_with_header(&mut wire, &h, b"?");
    wire
}

fn run(role: Role, mut dec: Decoder, wire: &[u8], cuts: &[usize]) -> Run {
    let mut buf = wire.to_vec();
    let mut out = Vec::new();
    'pieces: for (from, to) in pieces(wire.len(), cuts) {
        let mut at = from;
        loop {
            let (used, incoming) = match dec.decode_with_extensions(&mut buf[at..to]) {
                Ok(ok) => ok,
                Err(e) => {
                    // Final: the same error again, whatever comes next.
                    assert_eq!(dec.decode_with_extensions(&mut []), Err(e));
                    assert_eq!(dec.decode_with_extensions(&mut ping_to(role)), Err(e));
                    out.push((at..to, Outcome::Failed(e)));
                    break 'pieces;
                }
            };
            at += used;
            let outcome = match incoming {
                None => {
                    assert_eq!(at, to, "None must mean the whole input was used");
                    break;
                }
                Some(Incoming::Message(m)) => Outcome::Message(m.into()),
                Some(Incoming::Extension {
                    opcode,
                    rsv,
                    payload,
                }) => Outcome::Extension {
                    opcode,
                    rsv,
                    payload: payload.to_vec(),
                },
            };
            out.push((at..at, outcome));
        }
    }
    let state = (dec.is_closed(), dec.in_message());
    let failed = matches!(out.last(), Some((_, Outcome::Failed(_))));
    if state.0 && !failed {
        // §5.5.1: nothing after a close is read, not even a whole valid frame.
        let mut ping = ping_to(role);
        let len = ping.len();
        assert_eq!(dec.decode_with_extensions(&mut ping), Ok((len, None)));
    }
    (out, state.0, state.1)
}

/// Where each frame of `wire` starts, as far as its headers can be read.
fn frame_starts(wire: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 0;
    while let Ok(Some((h, len))) = FrameHeader::decode(&wire[at..]) {
        starts.push(at);
        match usize::try_from(h.payload_len) {
            Ok(n) if n <= wire.len() - at - len => at += len + n,
            _ => break,
        }
    }
    starts
}

/// Feeds `wire` one byte at a time, and whole, cut at its frame starts, and cut at `more`
/// (inputs that start inside frames); checks that all agree, and returns what they gave.
fn agree(label: &str, setup: Setup, role: Role, wire: &[u8], more: Vec<usize>) -> Run {
    let bytewise: Vec<usize> = (1..wire.len()).collect();
    let slow = run(role, setup.decoder(role), wire, &bytewise);
    for cuts in [vec![], frame_starts(wire), more] {
        let fast = run(role, setup.decoder(role), wire, &cuts);
        let context = format!("{label}: {setup:?} {role:?} {} cuts", cuts.len());
        // After an error the state is moot (and depends on the chunking, as it does on
        // the general path alone: where a message was when its frame failed).
        if !matches!(slow.0.last(), Some((_, Outcome::Failed(_)))) {
            assert_eq!((fast.1, fast.2), (slow.1, slow.2), "state, {context}");
        }
        assert_eq!(
            fast.0.len(),
            slow.0.len(),
            "{:?} vs {:?}, {context}",
            fast.0,
            slow.0
        );
        for ((fast_at, fast), (slow_at, slow)) in fast.0.iter().zip(&slow.0) {
            assert_eq!(fast, slow, "{context}");
            if let Outcome::Failed(_) = fast {
                // Raised by the call that received the offending byte.
                assert!(
                    fast_at.contains(&slow_at.start),
                    "{fast_at:?} {slow_at:?}, {context}"
                );
            } else {
                assert_eq!(fast_at, slow_at, "where it ended, {context}");
            }
        }
    }
    slow
}

// ---------------------------------------------------------------------------------------
// The shared vectors

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The raw text after `"key": ` in a one-line JSON object (up to the next `,` or `}`).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("\"{key}\": "))? + key.len() + 4;
    let rest = &line[at..];
    Some(rest[..rest.find([',', '}']).unwrap_or(rest.len())].trim_matches('"'))
}

/// A frame's wire bytes from its vector line. Large frames are written as their header,
/// total length and FNV-1a hash, and their payload as a pattern (byte `i` is
/// `(i * 31 + seed) & 0xff`), masked with the frame's key.
fn wire_of(line: &str) -> Vec<u8> {
    let wire = field(line, "wire").expect("every vector has its wire bytes");
    if !wire.starts_with('{') {
        return hex(wire);
    }
    let object = |key: &str| &line[line.find(&format!("\"{key}\": {{")).expect(key)..];
    let number =
        |key: &str, name: &str| -> usize { field(object(key), name).unwrap().parse().unwrap() };
    let (len, seed) = (number("payload", "length"), number("payload", "seed"));
    let mut payload: Vec<u8> = (0..len).map(|i| (i * 31 + seed) as u8).collect();
    if let Some(key) = field(line, "maskKey").filter(|k| *k != "null") {
        wsprism::mask::apply_mask(&mut payload, hex(key).try_into().unwrap(), 0);
    }
    let mut bytes = hex(field(object("wire"), "header").unwrap());
    bytes.extend_from_slice(&payload);
    assert_eq!(bytes.len(), number("wire", "length"));
    let fnv = bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    assert_eq!(
        format!("{fnv:08x}"),
        field(object("wire"), "fnv1a32").unwrap()
    );
    bytes
}

/// The wire bytes of every entry of one section of the vectors file.
fn section(name: &str) -> Vec<(String, Vec<u8>)> {
    let file = include_str!("vectors/frames.json");
    let start = file
        .find(&format!("\n  \"{name}\": ["))
        .expect("section exists")
        + 1;
    file[start..]
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("    {"))
        .map(|line| (field(line, "name").unwrap().to_owned(), wire_of(line)))
        .collect()
}

#[test]
fn every_vector_decodes_the_same_whole_and_byte_by_byte() {
    let mut vectors = Vec::new();
    for name in ["frames", "invalid", "streams"] {
        let entries = section(name);
        assert!(entries.len() > 10, "{name}: {} entries", entries.len());
        vectors.extend(entries);
    }
    let (mut messages, mut errors) = (0, 0);
    for (name, wire) in &vectors {
        for setup in setups() {
            // Both roles: one of them breaks the mask rule (§5.1) on every frame.
            for role in [Role::Server, Role::Client] {
                let every_3 = (3..wire.len()).step_by(3).collect();
                let (outcomes, _, _) = agree(name, setup, role, wire, every_3);
                for (_, outcome) in outcomes {
                    match outcome {
                        Outcome::Failed(_) => errors += 1,
                        _ => messages += 1,
                    }
                }
            }
        }
    }
    // Both kinds of outcome were compared, plenty of each.
    assert!(
        messages > 500 && errors > 1000,
        "{messages} messages, {errors} errors"
    );
}

#[test]
fn a_typical_client_message_is_taken_whole_and_matches() {
    // A masked 20-byte text message to a server, then a ping and a close: all taken whole.
    let mut wire = Vec::new();
    let frame = |wire: &mut Vec<u8>, opcode, payload: &[u8]| {
        let mut h = FrameHeader::new(opcode, payload.len() as u64);
        h.mask = Some([0x11, 0x22, 0x33, 0x44]);
        encode_with_header(wire, &h, payload);
    };
    frame(&mut wire, OpCode::Text, b"twenty bytes of text");
    frame(&mut wire, OpCode::Ping, b"hi");
    frame(&mut wire, OpCode::Close, &[0x03, 0xE8, b'o', b'k']);
    let (outcomes, closed, _) = agree("client messages", setups()[0], Role::Server, &wire, vec![]);
    let got: Vec<Outcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    assert_eq!(
        got,
        [
            Outcome::Message(Owned::Text("twenty bytes of text".into())),
            Outcome::Message(Owned::Ping(b"hi".to_vec())),
            Outcome::Message(Owned::Close(Some((1000, "ok".into())))),
        ]
    );
    assert!(closed);
}

// ---------------------------------------------------------------------------------------
// Random frames, some breaking rules

/// One frame, built field by field: any opcode (mostly valid ones), FIN, RSV bits, mask,
/// a length written minimally or wider than needed (§5.2 allows reading it), and a payload
/// of text, bytes, invalid UTF-8 or a close body.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    let opcode = prop_oneof![6 => 0u8..=2, 4 => 8u8..=10, 1 => 0u8..16];
    let rsv = prop_oneof![6 => Just(0u8), 1 => (1u8..8).prop_map(|b| b << 4)];
    let payload = prop_oneof![
        3 => prop::collection::vec(any::<char>(), 0..40)
            .prop_map(|cs| cs.into_iter().collect::<String>().into_bytes()),
        3 => prop::collection::vec(any::<u8>(), 0..200),
        1 => prop::collection::vec(any::<u8>(), 126..400),
        1 => (1000u16..5000, "[a-z]{0,10}")
            .prop_map(|(code, reason)| [&code.to_be_bytes()[..], reason.as_bytes()].concat()),
    ];
    (
        opcode,
        prop::bool::weighted(0.8),
        rsv,
        prop::option::weighted(0.6, any::<[u8; 4]>()),
        0u8..3,
        payload,
    )
        .prop_map(|(opcode, fin, rsv, mask, width, payload)| {
            let header = FrameHeader {
                fin,
                rsv1: rsv & 0x40 != 0,
                rsv2: rsv & 0x20 != 0,
                rsv3: rsv & 0x10 != 0,
                opcode: OpCode::from_u4(opcode),
                mask,
                payload_len: payload.len() as u64,
            };
            let mut wire = Vec::new();
            encode_with_header(&mut wire, &header, &payload);
            widen(wire, width, header.encoded_len())
        })
}

/// Rewrites a frame's length field as 16 bits (`width` 1) or 64 bits (2) if it is shorter.
fn widen(wire: Vec<u8>, width: u8, header_len: usize) -> Vec<u8> {
    let len = wire.len() - header_len;
    let field = match (width, wire[1] & 0x7F) {
        (1, 0..=125) => [&[126][..], &(len as u16).to_be_bytes()].concat(),
        (2, 0..=126) => [&[127][..], &(len as u64).to_be_bytes()].concat(),
        _ => return wire,
    };
    let old_field = match wire[1] & 0x7F {
        126 => 3,
        _ => 1,
    };
    let mut out = vec![wire[0]];
    out.push(wire[1] & 0x80 | field[0]);
    out.extend_from_slice(&field[1..]);
    out.extend_from_slice(&wire[1 + old_field..]);
    out
}

fn setup() -> impl Strategy<Value = Setup> {
    let limits = (0u64..500, 0u64..1000, (0u8..8).prop_map(|b| b << 4), 0u8..8).prop_map(
        |(max_frame_len, max_message_len, allowed_rsv, per_message)| Setup {
            config: DecoderConfig {
                max_frame_len,
                max_message_len,
                allowed_rsv,
            },
            per_message_rsv: (per_message << 4) & allowed_rsv,
        },
    );
    prop_oneof![
        1 => Just(setups()[0]),
        1 => Just(setups()[5]),
        2 => limits,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Random frame sequences to either role: whole, frame by frame and byte by byte agree.
    #[test]
    fn random_frames_decode_the_same_whole_and_byte_by_byte(
        role in prop_oneof![Just(Role::Server), Just(Role::Client)],
        setup in setup(),
        frames in prop::collection::vec(frame(), 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let wire = frames.concat();
        let cuts = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        agree("random frames", setup, role, &wire, cuts);
    }
}

#[test]
fn a_payload_that_looks_like_a_frame_is_payload() {
    // A client's binary message whose payload holds a whole frame to a client, cut so that
    // the second input starts with that look-alike: the decoder is inside a frame there.
    let inner = ping_to(Role::Client);
    let mut payload = b"abc".to_vec();
    payload.extend_from_slice(&inner);
    let mut wire = Vec::new();
    encode_with_header(
        &mut wire,
        &FrameHeader::new(OpCode::Binary, payload.len() as u64),
        &payload,
    );
    let cut = wire.len() - inner.len();
    let (outcomes, _, _) = agree("look-alike", setups()[0], Role::Client, &wire, vec![cut]);
    let got: Vec<Outcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    assert_eq!(got, [Outcome::Message(Owned::Binary(payload))]);
}

#[test]
fn widen_rewrites_only_the_length_field() {
    let mut h = FrameHeader::new(OpCode::Binary, 3);
    h.mask = Some([1, 2, 3, 4]);
    let mut wire = Vec::new();
    encode_with_header(&mut wire, &h, b"abc");
    for width in 0..3 {
        let wide = widen(wire.clone(), width, h.encoded_len());
        assert_eq!(wide.len(), wire.len() + [0, 2, 8][width as usize]);
        let (got, len) = FrameHeader::decode(&wide).unwrap().unwrap();
        assert_eq!((got, len), (h, h.encoded_len() + [0, 2, 8][width as usize]));
    }
}
