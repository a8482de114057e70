//! `/inspect`: a report for every frame in both directions, and the commands.

mod common;

use common::{Client, Msg, Server};
use serde_json::Value;
use wsprism::OpCode;

fn report(c: &mut Client) -> Value {
    match c.recv() {
        Msg::Text(t) => serde_json::from_str(&t).expect("a JSON report"),
        other => panic!("expected a report, got {other:?}"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn incoming_frames_are_reported_with_their_wire_bytes_then_echoed() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/inspect");
    let frame = c.frame(OpCode::Text, true, b"Hello");
    c.raw(&frame);
    let r = report(&mut c);
    assert_eq!(r["type"], "frame");
    assert_eq!(r["direction"], "in");
    assert_eq!(r["wire"], hex(&frame));
    assert_eq!(r["maskKey"], hex(&frame[2..6]));
    assert_eq!(r["masked"], true);
    assert_eq!(r["opcodeName"], "text");
    assert_eq!(r["payload"], hex(b"Hello"));
    assert_eq!(r["text"], "Hello");
    assert_eq!(r["lengthEncoding"], 7);
    // The echo: its report (just before it), then the frame itself.
    let out = report(&mut c);
    assert_eq!(out["direction"], "out");
    assert_eq!(out["wire"], "810548656c6c6f");
    assert_eq!(out["masked"], false);
    assert_eq!(c.recv(), Msg::Text("Hello".into()));

    // A 300-byte binary frame: 16-bit length encoding.
    let payload: Vec<u8> = (0..300).map(|i| i as u8).collect();
    let frame = c.frame(OpCode::Binary, true, &payload);
    c.raw(&frame);
    let r = report(&mut c);
    assert_eq!(r["lengthEncoding"], 16);
    assert_eq!(r["payloadLength"], 300);
    assert_eq!(r["wire"], hex(&frame));
    assert_eq!(r["payload"], hex(&payload));
    assert!(r.get("text").is_none());
    assert_eq!(report(&mut c)["direction"], "out");
    assert_eq!(c.recv(), Msg::Binary(payload));
}

#[test]
fn commands_make_the_server_send_ping_fragments_and_close() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/inspect");

    c.text(r#"{"cmd":"ping","payload":"are you there"}"#);
    assert_eq!(report(&mut c)["direction"], "in");
    let out = report(&mut c);
    assert_eq!(out["opcodeName"], "ping");
    assert_eq!(out["payload"], hex(b"are you there"));
    assert_eq!(c.recv(), Msg::Ping(b"are you there".to_vec()));
    // Our pong is reported as it arrives.
    c.send(OpCode::Pong, true, b"are you there");
    let r = report(&mut c);
    assert_eq!(
        (r["direction"].as_str(), r["opcodeName"].as_str()),
        (Some("in"), Some("pong"))
    );

    c.text(r#"{"cmd":"fragmented","text":"abcdefg","fragmentSize":3}"#);
    assert_eq!(report(&mut c)["direction"], "in");
    // All three reports first, then the three frames (nothing may come between fragments).
    let reports: Vec<Value> = (0..3).map(|_| report(&mut c)).collect();
    let ops: Vec<_> = reports
        .iter()
        .map(|r| (r["opcodeName"].clone(), r["fin"].clone()))
        .collect();
    assert_eq!(
        ops,
        [
            ("text".into(), false.into()),
            ("continuation".into(), false.into()),
            ("continuation".into(), true.into())
        ]
    );
    assert_eq!(reports[0]["wire"], "0103616263");
    assert_eq!(c.recv(), Msg::Text("abcdefg".into()));

    c.text(r#"{"cmd":"explode"}"#);
    assert_eq!(report(&mut c)["direction"], "in");
    assert_eq!(report(&mut c)["type"], "commandError");

    c.text(r#"{"cmd":"close","code":4321,"reason":"as asked"}"#);
    assert_eq!(report(&mut c)["direction"], "in");
    let out = report(&mut c);
    assert_eq!(out["opcodeName"], "close");
    assert_eq!(out["close"]["code"], 4321);
    assert_eq!(c.recv(), Msg::Close(Some((4321, "as asked".into()))));
    c.close(4321, "");
    c.expect_eof();
}

#[test]
fn a_protocol_error_is_reported_before_the_close() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/inspect");
    let frame = c.frame(OpCode::Text, true, b"\xff");
    c.raw(&frame);
    let r = report(&mut c);
    assert_eq!(r["direction"], "in");
    assert_eq!(r["wire"], hex(&frame));
    let e = report(&mut c);
    assert_eq!(e["type"], "error");
    assert_eq!(e["kind"], "invalid-utf8");
    assert_eq!(e["closeCode"], 1007);
    let out = report(&mut c);
    assert_eq!(out["opcodeName"], "close");
    assert_eq!(c.recv_close().map(|c| c.0), Some(1007));
    c.expect_eof();

    // An unmasked frame fails at its header, before its payload arrives.
    let mut c = Client::connect(server.addr, "/inspect");
    c.raw(&[0x82, 0x7E, 0x10, 0x00]);
    let e = report(&mut c);
    assert_eq!(e["kind"], "unmasked-frame");
    assert_eq!(e["wire"], "827e1000");
    assert_eq!(c.recv_close().map(|c| c.0), Some(1002));
}
