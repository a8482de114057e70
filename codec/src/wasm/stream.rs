//! The streaming `Decoder`: chunks of a connection's bytes in, in any sizes, and complete
//! messages out, as plain JS objects.
//!
//! It is the codec's [`message::Decoder`](crate::message::Decoder) for a role, so
//! fragmented messages are assembled, control frames interleaved, text validated and every
//! rule enforced exactly as natively. What this layer adds is the boundary: one copy of
//! each chunk into wasm memory (where it is unmasked in place), one copy of each message
//! out, and as few calls across the boundary per message as possible (object properties are
//! set by wasm-bindgen setters, whose names live in the generated JS, and the `type` strings
//! are made once).

use alloc::vec::Vec;
use core::cell::OnceCell;

use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use super::js::{
    bool_opt, bytes_out, options, protocol_error, role_opt, rsv_opt, set, size_opt, type_error,
    u64_to_js,
};
use crate::deflate;
use crate::header::{header_len_from_second_byte, FrameHeader, MAX_HEADER_LEN};
use crate::message::{self, DecoderConfig, Incoming, Message};
use crate::{Error, OpCode, Role};

#[wasm_bindgen]
extern "C" {
    /// A `DecoderEvent` under construction: a plain object whose properties are set
    /// through these setters (`obj.type = v` in the generated JS: no key strings cross).
    #[wasm_bindgen(extends = Object, typescript_type = "DecoderEvent")]
    pub type Event;
    #[wasm_bindgen(method, setter = "type")]
    fn set_type(this: &Event, v: &JsValue);
    #[wasm_bindgen(method, setter = "data")]
    fn set_data(this: &Event, v: &JsValue);
    #[wasm_bindgen(method, setter = "code")]
    fn set_code(this: &Event, v: u16);
    #[wasm_bindgen(method, setter = "reason")]
    fn set_reason(this: &Event, v: &str);
    #[wasm_bindgen(method, setter = "compressed")]
    fn set_compressed(this: &Event, v: bool);
}

/// The `type` strings, made once per instance instead of once per message.
struct Types {
    text: JsValue,
    binary: JsValue,
    ping: JsValue,
    pong: JsValue,
    close: JsValue,
}

std::thread_local! {
    static TYPES: OnceCell<Types> = const { OnceCell::new() };
}

fn with_types<R>(f: impl FnOnce(&Types) -> R) -> R {
    TYPES.with(|cell| {
        f(cell.get_or_init(|| Types {
            text: JsValue::from_str("text"),
            binary: JsValue::from_str("binary"),
            ping: JsValue::from_str("ping"),
            pong: JsValue::from_str("pong"),
            close: JsValue::from_str("close"),
        }))
    })
}

/// Where the message events of one `push` go, and what is needed to build them.
struct Sink<'a> {
    events: &'a Array,
    /// The caller's chunk, and where its copy sits in wasm memory: an unmasked payload that
    /// is a slice of the copy is handed out as the same slice of the caller's chunk.
    chunk: &'a Uint8Array,
    copy: core::ops::Range<*const u8>,
    /// Input bytes equal the caller's (a client's decoder: nothing is unmasked in place).
    zero_copy: bool,
}

impl Sink<'_> {
    /// The bytes of a binary, ping or pong message: a view of the caller's chunk when
    /// they are untouched bytes of it, else a copy.
    fn bytes(&self, b: &[u8]) -> JsValue {
        if self.zero_copy && self.copy.contains(&b.as_ptr()) {
            // Pointer-to-integer casts only: no memory is read through them.
            let start = (b.as_ptr() as usize - self.copy.start as usize) as u32;
            return self.chunk.subarray(start, start + b.len() as u32).into();
        }
        bytes_out(b).into()
    }

    /// A message as a plain object: `{ type: "text", data: string }`,
    /// `{ type: "binary" | "ping" | "pong", data: Uint8Array }`,
    /// `{ type: "close", code, reason }` (code 1005 when the close frame had no status
    /// code, as browsers and `ws` report it).
    fn message(&self, m: &Message<'_>) {
        let ev: Event = Object::new().unchecked_into();
        with_types(|t| match m {
            Message::Text(s) => {
                ev.set_type(&t.text);
                ev.set_data(&JsValue::from_str(s));
            }
            Message::Binary(b) => {
                ev.set_type(&t.binary);
                ev.set_data(&self.bytes(b));
            }
            Message::Ping(b) => {
                ev.set_type(&t.ping);
                ev.set_data(&self.bytes(b));
            }
            Message::Pong(b) => {
                ev.set_type(&t.pong);
                ev.set_data(&self.bytes(b));
            }
            Message::Close(frame) => {
                ev.set_type(&t.close);
                let (code, reason) = frame.map_or((1005, ""), |f| (f.code.0, f.reason));
                ev.set_code(code);
                ev.set_reason(reason);
            }
        });
        self.events.push(&ev);
    }

    /// A message that arrived compressed (RSV1, RFC 7692 §6), once inflated and checked:
    /// the same object as [`Sink::message`] makes, plus `compressed: true`.
    fn inflated(&self, m: &Message<'_>) {
        self.message(m);
        let last = self.events.get(self.events.length() - 1);
        last.unchecked_ref::<Event>().set_compressed(true);
    }
}

/// The receiving side of permessage-deflate for a `Decoder` (option `perMessageDeflate`).
struct Inflate {
    inflater: deflate::Inflater,
    /// The inflated message, reused from message to message.
    out: Vec<u8>,
    /// The bound on an inflated message: the decoder's `maxMessageSize`.
    max: usize,
}

impl Inflate {
    /// RFC 7692 §7.2.2: inflates the assembled payload, then checks a text message's UTF-8
    /// (RFC 6455 §8.1 applies to the inflated text).
    fn message(&mut self, opcode: OpCode, payload: &[u8], sink: &Sink<'_>) -> Result<(), Error> {
        self.out.clear();
        self.inflater.decompress(payload, &mut self.out, self.max)?;
        let m = if opcode == OpCode::Text {
            Message::Text(core::str::from_utf8(&self.out).map_err(|_| Error::InvalidUtf8)?)
        } else {
            Message::Binary(&self.out)
        };
        sink.inflated(&m);
        if self.out.capacity() > KEEP_INPUT {
            self.out = Vec::new();
        }
        Ok(())
    }
}

/// A frame event (option `frames: true`): the header of a frame the decoder accepted.
fn frame_event(h: &FrameHeader) -> JsValue {
    let o = Object::new();
    set(&o, "type", "frame");
    set(&o, "fin", h.fin);
    set(&o, "rsv1", h.rsv1);
    set(&o, "rsv2", h.rsv2);
    set(&o, "rsv3", h.rsv3);
    set(&o, "opcode", h.opcode.as_u4());
    set(&o, "opcodeName", h.opcode.name());
    set(&o, "masked", h.mask.is_some());
    set(&o, "payloadLength", u64_to_js(h.payload_len));
    o.into()
}

/// Finds frame boundaries in the byte stream without touching payloads, so that the
/// decoder can be fed one header or one payload at a time and frame events land in order.
/// It checks nothing: the decoder it runs beside does.
#[derive(Debug, Clone, Default)]
struct HeaderScanner {
    buf: [u8; MAX_HEADER_LEN],
    have: usize,
    /// Payload bytes of the current frame still to pass over.
    skip: u64,
    /// The stream broke (unreadable length): stop finding boundaries.
    broken: bool,
}

impl HeaderScanner {
    /// Consumes the next step of `input`: payload bytes of the current frame, or header bytes.
    /// Returns how many bytes the step is and the header, if it ends one.
    fn step(&mut self, input: &[u8]) -> (usize, Option<FrameHeader>) {
        if self.broken {
            return (input.len(), None);
        }
        if self.skip > 0 {
            let n = self.skip.min(input.len() as u64);
            self.skip -= n;
            return (n as usize, None);
        }
        let mut taken = 0;
        loop {
            let need = if self.have < 2 {
                2
            } else {
                header_len_from_second_byte(self.buf[1])
            };
            if self.have == need {
                break;
            }
            if taken == input.len() {
                return (taken, None);
            }
            let n = (need - self.have).min(input.len() - taken);
            self.buf[self.have..self.have + n].copy_from_slice(&input[taken..taken + n]);
            self.have += n;
            taken += n;
        }
        let header = FrameHeader::decode(&self.buf[..self.have]);
        self.have = 0;
        match header {
            Ok(Some((h, _))) => {
                self.skip = h.payload_len;
                (taken, Some(h))
            }
            _ => {
                self.broken = true;
                (taken, None)
            }
        }
    }
}

/// A streaming decoder for one end of a connection.
///
/// ```js
/// const dec = new Decoder({ role: "server", maxMessageSize: 1 << 20 });
/// socket.on("data", (chunk) => {
///   for (const ev of dec.push(chunk)) handle(ev); // { type: "text", data: "..." }, ...
/// });
/// socket.on("close", () => dec.free());
/// ```
///
/// A protocol violation throws a `WebSocketProtocolError` (`closeCode`, `kind`,
/// `rfcSection`), with the events completed before it in the same chunk in its `events`
/// property. The decoder is then failed: every later `push` throws the same error again
/// (RFC 6455 §7.1.7: the connection is to be failed, nothing more is read).
#[wasm_bindgen]
pub struct Decoder {
    inner: message::Decoder,
    zero_copy: bool,
    /// Present when frame events were asked for.
    frames: Option<HeaderScanner>,
    /// Present when permessage-deflate was negotiated (option `perMessageDeflate`).
    inflate: Option<Inflate>,
    failed: Option<Error>,
    /// The copy of the current chunk, reused from push to push.
    input: Vec<u8>,
}

/// A chunk buffer larger than this is released after its `push`, not kept for the next.
const KEEP_INPUT: usize = 256 << 10;

#[wasm_bindgen]
impl Decoder {
    /// `options`: `{ role: "server" | "client", maxMessageSize = 64 MiB, maxFrameSize =
    /// 16 MiB, allowedRsv = 0, frames = false, perMessageDeflate = false }`.
    /// `perMessageDeflate: true | { noContextTakeover }` (RFC 7692, once negotiated): RSV1
    /// on a message's first frame means compressed; such messages come out inflated (at most
    /// `maxMessageSize` each, compressed or not) with `compressed: true`. `noContextTakeover`
    /// is the peer's: whether its compressor resets for each message. `role` is the end this decoder reads for: a
    /// server reads masked frames from a client (§5.1). `frames: true` also reports each
    /// frame header as a `{ type: "frame", ... }` event, before the message it belongs to.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = options, unchecked_param_type = "DecoderOptions")]
        options_: JsValue,
    ) -> Result<Decoder, JsValue> {
        let opts: JsValue = options(&options_, "Decoder's options")?
            .map(Into::into)
            .unwrap_or(JsValue::UNDEFINED);
        let role = role_opt(&opts, true)?.ok_or_else(|| type_error("`role` is required"))?;
        let defaults = DecoderConfig::default();
        let config = DecoderConfig {
            max_message_len: size_opt(&opts, "maxMessageSize")?.unwrap_or(defaults.max_message_len),
            max_frame_len: size_opt(&opts, "maxFrameSize")?.unwrap_or(defaults.max_frame_len),
            allowed_rsv: rsv_opt(&opts)?,
        };
        let frames = bool_opt(&opts, "frames", false)?.then(HeaderScanner::default);
        let inflate = deflate_opt(&opts)?.map(|nct| Inflate {
            inflater: deflate::Inflater::new(nct),
            out: Vec::new(),
            max: usize::try_from(config.max_message_len).unwrap_or(usize::MAX),
        });
        let mut inner = message::Decoder::with_config(role, config);
        if inflate.is_some() {
            inner = inner.with_per_message_rsv(deflate::RSV1);
        }
        Ok(Decoder {
            inner,
            inflate,
            zero_copy: role == Role::Client,
            frames,
            failed: None,
            input: Vec::new(),
        })
    }

    /// Decodes the next chunk of the stream and returns the events it completed, in order
    /// (often none: a message may need more chunks). The caller's bytes are not changed.
    ///
    /// Binary, ping and pong data is a copy, except where a client's decoder got a whole
    /// (unmasked) frame in one chunk: then it is a view of `chunk` itself, as with the
    /// native codec and `ws` (no copy; `slice()` it before reusing `chunk`'s memory).
    /// In Node the copies are `Buffer`s. Input after a close frame is ignored (§5.5.1).
    #[wasm_bindgen(unchecked_return_type = "DecoderEvent[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: JsValue,
    ) -> Result<Array, JsValue> {
        if let Some(e) = &self.failed {
            return Err(protocol_error(e));
        }
        let chunk: Uint8Array = chunk
            .dyn_into()
            .map_err(|_| type_error("push() takes a Uint8Array (or a Node Buffer)"))?;
        let len = chunk.length() as usize;
        self.input.clear();
        self.input.resize(len, 0);
        chunk.copy_to(&mut self.input);
        let events = Array::new();
        let sink = Sink {
            events: &events,
            chunk: &chunk,
            copy: self.input.as_ptr_range(),
            zero_copy: self.zero_copy,
        };
        let result = match &mut self.frames {
            None => feed(
                &mut self.inner,
                self.inflate.as_mut(),
                &mut self.input,
                &sink,
            ),
            Some(scanner) => feed_by_frame(
                &mut self.inner,
                self.inflate.as_mut(),
                scanner,
                &mut self.input,
                &sink,
            ),
        };
        if self.input.capacity() > KEEP_INPUT {
            self.input = Vec::new();
        }
        match result {
            Ok(()) => Ok(events),
            Err(e) => {
                self.failed = Some(e);
                let err = protocol_error(&e);
                set(err.unchecked_ref(), "events", &events);
                Err(err)
            }
        }
    }

    /// Whether a close frame was received (nothing after it is read).
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Whether a fragmented message has started and not finished.
    #[wasm_bindgen(getter, js_name = inMessage)]
    pub fn in_message(&self) -> bool {
        self.inner.in_message()
    }

    /// Whether the decoder failed on a protocol violation (every `push` now throws).
    #[wasm_bindgen(getter)]
    pub fn failed(&self) -> bool {
        self.failed.is_some()
    }

    /// Bytes held by the reassembly buffer (grows with the largest fragmented message).
    #[wasm_bindgen(getter, js_name = bufferedCapacity)]
    pub fn buffered_capacity(&self) -> usize {
        self.inner.buffer_capacity()
    }

    /// Releases the reassembly buffer if it is larger than `maxBytes` and no message is in
    /// progress (e.g. after a large message on a connection that stays open).
    #[wasm_bindgen(js_name = shrinkBuffer)]
    pub fn shrink_buffer(&mut self, #[wasm_bindgen(js_name = maxBytes)] max_bytes: f64) {
        self.inner.shrink_buffer(max_bytes.max(0.0) as usize);
    }
}

/// Feeds the decoder one header or one piece of payload at a time, so that the event of
/// each frame precedes the message it completes (and follows its checks: a header the
/// decoder rejects gets no event).
fn feed_by_frame(
    decoder: &mut message::Decoder,
    mut inflate: Option<&mut Inflate>,
    scanner: &mut HeaderScanner,
    input: &mut [u8],
    sink: &Sink<'_>,
) -> Result<(), Error> {
    let mut at = 0;
    while at < input.len() && !decoder.is_closed() {
        let (n, header) = scanner.step(&input[at..]);
        let piece = &mut input[at..at + n];
        at += n;
        match header {
            None => feed(decoder, inflate.as_deref_mut(), piece, sink)?,
            Some(h) => {
                // A zero-length frame completes its message along with its header: the
                // frame event goes first.
                let held = Array::new();
                let holder = Sink {
                    events: &held,
                    copy: sink.copy.clone(),
                    ..*sink
                };
                feed(decoder, inflate.as_deref_mut(), piece, &holder)?;
                sink.events.push(&frame_event(&h));
                for ev in held.iter() {
                    sink.events.push(&ev);
                }
            }
        }
    }
    Ok(())
}

/// Runs `input` through the decoder, handing every completed message to `sink`.
fn feed(
    decoder: &mut message::Decoder,
    mut inflate: Option<&mut Inflate>,
    input: &mut [u8],
    sink: &Sink<'_>,
) -> Result<(), Error> {
    let mut at = 0;
    loop {
        let (used, msg) = decoder.decode_with_extensions(&mut input[at..])?;
        match msg {
            Some(Incoming::Message(m)) => sink.message(&m),
            Some(Incoming::Extension {
                opcode, payload, ..
            }) => match inflate.as_deref_mut() {
                Some(inf) => inf.message(opcode, payload, sink)?,
                // Unreachable: per-message bits are declared only along with an inflater.
                None => sink.message(&Message::Binary(payload)),
            },
            None => return Ok(()),
        }
        at += used;
    }
}

/// The `perMessageDeflate` option: `None` when off, else the peer's `noContextTakeover`.
fn deflate_opt(opts: &JsValue) -> Result<Option<bool>, JsValue> {
    let v = super::js::get(opts, "perMessageDeflate");
    if v.is_undefined() || v.is_null() || v.as_bool() == Some(false) {
        return Ok(None);
    }
    if v.as_bool() == Some(true) {
        return Ok(Some(false));
    }
    if !v.is_object() {
        return Err(type_error(
            "`perMessageDeflate` must be a boolean or { noContextTakeover }",
        ));
    }
    Ok(Some(bool_opt(&v, "noContextTakeover", false)?))
}
