//! Reading the shared vectors (`tests/vectors/frames.json`, made by `tests/vectors.rs`)
//! inside the wasm tests, with the browser's own `JSON.parse`.

#![allow(dead_code)]

use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

/// The vectors file, parsed.
pub fn vectors() -> JsValue {
    JSON::parse(include_str!("../vectors/frames.json")).expect("the vectors are JSON")
}

/// `o[key]`.
pub fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).expect("an object")
}

/// The array `o[key]` as a Vec.
pub fn list(o: &JsValue, key: &str) -> Vec<JsValue> {
    get(o, key).unchecked_into::<Array>().iter().collect()
}

pub fn string(o: &JsValue, key: &str) -> String {
    get(o, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is a string"))
}

pub fn num(o: &JsValue, key: &str) -> u64 {
    get(o, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is a number")) as u64
}

pub fn opt_num(o: &JsValue, key: &str) -> Option<u64> {
    get(o, key).as_f64().map(|n| n as u64)
}

pub fn boolean(o: &JsValue, key: &str) -> bool {
    get(o, key)
        .as_bool()
        .unwrap_or_else(|| panic!("{key} is a boolean"))
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Byte `i` is `(i * 31 + seed) & 0xff` (as in `tests/vectors.rs`).
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31).wrapping_add(seed as usize) & 0xff) as u8)
        .collect()
}

pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// A frame vector's payload: hex, or `{ length, seed }`.
pub fn payload(frame: &JsValue) -> Vec<u8> {
    let p = get(frame, "payload");
    match p.as_string() {
        Some(h) => unhex(&h),
        None => pattern(num(&p, "length") as usize, num(&p, "seed") as u8),
    }
}

/// A frame vector's wire bytes: hex, or rebuilt from `{ header, length, fnv1a32 }` (header,
/// then the payload masked byte by byte here, independently of the codec) and checked
/// against the hash.
pub fn wire(frame: &JsValue) -> Vec<u8> {
    let w = get(frame, "wire");
    if let Some(h) = w.as_string() {
        return unhex(&h);
    }
    let mut bytes = unhex(&string(&w, "header"));
    let mut body = payload(frame);
    if let Some(key) = get(frame, "maskKey").as_string() {
        let key = unhex(&key);
        for (i, b) in body.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    bytes.extend(body);
    assert_eq!(bytes.len() as u64, num(&w, "length"));
    assert_eq!(format!("{:08x}", fnv1a32(&bytes)), string(&w, "fnv1a32"));
    bytes
}

/// xorshift64* on a fixed seed: random chunkings and property inputs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// The ways a stream is cut into chunks: whole, one byte at a time, random sizes.
pub fn chunkings(len: usize, rng: &mut Rng) -> Vec<Vec<core::ops::Range<usize>>> {
    let whole: Vec<_> = core::iter::once(0..len).collect();
    let bytewise = (0..len).map(|i| i..i + 1).collect();
    let mut random = Vec::new();
    let mut at = 0;
    while at < len {
        let n = (1 + rng.below(40) as usize).min(len - at);
        random.push(at..at + n);
        at += n;
    }
    vec![whole, bytewise, random]
}
