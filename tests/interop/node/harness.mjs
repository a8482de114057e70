// Runs the real wsprism-server binary for the Node interop tests, wraps a `ws` client in a
// promise-friendly queue, and makes seeded pseudo-random payloads.
//
// The binary is WSPRISM_SERVER_BIN if set (the interop stage sets it), otherwise
// <workspace>/target/debug/wsprism-server after `cargo build -p wsprism-server` (a no-op when
// it is up to date). Every server listens on 127.0.0.1:0 and is killed when its test ends.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PREFIX = 'listening on http://';
export const STEP_MS = 60_000; // generous for 16 MiB through a debug build

let builtBinary;

function serverBinary() {
  if (process.env.WSPRISM_SERVER_BIN) return process.env.WSPRISM_SERVER_BIN;
  if (builtBinary) return builtBinary;
  // Build (a no-op when up to date) so a stale binary is never tested.
  const r = spawnSync('cargo', ['build', '-p', 'wsprism-server'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('cargo build -p wsprism-server failed');
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
  builtBinary = join(target, 'debug', 'wsprism-server');
  if (!existsSync(builtBinary)) throw new Error(`no server binary at ${builtBinary}`);
  return builtBinary;
}

/** Starts wsprism-server on 127.0.0.1:0; resolves once it printed its address. */
export async function startServer(...args) {
  const proc = spawn(serverBinary(), ['--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    if (stderr.length < 65536) stderr += chunk;
  });
  const exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
  const line = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('wsprism-server printed no address in 20 s')), 20_000);
    const lines = createInterface({ input: proc.stdout });
    lines.once('line', (l) => {
      clearTimeout(timer);
      res(l);
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`wsprism-server exited (${code}) before printing its address:\n${stderr}`));
    });
  }).catch((e) => {
    proc.kill('SIGKILL');
    throw e;
  });
  if (!line.startsWith(PREFIX)) {
    proc.kill('SIGKILL');
    throw new Error(`first stdout line is not ${PREFIX}ADDR: ${JSON.stringify(line)}`);
  }
  const addr = line.slice(PREFIX.length).replace(/\/$/, '');
  const sep = addr.lastIndexOf(':');
  return {
    host: addr.slice(0, sep),
    port: Number(addr.slice(sep + 1)),
    url: (path = '/echo') => `ws://${addr}${path}`,
    stderr: () => stderr,
    /** Resolves {code, signal} when the process exits. */
    exited,
    signal: (name) => proc.kill(name),
    /** Kills the process (if still running) and waits for it. */
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Bounds a promise in time, naming what was awaited. */
export function within(promise, what, ms = STEP_MS) {
  let timer;
  const timeout = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A `ws` client whose messages, pongs and close are awaited in order. */
export class Client {
  static async open(url, protocols, options = {}) {
    const ws = new WebSocket(url, protocols, {
      perMessageDeflate: false, // plain frames unless a test offers the extension on purpose
      maxPayload: 64 << 20, // only the server's limit is under test
      ...options,
    });
    const client = new Client(ws);
    await within(
      new Promise((res, rej) => {
        ws.once('open', res);
        ws.once('error', rej);
      }),
      'the opening handshake',
    );
    return client;
  }

  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.pongs = [];
    this.waiters = [];
    this.response = null;
    ws.on('upgrade', (response) => {
      this.response = response;
    });
    ws.on('message', (data, isBinary) => this._push({ data, isBinary }));
    ws.on('pong', (data) => this._push({ pong: data }));
    ws.on('error', (error) => {
      this.error = error;
    });
    this.closed = new Promise((res) => {
      ws.once('close', (code, reason) => {
        res({ code, reason: reason.toString() });
        this._push({ closed: { code, reason: reason.toString() } });
      });
    });
  }

  _push(event) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(event);
    else this.messages.push(event);
  }

  /** The next event: {data, isBinary}, {pong} or {closed: {code, reason}}. */
  next(what = 'a message') {
    const event = this.messages.shift();
    if (event) return Promise.resolve(event);
    return within(new Promise((res) => this.waiters.push(res)), what);
  }

  send(data, options) {
    return new Promise((res, rej) => this.ws.send(data, options, (e) => (e ? rej(e) : res())));
  }

  /** Sends a close and resolves the code and reason of the server's close frame. */
  close(code, reason) {
    this.ws.close(code, reason);
    return within(this.closed, 'the closing handshake');
  }
}

// Code point ranges by UTF-8 width (index 1..4).
const CODE_POINT_RANGES = [null, [0x20, 0x7f], [0x80, 0x800], [0x800, 0x10000], [0x10000, 0x110000]];

/** Mulberry32: seeded, fast, and good enough to make every payload byte count. */
export class Payloads {
  constructor(seed) {
    this.state = seed >>> 0;
  }

  u32() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  below(n) {
    return this.u32() % n;
  }

  bytes(n) {
    const buf = Buffer.allocUnsafe(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) buf.writeUInt32LE(this.u32(), i);
    for (; i < n; i++) buf[i] = this.u32() & 0xff;
    return buf;
  }

  /** UTF-8 bytes of exactly n bytes mixing 1- to 4-byte characters (sent as text). */
  text(n) {
    const buf = Buffer.allocUnsafe(n);
    let i = 0;
    while (i < n) {
      const width = 1 + this.below(Math.min(4, n - i));
      i = encodeUtf8(this.codePoint(width), buf, i);
    }
    return buf;
  }

  /** A code point whose UTF-8 encoding has `width` bytes, never a surrogate. */
  codePoint(width) {
    const [lo, hi] = CODE_POINT_RANGES[width];
    for (;;) {
      const cp = lo + this.below(hi - lo);
      if (cp < 0xd800 || cp > 0xdfff) return cp;
    }
  }
}

/** Writes `cp` as UTF-8 at `at`; returns the offset after it (hand-rolled: Buffer.write per
 * character is too slow for 16 MiB). */
function encodeUtf8(cp, buf, at) {
  if (cp < 0x80) {
    buf[at] = cp;
    return at + 1;
  }
  if (cp < 0x800) {
    buf[at] = 0xc0 | (cp >> 6);
    buf[at + 1] = 0x80 | (cp & 0x3f);
    return at + 2;
  }
  if (cp < 0x10000) {
    buf[at] = 0xe0 | (cp >> 12);
    buf[at + 1] = 0x80 | ((cp >> 6) & 0x3f);
    buf[at + 2] = 0x80 | (cp & 0x3f);
    return at + 3;
  }
  buf[at] = 0xf0 | (cp >> 18);
  buf[at + 1] = 0x80 | ((cp >> 12) & 0x3f);
  buf[at + 2] = 0x80 | ((cp >> 6) & 0x3f);
  buf[at + 3] = 0x80 | (cp & 0x3f);
  return at + 4;
}
