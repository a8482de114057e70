//! The client side of the load generator (`src/bin/wsprism-load.rs`): the opening
//! handshake on a raw `TcpStream`, pre-masked message patterns, and the echo loop that
//! checks every byte that comes back and times every message.
//!
//! The client is the wsprism codec in [`Role::Client`]. What is measured is the server, so
//! the client does as little as it can per message: a frame is its fixed header followed by
//! a slice of a buffer masked once up front, and the echo is compared in place.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wsprism::deflate::{Agreed, ClientOffer, Deflater};
use wsprism::message::Incoming;
use wsprism::{
    encoder, handshake, Decoder, DecoderConfig, FrameDecoder, FrameEvent, FrameHeader, Message,
    OpCode, Role,
};

/// Errors of the load generator: I/O, protocol surprises and byte mismatches alike end a run.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The `Sec-WebSocket-Key` every connection sends (RFC 6455 §4.1: 16 bytes, base64). The
/// server cannot tell, and one fixed key lets us check the accept value cheaply.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Largest HTTP response head we accept before giving up on a handshake.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// An open WebSocket connection after the opening handshake.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    /// Bytes the server sent right after its 101 response (normally none).
    leftover: Vec<u8>,
    /// The agreed permessage-deflate parameters, if offered and accepted (RFC 7692).
    deflate: Option<Agreed>,
}

/// The measured part of a run: messages sent at or after `start` and echoed before `end`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Start of the measured window (the end of the warm-up).
    pub start: Instant,
    /// End of the measured window; no new message is sent from then on.
    pub end: Instant,
}

/// Connects to `addr` and performs the client's opening handshake for `path`, checking the
/// `101` status and the `Sec-WebSocket-Accept` value (RFC 6455 §4.1, §4.2.2).
pub async fn connect(addr: SocketAddr, path: &str) -> Result<Conn, BoxError> {
    connect_with(addr, path, false).await
}

/// The permessage-deflate offer of `--deflate`: plain, so the server may keep its context
/// (the best ratio on similar messages) and the client keeps its own.
const OFFER: ClientOffer = ClientOffer {
    server_no_context_takeover: false,
    client_no_context_takeover: false,
};

/// Like [`connect`]; with `deflate` it offers permessage-deflate and checks the answer
/// (RFC 7692 §7.1: [`ClientOffer::validate_response`]). A declined offer is not an error
/// here: [`run_echo_deflate`] reports it.
pub async fn connect_with(addr: SocketAddr, path: &str, deflate: bool) -> Result<Conn, BoxError> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let extensions = if deflate {
        format!("Sec-WebSocket-Extensions: {}\r\n", OFFER.offer_header())
    } else {
        String::new()
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extensions}\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("the server closed the connection during the handshake".into());
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let answer = check_response(&head[..end])?;
            let deflate = if deflate {
                OFFER
                    .validate_response(answer.as_deref())
                    .map_err(|e| format!("bad permessage-deflate answer {answer:?}: {e:?}"))?
            } else if answer.is_some() {
                return Err(format!("unrequested extension {answer:?}").into());
            } else {
                None
            };
            let leftover = head[end + 4..].to_vec();
            return Ok(Conn {
                stream,
                leftover,
                deflate,
            });
        }
        if head.len() > MAX_RESPONSE_HEAD {
            return Err("the handshake response head is too long".into());
        }
    }
}

/// Checks the status line and the accept key of a handshake response head; returns the
/// `Sec-WebSocket-Extensions` value, if any.
fn check_response(head: &[u8]) -> Result<Option<String>, BoxError> {
    let head = std::str::from_utf8(head)?;
    let status = head.split("\r\n").next().unwrap_or("");
    if !status.starts_with("HTTP/1.1 101") {
        return Err(format!("handshake refused: {status:?}").into());
    }
    let expected = handshake::accept_key(KEY.as_bytes());
    let header = |want: &str| {
        head.split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case(want))
            .map(|(_, value)| value.trim().to_string())
    };
    let accept = header("sec-websocket-accept");
    if accept.as_deref() != Some(expected.as_str()) {
        return Err(format!("wrong Sec-WebSocket-Accept: {accept:?}").into());
    }
    Ok(header("sec-websocket-extensions"))
}

impl Conn {
    /// Drops the connection with a TCP reset (`SO_LINGER` 0), so that tens of thousands of
    /// closed client sockets do not sit in TIME_WAIT holding ephemeral ports.
    pub fn reset(self) {
        let _ = self.stream.set_zero_linger();
    }

    /// Sends one message of `pattern` and checks its echo.
    pub async fn echo_once(&mut self, pattern: &Pattern) -> Result<(), BoxError> {
        let now = Instant::now();
        let window = Window {
            start: now,
            end: now,
        };
        let hist = RefCell::new(Histogram::new(3)?);
        run_echo(self, pattern, 1, window, &hist).await?;
        Ok(())
    }
}

/// How many distinct messages a pattern cycles through (each starts 4 bytes further into
/// the buffer, so that consecutive echoes differ and a repeated or stale one is caught).
const SLOTS: usize = 64;

/// The messages one connection sends: message `seq` is `plain[o..o + size]` with
/// `o = 4 * (seq % SLOTS)`, sent as one final binary frame masked with `key`. Because `o`
/// is a multiple of 4, masking the whole buffer once with `key` (RFC 6455 §5.3) gives every
/// message's masked payload as a slice.
#[derive(Debug, Clone)]
pub struct Pattern {
    size: usize,
    plain: Vec<u8>,
    masked: Vec<u8>,
    header: Vec<u8>,
    key: [u8; 4],
}

/// What the messages carry (`--payload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Payload {
    /// A cheap arithmetic byte pattern (the default of every earlier run).
    #[default]
    Pattern,
    /// JSON-like text repeated: what permessage-deflate is for (chat, APIs).
    Compressible,
    /// Seeded pseudo-random bytes: incompressible.
    Random,
}

impl Payload {
    /// `len` bytes of this kind for connection `seed`.
    fn bytes(self, len: usize, seed: u32) -> Vec<u8> {
        match self {
            Payload::Pattern => (0..len)
                .map(|j| {
                    (j as u32)
                        .wrapping_mul(7)
                        .wrapping_add(seed.wrapping_mul(13)) as u8
                        ^ (j >> 8) as u8
                })
                .collect(),
            Payload::Compressible => {
                let mut out = Vec::with_capacity(len + 96);
                let mut i = 0u64;
                while out.len() < len {
                    let line = format!(
                        "{{\"seq\":{i},\"conn\":{seed},\"user\":\"user{}\",\"text\":\"hello from the load generator\",\"ok\":true}}\n",
                        i % 10
                    );
                    out.extend_from_slice(line.as_bytes());
                    i += 1;
                }
                out.truncate(len);
                out
            }
            Payload::Random => {
                // xorshift64*, seeded per connection: reproducible, incompressible.
                let mut x = 0x9E37_79B9_7F4A_7C15u64
                    ^ u64::from(seed).wrapping_mul(0xD1B5_4A32_D192_ED03)
                    | 1;
                let mut out = Vec::with_capacity(len + 8);
                while out.len() < len {
                    x ^= x >> 12;
                    x ^= x << 25;
                    x ^= x >> 27;
                    out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
                }
                out.truncate(len);
                out
            }
        }
    }
}

impl Pattern {
    /// The pattern of `size`-byte messages for connection `seed`.
    pub fn new(size: usize, seed: u32) -> Self {
        Pattern::with_payload(size, seed, Payload::Pattern)
    }

    /// The pattern of `size`-byte messages of `payload` for connection `seed`.
    pub fn with_payload(size: usize, seed: u32, payload: Payload) -> Self {
        let len = size + 4 * SLOTS;
        let plain = payload.bytes(len, seed);
        let s = seed.to_le_bytes();
        let key = [0x5a ^ s[0], 0x13 ^ s[1], 0xc7 ^ s[2], 0x9e ^ s[3]];
        let masked: Vec<u8> = plain
            .iter()
            .enumerate()
            .map(|(j, b)| b ^ key[j % 4])
            .collect();
        // The header alone: encode one message and cut its payload off.
        let mut header = Vec::with_capacity(size + 14);
        encoder::encode_frame(&mut header, OpCode::Binary, true, Some(key), &plain[..size]);
        header.truncate(header.len() - size);
        Pattern {
            size,
            plain,
            masked,
            header,
            key,
        }
    }

    fn offset(seq: u64) -> usize {
        4 * (seq % SLOTS as u64) as usize
    }

    /// Appends message `seq` as a masked frame.
    fn push_frame(&self, seq: u64, out: &mut Vec<u8>) {
        let o = Self::offset(seq);
        out.extend_from_slice(&self.header);
        out.extend_from_slice(&self.masked[o..o + self.size]);
    }

    /// The payload the echo of message `seq` must carry.
    fn expected(&self, seq: u64) -> &[u8] {
        let o = Self::offset(seq);
        &self.plain[o..o + self.size]
    }
}

/// Where the echo being received stands.
#[derive(Debug, Default)]
struct Receiving {
    /// Inside a data message (between its first frame and its final one).
    in_message: bool,
    /// The current frame belongs to the data message (not a ping or pong).
    data_frame: bool,
    /// The current frame is the message's last one.
    fin: bool,
    /// Payload bytes of the message checked so far.
    pos: usize,
}

/// Sends `pattern` messages on `conn`, `inflight` at a time, and checks each echo, until
/// `window.end`; then waits for the messages still in flight. Returns the messages sent in
/// the window and echoed before its end, and records their round-trip times in ns in
/// `hist`. One histogram shared by every connection of a run (the load generator is
/// single-threaded) stays in the cache; one per connection, at 1,000 connections, made
/// recording a latency the load generator's most expensive user-space step (5 % of its
/// time, perf), a cache miss per message.
pub async fn run_echo(
    conn: &mut Conn,
    pattern: &Pattern,
    inflight: usize,
    window: Window,
    hist: &RefCell<Histogram<u64>>,
) -> Result<u64, BoxError> {
    let size = pattern.size;
    let mut decoder = FrameDecoder::new(Role::Client);
    let mut sent: VecDeque<Instant> = VecDeque::with_capacity(inflight);
    let mut out = Vec::with_capacity(inflight * (size + 14));
    let (mut next_seq, mut done_seq, mut count) = (0u64, 0u64, 0u64);
    let now = Instant::now();
    for _ in 0..inflight {
        pattern.push_frame(next_seq, &mut out);
        sent.push_back(now);
        next_seq += 1;
    }
    conn.stream.write_all(&out).await?;
    out.clear();

    let mut rbuf = vec![0u8; (64 * 1024).max(conn.leftover.len())];
    let mut filled = conn.leftover.len();
    rbuf[..filled].copy_from_slice(&conn.leftover);
    conn.leftover.clear();
    let mut rx = Receiving::default();
    loop {
        if filled == 0 {
            filled = conn.stream.read(&mut rbuf).await?;
            if filled == 0 {
                return Err("the server closed the connection".into());
            }
        }
        let mut input = &mut rbuf[..filled];
        filled = 0;
        loop {
            let (event, rest) = decoder.decode_split(input)?;
            input = rest;
            match event {
                None => break,
                Some(FrameEvent::Header(h)) => match h.opcode {
                    OpCode::Binary if !rx.in_message => {
                        rx = Receiving {
                            in_message: true,
                            data_frame: true,
                            fin: h.fin,
                            pos: 0,
                        };
                    }
                    // RFC 6455 §5.4: a fragmented echo goes on with continuation frames.
                    OpCode::Continuation if rx.in_message => {
                        rx.data_frame = true;
                        rx.fin = h.fin;
                    }
                    // Keepalive pings (after long idle) need no answer in a short run.
                    OpCode::Ping | OpCode::Pong => rx.data_frame = false,
                    OpCode::Close => return Err("the server sent a close frame".into()),
                    op => return Err(format!("unexpected {op:?} frame in the echo").into()),
                },
                Some(FrameEvent::Payload { data, last }) => {
                    if !rx.data_frame {
                        continue;
                    }
                    let expected = pattern.expected(done_seq);
                    let end = rx.pos + data.len();
                    if end > size || data != &expected[rx.pos..end] {
                        return Err(format!("echo of message {done_seq} differs").into());
                    }
                    rx.pos = end;
                    if !(last && rx.fin) {
                        continue;
                    }
                    if rx.pos != size {
                        return Err(format!("echo of message {done_seq} is short").into());
                    }
                    rx = Receiving::default();
                    let now = Instant::now();
                    let sent_at = sent.pop_front().ok_or("an echo nobody sent")?;
                    if sent_at >= window.start && now < window.end {
                        count += 1;
                        let ns = now.duration_since(sent_at).as_nanos() as u64;
                        hist.borrow_mut().record(ns.max(1))?;
                    }
                    done_seq += 1;
                    if now < window.end {
                        pattern.push_frame(next_seq, &mut out);
                        sent.push_back(now);
                        next_seq += 1;
                    }
                }
            }
        }
        if !out.is_empty() {
            conn.stream.write_all(&out).await?;
            out.clear();
        }
        if sent.is_empty() {
            return Ok(count);
        }
    }
}

/// Like [`run_echo`] on a connection with permessage-deflate agreed (RFC 7692): every
/// message is compressed (with the context kept across messages, as agreed) and sent as one
/// masked binary frame with RSV1 (§6); every echo is inflated if it has RSV1 and compared
/// with what was sent. The client's compression (level 1) is part of each round trip, as it
/// is in a real client.
pub async fn run_echo_deflate(
    conn: &mut Conn,
    pattern: &Pattern,
    inflight: usize,
    window: Window,
    hist: &RefCell<Histogram<u64>>,
) -> Result<u64, BoxError> {
    let agreed = conn
        .deflate
        .ok_or("the server declined permessage-deflate")?;
    // Level 1 (the fastest that still compresses): the client's own compression is part of
    // every round trip, and it should cost the load generator's core as little as it can.
    let mut deflater = Deflater::with_level(1, agreed.params.client_no_context_takeover);
    let mut inflater = agreed.server_inflater();
    let mut decoder =
        Decoder::with_config(Role::Client, DecoderConfig::default()).with_per_message_rsv(0x40);
    let mut sent: VecDeque<Instant> = VecDeque::with_capacity(inflight);
    let (mut out, mut packed, mut inflated) = (Vec::new(), Vec::new(), Vec::new());
    let mut push = |seq: u64, out: &mut Vec<u8>| -> Result<(), BoxError> {
        packed.clear();
        deflater.compress(pattern.expected(seq), &mut packed)?;
        let mut header = FrameHeader::new(OpCode::Binary, packed.len() as u64);
        header.rsv1 = true;
        header.mask = Some(pattern.key);
        encoder::encode_with_header(out, &header, &packed);
        Ok(())
    };
    let (mut next_seq, mut done_seq, mut count) = (0u64, 0u64, 0u64);
    let now = Instant::now();
    for _ in 0..inflight {
        push(next_seq, &mut out)?;
        sent.push_back(now);
        next_seq += 1;
    }
    conn.stream.write_all(&out).await?;
    out.clear();

    let mut rbuf = vec![0u8; 64 * 1024];
    let mut pending = std::mem::take(&mut conn.leftover);
    loop {
        if pending.is_empty() {
            let n = conn.stream.read(&mut rbuf).await?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            pending.extend_from_slice(&rbuf[..n]);
        }
        let mut at = 0;
        while at < pending.len() {
            let (used, incoming) = decoder.decode_with_extensions(&mut pending[at..])?;
            at += used;
            let payload: &[u8] = match incoming {
                None => break,
                Some(Incoming::Extension { payload, .. }) => {
                    inflated.clear();
                    inflater.decompress(payload, &mut inflated, pattern.size)?;
                    &inflated
                }
                Some(Incoming::Message(Message::Binary(p))) => p,
                Some(Incoming::Message(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Incoming::Message(m)) => {
                    return Err(format!("unexpected {m:?} in the echo").into())
                }
            };
            if payload != pattern.expected(done_seq) {
                return Err(format!("echo of message {done_seq} differs").into());
            }
            let now = Instant::now();
            let sent_at = sent.pop_front().ok_or("an echo nobody sent")?;
            if sent_at >= window.start && now < window.end {
                count += 1;
                let ns = now.duration_since(sent_at).as_nanos() as u64;
                hist.borrow_mut().record(ns.max(1))?;
            }
            done_seq += 1;
            if now < window.end {
                push(next_seq, &mut out)?;
                sent.push_back(now);
                next_seq += 1;
            }
        }
        pending.clear();
        if !out.is_empty() {
            conn.stream.write_all(&out).await?;
            out.clear();
        }
        if sent.is_empty() {
            return Ok(count);
        }
    }
}

/// The CPU time process `pid` has used so far, user plus system, in clock ticks of
/// `/proc/PID/stat` (USER_HZ, 100 a second on Linux).
pub fn cpu_ticks(pid: u32) -> Result<u64, BoxError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let after = stat
        .rsplit_once(')')
        .ok_or("no command name in /proc/PID/stat")?
        .1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| -> Result<u64, BoxError> {
        Ok(fields.get(n - 3).ok_or("short /proc/PID/stat")?.parse()?)
    };
    Ok(field(14)? + field(15)?)
}

/// Clock ticks per second in `/proc/PID/stat` (Linux's USER_HZ).
pub const TICKS_PER_SEC: f64 = 100.0;

/// The resident set size of process `pid` in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/PID/status".into())
}
