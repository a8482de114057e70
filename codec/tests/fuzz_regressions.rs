//! Every input that fuzzing ever found breaking a property, replayed as a normal test; plus
//! the seed corpus the fuzzers start from, and checks that the fuzzers' own oracle (the
//! reference model of `codec/fuzz/src/checks.rs`) gets known answers right.
//!
//! Inputs live in `codec/tests/fuzz-corpus/<target>/`, one file each: `seed-*` are the
//! seeds, and `scripts/fuzz.sh` copies every input that breaks a property there (as
//! `crash-*`, `leak-*`, `timeout-*` or `oom-*`), so it is replayed here from then on.

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::path::Path;

use wsprism::{DecoderConfig, Error, Role};

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 5] = [
    ("frame_decoder", checks::frame_decoder),
    ("message", checks::message),
    ("close_payload", checks::close_payload),
    ("handshake", checks::handshake),
    ("utf8_stream", checks::utf8_stream),
];

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read corpus file"))
        })
        .collect()
}

#[test]
fn every_corpus_input_passes_its_checks() {
    for (target, check) in TARGETS {
        let inputs = corpus(target);
        assert!(!inputs.is_empty(), "no corpus for {target}");
        for (name, bytes) in inputs {
            let r = std::panic::catch_unwind(|| check(&bytes));
            assert!(r.is_ok(), "{target}/{name} fails its check");
        }
    }
}

fn masked(op: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut v = vec![(fin as u8) << 7 | op, 0x80 | payload.len() as u8];
    v.extend_from_slice(&key);
    v.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    v
}

/// The oracle itself: the reference model answers what RFC 6455 says.
#[test]
fn reference_model_knows_the_rfc() {
    use checks::{reference, Owned};
    let cfg = DecoderConfig::default();
    // §5.7: a masked "Hello".
    let hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        reference(Role::Server, cfg, &hello),
        (vec![Owned::Text("Hello".into())], None)
    );
    assert_eq!(
        reference(Role::Client, cfg, &hello),
        (vec![], Some(Error::MaskedFrame))
    );
    // A fragmented message with a ping inside, then a close.
    let mut wire = masked(1, false, b"Hel");
    wire.extend(masked(9, true, b"p"));
    wire.extend(masked(0, true, b"lo"));
    wire.extend(masked(8, true, b"\x03\xe8ok"));
    wire.extend(masked(1, true, b"ignored"));
    assert_eq!(
        reference(Role::Server, cfg, &wire),
        (
            vec![
                Owned::Ping(b"p".to_vec()),
                Owned::Text("Hello".into()),
                Owned::Close(Some((1000, "ok".into())))
            ],
            None
        )
    );
    // Fail fast: an unfinished frame whose text is already impossible.
    let mut partial = masked(1, true, b"ab\xed\xa0\x80cd");
    partial.truncate(6 + 4);
    assert_eq!(
        reference(Role::Server, cfg, &partial),
        (vec![], Some(Error::InvalidUtf8))
    );
    // Header rules in order, and the limits.
    assert_eq!(
        reference(Role::Server, cfg, &masked(3, true, b"")).1,
        Some(Error::ReservedOpcode(3))
    );
    assert_eq!(
        reference(Role::Server, cfg, &masked(0, true, b"x")).1,
        Some(Error::UnexpectedContinuation)
    );
    let small = DecoderConfig {
        max_message_len: 4,
        ..cfg
    };
    let mut two = masked(2, false, b"abc");
    two.extend(masked(0, true, b"de"));
    assert_eq!(
        reference(Role::Server, small, &two).1,
        Some(Error::MessageTooLarge { len: 5, max: 4 })
    );
    assert_eq!(
        reference(Role::Server, cfg, &masked(8, true, b"\x03")).1,
        Some(Error::CloseTooShort)
    );
    assert!(checks::key_is_valid_reference(b"dGhlIHNhbXBsZSBub25jZQ=="));
    assert!(!checks::key_is_valid_reference(b"AQIDBAUGBwgJCgsMDQ4PEB=="));
}
