//! Section 7: the closing handshake (RFC 6455 §5.5.1, §7). A close is answered with a
//! close (echoing the code) and then the server closes TCP (§7.1.1); nothing after a close
//! is processed; close payloads are empty or a valid code (§7.4) with a UTF-8 reason, and
//! at most 125 bytes in all.

use crate::case::{Case, Script};
use crate::frame::Frame;
use crate::rng;

/// Every case of section 7.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |id: &str, desc: &str, s: Script| out.push(Case::new(format!("7.{id}"), desc, s));

    add(
        "1.1",
        "Send a text message, then a close",
        Script::new()
            .send_all(vec![Frame::text("Hello World!"), Frame::close(1000, b"")])
            .echo_text("Hello World!")
            .close(1000),
    );
    add(
        "1.2",
        "Send a close, then a second close",
        Script::new()
            .send_all(vec![Frame::close(1000, b""), Frame::close(1000, b"")])
            .close(1000),
    );
    add(
        "1.3",
        "Send a close, then a ping: no pong",
        Script::new()
            .send_all(vec![Frame::close(1000, b""), Frame::ping("Hello World!")])
            .close(1000),
    );
    add(
        "1.4",
        "Send a close, then a text message: no echo",
        Script::new()
            .send_all(vec![Frame::close(1000, b""), Frame::text("Hello World!")])
            .close(1000),
    );
    add(
        "1.5",
        "Send a text fragment, a close, then the final fragment: no echo",
        Script::new()
            .send_all(vec![
                Frame::text("fragment1").fin(false),
                Frame::close(1000, b""),
                Frame::cont("fragment2"),
            ])
            .close(1000),
    );
    let big = rng::text(256 * 1024);
    add(
        "1.6",
        "Send a 256 KiB text message, then a close, then a ping: echo, close, no pong",
        Script::new()
            .send_all(vec![
                Frame::text(big.clone()),
                Frame::close(1000, b""),
                Frame::ping("Hello World!"),
            ])
            .echo_text(big)
            .close(1000),
    );
    add(
        "1.7",
        "Send a close, then a frame with a reserved opcode: ignored after the close",
        Script::new()
            .send_all(vec![Frame::close(1000, b""), Frame::new(5, "x")])
            .close(1000),
    );
    add(
        "1.8",
        "Send a close, then invalid UTF-8 text: ignored after the close",
        Script::new()
            .send_all(vec![Frame::close(1000, b""), Frame::text(vec![0xff])])
            .close(1000),
    );
    add(
        "1.9",
        "Send a close, then 1 KiB of garbage bytes: ignored after the close",
        Script::new()
            .send(Frame::close(1000, b""))
            .raw(rng::bytes(1024), "1 KiB of random bytes")
            .close(1000),
    );
    add(
        "1.10",
        "Send a close in octet-wise chops",
        Script::new()
            .chop(vec![Frame::close(1000, b"octets")], 1, 1)
            .close(1000),
    );
    add(
        "3.1",
        "Send a close without payload",
        Script::new()
            .send(Frame::close_raw(Vec::new()))
            .close_any(&[None, Some(1000)]),
    );
    add(
        "3.2",
        "Send a close with a payload of 1 byte",
        Script::new().send(Frame::close_raw(vec![0x03])).close(1002),
    );
    add(
        "3.3",
        "Send a close with code 1000 and no reason",
        Script::new().send(Frame::close(1000, b"")).close(1000),
    );
    add(
        "3.4",
        "Send a close with code 1000 and a reason",
        Script::new()
            .send(Frame::close(1000, b"Hello World!"))
            .close(1000),
    );
    add(
        "3.5",
        "Send a close with code 1000 and a reason of 123 bytes (125 in all)",
        Script::new()
            .send(Frame::close(1000, &[b'*'; 123]))
            .close(1000),
    );
    add(
        "3.6",
        "Send a close with code 1000 and a reason of 124 bytes (126 in all: too long)",
        Script::new()
            .send(Frame::close(1000, &[b'*'; 124]))
            .close(1002),
    );
    add(
        "3.7",
        "Send a close with a reason of multi-byte UTF-8",
        Script::new()
            .send(Frame::close(1000, "κόσμε 😀".as_bytes()))
            .close(1000),
    );
    add(
        "3.8",
        "Send a close with code 1000 whose reason is exactly a 4-byte character at the end of 125 bytes",
        Script::new()
            .send(Frame::close(1000, format!("{}😀", "a".repeat(119)).as_bytes()))
            .close(1000),
    );
    add(
        "5.1",
        "Send a close whose reason is invalid UTF-8",
        Script::new()
            .send(Frame::close(
                1000,
                &[
                    0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0,
                    0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64,
                ],
            ))
            .close(1007),
    );
    add(
        "5.2",
        "Send a close whose reason ends in the middle of a character",
        Script::new()
            .send(Frame::close(1000, &[b'a', 0xe2, 0x82]))
            .close(1007),
    );
    add(
        "5.3",
        "Send a close whose reason holds an overlong encoding",
        Script::new()
            .send(Frame::close(1000, &[0xc0, 0xaf]))
            .close(1007),
    );
    add(
        "5.4",
        "Send a close whose reason is a lone continuation byte",
        Script::new().send(Frame::close(1001, &[0x80])).close(1007),
    );
    let valid = [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ];
    for (i, code) in valid.iter().enumerate() {
        add(
            &format!("7.{}", i + 1),
            &format!("Send a close with valid code {code}: the reply echoes it"),
            Script::new()
                .send(Frame::close(*code, b"Hello World!"))
                .close(*code),
        );
    }
    let invalid = [
        0u16, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ];
    for (i, code) in invalid.iter().enumerate() {
        add(
            &format!("9.{}", i + 1),
            &format!("Send a close with invalid code {code}"),
            Script::new().send(Frame::close(*code, b"")).close(1002),
        );
    }
    add(
        "11.1",
        "Send a close with FIN clear (a fragmented control frame)",
        Script::new()
            .send(Frame::close(1000, b"").fin(false))
            .close(1002),
    );
    add(
        "11.2",
        "Send a close between the fragments of a binary message: the message is dropped",
        Script::new()
            .send_all(vec![
                Frame::binary(vec![1, 2, 3]).fin(false),
                Frame::close(1000, b"bye"),
            ])
            .close(1000),
    );
    add(
        "11.3",
        "Send a text message, a ping, and a close in one write: echo, pong, close",
        Script::new()
            .send_all(vec![
                Frame::text("one"),
                Frame::ping("two"),
                Frame::close(1001, b"going"),
            ])
            .echo_text("one")
            .pong("two")
            .close(1001),
    );
    add(
        "11.4",
        "Send a close with code 1000 after pausing 1 s with the connection idle",
        Script::new()
            .pause(1000)
            .send(Frame::close(1000, b""))
            .close(1000),
    );
    add(
        "11.5",
        "Send a close with registered code 3000 and a reason",
        Script::new()
            .send(Frame::close(3000, b"custom"))
            .close(3000),
    );
    out
}
