//! The incremental frame decoder: bytes in any chunking, frame events out.
//!
//! [`FrameDecoder`] is a small state machine. It buffers at most a header (14 bytes) and
//! never allocates: payload bytes are unmasked in place in the caller's buffer and handed
//! back as slices of it. It enforces every rule that can be checked from one frame's header
//! (RFC 6455 §5.1 masking by role, §5.2 reserved bits and opcodes and the 64-bit length,
//! §5.5 control frame rules) and the configured frame size limit, all before a single byte
//! of the payload is read. Rules that span frames (fragmentation, UTF-8, close payloads)
//! belong to the [`message`](crate::message) layer.

use crate::error::Error;
use crate::header::{header_len_from_second_byte, FrameHeader, MAX_HEADER_LEN, MAX_PAYLOAD_LEN};
use crate::mask::apply_mask;
use crate::Role;

/// What the decoder found in the bytes it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameEvent<'a> {
    /// A complete, valid header. Its payload follows as one or more [`FrameEvent::Payload`]s.
    Header(FrameHeader),
    /// A piece of the current frame's payload, already unmasked. `last` marks the piece that
    /// ends the frame; a zero-length frame gets exactly one empty piece with `last` set.
    Payload {
        /// Unmasked payload bytes (a slice of the caller's input).
        data: &'a [u8],
        /// Whether this piece completes the frame.
        last: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a header; `have` bytes of it sit in `header_buf`.
    Header { have: u8 },
    /// Inside a payload with `remaining` bytes to go; `pos` bytes of it were seen.
    Payload { remaining: u64, pos: u64 },
}

/// Decodes frames incrementally for one [`Role`].
///
/// ```
/// use wsprism::{FrameDecoder, FrameEvent, OpCode, Role};
/// // RFC 6455 §5.7: a masked "Hello" from a client.
/// let mut wire = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
/// let mut dec = FrameDecoder::new(Role::Server);
/// let (used, ev) = dec.decode(&mut wire).unwrap();
/// assert!(matches!(ev, Some(FrameEvent::Header(h)) if h.opcode == OpCode::Text));
/// let (_, ev) = dec.decode(&mut wire[used..]).unwrap();
/// assert_eq!(ev, Some(FrameEvent::Payload { data: b"Hello", last: true }));
/// ```
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    role: Role,
    max_frame_len: u64,
    allowed_rsv: u8,
    state: State,
    header_buf: [u8; MAX_HEADER_LEN],
    mask: Option<[u8; 4]>,
}

impl FrameDecoder {
    /// A decoder for `role` with no frame size limit and no extension bits.
    pub const fn new(role: Role) -> Self {
        FrameDecoder {
            role,
            max_frame_len: MAX_PAYLOAD_LEN,
            allowed_rsv: 0,
            state: State::Header { have: 0 },
            header_buf: [0; MAX_HEADER_LEN],
            mask: None,
        }
    }

    /// Sets the largest payload a single frame may declare. A larger declaration fails with
    /// [`Error::FrameTooLarge`] (close code 1009) as soon as the header is complete.
    pub const fn with_max_frame_len(mut self, max: u64) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Sets which RSV bits (`0b0RRR_0000`, as in the first header byte) a negotiated
    /// extension defines. All others must be 0 (§5.2).
    pub const fn with_allowed_rsv(mut self, bits: u8) -> Self {
        self.allowed_rsv = bits & 0x70;
        self
    }

    /// The role this decoder was made for.
    pub const fn role(&self) -> Role {
        self.role
    }

    /// Whether the decoder sits between frames (no partial header or payload pending).
    pub const fn is_idle(&self) -> bool {
        matches!(self.state, State::Header { have: 0 })
    }

    /// Decodes from `input`, unmasking payload bytes in place.
    ///
    /// Returns how many bytes of `input` were used and at most one event. `(n, None)` means
    /// all of `input` was used (a partial header is kept inside the decoder) and more bytes
    /// are needed. Call in a loop, advancing the input, until it returns `None`.
    pub fn decode<'a>(
        &mut self,
        input: &'a mut [u8],
    ) -> Result<(usize, Option<FrameEvent<'a>>), Error> {
        let total = input.len();
        let (ev, rest) = self.decode_split(input)?;
        Ok((total - rest.len(), ev))
    }

    /// Like [`decode`](Self::decode), but hands back the unused rest of the input instead of
    /// a count, so that the event and the rest can be held at the same time.
    pub fn decode_split<'a>(
        &mut self,
        input: &'a mut [u8],
    ) -> Result<(Option<FrameEvent<'a>>, &'a mut [u8]), Error> {
        match self.state {
            State::Header { have } => self.decode_header(input, have as usize),
            State::Payload { remaining, pos } => {
                let n = remaining.min(input.len() as u64) as usize;
                if n == 0 && remaining != 0 {
                    return Ok((None, input));
                }
                let (data, rest) = input.split_at_mut(n);
                if let Some(key) = self.mask {
                    // §5.3: the payload is XORed with the key from the frame's first byte.
                    apply_mask(data, key, (pos & 3) as usize);
                }
                let remaining = remaining - n as u64;
                self.state = if remaining == 0 {
                    State::Header { have: 0 }
                } else {
                    State::Payload {
                        remaining,
                        pos: pos + n as u64,
                    }
                };
                let last = remaining == 0;
                Ok((Some(FrameEvent::Payload { data, last }), rest))
            }
        }
    }

    fn decode_header<'a>(
        &mut self,
        input: &'a mut [u8],
        have: usize,
    ) -> Result<(Option<FrameEvent<'a>>, &'a mut [u8]), Error> {
        // Fast path: the whole header is in `input`, nothing buffered.
        if have == 0 {
            if let Some((header, used)) = FrameHeader::decode(input)? {
                self.start_frame(header)?;
                let (_, rest) = input.split_at_mut(used);
                return Ok((Some(FrameEvent::Header(header)), rest));
            }
        }
        // Slow path: collect the header byte by byte across calls.
        let mut have = have;
        let mut taken = 0;
        loop {
            let need = if have < 2 {
                2
            } else {
                header_len_from_second_byte(self.header_buf[1])
            };
            if have == need {
                break;
            }
            if taken == input.len() {
                self.state = State::Header { have: have as u8 };
                let (_, rest) = input.split_at_mut(taken);
                return Ok((None, rest));
            }
            let n = (need - have).min(input.len() - taken);
            self.header_buf[have..have + n].copy_from_slice(&input[taken..taken + n]);
            have += n;
            taken += n;
        }
        let (header, _) = FrameHeader::decode(&self.header_buf[..have])?
            .expect("a complete header was collected");
        self.start_frame(header)?;
        let (_, rest) = input.split_at_mut(taken);
        Ok((Some(FrameEvent::Header(header)), rest))
    }

    /// Checks the rules a single header can break, then moves into its payload.
    fn start_frame(&mut self, h: FrameHeader) -> Result<(), Error> {
        // §5.2: reserved opcodes MUST fail the connection.
        if h.opcode.is_reserved() {
            return Err(Error::ReservedOpcode(h.opcode.as_u4()));
        }
        // §5.2: "MUST be 0 unless an extension is negotiated that defines meanings".
        let rsv = h.rsv_bits() & !self.allowed_rsv;
        if rsv != 0 {
            return Err(Error::ReservedBitsSet { bits: rsv });
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
        // §5.1: clients mask, servers do not; each side fails the other's violation.
        match (self.role.expects_masked_input(), h.mask.is_some()) {
            (true, false) => return Err(Error::UnmaskedFrame),
            (false, true) => return Err(Error::MaskedFrame),
            _ => {}
        }
        if h.payload_len > self.max_frame_len {
            return Err(Error::FrameTooLarge {
                len: h.payload_len,
                max: self.max_frame_len,
            });
        }
        self.mask = h.mask;
        self.state = State::Payload {
            remaining: h.payload_len,
            pos: 0,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opcode::OpCode;

    fn first_error(role: Role, bytes: &[u8]) -> Option<Error> {
        let mut buf = bytes.to_vec();
        let mut dec = FrameDecoder::new(role).with_max_frame_len(1000);
        let mut at = 0;
        loop {
            match dec.decode(&mut buf[at..]) {
                Err(e) => return Some(e),
                Ok((_, None)) => return None,
                Ok((n, Some(_))) => at += n,
            }
        }
    }

    #[test]
    fn header_rules_map_to_named_errors() {
        let c = Role::Client; // expects unmasked frames
        assert_eq!(
            first_error(c, &[0x83, 0x00]),
            Some(Error::ReservedOpcode(3))
        );
        assert_eq!(
            first_error(c, &[0x8B, 0x00]),
            Some(Error::ReservedOpcode(0xB))
        );
        assert_eq!(
            first_error(c, &[0xC1, 0x00]),
            Some(Error::ReservedBitsSet { bits: 0x40 })
        );
        assert_eq!(
            first_error(c, &[0x09, 0x00]),
            Some(Error::FragmentedControlFrame)
        );
        assert_eq!(
            first_error(c, &[0x89, 0x7E, 0x00, 0x7E]),
            Some(Error::ControlFrameTooLong(126))
        );
        assert_eq!(
            first_error(c, &[0x82, 0x80, 1, 2, 3, 4]),
            Some(Error::MaskedFrame)
        );
        assert_eq!(
            first_error(Role::Server, &[0x82, 0x00]),
            Some(Error::UnmaskedFrame)
        );
        assert_eq!(
            first_error(c, &[0x82, 0x7E, 0x03, 0xE9]),
            Some(Error::FrameTooLarge {
                len: 1001,
                max: 1000
            })
        );
        assert_eq!(first_error(c, &[0x82, 0x7E, 0x03, 0xE8]), None);
    }

    #[test]
    fn huge_declared_length_fails_before_any_payload() {
        // 2^62 bytes declared, masked, and nothing after it.
        let mut h = FrameHeader::new(OpCode::Binary, 1 << 62);
        h.mask = Some([0; 4]);
        let mut dec = FrameDecoder::new(Role::Server).with_max_frame_len(16 << 20);
        let mut buf = h.encode().as_bytes().to_vec();
        assert_eq!(buf.len(), 14);
        let err = dec.decode(&mut buf).unwrap_err();
        assert_eq!(err.close_code().0, 1009);
    }

    #[test]
    fn allowed_rsv_bits_pass() {
        let mut dec = FrameDecoder::new(Role::Client).with_allowed_rsv(0x40);
        let mut buf = [0xC1, 0x00];
        assert!(matches!(dec.decode(&mut buf), Ok((2, Some(FrameEvent::Header(h)))) if h.rsv1));
        let mut buf = [0xA1, 0x00];
        let mut dec = FrameDecoder::new(Role::Client).with_allowed_rsv(0x40);
        assert_eq!(
            dec.decode(&mut buf),
            Err(Error::ReservedBitsSet { bits: 0x20 })
        );
    }

    #[test]
    fn zero_length_frame_yields_one_empty_last_piece() {
        let mut buf = [0x8A, 0x00];
        let mut dec = FrameDecoder::new(Role::Client);
        let (n, ev) = dec.decode(&mut buf).unwrap();
        assert_eq!(n, 2);
        assert!(matches!(ev, Some(FrameEvent::Header(_))));
        let (n, ev) = dec.decode(&mut []).unwrap();
        assert_eq!(
            (n, ev),
            (
                0,
                Some(FrameEvent::Payload {
                    data: &[],
                    last: true
                })
            )
        );
        assert_eq!(dec.decode(&mut []).unwrap(), (0, None));
        assert!(dec.is_idle());
    }
}
