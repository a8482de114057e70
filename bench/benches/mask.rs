//! Unmasking throughput (RFC 6455 §5.3): the XOR of a payload with a 4-byte key, in place.
//!
//! What is compared, each over the same buffer, at 16 B to 1 MiB, in the same run:
//! - `wsprism`: `wsprism::mask::apply_mask(buf, key, 0)`;
//! - `wsprism-bytewise`: `wsprism::mask::apply_mask_bytewise`, the plain byte loop (the
//!   floor every optimised version must beat);
//! - `fastwebsockets`: `fastwebsockets::unmask(buf, key)`, its public function;
//! - `tungstenite`: tungstenite 0.30's `apply_mask` (`apply_mask_fast32`). The crate keeps it
//!   private (`protocol::frame::mask` is a private module and its only public callers also
//!   allocate and copy), so its body is copied below verbatim to measure the same code.
//!
//! The buffers come from `Vec` (16-byte aligned by the allocator), the case tungstenite's
//! aligned `u32` loop is built for. Throughput is payload bytes per second.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wsprism_bench::MASK_SIZES;

/// Verbatim copy of tungstenite 0.30 `src/protocol/frame/mask.rs` (MIT OR Apache-2.0,
/// the tungstenite authors): private in the crate, so it cannot be called from outside.
mod tungstenite_mask {
    #[inline]
    fn apply_mask_fallback(buf: &mut [u8], mask: [u8; 4]) {
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte ^= mask[i & 3];
        }
    }

    #[inline]
    pub fn apply_mask_fast32(buf: &mut [u8], mask: [u8; 4]) {
        let mask_u32 = u32::from_ne_bytes(mask);

        // SAFETY: (tungstenite's) every bit pattern is a valid u32 and a valid u8.
        let (prefix, words, suffix) = unsafe { buf.align_to_mut::<u32>() };
        apply_mask_fallback(prefix, mask);
        let head = prefix.len() & 3;
        let mask_u32 = if head > 0 {
            if cfg!(target_endian = "big") {
                mask_u32.rotate_left(8 * head as u32)
            } else {
                mask_u32.rotate_right(8 * head as u32)
            }
        } else {
            mask_u32
        };
        for word in words.iter_mut() {
            *word ^= mask_u32;
        }
        apply_mask_fallback(suffix, mask_u32.to_ne_bytes());
    }
}

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Every implementation must compute the same bytes, or the comparison means nothing.
fn check_same_results() {
    for len in [0, 1, 3, 7, 16, 33, 1000, 4099] {
        let data: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
        let mut expected = data.clone();
        wsprism::mask::apply_mask_bytewise(&mut expected, KEY, 0);
        let mut a = data.clone();
        wsprism::mask::apply_mask(&mut a, KEY, 0);
        let mut b = data.clone();
        fastwebsockets::unmask(&mut b, KEY);
        let mut c = data.clone();
        tungstenite_mask::apply_mask_fast32(&mut c, KEY);
        assert!(a == expected && b == expected && c == expected, "len {len}");
    }
}

fn unmask(c: &mut Criterion) {
    check_same_results();
    let mut group = c.benchmark_group("unmask");
    for &size in &MASK_SIZES {
        let mut buf: Vec<u8> = (0..size).map(|i| i as u8).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("wsprism", size), |b| {
            b.iter(|| wsprism::mask::apply_mask(black_box(&mut buf), black_box(KEY), 0))
        });
        group.bench_function(BenchmarkId::new("wsprism-bytewise", size), |b| {
            b.iter(|| wsprism::mask::apply_mask_bytewise(black_box(&mut buf), black_box(KEY), 0))
        });
        group.bench_function(BenchmarkId::new("fastwebsockets", size), |b| {
            b.iter(|| fastwebsockets::unmask(black_box(&mut buf), black_box(KEY)))
        });
        group.bench_function(BenchmarkId::new("tungstenite", size), |b| {
            b.iter(|| tungstenite_mask::apply_mask_fast32(black_box(&mut buf), black_box(KEY)))
        });
    }
    group.finish();
}

criterion_group!(benches, unmask);
criterion_main!(benches);
