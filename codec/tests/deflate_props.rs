//! Property tests for permessage-deflate: any sequence of messages survives compression and
//! inflation under every takeover setting and level; arbitrary bytes never make the inflater
//! panic or pass its limit; header parsing never panics and a response header we write parses
//! back to the same parameters.
#![cfg(all(feature = "deflate", not(target_arch = "wasm32")))]

use proptest::prelude::*;
use wsprism::deflate::{parse_extensions, parse_offers, Deflater, Inflater, ServerConfig};
use wsprism::{CloseCode, Error};

/// Payloads that compress (few distinct bytes, runs) as well as ones that do not.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2000),
        proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b' ')], 0..5000),
        (any::<u8>(), 0..70_000usize).prop_map(|(b, n)| vec![b; n]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn messages_round_trip(
        msgs in proptest::collection::vec(payload(), 1..6),
        no_takeover in any::<bool>(),
        level in 0u8..=9,
    ) {
        let mut tx = Deflater::with_level(level, no_takeover);
        let mut rx = Inflater::new(no_takeover);
        for msg in &msgs {
            let mut wire = Vec::new();
            tx.compress(msg, &mut wire).unwrap();
            // §7.2.1: the sync flush tail is never sent.
            prop_assert!(!wire.ends_with(&[0, 0, 0xff, 0xff]) || wire.len() < 4);
            let mut out = Vec::new();
            rx.decompress(&wire, &mut out, msg.len()).unwrap();
            prop_assert_eq!(&out, msg);
        }
    }

    #[test]
    fn inflating_garbage_is_bounded(
        input in proptest::collection::vec(any::<u8>(), 0..4000),
        max in 0usize..100_000,
        takeover in any::<bool>(),
    ) {
        let mut rx = Inflater::new(!takeover);
        for _ in 0..2 {
            let mut out = Vec::new();
            match rx.decompress(&input, &mut out, max) {
                Ok(()) => prop_assert!(out.len() <= max),
                Err(e) => {
                    prop_assert!(out.is_empty());
                    let named = matches!(
                        e,
                        Error::InvalidCompressedData | Error::DecompressedTooLarge { .. }
                    );
                    prop_assert!(named, "{:?}", e);
                    prop_assert!(
                        e.close_code() == CloseCode::INVALID_PAYLOAD
                            || e.close_code() == CloseCode::MESSAGE_TOO_BIG
                    );
                }
            }
            prop_assert!(out.capacity() <= max + 1);
        }
    }

    #[test]
    fn header_parsing_never_panics(s in "[ -~\t\u{e9}]{0,60}") {
        let _ = parse_extensions(&s);
        let _ = ServerConfig::default().accept(&s);
    }

    #[test]
    fn responses_parse_back(
        snct in any::<bool>(),
        cnct in any::<bool>(),
        smwb in proptest::option::of(8u8..=15),
        cmwb in proptest::option::of(8u8..=15),
        config_s in any::<bool>(),
        config_c in any::<bool>(),
    ) {
        let mut offer = String::from("permessage-deflate");
        if snct { offer.push_str("; server_no_context_takeover"); }
        if cnct { offer.push_str("; client_no_context_takeover"); }
        if let Some(b) = smwb { offer.push_str(&format!("; server_max_window_bits={b}")); }
        if let Some(b) = cmwb { offer.push_str(&format!("; client_max_window_bits={b}")); }
        let config = ServerConfig {
            server_no_context_takeover: config_s,
            client_no_context_takeover: config_c,
        };
        match config.accept(&offer).unwrap() {
            None => prop_assert!(smwb.is_some_and(|b| b < 15)),
            Some(agreed) => {
                let p = agreed.params;
                prop_assert_eq!(p.server_no_context_takeover, snct || config_s);
                prop_assert_eq!(p.client_no_context_takeover, cnct || config_c);
                prop_assert_eq!(p.server_max_window_bits, smwb);
                let back = parse_offers(&agreed.response_header()).unwrap();
                prop_assert_eq!(back, vec![Ok(p)]);
            }
        }
    }
}
