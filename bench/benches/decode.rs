//! Decoding a stream of masked client frames, server side (RFC 6455 §5.1-§5.3).
//!
//! Every implementation reads the same endless in-memory stream ([`Replay`]: binary frames,
//! masked, FIN set, 16 B / 1 KiB / 64 KiB payloads, at most 128 KiB per read) and hands back
//! unmasked payloads; each read copies bytes out of the stream into the implementation's
//! own buffer, as a socket read would. One iteration decodes 1 MiB of payload; throughput is
//! payload bytes per second. What is compared, in the same run:
//!
//! Frame level (`decode-frames`):
//! - `wsprism`: `FrameDecoder::decode` (header checks, unmask in place), fed each read as it
//!   comes (see [`WsprismReader`]).
//! - `fastwebsockets`: `WebSocket::read_frame` (header checks, unmask), its frame API.
//! - `tungstenite-no-unmask`: `FrameSocket::read`, tungstenite's public frame reader. It does
//!   NOT unmask (tungstenite unmasks in its private `FrameCodec` path only, reached through
//!   `WebSocket::read`), so it does less work than the other two: a conservative peer.
//!
//! Message level (`decode-messages`), all with their default limits:
//! - `wsprism`: `message::Decoder::decode`, fed whole frames as the peers feed their own
//!   parsers, so single-frame messages come back in place, without a reassembly copy.
//! - `fastwebsockets`: `FragmentCollector::read_frame` (reassembly, UTF-8, auto-pong/close).
//! - `tungstenite`: `WebSocket::read` in the server role (the same duties).
//!
//! fastwebsockets is async: its stream is always ready, so each call completes in one poll
//! with a no-op waker and no runtime is involved.
//!
//! wsprism asks for reads of the same size as tungstenite (128 KiB). Its frame decoder needs
//! no whole frame in memory, so a server may read less at a time: with 32 KiB reads the
//! data is still in L1 when it is unmasked, and `decode-frames/wsprism/65536` gains another
//! ~15% on this machine. The figures here do not use that.

use std::future::Future;
use std::hint::black_box;
use std::io;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wsprism::{Decoder, FrameDecoder, FrameEvent, FrameHeader, Message, Role};
use wsprism_bench::{client_stream, Replay, DECODE_SIZES, STREAM_PAYLOAD_BYTES};

/// Bytes one read may return (tungstenite's default read size).
const READ_LEN: usize = 128 * 1024;

/// The stream for one payload size, and how many frames one pass over it holds.
fn stream(size: usize) -> (Replay, usize) {
    let count = STREAM_PAYLOAD_BYTES / size;
    (Replay::new(client_stream(size, count), READ_LEN), count)
}

/// Runs a future that never waits (its stream is always ready) to completion.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("the in-memory stream is always ready"),
    }
}

/// [`Replay`] behind tokio's I/O traits, for fastwebsockets. Reads copy straight into the
/// caller's (uninitialised) buffer, as a socket read does.
struct AsyncReplay(Replay);

impl tokio::io::AsyncRead for AsyncReplay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let limit = buf.remaining();
        buf.put_slice(self.0.take(limit));
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for AsyncReplay {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// wsprism driven the way a server would drive it: bytes are read into a buffer (reads of
/// at most [`READ_LEN`], a buffer of two reads) and handed to the decoder.
///
/// - [`FrameDecoder`] copies nothing (payload pieces are slices of the input), so it is fed
///   whatever has arrived, frames split anywhere.
/// - [`Decoder`] must copy a message that it gets in pieces into its own buffer. So it is
///   fed whole frames, as tungstenite and fastwebsockets feed their own parsers: when the
///   next frame is incomplete its bytes stay in the buffer and the reader reads exactly the
///   rest of it (moving the partial frame to the front first if it would not fit behind).
///   The peek uses the public [`FrameHeader::decode`]; the decoder still checks everything.
///   A frame larger than the buffer is streamed through in pieces.
struct WsprismReader<D> {
    src: Replay,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes still to feed of a frame too large for the buffer.
    streaming: u64,
    dec: D,
}

/// Buffer of the wsprism reader.
const BUF_LEN: usize = 2 * READ_LEN;

impl<D> WsprismReader<D> {
    fn new(src: Replay, dec: D) -> Self {
        WsprismReader {
            src,
            buf: vec![0; BUF_LEN].into_boxed_slice(),
            start: 0,
            end: 0,
            streaming: 0,
            dec,
        }
    }

    /// Reads at most `limit` more bytes behind the buffered ones.
    fn read(&mut self, limit: usize) {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.end + limit > BUF_LEN {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        let to = BUF_LEN.min(self.end + limit);
        self.end += self.src.fill(&mut self.buf[self.end..to]);
    }

    /// The end of the next input for a decoder that copies nothing: all that has arrived.
    fn next_bytes(&mut self) -> usize {
        if self.start == self.end {
            self.read(READ_LEN);
        }
        self.end
    }

    /// The end of the next input for a decoder that copies split frames: the next whole
    /// frame, or a piece of a frame too large for the buffer.
    fn next_frame(&mut self) -> usize {
        loop {
            let avail = self.end - self.start;
            if self.streaming > 0 {
                if avail == 0 {
                    self.read(READ_LEN);
                    continue;
                }
                let n = self.streaming.min(avail as u64);
                self.streaming -= n;
                return self.start + n as usize;
            }
            match FrameHeader::decode(&self.buf[self.start..self.end]) {
                Ok(Some((h, header_len))) => {
                    let frame = header_len as u64 + h.payload_len;
                    if frame <= avail as u64 {
                        return self.start + frame as usize;
                    }
                    if frame > BUF_LEN as u64 {
                        self.streaming = frame;
                        continue;
                    }
                    self.read(frame as usize - avail);
                }
                Ok(None) => self.read(READ_LEN),
                // Let the decoder report it.
                Err(_) => return self.end,
            }
        }
    }
}

impl WsprismReader<FrameDecoder> {
    /// Decodes `count` frames; returns the sum of their first payload bytes.
    fn frames(&mut self, count: usize) -> u64 {
        let mut sum = 0u64;
        let mut first_piece = false;
        let mut done = 0;
        while done < count {
            let end = self.next_bytes();
            while self.start < end {
                let (used, event) = self
                    .dec
                    .decode(&mut self.buf[self.start..end])
                    .expect("valid stream");
                self.start += used;
                match event {
                    Some(FrameEvent::Header(h)) => first_piece = h.payload_len > 0,
                    Some(FrameEvent::Payload { data, last }) => {
                        if first_piece && !data.is_empty() {
                            sum += u64::from(black_box(data)[0]);
                            first_piece = false;
                        }
                        done += usize::from(last);
                    }
                    None => {}
                }
            }
        }
        sum
    }
}

impl WsprismReader<Decoder> {
    /// Decodes `count` messages; returns the sum of their first bytes.
    fn messages(&mut self, count: usize) -> u64 {
        let mut sum = 0u64;
        let mut done = 0;
        while done < count {
            let end = self.next_frame();
            let (used, msg) = self
                .dec
                .decode(&mut self.buf[self.start..end])
                .expect("valid stream");
            self.start += used;
            if let Some(msg) = msg {
                let Message::Binary(data) = black_box(msg) else {
                    panic!("only binary messages in the stream");
                };
                sum += u64::from(data[0]);
                done += 1;
            }
        }
        sum
    }
}

fn fws_frames(ws: &mut fastwebsockets::WebSocket<AsyncReplay>, count: usize) -> u64 {
    let mut sum = 0u64;
    for _ in 0..count {
        let frame = ready(ws.read_frame()).expect("valid stream");
        sum += u64::from(black_box(&frame.payload)[0]);
    }
    sum
}

fn fws_messages(ws: &mut fastwebsockets::FragmentCollector<AsyncReplay>, count: usize) -> u64 {
    let mut sum = 0u64;
    for _ in 0..count {
        let frame = ready(ws.read_frame()).expect("valid stream");
        sum += u64::from(black_box(&frame.payload)[0]);
    }
    sum
}

fn tungstenite_frames(
    ws: &mut tungstenite::protocol::frame::FrameSocket<Replay>,
    count: usize,
) -> u64 {
    let mut sum = 0u64;
    for _ in 0..count {
        let frame = ws
            .read(None)
            .expect("valid stream")
            .expect("endless stream");
        sum += u64::from(black_box(frame.payload())[0]);
    }
    sum
}

fn tungstenite_messages(ws: &mut tungstenite::WebSocket<Replay>, count: usize) -> u64 {
    let mut sum = 0u64;
    for _ in 0..count {
        let tungstenite::Message::Binary(data) = ws.read().expect("valid stream") else {
            panic!("only binary messages in the stream");
        };
        sum += u64::from(black_box(&data)[0]);
    }
    sum
}

fn fws_socket(src: Replay) -> fastwebsockets::WebSocket<AsyncReplay> {
    fastwebsockets::WebSocket::after_handshake(AsyncReplay(src), fastwebsockets::Role::Server)
}

fn tungstenite_socket(src: Replay) -> tungstenite::WebSocket<Replay> {
    tungstenite::WebSocket::from_raw_socket(src, tungstenite::protocol::Role::Server, None)
}

/// Before timing anything: one pass of each decoder sees the same unmasked payloads.
fn check_same_results(size: usize) {
    let (src, count) = stream(size);
    let expected = WsprismReader::new(src.clone(), Decoder::new(Role::Server)).messages(count);
    let frames = WsprismReader::new(src.clone(), FrameDecoder::new(Role::Server)).frames(count);
    let fws = fws_messages(
        &mut fastwebsockets::FragmentCollector::new(fws_socket(src.clone())),
        count,
    );
    let tung = tungstenite_messages(&mut tungstenite_socket(src.clone()), count);
    assert_eq!((frames, fws, tung), (expected, expected, expected));
    assert_eq!(fws_frames(&mut fws_socket(src), count), expected);
}

fn decode_frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode-frames");
    for &size in &DECODE_SIZES {
        check_same_results(size);
        let (src, count) = stream(size);
        group.throughput(Throughput::Bytes((count * size) as u64));
        let mut w = WsprismReader::new(src.clone(), FrameDecoder::new(Role::Server));
        group.bench_function(BenchmarkId::new("wsprism", size), |b| {
            b.iter(|| w.frames(count))
        });
        let mut ws = fws_socket(src.clone());
        group.bench_function(BenchmarkId::new("fastwebsockets", size), |b| {
            b.iter(|| fws_frames(&mut ws, count))
        });
        let mut ws = tungstenite::protocol::frame::FrameSocket::new(src);
        group.bench_function(BenchmarkId::new("tungstenite-no-unmask", size), |b| {
            b.iter(|| tungstenite_frames(&mut ws, count))
        });
    }
    group.finish();
}

fn decode_messages(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode-messages");
    for &size in &DECODE_SIZES {
        let (src, count) = stream(size);
        group.throughput(Throughput::Bytes((count * size) as u64));
        let mut w = WsprismReader::new(src.clone(), Decoder::new(Role::Server));
        group.bench_function(BenchmarkId::new("wsprism", size), |b| {
            b.iter(|| w.messages(count))
        });
        let mut ws = fastwebsockets::FragmentCollector::new(fws_socket(src.clone()));
        group.bench_function(BenchmarkId::new("fastwebsockets", size), |b| {
            b.iter(|| fws_messages(&mut ws, count))
        });
        let mut ws = tungstenite_socket(src);
        group.bench_function(BenchmarkId::new("tungstenite", size), |b| {
            b.iter(|| tungstenite_messages(&mut ws, count))
        });
    }
    group.finish();
}

criterion_group!(benches, decode_frames, decode_messages);
criterion_main!(benches);
