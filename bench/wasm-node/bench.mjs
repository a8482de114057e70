// Encode/decode throughput: the wsprism wasm package against ws's own frame handling
// (Sender.frame and Receiver, pure JS: no bufferutil, no Node built-in masking), in one
// Node process, interleaved rounds, medians. Usage: node bench.mjs [path/to/pkg-node]
//
// Cases, each for 16 B, 1 KiB and 64 KiB binary payloads:
//   encode, client role (masked, a fresh random key per frame)
//     wsprism Encoder.binary()            vs ws Sender.frame(data, { mask: true })
//   encode, server role (unmasked)
//     wsprism Encoder.binary()  (copies the payload through wasm memory)
//     wsprism Encoder.header()  (header only, payload written beside it: no copy)
//                                         vs ws Sender.frame(data, { mask: false }) (header only)
//   decode, server role (masked frames in)  wsprism Decoder.push() vs ws Receiver
//   decode, client role (unmasked frames in) wsprism Decoder.push() vs ws Receiver
//   decode, 1000 frames of 16 B in one chunk (the boundary crossed once per chunk)
// ws's Receiver is driven through its _write(chunk, enc, cb): its frame parser without the
// Node stream machinery in front (which ws's WebSocket adds on top). Every received
// message is consumed (its length summed) so that nothing is optimised away.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { readFileSync } from 'node:fs';

process.env.WS_NO_BUFFER_UTIL = '1'; // pure-JS masking in ws (set before ws loads)
const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const pkgPath = path.resolve(process.argv[2] ?? path.join(here, '../../codec/pkg-node'));
const wsprism = require(pkgPath);
const { Sender, Receiver } = require('ws');
const wsVersion = JSON.parse(
  readFileSync(path.join(path.dirname(require.resolve('ws')), 'package.json'), 'utf8'),
).version;

if (http.websocketMask) {
  console.error('note: this Node has a built-in websocketMask; ws uses it (native masking)');
}

const SIZES = [
  ['16 B', 16],
  ['1 KiB', 1024],
  ['64 KiB', 65536],
];
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROUND_MS = Number(process.env.ROUND_MS ?? 200);

function payloadOf(n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** Runs `fn` (which does `batch` operations per call) for about ROUND_MS; returns ops/s. */
function round(fn, batch) {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ROUND_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 16; i++) fn();
    calls += 16;
    now = process.hrtime.bigint();
  }
  return (calls * batch) / (Number(now - start) / 1e9);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Measures the named contenders in interleaved rounds; returns median ops/s of each. */
function measure(contenders) {
  const results = contenders.map(() => []);
  for (const c of contenders) round(c.fn, c.batch ?? 1); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    contenders.forEach((c, i) => results[i].push(round(c.fn, c.batch ?? 1)));
  }
  return results.map(median);
}

let sink = 0; // consumed results

// --- decoders ---------------------------------------------------------------------------

function wsReceiver(isServer) {
  const r = new Receiver({ isServer, allowSynchronousEvents: true, maxPayload: 0 });
  r.on('message', (data) => {
    sink += data.length;
  });
  r.on('error', (e) => {
    throw e;
  });
  const cb = (err) => {
    if (err) throw err;
  };
  return (chunk) => r._write(chunk, 'buffer', cb);
}

function wasmDecoder(role) {
  const d = new wsprism.Decoder({ role });
  return (chunk) => {
    const events = d.push(chunk);
    for (let i = 0; i < events.length; i++) sink += events[i].data.length;
  };
}

/** A fixed masked (client-to-server) or unmasked frame of `n` bytes. */
function frameOf(n, masked) {
  return Buffer.from(
    wsprism.encodeFrame({
      opcode: 'binary',
      payload: payloadOf(n),
      maskKey: masked ? new Uint8Array([0x37, 0xfa, 0x21, 0x3d]) : null,
    }),
  );
}

// --- the table --------------------------------------------------------------------------

const rows = [];
function row(op, role, size, bytes, wasmName, wasmOps, wsOps) {
  rows.push({ op, role, size, bytes, wasmName, wasmOps, wsOps });
}

for (const [label, n] of SIZES) {
  const payload = payloadOf(n);

  // encode, client (masked). ws masks the caller's buffer in place unless readOnly: give it
  // readOnly: true so it copies into a fresh frame, as wsprism does (neither touches the
  // caller's bytes).
  {
    const enc = new wsprism.Encoder({ role: 'client' });
    const [wasm, ws] = measure([
      { fn: () => (sink += enc.binary(payload).length) },
      {
        fn: () => {
          const list = Sender.frame(payload, { fin: true, opcode: 2, mask: true, readOnly: true });
          sink += list[0].length;
        },
      },
    ]);
    row('encode', 'client (masked)', label, n, 'Encoder.binary', wasm, ws);
    enc.free();
  }

  // encode, server (unmasked)
  {
    const enc = new wsprism.Encoder({ role: 'server' });
    const [copy, header, ws] = measure([
      { fn: () => (sink += enc.binary(payload).length) },
      { fn: () => (sink += enc.header(2, n).length) },
      {
        fn: () => {
          const list = Sender.frame(payload, { fin: true, opcode: 2, mask: false, readOnly: true });
          sink += list[0].length;
        },
      },
    ]);
    row('encode', 'server (unmasked)', label, n, 'Encoder.binary (whole frame)', copy, ws);
    row('encode', 'server (unmasked)', label, n, 'Encoder.header (+ payload beside)', header, ws);
    enc.free();
  }

  // decode: a server reads masked frames, a client unmasked ones. ws unmasks in place, so
  // it gets a fresh copy of the frame each time, and so does wsprism (same cost on both).
  for (const [role, masked] of [
    ['server', true],
    ['client', false],
  ]) {
    const frame = frameOf(n, masked);
    const wasmDec = wasmDecoder(role);
    const wsDec = wsReceiver(role === 'server');
    const [wasm, ws] = measure([
      { fn: () => wasmDec(Buffer.from(frame)) },
      { fn: () => wsDec(Buffer.from(frame)) },
    ]);
    row('decode', `${role} (${masked ? 'masked' : 'unmasked'} in)`, label, n, 'Decoder.push', wasm, ws);
  }
}

// Many small frames per chunk: the boundary is crossed once per chunk, not per frame.
{
  const count = 1000;
  for (const [role, masked] of [
    ['server', true],
    ['client', false],
  ]) {
    const one = frameOf(16, masked);
    const chunk = Buffer.concat(Array.from({ length: count }, () => one));
    const wasmDec = wasmDecoder(role);
    const wsDec = wsReceiver(role === 'server');
    const [wasm, ws] = measure([
      { fn: () => wasmDec(Buffer.from(chunk)), batch: count },
      { fn: () => wsDec(Buffer.from(chunk)), batch: count },
    ]);
    row('decode', `${role} (${masked ? 'masked' : 'unmasked'} in)`, `16 B x ${count} per chunk`, 16, 'Decoder.push', wasm, ws);
  }
}

const fmtOps = (x) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0);
const fmtMBs = (ops, bytes) => ((ops * bytes) / 1e6).toFixed(0);

console.log(`\nwsprism wasm vs ws ${wsVersion} (pure JS), Node ${process.version}, ${ROUNDS} rounds x ${ROUND_MS} ms, medians\n`);
console.log('| op | role | payload | wsprism | wsprism ops/s | ws ops/s | wsprism MB/s | ws MB/s | wsprism / ws |');
console.log('|---|---|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.op} | ${r.role} | ${r.size} | ${r.wasmName} | ${fmtOps(r.wasmOps)} | ${fmtOps(r.wsOps)} | ` +
      `${fmtMBs(r.wasmOps, r.bytes)} | ${fmtMBs(r.wsOps, r.bytes)} | **${(r.wasmOps / r.wsOps).toFixed(2)}x** |`,
  );
}
console.log(`\n(payload MB/s; ratio > 1: wsprism faster; checksum ${sink % 1000})`);
