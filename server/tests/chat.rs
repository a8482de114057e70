//! `/chat`: broadcast to every other client, join and leave notices, text only.

mod common;

use common::{Client, Msg, Server};
use serde_json::{json, Value};
use wsprism::OpCode;

fn json_msg(c: &mut Client) -> Value {
    match c.recv() {
        Msg::Text(t) => serde_json::from_str(&t).expect("JSON"),
        other => panic!("expected JSON text, got {other:?}"),
    }
}

#[test]
fn messages_go_to_everybody_else_with_join_and_leave_notices() {
    let server = Server::start(&[]);
    let mut a = Client::connect(server.addr, "/chat");
    let wa = json_msg(&mut a);
    assert_eq!(wa["type"], "welcome");
    assert_eq!(wa["members"], json!([]));
    let id_a = wa["id"].as_u64().unwrap();

    let mut b = Client::connect(server.addr, "/chat");
    let wb = json_msg(&mut b);
    let id_b = wb["id"].as_u64().unwrap();
    assert_eq!(wb["members"], json!([id_a]));
    assert_eq!(
        json_msg(&mut a),
        json!({"type": "join", "id": id_b, "count": 2})
    );

    let mut c = Client::connect(server.addr, "/chat");
    let id_c = json_msg(&mut c)["id"].as_u64().unwrap();
    assert_eq!(json_msg(&mut a)["id"], id_c);
    assert_eq!(json_msg(&mut b)["id"], id_c);

    // Each sender's messages arrive in order, at everybody but the sender. (Between two
    // senders there is no order to keep: they race.)
    for i in 0..20 {
        a.text(&format!("a says {i}"));
    }
    b.text("b says \"hi\" 👋");
    let from_b = json!({"type": "message", "from": id_b, "text": "b says \"hi\" 👋"});
    let mut got_b = Vec::new();
    for (client, n) in [(&mut b, 20), (&mut c, 21)] {
        let got: Vec<Value> = (0..n).map(|_| json_msg(client)).collect();
        let from_a: Vec<Value> = got.iter().filter(|m| m["from"] == id_a).cloned().collect();
        let expected: Vec<Value> = (0..20)
            .map(|i| json!({"type": "message", "from": id_a, "text": format!("a says {i}")}))
            .collect();
        assert_eq!(from_a, expected);
        got_b.push(got.iter().filter(|m| **m == from_b).count());
    }
    assert_eq!(got_b, [0, 1], "b does not hear itself; c hears b once");
    assert_eq!(json_msg(&mut a), from_b);

    // Leaving, cleanly or not, is announced.
    c.close(1000, "");
    assert_eq!(c.recv(), Msg::Close(Some((1000, String::new()))));
    let leave = json!({"type": "leave", "id": id_c, "count": 2, "reason": "closed"});
    assert_eq!(json_msg(&mut a), leave);
    assert_eq!(json_msg(&mut b), leave);
    drop(b);
    assert_eq!(
        json_msg(&mut a),
        json!({"type": "leave", "id": id_b, "count": 1, "reason": "closed"})
    );
    // The sender never hears its own messages: the next thing `a` gets is its echo-free
    // pong.
    a.send(OpCode::Ping, true, b"p");
    assert_eq!(a.recv(), Msg::Pong(b"p".to_vec()));
}

#[test]
fn binary_messages_are_refused_with_1003() {
    let server = Server::start(&[]);
    let mut a = Client::connect(server.addr, "/chat");
    let _welcome = a.recv();
    a.send(OpCode::Binary, true, b"\x00\x01");
    assert_eq!(a.recv_close().map(|c| c.0), Some(1003));
    // Server-initiated close: the client answers, then the server closes TCP.
    a.close(1003, "");
    a.expect_eof();
}
