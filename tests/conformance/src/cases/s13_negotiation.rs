//! Section 13: permessage-deflate negotiation (RFC 7692 §5, §7.1). Each case offers a
//! parameter combination, checks that the 101's `Sec-WebSocket-Extensions` is a valid answer
//! to the offer it should accept (nothing the client cannot accept: `client_max_window_bits`
//! only if offered and never above the offered value, an offered `server_no_context_takeover`
//! or `server_max_window_bits` acknowledged, §7.1.1-§7.1.2) or that there is none when the
//! offer must be declined, and then exchanges messages under the agreed terms: compressed
//! with the client's context kept or reset as agreed, or plain when declined.

use crate::case::Case;
use crate::client::Target;
use crate::frame::op;
use crate::pmd::{self, Session};
use crate::rng;

/// Messages exchanged after the handshake: (opcode, payload, compress).
fn exchange(s: &mut Session, keep: &str) -> Result<(), String> {
    let msgs: Vec<(u8, Vec<u8>, bool)> = vec![
        (op::TEXT, pmd::json_text(1024), true),
        (op::TEXT, pmd::json_text(1024), true),
        (op::BINARY, rng::bytes(1024), true),
        (op::TEXT, b"plain, never compressed".to_vec(), false),
        (op::TEXT, pmd::json_text(20_000), true),
        (op::BINARY, pmd::json_text(300), true),
    ];
    for (i, (opcode, p, compress)) in msgs.iter().enumerate() {
        s.echo(*opcode, p, *compress, 0)
            .map_err(|e| format!("message {} ({keep}): {e}", i + 1))?;
    }
    Ok(())
}

/// A negotiation case: `offer` is accepted at index `accept` (or declined if `None`).
fn negotiate(id: String, offer: &'static str, accept: Option<usize>, keep_context: bool) -> Case {
    let outcome = match accept {
        Some(0) => "a valid answer, then compressed echoes".to_string(),
        Some(i) => format!("offer {} accepted, then compressed echoes", i + 1),
        None => "no extension in the 101, then plain echoes".to_string(),
    };
    let keep = if keep_context {
        "client keeps its context unless asked not to"
    } else {
        "client resets its context per message"
    };
    let desc = format!("Offer {offer:?} ({keep})");
    Case::custom(id, desc, outcome, move |t: &Target| {
        let mut s = Session::open(t, offer, accept, keep_context)?;
        exchange(&mut s, keep)?;
        s.finish()
    })
}

/// Offers the server accepts as the first (and only) offer.
const ACCEPTED: [&str; 18] = [
    "permessage-deflate",
    "permessage-deflate; client_no_context_takeover",
    "permessage-deflate; client_max_window_bits",
    "permessage-deflate; client_max_window_bits=8",
    "permessage-deflate; client_max_window_bits=9",
    "permessage-deflate; client_max_window_bits=10",
    "permessage-deflate; client_max_window_bits=11",
    "permessage-deflate; client_max_window_bits=12",
    "permessage-deflate; client_max_window_bits=13",
    "permessage-deflate; client_max_window_bits=14",
    "permessage-deflate; client_max_window_bits=15",
    "permessage-deflate; server_no_context_takeover",
    "permessage-deflate; server_max_window_bits=15",
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
    "permessage-deflate; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits",
    "permessage-deflate; client_max_window_bits=\"10\"",
    "permessage-deflate;client_no_context_takeover;server_no_context_takeover",
];

/// Offers that limit the server's window to 8..14 bits: accepted with the limit echoed
/// (§7.1.2.1); the server keeps to it with a compressor that emits no back-references.
const SMALL_SERVER_WINDOW: [&str; 7] = [
    "permessage-deflate; server_max_window_bits=8",
    "permessage-deflate; server_max_window_bits=9",
    "permessage-deflate; server_max_window_bits=10",
    "permessage-deflate; server_max_window_bits=11",
    "permessage-deflate; server_max_window_bits=12",
    "permessage-deflate; server_max_window_bits=13",
    "permessage-deflate; server_max_window_bits=14",
];

/// Offers with several extensions: which one must win (`None`: all declined).
const SEVERAL: [(&str, Option<usize>); 6] = [
    ("permessage-deflate; server_max_window_bits=10, permessage-deflate", Some(0)),
    ("permessage-deflate; server_max_window_bits=15, permessage-deflate", Some(0)),
    ("x-webkit-deflate-frame, permessage-deflate; client_no_context_takeover", Some(1)),
    (
        "permessage-deflate; server_max_window_bits=9, permessage-deflate; server_max_window_bits=8",
        Some(0),
    ),
    (
        "permessage-deflate; client_max_window_bits=12, permessage-deflate; client_no_context_takeover",
        Some(0),
    ),
    ("permessage-deflate; server_max_window_bits=16, permessage-deflate; server_no_context_takeover", Some(1)),
];

/// Malformed or unknown offers: declined, and the connection runs uncompressed.
const MALFORMED: [&str; 12] = [
    "permessage-deflate; client_max_window_bits=16",
    "permessage-deflate; client_max_window_bits=7",
    "permessage-deflate; client_max_window_bits=0",
    "permessage-deflate; server_max_window_bits",
    "permessage-deflate; foo",
    "permessage-deflate; server_no_context_takeover=1",
    "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
    "permessage-deflate; client_max_window_bits=abc",
    "x-webkit-deflate-frame",
    "permessage-deflate; server_max_window_bits=15; server_max_window_bits=15",
    "permessage-deflate; server_max_window_bits=-1",
    // §7.1.2.1: "a decimal integer value without leading zeroes".
    "permessage-deflate; client_max_window_bits=010",
];

/// Every case of section 13.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (i, offer) in ACCEPTED.iter().enumerate() {
        out.push(negotiate(format!("13.1.{}", i + 1), offer, Some(0), true));
    }
    // §7.1.2.1: a window limit below 15, echoed and kept.
    for (i, offer) in SMALL_SERVER_WINDOW.iter().enumerate() {
        out.push(negotiate(format!("13.2.{}", i + 1), offer, Some(0), true));
    }
    for (i, (offer, accept)) in SEVERAL.iter().enumerate() {
        out.push(negotiate(format!("13.3.{}", i + 1), offer, *accept, true));
    }
    for (i, offer) in MALFORMED.iter().enumerate() {
        out.push(negotiate(format!("13.4.{}", i + 1), offer, None, true));
    }
    // Context takeover both ways: kept by the client unless agreed otherwise, or reset.
    let takeover = [
        ("permessage-deflate", true),
        ("permessage-deflate", false),
        ("permessage-deflate; client_no_context_takeover", true),
        ("permessage-deflate; client_no_context_takeover", false),
        ("permessage-deflate; server_no_context_takeover", true),
        ("permessage-deflate; server_no_context_takeover", false),
    ];
    for (i, (offer, keep)) in takeover.into_iter().enumerate() {
        out.push(negotiate(format!("13.5.{}", i + 1), offer, Some(0), keep));
    }
    out
}
