//! Section 12: permessage-deflate (RFC 7692) messages. With the extension agreed, the client
//! sends compressed messages of many sizes (RSV1 on the first frame, §6), whole or with the
//! compressed payload split across frames, and checks every echo after inflating it (the
//! server may answer compressed or not). Group 12.7 breaks the extension's rules: RSV1 on a
//! continuation or control frame, or without agreement (1002, §6.1), a message inflating past
//! the message limit (1009), corrupt DEFLATE data and bad UTF-8 after inflation (1007).

use crate::case::Case;
use crate::client::Target;
use crate::frame::{op, Frame};
use crate::pmd::{self, Session, RSV1};
use crate::rng;

/// Message sizes of groups 12.1-12.4, 16 B .. 256 KiB.
const SIZES: [usize; 10] = [16, 64, 256, 1024, 4096, 16384, 32768, 65536, 131072, 262144];
/// Messages per case: later ones exercise the kept compression context.
const ROUNDS: usize = 4;
const OFFER: &str = "permessage-deflate";

#[derive(Clone, Copy)]
enum Kind {
    /// JSON-like text: compresses well.
    Json,
    /// Seeded random bytes: incompressible.
    Random,
}

fn payload(kind: Kind, n: usize) -> Vec<u8> {
    match kind {
        Kind::Json => pmd::json_text(n),
        Kind::Random => rng::bytes(n),
    }
}

/// A case: `ROUNDS` messages of `size` bytes, each compressed and echoed.
fn echo_case(
    id: String,
    offer: &'static str,
    opcode: u8,
    kind: Kind,
    size: usize,
    frag: usize,
    keep_context: bool,
) -> Case {
    let what = match kind {
        Kind::Json => "compressible",
        Kind::Random => "random",
    };
    let split = if frag == 0 {
        "in one frame".to_string()
    } else {
        format!("the compressed payload in frames of {frag} bytes")
    };
    let desc = format!(
        "Offer {offer:?}; send {ROUNDS} compressed {} messages of {size} bytes ({what}), {split}",
        op::name(opcode)
    );
    let case = Case::custom(
        id,
        desc,
        "every echo inflates to the message sent",
        move |t: &Target| {
            let mut s = Session::open(t, offer, Some(0), keep_context)?;
            for round in 0..ROUNDS {
                let p = payload(kind, size);
                s.echo(opcode, &p, true, frag)
                    .map_err(|e| format!("message {}: {e}", round + 1))?;
            }
            s.finish()
        },
    );
    if size >= 131072 {
        case.heavy()
    } else {
        case
    }
}

/// A case that must end in a close with one of `codes` after `frames` are sent.
fn error_case(
    id: &str,
    desc: &str,
    offer: &'static str,
    codes: &'static [u16],
    frames: impl Fn(&mut Session) -> Vec<Frame> + Send + Sync + 'static,
) -> Case {
    let expected = format!("close {codes:?}");
    Case::custom(id, desc, expected, move |t: &Target| {
        let expect = (!offer.is_empty()).then_some(0);
        let mut s = Session::open(t, offer, expect, true)?;
        let fs = frames(&mut s);
        s.send(&fs)?;
        s.expect_close(codes)
    })
}

/// Every case of section 12, for a server whose message limit is `max_message`.
pub fn cases(max_message: usize) -> Vec<Case> {
    let mut out = Vec::new();
    let groups: [(u32, u8, Kind, bool); 4] = [
        (1, op::TEXT, Kind::Json, false),
        (2, op::BINARY, Kind::Random, false),
        (3, op::TEXT, Kind::Json, true),
        (4, op::BINARY, Kind::Json, true),
    ];
    for (g, opcode, kind, fragmented) in groups {
        for (i, &size) in SIZES.iter().enumerate() {
            // Fragmented groups split the compressed payload into about four frames (at
            // least one byte each), so RSV1 sits on a frame that is not the whole message.
            let frag = if fragmented { (size / 16).max(1) } else { 0 };
            out.push(echo_case(
                format!("12.{g}.{}", i + 1),
                OFFER,
                opcode,
                kind,
                size,
                frag,
                true,
            ));
        }
    }
    // 12.5: the client resets its context per message after offering to.
    for (i, &size) in [64, 1024, 16384, 65536].iter().enumerate() {
        out.push(echo_case(
            format!("12.5.{}", i + 1),
            "permessage-deflate; client_no_context_takeover",
            op::TEXT,
            Kind::Json,
            size,
            0,
            false,
        ));
    }
    // 12.6: mixes on one connection.
    out.push(Case::custom(
        "12.6.1",
        "Alternate compressed and uncompressed text messages of 300 bytes on one connection",
        "every echo inflates to the message sent",
        |t: &Target| {
            let mut s = Session::open(t, OFFER, Some(0), true)?;
            for i in 0..6 {
                s.echo(op::TEXT, &pmd::json_text(300), i % 2 == 0, 0)?;
            }
            s.finish()
        },
    ));
    out.push(Case::custom(
        "12.6.2",
        "A compressed text message in 5 frames with a ping between frames 2 and 3",
        "pong, then the echo",
        |t: &Target| {
            let mut s = Session::open(t, OFFER, Some(0), true)?;
            let p = pmd::json_text(2000);
            let wire = s.compress(&p);
            let mut frames = pmd::fragments(op::TEXT, &wire, RSV1, wire.len().div_ceil(5));
            frames.insert(2, Frame::ping("mid"));
            s.send(&frames)?;
            let f = match s.conn.next_event() {
                crate::client::Event::Frame(f) => f,
                other => return Err(format!("{other:?} instead of the pong")),
            };
            if f.opcode != op::PONG || f.payload != b"mid" {
                return Err(format!("got {f:?} instead of the pong"));
            }
            let (o, got) = s.recv_message()?;
            if o != op::TEXT || got != p {
                return Err(format!("echo of {} bytes differs", got.len()));
            }
            s.finish()
        },
    ));
    out.push(Case::custom(
        "12.6.3",
        "Empty compressed text and binary messages (payload 00, §7.2.3.6)",
        "empty echoes",
        |t: &Target| {
            let mut s = Session::open(t, OFFER, Some(0), true)?;
            s.echo(op::TEXT, b"", true, 0)?;
            s.echo(op::BINARY, b"", true, 0)?;
            s.finish()
        },
    ));
    out.push(Case::custom(
        "12.6.4",
        "A compressed message written one byte at a time",
        "the echo",
        |t: &Target| {
            let mut s = Session::open(t, OFFER, Some(0), true)?;
            let p = pmd::json_text(500);
            let wire = s.compress(&p);
            let bytes = Frame::new(op::TEXT, wire).rsv(RSV1).encode();
            for b in bytes.chunks(1) {
                std::io::Write::write_all(&mut s.conn.stream, b).map_err(|e| e.to_string())?;
            }
            let (o, got) = s.recv_message()?;
            if o != op::TEXT || got != p {
                return Err(format!("echo of {} bytes differs", got.len()));
            }
            s.finish()
        },
    ));

    // 12.7: protocol errors.
    out.push(error_case(
        "12.7.1",
        "RSV1 on the continuation frame of a compressed message (RFC 7692 §6.1)",
        OFFER,
        &[1002],
        |s| {
            let wire = s.compress(&pmd::json_text(200));
            let mut f = pmd::fragments(op::TEXT, &wire, RSV1, wire.len().div_ceil(2));
            f[1] = f[1].clone().rsv(RSV1);
            f
        },
    ));
    out.push(error_case(
        "12.7.2",
        "RSV1 on a ping (§6.1: control frames never carry it)",
        OFFER,
        &[1002],
        |_| vec![Frame::ping("x").rsv(RSV1)],
    ));
    out.push(error_case(
        "12.7.3",
        "RSV1 on a close frame",
        OFFER,
        &[1002],
        |_| vec![Frame::close(1000, b"").rsv(RSV1)],
    ));
    out.push(error_case(
        "12.7.4",
        "RSV1 on a text message with no extension agreed (RFC 6455 §5.2)",
        "",
        &[1002],
        |_| {
            let mut d = wsprism::deflate::Deflater::new(true);
            let mut wire = Vec::new();
            d.compress(&pmd::json_text(100), &mut wire)
                .expect("compress");
            vec![Frame::text(wire).rsv(RSV1)]
        },
    ));
    out.push(error_case(
        "12.7.5",
        "Corrupt DEFLATE data with RSV1 (block type 3 is reserved, RFC 1951 §3.2.3)",
        OFFER,
        &[1007],
        |_| vec![Frame::binary(vec![0xff, 0xff, 0xff, 0xff, 0x00]).rsv(RSV1)],
    ));
    out.push(error_case(
        "12.7.6",
        "A compressed text message that inflates to invalid UTF-8 (RFC 6455 §8.1)",
        OFFER,
        &[1007],
        |s| vec![Frame::text(s.compress(b"valid then \xc0\xaf bad")).rsv(RSV1)],
    ));
    out.push(error_case(
        "12.7.7",
        "A compressed message of zeros that inflates to one byte more than the limit",
        OFFER,
        &[1009],
        move |s| vec![Frame::binary(s.compress(&vec![0; max_message + 1])).rsv(RSV1)],
    ));
    out.push(Case::custom(
        "12.7.8",
        "A compressed message (echoed), then RSV1 on a continuation frame of a plain one",
        "echo, then close [1002]",
        |t: &Target| {
            let mut s = Session::open(t, OFFER, Some(0), true)?;
            s.echo(op::TEXT, b"first message, compressed", true, 0)?;
            s.send(&[
                Frame::text("second ").fin(false),
                Frame::cont("part").rsv(RSV1),
            ])?;
            s.expect_close(&[1002])
        },
    ));
    out
}
