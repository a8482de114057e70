//! One frame in full detail: `encodeFrame` builds any frame from its fields, `decodeFrame`
//! takes one apart, field by field with the byte span of each, and says which rule it
//! breaks, if any. This is what a frame visualizer needs; streams go through
//! [`Decoder`](super::stream::Decoder).

use alloc::vec::Vec;

use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use super::deflate::DEFAULT_MAX_INFLATED;
use super::js::{
    bool_opt, bytes_of, bytes_out, error_info, get, key_of, options, protocol_error, role_opt,
    rsv_opt, set, size_opt, span, type_error, u64_to_js, uint8,
};
use super::random::masking_key;
use crate::close::{self, CloseCode};
use crate::decoder::FrameDecoder;
use crate::deflate::{Inflater, RSV1};
use crate::encoder::encode_with_header;
use crate::header::{header_len_from_second_byte, FrameHeader, LengthEncoding, MAX_PAYLOAD_LEN};
use crate::mask::apply_mask;
use crate::utf8::Utf8Validator;
use crate::{Error, OpCode, Role};

/// Builds one frame and returns its wire bytes.
///
/// `init` is `{ fin = true, rsv1 = false, rsv2 = false, rsv3 = false, opcode, mask, maskKey,
/// payload = empty, unchecked = false }`. `opcode` is a number (0-15) or a name (`"text"`,
/// `"binary"`, `"continuation"`, `"close"`, `"ping"`, `"pong"`). `payload` is a `Uint8Array`,
/// an `ArrayBuffer` or a string (UTF-8). `mask: true` without `maskKey` draws a random key
/// from `crypto.getRandomValues`; a `maskKey` (4 bytes) implies `mask: true`.
///
/// Frames no endpoint may send (a reserved opcode, a fragmented control frame, a control
/// frame over 125 bytes) throw a `WebSocketProtocolError`, unless `unchecked: true` asks for
/// them on purpose (to test a peer). RSV bits are always allowed: extensions define them.
#[wasm_bindgen(js_name = encodeFrame)]
pub fn encode_frame(
    #[wasm_bindgen(unchecked_param_type = "FrameInit")] init: JsValue,
) -> Result<Uint8Array, JsValue> {
    let init = options(&init, "encodeFrame's argument")?
        .ok_or_else(|| type_error("encodeFrame needs an object: { opcode, payload, ... }"))?;
    let init: &JsValue = init.as_ref();
    let opcode = opcode_of(&get(init, "opcode"))?;
    let payload = match get(init, "payload") {
        v if v.is_undefined() || v.is_null() => Vec::new(),
        v => bytes_of(&v, "`payload`")?,
    };
    let key = match get(init, "maskKey") {
        v if v.is_undefined() || v.is_null() => None,
        v => Some(key_of(&bytes_of(&v, "`maskKey`")?)?),
    };
    let mask = match (get(init, "mask").as_bool(), key) {
        (Some(false), Some(_)) => {
            return Err(type_error("`mask: false` contradicts the `maskKey` given"))
        }
        (_, Some(key)) => Some(key),
        (Some(true), None) => Some(masking_key()?),
        (_, None) => {
            bool_opt(init, "mask", false)?; // a non-boolean `mask` is a TypeError
            None
        }
    };
    let header = FrameHeader {
        fin: bool_opt(init, "fin", true)?,
        rsv1: bool_opt(init, "rsv1", false)?,
        rsv2: bool_opt(init, "rsv2", false)?,
        rsv3: bool_opt(init, "rsv3", false)?,
        opcode,
        mask,
        payload_len: payload.len() as u64,
    };
    if !bool_opt(init, "unchecked", false)? {
        sendable(&header).map_err(|e| protocol_error(&e))?;
    }
    let mut out = Vec::new();
    encode_with_header(&mut out, &header, &payload);
    Ok(bytes_out(&out))
}

/// The rules a sender must keep that a header alone shows (RFC 6455 §5.2, §5.5).
pub(crate) fn sendable(h: &FrameHeader) -> Result<(), Error> {
    // §5.2: reserved opcodes have no meaning to send.
    if h.opcode.is_reserved() {
        return Err(Error::ReservedOpcode(h.opcode.as_u4()));
    }
    if h.opcode.is_control() {
        // §5.5: control frames MUST NOT be fragmented and carry at most 125 bytes.
        if !h.fin {
            return Err(Error::FragmentedControlFrame);
        }
        if h.payload_len > 125 {
            return Err(Error::ControlFrameTooLong(h.payload_len));
        }
    }
    Ok(())
}

/// An opcode from a number 0-15 or one of the defined names.
pub(crate) fn opcode_of(v: &JsValue) -> Result<OpCode, JsValue> {
    if let Some(n) = v.as_f64() {
        if (0.0..16.0).contains(&n) && n.fract() == 0.0 {
            return Ok(OpCode::from_u4(n as u8));
        }
        return Err(type_error("`opcode` must be an integer from 0 to 15"));
    }
    let named = match v.as_string().as_deref() {
        Some("continuation") => OpCode::Continuation,
        Some("text") => OpCode::Text,
        Some("binary") => OpCode::Binary,
        Some("close") => OpCode::Close,
        Some("ping") => OpCode::Ping,
        Some("pong") => OpCode::Pong,
        _ => {
            return Err(type_error(
                "`opcode` must be 0-15 or \"text\", \"binary\", \"continuation\", \"close\", \"ping\", \"pong\"",
            ))
        }
    };
    Ok(named)
}

/// What `decodeFrame` checks besides the header's own encoding.
#[derive(Clone, Copy)]
struct Rules {
    /// The receiving role; `None` takes it from the MASK bit (so masking is not judged).
    role: Option<Role>,
    max_frame_len: u64,
    allowed_rsv: u8,
    /// RFC 7692 negotiated: RSV1 means "compressed" on a data message's first frame.
    per_message_deflate: bool,
}

impl Rules {
    fn from_js(opts: &JsValue) -> Result<Rules, JsValue> {
        let opts = options(opts, "decodeFrame's options")?;
        let opts: JsValue = opts.map(Into::into).unwrap_or(JsValue::UNDEFINED);
        let per_message_deflate = bool_opt(&opts, "perMessageDeflate", false)?;
        let rsv1 = if per_message_deflate { RSV1 } else { 0 };
        Ok(Rules {
            role: role_opt(&opts, false)?,
            max_frame_len: size_opt(&opts, "maxFrameSize")?.unwrap_or(MAX_PAYLOAD_LEN),
            allowed_rsv: rsv_opt(&opts)? | rsv1,
            per_message_deflate,
        })
    }
}

/// Takes apart the frame at the start of `bytes`: every field, the byte span of every field,
/// the masked and unmasked payload, and the first rule it breaks, if any (see `FrameView`
/// in the TypeScript declarations).
///
/// Never throws for any bytes: an incomplete frame comes back with `complete: false` and
/// `bytesNeeded`; a frame that breaks a rule comes back parsed as far as possible with
/// `error: { kind, closeCode, rfcSection, message }`. Throws only for bad options.
#[wasm_bindgen(js_name = decodeFrame, unchecked_return_type = "FrameView")]
pub fn decode_frame(
    bytes: &[u8],
    #[wasm_bindgen(unchecked_optional_param_type = "DecodeFrameOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let rules = Rules::from_js(&options)?;
    Ok(view(bytes, 0, &rules).object.into())
}

/// Takes apart every frame in `bytes`, one after the other: an array of `FrameView`s whose
/// spans count from the start of `bytes`. Goes on after a frame that breaks a rule (a
/// visualizer shows them all; a receiver would stop at the first), and stops after an
/// incomplete frame or one whose length cannot be read.
#[wasm_bindgen(js_name = decodeFrames, unchecked_return_type = "FrameView[]")]
pub fn decode_frames(
    bytes: &[u8],
    #[wasm_bindgen(unchecked_optional_param_type = "DecodeFrameOptions")] options: JsValue,
) -> Result<Array, JsValue> {
    let rules = Rules::from_js(&options)?;
    let out = Array::new();
    let mut at = 0;
    while at < bytes.len() {
        let v = view(&bytes[at..], at as u64, &rules);
        out.push(&v.object);
        match v.next {
            Some(len) => at += len,
            None => break,
        }
    }
    Ok(out)
}

/// A built view and, when the frame is complete, its total length.
struct View {
    object: Object,
    next: Option<usize>,
}

/// Builds the `FrameView` of the frame at the start of `bytes`; `base` is added to spans.
fn view(bytes: &[u8], base: u64, rules: &Rules) -> View {
    let o = Object::new();
    let len = bytes.len();
    set(&o, "offset", base as f64);
    let at = |i: usize| base + i as u64;
    for key in FIELDS {
        set(&o, key, JsValue::NULL);
    }
    set(&o, "complete", false);
    set(&o, "headerComplete", false);
    set(&o, "error", JsValue::NULL);
    let spans = Object::new();
    set(&o, "spans", &spans);
    for key in ["base", "extendedLength", "maskKey", "payload", "header"] {
        set(&spans, key, JsValue::NULL);
    }
    let partial = |need: usize| {
        set(&o, "bytesNeeded", (need - len) as f64);
        View {
            object: o.clone(),
            next: None,
        }
    };
    if len == 0 {
        return partial(2);
    }
    // First byte: FIN, RSV1-3, opcode (§5.2).
    let b0 = bytes[0];
    let opcode = OpCode::from_u4(b0);
    set(&o, "fin", b0 & 0x80 != 0);
    set(&o, "rsv1", b0 & 0x40 != 0);
    set(&o, "rsv2", b0 & 0x20 != 0);
    set(&o, "rsv3", b0 & 0x10 != 0);
    set(&o, "opcode", opcode.as_u4());
    set(&o, "opcodeName", opcode.name());
    set(&o, "isControl", opcode.is_control());
    if len < 2 {
        return partial(2);
    }
    // Second byte: MASK and the 7-bit length, which says how the length is encoded.
    let b1 = bytes[1];
    let masked = b1 & 0x80 != 0;
    let encoding = LengthEncoding::from_second_byte(b1);
    let header_len = header_len_from_second_byte(b1);
    let ext_end = 2 + encoding.extended_len();
    set(&o, "masked", masked);
    set(&o, "lengthEncoding", encoding.bits());
    set(&o, "headerLength", header_len as f64);
    set(&spans, "base", span(at(0), at(2)));
    set(&spans, "header", span(at(0), at(header_len)));
    if encoding != LengthEncoding::Bits7 {
        set(&spans, "extendedLength", span(at(2), at(ext_end)));
    }
    if masked {
        set(&spans, "maskKey", span(at(ext_end), at(header_len)));
    }
    if len < header_len {
        return partial(header_len);
    }
    set(&o, "headerComplete", true);
    if masked {
        set(&o, "maskKey", uint8(&bytes[ext_end..header_len]));
    }
    let header = match FrameHeader::decode(bytes) {
        Ok(Some((h, _))) => h,
        // Cannot happen (the whole header is here); treated as "need more" all the same.
        Ok(None) => return partial(header_len + 1),
        Err(e) => {
            // §5.2: a 64-bit length with its most significant bit set: the length is shown
            // as read, but no payload boundary follows from it.
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&bytes[2..10]);
            set(&o, "payloadLength", u64_to_js(u64::from_be_bytes(raw)));
            set(&o, "error", error_info(&e));
            return View {
                object: o,
                next: None,
            };
        }
    };
    let payload_len = header.payload_len;
    set(&o, "payloadLength", u64_to_js(payload_len));
    set(
        &o,
        "minimalLength",
        LengthEncoding::for_len(payload_len) == encoding,
    );
    let frame_len = header_len as u64 + payload_len;
    set(&o, "frameLength", frame_len as f64);
    set(&spans, "payload", span(at(header_len), base + frame_len));

    let mut error = header_rule(&header, &bytes[..header_len], rules).err();

    // The payload: as much of it as is here.
    let have = (len - header_len).min(usize::try_from(payload_len).unwrap_or(usize::MAX));
    let wire = &bytes[header_len..header_len + have];
    let mut plain = wire.to_vec();
    if let Some(key) = header.mask {
        // §5.3: unmasking is the same XOR as masking.
        apply_mask(&mut plain, key, 0);
    }
    set(&o, "maskedPayload", uint8(wire));
    set(&o, "payload", uint8(&plain));
    let complete = have as u64 == payload_len;
    set(&o, "complete", complete);
    set(&o, "bytesNeeded", (payload_len - have as u64) as f64);
    if complete {
        let rule = if rules.per_message_deflate && header.rsv1 {
            compressed_rule(&header, &plain, &o)
        } else {
            payload_rule(&header, &plain, &o)
        };
        if let Err(e) = rule {
            error = error.or(Some(e));
        }
    }
    if let Some(e) = error {
        set(&o, "error", error_info(&e));
    }
    View {
        object: o,
        next: complete.then_some(header_len + have),
    }
}

/// Every field of a `FrameView` that may be unknown (`null`) for a partial frame.
const FIELDS: [&str; 23] = [
    "fin",
    "rsv1",
    "rsv2",
    "rsv3",
    "opcode",
    "opcodeName",
    "isControl",
    "masked",
    "maskKey",
    "payloadLength",
    "lengthEncoding",
    "minimalLength",
    "headerLength",
    "frameLength",
    "bytesNeeded",
    "maskedPayload",
    "payload",
    "text",
    "inflated",
    "closeCode",
    "closeCodeName",
    "closeReason",
    "error",
];

/// The header rules of the codec's own frame decoder (§5.1, §5.2, §5.5, frame limit), in
/// its order, so the first broken rule is the one a receiver reports.
fn header_rule(header: &FrameHeader, header_bytes: &[u8], rules: &Rules) -> Result<(), Error> {
    let role = rules.role.unwrap_or(if header.mask.is_some() {
        Role::Server
    } else {
        Role::Client
    });
    let mut decoder = FrameDecoder::new(role)
        .with_max_frame_len(rules.max_frame_len)
        .with_allowed_rsv(rules.allowed_rsv);
    let mut copy = [0u8; crate::header::MAX_HEADER_LEN];
    let copy = &mut copy[..header_bytes.len()];
    copy.copy_from_slice(header_bytes);
    decoder.decode(copy)?;
    // RFC 7692 §6.1: the "Per-Message Compressed" bit belongs on a data message's first
    // frame only.
    let data_start = matches!(header.opcode, OpCode::Text | OpCode::Binary);
    if rules.per_message_deflate && header.rsv1 && !data_start {
        return Err(Error::MisplacedPerMessageRsv { bits: RSV1 });
    }
    Ok(())
}

/// The payload of a compressed frame (RSV1 under permessage-deflate, RFC 7692 §6). A whole
/// message in one frame is inflated with a fresh inflater (as if without context takeover:
/// a frame alone carries no earlier context) into `inflated`, and a text message's inflated
/// text is checked (§8.1) and shown as `text`. A first fragment is not checked: its
/// message is compressed as a whole.
fn compressed_rule(header: &FrameHeader, payload: &[u8], o: &Object) -> Result<(), Error> {
    if !header.fin {
        return Ok(());
    }
    let mut out = Vec::new();
    Inflater::new(true).decompress(payload, &mut out, DEFAULT_MAX_INFLATED)?;
    set(o, "inflated", uint8(&out));
    if header.opcode == OpCode::Text {
        let text = core::str::from_utf8(&out).map_err(|_| Error::InvalidUtf8)?;
        set(o, "text", text);
    }
    Ok(())
}

/// The rules a whole payload can break on its own: close payloads (§5.5.1, §7.4) and UTF-8
/// in text (§8.1). Fills in `text`, `closeCode`, `closeCodeName` and `closeReason`.
fn payload_rule(header: &FrameHeader, payload: &[u8], o: &Object) -> Result<(), Error> {
    match header.opcode {
        OpCode::Close => {
            let frame = close::parse_payload(payload);
            if let Ok(Some(f)) = frame {
                set(o, "closeReason", f.reason);
            }
            // The code is shown even when it is one that may not be sent.
            if payload.len() >= 2 {
                let code = CloseCode(u16::from_be_bytes([payload[0], payload[1]]));
                set(o, "closeCode", code.0);
                if let Some(name) = code.name() {
                    set(o, "closeCodeName", name);
                }
            }
            frame.map(|_| ())
        }
        OpCode::Text => {
            if let Ok(text) = core::str::from_utf8(payload) {
                set(o, "text", text);
                return Ok(());
            }
            if header.fin {
                return Err(Error::InvalidUtf8);
            }
            // A first fragment may end inside a code point, but no further than that.
            Utf8Validator::new()
                .feed(payload)
                .map_err(|_| Error::InvalidUtf8)
        }
        _ => Ok(()),
    }
}
