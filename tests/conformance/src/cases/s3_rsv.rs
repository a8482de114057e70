//! Section 3: reserved bits. §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that
//! defines meanings for non-zero values"; the suite negotiates none, so any set bit fails
//! the connection with 1002, and nothing that follows the bad frame may be answered.

use crate::case::{Case, Script};
use crate::frame::{op, Frame};

/// Every case of section 3.
pub fn cases() -> Vec<Case> {
    let mut out = vec![
        Case::new(
            "3.1",
            "Send a small text message with RSV = 1",
            Script::new()
                .send(Frame::text("Hello, world!").rsv(1))
                .close(1002),
        ),
        Case::new(
            "3.2",
            "Send a text message, then another with RSV = 2, then a ping",
            Script::new()
                .send_all(vec![
                    Frame::text("Hello, world!"),
                    Frame::text("Hello, world!").rsv(2),
                    Frame::ping(""),
                ])
                .echo_text("Hello, world!")
                .close(1002),
        ),
        Case::new(
            "3.3",
            "As 3.2 with RSV = 3, each frame in its own write, 50 ms apart",
            Script::new()
                .send_each(
                    vec![
                        Frame::text("Hello, world!"),
                        Frame::text("Hello, world!").rsv(3),
                        Frame::ping(""),
                    ],
                    50,
                )
                .echo_text("Hello, world!")
                .close(1002),
        ),
        Case::new(
            "3.4",
            "As 3.2 with RSV = 4, in octet-wise chops",
            Script::new()
                .chop(
                    vec![
                        Frame::text("Hello, world!"),
                        Frame::text("Hello, world!").rsv(4),
                        Frame::ping(""),
                    ],
                    1,
                    0,
                )
                .echo_text("Hello, world!")
                .close(1002),
        ),
        Case::new(
            "3.5",
            "Send a small binary message with RSV = 5",
            Script::new()
                .send(Frame::binary(vec![0, 1, 2, 3]).rsv(5))
                .close(1002),
        ),
        Case::new(
            "3.6",
            "Send a ping with RSV = 6",
            Script::new().send(Frame::ping("ping").rsv(6)).close(1002),
        ),
        Case::new(
            "3.7",
            "Send a close with RSV = 7",
            Script::new()
                .send(Frame::close(1000, b"").rsv(7))
                .close(1002),
        ),
    ];
    // Every RSV value on every kind of frame, each followed by a ping that must go
    // unanswered.
    let mut n = 0;
    for rsv in 1..=7u8 {
        for kind in ["text", "binary", "continuation", "ping", "pong", "close"] {
            n += 1;
            let bad = match kind {
                "text" => Frame::text("abc"),
                "binary" => Frame::binary(vec![1, 2, 3]),
                "continuation" => Frame::cont("def"),
                "ping" => Frame::ping("p"),
                "pong" => Frame::pong("p"),
                _ => Frame::close(1000, b""),
            }
            .rsv(rsv);
            let mut frames = Vec::new();
            if kind == "continuation" {
                frames.push(Frame::text("abc").fin(false));
            }
            frames.push(bad);
            frames.push(Frame::ping("must not be answered"));
            out.push(Case::new(
                format!("3.8.{n}"),
                format!("Send a {kind} frame with RSV = {rsv}, then a ping"),
                Script::new().send_all(frames).close(1002),
            ));
        }
    }
    // A bad frame after good traffic, the bad frame's header in its own chops.
    out.push(Case::new(
        "3.9.1",
        "Send a binary message, then a binary frame with RSV = 1 whose header arrives byte by byte",
        Script::new()
            .send(Frame::binary(vec![9; 10]))
            .echo(op::BINARY, vec![9; 10])
            .chop(vec![Frame::binary(vec![9; 10]).rsv(1)], 1, 5)
            .close(1002),
    ));
    out
}
