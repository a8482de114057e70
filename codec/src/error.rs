//! Every protocol violation the codec detects, each mapped to the close code that RFC 6455
//! asks the receiving endpoint to send (§7.4.1).

use core::fmt;

use crate::close::CloseCode;

/// A protocol violation by the peer. After any of these the connection is to be failed
/// (§7.1.7) with [`Error::close_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// §5.2: an RSV bit is set and no negotiated extension defines it.
    ReservedBitsSet {
        /// The RSV bits of the frame, as in its first byte (`0b0RRR_0000`).
        bits: u8,
    },
    /// §5.2: the opcode is one of the reserved values 0x3-0x7, 0xB-0xF.
    ReservedOpcode(u8),
    /// §5.5: "All control frames ... MUST NOT be fragmented" (FIN clear on a control frame).
    FragmentedControlFrame,
    /// §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    ControlFrameTooLong(u64),
    /// §5.1: a server MUST close the connection upon receiving an unmasked frame.
    UnmaskedFrame,
    /// §5.1: a client MUST close the connection if it detects a masked frame.
    MaskedFrame,
    /// §5.2: the most significant bit of a 64-bit payload length MUST be 0.
    InvalidPayloadLength,
    /// A frame declares a payload larger than the configured frame limit (1009).
    FrameTooLarge {
        /// The declared payload length.
        len: u64,
        /// The configured limit.
        max: u64,
    },
    /// A message grows beyond the configured message limit (1009).
    MessageTooLarge {
        /// The message size the next frame would bring it to.
        len: u64,
        /// The configured limit.
        max: u64,
    },
    /// §5.4: a continuation frame arrived with no fragmented message in progress.
    UnexpectedContinuation,
    /// §5.4: a new text/binary frame arrived before the fragmented message finished.
    ExpectedContinuation,
    /// §8.1: a text message is not valid UTF-8 (1007).
    InvalidUtf8,
    /// §5.5.1: a close payload of exactly one byte (a code needs two).
    CloseTooShort,
    /// §7.4: a close frame carries a code that may not be sent.
    InvalidCloseCode(u16),
    /// §5.5.1: the close reason is not valid UTF-8 (1007).
    InvalidCloseReason,
    /// RFC 7692 §6.1: a per-message extension bit (permessage-deflate's RSV1) on a control
    /// frame or a continuation frame.
    MisplacedPerMessageRsv {
        /// The offending bits (`0b0RRR_0000`).
        bits: u8,
    },
    /// RFC 7692 §7.2.2: a compressed message is not a valid raw DEFLATE stream (1007, as
    /// Node's `ws` sends).
    InvalidCompressedData,
    /// RFC 7692 §7.2.2: a compressed message inflates beyond the configured message limit
    /// (1009). Detected while inflating, before more than the limit is held.
    DecompressedTooLarge {
        /// The configured limit on the decompressed size.
        max: u64,
    },
}

impl Error {
    /// The close code to send when failing the connection for this error.
    ///
    /// ```
    /// use wsprism::{CloseCode, Error};
    /// assert_eq!(Error::InvalidUtf8.close_code(), CloseCode::INVALID_PAYLOAD);
    /// assert_eq!(Error::ReservedOpcode(3).close_code(), CloseCode::PROTOCOL_ERROR);
    /// ```
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Error::InvalidUtf8 | Error::InvalidCloseReason => CloseCode::INVALID_PAYLOAD,
            Error::InvalidCompressedData => CloseCode::INVALID_PAYLOAD,
            Error::FrameTooLarge { .. }
            | Error::MessageTooLarge { .. }
            | Error::DecompressedTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }

    /// The RFC that states the broken rule: 6455, or 7692 for the permessage-deflate errors.
    pub const fn rfc(&self) -> u16 {
        match self {
            Error::InvalidCompressedData
            | Error::DecompressedTooLarge { .. }
            | Error::MisplacedPerMessageRsv { .. } => 7692,
            _ => 6455,
        }
    }

    /// The section (of [`rfc`](Self::rfc), RFC 6455 for all but the permessage-deflate
    /// errors) that states the broken rule.
    pub const fn rfc_section(&self) -> &'static str {
        match self {
            Error::ReservedBitsSet { .. } | Error::ReservedOpcode(_) => "5.2",
            Error::InvalidPayloadLength => "5.2",
            Error::FragmentedControlFrame | Error::ControlFrameTooLong(_) => "5.5",
            Error::UnmaskedFrame | Error::MaskedFrame => "5.1",
            Error::FrameTooLarge { .. } | Error::MessageTooLarge { .. } => "7.4.1",
            Error::UnexpectedContinuation | Error::ExpectedContinuation => "5.4",
            Error::InvalidUtf8 => "8.1",
            Error::CloseTooShort | Error::InvalidCloseReason => "5.5.1",
            Error::InvalidCloseCode(_) => "7.4",
            Error::InvalidCompressedData | Error::DecompressedTooLarge { .. } => "7.2.2",
            Error::MisplacedPerMessageRsv { .. } => "6.1",
        }
    }

    /// A stable, machine-friendly name for the rule (used by the wasm bindings and logs).
    pub const fn kind(&self) -> &'static str {
        match self {
            Error::ReservedBitsSet { .. } => "reserved-bits-set",
            Error::ReservedOpcode(_) => "reserved-opcode",
            Error::FragmentedControlFrame => "fragmented-control-frame",
            Error::ControlFrameTooLong(_) => "control-frame-too-long",
            Error::UnmaskedFrame => "unmasked-frame",
            Error::MaskedFrame => "masked-frame",
            Error::InvalidPayloadLength => "invalid-payload-length",
            Error::FrameTooLarge { .. } => "frame-too-large",
            Error::MessageTooLarge { .. } => "message-too-large",
            Error::UnexpectedContinuation => "unexpected-continuation",
            Error::ExpectedContinuation => "expected-continuation",
            Error::InvalidUtf8 => "invalid-utf8",
            Error::CloseTooShort => "close-too-short",
            Error::InvalidCloseCode(_) => "invalid-close-code",
            Error::InvalidCloseReason => "invalid-close-reason",
            Error::InvalidCompressedData => "invalid-compressed-data",
            Error::DecompressedTooLarge { .. } => "decompressed-too-large",
            Error::MisplacedPerMessageRsv { .. } => "misplaced-per-message-rsv",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ReservedBitsSet { bits } => write!(
                f,
                "RSV bits {:03b} set without a negotiated extension",
                bits >> 4
            ),
            Error::ReservedOpcode(op) => write!(f, "reserved opcode 0x{op:X}"),
            Error::FragmentedControlFrame => f.write_str("control frame with FIN clear"),
            Error::ControlFrameTooLong(n) => {
                write!(f, "control frame payload of {n} bytes (at most 125)")
            }
            Error::UnmaskedFrame => f.write_str("unmasked frame from a client"),
            Error::MaskedFrame => f.write_str("masked frame from a server"),
            Error::InvalidPayloadLength => {
                f.write_str("64-bit payload length with the most significant bit set")
            }
            Error::FrameTooLarge { len, max } => {
                write!(f, "frame payload of {len} bytes exceeds the limit of {max}")
            }
            Error::MessageTooLarge { len, max } => {
                write!(f, "message of {len} bytes exceeds the limit of {max}")
            }
            Error::UnexpectedContinuation => {
                f.write_str("continuation frame without a message to continue")
            }
            Error::ExpectedContinuation => {
                f.write_str("new data frame while a fragmented message is unfinished")
            }
            Error::InvalidUtf8 => f.write_str("text message is not valid UTF-8"),
            Error::CloseTooShort => f.write_str("close payload of one byte"),
            Error::InvalidCloseCode(c) => write!(f, "close code {c} may not be sent"),
            Error::InvalidCloseReason => f.write_str("close reason is not valid UTF-8"),
            Error::InvalidCompressedData => {
                f.write_str("compressed message is not a valid DEFLATE stream")
            }
            Error::MisplacedPerMessageRsv { bits } => write!(
                f,
                "per-message RSV bits {:03b} on a control or continuation frame",
                bits >> 4
            ),
            Error::DecompressedTooLarge { max } => {
                write!(f, "compressed message inflates beyond the limit of {max}")
            }
        }?;
        write!(f, " (RFC {} §{})", self.rfc(), self.rfc_section())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
