//! The JavaScript API (`wsprism::wasm`), called as JS would call it, in headless Chromium
//! (`wasm-pack test --headless --chrome codec --features wasm --test wasm_api`): the shared
//! vectors through `encodeFrame`/`decodeFrame`/`Decoder`, and the API's own promises
//! (errors as `Error` objects with their close code, random masking keys, options, views).

#![cfg(all(target_arch = "wasm32", feature = "wasm"))]

mod wasm_support;

use js_sys::{Array, Object, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use wasm_support::*;
use wsprism::wasm::encode::Encoder;
use wsprism::wasm::frame::{decode_frame, decode_frames, encode_frame};
use wsprism::wasm::stream::Decoder;
use wsprism::wasm::util;

wasm_bindgen_test_configure!(run_in_browser);

/// A plain JS object from key/value pairs.
fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn bytes(v: &JsValue) -> Vec<u8> {
    v.dyn_ref::<Uint8Array>()
        .unwrap_or_else(|| panic!("a Uint8Array, got {v:?}"))
        .to_vec()
}

fn u8a(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

fn stringify(v: &JsValue) -> String {
    JSON::stringify(v).unwrap().as_string().unwrap()
}

/// Checks a thrown value: a `WebSocketProtocolError` with the vector's facts.
fn check_thrown(err: &JsValue, expected: &JsValue, what: &str) {
    let e: &js_sys::Error = err.dyn_ref().unwrap_or_else(|| panic!("{what}: an Error"));
    assert_eq!(String::from(e.name()), "WebSocketProtocolError", "{what}");
    assert!(util::is_protocol_error(err.clone()), "{what}");
    for key in ["kind", "rfcSection"] {
        assert_eq!(string(err, key), string(expected, key), "{what}: {key}");
    }
    assert_eq!(num(err, "closeCode"), num(expected, "closeCode"), "{what}");
    assert!(String::from(e.message())
        .ends_with(&format!("(RFC 6455 §{})", string(expected, "rfcSection"))));
}

/// The message events of a decoder's output in the vectors' shape (bytes as hex).
fn events_json(events: &[JsValue]) -> Vec<String> {
    events
        .iter()
        .filter(|e| string(e, "type") != "frame")
        .map(|e| {
            let data = get(e, "data");
            if let Some(a) = data.dyn_ref::<Uint8Array>() {
                let copy = Object::assign(&Object::new(), e.unchecked_ref());
                Reflect::set(&copy, &"data".into(), &hex(&a.to_vec()).into()).unwrap();
                stringify(&copy)
            } else {
                stringify(e)
            }
        })
        .collect()
}

fn decoder(role: &str, limits: &JsValue, frames: bool) -> Decoder {
    let opts = obj(&[("role", role.into()), ("frames", frames.into())]);
    for key in ["maxMessageSize", "maxFrameSize"]
        .into_iter()
        .filter(|_| limits.is_object())
    {
        let v = get(limits, key);
        if !v.is_undefined() {
            Reflect::set(&opts, &key.into(), &v).unwrap();
        }
    }
    Decoder::new(opts).unwrap()
}

/// Pushes `wire` in chunks; returns every event and the error thrown, if any.
fn push_all(
    dec: &mut Decoder,
    wire: &[u8],
    chunks: &[core::ops::Range<usize>],
) -> (Vec<JsValue>, Option<JsValue>) {
    let mut all = Vec::new();
    for range in chunks {
        match dec.push(u8a(&wire[range.clone()])) {
            Ok(events) => all.extend(events.iter()),
            Err(e) => {
                // Events completed in the same chunk before the violation ride on the error.
                all.extend(get(&e, "events").unchecked_into::<Array>().iter());
                return (all, Some(e));
            }
        }
    }
    (all, None)
}

#[wasm_bindgen_test]
fn encode_frame_writes_every_vector() {
    for f in list(&vectors(), "frames") {
        let name = string(&f, "name");
        let mut init = vec![
            ("fin", get(&f, "fin")),
            ("rsv1", get(&f, "rsv1")),
            ("rsv2", get(&f, "rsv2")),
            ("rsv3", get(&f, "rsv3")),
            ("opcode", get(&f, "opcode")),
            ("payload", u8a(&payload(&f))),
        ];
        if let Some(k) = get(&f, "maskKey").as_string() {
            init.push(("maskKey", u8a(&unhex(&k))));
        }
        let out = encode_frame(obj(&init)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(out.to_vec(), wire(&f), "{name}");
    }
}

#[wasm_bindgen_test]
fn decode_frame_takes_every_vector_apart() {
    for f in list(&vectors(), "frames") {
        let name = string(&f, "name");
        let w = wire(&f);
        let view = decode_frame(&w, JsValue::UNDEFINED).unwrap();
        let header_len = num(&f, "headerLength");
        let body = payload(&f);
        assert!(
            boolean(&view, "complete") && boolean(&view, "headerComplete"),
            "{name}"
        );
        assert_eq!(num(&view, "bytesNeeded"), 0, "{name}");
        for key in ["fin", "rsv1", "rsv2", "rsv3"] {
            assert_eq!(boolean(&view, key), boolean(&f, key), "{name}: {key}");
        }
        for key in ["opcode", "headerLength", "lengthEncoding"] {
            assert_eq!(num(&view, key), num(&f, key), "{name}: {key}");
        }
        assert_eq!(num(&view, "payloadLength"), body.len() as u64, "{name}");
        assert_eq!(num(&view, "frameLength"), w.len() as u64, "{name}");
        assert!(boolean(&view, "minimalLength"), "{name}");
        assert_eq!(bytes(&get(&view, "payload")), body, "{name}");
        assert_eq!(
            bytes(&get(&view, "maskedPayload")),
            &w[header_len as usize..],
            "{name}"
        );
        let masked = get(&f, "maskKey").as_string();
        assert_eq!(boolean(&view, "masked"), masked.is_some(), "{name}");
        let spans = get(&view, "spans");
        let ext = match num(&f, "lengthEncoding") {
            7 => 0,
            16 => 2,
            _ => 8,
        };
        assert_eq!(stringify(&get(&spans, "base")), "[0,2]", "{name}");
        assert_eq!(
            stringify(&get(&spans, "header")),
            format!("[0,{header_len}]"),
            "{name}"
        );
        let ext_span = if ext == 0 {
            "null".into()
        } else {
            format!("[2,{}]", 2 + ext)
        };
        assert_eq!(
            stringify(&get(&spans, "extendedLength")),
            ext_span,
            "{name}"
        );
        match &masked {
            Some(k) => {
                assert_eq!(&hex(&bytes(&get(&view, "maskKey"))), k, "{name}");
                let span = format!("[{},{}]", 2 + ext, 6 + ext);
                assert_eq!(stringify(&get(&spans, "maskKey")), span, "{name}");
            }
            None => assert!(get(&view, "maskKey").is_null(), "{name}"),
        }
        let payload_span = format!("[{header_len},{}]", w.len());
        assert_eq!(stringify(&get(&spans, "payload")), payload_span, "{name}");
        // A frame written by a client (masked) read by a server, or the other way round,
        // breaks no rule; text and close frames show their content.
        let role = if masked.is_some() { "server" } else { "client" };
        let rsv = (u8::from(boolean(&f, "rsv1")) << 6)
            | (u8::from(boolean(&f, "rsv2")) << 5)
            | (u8::from(boolean(&f, "rsv3")) << 4);
        let opts = obj(&[("role", role.into()), ("allowedRsv", rsv.into())]);
        let view = decode_frame(&w, opts).unwrap();
        let op = num(&f, "opcode");
        if op == 1 && std::str::from_utf8(&body).is_ok() {
            assert_eq!(string(&view, "text").as_bytes(), &body[..], "{name}");
        }
        if op == 8 && body.len() >= 2 {
            assert_eq!(
                num(&view, "closeCode"),
                u64::from(u16::from_be_bytes([body[0], body[1]]))
            );
        }
        // Random close payloads may break the close rules; decodeFrame says which, as the
        // native parser does. Everything else here is a frame a peer may send.
        let error = get(&view, "error");
        match wsprism::close::parse_payload(&body) {
            Err(e) if op == 8 => assert_eq!(string(&error, "kind"), e.kind(), "{name}"),
            _ => assert!(error.is_null(), "{name}: {}", stringify(&error)),
        }
    }
}

#[wasm_bindgen_test]
fn invalid_frames_are_reported_by_decode_frame_and_thrown_by_decoder() {
    let mut rng = Rng(4);
    for case in list(&vectors(), "invalid") {
        let name = string(&case, "name");
        let w = unhex(&string(&case, "wire"));
        let expected = get(&case, "error");
        let mut opts = vec![("role", get(&case, "role"))];
        if let Some(max) = opt_num(&case, "maxFrameSize") {
            opts.push(("maxFrameSize", (max as f64).into()));
        }
        let view = decode_frame(&w, obj(&opts)).unwrap();
        let error = get(&view, "error");
        assert!(!error.is_null(), "{name}: decodeFrame saw no error");
        for key in ["kind", "rfcSection"] {
            assert_eq!(string(&error, key), string(&expected, key), "{name}");
        }
        assert_eq!(
            num(&error, "closeCode"),
            num(&expected, "closeCode"),
            "{name}"
        );
        // The fields stay readable: the playground shows both.
        assert_eq!(num(&view, "opcode"), u64::from(w[0] & 0x0f), "{name}");

        for chunks in chunkings(w.len(), &mut rng) {
            let mut dec = decoder(&string(&case, "role"), &case, false);
            let (events, err) = push_all(&mut dec, &w, &chunks);
            assert!(events.is_empty(), "{name}");
            let err = err.unwrap_or_else(|| panic!("{name}: accepted"));
            check_thrown(&err, &expected, &name);
            // Failed for good: the next push throws the same error.
            assert!(dec.failed());
            check_thrown(&dec.push(u8a(&[0x81, 0x00])).unwrap_err(), &expected, &name);
        }
    }
}

#[wasm_bindgen_test]
fn streams_give_the_vectors_events_in_any_chunking() {
    let mut rng = Rng(5);
    for s in list(&vectors(), "streams") {
        let name = string(&s, "name");
        let w = unhex(&string(&s, "wire"));
        let expected: Vec<String> = list(&s, "events").iter().map(stringify).collect();
        for frames in [false, true] {
            for chunks in chunkings(w.len(), &mut rng) {
                let mut dec = decoder(&string(&s, "role"), &s, frames);
                let (events, err) = push_all(&mut dec, &w, &chunks);
                assert_eq!(events_json(&events), expected, "{name} (frames: {frames})");
                match err {
                    None => assert!(get(&s, "error").is_null(), "{name}"),
                    Some(e) => check_thrown(&e, &get(&s, "error"), &name),
                }
                if frames {
                    // Every message is preceded by the frame event that completed it.
                    for (i, ev) in events.iter().enumerate() {
                        if string(ev, "type") != "frame" {
                            assert!(i > 0, "{name}: a message before any frame event");
                        }
                    }
                    let views = decode_frames(&w, JsValue::UNDEFINED).unwrap();
                    let frame_events = events
                        .iter()
                        .filter(|e| string(e, "type") == "frame")
                        .count();
                    assert!(frame_events <= views.length() as usize, "{name}");
                }
            }
        }
    }
}

#[wasm_bindgen_test]
fn helpers_agree_with_the_vectors() {
    let v = vectors();
    for m in list(&v, "masks") {
        let out = util::mask(
            &unhex(&string(&m, "data")),
            &unhex(&string(&m, "key")),
            Some(num(&m, "offset") as f64),
        )
        .unwrap();
        assert_eq!(hex(&out.to_vec()), string(&m, "masked"));
    }
    for c in list(&v, "close") {
        let payload = unhex(&string(&c, "payload"));
        match util::decode_close_payload(&payload) {
            Ok(p) if p.is_null() => assert!(get(&c, "code").is_null()),
            Ok(p) => {
                assert_eq!(num(&p, "code"), num(&c, "code"));
                assert_eq!(string(&p, "reason"), string(&c, "reason"));
                // And back: the payload encodes to the same bytes.
                let again =
                    util::encode_close_payload(num(&p, "code") as f64, Some(string(&p, "reason")))
                        .unwrap();
                assert_eq!(again.to_vec(), payload);
            }
            Err(e) => check_thrown(&e, &get(&c, "error"), &hex(&payload)),
        }
    }
    for u in list(&v, "utf8") {
        assert_eq!(
            util::is_valid_utf8(&unhex(&string(&u, "bytes"))),
            boolean(&u, "valid")
        );
    }
    for k in list(&v, "acceptKeys") {
        let key = string(&k, "key");
        assert_eq!(util::accept_key(&key), string(&k, "accept"));
        assert_eq!(util::is_valid_key(&key), boolean(&k, "validKey"), "{key}");
    }
}

#[wasm_bindgen_test]
fn mask_true_draws_a_fresh_random_key() {
    let payload = u8a(b"random keys");
    let init = obj(&[
        ("opcode", "text".into()),
        ("mask", true.into()),
        ("payload", payload),
    ]);
    let a = encode_frame(init.clone()).unwrap().to_vec();
    let b = encode_frame(init).unwrap().to_vec();
    assert_eq!(a[1], 0x80 | 11, "MASK bit and length");
    assert_ne!(
        a[2..6],
        b[2..6],
        "two frames, two keys (equal with probability 2^-32)"
    );
    for w in [a, b] {
        let view = decode_frame(&w, obj(&[("role", "server".into())])).unwrap();
        assert_eq!(string(&view, "text"), "random keys");
        assert!(get(&view, "error").is_null());
    }
    // A client encoder masks every frame with its own key; a server's decoder reads them.
    let mut enc = Encoder::new(obj(&[("role", "client".into())])).unwrap();
    let mut dec = decoder("server", &JsValue::UNDEFINED, false);
    let mut keys = std::collections::HashSet::new();
    for i in 0..100u8 {
        let frame = enc.binary(&[i; 3], None).unwrap().to_vec();
        keys.insert(frame[2..6].to_vec());
        let events = dec.push(u8a(&frame)).unwrap();
        assert_eq!(bytes(&get(&events.get(0), "data")), [i; 3]);
    }
    assert!(
        keys.len() > 95,
        "fresh keys: {} distinct of 100",
        keys.len()
    );
}

#[wasm_bindgen_test]
fn encode_frame_refuses_frames_no_endpoint_may_send_unless_unchecked() {
    let cases = [
        (obj(&[("opcode", 3.into())]), "reserved-opcode"),
        (
            obj(&[("opcode", "ping".into()), ("fin", false.into())]),
            "fragmented-control-frame",
        ),
        (
            obj(&[("opcode", "close".into()), ("payload", u8a(&[0; 126]))]),
            "control-frame-too-long",
        ),
    ];
    for (init, kind) in cases {
        let err = encode_frame(init.clone()).unwrap_err();
        assert_eq!(string(&err, "kind"), kind);
        assert_eq!(num(&err, "closeCode"), 1002);
        Reflect::set(&init, &"unchecked".into(), &true.into()).unwrap();
        let w = encode_frame(init).unwrap().to_vec();
        let view = decode_frame(&w, JsValue::UNDEFINED).unwrap();
        assert_eq!(
            string(&get(&view, "error"), "kind"),
            kind,
            "decodeFrame names the rule"
        );
    }
    // Malformed arguments are TypeErrors / RangeErrors, not protocol errors.
    for bad in [
        JsValue::UNDEFINED,
        obj(&[]),
        obj(&[("opcode", 16.into())]),
        obj(&[("opcode", "nope".into())]),
        obj(&[("opcode", 1.into()), ("payload", 5.into())]),
        obj(&[("opcode", 1.into()), ("maskKey", u8a(&[1, 2, 3]))]),
        obj(&[
            ("opcode", 1.into()),
            ("mask", false.into()),
            ("maskKey", u8a(&[1, 2, 3, 4])),
        ]),
        obj(&[("opcode", 1.into()), ("fin", "yes".into())]),
    ] {
        let err = encode_frame(bad).unwrap_err();
        assert!(
            err.is_instance_of::<js_sys::TypeError>() || err.is_instance_of::<js_sys::RangeError>()
        );
        assert!(!util::is_protocol_error(err));
    }
    // Strings are sent as UTF-8.
    let w = encode_frame(obj(&[
        ("opcode", "text".into()),
        ("payload", "\u{20ac}".into()),
    ]))
    .unwrap();
    assert_eq!(w.to_vec(), [0x81, 3, 0xe2, 0x82, 0xac]);
}

#[wasm_bindgen_test]
fn decode_frame_reports_partial_frames_and_64_bit_lengths() {
    // RFC 6455 §5.7's masked "Hello", cut at every length.
    let w = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    for cut in 0..w.len() {
        let view = decode_frame(&w[..cut], JsValue::UNDEFINED).unwrap();
        assert!(!boolean(&view, "complete"), "cut {cut}");
        assert_eq!(boolean(&view, "headerComplete"), cut >= 6, "cut {cut}");
        let needed = if cut < 2 {
            2 - cut
        } else if cut < 6 {
            6 - cut
        } else {
            11 - cut
        };
        assert_eq!(num(&view, "bytesNeeded"), needed as u64, "cut {cut}");
        if cut >= 6 {
            assert_eq!(bytes(&get(&view, "payload")), &b"Hello"[..cut - 6]);
        }
    }
    // A declared 2^60-byte frame: the length comes back as a bigint, and a size limit
    // names the rule (1009) from the header alone.
    let mut w = vec![0x82, 0x7f];
    w.extend_from_slice(&(1u64 << 60).to_be_bytes());
    let view = decode_frame(&w, obj(&[("maxFrameSize", (1 << 20).into())])).unwrap();
    let len = get(&view, "payloadLength");
    assert!(len.is_bigint());
    assert_eq!(u64::try_from(len).unwrap(), 1 << 60);
    assert_eq!(string(&get(&view, "error"), "kind"), "frame-too-large");
    assert_eq!(num(&get(&view, "error"), "closeCode"), 1009);
    // A non-minimal length is read and flagged.
    let view = decode_frame(&[0x82, 0x7e, 0x00, 0x01, 0xaa], JsValue::UNDEFINED).unwrap();
    assert!(!boolean(&view, "minimalLength"));
    assert_eq!(num(&view, "payloadLength"), 1);
    // decodeFrames walks a stream; spans count from its start.
    let mut stream = Vec::new();
    for f in [
        &[0x81u8, 0x02, b'h', b'i'][..],
        &[0x89, 0x00],
        &[0x82, 0x01, 7],
    ] {
        stream.extend_from_slice(f);
    }
    let views = decode_frames(&stream, JsValue::UNDEFINED).unwrap();
    let offsets: Vec<u64> = views.iter().map(|v| num(&v, "offset")).collect();
    assert_eq!(offsets, [0, 4, 6]);
    assert_eq!(
        stringify(&get(&get(&views.get(2), "spans"), "payload")),
        "[8,9]"
    );
}

#[wasm_bindgen_test]
fn decoder_options_limits_close_and_views() {
    // Options are checked.
    for bad in [
        JsValue::UNDEFINED,
        obj(&[]),
        obj(&[("role", "peer".into())]),
        obj(&[("role", "client".into()), ("maxMessageSize", (-1).into())]),
    ] {
        assert!(Decoder::new(bad).is_err());
    }
    // A message limit of 5: 1009 once the frames say the message is bigger.
    let mut dec = Decoder::new(obj(&[
        ("role", "client".into()),
        ("maxMessageSize", 5.into()),
    ]))
    .unwrap();
    let err = dec
        .push(u8a(&[0x01, 0x03, b'a', b'b', b'c', 0x80, 0x03]))
        .unwrap_err();
    assert_eq!(
        (string(&err, "kind"), num(&err, "closeCode")),
        ("message-too-large".into(), 1009)
    );
    // After a close frame nothing is read, and `closed` says so.
    let mut dec = decoder("client", &JsValue::UNDEFINED, false);
    let events = dec
        .push(u8a(&[0x88, 0x02, 0x03, 0xe8, 0xff, 0xff]))
        .unwrap();
    assert_eq!(
        stringify(&events),
        r#"[{"type":"close","code":1000,"reason":""}]"#
    );
    assert!(dec.closed());
    assert_eq!(dec.push(u8a(&[0x81, 0x00])).unwrap().length(), 0);
    // A client's decoder hands out a whole unmasked frame's data as a view of the chunk;
    // a server's (which unmasks) gives a copy, and leaves the caller's bytes alone.
    let chunk = Uint8Array::from(&[0x82u8, 0x03, 1, 2, 3][..]);
    let mut dec = decoder("client", &JsValue::UNDEFINED, false);
    let data: Uint8Array =
        get(&dec.push(chunk.clone().into()).unwrap().get(0), "data").unchecked_into();
    assert!(data.buffer() == chunk.buffer());
    assert_eq!(
        (data.byte_offset(), data.length()),
        (chunk.byte_offset() + 2, 3)
    );
    let masked = [0x82u8, 0x83, 1, 1, 1, 1, 0, 3, 2];
    let chunk = Uint8Array::from(&masked[..]);
    let mut dec = decoder("server", &JsValue::UNDEFINED, false);
    let data: Uint8Array =
        get(&dec.push(chunk.clone().into()).unwrap().get(0), "data").unchecked_into();
    assert_eq!(data.to_vec(), [1, 2, 3]);
    assert!(data.buffer() != chunk.buffer());
    assert_eq!(chunk.to_vec(), masked);
    // Frame events: the header first, then the message it completes.
    let mut dec = decoder("client", &JsValue::UNDEFINED, true);
    let events = dec
        .push(u8a(&[0x01, 0x01, b'a', 0x8a, 0x00, 0x80, 0x01, b'b']))
        .unwrap();
    let kinds: Vec<String> = events.iter().map(|e| string(&e, "type")).collect();
    assert_eq!(kinds, ["frame", "frame", "pong", "frame", "text"]);
    assert_eq!(string(&events.get(4), "data"), "ab");
    assert!(!boolean(&events.get(0), "fin"));
    // push() wants a Uint8Array.
    assert!(dec
        .push("text".into())
        .unwrap_err()
        .is_instance_of::<js_sys::TypeError>());
}

#[wasm_bindgen_test]
fn encoder_roles_close_codes_and_headers() {
    let mut server = Encoder::new(obj(&[("role", "server".into())])).unwrap();
    assert_eq!(
        server.text("Hello", None).unwrap().to_vec(),
        [0x81, 0x05, b'H', b'e', b'l', b'l', b'o']
    );
    assert_eq!(
        server.binary(&[1], Some(false)).unwrap().to_vec(),
        [0x02, 0x01, 1]
    );
    assert_eq!(
        server.continuation(&[2], None).unwrap().to_vec(),
        [0x80, 0x01, 2]
    );
    assert_eq!(server.ping(None).unwrap().to_vec(), [0x89, 0x00]);
    assert_eq!(
        server
            .close(Some(1000.0), Some("bye".into()))
            .unwrap()
            .to_vec(),
        [0x88, 0x05, 0x03, 0xe8, b'b', b'y', b'e']
    );
    assert_eq!(server.close(None, None).unwrap().to_vec(), [0x88, 0x00]);
    assert!(server
        .close(Some(1005.0), None)
        .unwrap_err()
        .is_instance_of::<js_sys::RangeError>());
    assert!(
        server.close(Some(70_000.0), None).is_err(),
        "no wrapping into 4464"
    );
    assert!(
        server.close(None, Some("reason".into())).is_err(),
        "a reason needs a code"
    );
    assert_eq!(
        string(&server.ping(Some(vec![0; 126])).unwrap_err(), "kind"),
        "control-frame-too-long"
    );
    // The header of a 64 KiB frame, for a vectored write.
    assert_eq!(
        server
            .header(2.into(), 65536.into(), None)
            .unwrap()
            .to_vec(),
        [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]
    );
    assert_eq!(
        server
            .header("text".into(), 126.into(), Some(false))
            .unwrap()
            .to_vec(),
        [0x01, 0x7e, 0, 126]
    );
    // A client masks, so it cannot write a bare header.
    let mut client = Encoder::new(obj(&[("role", "client".into())])).unwrap();
    assert!(client.header(2.into(), 1.into(), None).is_err());
    let frame = client.text("hi", None).unwrap().to_vec();
    assert_eq!((frame[0], frame[1], frame.len()), (0x81, 0x82, 8));
    assert_eq!(
        util::close_code_name(1000.0).as_deref(),
        Some("Normal Closure")
    );
    assert!(
        util::is_valid_close_code(4000.0)
            && !util::is_valid_close_code(1005.0)
            && !util::is_valid_close_code(1000.5)
    );
}

/// RFC 7692 §7.2.3.1: "Hello", compressed in one unfragmented message.
const HELLO_DEFLATED: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

#[wasm_bindgen_test]
fn permessage_deflate_in_the_browser() {
    use wsprism::wasm::deflate::{compress_message, inflate_message, Deflater, Inflater};

    // One-shot helpers: the RFC's bytes both ways.
    let wire = compress_message("Hello".into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(wire.to_vec(), HELLO_DEFLATED);
    let text = inflate_message(u8a(&HELLO_DEFLATED), JsValue::UNDEFINED).unwrap();
    assert_eq!(text.to_vec(), b"Hello");
    // Bounded: 64 KiB of zeros does not inflate past a 1 KiB limit (1009).
    let bomb = compress_message(u8a(&[0; 65536]), JsValue::UNDEFINED).unwrap();
    let err = inflate_message(bomb.into(), obj(&[("maxSize", 1024.into())])).unwrap_err();
    assert_eq!(Reflect::get(&err, &"closeCode".into()).unwrap(), 1009);

    // Context takeover (§7.2.3.2): the second "Hello" is a back-reference.
    let mut tx = Deflater::new(JsValue::UNDEFINED).unwrap();
    let mut rx = Inflater::new(JsValue::UNDEFINED).unwrap();
    for expected in [&HELLO_DEFLATED[..], &[0xf2, 0x00, 0x11, 0x00, 0x00]] {
        let wire = tx.compress("Hello".into()).unwrap();
        assert_eq!(wire.to_vec(), expected);
        assert_eq!(rx.decompress(wire.into()).unwrap().to_vec(), b"Hello");
    }

    // decodeFrame: RSV1 is an error unless deflate is negotiated; then it is inflated.
    let frame: Vec<u8> = [&[0xc1, 0x07][..], &HELLO_DEFLATED].concat();
    let strict = decode_frame(&frame, JsValue::UNDEFINED).unwrap();
    assert!(!Reflect::get(&strict, &"error".into()).unwrap().is_null());
    let view = decode_frame(&frame, obj(&[("perMessageDeflate", true.into())])).unwrap();
    assert!(Reflect::get(&view, &"error".into()).unwrap().is_null());
    assert_eq!(Reflect::get(&view, &"text".into()).unwrap(), "Hello");
    assert_eq!(
        bytes(&Reflect::get(&view, &"inflated".into()).unwrap()),
        b"Hello"
    );

    // The streaming Decoder inflates and flags the message.
    let mut dec = Decoder::new(obj(&[
        ("role", "client".into()),
        ("perMessageDeflate", true.into()),
    ]))
    .unwrap();
    let events = dec.push(u8a(&frame)).unwrap();
    assert_eq!(
        stringify(&events.into()),
        r#"[{"type":"text","data":"Hello","compressed":true}]"#
    );
}
