//! The connection engine: one task per WebSocket connection, running the wsprism codec on
//! the raw `TcpStream` that hyper handed over after the 101.
//!
//! # Reading
//! Bytes are read into one reusable buffer (64 KiB, grown only to hold a frame that does
//! not fit, and given back when the connection goes quiet). A frame's header is fed to the
//! codec as soon as it is complete, so every rule a header can break (and the size limit,
//! 1009) is enforced before anything is buffered for its payload. Then:
//! - a binary or control frame is decoded once it is whole in the buffer, so the codec hands
//!   out a single-frame message as a slice of the buffer, unmasked in place: no copy;
//! - a text frame that has not arrived whole is fed to the codec piece by piece as it
//!   arrives, so invalid UTF-8 fails the connection at the first impossible byte (§8.1:
//!   "MUST _Fail the WebSocket Connection_" on invalid data, which Autobahn's 6.x cases check
//!   fail-fast) instead of after the rest of a frame that may never come. The codec
//!   assembles those pieces in its message buffer.
//!
//! # Writing
//! Replies produced from one read are collected into one output buffer and written with one
//! system call; a payload larger than [`COPY_MAX`] is not copied but written with its header
//! in one vectored write. Every write that cannot make progress waits at most the write
//! timeout. There is no unbounded queue: /echo and /inspect write their replies before
//! reading on (a client that does not read stops being read), and /chat's queue is bounded
//! (see [`crate::chat`]).
//!
//! # permessage-deflate (RFC 7692)
//! When the handshake agreed on it, the decoder accepts RSV1 on a message's first frame
//! (§6) and hands such a message back compressed; it is inflated into a per-connection
//! buffer with the message size limit as the bound (a "zip bomb" fails with 1009 as soon as
//! the output passes it, §8.1 of RFC 6455 for UTF-8 of inflated text: 1007). Outgoing data
//! messages of at least [`COMPRESS_MIN`] bytes are compressed (RSV1 on the first frame);
//! smaller ones, those that [`looks_incompressible`] judges random (encrypted, already
//! compressed), and any whose compressed form is not smaller, go out with RSV1 clear, which
//! RFC 7692 §6 allows per message. /chat broadcasts are encoded once for every member and
//! are sent uncompressed; /inspect's fragment command sends uncompressed fragments.
//!
//! Memory: the server always uses `server_no_context_takeover`, so its compressor (about
//! 300 KiB in miniz_oxide) holds nothing between messages and comes from a small pool shared
//! by all connections; the inflater (about 43 KiB) is built on the first compressed message
//! and kept for the client's context, or (with `client_no_context_takeover`) pooled too.
//!
//! # Closing (RFC 6455 §5.5.1, §7.1.1)
//! - The client closes: the server answers with a close frame echoing the status code,
//!   shuts its write side (FIN: "the server SHOULD close the underlying TCP connection
//!   first"), and reads until the client's FIN or the close timeout.
//! - The server closes (shutdown 1001, policy 1003/1008, an /inspect command): it sends its
//!   close frame, reads on for the client's close frame (answering nothing, discarding data)
//!   until the close timeout, then closes TCP.
//! - A protocol error: the codec's close code, a short reason, then close TCP (§7.1.7).

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout_at, Instant};
use tokio_util::io::poll_read_buf;
use wsprism::close::encode_payload;
use wsprism::deflate::{looks_incompressible, Agreed, Deflater, Inflater, RSV1};
use wsprism::message::Incoming;
use wsprism::{CloseCode, Decoder, DecoderConfig, Error, FrameHeader, Message, OpCode, Role};

use crate::chat::{Outbound, QueueRx, Room};
use crate::inspect::{self, Command, Inspector};
use crate::metrics::{DropReason, Endpoint, Initiator, Metrics, Traffic};
use crate::shutdown::Listener;

/// Initial (and resting) size of the read buffer.
const READ_BUF: usize = 64 * 1024;
/// Read at least this much per system call; compact the buffer when less room is left.
const MIN_READ: usize = 4 * 1024;
/// A read buffer (or the codec's reassembly buffer) above this size is released when the
/// connection goes quiet.
const SHRINK_ABOVE: usize = 256 * 1024;
/// Payloads up to this size are copied into the output batch; larger ones are written from
/// where they are, with a vectored write.
pub const COPY_MAX: usize = 16 * 1024;
/// The output batch is written out once it holds this much.
const FLUSH_AT: usize = 64 * 1024;
/// A frame waited for whole sets the socket's low-water mark only if more than this is
/// missing (each change is a system call).
const LOWAT_FROM: usize = 64 * 1024;
/// The highest low-water mark set: far below any receive buffer, so the kernel can always
/// queue that much, and small enough that a slow sender still shows life every few KiB/s.
const LOWAT_MAX: usize = 256 * 1024;
/// Data messages shorter than this are sent uncompressed (RSV1 clear, RFC 7692 §6): the
/// DEFLATE block overhead would eat most of the gain.
pub const COMPRESS_MIN: usize = 32;

/// The limits and timeouts of a connection.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest message (and frame) a client may send.
    pub max_message_size: u64,
    /// Idle time before a ping; `None` disables keepalive.
    pub ping_interval: Option<Duration>,
    /// Time to show life after a ping.
    pub pong_timeout: Duration,
    /// Time for the client's side of the closing handshake.
    pub close_timeout: Duration,
    /// Longest a write may make no progress.
    pub write_timeout: Duration,
    /// permessage-deflate parameters; `None` declines every offer.
    pub deflate: Option<wsprism::deflate::ServerConfig>,
}

/// What a connection serves.
pub enum App {
    /// `/echo`
    Echo,
    /// `/chat`, as a member of the room.
    Chat(ChatMember),
    /// `/inspect`
    Inspect(Inspector),
}

/// A connection's place in the chat room.
pub struct ChatMember {
    room: Arc<Room>,
    id: u64,
    rx: QueueRx,
    welcome: Option<String>,
}

impl ChatMember {
    /// Joins `room`.
    pub fn join(room: Arc<Room>) -> ChatMember {
        let (id, rx, welcome) = room.join();
        ChatMember {
            room,
            id,
            rx,
            welcome: Some(welcome),
        }
    }
}

impl Drop for ChatMember {
    fn drop(&mut self) {
        self.room.leave(self.id);
    }
}

impl App {
    fn endpoint(&self) -> Endpoint {
        match self {
            App::Echo => Endpoint::Echo,
            App::Chat(_) => Endpoint::Chat,
            App::Inspect(_) => Endpoint::Inspect,
        }
    }
}

/// How a connection ends.
#[derive(Debug)]
enum End {
    /// The client started the closing handshake (with this code, if any).
    ClientClosed(Option<CloseCode>),
    /// The client answered the server's close frame.
    Answered,
    /// The client broke a rule of the protocol.
    Failed(Error),
    /// The connection is dropped without (completing) a closing handshake.
    Dropped(DropReason),
}

/// What the engine does after a message.
enum Flow {
    Continue,
    ClientClosed(Option<CloseCode>),
    /// The server closes with this code and reason.
    Close(CloseCode, String),
}

/// Runs a WebSocket connection to its end. `prefix` holds bytes hyper read past the
/// handshake (a client may send its first frame with the request).
pub async fn run(
    io: TcpStream,
    prefix: Bytes,
    app: App,
    deflate: Option<Agreed>,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    shutdown: Listener,
) {
    let ep = app.endpoint();
    metrics.ws_opened(ep);
    // With permessage-deflate, the limit applies to the inflated message; its compressed
    // form may be larger than the message itself (incompressible data), so the wire limit
    // leaves room for that. An uncompressed message still gets the exact limit (below).
    let wire_max = match deflate {
        Some(_) => deflated_bound(settings.max_message_size),
        None => settings.max_message_size,
    };
    let config = DecoderConfig {
        max_message_len: wire_max,
        max_frame_len: wire_max,
        allowed_rsv: 0, // RSV1 is allowed below only if permessage-deflate was agreed
    };
    let mut decoder = Decoder::with_config(Role::Server, config);
    if deflate.is_some() {
        // RFC 7692 §6: RSV1 marks a compressed message, on its first frame only.
        decoder = decoder.with_per_message_rsv(RSV1);
    }
    let mut buf = if prefix.is_empty() {
        Vec::new() // taken when the first bytes arrive
    } else {
        let mut buf = read_buffers::take();
        buf.reserve(prefix.len() + MIN_READ);
        buf
    };
    buf.extend_from_slice(&prefix);
    let now = Instant::now();
    let mut conn = Conn {
        sink: Sink {
            io,
            // Grown on the first reply: an idle connection holds no output buffer.
            out: Vec::new(),
            write_timeout: settings.write_timeout,
            traffic: Traffic {
                bytes_in: prefix.len() as u64,
                ..Traffic::default()
            },
            report: matches!(app, App::Inspect(_)),
            deflate: deflate.map(|agreed| Compress {
                agreed,
                deflater: None,
                buf: Vec::new(),
            }),
        },
        rd: Reader {
            buf,
            start: 0,
            fed: None,
        },
        decoder,
        inflate: deflate.map(|agreed| Inflate {
            agreed,
            inflater: None,
            buf: Vec::new(),
        }),
        app,
        settings,
        metrics: metrics.clone(),
        ep,
        last_seen: now,
        ping_sent: None,
        closing: None,
        timer_at: None,
        in_text: false,
        rcvlowat: 1,
        wire: Vec::new(),
    };
    // Copied into the read buffer above; an async fn would otherwise keep hyper's buffer
    // (8 KiB) alive for the whole connection.
    drop(prefix);
    let end = conn.serve(shutdown).await;
    tracing::debug!(endpoint = ep.name(), ?end, "connection ends");
    conn.finish(end).await;
    metrics.add_traffic(ep, &mut conn.sink.traffic);
    metrics.ws_closed(ep);
}

/// The largest compressed size of a message of `max` bytes: zlib's `deflateBound` for any
/// parameters (about +14%). Clients with a small `memLevel` (Python's websockets uses 5)
/// emit many small blocks for incompressible data, so the +0.01% of 64 KiB stored blocks
/// is not enough: a 16 MiB random message comes to 16.04 MiB from websockets.
fn deflated_bound(max: u64) -> u64 {
    max.saturating_add(max.div_ceil(8))
        .saturating_add(max.div_ceil(64))
        .saturating_add(5)
}

/// The read buffer and where the next frame starts in it.
struct Reader {
    buf: Vec<u8>,
    /// Start of the first frame not yet fully decoded; for a frame being streamed, of its
    /// first payload byte not yet fed.
    start: usize,
    /// The frame whose header the codec accepted but whose payload is not all fed yet.
    fed: Option<Fed>,
}

/// A frame whose header was fed to the codec.
#[derive(Debug, Clone, Copy)]
struct Fed {
    header_len: usize,
    payload_len: u64,
    /// Payload bytes not fed yet.
    remaining: u64,
    /// Fed piece by piece as it arrives (text); otherwise it waits to be whole, with its
    /// header still in the buffer at `start`.
    stream: bool,
}

/// What the bytes in the read buffer allow.
enum Step {
    /// Read more first.
    NeedMore,
    /// A complete header whose payload is not all here: feed the header alone.
    Header(FrameHeader, usize),
    /// A complete frame of `total` bytes; its first `skip` bytes were already fed.
    Frame(FrameHeader, usize, usize),
    /// `len` more payload bytes of a streamed frame; `last` if they end it.
    Piece { len: usize, last: bool },
}

impl Reader {
    fn step(&self) -> Result<Step, Error> {
        let avail = self.buf.len() - self.start;
        if avail == 0 {
            // Every frame has at least a 2-byte header, every piece at least one byte.
            return Ok(Step::NeedMore);
        }
        if let Some(fed) = self.fed {
            if fed.stream {
                let len = (avail as u64).min(fed.remaining) as usize;
                return Ok(if len == 0 {
                    Step::NeedMore
                } else {
                    Step::Piece {
                        len,
                        last: len as u64 == fed.remaining,
                    }
                });
            }
            // Not streamed: the header is still at `start`, and the frame fits the buffer.
            let total = fed.header_len + fed.remaining as usize;
            return Ok(if avail >= total {
                let (header, _) = FrameHeader::decode(&self.buf[self.start..])?
                    .ok_or(Error::InvalidPayloadLength)?;
                Step::Frame(header, total, fed.header_len)
            } else {
                Step::NeedMore
            });
        }
        Ok(match FrameHeader::decode(&self.buf[self.start..])? {
            None => Step::NeedMore,
            Some((h, header_len)) => {
                // `header_len as u64 + payload_len` cannot overflow: §5.2 caps the length
                // at 2^63-1 and the header decoder rejects more.
                let total = header_len as u64 + h.payload_len;
                if avail as u64 >= total {
                    Step::Frame(h, total as usize, 0)
                } else {
                    Step::Header(h, header_len)
                }
            }
        })
    }

    /// Makes room for the next read: forgets consumed bytes, and makes sure a frame whose
    /// header the codec accepted fits whole (its size was checked against the limit).
    fn prepare(&mut self) {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        let frame = match self.fed {
            Some(fed) if !fed.stream => fed.header_len + fed.remaining as usize,
            _ => 0,
        };
        let spare = self.buf.capacity() - self.buf.len();
        if self.start > 0 && (spare < MIN_READ || self.start + frame > self.buf.capacity()) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if frame > self.buf.capacity() {
            // Exactly the frame: the size was checked, and doubling would waste up to that
            // much again.
            self.buf.reserve_exact(frame - self.buf.len());
        } else if frame == 0
            && !self.buf.is_empty()
            && self.buf.capacity() - self.buf.len() < MIN_READ
        {
            // (With a whole frame awaited, the room left is at least the rest of it; with
            // nothing pending, `make_room` takes a buffer when bytes arrive.)
            self.buf.reserve(READ_BUF);
        }
    }

    /// Gives the buffer back while nothing is pending, so that a connection waiting for
    /// its client holds no read buffer at all; [`make_room`](Self::make_room) takes one
    /// again when bytes arrive (an allocator round trip, against a system call).
    fn release_if_empty(&mut self) {
        if self.buf.is_empty() && self.fed.is_none() && self.buf.capacity() != 0 {
            read_buffers::give(std::mem::take(&mut self.buf));
        }
    }

    /// Room for a read, after [`release_if_empty`](Self::release_if_empty).
    fn make_room(&mut self) {
        if self.buf.capacity() == 0 {
            self.buf = read_buffers::take();
        } else if self.buf.capacity() - self.buf.len() < MIN_READ {
            self.buf.reserve(READ_BUF);
        }
    }

    /// How many bytes the socket should hold before it wakes the connection: for a large
    /// frame that is waited for whole (binary or control), what is missing of it, up to
    /// [`LOWAT_MAX`]; otherwise 1 (every byte). Without this, a 1 MiB frame arriving over
    /// loopback woke the server for every piece (3.6 context switches a message, against
    /// 0.9 for tokio-tungstenite), and each wake-up costs the sender a cross-core wake.
    fn lowat(&self) -> usize {
        match self.fed {
            Some(fed) if !fed.stream => {
                let frame = fed.header_len + fed.remaining as usize;
                let missing = frame.saturating_sub(self.buf.len() - self.start);
                if missing > LOWAT_FROM {
                    missing.min(LOWAT_MAX)
                } else {
                    1
                }
            }
            _ => 1,
        }
    }

    /// Whether the buffer holds nothing but is large (kept from a big frame).
    fn is_idle_and_big(&self) -> bool {
        self.buf.is_empty() && self.buf.capacity() > SHRINK_ABOVE
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        read_buffers::give(std::mem::take(&mut self.buf));
    }
}

/// Read buffers that no connection holds, kept per worker thread for the next one that
/// needs one: an idle connection holds no read buffer, yet a busy one does not pay a
/// `malloc` and `free` of 64 KiB on every message (about 360 instructions a message in
/// callgrind, 100 connections × 20 B). At most [`KEEP`](read_buffers::KEEP) per thread.
mod read_buffers {
    use std::cell::RefCell;

    use super::READ_BUF;

    /// Buffers kept per thread: enough for the connections one worker serves between two
    /// waits, at most 2 MiB of address space (only the pages a read touched are resident).
    pub const KEEP: usize = 32;

    thread_local! {
        static FREE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    /// An empty buffer of [`READ_BUF`] bytes.
    pub fn take() -> Vec<u8> {
        FREE.with_borrow_mut(Vec::pop)
            .unwrap_or_else(|| Vec::with_capacity(READ_BUF))
    }

    /// Keeps `buf` for [`take`] if it is of the resting size and the pool has room.
    pub fn give(mut buf: Vec<u8>) {
        if buf.capacity() != READ_BUF {
            return;
        }
        buf.clear();
        // (`try_with`: a thread's pool may already be gone while the thread exits.)
        let _ = FREE.try_with(|free| {
            let mut free = free.borrow_mut();
            if free.len() < KEEP {
                free.push(buf);
            }
        });
    }
}

/// The write side: the socket, the output batch and the traffic counts.
struct Sink {
    io: TcpStream,
    out: Vec<u8>,
    write_timeout: Duration,
    traffic: Traffic,
    /// /inspect: report every frame before writing it.
    report: bool,
    /// permessage-deflate, if agreed: the compressor side.
    deflate: Option<Compress>,
}

/// The sending half of permessage-deflate.
struct Compress {
    agreed: Agreed,
    /// The connection's own compressor, only when it keeps its context between messages or
    /// the client limited our window (Huffman-only).
    deflater: Option<Deflater>,
    /// The compressed payload being sent.
    buf: Vec<u8>,
}

/// Compressors without context (`server_no_context_takeover`), shared by all connections.
/// Compression never awaits, so at most one per worker thread is in use at a time: the pool
/// stays that small, and no connection allocates (and zeroes) miniz_oxide's ~300 KiB
/// compressor per message, nor leaves the allocator holes of that size behind.
static DEFLATERS: std::sync::Mutex<Vec<Deflater>> = std::sync::Mutex::new(Vec::new());
/// Inflaters without context (`client_no_context_takeover`), shared likewise.
static INFLATERS: std::sync::Mutex<Vec<Inflater>> = std::sync::Mutex::new(Vec::new());
/// Most compressors (and inflaters) kept in [`DEFLATERS`] (and [`INFLATERS`]).
const POOL_MAX: usize = 16;

impl Compress {
    /// Compresses `payload` into `self.buf` if that is worth it: `false` means send it as is.
    fn compress(&mut self, payload: &[u8]) -> bool {
        let keep_context = !self.agreed.params.server_no_context_takeover;
        if payload.len() < COMPRESS_MIN && !keep_context {
            return false;
        }
        // Random, encrypted or already compressed data: a few microseconds to see it, where
        // compressing 64 KiB of it costs about a millisecond for nothing.
        if looks_incompressible(payload) {
            return false;
        }
        // A client that limited our window below 15 bits gets a Huffman-only compressor
        // (wsprism::deflate docs): the connection keeps its own, the pool holds only the
        // unrestricted kind.
        let own = keep_context
            || self
                .agreed
                .params
                .server_max_window_bits
                .is_some_and(|b| b < 15);
        let pooled = if own {
            self.deflater.take()
        } else {
            lock(&DEFLATERS).pop()
        };
        let mut deflater = pooled.unwrap_or_else(|| self.agreed.server_deflater());
        self.buf.clear();
        if deflater.compress(payload, &mut self.buf).is_err() {
            return false; // (and the compressor is dropped)
        }
        if own {
            self.deflater = Some(deflater);
        } else {
            // Reset by `compress` (no context takeover): ready for any connection.
            let mut pool = lock(&DEFLATERS);
            if pool.len() < POOL_MAX {
                pool.push(deflater);
            }
        }
        // With a fresh context per message, a message that does not shrink can go out
        // uncompressed instead (RFC 7692 §6: RSV1 is per message).
        keep_context || self.buf.len() < payload.len()
    }

    /// Frees what an idle connection does not need.
    fn release(&mut self) {
        if self.buf.capacity() > IDLE_BUF_MAX {
            self.buf = Vec::new();
        }
    }
}

/// A compression buffer larger than this is freed when the connection goes quiet.
const IDLE_BUF_MAX: usize = 16 * 1024;

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The receiving half of permessage-deflate.
struct Inflate {
    agreed: Agreed,
    /// The connection's own inflater, only when the client keeps its context.
    inflater: Option<Inflater>,
    /// The inflated payload of the last compressed message.
    buf: Vec<u8>,
}

impl Inflate {
    /// Inflates a compressed message (RFC 7692 §7.2.2), at most `max` bytes (else 1009),
    /// and checks a text message's UTF-8 (RFC 6455 §8.1, 1007).
    fn inflate(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        max: usize,
    ) -> Result<Message<'_>, Error> {
        self.buf.clear();
        if self.agreed.params.client_no_context_takeover {
            // No window between messages: a pooled inflater serves (`decompress` resets
            // it after each message, and after an error).
            let pooled = lock(&INFLATERS).pop();
            let mut inflater = pooled.unwrap_or_else(|| self.agreed.client_inflater());
            let result = inflater.decompress(payload, &mut self.buf, max);
            let mut pool = lock(&INFLATERS);
            if pool.len() < POOL_MAX {
                pool.push(inflater);
            }
            drop(pool);
            result?;
        } else {
            let agreed = self.agreed;
            self.inflater
                .get_or_insert_with(|| agreed.client_inflater())
                .decompress(payload, &mut self.buf, max)?;
        }
        if opcode == OpCode::Text {
            let text = std::str::from_utf8(&self.buf).map_err(|_| Error::InvalidUtf8)?;
            Ok(Message::Text(text))
        } else {
            Ok(Message::Binary(&self.buf))
        }
    }

    /// Frees what an idle connection does not need.
    fn release(&mut self) {
        if self.buf.capacity() > IDLE_BUF_MAX {
            self.buf = Vec::new();
        }
    }
}

impl Sink {
    /// The common case of [`frame`](Self::frame) without an `await`: a frame that is not
    /// reported, not compressed and fits the batch is encoded into it here. Returns `false`
    /// (and does nothing) when the general path must send it. An echo of small messages
    /// then costs no future at all (callgrind: about 10 % of the server's user-space
    /// instructions at 100 × 20 B went to the chain of async calls below).
    fn try_batch(&mut self, opcode: OpCode, payload: &[u8]) -> bool {
        let plain = self.deflate.is_none() || opcode.is_control();
        // 14: the longest header.
        if self.report || !plain || self.out.len() + 14 + payload.len() >= FLUSH_AT {
            return false;
        }
        self.batch(&FrameHeader::new(opcode, payload.len() as u64), payload);
        true
    }

    /// Appends a frame to the output batch and counts it.
    fn batch(&mut self, header: &FrameHeader, payload: &[u8]) {
        let head = header.encode();
        self.traffic.msgs_out += u64::from(header.fin);
        self.traffic.bytes_out += (head.len() + payload.len()) as u64;
        self.out.extend_from_slice(&head);
        self.out.extend_from_slice(payload);
    }

    /// Sends one frame (reported first on /inspect); a data message is compressed if
    /// permessage-deflate was agreed and it pays.
    async fn frame(&mut self, opcode: OpCode, payload: &[u8]) -> io::Result<()> {
        if self.try_batch(opcode, payload) {
            return Ok(());
        }
        if opcode.is_control() {
            return self.plain_frame(opcode, payload).await;
        }
        let Some(mut z) = self.deflate.take() else {
            return self.plain_frame(opcode, payload).await;
        };
        let result = if z.compress(payload) {
            self.traffic.deflate_saved_out += payload.len().saturating_sub(z.buf.len()) as u64;
            if self.report {
                let r = inspect::inflated("out", opcode, payload);
                if let Err(e) = self.unreported(r.as_bytes()).await {
                    self.deflate = Some(z);
                    return Err(e);
                }
            }
            let mut header = FrameHeader::new(opcode, z.buf.len() as u64);
            header.rsv1 = true; // RFC 7692 §6: "Per-Message Compressed"
            self.send_frame(&header, &z.buf, false).await
        } else {
            self.plain_frame(opcode, payload).await
        };
        self.deflate = Some(z);
        result
    }

    /// Sends one frame as is.
    async fn plain_frame(&mut self, opcode: OpCode, payload: &[u8]) -> io::Result<()> {
        let header = FrameHeader::new(opcode, payload.len() as u64);
        self.send_frame(&header, payload, opcode == OpCode::Text)
            .await
    }

    /// Sends a frame, reported first on /inspect.
    async fn send_frame(
        &mut self,
        header: &FrameHeader,
        payload: &[u8],
        is_text: bool,
    ) -> io::Result<()> {
        if self.report {
            let r = inspect::frame_out(header, payload, is_text);
            self.unreported(r.as_bytes()).await?;
        }
        self.write_frame(header, payload).await
    }

    /// Sends a message in fragments of `size` bytes (§5.4). On /inspect all the reports go
    /// first: nothing may come between the fragments of a message.
    async fn fragments(&mut self, opcode: OpCode, payload: &[u8], size: usize) -> io::Result<()> {
        let header = |op: OpCode, fin: bool, part: &[u8]| {
            let mut h = FrameHeader::new(op, part.len() as u64);
            h.fin = fin;
            h
        };
        if self.report {
            for (op, fin, part) in wsprism::encoder::fragments(opcode, payload, size) {
                let r = inspect::frame_out(&header(op, fin, part), part, opcode == OpCode::Text);
                self.unreported(r.as_bytes()).await?;
            }
        }
        for (op, fin, part) in wsprism::encoder::fragments(opcode, payload, size) {
            self.write_frame(&header(op, fin, part), part).await?;
        }
        Ok(())
    }

    /// Sends a close frame with `code` (none: an empty close payload) and writes it out.
    async fn close(&mut self, code: Option<CloseCode>, reason: &str) -> io::Result<()> {
        match code {
            Some(code) => {
                let payload = encode_payload(code, reason);
                self.frame(OpCode::Close, &payload).await?;
            }
            None => self.frame(OpCode::Close, &[]).await?,
        }
        self.flush().await
    }

    /// Sends a text message that is not itself reported (an /inspect report).
    async fn unreported(&mut self, text: &[u8]) -> io::Result<()> {
        let header = FrameHeader::new(OpCode::Text, text.len() as u64);
        self.write_frame(&header, text).await
    }

    async fn write_frame(&mut self, header: &FrameHeader, payload: &[u8]) -> io::Result<()> {
        if payload.len() <= COPY_MAX {
            self.batch(header, payload);
            if self.out.len() >= FLUSH_AT {
                self.flush().await?;
            }
            return Ok(());
        }
        // Batch, header and payload in one system call, without copying the payload.
        let head = header.encode();
        self.traffic.msgs_out += u64::from(header.fin);
        self.traffic.bytes_out += (head.len() + payload.len()) as u64;
        let mut bufs = [
            IoSlice::new(&self.out),
            IoSlice::new(&head),
            IoSlice::new(payload),
        ];
        write_all_vectored(&self.io, &mut bufs, self.write_timeout).await?;
        self.out.clear();
        Ok(())
    }

    /// Writes a frame that is already encoded (a chat broadcast).
    async fn encoded(&mut self, frame: &[u8]) -> io::Result<()> {
        self.traffic.msgs_out += 1;
        self.traffic.bytes_out += frame.len() as u64;
        if frame.len() <= COPY_MAX {
            self.out.extend_from_slice(frame);
            if self.out.len() >= FLUSH_AT {
                self.flush().await?;
            }
            return Ok(());
        }
        let mut bufs = [IoSlice::new(&self.out), IoSlice::new(frame)];
        write_all_vectored(&self.io, &mut bufs, self.write_timeout).await?;
        self.out.clear();
        Ok(())
    }

    /// Writes out the batch.
    async fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        // The socket usually takes the whole batch: one plain `write`, no vectored-write
        // future, unless it does not.
        let done = match self.io.try_write(&self.out) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                0
            }
            Err(e) => return Err(e),
        };
        if done < self.out.len() {
            let mut bufs = [IoSlice::new(&self.out[done..])];
            write_all_vectored(&self.io, &mut bufs, self.write_timeout).await?;
        }
        self.out.clear();
        if self.out.capacity() > 4 * FLUSH_AT {
            self.out = Vec::with_capacity(COPY_MAX);
        }
        Ok(())
    }
}

/// Writes every slice, trying the socket first and waiting for it (at most `timeout` each
/// time it makes no progress) only when it is full.
async fn write_all_vectored(
    io: &TcpStream,
    mut bufs: &mut [IoSlice<'_>],
    timeout: Duration,
) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match io.try_write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                match tokio::time::timeout(timeout, io.writable()).await {
                    Ok(r) => r?,
                    Err(_) => return Err(io::ErrorKind::TimedOut.into()),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads what the socket holds into `buf`'s spare room without waiting: `WouldBlock` if
/// nothing is there (a stale readiness event).
///
/// Not `TcpStream::try_read_buf`: tokio's `poll_read` also clears the socket's readiness
/// when a read comes back short (epoll is edge-triggered, so a short read means the socket
/// is drained). That spares every message a second `read` whose only answer would be
/// `EAGAIN`, about a third of the system calls of a small echo.
async fn read_now(io: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    poll_fn(|cx| match poll_read_buf(Pin::new(&mut *io), cx, buf) {
        Poll::Pending => Poll::Ready(Err(io::ErrorKind::WouldBlock.into())),
        ready => ready,
    })
    .await
}

/// Sets the socket's `SO_RCVLOWAT` (`socket(7)`): epoll reports it readable only once that
/// many bytes are queued (or on FIN, error or a full buffer). Neither socket2 nor rustix
/// wraps this option, hence the one `setsockopt` call here.
#[allow(unsafe_code)]
fn set_rcvlowat(io: &TcpStream, bytes: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: the descriptor is the open socket `io` owns for the whole call; `value` is a
    // live `c_int` and the length passed is its size, as setsockopt(2) requires.
    let rc = unsafe {
        libc::setsockopt(
            io.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn io_end(e: io::Error) -> End {
    End::Dropped(match e.kind() {
        io::ErrorKind::TimedOut => DropReason::WriteTimeout,
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => DropReason::Eof,
        _ => DropReason::IoError,
    })
}

struct Conn {
    sink: Sink,
    rd: Reader,
    decoder: Decoder,
    /// permessage-deflate, if agreed: the inflating side.
    inflate: Option<Inflate>,
    app: App,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    ep: Endpoint,
    /// When bytes last arrived.
    last_seen: Instant,
    /// When the outstanding keepalive ping was sent.
    ping_sent: Option<Instant>,
    /// The server sent a close frame; the client must answer by then.
    closing: Option<Instant>,
    /// The next keepalive or close deadline.
    timer_at: Option<Instant>,
    /// A fragmented text message is in progress (its continuations are streamed too).
    in_text: bool,
    /// The socket's `SO_RCVLOWAT` as last set (1, the default, or part of a large frame).
    rcvlowat: usize,
    /// /inspect: the wire bytes of the frame being streamed (header and up to
    /// [`inspect::SHOW_MAX`] payload bytes).
    wire: Vec<u8>,
}

/// What woke the connection up.
enum Event {
    Readable(io::Result<()>),
    Queue(Outbound),
    Shutdown,
    Timer,
}

impl Conn {
    async fn serve(&mut self, mut shutdown: Listener) -> End {
        if let App::Chat(member) = &mut self.app {
            if let Some(welcome) = member.welcome.take() {
                if let Err(e) = self.sink.frame(OpCode::Text, welcome.as_bytes()).await {
                    return io_end(e);
                }
            }
        }
        self.timer_at = self.settings.ping_interval.map(|i| self.last_seen + i);
        let sleep = sleep_until(self.timer_at.unwrap_or_else(Instant::now));
        tokio::pin!(sleep);
        let mut armed = self.timer_at;
        loop {
            if let Err(end) = self.process().await {
                return end;
            }
            if let Err(e) = self.sink.flush().await {
                return io_end(e);
            }
            self.metrics.add_traffic(self.ep, &mut self.sink.traffic);
            self.rd.prepare();
            let lowat = self.rd.lowat();
            if lowat != self.rcvlowat {
                // Best effort: without it the connection only wakes more often.
                if set_rcvlowat(&self.sink.io, lowat).is_ok() {
                    self.rcvlowat = lowat;
                }
            }
            self.rd.release_if_empty();
            if self.rd.buf.is_empty() {
                // Nothing pending: free large compression buffers (module docs).
                if let Some(z) = &mut self.sink.deflate {
                    z.release();
                }
                if let Some(z) = &mut self.inflate {
                    z.release();
                }
            }
            if self.rd.is_idle_and_big() || self.decoder.buffer_capacity() > SHRINK_ABOVE {
                match self.release_memory() {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => return io_end(e),
                }
            }
            if self.timer_at != armed {
                if let Some(at) = self.timer_at {
                    sleep.as_mut().reset(at);
                }
                armed = self.timer_at;
            }
            let closing = self.closing.is_some();
            let has_queue = matches!(self.app, App::Chat(_)) && !closing;
            let event = tokio::select! {
                biased;
                () = poll_fn(|cx| shutdown.poll(cx)), if !closing => Event::Shutdown,
                // `poll_read_ready`, not `readable()`: the socket's own reader slot, where
                // `readable()` queues a waiter under the readiness lock on every wait.
                r = poll_fn(|cx| self.sink.io.poll_read_ready(cx)) => Event::Readable(r),
                q = recv_queue(&mut self.app), if has_queue => Event::Queue(q),
                _ = &mut sleep, if armed.is_some() => Event::Timer,
            };
            let result = match event {
                Event::Readable(Err(e)) => return io_end(e),
                Event::Readable(Ok(())) => {
                    self.rd.make_room();
                    match read_now(&mut self.sink.io, &mut self.rd.buf).await {
                        Ok(0) => return End::Dropped(DropReason::Eof),
                        Ok(n) => {
                            self.sink.traffic.bytes_in += n as u64;
                            self.last_seen = Instant::now();
                            Ok(())
                        }
                        // A stale readiness event: wait again.
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
                        Err(e) => return io_end(e),
                    }
                }
                Event::Queue(Outbound::Frame(frame)) => self.write_queued(frame).await,
                Event::Queue(Outbound::Kicked) => {
                    self.start_close(CloseCode::POLICY_VIOLATION, "too slow: send queue full")
                        .await
                }
                Event::Shutdown => {
                    self.start_close(CloseCode::GOING_AWAY, "server shutting down")
                        .await
                }
                Event::Timer => {
                    armed = None; // re-arm at whatever deadline comes next
                    match self.on_timer().await {
                        Ok(None) => Ok(()),
                        Ok(Some(end)) => return end,
                        Err(e) => Err(e),
                    }
                }
            };
            if let Err(e) = result {
                return io_end(e);
            }
        }
    }

    /// Writes a broadcast frame and whatever else is already queued, as one batch.
    async fn write_queued(&mut self, frame: Bytes) -> io::Result<()> {
        self.sink.encoded(&frame).await?;
        let App::Chat(member) = &mut self.app else {
            return Ok(());
        };
        for _ in 0..64 {
            match member.rx.try_recv() {
                Some(Outbound::Frame(frame)) => self.sink.encoded(&frame).await?,
                Some(Outbound::Kicked) => {
                    return self
                        .start_close(CloseCode::POLICY_VIOLATION, "too slow: send queue full")
                        .await
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Gives back a big read buffer or reassembly buffer when no more data is waiting.
    /// Returns `Ok(true)` if data arrived instead (process it first).
    fn release_memory(&mut self) -> io::Result<bool> {
        if self.rd.is_idle_and_big() {
            match self.sink.io.try_read_buf(&mut self.rd.buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    self.sink.traffic.bytes_in += n as u64;
                    self.last_seen = Instant::now();
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.rd.buf = Vec::with_capacity(READ_BUF);
                }
                Err(e) => return Err(e),
            }
        }
        // Give back the reassembly buffer a large fragmented message left behind.
        self.decoder.shrink_buffer(SHRINK_ABOVE);
        Ok(false)
    }

    /// Whether a frame with this (accepted) header is text, and notes where a fragmented
    /// text message starts and ends.
    fn is_text(&mut self, h: &FrameHeader) -> bool {
        let text = match h.opcode {
            OpCode::Text => true,
            OpCode::Continuation => self.in_text,
            _ => false,
        };
        if !h.opcode.is_control() {
            self.in_text = text && !h.fin;
        }
        text
    }

    /// Decodes everything the buffer allows and acts on it.
    async fn process(&mut self) -> Result<(), End> {
        loop {
            let step = match self.rd.step() {
                Ok(step) => step,
                Err(e) => return Err(self.protocol_error(e, None).await),
            };
            let start = self.rd.start;
            let (range, report) = match step {
                Step::NeedMore => return Ok(()),
                Step::Header(header, len) => {
                    // The payload is not all here (else the frame would be complete) and
                    // not empty, so no message can come out: check the header now.
                    if let Err(e) = self.decoder.decode(&mut self.rd.buf[start..start + len]) {
                        let wire = self.rd.buf[start..start + len].to_vec();
                        return Err(self.protocol_error(e, Some(&wire)).await);
                    }
                    let stream = self.is_text(&header);
                    if stream {
                        self.rd.start += len;
                        if self.sink.report {
                            self.wire.clear();
                            self.wire
                                .extend_from_slice(&self.rd.buf[start..start + len]);
                        }
                    }
                    self.rd.fed = Some(Fed {
                        header_len: len,
                        payload_len: header.payload_len,
                        remaining: header.payload_len,
                        stream,
                    });
                    continue;
                }
                Step::Piece { len, last } => {
                    let fed = self.rd.fed.as_mut().expect("a streamed frame");
                    fed.remaining -= len as u64;
                    let frame_len = fed.header_len + fed.payload_len as usize;
                    if last {
                        self.rd.fed = None;
                    }
                    self.rd.start += len;
                    let mut report = None;
                    if self.sink.report {
                        let room = (inspect::SHOW_MAX + 14).saturating_sub(self.wire.len());
                        let piece = &self.rd.buf[start..start + len.min(room)];
                        self.wire.extend_from_slice(piece);
                        if let (true, App::Inspect(insp)) = (last, &mut self.app) {
                            report = Some(insp.frame_in(&self.wire, frame_len));
                        }
                    }
                    (start..start + len, report)
                }
                Step::Frame(header, total, skip) => {
                    if skip == 0 {
                        self.is_text(&header);
                    }
                    self.rd.start += total;
                    self.rd.fed = None;
                    // /inspect: copy the frame as it travelled (still masked) before the
                    // codec unmasks it in place. Nothing is copied on the other endpoints.
                    let mut report = None;
                    if let App::Inspect(insp) = &mut self.app {
                        let shown = &self.rd.buf[start..start + total.min(inspect::SHOW_MAX + 14)];
                        report = Some(insp.frame_in(shown, total));
                        self.wire.clear();
                        self.wire.extend_from_slice(shown);
                    }
                    (start + skip..start + total, report)
                }
            };
            let incoming = match self.decoder.decode_with_extensions(&mut self.rd.buf[range]) {
                Ok((_, incoming)) => incoming,
                Err(e) => {
                    if let Some(r) = report {
                        if let Err(io) = self.sink.unreported(r.as_bytes()).await {
                            return Err(io_end(io));
                        }
                    }
                    let wire = std::mem::take(&mut self.wire);
                    let wire = self.sink.report.then_some(wire.as_slice());
                    return Err(self.protocol_error(e, wire).await);
                }
            };
            if let Some(r) = report {
                if let Err(e) = self.sink.unreported(r.as_bytes()).await {
                    return Err(io_end(e));
                }
            }
            let msg = match incoming {
                None => continue,
                Some(Incoming::Message(msg)) => {
                    // On a deflate connection the decoder's limit leaves room for the
                    // compressed form's overhead; an uncompressed message gets the real one.
                    let len = data_bytes(&msg).len() as u64;
                    let max = self.settings.max_message_size;
                    if len > max {
                        let e = Error::MessageTooLarge { len, max };
                        return Err(self.protocol_error(e, None).await);
                    }
                    msg
                }
                Some(Incoming::Extension {
                    opcode, payload, ..
                }) => {
                    let max = usize::try_from(self.settings.max_message_size).unwrap_or(usize::MAX);
                    let compressed = payload.len();
                    let inflated = match &mut self.inflate {
                        Some(z) => z.inflate(opcode, payload, max),
                        // Unreachable: RSV1 is only allowed once deflate was agreed.
                        None => Err(Error::InvalidCompressedData),
                    };
                    match inflated {
                        Ok(msg) => {
                            let bytes = data_bytes(&msg);
                            self.sink.traffic.deflate_saved_in +=
                                bytes.len().saturating_sub(compressed) as u64;
                            if self.sink.report {
                                let r = inspect::inflated("in", opcode, bytes);
                                if let Err(e) = self.sink.unreported(r.as_bytes()).await {
                                    return Err(io_end(e));
                                }
                            }
                            msg
                        }
                        Err(e) => return Err(self.protocol_error(e, None).await),
                    }
                }
            };
            self.sink.traffic.msgs_in += 1;
            let closing = self.closing.is_some();
            // /echo's data messages, unless they need the general path.
            if let (App::Echo, false, Message::Text(_) | Message::Binary(_)) =
                (&self.app, closing, &msg)
            {
                let opcode = if matches!(msg, Message::Text(_)) {
                    OpCode::Text
                } else {
                    OpCode::Binary
                };
                if self.sink.try_batch(opcode, data_bytes(&msg)) {
                    continue;
                }
            }
            let flow = match on_message(&mut self.sink, &mut self.app, msg, closing).await {
                Ok(flow) => flow,
                Err(e) => return Err(io_end(e)),
            };
            match flow {
                Flow::Continue => {}
                Flow::ClientClosed(_) if closing => return Err(End::Answered),
                Flow::ClientClosed(code) => return Err(End::ClientClosed(code)),
                Flow::Close(code, reason) => {
                    if let Err(e) = self.start_close(code, &reason).await {
                        return Err(io_end(e));
                    }
                }
            }
        }
    }

    /// Reports a protocol violation on /inspect; the close frame is sent by `finish`.
    async fn protocol_error(&mut self, err: Error, wire: Option<&[u8]>) -> End {
        tracing::debug!(error = %err, "protocol error");
        if self.sink.report {
            let pending = &self.rd.buf[self.rd.start.min(self.rd.buf.len())..];
            let wire = wire.unwrap_or(&pending[..pending.len().min(14)]);
            let r = inspect::error_report(&err, wire);
            if let Err(e) = self.sink.unreported(r.as_bytes()).await {
                return io_end(e);
            }
        }
        End::Failed(err)
    }

    /// Starts a closing handshake from the server side.
    async fn start_close(&mut self, code: CloseCode, reason: &str) -> io::Result<()> {
        if self.closing.is_some() {
            return Ok(());
        }
        self.metrics.close_started(Initiator::Server, code.0);
        let deadline = Instant::now() + self.settings.close_timeout;
        self.closing = Some(deadline);
        self.timer_at = Some(deadline);
        // The chat queue is no longer read; leaving now frees it at once.
        if let App::Chat(_) = self.app {
            self.app = App::Echo;
        }
        self.sink.close(Some(code), reason).await
    }

    /// Keepalive and close deadlines. `Some(end)` ends the connection.
    async fn on_timer(&mut self) -> io::Result<Option<End>> {
        let now = Instant::now();
        if let Some(deadline) = self.closing {
            if now >= deadline {
                return Ok(Some(End::Dropped(DropReason::CloseTimeout)));
            }
            self.timer_at = Some(deadline);
            return Ok(None);
        }
        let Some(interval) = self.settings.ping_interval else {
            self.timer_at = None;
            return Ok(None);
        };
        if let Some(sent) = self.ping_sent {
            if self.last_seen > sent {
                self.ping_sent = None; // alive: the pong (or anything) arrived
            } else if now >= sent + self.settings.pong_timeout {
                return Ok(Some(End::Dropped(DropReason::PongTimeout)));
            } else {
                self.timer_at = Some(sent + self.settings.pong_timeout);
                return Ok(None);
            }
        }
        let idle_until = self.last_seen + interval;
        if now < idle_until {
            self.timer_at = Some(idle_until);
            return Ok(None);
        }
        self.sink.frame(OpCode::Ping, b"").await?;
        self.sink.flush().await?;
        self.ping_sent = Some(now);
        self.timer_at = Some(now + self.settings.pong_timeout);
        Ok(None)
    }

    /// Carries out the end of the connection.
    async fn finish(&mut self, end: End) {
        // Leave the chat room now, not after the closing handshake's lingering.
        if let App::Chat(_) = self.app {
            self.app = App::Echo;
        }
        let result = match end {
            End::ClientClosed(code) => {
                let c = code.map_or(1005, |c| c.0);
                self.metrics.close_started(Initiator::Client, c);
                // §5.5.1: answer with a close frame, "typically echoing the status code it
                // received"; a close without a code is answered without one.
                self.answer_and_close(code, "").await
            }
            End::Answered => self.close_tcp(false).await,
            End::Failed(err) => {
                let code = err.close_code();
                self.metrics.close_started(Initiator::Server, code.0);
                // §7.1.7: fail the connection: our close frame, then close TCP. The codec
                // stopped at the error; whatever follows is read and discarded.
                let reason = err.to_string();
                self.answer_and_close(Some(code), &reason).await
            }
            End::Dropped(why) => {
                self.metrics.dropped(why);
                Ok(())
            }
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "error while closing");
        }
    }

    async fn answer_and_close(&mut self, code: Option<CloseCode>, reason: &str) -> io::Result<()> {
        self.sink.close(code, reason).await?;
        self.close_tcp(true).await
    }

    /// §7.1.1: the server closes TCP first: FIN, then (if `linger`) read and discard until
    /// the client's FIN or the close timeout, so that unread bytes never turn our close into
    /// a reset that could destroy the close frame in flight.
    async fn close_tcp(&mut self, linger: bool) -> io::Result<()> {
        self.sink.io.shutdown().await?;
        if !linger {
            return Ok(());
        }
        let deadline = Instant::now() + self.settings.close_timeout;
        // Drain into the read buffer, not a stack array: an array here would sit in every
        // connection's future, idle ones included.
        let buf = &mut self.rd.buf;
        buf.clear();
        buf.reserve(MIN_READ);
        while let Ok(Ok(n)) = timeout_at(deadline, self.sink.io.read_buf(buf)).await {
            if n == 0 {
                break;
            }
            buf.clear();
        }
        Ok(())
    }
}

/// The payload of a data message (empty for a control frame).
fn data_bytes<'a>(msg: &Message<'a>) -> &'a [u8] {
    match *msg {
        Message::Text(t) => t.as_bytes(),
        Message::Binary(b) => b,
        _ => &[],
    }
}

async fn recv_queue(app: &mut App) -> Outbound {
    match app {
        App::Chat(member) => member.rx.recv().await,
        // Not polled: the select branch is disabled for other apps.
        _ => std::future::pending().await,
    }
}

/// Acts on one message: the endpoint's behaviour and the control frame rules.
async fn on_message(
    sink: &mut Sink,
    app: &mut App,
    msg: Message<'_>,
    closing: bool,
) -> io::Result<Flow> {
    if let Message::Close(frame) = msg {
        return Ok(Flow::ClientClosed(frame.map(|f| f.code)));
    }
    if closing {
        // §5.5.1: after sending a close frame nothing more is sent; incoming data is
        // discarded while the client's close is awaited.
        return Ok(Flow::Continue);
    }
    match msg {
        // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
        // response", with the same payload.
        Message::Ping(payload) => sink.frame(OpCode::Pong, payload).await?,
        Message::Pong(_) => {}
        Message::Text(text) => match app {
            App::Echo => sink.frame(OpCode::Text, text.as_bytes()).await?,
            App::Chat(member) => member.room.say(member.id, text),
            App::Inspect(_) => match Command::parse(text) {
                None => sink.frame(OpCode::Text, text.as_bytes()).await?,
                Some(Ok(cmd)) => return run_command(sink, cmd).await,
                Some(Err(why)) => {
                    let r = inspect::command_error(&why);
                    sink.unreported(r.as_bytes()).await?;
                }
            },
        },
        Message::Binary(data) => match app {
            App::Echo | App::Inspect(_) => sink.frame(OpCode::Binary, data).await?,
            App::Chat(_) => {
                return Ok(Flow::Close(
                    CloseCode::UNSUPPORTED_DATA,
                    "chat accepts text messages only".into(),
                ))
            }
        },
        Message::Close(_) => unreachable!("handled above"),
    }
    Ok(Flow::Continue)
}

async fn run_command(sink: &mut Sink, cmd: Command) -> io::Result<Flow> {
    match cmd {
        Command::Ping { payload } => sink.frame(OpCode::Ping, payload.as_bytes()).await?,
        Command::Pong { payload } => sink.frame(OpCode::Pong, payload.as_bytes()).await?,
        Command::Fragmented {
            text,
            fragment_size,
        } => {
            sink.fragments(OpCode::Text, text.as_bytes(), fragment_size)
                .await?
        }
        Command::Close { code, reason } => return Ok(Flow::Close(CloseCode(code), reason)),
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    /// A new registration may start out "readable"; an empty read clears that.
    fn clear_readiness(io: &TcpStream) {
        let e = io.try_read(&mut [0; 1]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }

    async fn readable_within(io: &TcpStream, ms: u64) -> bool {
        tokio::time::timeout(
            Duration::from_millis(ms),
            poll_fn(|cx| io.poll_read_ready(cx)),
        )
        .await
        .is_ok()
    }

    /// The one unsafe call: the kernel takes the value (epoll then holds the socket back
    /// until that much is queued), and setting it back to 1 wakes on every byte again.
    #[tokio::test]
    async fn rcvlowat_holds_readiness_until_enough_has_arrived() {
        let (mut client, server) = pair().await;
        set_rcvlowat(&server, 1000).unwrap();
        clear_readiness(&server);
        client.write_all(&[7; 10]).await.unwrap();
        assert!(
            !readable_within(&server, 200).await,
            "woken by 10 of 1000 bytes"
        );
        client.write_all(&[7; 990]).await.unwrap();
        assert!(
            readable_within(&server, 5000).await,
            "not woken by 1000 bytes"
        );

        let (mut client, server) = pair().await;
        set_rcvlowat(&server, 1000).unwrap();
        set_rcvlowat(&server, 1).unwrap();
        clear_readiness(&server);
        client.write_all(&[7; 10]).await.unwrap();
        assert!(
            readable_within(&server, 5000).await,
            "low-water mark not reset"
        );
    }

    #[test]
    fn lowat_only_for_large_frames_awaited_whole() {
        let mut rd = Reader {
            buf: vec![0; 14],
            start: 0,
            fed: None,
        };
        assert_eq!(rd.lowat(), 1, "no frame in progress");
        let fed = |payload_len: u64, stream: bool| Fed {
            header_len: 14,
            payload_len,
            remaining: payload_len,
            stream,
        };
        rd.fed = Some(fed(1 << 20, false));
        assert_eq!(rd.lowat(), LOWAT_MAX, "1 MiB missing: capped");
        rd.fed = Some(fed(200 * 1024, false));
        assert_eq!(rd.lowat(), 200 * 1024, "exactly what is missing");
        rd.fed = Some(fed(LOWAT_FROM as u64, false));
        assert_eq!(rd.lowat(), 1, "small frames wake on every byte");
        rd.fed = Some(fed(1 << 20, true));
        assert_eq!(rd.lowat(), 1, "streamed text is checked as it arrives");
        rd.buf.resize(14 + (1 << 20) - 1000, 0);
        rd.fed = Some(fed(1 << 20, false));
        assert_eq!(rd.lowat(), 1, "only 1,000 bytes missing");
    }
}
