//! Section 6: UTF-8 in text messages (RFC 6455 §5.6, §8.1). Text must be valid UTF-8
//! (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF); noncharacters are
//! valid. The samples follow Markus Kuhn's UTF-8 decoder stress test, as Autobahn's 6.x do.
//!
//! Every sample is sent whole, split into two fragments at every position, one byte per
//! frame, and as one frame in octet-wise chops. Invalid samples also get the strict
//! fail-fast checks: the valid prefix and the first impossible byte are sent (as a
//! fragment, and as the start of one frame's payload) and the close 1007 must arrive with
//! nothing more sent. A sample that is only cut short at its end is held open instead: the
//! server must wait (a ping is still answered) and fail only at FIN.

use std::time::Duration;

use crate::case::{Case, Script, Want};
use crate::frame::{op, Frame};

/// Where a text must be failed: `Some(p)` if `bytes[..p]` can begin no valid UTF-8 (and
/// `p` is the least such), `None` if every prefix still could.
pub fn fail_point(bytes: &[u8]) -> Option<usize> {
    (1..=bytes.len()).find(|&p| match std::str::from_utf8(&bytes[..p]) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some(),
    })
}

fn h(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

const KOSME: &str = "ce ba e1 bd b9 cf 83 ce bc ce b5";

/// The samples, grouped like Autobahn's 6.x: (group, description, bytes).
pub fn samples() -> Vec<(u32, String, Vec<u8>)> {
    let mut s: Vec<(u32, String, Vec<u8>)> = Vec::new();
    let mut add = |g: u32, d: &str, b: Vec<u8>| s.push((g, d.to_string(), b));

    add(1, "empty payload", Vec::new());
    add(
        2,
        "valid UTF-8 with 2-byte characters",
        "Hello-µ@ßöäüàá-UTF-8!!".into(),
    );
    add(
        3,
        "κόσμε with a surrogate in the middle",
        h("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64"),
    );
    add(5, "κόσμε (Greek, 2- and 3-byte characters)", h(KOSME));
    add(5, "a 4-byte character (U+1F600)", "😀".into());
    add(5, "mixed 1- to 4-byte characters", "aµ€😀z".into());
    let kosme = h(KOSME);
    for n in 1..=kosme.len() {
        add(
            6,
            &format!("the first {n} bytes of κόσμε"),
            kosme[..n].to_vec(),
        );
    }
    for (d, b) in [
        ("first 1-byte sequence U+0000", "00"),
        ("first 2-byte sequence U+0080", "c2 80"),
        ("first 3-byte sequence U+0800", "e0 a0 80"),
        ("first 4-byte sequence U+10000", "f0 90 80 80"),
    ] {
        add(7, d, h(b));
    }
    add(8, "first 5-byte sequence (not UTF-8)", h("f8 88 80 80 80"));
    add(
        8,
        "first 6-byte sequence (not UTF-8)",
        h("fc 84 80 80 80 80"),
    );
    for (d, b) in [
        ("last 1-byte sequence U+007F", "7f"),
        ("last 2-byte sequence U+07FF", "df bf"),
        ("last 3-byte sequence U+FFFF", "ef bf bf"),
        ("last 4-byte sequence U+10FFFF", "f4 8f bf bf"),
    ] {
        add(9, d, h(b));
    }
    add(10, "U+1FFFFF (above U+10FFFF)", h("f7 bf bf bf"));
    add(10, "last 5-byte sequence", h("fb bf bf bf bf"));
    add(10, "last 6-byte sequence", h("fd bf bf bf bf bf"));
    for (d, b) in [
        ("U+D7FF", "ed 9f bf"),
        ("U+E000", "ee 80 80"),
        ("U+FFFD", "ef bf bd"),
        ("U+10FFFF", "f4 8f bf bf"),
        ("U+110000 (out of range)", "f4 90 80 80"),
    ] {
        add(11, d, h(b));
    }
    for (d, b) in [
        ("first continuation byte 0x80", "80"),
        ("last continuation byte 0xbf", "bf"),
        ("2 continuation bytes", "80 bf"),
        ("3 continuation bytes", "80 bf 80"),
        ("4 continuation bytes", "80 bf 80 bf"),
        ("5 continuation bytes", "80 bf 80 bf 80"),
        ("6 continuation bytes", "80 bf 80 bf 80 bf"),
        ("7 continuation bytes", "80 bf 80 bf 80 bf 80"),
    ] {
        add(12, d, h(b));
    }
    add(12, "all 64 continuation bytes", (0x80..=0xbf).collect());
    let lonely =
        |r: std::ops::RangeInclusive<u8>| -> Vec<u8> { r.flat_map(|b| [b, b' ']).collect() };
    add(
        13,
        "all 32 first bytes of 2-byte sequences, each followed by a space",
        lonely(0xc0..=0xdf),
    );
    add(
        13,
        "all 16 first bytes of 3-byte sequences, each followed by a space",
        lonely(0xe0..=0xef),
    );
    add(
        13,
        "all 8 first bytes of 4-byte sequences, each followed by a space",
        lonely(0xf0..=0xf7),
    );
    add(
        13,
        "all 4 first bytes of 5-byte sequences, each followed by a space",
        lonely(0xf8..=0xfb),
    );
    add(
        13,
        "all 2 first bytes of 6-byte sequences, each followed by a space",
        lonely(0xfc..=0xfd),
    );
    let truncated = [
        "c0",
        "e0 80",
        "f0 80 80",
        "f8 80 80 80",
        "fc 80 80 80 80",
        "df",
        "ef bf",
        "f7 bf bf",
        "fb bf bf bf",
        "fd bf bf bf bf",
    ];
    for b in truncated {
        add(
            14,
            &format!("sequence with its last byte missing: {b}"),
            h(b),
        );
    }
    add(
        15,
        "the 10 truncated sequences of 6.14 concatenated",
        h(&truncated.join(" ")),
    );
    add(16, "impossible byte 0xfe", h("fe"));
    add(16, "impossible byte 0xff", h("ff"));
    add(16, "impossible bytes fe fe ff ff", h("fe fe ff ff"));
    for b in [
        "c0 af",
        "e0 80 af",
        "f0 80 80 af",
        "f8 80 80 80 af",
        "fc 80 80 80 80 af",
    ] {
        add(17, &format!("overlong '/': {b}"), h(b));
    }
    for b in [
        "c1 bf",
        "e0 9f bf",
        "f0 8f bf bf",
        "f8 87 bf bf bf",
        "fc 83 bf bf bf bf",
    ] {
        add(18, &format!("maximum overlong: {b}"), h(b));
    }
    for b in [
        "c0 80",
        "e0 80 80",
        "f0 80 80 80",
        "f8 80 80 80 80",
        "fc 80 80 80 80 80",
    ] {
        add(19, &format!("overlong NUL: {b}"), h(b));
    }
    for (d, b) in [
        ("U+D800", "ed a0 80"),
        ("U+DB7F", "ed ad bf"),
        ("U+DB80", "ed ae 80"),
        ("U+DBFF", "ed af bf"),
        ("U+DC00", "ed b0 80"),
        ("U+DF80", "ed be 80"),
        ("U+DFFF", "ed bf bf"),
    ] {
        add(20, &format!("single surrogate {d}"), h(b));
    }
    for (d, b) in [
        ("U+D800 U+DC00", "ed a0 80 ed b0 80"),
        ("U+D800 U+DFFF", "ed a0 80 ed bf bf"),
        ("U+DB7F U+DC00", "ed ad bf ed b0 80"),
        ("U+DB7F U+DFFF", "ed ad bf ed bf bf"),
        ("U+DB80 U+DC00", "ed ae 80 ed b0 80"),
        ("U+DB80 U+DFFF", "ed ae 80 ed bf bf"),
        ("U+DBFF U+DC00", "ed af bf ed b0 80"),
        ("U+DBFF U+DFFF", "ed af bf ed bf bf"),
    ] {
        add(21, &format!("paired surrogates {d}"), h(b));
    }
    // Noncharacters are valid Unicode scalar values: they must pass.
    for plane in 0u32..=16 {
        for low in [0xFFFE, 0xFFFF] {
            let c = char::from_u32(plane << 16 | low).expect("a scalar value");
            add(
                22,
                &format!("noncharacter U+{:04X}", c as u32),
                c.to_string().into_bytes(),
            );
        }
    }
    let fdd: String = (0xFDD0..=0xFDEF).filter_map(char::from_u32).collect();
    add(22, "noncharacters U+FDD0..U+FDEF", fdd.into_bytes());
    for (d, t) in [
        ("U+FFFD replacement character", "\u{FFFD}"),
        ("U+FEFF byte order mark", "\u{FEFF}"),
        ("NUL bytes in the middle of text", "a\u{0}b\u{0}c"),
        ("every 1-byte character", ""),
    ] {
        let b = if d.starts_with("every") {
            (0u8..0x80).collect()
        } else {
            t.as_bytes().to_vec()
        };
        add(23, d, b);
    }
    add(23, "valid text, then a lone 0x80 after 1000 bytes", {
        let mut v = crate::rng::text(1000);
        v.push(0x80);
        v
    });
    add(
        23,
        "valid text, then an overlong after 1000 bytes, then more text",
        {
            let mut v = crate::rng::text(1000);
            v.extend_from_slice(&h("c0 af"));
            v.extend_from_slice(b"tail");
            v
        },
    );
    s
}

fn frame_at(i: usize, total: usize, bytes: Vec<u8>) -> Frame {
    let f = if i == 0 {
        Frame::text(bytes)
    } else {
        Frame::cont(bytes)
    };
    f.fin(i + 1 == total)
}

fn octet_frames(bytes: &[u8]) -> Vec<Frame> {
    if bytes.is_empty() {
        return vec![Frame::text("")];
    }
    bytes
        .iter()
        .enumerate()
        .map(|(i, b)| frame_at(i, bytes.len(), vec![*b]))
        .collect()
}

fn split_frames(bytes: &[u8], at: usize) -> Vec<Frame> {
    vec![
        frame_at(0, 2, bytes[..at].to_vec()),
        frame_at(1, 2, bytes[at..].to_vec()),
    ]
}

/// Where to split a sample in two fragments: everywhere for short samples; for long ones
/// every position near the first invalid byte (or the end), and a few others.
fn split_points(bytes: &[u8]) -> Vec<usize> {
    const ALL_UP_TO: usize = 64;
    if bytes.len() <= ALL_UP_TO {
        return (1..bytes.len()).collect();
    }
    let focus = fail_point(bytes).unwrap_or(bytes.len());
    let mut v: Vec<usize> = (focus.saturating_sub(8)..=focus + 8)
        .chain([1, 2, 3, bytes.len() / 2, bytes.len() - 1])
        .filter(|&p| p >= 1 && p < bytes.len())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The scripts for a valid sample: all on one connection.
fn valid_scripts(bytes: &[u8]) -> Vec<Script> {
    let mut s = Script::new()
        .send(Frame::text(bytes.to_vec()))
        .echo_text(bytes.to_vec());
    for at in split_points(bytes) {
        s = s
            .send_all(split_frames(bytes, at))
            .echo_text(bytes.to_vec());
    }
    s = s
        .send_all(octet_frames(bytes))
        .echo_text(bytes.to_vec())
        .chop(vec![Frame::text(bytes.to_vec())], 1, 0)
        .echo_text(bytes.to_vec());
    vec![s.ok()]
}

/// The scripts for an invalid sample: one connection per way of sending it.
fn invalid_scripts(bytes: &[u8]) -> Vec<Script> {
    let mut v = vec![Script::new().send(Frame::text(bytes.to_vec())).close(1007)];
    for at in split_points(bytes) {
        v.push(Script::new().send_all(split_frames(bytes, at)).close(1007));
    }
    v.push(Script::new().send_all(octet_frames(bytes)).close(1007));
    v.push(
        Script::new()
            .chop(vec![Frame::text(bytes.to_vec())], 1, 0)
            .close(1007),
    );
    match fail_point(bytes) {
        Some(p) => {
            // Strict fail-fast: the prefix up to and including the first impossible byte
            // as an unfinished fragment, then nothing more...
            v.push(
                Script::new()
                    .send(Frame::text(bytes[..p].to_vec()).fin(false))
                    .close(1007),
            );
            // ...and as the start of one frame's payload, its header declaring it all.
            let whole = Frame::text(bytes.to_vec()).encode();
            let head = Frame::text(bytes.to_vec()).header_len();
            v.push(
                Script::new()
                    .raw(whole[..head + p].to_vec(), "TEXT frame header and the payload's first bytes through the first invalid one")
                    .close(1007),
            );
        }
        None => {
            // Only cut short at the end: not an error until FIN.
            v.push(
                Script::new()
                    .send(Frame::text(bytes.to_vec()).fin(false))
                    .send(Frame::ping("still open?"))
                    .pong("still open?")
                    .send(Frame::cont(""))
                    .close(1007),
            );
        }
    }
    v
}

/// Every case of section 6.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut counter = std::collections::BTreeMap::new();
    for (group, desc, bytes) in samples() {
        let n = counter.entry(group).or_insert(0);
        *n += 1;
        let valid = std::str::from_utf8(&bytes).is_ok();
        let (verdict, scripts) = if valid {
            ("valid", valid_scripts(&bytes))
        } else {
            ("invalid", invalid_scripts(&bytes))
        };
        out.push(Case::multi(
            format!("6.{group}.{n}"),
            format!(
                "Send {verdict} text: {desc} ({} bytes), whole, split{}, octet-wise",
                bytes.len(),
                if bytes.len() <= 64 {
                    " at every position"
                } else {
                    " around the error"
                }
            ),
            scripts,
        ));
    }
    // Autobahn 6.4: fail-fast with pauses, the invalid part arriving later.
    let part1 = h(KOSME);
    let part3 = b"edited".to_vec();
    let p2a = h("f4 90 80 80");
    out.push(Case::new(
        "6.4.1",
        "Send κόσμε as a fragment, wait, then a fragment with U+110000 (f4 90 80 80): fail before the 3rd fragment",
        Script::new()
            .send(Frame::text(part1.clone()).fin(false))
            .pause(100)
            .send(Frame::cont(p2a.clone()).fin(false))
            .close(1007),
    ));
    out.push(Case::new(
        "6.4.2",
        "Send κόσμε as a fragment, then a fragment of just 0xf4, then 0x90: fail at the 0x90",
        Script::new()
            .send(Frame::text(part1.clone()).fin(false))
            .send(Frame::cont(vec![0xf4]).fin(false))
            .send(Frame::ping("alive after f4"))
            .pong("alive after f4")
            .send(Frame::cont(vec![0x90]).fin(false))
            .close(1007),
    ));
    let mut whole = part1.clone();
    whole.extend_from_slice(&p2a);
    whole.extend_from_slice(&part3);
    let wire = Frame::text(whole.clone()).encode();
    let head = Frame::text(whole.clone()).header_len();
    out.push(Case::new(
        "6.4.3",
        "One text frame: κόσμε, wait, then f4 90 80 80; the rest is never sent",
        Script::new()
            .raw(wire[..head + part1.len()].to_vec(), "TEXT header + κόσμε")
            .pause(100)
            .raw(
                wire[head + part1.len()..head + part1.len() + 4].to_vec(),
                "f4 90 80 80",
            )
            .close(1007),
    ));
    out.push(Case::new(
        "6.4.4",
        "One text frame: κόσμε, then f4 (a valid start: no close yet), wait, then 90: fail at the 0x90",
        Script::new()
            .raw(wire[..head + part1.len() + 1].to_vec(), "TEXT header + κόσμε + f4")
            .pause(300)
            .expect(Want::Silence(Duration::from_millis(200)))
            .raw(wire[head + part1.len() + 1..head + part1.len() + 2].to_vec(), "90")
            .close(1007),
    ));
    let long_prefix = crate::rng::text(60_000);
    let mut bad = long_prefix.clone();
    bad.push(0xff);
    bad.extend_from_slice(&crate::rng::text(60_000));
    let wire = Frame::text(bad.clone()).encode();
    let head = Frame::text(bad.clone()).header_len();
    out.push(Case::new(
        "6.4.5",
        "One 120 KB text frame with 0xff after 60000 valid bytes: close 1007 with only the prefix and the 0xff sent",
        Script::new()
            .raw(wire[..head + long_prefix.len() + 1].to_vec(), "TEXT header + 60000 valid bytes + ff")
            .close(1007),
    ));
    out.push(Case::new(
        "6.4.6",
        "A fragmented text of 60000 valid bytes, then a fragment starting with 0xc0: close 1007 before FIN",
        Script::new()
            .send(Frame::text(long_prefix.clone()).fin(false))
            .send(Frame::cont(vec![0xc0, 0xaf, b'x']).fin(false))
            .close(1007),
    ));
    // Binary messages are not UTF-8 checked.
    out.push(Case::new(
        "6.24.1",
        "Send every invalid sample as a binary message: echoed unchanged",
        {
            let mut s = Script::new();
            for (_, _, b) in samples()
                .into_iter()
                .filter(|(_, _, b)| std::str::from_utf8(b).is_err())
            {
                s = s.send(Frame::binary(b.clone())).echo(op::BINARY, b);
            }
            s.ok()
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_points_are_the_first_impossible_byte() {
        assert_eq!(fail_point(b"abc"), None);
        assert_eq!(fail_point(&h("ce")), None);
        assert_eq!(fail_point(&h("ce ba e1 bd b9 ff")), Some(6));
        assert_eq!(fail_point(&h("ed a0 80")), Some(2));
        assert_eq!(fail_point(&h("f4 90 80 80")), Some(2));
        assert_eq!(fail_point(&h("c0 af")), Some(1));
        assert_eq!(fail_point(&h("e0 80 af")), Some(2));
    }

    #[test]
    fn the_catalogue_has_both_verdicts_in_the_expected_groups() {
        let all = samples();
        let valid = |g: u32| {
            all.iter()
                .filter(|(grp, _, _)| *grp == g)
                .all(|(_, _, b)| std::str::from_utf8(b).is_ok())
        };
        let invalid = |g: u32| {
            all.iter()
                .filter(|(grp, _, _)| *grp == g)
                .all(|(_, _, b)| std::str::from_utf8(b).is_err())
        };
        for g in [1, 2, 5, 7, 9, 22] {
            assert!(valid(g), "group {g}");
        }
        for g in [3, 8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21] {
            assert!(invalid(g), "group {g}");
        }
        assert!(all.len() >= 130, "{} samples", all.len());
    }
}
