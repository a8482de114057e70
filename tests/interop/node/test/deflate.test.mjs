// permessage-deflate (RFC 7692) between wsprism-server and Node's `ws`.
//
// Run: npm test (in tests/interop/node). ws checks the server's answer to its offer (a bad
// one fails the handshake) and, with the default threshold, compresses messages of 1 KiB
// and more, so both compressed and plain messages travel on the same connection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, Payloads, startServer } from '../harness.mjs';

const MAX_MESSAGE = 16 << 20;
const TEST = { timeout: 180_000 };

async function serverFor(t, ...args) {
  const server = await startServer(...args);
  t.after(() => server.stop());
  return server;
}

function compressible(n) {
  const line = Buffer.from('the quick brown fox jumps over the lazy dog. ');
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += line.length) line.copy(buf, i, 0, Math.min(line.length, n - i));
  return buf;
}

async function expectEcho(client, data, isBinary, what) {
  await client.send(data, { binary: isBinary });
  const event = await client.next(what);
  assert.ok('data' in event, `${what}: expected a message, got ${JSON.stringify(event)}`);
  assert.equal(event.isBinary, isBinary, `${what}: type`);
  assert.ok(Buffer.from(event.data).equals(data), `${what}: echoed ${event.data.length}, sent ${data.length}`);
}

test('negotiates permessage-deflate and echoes messages of every size', TEST, async (t) => {
  const server = await serverFor(t);
  const client = await Client.open(server.url(), undefined, { perMessageDeflate: true });
  const answer = client.response.headers['sec-websocket-extensions'];
  assert.match(answer, /^permessage-deflate/);
  assert.match(client.ws.extensions, /permessage-deflate/);
  const p = new Payloads(0x5eed0d02);
  for (const size of [0, 1, 31, 32, 1023, 1024, 65536, 1 << 20]) {
    await expectEcho(client, p.text(size), false, `text of ${size}`);
    await expectEcho(client, p.bytes(size), true, `random binary of ${size}`);
    await expectEcho(client, compressible(size), true, `compressible binary of ${size}`);
  }
  await expectEcho(client, compressible(MAX_MESSAGE), true, '16 MiB compressible');
  await expectEcho(client, p.bytes(MAX_MESSAGE), true, '16 MiB random');
  const closed = await client.close(1000);
  assert.equal(closed.code, 1000);
});

test('client_no_context_takeover on request, and 1009 past the limit', TEST, async (t) => {
  const server = await serverFor(t, '--max-message-size', '1MiB', '--deflate-no-context-takeover');
  const client = await Client.open(server.url(), undefined, { perMessageDeflate: true });
  assert.match(client.response.headers['sec-websocket-extensions'], /client_no_context_takeover/);
  for (let i = 0; i < 3; i++) await expectEcho(client, compressible(100_000), true, `repeat ${i}`);
  // 2 MiB of zeros: a few KiB on the wire, past the limit once inflated.
  await client.send(Buffer.alloc(2 << 20), { binary: true });
  const event = await client.next('the close');
  assert.equal(event.closed?.code, 1009, JSON.stringify(event));
});
