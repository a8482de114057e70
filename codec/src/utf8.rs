//! Incremental, fail-fast UTF-8 validation (RFC 6455 §5.6, §8.1).
//!
//! A text message may arrive in many frames, and a frame in many reads, with a code point
//! split anywhere. [`Utf8Validator`] carries at most three bytes of an unfinished code point
//! from one piece to the next, and reports an error as soon as the bytes seen so far cannot
//! be the start of valid UTF-8 (§8.1: "MUST _Fail the WebSocket Connection_"), not at the
//! end of the message. Bulk validation uses `simdutf8` (SIMD, with runtime CPU detection
//! under the `std` feature).

use simdutf8::compat::from_utf8;

/// The input is not, and can no longer become, valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Error;

/// Length of the code point that starts with `b` (0 for a byte that cannot start one).
const fn sequence_len(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

/// Validates UTF-8 that arrives in pieces.
///
/// ```
/// use wsprism::utf8::Utf8Validator;
/// let euro = "€".as_bytes(); // e2 82 ac
/// let mut v = Utf8Validator::new();
/// v.feed(&euro[..1]).unwrap();
/// v.feed(&euro[1..]).unwrap();
/// assert!(v.finish().is_ok());
///
/// // 0xE2 0x28 can never become valid: the error comes at once.
/// let mut v = Utf8Validator::new();
/// assert!(v.feed(&[0xE2, 0x28]).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub const fn new() -> Self {
        Utf8Validator {
            partial: [0; 4],
            partial_len: 0,
        }
    }

    /// Forgets any unfinished code point (start of a new message).
    pub fn reset(&mut self) {
        self.partial_len = 0;
    }

    /// Whether a code point is waiting for more bytes.
    pub const fn is_incomplete(&self) -> bool {
        self.partial_len != 0
    }

    /// Validates the next piece of the text.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), Utf8Error> {
        if self.partial_len != 0 {
            let have = self.partial_len as usize;
            let need = sequence_len(self.partial[0]);
            let take = (need - have).min(input.len());
            self.partial[have..have + take].copy_from_slice(&input[..take]);
            let filled = have + take;
            match from_utf8(&self.partial[..filled]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => {
                    // Still a valid prefix, and `input` is used up.
                    self.partial_len = filled as u8;
                    return Ok(());
                }
                Err(_) => return Err(Utf8Error),
            }
            input = &input[take..];
        }
        match from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) => match e.error_len() {
                Some(_) => Err(Utf8Error),
                None => {
                    // A valid prefix of a code point at the very end: keep it for later.
                    let rest = &input[e.valid_up_to()..];
                    self.partial[..rest.len()].copy_from_slice(rest);
                    self.partial_len = rest.len() as u8;
                    Ok(())
                }
            },
        }
    }

    /// Ends the text: an unfinished code point is an error. Resets the validator.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let incomplete = self.is_incomplete();
        self.reset();
        if incomplete {
            Err(Utf8Error)
        } else {
            Ok(())
        }
    }
}

/// Whether `bytes` is valid UTF-8 as a whole (SIMD-accelerated).
pub fn is_valid(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_everywhere(bytes: &[u8]) -> Option<usize> {
        // Returns the byte index at which the validator first failed for some split, or
        // None if every split agreed with `core::str::from_utf8`.
        let whole_ok = core::str::from_utf8(bytes).is_ok();
        for cut in 0..=bytes.len() {
            let mut v = Utf8Validator::new();
            let ok = v.feed(&bytes[..cut]).is_ok()
                && v.feed(&bytes[cut..]).is_ok()
                && v.finish().is_ok();
            if ok != whole_ok {
                return Some(cut);
            }
        }
        None
    }

    #[test]
    fn agrees_with_core_for_every_split() {
        let samples: &[&[u8]] = &[
            "κόσμε".as_bytes(),
            "Hello-µ@ßöäüàá-UTF-8!!".as_bytes(),
            "\u{10FFFF}\u{FFFF}\u{800}".as_bytes(),
            &[
                0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80,
                0x65,
            ],
            &[0xF4, 0x90, 0x80, 0x80],
            &[0xC0, 0xAF],
            &[0xE0, 0x80, 0xAF],
            &[0xED, 0x9F, 0xBF],
            &[0xF0, 0x9F, 0x98],
            &[0xFF],
        ];
        for s in samples {
            assert_eq!(split_everywhere(s), None, "{s:x?}");
        }
    }

    #[test]
    fn fails_on_the_first_impossible_byte() {
        // A surrogate: ED A0 is already impossible, before the third byte.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&[b'a', 0xED]), Ok(()));
        assert_eq!(v.feed(&[0xA0]), Err(Utf8Error));
        // Above U+10FFFF: F4 90 fails at the second byte.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&[0xF4]), Ok(()));
        assert_eq!(v.feed(&[0x90]), Err(Utf8Error));
    }

    #[test]
    fn unfinished_code_point_fails_at_finish() {
        let mut v = Utf8Validator::new();
        v.feed(&[0xF0, 0x9F]).unwrap();
        assert_eq!(v.finish(), Err(Utf8Error));
        // and the validator is reusable afterwards
        v.feed(b"ok").unwrap();
        assert_eq!(v.finish(), Ok(()));
    }
}
