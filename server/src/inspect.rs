//! `/inspect`: the playground's window on the wire. The server reports every frame it reads
//! and every frame it writes, byte for byte, and takes commands that make it send the frames
//! a browser's WebSocket API cannot ask for (pings, fragments, close codes).
//!
//! The JSON schema is documented in `server/README.md` ("/inspect protocol"). In short:
//!
//! - every frame read gives `{"type":"frame","direction":"in",...}`, sent before anything
//!   the frame causes;
//! - every frame written (other than these reports) gives `{"type":"frame","direction":"out",
//!   ...}`, sent *just before* the frame it describes; for a fragmented message all its
//!   reports come first, then its frames (§5.4: nothing may be interleaved between them);
//! - a protocol violation gives `{"type":"error",...}`, then the close frame's report, then
//!   the close frame;
//! - a text message that is a JSON object with a `"cmd"` member is a command; anything else
//!   is echoed back unchanged (text as text, binary as binary).

use serde::Deserialize;
use serde_json::{json, Map, Value};
use wsprism::header::LengthEncoding;
use wsprism::mask::apply_mask;
use wsprism::{close, CloseCode, Error, FrameHeader, OpCode};

/// At most this many wire and payload bytes of a frame are shown (the rest is counted).
pub const SHOW_MAX: usize = 64 * 1024;

/// A fragmented-message command may ask for at most this many fragments.
pub const MAX_FRAGMENTS: usize = 1024;

/// Per-connection state: which kind of message a continuation frame continues.
#[derive(Debug, Default)]
pub struct Inspector {
    /// `Some(true)` inside a fragmented text message, `Some(false)` inside a binary one.
    in_text: Option<bool>,
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

impl Inspector {
    /// The report of a frame read from the client. `wire` is the start of the frame as it
    /// arrived (masked), at most [`SHOW_MAX`] bytes, and `wire_len` its full length.
    pub fn frame_in(&mut self, wire: &[u8], wire_len: usize) -> String {
        let Ok(Some((header, header_len))) = FrameHeader::decode(wire) else {
            // The caller passes whole headers; a header it could not parse is an error
            // report's business.
            return json!({"type": "frame", "direction": "in", "wire": hex(wire)}).to_string();
        };
        let mut payload = wire[header_len..].to_vec();
        if let Some(key) = header.mask {
            // §5.3: unmask a copy, so the report shows both what travelled and what it says.
            apply_mask(&mut payload, key, 0);
        }
        // A compressed message (RFC 7692 RSV1) is not text until inflated: shown as hex.
        let is_text = match header.opcode {
            OpCode::Text => !header.rsv1,
            OpCode::Continuation => self.in_text == Some(true),
            _ => false,
        };
        if !header.opcode.is_control() {
            self.in_text = match (header.opcode, header.fin) {
                (_, true) => None,
                (OpCode::Continuation, false) => self.in_text,
                (op, false) => Some(op == OpCode::Text && !header.rsv1),
            };
        }
        let encoding = LengthEncoding::from_second_byte(wire[1]);
        report("in", &header, encoding, wire, wire_len, &payload, is_text).to_string()
    }
}

/// The report of a frame the server is about to write.
pub fn frame_out(header: &FrameHeader, payload: &[u8], is_text: bool) -> String {
    let head = header.encode();
    let shown = &payload[..payload.len().min(SHOW_MAX)];
    let mut wire = Vec::with_capacity(head.len() + shown.len());
    wire.extend_from_slice(&head);
    wire.extend_from_slice(shown);
    let wire_len = head.len() + payload.len();
    let encoding = LengthEncoding::for_len(header.payload_len);
    report("out", header, encoding, &wire, wire_len, shown, is_text).to_string()
}

fn report(
    direction: &str,
    h: &FrameHeader,
    encoding: LengthEncoding,
    wire: &[u8],
    wire_len: usize,
    payload: &[u8],
    is_text: bool,
) -> Value {
    let mut r = Map::new();
    r.insert("type".into(), "frame".into());
    r.insert("direction".into(), direction.into());
    r.insert("wire".into(), hex(wire).into());
    r.insert("wireLength".into(), wire_len.into());
    r.insert("truncated".into(), (wire.len() < wire_len).into());
    r.insert("fin".into(), h.fin.into());
    r.insert("rsv1".into(), h.rsv1.into());
    r.insert("rsv2".into(), h.rsv2.into());
    r.insert("rsv3".into(), h.rsv3.into());
    r.insert("opcode".into(), h.opcode.as_u4().into());
    r.insert("opcodeName".into(), h.opcode.name().into());
    r.insert("masked".into(), h.mask.is_some().into());
    r.insert("maskKey".into(), h.mask.map(|k| hex(&k)).into());
    r.insert("payloadLength".into(), h.payload_len.into());
    r.insert("lengthEncoding".into(), encoding.bits().into());
    r.insert("payload".into(), hex(payload).into());
    if is_text {
        if let Ok(text) = std::str::from_utf8(payload) {
            r.insert("text".into(), text.into());
        }
    }
    if h.opcode == OpCode::Close && payload.len() >= 2 {
        let code = u16::from_be_bytes([payload[0], payload[1]]);
        let reason = String::from_utf8_lossy(&payload[2..]);
        r.insert("close".into(), json!({"code": code, "reason": reason}));
    }
    Value::Object(r)
}

/// The content of a compressed message (RFC 7692): sent after the frame reports of a
/// compressed message read (once it is inflated), and before the frame report of a message
/// written compressed. The frame reports show the payload as it travels (compressed).
pub fn inflated(direction: &str, opcode: OpCode, payload: &[u8]) -> String {
    let shown = &payload[..payload.len().min(SHOW_MAX)];
    let mut r = json!({
        "type": "inflated",
        "direction": direction,
        "opcodeName": opcode.name(),
        "length": payload.len(),
        "truncated": shown.len() < payload.len(),
        "payload": hex(shown),
    });
    if opcode == OpCode::Text {
        if let Ok(text) = std::str::from_utf8(shown) {
            r["text"] = text.into();
        }
    }
    r.to_string()
}

/// The report of a protocol violation, sent before the close frame it causes.
/// `wire` is what the server had of the offending frame (at least its header, if whole).
pub fn error_report(err: &Error, wire: &[u8]) -> String {
    json!({
        "type": "error",
        "direction": "in",
        "kind": err.kind(),
        "closeCode": err.close_code().0,
        "rfcSection": err.rfc_section(),
        "message": err.to_string(),
        "wire": hex(&wire[..wire.len().min(SHOW_MAX)]),
    })
    .to_string()
}

/// The answer to a command that could not be carried out.
pub fn command_error(message: &str) -> String {
    json!({"type": "commandError", "message": message}).to_string()
}

/// What a client can ask the server to send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "cmd", rename_all = "camelCase", deny_unknown_fields)]
pub enum Command {
    /// A ping with this payload (at most 125 bytes, §5.5); the client's pong is reported.
    Ping {
        /// UTF-8 payload.
        #[serde(default)]
        payload: String,
    },
    /// An unsolicited pong (§5.5.3 allows it; the client must ignore it).
    Pong {
        /// UTF-8 payload.
        #[serde(default)]
        payload: String,
    },
    /// A text message split into frames of `fragment_size` payload bytes (§5.4).
    Fragmented {
        /// The message.
        text: String,
        /// Payload bytes per frame (at least 1); the text may be split inside a character,
        /// as §5.6 allows.
        #[serde(rename = "fragmentSize")]
        fragment_size: usize,
    },
    /// A close frame with this code and reason; the server then waits for the client's.
    Close {
        /// A code that may be sent (§7.4).
        code: u16,
        /// At most 123 bytes (§5.5).
        #[serde(default)]
        reason: String,
    },
}

impl Command {
    /// Reads a command from a text message. `None`: not a command (echo it). `Some(Err)`:
    /// meant as a command but invalid (answer with [`command_error`]).
    pub fn parse(text: &str) -> Option<Result<Command, String>> {
        // Cheap test first: echo traffic that is not JSON never reaches the parser.
        if !text.trim_start().starts_with('{') {
            return None;
        }
        let value: Value = serde_json::from_str(text).ok()?;
        value.get("cmd")?;
        Some(
            serde_json::from_value::<Command>(value)
                .map_err(|e| format!("invalid command: {e}"))
                .and_then(|c| c.check().map(|()| c)),
        )
    }

    fn check(&self) -> Result<(), String> {
        match self {
            Command::Ping { payload } | Command::Pong { payload } if payload.len() > 125 => {
                Err("a control frame payload is at most 125 bytes (RFC 6455 §5.5)".into())
            }
            Command::Fragmented {
                fragment_size: 0, ..
            } => Err("fragmentSize must be at least 1".into()),
            Command::Fragmented {
                text,
                fragment_size,
            } if text.len().div_ceil(*fragment_size) > MAX_FRAGMENTS => Err(format!(
                "at most {MAX_FRAGMENTS} fragments: use a larger fragmentSize"
            )),
            Command::Close { code, .. } if !CloseCode(*code).is_valid_on_wire() => Err(format!(
                "close code {code} may not be sent in a close frame (RFC 6455 §7.4)"
            )),
            Command::Close { reason, .. } if reason.len() > close::MAX_REASON_LEN => {
                Err("a close reason is at most 123 bytes (RFC 6455 §5.5)".into())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn in_report_of_the_rfc_example() {
        // RFC 6455 §5.7: a masked "Hello" from a client.
        let wire = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let r = parse(&Inspector::default().frame_in(&wire, wire.len()));
        assert_eq!(r["type"], "frame");
        assert_eq!(r["direction"], "in");
        assert_eq!(r["wire"], "818537fa213d7f9f4d5158");
        assert_eq!(r["opcode"], 1);
        assert_eq!(r["opcodeName"], "text");
        assert_eq!(r["fin"], true);
        assert_eq!(r["masked"], true);
        assert_eq!(r["maskKey"], "37fa213d");
        assert_eq!(r["payloadLength"], 5);
        assert_eq!(r["lengthEncoding"], 7);
        assert_eq!(r["payload"], "48656c6c6f");
        assert_eq!(r["text"], "Hello");
        assert_eq!(r["truncated"], false);
    }

    #[test]
    fn continuation_of_text_shows_text_and_binary_does_not() {
        let mut insp = Inspector::default();
        // Unmasked frames keep the example short; the report does not care.
        let first = [0x01, 0x03, b'H', b'e', b'l'];
        let ping = [0x89, 0x00];
        let last = [0x80, 0x02, b'l', b'o'];
        assert_eq!(parse(&insp.frame_in(&first, 5))["text"], "Hel");
        assert!(parse(&insp.frame_in(&ping, 2)).get("text").is_none());
        assert_eq!(parse(&insp.frame_in(&last, 4))["text"], "lo");
        let bin = [0x82, 0x01, b'x'];
        assert!(parse(&insp.frame_in(&bin, 3)).get("text").is_none());
    }

    #[test]
    fn out_report_of_a_long_frame_is_truncated_and_exact() {
        let payload = vec![7u8; SHOW_MAX + 10];
        let h = FrameHeader::new(OpCode::Binary, payload.len() as u64);
        let r = parse(&frame_out(&h, &payload, false));
        assert_eq!(r["direction"], "out");
        assert_eq!(r["lengthEncoding"], 64);
        assert_eq!(r["wireLength"], 10 + SHOW_MAX + 10);
        assert_eq!(r["truncated"], true);
        assert_eq!(r["maskKey"], Value::Null);
        assert_eq!(r["payload"].as_str().unwrap().len(), SHOW_MAX * 2);
        let close = FrameHeader::new(OpCode::Close, 5);
        let r = parse(&frame_out(&close, &[0x03, 0xE9, b'b', b'y', b'e'], false));
        assert_eq!(r["close"], json!({"code": 1001, "reason": "bye"}));
        assert_eq!(r["wire"], "880503e9627965");
    }

    #[test]
    fn commands_parse_and_check() {
        assert_eq!(Command::parse("hello"), None);
        assert_eq!(Command::parse("{\"not\":\"a command\"}"), None);
        assert_eq!(
            Command::parse(r#"{"cmd":"ping","payload":"hi"}"#),
            Some(Ok(Command::Ping {
                payload: "hi".into()
            }))
        );
        assert_eq!(
            Command::parse(r#"{"cmd":"fragmented","text":"abc","fragmentSize":2}"#),
            Some(Ok(Command::Fragmented {
                text: "abc".into(),
                fragment_size: 2
            }))
        );
        assert_eq!(
            Command::parse(r#"{"cmd":"close","code":4000}"#),
            Some(Ok(Command::Close {
                code: 4000,
                reason: String::new()
            }))
        );
        for bad in [
            r#"{"cmd":"close","code":1005}"#,
            r#"{"cmd":"fragmented","text":"abc","fragmentSize":0}"#,
            r#"{"cmd":"explode"}"#,
            r#"{"cmd":"ping","payload":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
        ] {
            assert!(matches!(Command::parse(bad), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn error_report_names_the_rule() {
        let r = parse(&error_report(&Error::InvalidUtf8, &[0x81]));
        assert_eq!(r["kind"], "invalid-utf8");
        assert_eq!(r["closeCode"], 1007);
        assert_eq!(r["rfcSection"], "8.1");
        assert_eq!(r["wire"], "81");
    }
}
