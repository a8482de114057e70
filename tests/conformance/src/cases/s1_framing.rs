//! Section 1: framing. Text and binary messages of many sizes, each length encoding and its
//! boundaries (§5.2: 7-bit up to 125, 16-bit up to 65535, 64-bit beyond), sent whole, in
//! chops, and many at once.

use crate::case::{Case, Script};
use crate::frame::{op, Frame};
use crate::rng;

/// The payload sizes Autobahn's 1.1/1.2 use: each length encoding's edges.
const EDGES: [usize; 7] = [0, 125, 126, 127, 128, 65535, 65536];

/// More sizes: around powers of two, the mask's 4-byte period and SIMD widths.
const SWEEP: [usize; 30] = [
    1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 124, 129, 255, 256, 257, 1023,
    1024, 1025, 4095, 4096, 4097, 65534, 65537,
];

fn payload(opcode: u8, n: usize) -> Vec<u8> {
    if opcode == op::TEXT {
        rng::text(n)
    } else {
        rng::bytes(n)
    }
}

fn name(opcode: u8) -> &'static str {
    if opcode == op::TEXT {
        "text"
    } else {
        "binary"
    }
}

/// Every case of section 1.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (group, opcode) in [(1, op::TEXT), (2, op::BINARY)] {
        for (i, &n) in EDGES.iter().enumerate() {
            let p = payload(opcode, n);
            out.push(Case::new(
                format!("1.{group}.{}", i + 1),
                format!(
                    "Send a {} message with a payload of {n} bytes",
                    name(opcode)
                ),
                Script::new()
                    .send(Frame::new(opcode, p.clone()))
                    .echo(opcode, p)
                    .ok(),
            ));
        }
        let p = payload(opcode, 65536);
        out.push(Case::new(
            format!("1.{group}.8"),
            format!(
                "Send a {} message of 65536 bytes in chops of 997 bytes",
                name(opcode)
            ),
            Script::new()
                .chop(vec![Frame::new(opcode, p.clone())], 997, 0)
                .echo(opcode, p)
                .ok(),
        ));
    }
    for (group, opcode) in [(3, op::TEXT), (4, op::BINARY)] {
        for (i, &n) in SWEEP.iter().enumerate() {
            let p = payload(opcode, n);
            out.push(Case::new(
                format!("1.{group}.{}", i + 1),
                format!("Send a {} message of {n} bytes", name(opcode)),
                Script::new()
                    .send(Frame::new(opcode, p.clone()))
                    .echo(opcode, p)
                    .ok(),
            ));
        }
    }
    // Chops of many sizes: the header and the payload split everywhere, code points of the
    // text cut in the middle.
    let mut i = 0;
    for opcode in [op::TEXT, op::BINARY] {
        for (n, chop) in [
            (300, 1),
            (1000, 2),
            (1000, 3),
            (70_000, 7),
            (70_000, 4096),
            (200, 13),
        ] {
            i += 1;
            let p = payload(opcode, n);
            out.push(Case::new(
                format!("1.5.{i}"),
                format!(
                    "Send a {} message of {n} bytes in chops of {chop} bytes",
                    name(opcode)
                ),
                Script::new()
                    .chop(vec![Frame::new(opcode, p.clone())], chop, 0)
                    .echo(opcode, p)
                    .ok(),
            ));
        }
    }
    // Many messages in one write: the server must not lose the bytes after a message.
    let msgs: Vec<(u8, Vec<u8>)> = (0..20)
        .map(|k| {
            let opcode = if k % 2 == 0 { op::TEXT } else { op::BINARY };
            (opcode, payload(opcode, k * 37))
        })
        .collect();
    let mut s = Script::new().send_all(
        msgs.iter()
            .map(|(o, p)| Frame::new(*o, p.clone()))
            .collect(),
    );
    for (o, p) in &msgs {
        s = s.echo(*o, p.clone());
    }
    out.push(Case::new(
        "1.6.1",
        "Send 20 text and binary messages of 0..703 bytes in one write",
        s.ok(),
    ));
    let mut s = Script::new().chop(
        msgs.iter()
            .map(|(o, p)| Frame::new(*o, p.clone()))
            .collect(),
        5,
        0,
    );
    for (o, p) in &msgs {
        s = s.echo(*o, p.clone());
    }
    out.push(Case::new(
        "1.6.2",
        "Send the same 20 messages in chops of 5 bytes",
        s.ok(),
    ));
    out
}
