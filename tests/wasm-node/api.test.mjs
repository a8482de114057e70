// The installed package's JS API in Node: what a Node caller relies on beyond the shared
// vectors (Buffers out, random masking keys from globalThis.crypto, errors as Error
// objects, free()/Symbol.dispose, views of the caller's chunk), and agreement with an
// independent implementation, `ws` (its Sender and Receiver), both ways.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import * as wsprism from 'wsprism';

const { Decoder, Encoder, decodeFrame, encodeFrame, isProtocolError } = wsprism;
const require = createRequire(import.meta.url);
process.env.WS_NO_BUFFER_UTIL = '1';
const { Sender, Receiver } = require('ws');

test('every export the TypeScript declarations promise is there', () => {
  const functions = [
    'acceptKey', 'closeCodeName', 'decodeClosePayload', 'decodeFrame', 'decodeFrames',
    'encodeClosePayload', 'encodeFrame', 'isProtocolError', 'isValidCloseCode', 'isValidKey',
    'isValidUtf8', 'mask',
  ];
  for (const f of functions) assert.equal(typeof wsprism[f], 'function', f);
  for (const c of ['Decoder', 'Encoder']) {
    assert.equal(typeof wsprism[c], 'function', c);
    assert.equal(typeof wsprism[c].prototype.free, 'function', `${c}.free`);
    assert.equal(wsprism[c].prototype[Symbol.dispose], wsprism[c].prototype.free, `${c}[Symbol.dispose]`);
  }
});

test('bytes come out as Node Buffers that own their memory', () => {
  const frame = encodeFrame({ opcode: 'binary', payload: Buffer.alloc(2000, 7) });
  assert.ok(Buffer.isBuffer(frame));
  assert.equal(frame.length, 2004);
  const view = decodeFrame(frame);
  assert.ok(Buffer.isBuffer(view.payload) && Buffer.isBuffer(view.maskedPayload));
  // Later calls (which reuse wasm memory) do not change earlier results.
  const copy = Buffer.from(frame);
  for (let i = 0; i < 50; i++) encodeFrame({ opcode: 2, payload: Buffer.alloc(3000, i) });
  assert.ok(frame.equals(copy));
});

test('mask: true takes a fresh key from crypto.getRandomValues for every frame', () => {
  const keys = new Set();
  for (let i = 0; i < 200; i++) {
    const f = encodeFrame({ opcode: 'text', mask: true, payload: 'same payload' });
    assert.equal(f[1] & 0x80, 0x80);
    keys.add(f.subarray(2, 6).toString('hex'));
    assert.equal(decodeFrame(f, { role: 'server' }).text, 'same payload');
  }
  assert.ok(keys.size > 195, `${keys.size} distinct keys of 200`);
});

test('errors are Error objects with the close code, the rule and the RFC section', () => {
  const dec = new Decoder({ role: 'server' });
  const good = encodeFrame({ opcode: 'text', payload: 'ok', maskKey: new Uint8Array([1, 2, 3, 4]) });
  const unmasked = encodeFrame({ opcode: 'text', payload: 'no mask' });
  let thrown;
  try {
    dec.push(Buffer.concat([good, unmasked]));
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof Error);
  assert.ok(isProtocolError(thrown));
  assert.equal(thrown.name, 'WebSocketProtocolError');
  assert.equal(thrown.kind, 'unmasked-frame');
  assert.equal(thrown.closeCode, 1002);
  assert.equal(thrown.rfcSection, '5.1');
  assert.equal(thrown.message, 'unmasked frame from a client (RFC 6455 §5.1)');
  assert.match(thrown.stack, /WebSocketProtocolError/);
  assert.deepEqual(thrown.events, [{ type: 'text', data: 'ok' }], 'what completed before the error');
  assert.equal(isProtocolError(new Error('other')), false);
  assert.equal(isProtocolError('WebSocketProtocolError'), false);
  dec.free();
  // Wrong arguments are TypeErrors, not protocol errors.
  assert.throws(() => new Decoder({}), TypeError);
  assert.throws(() => new Decoder({ role: 'server' }).push('text'), TypeError);
  assert.throws(() => encodeFrame({ opcode: 'text', payload: 42 }), TypeError);
  assert.throws(() => wsprism.mask(Buffer.alloc(1), Buffer.alloc(3)), RangeError);
  assert.throws(() => wsprism.encodeClosePayload(1006), RangeError);
});

test('free() releases a decoder; using it afterwards throws instead of reading freed memory', () => {
  const dec = new Decoder({ role: 'client' });
  dec.free();
  assert.throws(() => dec.push(Buffer.from([0x81, 0x00])));
  // Symbol.dispose (what `using` calls) frees too.
  const enc = new Encoder({ role: 'server' });
  assert.equal(enc.text('x').length, 3);
  enc[Symbol.dispose]();
  assert.throws(() => enc.text('x'));
});

test("a client's decoder hands out a whole frame's data as a view of the chunk; limits hold", () => {
  const chunk = Buffer.from(encodeFrame({ opcode: 'binary', payload: Buffer.alloc(70000, 1) }));
  const dec = new Decoder({ role: 'client' });
  const [msg] = dec.push(chunk);
  assert.equal(msg.type, 'binary');
  assert.equal(msg.data.buffer, chunk.buffer);
  assert.equal(msg.data.byteOffset, chunk.byteOffset + 10);
  assert.equal(msg.data.length, 70000);
  dec.free();
  // A frame over maxFrameSize fails from its header: nothing of the 1 GiB is awaited.
  const small = new Decoder({ role: 'client', maxFrameSize: 1 << 20 });
  const header = Buffer.from([0x82, 0x7f, 0, 0, 0, 0, 0x40, 0, 0, 0]);
  assert.throws(() => small.push(header), (e) => e.closeCode === 1009 && e.kind === 'frame-too-large');
  small.free();
});

test('frames and messages agree with ws, both ways, at 0 B to 70 KB', () => {
  for (const len of [0, 1, 125, 126, 1024, 65535, 65536, 70000]) {
    const payload = Buffer.alloc(len);
    for (let i = 0; i < len; i++) payload[i] = (i * 7) & 0xff;

    // wsprism client -> ws server (Receiver), masked.
    const enc = new Encoder({ role: 'client' });
    const received = [];
    const receiver = new Receiver({ isServer: true, allowSynchronousEvents: true });
    receiver.on('message', (data, isBinary) => received.push([Buffer.from(data), isBinary]));
    receiver.on('error', (e) => assert.fail(e));
    receiver.write(Buffer.from(enc.binary(payload)));
    receiver.write(Buffer.from(enc.text('caf\u00e9', false)));
    receiver.write(Buffer.from(enc.continuation(Buffer.from(' cr\u00e8me'))));
    enc.free();
    assert.equal(received.length, 2, `len ${len}`);
    assert.ok(received[0][0].equals(payload) && received[0][1] === true, `len ${len}`);
    assert.equal(received[1][0].toString(), 'caf\u00e9 cr\u00e8me');

    // ws server (Sender) -> wsprism client, and ws client (masked) -> wsprism server.
    for (const [role, maskIt] of [['client', false], ['server', true]]) {
      const list = Sender.frame(Buffer.from(payload), { fin: true, opcode: 2, mask: maskIt, readOnly: true });
      const wire = Buffer.concat(list);
      const dec = new Decoder({ role });
      const events = dec.push(wire);
      assert.equal(events.length, 1);
      assert.ok(Buffer.from(events[0].data).equals(payload), `${role} len ${len}`);
      const view = decodeFrame(wire, { role });
      assert.equal(view.error, null);
      assert.equal(view.masked, maskIt);
      dec.free();
    }
  }
});

test('random bytes never crash the decoders: a view or a protocol error, nothing else', () => {
  let x = 0x9e3779b9;
  const below = (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
  for (let i = 0; i < 3000; i++) {
    const bytes = Buffer.alloc(below(64));
    for (let j = 0; j < bytes.length; j++) bytes[j] = below(256);
    // Bias towards plausible headers now and then.
    if (bytes.length > 1 && below(2)) bytes[0] = [0x81, 0x82, 0x88, 0x89, 0x01, 0x80][below(6)];
    for (const v of wsprism.decodeFrames(bytes, below(2) ? { role: 'server' } : undefined)) {
      assert.equal(typeof v.complete, 'boolean');
      if (v.error) assert.ok([1002, 1007, 1009].includes(v.error.closeCode));
    }
    const dec = new Decoder({ role: below(2) ? 'server' : 'client', frames: below(2) === 1 });
    for (let at = 0; at < bytes.length; ) {
      const n = 1 + below(8);
      try {
        dec.push(bytes.subarray(at, at + n));
      } catch (e) {
        assert.ok(isProtocolError(e), String(e));
        break;
      }
      at += n;
    }
    dec.free();
  }
});
