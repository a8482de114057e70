//! # wsprism-server
//!
//! An RFC 6455 WebSocket server built on the wsprism codec: tokio and warp serve HTTP, the
//! opening handshake is ours ([`handshake`]), and after the 101 the raw `TcpStream` is taken
//! back from hyper and driven by our own connection engine ([`conn`]). No tungstenite.
//!
//! | module | holds |
//! |---|---|
//! | [`config`] | the command line (limits, timeouts, origins) |
//! | [`server`] | accept loop, connection limit, routes, graceful shutdown |
//! | [`handshake`] | §4.2 checks via the codec, Origin check, subprotocols, the takeover |
//! | [`conn`] | the per-connection engine: buffers, batching, close handshake, keepalive |
//! | [`chat`] | the `/chat` broadcast room with bounded per-client queues |
//! | [`inspect`] | the `/inspect` frame reports and commands |
//! | [`metrics`] | counters and their Prometheus rendering |
//! | [`shutdown`] | the shutdown signal every connection checks on every wake-up |
// One `setsockopt` call (`conn::set_rcvlowat`) is the only unsafe code; see its SAFETY note.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod chat;
pub mod config;
pub mod conn;
pub mod handshake;
pub mod inspect;
pub mod metrics;
pub mod server;
pub mod shutdown;

pub use config::Config;
pub use server::Server;
