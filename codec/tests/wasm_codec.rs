//! The codec's behaviour, compiled to wasm32 and run in headless Chromium
//! (`wasm-pack test --headless --chrome codec --features wasm --test wasm_codec`): the
//! shared vectors that the native codec generated (`tests/vectors.rs`) must come out the
//! same here, and the property checks run on a fixed seed. wasm32 is a 32-bit target, so
//! lengths above 4 GiB get a check of their own.

#![cfg(all(target_arch = "wasm32", feature = "wasm"))]

mod wasm_support;

use js_sys::{Object, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use wasm_support::*;
use wsprism::close::parse_payload;
use wsprism::encoder::{encode_frame, encode_with_header};
use wsprism::handshake::{accept_key, is_valid_key};
use wsprism::mask::{apply_mask, apply_mask_bytewise};
use wsprism::utf8::Utf8Validator;
use wsprism::{
    Decoder, DecoderConfig, Error, FrameDecoder, FrameEvent, FrameHeader, Message, OpCode, Role,
};

wasm_bindgen_test_configure!(run_in_browser);

fn role_of(v: &JsValue) -> Role {
    match string(v, "role").as_str() {
        "server" => Role::Server,
        _ => Role::Client,
    }
}

/// A message in the vectors' shape, as JSON text (compared with `JSON.stringify` of the
/// vector's event: same keys, same order).
fn event_json(m: &Message<'_>) -> String {
    let o = Object::new();
    let set = |k: &str, v: JsValue| {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), &v).unwrap();
    };
    match m {
        Message::Text(t) => {
            set("type", "text".into());
            set("data", (*t).into());
        }
        Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => {
            let kind = match m.opcode() {
                OpCode::Binary => "binary",
                OpCode::Ping => "ping",
                _ => "pong",
            };
            set("type", kind.into());
            set("data", hex(b).into());
        }
        Message::Close(f) => {
            set("type", "close".into());
            let (code, reason) = f.map_or((1005, ""), |f| (f.code.0, f.reason));
            set("code", code.into());
            set("reason", reason.into());
        }
    }
    stringify(&o)
}

fn stringify(v: &JsValue) -> String {
    JSON::stringify(v).unwrap().as_string().unwrap()
}

fn check_error(e: &Error, expected: &JsValue, what: &str) {
    assert_eq!(e.kind(), string(expected, "kind"), "{what}");
    assert_eq!(
        u64::from(e.close_code().0),
        num(expected, "closeCode"),
        "{what}"
    );
    assert_eq!(e.rfc_section(), string(expected, "rfcSection"), "{what}");
}

/// Feeds `wire` in the given chunks; returns the events and the error that ended it.
fn decode_chunked(
    role: Role,
    config: DecoderConfig,
    wire: &[u8],
    chunks: &[core::ops::Range<usize>],
) -> (Vec<String>, Option<Error>) {
    let mut dec = Decoder::with_config(role, config);
    let mut events = Vec::new();
    for range in chunks {
        let mut chunk = wire[range.clone()].to_vec();
        let mut at = 0;
        loop {
            match dec.decode(&mut chunk[at..]) {
                Err(e) => return (events, Some(e)),
                Ok((_, None)) => break,
                Ok((used, Some(m))) => {
                    events.push(event_json(&m));
                    at += used;
                }
            }
        }
    }
    (events, None)
}

fn config_of(v: &JsValue) -> DecoderConfig {
    let d = DecoderConfig::default();
    DecoderConfig {
        max_message_len: opt_num(v, "maxMessageSize").unwrap_or(d.max_message_len),
        max_frame_len: opt_num(v, "maxFrameSize").unwrap_or(d.max_frame_len),
        ..d
    }
}

#[wasm_bindgen_test]
fn frames_encode_and_decode_as_natively() {
    let v = vectors();
    let frames = list(&v, "frames");
    assert!(frames.len() > 50);
    let mut rng = Rng(1);
    for f in &frames {
        let name = string(f, "name");
        let header = FrameHeader {
            fin: boolean(f, "fin"),
            rsv1: boolean(f, "rsv1"),
            rsv2: boolean(f, "rsv2"),
            rsv3: boolean(f, "rsv3"),
            opcode: OpCode::from_u4(num(f, "opcode") as u8),
            mask: get(f, "maskKey")
                .as_string()
                .map(|k| unhex(&k).try_into().unwrap()),
            payload_len: payload(f).len() as u64,
        };
        let body = payload(f);
        let expected = wire(f);
        let mut out = Vec::new();
        encode_with_header(&mut out, &header, &body);
        assert_eq!(out, expected, "{name}: encoding");

        let (decoded, used) = FrameHeader::decode(&expected).unwrap().unwrap();
        assert_eq!(decoded, header, "{name}");
        assert_eq!(used as u64, num(f, "headerLength"), "{name}");

        // The frame decoder, fed in three chunkings, gives the payload back unmasked.
        let role = if header.mask.is_some() {
            Role::Server
        } else {
            Role::Client
        };
        for chunks in chunkings(expected.len(), &mut rng) {
            // Extensions define the RSV bits; allow the ones this frame uses.
            let mut dec = FrameDecoder::new(role).with_allowed_rsv(header.rsv_bits());
            let mut got = Vec::new();
            let mut headers = 0;
            for range in chunks {
                let mut chunk = expected[range].to_vec();
                let mut at = 0;
                while let (used, Some(ev)) = dec.decode(&mut chunk[at..]).unwrap() {
                    match ev {
                        FrameEvent::Header(h) => {
                            assert_eq!(h, header, "{name}");
                            headers += 1;
                        }
                        FrameEvent::Payload { data, .. } => got.extend_from_slice(data),
                    }
                    at += used;
                }
            }
            assert_eq!((headers, &got), (1, &body), "{name}");
        }
    }
}

#[wasm_bindgen_test]
fn invalid_frames_fail_with_their_close_codes() {
    let v = vectors();
    let mut rng = Rng(2);
    for case in list(&v, "invalid") {
        let name = string(&case, "name");
        let bytes = unhex(&string(&case, "wire"));
        for chunks in chunkings(bytes.len(), &mut rng) {
            let (events, err) = decode_chunked(role_of(&case), config_of(&case), &bytes, &chunks);
            assert!(events.is_empty(), "{name}");
            let err = err.unwrap_or_else(|| panic!("{name}: accepted"));
            check_error(&err, &get(&case, "error"), &name);
        }
    }
}

#[wasm_bindgen_test]
fn streams_decode_the_same_in_any_chunking() {
    let v = vectors();
    let mut rng = Rng(3);
    for s in list(&v, "streams") {
        let name = string(&s, "name");
        let bytes = unhex(&string(&s, "wire"));
        let expected: Vec<String> = list(&s, "events").iter().map(stringify).collect();
        for chunks in chunkings(bytes.len(), &mut rng) {
            let (events, err) = decode_chunked(role_of(&s), config_of(&s), &bytes, &chunks);
            assert_eq!(events, expected, "{name}");
            let expected_err = get(&s, "error");
            match err {
                None => assert!(expected_err.is_null(), "{name}: no error"),
                Some(e) => check_error(&e, &expected_err, &name),
            }
        }
    }
}

#[wasm_bindgen_test]
fn masks_close_payloads_utf8_and_accept_keys() {
    let v = vectors();
    for m in list(&v, "masks") {
        let key: [u8; 4] = unhex(&string(&m, "key")).try_into().unwrap();
        let offset = num(&m, "offset") as usize;
        let mut data = unhex(&string(&m, "data"));
        let mut slow = data.clone();
        apply_mask(&mut data, key, offset);
        apply_mask_bytewise(&mut slow, key, offset);
        assert_eq!(hex(&data), string(&m, "masked"));
        assert_eq!(data, slow);
    }
    for c in list(&v, "close") {
        let payload = unhex(&string(&c, "payload"));
        match parse_payload(&payload) {
            Ok(None) => assert!(get(&c, "code").is_null()),
            Ok(Some(f)) => {
                assert_eq!(u64::from(f.code.0), num(&c, "code"));
                assert_eq!(f.reason, string(&c, "reason"));
            }
            Err(e) => check_error(&e, &get(&c, "error"), &hex(&payload)),
        }
    }
    for u in list(&v, "utf8") {
        let bytes = unhex(&string(&u, "bytes"));
        let valid = boolean(&u, "valid");
        assert_eq!(wsprism::utf8::is_valid(&bytes), valid, "{}", hex(&bytes));
        // The incremental validator, one byte at a time, agrees.
        let mut val = Utf8Validator::new();
        let fed = bytes
            .iter()
            .all(|b| val.feed(core::slice::from_ref(b)).is_ok());
        assert_eq!(fed && val.finish().is_ok(), valid, "{}", hex(&bytes));
    }
    for k in list(&v, "acceptKeys") {
        let key = string(&k, "key");
        assert_eq!(accept_key(key.as_bytes()).as_str(), string(&k, "accept"));
        assert_eq!(
            is_valid_key(key.as_bytes()),
            boolean(&k, "validKey"),
            "{key}"
        );
    }
}

/// Property: any frame written, cut anywhere, decodes to itself (fixed seed).
#[wasm_bindgen_test]
fn random_frames_round_trip_through_random_chunks() {
    let mut rng = Rng(0xfeed_0001);
    for _ in 0..300 {
        let op = [
            OpCode::Text,
            OpCode::Binary,
            OpCode::Continuation,
            OpCode::Ping,
        ][rng.below(4) as usize];
        let len = if op.is_control() {
            rng.below(126)
        } else {
            [rng.below(200), rng.below(70_000)][rng.below(2) as usize]
        } as usize;
        let payload = rng.bytes(len);
        let mask = (rng.below(2) == 0).then(|| (rng.next() as u32).to_be_bytes());
        let fin = op.is_control() || rng.below(2) == 0;
        let mut wire = Vec::new();
        encode_frame(&mut wire, op, fin, mask, &payload);
        let role = if mask.is_some() {
            Role::Server
        } else {
            Role::Client
        };
        let mut dec = FrameDecoder::new(role);
        let mut got = Vec::new();
        let mut at = 0;
        while at < wire.len() {
            let end = (at + 1 + rng.below(3000) as usize).min(wire.len());
            let mut chunk = wire[at..end].to_vec();
            let mut used_total = 0;
            while let (used, Some(ev)) = dec.decode(&mut chunk[used_total..]).unwrap() {
                if let FrameEvent::Payload { data, .. } = ev {
                    got.extend_from_slice(data);
                } else if let FrameEvent::Header(h) = ev {
                    assert_eq!((h.opcode, h.fin, h.mask), (op, fin, mask));
                }
                used_total += used;
            }
            at = end;
        }
        assert_eq!(got, payload);
        assert!(dec.is_idle());
    }
}

/// Property: masking a payload in pieces, each at its offset, equals masking it whole.
#[wasm_bindgen_test]
fn masking_in_pieces_equals_masking_whole() {
    let mut rng = Rng(0xfeed_0002);
    for _ in 0..200 {
        let n = rng.below(300) as usize;
        let data = rng.bytes(n);
        let key = (rng.next() as u32).to_le_bytes();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut pieces = data.clone();
        let mut at = 0;
        while at < pieces.len() {
            let end = (at + 1 + rng.below(17) as usize).min(pieces.len());
            apply_mask(&mut pieces[at..end], key, at);
            at = end;
        }
        assert_eq!(pieces, whole);
        apply_mask(&mut whole, key, 0);
        assert_eq!(whole, data, "masking twice is the identity");
    }
}

/// wasm32 has a 32-bit `usize`: lengths beyond 4 GiB must not wrap anywhere.
#[wasm_bindgen_test]
fn lengths_beyond_4_gib_do_not_wrap() {
    for len in [(1u64 << 32) + 5, (1 << 32) - 1, 1 << 62] {
        let mut h = FrameHeader::new(OpCode::Binary, len);
        h.mask = Some([1, 2, 3, 4]);
        let bytes = h.encode();
        assert_eq!(FrameHeader::decode(&bytes).unwrap(), Some((h, 14)));
        // A server with a 16 MiB frame limit refuses it from the header alone (1009).
        let mut dec = FrameDecoder::new(Role::Server).with_max_frame_len(16 << 20);
        let mut buf = bytes.as_bytes().to_vec();
        let err = dec.decode(&mut buf).unwrap_err();
        assert_eq!(err, Error::FrameTooLarge { len, max: 16 << 20 });
        // Without a limit, the decoder accepts the header and waits for the payload.
        let mut dec = FrameDecoder::new(Role::Server);
        let mut buf = bytes.as_bytes().to_vec();
        assert!(
            matches!(dec.decode(&mut buf), Ok((14, Some(FrameEvent::Header(got)))) if got.payload_len == len)
        );
        let mut piece = [0u8; 3];
        assert!(matches!(
            dec.decode(&mut piece),
            Ok((3, Some(FrameEvent::Payload { last: false, .. })))
        ));
    }
}
