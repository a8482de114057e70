//! The codec's helpers, one function each: masking (§5.3), the handshake's accept key
//! (§1.3, §4.2.2), close payloads and codes (§5.5.1, §7.4), UTF-8 (§8.1).

use alloc::string::{String, ToString};

use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;

use super::js::{bytes_out, key_of, protocol_error, range_error, set, PROTOCOL_ERROR_NAME};
use crate::close::{encode_payload, parse_payload, CloseCode};
use crate::handshake;
use crate::mask::apply_mask;
use crate::utf8;

/// XORs `bytes` with the 4-byte `key` (§5.3), starting at position `offset` of the payload
/// (only `offset % 4` matters: a payload masked in pieces gives each piece its offset).
/// Returns a new array; `bytes` is not changed. Masking and unmasking are the same.
#[wasm_bindgen]
pub fn mask(bytes: &[u8], key: &[u8], offset: Option<f64>) -> Result<Uint8Array, JsValue> {
    let key = key_of(key)?;
    let offset = match offset {
        None => 0,
        Some(o) if o >= 0.0 && o.fract() == 0.0 => (o % 4.0) as usize,
        Some(_) => return Err(range_error("`offset` must be a non-negative integer")),
    };
    let mut out = bytes.to_vec();
    apply_mask(&mut out, key, offset);
    Ok(bytes_out(&out))
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (§1.3): base64(SHA-1(key + GUID)).
#[wasm_bindgen(js_name = acceptKey)]
pub fn accept_key(#[wasm_bindgen(js_name = secWebSocketKey)] sec_websocket_key: &str) -> String {
    handshake::accept_key(sec_websocket_key.as_bytes())
        .as_str()
        .into()
}

/// Whether `key` is a valid `Sec-WebSocket-Key`: base64 of exactly 16 bytes (§4.1).
#[wasm_bindgen(js_name = isValidKey)]
pub fn is_valid_key(key: &str) -> bool {
    handshake::is_valid_key(key.as_bytes())
}

/// A close frame's payload (§5.5.1): the code, big-endian, then the reason cut to 123
/// bytes on a character boundary. Throws a `RangeError` for a code that may not be sent
/// (§7.4).
#[wasm_bindgen(js_name = encodeClosePayload)]
pub fn encode_close_payload(code: f64, reason: Option<String>) -> Result<Uint8Array, JsValue> {
    let code = sendable_code(code)?;
    Ok(bytes_out(&encode_payload(
        code,
        reason.as_deref().unwrap_or(""),
    )))
}

/// Reads a close frame's payload: `null` for an empty one (no status code), else
/// `{ code, reason }`. Throws a `WebSocketProtocolError` for a payload a receiver must
/// reject (one byte, a code that may not be sent, a reason that is not UTF-8).
#[wasm_bindgen(js_name = decodeClosePayload, unchecked_return_type = "ClosePayload | null")]
pub fn decode_close_payload(payload: &[u8]) -> Result<JsValue, JsValue> {
    match parse_payload(payload) {
        Err(e) => Err(protocol_error(&e)),
        Ok(None) => Ok(JsValue::NULL),
        Ok(Some(frame)) => {
            let o = Object::new();
            set(&o, "code", frame.code.0);
            set(&o, "reason", frame.reason);
            Ok(o.into())
        }
    }
}

/// Whether a peer may put `code` in a close frame (§7.4.1, §7.4.2; 1012-1014 registered
/// with IANA since).
#[wasm_bindgen(js_name = isValidCloseCode)]
pub fn is_valid_close_code(code: f64) -> bool {
    close_code(code).is_some_and(CloseCode::is_valid_on_wire)
}

/// The registered name of a close code (`"Normal Closure"` for 1000), or `undefined`.
#[wasm_bindgen(js_name = closeCodeName)]
pub fn close_code_name(code: f64) -> Option<String> {
    close_code(code).and_then(CloseCode::name).map(Into::into)
}

/// A close code from a JS number: an integer 0-65535, nothing else (no wrapping).
fn close_code(code: f64) -> Option<CloseCode> {
    (code.fract() == 0.0 && (0.0..=65535.0).contains(&code)).then_some(CloseCode(code as u16))
}

/// A close code that may be sent (§7.4), or a `RangeError`.
pub(crate) fn sendable_code(code: f64) -> Result<CloseCode, JsValue> {
    close_code(code)
        .filter(|c| c.is_valid_on_wire())
        .ok_or_else(|| match close_code(code) {
            Some(c) => range_error(&super::js::cat(&[
                "close code ",
                &c.0.to_string(),
                " may not be sent (RFC 6455 §7.4)",
            ])),
            None => range_error("a close code is an integer from 0 to 65535"),
        })
}

/// Whether `bytes` is valid UTF-8 as a whole (what a text message must be, §8.1).
#[wasm_bindgen(js_name = isValidUtf8)]
pub fn is_valid_utf8(bytes: &[u8]) -> bool {
    utf8::is_valid(bytes)
}

/// Whether `value` is an error thrown by this package for a protocol violation.
#[wasm_bindgen(
    js_name = isProtocolError,
    unchecked_return_type = "value is WebSocketProtocolError"
)]
pub fn is_protocol_error(#[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue) -> bool {
    value
        .dyn_ref::<js_sys::Error>()
        .is_some_and(|e| e.name() == PROTOCOL_ERROR_NAME)
}
