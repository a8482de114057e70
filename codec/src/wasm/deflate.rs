//! RFC 7692 permessage-deflate for JS: one-shot `compressMessage` / `inflateMessage`,
//! stateful `Deflater` / `Inflater` (context takeover across messages) and
//! `parseExtensionOffers`. All of it is the codec's [`crate::deflate`] module; this layer
//! only converts arguments and results.

use alloc::string::ToString;
use alloc::vec::Vec;

use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use super::js::{bool_opt, bytes_of, bytes_out, options, protocol_error, set, size_opt};
use crate::deflate::{self, ClientWindowBits};

/// The default bound on an inflated message: the streaming `Decoder`'s default
/// `maxMessageSize` (64 MiB), so a "zip bomb" never costs more than this.
pub const DEFAULT_MAX_INFLATED: usize = 64 << 20;

/// `options.noContextTakeover` (default false) of the deflate helpers.
fn no_context_takeover(opts: &JsValue, what: &str) -> Result<bool, JsValue> {
    let o: JsValue = options(opts, what)?
        .map(Into::into)
        .unwrap_or(JsValue::UNDEFINED);
    bool_opt(&o, "noContextTakeover", false)
}

/// `options.maxSize` (default 64 MiB) of the inflate helpers.
fn max_size(opts: &JsValue) -> Result<usize, JsValue> {
    let o: JsValue = options(opts, "inflate options")?
        .map(Into::into)
        .unwrap_or(JsValue::UNDEFINED);
    Ok(size_opt(&o, "maxSize")?.map_or(DEFAULT_MAX_INFLATED, |n| {
        usize::try_from(n).unwrap_or(usize::MAX)
    }))
}

/// Compresses one whole message payload as RFC 7692 §7.2.1 says: raw DEFLATE, sync flush,
/// without the final `00 00 ff ff`. The result is the payload of a frame with RSV1 set.
/// A fresh compressor each call (no context takeover); use `Deflater` to keep the window.
#[wasm_bindgen(js_name = compressMessage)]
pub fn compress_message(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] payload: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "DeflateOptions")] options: JsValue,
) -> Result<Uint8Array, JsValue> {
    let mut d = deflate::Deflater::new(no_context_takeover(&options, "compressMessage's options")?);
    compress_with(&mut d, &payload)
}

/// `deflateRaw(payload)`: another name of `compressMessage`.
#[wasm_bindgen(js_name = deflateRaw)]
pub fn deflate_raw(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] payload: JsValue,
) -> Result<Uint8Array, JsValue> {
    compress_with(&mut deflate::Deflater::new(true), &payload)
}

fn compress_with(d: &mut deflate::Deflater, payload: &JsValue) -> Result<Uint8Array, JsValue> {
    let input = bytes_of(payload, "the payload")?;
    let mut out = Vec::new();
    d.compress(&input, &mut out)
        .map_err(|e| protocol_error(&e))?;
    Ok(bytes_out(&out))
}

/// Inflates one whole compressed message payload (RFC 7692 §7.2.2: the payload plus
/// `00 00 ff ff`), with a fresh inflater. Throws a `WebSocketProtocolError` with close code
/// 1009 as soon as the output passes `maxSize` (default 64 MiB), 1007 on corrupt data.
#[wasm_bindgen(js_name = inflateMessage)]
pub fn inflate_message(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] compressed: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "InflateOptions")] options: JsValue,
) -> Result<Uint8Array, JsValue> {
    let max = max_size(&options)?;
    inflate_with(&mut deflate::Inflater::new(true), &compressed, max)
}

fn inflate_with(
    i: &mut deflate::Inflater,
    compressed: &JsValue,
    max: usize,
) -> Result<Uint8Array, JsValue> {
    let input = bytes_of(compressed, "the compressed payload")?;
    let mut out = Vec::new();
    i.decompress(&input, &mut out, max)
        .map_err(|e| protocol_error(&e))?;
    Ok(bytes_out(&out))
}

/// A compressor for one direction of one connection: with context takeover (the default),
/// later messages may refer back to earlier ones (RFC 7692 §7.2.3.2), so messages must be
/// sent in the order they were compressed. `free()` releases its state (about 300 KiB).
#[wasm_bindgen]
pub struct Deflater {
    inner: deflate::Deflater,
}

#[wasm_bindgen]
impl Deflater {
    /// `options`: `{ noContextTakeover = false }`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "DeflateOptions")] options: JsValue,
    ) -> Result<Deflater, JsValue> {
        let nct = no_context_takeover(&options, "Deflater's options")?;
        Ok(Deflater {
            inner: deflate::Deflater::new(nct),
        })
    }

    /// The compressed form of one whole message payload (RSV1 goes on its first frame).
    pub fn compress(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")]
        payload: JsValue,
    ) -> Result<Uint8Array, JsValue> {
        compress_with(&mut self.inner, &payload)
    }
}

/// A decompressor for one direction of one connection, keeping the window from message to
/// message unless `noContextTakeover` was negotiated for that direction. After an error its
/// context is reset (the connection is to be failed anyway). `free()` releases its state.
#[wasm_bindgen]
pub struct Inflater {
    inner: deflate::Inflater,
    max: usize,
}

#[wasm_bindgen]
impl Inflater {
    /// `options`: `{ noContextTakeover = false, maxSize = 64 MiB }`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "InflaterOptions")] options: JsValue,
    ) -> Result<Inflater, JsValue> {
        let nct = no_context_takeover(&options, "Inflater's options")?;
        Ok(Inflater {
            inner: deflate::Inflater::new(nct),
            max: max_size(&options)?,
        })
    }

    /// The inflated form of one whole compressed message payload; throws 1009 past
    /// `maxSize`, 1007 on corrupt data.
    pub fn decompress(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] compressed: JsValue,
    ) -> Result<Uint8Array, JsValue> {
        inflate_with(&mut self.inner, &compressed, self.max)
    }
}

/// Every permessage-deflate element of a `Sec-WebSocket-Extensions` value, in order, each
/// `{ ok: true, params }` or `{ ok: false, error }` (an invalid offer is declined, not
/// fatal, RFC 7692 §5). Other extensions are skipped. Throws a `SyntaxError` when the header
/// breaks the RFC 6455 §9.1 grammar.
#[wasm_bindgen(js_name = parseExtensionOffers, unchecked_return_type = "ExtensionOffer[]")]
pub fn parse_extension_offers(header: &str) -> Result<Array, JsValue> {
    let offers = deflate::parse_offers(header).map_err(|e| {
        let err = js_sys::SyntaxError::new(&e.to_string());
        JsValue::from(err)
    })?;
    let out = Array::new();
    for offer in offers {
        let o = Object::new();
        match offer {
            Ok(p) => {
                set(&o, "ok", true);
                let params = Object::new();
                set(
                    &params,
                    "serverNoContextTakeover",
                    p.server_no_context_takeover,
                );
                set(
                    &params,
                    "clientNoContextTakeover",
                    p.client_no_context_takeover,
                );
                match p.server_max_window_bits {
                    Some(b) => set(&params, "serverMaxWindowBits", b),
                    None => set(&params, "serverMaxWindowBits", JsValue::NULL),
                }
                let client_bits: JsValue = match p.client_max_window_bits {
                    ClientWindowBits::Absent => JsValue::NULL,
                    ClientWindowBits::Supported => JsValue::TRUE,
                    ClientWindowBits::Limit(b) => b.into(),
                };
                set(&params, "clientMaxWindowBits", client_bits);
                set(&o, "params", params);
            }
            Err(e) => {
                set(&o, "ok", false);
                set(&o, "error", e.to_string());
            }
        }
        out.push(&o);
    }
    Ok(out)
}
