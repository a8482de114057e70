//! Section 9: limits and performance. Large messages up to the server's default limit of
//! 16 MiB (RFC 6455 §10.4: implementations SHOULD limit frame and message sizes), many
//! fragments, small chops, many round trips; and the limit itself: one byte more fails with
//! 1009 as soon as a header declares it, before the payload is sent.

use crate::case::{Case, Script};
use crate::frame::{op, Frame, Length};
use crate::rng;

/// The server's default `--max-message-size`.
pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

fn payload(opcode: u8, n: usize) -> Vec<u8> {
    if opcode == op::TEXT {
        rng::text(n)
    } else {
        rng::bytes(n)
    }
}

fn kind(opcode: u8) -> &'static str {
    if opcode == op::TEXT {
        "text"
    } else {
        "binary"
    }
}

fn size(n: usize) -> String {
    if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n % KIB == 0 {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} B")
    }
}

fn fragmented(opcode: u8, data: &[u8], frag: usize) -> Vec<Frame> {
    let count = data.len().div_ceil(frag);
    data.chunks(frag)
        .enumerate()
        .map(|(i, c)| {
            let f = if i == 0 {
                Frame::new(opcode, c.to_vec())
            } else {
                Frame::cont(c.to_vec())
            };
            f.fin(i + 1 == count)
        })
        .collect()
}

/// Every case of section 9, for a server whose message limit is `max_message`.
pub fn cases(max_message: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for (group, opcode) in [(1, op::TEXT), (2, op::BINARY)] {
        let sizes = [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
        for (i, &n) in sizes.iter().filter(|&&n| n <= max_message).enumerate() {
            let p = payload(opcode, n);
            out.push(
                Case::new(
                    format!("9.{group}.{}", i + 1),
                    format!(
                        "Send a {} message of {} in one frame",
                        kind(opcode),
                        size(n)
                    ),
                    Script::new()
                        .send(Frame::new(opcode, p.clone()))
                        .echo(opcode, p)
                        .ok(),
                )
                .heavy(),
            );
        }
    }
    for (group, opcode) in [(3, op::TEXT), (4, op::BINARY)] {
        let n = (4 * MIB).min(max_message);
        let data = payload(opcode, n);
        let frags = [
            64,
            256,
            KIB,
            4 * KIB,
            16 * KIB,
            64 * KIB,
            256 * KIB,
            MIB,
            4 * MIB,
        ];
        for (i, &frag) in frags.iter().enumerate() {
            out.push(
                Case::new(
                    format!("9.{group}.{}", i + 1),
                    format!(
                        "Send a {} message of {} in fragments of {}",
                        kind(opcode),
                        size(n),
                        size(frag)
                    ),
                    Script::new()
                        .send_all(fragmented(opcode, &data, frag))
                        .echo(opcode, data.clone())
                        .ok(),
                )
                .heavy(),
            );
        }
    }
    for (group, opcode) in [(5, op::TEXT), (6, op::BINARY)] {
        let data = payload(opcode, MIB);
        for (i, chop) in [64, 128, 256, 512, 1024, 2048].iter().enumerate() {
            out.push(
                Case::new(
                    format!("9.{group}.{}", i + 1),
                    format!(
                        "Send a {} message of 1 MiB in chops of {chop} bytes",
                        kind(opcode)
                    ),
                    Script::new()
                        .chop(vec![Frame::new(opcode, data.clone())], *chop, 0)
                        .echo(opcode, data.clone())
                        .ok(),
                )
                .heavy(),
            );
        }
    }
    for (group, opcode) in [(7, op::TEXT), (8, op::BINARY)] {
        for (i, n) in [0usize, 16, 64, 256, 1024, 4096].iter().enumerate() {
            let p = payload(opcode, *n);
            let mut s = Script::new();
            for _ in 0..1000 {
                s = s
                    .send(Frame::new(opcode, p.clone()))
                    .echo(opcode, p.clone());
            }
            out.push(Case::new(
                format!("9.{group}.{}", i + 1),
                format!(
                    "Send 1000 {} messages of {n} bytes, each after the previous echo",
                    kind(opcode)
                ),
                s.ok(),
            ));
        }
    }
    // Many frames: one message in 10,000 frames, and 10,000 messages in one write.
    let data = rng::bytes(10_000);
    out.push(
        Case::new(
            "9.9.1",
            "Send a binary message of 10,000 bytes as 10,000 one-byte frames in one write",
            Script::new()
                .send_all(fragmented(op::BINARY, &data, 1))
                .echo(op::BINARY, data)
                .ok(),
        )
        .heavy(),
    );
    let msgs: Vec<Vec<u8>> = (0..10_000).map(|i| format!("m{i}").into_bytes()).collect();
    let mut s = Script::new().send_all(msgs.iter().map(|m| Frame::text(m.clone())).collect());
    for m in &msgs {
        s = s.echo_text(m.clone());
    }
    out.push(
        Case::new(
            "9.9.2",
            "Send 10,000 small text messages in one write: 10,000 echoes in order",
            s.ok(),
        )
        .heavy(),
    );
    // The limit.
    let max = max_message as u64;
    out.push(Case::new(
        "9.10.1",
        format!(
            "Send a binary frame header declaring {} + 1 bytes and no payload: 1009 at once",
            size(max_message)
        ),
        Script::new()
            .send(Frame::binary("").length(Length::Declared(max + 1)))
            .close(1009),
    ));
    out.push(Case::new(
        "9.10.2",
        "Send a text frame header declaring 2^62 bytes and no payload: 1009 at once",
        Script::new()
            .send(Frame::text("").length(Length::Declared(1 << 62)))
            .close(1009),
    ));
    out.push(Case::new(
        "9.10.3",
        "Send a frame header whose 64-bit length has its most significant bit set",
        Script::new()
            .send(Frame::binary("").length(Length::Declared(1 << 63)))
            .close(1002),
    ));
    let half = payload(op::BINARY, max_message / 2);
    out.push(
        Case::new(
            "9.10.4",
            format!(
                "Send a fragment of {}, then a header declaring {} + 1 more: 1009 before that payload",
                size(max_message / 2),
                size(max_message / 2)
            ),
            Script::new()
                .send(Frame::binary(half).fin(false))
                .send(Frame::cont("").length(Length::Declared(max - max / 2 + 1)))
                .close(1009),
        )
        .heavy(),
    );
    let exact = payload(op::BINARY, max_message);
    out.push(
        Case::new(
            "9.10.5",
            format!(
                "Send a binary message of exactly {} in 2 fragments (the limit is inclusive)",
                size(max_message)
            ),
            Script::new()
                .send_all(fragmented(op::BINARY, &exact, max_message / 2 + 1))
                .echo(op::BINARY, exact)
                .ok(),
        )
        .heavy(),
    );
    let many = payload(op::TEXT, 1000);
    let mut frames = fragmented(op::TEXT, &many, 1);
    frames.truncate(999);
    frames.push(Frame::cont("").length(Length::Declared(max)));
    out.push(Case::new(
        "9.10.6",
        "Send 999 one-byte text fragments, then a header declaring the whole limit: 1009",
        Script::new().send_all(frames).close(1009),
    ));
    out
}
