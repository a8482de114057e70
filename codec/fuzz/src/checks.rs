//! The properties the fuzz targets check, one function per target. Each takes the raw
//! fuzz input and panics when a property breaks.
//!
//! This file is shared: the cargo-fuzz targets call it, and `codec/tests/fuzz_regressions.rs`
//! includes it by path to replay every input that ever broke a property (and the seed
//! corpus) in the normal test suite. So it depends on nothing but `wsprism` and `std`.
//!
//! Input layout for the stream targets: byte 0 picks the configuration, byte 1's low three
//! bits say how many of the next bytes steer the chunking, and the rest is the byte stream.

use wsprism::close::{encode_payload, parse_payload, CloseCode, MAX_REASON_LEN};
use wsprism::handshake::{accept_key, has_token, is_valid_key, tokens, UpgradeRequest};
use wsprism::utf8::Utf8Validator;
use wsprism::{
    Decoder, DecoderConfig, Error, FrameDecoder, FrameEvent, FrameHeader, Message, Role,
};

/// Splits a fuzz input into (configuration byte, chunking seed, stream).
pub fn split_input(data: &[u8]) -> (u8, &[u8], &[u8]) {
    let cfg = data.first().copied().unwrap_or(0);
    let n = data.get(1).map_or(0, |b| (b & 7) as usize);
    let seed_end = (2 + n).min(data.len());
    let seed = data.get(2..seed_end).unwrap_or(&[]);
    let body = data.get(seed_end..).unwrap_or(&[]);
    (cfg, seed, body)
}

/// Cuts `data` into pieces whose sizes the seed bytes choose: 1-4 bytes, up to 64, up to
/// 1 KiB, or everything left. An empty seed gives one piece.
pub fn chunks<'a>(data: &'a [u8], seed: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let (mut at, mut k) = (0, 0);
    while at < data.len() {
        let size = match seed.get(k % seed.len().max(1)) {
            None => data.len(),
            Some(&b) => match b >> 6 {
                0 => 1 + (b & 3) as usize,
                1 => 1 + (b & 63) as usize,
                2 => 16 * (1 + (b & 63) as usize),
                _ => data.len(),
            },
        };
        k += 1;
        let end = (at + size).min(data.len());
        out.push(&data[at..end]);
        at = end;
    }
    out
}

// ---------------------------------------------------------------------------------------
// frame_decoder

/// What the frame decoder produced, with the payload pieces of each frame joined.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameOut {
    /// A header.
    Header(FrameHeader),
    /// One frame's whole (unmasked) payload.
    Payload(Vec<u8>),
}

fn frame_decoder_for(cfg: u8) -> FrameDecoder {
    let role = if cfg & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let max = [u64::MAX >> 1, 0, 125, 1000][(cfg >> 1 & 3) as usize];
    FrameDecoder::new(role)
        .with_max_frame_len(max)
        .with_allowed_rsv(cfg & 0x70)
}

/// Feeds `pieces` to a fresh decoder; returns the frames, the error if any, and a list of
/// (offset in the whole stream where a header ended, header) for the unmasking check.
fn run_frame_decoder(
    cfg: u8,
    pieces: &[&[u8]],
) -> (Vec<FrameOut>, Option<Error>, Vec<(usize, FrameHeader)>) {
    let mut dec = frame_decoder_for(cfg);
    let mut out = Vec::new();
    let mut headers = Vec::new();
    let mut current: Option<(FrameHeader, Vec<u8>)> = None;
    let mut base = 0;
    for piece in pieces {
        let mut buf = piece.to_vec();
        let mut at = 0;
        loop {
            match dec.decode(&mut buf[at..]) {
                Err(e) => return (out, Some(e), headers),
                Ok((n, None)) => {
                    assert_eq!(
                        at + n,
                        buf.len(),
                        "decoder left input unused without an event"
                    );
                    break;
                }
                Ok((n, Some(FrameEvent::Header(h)))) => {
                    at += n;
                    assert!(current.is_none(), "a header inside a frame's payload");
                    // A decoded header re-encodes to bytes that decode to it again.
                    let bytes = h.encode();
                    assert_eq!(bytes.len(), h.encoded_len());
                    assert_eq!(
                        FrameHeader::decode(&bytes).expect("re-decode"),
                        Some((h, bytes.len()))
                    );
                    headers.push((base + at, h));
                    out.push(FrameOut::Header(h));
                    current = Some((h, Vec::new()));
                }
                Ok((n, Some(FrameEvent::Payload { data, last }))) => {
                    at += n;
                    let (h, acc) = current.as_mut().expect("payload without a header");
                    acc.extend_from_slice(data);
                    assert!(
                        acc.len() as u64 <= h.payload_len,
                        "more payload than declared"
                    );
                    if last {
                        assert_eq!(acc.len() as u64, h.payload_len, "frame ended early");
                        let (_, acc) = current.take().expect("current frame");
                        out.push(FrameOut::Payload(acc));
                    }
                }
            }
        }
        base += piece.len();
    }
    (out, None, headers)
}

/// The frame decoder gives the same frames and error however the stream is chunked, never
/// more payload than declared, and payloads unmasked exactly as §5.3 says.
pub fn frame_decoder(data: &[u8]) {
    let (cfg, seed, body) = split_input(data);
    let (whole, whole_err, headers) = run_frame_decoder(cfg, &[body]);
    let pieces = chunks(body, seed);
    let (chunked, chunked_err, _) = run_frame_decoder(cfg, &pieces);
    assert_eq!(
        whole,
        chunked,
        "frames differ between one piece and {} pieces",
        pieces.len()
    );
    assert_eq!(whole_err, chunked_err, "errors differ with chunking");
    // Every payload is the raw bytes XOR the key, computed here independently.
    let payloads = whole.iter().filter_map(|f| match f {
        FrameOut::Payload(p) => Some(p),
        FrameOut::Header(_) => None,
    });
    for ((at, h), got) in headers.iter().zip(payloads) {
        let raw = &body[*at..*at + h.payload_len as usize];
        let want: Vec<u8> = match h.mask {
            Some(k) => raw.iter().enumerate().map(|(i, b)| b ^ k[i % 4]).collect(),
            None => raw.to_vec(),
        };
        assert_eq!(got, &want, "payload unmasked wrongly");
    }
}

// ---------------------------------------------------------------------------------------
// message

/// A message, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    /// Text.
    Text(String),
    /// Binary.
    Binary(Vec<u8>),
    /// Ping.
    Ping(Vec<u8>),
    /// Pong.
    Pong(Vec<u8>),
    /// Close, with code and reason.
    Close(Option<(u16, String)>),
}

fn owned(m: Message<'_>) -> Owned {
    match m {
        Message::Text(t) => Owned::Text(t.to_string()),
        Message::Binary(b) => Owned::Binary(b.to_vec()),
        Message::Ping(b) => Owned::Ping(b.to_vec()),
        Message::Pong(b) => Owned::Pong(b.to_vec()),
        Message::Close(c) => Owned::Close(c.map(|c| (c.code.0, c.reason.to_string()))),
    }
}

fn message_config(cfg: u8) -> (Role, DecoderConfig) {
    let role = if cfg & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let config = DecoderConfig {
        max_message_len: [64 << 20, 0, 10, 300][(cfg >> 1 & 3) as usize],
        max_frame_len: [16 << 20, 5, 130, 1 << 20][(cfg >> 3 & 1 | (cfg >> 6 & 2)) as usize],
        allowed_rsv: cfg & 0x30,
    };
    (role, config)
}

fn run_decoder(role: Role, config: DecoderConfig, pieces: &[&[u8]]) -> (Vec<Owned>, Option<Error>) {
    let mut dec = Decoder::with_config(role, config);
    let mut out = Vec::new();
    let mut fed = 0usize;
    for piece in pieces {
        let mut buf = piece.to_vec();
        fed += buf.len();
        let mut at = 0;
        loop {
            match dec.decode(&mut buf[at..]) {
                Err(e) => return (out, Some(e)),
                Ok((n, None)) => {
                    assert_eq!(
                        at + n,
                        buf.len(),
                        "decoder left input unused without a message"
                    );
                    break;
                }
                Ok((n, Some(m))) => {
                    at += n;
                    let m = owned(m);
                    if let Owned::Ping(p) | Owned::Pong(p) = &m {
                        assert!(p.len() <= 125, "control payload over 125 bytes");
                    }
                    if let Owned::Text(t) = &m {
                        assert!(t.len() as u64 <= config.max_message_len);
                    }
                    if let Owned::Binary(b) = &m {
                        assert!(b.len() as u64 <= config.max_message_len);
                    }
                    out.push(m);
                }
            }
            // The reassembly buffer grows from bytes that arrived, never from a declared
            // length.
            assert!(
                dec.buffer_capacity() <= 64.max(2 * fed),
                "buffer of {} bytes after {fed} bytes of input",
                dec.buffer_capacity()
            );
        }
    }
    (out, None)
}

/// Whether `bytes` can no longer be the beginning of valid UTF-8.
fn utf8_broken(bytes: &[u8]) -> bool {
    matches!(std::str::from_utf8(bytes), Err(e) if e.error_len().is_some())
}

/// An independent, deliberately plain model of RFC 6455 message decoding, written from the
/// RFC: whole input in, messages and the first error out. It checks the rules in the order
/// the codec documents (header rules, then the size limits, then payload rules).
pub fn reference(role: Role, config: DecoderConfig, input: &[u8]) -> (Vec<Owned>, Option<Error>) {
    let mut out = Vec::new();
    let mut msg: Option<(bool, Vec<u8>)> = None; // (is text, bytes so far)
    let mut i = 0;
    macro_rules! fail {
        ($e:expr) => {
            return (out, Some($e))
        };
    }
    loop {
        let rest = &input[i..];
        if rest.len() < 2 {
            return (out, None);
        }
        let (b0, b1) = (rest[0], rest[1]);
        let ext = match b1 & 0x7F {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let masked = b1 & 0x80 != 0;
        let head = 2 + ext + if masked { 4 } else { 0 };
        if rest.len() < head {
            return (out, None);
        }
        let len: u64 = match ext {
            2 => u64::from(u16::from_be_bytes([rest[2], rest[3]])),
            8 => u64::from_be_bytes(rest[2..10].try_into().unwrap()),
            _ => u64::from(b1 & 0x7F),
        };
        if len >> 63 != 0 {
            fail!(Error::InvalidPayloadLength); // §5.2
        }
        let (fin, rsv, op) = (b0 & 0x80 != 0, b0 & 0x70, b0 & 0x0F);
        let control = op & 0x8 != 0;
        if matches!(op, 3..=7 | 0xB..=0xF) {
            fail!(Error::ReservedOpcode(op));
        }
        if rsv & !config.allowed_rsv != 0 {
            fail!(Error::ReservedBitsSet {
                bits: rsv & !config.allowed_rsv
            });
        }
        if control && !fin {
            fail!(Error::FragmentedControlFrame);
        }
        if control && len > 125 {
            fail!(Error::ControlFrameTooLong(len));
        }
        match (role, masked) {
            (Role::Server, false) => fail!(Error::UnmaskedFrame),
            (Role::Client, true) => fail!(Error::MaskedFrame),
            _ => {}
        }
        if len > config.max_frame_len {
            fail!(Error::FrameTooLarge {
                len,
                max: config.max_frame_len
            });
        }
        if !control {
            match (op, &mut msg) {
                (0, None) => fail!(Error::UnexpectedContinuation),
                (0, Some(_)) => {}
                (_, Some(_)) => fail!(Error::ExpectedContinuation),
                (op, None) => msg = Some((op == 1, Vec::new())),
            }
            let so_far = msg.as_ref().map_or(0, |(_, b)| b.len()) as u64;
            if so_far + len > config.max_message_len {
                fail!(Error::MessageTooLarge {
                    len: so_far + len,
                    max: config.max_message_len
                });
            }
        }
        let key = masked.then(|| {
            [
                rest[head - 4],
                rest[head - 3],
                rest[head - 2],
                rest[head - 1],
            ]
        });
        let available = (rest.len() - head).min(len as usize);
        let payload: Vec<u8> = rest[head..head + available]
            .iter()
            .enumerate()
            .map(|(k, b)| key.map_or(*b, |key| b ^ key[k % 4]))
            .collect();
        if (available as u64) < len {
            // An unfinished frame: text already impossible fails now (§8.1, fail fast).
            if let Some((true, bytes)) = &msg {
                if !control {
                    let mut all = bytes.clone();
                    all.extend_from_slice(&payload);
                    if utf8_broken(&all) {
                        fail!(Error::InvalidUtf8);
                    }
                }
            }
            return (out, None);
        }
        i += head + len as usize;
        match op {
            0x9 => out.push(Owned::Ping(payload)),
            0xA => out.push(Owned::Pong(payload)),
            0x8 => {
                // §5.5.1, §7.4.
                let close = match payload.len() {
                    0 => None,
                    1 => fail!(Error::CloseTooShort),
                    _ => {
                        let code = u16::from_be_bytes([payload[0], payload[1]]);
                        if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                            fail!(Error::InvalidCloseCode(code));
                        }
                        match std::str::from_utf8(&payload[2..]) {
                            Ok(r) => Some((code, r.to_string())),
                            Err(_) => fail!(Error::InvalidCloseReason),
                        }
                    }
                };
                out.push(Owned::Close(close));
                return (out, None); // nothing after a close is read
            }
            _ => {
                let (text, bytes) = msg.as_mut().expect("a data frame has a message");
                bytes.extend_from_slice(&payload);
                if *text && utf8_broken(bytes) {
                    fail!(Error::InvalidUtf8);
                }
                if fin {
                    let (text, bytes) = msg.take().expect("message");
                    if text {
                        match String::from_utf8(bytes) {
                            Ok(t) => out.push(Owned::Text(t)),
                            Err(_) => fail!(Error::InvalidUtf8),
                        }
                    } else {
                        out.push(Owned::Binary(bytes));
                    }
                }
            }
        }
    }
}

/// The message decoder agrees with the reference model, in one piece and in chunks.
pub fn message(data: &[u8]) {
    let (cfg, seed, body) = split_input(data);
    let (role, config) = message_config(cfg);
    let want = reference(role, config, body);
    let whole = run_decoder(role, config, &[body]);
    assert_eq!(
        whole, want,
        "decoder (one piece) and reference model differ"
    );
    let pieces = chunks(body, seed);
    let chunked = run_decoder(role, config, &pieces);
    assert_eq!(
        chunked,
        want,
        "decoder ({} pieces) and reference model differ",
        pieces.len()
    );
}

// ---------------------------------------------------------------------------------------
// close_payload

/// Close payloads parse as §5.5.1/§7.4 say, and what parses re-encodes to the same bytes.
pub fn close_payload(data: &[u8]) {
    let parsed = parse_payload(data);
    match data.len() {
        0 => assert_eq!(parsed, Ok(None)),
        1 => assert_eq!(parsed, Err(Error::CloseTooShort)),
        _ => {
            let code = u16::from_be_bytes([data[0], data[1]]);
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode(code).is_valid_on_wire(), valid);
            match (&parsed, valid, std::str::from_utf8(&data[2..])) {
                (Err(Error::InvalidCloseCode(c)), false, _) => assert_eq!(*c, code),
                (Err(Error::InvalidCloseReason), true, Err(_)) => {}
                (Ok(Some(frame)), true, Ok(reason)) => {
                    assert_eq!((frame.code.0, frame.reason), (code, reason));
                    if data.len() <= 125 {
                        assert_eq!(&*encode_payload(frame.code, frame.reason), data);
                    }
                }
                other => panic!("parse_payload({data:02x?}) gave {other:?}"),
            }
        }
    }
    // Encoding any reason gives at most 125 bytes, cut at a character boundary, that parse
    // back to the same code and a prefix of the reason.
    if data.len() >= 2 {
        let code = CloseCode(u16::from_be_bytes([data[0], data[1]]));
        let reason = String::from_utf8_lossy(&data[2..]);
        let enc = encode_payload(code, &reason);
        assert!(enc.len() <= 125);
        let cut = enc.len() - 2;
        assert!(cut <= MAX_REASON_LEN && reason.is_char_boundary(cut));
        assert_eq!(&enc[2..], &reason.as_bytes()[..cut]);
        assert!(reason.len() <= MAX_REASON_LEN || cut + 4 > MAX_REASON_LEN);
        if code.is_valid_on_wire() {
            let back = parse_payload(&enc)
                .expect("valid code and UTF-8 reason")
                .expect("code");
            assert_eq!((back.code, back.reason), (code, &reason[..cut]));
        }
    }
}

// ---------------------------------------------------------------------------------------
// handshake

/// An independent check of a `Sec-WebSocket-Key`: canonical base64 of exactly 16 bytes.
pub fn key_is_valid_reference(key: &[u8]) -> bool {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    key.len() == 24
        && key[22..] == *b"=="
        && key[..22].iter().all(|c| ABC.contains(c))
        // 16 bytes = 128 bits = 21 sextets + 2 bits: the last sextet's low 4 bits are 0.
        && ABC.iter().position(|c| *c == key[21]).is_some_and(|v| v & 0xF == 0)
}

/// Header lines as (name, value) pairs.
type Headers<'a> = Vec<(&'a str, &'a [u8])>;

/// Splits a raw request into (method, HTTP/1.1-or-later, headers), the plain way: lines at
/// CRLF, names before the first colon. `None` if there is no request line.
fn parse_request(data: &[u8]) -> Option<(String, bool, Headers<'_>)> {
    let text_end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(data.len());
    let mut lines = data[..text_end].split(|b| *b == b'\n');
    let first = std::str::from_utf8(lines.next()?)
        .ok()?
        .trim_end_matches('\r');
    let mut parts = first.split(' ');
    let method = parts.next()?.to_string();
    let _target = parts.next()?;
    let version = parts.next()?;
    let modern = matches!(version, "HTTP/1.1" | "HTTP/2" | "HTTP/3");
    let mut headers = Vec::new();
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|b| *b == b':')?;
        let name = std::str::from_utf8(&line[..colon]).ok()?;
        let value = line[colon + 1..].trim_ascii();
        headers.push((name, value));
    }
    Some((method, modern, headers))
}

/// The handshake rules: whatever the request, `validate` answers an accept key only for a
/// request that meets every rule, and the key it answers is the RFC's computation.
pub fn handshake(data: &[u8]) {
    // Keys alone, against the reference.
    let key_part = &data[..data.len().min(30)];
    assert_eq!(
        is_valid_key(key_part),
        key_is_valid_reference(key_part),
        "{key_part:?}"
    );
    assert_eq!(accept_key(key_part).as_str().len(), 28);
    // Header value tokens.
    if let Ok(value) = std::str::from_utf8(data) {
        for t in tokens(value) {
            assert!(!t.is_empty() && !t.contains(','));
            assert_eq!(t.trim_matches([' ', '\t']), t);
            assert!(has_token(value, &t.to_ascii_uppercase()));
        }
    }
    let Some((method, modern, headers)) = parse_request(data) else {
        return;
    };
    let req = UpgradeRequest::from_headers(headers.iter().copied());
    let offered: Vec<&str> = req.offered_protocols().collect();
    if let Some(p) = req.select_protocol(&["chat", "superchat"]) {
        assert!(offered.contains(&p));
    }
    match req.validate(&method, modern) {
        Ok(accept) => {
            assert_eq!(method, "GET");
            assert!(modern);
            assert!(req.host.is_some_and(|h| !h.trim().is_empty()));
            assert!(req.upgrade.iter().any(|v| has_token(v, "websocket")));
            assert!(req.connection.iter().any(|v| has_token(v, "upgrade")));
            assert_eq!(req.keys.len(), 1);
            let key = req.keys[0].trim_ascii();
            assert!(key_is_valid_reference(key));
            assert_eq!(accept, accept_key(key));
            assert_eq!(req.version.len(), 1);
            assert_eq!(req.version[0].trim(), "13");
        }
        Err(e) => {
            assert!(matches!(e.status(), 400 | 403 | 426));
            assert!(!e.reason().is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------
// utf8_stream

/// The incremental validator agrees with `std` for any chunking, and fails on the first
/// chunk after which the text can no longer be valid (fail fast, §8.1).
pub fn utf8_stream(data: &[u8]) {
    let (_, seed, body) = split_input(data);
    let mut v = Utf8Validator::new();
    let mut seen = 0;
    let mut failed = false;
    for piece in chunks(body, seed) {
        seen += piece.len();
        let r = v.feed(piece);
        let broken = utf8_broken(&body[..seen]);
        assert_eq!(r.is_err(), broken, "feed after {seen} bytes of {body:02x?}");
        if broken {
            failed = true;
            break;
        }
    }
    if !failed {
        assert_eq!(v.finish().is_ok(), std::str::from_utf8(body).is_ok());
        // And the validator is reusable after finish.
        assert!(v.feed(b"ok").is_ok() && v.finish().is_ok());
    }
}
