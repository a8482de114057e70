//! Frames as bytes, written and read by hand.
//!
//! The suite must be able to send every *invalid* frame too (reserved bits, reserved
//! opcodes, unmasked frames, non-minimal or absurd lengths), so it builds headers itself
//! instead of going through `wsprism::encoder`. It also parses what the server sends by
//! itself and checks every rule a server's frames must follow (RFC 6455 §5.1, §5.2, §5.5),
//! so a bug in the codec cannot cancel out in a self-test.

use std::fmt;

use crate::rng;

/// Opcodes (RFC 6455 §5.2, §11.8).
pub mod op {
    /// Continuation frame.
    pub const CONT: u8 = 0x0;
    /// Text frame.
    pub const TEXT: u8 = 0x1;
    /// Binary frame.
    pub const BINARY: u8 = 0x2;
    /// Connection close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
    /// Pong.
    pub const PONG: u8 = 0xA;

    /// A short name for logs.
    pub fn name(op: u8) -> String {
        match op {
            CONT => "CONT".into(),
            TEXT => "TEXT".into(),
            BINARY => "BINARY".into(),
            CLOSE => "CLOSE".into(),
            PING => "PING".into(),
            PONG => "PONG".into(),
            other => format!("OP{other:X}"),
        }
    }

    /// Whether `op` is a control opcode (§5.5: the high bit of the opcode is set).
    pub const fn is_control(op: u8) -> bool {
        op & 0x8 != 0
    }
}

/// How the masking key of a frame is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// A fresh random key (what a client must do, §5.3).
    Random,
    /// This exact key.
    Key([u8; 4]),
    /// No mask bit at all: a client that breaks §5.1.
    Unmasked,
}

/// How the payload length is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// The minimal encoding (§5.2: "the minimal number of bytes MUST be used").
    Minimal,
    /// Always the 16-bit form (non-minimal for short payloads).
    Bits16,
    /// Always the 64-bit form.
    Bits64,
    /// The header declares this length, whatever the payload really is (the 64-bit form
    /// unless it fits in 7 bits). For frames whose payload is sent later, or never.
    Declared(u64),
}

/// A frame the client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// FIN bit.
    pub fin: bool,
    /// RSV1..RSV3 as a 3-bit number (RSV1 is the high bit, like Autobahn's "RSV = n").
    pub rsv: u8,
    /// The 4-bit opcode.
    pub opcode: u8,
    /// The unmasked payload.
    pub payload: Vec<u8>,
    /// Masking.
    pub mask: Mask,
    /// Length encoding.
    pub length: Length,
}

impl Frame {
    /// A final, masked frame with a minimal length.
    pub fn new(opcode: u8, payload: impl Into<Vec<u8>>) -> Frame {
        Frame {
            fin: true,
            rsv: 0,
            opcode,
            payload: payload.into(),
            mask: Mask::Random,
            length: Length::Minimal,
        }
    }

    /// A text frame.
    pub fn text(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(op::TEXT, payload)
    }

    /// A binary frame.
    pub fn binary(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(op::BINARY, payload)
    }

    /// A continuation frame.
    pub fn cont(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(op::CONT, payload)
    }

    /// A ping.
    pub fn ping(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(op::PING, payload)
    }

    /// A pong.
    pub fn pong(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(op::PONG, payload)
    }

    /// A close frame with a status code and a reason.
    pub fn close(code: u16, reason: &[u8]) -> Frame {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason);
        Frame::new(op::CLOSE, payload)
    }

    /// A close frame with this exact payload (possibly empty or malformed).
    pub fn close_raw(payload: impl Into<Vec<u8>>) -> Frame {
        Frame::new(op::CLOSE, payload)
    }

    /// Sets FIN.
    pub fn fin(mut self, fin: bool) -> Frame {
        self.fin = fin;
        self
    }

    /// Sets the RSV bits (0..=7).
    pub fn rsv(mut self, rsv: u8) -> Frame {
        self.rsv = rsv & 7;
        self
    }

    /// Sets the masking.
    pub fn mask(mut self, mask: Mask) -> Frame {
        self.mask = mask;
        self
    }

    /// Sets the length encoding.
    pub fn length(mut self, length: Length) -> Frame {
        self.length = length;
        self
    }

    /// The header length this frame will have on the wire.
    pub fn header_len(&self) -> usize {
        let ext = match self.length {
            Length::Minimal => match self.payload.len() {
                0..=125 => 0,
                126..=65535 => 2,
                _ => 8,
            },
            Length::Bits16 => 2,
            Length::Bits64 => 8,
            Length::Declared(n) if n <= 125 => 0,
            Length::Declared(_) => 8,
        };
        let mask = if self.mask == Mask::Unmasked { 0 } else { 4 };
        2 + ext + mask
    }

    /// The frame on the wire: header, then the payload masked with the frame's key.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.header_len() + self.payload.len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the frame's bytes to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let key = match self.mask {
            Mask::Random => Some(rng::key()),
            Mask::Key(k) => Some(k),
            Mask::Unmasked => None,
        };
        out.push((self.fin as u8) << 7 | (self.rsv & 7) << 4 | (self.opcode & 0xF));
        let mask_bit = if key.is_some() { 0x80 } else { 0 };
        let len = self.payload.len() as u64;
        match self.length {
            Length::Minimal if len <= 125 => out.push(mask_bit | len as u8),
            Length::Minimal if len <= 0xFFFF => push_len16(out, mask_bit, len as u16),
            Length::Minimal => push_len64(out, mask_bit, len),
            Length::Bits16 => push_len16(out, mask_bit, len as u16),
            Length::Bits64 => push_len64(out, mask_bit, len),
            Length::Declared(n) if n <= 125 => out.push(mask_bit | n as u8),
            Length::Declared(n) => push_len64(out, mask_bit, n),
        }
        let start = match key {
            Some(k) => {
                out.extend_from_slice(&k);
                out.len()
            }
            None => out.len(),
        };
        out.extend_from_slice(&self.payload);
        if let Some(k) = key {
            mask_in_place(&mut out[start..], k);
        }
    }
}

fn push_len16(out: &mut Vec<u8>, mask_bit: u8, len: u16) {
    out.push(mask_bit | 126);
    out.extend_from_slice(&len.to_be_bytes());
}

fn push_len64(out: &mut Vec<u8>, mask_bit: u8, len: u64) {
    out.push(mask_bit | 127);
    out.extend_from_slice(&len.to_be_bytes());
}

/// XORs `buf` with `key` (§5.3), eight bytes at a time so that multi-megabyte payloads stay
/// cheap even in a debug build of the suite.
pub fn mask_in_place(buf: &mut [u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let v = u64::from_ne_bytes(chunk.try_into().expect("8 bytes")) ^ word;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

/// All `frames` encoded back to back (one write on the wire).
pub fn encode_all(frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        f.encode_into(&mut out);
    }
    out
}

/// A frame as the server sent it.
#[derive(Clone, PartialEq, Eq)]
pub struct Incoming {
    /// FIN bit.
    pub fin: bool,
    /// RSV bits (3-bit number).
    pub rsv: u8,
    /// Opcode.
    pub opcode: u8,
    /// The masking key, if the server (wrongly) masked the frame.
    pub mask: Option<[u8; 4]>,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
    /// Whether the length used the minimal encoding.
    pub minimal_length: bool,
}

impl Incoming {
    /// The status code of a close frame, if its payload has one.
    pub fn close_code(&self) -> Option<u16> {
        (self.payload.len() >= 2).then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }

    /// Every rule of RFC 6455 that a server's frame breaks, for a client that negotiated no
    /// extension. `None` if it breaks none.
    pub fn violation(&self) -> Option<String> {
        if self.mask.is_some() {
            return Some("masked frame from the server (§5.1: a server MUST NOT mask)".into());
        }
        if self.rsv != 0 {
            return Some(format!(
                "RSV bits {:03b} set with no extension (§5.2)",
                self.rsv
            ));
        }
        if matches!(self.opcode, 3..=7 | 0xB..=0xF) {
            return Some(format!("reserved opcode 0x{:X} (§5.2)", self.opcode));
        }
        if op::is_control(self.opcode) && !self.fin {
            return Some("fragmented control frame (§5.5)".into());
        }
        if op::is_control(self.opcode) && self.payload.len() > 125 {
            return Some(format!(
                "control frame with {} bytes of payload (§5.5: at most 125)",
                self.payload.len()
            ));
        }
        if !self.minimal_length {
            return Some("payload length not in its minimal encoding (§5.2)".into());
        }
        if self.opcode == op::CLOSE {
            return close_payload_violation(&self.payload);
        }
        None
    }
}

/// What is wrong with a close payload the server sent, if anything (§5.5.1, §7.4).
pub fn close_payload_violation(payload: &[u8]) -> Option<String> {
    match payload.len() {
        0 => None,
        1 => Some("close payload of one byte (§5.5.1)".into()),
        _ => {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                return Some(format!("close code {code} may not be sent (§7.4)"));
            }
            if std::str::from_utf8(&payload[2..]).is_err() {
                return Some("close reason is not UTF-8 (§5.5.1)".into());
            }
            None
        }
    }
}

impl fmt::Debug for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            describe(self.fin, self.rsv, self.opcode, &self.payload)
        )?;
        if self.mask.is_some() {
            f.write_str(" MASKED")?;
        }
        Ok(())
    }
}

/// A one-line description of a frame for transcripts.
pub fn describe(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> String {
    let mut s = op::name(opcode);
    if !fin {
        s.push_str(" fin=0");
    }
    if rsv != 0 {
        s.push_str(&format!(" rsv={rsv}"));
    }
    if opcode == op::CLOSE && payload.len() >= 2 {
        let code = u16::from_be_bytes([payload[0], payload[1]]);
        s.push_str(&format!(
            " code={code} reason={:?}",
            String::from_utf8_lossy(&payload[2..])
        ));
        return s;
    }
    s.push_str(&format!(" len={} {}", payload.len(), preview(payload)));
    s
}

/// The first bytes of a payload, as hex.
pub fn preview(payload: &[u8]) -> String {
    const SHOW: usize = 24;
    let mut s = String::from("[");
    for (i, b) in payload.iter().take(SHOW).enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    if payload.len() > SHOW {
        s.push_str(" ..");
    }
    s.push(']');
    s
}

/// Largest frame the suite accepts from the server: the echo of the largest message the
/// suite sends, with room to spare. A bigger declaration is reported, not allocated.
pub const MAX_INCOMING: u64 = 64 << 20;

/// Parses one frame from the front of `buf`: `Ok(None)` if more bytes are needed,
/// otherwise the frame and how many bytes it took.
pub fn parse(buf: &[u8]) -> Result<Option<(Incoming, usize)>, String> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    let masked = b1 & 0x80 != 0;
    let (len, ext, minimal) = match b1 & 0x7F {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            let n = u64::from(u16::from_be_bytes([buf[2], buf[3]]));
            (n, 2, n > 125)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let n = u64::from_be_bytes(buf[2..10].try_into().expect("8 bytes"));
            if n >> 63 != 0 {
                return Err("64-bit length with its most significant bit set (§5.2)".into());
            }
            (n, 8, n > 0xFFFF)
        }
        n => (u64::from(n), 0, true),
    };
    if len > MAX_INCOMING {
        return Err(format!("server frame declares {len} bytes of payload"));
    }
    let head = 2 + ext + if masked { 4 } else { 0 };
    let total = head + len as usize;
    if buf.len() < total {
        return Ok(None);
    }
    let mask = masked.then(|| buf[head - 4..head].try_into().expect("4 bytes"));
    let mut payload = buf[head..total].to_vec();
    if let Some(k) = mask {
        mask_in_place(&mut payload, k);
    }
    let frame = Incoming {
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 7,
        opcode: b0 & 0xF,
        mask,
        payload,
        minimal_length: minimal,
    };
    Ok(Some((frame, total)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsprism::{FrameDecoder, FrameEvent, OpCode, Role};

    /// Our hand-written frames are what the codec (a second implementation) reads.
    #[test]
    fn hand_built_frames_decode_with_the_codec() {
        for len in [0usize, 1, 125, 126, 127, 65535, 65536, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let frame = Frame::binary(payload.clone()).fin(false);
            let mut wire = frame.encode();
            assert_eq!(wire.len(), frame.header_len() + len);
            let mut dec = FrameDecoder::new(Role::Server);
            let (used, ev) = dec.decode(&mut wire).unwrap();
            let Some(FrameEvent::Header(h)) = ev else {
                panic!("no header for {len}")
            };
            assert_eq!(
                (h.opcode, h.fin, h.payload_len),
                (OpCode::Binary, false, len as u64)
            );
            let (_, ev) = dec.decode(&mut wire[used..]).unwrap();
            let Some(FrameEvent::Payload { data, last }) = ev else {
                panic!("no payload for {len}")
            };
            assert!(last);
            assert_eq!(data, &payload[..]);
        }
    }

    #[test]
    fn parse_reads_server_frames_and_flags_violations() {
        let mut wire = Vec::new();
        wsprism::encoder::encode_frame(&mut wire, OpCode::Text, true, None, b"Hello");
        let (f, n) = parse(&wire).unwrap().unwrap();
        assert_eq!(
            (f.opcode, f.fin, &f.payload[..], n),
            (op::TEXT, true, &b"Hello"[..], 7)
        );
        assert_eq!(f.violation(), None);
        for cut in 0..wire.len() {
            assert_eq!(parse(&wire[..cut]).unwrap(), None);
        }
        let masked = Frame::text("Hello").encode();
        let (f, _) = parse(&masked).unwrap().unwrap();
        assert_eq!(f.payload, b"Hello");
        assert!(f.violation().unwrap().contains("masked"));
        let long16 = Frame::text("Hi")
            .mask(Mask::Unmasked)
            .length(Length::Bits16)
            .encode();
        let (f, _) = parse(&long16).unwrap().unwrap();
        assert!(f.violation().unwrap().contains("minimal"));
        let bad_close = Frame::close(1005, b"").mask(Mask::Unmasked).encode();
        let (f, _) = parse(&bad_close).unwrap().unwrap();
        assert!(f.violation().unwrap().contains("1005"));
        assert!(parse(&[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn masking_matches_the_rfc_example() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let f = Frame::text("Hello").mask(Mask::Key([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(
            f.encode(),
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
        let mut long = vec![0u8; 13];
        mask_in_place(&mut long, [1, 2, 3, 4]);
        assert_eq!(long, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1]);
    }
}
