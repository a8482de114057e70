//! The 4-bit frame opcode (RFC 6455 §5.2, registry in §11.8).

use core::fmt;

/// A frame opcode. Reserved values are kept (not rejected here) so that a frame can be
/// shown as it was on the wire; the [`decoder`](crate::decoder) rejects them (§5.2: "If an
/// unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
/// Connection_").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// `0x0`: continues a fragmented message (§5.4).
    Continuation,
    /// `0x1`: first frame of a UTF-8 text message.
    Text,
    /// `0x2`: first frame of a binary message.
    Binary,
    /// `0x3`-`0x7`: reserved for further non-control frames.
    ReservedData(u8),
    /// `0x8`: connection close (§5.5.1).
    Close,
    /// `0x9`: ping (§5.5.2).
    Ping,
    /// `0xA`: pong (§5.5.3).
    Pong,
    /// `0xB`-`0xF`: reserved for further control frames.
    ReservedControl(u8),
}

impl OpCode {
    /// The opcode for the low four bits of `bits` (the high bits are ignored).
    pub const fn from_u4(bits: u8) -> OpCode {
        match bits & 0x0F {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            b @ 0x3..=0x7 => OpCode::ReservedData(b),
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            b => OpCode::ReservedControl(b),
        }
    }

    /// The 4-bit wire value.
    pub const fn as_u4(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::ReservedData(b) | OpCode::ReservedControl(b) => b & 0x0F,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Control frames are those whose opcode has the most significant bit set (§5.5).
    pub const fn is_control(self) -> bool {
        self.as_u4() & 0x8 != 0
    }

    /// Whether the opcode is one of the reserved values (§5.2).
    pub const fn is_reserved(self) -> bool {
        matches!(self, OpCode::ReservedData(_) | OpCode::ReservedControl(_))
    }

    /// A short lowercase name, as used in logs and in the playground.
    pub const fn name(self) -> &'static str {
        match self {
            OpCode::Continuation => "continuation",
            OpCode::Text => "text",
            OpCode::Binary => "binary",
            OpCode::ReservedData(_) => "reserved-data",
            OpCode::Close => "close",
            OpCode::Ping => "ping",
            OpCode::Pong => "pong",
            OpCode::ReservedControl(_) => "reserved-control",
        }
    }
}

impl fmt::Display for OpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:X})", self.name(), self.as_u4())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_round_trips() {
        for b in 0u8..16 {
            let op = OpCode::from_u4(b);
            assert_eq!(op.as_u4(), b);
            assert_eq!(op.is_control(), b >= 8);
            assert_eq!(op.is_reserved(), (3..=7).contains(&b) || b >= 0xB);
        }
    }
}
