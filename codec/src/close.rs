//! Close codes and close frame payloads (RFC 6455 §5.5.1, §7.4).

use core::fmt;

use crate::error::Error;
use crate::utf8;

/// A close status code (§7.4). A plain `u16` newtype: any value can be represented, and
/// [`CloseCode::is_valid_on_wire`] says whether a peer may send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no status code was present. Reserved: never sent on the wire.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: closed abnormally, without a close frame. Reserved: never sent on the wire.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: data inconsistent with the message type (e.g. invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violates the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: bad gateway (IANA registry).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: TLS handshake failure. Reserved: never sent on the wire.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether a peer may put this code in a close frame (§7.4.1, §7.4.2).
    ///
    /// - 0-999: not used (§7.4.2) → invalid.
    /// - 1000-1003, 1007-1011: defined by RFC 6455 → valid.
    /// - 1004 (reserved), 1005, 1006, 1015 ("MUST NOT be set as a status code in a Close
    ///   control frame") → invalid.
    /// - 1012-1014: not in RFC 6455 itself, but registered with IANA since (service restart,
    ///   try again later, bad gateway) under the §11.7 registry the RFC set up, and sent by
    ///   real servers. The range 1000-2999 is "reserved for definition by this protocol, its
    ///   future revisions, and extensions", and these are such definitions, so they are
    ///   accepted, as browsers, `ws` and tungstenite accept them.
    /// - 1016-2999: reserved and unassigned → invalid (a future registration would extend
    ///   the list above).
    /// - 3000-4999: for libraries, frameworks and applications → valid.
    /// - 5000 and above: outside every range the RFC defines → invalid.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// The registered name of the code, if it has one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1000 => "Normal Closure",
            1001 => "Going Away",
            1002 => "Protocol Error",
            1003 => "Unsupported Data",
            1004 => "Reserved",
            1005 => "No Status Received",
            1006 => "Abnormal Closure",
            1007 => "Invalid Frame Payload Data",
            1008 => "Policy Violation",
            1009 => "Message Too Big",
            1010 => "Mandatory Extension",
            1011 => "Internal Error",
            1012 => "Service Restart",
            1013 => "Try Again Later",
            1014 => "Bad Gateway",
            1015 => "TLS Handshake",
            _ => return None,
        })
    }
}

impl From<u16> for CloseCode {
    fn from(v: u16) -> Self {
        CloseCode(v)
    }
}

impl From<CloseCode> for u16 {
    fn from(c: CloseCode) -> u16 {
        c.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{} ({n})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The body of a close frame that carries a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code.
    pub code: CloseCode,
    /// The UTF-8 reason, possibly empty.
    pub reason: &'a str,
}

/// The longest reason that fits a control frame: 125 bytes minus the 2-byte code (§5.5).
pub const MAX_REASON_LEN: usize = 123;

/// Parses a close frame payload (§5.5.1).
///
/// An empty payload is a close without a status (`Ok(None)`). Otherwise the first two bytes
/// are a valid code (§7.4) and the rest is UTF-8 (§5.5.1: "the body ... MUST be valid UTF-8";
/// failing that is 1007, §8.1).
///
/// ```
/// use wsprism::close::{parse_payload, CloseCode};
/// let frame = parse_payload(&[0x03, 0xE8, b'b', b'y', b'e']).unwrap().unwrap();
/// assert_eq!((frame.code, frame.reason), (CloseCode::NORMAL, "bye"));
/// assert_eq!(parse_payload(&[]).unwrap(), None);
/// assert!(parse_payload(&[0x03]).is_err());          // one byte: 1002
/// assert!(parse_payload(&[0x03, 0xED]).is_err());    // 1005 is never sent: 1002
/// ```
pub fn parse_payload(payload: &[u8]) -> Result<Option<CloseFrame<'_>>, Error> {
    match payload.len() {
        0 => Ok(None),
        1 => Err(Error::CloseTooShort),
        _ => {
            let code = CloseCode(u16::from_be_bytes([payload[0], payload[1]]));
            if !code.is_valid_on_wire() {
                return Err(Error::InvalidCloseCode(code.0));
            }
            let reason =
                core::str::from_utf8(&payload[2..]).map_err(|_| Error::InvalidCloseReason)?;
            Ok(Some(CloseFrame { code, reason }))
        }
    }
}

/// A close payload ready to send: at most 125 bytes in a fixed array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosePayload {
    buf: [u8; 125],
    len: u8,
}

impl ClosePayload {
    /// The payload bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl core::ops::Deref for ClosePayload {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Builds a close payload: the code, big-endian, then the reason cut to at most
/// [`MAX_REASON_LEN`] bytes on a character boundary (so it stays valid UTF-8).
///
/// ```
/// use wsprism::close::{encode_payload, CloseCode};
/// assert_eq!(&*encode_payload(CloseCode::GOING_AWAY, "bye"), &[0x03, 0xE9, b'b', b'y', b'e']);
/// let long = "é".repeat(100);
/// assert_eq!(encode_payload(CloseCode::NORMAL, &long).len(), 2 + 122);
/// ```
pub fn encode_payload(code: CloseCode, reason: &str) -> ClosePayload {
    let mut cut = reason.len().min(MAX_REASON_LEN);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut buf = [0u8; 125];
    buf[..2].copy_from_slice(&code.0.to_be_bytes());
    buf[2..2 + cut].copy_from_slice(&reason.as_bytes()[..cut]);
    debug_assert!(utf8::is_valid(&buf[2..2 + cut]));
    ClosePayload {
        buf,
        len: (2 + cut) as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_of_every_code() {
        for c in 0u16..=u16::MAX {
            let expected = matches!(c, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode(c).is_valid_on_wire(), expected, "{c}");
        }
    }

    #[test]
    fn payload_errors_have_their_close_codes() {
        assert_eq!(
            parse_payload(&[3]).unwrap_err().close_code(),
            CloseCode::PROTOCOL_ERROR
        );
        assert_eq!(
            parse_payload(&[0, 0]).unwrap_err(),
            Error::InvalidCloseCode(0)
        );
        assert_eq!(
            parse_payload(&[0x03, 0xE8, 0xFF]).unwrap_err().close_code(),
            CloseCode::INVALID_PAYLOAD
        );
        assert_eq!(
            parse_payload(&[0x0F, 0xA0]).unwrap().unwrap().code,
            CloseCode(4000)
        );
    }
}
