//! Section 4: reserved opcodes. §5.2: opcodes 0x3-0x7 (data) and 0xB-0xF (control) are
//! reserved; "if an unknown opcode is received, the receiving endpoint MUST _Fail the
//! WebSocket Connection_".

use crate::case::{Case, Script};
use crate::frame::{op, Frame};

/// Every case of section 4.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (group, opcodes) in [(1, [3u8, 4, 5, 6, 7]), (2, [0xB, 0xC, 0xD, 0xE, 0xF])] {
        for (i, &code) in opcodes.iter().enumerate() {
            let id = format!("4.{group}.{}", i + 1);
            let case = match i {
                0 => Case::new(
                    id,
                    format!("Send a frame with reserved opcode {code}"),
                    Script::new().send(Frame::new(code, "")).close(1002),
                ),
                1 => Case::new(
                    id,
                    format!("Send a frame with reserved opcode {code} and a payload"),
                    Script::new()
                        .send(Frame::new(code, "reserved opcode payload"))
                        .close(1002),
                ),
                2 => Case::new(
                    id,
                    format!("Send a text message, then a frame with reserved opcode {code}, then a ping"),
                    Script::new()
                        .send_all(vec![
                            Frame::text("Hello, world!"),
                            Frame::new(code, ""),
                            Frame::ping(""),
                        ])
                        .echo_text("Hello, world!")
                        .close(1002),
                ),
                3 => Case::new(
                    id,
                    format!("Send a text message, then a frame with reserved opcode {code} and a payload, then a ping"),
                    Script::new()
                        .send_all(vec![
                            Frame::text("Hello, world!"),
                            Frame::new(code, "reserved opcode payload"),
                            Frame::ping(""),
                        ])
                        .echo_text("Hello, world!")
                        .close(1002),
                ),
                _ => Case::new(
                    id,
                    format!("As 4.{group}.4 with opcode {code}, in octet-wise chops"),
                    Script::new()
                        .chop(
                            vec![
                                Frame::text("Hello, world!"),
                                Frame::new(code, "reserved opcode payload"),
                                Frame::ping(""),
                            ],
                            1,
                            0,
                        )
                        .echo_text("Hello, world!")
                        .close(1002),
                ),
            };
            out.push(case);
        }
    }
    // Every reserved opcode inside a fragmented message.
    for (i, code) in (3..=7u8).chain(0xB..=0xF).enumerate() {
        out.push(Case::new(
            format!("4.3.{}", i + 1),
            format!("Send a reserved opcode {code} frame between the fragments of a text message"),
            Script::new()
                .send_all(vec![
                    Frame::text("frag1").fin(false),
                    Frame::new(code, "x"),
                    Frame::cont("frag2"),
                ])
                .close(1002),
        ));
    }
    // A reserved opcode with FIN clear, and one whose payload is large.
    out.push(Case::new(
        "4.4.1",
        "Send a reserved opcode 3 frame with FIN clear",
        Script::new()
            .send(Frame::new(3, "abc").fin(false))
            .close(1002),
    ));
    out.push(Case::new(
        "4.4.2",
        "Send a reserved opcode 0xB frame declaring 1 MiB (fails on its header)",
        Script::new()
            .send(Frame::new(0xB, "").length(crate::frame::Length::Declared(1 << 20)))
            .close(1002),
    ));
    out.push(Case::new(
        "4.4.3",
        "Send binary, then a reserved opcode 7 frame, in separate writes 50 ms apart",
        Script::new()
            .send(Frame::binary(vec![1]))
            .echo(op::BINARY, vec![1])
            .pause(50)
            .send(Frame::new(7, ""))
            .close(1002),
    ));
    out
}
