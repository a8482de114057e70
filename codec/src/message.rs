//! Messages: frames assembled by the rules of RFC 6455 §5.4-§5.6.
//!
//! [`Decoder`] sits on a [`FrameDecoder`] and adds what spans frames:
//! - fragmentation (§5.4): a message is a text or binary frame with FIN clear, any number of
//!   continuation frames, and a final continuation with FIN set; a continuation with nothing
//!   to continue, or a new data frame inside a fragmented message, is a protocol error;
//! - control frames (§5.5) may arrive between the fragments of a message and are delivered
//!   at once, without disturbing the message being assembled;
//! - text must be UTF-8 (§5.6, §8.1), checked piece by piece so an invalid byte fails the
//!   connection when it arrives;
//! - close payloads (§5.5.1, §7.4);
//! - the message size limit (1009), checked against each frame's declared length before its
//!   payload is read;
//! - per-message extension bits (RFC 7692 §6, permessage-deflate's RSV1), when declared with
//!   [`Decoder::with_per_message_rsv`]: first frame only, and such a message is handed back
//!   raw by [`Decoder::decode_with_extensions`] for the extension to undo its transform.
//!
//! A message whose single frame arrives whole in one input is handed back as a slice of the
//! input (no copy). When such a frame (or a control frame) starts the input, as it mostly
//! does in a server, it is decoded in one step, header rules, unmasking and UTF-8 check,
//! without the frame decoder's header and payload events; anything unusual about it sends
//! it the general way, which names the rule broken. Anything else is assembled in one
//! buffer that is reused from message to message; nothing is reserved from a declared
//! length, only from bytes that arrived.

use alloc::vec::Vec;

use crate::close::{self, CloseFrame};
use crate::decoder::{FrameDecoder, FrameEvent};
use crate::error::Error;
use crate::header::FrameHeader;
use crate::mask::apply_mask;
use crate::opcode::OpCode;
use crate::utf8::{self, Utf8Validator};
use crate::Role;

/// A complete message or control frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message, valid UTF-8.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
    /// A ping: §5.5.2 says to answer with a pong carrying the same payload.
    Ping(&'a [u8]),
    /// A pong.
    Pong(&'a [u8]),
    /// A close frame, with its status code and reason if it carried one. §5.5.1: answer with
    /// a close (if not sent already), then close the TCP connection.
    Close(Option<CloseFrame<'a>>),
}

impl Message<'_> {
    /// The opcode of the (first) frame that carried the message.
    pub const fn opcode(&self) -> OpCode {
        match self {
            Message::Text(_) => OpCode::Text,
            Message::Binary(_) => OpCode::Binary,
            Message::Ping(_) => OpCode::Ping,
            Message::Pong(_) => OpCode::Pong,
            Message::Close(_) => OpCode::Close,
        }
    }
}

/// What [`Decoder::decode_with_extensions`] returns: a message, or a data message whose
/// first frame carried a per-message extension bit (see [`Decoder::with_per_message_rsv`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// A message as [`Decoder::decode`] returns it.
    Message(Message<'a>),
    /// A data message transformed by an extension (e.g. compressed by permessage-deflate,
    /// RFC 7692 §6), assembled but not UTF-8 checked: the extension undoes its transform
    /// and a text message is checked (§8.1) after that.
    Extension {
        /// [`OpCode::Text`] or [`OpCode::Binary`], from the first frame.
        opcode: OpCode,
        /// The per-message RSV bits of the first frame (`0b0RRR_0000`).
        rsv: u8,
        /// The assembled payload, as sent.
        payload: &'a [u8],
    },
}

/// Limits and extension bits for a [`Decoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Largest message (sum of its frames' payloads). Default 64 MiB.
    pub max_message_len: u64,
    /// Largest single frame payload. Default 16 MiB.
    pub max_frame_len: u64,
    /// RSV bits defined by a negotiated extension (`0b0RRR_0000`). Default none.
    pub allowed_rsv: u8,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_message_len: 64 << 20,
            max_frame_len: 16 << 20,
            allowed_rsv: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Binary,
}

/// Where the frame being read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Current {
    /// Between frames.
    None,
    /// A data frame (first or continuation) of the message in `Decoder::kind`.
    Data { fin: bool, first: bool },
    /// A control frame, buffered in `Decoder::control`.
    Control(OpCode),
}

/// What the frame loop ended with, already checked, before the message is borrowed out.
/// In-place variants borrow the input; buffered ones are read from the decoder.
enum Done<'a> {
    /// A message or control frame that arrived in one piece, in the input.
    InPlace(Message<'a>),
    /// A data message assembled in `Decoder::message`.
    Buffered(Kind),
    /// A control frame assembled in `Decoder::control`.
    ControlBuffered(OpCode),
    /// A data message with per-message RSV bits, in place or (`None`) buffered.
    Extension(Kind, Option<&'a [u8]>),
}

/// Decodes messages incrementally for one [`Role`].
///
/// ```
/// use wsprism::{Decoder, Message, Role};
/// // RFC 6455 §5.7: a fragmented unmasked text message "Hel" + "lo", as a client sees it,
/// // with a ping in between.
/// let mut wire = [0x01, 0x03, b'H', b'e', b'l', 0x89, 0x00, 0x80, 0x02, b'l', b'o'];
/// let mut dec = Decoder::new(Role::Client);
/// let (used, msg) = dec.decode(&mut wire).unwrap();
/// assert_eq!(msg, Some(Message::Ping(b"")));
/// let (_, msg) = dec.decode(&mut wire[used..]).unwrap();
/// assert_eq!(msg, Some(Message::Text("Hello")));
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    frames: FrameDecoder,
    max_message_len: u64,
    /// The data message in progress, if any.
    kind: Option<Kind>,
    current: Current,
    /// Bytes received of the current frame so far.
    frame_pos: u64,
    message: Vec<u8>,
    utf8: Utf8Validator,
    control: [u8; 125],
    control_len: u8,
    closed: bool,
    /// The error that failed the connection: every later call returns it again.
    failed: Option<Error>,
    /// Every RSV bit the frame decoder lets through.
    allowed_rsv: u8,
    /// RSV bits an extension defines per message (first frame only), e.g. RFC 7692 RSV1.
    per_message_rsv: u8,
    /// Those bits as set on the first frame of the data message in progress.
    message_rsv: u8,
    /// The largest frame [`whole_frame`](Self::whole_frame) takes: both limits hold below it.
    whole_frame_max: u64,
}

impl Decoder {
    /// A decoder for `role` with the default limits.
    pub fn new(role: Role) -> Self {
        Self::with_config(role, DecoderConfig::default())
    }

    /// A decoder for `role` with the given limits.
    pub fn with_config(role: Role, config: DecoderConfig) -> Self {
        Decoder {
            frames: FrameDecoder::new(role)
                .with_max_frame_len(config.max_frame_len)
                .with_allowed_rsv(config.allowed_rsv),
            max_message_len: config.max_message_len,
            kind: None,
            current: Current::None,
            frame_pos: 0,
            message: Vec::new(),
            utf8: Utf8Validator::new(),
            control: [0; 125],
            control_len: 0,
            closed: false,
            failed: None,
            allowed_rsv: config.allowed_rsv & 0x70,
            per_message_rsv: 0,
            message_rsv: 0,
            whole_frame_max: config.max_frame_len.min(config.max_message_len),
        }
    }

    /// Declares RSV bits (`0b0RRR_0000`) that a negotiated extension defines per message, as
    /// permessage-deflate does with RSV1 (RFC 7692 §6). They are allowed on the first frame
    /// of a data message only: on a continuation or control frame they fail the connection
    /// with [`Error::MisplacedPerMessageRsv`] (1002, RFC 7692 §6.1). A message whose first
    /// frame carries them comes back from [`decode_with_extensions`](Self::decode_with_extensions)
    /// as [`Incoming::Extension`], without the UTF-8 check (the payload is not yet text).
    pub fn with_per_message_rsv(mut self, bits: u8) -> Self {
        self.per_message_rsv = bits & 0x70;
        self.allowed_rsv |= self.per_message_rsv;
        self.frames = self.frames.clone().with_allowed_rsv(self.allowed_rsv);
        self
    }

    /// Whether a close frame was received. §5.5.1: nothing may follow it, and any further
    /// input is discarded.
    pub const fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether a fragmented message has started and not finished.
    pub const fn in_message(&self) -> bool {
        self.kind.is_some()
    }

    /// Bytes held in the reassembly buffer's allocation (for memory accounting).
    pub fn buffer_capacity(&self) -> usize {
        self.message.capacity()
    }

    /// Frees the reassembly buffer if it grew beyond `max` bytes (e.g. after a large
    /// message, so that an idle connection does not keep it). Does nothing while a
    /// fragmented message is being assembled. The last message returned must be dropped
    /// first (it may borrow the buffer), which the borrow checker ensures.
    pub fn shrink_buffer(&mut self, max: usize) {
        if self.kind.is_none() && self.message.capacity() > max {
            self.message = Vec::new();
        }
    }

    /// Decodes from `input` (unmasking in place) until one message is complete.
    ///
    /// Returns how many bytes were used and the message, if one completed. When it returns
    /// `None` all of `input` was used. Call again with the rest of the input after each
    /// message. Any error is final: fail the connection with [`Error::close_code`]; later
    /// calls return the same error.
    pub fn decode<'a>(
        &'a mut self,
        input: &'a mut [u8],
    ) -> Result<(usize, Option<Message<'a>>), Error> {
        let (used, incoming) = self.decode_with_extensions(input)?;
        Ok((
            used,
            incoming.map(|i| match i {
                Incoming::Message(m) => m,
                // Only with `with_per_message_rsv`, whose users call the method below.
                Incoming::Extension { payload, .. } => Message::Binary(payload),
            }),
        ))
    }

    /// Like [`decode`](Self::decode), but a data message whose first frame carries a bit
    /// declared with [`with_per_message_rsv`](Self::with_per_message_rsv) comes back as
    /// [`Incoming::Extension`] with its opcode and bits, its payload not UTF-8 checked.
    pub fn decode_with_extensions<'a>(
        &'a mut self,
        input: &'a mut [u8],
    ) -> Result<(usize, Option<Incoming<'a>>), Error> {
        // The common case, a whole frame, in one step; anything else frame by frame.
        let Some((h, header_len)) = self.whole_frame(input) else {
            return self.decode_frames(input);
        };
        match self.take_whole_frame(&h, header_len, input) {
            Ok((used, incoming)) => Ok((used, Some(incoming))),
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    /// [`decode_with_extensions`](Self::decode_with_extensions) in the general case: the
    /// frame loop, for input in any chunking. Kept out of line, so that the fast path
    /// does not pay for its stack frame.
    #[inline(never)]
    fn decode_frames<'a>(
        &'a mut self,
        input: &'a mut [u8],
    ) -> Result<(usize, Option<Incoming<'a>>), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let total = input.len();
        if self.closed {
            return Ok((total, None));
        }
        let (used, done) = match self.next_message(input) {
            Ok((used, Some(done))) => (used, done),
            Ok((_, None)) => return Ok((total, None)),
            Err(e) => {
                self.failed = Some(e);
                return Err(e);
            }
        };
        let message = match done {
            Done::Extension(kind, data) => {
                return Ok((
                    used,
                    Some(Incoming::Extension {
                        opcode: match kind {
                            Kind::Text => OpCode::Text,
                            Kind::Binary => OpCode::Binary,
                        },
                        rsv: self.message_rsv,
                        payload: data.unwrap_or(&self.message),
                    }),
                ))
            }
            Done::InPlace(message) => message,
            // Validated piece by piece already; this pass only produces the `&str`.
            Done::Buffered(Kind::Text) => match simdutf8::basic::from_utf8(&self.message) {
                Ok(text) => Message::Text(text),
                Err(_) => {
                    self.failed = Some(Error::InvalidUtf8);
                    return Err(Error::InvalidUtf8);
                }
            },
            Done::Buffered(Kind::Binary) => Message::Binary(&self.message),
            Done::ControlBuffered(op) => {
                let data = &self.control[..self.control_len as usize];
                match op {
                    OpCode::Ping => Message::Ping(data),
                    OpCode::Pong => Message::Pong(data),
                    // Checked when the frame ended; parsed again to borrow it from here.
                    _ => match close::parse_payload(data) {
                        Ok(frame) => Message::Close(frame),
                        Err(e) => {
                            self.failed = Some(e);
                            return Err(e);
                        }
                    },
                }
            }
        };
        Ok((used, Some(Incoming::Message(message))))
    }

    /// Runs the frame loop until a message or control frame is complete and checked.
    /// Returns how much of `input` was used; the result borrows only `input`, so that an
    /// error can still be recorded in `self`.
    fn next_message<'b>(
        &mut self,
        input: &'b mut [u8],
    ) -> Result<(usize, Option<Done<'b>>), Error> {
        let total = input.len();
        let mut rest = input;
        loop {
            let (event, tail) = self.frames.decode_split(rest)?;
            rest = tail;
            match event {
                None => return Ok((total, None)),
                Some(FrameEvent::Header(h)) => self.on_header(&h)?,
                Some(FrameEvent::Payload { data, last }) => {
                    if let Some(done) = self.on_payload(data, last)? {
                        return Ok((total - rest.len(), Some(done)));
                    }
                }
            }
        }
    }

    /// The common case, taken in one step: the connection is open, the frame decoder is
    /// between frames, and `input` starts with a whole final frame that breaks no header
    /// rule, either a data frame that is a message by itself or a control frame. Returns its
    /// header and header length.
    ///
    /// Anything else (`None`) takes the general path, the frame decoder's header and payload
    /// events, which checks the same rules and names the one broken. So the fast path fails
    /// only on the payload (UTF-8, close payload), with the error that the general path
    /// gives for the same frame in the same call.
    fn whole_frame(&self, input: &[u8]) -> Option<(FrameHeader, usize)> {
        let (h, header_len) = FrameHeader::decode(input).ok()??;
        let data = matches!(h.opcode, OpCode::Text | OpCode::Binary);
        // Every header rule the general path checks, as a condition to take this path.
        let fine = self.failed.is_none()
            && !self.closed
            && self.frames.is_idle()
            // §5.4: a final frame; a data frame starts a message, and none is in progress.
            && h.fin
            && if data {
                self.kind.is_none()
            } else {
                // §5.2: no reserved opcode; §5.5: control frames carry at most 125 bytes.
                matches!(h.opcode, OpCode::Close | OpCode::Ping | OpCode::Pong)
                    && h.payload_len <= 125
            }
            // §5.2: RSV bits only as an extension defines them (RFC 7692 §6.1: per message,
            // on the first frame of a data message).
            && h.rsv_bits() & !if data { self.per_message_rsv } else { 0 } == 0
            // §5.1: masked toward a server, unmasked toward a client.
            && h.mask.is_some() == self.frames.role().expects_masked_input()
            // The frame and message size limits (1009), and the whole payload is here.
            && h.payload_len <= self.whole_frame_max
            && h.payload_len <= (input.len() - header_len) as u64;
        fine.then_some((h, header_len))
    }

    /// Takes the frame that [`whole_frame`](Self::whole_frame) found: unmasks its payload
    /// in place and checks it as the general path does.
    fn take_whole_frame<'b>(
        &mut self,
        h: &FrameHeader,
        header_len: usize,
        input: &'b mut [u8],
    ) -> Result<(usize, Incoming<'b>), Error> {
        let used = header_len + h.payload_len as usize;
        let payload = &mut input[header_len..used];
        if let Some(key) = h.mask {
            // §5.3: unmasked in place.
            apply_mask(payload, key, 0);
        }
        let payload = &*payload;
        let rsv = h.rsv_bits();
        let message = match h.opcode {
            // Only an extension's per-message bits get here (see `whole_frame`): handed
            // back as sent, for the extension to undo its transform.
            opcode @ (OpCode::Text | OpCode::Binary) if rsv != 0 => {
                self.message_rsv = rsv;
                let incoming = Incoming::Extension {
                    opcode,
                    rsv,
                    payload,
                };
                return Ok((used, incoming));
            }
            // §8.1: text must be valid UTF-8.
            OpCode::Text => {
                Message::Text(simdutf8::basic::from_utf8(payload).map_err(|_| Error::InvalidUtf8)?)
            }
            OpCode::Binary => Message::Binary(payload),
            op => self.control_in_place(op, payload)?,
        };
        Ok((used, Incoming::Message(message)))
    }

    /// A control frame whose payload arrived in one piece, checked, in place.
    fn control_in_place<'b>(&mut self, op: OpCode, data: &'b [u8]) -> Result<Message<'b>, Error> {
        Ok(match op {
            OpCode::Ping => Message::Ping(data),
            OpCode::Pong => Message::Pong(data),
            _ => {
                // §5.5.1: nothing after a close is read.
                self.closed = true;
                Message::Close(close::parse_payload(data)?)
            }
        })
    }

    fn on_header(&mut self, h: &FrameHeader) -> Result<(), Error> {
        self.frame_pos = 0;
        let per_message = h.rsv_bits() & self.per_message_rsv;
        // RFC 7692 §6.1: the "Per-Message Compressed" bit is set on the first frame of a
        // data message only; on a control or continuation frame it fails the connection.
        if per_message != 0 && (h.opcode.is_control() || h.opcode == OpCode::Continuation) {
            return Err(Error::MisplacedPerMessageRsv { bits: per_message });
        }
        if h.opcode.is_control() {
            self.control_len = 0;
            self.current = Current::Control(h.opcode);
            return Ok(());
        }
        let first = match (h.opcode, self.kind) {
            // §5.4: a continuation frame continues a message; there must be one.
            (OpCode::Continuation, None) => return Err(Error::UnexpectedContinuation),
            (OpCode::Continuation, Some(_)) => false,
            // §5.4: fragments of one message are not interleaved with another message.
            (_, Some(_)) => return Err(Error::ExpectedContinuation),
            (op, None) => {
                self.kind = Some(if op == OpCode::Text {
                    Kind::Text
                } else {
                    Kind::Binary
                });
                self.message.clear();
                self.utf8.reset();
                self.message_rsv = per_message;
                true
            }
        };
        let len = self.message.len() as u64 + h.payload_len;
        if len > self.max_message_len {
            return Err(Error::MessageTooLarge {
                len,
                max: self.max_message_len,
            });
        }
        self.current = Current::Data { fin: h.fin, first };
        Ok(())
    }

    fn on_payload<'b>(&mut self, data: &'b [u8], last: bool) -> Result<Option<Done<'b>>, Error> {
        let whole = self.frame_pos == 0 && last;
        self.frame_pos += data.len() as u64;
        match self.current {
            Current::Control(op) => {
                if whole {
                    self.current = Current::None;
                    let message = self.control_in_place(op, data)?;
                    return Ok(Some(Done::InPlace(message)));
                }
                let at = self.control_len as usize;
                self.control[at..at + data.len()].copy_from_slice(data);
                self.control_len += data.len() as u8;
                if !last {
                    return Ok(None);
                }
                self.current = Current::None;
                if op == OpCode::Close {
                    // §5.5.1: nothing after a close is read; its payload is checked now.
                    self.closed = true;
                    close::parse_payload(&self.control[..self.control_len as usize])?;
                }
                Ok(Some(Done::ControlBuffered(op)))
            }
            Current::Data { fin, first } => {
                let kind = self.kind.expect("a data frame belongs to a message");
                if self.message_rsv != 0 {
                    return Ok(self.extension_payload(
                        kind,
                        data,
                        whole && fin && first,
                        last && fin,
                    ));
                }
                if whole && fin && first {
                    // The whole message in one piece: validated and returned in place.
                    self.kind = None;
                    self.current = Current::None;
                    return Ok(Some(Done::InPlace(match kind {
                        // §8.1: text must be valid UTF-8.
                        Kind::Text => Message::Text(
                            simdutf8::basic::from_utf8(data).map_err(|_| Error::InvalidUtf8)?,
                        ),
                        Kind::Binary => Message::Binary(data),
                    })));
                }
                if kind == Kind::Text {
                    // §8.1: fail as soon as the text can no longer be valid.
                    self.utf8.feed(data).map_err(|_| Error::InvalidUtf8)?;
                }
                self.message.extend_from_slice(data);
                if !(last && fin) {
                    return Ok(None);
                }
                if kind == Kind::Text {
                    self.utf8.finish().map_err(|_| Error::InvalidUtf8)?;
                }
                self.kind = None;
                self.current = Current::None;
                Ok(Some(Done::Buffered(kind)))
            }
            Current::None => unreachable!("payload without a header"),
        }
    }
}

impl Decoder {
    /// A payload piece of a message with per-message RSV bits: assembled as is (an
    /// extension transformed it; UTF-8 is checked after the extension undoes that).
    fn extension_payload<'b>(
        &mut self,
        kind: Kind,
        data: &'b [u8],
        whole: bool,
        done: bool,
    ) -> Option<Done<'b>> {
        if whole {
            self.kind = None;
            self.current = Current::None;
            return Some(Done::Extension(kind, Some(data)));
        }
        self.message.extend_from_slice(data);
        if !done {
            return None;
        }
        self.kind = None;
        self.current = Current::None;
        Some(Done::Extension(kind, None))
    }
}

/// Whether `bytes` is valid UTF-8 (re-exported here for callers that only use messages).
pub fn is_valid_text(bytes: &[u8]) -> bool {
    utf8::is_valid(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::encode_with_header;
    use alloc::vec;

    fn frame(opcode: OpCode, rsv1: bool, mask: Option<[u8; 4]>, len: usize) -> Vec<u8> {
        let mut h = FrameHeader::new(opcode, len as u64);
        (h.rsv1, h.mask) = (rsv1, mask);
        let mut wire = Vec::new();
        encode_with_header(&mut wire, &h, &vec![b'a'; len]);
        wire
    }

    /// The frames a server mostly sees take the fast path: it is not only right (the
    /// integration tests in `tests/whole_frames.rs` hold it to the general path) but used.
    #[test]
    fn whole_frames_take_the_fast_path() {
        let key = Some([1, 2, 3, 4]);
        let plain = Decoder::new(Role::Server);
        let deflate = Decoder::with_config(
            Role::Server,
            DecoderConfig {
                allowed_rsv: 0x40,
                ..DecoderConfig::default()
            },
        )
        .with_per_message_rsv(0x40);
        for (dec, op, rsv1, len) in [
            (&plain, OpCode::Text, false, 20),
            (&plain, OpCode::Binary, false, 0),
            (&plain, OpCode::Binary, false, 1024),
            (&plain, OpCode::Binary, false, 70_000),
            (&plain, OpCode::Ping, false, 125),
            (&plain, OpCode::Close, false, 2),
            (&deflate, OpCode::Text, true, 20),
            (&deflate, OpCode::Pong, false, 0),
        ] {
            let wire = frame(op, rsv1, key, len);
            let found = dec.whole_frame(&wire);
            assert_eq!(
                found.map(|(h, n)| (h.opcode, n + h.payload_len as usize)),
                Some((op, wire.len())),
                "{op} {len}"
            );
            // One byte short: not whole, so the general path takes it.
            assert_eq!(dec.whole_frame(&wire[..wire.len() - 1]), None);
        }
    }
}
