//! Section 2: pings and pongs (RFC 6455 §5.5.2, §5.5.3). A ping gets a pong with the same
//! payload; an unsolicited pong gets nothing; a control frame longer than 125 bytes fails
//! the connection (§5.5).

use crate::case::{Case, Script};
use crate::frame::{Frame, Length};
use crate::rng;

/// Every case of section 2.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |n: u32, desc: &str, s: Script| out.push(Case::new(format!("2.{n}"), desc, s));

    add(
        1,
        "Send a ping without payload",
        Script::new().send(Frame::ping("")).pong("").ok(),
    );
    add(
        2,
        "Send a ping with a small text payload",
        Script::new()
            .send(Frame::ping("Hello, world!"))
            .pong("Hello, world!")
            .ok(),
    );
    let bin = vec![0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];
    add(
        3,
        "Send a ping with a small binary (non UTF-8) payload",
        Script::new().send(Frame::ping(bin.clone())).pong(bin).ok(),
    );
    let p125 = rng::bytes(125);
    add(
        4,
        "Send a ping with a payload of 125 bytes",
        Script::new()
            .send(Frame::ping(p125.clone()))
            .pong(p125.clone())
            .ok(),
    );
    add(
        5,
        "Send a ping with a payload of 126 bytes (control frames carry at most 125)",
        Script::new().send(Frame::ping(rng::bytes(126))).close(1002),
    );
    add(
        6,
        "Send a ping with a payload of 125 bytes in octet-wise chops, 1 ms apart",
        Script::new()
            .chop(vec![Frame::ping(p125.clone())], 1, 1)
            .pong(p125)
            .ok(),
    );
    add(
        7,
        "Send an unsolicited pong without payload: no answer",
        Script::new().send(Frame::pong("")).ok(),
    );
    add(
        8,
        "Send an unsolicited pong with payload: no answer",
        Script::new()
            .send(Frame::pong("unsolicited pong payload"))
            .ok(),
    );
    add(
        9,
        "Send an unsolicited pong, then a ping: only the ping is answered",
        Script::new()
            .send(Frame::pong("unsolicited pong payload"))
            .send(Frame::ping("ping payload"))
            .pong("ping payload")
            .ok(),
    );
    let pings: Vec<Vec<u8>> = (0..10)
        .map(|i| format!("payload-{i}").into_bytes())
        .collect();
    let mut s = Script::new().send_all(pings.iter().map(|p| Frame::ping(p.clone())).collect());
    for p in &pings {
        s = s.pong(p.clone());
    }
    add(10, "Send 10 pings in one write: 10 pongs, in order", s.ok());
    let mut s = Script::new().chop(pings.iter().map(|p| Frame::ping(p.clone())).collect(), 1, 0);
    for p in &pings {
        s = s.pong(p.clone());
    }
    add(
        11,
        "Send 10 pings in octet-wise chops: 10 pongs, in order",
        s.ok(),
    );
    add(
        12,
        "Send a ping whose 16-bit length declares 126 bytes, and no payload",
        Script::new()
            .send(Frame::ping("").length(Length::Declared(126)))
            .close(1002),
    );
    add(
        13,
        "Send a ping whose 64-bit length declares 2^40 bytes, and no payload",
        Script::new()
            .send(Frame::ping("").length(Length::Declared(1 << 40)))
            .close(1002),
    );
    add(
        14,
        "Send a ping with FIN clear (a fragmented control frame)",
        Script::new().send(Frame::ping("x").fin(false)).close(1002),
    );
    let big = rng::bytes(125);
    let mut s = Script::new().send_all((0..50).map(|_| Frame::ping(big.clone())).collect());
    for _ in 0..50 {
        s = s.pong(big.clone());
    }
    add(
        15,
        "Send 50 pings of 125 bytes in one write: 50 pongs",
        s.ok(),
    );
    add(
        16,
        "Send a ping with a payload that is not UTF-8 in the middle of text messages",
        Script::new()
            .send_all(vec![
                Frame::text("before"),
                Frame::ping(vec![0xff, 0xc0, 0x80]),
                Frame::text("after"),
            ])
            .echo_text("before")
            .pong(vec![0xff, 0xc0, 0x80])
            .echo_text("after")
            .ok(),
    );
    out
}
