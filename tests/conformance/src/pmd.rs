//! A permessage-deflate (RFC 7692) session on top of the raw client, for sections 12-13.
//!
//! The script engine of [`crate::case`] checks frames byte for byte and rejects RSV bits, so
//! compressed cases run as custom checks on a [`Session`]: it offers an extension, checks
//! the 101's answer against the offer with its own reading of RFC 7692 §7.1 (not the
//! codec's, so a negotiation bug cannot hide itself), compresses what it sends with the
//! codec's [`Deflater`] and inflates RSV1 replies with its [`Inflater`]. Replies may come
//! back compressed or not (RFC 7692 §6: compression is per message, the sender's choice).

use std::io::Write as _;

use wsprism::deflate::{Deflater, Inflater};

use crate::client::{Conn, Event, Target};
use crate::frame::{self, op, Frame, Incoming};

/// RSV1 as the 3-bit number of [`Frame::rsv`] ("Per-Message Compressed", RFC 7692 §6).
pub const RSV1: u8 = 4;
/// Largest message the client inflates from the server.
const MAX_INFLATE: usize = 64 << 20;

/// What the server agreed to, read from its `Sec-WebSocket-Extensions` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Answer {
    /// The server resets its compressor per message.
    pub server_no_context_takeover: bool,
    /// The client must reset its compressor per message.
    pub client_no_context_takeover: bool,
    /// The server's window limit, if it gave one.
    pub server_max_window_bits: Option<u8>,
    /// The window limit the client must obey, if the server set one.
    pub client_max_window_bits: Option<u8>,
}

/// One offered or answered extension: its name and parameters (values unquoted).
type Ext = (String, Vec<(String, Option<String>)>);

/// Splits an extension header (RFC 6455 §9.1) into extensions and parameters; quoted values
/// are unquoted (RFC 7692 §5 allows both forms). Loose on purpose: only for our own offers
/// and for answers whose grammar is checked by [`check_answer`].
fn split(header: &str) -> Vec<Ext> {
    header
        .split(',')
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut parts = e.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            let params = parts
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (
                        k.trim().to_ascii_lowercase(),
                        Some(v.trim().trim_matches('"').to_string()),
                    ),
                    None => (p.to_ascii_lowercase(), None),
                })
                .collect();
            (name, params)
        })
        .collect()
}

fn bits(v: &Option<String>) -> Option<u8> {
    let v = v.as_deref()?;
    let n: u8 = v.parse().ok()?;
    (v.len() <= 2 && !v.starts_with('0') && (8..=15).contains(&n)).then_some(n)
}

/// Checks that `answer` is a valid response to the one offer `offer` (RFC 7692 §7.1) and
/// returns what it agrees to.
fn check_against(offer: &Ext, answer: &Ext) -> Result<Answer, String> {
    let mut a = Answer::default();
    let mut seen = Vec::new();
    for (k, v) in &answer.1 {
        if seen.contains(k) {
            return Err(format!("parameter {k} twice (§7)"));
        }
        seen.push(k.clone());
        let offered = offer.1.iter().find(|(ok, _)| ok == k);
        match k.as_str() {
            // §7.1.1.1: the server may always add it; no value allowed.
            "server_no_context_takeover" if v.is_none() => a.server_no_context_takeover = true,
            // §7.1.1.2: the server may always ask the client to reset.
            "client_no_context_takeover" if v.is_none() => a.client_no_context_takeover = true,
            // §7.1.2.1: a value 8..15, at most the offered one if one was offered.
            "server_max_window_bits" => {
                let n = bits(v).ok_or_else(|| format!("server_max_window_bits={v:?}"))?;
                if let Some(limit) = offered.and_then(|(_, ov)| bits(ov)) {
                    if n > limit {
                        return Err(format!(
                            "server_max_window_bits={n} above the offered {limit}"
                        ));
                    }
                }
                a.server_max_window_bits = Some(n);
            }
            // §7.1.2.2: only if offered, with a value, at most the offered value.
            "client_max_window_bits" => {
                let (_, ov) = offered.ok_or("client_max_window_bits answered but not offered")?;
                let n = bits(v).ok_or_else(|| format!("client_max_window_bits={v:?}"))?;
                if let Some(limit) = bits(ov) {
                    if n > limit {
                        return Err(format!(
                            "client_max_window_bits={n} above the offered {limit}"
                        ));
                    }
                }
                a.client_max_window_bits = Some(n);
            }
            _ => return Err(format!("parameter {k}={v:?} not allowed in an answer")),
        }
    }
    // §7.1.1.1: an offered server_no_context_takeover must be agreed to.
    if offer
        .1
        .iter()
        .any(|(k, _)| k == "server_no_context_takeover")
        && !a.server_no_context_takeover
    {
        return Err("server_no_context_takeover offered but not in the answer".into());
    }
    // §7.1.2.1: an offered server_max_window_bits is accepted by echoing a value.
    if offer.1.iter().any(|(k, _)| k == "server_max_window_bits")
        && a.server_max_window_bits.is_none()
    {
        return Err("server_max_window_bits offered but not in the answer".into());
    }
    Ok(a)
}

/// Checks the server's answer to `offer_header`: `None` if declined; otherwise exactly one
/// permessage-deflate that is a valid response to the offer at index `expect_index`.
pub fn check_answer(
    offer_header: &str,
    answer: Option<&str>,
    expect_index: Option<usize>,
) -> Result<Option<Answer>, String> {
    let Some(answer) = answer else {
        return match expect_index {
            None => Ok(None),
            Some(i) => Err(format!("offer {i} of {offer_header:?} was declined")),
        };
    };
    let Some(i) = expect_index else {
        return Err(format!(
            "{offer_header:?} should be declined, got {answer:?}"
        ));
    };
    let answers = split(answer);
    if answers.len() != 1 || answers[0].0 != "permessage-deflate" {
        return Err(format!(
            "answer {answer:?}: not exactly one permessage-deflate"
        ));
    }
    let offers = split(offer_header);
    check_against(&offers[i], &answers[0])
        .map(Some)
        .map_err(|e| format!("answer {answer:?} to offer {:?}: {e}", offers[i]))
}

/// A connection, compressed or not.
pub struct Session {
    /// The raw connection.
    pub conn: Conn,
    /// What the server agreed to (`None`: no extension).
    pub answer: Option<Answer>,
    deflater: Option<Deflater>,
    inflater: Option<Inflater>,
}

impl Session {
    /// Opens a connection offering `offer` (none if empty) and checks the answer
    /// ([`check_answer`]). `keep_context`: the client keeps its compressor's context across
    /// messages unless the server asked for `client_no_context_takeover`.
    pub fn open(
        target: &Target,
        offer: &str,
        expect_index: Option<usize>,
        keep_context: bool,
    ) -> Result<Session, String> {
        let (conn, raw) = if offer.is_empty() {
            (Conn::open(target)?, None)
        } else {
            Conn::open_offering(target, offer)?
        };
        let answer = check_answer(offer, raw.as_deref(), expect_index)?;
        let (deflater, inflater) = match answer {
            None => (None, None),
            Some(a) => {
                let reset = a.client_no_context_takeover || !keep_context;
                // A window limit below 15 cannot be honoured by miniz_oxide's matcher: stored
                // blocks (level 0) have no back-references at all, so they fit any window.
                let level = if a.client_max_window_bits.is_some_and(|b| b < 15) {
                    0
                } else {
                    6
                };
                (
                    Some(Deflater::with_level(level, reset)),
                    Some(Inflater::new(a.server_no_context_takeover)),
                )
            }
        };
        Ok(Session {
            conn,
            answer,
            deflater,
            inflater,
        })
    }

    /// Compresses one message payload (panics only if no extension was agreed: a case bug).
    pub fn compress(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.deflater
            .as_mut()
            .expect("compress without an agreed extension")
            .compress(payload, &mut out)
            .expect("miniz_oxide compresses");
        out
    }

    /// Writes frames in one write.
    pub fn send(&mut self, frames: &[Frame]) -> Result<(), String> {
        self.conn
            .stream
            .write_all(&frame::encode_all(frames))
            .map_err(|e| format!("write: {e}"))
    }

    /// Sends one message: compressed (RSV1 on the first frame only, RFC 7692 §6) if an
    /// extension was agreed and `compress`, in frames of `frag` payload bytes (0: one frame).
    pub fn send_message(
        &mut self,
        opcode: u8,
        payload: &[u8],
        compress: bool,
        frag: usize,
    ) -> Result<(), String> {
        let compressed = compress && self.deflater.is_some();
        let wire = if compressed {
            self.compress(payload)
        } else {
            payload.to_vec()
        };
        let frames = fragments(opcode, &wire, if compressed { RSV1 } else { 0 }, frag);
        self.send(&frames)
    }

    fn next(&mut self) -> Result<Incoming, String> {
        match self.conn.next_event() {
            Event::Frame(f) => Ok(f),
            other => Err(format!("expected a frame, got {other:?}")),
        }
    }

    /// Reads one data message, inflating it if its first frame has RSV1; checks every frame
    /// against RFC 6455 §5 and RFC 7692 §6.1 (RSV1 only on a first data frame, and only with
    /// an agreed extension).
    pub fn recv_message(&mut self) -> Result<(u8, Vec<u8>), String> {
        let first = self.next()?;
        let rsv1 = first.rsv == RSV1;
        if first.rsv != 0 && !(rsv1 && self.answer.is_some()) {
            return Err(format!("RSV {:03b} on {first:?}", first.rsv));
        }
        let mut plain = first.clone();
        plain.rsv = 0;
        if let Some(v) = plain.violation() {
            return Err(format!("invalid frame {first:?}: {v}"));
        }
        if first.opcode != op::TEXT && first.opcode != op::BINARY {
            return Err(format!("got {first:?} instead of a data message"));
        }
        let mut payload = first.payload;
        let mut fin = first.fin;
        while !fin {
            let f = self.next()?;
            if let Some(v) = f.violation() {
                return Err(format!("invalid continuation {f:?}: {v} (RFC 7692 §6.1)"));
            }
            if f.opcode != op::CONT {
                return Err(format!("got {f:?} inside a fragmented message"));
            }
            payload.extend_from_slice(&f.payload);
            fin = f.fin;
        }
        if rsv1 {
            let mut out = Vec::new();
            self.inflater
                .as_mut()
                .expect("checked above")
                .decompress(&payload, &mut out, MAX_INFLATE)
                .map_err(|e| format!("the server's compressed message does not inflate: {e:?}"))?;
            payload = out;
        }
        if first.opcode == op::TEXT && std::str::from_utf8(&payload).is_err() {
            return Err("text message that is not UTF-8 (§8.1)".into());
        }
        Ok((first.opcode, payload))
    }

    /// Sends a message and checks its echo.
    pub fn echo(
        &mut self,
        opcode: u8,
        payload: &[u8],
        compress: bool,
        frag: usize,
    ) -> Result<(), String> {
        self.send_message(opcode, payload, compress, frag)?;
        let (got_op, got) = self.recv_message()?;
        if got_op != opcode || got != payload {
            return Err(format!(
                "echo of a {} message of {} bytes: {} message of {} bytes{}",
                op::name(opcode),
                payload.len(),
                op::name(got_op),
                got.len(),
                got.iter()
                    .zip(payload)
                    .position(|(a, b)| a != b)
                    .map_or(String::new(), |i| format!(", first difference at byte {i}"))
            ));
        }
        Ok(())
    }

    /// Expects a close frame with one of `codes`, answers it and expects the end of TCP.
    pub fn expect_close(&mut self, codes: &[u16]) -> Result<(), String> {
        let f = self.next()?;
        if f.opcode != op::CLOSE || f.violation().is_some() {
            return Err(format!("got {f:?} instead of a close frame"));
        }
        match f.close_code() {
            Some(c) if codes.contains(&c) => {}
            other => return Err(format!("close code {other:?} instead of one of {codes:?}")),
        }
        let _ = self.send(&[Frame::close(f.close_code().unwrap_or(1000), b"")]);
        match self.conn.next_event() {
            Event::Eof | Event::Reset(_) => Ok(()),
            other => Err(format!("after the close frame: {other:?} instead of EOF")),
        }
    }

    /// A ping is answered, then a clean 1000 close exchange.
    pub fn finish(mut self) -> Result<(), String> {
        self.send(&[Frame::ping("alive")])?;
        let f = self.next()?;
        if f.opcode != op::PONG || f.payload != b"alive" || f.violation().is_some() {
            return Err(format!("got {f:?} instead of the pong"));
        }
        self.send(&[Frame::close(1000, b"bye")])?;
        self.expect_close(&[1000])
    }
}

/// Splits `wire` into frames of `frag` bytes (0: one frame), `rsv` on the first only.
pub fn fragments(opcode: u8, wire: &[u8], rsv: u8, frag: usize) -> Vec<Frame> {
    if frag == 0 || wire.len() <= frag {
        return vec![Frame::new(opcode, wire.to_vec()).rsv(rsv)];
    }
    let n = wire.len().div_ceil(frag);
    wire.chunks(frag)
        .enumerate()
        .map(|(i, c)| {
            let f = if i == 0 {
                Frame::new(opcode, c.to_vec()).rsv(rsv)
            } else {
                Frame::cont(c.to_vec())
            };
            f.fin(i + 1 == n)
        })
        .collect()
}

/// A compressible JSON-like text payload of exactly `n` bytes.
pub fn json_text(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 64);
    let mut i = 0u64;
    while out.len() < n {
        out.extend_from_slice(
            format!(
                "{{\"id\":{i},\"user\":\"u{}\",\"msg\":\"hello wsprism\",\"ok\":true}}",
                i % 7
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_against_the_offer() {
        let ok = |o: &str, a: &str| check_answer(o, Some(a), Some(0));
        assert!(ok(
            "permessage-deflate",
            "permessage-deflate; server_no_context_takeover"
        )
        .is_ok());
        assert!(ok(
            "permessage-deflate",
            "permessage-deflate; client_max_window_bits=10"
        )
        .is_err());
        assert!(ok(
            "permessage-deflate; client_max_window_bits=10",
            "permessage-deflate; client_max_window_bits=11"
        )
        .is_err());
        assert!(ok(
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=9"
        )
        .is_ok());
        assert!(ok(
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate"
        )
        .is_err());
        assert!(ok(
            "permessage-deflate; server_max_window_bits=15",
            "permessage-deflate"
        )
        .is_err());
        assert!(ok("permessage-deflate", "permessage-deflate; foo").is_err());
        assert!(ok("permessage-deflate", "x-other").is_err());
        assert!(check_answer("permessage-deflate", None, None)
            .unwrap()
            .is_none());
        assert!(check_answer("permessage-deflate", Some("permessage-deflate"), None).is_err());
    }

    #[test]
    fn fragments_put_rsv1_on_the_first_frame_only() {
        let f = fragments(op::TEXT, &[1; 10], RSV1, 4);
        assert_eq!(f.len(), 3);
        assert_eq!((f[0].rsv, f[1].rsv, f[2].rsv), (RSV1, 0, 0));
        assert_eq!((f[0].fin, f[2].fin, f[1].opcode), (false, true, op::CONT));
        assert_eq!(json_text(100).len(), 100);
    }
}
