// Peer echo server for bench/run-load.sh: Node's `ws`, written as its README recommends
// (WebSocketServer, echo every message back with its binary flag).
// Usage: node server.mjs --listen 127.0.0.1:0 [--deflate]; the first stdout line is
// `listening on http://ADDR`, the same contract as wsprism-server and the Rust peers.
import { WebSocketServer } from 'ws';

const i = process.argv.indexOf('--listen');
const listen = i >= 0 ? process.argv[i + 1] : '127.0.0.1:8080';
const colon = listen.lastIndexOf(':');
const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
const port = Number(listen.slice(colon + 1));

// --deflate: accept permessage-deflate offers with ws's defaults (`perMessageDeflate: true`:
// context takeover both ways, messages under 1 KiB sent uncompressed).
const perMessageDeflate = process.argv.includes('--deflate');
const wss = new WebSocketServer({ host, port, perMessageDeflate });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => {
  const a = wss.address();
  const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  process.stdout.write(`listening on http://${h}:${a.port}\n`);
});
