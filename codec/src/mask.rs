//! The masking transform (RFC 6455 §5.3): `out[i] = in[i] ^ key[i % 4]`.
//!
//! Masking and unmasking are the same operation. [`apply_mask`] works in place, at any
//! position in the key (`offset`), so a payload that arrives in pieces can be unmasked piece
//! by piece. It XORs 16 bytes at a time (two `u64` words holding the key four times); LLVM
//! turns that loop into SIMD XORs unrolled to 64 bytes per iteration, with no `unsafe` and no
//! target-specific code. Long payloads are first brought to a 16-byte boundary, and the tail
//! takes an 8-byte, a 4-byte and at most three 1-byte steps, so short payloads (a 16-byte
//! chat message) do not run a byte loop.
//! [`apply_mask_bytewise`] is the plain loop it is tested and benchmarked against
//! (`bench/benches/mask.rs` compares both with tungstenite and fastwebsockets).

/// The key as a native-endian word whose first byte in memory is the one that applies at
/// `offset`.
#[inline]
fn key_word(key: [u8; 4], offset: usize) -> u32 {
    let rotated = u32::from_le_bytes(key).rotate_right(8 * (offset & 3) as u32);
    u32::from_ne_bytes(rotated.to_le_bytes())
}

#[inline]
fn xor_u64(lane: &mut [u8], word: u64) {
    let mut w = [0u8; 8];
    w.copy_from_slice(lane);
    lane.copy_from_slice(&(u64::from_ne_bytes(w) ^ word).to_ne_bytes());
}

#[inline]
fn xor_u32(lane: &mut [u8], word: u32) {
    let mut w = [0u8; 4];
    w.copy_from_slice(lane);
    lane.copy_from_slice(&(u32::from_ne_bytes(w) ^ word).to_ne_bytes());
}

/// Payloads at least this long are first brought to a 16-byte boundary (see
/// [`apply_mask`]); below it the split costs more than it saves (measured crossover).
const ALIGN_FROM: usize = 512;

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
    // A payload sits right after its 2-14 byte header, so it rarely starts on a 16-byte
    // boundary, and then one 16-byte store in four straddles two cache lines: measured, that
    // costs a long payload a quarter of its speed. So long payloads first take the few bytes
    // up to the boundary (`align_offset` is only arithmetic on the address).
    if buf.len() >= ALIGN_FROM {
        let head = buf.as_ptr().align_offset(16);
        if head != 0 && head < 16 {
            let (head, body) = buf.split_at_mut(head);
            xor_key(head, key_word(key, offset));
            xor_key(body, key_word(key, offset.wrapping_add(head.len())));
            return;
        }
    }
    xor_key(buf, key_word(key, offset));
}

/// The XOR itself, with the key already turned to the phase of `buf[0]`.
#[inline]
fn xor_key(buf: &mut [u8], k32: u32) {
    let k64 = u64::from(k32) | u64::from(k32) << 32;
    let mut blocks = buf.chunks_exact_mut(16);
    for block in &mut blocks {
        for lane in block.chunks_exact_mut(8) {
            xor_u64(lane, k64);
        }
    }
    // Every step so far is a multiple of 4 bytes, so the tail starts at key phase 0 again.
    let mut rest = blocks.into_remainder();
    if rest.len() >= 8 {
        let (lane, more) = rest.split_at_mut(8);
        xor_u64(lane, k64);
        rest = more;
    }
    if rest.len() >= 4 {
        let (lane, more) = rest.split_at_mut(4);
        xor_u32(lane, k32);
        rest = more;
    }
    for (b, k) in rest.iter_mut().zip(k32.to_ne_bytes()) {
        *b ^= k;
    }
}

/// The reference byte-at-a-time loop. Same result as [`apply_mask`], only slower; kept for
/// tests and benchmarks. Any `offset` is allowed (the position wraps, as only `% 4` counts).
pub fn apply_mask_bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[offset.wrapping_add(i) & 3];
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
