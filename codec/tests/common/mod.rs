//! Helpers shared by the integration tests: owned copies of decoded messages and frames,
//! and drivers that feed a decoder under a given chunking.
#![allow(dead_code)] // each test binary uses its own subset

use wsprism::{Decoder, Error, FrameDecoder, FrameEvent, FrameHeader, Message};

/// A decoded message, copied out of the decoder's borrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

impl From<Message<'_>> for Owned {
    fn from(m: Message<'_>) -> Self {
        match m {
            Message::Text(t) => Owned::Text(t.to_owned()),
            Message::Binary(b) => Owned::Binary(b.to_vec()),
            Message::Ping(b) => Owned::Ping(b.to_vec()),
            Message::Pong(b) => Owned::Pong(b.to_vec()),
            Message::Close(c) => Owned::Close(c.map(|c| (c.code.0, c.reason.to_owned()))),
        }
    }
}

/// Feeds one chunk to `dec`, pushing every message it completes onto `out`. Checks the
/// decoder's contract on the way: a `None` means the whole chunk was used.
pub fn feed(dec: &mut Decoder, chunk: &mut [u8], out: &mut Vec<Owned>) -> Result<(), Error> {
    let len = chunk.len();
    let mut at = 0;
    loop {
        let (used, msg) = dec.decode(&mut chunk[at..])?;
        at += used;
        assert!(at <= len);
        match msg {
            Some(m) => out.push(m.into()),
            None => {
                assert_eq!(at, len, "None must mean the whole input was used");
                return Ok(());
            }
        }
    }
}

/// Splits `wire` at `cuts` (sorted or not, out-of-range ones ignored) and feeds the pieces.
/// Returns the messages and, on failure, the error with the index of the piece that failed.
pub fn decode_chunked(
    dec: &mut Decoder,
    wire: &[u8],
    cuts: &[usize],
) -> (Vec<Owned>, Option<(usize, Error)>) {
    let mut buf = wire.to_vec();
    let mut out = Vec::new();
    for (i, (from, to)) in pieces(wire.len(), cuts).into_iter().enumerate() {
        if let Err(e) = feed(dec, &mut buf[from..to], &mut out) {
            return (out, Some((i, e)));
        }
    }
    (out, None)
}

/// Feeds `wire` one byte at a time. On failure, returns the index of the byte whose call
/// returned the error.
pub fn decode_bytewise(dec: &mut Decoder, wire: &[u8]) -> (Vec<Owned>, Option<(usize, Error)>) {
    let cuts: Vec<usize> = (1..wire.len()).collect();
    decode_chunked(dec, wire, &cuts)
}

/// The `(from, to)` ranges that cutting `0..len` at `cuts` gives, in order, all non-empty
/// (an empty input gives one empty range).
pub fn pieces(len: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = cuts.iter().copied().filter(|&c| c > 0 && c < len).collect();
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::new();
    let mut from = 0;
    for p in points.into_iter().chain([len]) {
        out.push((from, p));
        from = p;
    }
    out
}

/// A frame as the frame decoder reported it: its header and its whole (unmasked) payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedFrame {
    pub header: FrameHeader,
    pub payload: Vec<u8>,
}

/// Runs a [`FrameDecoder`] over `wire` cut at `cuts`, checking its event contract: a header,
/// then payload pieces whose last one has `last` set, and `None` only when a chunk is used.
pub fn frames_chunked(
    dec: &mut FrameDecoder,
    wire: &[u8],
    cuts: &[usize],
) -> Result<Vec<DecodedFrame>, Error> {
    let mut buf = wire.to_vec();
    let mut frames: Vec<DecodedFrame> = Vec::new();
    let mut in_payload = false;
    for (from, to) in pieces(wire.len(), cuts) {
        let chunk = &mut buf[from..to];
        let len = chunk.len();
        let mut at = 0;
        loop {
            let (used, event) = dec.decode(&mut chunk[at..])?;
            at += used;
            match event {
                None => {
                    assert_eq!(at, len, "None must mean the whole input was used");
                    break;
                }
                Some(FrameEvent::Header(header)) => {
                    assert!(!in_payload, "a header inside a payload");
                    in_payload = true;
                    frames.push(DecodedFrame {
                        header,
                        payload: Vec::new(),
                    });
                }
                Some(FrameEvent::Payload { data, last }) => {
                    assert!(in_payload, "a payload piece without a header");
                    let frame = frames.last_mut().expect("a header came first");
                    frame.payload.extend_from_slice(data);
                    if last {
                        assert_eq!(frame.payload.len() as u64, frame.header.payload_len);
                        in_payload = false;
                    } else {
                        assert!(!data.is_empty(), "empty non-final piece");
                    }
                }
            }
        }
    }
    assert!(!in_payload, "stream ended inside a payload");
    assert!(dec.is_idle());
    Ok(frames)
}
