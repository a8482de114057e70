//! RFC 7692 permessage-deflate: the §7.2.3 examples byte for byte, round trips under every
//! parameter combination, the bounded inflate (zip bombs), and negotiation with the offers
//! real clients send.
#![cfg(feature = "deflate")]

use wsprism::deflate::{
    looks_incompressible, parse_extensions, parse_offers, Agreed, ClientOffer, ClientWindowBits,
    Deflater, HeaderError, Inflater, ParamError, Params, ResponseError, ServerConfig,
    INCOMPRESSIBLE_MIN, INFLATE_STEP,
};
use wsprism::{CloseCode, Error};

fn compress(d: &mut Deflater, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    d.compress(payload, &mut out).unwrap();
    out
}

fn inflate(i: &mut Inflater, wire: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    i.decompress(wire, &mut out, 1 << 24).map(|()| out)
}

// --- RFC 7692 §7.2.3 examples --------------------------------------------------------

const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

#[test]
fn rfc_7_2_3_1_hello() {
    assert_eq!(compress(&mut Deflater::new(false), b"Hello"), HELLO);
    assert_eq!(
        inflate(&mut Inflater::new(false), &HELLO).unwrap(),
        b"Hello"
    );
}

#[test]
fn rfc_7_2_3_2_sharing_the_window() {
    let second = [0xf2, 0x00, 0x11, 0x00, 0x00];
    let mut rx = Inflater::new(false);
    assert_eq!(inflate(&mut rx, &HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut rx, &second).unwrap(), b"Hello");
    // The second message refers back into the first: alone it does not give "Hello"
    // (miniz_oxide fills a distance before the start with zeros instead of failing).
    assert_ne!(
        inflate(&mut Inflater::new(false), &second).as_deref(),
        Ok(&b"Hello"[..])
    );

    // Our compressor with context takeover uses the window (shorter second message) and
    // without it compresses each message alone (the same bytes twice).
    let mut tx = Deflater::new(false);
    assert_eq!(compress(&mut tx, b"Hello"), HELLO);
    let again = compress(&mut tx, b"Hello");
    assert!(again.len() < HELLO.len(), "{again:02x?}");
    let mut rx = Inflater::new(false);
    inflate(&mut rx, &HELLO).unwrap();
    assert_eq!(inflate(&mut rx, &again).unwrap(), b"Hello");

    let mut tx = Deflater::new(true);
    assert_eq!(compress(&mut tx, b"Hello"), HELLO);
    assert_eq!(compress(&mut tx, b"Hello"), HELLO);
}

#[test]
fn rfc_7_2_3_3_stored_block() {
    let wire = [
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(inflate(&mut Inflater::new(false), &wire).unwrap(), b"Hello");
    // Level 0 stores: the same framing comes out of our compressor.
    let ours = compress(&mut Deflater::with_level(0, true), b"Hello");
    assert_eq!(&ours[..10], &wire[..10]);
    assert_eq!(inflate(&mut Inflater::new(true), &ours).unwrap(), b"Hello");
}

#[test]
fn rfc_7_2_3_4_bfinal_set() {
    let wire = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let mut rx = Inflater::new(false);
    assert_eq!(inflate(&mut rx, &wire).unwrap(), b"Hello");
    // The stream ended; the next message starts a new one.
    assert_eq!(inflate(&mut rx, &HELLO).unwrap(), b"Hello");
}

#[test]
fn rfc_7_2_3_5_two_blocks() {
    let wire = [
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(inflate(&mut Inflater::new(false), &wire).unwrap(), b"Hello");
}

#[test]
fn empty_message_is_one_zero_byte() {
    let mut tx = Deflater::new(false);
    assert_eq!(compress(&mut tx, b""), [0x00]);
    let mut rx = Inflater::new(false);
    assert_eq!(inflate(&mut rx, &[0x00]).unwrap(), b"");
    // And the context survives it.
    let next = compress(&mut tx, b"Hello");
    assert_eq!(inflate(&mut rx, &next).unwrap(), b"Hello");
}

#[test]
fn output_is_appended() {
    let mut out = b"prefix".to_vec();
    Deflater::new(true).compress(b"Hello", &mut out).unwrap();
    assert_eq!(&out[6..], HELLO);
    let mut text = b"> ".to_vec();
    Inflater::new(true)
        .decompress(&out[6..], &mut text, 5)
        .unwrap();
    assert_eq!(text, b"> Hello");
}

/// Every level, both takeover settings, sizes around the compressor's block and window
/// boundaries: each message must come back whole and leave nothing behind in the
/// compressor. (A level-0 message of 31,746 bytes once lost its last byte: the compressor
/// stopped flushing when our output buffer filled, and the next message started with the
/// stale tail.)
#[test]
fn messages_near_block_boundaries_round_trip_at_every_level() {
    let sizes = [
        1, 16_383, 16_384, 31_744, 31_745, 31_746, 32_767, 32_768, 65_535, 65_536, 70_001,
    ];
    for level in 0..=9 {
        for no_takeover in [false, true] {
            let mut tx = Deflater::with_level(level, no_takeover);
            let mut rx = Inflater::new(no_takeover);
            for &n in &sizes {
                for fill in [0u8, 0x5a] {
                    let msg = vec![fill; n];
                    let wire = compress(&mut tx, &msg);
                    assert!(!wire.ends_with(&[0, 0, 0xff, 0xff]), "level {level} n {n}");
                    let back = inflate(&mut rx, &wire).unwrap_or_else(|e| {
                        panic!("level {level} takeover {} n {n}: {e:?}", !no_takeover)
                    });
                    assert!(back == msg, "level {level} takeover {} n {n}", !no_takeover);
                }
            }
        }
    }
}

// --- a peer compressor with a small window (client_max_window_bits=9) --------------------

/// zlib (Python `zlib.compressobj(9, DEFLATED, -9)`) output for [`window_text`], sync
/// flushed, trailer removed: back-references stay within 512 bytes.
const ZLIB_WBITS_9: &[&str] = &[
    "4c8f5b6a5c411043b7324bb87dfbbd9c8138246083b103d97e2652495d5fa21eaa537abe7ffe7a5e8fbfdf9f5fbfbf3f",
    "cae3c7dbfb9fe7adba3e9effe7edf1f3ebf9f1d62983cda9a545d3f6918b0ba570bfdc54b5b577d3575537ce4d814c36",
    "9796364de5bc5ce2ac2984b29b92c0d75477ce4d812c367312d2fcf38b82155320d14c4960ebaa07e7a64076fc9d9390",
    "e6a7af58110552d94c49e01aaa27e7a6f0519dca49e03b786e9802696ca624304dd58bf343a1c6ad9c84d154df5c3005",
    "d2d94c49605aaa775c3d146a1c4b49e033bc726e0a64b09992c0b47de40adaa140d53e49e0abaa1be7a640269b29094c",
    "e5bc5ce2ac2984b29b92c0d75477ce4d812c367312d2fcf38b82155320d14c4960ebaa07e7a64076fc9d9390e6a7af58",
    "110552d94c49e01aaa27e7a6f0519dca49e03b786e9802696ca624304dd58bf343a1c6ad9c84d154df5c3005d2d94c49",
    "605aaa775c3d146a1c4b49e033bc726e0a64b09992c0b47de40adaa140d53e49e0abaa1be7a640269b29094ce5bc5ce2",
    "ac2984b29b92c0d75477ce4d812c367312d2fcf38b82155320d14c4960ebaa07e7a64076fc9d9390e6a7af58110552d9",
    "4c49e01aaa27e7a6f0519dca49e03b786e9802696ca624304dd58bf343a1c6ad9c84d154df5c3005d2d94c49605aaa77",
    "5c3d146a1c4b49e033bc726e0a64b09992c0b47de40adaa140d53e49e0abaa1be7a640269b29094ce5bc5ce2ac28ff00",
];

fn window_text() -> Vec<u8> {
    let words = [
        "alpha", "beta", "gamma", "delta", "wsprism", "frame", "mask",
    ];
    let parts: Vec<String> = (0..300usize)
        .map(|i| format!("{}{}", words[(i * i + 3 * i) % 7], i % 13))
        .collect();
    parts.join(" ").into_bytes()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn inflates_a_small_window_stream_from_zlib() {
    let wire = unhex(&ZLIB_WBITS_9.concat());
    let text = window_text();
    assert_eq!(inflate(&mut Inflater::new(true), &wire).unwrap(), text);
    // Our own full-window compressor does better on the same text, and round trips.
    let ours = compress(&mut Deflater::new(true), &text);
    assert!(ours.len() < wire.len());
    assert_eq!(inflate(&mut Inflater::new(true), &ours).unwrap(), text);
}

// --- round trips under every parameter combination ---------------------------------------

fn corpus() -> Vec<Vec<u8>> {
    let mut noise = Vec::with_capacity(100_000);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..100_000 {
        // xorshift: incompressible bytes.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(x as u8);
    }
    vec![
        b"Hello".to_vec(),
        Vec::new(),
        b"{\"type\":\"chat\",\"text\":\"hello hello hello\"}".to_vec(),
        window_text(),
        vec![b'a'; 70_000], // longer than the window and than one inflate step
        noise[..1000].to_vec(),
        noise,
        b"Hello".to_vec(),
        window_text(),
    ]
}

/// Every offer shape a client can send, including every client_max_window_bits value.
fn offers() -> Vec<String> {
    let mut v = vec![
        "permessage-deflate".to_string(),
        "permessage-deflate; client_max_window_bits".to_string(),
        "permessage-deflate; server_max_window_bits=15".to_string(),
    ];
    for bits in 8..=15 {
        v.push(format!("permessage-deflate; client_max_window_bits={bits}"));
    }
    let mut with_flags = Vec::new();
    for o in &v {
        with_flags.push(format!("{o}; server_no_context_takeover"));
        with_flags.push(format!("{o}; client_no_context_takeover"));
        with_flags.push(format!(
            "{o}; client_no_context_takeover; server_no_context_takeover"
        ));
    }
    v.extend(with_flags);
    v
}

fn round_trip(agreed: &Agreed, level: u8) {
    let p = agreed.params;
    let mut s_tx = Deflater::with_level(level, p.server_no_context_takeover);
    let mut c_tx = Deflater::with_level(level, p.client_no_context_takeover);
    let (mut s_rx, mut c_rx) = (agreed.client_inflater(), agreed.server_inflater());
    for msg in corpus() {
        let wire = compress(&mut s_tx, &msg);
        assert_eq!(
            inflate(&mut c_rx, &wire).unwrap(),
            msg,
            "{p:?} level {level}"
        );
        let wire = compress(&mut c_tx, &msg);
        assert_eq!(
            inflate(&mut s_rx, &wire).unwrap(),
            msg,
            "{p:?} level {level}"
        );
    }
}

#[test]
fn round_trips_under_every_agreement() {
    let configs = [
        ServerConfig::default(),
        ServerConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
        },
        ServerConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: true,
        },
        ServerConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
        },
    ];
    let mut seen = std::collections::HashSet::new();
    for config in configs {
        for offer in offers() {
            let agreed = config.accept(&offer).unwrap().expect(&offer);
            if seen.insert(agreed.params) {
                round_trip(&agreed, 6);
            }
        }
    }
    // Both takeover flags × server window given or not.
    assert_eq!(seen.len(), 8);
    for level in [0, 1, 9] {
        round_trip(
            &ServerConfig::default()
                .accept("permessage-deflate")
                .unwrap()
                .unwrap(),
            level,
        );
    }
}

#[test]
fn context_takeover_shrinks_repeated_messages() {
    let msg = window_text();
    let mut keep = Deflater::new(false);
    let mut reset = Deflater::new(true);
    compress(&mut keep, &msg);
    compress(&mut reset, &msg);
    let with = compress(&mut keep, &msg).len();
    let without = compress(&mut reset, &msg).len();
    assert!(with * 4 < without, "{with} vs {without}");
}

#[test]
fn inflater_without_takeover_forgets_the_window() {
    let mut tx = Deflater::new(false);
    compress(&mut tx, b"Hello");
    let second = compress(&mut tx, b"Hello");
    let mut rx = Inflater::new(true);
    inflate(&mut rx, &HELLO).unwrap();
    assert_ne!(inflate(&mut rx, &second).as_deref(), Ok(&b"Hello"[..]));
    // While an inflater with takeover reads it.
    let mut rx = Inflater::new(false);
    inflate(&mut rx, &HELLO).unwrap();
    assert_eq!(inflate(&mut rx, &second).unwrap(), b"Hello");
}

// --- limits and corrupt input --------------------------------------------------------------

#[test]
fn zip_bomb_stops_at_the_limit() {
    let bomb = compress(&mut Deflater::with_level(9, true), &vec![0u8; 1 << 20]);
    assert!(bomb.len() < 2048, "{}", bomb.len());
    let limit = 64 * 1024;
    let mut out = Vec::new();
    let err = Inflater::new(true)
        .decompress(&bomb, &mut out, limit)
        .unwrap_err();
    assert_eq!(err, Error::DecompressedTooLarge { max: limit as u64 });
    assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
    assert_eq!(err.rfc(), 7692);
    assert!(out.is_empty());
    assert!(out.capacity() <= limit + 1, "{}", out.capacity());
}

#[test]
fn limit_is_exact() {
    let msg = vec![7u8; 3 * INFLATE_STEP + 5];
    let wire = compress(&mut Deflater::new(true), &msg);
    let mut rx = Inflater::new(true);
    let mut out = Vec::new();
    rx.decompress(&wire, &mut out, msg.len()).unwrap();
    assert_eq!(out, msg);
    assert!(out.capacity() <= msg.len() + 1);
    let mut out = b"kept".to_vec();
    assert_eq!(
        rx.decompress(&wire, &mut out, msg.len() - 1),
        Err(Error::DecompressedTooLarge {
            max: msg.len() as u64 - 1
        })
    );
    assert_eq!(out, b"kept");
    // The inflater is usable again after the error (reset).
    assert_eq!(inflate(&mut rx, &HELLO).unwrap(), b"Hello");
}

#[test]
fn no_limit_means_no_limit() {
    let msg = vec![1u8; 100_000];
    let wire = compress(&mut Deflater::new(true), &msg);
    let mut out = b"x".to_vec();
    Inflater::new(true)
        .decompress(&wire, &mut out, usize::MAX)
        .unwrap();
    assert_eq!(out.len(), msg.len() + 1);
    assert_eq!(&out[1..], &msg[..]);
}

#[test]
fn corrupt_streams_fail_with_1007() {
    // BTYPE=11 is reserved (RFC 1951 §3.2.3); a stored block whose NLEN is not ~LEN.
    for wire in [&[0x06u8][..], &[0x00, 0x05, 0x00, 0x00, 0x00, b'H']] {
        let err = inflate(&mut Inflater::new(false), wire).unwrap_err();
        assert_eq!(err, Error::InvalidCompressedData);
        assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
        assert!(err.to_string().contains("RFC 7692 §7.2.2"), "{err}");
    }
}

// --- negotiation --------------------------------------------------------------------------

fn accept(header: &str) -> Option<String> {
    ServerConfig::default()
        .accept(header)
        .unwrap()
        .map(|a| a.response_header())
}

#[test]
fn offers_from_real_clients() {
    // Chromium, Firefox, Node's ws and Python's websockets by default all send this one.
    assert_eq!(
        accept("permessage-deflate; client_max_window_bits").as_deref(),
        Some("permessage-deflate")
    );
    // Safari / older clients: no parameters.
    assert_eq!(
        accept("permessage-deflate").as_deref(),
        Some("permessage-deflate")
    );
    // ws with `serverNoContextTakeover` / websockets with a tuned factory.
    assert_eq!(
        accept("permessage-deflate; server_no_context_takeover; client_max_window_bits=12")
            .as_deref(),
        Some("permessage-deflate; server_no_context_takeover")
    );
    // A client that limits our window below 32 KiB: accepted, the limit echoed (§7.1.2.1)
    // and honoured by a Huffman-only compressor (module docs).
    assert_eq!(
        accept("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12")
            .as_deref(),
        Some("permessage-deflate; server_max_window_bits=12")
    );
    // The quoted form of a value is the same value (RFC 6455 §9.1).
    assert_eq!(
        accept("permessage-deflate; server_max_window_bits=\"15\"").as_deref(),
        Some("permessage-deflate; server_max_window_bits=15")
    );
    // Names are case-insensitive; other extensions are skipped.
    assert_eq!(
        accept("x-webkit-deflate-frame, PerMessage-Deflate; Client_Max_Window_Bits").as_deref(),
        Some("permessage-deflate")
    );
    assert_eq!(accept("x-webkit-deflate-frame"), None);
    assert_eq!(accept(""), None);
}

#[test]
fn first_acceptable_offer_wins() {
    let header = "permessage-deflate; server_max_window_bits=16, \
                  permessage-deflate; foo, \
                  permessage-deflate; client_no_context_takeover, \
                  permessage-deflate";
    assert_eq!(
        accept(header).as_deref(),
        Some("permessage-deflate; client_no_context_takeover")
    );
    let offers = parse_offers(header).unwrap();
    assert_eq!(offers.len(), 4);
    assert_eq!(offers[1], Err(ParamError::Unknown("foo".into())));
}

/// Huffman-only output (for a peer window below 15 bits) has no back-references: a stream
/// of a highly repetitive payload is then about as long as its Huffman coding alone, where
/// the 32 KiB matcher shrinks it to almost nothing, and it still inflates to the payload.
#[test]
fn small_agreed_windows_get_output_without_back_references() {
    let payload: Vec<u8> = b"abcdefgh"
        .iter()
        .copied()
        .cycle()
        .take(64 * 1024)
        .collect();
    let agreed = ServerConfig::default()
        .accept("permessage-deflate; server_max_window_bits=8")
        .unwrap()
        .unwrap();
    let mut small = Vec::new();
    agreed
        .server_deflater()
        .compress(&payload, &mut small)
        .unwrap();
    let mut full = Vec::new();
    Deflater::new(true).compress(&payload, &mut full).unwrap();
    // 8 symbols of equal frequency: 3 bits each, so at least 3/8 of the input.
    assert!(
        small.len() >= payload.len() * 3 / 8,
        "{} bytes",
        small.len()
    );
    assert!(full.len() < 1024, "{} bytes", full.len());
    let mut out = Vec::new();
    agreed
        .server_inflater()
        .decompress(&small, &mut out, 1 << 20)
        .unwrap();
    assert_eq!(out, payload);
}

#[test]
fn server_config_adds_its_own_flags() {
    let config = ServerConfig {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
    };
    let agreed = config.accept("permessage-deflate").unwrap().unwrap();
    assert_eq!(
        agreed.response_header(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
}

#[test]
fn invalid_offers_are_declined() {
    use ParamError::*;
    let cases: &[(&str, ParamError)] = &[
        ("permessage-deflate; foo", Unknown("foo".into())),
        ("permessage-deflate; foo=1", Unknown("foo".into())),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            Duplicate("server_no_context_takeover".into()),
        ),
        (
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            Duplicate("client_max_window_bits".into()),
        ),
        (
            "permessage-deflate; server_no_context_takeover=1",
            InvalidValue("server_no_context_takeover".into()),
        ),
        (
            "permessage-deflate; client_no_context_takeover=true",
            InvalidValue("client_no_context_takeover".into()),
        ),
        (
            "permessage-deflate; server_max_window_bits",
            InvalidValue("server_max_window_bits".into()),
        ),
    ];
    for (header, want) in cases {
        assert_eq!(
            parse_offers(header).unwrap(),
            [Err(want.clone())],
            "{header}"
        );
        assert_eq!(accept(header), None, "{header}");
    }
    for bad in ["7", "16", "08", "015", "1a", "255", "256", "-9", "9.0"] {
        for name in ["server_max_window_bits", "client_max_window_bits"] {
            let header = format!("permessage-deflate; {name}={bad}");
            assert_eq!(
                parse_offers(&header),
                Ok(vec![Err(InvalidValue(name.into()))]),
                "{header}"
            );
        }
    }
    for good in 8..=15u8 {
        let header = format!("permessage-deflate; client_max_window_bits={good}");
        assert_eq!(
            parse_offers(&header).unwrap()[0]
                .as_ref()
                .unwrap()
                .client_max_window_bits,
            ClientWindowBits::Limit(good)
        );
    }
}

#[test]
fn malformed_headers_are_errors() {
    let cases: &[(&str, HeaderError)] = &[
        (";", HeaderError::ExpectedToken { at: 0 }),
        ("permessage-deflate;", HeaderError::ExpectedToken { at: 19 }),
        (
            "permessage-deflate; =15",
            HeaderError::ExpectedToken { at: 20 },
        ),
        ("permessage-deflate; a=", HeaderError::BadValue { at: 22 }),
        (
            "permessage-deflate; a=\"\"",
            HeaderError::BadValue { at: 22 },
        ),
        (
            "permessage-deflate; a=\"1 2\"",
            HeaderError::BadValue { at: 22 },
        ),
        (
            "permessage-deflate; a=\"15",
            HeaderError::BadValue { at: 22 },
        ),
        ("permessage deflate", HeaderError::UnexpectedChar { at: 11 }),
        (
            "permessage-deflate; a b",
            HeaderError::UnexpectedChar { at: 22 },
        ),
        ("per\u{e9}", HeaderError::UnexpectedChar { at: 3 }),
    ];
    for (header, want) in cases {
        assert_eq!(parse_extensions(header), Err(*want), "{header:?}");
        assert_eq!(ServerConfig::default().accept(header), Err(*want));
        assert!(want.to_string().contains("RFC 6455 §9.1"));
    }
    // Whitespace, empty list elements and escapes in quoted strings are fine.
    let exts = parse_extensions(" a ;b = \"1\\5\" , ,c\t").unwrap();
    assert_eq!(exts.len(), 2);
    assert_eq!(exts[0].params[0].0, "b");
    assert_eq!(exts[0].params[0].1.as_deref(), Some("15"));
    assert_eq!(exts[1].name, "c");
}

#[test]
fn client_offer_and_response() {
    let offer = ClientOffer::default();
    assert_eq!(offer.offer_header(), "permessage-deflate");
    assert_eq!(offer.validate_response(None), Ok(None));
    let agreed = offer
        .validate_response(Some("permessage-deflate; server_max_window_bits=10"))
        .unwrap()
        .unwrap();
    assert_eq!(agreed.params.server_max_window_bits, Some(10));
    assert_eq!(
        offer.validate_response(Some("permessage-deflate; client_max_window_bits=10")),
        Err(ResponseError::UnrequestedClientWindowBits)
    );
    assert!(matches!(
        offer.validate_response(Some("permessage-deflate; client_max_window_bits")),
        Err(ResponseError::Param(ParamError::InvalidValue(_)))
    ));
    assert_eq!(
        offer.validate_response(Some("x-foo")),
        Err(ResponseError::UnexpectedExtension("x-foo".into()))
    );
    assert_eq!(
        offer.validate_response(Some("permessage-deflate, permessage-deflate")),
        Err(ResponseError::UnexpectedExtension(
            "permessage-deflate".into()
        ))
    );
    assert!(matches!(
        offer.validate_response(Some("permessage-deflate; bar")),
        Err(ResponseError::Param(ParamError::Unknown(_)))
    ));
    assert!(matches!(
        offer.validate_response(Some("permessage-deflate;")),
        Err(ResponseError::Header(_))
    ));

    let strict = ClientOffer {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
    };
    assert_eq!(
        strict.offer_header(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
    assert_eq!(
        strict.validate_response(Some("permessage-deflate")),
        Err(ResponseError::MissingServerNoContextTakeover)
    );
}

#[test]
fn client_and_server_agree_end_to_end() {
    for offer in [
        ClientOffer::default(),
        ClientOffer {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
        },
        ClientOffer {
            server_no_context_takeover: false,
            client_no_context_takeover: true,
        },
    ] {
        let server = ServerConfig::default()
            .accept(&offer.offer_header())
            .unwrap()
            .unwrap();
        let client = offer
            .validate_response(Some(&server.response_header()))
            .unwrap()
            .unwrap();
        assert_eq!(client, server);
        let mut c_tx = client.client_deflater();
        let mut s_rx = server.client_inflater();
        let mut s_tx = server.server_deflater();
        let mut c_rx = client.server_inflater();
        for msg in corpus() {
            assert_eq!(inflate(&mut s_rx, &compress(&mut c_tx, &msg)).unwrap(), msg);
            assert_eq!(inflate(&mut c_rx, &compress(&mut s_tx, &msg)).unwrap(), msg);
        }
    }
}

#[test]
fn params_default_is_the_plain_offer() {
    assert_eq!(
        parse_offers("permessage-deflate").unwrap(),
        [Ok(Params::default())]
    );
}

// --- skipping what will not compress ---------------------------------------------------

/// xorshift64: reproducible noise.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

fn base64(data: &[u8]) -> Vec<u8> {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    data.iter().map(|b| ABC[usize::from(b & 63)]).collect()
}

#[test]
fn random_and_compressed_data_look_incompressible_at_every_size() {
    for len in [INCOMPRESSIBLE_MIN, 300, 1024, 4096, 4097, 65_536, 1 << 20] {
        for seed in 1..=5 {
            assert!(
                looks_incompressible(&noise(len, seed)),
                "noise {len} seed {seed}"
            );
        }
    }
    // DEFLATE output of varied text is itself near-random.
    let text: String = (0..3000)
        .map(|i| format!("{} {} ", i * 7919 % 1000, i % 13))
        .collect();
    let packed = compress(&mut Deflater::new(true), text.as_bytes());
    assert!(packed.len() >= INCOMPRESSIBLE_MIN, "{}", packed.len());
    assert!(looks_incompressible(&packed));
}

#[test]
fn text_base64_and_short_payloads_are_compressed() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zeros", vec![0; 70_000]),
        ("chat json", corpus()[2].repeat(200)),
        ("base64 of noise", base64(&noise(65_536, 7))),
        ("window text", window_text()),
        ("noise under the minimum", noise(INCOMPRESSIBLE_MIN - 1, 3)),
        ("empty", Vec::new()),
    ];
    for (name, payload) in cases {
        assert!(!looks_incompressible(&payload), "{name}");
    }
}

/// The judgement agrees with the compressor: whatever it calls incompressible does not
/// shrink by more than an eighth, and whatever shrinks by a quarter or more is not called
/// incompressible.
#[test]
fn judgement_agrees_with_the_compressor() {
    let mut payloads = corpus();
    payloads.push(window_text());
    payloads.push(base64(&noise(8192, 11)));
    for seed in 1..=4 {
        payloads.push(noise(5000, seed));
        // Mostly noise with a run: still near-random.
        let mut mixed = noise(6000, seed);
        mixed[1000..1200].fill(b'x');
        payloads.push(mixed);
    }
    for p in payloads.iter().filter(|p| p.len() >= INCOMPRESSIBLE_MIN) {
        let ratio = compress(&mut Deflater::new(true), p).len() as f64 / p.len() as f64;
        if looks_incompressible(p) {
            assert!(
                ratio > 0.875,
                "judged incompressible, but compresses to {ratio:.3}"
            );
        }
        if ratio < 0.75 {
            assert!(!looks_incompressible(p), "compresses to {ratio:.3}");
        }
    }
}
