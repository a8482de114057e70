//! # wsprism-conformance: an Autobahn-style RFC 6455 test suite
//!
//! The Autobahn|Testsuite is the reference every WebSocket implementation is judged by, and
//! it needs Python 2. This crate covers the same ground, written from RFC 6455 and the
//! published case descriptions: a raw-frame client ([`client`], [`frame`]) that can send
//! every invalid frame and checks every frame the server sends, a case table ([`cases`])
//! with sections 1-7, 9, 10, 12 and 13 (permessage-deflate, [`pmd`]) of the catalogue, and a runner ([`runner`]) that plays the
//! cases concurrently against a server's `/echo` and prints a summary per section.
//!
//! Run it with `cargo run -p wsprism-conformance -- [--url ws://HOST:PORT/echo]
//! [--filter 6.12]`; without `--url` it starts `wsprism-server` itself. `cargo test`
//! runs every case (tests/suite.rs) and the hostile-client tests (tests/hostile.rs).

pub mod case;
pub mod cases;
pub mod client;
pub mod frame;
pub mod pmd;
pub mod rng;
pub mod runner;
pub mod server;
