//! Masking keys for frames a client sends (RFC 6455 §5.3: "a fresh masking key ... derived
//! from a strong source of entropy", unpredictable to the application).
//!
//! The source is `crypto.getRandomValues` (browsers; `globalThis.crypto` in Node ≥ 19).
//! One call costs far more than four bytes are worth, so keys come from a pool of
//! [`POOL_LEN`] random bytes refilled in one call when it runs dry (as `ws` does with its
//! random pool): 64 keys per crossing of the JS boundary.

use core::cell::RefCell;

use wasm_bindgen::prelude::*;

use super::js::type_error;

#[wasm_bindgen]
extern "C" {
    /// `crypto.getRandomValues(view)`: fills the view, here a view of wasm memory.
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

/// Random bytes fetched per refill.
const POOL_LEN: usize = 256;

struct Pool {
    bytes: [u8; POOL_LEN],
    /// Bytes of `bytes` already handed out (`POOL_LEN` = empty).
    used: usize,
}

std::thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [0; POOL_LEN], used: POOL_LEN })
    };
}

/// A fresh random masking key. Fails (a `TypeError`) only where no `crypto` global exists.
pub fn masking_key() -> Result<[u8; 4], JsValue> {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.used + 4 > POOL_LEN {
            get_random_values(&mut pool.bytes).map_err(|_| {
                type_error("crypto.getRandomValues is not available (Node >= 19 or a browser is needed for random masking keys)")
            })?;
            pool.used = 0;
        }
        let at = pool.used;
        pool.used += 4;
        let mut key = [0u8; 4];
        key.copy_from_slice(&pool.bytes[at..at + 4]);
        Ok(key)
    })
}
