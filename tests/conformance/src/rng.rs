//! Randomness for masking keys, handshake keys and payloads: xorshift64*, seeded per thread
//! from the standard library's randomly keyed hasher. Not cryptographic, and it need not be:
//! the suite only has to send keys a server cannot predict or rely on.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};

thread_local! {
    static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(std::thread::current().id()) | 1);
}

/// The next random 64-bit number of this thread.
pub fn u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A random masking key.
pub fn key() -> [u8; 4] {
    (u64() as u32).to_ne_bytes()
}

/// `n` random bytes.
pub fn bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        out.extend_from_slice(&u64().to_ne_bytes());
    }
    out.truncate(n);
    out
}

/// `n` bytes of valid UTF-8 text: ASCII with some two- and three-byte characters mixed in,
/// so that code points straddle frame and chop boundaries. Exactly `n` bytes long.
pub fn text(n: usize) -> Vec<u8> {
    const PIECES: [&str; 6] = [
        "Hello, ",
        "wörld ",
        "µ@ß ",
        "κόσμε ",
        "€uro ",
        "plain ascii ",
    ];
    let mut out = Vec::with_capacity(n + 16);
    let mut i = 0;
    while out.len() < n {
        let piece = PIECES[i % PIECES.len()].as_bytes();
        i += 1;
        if out.len() + piece.len() <= n {
            out.extend_from_slice(piece);
        } else {
            out.resize(n, b'x');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_utf8_of_the_exact_size() {
        for n in [0, 1, 5, 6, 7, 100, 125, 126, 65536, 100_001] {
            let t = super::text(n);
            assert_eq!(t.len(), n);
            assert!(std::str::from_utf8(&t).is_ok(), "{n}");
        }
        assert_eq!(super::bytes(13).len(), 13);
        assert_ne!(super::u64(), super::u64());
    }
}
