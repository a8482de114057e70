"""wsprism-server's /echo endpoint driven by an independent client: Python `websockets`.

Run: python3 -m unittest discover -s tests/interop/python -v
Each test starts its own server on an ephemeral loopback port and kills it at the end, uses
seeded pseudo-random payloads, and bounds every wait with a timeout.
"""

import asyncio
import signal
import unittest

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from harness import Payloads, Server

MAX_MESSAGE = 16 << 20
# Around every payload-length encoding boundary (RFC 6455 §5.2) and the server's limit.
SIZES = [0, 1, 125, 126, 65535, 65536, MAX_MESSAGE]
STEP = 60.0  # seconds; generous for 16 MiB through a debug build


class RecordingConnection(ClientConnection):
    """Keeps every pong payload received, so tests can compare them byte for byte."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pongs = []

    def process_event(self, event):
        if isinstance(event, Frame) and event.opcode is Opcode.PONG:
            self.pongs.append(bytes(event.data))
        super().process_event(event)


def open_ws(server, **kwargs):
    options = dict(
        compression=None,  # plain frames unless a test offers an extension on purpose
        max_size=None,  # only the server's limit is under test
        proxy=None,  # never route loopback traffic through an environment proxy
        ping_interval=None,
        open_timeout=STEP,
        close_timeout=STEP,
        create_connection=RecordingConnection,
    )
    options.update(kwargs)
    return connect(server.url(), **options)


def same(test, got, want, what):
    """Compares without dumping megabytes into the failure message."""
    if got != want:
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)
        test.fail(f"{what}: echoed {len(got)}, sent {len(want)}; first difference at {first}")


class EchoTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        # unittest runs asyncio in debug mode; a 16 MiB echo is not a "slow callback" bug.
        asyncio.get_running_loop().slow_callback_duration = STEP
        self.server = await Server.start()
        self.addAsyncCleanup(self.server.stop)

    async def recv(self, ws):
        return await asyncio.wait_for(ws.recv(), STEP)

    async def close(self, ws, code=1000, reason=""):
        await asyncio.wait_for(ws.close(code, reason), STEP)
        # RFC 6455 §5.5.1: the close reply echoes the status code.
        self.assertEqual(ws.close_code, code, "close code in the server's close frame")

    async def test_text_and_binary_of_every_length_class(self):
        p = Payloads(0x5EED0001)
        async with open_ws(self.server) as ws:
            for size in SIZES:
                text = p.text(size)
                self.assertEqual(len(text.encode()), size)
                await ws.send(text)
                got = await self.recv(ws)
                self.assertIsInstance(got, str, f"text of {size} came back as binary")
                same(self, got, text, f"text of {size} bytes")

                data = p.bytes(size)
                await ws.send(data)
                got = await self.recv(ws)
                self.assertIsInstance(got, bytes, f"binary of {size} came back as text")
                same(self, got, data, f"binary of {size} bytes")
            await self.close(ws)

    async def test_fragmented_messages(self):
        p = Payloads(0x5EED0002)
        async with open_ws(self.server) as ws:
            # Text fragments cut inside multi-byte characters (RFC 6455 §5.6: only the whole
            # message must be valid UTF-8), an empty one included; websockets ends the message
            # with an empty final continuation frame.
            text = "héllo wörld – ✓ 🦀 " + p.text(70000)
            raw = text.encode()
            chunks = [raw[:2], b"", raw[2:20], raw[20:]]
            with self.assertRaises(UnicodeDecodeError):
                chunks[0].decode()
            await ws.send(chunks, text=True)
            got = await self.recv(ws)
            self.assertIsInstance(got, str)
            same(self, got, text, "fragmented text")

            # str fragments, the library's natural way.
            words = [p.text(n) for n in (1, 125, 126, 3000, 0, 7)]
            await ws.send(words)
            same(self, await self.recv(ws), "".join(words), "fragmented str")

            # Binary in 200 fragments of random sizes (zero included).
            data = p.bytes(300000)
            cuts = sorted([0, len(data)] + [p.rng.randrange(len(data)) for _ in range(199)])
            parts = [data[a:b] for a, b in zip(cuts, cuts[1:])]
            await ws.send(parts)
            got = await self.recv(ws)
            self.assertIsInstance(got, bytes)
            same(self, got, data, "binary in 200 fragments")
            await self.close(ws)

    async def test_ping_between_fragments(self):
        # RFC 6455 §5.4: control frames may come in the middle of a fragmented message.
        p = Payloads(0x5EED0003)
        data, ping = p.bytes(5000), p.bytes(17)
        async with open_ws(self.server) as ws:
            waiter = None

            async def fragments():
                nonlocal waiter
                yield data[:1000]
                waiter = await ws.ping(ping)
                yield data[1000:]

            await ws.send(fragments())
            got = await self.recv(ws)
            same(self, got, data, "message around the ping")
            await asyncio.wait_for(waiter, STEP)
            self.assertEqual(ws.pongs, [ping])
            await self.close(ws)

    async def test_pings_get_pongs_with_the_same_payload(self):
        # RFC 6455 §5.5: control payloads are at most 125 bytes; §5.5.3: the pong echoes it.
        p = Payloads(0x5EED0004)
        payloads = [p.bytes(n) for n in (0, 1, 64, 125)]
        async with open_ws(self.server) as ws:
            for payload in payloads:
                waiter = await ws.ping(payload)
                await asyncio.wait_for(waiter, STEP)
            self.assertEqual(ws.pongs, payloads)
            await self.close(ws)

    async def test_close_codes_are_echoed(self):
        for code, reason in [(1000, "normal"), (4001, "app: bye ✓"), (1001, "x" * 123)]:
            async with open_ws(self.server) as ws:
                await ws.send("hi")
                self.assertEqual(await self.recv(ws), "hi")
                await self.close(ws, code, reason)

    async def test_pipelined_burst_keeps_order(self):
        p = Payloads(0x5EED0005)
        sent = []
        for _ in range(1000):
            size = p.rng.randrange(3000)
            sent.append(p.text(size) if p.rng.random() < 0.5 else p.bytes(size))
        async with open_ws(self.server) as ws:

            async def writer():
                for message in sent:  # no waiting for echoes in between
                    await ws.send(message)

            async def reader():
                return [await ws.recv() for _ in sent]

            _, got = await asyncio.wait_for(asyncio.gather(writer(), reader()), STEP)
            for i, (g, w) in enumerate(zip(got, sent)):
                self.assertIs(type(g), type(w), f"message {i} changed type")
                same(self, g, w, f"message {i}")
            await self.close(ws)

    async def test_permessage_deflate_offer_is_declined(self):
        # With the extension disabled (it is on by default: see test_deflate.py).
        server = await Server.start("--deflate", "off")
        self.addAsyncCleanup(server.stop)
        # websockets offers what browsers offer: permessage-deflate; client_max_window_bits.
        async with open_ws(server, compression="deflate") as ws:
            offer = ws.request.headers["Sec-WebSocket-Extensions"]
            self.assertIn("permessage-deflate", offer)
            self.assertIn("client_max_window_bits", offer)
            self.assertNotIn("Sec-WebSocket-Extensions", ws.response.headers)
            p = Payloads(0x5EED0006)
            text, data = p.text(1000), p.bytes(1000)
            await ws.send(text)
            same(self, await self.recv(ws), text, "text after a deflate offer")
            await ws.send(data)
            same(self, await self.recv(ws), data, "binary after a deflate offer")
            await self.close(ws)

    async def test_unknown_subprotocol_is_not_selected(self):
        # RFC 6455 §4.2.2: the server omits Sec-WebSocket-Protocol; websockets still connects.
        async with open_ws(self.server, subprotocols=["x-wsprism-unknown", "chat.v0"]) as ws:
            self.assertIsNone(ws.subprotocol)
            self.assertNotIn("Sec-WebSocket-Protocol", ws.response.headers)
            text = Payloads(0x5EED0007).text(300)
            await ws.send(text)
            same(self, await self.recv(ws), text, "echo after declined subprotocol")
            await self.close(ws)

    async def test_message_over_the_limit_closes_1009(self):
        data = Payloads(0x5EED0008).bytes(MAX_MESSAGE + 1)
        # Not `async with`: its close() on a connection that ended while a large write was
        # queued trips an asyncio bug in CPython 3.11 (abort() of a transport that already
        # called connection_lost raises AttributeError). So close only if still open.
        ws = await open_ws(self.server)
        try:
            try:
                await asyncio.wait_for(ws.send(data), STEP)
            except ConnectionClosed:
                pass  # the server may close before reading it all
            with self.assertRaises(ConnectionClosed) as caught:
                await self.recv(ws)
            rcvd = caught.exception.rcvd
            self.assertIsNotNone(rcvd, "no close frame from the server")
            self.assertEqual(rcvd.code, 1009)  # RFC 6455 §7.4.1: message too big
        finally:
            if ws.protocol.state is not State.CLOSED:
                ws.transport.abort()

    async def test_sigterm_closes_clients_with_1001_and_exits_0(self):
        clients = []
        for i in range(3):
            ws = await open_ws(self.server)
            clients.append(ws)
            await ws.send(bytes([i]) * 3)
            self.assertEqual(await self.recv(ws), bytes([i]) * 3)
        self.server.proc.send_signal(signal.SIGTERM)
        for ws in clients:
            with self.assertRaises(ConnectionClosed) as caught:
                await self.recv(ws)
            rcvd = caught.exception.rcvd
            self.assertIsNotNone(rcvd, "no close frame from the server")
            self.assertEqual(rcvd.code, 1001)  # going away
        self.assertEqual(await self.server.wait_exit(), 0)


if __name__ == "__main__":
    unittest.main()
