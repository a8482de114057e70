// The installed npm package against the shared vectors that the native codec generated
// (codec/tests/vectors.rs -> codec/tests/vectors/frames.json): byte for byte the same
// frames, the same views, the same messages and the same errors, however the bytes are cut.
// Run by scripts/test.d/55-wasm-node.sh from a fresh folder where `wsprism` was installed
// from its `npm pack` tarball (vectors.json is copied beside this file).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  Decoder,
  acceptKey,
  decodeClosePayload,
  decodeFrame,
  encodeFrame,
  isProtocolError,
  isValidKey,
  isValidUtf8,
  mask,
} from 'wsprism';

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8'));

const unhex = (s) => Buffer.from(s, 'hex');
const hex = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Byte `i` is `(i * 31 + seed) & 0xff` (as in codec/tests/vectors.rs). */
function pattern(length, seed) {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function fnv1a32(bytes) {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

const payloadOf = (f) => (typeof f.payload === 'string' ? unhex(f.payload) : pattern(f.payload.length, f.payload.seed));

/** The wire bytes: hex, or rebuilt (header + payload masked here, byte by byte) and checked by hash. */
function wireOf(f) {
  if (typeof f.wire === 'string') return unhex(f.wire);
  const body = payloadOf(f);
  if (f.maskKey) {
    const key = unhex(f.maskKey);
    for (let i = 0; i < body.length; i++) body[i] ^= key[i % 4];
  }
  const wire = Buffer.concat([unhex(f.wire.header), body]);
  assert.equal(wire.length, f.wire.length);
  assert.equal(fnv1a32(wire), f.wire.fnv1a32, `${f.name}: rebuilt wire`);
  return wire;
}

/** xorshift32 on a fixed seed, for the random chunkings. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** Whole, one byte at a time, and random cuts. */
function chunkings(bytes, below) {
  const whole = [bytes];
  const bytewise = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
  const random = [];
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(1 + below(40), bytes.length - at);
    random.push(bytes.subarray(at, at + n));
    at += n;
  }
  return [whole, bytewise, random];
}

/** A decoder event in the vectors' shape (bytes as hex). */
function plain(ev) {
  return ev.data instanceof Uint8Array ? { ...ev, data: hex(ev.data) } : { ...ev };
}

function decoderFor(v, frames = false) {
  const opts = { role: v.role, frames };
  if (v.maxMessageSize !== undefined) opts.maxMessageSize = v.maxMessageSize;
  if (v.maxFrameSize !== undefined) opts.maxFrameSize = v.maxFrameSize;
  return new Decoder(opts);
}

/** Pushes the chunks; returns every event and the error thrown, if any. */
function pushAll(dec, chunks) {
  const events = [];
  for (const chunk of chunks) {
    try {
      events.push(...dec.push(chunk));
    } catch (e) {
      events.push(...(e.events ?? []));
      return { events, error: e };
    }
  }
  return { events, error: null };
}

function assertProtocolError(e, expected, what) {
  assert.ok(e instanceof Error, `${what}: an Error`);
  assert.ok(isProtocolError(e), what);
  assert.equal(e.name, 'WebSocketProtocolError', what);
  assert.equal(e.kind, expected.kind, what);
  assert.equal(e.closeCode, expected.closeCode, what);
  assert.equal(e.rfcSection, expected.rfcSection, what);
  assert.match(e.message, new RegExp(`\\(RFC 6455 §${expected.rfcSection.replace('.', '\\.')}\\)$`), what);
}

test('encodeFrame writes every vector byte for byte', () => {
  assert.ok(vectors.frames.length > 50);
  for (const f of vectors.frames) {
    const init = { fin: f.fin, rsv1: f.rsv1, rsv2: f.rsv2, rsv3: f.rsv3, opcode: f.opcode, payload: payloadOf(f) };
    if (f.maskKey) init.maskKey = unhex(f.maskKey);
    const out = encodeFrame(init);
    assert.ok(out instanceof Uint8Array, f.name);
    assert.ok(Buffer.from(out).equals(wireOf(f)), f.name);
  }
});

test('decodeFrame gives every field and span of every vector', () => {
  for (const f of vectors.frames) {
    const wire = wireOf(f);
    const v = decodeFrame(wire);
    const body = payloadOf(f);
    const ext = { 7: 0, 16: 2, 64: 8 }[f.lengthEncoding];
    const keyAt = 2 + ext;
    assert.equal(v.complete, true, f.name);
    assert.equal(v.bytesNeeded, 0, f.name);
    for (const k of ['fin', 'rsv1', 'rsv2', 'rsv3', 'opcode', 'headerLength', 'lengthEncoding']) {
      assert.equal(v[k], f[k], `${f.name}: ${k}`);
    }
    assert.equal(v.payloadLength, body.length, f.name);
    assert.equal(v.frameLength, wire.length, f.name);
    assert.equal(v.masked, f.maskKey !== null, f.name);
    assert.deepEqual(v.spans, {
      base: [0, 2],
      extendedLength: ext ? [2, 2 + ext] : null,
      maskKey: f.maskKey ? [keyAt, keyAt + 4] : null,
      payload: [f.headerLength, wire.length],
      header: [0, f.headerLength],
    }, f.name);
    assert.equal(f.maskKey ? hex(v.maskKey) : v.maskKey, f.maskKey, f.name);
    assert.ok(Buffer.from(v.payload).equals(body), f.name);
    assert.ok(Buffer.from(v.maskedPayload).equals(wire.subarray(f.headerLength)), f.name);
  }
});

test('invalid frames: decodeFrame names the rule, the Decoder throws it, in any chunking', () => {
  const below = rng(7);
  for (const c of vectors.invalid) {
    const wire = unhex(c.wire);
    const opts = { role: c.role };
    if (c.maxFrameSize !== undefined) opts.maxFrameSize = c.maxFrameSize;
    const v = decodeFrame(wire, opts);
    assert.deepEqual(
      { kind: v.error?.kind, closeCode: v.error?.closeCode, rfcSection: v.error?.rfcSection },
      c.error,
      c.name,
    );
    for (const chunks of chunkings(wire, below)) {
      const dec = decoderFor(c);
      const { events, error } = pushAll(dec, chunks);
      assert.deepEqual(events, [], c.name);
      assertProtocolError(error, c.error, c.name);
      assert.equal(dec.failed, true, c.name);
      assert.throws(() => dec.push(Buffer.from([0x81, 0x00])), (e) => e.kind === c.error.kind, c.name);
      dec.free();
    }
  }
});

test('streams: the same messages and errors as the native codec, in any chunking', () => {
  const below = rng(11);
  for (const s of vectors.streams) {
    const wire = unhex(s.wire);
    for (const frames of [false, true]) {
      for (const chunks of chunkings(wire, below)) {
        const dec = decoderFor(s, frames);
        const { events, error } = pushAll(dec, chunks);
        const messages = events.filter((e) => e.type !== 'frame').map(plain);
        assert.deepEqual(messages, s.events, `${s.name} (frames: ${frames})`);
        if (s.error) assertProtocolError(error, s.error, s.name);
        else assert.equal(error, null, s.name);
        if (frames && events.length) assert.equal(events[0].type, 'frame', s.name);
        dec.free();
      }
    }
  }
});

test('mask, close payloads, UTF-8 and accept keys agree with the vectors', () => {
  for (const m of vectors.masks) {
    const data = unhex(m.data);
    const before = hex(data);
    assert.equal(hex(mask(data, unhex(m.key), m.offset)), m.masked);
    assert.equal(hex(data), before, 'mask() leaves its input alone');
  }
  for (const c of vectors.close) {
    const payload = unhex(c.payload);
    if (c.error) {
      assert.throws(() => decodeClosePayload(payload), (e) => {
        assertProtocolError(e, c.error, c.payload);
        return true;
      });
    } else if (c.code === null) {
      assert.equal(decodeClosePayload(payload), null);
    } else {
      assert.deepEqual(decodeClosePayload(payload), { code: c.code, reason: c.reason });
    }
  }
  for (const u of vectors.utf8) assert.equal(isValidUtf8(unhex(u.bytes)), u.valid, u.bytes);
  for (const k of vectors.acceptKeys) {
    assert.equal(acceptKey(k.key), k.accept);
    assert.equal(isValidKey(k.key), k.validKey, k.key);
  }
});
