// wsprism-server's /echo endpoint driven by an independent client: Node's `ws`.
//
// Run: npm test (in tests/interop/node). Each test starts its own server on an ephemeral
// loopback port and kills it at the end, uses seeded pseudo-random payloads, and bounds every
// wait with a timeout.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { test } from 'node:test';
import { Client, Payloads, startServer, within } from '../harness.mjs';

const MAX_MESSAGE = 16 << 20;
// Around every payload-length encoding boundary (RFC 6455 §5.2) and the server's limit.
const SIZES = [0, 1, 125, 126, 65535, 65536, MAX_MESSAGE];
const TEST = { timeout: 180_000 };

/** Starts a server for one test and kills it when the test ends, passed or failed. */
async function serverFor(t, ...args) {
  const server = await startServer(...args);
  t.after(() => server.stop());
  return server;
}

/** Compares without dumping megabytes into the failure message. */
function same(got, want, what) {
  if (!Buffer.from(got).equals(want)) {
    let first = 0;
    while (first < Math.min(got.length, want.length) && got[first] === want[first]) first++;
    assert.fail(`${what}: echoed ${got.length} bytes, sent ${want.length}; first difference at ${first}`);
  }
}

async function expectMessage(client, want, isBinary, what) {
  const event = await client.next(what);
  assert.ok('data' in event, `${what}: expected a message, got ${JSON.stringify(event)}`);
  assert.equal(event.isBinary, isBinary, `${what}: ${isBinary ? 'binary' : 'text'} changed type`);
  same(event.data, want, what);
}

async function closeWith(client, code, reason) {
  const closed = await client.close(code, reason);
  // RFC 6455 §5.5.1: the close reply echoes the status code.
  assert.equal(closed.code, code, 'close code in the server\'s close frame');
}

test('echoes text and binary of every length class', TEST, async (t) => {
  const server = await serverFor(t);
  const client = await Client.open(server.url());
  const p = new Payloads(0x5eed0001);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  for (const size of SIZES) {
    const text = p.text(size);
    utf8.decode(text); // the generator makes valid UTF-8
    await client.send(text, { binary: false });
    await expectMessage(client, text, false, `text of ${size} bytes`);

    const data = p.bytes(size);
    await client.send(data, { binary: true });
    await expectMessage(client, data, true, `binary of ${size} bytes`);
  }
  await closeWith(client, 1000);
});

test('reassembles fragmented messages', TEST, async (t) => {
  const server = await serverFor(t);
  const client = await Client.open(server.url());
  const p = new Payloads(0x5eed0002);

  // Text fragments cut inside multi-byte characters (RFC 6455 §5.6: only the whole message
  // must be valid UTF-8), an empty one included.
  const text = Buffer.concat([Buffer.from('héllo wörld – ✓ 🦀 '), p.text(70000)]);
  const cuts = [text.subarray(0, 2), Buffer.alloc(0), text.subarray(2, 20), text.subarray(20)];
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(cuts[0]));
  for (const [i, part] of cuts.entries()) {
    await client.send(part, { binary: false, fin: i === cuts.length - 1 });
  }
  await expectMessage(client, text, false, 'fragmented text');

  // Binary in 200 fragments of random sizes (zero included).
  const data = p.bytes(300000);
  const points = [0, data.length];
  for (let i = 0; i < 199; i++) points.push(p.below(data.length));
  points.sort((a, b) => a - b);
  for (let i = 0; i + 1 < points.length; i++) {
    const fin = i + 2 === points.length;
    await client.send(data.subarray(points[i], points[i + 1]), { binary: true, fin });
  }
  await expectMessage(client, data, true, 'binary in 200 fragments');
  await closeWith(client, 1000);
});

test('answers a ping between fragments', TEST, async (t) => {
  // RFC 6455 §5.4: control frames may come in the middle of a fragmented message.
  const server = await serverFor(t);
  const client = await Client.open(server.url());
  const p = new Payloads(0x5eed0003);
  const data = p.bytes(5000);
  const ping = p.bytes(17);
  await client.send(data.subarray(0, 1000), { binary: true, fin: false });
  client.ws.ping(ping);
  await client.send(data.subarray(1000), { binary: true, fin: true });
  let pong;
  let echo;
  for (let i = 0; i < 2; i++) {
    const event = await client.next('the pong and the echo');
    if ('pong' in event) pong = event.pong;
    else if ('data' in event) echo = event.data;
    else assert.fail(`unexpected ${JSON.stringify(event)}`);
  }
  same(pong, ping, 'pong payload');
  same(echo, data, 'message around the ping');
  await closeWith(client, 1000);
});

test('answers pings with the same payload', TEST, async (t) => {
  // RFC 6455 §5.5: control payloads are at most 125 bytes; §5.5.3: the pong echoes it.
  const server = await serverFor(t);
  const client = await Client.open(server.url());
  const p = new Payloads(0x5eed0004);
  for (const size of [0, 1, 64, 125]) {
    const payload = p.bytes(size);
    client.ws.ping(payload);
    const event = await client.next(`the pong for a ping of ${size}`);
    assert.ok('pong' in event, `expected a pong, got ${JSON.stringify(event)}`);
    same(event.pong, payload, `pong of ${size}`);
  }
  await closeWith(client, 1000);
});

test('echoes the close code', TEST, async (t) => {
  const server = await serverFor(t);
  for (const [code, reason] of [[1000, 'normal'], [4001, 'app: bye ✓'], [1001, 'x'.repeat(123)]]) {
    const client = await Client.open(server.url());
    await client.send('hi');
    await expectMessage(client, Buffer.from('hi'), false, 'echo before closing');
    await closeWith(client, code, reason);
  }
});

test('keeps the order of a pipelined burst', TEST, async (t) => {
  const server = await serverFor(t);
  const client = await Client.open(server.url());
  const p = new Payloads(0x5eed0005);
  const sent = [];
  for (let i = 0; i < 1000; i++) {
    const size = p.below(3000);
    const isBinary = p.below(2) === 1;
    sent.push({ data: isBinary ? p.bytes(size) : p.text(size), isBinary });
  }
  // All sends are queued at once; nothing waits for an echo.
  const writes = sent.map(({ data, isBinary }) => client.send(data, { binary: isBinary }));
  for (const [i, { data, isBinary }] of sent.entries()) {
    await expectMessage(client, data, isBinary, `message ${i}`);
  }
  await Promise.all(writes);
  await closeWith(client, 1000);
});

test('declines permessage-deflate by omission', TEST, async (t) => {
  // With the extension disabled (it is on by default: see deflate.test.mjs).
  // ws offers what browsers offer: permessage-deflate; client_max_window_bits.
  const server = await serverFor(t, '--deflate', 'off');
  const client = await Client.open(server.url(), undefined, { perMessageDeflate: true });
  assert.equal(client.response.statusCode, 101);
  assert.equal(client.response.headers['sec-websocket-extensions'], undefined);
  assert.equal(client.ws.extensions, '');
  const p = new Payloads(0x5eed0006);
  const text = p.text(1000);
  await client.send(text, { binary: false });
  await expectMessage(client, text, false, 'text after a deflate offer');
  const data = p.bytes(1000);
  await client.send(data, { binary: true });
  await expectMessage(client, data, true, 'binary after a deflate offer');
  await closeWith(client, 1000);
});

test('does not select an unknown subprotocol', TEST, async (t) => {
  const server = await serverFor(t);
  const offer = ['x-wsprism-unknown', 'chat.v0'];

  // ws (like browsers) fails a handshake whose response omits a subprotocol it offered. This
  // exact error proves the server answered 101 without the header rather than refusing.
  await assert.rejects(Client.open(server.url(), offer), /Server sent no subprotocol/);

  // RFC 6455 §4.2.2: omitting the header is the server's way to decline, and the connection
  // is then usable. Do the handshake with node:http and exchange frames by hand.
  const key = randomBytes(16).toString('base64');
  const req = request({
    host: server.host,
    port: server.port,
    path: '/echo',
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Protocol': offer.join(', '),
    },
  });
  const upgraded = new Promise((res, rej) => {
    req.once('upgrade', (response, socket, head) => res({ response, socket, head }));
    req.once('response', (r) => rej(new Error(`no upgrade: HTTP ${r.statusCode}`)));
    req.once('error', rej);
  });
  req.end();
  const { response, socket, head } = await within(upgraded, 'the raw handshake');
  t.after(() => socket.destroy());
  assert.equal(response.statusCode, 101);
  assert.equal(response.headers['sec-websocket-protocol'], undefined);
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  assert.equal(response.headers['sec-websocket-accept'], accept);

  let received = Buffer.from(head);
  const more = () =>
    new Promise((res) => socket.once('data', (chunk) => res((received = Buffer.concat([received, chunk])))));
  const text = new Payloads(0x5eed0007).text(100);
  socket.write(maskedFrame(0x1, text));
  while (received.length < 2 + text.length) await within(more(), 'the echoed frame');
  // An unmasked (RFC 6455 §5.1: server frames are never masked), final text frame.
  assert.deepEqual([received[0], received[1]], [0x81, text.length]);
  same(received.subarray(2, 2 + text.length), text, 'echo after declined subprotocol');
});

/** A client frame with FIN set, masked (RFC 6455 §5.3); payload up to 125 bytes. */
function maskedFrame(opcode, payload) {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

test('closes 1009 above the message limit', TEST, async (t) => {
  const server = await serverFor(t);
  const client = await Client.open(server.url());
  // The server may close before reading it all, so a failed write is fine; what matters is
  // the close frame (RFC 6455 §7.4.1: 1009, message too big).
  client.send(new Payloads(0x5eed0008).bytes(MAX_MESSAGE + 1), { binary: true }).catch(() => {});
  const closed = await within(client.closed, 'the server\'s close');
  assert.equal(closed.code, 1009, `close code (client error: ${client.error})`);
});

test('SIGTERM closes every client with 1001 and exits 0', TEST, async (t) => {
  const server = await serverFor(t);
  const clients = [];
  for (let i = 0; i < 3; i++) {
    const client = await Client.open(server.url());
    const data = Buffer.alloc(3, i);
    await client.send(data, { binary: true });
    await expectMessage(client, data, true, 'echo before shutdown');
    clients.push(client);
  }
  server.signal('SIGTERM');
  for (const client of clients) {
    const closed = await within(client.closed, 'the server\'s close');
    assert.equal(closed.code, 1001, 'going away');
  }
  const exit = await within(server.exited, 'the server to exit', 10_000);
  assert.deepEqual(exit, { code: 0, signal: null });
});
