//! Small conversions between JS values and the codec's types, and the error objects.

use alloc::string::ToString;
use alloc::vec::Vec;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::{Error, Role};

/// The `name` of every error the codec reports to JS.
pub const PROTOCOL_ERROR_NAME: &str = "WebSocketProtocolError";

/// A JS `Error` for a protocol violation: `message` is the codec's `Display` text, plus
/// `closeCode`, `kind` and `rfcSection`.
pub fn protocol_error(e: &Error) -> JsValue {
    let info = error_info(e);
    let err = js_sys::Error::new(&get(&info, "message").as_string().unwrap_or_default());
    err.set_name(PROTOCOL_ERROR_NAME);
    Object::assign(&err, info.unchecked_ref());
    err.into()
}

/// The same facts as a plain object (what `decodeFrame` puts in its `error` field, where
/// nothing is thrown).
pub fn error_info(e: &Error) -> JsValue {
    let o = Object::new();
    set(&o, "kind", e.kind());
    set(&o, "closeCode", e.close_code().0);
    set(&o, "rfcSection", e.rfc_section());
    set(&o, "rfc", e.rfc());
    set(&o, "message", e.to_string());
    o.into()
}

/// A `TypeError` for an argument of the wrong shape.
pub fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

/// A `RangeError` for an argument outside its range.
pub fn range_error(msg: &str) -> JsValue {
    js_sys::RangeError::new(msg).into()
}

/// `obj[key] = value`. Setting a property on a fresh plain object cannot fail.
pub fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    set_value(obj, key, &value.into());
}

/// The one non-generic body behind [`set`] (one copy in the .wasm, not one per type).
fn set_value(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Pieces of a message, joined (without pulling in the formatting machinery per call site).
pub fn cat(parts: &[&str]) -> alloc::string::String {
    parts.concat()
}

/// `obj[key]`, or `undefined` when `obj` is not an object.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// An options argument: `undefined`/`null` mean "no options", anything else must be an
/// object.
pub fn options(value: &JsValue, what: &str) -> Result<Option<Object>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.dyn_ref::<Object>() {
        Some(o) if value.is_object() => Ok(Some(o.clone())),
        _ => Err(type_error(&cat(&[what, " must be an object"]))),
    }
}

/// An optional boolean option (`undefined` gives `default`).
pub fn bool_opt(obj: &JsValue, key: &str, default: bool) -> Result<bool, JsValue> {
    let v = get(obj, key);
    if v.is_undefined() {
        return Ok(default);
    }
    v.as_bool()
        .ok_or_else(|| type_error(&cat(&["`", key, "` must be a boolean"])))
}

/// An optional non-negative integer option, as a `u64` (`undefined` gives `None`).
/// Accepts a number (an integer up to 2^53 - 1) or a bigint.
pub fn size_opt(obj: &JsValue, key: &str) -> Result<Option<u64>, JsValue> {
    let v = get(obj, key);
    if v.is_undefined() {
        return Ok(None);
    }
    to_u64(&v)
        .map(Some)
        .ok_or_else(|| range_error(&cat(&["`", key, "` must be a non-negative integer"])))
}

/// A non-negative integer number or bigint as `u64`.
pub fn to_u64(v: &JsValue) -> Option<u64> {
    if let Some(n) = v.as_f64() {
        return (n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER as f64).then_some(n as u64);
    }
    if v.is_bigint() {
        return u64::try_from(v.clone()).ok();
    }
    None
}

/// `Number.MAX_SAFE_INTEGER`: the largest integer a JS number holds exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A `u64` as a JS number when exact, as a bigint beyond 2^53 - 1.
pub fn u64_to_js(n: u64) -> JsValue {
    if n <= MAX_SAFE_INTEGER {
        JsValue::from_f64(n as f64)
    } else {
        JsValue::from(n)
    }
}

/// The required `role` option: `"server"` or `"client"`.
pub fn role_opt(obj: &JsValue, required: bool) -> Result<Option<Role>, JsValue> {
    let v = get(obj, "role");
    if v.is_undefined() && !required {
        return Ok(None);
    }
    match v.as_string().as_deref() {
        Some("server") => Ok(Some(Role::Server)),
        Some("client") => Ok(Some(Role::Client)),
        _ => Err(type_error("`role` must be \"server\" or \"client\"")),
    }
}

/// The RSV bits option (`allowedRsv`, bits as in the first header byte, `0b0RRR_0000`).
pub fn rsv_opt(obj: &JsValue) -> Result<u8, JsValue> {
    match size_opt(obj, "allowedRsv")? {
        None => Ok(0),
        Some(bits) if bits & !0x70 == 0 => Ok(bits as u8),
        Some(_) => Err(range_error(
            "`allowedRsv` takes the RSV bits as in the first header byte (0x40, 0x20, 0x10)",
        )),
    }
}

/// Bytes from a `Uint8Array` (a Node `Buffer` is one), an `ArrayBuffer` or a string
/// (encoded as UTF-8).
pub fn bytes_of(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Ok(a.to_vec());
    }
    if let Some(s) = value.as_string() {
        return Ok(s.into_bytes());
    }
    if let Some(b) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(Uint8Array::new(b).to_vec());
    }
    Err(type_error(&cat(&[
        what,
        " must be a Uint8Array, an ArrayBuffer or a string",
    ])))
}

/// A masking key: exactly four bytes.
pub fn key_of(bytes: &[u8]) -> Result<[u8; 4], JsValue> {
    <[u8; 4]>::try_from(bytes).map_err(|_| range_error("a masking key is exactly 4 bytes"))
}

/// `[start, end]` as a two-element array (end exclusive). Spans are JS numbers: a span that
/// reaches past 2^53 cannot exist in memory.
pub fn span(start: u64, end: u64) -> JsValue {
    Array::of2(
        &JsValue::from_f64(start as f64),
        &JsValue::from_f64(end as f64),
    )
    .into()
}

/// A copy of `bytes` as a fresh `Uint8Array` (owned by JS, independent of wasm memory).
pub fn uint8(bytes: &[u8]) -> JsValue {
    bytes_out(bytes).into()
}

#[wasm_bindgen]
extern "C" {
    /// Node's `Buffer.from(view)`: a copy, taken from Node's buffer pool when small. Only
    /// called where `Buffer` exists.
    #[wasm_bindgen(js_namespace = Buffer, js_name = from)]
    fn node_buffer_from(view: &[u8]) -> Uint8Array;

    /// The global `Buffer` (Node), if any.
    #[wasm_bindgen(thread_local_v2, js_name = Buffer)]
    static NODE_BUFFER: Option<JsValue>;
}

/// Bytes handed to JS: a copy out of wasm memory. In Node a `Buffer` (a `Uint8Array`
/// subclass; small ones come from Node's pool, several times cheaper than a fresh
/// `ArrayBuffer` each), elsewhere a plain `Uint8Array`.
pub fn bytes_out(bytes: &[u8]) -> Uint8Array {
    if NODE_BUFFER.with(Option::is_some) {
        node_buffer_from(bytes)
    } else {
        Uint8Array::new_from_slice(bytes)
    }
}
