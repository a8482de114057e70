//! Section 5: fragmentation (RFC 6455 §5.4). A message is a text/binary frame with FIN
//! clear, continuations, and a final continuation with FIN set. Control frames may come
//! between fragments and are answered at once; control frames themselves are never
//! fragmented (§5.5); a continuation with nothing to continue, or a new message inside an
//! unfinished one, fails the connection.

use crate::case::{Case, Script};
use crate::frame::{op, Frame};
use crate::rng;

fn frag_text() -> Vec<Frame> {
    vec![
        Frame::text("fragment1").fin(false),
        Frame::cont("fragment2"),
    ]
}

fn frag_with_ping() -> Vec<Frame> {
    vec![
        Frame::text("fragment1").fin(false),
        Frame::ping("ping payload"),
        Frame::cont("fragment2"),
    ]
}

/// Every case of section 5.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |n: u32, desc: &str, s: Script| out.push(Case::new(format!("5.{n}"), desc, s));

    add(
        1,
        "Send a ping fragmented into 2 frames",
        Script::new()
            .send_all(vec![
                Frame::ping("fragment1").fin(false),
                Frame::cont("fragment2"),
            ])
            .close(1002),
    );
    add(
        2,
        "Send a pong fragmented into 2 frames",
        Script::new()
            .send_all(vec![
                Frame::pong("fragment1").fin(false),
                Frame::cont("fragment2"),
            ])
            .close(1002),
    );
    add(
        3,
        "Send a text message in 2 fragments",
        Script::new()
            .send_all(frag_text())
            .echo_text("fragment1fragment2")
            .ok(),
    );
    add(
        4,
        "As 5.3, each frame in its own write, 50 ms apart",
        Script::new()
            .send_each(frag_text(), 50)
            .echo_text("fragment1fragment2")
            .ok(),
    );
    add(
        5,
        "As 5.3, in octet-wise chops",
        Script::new()
            .chop(frag_text(), 1, 0)
            .echo_text("fragment1fragment2")
            .ok(),
    );
    add(
        6,
        "Send a text message in 2 fragments with a ping between them",
        Script::new()
            .send_all(frag_with_ping())
            .pong("ping payload")
            .echo_text("fragment1fragment2")
            .ok(),
    );
    add(
        7,
        "As 5.6, each frame in its own write, 50 ms apart",
        Script::new()
            .send_each(frag_with_ping(), 50)
            .pong("ping payload")
            .echo_text("fragment1fragment2")
            .ok(),
    );
    add(
        8,
        "As 5.6, in octet-wise chops",
        Script::new()
            .chop(frag_with_ping(), 1, 0)
            .pong("ping payload")
            .echo_text("fragment1fragment2")
            .ok(),
    );
    let lone = |fin: bool| {
        vec![
            Frame::cont("non-continuation payload").fin(fin),
            Frame::text("Hello, world!"),
        ]
    };
    add(
        9,
        "Send a continuation with FIN set and nothing to continue, then a text message",
        Script::new().send_all(lone(true)).close(1002),
    );
    add(
        10,
        "As 5.9, each frame in its own write",
        Script::new().send_each(lone(true), 50).close(1002),
    );
    add(
        11,
        "As 5.9, in octet-wise chops",
        Script::new().chop(lone(true), 1, 0).close(1002),
    );
    add(
        12,
        "Send a continuation with FIN clear and nothing to continue, then a text message",
        Script::new().send_all(lone(false)).close(1002),
    );
    add(
        13,
        "As 5.12, each frame in its own write",
        Script::new().send_each(lone(false), 50).close(1002),
    );
    add(
        14,
        "As 5.12, in octet-wise chops",
        Script::new().chop(lone(false), 1, 0).close(1002),
    );
    add(
        15,
        "Send a text message in 2 fragments, then a continuation with FIN clear, then a text message",
        Script::new()
            .send_all(vec![
                Frame::text("fragment1").fin(false),
                Frame::cont("fragment2"),
                Frame::cont("fragment3").fin(false),
                Frame::text("fragment4"),
            ])
            .echo_text("fragment1fragment2")
            .close(1002),
    );
    let twice = |first_fin: bool| {
        let mut v = Vec::new();
        for _ in 0..2 {
            v.push(Frame::cont("fragment1").fin(first_fin));
            v.push(Frame::text("fragment2").fin(false));
            v.push(Frame::cont("fragment3"));
        }
        v
    };
    add(
        16,
        "Twice: a continuation with FIN clear, a text fragment, a final continuation",
        Script::new().send_all(twice(false)).close(1002),
    );
    add(
        17,
        "Twice: a continuation with FIN set, a text fragment, a final continuation",
        Script::new().send_all(twice(true)).close(1002),
    );
    add(
        18,
        "Send a text fragment, then another text frame (not a continuation)",
        Script::new()
            .send_all(vec![
                Frame::text("fragment1").fin(false),
                Frame::text("fragment2"),
            ])
            .close(1002),
    );
    let five = |pause: u64, chop: bool| {
        let frames = vec![
            Frame::text("fragment1").fin(false),
            Frame::cont("fragment2").fin(false),
            Frame::ping("pongme 1!"),
            Frame::cont("fragment3").fin(false),
            Frame::cont("fragment4").fin(false),
            Frame::ping("pongme 2!"),
            Frame::cont("fragment5"),
        ];
        let s = if chop {
            Script::new().chop(frames, 1, 0)
        } else {
            Script::new().send_each(frames, pause)
        };
        s.pong("pongme 1!")
            .pong("pongme 2!")
            .echo_text("fragment1fragment2fragment3fragment4fragment5")
            .ok()
    };
    add(
        19,
        "Send a text message in 5 fragments with 2 pings between them, frames 100 ms apart",
        five(100, false),
    );
    add(20, "As 5.19, in octet-wise chops", five(0, true));

    // Beyond Autobahn's list.
    add(
        21,
        "Send a binary message in 2 fragments",
        Script::new()
            .send_all(vec![
                Frame::binary(vec![1, 2]).fin(false),
                Frame::cont(vec![3, 4]),
            ])
            .echo(op::BINARY, vec![1, 2, 3, 4])
            .ok(),
    );
    add(
        22,
        "Send a text message in 3 fragments, the middle one empty",
        Script::new()
            .send_all(vec![
                Frame::text("a").fin(false),
                Frame::cont("").fin(false),
                Frame::cont("b"),
            ])
            .echo_text("ab")
            .ok(),
    );
    add(
        23,
        "Send a text message whose first fragment is empty",
        Script::new()
            .send_all(vec![Frame::text("").fin(false), Frame::cont("abc")])
            .echo_text("abc")
            .ok(),
    );
    add(
        24,
        "Send a text message whose last fragment is empty",
        Script::new()
            .send_all(vec![Frame::text("abc").fin(false), Frame::cont("")])
            .echo_text("abc")
            .ok(),
    );
    add(
        25,
        "Send a binary message of 3 empty fragments",
        Script::new()
            .send_all(vec![
                Frame::binary("").fin(false),
                Frame::cont("").fin(false),
                Frame::cont(""),
            ])
            .echo(op::BINARY, Vec::new())
            .ok(),
    );
    let text = rng::text(1000);
    let mut frames: Vec<Frame> = text
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let f = if i == 0 {
                Frame::text(vec![*b])
            } else {
                Frame::cont(vec![*b])
            };
            f.fin(i + 1 == text.len())
        })
        .collect();
    add(
        26,
        "Send a text message of 1000 bytes as 1000 one-byte fragments in one write",
        Script::new()
            .send_all(frames.clone())
            .echo_text(text.clone())
            .ok(),
    );
    let mut with_pings = Vec::new();
    for (i, f) in frames.drain(..).take(200).enumerate() {
        with_pings.push(f.fin(false));
        with_pings.push(Frame::ping(format!("p{i}")));
    }
    with_pings.push(Frame::cont(text[200..].to_vec()));
    let mut s = Script::new().send_all(with_pings);
    for i in 0..200 {
        s = s.pong(format!("p{i}"));
    }
    add(
        27,
        "Send 200 one-byte text fragments, each followed by a ping, then the rest",
        s.echo_text(text.clone()).ok(),
    );
    add(
        28,
        "Send a pong between the fragments of a text message: only the echo comes back",
        Script::new()
            .send_all(vec![
                Frame::text("frag1").fin(false),
                Frame::pong("unsolicited"),
                Frame::cont("frag2"),
            ])
            .echo_text("frag1frag2")
            .ok(),
    );
    add(
        29,
        "Send a text fragment, then a binary frame",
        Script::new()
            .send_all(vec![Frame::text("a").fin(false), Frame::binary(vec![1])])
            .close(1002),
    );
    add(
        30,
        "Send a binary fragment, then a text fragment",
        Script::new()
            .send_all(vec![
                Frame::binary(vec![1]).fin(false),
                Frame::text("a").fin(false),
            ])
            .close(1002),
    );
    add(
        31,
        "Send a complete text message, then a final continuation",
        Script::new()
            .send_all(vec![Frame::text("done"), Frame::cont("extra")])
            .echo_text("done")
            .close(1002),
    );
    add(
        32,
        "Send a fragmented ping between the fragments of a text message",
        Script::new()
            .send_all(vec![
                Frame::text("a").fin(false),
                Frame::ping("p").fin(false),
                Frame::cont("b"),
            ])
            .close(1002),
    );
    add(
        33,
        "Send a 126-byte ping between the fragments of a text message",
        Script::new()
            .send_all(vec![
                Frame::text("a").fin(false),
                Frame::ping(rng::bytes(126)),
                Frame::cont("b"),
            ])
            .close(1002),
    );
    add(
        34,
        "Send a binary message in 100 fragments of 1000 bytes, octet-wise chops for the first 3",
        {
            let data = rng::bytes(100_000);
            let frames: Vec<Frame> = data
                .chunks(1000)
                .enumerate()
                .map(|(i, c)| {
                    let f = if i == 0 {
                        Frame::binary(c.to_vec())
                    } else {
                        Frame::cont(c.to_vec())
                    };
                    f.fin(i == 99)
                })
                .collect();
            Script::new()
                .chop(frames[..3].to_vec(), 1, 0)
                .send_all(frames[3..].to_vec())
                .echo(op::BINARY, data)
                .ok()
        },
    );
    add(
        35,
        "Send the fragments of two messages, one after the other, with a ping inside each",
        Script::new()
            .send_all(vec![
                Frame::text("m1a").fin(false),
                Frame::ping("1"),
                Frame::cont("m1b"),
                Frame::binary(vec![7]).fin(false),
                Frame::ping("2"),
                Frame::cont(vec![8]),
            ])
            .pong("1")
            .echo_text("m1am1b")
            .pong("2")
            .echo(op::BINARY, vec![7, 8])
            .ok(),
    );
    out
}
