//! JavaScript bindings: the npm package `wsprism`, built by `wasm-pack` (feature `wasm`,
//! target `wasm32-unknown-unknown`).
//!
//! The bindings are a thin skin over the codec: every rule is the codec's own, and every
//! error the codec can report reaches JavaScript as an `Error` whose `name` is
//! `"WebSocketProtocolError"`, carrying `closeCode`, `kind` ([`Error::kind`](crate::Error::kind))
//! and `rfcSection`. The JS API is idiomatic JS: camelCase, `Uint8Array` in and out.
//!
//! | JS export | module | what |
//! |---|---|---|
//! | `encodeFrame`, `decodeFrame`, `decodeFrames` | [`frame`] | one frame in full detail (the playground's view) |
//! | `Decoder` | [`stream`] | streaming decoder for a role: chunks in, messages out |
//! | `compressMessage`, `inflateMessage`, `Deflater`, `Inflater`, `parseExtensionOffers` | [`deflate`] | RFC 7692 permessage-deflate |
//! | `Encoder` | [`encode`] | fast per-role frame writer (random masking keys for clients) |
//! | `mask`, `acceptKey`, `isValidKey`, `encodeClosePayload`, `decodeClosePayload`, `isValidUtf8`, ... | [`util`] | the codec's helpers |
//!
//! Memory: `Decoder` and `Encoder` are Rust objects living in the wasm instance's memory.
//! JS holds a handle; `free()` releases the Rust side at once. wasm-bindgen also registers
//! them with a `FinalizationRegistry`, so a forgotten handle is released when collected, but
//! when that happens is up to the garbage collector: call `free()` when done. Everything
//! else (frames, views, messages) is plain JS data, nothing to free.
//!
//! The TypeScript declarations of the objects passed in and out are in `types.d.ts`, copied
//! into the generated `wsprism.d.ts`.

// The crate's `#![forbid(unsafe_code)]` holds here too: wasm-bindgen 0.2.130's generated
// shims pass it, and the bindings contain no `unsafe` of their own.

#[cfg(feature = "deflate")]
pub mod deflate;
pub mod encode;
pub mod frame;
mod js;
mod random;
pub mod stream;
pub mod util;

use wasm_bindgen::prelude::wasm_bindgen;

/// The TypeScript types of the objects that cross the boundary (see `types.d.ts`).
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("types.d.ts");
