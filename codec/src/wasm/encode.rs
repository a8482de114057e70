//! The `Encoder`: writes the frames one end of a connection sends, with the fewest
//! crossings of the JS boundary (positional arguments, no options object to read).
//!
//! A client's frames are masked with a fresh random key each (RFC 6455 §5.3), a server's
//! are not (§5.1). For a server, `header()` gives just the header, to be written before
//! the payload in one vectored write: the payload never enters wasm memory (the codec's
//! zero-copy way to send, [`FrameHeader::encode`]).

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use super::frame::sendable;
use js_sys::Uint8Array;

use super::js::{bytes_out, options, protocol_error, range_error, role_opt, to_u64, type_error};
use super::random::masking_key;
use super::util::sendable_code;
use crate::close::encode_payload;
use crate::encoder::encode_with_header;
use crate::header::{FrameHeader, MAX_PAYLOAD_LEN};
use crate::{OpCode, Role};

/// Writes frames for one end of a connection.
///
/// ```js
/// const enc = new Encoder({ role: "client" });
/// socket.write(enc.text("Hello"));            // masked, FIN set
/// socket.write(enc.binary(bytes, false));     // first fragment
/// socket.write(enc.continuation(more, true)); // last fragment
/// socket.write(enc.close(1000, "bye"));
/// enc.free();
/// ```
#[wasm_bindgen]
pub struct Encoder {
    role: Role,
    /// The frame being written, reused from call to call.
    out: Vec<u8>,
}

#[wasm_bindgen]
impl Encoder {
    /// `options`: `{ role: "server" | "client" }`, the end that sends.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = options, unchecked_param_type = "EncoderOptions")]
        options_: JsValue,
    ) -> Result<Encoder, JsValue> {
        let opts: JsValue = options(&options_, "Encoder's options")?
            .map(Into::into)
            .unwrap_or(JsValue::UNDEFINED);
        let role = role_opt(&opts, true)?.ok_or_else(|| type_error("`role` is required"))?;
        Ok(Encoder {
            role,
            out: Vec::new(),
        })
    }

    /// The role this encoder writes for.
    #[wasm_bindgen(getter, unchecked_return_type = "Role")]
    pub fn role(&self) -> JsValue {
        JsValue::from_str(match self.role {
            Role::Server => "server",
            Role::Client => "client",
        })
    }

    /// A text frame (`fin` defaults to true). The string is sent as UTF-8.
    pub fn text(&mut self, data: &str, fin: Option<bool>) -> Result<Uint8Array, JsValue> {
        self.frame(OpCode::Text, fin.unwrap_or(true), data.as_bytes())
    }

    /// A binary frame (`fin` defaults to true).
    pub fn binary(&mut self, data: &[u8], fin: Option<bool>) -> Result<Uint8Array, JsValue> {
        self.frame(OpCode::Binary, fin.unwrap_or(true), data)
    }

    /// A continuation frame of a fragmented message (`fin` defaults to true: the last one).
    pub fn continuation(&mut self, data: &[u8], fin: Option<bool>) -> Result<Uint8Array, JsValue> {
        self.frame(OpCode::Continuation, fin.unwrap_or(true), data)
    }

    /// A ping with an optional payload of at most 125 bytes (§5.5).
    pub fn ping(&mut self, data: Option<Vec<u8>>) -> Result<Uint8Array, JsValue> {
        self.frame(OpCode::Ping, true, data.as_deref().unwrap_or_default())
    }

    /// A pong with an optional payload of at most 125 bytes (§5.5.3: echo the ping's).
    pub fn pong(&mut self, data: Option<Vec<u8>>) -> Result<Uint8Array, JsValue> {
        self.frame(OpCode::Pong, true, data.as_deref().unwrap_or_default())
    }

    /// A close frame: no payload without `code`; otherwise the code and the reason, cut to
    /// 123 bytes on a character boundary (§5.5). The code must be one that may be sent
    /// (§7.4: not 1005, 1006, 1015, nor outside 1000-4999's assigned ranges).
    pub fn close(
        &mut self,
        code: Option<f64>,
        reason: Option<String>,
    ) -> Result<Uint8Array, JsValue> {
        match code {
            None if reason.as_deref().is_some_and(|r| !r.is_empty()) => Err(type_error(
                "a close reason needs a close code (RFC 6455 §5.5.1)",
            )),
            None => self.frame(OpCode::Close, true, &[]),
            Some(code) => {
                let code = sendable_code(code)?;
                let payload = encode_payload(code, reason.as_deref().unwrap_or(""));
                self.frame(OpCode::Close, true, &payload)
            }
        }
    }

    /// Only the header of an unmasked frame with `payloadLength` bytes, for a server that
    /// writes `[header, payload]` in one vectored write. A client's frames are masked, so the
    /// payload must pass through the encoder: this throws for a client.
    pub fn header(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number | OpcodeName")] opcode: JsValue,
        #[wasm_bindgen(js_name = payloadLength, unchecked_param_type = "number | bigint")]
        payload_length: JsValue,
        fin: Option<bool>,
    ) -> Result<Uint8Array, JsValue> {
        if self.role == Role::Client {
            return Err(type_error(
                "a client masks its frames: use text()/binary()/continuation() (RFC 6455 §5.1)",
            ));
        }
        let opcode = super::frame::opcode_of(&opcode)?;
        let len = to_u64(&payload_length)
            .filter(|&n| n <= MAX_PAYLOAD_LEN)
            .ok_or_else(|| range_error("`payloadLength` must be a non-negative integer"))?;
        let mut h = FrameHeader::new(opcode, len);
        h.fin = fin.unwrap_or(true);
        sendable(&h).map_err(|e| protocol_error(&e))?;
        Ok(bytes_out(h.encode().as_bytes()))
    }
}

/// An output buffer larger than this is released after use, not kept for the next frame.
const KEEP_OUT: usize = 256 << 10;

impl Encoder {
    fn frame(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) -> Result<Uint8Array, JsValue> {
        let mut h = FrameHeader::new(opcode, payload.len() as u64);
        h.fin = fin;
        sendable(&h).map_err(|e| protocol_error(&e))?;
        if self.role == Role::Client {
            // §5.3: every frame from a client is masked with a fresh, unpredictable key.
            h.mask = Some(masking_key()?);
        }
        self.out.clear();
        encode_with_header(&mut self.out, &h, payload);
        let frame = bytes_out(&self.out);
        if self.out.capacity() > KEEP_OUT {
            self.out = Vec::new();
        }
        Ok(frame)
    }
}
