//! The client side of the load generator (`src/bin/wsprism-load.rs`): the opening
//! handshake on a raw `TcpStream`, pre-masked message patterns, and the echo loop that
//! checks every byte that comes back and times every message.
//!
//! The client is the wsprism codec in [`Role::Client`]. What is measured is the server, so
//! the client does as little as it can per message: a frame is its fixed header followed by
//! a slice of a buffer masked once up front, and the echo is compared in place.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wsprism::{encoder, handshake, FrameDecoder, FrameEvent, OpCode, Role};

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
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
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
            check_response(&head[..end])?;
            let leftover = head[end + 4..].to_vec();
            return Ok(Conn { stream, leftover });
        }
        if head.len() > MAX_RESPONSE_HEAD {
            return Err("the handshake response head is too long".into());
        }
    }
}

/// Checks the status line and the accept key of a handshake response head.
fn check_response(head: &[u8]) -> Result<(), BoxError> {
    let head = std::str::from_utf8(head)?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    if !status.starts_with("HTTP/1.1 101") {
        return Err(format!("handshake refused: {status:?}").into());
    }
    let expected = handshake::accept_key(KEY.as_bytes());
    let accept = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|(_, value)| value.trim());
    if accept != Some(expected.as_str()) {
        return Err(format!("wrong Sec-WebSocket-Accept: {accept:?}").into());
    }
    Ok(())
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
        let hist = Histogram::new(3)?;
        run_echo(self, pattern, 1, window, hist).await?;
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
}

impl Pattern {
    /// The pattern of `size`-byte messages for connection `seed`.
    pub fn new(size: usize, seed: u32) -> Self {
        let len = size + 4 * SLOTS;
        let plain: Vec<u8> = (0..len)
            .map(|j| {
                (j as u32)
                    .wrapping_mul(7)
                    .wrapping_add(seed.wrapping_mul(13)) as u8
                    ^ (j >> 8) as u8
            })
            .collect();
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
/// the window and echoed before its end, and `hist` with their round-trip times in ns.
pub async fn run_echo(
    conn: &mut Conn,
    pattern: &Pattern,
    inflight: usize,
    window: Window,
    mut hist: Histogram<u64>,
) -> Result<(u64, Histogram<u64>), BoxError> {
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
                        hist.record(ns.max(1))?;
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
            return Ok((count, hist));
        }
    }
}

/// The resident set size of process `pid` in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/PID/status".into())
}
