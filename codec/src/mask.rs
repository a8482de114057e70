//! The masking transform (RFC 6455 §5.3): `out[i] = in[i] ^ key[i % 4]`.
//!
//! Masking and unmasking are the same operation. [`apply_mask`] works in place, at any
//! position in the key (`offset`), so a payload that arrives in pieces can be unmasked piece
//! by piece. It XORs eight bytes at a time with the key repeated twice; the compiler turns
//! the fixed-size block loop into SIMD on targets that have it. [`apply_mask_bytewise`] is
//! the plain loop it is tested and benchmarked against.

/// The key rotated so that its first byte is the one that applies at `offset`.
#[inline]
const fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let o = offset & 3;
    [key[o], key[(o + 1) & 3], key[(o + 2) & 3], key[(o + 3) & 3]]
}

/// XORs `buf` in place with `key`, starting at byte `offset` of the (repeating) key.
///
/// `offset` is the position of `buf[0]` in the frame's payload; only `offset % 4` matters.
///
/// ```
/// use wsprism::mask::apply_mask;
/// // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut data = *b"Hello";
/// apply_mask(&mut data, key, 0);
/// assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// // The same, in two pieces: the second one starts at offset 2.
/// let mut piece = *b"Hello";
/// let (a, b) = piece.split_at_mut(2);
/// apply_mask(a, key, 0);
/// apply_mask(b, key, 2);
/// assert_eq!(piece, data);
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let k = rotate_key(key, offset);
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    // 32-byte blocks of four words: long enough for the vectorizer, short enough that a
    // 16 B payload is not all tail.
    let mut blocks = buf.chunks_exact_mut(32);
    for block in &mut blocks {
        for lane in block.chunks_exact_mut(8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(lane);
            lane.copy_from_slice(&(u64::from_ne_bytes(w) ^ word).to_ne_bytes());
        }
    }
    // Every block is a multiple of 4 bytes, so the tail starts at key phase 0 again.
    let tail = blocks.into_remainder();
    let mut words = tail.chunks_exact_mut(8);
    for lane in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(lane);
        lane.copy_from_slice(&(u64::from_ne_bytes(w) ^ word).to_ne_bytes());
    }
    for (i, b) in words.into_remainder().iter_mut().enumerate() {
        *b ^= k[i & 3];
    }
}

/// The reference byte-at-a-time loop. Same result as [`apply_mask`], only slower; kept for
/// tests and benchmarks.
pub fn apply_mask_bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(offset + i) & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn fast_path_equals_bytewise_for_all_short_lengths_and_offsets() {
        let key = [0xA1, 0x02, 0xF3, 0x44];
        for len in 0..200 {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            for offset in 0..8 {
                let mut fast = data.clone();
                let mut slow = data.clone();
                apply_mask(&mut fast, key, offset);
                apply_mask_bytewise(&mut slow, key, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
            }
        }
    }
}
