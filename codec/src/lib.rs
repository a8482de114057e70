//! # wsprism: an RFC 6455 WebSocket codec, sans-IO and `no_std`
//!
//! Bytes in, frames and messages out; frames in, bytes out. There are no sockets, no async
//! runtime and no clocks in this crate: the protocol is a plain state machine, and I/O lives
//! at the edge (the `wsprism-server` binary, the wasm bindings).
//!
//! The crate is layered, one module per concept:
//!
//! | module | holds | RFC 6455 |
//! |---|---|---|
//! | [`opcode`] | the 4-bit opcode | §5.2, §11.8 |
//! | [`header`] | frame header encode/decode (7/16/64-bit lengths) | §5.2 |
//! | [`mask`] | the XOR masking transform, streaming | §5.3 |
//! | [`decoder`] | incremental frame decoder, per-frame rules | §5.1, §5.2, §5.5 |
//! | [`utf8`] | incremental, fail-fast UTF-8 validation | §5.6, §8.1 |
//! | [`close`] | close codes and close payloads | §5.5.1, §7.4 |
//! | [`message`] | message assembly, fragmentation, control frames | §5.4, §5.5 |
//! | [`encoder`] | writing frames and messages | §5.2, §5.3 |
//! | `deflate` (feature `deflate`) | RFC 7692 permessage-deflate: negotiation, compression, bounded inflate | RFC 7692 |
//! | [`handshake`] | accept key, key validation, header tokens, request checks | §1.3, §4.2 |
//! | [`error`] | every violation as a named error with its close code | §7.4.1 |
//!
//! ```
//! use wsprism::{encoder, message::{Decoder, Message}, Role};
//!
//! // A client writes a masked text frame...
//! let mut wire = Vec::new();
//! encoder::encode_frame(&mut wire, wsprism::OpCode::Text, true, Some([1, 2, 3, 4]), b"Hello");
//! // ...and the server, fed the bytes one at a time, gets the message back.
//! let mut server = Decoder::new(Role::Server);
//! let mut got = None;
//! for byte in wire.iter_mut() {
//!     let (used, msg) = server.decode(core::slice::from_mut(byte)).unwrap();
//!     assert_eq!(used, 1);
//!     if let Some(Message::Text(text)) = msg {
//!         got = Some(text.to_owned());
//!     }
//! }
//! assert_eq!(got.as_deref(), Some("Hello"));
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod close;
pub mod decoder;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod encoder;
pub mod error;
pub mod handshake;
pub mod header;
pub mod mask;
pub mod message;
pub mod opcode;
pub mod utf8;
#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
pub mod wasm;

pub use close::{CloseCode, CloseFrame};
pub use decoder::{FrameDecoder, FrameEvent};
pub use error::Error;
pub use header::FrameHeader;
pub use message::{Decoder, DecoderConfig, Message};
pub use opcode::OpCode;

/// Which end of the connection this codec instance speaks for.
///
/// RFC 6455 §5.1: a client MUST mask every frame it sends and a server MUST NOT mask any
/// frame it sends; each side fails the connection when the rule is broken by its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Receives masked frames, sends unmasked ones.
    Server,
    /// Receives unmasked frames, sends masked ones.
    Client,
}

impl Role {
    /// Whether frames arriving at this role must carry a masking key (§5.1).
    pub const fn expects_masked_input(self) -> bool {
        matches!(self, Role::Server)
    }
}
