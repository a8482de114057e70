//! Writing frames and messages (RFC 6455 §5.2, §5.3, §5.4).
//!
//! The zero-copy way to send is [`FrameHeader::encode`]: a header in a fixed array, written
//! with the payload in one vectored write. The functions here append whole frames to a
//! `Vec<u8>` for callers that batch several frames into one buffer, or that must mask (a
//! client), where the payload is copied anyway.

use alloc::vec::Vec;

use crate::close::{encode_payload, CloseCode};
use crate::header::FrameHeader;
use crate::mask::apply_mask;
use crate::opcode::OpCode;

/// Appends one frame to `out`: the header, then the payload, masked with `mask` if given.
///
/// ```
/// use wsprism::{encoder::encode_frame, OpCode};
/// // RFC 6455 §5.7: unmasked ping "Hello".
/// let mut out = Vec::new();
/// encode_frame(&mut out, OpCode::Ping, true, None, b"Hello");
/// assert_eq!(out, [0x89, 0x05, b'H', b'e', b'l', b'l', b'o']);
/// ```
pub fn encode_frame(
    out: &mut Vec<u8>,
    opcode: OpCode,
    fin: bool,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) {
    let mut header = FrameHeader::new(opcode, payload.len() as u64);
    header.fin = fin;
    header.mask = mask;
    encode_with_header(out, &header, payload);
}

/// Appends a frame with a caller-built header (for RSV bits or unusual frames). The
/// header's `payload_len` must equal `payload.len()`.
pub fn encode_with_header(out: &mut Vec<u8>, header: &FrameHeader, payload: &[u8]) {
    debug_assert_eq!(header.payload_len, payload.len() as u64);
    out.reserve(header.encoded_len() + payload.len());
    out.extend_from_slice(&header.encode());
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(&mut out[start..], key, 0);
    }
}

/// Appends a close frame with `code` and `reason` (cut to fit 125 bytes, §5.5).
///
/// ```
/// use wsprism::{encoder::encode_close, CloseCode};
/// let mut out = Vec::new();
/// encode_close(&mut out, None, CloseCode::NORMAL, "");
/// assert_eq!(out, [0x88, 0x02, 0x03, 0xE8]);
/// ```
pub fn encode_close(out: &mut Vec<u8>, mask: Option<[u8; 4]>, code: CloseCode, reason: &str) {
    encode_frame(
        out,
        OpCode::Close,
        true,
        mask,
        &encode_payload(code, reason),
    );
}

/// Splits a message into frames of at most `fragment_len` payload bytes (§5.4): the first
/// frame carries `opcode`, the rest are continuations, the last has FIN set. An empty
/// payload gives one empty final frame.
///
/// ```
/// use wsprism::{encoder::fragments, OpCode};
/// let frames: Vec<_> = fragments(OpCode::Text, b"Hello", 3).collect();
/// assert_eq!(frames, [(OpCode::Text, false, &b"Hel"[..]), (OpCode::Continuation, true, &b"lo"[..])]);
/// ```
pub fn fragments(
    opcode: OpCode,
    payload: &[u8],
    fragment_len: usize,
) -> impl Iterator<Item = (OpCode, bool, &[u8])> {
    let fragment_len = fragment_len.max(1);
    let count = payload.len().div_ceil(fragment_len).max(1);
    (0..count).map(move |i| {
        let start = i * fragment_len;
        let end = (start + fragment_len).min(payload.len());
        let op = if i == 0 { opcode } else { OpCode::Continuation };
        (op, i + 1 == count, &payload[start..end])
    })
}
