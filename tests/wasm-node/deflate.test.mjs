// RFC 7692 permessage-deflate through the installed package: the RFC's own bytes, bounded
// inflation, context takeover, the streaming Decoder's `perMessageDeflate` option, offer
// parsing, and agreement with `ws`'s PerMessageDeflate (zlib) both ways.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import * as wsprism from 'wsprism';

const {
  Decoder, Deflater, Inflater, compressMessage, decodeFrame, deflateRaw, encodeFrame,
  inflateMessage, isProtocolError, parseExtensionOffers,
} = wsprism;
const require = createRequire(import.meta.url);
process.env.WS_NO_BUFFER_UTIL = '1';
const { PerMessageDeflate } = require('ws');

// RFC 7692 §7.2.3.1: "Hello" compressed in one unfragmented message.
const HELLO = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

test('the deflate exports are there, the classes with free()', () => {
  for (const f of ['compressMessage', 'deflateRaw', 'inflateMessage', 'parseExtensionOffers']) {
    assert.equal(typeof wsprism[f], 'function', f);
  }
  for (const c of ['Deflater', 'Inflater']) {
    assert.equal(typeof wsprism[c].prototype.free, 'function', `${c}.free`);
  }
});

test('RFC 7692 §7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00 and back', () => {
  assert.deepEqual([...compressMessage('Hello')], HELLO);
  assert.deepEqual([...deflateRaw(new TextEncoder().encode('Hello'))], HELLO);
  assert.equal(Buffer.from(inflateMessage(Uint8Array.from(HELLO))).toString(), 'Hello');
  // §7.2.3.3: the same text as a stored (uncompressed) DEFLATE block.
  const stored = Uint8Array.from([0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00]);
  assert.equal(Buffer.from(inflateMessage(stored)).toString(), 'Hello');
});

test('inflation is bounded by maxSize (1009) and corrupt data is 1007', () => {
  const bomb = compressMessage(new Uint8Array(1 << 20));
  assert.ok(bomb.length < 2048, `1 MiB of zeros compresses to ${bomb.length} bytes`);
  assert.equal(inflateMessage(bomb).length, 1 << 20);
  assert.throws(() => inflateMessage(bomb, { maxSize: 4096 }), (e) => isProtocolError(e) && e.closeCode === 1009);
  assert.throws(() => inflateMessage(Uint8Array.from([0xff, 0xff, 0xff])), (e) => isProtocolError(e) && e.closeCode === 1007);
  assert.throws(() => inflateMessage(bomb, { maxSize: -1 }), RangeError);
});

test('context takeover: the second "Hello" refers back to the first (RFC 7692 §7.2.3.2)', () => {
  const tx = new Deflater();
  const rx = new Inflater();
  const first = tx.compress('Hello');
  const second = tx.compress('Hello');
  assert.deepEqual([...first], HELLO);
  assert.deepEqual([...second], [0xf2, 0x00, 0x11, 0x00, 0x00]);
  assert.equal(Buffer.from(rx.decompress(first)).toString(), 'Hello');
  assert.equal(Buffer.from(rx.decompress(second)).toString(), 'Hello');
  tx.free();
  rx.free();
  // Without context takeover every message stands alone.
  const nct = new Deflater({ noContextTakeover: true });
  assert.deepEqual([...nct.compress('Hello')], HELLO);
  assert.deepEqual([...nct.compress('Hello')], HELLO);
  nct.free();
});

test('the streaming Decoder inflates RSV1 messages when perMessageDeflate is on', () => {
  const frame = encodeFrame({ opcode: 'text', rsv1: true, payload: Uint8Array.from(HELLO) });
  assert.deepEqual([...frame.subarray(0, 2)], [0xc1, 0x07]);
  const dec = new Decoder({ role: 'client', perMessageDeflate: true });
  const plain = encodeFrame({ opcode: 'text', payload: 'plain' });
  const events = dec.push(Buffer.concat([frame, plain]));
  assert.deepEqual(events, [
    { type: 'text', data: 'Hello', compressed: true },
    { type: 'text', data: 'plain' },
  ]);
  dec.free();
  // Without the option RSV1 is a protocol error (RFC 6455 §5.2).
  const strict = new Decoder({ role: 'client' });
  assert.throws(() => strict.push(frame), (e) => isProtocolError(e) && e.closeCode === 1002);
  strict.free();
  // RSV1 on a control frame is misplaced (RFC 7692 §6.1).
  const ping = encodeFrame({ opcode: 'ping', rsv1: true, payload: new Uint8Array(0) });
  const d2 = new Decoder({ role: 'client', perMessageDeflate: { noContextTakeover: true } });
  assert.throws(() => d2.push(ping), (e) => isProtocolError(e) && e.closeCode === 1002);
  d2.free();
  // The inflated size is bounded by maxMessageSize; inflated text must be UTF-8.
  const big = encodeFrame({ opcode: 'binary', rsv1: true, payload: compressMessage(new Uint8Array(10000)) });
  const d3 = new Decoder({ role: 'client', perMessageDeflate: true, maxMessageSize: 5000 });
  assert.throws(() => d3.push(big), (e) => isProtocolError(e) && e.closeCode === 1009);
  d3.free();
  const bad = encodeFrame({ opcode: 'text', rsv1: true, payload: compressMessage(Uint8Array.from([0xff])) });
  const d4 = new Decoder({ role: 'client', perMessageDeflate: true });
  assert.throws(() => d4.push(bad), (e) => isProtocolError(e) && e.closeCode === 1007);
  d4.free();
});

test('decodeFrame: RSV1 is allowed and inflated with perMessageDeflate, an error without', () => {
  const frame = Uint8Array.from([0xc1, 0x07, ...HELLO]);
  assert.equal(decodeFrame(frame).error.closeCode, 1002);
  const v = decodeFrame(frame, { perMessageDeflate: true });
  assert.equal(v.error, null);
  assert.equal(v.rsv1, true);
  assert.equal(v.text, 'Hello');
  assert.deepEqual([...v.payload], HELLO);
  assert.equal(Buffer.from(v.inflated).toString(), 'Hello');
  const ping = Uint8Array.from([0xc9, 0x00]);
  // RFC 7692 §6.1: RSV1 on a control frame is misplaced even when deflate is negotiated.
  const err = decodeFrame(ping, { perMessageDeflate: true }).error;
  assert.equal(err.closeCode, 1002);
  assert.equal(err.rfcSection, '6.1');
  assert.equal(err.kind, 'misplaced-per-message-rsv');
});

test('parseExtensionOffers: params, invalid offers, bad headers', () => {
  const offers = parseExtensionOffers(
    'permessage-deflate; client_max_window_bits, x-other, permessage-deflate; server_max_window_bits=10; server_no_context_takeover, permessage-deflate; foo',
  );
  assert.equal(offers.length, 3);
  assert.deepEqual(offers[0], {
    ok: true,
    params: { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: true },
  });
  assert.equal(offers[1].params.serverMaxWindowBits, 10);
  assert.equal(offers[1].params.serverNoContextTakeover, true);
  assert.equal(offers[2].ok, false);
  assert.match(offers[2].error, /foo/);
  assert.throws(() => parseExtensionOffers('permessage-deflate;;'), SyntaxError);
});

/** ws's PerMessageDeflate for one end, after agreeing on plain permessage-deflate. */
function wsEnd(isServer) {
  const pmd = new PerMessageDeflate({ isServer, threshold: 0 });
  pmd.accept([{}]);
  return pmd;
}

const wsCall = (pmd, method, data) => new Promise((resolve, reject) => {
  pmd[method](data, true, (err, out) => (err ? reject(err) : resolve(out)));
});

test('agreement with ws: our compression inflates in ws and ws\'s in ours, with context takeover', async () => {
  const messages = ['Hello', 'Hello', 'x'.repeat(5000), 'héllo wörld '.repeat(40), '', 'Hello'];
  const ours = new Deflater();
  const theirs = wsEnd(true);
  for (const m of messages) {
    const out = await wsCall(theirs, 'decompress', ours.compress(m));
    assert.equal(out.toString(), m);
  }
  const wsTx = wsEnd(false);
  const rx = new Inflater();
  for (const m of messages) {
    const wire = await wsCall(wsTx, 'compress', Buffer.from(m));
    assert.equal(Buffer.from(rx.decompress(wire)).toString(), m);
  }
  ours.free();
  rx.free();
  theirs.cleanup();
  wsTx.cleanup();
});

test('the Decoder inflates ws-compressed messages, fragmented and in any chunking', async () => {
  const messages = ['Hello', 'Hello', 'y'.repeat(3000), 'ünïcödé ✓ '.repeat(50), ''];
  const wsTx = wsEnd(true); // a server compressing with context takeover
  const frames = [];
  for (const m of messages) {
    const wire = await wsCall(wsTx, 'compress', Buffer.from(m));
    // Fragments of at most 7 bytes: RSV1 on the first only (RFC 7692 §6).
    for (let at = 0, first = true; first || at < wire.length; first = false) {
      const part = wire.subarray(at, at + 7);
      at += part.length;
      frames.push(encodeFrame({
        fin: at >= wire.length, rsv1: first, opcode: first ? 'text' : 'continuation', payload: part,
      }));
    }
  }
  wsTx.cleanup();
  const stream = Buffer.concat(frames);
  for (const chunk of [1, 3, 64, stream.length]) {
    const dec = new Decoder({ role: 'client', perMessageDeflate: true });
    const got = [];
    for (let at = 0; at < stream.length; at += chunk) got.push(...dec.push(stream.subarray(at, at + chunk)));
    assert.deepEqual(got, messages.map((data) => ({ type: 'text', data, compressed: true })), `chunks of ${chunk}`);
    dec.free();
  }
});
