//! RFC 7692 permessage-deflate: negotiation, per-message compression, bounded inflation.
//!
//! Three separate pieces, none of which touches I/O:
//! - **negotiation**: [`parse_offers`] reads a `Sec-WebSocket-Extensions` header (RFC 6455
//!   §9.1 grammar, RFC 7692 §5, §7.1), [`ServerConfig::accept`] picks the first acceptable
//!   permessage-deflate offer and [`Agreed::response_header`] writes the answer;
//!   [`ClientOffer`] builds a client's offer and checks the server's response;
//! - **compression**: [`Deflater::compress`] (RFC 7692 §7.2.1);
//! - **decompression**: [`Inflater::decompress`] (§7.2.2), which stops with
//!   [`Error::DecompressedTooLarge`] (close code 1009) as soon as the output passes the
//!   limit, so a "zip bomb" never costs more than the limit plus one byte of output buffer
//!   (plus the inflater's fixed state, about 42 KiB).
//!
//! # With the message layer
//!
//! RFC 7692 §6 gives RSV1 the meaning "Per-Message Compressed", set on the first frame of a
//! compressed data message only. After agreeing on permessage-deflate, a receiver builds its
//! decoder with `Decoder::with_config(role, config).with_per_message_rsv(RSV1)` (this sets
//! RSV1 as allowed, as `allowed_rsv: 0x40` would, and adds the per-message rules) and reads
//! with [`Decoder::decode_with_extensions`](crate::Decoder::decode_with_extensions):
//! - a message whose first frame has RSV1 comes back as
//!   [`Incoming::Extension`](crate::message::Incoming::Extension) with its opcode and its
//!   assembled, *unchecked* payload: pass it to [`Inflater::decompress`] (with the message
//!   limit as `max`), then check UTF-8 (RFC 6455 §8.1) if the opcode is text;
//! - a message without RSV1 comes back as an ordinary, fully checked message;
//! - RSV1 on a continuation or control frame fails with
//!   [`Error::MisplacedPerMessageRsv`] (1002, RFC 7692 §6.1).
//!
//! The decoder's `max_message_len` bounds the compressed size; `max` in
//! [`Inflater::decompress`] bounds what it inflates to.
//!
//! A sender compresses the whole message payload with [`Deflater::compress`], sets RSV1 on
//! the first frame (and only there), and fragments the result as usual.
//!
//! # Window sizes
//!
//! `miniz_oxide` always inflates with a 32 KiB window, so any `client_max_window_bits` the
//! peer's compressor uses (8..=15) is decoded correctly. Its compressor, however, always
//! searches a 32 KiB window and cannot be told to stay within a smaller one. So when a
//! window below 15 bits is agreed for our side (`server_max_window_bits` for a server,
//! `client_max_window_bits` for a client), our [`Deflater`] switches to the Huffman-only
//! strategy: it emits no back-references at all, which every window size can decode, at
//! some cost in ratio. A client still never offers `client_max_window_bits` (its inflater
//! needs no limit), so the server has nothing to impose.
//!
//! One `miniz_oxide` behaviour to know: a back-reference to before the start of the data
//! it has seen (a peer bug, e.g. a compressor that kept its context after agreeing to
//! `no_context_takeover`) is filled with zeros rather than reported. That costs no memory
//! or safety, only the integrity of that peer's message.
//!
//! ```
//! use wsprism::deflate::{Deflater, Inflater, ServerConfig};
//!
//! // A browser's offer, accepted with the default configuration.
//! let agreed = ServerConfig::default()
//!     .accept("permessage-deflate; client_max_window_bits")
//!     .unwrap()
//!     .expect("acceptable");
//! assert_eq!(agreed.response_header(), "permessage-deflate");
//!
//! let (mut tx, mut rx) = (agreed.server_deflater(), agreed.client_inflater());
//! let mut wire = Vec::new();
//! tx.compress(b"Hello", &mut wire).unwrap();
//! assert_eq!(wire, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]); // RFC 7692 §7.2.3.1
//! let mut text = Vec::new();
//! rx.decompress(&wire, &mut text, 1 << 20).unwrap();
//! assert_eq!(text, b"Hello");
//! ```

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use miniz_oxide::deflate::core::{
    compress_to_output, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use miniz_oxide::inflate::stream::InflateState;
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

use crate::error::Error;

/// The extension token (RFC 7692 §7).
pub const EXTENSION_NAME: &str = "permessage-deflate";
/// The "Per-Message Compressed" bit (RSV1, RFC 7692 §6), as in a frame's first byte.
pub const RSV1: u8 = 0x40;
/// The tail of a sync flush, removed by the sender and put back by the receiver (§7.2.1).
pub const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// Output grows by at most this much per inflate step: the bound on overshoot past a limit.
pub const INFLATE_STEP: usize = 16 * 1024;

// ---------------------------------------------------------------------------------------
// Header parsing (RFC 6455 §9.1 grammar)
// ---------------------------------------------------------------------------------------

/// A `Sec-WebSocket-Extensions` value that does not follow the RFC 6455 §9.1 grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// An extension name or parameter name is missing or not a token.
    ExpectedToken {
        /// Byte offset in the header value.
        at: usize,
    },
    /// A parameter value is neither a token nor a quoted string holding a token.
    BadValue {
        /// Byte offset in the header value.
        at: usize,
    },
    /// Something other than `;`, `,` or the end follows an element.
    UnexpectedChar {
        /// Byte offset in the header value.
        at: usize,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::ExpectedToken { at } => write!(f, "expected a token at byte {at}"),
            HeaderError::BadValue { at } => write!(f, "bad parameter value at byte {at}"),
            HeaderError::UnexpectedChar { at } => write!(f, "unexpected character at byte {at}"),
        }?;
        f.write_str(" of Sec-WebSocket-Extensions (RFC 6455 §9.1)")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HeaderError {}

/// One extension of a `Sec-WebSocket-Extensions` list, with its parameters in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension<'a> {
    /// The extension token, as written.
    pub name: &'a str,
    /// `(name, value)` pairs; a quoted value is unquoted and unescaped.
    pub params: Vec<(&'a str, Option<Cow<'a, str>>)>,
}

/// RFC 7230 `tchar`: the characters of a token.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn skip_ows(&mut self) {
        while matches!(self.s.as_bytes().get(self.pos), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.s[start..self.pos])
    }

    /// A quoted-string (the opening quote already seen is at `pos`), unescaped.
    fn quoted(&mut self) -> Option<Cow<'a, str>> {
        let start = self.pos + 1;
        let bytes = self.s.as_bytes();
        let mut i = start;
        let mut escaped = false;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    self.pos = i + 1;
                    let raw = &self.s[start..i];
                    return Some(if escaped {
                        let mut out = String::with_capacity(raw.len());
                        let mut chars = raw.chars();
                        while let Some(c) = chars.next() {
                            out.push(if c == '\\' { chars.next()? } else { c });
                        }
                        Cow::Owned(out)
                    } else {
                        Cow::Borrowed(raw)
                    });
                }
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        None
    }
}

/// Parses a `Sec-WebSocket-Extensions` value into its extensions (RFC 6455 §9.1):
/// `extension *( "," extension )`, `extension = token *( ";" token [ "=" value ] )`, where a
/// value is a token or a quoted string whose content is a token. Several header lines are
/// one list: join them with `,` first. Empty list elements (`a, , b`) are skipped, as
/// RFC 7230 §7 asks of recipients.
pub fn parse_extensions(header: &str) -> Result<Vec<Extension<'_>>, HeaderError> {
    let mut c = Cursor { s: header, pos: 0 };
    let mut out = Vec::new();
    loop {
        c.skip_ows();
        match c.peek() {
            None => return Ok(out),
            Some(b',') => {
                c.pos += 1;
                continue;
            }
            _ => {}
        }
        let at = c.pos;
        let name = c.token().ok_or(HeaderError::ExpectedToken { at })?;
        let mut params = Vec::new();
        loop {
            c.skip_ows();
            match c.peek() {
                None => break,
                Some(b',') => {
                    c.pos += 1;
                    break;
                }
                Some(b';') => c.pos += 1,
                Some(_) => return Err(HeaderError::UnexpectedChar { at: c.pos }),
            }
            c.skip_ows();
            let at = c.pos;
            let pname = c.token().ok_or(HeaderError::ExpectedToken { at })?;
            c.skip_ows();
            let value = if c.peek() == Some(b'=') {
                c.pos += 1;
                c.skip_ows();
                let at = c.pos;
                let v = if c.peek() == Some(b'"') {
                    c.quoted()
                } else {
                    c.token().map(Cow::Borrowed)
                };
                // §9.1: a quoted value must itself be a token once unquoted.
                match v {
                    Some(v) if !v.is_empty() && v.bytes().all(is_tchar) => Some(v),
                    _ => return Err(HeaderError::BadValue { at }),
                }
            } else {
                None
            };
            params.push((pname, value));
        }
        out.push(Extension { name, params });
    }
}

// ---------------------------------------------------------------------------------------
// permessage-deflate parameters (RFC 7692 §7.1)
// ---------------------------------------------------------------------------------------

/// Why one permessage-deflate offer or response is invalid (RFC 7692 §7.1: such an offer is
/// declined; such a response fails the handshake).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// A parameter RFC 7692 does not define.
    Unknown(String),
    /// The same parameter twice.
    Duplicate(String),
    /// A value where none is allowed, none where one is required, or one out of range.
    InvalidValue(String),
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Unknown(p) => write!(f, "unknown parameter {p}"),
            ParamError::Duplicate(p) => write!(f, "duplicate parameter {p}"),
            ParamError::InvalidValue(p) => write!(f, "invalid value for {p}"),
        }?;
        f.write_str(" in permessage-deflate (RFC 7692 §7.1)")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParamError {}

/// The `client_max_window_bits` parameter of an offer (RFC 7692 §7.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClientWindowBits {
    /// Absent: the server must not send `client_max_window_bits`.
    #[default]
    Absent,
    /// Present without a value: the client can honour a limit the server sends.
    Supported,
    /// Present with a value (8..=15): the client's compressor stays within it.
    Limit(u8),
}

/// The parameters of one permessage-deflate element, validated (RFC 7692 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Params {
    /// §7.1.1.1: the server resets its compressor for each message.
    pub server_no_context_takeover: bool,
    /// §7.1.1.2: the client resets its compressor for each message.
    pub client_no_context_takeover: bool,
    /// §7.1.2.1: the server's LZ77 window is at most `2^bits` (8..=15).
    pub server_max_window_bits: Option<u8>,
    /// §7.1.2.2: see [`ClientWindowBits`]; in a response only `Absent` or `Limit` occur.
    pub client_max_window_bits: ClientWindowBits,
}

/// §7.1.2: a window-bits value is 1*DIGIT with no leading zero, 8..=15.
fn window_bits(name: &str, v: &str) -> Result<u8, ParamError> {
    match v.parse::<u8>() {
        Ok(bits @ 8..=15) if !v.starts_with('0') => Ok(bits),
        _ => Err(ParamError::InvalidValue(name.into())),
    }
}

impl Params {
    /// Validates the parameters of one permessage-deflate element. Any unknown or repeated
    /// parameter, or a bad value, makes the whole element invalid (§7.1).
    pub fn from_extension(ext: &Extension<'_>) -> Result<Self, ParamError> {
        let mut p = Params::default();
        let mut seen = [false; 4];
        for (name, value) in &ext.params {
            let value = value.as_deref();
            let idx = match name.to_ascii_lowercase().as_str() {
                "server_no_context_takeover" => 0,
                "client_no_context_takeover" => 1,
                "server_max_window_bits" => 2,
                "client_max_window_bits" => 3,
                _ => return Err(ParamError::Unknown((*name).into())),
            };
            if core::mem::replace(&mut seen[idx], true) {
                return Err(ParamError::Duplicate((*name).into()));
            }
            let bad = || ParamError::InvalidValue((*name).into());
            match (idx, value) {
                (0, None) => p.server_no_context_takeover = true,
                (1, None) => p.client_no_context_takeover = true,
                (2, Some(v)) => p.server_max_window_bits = Some(window_bits(name, v)?),
                (3, None) => p.client_max_window_bits = ClientWindowBits::Supported,
                (3, Some(v)) => {
                    p.client_max_window_bits = ClientWindowBits::Limit(window_bits(name, v)?)
                }
                _ => return Err(bad()),
            }
        }
        Ok(p)
    }
}

/// Every permessage-deflate offer in `header`, in the client's order of preference, each
/// validated on its own (an invalid one is to be declined, not fatal). Other extensions are
/// skipped. A header that breaks the §9.1 grammar is an error for the whole header.
pub fn parse_offers(header: &str) -> Result<Vec<Result<Params, ParamError>>, HeaderError> {
    Ok(parse_extensions(header)?
        .iter()
        .filter(|e| e.name.eq_ignore_ascii_case(EXTENSION_NAME))
        .map(Params::from_extension)
        .collect())
}

// ---------------------------------------------------------------------------------------
// The agreement, server side and client side
// ---------------------------------------------------------------------------------------

/// The parameters both ends use after a successful negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Agreed {
    /// What the response header carries (and so what both ends obey).
    pub params: Params,
}

impl Agreed {
    /// The `Sec-WebSocket-Extensions` response value (RFC 7692 §7.1).
    pub fn response_header(&self) -> String {
        let p = &self.params;
        let mut s = String::from(EXTENSION_NAME);
        if p.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if p.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if let Some(bits) = p.server_max_window_bits {
            s.push_str("; server_max_window_bits=");
            push_bits(&mut s, bits);
        }
        if let ClientWindowBits::Limit(bits) = p.client_max_window_bits {
            s.push_str("; client_max_window_bits=");
            push_bits(&mut s, bits);
        }
        s
    }

    /// The server's compressor for this agreement (Huffman-only when the client limited
    /// the server's window below 15 bits, see the module docs).
    pub fn server_deflater(&self) -> Deflater {
        let bits = self.params.server_max_window_bits.unwrap_or(15);
        Deflater::with_window_bits(6, bits, self.params.server_no_context_takeover)
    }

    /// The client's compressor for this agreement (Huffman-only when the server limited
    /// the client's window below 15 bits).
    pub fn client_deflater(&self) -> Deflater {
        let bits = match self.params.client_max_window_bits {
            ClientWindowBits::Limit(bits) => bits,
            _ => 15,
        };
        Deflater::with_window_bits(6, bits, self.params.client_no_context_takeover)
    }

    /// The inflater for messages the server sends (used by the client).
    pub fn server_inflater(&self) -> Inflater {
        Inflater::new(self.params.server_no_context_takeover)
    }

    /// The inflater for messages the client sends (used by the server).
    pub fn client_inflater(&self) -> Inflater {
        Inflater::new(self.params.client_no_context_takeover)
    }
}

fn push_bits(s: &mut String, bits: u8) {
    if bits >= 10 {
        s.push('1');
    }
    s.push(char::from(b'0' + bits % 10));
}

/// What a server asks for beyond what a client offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerConfig {
    /// Reset our compressor after every message (always allowed, §7.1.1.1): no 32 KiB
    /// window kept per idle connection, at some cost in ratio.
    pub server_no_context_takeover: bool,
    /// Ask the client to reset its compressor (§7.1.1.2): it lets the client drop its window.
    /// Our inflater resets to match.
    pub client_no_context_takeover: bool,
}

impl ServerConfig {
    /// Whether we can accept `offer`, and with which parameters (RFC 7692 §7.1).
    pub fn choose(&self, offer: &Params) -> Option<Agreed> {
        Some(Agreed {
            params: Params {
                // §7.1.1.1: an offered server_no_context_takeover must be accepted by
                // including it; we may also add it on our own.
                server_no_context_takeover: offer.server_no_context_takeover
                    || self.server_no_context_takeover,
                // §7.1.1.2: the server may include this whether offered or not.
                client_no_context_takeover: offer.client_no_context_takeover
                    || self.client_no_context_takeover,
                // §7.1.2.1: if offered, the response must carry a value no larger: the same
                // value, honoured by a Huffman-only compressor below 15 (module docs).
                server_max_window_bits: offer.server_max_window_bits,
                // §7.1.2.2: optional in the response; our inflater handles any window, so we
                // never limit the client's.
                client_max_window_bits: ClientWindowBits::Absent,
            },
        })
    }

    /// Picks the first acceptable permessage-deflate offer in `header` (the client's order
    /// of preference, RFC 7692 §5). `Ok(None)`: no offer, or none acceptable: answer without
    /// the extension. `Err`: the header is malformed (a 400 response is appropriate).
    pub fn accept(&self, header: &str) -> Result<Option<Agreed>, HeaderError> {
        Ok(parse_offers(header)?
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .find_map(|o| self.choose(o)))
    }
}

/// Why a client rejects the server's `Sec-WebSocket-Extensions` response (the client must
/// then fail the connection, RFC 6455 §4.1, RFC 7692 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// The header breaks the §9.1 grammar.
    Header(HeaderError),
    /// An extension we did not offer, or permessage-deflate more than once.
    UnexpectedExtension(String),
    /// The permessage-deflate parameters are invalid.
    Param(ParamError),
    /// §7.1.2.2: `client_max_window_bits` answered to an offer that did not carry it.
    UnrequestedClientWindowBits,
    /// We asked for `server_no_context_takeover` and the server left it out.
    MissingServerNoContextTakeover,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Header(e) => e.fmt(f),
            ResponseError::UnexpectedExtension(e) => write!(f, "unexpected extension {e}"),
            ResponseError::Param(e) => e.fmt(f),
            ResponseError::UnrequestedClientWindowBits => {
                f.write_str("client_max_window_bits in response but not in offer")
            }
            ResponseError::MissingServerNoContextTakeover => {
                f.write_str("server_no_context_takeover requested but not granted")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ResponseError {}

/// A client's permessage-deflate offer. `client_max_window_bits` is never offered: our
/// compressor cannot honour a limit (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientOffer {
    /// Ask the server to reset its compressor per message (it must then agree, §7.1.1.1).
    pub server_no_context_takeover: bool,
    /// Announce that we reset our compressor per message.
    pub client_no_context_takeover: bool,
}

impl ClientOffer {
    /// The `Sec-WebSocket-Extensions` request value.
    pub fn offer_header(&self) -> String {
        Agreed {
            params: Params {
                server_no_context_takeover: self.server_no_context_takeover,
                client_no_context_takeover: self.client_no_context_takeover,
                ..Params::default()
            },
        }
        .response_header()
    }

    /// Checks the server's response (`None`: no `Sec-WebSocket-Extensions` header). `Ok(None)`
    /// means the server declined: run uncompressed.
    pub fn validate_response(&self, header: Option<&str>) -> Result<Option<Agreed>, ResponseError> {
        let Some(header) = header else {
            return Ok(None);
        };
        let exts = parse_extensions(header).map_err(ResponseError::Header)?;
        let mut agreed = None;
        for ext in &exts {
            if !ext.name.eq_ignore_ascii_case(EXTENSION_NAME) || agreed.is_some() {
                return Err(ResponseError::UnexpectedExtension(ext.name.into()));
            }
            let mut params = Params::from_extension(ext).map_err(ResponseError::Param)?;
            match params.client_max_window_bits {
                ClientWindowBits::Absent => {}
                // §7.1.2.2: only allowed if offered, and a response needs a value.
                ClientWindowBits::Supported => {
                    return Err(ResponseError::Param(ParamError::InvalidValue(
                        "client_max_window_bits".into(),
                    )))
                }
                ClientWindowBits::Limit(_) => {
                    return Err(ResponseError::UnrequestedClientWindowBits)
                }
            }
            if self.server_no_context_takeover && !params.server_no_context_takeover {
                return Err(ResponseError::MissingServerNoContextTakeover);
            }
            // The server may ask us to reset; we also reset if we announced it.
            params.client_no_context_takeover |= self.client_no_context_takeover;
            agreed = Some(Agreed { params });
        }
        Ok(agreed)
    }
}

// ---------------------------------------------------------------------------------------
// Compression (RFC 7692 §7.2.1) and decompression (§7.2.2)
// ---------------------------------------------------------------------------------------

/// Payloads shorter than this are never judged incompressible by
/// [`looks_incompressible`]: compressing them costs little, and the sample would be small.
pub const INCOMPRESSIBLE_MIN: usize = 256;

/// Whether DEFLATE is unlikely to shrink `payload`, judged in a few microseconds, so that a
/// sender can skip compressing it and send it with RSV1 clear (RFC 7692 §6 lets every
/// message choose). Encrypted, already compressed and random data are the cases: compressing
/// 64 KiB of random bytes at level 6 costs about 1 ms, about a hundred times the cost of
/// sending it, to gain nothing.
///
/// The test is the byte distribution of a sample (the whole payload up to 4 KiB, else four
/// 1 KiB slices spread over it): its collision entropy `-log2(Σ p²)`, estimated without
/// bias, is at least 7 bits per byte. Below that Huffman coding alone pays (base64 is 6,
/// text 4 to 5); at or above it a byte-oriented coder saves at most an eighth. What it cannot
/// see is long-range repetition of high-entropy data (the same random block sent twice in
/// one message): such a payload is sent uncompressed too.
///
/// ```
/// use wsprism::deflate::looks_incompressible;
///
/// let text = "the quick brown fox jumps over the lazy dog. ".repeat(100);
/// assert!(!looks_incompressible(text.as_bytes()));
/// let mut x = 1u32;
/// let noise: Vec<u8> = (0..4096).map(|_| { x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223); (x >> 24) as u8 }).collect();
/// assert!(looks_incompressible(&noise));
/// assert!(!looks_incompressible(&noise[..100])); // too short to judge
/// ```
pub fn looks_incompressible(payload: &[u8]) -> bool {
    const SLICE: usize = 1024;
    if payload.len() < INCOMPRESSIBLE_MIN {
        return false;
    }
    let mut counts = [0u32; 256];
    let mut count = |slice: &[u8]| slice.iter().for_each(|&b| counts[usize::from(b)] += 1);
    let n = if payload.len() <= 4 * SLICE {
        count(payload);
        payload.len()
    } else {
        let step = (payload.len() - SLICE) / 3;
        for i in 0..4 {
            count(&payload[i * step..i * step + SLICE]);
        }
        4 * SLICE
    } as u64;
    // Σ c(c-1) / (n(n-1)) estimates Σ p² without bias; 2^-7 = 1/128.
    let pairs: u64 = counts
        .iter()
        .map(|&c| u64::from(c) * u64::from(c.saturating_sub(1)))
        .sum();
    pairs * 128 <= n * (n - 1)
}

/// Compresses message payloads for one direction of one connection.
pub struct Deflater {
    state: Box<CompressorOxide>,
    no_context_takeover: bool,
}

impl fmt::Debug for Deflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deflater")
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Deflater {
    /// A compressor at the default level (6). With `no_context_takeover` every message is
    /// compressed on its own (the window is dropped after each).
    pub fn new(no_context_takeover: bool) -> Self {
        Self::with_level(6, no_context_takeover)
    }

    /// A compressor at `level` (1 fastest ..= 9 best; 0 stores uncompressed blocks).
    pub fn with_level(level: u8, no_context_takeover: bool) -> Self {
        Self::with_window_bits(level, 15, no_context_takeover)
    }

    /// A compressor whose output a peer with a `window_bits` window (8..=15, RFC 7692
    /// §7.1.2) can inflate: below 15 it uses the Huffman-only strategy, which emits no
    /// back-references (the matcher itself always searches 32 KiB).
    pub fn with_window_bits(level: u8, window_bits: u8, no_context_takeover: bool) -> Self {
        /// zlib's `Z_HUFFMAN_ONLY`, as `miniz_oxide` numbers its strategies.
        const HUFFMAN_ONLY: i32 = 2;
        let strategy = if window_bits < 15 { HUFFMAN_ONLY } else { 0 };
        // Negative window bits: a raw DEFLATE stream, no zlib header (RFC 7692 §7.2.1).
        let flags = create_comp_flags_from_zip_params(i32::from(level.min(9)), -15, strategy);
        let state = Box::new(CompressorOxide::new(flags));
        Deflater {
            state,
            no_context_takeover,
        }
    }

    /// Appends the compressed form of one whole message payload to `out`: a raw DEFLATE
    /// sync flush without its final `00 00 ff ff` (§7.2.1). An empty payload becomes `00`.
    /// Fails only if `miniz_oxide` reports an internal error (not expected in practice),
    /// as [`Error::InvalidCompressedData`].
    pub fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if payload.is_empty() {
            // An empty stored block's first byte; the receiver's `00 00 ff ff` completes it.
            // The compressor is untouched: the last message ended byte-aligned (sync flush).
            out.push(0x00);
            return Ok(());
        }
        let start = out.len();
        // The callback form hands every finished chunk straight to `out`, so one call always
        // compresses all input and completes the flush. The buffer-filling `stream::deflate`
        // does not: once a call fills the output it only drains its pending block on the next
        // call and can return with room to spare while input still sits in the window
        // (seen at level 0 with a 31,746-byte message), losing the tail of the message.
        let (status, consumed) =
            compress_to_output(&mut self.state, payload, TDEFLFlush::Sync, |chunk| {
                out.extend_from_slice(chunk);
                true
            });
        if status != TDEFLStatus::Okay || consumed != payload.len() {
            out.truncate(start);
            self.state.reset();
            return Err(Error::InvalidCompressedData);
        }
        // §7.2.1: remove the 4 octets of the empty stored block that ends a sync flush.
        if out[start..].ends_with(&TRAILER) {
            out.truncate(out.len() - TRAILER.len());
        }
        if self.no_context_takeover {
            self.state.reset();
        }
        Ok(())
    }
}

/// Inflates message payloads for one direction of one connection.
pub struct Inflater {
    state: Box<InflateState>,
    no_context_takeover: bool,
}

impl fmt::Debug for Inflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflater")
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Inflater {
    /// An inflater (32 KiB window: any `max_window_bits` the peer uses). With
    /// `no_context_takeover` the window is dropped after each message.
    pub fn new(no_context_takeover: bool) -> Self {
        Inflater {
            state: InflateState::new_boxed(DataFormat::Raw),
            no_context_takeover,
        }
    }

    /// Appends the inflated form of one whole compressed message payload to `out` (§7.2.2:
    /// the payload plus `00 00 ff ff`). Fails with [`Error::DecompressedTooLarge`] (1009)
    /// as soon as more than `max` bytes come out: `out` is filled in steps of at most
    /// [`INFLATE_STEP`] and its capacity never grows past its length on entry plus `max + 1`.
    /// Fails with [`Error::InvalidCompressedData`] (1007) on a corrupt stream. After an error the context is reset (the connection is to be failed anyway).
    pub fn decompress(
        &mut self,
        compressed: &[u8],
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<(), Error> {
        let start = out.len();
        let res = self.inflate_all(compressed, out, start, max);
        if res.is_err() {
            out.truncate(start);
            self.state.reset(DataFormat::Raw);
        } else if self.no_context_takeover {
            self.state.reset(DataFormat::Raw);
        }
        res
    }

    fn inflate_all(
        &mut self,
        compressed: &[u8],
        out: &mut Vec<u8>,
        start: usize,
        max: usize,
    ) -> Result<(), Error> {
        // One byte past the limit is enough to know the limit is passed.
        let limit = start.saturating_add(max).saturating_add(1);
        for mut input in [compressed, &TRAILER[..]] {
            loop {
                let len = out.len();
                let allowed = limit.saturating_sub(len);
                let room = allowed.min(INFLATE_STEP);
                if room == 0 {
                    return Err(Error::DecompressedTooLarge { max: max as u64 });
                }
                // Grow geometrically (no quadratic copying), but never past the limit.
                let need = len + room;
                if need > out.capacity() {
                    // `need <= limit` since `room <= allowed`.
                    let target = out.capacity().saturating_mul(2).clamp(need, limit);
                    out.reserve_exact(target - len);
                }
                out.resize(need, 0);
                let res = miniz_oxide::inflate::stream::inflate(
                    &mut self.state,
                    input,
                    &mut out[len..],
                    MZFlush::None,
                );
                out.truncate(len + res.bytes_written);
                input = &input[res.bytes_consumed..];
                if out.len() - start > max {
                    return Err(Error::DecompressedTooLarge { max: max as u64 });
                }
                match res.status {
                    // §7.2.3.4: a block with BFINAL set ends the stream; what follows
                    // (such as our trailer) is ignored and the next message starts a fresh
                    // stream.
                    Ok(MZStatus::StreamEnd) => {
                        self.state.reset(DataFormat::Raw);
                        return Ok(());
                    }
                    Ok(_) => {}
                    // No progress possible: all input taken and no output pending.
                    Err(MZError::Buf) if input.is_empty() => break,
                    Err(_) => return Err(Error::InvalidCompressedData),
                }
                if input.is_empty() && res.bytes_written < room {
                    break;
                }
            }
        }
        Ok(())
    }
}
