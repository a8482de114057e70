//! Shared pieces of the wsprism benchmarks (`benches/mask.rs`, `benches/decode.rs`).
//!
//! The benchmarks compare wsprism with tungstenite and fastwebsockets in the same run; run
//! them with `bench/run-codec-bench.sh`, which prints throughput and wsprism/peer ratios.
//! This library only builds inputs with wsprism's own encoder and provides an in-memory
//! stream that every implementation reads from in the same way.

use std::io;

use wsprism::{encoder, OpCode};

/// Payload sizes of the decode benchmark: a small message, a typical one, a large one.
pub const DECODE_SIZES: [usize; 3] = [16, 1024, 64 * 1024];

/// Payload sizes of the unmask benchmark.
pub const MASK_SIZES: [usize; 6] = [16, 64, 1024, 16 * 1024, 64 * 1024, 1024 * 1024];

/// How much payload one pass of the decode benchmark carries (the frame count is this
/// divided by the payload size), so that every size does a comparable amount of work.
pub const STREAM_PAYLOAD_BYTES: usize = 1 << 20;

/// A stream of `count` masked, final binary frames of `payload_len` bytes each, as a client
/// sends them (RFC 6455 §5.1, §5.3). Keys and payload bytes vary from frame to frame.
pub fn client_stream(payload_len: usize, count: usize) -> Vec<u8> {
    let mut wire = Vec::with_capacity(count * (payload_len + 14));
    let mut payload = vec![0u8; payload_len];
    for i in 0..count {
        for (j, b) in payload.iter_mut().enumerate() {
            *b = (i + j * 31) as u8;
        }
        let key = (i as u32).wrapping_mul(0x9E37_79B9).to_be_bytes();
        encoder::encode_frame(&mut wire, OpCode::Binary, true, Some(key), &payload);
    }
    wire
}

/// An endless in-memory socket: reading returns the bytes of `data` over and over, at most
/// `max_read` per call (as a real socket returns what has arrived); writes are discarded.
/// `data` must hold whole frames, so that every wrap-around starts a new frame.
#[derive(Debug, Clone)]
pub struct Replay {
    data: Vec<u8>,
    pos: usize,
    max_read: usize,
}

impl Replay {
    /// A stream over `data`, returning at most `max_read` bytes per read.
    pub fn new(data: Vec<u8>, max_read: usize) -> Self {
        assert!(!data.is_empty() && max_read > 0);
        Replay {
            data,
            pos: 0,
            max_read,
        }
    }

    /// The next bytes of the stream, at most `limit` (and at most `max_read`); never empty
    /// for a non-zero `limit`.
    pub fn take(&mut self, limit: usize) -> &[u8] {
        let start = self.pos;
        let n = limit.min(self.max_read).min(self.data.len() - start);
        self.pos += n;
        if self.pos == self.data.len() {
            self.pos = 0;
        }
        &self.data[start..start + n]
    }

    /// Copies the next bytes into `buf` and returns how many; never 0 for a non-empty `buf`.
    pub fn fill(&mut self, buf: &mut [u8]) -> usize {
        let chunk = self.take(buf.len());
        buf[..chunk.len()].copy_from_slice(chunk);
        chunk.len()
    }
}

impl io::Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.fill(buf))
    }
}

impl io::Write for Replay {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub mod load;
pub mod peer;
