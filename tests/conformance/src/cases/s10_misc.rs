//! Section 10: everything else. Auto-fragmented messages, masking keys, unmasked client
//! frames (§5.1), length encodings (§5.2), pipelining, headers arriving byte by byte, the
//! opening handshake's variants (§4.1, §4.2), and frames that follow the handshake request
//! in the same write.

use std::io::{Read, Write};

use crate::case::{Case, Script};
use crate::client::{self, Target};
use crate::frame::{op, Frame, Length, Mask};
use crate::rng;

/// Every case of section 10.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add =
        |id: &str, desc: &str, s: Script| out.push(Case::new(format!("10.{id}"), desc, s));

    let text = rng::text(65536);
    let frames: Vec<Frame> = text
        .chunks(1300)
        .enumerate()
        .map(|(i, c)| {
            let f = if i == 0 {
                Frame::text(c.to_vec())
            } else {
                Frame::cont(c.to_vec())
            };
            f.fin((i + 1) * 1300 >= text.len())
        })
        .collect();
    add(
        "1.1",
        "Send a text message of 65536 bytes in fragments of 1300 bytes (code points split)",
        Script::new().send_all(frames).echo_text(text).ok(),
    );
    let p = rng::bytes(1000);
    for (i, (name, key)) in [
        ("all-zero", [0u8; 4]),
        ("all-ones", [0xff; 4]),
        ("0x01020304", [1, 2, 3, 4]),
        ("0x80000000", [0x80, 0, 0, 0]),
    ]
    .iter()
    .enumerate()
    {
        add(
            &format!("2.{}", i + 1),
            &format!("Send a binary message masked with the {name} key"),
            Script::new()
                .send(Frame::binary(p.clone()).mask(Mask::Key(*key)))
                .echo(op::BINARY, p.clone())
                .ok(),
        );
    }
    add(
        "2.5",
        "Send a message in 100 fragments, each with a different key, in chops of 3 bytes",
        {
            let data = rng::bytes(5000);
            let frames: Vec<Frame> = data
                .chunks(50)
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
            Script::new().chop(frames, 3, 0).echo(op::BINARY, data).ok()
        },
    );
    add(
        "3.1",
        "Send an unmasked text frame",
        Script::new()
            .send(Frame::text("Hello").mask(Mask::Unmasked))
            .close(1002),
    );
    add(
        "3.2",
        "Send an unmasked ping",
        Script::new()
            .send(Frame::ping("Hello").mask(Mask::Unmasked))
            .close(1002),
    );
    add(
        "3.3",
        "Send a masked text fragment, then an unmasked continuation",
        Script::new()
            .send_all(vec![
                Frame::text("a").fin(false),
                Frame::cont("b").mask(Mask::Unmasked),
            ])
            .close(1002),
    );
    add(
        "3.4",
        "Send an unmasked close",
        Script::new()
            .send(Frame::close(1000, b"").mask(Mask::Unmasked))
            .close(1002),
    );
    add(
        "4.1",
        "Send a 5-byte text frame with a (non-minimal) 16-bit length: read as 5 bytes",
        Script::new()
            .send(Frame::text("Hello").length(Length::Bits16))
            .echo_text("Hello")
            .ok(),
    );
    add(
        "4.2",
        "Send a 5-byte binary frame with a (non-minimal) 64-bit length: read as 5 bytes",
        Script::new()
            .send(Frame::binary("Hello").length(Length::Bits64))
            .echo(op::BINARY, "Hello")
            .ok(),
    );
    add(
        "4.3",
        "Send a ping with a (non-minimal) 16-bit length of 5",
        Script::new()
            .send(Frame::ping("Hello").length(Length::Bits16))
            .pong("Hello")
            .ok(),
    );
    let msgs: Vec<Vec<u8>> = (0..100).map(|i| rng::text(i * 3)).collect();
    let mut s = Script::new().send_all(msgs.iter().map(|m| Frame::text(m.clone())).collect());
    for m in &msgs {
        s = s.echo_text(m.clone());
    }
    add("5.1", "Send 100 text messages in one write", s.ok());
    add(
        "5.2",
        "Send text, binary, ping and close in one write",
        Script::new()
            .send_all(vec![
                Frame::text("t"),
                Frame::binary(vec![0xde, 0xad]),
                Frame::ping("p"),
                Frame::close(1000, b"done"),
            ])
            .echo_text("t")
            .echo(op::BINARY, vec![0xde, 0xad])
            .pong("p")
            .close(1000),
    );
    add(
        "6.1",
        "Send a 64-bit-length frame header byte by byte, 20 ms apart",
        {
            let data = rng::bytes(70_000);
            let f = Frame::binary(data.clone());
            let wire = f.encode();
            Script::new()
                .raw_chop(
                    wire[..14].to_vec(),
                    1,
                    20,
                    "BINARY header (14 bytes) byte by byte",
                )
                .raw(wire[14..].to_vec(), "the 70000-byte payload")
                .echo(op::BINARY, data)
                .ok()
        },
    );
    add(
        "6.2",
        "Send a 16-bit-length frame header split after its first byte, then after its third",
        {
            let data = rng::text(300);
            let wire = Frame::text(data.clone()).encode();
            Script::new()
                .raw(wire[..1].to_vec(), "1st header byte")
                .pause(30)
                .raw(wire[1..3].to_vec(), "2nd-3rd header bytes")
                .pause(30)
                .raw(wire[3..].to_vec(), "the rest")
                .echo_text(data)
                .ok()
        },
    );
    out.extend(handshake_cases());
    out
}

/// A handshake variant: the request to send and what must come back.
pub struct HandshakeCase {
    /// Case id.
    pub id: &'static str,
    /// What is sent.
    pub desc: &'static str,
    /// Builds the request for a target and a key.
    pub request: fn(&Target, &str) -> Vec<u8>,
    /// The statuses that may come back (101: a working WebSocket). §4.2.2 leaves the
    /// refusal's code open ("such as 400 Bad Request") except for the version (§4.4: 426).
    pub status: &'static [u16],
}

fn std_req(t: &Target, key: &str) -> Vec<u8> {
    client::upgrade_request(t, key, &[]).into_bytes()
}

fn req_lines(t: &Target, lines: &[String]) -> Vec<u8> {
    let mut r = format!("GET {} HTTP/1.1\r\n", t.path);
    for l in lines {
        r.push_str(l);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// The handshake variants of 10.7.
pub fn handshake_table() -> Vec<HandshakeCase> {
    vec![
        HandshakeCase {
            id: "7.1",
            desc: "Standard upgrade request",
            request: std_req,
            status: &[101],
        },
        HandshakeCase {
            id: "7.2",
            desc: "Header names in lower case, values in odd case (`Upgrade: WebSocket`)",
            request: |t, k| {
                req_lines(
                    t,
                    &[
                        format!("host: {}", t.host),
                        "upgrade: WebSocket".into(),
                        "connection: upgrade".into(),
                        format!("sec-websocket-key: {k}"),
                        "sec-websocket-version: 13".into(),
                    ],
                )
            },
            status: &[101],
        },
        HandshakeCase {
            id: "7.3",
            desc: "`Connection: keep-alive, Upgrade` and extra headers (User-Agent, Origin-less)",
            request: |t, k| {
                req_lines(
                    t,
                    &[
                        format!("Host: {}", t.host),
                        "User-Agent: conformance".into(),
                        "Upgrade: websocket".into(),
                        "Connection: keep-alive, Upgrade".into(),
                        format!("Sec-WebSocket-Key: {k}"),
                        "Sec-WebSocket-Version: 13".into(),
                        "Accept: */*".into(),
                    ],
                )
            },
            status: &[101],
        },
        HandshakeCase {
            id: "7.4",
            desc: "A subprotocol the server does not speak: 101 without Sec-WebSocket-Protocol",
            request: |t, k| {
                client::upgrade_request(t, k, &[("Sec-WebSocket-Protocol", "no-such-protocol")])
                    .into_bytes()
            },
            status: &[101],
        },
        HandshakeCase {
            id: "7.5",
            desc: "Sec-WebSocket-Version: 8 (§4.2.2: an error such as 426, naming version 13)",
            request: |t, k| {
                String::from_utf8(std_req(t, k))
                    .expect("ascii")
                    .replace("Version: 13", "Version: 8")
                    .into_bytes()
            },
            status: &[400, 426],
        },
        HandshakeCase {
            id: "7.6",
            desc: "No Sec-WebSocket-Key",
            request: |t, _| {
                req_lines(
                    t,
                    &[
                        format!("Host: {}", t.host),
                        "Upgrade: websocket".into(),
                        "Connection: Upgrade".into(),
                        "Sec-WebSocket-Version: 13".into(),
                    ],
                )
            },
            status: &[400],
        },
        HandshakeCase {
            id: "7.7",
            desc: "A Sec-WebSocket-Key that is not base64 of 16 bytes",
            request: |t, _| client::upgrade_request(t, "c2hvcnQ=", &[]).into_bytes(),
            status: &[400],
        },
        HandshakeCase {
            id: "7.8",
            desc: "Method POST",
            request: |t, k| {
                String::from_utf8(std_req(t, k))
                    .expect("ascii")
                    .replacen("GET", "POST", 1)
                    .into_bytes()
            },
            status: &[400, 405],
        },
        HandshakeCase {
            id: "7.9",
            desc: "No Upgrade header",
            request: |t, k| {
                req_lines(
                    t,
                    &[
                        format!("Host: {}", t.host),
                        "Connection: Upgrade".into(),
                        format!("Sec-WebSocket-Key: {k}"),
                        "Sec-WebSocket-Version: 13".into(),
                    ],
                )
            },
            status: &[400, 426],
        },
        HandshakeCase {
            id: "7.10",
            desc: "`Connection: keep-alive` without the Upgrade token",
            request: |t, k| {
                String::from_utf8(std_req(t, k))
                    .expect("ascii")
                    .replace("Connection: Upgrade", "Connection: keep-alive")
                    .into_bytes()
            },
            status: &[400, 426],
        },
        HandshakeCase {
            id: "7.11",
            desc: "Two Sec-WebSocket-Key headers",
            request: |t, k| {
                client::upgrade_request(t, k, &[("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA==")])
                    .into_bytes()
            },
            status: &[400],
        },
        HandshakeCase {
            id: "7.12",
            desc: "HTTP/1.0 request line",
            request: |t, k| {
                String::from_utf8(std_req(t, k))
                    .expect("ascii")
                    .replacen("HTTP/1.1", "HTTP/1.0", 1)
                    .into_bytes()
            },
            status: &[400, 426, 505],
        },
    ]
}

/// Plays a handshake variant: for 101, the connection must then echo; otherwise the status
/// must match and no WebSocket may be opened.
pub fn run_handshake(target: &Target, hc: &HandshakeCase) -> Result<(), String> {
    let mut s = client::tcp(target)?;
    let key = client::random_key();
    s.write_all(&(hc.request)(target, &key))
        .map_err(|e| e.to_string())?;
    let (resp, rest) = client::read_response(&mut s)?;
    if !hc.status.contains(&resp.status) {
        return Err(format!("status {} instead of {:?}", resp.status, hc.status));
    }
    // §4.2.2 item 4: the refusal of an unknown version names the versions spoken.
    let version_refused = resp.status == 426 || hc.id == "7.5";
    if version_refused && resp.header("sec-websocket-version") != ["13"] {
        return Err(format!(
            "refusal without `Sec-WebSocket-Version: 13` ({:?})",
            resp.header("sec-websocket-version")
        ));
    }
    if resp.status != 101 {
        if !resp.header("sec-websocket-accept").is_empty() {
            return Err("a refusal carries Sec-WebSocket-Accept".into());
        }
        // Whatever else happens, no WebSocket frame may follow: send one and see that it
        // is not echoed.
        let _ = s.write_all(&Frame::text("not a websocket").encode());
        s.set_read_timeout(Some(std::time::Duration::from_millis(300)))
            .map_err(|e| e.to_string())?;
        let mut buf = rest;
        let mut chunk = [0u8; 1024];
        while let Ok(n) = s.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        if buf.windows(15).any(|w| w == b"not a websocket") {
            return Err("a frame was echoed after a refused handshake".into());
        }
        return Ok(());
    }
    client::check_upgrade(&resp, &key)?;
    let mut conn = client::Conn::from_parts(s, rest);
    let _ = conn
        .stream
        .write_all(&Frame::text("after handshake").encode());
    match conn.next_event() {
        client::Event::Frame(f) if f.opcode == op::TEXT && f.payload == b"after handshake" => {}
        other => return Err(format!("no echo after the handshake: {other:?}")),
    }
    let _ = conn.stream.write_all(&Frame::close(1000, b"").encode());
    match conn.next_event() {
        client::Event::Frame(f) if f.opcode == op::CLOSE && f.close_code() == Some(1000) => Ok(()),
        other => Err(format!("no close reply: {other:?}")),
    }
}

fn handshake_cases() -> Vec<Case> {
    let mut out: Vec<Case> = handshake_table()
        .into_iter()
        .map(|hc| {
            let expected = if hc.status == [101] {
                "101, then an echo and a clean close".to_string()
            } else {
                let codes: Vec<String> = hc.status.iter().map(u16::to_string).collect();
                format!("{} and no WebSocket", codes.join(" or "))
            };
            let (id, desc) = (format!("10.{}", hc.id), hc.desc);
            Case::custom(id, desc, expected, move |t| run_handshake(t, &hc))
        })
        .collect();
    out.push(Case::custom(
        "10.8.1",
        "Send a text frame and a ping in the same write as the upgrade request",
        "101, then the echo and the pong",
        |t| {
            let mut s = client::tcp(t)?;
            let key = client::random_key();
            let mut bytes = client::upgrade_request(t, &key, &[]).into_bytes();
            bytes.extend(Frame::text("early bird").encode());
            bytes.extend(Frame::ping("early ping").encode());
            s.write_all(&bytes).map_err(|e| e.to_string())?;
            let (resp, rest) = client::read_response(&mut s)?;
            client::check_upgrade(&resp, &key)?;
            let mut conn = client::Conn::from_parts(s, rest);
            for (opcode, payload) in [(op::TEXT, &b"early bird"[..]), (op::PONG, b"early ping")] {
                match conn.next_event() {
                    client::Event::Frame(f) if f.opcode == opcode && f.payload == payload => {}
                    other => {
                        return Err(format!(
                            "expected {} {payload:?}, got {other:?}",
                            op::name(opcode)
                        ))
                    }
                }
            }
            Ok(())
        },
    ));
    out
}
